-- A Lua workload end to end (DESIGN §7, script.h): workload.kind = "lua"
-- with an ops(ctx) function that creates, writes, fsyncs and unlinks files,
-- through the same stack as the built-in workloads.
--
-- Barriers on, 64 MiB volatile cache destaging in random order: the outcome
-- matrix row "barriers on | volatile | honours flush" says fsync durable = yes
-- and file system consistent = yes (J1, J2, E1, E4), so every sampled cut
-- must be consistent and p_inc must be exactly 0, whatever the operations
-- come from. Each call of ops(ctx) is one iteration of one thread:
--   "create-unlink": create tK-N in d(N%2), write 8 KiB, fsync it, and unlink
--                    the file of iteration N-8 (a moving window of 8 files);
--   "atomic-save":   the write-temp / fsync / rename-over pattern on a
--                    per-thread document, plus fsync of the renamed file.
--
--   powercut run tests/data/matrix-lua.lua
local presets = require "presets"

local KEEP = 8

local function create_unlink(ctx)
  local i, th = ctx.iteration, ctx.thread
  local f = ("d%d/t%d-%d"):format(i % 2, th, i)
  ctx:create(f)
  ctx:write(f, 0, 8192)
  ctx:fsync(f)
  if i >= KEEP then
    ctx:unlink(("d%d/t%d-%d"):format((i - KEEP) % 2, th, i - KEEP))
  end
end

local function atomic_save(ctx)
  local th = ctx.thread
  local doc, tmp = ("d0/doc%d"):format(th), ("d1/doc%d.tmp"):format(th)
  ctx:create(tmp)
  ctx:write(tmp, 0, 4096 * (1 + ctx.iteration % 3))
  ctx:fsync(tmp)
  ctx:rename(tmp, doc)
  ctx:fsync(doc)
end

return {
  trials = 2000,
  runs = 4,
  duration_s = 4,
  crash_from_s = 1,
  device = presets.sata_7200 { cache_mb = 64, policy = "random", window = 32 },
  fs = { barrier = true, commit_s = 5 },
  workload = { kind = "lua", threads = 2, dirs = 2, think_us = 200, ops = create_unlink },
  cases = {
    { name = "create-unlink" },
    { name = "atomic-save", workload = { ops = atomic_save } },
  },
}

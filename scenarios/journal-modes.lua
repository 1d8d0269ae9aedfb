-- ext4 data modes under power cuts: data=ordered, writeback and journal, each
-- with barriers on and off (SEMANTICS §2.1, claims E1-E6).
--
-- Device: a 7200 rpm SATA disk with a 16 MiB volatile write cache (an older
-- member of the class) that destages in SATF order; the small cache drains
-- often, so with barriers off bad states come and go within a run and every
-- mode reaches them. Workload (two threads, 200 us of work per operation):
--   thread 0, "db":     create a file, write 8 KiB, fsync it, delete the
--                       file of 32 iterations before (fsync'd files);
--   thread 1, "scratch": create a file, write 16 KiB, no fsync, delete the
--                       file of 32 iterations before (buffered files: their
--                       new size and extents reach the journal with the next
--                       commit - thread 0's fsyncs or the 1 s commit timer -
--                       while their data stays in the page cache until
--                       writeback, dirty_expire_s = 30).
--
-- ordered-barrier-on    E1, J1, J2, E4: the commit writes (and waits for) the
--                       newly allocated data first, so no cut may show a file
--                       block holding bytes never written to it, corrupt the
--                       file system or lose an fsync: every count but
--                       `consistent` is 0. The price shows in the fsync
--                       latency: thread 0's fsync commits the transaction
--                       holding the scratch files, so it waits for their
--                       data too ("fsync entanglement").
-- writeback-barrier-on  E2: data ordering is not preserved. The scratch
--                       files' extents and sizes commit long before their
--                       data is written, so a cut shows them with zeroes or
--                       a deleted file's old bytes (stale_data > 0) while the
--                       file system itself is clean (corrupt = unmountable = 0)
--                       and fsync'd files are intact (lost_fsync = 0: fsync
--                       writes the file's own data before it commits).
-- journal-barrier-on    E3: data blocks go through the log with the metadata
--                       and replay restores both together; as with ordered,
--                       every count but `consistent` is 0.
-- MODE-barrier-off      E6, J4: commits and fsync send no flush, the drive
--                       destages in its own order: replay of stale log blocks
--                       (corrupt), lost fsyncs, and - in every mode, even
--                       ordered and journal - stale data (SEMANTICS §2.3: the
--                       data write reorders after the commit). data=journal
--                       writes every data block twice (log, then home), so
--                       its log wraps far more often and a tail update that
--                       never became durable lets replay copy overwritten
--                       log blocks home (J4c).
--
--   powercut run scenarios/journal-modes.lua -j 2
local presets = require "presets"

local KEEP = 32

local function ops(ctx)
  local i, th = ctx.iteration, ctx.thread
  local kind = th == 0 and "db" or "scratch"
  local function name(k) return ("d%d/%s%d-%d"):format(k % 4, kind, th, k) end
  local f = name(i)
  ctx:create(f)
  if th == 0 then
    ctx:write(f, 0, 8192)
    ctx:fsync(f)
  else
    ctx:write(f, 0, 16384)
  end
  if i >= KEEP then
    ctx:unlink(name(i - KEEP))
  end
end

return {
  trials = 2000,
  runs = 8,
  duration_s = 3,
  crash_from_s = 1,
  device = presets.sata_7200 { cache_mb = 16, policy = "satf" },
  fs = { barrier = true, commit_s = 1 },
  workload = { kind = "lua", threads = 2, dirs = 4, think_us = 200, ops = ops },
  cases = {
    { name = "ordered-barrier-on",    fs = { data = "ordered",   barrier = true } },
    { name = "ordered-barrier-off",   fs = { data = "ordered",   barrier = false } },
    { name = "writeback-barrier-on",  fs = { data = "writeback", barrier = true } },
    { name = "writeback-barrier-off", fs = { data = "writeback", barrier = false } },
    { name = "journal-barrier-on",    fs = { data = "journal",   barrier = true } },
    { name = "journal-barrier-off",   fs = { data = "journal",   barrier = false } },
  },
  -- What SEMANTICS guarantees with barriers on and an honest drive:
  --   ordered, journal: nothing but `consistent` (J1, J2, E1, E3, E4);
  --   writeback: the file system is consistent and fsyncs hold (J1, J2, E4),
  --              only stale data may show (E2).
  -- A failed expectation makes `powercut run` exit with status 3.
  expect = function(c)
    if not c.params["fs.barrier"] then return end
    local o = c.outcomes
    sim.expect(o.corrupt + o.unmountable == 0, "barriers on, yet a cut corrupted the file system (J1)")
    sim.expect(o.lost_fsync == 0, "barriers on, yet a cut lost fsynced data (J2, E4)")
    if c.params["fs.data"] ~= "writeback" then
      sim.expect(o.stale_data == 0, "data=" .. c.params["fs.data"] .. " with barriers on, yet a file showed stale data (E1, E3)")
      sim.expect(c.p_inc == 0, "barriers on, yet p_inc > 0")
    end
  end,
}

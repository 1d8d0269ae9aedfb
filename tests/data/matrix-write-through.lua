-- Outcome matrix (SEMANTICS §10), row "barriers off | no cache": fsync
-- durable = yes, file system consistent = yes.
--
-- The same 7200 rpm SATA disk with its write cache disabled (cache_mb = 0,
-- `hdparm -W0`): it reports no volatile cache, so the block layer strips
-- PREFLUSH/FUA and every write is on the platter when it completes (D4, B1).
-- jbd2 still orders by waiting for completion, so with barrier=0
--   * no completed write is lost (D4)             -> lost_fsync = 0
--   * no commit can reach the media before its body, no stale data can be
--     exposed (H8: cache off + nobarrier)          -> corrupt = stale = unmountable = 0
-- and the outcome distribution equals the barrier=1 one (H4): all consistent,
-- p_inc exactly 0. The destage policy is irrelevant without a cache; the
-- "-ckpt" cases exercise checkpoints, tail moves and journal wrap-around.
--
--   powercut run tests/data/matrix-write-through.lua
local presets = require "presets"

local smallfiles = { kind = "smallfiles", file_kb = 8, fsync = true, live_files = 64, dirs = 4, think_us = 200 }
local append = { kind = "fsync_append", append_bytes = 4096, log_mb = 1, think_us = 200 }
local ckpt = { journal_mb = 1, dirty_expire_s = 0.2, writeback_s = 0.1, commit_s = 1 }

return {
  trials = 2000,
  runs = 8,
  duration_s = 4,
  crash_from_s = 1,
  device = presets.sata_7200 { cache_mb = 0, policy = "random", window = 32 },
  fs = { barrier = false, commit_s = 5 },
  workload = smallfiles,
  cases = {
    { name = "smallfiles" },
    { name = "smallfiles-4threads", workload = { threads = 4 } },
    { name = "append", workload = append },
    { name = "smallfiles-ckpt", runs = 16, fs = ckpt },
    { name = "append-ckpt", runs = 16, fs = ckpt, workload = append },
    -- H4 reference: the same drive with barrier=1
    { name = "smallfiles-barrier-on", fs = { barrier = true } },
  },
}

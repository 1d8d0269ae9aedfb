-- Outcome matrix (SEMANTICS §10), row "barriers off | volatile cache":
-- fsync durable = no, file system consistent = "may be corrupt" (J4 a/b/c).
--
-- The 7200 rpm SATA disk with a volatile write cache that destages in random
-- order among the oldest 32 dirty writes, under the journal mounted with
-- barrier=0. The commit block is a plain write acknowledged from the cache,
-- so it can reach the platter before the journal body it seals (J4a: replay
-- copies stale log blocks home), home-location writes can land while the
-- commit does not (J4b), and fsync returns before anything is durable (E6).
-- The simulator must reach corrupt > 0 and lost_fsync > 0 (D1: a completed,
-- unflushed, non-FUA write may be lost at a cut).
--
--   random         64 MiB cache, small files with fsync (think_us 200). The
--                  busy host leaves the drive few idle gaps to destage in,
--                  so a run either reaches a bad replay state early and keeps
--                  it, or never does (about 1 run in 5-10): 40 short runs
--                  make "corrupt > 0" hold for any seed, not by luck;
--   append-random  the same drive under an fsync'd append log;
--   random-ckpt    a 1 MiB journal and 0.2 s dirty expiry: checkpoints and
--                  tail moves without a flush (J4c, lost metadata updates);
--   random-cache1m a 1 MiB cache: it drains often, so bad states come and go
--                  within a run and the per-run p_inc lies strictly between
--                  0 and 1 - the case that makes the comparison of sampled
--                  trials with the exact p_inc meaningful (DESIGN §5).
--
--   powercut run tests/data/matrix-barrier-off.lua
local presets = require "presets"

local smallfiles = { kind = "smallfiles", file_kb = 8, fsync = true, live_files = 64, dirs = 4, think_us = 200 }
local append = { kind = "fsync_append", append_bytes = 4096, log_mb = 1, think_us = 200 }

return {
  trials = 2000,
  runs = 4,
  duration_s = 4,
  crash_from_s = 1,
  device = presets.sata_7200 { cache_mb = 64, policy = "random", window = 32 },
  fs = { barrier = false, commit_s = 5 },
  workload = smallfiles,
  cases = {
    { name = "random", runs = 40, duration_s = 2, crash_from_s = 0.5 },
    { name = "append-random", workload = append },
    { name = "random-ckpt", fs = { journal_mb = 1, dirty_expire_s = 0.2, writeback_s = 0.1, commit_s = 1 } },
    { name = "random-cache1m", runs = 8, device = { cache_mb = 1 } },
  },
}

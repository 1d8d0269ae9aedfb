-- Outcome matrix (SEMANTICS §10), row "barriers on | volatile cache | device
-- does NOT honour flush" (lying drive, VM disk with cache=unsafe): fsync
-- durable = no, file system consistent = "may be corrupt" (D3, H7).
--
-- The 7200 rpm SATA disk with a 64 MiB volatile cache, journal mounted with
-- barrier=1, so the host does everything right: each commit goes out with
-- PREFLUSH+FUA after its body completed, fsync flushes. But the drive has
-- flush = "ignore": it acknowledges FLUSH at once and FUA writes from its
-- cache, and destages only on its own schedule (when idle, above the high-
-- water mark), in its own order. So a cut can find an acknowledged fsync
-- still in the cache (lost_fsync) and a commit block on the platter whose
-- body is not (corrupt: J1 broken despite barriers). Nothing is drawn at
-- random: what is lost is exactly what was dirty at the cut.
--
--   honest         reference: the same drive honouring flushes (row 2: safe)
--   lying          flush = "ignore", SATF destage order
--   lying-random   flush = "ignore", random order among the oldest 32
--                  (bimodal per run, hence more, shorter runs)
--   lying-append   flush = "ignore", an fsync'd append log
--   lying-ckpt     flush = "ignore", 1 MiB journal: checkpoints, tail moves
--   vm-unsafe      presets.virtual_disk_unsafe (QEMU cache=unsafe)
--
--   powercut run tests/data/misbehave-lying.lua
local presets = require "presets"

local smallfiles = { kind = "smallfiles", file_kb = 8, fsync = true, live_files = 64, dirs = 4, think_us = 200 }
local append = { kind = "fsync_append", append_bytes = 4096, log_mb = 1, think_us = 200 }
local ckpt = { journal_mb = 1, dirty_expire_s = 0.2, writeback_s = 0.1, commit_s = 1 }

return {
  trials = 2000,
  runs = 8,
  duration_s = 4,
  crash_from_s = 1,
  device = presets.lying_sata_7200 { cache_mb = 64, window = 32 },
  fs = { barrier = true, commit_s = 5 },
  workload = smallfiles,
  cases = {
    { name = "honest", device = { flush = "honest" } },
    { name = "lying" },
    { name = "lying-random", runs = 24, duration_s = 2, crash_from_s = 0.5, device = { policy = "random" } },
    { name = "lying-append", workload = append },
    { name = "lying-ckpt", fs = ckpt },
    { name = "vm-unsafe", device = presets.virtual_disk_unsafe() },
  },
}

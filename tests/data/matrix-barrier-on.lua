-- Outcome matrix (SEMANTICS §10), row "barriers on | volatile cache | device
-- honours flush": fsync durable = yes, file system consistent = yes.
--
-- A 7200 rpm SATA disk with a 64 MiB volatile write cache (reorder window 32)
-- under an ext4-style journal mounted with barrier=1, for every destage policy
-- the drive model has (fifo, clook, satf, random). Each journal commit goes
-- out with PREFLUSH+FUA after its body completed, fsync flushes the cache, and
-- the journal tail moves only after a flush, so whatever order the drive
-- destages in, no power cut may leave
--   * a durable commit sealing a non-durable body, or stale log blocks
--     replayed home (J1)                      -> corrupt = unmountable = 0
--   * an acknowledged fsync undone (J2, E4)   -> lost_fsync = 0
--   * a committed-allocated block holding bytes never written to that file
--     (E1, data=ordered)                      -> stale_data = 0
-- and the exact time-weighted p_inc must be 0, not merely small.
--
-- Workloads: small files (create, write 8 KiB, fsync, delete the oldest;
-- think_us 200) and an fsync'd append log. The "-ckpt" cases shrink the
-- journal to 1 MiB and expire dirty buffers after 0.2 s, so periodic
-- writeback, checkpoints, tail moves and journal wrap-around all happen inside
-- the short runs (J1 "replay never copies stale log contents", SEMANTICS 1.4;
-- __jbd2_update_log_tail: the tail may skip a transaction only once its
-- checkpoint writes are durable). They use 16 runs: a bad state there can be
-- a few milliseconds long, so it is the exact p_inc that catches it. (1 MiB
-- is below jbd2's 1024-block minimum; it only makes the log wrap within the
-- short runs - with 4 MiB the same states appear in longer runs.)
--
--   powercut run tests/data/matrix-barrier-on.lua
local presets = require "presets"

local smallfiles = { kind = "smallfiles", file_kb = 8, fsync = true, live_files = 64, dirs = 4, think_us = 200 }
local append = { kind = "fsync_append", append_bytes = 4096, log_mb = 1, think_us = 200 }
local ckpt = { journal_mb = 1, dirty_expire_s = 0.2, writeback_s = 0.1, commit_s = 1 }

return {
  trials = 2000,
  runs = 8,
  duration_s = 4,
  crash_from_s = 1,
  device = presets.sata_7200 { cache_mb = 64, window = 32 },
  fs = { barrier = true, commit_s = 5 },
  workload = smallfiles,
  cases = {
    { name = "fifo",   device = { policy = "fifo" } },
    { name = "clook",  device = { policy = "clook" } },
    { name = "satf",   device = { policy = "satf" } },
    { name = "random", device = { policy = "random" } },
    { name = "random-4threads", device = { policy = "random" }, workload = { threads = 4 } },
    { name = "append-fifo",   device = { policy = "fifo" },   workload = append },
    { name = "append-satf",   device = { policy = "satf" },   workload = append },
    { name = "append-random", device = { policy = "random" }, workload = append },
    { name = "satf-ckpt",          runs = 16, device = { policy = "satf" },   fs = ckpt },
    { name = "random-ckpt",        runs = 16, device = { policy = "random" }, fs = ckpt },
    { name = "append-random-ckpt", runs = 16, device = { policy = "random" }, fs = ckpt, workload = append },
  },
}

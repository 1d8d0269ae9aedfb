-- Outcome matrix (SEMANTICS §10), row "barriers on, volatile cache, device
-- honours flush": fsync durable = yes, file system consistent = yes.
--
-- A 7200 rpm SATA disk with a 64 MiB volatile write cache (reorder window 32)
-- under an ext4-style journal mounted with barrier=1, for every destage
-- policy the drive model has (fifo, clook, satf, random). Each journal commit
-- goes out with PREFLUSH+FUA after its body completed, and fsync flushes the
-- cache, so whatever order the drive destages in, no power cut may leave:
--   * a durable commit block sealing a non-durable body (J1) -> corrupt / unmountable 0
--   * an acknowledged fsync undone (J2, E4)                   -> lost_fsync 0
--   * committed-allocated blocks with foreign bytes (E1)      -> stale_data 0
-- and the exact time-weighted p_inc must be 0, not merely small.
--
-- Two workloads: small files (create, write 8 KiB, fsync, delete the oldest)
-- and an fsync'd append log. The "-ckpt" cases shrink the journal to 1 MiB
-- and expire dirty buffers after 0.2 s, so checkpoint writes and tail moves
-- (jbd2_update_log_tail with FUA after a flush) happen inside the short runs.
--
--   powercut run tests/data/matrix-barrier-on.lua
local presets = require "presets"

local smallfiles = { kind = "smallfiles", file_kb = 8, fsync = true, live_files = 64, dirs = 4, think_us = 200 }
local append = { kind = "fsync_append", append_bytes = 4096, log_mb = 1, think_us = 200 }
local ckpt = { barrier = true, journal_mb = 1, dirty_expire_s = 0.2, writeback_s = 0.1, commit_s = 1 }

return {
  trials = 2000,
  runs = 4,
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
    { name = "append-satf",   device = { policy = "satf" },   workload = append },
    { name = "append-random", device = { policy = "random" }, workload = append },
    { name = "random-ckpt",        device = { policy = "random" }, fs = ckpt },
    { name = "append-random-ckpt", device = { policy = "random" }, fs = ckpt, workload = append },
  },
}

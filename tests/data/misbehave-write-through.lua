-- Outcome matrix (SEMANTICS §10), last row: `write_cache` forced to "write
-- through" on a device whose cache is really volatile: fsync durable = no,
-- file system consistent = "may be corrupt" (B4).
--
-- The 7200 rpm SATA disk with a 64 MiB volatile cache that reports none
-- (report_cache = "write-through", like `echo "write through" >
-- /sys/block/sdX/queue/write_cache`): the block layer strips PREFLUSH and
-- FUA and completes empty flushes without sending them (B1), so the drive
-- receives zero flushes; its cache still acknowledges writes before they
-- are on the platter and destages in its own order. With barrier=1 the
-- journal is therefore exactly as unprotected as with barrier=0 (B4): the
-- "off-" cases are that reference (honest reporting, barriers off), and the
-- two must give identical outcomes, cut for cut, since both send the same
-- plain writes at the same instants.
--
--   wt / off               SATF destage order, small files with fsync
--   wt-random / off-random random order among the oldest 32 (bimodal per
--                          run, hence more, shorter runs)
--   wt-append / off-append an fsync'd append log
--
--   powercut run tests/data/misbehave-write-through.lua
local presets = require "presets"

local smallfiles = { kind = "smallfiles", file_kb = 8, fsync = true, live_files = 64, dirs = 4, think_us = 200 }
local append = { kind = "fsync_append", append_bytes = 4096, log_mb = 1, think_us = 200 }
local wt = { report_cache = "write-through" }
local random_runs = { runs = 24, duration_s = 2, crash_from_s = 0.5 }

return {
  trials = 2000,
  runs = 8,
  duration_s = 4,
  crash_from_s = 1,
  device = presets.sata_7200 { cache_mb = 64, window = 32 },
  fs = { barrier = true, commit_s = 5 },
  workload = smallfiles,
  cases = {
    { name = "wt", device = wt },
    { name = "wt-random", runs = random_runs.runs, duration_s = random_runs.duration_s,
      crash_from_s = random_runs.crash_from_s, device = { report_cache = "write-through", policy = "random" } },
    { name = "wt-append", device = wt, workload = append },
    { name = "off", fs = { barrier = false } },
    { name = "off-random", runs = random_runs.runs, duration_s = random_runs.duration_s,
      crash_from_s = random_runs.crash_from_s, device = { policy = "random" }, fs = { barrier = false } },
    { name = "off-append", fs = { barrier = false }, workload = append },
  },
}

-- What safety costs: barriers on/off x drive cache size x workload, on one trade-off plot.
--
-- The configurations of the other shipped scenarios side by side: the
-- small-file workload of barriers.lua and the write-ahead-log writer of
-- fsync-heavy.lua, each on a 7200 rpm SATA disk with a write cache of 0
-- (write-through), 32 or 64 MiB, with barriers on and off: 2 x 3 x 2 = 12
-- cases. `powercut run scenarios/tradeoff.lua --out out/tradeoff` draws
-- tradeoff.png: one point per case, throughput on x, corruption rate on y
-- (and rates.png, throughput.png, sweep.png, latency.png beside it).
--
-- Read it as (figures with the default seed): the safe points - barriers on,
-- or no volatile cache - sit at the bottom left: no cut loses anything, about
-- 200 operations per second, every fsync waiting for the platter. Barriers
-- off with a cache moves a case an order of magnitude to the right (2500-8700
-- ops/s) and up: nearly every cut loses acknowledged fsyncs or exposes stale
-- blocks (rates.png), and some leave metadata corrupt - for the log writer
-- with a 64 MiB cache, more than half of them. Runs in well under a minute on
-- 2 cores (6 runs of 6 simulated seconds per case); for tighter intervals
-- raise them: --set run.runs=20 -n 2000.
local presets = require "presets"

local p = sim.params {
  cache_mb = { 64, "drive write cache, MiB (0 = write-through); swept below" },
  barrier = { true, "journal commits with PREFLUSH+FUA, fsync flushes the cache; swept below" },
}

return {
  trials = 600,
  runs = 6,
  duration_s = 6,
  crash_from_s = 1,
  device = presets.sata_7200 { cache_mb = p.cache_mb },
  fs = { barrier = p.barrier, commit_s = 5 },
  cases = {
    -- barriers.lua: create, write 8 KiB, fsync, delete the oldest
    { name = "smallfiles",
      workload = { kind = "smallfiles", file_kb = 8, fsync = true, live_files = 64, dirs = 4, think_us = 200 } },
    -- fsync-heavy.lua: two threads append 4 KiB records to their logs and fsync each
    { name = "wal",
      workload = { kind = "fsync_append", threads = 2, append_bytes = 4096, log_mb = 16, dirs = 2, think_us = 100 } },
  },
  sweep = {
    barrier = { true, false },
    cache_mb = { 0, 32, 64 },
  },
}

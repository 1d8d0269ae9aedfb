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
-- Read it as: the safe points (barriers on, or no volatile cache) sit at the
-- bottom left - nothing lost, a few hundred operations per second, every
-- fsync waiting for the platter; turning barriers off with a cache moves a
-- case right by an order of magnitude and up: acknowledged fsyncs are lost
-- (see rates.png) and some cuts leave metadata corrupt. Runs in well under a
-- minute on 2 cores (6 runs of 6 simulated seconds per case); raise runs and
-- trials with --set run.runs=20 -n 2000 for tighter intervals.
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

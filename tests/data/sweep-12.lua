-- tests/t-plot.sh: a tiny 12-point sweep (6 cache sizes x barriers on/off).
local presets = require "presets"

local p = sim.params {
  cache_mb = 64,          -- drive write cache, MiB
  barrier = true,         -- fs.barrier
}

return {
  trials = 40,
  runs = 2,
  duration_s = 1.5,
  crash_from_s = 0.5,
  device = presets.sata_7200 { cache_mb = p.cache_mb },
  fs = { barrier = p.barrier, commit_s = 1 },
  workload = { kind = "smallfiles", file_kb = 4, fsync = true, live_files = 16, dirs = 2, think_us = 100 },
  sweep = { cache_mb = { 0, 8, 16, 32, 48, 64 }, barrier = { true, false } },
}

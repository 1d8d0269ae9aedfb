-- tests/t-cli.sh: a small, fast scenario with three cases, using the shipped
-- presets through require (searched in ./lua after the scenario's folder).
local presets = require "presets"

local p = sim.params {
  cache_mb = 64,          -- drive write cache, MiB
}

return {
  trials = 150,
  runs = 3,
  duration_s = 2.5,
  crash_from_s = 1,
  device = presets.sata_7200 { cache_mb = p.cache_mb },
  fs = { barrier = true, commit_s = 1 },
  workload = { kind = "smallfiles", file_kb = 4, fsync = true, live_files = 16, dirs = 2, think_us = 100 },
  cases = {
    { name = "on",      fs = { barrier = true } },
    { name = "off",     fs = { barrier = false } },
    { name = "nocache", device = { cache_mb = 0 }, fs = { barrier = false } },
  },
}

-- tests/t-plot.sh: named cases times a sweep of a dotted model key.
local presets = require "presets"

return {
  trials = 30,
  runs = 2,
  duration_s = 1.5,
  crash_from_s = 0.5,
  device = presets.sata_7200 { cache_mb = 16 },
  fs = { commit_s = 1 },
  workload = { kind = "smallfiles", file_kb = 4, fsync = true, live_files = 16, dirs = 2, think_us = 100 },
  cases = {
    { name = "on",  fs = { barrier = true } },
    { name = "off", fs = { barrier = false } },
  },
  sweep = { ["device.policy"] = { "fifo", "satf" } },
}

-- make bench: a RAID-5 of 8 7200 rpm SATA disks (64 KiB stripe unit) behind
-- a battery-backed 1 GiB controller cache (presets.megaraid_bbu, member
-- caches off), barriers off, the small-file fsync workload with 4 threads.
-- `bbu` destages through parity read-modify-write; `write-through` (no
-- battery) does the read-modify-write in every fsync's path.
local presets = require "presets"

return {
  trials = 1,
  runs = 1,
  duration_s = 10,
  crash_from_s = 1,
  device = presets.sata_7200 { model = "raid" },
  raid = presets.megaraid_bbu { level = 5, disks = 8, stripe_blocks = 16 },
  fs = { barrier = false, commit_s = 5 },
  workload = { kind = "smallfiles", file_kb = 8, fsync = true, live_files = 64, dirs = 4, think_us = 200, threads = 4 },
  cases = {
    { name = "bbu" },
    { name = "write-through", raid = { backing = "none" } },
  },
}

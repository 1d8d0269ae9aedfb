-- Model vs kernel: the workload that tests/real-vs-model.sh
-- also runs on the real ext4 under `powercut capture`, on the same drive.
--
-- Each operation creates an 8 KiB file in one of 4 folders, fsyncs it and
-- deletes the file 64 operations back - barriers.lua's workload, smaller.
-- The device is the same in both cases: a 7200 rpm SATA disk with a 64 MiB
-- volatile write cache destaging in SATF order. Only the file system's
-- barriers differ (in replay the barriers are what the captured kernel did:
-- the case only picks the device).
--
--   powercut run scenarios/real-vs-model.lua                 # the model alone
--   sudo sh tests/real-vs-model.sh                           # model and kernel, side by side
local presets = require "presets"

local p = sim.params {
  cache_mb = 64,          -- drive write cache, MiB
  policy = "satf",        -- destage order: fifo, clook, satf, random
  think_us = 5000,        -- application work per operation, us: about the pace of the real
                          -- workload under capture here (175 files/s; README "Model vs kernel")
}

return {
  trials = 400,
  runs = 4,
  duration_s = 3,
  crash_from_s = 0.5,
  device = presets.sata_7200 { cache_mb = p.cache_mb, policy = p.policy },
  fs = { barrier = true, commit_s = 5 },
  workload = { kind = "smallfiles", file_kb = 8, fsync = true, live_files = 64, dirs = 4, think_us = p.think_us },
  cases = {
    { name = "barrier-on",  fs = { barrier = true } },
    { name = "barrier-off", fs = { barrier = false } },
  },
}

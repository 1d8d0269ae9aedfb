-- Tutorial 5: the host can only be as safe as the device is honest.
--
-- For the student. Barriers on in every case (barrier=1); only the disk
-- changes:
--   write-through: no volatile cache at all (cache_mb = 0): a write is
--                  durable when it completes, the block layer sends no
--                  flushes (SEMANTICS B1). Safe, and slow.
--   honest-cache:  a 64 MiB volatile cache that honours FLUSH and FUA:
--                  safe thanks to barriers (tutorial 4), and faster.
--   lying-cache:   the same cache, but the firmware acknowledges FLUSH at
--                  once and FUA writes from its cache (device.flush =
--                  "ignore": a lying drive, or a VM disk with cache=unsafe).
--                  The kernel does everything right and still loses
--                  acknowledged fsyncs and can corrupt the journal (SEMANTICS
--                  D3). The tell: fsyncs that are far faster than a platter
--                  can turn.
--
--   ./powercut run scenarios/tutorial/05-lying-disk.lua
--   ./powercut explain scenarios/tutorial/05-lying-disk.lua --case lying-cache --first lost_fsync
--   ./powercut explain scenarios/tutorial/05-lying-disk.lua --case write-through --trial 0
-- In the lying-cache explanation, the flushes are there ("PREFLUSH before the
-- journal-commit"), they complete at once, and "N of them on media by then"
-- is smaller than what they covered. In write-through there are no flushes
-- and nothing is ever "in the drive cache".
-- (A battery-backed RAID controller cache is the honest way to get the speed:
-- see the RAID scenarios once the controller model lands.)
local presets = require "presets"

return {
  trials = 400, runs = 4, duration_s = 6, crash_from_s = 1,
  device = presets.sata_7200 { cache_mb = 64, policy = "random" },
  fs = { barrier = true, commit_s = 5 },
  workload = { kind = "smallfiles", file_kb = 8, fsync = true, live_files = 64, dirs = 4, think_us = 3000 },
  cases = {
    { name = "write-through", device = { cache_mb = 0 } },
    { name = "honest-cache",  device = { flush = "honest" } },
    { name = "lying-cache",   device = { flush = "ignore" } },
  },
  expect = function(c)
    if c.name ~= "lying-cache" then
      sim.expect(c.outcomes.consistent == c.trials, "an honest device with barriers, yet a cut was not consistent")
    end
  end,
}

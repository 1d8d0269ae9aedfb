-- Tutorial 4: barriers - PREFLUSH and FUA make "completed" mean "durable" where it matters.
--
-- For the student. Same drive as tutorial 3 (64 MiB volatile cache, random
-- destage order), same workload. With barrier=1 jbd2 writes each commit
-- block with PREFLUSH+FUA (SEMANTICS §1.2 step 9, §3):
--   PREFLUSH: before the commit is written, the drive must make durable
--             every write that had *completed* - the transaction's body,
--             which jbd2 waited for;
--   FUA:      the commit itself is acknowledged only once it is on media,
--             so fsync returns only when the transaction is durable.
-- And fsync of an already-committed inode sends its own flush (§2.2).
--
--   barrier-on:  no cut may corrupt the file system or lose an acknowledged
--                fsync (SEMANTICS J1, J2, E4; checked by `expect` below).
--   barrier-off: tutorial 3 again: corrupt, stale data, lost fsyncs.
-- Compare the throughput columns too: that is what barriers cost.
--
--   ./powercut run scenarios/tutorial/04-barriers.lua
--   ./powercut explain scenarios/tutorial/04-barriers.lua --case barrier-on --trial 0
--   ./powercut explain scenarios/tutorial/04-barriers.lua --case barrier-on --trial 0 --plot barriers.png
-- In the explanation, read "Flushes in that window": each PREFLUSH covers the
-- writes that completed before it, and by the time it completes they are all
-- on media. The writes the cut destroyed belong to a transaction whose commit
-- had not completed - nothing an fsync was promised.
local presets = require "presets"

return {
  trials = 400, runs = 4, duration_s = 6, crash_from_s = 1,
  device = presets.sata_7200 { cache_mb = 64, policy = "random" },
  fs = { barrier = true, commit_s = 5 },
  workload = { kind = "smallfiles", file_kb = 8, fsync = true, live_files = 64, dirs = 4, think_us = 3000 },
  cases = {
    { name = "barrier-on",  fs = { barrier = true } },
    { name = "barrier-off", fs = { barrier = false } },
  },
  expect = function(c)
    if c.params["fs.barrier"] then
      sim.expect(c.outcomes.consistent == c.trials, "barriers on, honest drive, yet a cut was not consistent")
    end
  end,
}

-- Tutorial 1: a write cache that reorders - "completed" is not "durable".
--
-- For the student. A disk with a volatile write cache says "done" as soon as
-- a write is in its cache, then writes the cache to the platter later, in
-- the order that suits its head (SEMANTICS §4.2). Here the file system sends
-- NO barriers (barrier=0), so nothing ever asks the drive to empty its cache.
--
--   in-order:  the drive destages strictly in arrival order (policy fifo,
--              reorder window 1). What reaches the platter is always a prefix
--              of what the file system wrote: a cut loses the newest writes
--              (fsyncs the application was told were done: lost_fsync), but
--              the journal's commit block never lands before its body.
--   reordered: the same drive picks the block nearest its head first (SATF,
--              window 32), like real firmware. Now the platter holds an
--              arbitrary subset of the cache: a later block can be durable
--              while an earlier one is not (stale_data, and now and then a
--              corrupt file system).
--
-- Run it and compare the outcome columns of the two rows:
--   ./powercut run scenarios/tutorial/01-cache-reorders.lua
-- Then look at one cut in each case. In "in-order", every write the table
-- lists as "on media" is older than every write still "in the drive cache";
-- in "reordered" the two are interleaved:
--   ./powercut explain scenarios/tutorial/01-cache-reorders.lua --case in-order --trial 0
--   ./powercut explain scenarios/tutorial/01-cache-reorders.lua --case reordered --first stale_data
-- Question: why does "in-order" lose fsyncs but never expose stale data?
-- Then ask what ANY honest drive could have left at that reordered cut -
-- every subset of the writes still in its cache:
--   ./powercut explain scenarios/tutorial/01-cache-reorders.lua --case reordered --trial 0 --witness
-- (512 states; a smallest corrupt one: T120's descriptor and commit on the
-- platter, its body not.)
local presets = require "presets"

return {
  trials = 400, runs = 4, duration_s = 6, crash_from_s = 1,
  device = presets.sata_7200 { cache_mb = 64 },
  fs = { barrier = false, commit_s = 5 },
  workload = { kind = "smallfiles", file_kb = 8, fsync = true, live_files = 64, dirs = 4, think_us = 3000 },
  cases = {
    { name = "in-order",  device = { policy = "fifo", window = 1 } },
    { name = "reordered", device = { policy = "satf", window = 32 } },
  },
}

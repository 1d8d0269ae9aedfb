-- Tutorial 2: a journal makes a multi-block update atomic - if its writes land in order.
--
-- For the student. Creating a file changes several blocks at once: the inode
-- bitmap, an inode-table block, a directory block, the block bitmap. A cut
-- between those writes would leave them disagreeing. jbd2 (ext4's journal)
-- first writes all of them to the log (descriptor + copies), waits, then
-- writes a commit block; only after the commit are they written to their
-- home locations. After a cut, recovery replays every transaction whose
-- commit block it finds (SEMANTICS §1.2, §1.5).
--
-- This disk has NO volatile cache (cache_mb = 0): a write is durable when it
-- completes, so the commit block can only reach the platter after its body.
--
--   ordered:   data=ordered (ext4's default): a new file's data blocks are
--              written and waited for before the commit that allocates them.
--              Every cut recovers to a consistent file system.
--   writeback: data=writeback: the commit does not wait for the data, so a
--              committed file can point at blocks whose new data never
--              arrived - the file shows old bytes (stale_data, SEMANTICS E2),
--              although the journal itself did its job.
--
--   ./powercut run scenarios/tutorial/02-journal.lua
--   ./powercut explain scenarios/tutorial/02-journal.lua --case ordered --trial 0
--   ./powercut explain scenarios/tutorial/02-journal.lua --case writeback --first stale_data
-- In the first explain, read the "Recovery" part: which transactions were
-- found and replayed, and why the scan stopped (the next log block is not a
-- block of the transaction it expects). In the second, find the data block
-- named in the verdict in the list of writes: where was it at the cut?
local presets = require "presets"

return {
  trials = 400, runs = 4, duration_s = 6, crash_from_s = 1,
  device = presets.sata_7200 { cache_mb = 0 },
  fs = { barrier = true, commit_s = 5 },
  workload = { kind = "smallfiles", file_kb = 8, fsync = false, live_files = 64, dirs = 4, think_us = 20000 },
  cases = {
    { name = "ordered",   fs = { data = "ordered" } },
    { name = "writeback", fs = { data = "writeback" } },
  },
  expect = function(c)
    if c.name == "ordered" then
      sim.expect(c.outcomes.consistent == c.trials, "write-through disk, data=ordered, yet a cut was not consistent")
    end
  end,
}

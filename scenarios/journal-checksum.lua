-- Journal checksums under power cuts: none, v1 (journal_checksum), v3
-- (metadata_csum) and v3 with journal_async_commit, each with barriers on and
-- off (SEMANTICS §1.1, §1.5; claims J1, J2, J4, J5, J7, E2).
--
-- The 7200 rpm SATA disk with its 64 MiB volatile cache (SATF destage order)
-- under the small-files workload of scenarios/barriers.lua: create, write
-- 8 KiB, fsync, delete the oldest of 64 files (one thread, 200 us of work per
-- operation).
--
-- CSUM-barrier-on   none, v1, v3: the commit block goes out with
--                   PREFLUSH+FUA after its body completed (J1), so no cut
--                   leaves a durable commit sealing a stale body and no
--                   checksum ever fails: every count but `consistent` is 0,
--                   whatever the checksum (J1, J2, E1, E4).
-- CSUM-barrier-off  the commit is a plain write and the drive destages in
--                   its own order, so a durable commit can seal log blocks
--                   that never landed or were overwritten by a later lap of
--                   the log (J4a, J4c):
--                     none: replay copies those stale blocks home, SILENTLY:
--                           `corrupt` when the damage shows, and often it
--                           does not - a later transaction's intact copy of
--                           the same block overwrites it during replay, or
--                           it is an older version of the block (the cut
--                           then counts as a lost fsync or stale data);
--                     v1:   the crc in the commit block no longer matches:
--                           "journal transaction N is corrupt", the mount is
--                           refused (`unmountable`) - every cut that replays
--                           a stale log block is now DETECTED, including the
--                           ones replay would have healed: detection costs
--                           availability. States that need no stale log
--                           block (J4b, home writes ahead of their commit)
--                           stay undetectable by any checksum;
--                     v3:   the per-tag checksum of the bad copy fails at
--                           replay: recovery fails (`unmountable`), the same
--                           cuts as v1.
--                   The I/O is the same in all three (same seed: the same
--                   cuts): a cut's outcome with v1 or v3 is its outcome
--                   without checksums, or unmountable. Lost fsyncs (E6)
--                   stay: checksums detect, they make nothing durable.
-- v3-async-*        journal_async_commit: the commit record is written with
--                   the body, without waiting for it, and with barriers on a
--                   flush follows its completion (J7). ext4 refuses
--                   journal_async_commit with data=ordered ("can't mount
--                   with journal_async_commit in data=ordered mode", §2.1),
--                   so these cases use data=writeback: with this fsync-each-
--                   file workload writeback writes the same blocks as ordered
--                   (fsync writes the file's data before it commits), so the
--                   commit protocol is the difference.
--                   barrier-on: fsync is still durable on return
--                   (lost_fsync = 0, J7), and faster, but a cut between the
--                   commit record landing and the post-commit flush leaves a
--                   torn last transaction: with v3 its tag checksum fails at
--                   replay and recovery fails (unmountable; jbd2 checks v2/v3
--                   tags only in the replay pass, §1.5 - only v1's commit crc
--                   turns it into a clean loss of the transaction); and
--                   without the commit's PREFLUSH the file's data is no
--                   longer ordered before its commit (stale data, E2).
--                   barrier-off: the same cuts as v3-barrier-off - without
--                   barriers the synchronous commit waited only for
--                   completion in the drive's cache, which the model's
--                   drive gives in submission order anyway.
--
--   powercut run scenarios/journal-checksum.lua -j 2
local presets = require "presets"

local async = { journal_csum = "v3", async_commit = true, data = "writeback" }

local function with(t, extra)
  local r = {}
  for k, v in pairs(t) do r[k] = v end
  for k, v in pairs(extra) do r[k] = v end
  return r
end

return {
  trials = 2000,
  runs = 40,
  duration_s = 4,
  crash_from_s = 1,
  device = presets.sata_7200 { cache_mb = 64, policy = "satf" },
  fs = { barrier = true, data = "ordered", commit_s = 5 },
  workload = { kind = "smallfiles", file_kb = 8, fsync = true, live_files = 64, dirs = 4, think_us = 200 },
  cases = {
    { name = "none-barrier-on",      fs = { journal_csum = "none", barrier = true } },
    { name = "none-barrier-off",     fs = { journal_csum = "none", barrier = false } },
    { name = "v1-barrier-on",        fs = { journal_csum = "v1",   barrier = true } },
    { name = "v1-barrier-off",       fs = { journal_csum = "v1",   barrier = false } },
    { name = "v3-barrier-on",        fs = { journal_csum = "v3",   barrier = true } },
    { name = "v3-barrier-off",       fs = { journal_csum = "v3",   barrier = false } },
    { name = "v3-async-barrier-on",  fs = with(async, { barrier = true }) },
    { name = "v3-async-barrier-off", fs = with(async, { barrier = false }) },
  },
  -- What SEMANTICS guarantees with barriers on and an honest drive:
  --   synchronous commit (none, v1, v3): nothing but `consistent` (J1, J2,
  --     E1, E4), and the exact p_inc is 0;
  --   async commit: fsync is durable on return (J7), nothing more.
  -- A failed expectation makes `powercut run` exit with status 3.
  expect = function(c)
    if not c.params["fs.barrier"] then return end
    local o = c.outcomes
    sim.expect(o.lost_fsync == 0, "barriers on, yet a cut lost fsynced data (J2, J7)")
    if not c.params["fs.async_commit"] then
      sim.expect(o.corrupt + o.unmountable == 0, "barriers on, yet a cut corrupted the file system (J1)")
      sim.expect(o.stale_data == 0, "barriers on, data=ordered, yet a file showed stale data (E1)")
      sim.expect(c.p_inc == 0, "barriers on, yet p_inc > 0")
    end
  end,
}

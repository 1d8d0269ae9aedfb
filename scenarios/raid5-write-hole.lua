-- The RAID-5 write hole: a cut between a data write and its parity write.
--
-- A RAID-5 of four 7200 rpm SATA disks (64 KiB stripe unit, left-symmetric
-- layout as md's default) behind a MegaRAID-style controller, member caches
-- off, barriers ON, under the small-file fsync workload: 8 KiB files are
-- partial-stripe writes, so the controller reads the old data and parity,
-- then writes the new data and the new parity - two member writes that are
-- neither ordered nor atomic. After a power cut in between, the stripe's
-- parity no longer matches its data (SEMANTICS §5.3, R5).
--
-- volatile-resync: no battery (the controller falls back to write-through),
--     every member survives. After the unclean shutdown the array
--     resynchronises parity from the data, so the hole is harmless: with
--     barriers on, no cut corrupts or loses an fsync. Checked by `expect`.
-- volatile-member-failure: the same, but member `failed_member` (default 1)
--     fails when power returns and the array comes up degraded: its blocks
--     are rebuilt from parity XOR the other members. Where a stripe write
--     was cut half-way, the rebuilt block is garbage - a block nobody was
--     writing: a committed journal block, an inode table or a directory
--     block. Barriers cannot prevent this: the file system never wrote that
--     block. Reasons name it as "garbage rebuilt from inconsistent RAID-5
--     parity". md refuses to start such an array for this reason ("dirty
--     degraded array").
-- nvcache-member-failure: a battery-backed 1 GiB write-back cache. The
--     controller keeps a stripe's new data and parity in the cache until
--     both are on the members and writes them again at power-on, closing
--     the hole: the same failure loses nothing. Checked by `expect`. (Only
--     with the member caches off: `--set raid.member_cache=true` frees
--     lines into volatile member caches and the hole reopens - the
--     expectation then fails, as it should.)
--
--   powercut run scenarios/raid5-write-hole.lua
--   powercut run scenarios/raid5-write-hole.lua --set failed_member=0
local presets = require "presets"

local p = sim.params {
  failed_member = 1,      -- the member that fails when power returns (0..3)
  barrier = true,         -- barriers do not matter here: try false
}

local array = { level = 5, disks = 4, stripe_blocks = 16 }

return {
  trials = 2000,
  runs = 10,
  duration_s = 8,
  crash_from_s = 1,
  device = presets.sata_7200 { model = "raid" },
  raid = presets.megaraid_bbu(array),
  fs = { barrier = p.barrier, commit_s = 5 },
  workload = { kind = "smallfiles", file_kb = 8, fsync = true, live_files = 64, dirs = 4, think_us = 200 },
  cases = {
    { name = "volatile-member-failure", raid = { backing = "none", failed_member = p.failed_member } },
    { name = "nvcache-member-failure", raid = { failed_member = p.failed_member } },
    { name = "volatile-resync", raid = { backing = "none" } },
  },
  expect = function(c)
    if c.name == "volatile-member-failure" then return end
    if c.name == "volatile-resync" and not p.barrier then return end
    sim.expect(c.outcomes.corrupt + c.outcomes.unmountable == 0, c.name .. ": a cut corrupted the file system")
    sim.expect(c.outcomes.lost_fsync + c.outcomes.stale_data == 0, c.name .. ": a cut lost fsynced data")
  end,
}

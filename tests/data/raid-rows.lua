-- RAID controller rows for tests/test-raid.c (SEMANTICS §5.4 R1-R4, §6 H4,
-- H9, H11). Each case: 2000 sampled cuts over 2 runs of 4 s, the small-file
-- fsync workload on a RAID of 7200 rpm SATA disks behind presets.megaraid_bbu
-- (battery-backed 1 GiB write-back cache, member caches off, flush = drain)
-- unless the case says otherwise.
--
--   r1-nobarrier / r1-barrier   BBU + member caches off: safe either way (R1, H4);
--                               advertised write-through: no flush reaches it (H9, B1)
--   r1-raid10-nobarrier         the same over RAID-10 (4 disks)
--   r1-raid0-nobarrier          the same over RAID-0 (3 disks)
--   high-end-nobarrier          presets.high_end_array: always safe (H11)
--   r2-ack-barrier              member caches on, FLUSH acked from NVRAM: loses with barriers (R2)
--   r2-ack-nobarrier            the same, barriers off (R2)
--   r2-drain-barrier            member caches on, FLUSH/FUA drained to member media: safe
--   r3-nobarrier / r3-barrier   forced write-back, no battery (R3): barriers needed and sufficient
--   r4-outage-nobarrier         BBU, outage 100 h > hold 72 h: the cache is lost (R4, H10)
--   r6-write-through-nobarrier  the controller in write-through (as during a battery learn
--                               cycle), member caches off: same outcomes as R1, only slower (R6)
--   r4-outage-barrier           the same with barriers on: the controller still advertises
--                               write-through (it cannot know the outage length), so
--                               barriers change nothing
--   r5-bbu-append-barrier       RAID-5 (4 disks, 4 KiB stripe unit) behind the BBU, an fsync'd
--                               append log: each append rewrites the log's last block in place,
--                               so writes of one block race in the controller (the row lock)
--   r5-forced-wb-barrier        RAID-5 behind a volatile controller cache, barriers on: safe
--   r5-members-on-drain-barrier RAID-5, member caches on, flushes drained, barriers on: safe
--   bare-sata-barrier / -nobarrier  one of the member disks alone (its 64 MiB cache on):
--                               what barriers cost without a controller (issue 3 part 8)
--
--   powercut run tests/data/raid-rows.lua
local presets = require "presets"

return {
  trials = 2000,
  runs = 2,
  duration_s = 4,
  crash_from_s = 1,
  device = presets.sata_7200 { model = "raid" },
  raid = presets.megaraid_bbu {},
  fs = { barrier = false, commit_s = 5 },
  workload = { kind = "smallfiles", file_kb = 8, fsync = true, live_files = 64, dirs = 4, think_us = 200 },
  cases = {
    { name = "r1-nobarrier" },
    { name = "r1-barrier", fs = { barrier = true } },
    { name = "r1-raid10-nobarrier", raid = { level = 10, disks = 4 } },
    { name = "r1-raid0-nobarrier", raid = { level = 0, disks = 3 } },
    { name = "high-end-nobarrier", raid = presets.high_end_array {} },
    { name = "r2-ack-barrier", fs = { barrier = true }, raid = { member_cache = true, flush = "ack" } },
    { name = "r2-ack-nobarrier", raid = { member_cache = true, flush = "ack" } },
    { name = "r2-drain-barrier", fs = { barrier = true }, raid = { member_cache = true, flush = "drain" } },
    { name = "r3-nobarrier", raid = presets.megaraid_forced_wb {} },
    { name = "r3-barrier", fs = { barrier = true }, raid = presets.megaraid_forced_wb {} },
    { name = "r4-outage-nobarrier", raid = { outage_h = 100 } },
    { name = "r6-write-through-nobarrier", raid = { write_policy = "write-through" } },
    { name = "r4-outage-barrier", fs = { barrier = true }, raid = { outage_h = 100 } },
    { name = "r5-bbu-append-barrier", fs = { barrier = true }, raid = { level = 5, disks = 4, stripe_blocks = 1 },
      workload = { kind = "fsync_append", append_bytes = 6000, think_us = 1000 } },
    { name = "r5-forced-wb-barrier", fs = { barrier = true },
      raid = presets.megaraid_forced_wb { level = 5, disks = 4 } },
    { name = "r5-members-on-drain-barrier", fs = { barrier = true },
      raid = { level = 5, disks = 4, member_cache = true, flush = "drain" } },
    { name = "bare-sata-barrier", device = { model = "hdd" }, fs = { barrier = true } },
    { name = "bare-sata-nobarrier", device = { model = "hdd" } },
  },
}

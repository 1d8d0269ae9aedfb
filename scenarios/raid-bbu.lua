-- A battery-backed RAID controller: when can barriers be turned off?
--
-- A MegaRAID-style controller (presets.megaraid_bbu: RAID-1 of two 7200 rpm
-- SATA disks, 1 GiB write-back cache on a battery) under the small-file
-- fsync workload of scenarios/lying-disk.lua. The controller frees a cache
-- line as soon as the member drive acknowledges its write; how it treats a
-- host FLUSH is the parameter `flush` (default "ack": acknowledged from the
-- battery-backed cache without touching the members, as some vendors do,
-- SEMANTICS §5.2).
--
-- members-cache-off-nobarrier: battery + member caches off. The controller
--     advertises a write-through cache, so the kernel sends no flush at all
--     (B1); nothing volatile exists below the host, so no cut loses an
--     acknowledged write or corrupts the journal (R1, H4, H9). Checked by
--     `expect`.
-- members-cache-on-nobarrier: the members' 64 MiB caches are on. A line is
--     freed once a member acks it - into that member's volatile cache - so a
--     cut loses data the controller had made durable: the classic silent
--     corruption configuration (R2).
-- members-cache-on-barrier: the same with barriers on. With flush = "ack"
--     the host's flushes never reach the members, so fsync still loses data
--     (R2, H9's caveat). With --set flush=drain the controller drains its
--     cache and flushes the members on every FLUSH/FUA: safe, but every fsync
--     pays a trip to the platters ("eliminating much of the benefit of the
--     BBU", PostgreSQL docs), visible in fsyncs/s.
-- no-bbu-nobarrier: forced write-back without a battery
--     (presets.megaraid_forced_wb), member caches off: the controller cache is
--     a volatile cache at the array level (R3); with barriers off, fsync is
--     lost. (Barriers on would make it safe, since this controller honours
--     host flushes: --set barrier=true.)
--
-- Outage length: the battery holds 72 h; `--set outage_h=100` makes every
-- battery case lose the whole cache at restore (R4, H10).
--
--   powercut run scenarios/raid-bbu.lua
--   powercut run scenarios/raid-bbu.lua --set flush=drain
local presets = require "presets"

local p = sim.params {
  flush = "ack",          -- controller's handling of a host FLUSH: ack, drain
  outage_h = 0,           -- hours without power after the cut (battery holds 72)
  barrier = false,        -- barriers in the no-bbu case
}

return {
  trials = 2000,
  runs = 20,
  duration_s = 10,
  crash_from_s = 2,
  device = presets.sata_7200 { model = "raid" },
  raid = presets.megaraid_bbu { flush = p.flush, outage_h = p.outage_h },
  fs = { commit_s = 5 },
  workload = { kind = "smallfiles", file_kb = 8, fsync = true, live_files = 64, dirs = 4, think_us = 200 },
  cases = {
    { name = "members-cache-off-nobarrier", fs = { barrier = false } },
    { name = "members-cache-on-nobarrier", fs = { barrier = false }, raid = { member_cache = true } },
    { name = "members-cache-on-barrier", fs = { barrier = true }, raid = { member_cache = true } },
    { name = "no-bbu-nobarrier", fs = { barrier = p.barrier },
      raid = presets.megaraid_forced_wb { flush = p.flush, outage_h = p.outage_h } },
  },
  -- R1/H4/H9: a battery-backed cache with member caches off loses nothing,
  -- barriers or not (as long as the outage is shorter than the hold time).
  -- With flush = "drain", barriers make member caches safe too.
  expect = function(c)
    local safe = (c.name == "members-cache-off-nobarrier" and p.outage_h <= 72)
              or (c.name == "members-cache-on-barrier" and p.flush == "drain")
    if safe then
      sim.expect(c.outcomes.corrupt + c.outcomes.unmountable == 0, c.name .. ": a cut corrupted the file system")
      sim.expect(c.outcomes.lost_fsync + c.outcomes.stale_data == 0, c.name .. ": a cut lost fsynced data")
    end
  end,
}

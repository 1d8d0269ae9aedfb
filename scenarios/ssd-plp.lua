-- SSD power-loss protection: throughput and safety, with and without barriers.
--
-- The small-file fsync workload of scenarios/lying-disk.lua (create, write
-- 8 KiB, fsync, delete) on two SSDs of lua/presets.lua:
--
-- consumer-barrier-on:  presets.consumer_ssd, a SATA TLC SSD whose 64 MiB
--     DRAM buffer is volatile (no power-loss protection) and which honours
--     FLUSH and FUA. With barriers each fsync waits for its data and the
--     commit block to be programmed into NAND: safe (no lost fsync, no
--     corruption: SEMANTICS D1, E4, outcome matrix row 2), at the price of
--     a NAND program time or two per fsync. Checked by `expect`.
-- consumer-barrier-off: the same drive mounted nobarrier. fsync returns once
--     the data is in the volatile buffer, which the drive destages in its
--     own order (the die that is free soonest), so a cut loses acknowledged
--     fsyncs and can leave a commit block in NAND without the body it seals
--     (J4, E6, matrix row 5). Nothing is drawn at random when the cut is
--     judged: what is lost is what was still in the buffer.
-- plp-barrier-on:       presets.enterprise_ssd with plp_report = "cache": hold-up
--     capacitors make the buffer non-volatile, so a write is durable as soon
--     as it is inside the drive; the drive still reports a cache, and a
--     FLUSH is acknowledged at once. Safe (D4), and flushes cost almost
--     nothing.
-- plp-barrier-off:      the same drive mounted nobarrier: still safe (D4, H4,
--     matrix row 4) - with PLP, barriers can be dropped. (With the preset's
--     own plp_report = "no-cache" the kernel would not send a single flush
--     even with barriers on, D5/B1: --set plp_report=no-cache.)
--
-- Checked by `expect`: zero corrupt/unmountable and zero lost fsync in
-- every case but consumer-barrier-off, which must lose fsyncs; and PLP with
-- barriers on is at least as fast as the consumer drive with barriers on.
--
--   powercut run scenarios/ssd-plp.lua
--   powercut run scenarios/ssd-plp.lua --set plp_report=no-cache
local presets = require "presets"

local p = sim.params {
  plp_report = "cache",   -- what the PLP drive reports: cache (flushes acked at once) or no-cache (none sent)
  cache_mb = 64,          -- consumer SSD DRAM write buffer, MiB
}

local workload = { kind = "smallfiles", file_kb = 8, fsync = true, live_files = 64, dirs = 4, think_us = 200 }
local consumer = presets.consumer_ssd { cache_mb = p.cache_mb }
local plp = presets.enterprise_ssd { plp_report = p.plp_report }

local fsyncs = {}   -- fsyncs/s per case, for the throughput expectation

return {
  trials = 2000,
  runs = 20,
  duration_s = 6,
  crash_from_s = 1,
  fs = { commit_s = 5 },
  workload = workload,
  cases = {
    { name = "consumer-barrier-on", device = consumer, fs = { barrier = true } },
    { name = "consumer-barrier-off", device = consumer, fs = { barrier = false } },
    { name = "plp-barrier-on", device = plp, fs = { barrier = true } },
    { name = "plp-barrier-off", device = plp, fs = { barrier = false } },
  },
  expect = function(c)
    fsyncs[c.name] = c.fsyncs_per_s
    local bad = c.outcomes.corrupt + c.outcomes.unmountable
    if c.name == "consumer-barrier-off" then
      sim.expect(c.outcomes.lost_fsync + bad > 0,
                 "consumer SSD without barriers: expected lost fsyncs or corruption at some cut")
    else
      sim.expect(bad == 0, c.name .. ": a cut corrupted the file system")
      sim.expect(c.outcomes.lost_fsync + c.outcomes.stale_data == 0, c.name .. ": a cut lost fsynced data")
      sim.expect(c.p_inc == 0, c.name .. ": p_inc > 0")
    end
    if c.name == "plp-barrier-on" and fsyncs["consumer-barrier-on"] then
      sim.expect(c.fsyncs_per_s >= fsyncs["consumer-barrier-on"],
                 "PLP with barriers should be at least as fast as the consumer SSD with barriers")
    end
  end,
}

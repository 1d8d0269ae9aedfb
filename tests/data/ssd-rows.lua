-- The outcome matrix (SEMANTICS §10) on SSDs, for tests/test-ssd.c.
--
-- The small-file fsync workload on lua/presets.lua's SSDs:
--   honest-barrier-on          consumer SSD (volatile buffer, honest), barriers on: safe (row 2)
--   consumer-barrier-off       the same, nobarrier: may lose fsyncs / corrupt (row 5)
--   lying-barrier-on           lying_ssd (flush = "ignore"), barriers on: loses fsyncs (row 3, D3)
--   write-through-barrier-on   consumer SSD reported write-through, barriers on (last row, B4)
--   nofua-barrier-on           consumer SSD without FUA, barriers on: emulated by flushes, safe (B2)
--   nocache-barrier-off        consumer SSD without a buffer, nobarrier: safe (row 4, D4)
--   plp-cache-barrier-on/off   enterprise SSD, PLP, reports a cache: safe either way (rows 1, 4, D4)
--   plp-nocache-barrier-on     enterprise SSD, PLP, reports no cache: no flush sent, safe (D5, B1)
--   unserializable-barrier-on  consumer SSD with the FAST'13 unserializable-writes fault: not safe
--   flying-barrier-on          consumer SSD with the FAST'13 flying-writes fault: not safe
local presets = require "presets"

local consumer = presets.consumer_ssd { capacity_gb = 64 }
local plp = presets.enterprise_ssd { capacity_gb = 64 }
local plp_cache = presets.enterprise_ssd { capacity_gb = 64, plp_report = "cache" }

return {
  trials = 2000,
  runs = 4,
  duration_s = 1.5,
  crash_from_s = 0.3,
  fs = { commit_s = 5, barrier = true },
  workload = { kind = "smallfiles", file_kb = 8, fsync = true, live_files = 64, dirs = 4, think_us = 200 },
  device = consumer,
  cases = {
    { name = "honest-barrier-on" },
    { name = "consumer-barrier-off", fs = { barrier = false } },
    { name = "lying-barrier-on", device = { flush = "ignore" } },
    { name = "write-through-barrier-on", device = { report_cache = "write-through" } },
    { name = "nofua-barrier-on", device = { fua = false } },
    { name = "nocache-barrier-off", device = { cache_mb = 0 }, fs = { barrier = false } },
    { name = "plp-cache-barrier-on", device = plp_cache },
    { name = "plp-cache-barrier-off", device = plp_cache, fs = { barrier = false } },
    { name = "plp-nocache-barrier-on", device = plp },
    { name = "unserializable-barrier-on", device = { fault_unserializable = 8 } },
    { name = "flying-barrier-on", device = { fault_flying = true } },
  },
}

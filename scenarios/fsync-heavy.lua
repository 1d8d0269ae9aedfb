-- An fsync-heavy application (a database's write-ahead log) with barriers on and off.
--
-- Each thread appends a 4 KiB record to its log file and fsyncs it, over and
-- over - the seed's "applications that use fsync() heavily", which "will
-- likely run much slower" with barriers. With barriers on, every fsync waits
-- for a cache flush and a FUA commit block, so each returns only once the
-- record is on the platter (SEMANTICS E4, J2); with barriers off, fsync
-- returns as soon as the drive has the data in its volatile 64 MiB cache -
-- far faster, and a power cut loses records the application was told are
-- safe (E6), or leaves the journal replaying stale blocks (J4).
--
--   powercut run scenarios/fsync-heavy.lua
--   powercut run scenarios/fsync-heavy.lua --set threads=4 --set record_bytes=512
local presets = require "presets"

local p = sim.params {
  threads = 2,            -- application threads, each with its own log
  record_bytes = 4096,    -- bytes per append
  cache_mb = 64,          -- drive write cache, MiB
}

return {
  trials = 2000,
  runs = 20,
  duration_s = 10,
  crash_from_s = 1,
  device = presets.sata_7200 { cache_mb = p.cache_mb },
  fs = { barrier = true, commit_s = 5 },
  workload = { kind = "fsync_append", threads = p.threads, append_bytes = p.record_bytes,
               log_mb = 16, dirs = 2, think_us = 100 },
  cases = {
    { name = "barrier-on",  fs = { barrier = true } },
    { name = "barrier-off", fs = { barrier = false } },
  },
}

-- Barriers on vs off on a 7200 rpm SATA disk with a 64 MiB volatile write cache.
--
-- The workload creates, writes (8 KiB), fsyncs and deletes many small files
-- under an ext4-style journaling file system (data=ordered, commit every 5 s)
-- - the seed's "applications that create and delete many small files".
--
-- barrier-on:  every journal commit is written with PREFLUSH+FUA and fsync
--              flushes the drive's cache: no power cut may leave the file
--              system corrupt or lose an acknowledged fsync (SEMANTICS J1, J2, E4).
-- barrier-off: the commit is a plain write; the drive acknowledges it from
--              its cache and destages in its own (SATF) order, so the commit
--              block can reach the platter before the journal body it seals,
--              and fsync returns before anything is durable (J4, E6).
--              Expect corruption and lost fsyncs - and higher throughput.
--
--   powercut run scenarios/barriers.lua
--   powercut run scenarios/barriers.lua --set cache_mb=32 --set policy=random
local presets = require "presets"

local p = sim.params {
  cache_mb = 64,          -- drive write cache, MiB (0 = write-through)
  policy = "satf",        -- destage order: fifo, clook, satf, random
}

return {
  trials = 2000,
  runs = 20,
  duration_s = 12,
  crash_from_s = 2,
  device = presets.sata_7200 { cache_mb = p.cache_mb, policy = p.policy },
  fs = { barrier = true, commit_s = 5 },
  -- think_us: the application's own work per operation (200 us: a busy but not
  -- disk-saturating writer, so the drive cache holds a handful of transactions).
  workload = { kind = "smallfiles", file_kb = 8, fsync = true, live_files = 64, dirs = 4, think_us = 200 },
  cases = {
    { name = "barrier-on",  fs = { barrier = true } },
    { name = "barrier-off", fs = { barrier = false } },
  },
  -- What the kernel promises (SEMANTICS J1, J2, E4): with barriers on and an
  -- honest drive, no cut may corrupt the file system or lose an fsync.
  -- A failed expectation makes `powercut run` exit with status 3.
  expect = function(c)
    if c.params["fs.barrier"] then
      sim.expect(c.outcomes.corrupt + c.outcomes.unmountable == 0, "barriers on, yet a cut corrupted the file system")
      sim.expect(c.outcomes.lost_fsync + c.outcomes.stale_data == 0, "barriers on, yet a cut lost fsynced data")
      sim.expect(c.p_inc == 0, "barriers on, yet p_inc > 0")
    end
  end,
}

-- A lying disk: barriers on, yet fsync loses data and the journal corrupts.
--
-- Both cases mount the ext4-style journal with barriers on (barrier=1) on a
-- 7200 rpm SATA disk with a 64 MiB volatile write cache, under the small-file
-- workload of scenarios/barriers.lua (create, write 8 KiB, fsync, delete).
-- The host does everything right: each journal commit is written with
-- PREFLUSH+FUA after its body completed, and fsync flushes the drive cache.
--
-- honest: the drive honours FLUSH and FUA, so no power cut may lose an
--         acknowledged fsync or corrupt the file system (SEMANTICS J1, J2,
--         E4, outcome matrix row 2). Checked by `expect` below.
-- lying:  the drive's firmware acknowledges FLUSH at once and FUA writes
--         from its cache (device.flush = "ignore"; the same happens to a VM
--         whose disk uses QEMU cache=unsafe, see presets.virtual_disk_unsafe).
--         It still reports a volatile cache with FUA, so the kernel keeps
--         sending flushes - that do nothing. fsync returns while the data is
--         only in the cache, and the drive destages in its own (SATF) order,
--         so a cut loses acknowledged fsyncs and can leave a commit block on
--         the platter without the body it seals: barriers cannot help when
--         the device lies (SEMANTICS D3, outcome matrix row 3). Nothing is
--         drawn at random: what is lost is what is still dirty at the cut.
--
-- The tell is the speed: an honest 7200 rpm disk turns 120 times a second
-- and does about 50 fsyncs/s here; the lying one "does" about 1000/s. Test
-- real drives for this with a power-cut tool such as diskchecker.pl (named
-- by the PostgreSQL manual) before trusting their flushes.
--
--   powercut run scenarios/lying-disk.lua
--   powercut run scenarios/lying-disk.lua --set policy=random --set cache_mb=32
local presets = require "presets"

local p = sim.params {
  cache_mb = 64,          -- drive write cache, MiB
  policy = "satf",        -- destage order: fifo, clook, satf, random
}

return {
  trials = 2000,
  runs = 20,
  duration_s = 12,
  crash_from_s = 2,
  device = presets.sata_7200 { cache_mb = p.cache_mb, policy = p.policy },
  fs = { barrier = true, commit_s = 5 },
  workload = { kind = "smallfiles", file_kb = 8, fsync = true, live_files = 64, dirs = 4, think_us = 200 },
  cases = {
    { name = "honest", device = { flush = "honest" } },
    { name = "lying",  device = { flush = "ignore" } },
  },
  -- With an honest drive and barriers on, no cut may corrupt the file system
  -- or lose an fsync (J1, J2, E4). A failed expectation makes `powercut run`
  -- exit with status 3.
  expect = function(c)
    if c.params["device.flush"] == "honest" then
      sim.expect(c.outcomes.corrupt + c.outcomes.unmountable == 0, "honest drive, barriers on, yet a cut corrupted the file system")
      sim.expect(c.outcomes.lost_fsync + c.outcomes.stale_data == 0, "honest drive, barriers on, yet a cut lost fsynced data")
      sim.expect(c.p_inc == 0, "honest drive, barriers on, yet p_inc > 0")
    end
  end,
}

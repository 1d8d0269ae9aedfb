-- Is "write a temporary file, fsync it, rename it over the original" atomic on this stack?
--
-- Each application thread saves versions of a 16 KiB document: create
-- dK/docT.tmpN, write it, fsync it (or not), rename it over dK/docT, fsync
-- the directory. After every power cut the application reads its document
-- back and the cut is classed, for the application, as
--   new          - the document is the version whose rename was issued last,
--   old          - it is an earlier complete version,
--   inconsistent - it is missing, zero-length or holds blocks never written to it.
-- The JSON reports these as "app": {"old", "new", "inconsistent"} beside the
-- file-system outcomes.
--
-- fsync-barrier-on:   the safe recipe on an honest stack: never inconsistent.
-- fsync-barrier-off:  the same recipe without barriers: the drive reorders its
--                     cache, so even a fully fsynced save can come back broken.
-- nofsync-barrier-on: no fsync of the temporary file. With data=ordered the
--                     rename's commit writes the new data first, so the save
--                     stays atomic (old or new) - the guarantee ext4 gives with
--                     auto_da_alloc; with fs.data = "writeback" it does not:
--                     try --set fs.data=writeback --case nofsync-barrier-on.
--
--   powercut run scenarios/atomic-save.lua
local presets = require "presets"

local p = sim.params {
  doc_kb = 16,            -- document size, KiB
  threads = 2,            -- documents saved concurrently, one per thread
}

return {
  trials = 2000,
  runs = 20,
  duration_s = 8,
  crash_from_s = 1,
  device = presets.sata_7200 { cache_mb = 64 },
  fs = { barrier = true },
  workload = { kind = "atomic_save", file_kb = p.doc_kb, threads = p.threads, dirs = 2,
               fsync = true, dir_fsync = true, think_us = 500 },
  cases = {
    { name = "fsync-barrier-on",   fs = { barrier = true } },
    { name = "fsync-barrier-off",  fs = { barrier = false } },
    { name = "nofsync-barrier-on", fs = { barrier = true }, workload = { fsync = false } },
  },
  expect = function(c)
    if c.params["fs.barrier"] and c.params["fs.data"] ~= "writeback" then
      sim.expect(c.app.inconsistent == 0, "an atomic save came back inconsistent on an honest stack")
    end
  end,
}

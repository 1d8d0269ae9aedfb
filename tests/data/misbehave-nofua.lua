-- Block-layer FUA emulation (SEMANTICS B2): a drive with a volatile cache
-- that does not support FUA (fua = false), journal mounted with barrier=1.
-- Outcome matrix row "barriers on | volatile | honours flush": fsync durable
-- = yes, file system consistent = yes.
--
-- The drive reports a volatile cache but no FUA, so the block layer sends
-- each FUA write (the journal commit) as a plain write followed by a
-- POSTFLUSH, and completes it only after that flush. The guarantees must be
-- exactly those of native FUA: zero corrupt, zero lost fsyncs, zero stale
-- data, p_inc exactly 0 - for every destage order - while the drive receives
-- no FUA write and about one more flush per commit.
--
--   nofua          SATF destage order, small files with fsync
--   nofua-random   random order among the oldest 32
--   nofua-append   an fsync'd append log, random order
--   nofua-ckpt     1 MiB journal: checkpoints, tail moves, wrap-around
--   fua            reference: the same drive with native FUA
--
--   powercut run tests/data/misbehave-nofua.lua
local presets = require "presets"

local smallfiles = { kind = "smallfiles", file_kb = 8, fsync = true, live_files = 64, dirs = 4, think_us = 200 }
local append = { kind = "fsync_append", append_bytes = 4096, log_mb = 1, think_us = 200 }
local ckpt = { journal_mb = 1, dirty_expire_s = 0.2, writeback_s = 0.1, commit_s = 1 }

return {
  trials = 2000,
  runs = 8,
  duration_s = 4,
  crash_from_s = 1,
  device = presets.sata_7200 { cache_mb = 64, window = 32, fua = false },
  fs = { barrier = true, commit_s = 5 },
  workload = smallfiles,
  cases = {
    { name = "nofua" },
    { name = "nofua-random", device = { policy = "random" } },
    { name = "nofua-append", device = { policy = "random" }, workload = append },
    { name = "nofua-ckpt", runs = 16, device = { policy = "random" }, fs = ckpt },
    { name = "fua", device = { fua = true } },
  },
}

-- journal_async_commit with barriers on, end to end (SEMANTICS §1.2 steps 7
-- and 9, J7). The commit record is written together with the transaction's
-- body, without waiting for it, and a flush follows its completion; fsync
-- returns only after that flush.
--
-- The 7200 rpm SATA disk with a 64 MiB volatile cache, random destage order
-- (so the commit record often lands before the body it seals), under small
-- files with fsync. ext4 refuses journal_async_commit with data=ordered, so
-- the cases use data=journal and data=writeback; journal_async_commit implies
-- journal_checksum (v1).
--
--   v1-journal    J7: fsync is durable on return (lost_fsync = 0); a cut
--                 between the commit record landing and the flush leaves a
--                 torn last transaction, which the v1 commit crc discards:
--                 a clean loss of that transaction, never a replay of stale
--                 log blocks (corrupt = unmountable = 0). The next
--                 transaction's log is written only after the flush, so a
--                 bad transaction is never followed by a valid commit (no
--                 "transaction N is corrupt"). data=journal: the data is in
--                 the transaction, so stale_data = 0 too.
--   v1-writeback  the same for the file system (J7); data=writeback without
--                 the commit's PREFLUSH no longer orders the file's data
--                 before its commit: stale data may show (E2), fsync still
--                 holds.
--   v3-journal    v3 checks the tags only in the replay pass: the torn last
--                 transaction fails recovery (unmountable), fsync holds.
--
--   powercut run tests/data/journal-async.lua
local presets = require "presets"

return {
  trials = 2000,
  runs = 16,
  duration_s = 3,
  crash_from_s = 0.5,
  device = presets.sata_7200 { cache_mb = 64, policy = "random", window = 32 },
  fs = { barrier = true, async_commit = true, journal_csum = "v1", data = "journal" },
  workload = { kind = "smallfiles", file_kb = 8, fsync = true, live_files = 64, dirs = 4, think_us = 200 },
  cases = {
    { name = "v1-journal" },
    { name = "v1-writeback", fs = { data = "writeback" } },
    { name = "v3-journal", fs = { journal_csum = "v3" } },
  },
}

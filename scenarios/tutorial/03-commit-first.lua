-- Tutorial 3: why the commit block can reach the platter before the body it seals.
--
-- For the student. jbd2 writes a transaction's descriptor and block copies,
-- WAITS until the drive says they are done, and only then writes the commit
-- block (SEMANTICS §1.2). That wait orders *completions*. But with barriers
-- off (barrier=0) and a volatile cache, "done" only means "in the cache":
-- the drive then writes its cache to the platter in any order it likes (here
-- policy = "random", the most adversarial honest drive). If the commit block
-- lands and a body block does not, recovery finds a complete-looking
-- transaction and copies whatever sits in that log slot - an old block from
-- an earlier lap of the log - into a home location (SEMANTICS J4a).
--
--   no-checksum: journal_csum = "none": replay copies the stale block home;
--                fsck finds the wrong kind of block there (corrupt).
--   checksum-v3: journal_csum = "v3" (ext4 with metadata_csum): every tag
--                carries a checksum of its block, replay notices the stale
--                block and the mount is refused (unmountable) - detected,
--                not repaired.
--
--   ./powercut run scenarios/tutorial/03-commit-first.lua
--   ./powercut explain scenarios/tutorial/03-commit-first.lua --case no-checksum --first corrupt
--   ./powercut explain scenarios/tutorial/03-commit-first.lua --case checksum-v3 --first unmountable
--   ./powercut explain scenarios/tutorial/03-commit-first.lua --case no-checksum --first corrupt --plot commit-first.png
-- In the explanation, find the commit block of the transaction named under
-- "Why": it is "on media"; the journal block of the same transaction that
-- replay used is "in the drive cache". In the plot, the commit's bar reaches
-- the media lane while an earlier write of its transaction never does.
local presets = require "presets"

return {
  trials = 400, runs = 4, duration_s = 6, crash_from_s = 1,
  device = presets.sata_7200 { cache_mb = 64, policy = "random" },
  fs = { barrier = false, commit_s = 5 },
  workload = { kind = "smallfiles", file_kb = 8, fsync = true, live_files = 64, dirs = 4, think_us = 3000 },
  cases = {
    { name = "no-checksum", fs = { journal_csum = "none" } },
    { name = "checksum-v3", fs = { journal_csum = "v3" } },
  },
}

-- journal_async_commit with data=ordered (ext4's default data mode): ext4
-- refuses to mount it ("can't mount with journal_async_commit in
-- data=ordered mode", fs/ext4/super.c; SEMANTICS §2.1), and powercut refuses
-- to load it with the same reason. tests/test-journal.c checks the error.
local presets = require "presets"

return {
  trials = 10,
  runs = 1,
  duration_s = 1,
  crash_from_s = 0.5,
  device = presets.sata_7200 {},
  fs = { barrier = true, async_commit = true },
  workload = { kind = "smallfiles" },
  cases = { { name = "refused" } },
}

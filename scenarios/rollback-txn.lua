-- A database updated in place under a rollback journal (SQLite's DELETE mode): safe only with barriers.
--
-- Each thread keeps a 64 KiB database. A transaction writes the original
-- images of the pages it will change into dK/dbT-journal, fsyncs it,
-- overwrites the pages in the database, fsyncs the database and deletes the
-- journal - the commit point. After a cut the application opens the database
-- as SQLite does: a journal that is present and complete is "hot" and rolled
-- back. The cut is then classed, for the application, as
--   new          - the last committed state (or the one being committed),
--   old          - an earlier committed state: committed transactions lost,
--   inconsistent - a mixture of pages that is no committed state.
--
-- barrier-on:  the journal is durable before any page is overwritten and the
--              pages before the journal is deleted: never inconsistent.
--              Like SQLite's synchronous=FULL, the journal's deletion is not
--              synced, so a cut just after a commit may still roll it back
--              ("old"); barrier-on-extra syncs the directory after it
--              (synchronous=EXTRA) and loses no committed transaction.
-- barrier-off: the drive may land the database pages before the journal
--              that protects them, or the deletion before the pages: some
--              cuts leave a torn transaction that nothing can roll back.
--
--   powercut run scenarios/rollback-txn.lua
local presets = require "presets"

local p = sim.params {
  db_kb = 64,             -- database size, KiB (4 KiB pages)
  pages = 4,              -- pages each transaction changes
}

return {
  trials = 2000,
  runs = 20,
  duration_s = 6,
  crash_from_s = 1,
  device = presets.sata_7200 {},
  fs = { barrier = true },
  workload = { kind = "rollback_txn", file_kb = p.db_kb, txn_pages = p.pages, threads = 2, dirs = 2,
               think_us = 300 },
  cases = {
    { name = "barrier-on",  fs = { barrier = true } },
    { name = "barrier-off", fs = { barrier = false } },
    { name = "barrier-on-extra", fs = { barrier = true }, workload = { dir_fsync = true } },
  },
  expect = function(c)
    if c.params["fs.barrier"] then
      sim.expect(c.app.inconsistent == 0, "a transaction came back torn with barriers on")
      sim.expect(c.outcomes.corrupt + c.outcomes.unmountable + c.outcomes.lost_fsync == 0,
                 "barriers on, yet the file system lost or corrupted data")
    end
    if c.params["fs.barrier"] and c.params["workload.dir_fsync"] then
      sim.expect(c.app.old == 0, "synchronous=EXTRA, yet a committed transaction was rolled back")
    end
  end,
}

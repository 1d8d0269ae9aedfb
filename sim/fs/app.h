/* sim/fs/app.h - application-level outcomes: what the application sees
 * after a cut, judged against what it believes it saved.
 *
 * atomic_save: each thread saves versions 1, 2, ... of document dK/docT by
 * writing a temporary file, optionally fsyncing it, renaming it over the
 * document and optionally fsyncing the directory. After a cut the document
 * must be one complete version: `new` if it is the latest version whose
 * rename the application issued, `old` if an earlier one (or no document
 * before the first save), `inconsistent` otherwise (missing, zero-length,
 * or a block that does not hold the version's data).
 *
 * wal_append: each thread appends records of append_bytes to dK/walT and
 * fsyncs after each one (a write-ahead log's commit). The log is read back
 * as its longest prefix of intact records: `new` if it holds every record
 * whose fsync returned, `old` if it stops earlier or is missing
 * (acknowledged commits lost, but what remains is a clean prefix),
 * `inconsistent` if a record beyond the prefix is intact while an earlier
 * one is not (the drive persisted a later commit before an earlier one:
 * without per-record checksums replay would cross the gap). Records are
 * judged by the block holding their last byte, so append_bytes should not
 * exceed a block.
 */
#pragma once
#include "fs.h"
#include "workload.h"

typedef enum { SIM_APP_OLD, SIM_APP_NEW, SIM_APP_INCONSISTENT, SIM_APP_N } SimAppOutcome;
const char *sim_app_outcome_name(SimAppOutcome o);

/* A file as the recovered image shows it: data block tokens resolved. */
typedef struct {
    guint32 ino, igen;
    guint64 size;
    GArray *blocks;            /* const SimVer * per file block (NULL: hole or torn) */
} SimFileView;
/* Look up dir_ino/name in the recovered image; FALSE if there is no entry. */
typedef gboolean (*SimFileReader)(gpointer ud, guint32 dir_ino, guint32 name, SimFileView *out);

typedef struct SimApp SimApp;
/* NULL unless cfg->kind is an application workload. */
SimApp *sim_app_new(SimFs *fs, const SimWorkloadCfg *cfg);
void    sim_app_free(SimApp *app);
/* An operation of `thread` completed with `ret` (0 ok). */
void    sim_app_op_done(SimApp *app, guint thread, const SimOp *op, int ret);
/* Called when what the application believes changes. */
void    sim_app_set_hook(SimApp *app, SimFsHook fn, gpointer ud);
SimAppOutcome sim_app_judge(SimApp *app, SimFileReader rd, gpointer ud, GString *reason);
/* The built-in generator of application workloads. */
void    sim_app_generate(const SimWorkloadCfg *cfg, guint thread, guint64 iteration, GArray *ops);

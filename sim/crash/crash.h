/* sim/crash/crash.h - what a power cut leaves: recovery (jbd2 replay) on the
 * durable image, an fsck-style check, the fsync oracle, and the piecewise
 * record of outcomes over a run (DESIGN §5).
 *
 * A cut at instant t loses every volatile cache and every media write not
 * finished at t; what remains is exactly the device's SimMedia at t. The
 * outcome changes only when the media changes or when the fsync promises
 * change, so the evaluator re-judges at those instants and records a
 * piecewise-constant outcome: exact p_inc, and any number of sampled cuts
 * answered by lookup, never by re-simulating.
 */
#pragma once
#include "../fs/fs.h"
#include "../report/report.h"

/* ---- recovery ---------------------------------------------------------- */
typedef struct {
    guint32 home;              /* home block */
    SimToken tok;              /* what replay writes there: whatever sits in the log */
    SimToken intended;         /* what the transaction meant to write (for explanations) */
    guint32 tid, pos;          /* transaction, log position */
} SimReplay;

typedef struct {
    gboolean clean;            /* s_start == 0: nothing to replay */
    gboolean refused;          /* recovery refuses (unmountable) */
    gboolean refused_jsb;      /* ... because of the journal superblock itself */
    char     why[160];         /* refusal, or why the scan stopped */
    guint32  start, sequence;  /* from the journal superblock */
    guint32  first_tid, last_tid;  /* transactions replayed: [first_tid, last_tid], none if last < first */
    guint32  stop_pos;         /* first position that ended the log */
    GArray  *replay;           /* SimReplay, sorted by home, last writer only */
    /* what the scan read, so a later change can be applied incrementally */
    guint32  npos;             /* log positions 1..npos */
    guint8  *mark;             /* per position: how the result depends on it (0: not at all) */
    guint32 *copy_home;        /* per tagged-copy position: its home block */
    GArray  *open;             /* positions read past the last complete transaction */
    guint32  resume_pos, resume_tid;
    gboolean has_revokes;
} SimRecovery;

void     sim_recovery_init(SimRecovery *r);
void     sim_recovery_clear(SimRecovery *r);
/* jbd2_journal_recover on the media: SCAN (sequence numbers, descriptors,
 * commit blocks), REVOKE, REPLAY. Stops at the first missing commit (J5). */
void     sim_recover(const SimFsLayout *L, const SimContent *C, const SimMedia *m, SimRecovery *r);
/* The log position `pos` changed on the media: bring r up to date, doing
 * as little as the change requires. FALSE when the result cannot have changed. */
gboolean sim_recover_update(const SimFsLayout *L, const SimContent *C, const SimMedia *m, SimRecovery *r,
                            guint32 pos);
/* Whether the last recovery read log position pos. */
gboolean sim_recovery_relevant(const SimRecovery *r, guint32 pos);
/* The recovered image: replayed blocks over the media. */
SimToken sim_recovery_get(const SimRecovery *r, const SimMedia *m, guint64 block);
const SimReplay *sim_recovery_find(const SimRecovery *r, guint64 block);

/* ---- check ------------------------------------------------------------ */
typedef struct SimChecker SimChecker;
SimChecker *sim_checker_new(const SimFs *fs);
void        sim_checker_free(SimChecker *c);
/* Recover and check the durable image against the promises in force.
 * reason (nullable) receives one line for a non-consistent outcome. */
SimOutcome  sim_check_image(SimChecker *c, const SimMedia *m, GPtrArray *promises, GString *reason);
/* Content passes only (stale data, promises), reusing the structural
 * verdict of the last sim_check_recovered on the same recovery. */
SimOutcome  sim_check_content(SimChecker *c, const SimMedia *m, const SimRecovery *r, GPtrArray *promises,
                              GString *reason);
/* The promises only, reusing the structural and data verdicts of the last
 * check: for when the promises changed and the recovered image did not. */
SimOutcome  sim_check_promises(SimChecker *c, const SimMedia *m, const SimRecovery *r, GPtrArray *promises,
                               GString *reason);
/* What a block is to the last checked image: 0 referenced by no inode,
 * 1 data of a file, 2 a directory block. */
int         sim_checker_block_role(const SimChecker *c, guint64 block);
/* The same on a recovery already done. */
SimOutcome  sim_check_recovered(SimChecker *c, const SimMedia *m, const SimRecovery *r, GPtrArray *promises,
                                GString *reason);

/* The application's view of the last checked image (after sim_check_recovered). */
typedef struct SimApp SimApp;
int         sim_check_app(SimChecker *c, const SimMedia *m, const SimRecovery *r, SimApp *app, GString *reason);

/* ---- the piecewise record of a run -------------------------------------- */
typedef struct SimCrashEval SimCrashEval;
/* Listens to the media and to the fs oracle from `from` on. */
SimCrashEval *sim_crash_eval_new(SimWorld *w, SimFs *fs, SimMedia *m, SimTime from);
void          sim_crash_eval_free(SimCrashEval *e);
void          sim_crash_eval_finish(SimCrashEval *e, SimTime end);
/* Outcome of a cut at t in [from, end); reason is NULL for consistent. */
SimOutcome    sim_crash_eval_at(const SimCrashEval *e, SimTime t, const char **reason);
/* Time-weighted fraction of [from, end) for each outcome. */
void          sim_crash_eval_fractions(const SimCrashEval *e, double frac[SIM_OUT_N]);
/* Judge the application's outcome too (re-judged when it changes). */
void          sim_crash_eval_set_app(SimCrashEval *e, SimApp *app);
/* The application outcome of a cut at t (SimAppOutcome), -1 without one. */
int           sim_crash_eval_app_at(const SimCrashEval *e, SimTime t);
guint64       sim_crash_eval_count(const SimCrashEval *e);    /* evaluations done */
guint64       sim_crash_eval_skipped(const SimCrashEval *e);  /* changes proven irrelevant */

/* sim/crash/states.h - every crash state an honest device could leave at a
 * cut (DESIGN §5, the adversarial view), shared by `run --crash-states
 * exhaustive`, `explain --witness` and `quiz`.
 *
 * What an honest device may do (SEMANTICS D1, D2, B3, T1/T2), per 4 KiB block:
 *  - a write that completed with FUA, or completed before a flush was
 *    *issued* that itself completed before the cut, is durable (forced);
 *  - every other write that reached the device (completed, or in flight)
 *    may or may not be durable, independently of the other blocks: caches
 *    destage in any order (D2), a flush covers only writes completed before
 *    it was issued (B3), and a multi-block write in flight may land any
 *    subset of its blocks (T2, the SSD case; each block is atomic, T1);
 *  - writes of one block stay in order: the block holds either its "base"
 *    (the newest version that is forced or already on media) or its latest
 *    version - a later write is never durable under an older one.
 *    Intermediate versions between those two are not enumerated.
 *  - writes still in the host queue never reached the device: never durable.
 * A "free" write is a pending block whose latest version is not forced;
 * with n free writes there are 2^n states. Beyond max_free they are sampled.
 */
#pragma once
#include "crash.h"
#include "../core/sim.h"

/* One block whose durable content at the cut is not yet decided. */
typedef struct {
    guint64  block;
    SimToken tok;        /* its latest version at the device */
    SimToken base;       /* what the block holds if that version is lost */
    gboolean forced;     /* the latest version is durable on an honest device (D1) */
    gboolean data;       /* a data block (sampled after journal and metadata) */
    guint64  order;      /* issue order of the latest version (smaller: older) */
} SimPendWrite;

/* Free writes that matter most first: journal and metadata before data,
 * oldest first, then by block. Forced writes may sit anywhere. */
gint sim_pend_cmp(gconstpointer a, gconstpointer b);

/* A state: bit i of mask = the i-th free write of pend (in array order) is
 * durable (only the first 64 free writes can vary). Returns its outcome,
 * reason (nullable) gets one line for a non-consistent one. */
typedef SimOutcome (*SimStateJudge)(gpointer ud, const GArray *pend, guint64 mask, GString *reason);

typedef struct {
    guint      nforced, nfree;
    gboolean   sampled;          /* more than max_free free writes: a sample */
    guint64    states;           /* states judged */
    guint64    counts[SIM_OUT_N];
    gboolean   have_witness;     /* a corrupt or unmountable state was found */
    guint64    witness_mask;     /* a smallest one (enumerated), a minimal one (sampled) */
    SimOutcome witness_outcome;
    GString   *witness_reason;
} SimCrashStates;

#define SIM_STATES_MAX_PENDING 20        /* the largest --max-pending (2^20 states per cut) */

/* Judge every state (n free <= max_free: all 2^n, by number of durable free
 * writes, so the first corrupt one found is a smallest), or `samples` states
 * drawn from rng (each of the first 64 free writes durable with p = 1/2),
 * then shrink the witness until no durable free write can be dropped.
 * pend is in the caller's order (sim_pend_cmp for the sampling priority). */
void sim_crash_states_run(SimCrashStates *cs, const GArray *pend, guint max_free, guint samples, SimRng *rng,
                          SimStateJudge judge, gpointer ud);
void sim_crash_states_clear(SimCrashStates *cs);
/* Add the states judged at one cut (run, trial, instant t) to a summary:
 * counts, and the cut's witness when it is smaller than the summary's (ties:
 * the lower run, then trial). `where` (nullable) prefixes its reason. */
void sim_crash_states_summary_add(SimCrashStatesSummary *sum, const SimCrashStates *st, guint run, guint64 trial,
                                  SimTime t, const char *where);
/* Whether the i-th element of pend is durable in state mask. */
gboolean sim_crash_states_durable(const GArray *pend, guint64 mask, guint i);

/* The judge of a real image: apply the state to the media (latest version
 * or base), recover and check it against the promises, restore the media. */
typedef struct {
    SimChecker *chk;
    SimMedia   *m;
    GPtrArray  *promises;
} SimMediaJudge;
SimOutcome sim_media_judge(gpointer ud, const GArray *pend, guint64 mask, GString *reason);

/* ---- the pending set: a tracker of what reached the device ------------------ */
typedef struct SimPendTrack SimPendTrack;
SimPendTrack *sim_pend_track_new(void);
void          sim_pend_track_free(SimPendTrack *t);
/* A write of n blocks was sent to the device at `now` (fua: with FUA);
 * returns its handle for _write_done. */
guint64       sim_pend_track_write(SimPendTrack *t, guint64 block, guint32 n, const SimToken *toks, gboolean fua,
                                   SimTime now);
void          sim_pend_track_write_done(SimPendTrack *t, guint64 handle, SimTime now);
/* A flush was sent at t_sub and completed at now. */
void          sim_pend_track_flush_done(SimPendTrack *t, SimTime t_sub, SimTime now);
/* Why the latest version of a block is (not) forced: 'F' FUA completed,
 * 'P' covered by a completed flush, 'C' completed but not covered,
 * 'I' in flight, 0 unknown block. */
char          sim_pend_track_why(const SimPendTrack *t, guint64 block);
/* The pending set at the current instant against the media's tokens
 * (media_get(ud, block)): SimPendWrite in block order, data = 0. Also
 * forgets versions that can no longer matter. (transfer full) */
GArray       *sim_pend_track_pending(SimPendTrack *t, SimToken (*media_get)(gconstpointer ud, guint64 block),
                                     gconstpointer ud);

/* A pass-through layer over `lower` (above the disk, below the block
 * layer) feeding a tracker; it schedules no events, so the history is
 * unchanged. The tracker belongs to the layer. */
SimBlkDev    *sim_pend_layer_new(SimWorld *w, SimBlkDev *lower);
SimPendTrack *sim_pend_layer_track(SimBlkDev *d);

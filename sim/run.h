/* sim/run.h - run every case of a scenario: independent simulated runs in
 * a thread pool, sampled power cuts answered from each run's piecewise
 * outcome record, aggregated in a fixed order (results do not depend on
 * --jobs). */
#pragma once
#include "script/script.h"
#include "report/report.h"

typedef struct {
    guint64  seed;
    guint    jobs;            /* worker threads, >= 1 */
    gint64   trials;          /* override of run.trials, or -1 */
    char   **cases;           /* only these case names (NULL-terminated), or NULL */
    gboolean progress;        /* progress bar with ETA on stderr */
    gboolean keep_trials;     /* keep every sampled trial (for --trials-csv) */
    gboolean exhaustive;      /* --crash-states exhaustive: every state an honest device could
                               * have left at each sampled cut (sim/crash/states.h) */
    guint    max_pending;     /* --max-pending: enumerate up to this many free writes per cut */
    guint    shard_k, shard_n;  /* --shard K/N: only the runs r with r % N == K - 1 of every
                                 * case, and the results carry "shard" and each case's
                                 * per-run data for `powercut merge`; shard_n = 0: all runs */
} SimRunOpts;

/* (transfer full) results, or NULL with error (a Lua workload failed). */
SimResults *sim_run_scenario(const SimScenario *sc, const SimRunOpts *o, GError **error);
/* The case's parameters as "params" of its result, prefixed ("device.cache_mb"). */
void sim_case_echo_params(SimCaseResult *cr, const SimSchema *s, gconstpointer cfg, const char *prefix);
/* Its device's: the drive's or the SSD's "device.*", and the controller's "raid.*". */
void sim_case_echo_device(SimCaseResult *cr, const SimCaseSpec *cs);
/* The same; with o->keep_trials, *trials_csv receives one CSV row per
 * sampled cut: case,run,trial,t_s,outcome,reason. */
SimResults *sim_run_scenario_trials(const SimScenario *sc, const SimRunOpts *o, GString **trials_csv, GError **error);

/* One simulated run of a case, kept for tests and the benchmark. */
typedef struct {
    guint64  trials, counts[SIM_OUT_N];
    gboolean has_app;
    guint64  app_counts[3];            /* SimAppOutcome: old, new, inconsistent */
    double   frac[SIM_OUT_N];          /* exact time fractions of each outcome */
    guint64  ops, bytes, fsyncs, errors, evals, skipped, events;
    GArray  *op_lat_ms, *fsync_lat_ms;
    SimDevStats dev;
    double   sim_seconds;
    GPtrArray *notes;                  /* SimTrialNote* (first few of each class) */
    GPtrArray *all;                    /* SimTrialNote* of every trial, when asked for */
    gboolean has_states;               /* --crash-states exhaustive: */
    SimCrashStatesSummary states;      /* this run's cuts (w_reason owned) */
    GError  *error;
} SimRunOut;

void sim_run_one(const SimScenario *sc, const SimCaseSpec *cs, guint64 seed, guint run, guint64 trials,
                 gboolean evaluate, SimRunOut *out);
void sim_run_out_clear(SimRunOut *o);
/* The same with --crash-states exhaustive at each sampled cut (max_pending
 * free writes enumerated, SIM_RUN_STATE_SAMPLES sampled beyond). The device
 * must be a single drive (not the RAID model). */
#define SIM_RUN_STATE_SAMPLES 256
void sim_run_one_states(const SimScenario *sc, const SimCaseSpec *cs, guint64 seed, guint run, guint64 trials,
                        guint max_pending, SimRunOut *out);

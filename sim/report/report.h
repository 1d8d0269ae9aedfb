/* sim/report/report.h - results of a run of a scenario, and their output as
 * a table, JSON and CSV (DESIGN §3), plus the statistics behind them. */
#pragma once
#include "../blk/blk.h"

typedef enum {
    SIM_OUT_CONSISTENT, SIM_OUT_LOST_FSYNC, SIM_OUT_STALE_DATA, SIM_OUT_CORRUPT,
    SIM_OUT_UNMOUNTABLE, SIM_OUT_N
} SimOutcome;
const char *sim_outcome_name(SimOutcome o);      /* "consistent", "lost_fsync", ... */

/* One effective parameter of a case, for the JSON/CSV echo. */
typedef enum { SIM_PV_NUMBER, SIM_PV_BOOL, SIM_PV_STRING } SimParamValueKind;
typedef struct { char *key; char *value; SimParamValueKind kind; } SimParamValue;

/* A non-consistent trial, with the one-line reason. */
typedef struct { guint run; guint64 trial; SimTime t; SimOutcome outcome; char *reason; } SimTrialNote;

typedef struct {
    char      *name;
    GArray    *params;                 /* SimParamValue, in schema order */
    guint      runs;
    guint64    trials;
    guint64    outcomes[SIM_OUT_N];
    /* per run (length runs): clusters for the CI */
    guint64   *run_trials, *run_corrupt, *run_lost;   /* corrupt = corrupt + unmountable */
    double    *run_pinc;
    double     p_inc;                  /* mean over runs */
    double     ops_per_s, mb_per_s, fsyncs_per_s;
    double     op_p50_ms, op_p99_ms, fsync_p50_ms, fsync_p99_ms;
    SimDevStats dev;                   /* summed over runs */
    double     sim_seconds;            /* summed over runs */
    GPtrArray *notes;                  /* SimTrialNote*, first few non-consistent trials */
    /* Application-level outcomes (DESIGN §3 "app"), only when has_app. */
    gboolean   has_app;
    guint64    app_old, app_new, app_inconsistent;
} SimCaseResult;

typedef struct {
    char      *version;
    char      *scenario;               /* path as given */
    guint64    seed;
    char      *shard;                  /* "K/N" or NULL */
    GPtrArray *cases;                  /* SimCaseResult* */
} SimResults;

/* A case with zeroed counts, empty params/notes and zeroed per-run arrays of
 * length `runs`. (transfer full) */
SimCaseResult *sim_case_result_new(const char *name, guint runs);
void           sim_case_result_free(SimCaseResult *c);          /* NULL-safe */
/* Append a parameter / a note; the strings are copied. reason is nullable. */
void           sim_case_result_add_param(SimCaseResult *c, const char *key,
                                         const char *value, SimParamValueKind kind);
void           sim_case_result_add_note(SimCaseResult *c, guint run, guint64 trial,
                                        SimTime t, SimOutcome outcome, const char *reason);
/* Empty results (version = POWERCUT_VERSION, no shard); cases owns its
 * elements. (transfer full) */
SimResults    *sim_results_new(const char *scenario, guint64 seed);
/* Frees every case (whether or not `cases` has a free function) and the
 * strings. NULL-safe. */
void           sim_results_free(SimResults *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimCaseResult, sim_case_result_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimResults, sim_results_free)

/* Rate of `x` over trials with a 95% CI that treats each run as a cluster:
 * Wilson score interval on the effective sample size n / deff, where deff is
 * the design effect from the between-run variance of the ratio estimator
 * (clamped to [1, N], so n_eff >= 1); deff = 1 when the rate is 0 or 1.
 * Precisely: N = Σn_r, p = Σx_r / N, R = runs with n_r > 0,
 *   V = R/(R-1) · Σ(x_r − p·n_r)² / N²   (R < 2: deff = 1),
 *   deff = clamp(V / (p(1−p)/N), 1, N), n_eff = N / deff,
 *   [lo, hi] = Wilson(p·n_eff, n_eff).
 * N = 0 gives rate 0 and [0, 1]. Any output pointer may be NULL. */
void   sim_stats_rate_ci(const guint64 *x, const guint64 *n, guint runs,
                         double *rate, double *lo, double *hi);
/* The same, also returning the design effect used (nullable). */
void   sim_stats_rate_ci_deff(const guint64 *x, const guint64 *n, guint runs,
                              double *rate, double *lo, double *hi, double *deff);
/* Wilson score interval for k successes in n (z = 1.959964). */
void   sim_stats_wilson(double k, double n, double *lo, double *hi);
/* q-th quantile (0..1) of a sorted array, nearest-rank; 0 when n = 0. */
double sim_stats_quantile(const double *sorted, gsize n, double q);

/* Output. JSON and CSV carry no wall-clock time, host or absolute path, and
 * are byte-identical for identical results (locale-independent numbers). */
void     sim_report_table(const SimResults *r, GString *out);
GString *sim_report_json(const SimResults *r);
GString *sim_report_csv(const SimResults *r);
/* Write atomically: temp file "DIR/.NAME.XXXXXX" in the same directory,
 * fsync, rename over path; on failure the temp file is removed and the error
 * (G_FILE_ERROR) names the path. Creates no directories.
 * path "-" writes to stdout. */
gboolean sim_write_file_atomic(const char *path, const char *data, gsize len, GError **error);

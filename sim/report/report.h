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
/* Frees a SimTrialNote and its reason (a GPtrArray free function). */
void sim_trial_note_free(gpointer note);

/* Latency histogram: one bin per latency rounded to 3 significant digits
 * (in ns; exact below 1 us), so relative error <= 0.5%. Histograms merge
 * exactly (counts add), which is what lets shards merge into exactly the
 * unsharded percentiles: every percentile is computed from one. */
typedef struct { gint64 ns; guint64 n; } SimLatBin;
gint64  sim_lat_bucket(gint64 ns);
GArray *sim_lat_hist_new(void);                                   /* of SimLatBin, ascending ns */
/* Add samples given in ms (as the runner records them: exact ns / 1e6). */
void    sim_lat_hist_add_ms(GArray *h, const double *ms, gsize n);
void    sim_lat_hist_merge(GArray *dst, const GArray *src);
guint64 sim_lat_hist_count(const GArray *h);
/* Nearest-rank q-quantile (as sim_stats_quantile) in ms; 0 when empty. */
double  sim_lat_hist_quantile_ms(const GArray *h, double q);

/* What one simulated run contributes to its case: everything the case's
 * figures are computed from. A case result is a pure function of the
 * ordered list of its runs' summaries (sim_case_result_aggregate), which is
 * how `powercut merge` rebuilds exactly the unsharded document. */
typedef struct {
    guint       run;                   /* run number (0-based) */
    guint64     trials, counts[SIM_OUT_N];
    double      pinc;                  /* exact corrupt + unmountable time fraction */
    double      sim_seconds;
    guint64     ops, bytes, fsyncs;
    SimDevStats dev;
    gboolean    has_app;               /* an application workload judged each cut: */
    guint64     app[3];                /* old, new, inconsistent */
    GPtrArray  *notes;                 /* SimTrialNote*: this run's first few of each class (owned) */
} SimRunSummary;

typedef struct {
    GArray *runs;                      /* SimRunSummary, ascending run number */
    GArray *op_hist, *fsync_hist;      /* SimLatBin: latencies of every run */
} SimCaseData;
SimCaseData *sim_case_data_new(void);
void         sim_case_data_free(SimCaseData *d);                  /* NULL-safe */
/* Append a run (takes the notes array); runs must come in ascending order. */
void         sim_case_data_add_run(SimCaseData *d, SimRunSummary *s);

/* `run --crash-states exhaustive`: every crash state an honest device could
 * have left at each sampled cut (sim/crash/states.h), summed over the cuts. */
typedef struct {
    guint      max_pending;            /* --max-pending: enumerate up to this many free writes */
    guint      samples;                /* states sampled at a cut with more free writes */
    guint64    cuts, states;           /* cuts judged, states judged over all of them */
    guint64    sampled_cuts;           /* cuts with more than max_pending free writes */
    guint64    bad_cuts;               /* cuts with at least one corrupt or unmountable state */
    guint64    counts[SIM_OUT_N];      /* outcomes over all states judged */
    guint      max_free;               /* most free writes at one cut */
    gboolean   boundaries;             /* replay: the cuts are the trace's boundaries (before each
                                        * flush, at each promise mark, at the end), and w_trial is
                                        * the boundary's index */
    /* the smallest witness (fewest durable free writes; then the lowest run, trial) */
    gboolean   have_witness;
    guint      w_run;
    guint64    w_trial;
    SimTime    w_t;
    guint      w_size, w_free;         /* durable free writes in it, free writes at that cut */
    gboolean   w_sampled;
    SimOutcome w_outcome;
    char      *w_reason;
} SimCrashStatesSummary;

#define SIM_CDF_N 23                   /* quantiles of the fsync latency CDF */
extern const double sim_cdf_q[SIM_CDF_N];

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
    /* fsync latency CDF ("fsync_cdf_ms"): ms at each sim_cdf_q; n_cdf = 0
     * when there is none (no data, or no fsync completed). */
    guint      n_cdf;
    double     fsync_cdf_ms[SIM_CDF_N];
    /* Swept parameter keys (char*, keys of `params`), NULL when the case is
     * not a sweep point: written as the "sweep" object. */
    GPtrArray *sweep;
    /* The per-run data the case was aggregated from, or NULL; written as
     * "shard_data" when the results are a shard. Owned. */
    SimCaseData *data;
    /* --crash-states exhaustive, else NULL ("crash_states"). Owned. */
    SimCrashStatesSummary *cstates;
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
/* Compute every figure of c from d (runs in ascending order; c->runs must
 * be d->runs->len): outcome totals, per-run clusters, p_inc, throughput,
 * latency percentiles and CDF, device totals, sim_seconds and the notes
 * (the first trial of each non-consistent class, most severe first, then
 * the next ones in run order, 5 in all). Takes ownership of d (c->data). */
void           sim_case_result_aggregate(SimCaseResult *c, SimCaseData *d);
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
/* Append text as one CSV field: quoted (RFC 4180) if it holds a comma,
 * quote, CR or LF. */
void     sim_csv_quote(GString *s, const char *text);
/* ---- reading results back (load.c, json-glib) ------------------------------- */
#define SIM_REPORT_ERROR (sim_report_error_quark())
GQuark sim_report_error_quark(void);
typedef enum {
    SIM_REPORT_ERROR_INPUT,            /* unreadable, bad or truncated JSON, wrong document, shards that
                                        * do not fit together: exit status 2 */
    SIM_REPORT_ERROR_GNUPLOT_MISSING,  /* gnuplot not on PATH: exit status 1 */
    SIM_REPORT_ERROR_FAILED,           /* gnuplot failed, cannot write a file: exit status 1 */
} SimReportError;

/* Parse FILE's text (len -1: NUL-terminated) as JSON: the root object, or
 * NULL with a one-line SIM_REPORT_ERROR_INPUT "FILE:LINE:COL: invalid JSON:
 * ..." / "FILE: ...". (transfer full: free with json_node_unref) */
struct _JsonNode *sim_report_parse_json(const char *file, const char *text, gssize len, GError **error);

/* `powercut merge`: the documents of `n` shards (`powercut run --shard K/N
 * --json FILE`, each with "shard_data") combined into exactly the results the
 * unsharded run gives (sim_report_json of it is byte-identical). Refuses
 * (SIM_REPORT_ERROR_INPUT) documents that are not shards, shards of different
 * versions, scenarios, seeds, N, cases or parameters, and missing or
 * duplicate shards. (transfer full) */
SimResults *sim_results_merge(const char *const *files, guint n, GError **error);

/* Write atomically: temp file "DIR/.NAME.XXXXXX" in the same directory,
 * fsync, rename over path; on failure the temp file is removed and the error
 * (G_FILE_ERROR) names the path. Creates no directories.
 * path "-" writes to stdout. */
gboolean sim_write_file_atomic(const char *path, const char *data, gsize len, GError **error);

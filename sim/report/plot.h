/* sim/report/plot.h - comparison plots of a results document, drawn by
 * gnuplot from data files (STYLE §6): for each kind K, OUT/K.dat
 * (whitespace-separated columns, a "# col names" header, C locale; several
 * series as blocks separated by two blank lines, each block's first line
 * naming its series) and then `gnuplot -d -c PLOTS/K.gp OUT/K.dat OUT/K.FMT
 * FMT CAPTION [XLABEL]`, spawned without a shell, its exit status checked.
 *
 * Kinds:
 *   rates       corruption and lost-fsync rate per case, bars with 95% CIs
 *   throughput  ops/s and fsyncs/s per case
 *   tradeoff    one point per case: ops/s on x, corruption rate on y
 *   sweep       corruption, lost-fsync rate and ops/s against the swept
 *               parameter, one line per value of the others (swept results)
 *   latency     fsync latency CDF per case
 * (`timeline`, the write-ordering picture of one crash, is drawn by
 * `powercut explain ... --plot FILE` from its trace: sim/explain.) */
#pragma once
#include "report.h"

typedef struct {
    char     *name;
    char     *base;               /* the scenario case of a sweep point ("" without cases), else name */
    GPtrArray *sweep_keys;        /* char*; empty when not swept */
    GPtrArray *sweep_vals;        /* char*: values as text, parallel to sweep_keys */
    guint64   trials, runs;
    double    corrupt, corrupt_ci[2], lost, lost_ci[2];   /* rates (NaN when null) */
    double    ops_per_s, fsyncs_per_s, mb_per_s;
    guint     n_cdf;
    double    cdf_q[SIM_CDF_N], cdf_ms[SIM_CDF_N];
} SimPlotCase;

typedef struct {
    char      *scenario;
    guint64    seed;
    char      *shard;             /* or NULL */
    GPtrArray *cases;             /* SimPlotCase* */
} SimPlotDoc;

/* Read the public part of a results document (run --json, merge, or a
 * shard). NULL with SIM_REPORT_ERROR_INPUT: "FILE...: what is wrong". */
SimPlotDoc *sim_plot_doc_parse(const char *file, const char *text, gssize len, GError **error);
void        sim_plot_doc_free(SimPlotDoc *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimPlotDoc, sim_plot_doc_free)

/* The kinds, in drawing order (NULL-terminated). */
extern const char *const sim_plot_kinds[];
/* Whether kind applies to d; FALSE with *why set (static text) when not. */
gboolean sim_plot_applicable(const SimPlotDoc *d, const char *kind, const char **why);
/* Where the plot scripts are: $POWERCUT_PLOTS_DIR, else ./plots if it is a
 * directory, else ../share/powercut/plots next to the running binary, else
 * POWERCUT_DATADIR/plots (as sim_script_lua_dir finds lua/). (transfer full) */
char    *sim_plot_dir(void);
/* Run `gnuplot -d -c PLOTS/NAME.gp ARGS...` (no shell), check its exit status
 * and that OUT is non-empty. GNUPLOT_MISSING names the package to install. */
gboolean sim_plot_run(const char *name, const char *const *args, const char *out, GError **error);
/* Write OUT/KIND.dat for d (no gnuplot needed). */
gboolean sim_plot_write_data(const SimPlotDoc *d, const char *kind, const char *outdir, GError **error);
/* Draw `kind` (NULL: every applicable kind) of d into outdir as format
 * "png" or "svg": data file, then gnuplot. Appends each image path written
 * to `written` (char*, nullable). Errors: SIM_REPORT_ERROR_GNUPLOT_MISSING
 * (names the package gnuplot-nox), SIM_REPORT_ERROR_FAILED (gnuplot failed,
 * a file could not be written, a plot script is missing),
 * SIM_REPORT_ERROR_INPUT (an explicit kind that does not apply). */
gboolean sim_plot_draw(const SimPlotDoc *d, const char *outdir, const char *format, const char *kind,
                       GPtrArray *written, GError **error);

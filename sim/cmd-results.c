/* sim/cmd-results.c - the commands that work on results documents:
 * `powercut plot` and `powercut merge`, and the plots of `run --out`.
 * Exit status as DESIGN §2: 2 bad usage or input, 1 other failures
 * (gnuplot missing or failing, cannot write). */
#include "cli.h"
#include "cmd-results.h"
#include "report/plot.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define EXIT_BAD_INPUT 2


static int report_error(GError *e)
{
    int status = e->domain == SIM_REPORT_ERROR && e->code == SIM_REPORT_ERROR_INPUT ? EXIT_BAD_INPUT : 1;
    g_strdelimit(e->message, "\r\n", ' ');
    fprintf(stderr, "powercut: %s\n", e->message);
    g_error_free(e);
    return status;
}

/* GOption wants "-o DIR"; accept "-oDIR" too. */
static char **split_short(int *argc, char **argv, const char *shorts)
{
    GPtrArray *a = g_ptr_array_new();
    for (int i = 0; i < *argc; i++) {
        const char *s = argv[i];
        if (i > 0 && s[0] == '-' && s[1] && strchr(shorts, s[1]) && s[2]) {
            g_ptr_array_add(a, g_strndup(s, 2));
            g_ptr_array_add(a, g_strdup(s + 2));
        } else
            g_ptr_array_add(a, g_strdup(s));
    }
    *argc = (int)a->len;
    g_ptr_array_add(a, NULL);
    return (char **)g_ptr_array_free(a, FALSE);
}

int powercut_plots_after_run(const char *json_path, const GString *json, const char *outdir, GPtrArray *written)
{
    GError *e = NULL;
    g_autoptr(SimPlotDoc) d = sim_plot_doc_parse(json_path, json->str, (gssize)json->len, &e);
    if (!d)
        return report_error(e);
    if (!sim_plot_draw(d, outdir, "png", NULL, written, &e)) {
        if (e->domain == SIM_REPORT_ERROR && e->code == SIM_REPORT_ERROR_GNUPLOT_MISSING) {
            /* plots are optional for run (STYLE §6): say so, keep going */
            fprintf(stderr, "powercut: %s; plots skipped\n", e->message);
            g_error_free(e);
            return 0;
        }
        return report_error(e);
    }
    return 0;
}

/* ---- plot ------------------------------------------------------------------------ */

static char *plot_out = NULL;
static char *plot_format = NULL;
static char *plot_kind = NULL;
static gboolean plot_quiet = FALSE;

static const GOptionEntry plot_entries[] = {
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &plot_out,
      "Write KIND.dat and KIND.png/.svg into DIR (default: the folder of RESULTS.json)", "DIR" },
    { "format", 0, 0, G_OPTION_ARG_STRING, &plot_format, "Image format: png (default) or svg", "png|svg" },
    { "kind", 0, 0, G_OPTION_ARG_STRING, &plot_kind,
      "Draw only this plot: rates, throughput, tradeoff, sweep or latency (default: every one that applies)",
      "KIND" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &plot_quiet, "Do not list the files written", NULL },
    G_OPTION_ENTRY_NULL
};

int powercut_cmd_plot(int argc, char **argv)
{
    argv = split_short(&argc, argv, "o");
    g_autoptr(GOptionContext) ctx = g_option_context_new("RESULTS.json - draw the comparison plots of a results file");
    g_option_context_set_description(ctx,
        "Kinds (chosen from the shape of the results unless --kind is given):\n"
        "  rates       corruption and lost-fsync rate per case, bars with 95% CI error bars\n"
        "  throughput  operations/s and fsyncs/s per case\n"
        "  tradeoff    one point per case: throughput on x, corruption rate on y (two or more cases)\n"
        "  sweep       corruption, lost fsyncs and throughput against the swept parameter,\n"
        "              one line per value of the others (results of a sweep)\n"
        "  latency     fsync latency CDF per case\n"
        "For each kind, DIR/KIND.dat holds the data (whitespace-separated, '# col names' header)\n"
        "and gnuplot draws DIR/KIND.png or .svg with plots/KIND.gp ($POWERCUT_PLOTS_DIR, ./plots,\n"
        "or the installed share/powercut/plots). Needs gnuplot (Debian: gnuplot-nox).\n"
        "Exit status: 0 ok, 2 bad usage or a bad results file, 1 gnuplot missing or failing.");
    g_option_context_add_main_entries(ctx, plot_entries, NULL);
    GError *err = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        int st = sim_cli_usage("plot: %s (see: powercut help plot)", err->message);
        g_error_free(err);
        g_strfreev(argv);
        return st;
    }
    if (argc != 2) {
        int st = argc < 2 ? sim_cli_usage("plot: missing RESULTS.json (see: powercut help plot)")
                          : sim_cli_usage("plot: unexpected argument '%s' (one results file)", argv[2]);
        g_strfreev(argv);
        return st;
    }
    const char *fmt = plot_format ? plot_format : "png";
    if (strcmp(fmt, "png") && strcmp(fmt, "svg")) {
        g_strfreev(argv);
        return sim_cli_usage("plot: --format: '%s' is not allowed (png or svg)", fmt);
    }
    g_autofree char *path = g_strdup(argv[1]);
    g_strfreev(argv);
    g_autofree char *text = NULL;
    gsize len = 0;
    if (!g_file_get_contents(path, &text, &len, &err)) {
        int st = sim_cli_usage("%s: cannot read (%s)", path, err->code == G_FILE_ERROR_NOENT ? "no such file"
                                                           : err->code == G_FILE_ERROR_ISDIR ? "a directory"
                                                                                            : err->message);
        g_error_free(err);
        return st;
    }
    g_autoptr(SimPlotDoc) d = sim_plot_doc_parse(path, text, (gssize)len, &err);
    if (!d)
        return report_error(err);
    g_autofree char *dir = plot_out ? g_strdup(plot_out) : g_path_get_dirname(path);
    if (g_mkdir_with_parents(dir, 0777) < 0) {
        fprintf(stderr, "powercut: %s: cannot create directory (%s)\n", dir, g_strerror(errno));
        return 1;
    }
    g_autoptr(GPtrArray) written = g_ptr_array_new_with_free_func(g_free);
    if (!sim_plot_draw(d, dir, fmt, plot_kind, written, &err))
        return report_error(err);
    for (guint i = 0; i < written->len && !plot_quiet; i++)
        printf("wrote %s\n", (char *)g_ptr_array_index(written, i));
    return 0;
}

/* ---- merge ------------------------------------------------------------------------ */

static char *merge_json = NULL;
static char *merge_csv = NULL;

static const GOptionEntry merge_entries[] = {
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &merge_json, "Write the merged JSON to FILE (same as --json)", "FILE" },
    { "json", 0, 0, G_OPTION_ARG_FILENAME, &merge_json, "Write the merged JSON to FILE (- for stdout, the default)",
      "FILE" },
    { "csv", 0, 0, G_OPTION_ARG_FILENAME, &merge_csv, "Write one CSV row per case (- for stdout)", "FILE" },
    G_OPTION_ENTRY_NULL
};

int powercut_cmd_merge(int argc, char **argv)
{
    argv = split_short(&argc, argv, "o");
    g_autoptr(GOptionContext) ctx = g_option_context_new("SHARD.json... - combine shards into the unsharded result");
    g_option_context_set_description(ctx,
        "Each SHARD.json is the --json of `powercut run ... --shard K/N` (K = 1..N, every K once, same\n"
        "scenario, seed and options). The merged document is byte-identical to the one the unsharded\n"
        "run writes: shards carry each run's data (\"shard_data\"), and merge recomputes every figure\n"
        "from it exactly as the run does.\n"
        "Exit status: 0 ok, 2 bad usage or shards that do not fit together, 1 cannot write.");
    g_option_context_add_main_entries(ctx, merge_entries, NULL);
    GError *err = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        int st = sim_cli_usage("merge: %s (see: powercut help merge)", err->message);
        g_error_free(err);
        g_strfreev(argv);
        return st;
    }
    if (argc < 2) {
        g_strfreev(argv);
        return sim_cli_usage("merge: missing SHARD.json files (see: powercut help merge)");
    }
    SimResults *res = sim_results_merge((const char *const *)argv + 1, (guint)(argc - 1), &err);
    g_strfreev(argv);
    if (!res)
        return report_error(err);
    int status = 0;
    g_autoptr(GString) json = sim_report_json(res);
    g_autoptr(GString) csv = sim_report_csv(res);
    sim_results_free(res);
    const char *jpath = merge_json ? merge_json : (merge_csv ? NULL : "-");
    if (jpath && !sim_write_file_atomic(jpath, json->str, json->len, &err))
        status = report_error(err);             /* a file error: 1 */
    if (!status && merge_csv && !sim_write_file_atomic(merge_csv, csv->str, csv->len, &err))
        status = report_error(err);
    return status;
}

int powercut_cmd_help(const char *cmd)
{
    char *a[] = { !strcmp(cmd, "plot") ? "powercut plot" : "powercut merge", "--help", NULL };
    if (!strcmp(cmd, "plot"))
        return powercut_cmd_plot(2, a);
    return powercut_cmd_merge(2, a);
}

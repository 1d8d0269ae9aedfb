/* tests/test-results.c - what issue 5 added below the command line: the
 * latency histogram and its quantiles, the aggregation of run summaries
 * (order of runs, splitting into shards), reading results back, the plot
 * data files, and sweep expansion. Run from the repository root (the sweep
 * scenarios require lua/presets.lua). */
#include <math.h>
#include <string.h>
#include <glib/gstdio.h>
#include "testutil.h"
#include "report/report.h"
#include "report/plot.h"
#include "script/script.h"

/* ---- histogram -------------------------------------------------------------- */

static void test_bucket(void)
{
    /* exact below 1 us; 3 significant digits above, rounded half up */
    g_assert_cmpint(sim_lat_bucket(0), ==, 0);
    g_assert_cmpint(sim_lat_bucket(999), ==, 999);
    g_assert_cmpint(sim_lat_bucket(1000), ==, 1000);
    g_assert_cmpint(sim_lat_bucket(1004), ==, 1000);    /* p = 10: (1004 + 5) / 10 = 100 -> 1000 */
    g_assert_cmpint(sim_lat_bucket(1005), ==, 1010);
    g_assert_cmpint(sim_lat_bucket(12345), ==, 12300);
    g_assert_cmpint(sim_lat_bucket(12350), ==, 12400);
    g_assert_cmpint(sim_lat_bucket(99950), ==, 100000); /* rounds up into the next decade */
    g_assert_cmpint(sim_lat_bucket(16123456), ==, 16100000);
    /* relative error at most 0.5% */
    for (gint64 ns = 1000; ns < 50000000; ns = ns * 13 / 10 + 7) {
        double e = fabs((double)sim_lat_bucket(ns) - (double)ns) / (double)ns;
        g_assert_cmpfloat(e, <=, 0.005);
    }
}

static int cmp_d(gconstpointer a, gconstpointer b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void test_hist(void)
{
    /* 1000 latencies in ms (exact ns / 1e6, as the runner records them) */
    GRand *r = g_rand_new_with_seed(7);
    double ms[1000], bucketed[1000];
    for (int i = 0; i < 1000; i++) {
        gint64 ns = g_rand_int_range(r, 100000, 30000000);
        ms[i] = (double)ns / 1e6;
        bucketed[i] = (double)sim_lat_bucket(ns) / 1e6;
    }
    g_rand_free(r);
    qsort(bucketed, 1000, sizeof(double), cmp_d);
    GArray *all = sim_lat_hist_new();
    sim_lat_hist_add_ms(all, ms, 1000);
    g_assert_cmpuint(sim_lat_hist_count(all), ==, 1000);
    /* the same nearest-rank quantiles as sim_stats_quantile on the bucketed samples */
    static const double qs[] = { 0, 0.01, 0.05, 0.5, 0.9, 0.99, 0.999, 1 };
    for (gsize i = 0; i < G_N_ELEMENTS(qs); i++)
        g_assert_cmpfloat(sim_lat_hist_quantile_ms(all, qs[i]), ==, sim_stats_quantile(bucketed, 1000, qs[i]));
    /* split in three parts added in another order, then merged: the same bins */
    GArray *a = sim_lat_hist_new(), *b = sim_lat_hist_new(), *c = sim_lat_hist_new();
    sim_lat_hist_add_ms(c, ms + 700, 300);
    sim_lat_hist_add_ms(a, ms, 123);
    sim_lat_hist_add_ms(b, ms + 123, 577);
    sim_lat_hist_merge(c, b);
    sim_lat_hist_merge(c, a);
    g_assert_cmpuint(c->len, ==, all->len);
    g_assert_cmpmem(c->data, c->len * sizeof(SimLatBin), all->data, all->len * sizeof(SimLatBin));
    for (guint i = 1; i < all->len; i++)
        g_assert_cmpint(g_array_index(all, SimLatBin, i - 1).ns, <, g_array_index(all, SimLatBin, i).ns);
    /* empty */
    GArray *e = sim_lat_hist_new();
    g_assert_cmpfloat(sim_lat_hist_quantile_ms(e, 0.5), ==, 0.0);
    g_array_free(a, TRUE), g_array_free(b, TRUE), g_array_free(c, TRUE), g_array_free(e, TRUE);
    g_array_free(all, TRUE);
}

/* ---- aggregation ------------------------------------------------------------ */

static SimRunSummary summary(guint run, guint64 trials, guint64 corrupt, guint64 lost, double pinc)
{
    SimRunSummary s = { .run = run, .trials = trials, .pinc = pinc, .sim_seconds = 2.5,
                        .ops = 100 + run, .bytes = 4096 * (100 + run), .fsyncs = 10 + run };
    s.counts[SIM_OUT_CORRUPT] = corrupt;
    s.counts[SIM_OUT_LOST_FSYNC] = lost;
    s.counts[SIM_OUT_CONSISTENT] = trials - corrupt - lost;
    s.dev.flushes = run + 1;
    s.dev.max_dirty_blocks = 10 * run;
    s.notes = g_ptr_array_new();
    if (corrupt) {
        SimTrialNote *n = g_new0(SimTrialNote, 1);
        *n = (SimTrialNote){ run, 3, 1000000000 + run, SIM_OUT_CORRUPT, g_strdup_printf("why %u", run) };
        g_ptr_array_add(s.notes, n);
    }
    return s;
}

static void note_free(gpointer p)
{
    SimTrialNote *n = p;
    g_free(n->reason);
    g_free(n);
}

static SimCaseResult *aggregate(const guint *runs, guint n)
{
    SimCaseData *d = sim_case_data_new();
    for (guint i = 0; i < n; i++) {
        guint r = runs[i];
        SimRunSummary s = summary(r, 50 + r, r % 3, r % 2, 0.1 * r + 1.0 / 3);
        g_ptr_array_set_free_func(s.notes, note_free);
        sim_case_data_add_run(d, &s);
        double ms[2] = { 1.0 + r, 16.25 };
        sim_lat_hist_add_ms(d->fsync_hist, ms, 2);
        sim_lat_hist_add_ms(d->op_hist, ms, 2);
    }
    SimCaseResult *c = sim_case_result_new("c", n);
    sim_case_result_add_param(c, "run.runs", "5", SIM_PV_NUMBER);
    sim_case_result_aggregate(c, d);
    return c;
}

static void test_aggregate(void)
{
    static const guint all[] = { 0, 1, 2, 3, 4 };
    g_autoptr(SimCaseResult) c = aggregate(all, 5);
    g_assert_cmpuint(c->trials, ==, 50 + 51 + 52 + 53 + 54);
    g_assert_cmpuint(c->outcomes[SIM_OUT_CORRUPT], ==, 0 + 1 + 2 + 0 + 1);
    g_assert_cmpuint(c->outcomes[SIM_OUT_LOST_FSYNC], ==, 0 + 1 + 0 + 1 + 0);
    g_assert_cmpuint(c->run_trials[3], ==, 53);
    g_assert_cmpfloat(c->p_inc, ==, (((((1.0 / 3) + (0.1 + 1.0 / 3)) + (0.2 + 1.0 / 3)) +
                                      (0.30000000000000004 + 1.0 / 3)) + (0.4 + 1.0 / 3)) / 5);
    g_assert_cmpfloat(c->sim_seconds, ==, 12.5);
    g_assert_cmpfloat(c->ops_per_s, ==, (100 + 101 + 102 + 103 + 104) / 12.5);
    g_assert_cmpuint(c->dev.flushes, ==, 15);
    g_assert_cmpuint(c->dev.max_dirty_blocks, ==, 40);
    g_assert_cmpuint(c->n_cdf, ==, SIM_CDF_N);
    g_assert_cmpfloat(c->fsync_cdf_ms[0], ==, 1.0);          /* q = 0: the smallest */
    g_assert_cmpfloat(c->fsync_cdf_ms[SIM_CDF_N - 1], ==, 16.3);   /* 16.25 ms -> 16.3 (3 digits) */
    /* notes: the first corrupt one (run 1), then the next ones in run order */
    g_assert_cmpuint(c->notes->len, ==, 3);
    g_assert_cmpuint(((SimTrialNote *)c->notes->pdata[0])->run, ==, 1);
    g_assert_cmpuint(((SimTrialNote *)c->notes->pdata[1])->run, ==, 2);
    g_assert_nonnull(c->data);
}

/* A 5-run case written as 2 shards and merged through files is the 5-run case. */
static void test_merge_files(void)
{
    static const guint all[] = { 0, 1, 2, 3, 4 }, s1[] = { 0, 2, 4 }, s2[] = { 1, 3 };
    g_autofree char *dir = g_dir_make_tmp("test-results-XXXXXX", NULL);
    g_assert_nonnull(dir);
    g_autoptr(SimResults) full = sim_results_new("x.lua", 9);
    g_ptr_array_add(full->cases, aggregate(all, 5));
    g_autoptr(GString) want = sim_report_json(full);
    const guint *parts[] = { s1, s2 };
    const guint lens[] = { 3, 2 };
    char *files[2];
    for (int k = 0; k < 2; k++) {
        g_autoptr(SimResults) sh = sim_results_new("x.lua", 9);
        sh->shard = g_strdup_printf("%d/2", k + 1);
        g_ptr_array_add(sh->cases, aggregate(parts[k], lens[k]));
        g_autoptr(GString) js = sim_report_json(sh);
        g_assert_nonnull(strstr(js->str, "\"shard_data\""));
        files[k] = g_strdup_printf("%s/s%d.json", dir, k + 1);
        g_assert_true(g_file_set_contents(files[k], js->str, (gssize)js->len, NULL));
    }
    GError *e = NULL;
    g_autoptr(SimResults) m = sim_results_merge((const char *const *)files, 2, &e);
    g_assert_no_error(e);
    g_autoptr(GString) got = sim_report_json(m);
    g_assert_cmpstr(got->str, ==, want->str);
    /* one shard alone: shard 2/2 missing */
    g_autoptr(SimResults) m1 = sim_results_merge((const char *const *)files, 1, &e);
    g_assert_null(m1);
    g_assert_error(e, SIM_REPORT_ERROR, SIM_REPORT_ERROR_INPUT);
    g_assert_nonnull(strstr(e->message, "2/2 is missing"));
    g_clear_error(&e);
    for (int k = 0; k < 2; k++) {
        g_unlink(files[k]);
        g_free(files[k]);
    }
    g_rmdir(dir);
}

/* ---- reading back --------------------------------------------------------------- */

static void test_parse_errors(void)
{
    GError *e = NULL;
    g_assert_null(sim_report_parse_json("f.json", "{\"a\": [1, 2", -1, &e));
    g_assert_error(e, SIM_REPORT_ERROR, SIM_REPORT_ERROR_INPUT);
    g_assert_true(g_str_has_prefix(e->message, "f.json:1:"));
    g_assert_nonnull(strstr(e->message, "invalid JSON"));
    g_assert_null(strchr(e->message, '\n'));
    g_clear_error(&e);
    g_assert_null(sim_report_parse_json("f.json", "", -1, &e));
    g_assert_nonnull(strstr(e->message, "empty"));
    g_clear_error(&e);
    g_assert_null(sim_report_parse_json("f.json", "[1]", -1, &e));
    g_assert_nonnull(strstr(e->message, "not a powercut results document"));
    g_clear_error(&e);
    g_assert_null(sim_plot_doc_parse("f.json", "{\"powercut\": \"1\", \"seed\": 1, \"cases\": [{\"name\": 3}]}", -1, &e));
    g_assert_nonnull(strstr(e->message, "cases[0]"));
    g_assert_nonnull(strstr(e->message, "\"name\""));
    g_clear_error(&e);
}

static void test_plot_data(void)
{
    static const guint all[] = { 0, 1 };
    g_autoptr(SimResults) r = sim_results_new("x.lua", 1);
    for (int i = 0; i < 3; i++) {
        SimCaseResult *c = aggregate(all, 2);
        g_free(c->name);
        c->name = g_strdup_printf("base/k=%d", i * 10);
        sim_case_result_add_param(c, "k", i == 0 ? "0" : i == 1 ? "10" : "20", SIM_PV_NUMBER);
        c->sweep = g_ptr_array_new_with_free_func(g_free);
        g_ptr_array_add(c->sweep, g_strdup("k"));
        g_ptr_array_add(r->cases, c);
    }
    g_autoptr(GString) js = sim_report_json(r);
    GError *e = NULL;
    g_autoptr(SimPlotDoc) d = sim_plot_doc_parse("r.json", js->str, -1, &e);
    g_assert_no_error(e);
    g_assert_cmpuint(d->cases->len, ==, 3);
    SimPlotCase *c2 = d->cases->pdata[2];
    g_assert_cmpstr(c2->base, ==, "base");
    g_assert_cmpstr(g_ptr_array_index(c2->sweep_vals, 0), ==, "20");
    g_assert_cmpuint(c2->n_cdf, ==, SIM_CDF_N);
    for (const char *const *k = sim_plot_kinds; *k; k++)
        g_assert_true(sim_plot_applicable(d, *k, NULL));
    g_autofree char *dir = g_dir_make_tmp("test-results-XXXXXX", NULL);
    g_assert_true(sim_plot_write_data(d, "sweep", dir, &e));
    g_autofree char *path = g_build_filename(dir, "sweep.dat", NULL), *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    /* one series ("base") of three points at x = 0, 10, 20 */
    g_assert_true(g_str_has_prefix(text, "# x x_label "));
    g_assert_nonnull(strstr(text, "\n\"base\" x_label"));
    g_assert_nonnull(strstr(text, "\n0 \"0\" "));
    g_assert_nonnull(strstr(text, "\n20 \"20\" "));
    g_assert_null(strstr(text, "\n\n\n"));
    g_unlink(path);
    g_rmdir(dir);
}

/* ---- sweeps ------------------------------------------------------------------------ */

static void test_sweep_expand(void)
{
    GError *e = NULL;
    g_autoptr(SimScenario) sc = sim_scenario_load_sweep("tests/data/sweep-12.lua", NULL, NULL, 1, &e);
    g_assert_no_error(e);
    g_assert_cmpuint(sc->cases->len, ==, 12);
    SimCaseSpec *c7 = sc->cases->pdata[7];
    g_assert_cmpstr(c7->name, ==, "barrier=false,cache_mb=8");
    g_assert_cmpstr(c7->sweep_base, ==, "default");
    g_assert_cmpint(c7->dev.cache_mb, ==, 8);
    g_assert_false(c7->fs.barrier);
    g_assert_true(sim_case_matches(c7, "default"));
    g_assert_cmpstr(c7->sweep_point[0], ==, "barrier=false");
    g_assert_cmpstr(c7->sweep_point[1], ==, "cache_mb=8");
    g_assert_null(c7->sweep_point[2]);
    /* the echo: declared swept parameters join params; the keys are listed */
    g_autoptr(SimCaseResult) cr = sim_case_result_new(c7->name, 0);
    sim_sweep_echo(c7, cr);
    g_assert_cmpuint(cr->params->len, ==, 2);
    g_assert_cmpint(g_array_index(cr->params, SimParamValue, 0).kind, ==, SIM_PV_BOOL);
    g_assert_cmpint(g_array_index(cr->params, SimParamValue, 1).kind, ==, SIM_PV_NUMBER);
    g_assert_cmpuint(cr->sweep->len, ==, 2);

    const char *const sweeps[] = { "cache_mb=0,64", "device.policy=fifo,satf,random", NULL };
    g_autoptr(SimScenario) s2 = sim_scenario_load_sweep("tests/data/sweep-12.lua", NULL, sweeps, 1, &e);
    g_assert_no_error(e);
    g_assert_cmpuint(s2->cases->len, ==, 2 * 2 * 3);
    g_assert_cmpstr(((SimCaseSpec *)s2->cases->pdata[1])->name, ==, "barrier=true,cache_mb=0,device.policy=satf");

    const char *const sets[] = { "barrier=false", NULL };
    g_assert_null(sim_scenario_load_sweep("tests/data/sweep-12.lua", sets, NULL, 1, &e));
    g_assert_error(e, SIM_SCRIPT_ERROR, SIM_SCRIPT_ERROR_CONFIG);
    g_assert_nonnull(strstr(e->message, "swept"));
    g_clear_error(&e);
    const char *const bad[] = { "fs.barier=true", NULL };
    g_assert_null(sim_scenario_load_sweep("tests/data/sweep-12.lua", NULL, bad, 1, &e));
    g_assert_nonnull(strstr(e->message, "did you mean fs.barrier"));
    g_clear_error(&e);

    /* without a sweep: the scenario as sim_scenario_load gives it */
    g_autoptr(SimScenario) s3 = sim_scenario_load_sweep("tests/data/cli-small.lua", NULL, NULL, 1, &e);
    g_assert_no_error(e);
    g_assert_cmpuint(s3->cases->len, ==, 3);
    g_assert_null(((SimCaseSpec *)s3->cases->pdata[0])->sweep_point);
    g_assert_null(s3->sweep);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/results/hist/bucket", test_bucket);
    g_test_add_func("/results/hist/quantiles-merge", test_hist);
    g_test_add_func("/results/aggregate", test_aggregate);
    g_test_add_func("/results/merge-files", test_merge_files);
    g_test_add_func("/results/parse-errors", test_parse_errors);
    g_test_add_func("/results/plot-data", test_plot_data);
    g_test_add_func("/results/sweep-expand", test_sweep_expand);
    return g_test_run();
}

/* sim/report/plot.c - data files and gnuplot (see plot.h and STYLE §6). */
#include <math.h>
#include <string.h>
#include <glib/gstdio.h>
#include "plot.h"
#include "../util/params.h"
#include "report-priv.h"
#include "../script/scenario.h"

const char *const sim_plot_kinds[] = { "rates", "throughput", "tradeoff", "sweep", "latency", NULL };

/* ---- where the scripts are -------------------------------------------------- */

char *sim_plot_dir(void)
{
    return sim_data_dir("POWERCUT_PLOTS_DIR", "plots", "plots");
}

/* ---- applicability -------------------------------------------------------------- */

static gboolean any_sweep(const SimPlotDoc *d)
{
    for (guint i = 0; i < d->cases->len; i++)
        if (((SimPlotCase *)g_ptr_array_index(d->cases, i))->sweep_keys->len)
            return TRUE;
    return FALSE;
}

static gboolean any_cdf(const SimPlotDoc *d)
{
    for (guint i = 0; i < d->cases->len; i++)
        if (((SimPlotCase *)g_ptr_array_index(d->cases, i))->n_cdf)
            return TRUE;
    return FALSE;
}

static gboolean any_trials(const SimPlotDoc *d)
{
    for (guint i = 0; i < d->cases->len; i++)
        if (((SimPlotCase *)g_ptr_array_index(d->cases, i))->trials)
            return TRUE;
    return FALSE;
}

gboolean sim_plot_applicable(const SimPlotDoc *d, const char *kind, const char **why)
{
    const char *w = NULL;
    if (d->cases->len == 0)
        w = "the results have no case";
    else if (!any_trials(d))
        w = "no case has a trial (e.g. a shard holding none of the runs)";
    else if (!strcmp(kind, "tradeoff") && d->cases->len < 2)
        w = "a trade-off needs at least two cases";
    else if (!strcmp(kind, "sweep") && !any_sweep(d))
        w = "the scenario did not sweep a parameter (see: sweep = { ... } or --sweep NAME=V1,V2)";
    else if (!strcmp(kind, "latency") && !any_cdf(d))
        w = "no case has an fsync latency CDF (\"fsync_cdf_ms\")";
    if (why)
        *why = w;
    return w == NULL;
}

/* ---- data files ------------------------------------------------------------------- */

static void num(GString *s, double x)
{
    g_string_append_c(s, ' ');
    if (!sim_report_append_double(s, "%.6g", x))
        g_string_append(s, "NaN");
}

static void pct(GString *s, double rate)
{
    num(s, 100.0 * rate);
}

/* A double-quoted string for gnuplot (no escapes there: '"' becomes '\''). */
static void qstr(GString *s, const char *text)
{
    g_string_append_c(s, '"');
    for (const char *p = text; *p; p++)
        g_string_append_c(s, *p == '"' ? '\'' : (*p == '\n' || *p == '\r' || *p == '\t') ? ' ' : *p);
    g_string_append_c(s, '"');
}

static void rates_data(const SimPlotDoc *d, GString *s)
{
    g_string_append(s, "# case corruption_pct corruption_lo_pct corruption_hi_pct lost_fsync_pct lost_fsync_lo_pct "
                       "lost_fsync_hi_pct trials\n");
    for (guint i = 0; i < d->cases->len; i++) {
        const SimPlotCase *c = g_ptr_array_index(d->cases, i);
        qstr(s, c->name);
        pct(s, c->corrupt), pct(s, c->corrupt_ci[0]), pct(s, c->corrupt_ci[1]);
        pct(s, c->lost), pct(s, c->lost_ci[0]), pct(s, c->lost_ci[1]);
        g_string_append_printf(s, " %" G_GUINT64_FORMAT "\n", c->trials);
    }
}

static void throughput_data(const SimPlotDoc *d, GString *s)
{
    g_string_append(s, "# case ops_per_s fsyncs_per_s mb_per_s\n");
    for (guint i = 0; i < d->cases->len; i++) {
        const SimPlotCase *c = g_ptr_array_index(d->cases, i);
        qstr(s, c->name);
        num(s, c->ops_per_s), num(s, c->fsyncs_per_s), num(s, c->mb_per_s);
        g_string_append_c(s, '\n');
    }
}

/* Blocks: one per case, its first line the case name (gnuplot: index i,
 * title columnhead(1)). */
static void tradeoff_data(const SimPlotDoc *d, GString *s)
{
    g_string_append(s, "# ops_per_s corruption_pct corruption_lo_pct corruption_hi_pct lost_fsync_pct "
                       "(one block per case, first line: its name)\n");
    for (guint i = 0; i < d->cases->len; i++) {
        const SimPlotCase *c = g_ptr_array_index(d->cases, i);
        if (i)
            g_string_append(s, "\n\n");
        qstr(s, c->name);
        g_string_append(s, " corruption_pct corruption_lo_pct corruption_hi_pct lost_fsync_pct\n");
        g_string_append_c(s, ' ');
        num(s, c->ops_per_s);
        pct(s, c->corrupt), pct(s, c->corrupt_ci[0]), pct(s, c->corrupt_ci[1]), pct(s, c->lost);
        g_string_append_c(s, '\n');
    }
}

static void latency_data(const SimPlotDoc *d, GString *s)
{
    g_string_append(s, "# fsync_ms fraction (one block per case with fsyncs, first line: its name)\n");
    gboolean first = TRUE;
    for (guint i = 0; i < d->cases->len; i++) {
        const SimPlotCase *c = g_ptr_array_index(d->cases, i);
        if (!c->n_cdf)
            continue;
        if (!first)
            g_string_append(s, "\n\n");
        first = FALSE;
        qstr(s, c->name);
        g_string_append(s, " fraction\n");
        for (guint j = 0; j < c->n_cdf; j++) {
            num(s, c->cdf_ms[j]);
            num(s, c->cdf_q[j]);
            g_string_append_c(s, '\n');
        }
    }
}

/* The sweep's x: the numeric swept key with the most distinct values, else
 * (no numeric key) the key with the most values, drawn as categories. */
typedef struct {
    char      *xkey;
    gboolean   numeric;
    GPtrArray *xvals;          /* distinct values of xkey, first-seen order */
} SweepAxis;

static gint key_index(const SimPlotCase *c, const char *key)
{
    for (guint i = 0; i < c->sweep_keys->len; i++)
        if (!strcmp(g_ptr_array_index(c->sweep_keys, i), key))
            return (gint)i;
    return -1;
}

static gboolean is_number(const char *t, double *x)
{
    char *end = NULL;
    double v = g_ascii_strtod(t, &end);
    if (!*t || !end || *end || !isfinite(v))
        return FALSE;
    if (x)
        *x = v;
    return TRUE;
}

static void sweep_axis(const SimPlotDoc *d, SweepAxis *ax)
{
    const SimPlotCase *c0 = NULL;
    for (guint i = 0; i < d->cases->len && !c0; i++)
        if (((SimPlotCase *)g_ptr_array_index(d->cases, i))->sweep_keys->len)
            c0 = g_ptr_array_index(d->cases, i);
    guint best = 0;
    int best_num = -1;
    for (guint k = 0; c0 && k < c0->sweep_keys->len; k++) {
        const char *key = g_ptr_array_index(c0->sweep_keys, k);
        GPtrArray *vals = g_ptr_array_new();
        gboolean numeric = TRUE;
        for (guint i = 0; i < d->cases->len; i++) {
            const SimPlotCase *c = g_ptr_array_index(d->cases, i);
            gint j = key_index(c, key);
            if (j < 0)
                continue;
            const char *v = g_ptr_array_index(c->sweep_vals, j);
            numeric = numeric && is_number(v, NULL);
            if (!g_ptr_array_find_with_equal_func(vals, v, g_str_equal, NULL))
                g_ptr_array_add(vals, (gpointer)v);
        }
        if ((int)numeric > best_num || ((int)numeric == best_num && vals->len > best)) {
            best_num = numeric;
            best = vals->len;
            g_free(ax->xkey);
            ax->xkey = g_strdup(key);
            ax->numeric = numeric;
            if (ax->xvals)
                g_ptr_array_unref(ax->xvals);
            ax->xvals = g_ptr_array_ref(vals);
        }
        g_ptr_array_unref(vals);
    }
}

/* The series a case belongs to: its scenario case and the other swept values. */
static char *series_of(const SimPlotCase *c, const char *xkey)
{
    GString *s = g_string_new(c->base);
    for (guint k = 0; k < c->sweep_keys->len; k++) {
        const char *key = g_ptr_array_index(c->sweep_keys, k);
        if (!strcmp(key, xkey))
            continue;
        g_string_append_printf(s, "%s%s=%s", s->len ? ", " : "", key, (char *)g_ptr_array_index(c->sweep_vals, k));
    }
    if (!s->len)
        g_string_append(s, "all cases");
    return g_string_free(s, FALSE);
}

typedef struct { double x; const SimPlotCase *c; const char *label; } Pt;

static gint cmp_pt(gconstpointer a, gconstpointer b)
{
    double x = ((const Pt *)a)->x, y = ((const Pt *)b)->x;
    return x < y ? -1 : x > y;
}

static void sweep_data(const SimPlotDoc *d, const SweepAxis *ax, GString *s)
{
    g_string_append(s, "# x x_label corruption_pct corruption_lo_pct corruption_hi_pct lost_fsync_pct "
                       "lost_fsync_lo_pct lost_fsync_hi_pct ops_per_s fsyncs_per_s case "
                       "(one block per series, first line: its name)\n");
    GPtrArray *series = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < d->cases->len; i++) {
        const SimPlotCase *c = g_ptr_array_index(d->cases, i);
        if (key_index(c, ax->xkey) < 0)
            continue;
        char *name = series_of(c, ax->xkey);
        if (g_ptr_array_find_with_equal_func(series, name, g_str_equal, NULL))
            g_free(name);
        else
            g_ptr_array_add(series, name);
    }
    for (guint si = 0; si < series->len; si++) {
        const char *sname = g_ptr_array_index(series, si);
        GArray *pts = g_array_new(FALSE, FALSE, sizeof(Pt));
        for (guint i = 0; i < d->cases->len; i++) {
            const SimPlotCase *c = g_ptr_array_index(d->cases, i);
            gint j = key_index(c, ax->xkey);
            if (j < 0)
                continue;
            g_autofree char *name = series_of(c, ax->xkey);
            if (strcmp(name, sname))
                continue;
            Pt p = { 0, c, g_ptr_array_index(c->sweep_vals, j) };
            guint at = 0;
            if (ax->numeric)
                is_number(p.label, &p.x);
            else if (g_ptr_array_find_with_equal_func(ax->xvals, p.label, g_str_equal, &at))
                p.x = at;
            g_array_append_val(pts, p);
        }
        g_array_sort(pts, cmp_pt);
        if (si)
            g_string_append(s, "\n\n");
        qstr(s, sname);
        g_string_append(s, " x_label corruption_pct corruption_lo_pct corruption_hi_pct lost_fsync_pct "
                           "lost_fsync_lo_pct lost_fsync_hi_pct ops_per_s fsyncs_per_s case\n");
        for (guint k = 0; k < pts->len; k++) {
            const Pt *p = &g_array_index(pts, Pt, k);
            const SimPlotCase *c = p->c;
            sim_report_append_double(s, "%.10g", p->x);
            g_string_append_c(s, ' ');
            qstr(s, p->label);
            pct(s, c->corrupt), pct(s, c->corrupt_ci[0]), pct(s, c->corrupt_ci[1]);
            pct(s, c->lost), pct(s, c->lost_ci[0]), pct(s, c->lost_ci[1]);
            num(s, c->ops_per_s), num(s, c->fsyncs_per_s);
            g_string_append_c(s, ' ');
            qstr(s, c->name);
            g_string_append_c(s, '\n');
        }
        g_array_free(pts, TRUE);
    }
    g_ptr_array_unref(series);
}

/* "cache_mb" -> "cache_mb (MiB)" when a model parameter of that name has a unit. */
static char *axis_label(const char *key)
{
    const char *dot = strrchr(key, '.');
    const char *name = dot ? dot + 1 : key;
    const SimSchema *schemas[] = { &sim_hdd_schema, &sim_ssd_schema, &sim_fs_schema, &sim_workload_schema,
                                   &sim_run_schema };
    for (gsize i = 0; i < G_N_ELEMENTS(schemas); i++) {
        const SimParam *p = sim_params_find(schemas[i], name);
        if (p && p->unit)
            return g_strdup_printf("%s (%s)", key, p->unit);
    }
    return g_strdup(key);
}

static gboolean data_for(const SimPlotDoc *d, const char *kind, GString *s, char **xlabel, gboolean *categorical)
{
    if (!strcmp(kind, "rates"))
        rates_data(d, s);
    else if (!strcmp(kind, "throughput"))
        throughput_data(d, s);
    else if (!strcmp(kind, "tradeoff"))
        tradeoff_data(d, s);
    else if (!strcmp(kind, "latency"))
        latency_data(d, s);
    else if (!strcmp(kind, "sweep")) {
        SweepAxis ax = { 0 };
        sweep_axis(d, &ax);
        if (!ax.xkey)
            return FALSE;
        sweep_data(d, &ax, s);
        if (xlabel)
            *xlabel = axis_label(ax.xkey);
        if (categorical)
            *categorical = !ax.numeric;
        g_free(ax.xkey);
        g_ptr_array_unref(ax.xvals);
    } else
        return FALSE;
    return TRUE;
}

static gboolean write_data(const SimPlotDoc *d, const char *kind, const char *path, char **xlabel,
                           gboolean *categorical, GError **error)
{
    g_autoptr(GString) s = g_string_new(NULL);
    if (!data_for(d, kind, s, xlabel, categorical)) {
        g_set_error(error, SIM_REPORT_ERROR, SIM_REPORT_ERROR_INPUT, "plot: no data for kind '%s'", kind);
        return FALSE;
    }
    g_autoptr(GError) e = NULL;
    if (!sim_write_file_atomic(path, s->str, s->len, &e)) {
        g_set_error(error, SIM_REPORT_ERROR, SIM_REPORT_ERROR_FAILED, "%s", e->message);
        return FALSE;
    }
    return TRUE;
}

gboolean sim_plot_write_data(const SimPlotDoc *d, const char *kind, const char *outdir, GError **error)
{
    g_autofree char *name = g_strdup_printf("%s.dat", kind);
    g_autofree char *path = g_build_filename(outdir, name, NULL);
    g_autofree char *xl = NULL;
    return write_data(d, kind, path, &xl, NULL, error);
}

/* ---- gnuplot ------------------------------------------------------------------------ */

static char *caption(const SimPlotDoc *d)
{
    guint64 lo = G_MAXUINT64, hi = 0, rlo = G_MAXUINT64, rhi = 0;
    for (guint i = 0; i < d->cases->len; i++) {
        const SimPlotCase *c = g_ptr_array_index(d->cases, i);
        lo = MIN(lo, c->trials), hi = MAX(hi, c->trials);
        rlo = MIN(rlo, c->runs), rhi = MAX(rhi, c->runs);
    }
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "%s, seed %" G_GUINT64_FORMAT ", ", d->scenario, d->seed);
    if (lo == hi)
        g_string_append_printf(s, "%" G_GUINT64_FORMAT " power cuts per case", lo);
    else
        g_string_append_printf(s, "%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT " power cuts per case", lo, hi);
    if (rlo == rhi)
        g_string_append_printf(s, " in %" G_GUINT64_FORMAT " runs", rlo);
    if (d->shard)
        g_string_append_printf(s, " (shard %s)", d->shard);
    g_string_append_printf(s, ", %u case%s", d->cases->len, d->cases->len == 1 ? "" : "s");
    return g_string_free(s, FALSE);
}

gboolean sim_plot_run(const char *name, const char *const *args, const char *out, GError **error)
{
    g_autofree char *gnuplot = g_find_program_in_path("gnuplot");
    if (!gnuplot) {
        g_set_error(error, SIM_REPORT_ERROR, SIM_REPORT_ERROR_GNUPLOT_MISSING,
                    "gnuplot not found on PATH: install it to draw plots (Debian/Ubuntu: apt-get install gnuplot-nox)");
        return FALSE;
    }
    g_autofree char *dir = sim_plot_dir();
    g_autofree char *sname = g_strdup_printf("%s.gp", name);
    g_autofree char *script = g_build_filename(dir, sname, NULL);
    if (!g_file_test(script, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(error, SIM_REPORT_ERROR, SIM_REPORT_ERROR_FAILED,
                    "%s: plot script not found (set POWERCUT_PLOTS_DIR to the folder of powercut's plots/*.gp)",
                    script);
        return FALSE;
    }
    GPtrArray *argv = g_ptr_array_new();
    g_ptr_array_add(argv, gnuplot);
    g_ptr_array_add(argv, "-d");
    g_ptr_array_add(argv, "-c");
    g_ptr_array_add(argv, script);
    for (const char *const *a = args; *a; a++)
        g_ptr_array_add(argv, (gpointer)*a);
    g_ptr_array_add(argv, NULL);
    g_autofree char *out_text = NULL, *err_text = NULL;
    gint status = 0;
    g_autoptr(GError) e = NULL;
    gboolean ran = g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out_text, &err_text,
                                &status, &e);
    g_ptr_array_free(argv, TRUE);
    if (!ran) {
        g_set_error(error, SIM_REPORT_ERROR, SIM_REPORT_ERROR_FAILED, "cannot run %s: %s", gnuplot, e->message);
        return FALSE;
    }
    if (!g_spawn_check_wait_status(status, &e)) {
        /* the first line gnuplot said, for the one-line message */
        g_autofree char *first = NULL;
        g_auto(GStrv) lines = g_strsplit(err_text ? err_text : "", "\n", -1);
        for (char **l = lines; *l && !first; l++)
            if (*g_strstrip(*l) && !g_str_has_prefix(*l, "^"))
                first = g_strdup(*l);
        g_set_error(error, SIM_REPORT_ERROR, SIM_REPORT_ERROR_FAILED, "gnuplot failed on %s (%s)%s%s", script,
                    e->message, first ? ": " : "", first ? first : "");
        return FALSE;
    }
    GStatBuf st;
    if (g_stat(out, &st) != 0 || st.st_size == 0) {
        g_set_error(error, SIM_REPORT_ERROR, SIM_REPORT_ERROR_FAILED, "gnuplot wrote nothing to %s (script %s)", out,
                    script);
        return FALSE;
    }
    return TRUE;
}

gboolean sim_plot_draw(const SimPlotDoc *d, const char *outdir, const char *format, const char *kind,
                       GPtrArray *written, GError **error)
{
    if (strcmp(format, "png") && strcmp(format, "svg")) {
        g_set_error(error, SIM_REPORT_ERROR, SIM_REPORT_ERROR_INPUT, "--format: '%s' is not allowed (png or svg)",
                    format);
        return FALSE;
    }
    if (kind) {
        gboolean known = FALSE;
        for (const char *const *k = sim_plot_kinds; *k && !known; k++)
            known = !strcmp(*k, kind);
        if (!strcmp(kind, "timeline")) {
            g_set_error(error, SIM_REPORT_ERROR, SIM_REPORT_ERROR_INPUT,
                        "--kind timeline: a results file holds no single crash to draw (draw one with "
                        "`powercut explain SCENARIO.lua --case NAME --trial K --plot FILE.png`)");
            return FALSE;
        }
        const char *why = NULL;
        if (!known) {
            g_set_error(error, SIM_REPORT_ERROR, SIM_REPORT_ERROR_INPUT,
                        "--kind: '%s' is not a plot kind (allowed: rates, throughput, tradeoff, sweep, latency)",
                        kind);
            return FALSE;
        }
        if (!sim_plot_applicable(d, kind, &why)) {
            g_set_error(error, SIM_REPORT_ERROR, SIM_REPORT_ERROR_INPUT, "--kind %s: not applicable: %s", kind, why);
            return FALSE;
        }
    }
    g_autofree char *gp = g_find_program_in_path("gnuplot");   /* before any data file is written */
    if (!gp) {
        g_set_error(error, SIM_REPORT_ERROR, SIM_REPORT_ERROR_GNUPLOT_MISSING,
                    "gnuplot not found on PATH: install it to draw plots (Debian/Ubuntu: apt-get install gnuplot-nox)");
        return FALSE;
    }
    g_autofree char *cap = caption(d);
    for (const char *const *k = sim_plot_kinds; *k; k++) {
        if (kind ? strcmp(kind, *k) != 0 : !sim_plot_applicable(d, *k, NULL))
            continue;
        g_autofree char *dname = g_strdup_printf("%s.dat", *k);
        g_autofree char *oname = g_strdup_printf("%s.%s", *k, format);
        g_autofree char *data = g_build_filename(outdir, dname, NULL);
        g_autofree char *out = g_build_filename(outdir, oname, NULL);
        g_autofree char *xlabel = NULL;
        gboolean categorical = FALSE;
        if (!write_data(d, *k, data, &xlabel, &categorical, error))
            return FALSE;
        const char *args[] = { data, out, format, cap, xlabel ? xlabel : "", categorical ? "1" : "0", NULL };
        if (!sim_plot_run(*k, args, out, error))
            return FALSE;
        if (written)
            g_ptr_array_add(written, g_steal_pointer(&out));
    }
    return TRUE;
}

/* sim/report/aggregate.c - from the runs of a case to its figures.
 *
 * A case's figures are a pure function of the ordered list of its runs'
 * summaries and of two latency histograms. The simulator computes them this
 * way from the runs it just simulated, and `powercut merge` computes them the
 * same way from the summaries that shards carry in "shard_data": the merged
 * document is the unsharded one by construction (integer counts add, the
 * floating-point sums are taken in run order in both cases, histogram counts
 * add). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "report.h"

#define MAX_NOTES 5

/* 0, 0.05 .. 0.95, 0.99, 0.999, 1 */
const double sim_cdf_q[SIM_CDF_N] = {
    0,    0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.35, 0.40, 0.45, 0.50, 0.55,
    0.60, 0.65, 0.70, 0.75, 0.80, 0.85, 0.90, 0.95, 0.99, 0.999, 1,
};

/* ---- latency histogram ----------------------------------------------------- */

gint64 sim_lat_bucket(gint64 ns)
{
    if (ns < 1000)
        return ns;
    gint64 p = 1;
    while (ns / p >= 1000)
        p *= 10;
    return (ns + p / 2) / p * p;          /* round half up to 3 significant digits */
}

GArray *sim_lat_hist_new(void)
{
    return g_array_new(FALSE, FALSE, sizeof(SimLatBin));
}

static int cmp_i64(gconstpointer a, gconstpointer b)
{
    gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;
    return x < y ? -1 : x > y;
}

void sim_lat_hist_add_ms(GArray *h, const double *ms, gsize n)
{
    if (n == 0)
        return;
    gint64 *k = g_new(gint64, n);
    for (gsize i = 0; i < n; i++)
        k[i] = sim_lat_bucket((gint64)llround(ms[i] * 1e6));
    qsort(k, n, sizeof *k, cmp_i64);
    GArray *one = sim_lat_hist_new();
    for (gsize i = 0; i < n;) {
        gsize j = i;
        while (j < n && k[j] == k[i])
            j++;
        SimLatBin b = { k[i], j - i };
        g_array_append_val(one, b);
        i = j;
    }
    g_free(k);
    sim_lat_hist_merge(h, one);
    g_array_free(one, TRUE);
}

void sim_lat_hist_merge(GArray *dst, const GArray *src)
{
    if (!src || src->len == 0)
        return;
    GArray *out = g_array_sized_new(FALSE, FALSE, sizeof(SimLatBin), dst->len + src->len);
    guint i = 0, j = 0;
    while (i < dst->len || j < src->len) {
        const SimLatBin *a = i < dst->len ? &g_array_index(dst, SimLatBin, i) : NULL;
        const SimLatBin *b = j < src->len ? &g_array_index(src, SimLatBin, j) : NULL;
        SimLatBin m;
        if (a && b && a->ns == b->ns) {
            m = (SimLatBin){ a->ns, a->n + b->n };
            i++, j++;
        } else if (a && (!b || a->ns < b->ns)) {
            m = *a;
            i++;
        } else {
            m = *b;
            j++;
        }
        g_array_append_val(out, m);
    }
    g_array_set_size(dst, 0);
    g_array_append_vals(dst, out->data, out->len);
    g_array_free(out, TRUE);
}

guint64 sim_lat_hist_count(const GArray *h)
{
    guint64 n = 0;
    for (guint i = 0; h && i < h->len; i++)
        n += g_array_index(h, SimLatBin, i).n;
    return n;
}

double sim_lat_hist_quantile_ms(const GArray *h, double q)
{
    guint64 n = sim_lat_hist_count(h);
    if (n == 0)
        return 0.0;
    /* the rank of sim_stats_quantile: ceil(q n) with slack, clamped to [1, n] */
    double r = ceil(CLAMP(q, 0.0, 1.0) * (double)n - 1e-9);
    guint64 rank = r < 1.0 ? 1 : MIN((guint64)r, n), seen = 0;
    for (guint i = 0; i < h->len; i++) {
        const SimLatBin *b = &g_array_index(h, SimLatBin, i);
        seen += b->n;
        if (seen >= rank)
            return (double)b->ns / 1e6;
    }
    return (double)g_array_index(h, SimLatBin, h->len - 1).ns / 1e6;
}

/* ---- case data ------------------------------------------------------------ */

static void summary_clear(gpointer p)
{
    SimRunSummary *s = p;
    if (s->notes)
        g_ptr_array_unref(s->notes);
}

SimCaseData *sim_case_data_new(void)
{
    SimCaseData *d = g_new0(SimCaseData, 1);
    d->runs = g_array_new(FALSE, TRUE, sizeof(SimRunSummary));
    g_array_set_clear_func(d->runs, summary_clear);
    d->op_hist = sim_lat_hist_new();
    d->fsync_hist = sim_lat_hist_new();
    return d;
}

void sim_case_data_free(SimCaseData *d)
{
    if (!d)
        return;
    g_array_unref(d->runs);
    g_array_free(d->op_hist, TRUE);
    g_array_free(d->fsync_hist, TRUE);
    g_free(d);
}

void sim_case_data_add_run(SimCaseData *d, SimRunSummary *s)
{
    g_assert(d->runs->len == 0 || g_array_index(d->runs, SimRunSummary, d->runs->len - 1).run < s->run);
    g_array_append_vals(d->runs, s, 1);
    s->notes = NULL;
}

/* ---- aggregation ------------------------------------------------------------ */

void sim_case_result_aggregate(SimCaseResult *cr, SimCaseData *d)
{
    g_assert(cr->runs == d->runs->len);
    guint runs = d->runs->len;
    guint64 ops = 0, bytes = 0, fsyncs = 0;
    double pinc = 0;
    for (guint r = 0; r < runs; r++) {
        const SimRunSummary *o = &g_array_index(d->runs, SimRunSummary, r);
        cr->trials += o->trials;
        for (int k = 0; k < SIM_OUT_N; k++)
            cr->outcomes[k] += o->counts[k];
        cr->run_trials[r] = o->trials;
        cr->run_corrupt[r] = o->counts[SIM_OUT_CORRUPT] + o->counts[SIM_OUT_UNMOUNTABLE];
        cr->run_lost[r] = o->counts[SIM_OUT_LOST_FSYNC];
        cr->run_pinc[r] = o->pinc;
        pinc += o->pinc;
        ops += o->ops;
        bytes += o->bytes;
        fsyncs += o->fsyncs;
        cr->sim_seconds += o->sim_seconds;
        if (o->has_app) {
            cr->has_app = TRUE;
            cr->app_old += o->app[0];
            cr->app_new += o->app[1];
            cr->app_inconsistent += o->app[2];
        }
        SimDevStats *t = &cr->dev;
        const SimDevStats *s = &o->dev;
        t->reads += s->reads;
        t->writes += s->writes;
        t->flushes += s->flushes;
        t->fua_writes += s->fua_writes;
        t->write_blocks += s->write_blocks;
        t->media_writes += s->media_writes;
        t->media_blocks += s->media_blocks;
        t->media_reads += s->media_reads;
        t->cache_hits += s->cache_hits;
        t->max_dirty_blocks = MAX(t->max_dirty_blocks, s->max_dirty_blocks);
        t->cache_full_waits += s->cache_full_waits;
        t->busy_ns += s->busy_ns;
    }
    /* Notes: the first trial of each non-consistent class, most severe
     * first, then the next ones in run order, MAX_NOTES in all. */
    for (int pass = 0; pass < 2; pass++)
        for (int cls = SIM_OUT_N - 1; cls > SIM_OUT_CONSISTENT; cls--) {
            gboolean taken = FALSE;
            for (guint r = 0; r < runs && cr->notes->len < MAX_NOTES; r++) {
                GPtrArray *notes = g_array_index(d->runs, SimRunSummary, r).notes;
                for (guint i = 0; notes && i < notes->len && cr->notes->len < MAX_NOTES; i++) {
                    SimTrialNote *n = g_ptr_array_index(notes, i);
                    if ((int)n->outcome != cls || n->reason == NULL)
                        continue;
                    if (pass == 0 && taken)
                        break;
                    if (pass == 1 && !taken) {   /* skip the one pass 0 took */
                        taken = TRUE;
                        continue;
                    }
                    sim_case_result_add_note(cr, n->run, n->trial, n->t, n->outcome, n->reason);
                    taken = TRUE;
                }
                if (pass == 0 && taken)
                    break;
            }
        }
    cr->p_inc = runs ? pinc / runs : 0;
    double secs = cr->sim_seconds;
    cr->ops_per_s = secs > 0 ? ops / secs : 0;
    cr->mb_per_s = secs > 0 ? bytes / 1e6 / secs : 0;
    cr->fsyncs_per_s = secs > 0 ? fsyncs / secs : 0;
    cr->op_p50_ms = sim_lat_hist_quantile_ms(d->op_hist, 0.50);
    cr->op_p99_ms = sim_lat_hist_quantile_ms(d->op_hist, 0.99);
    cr->fsync_p50_ms = sim_lat_hist_quantile_ms(d->fsync_hist, 0.50);
    cr->fsync_p99_ms = sim_lat_hist_quantile_ms(d->fsync_hist, 0.99);
    cr->n_cdf = sim_lat_hist_count(d->fsync_hist) ? SIM_CDF_N : 0;
    for (guint i = 0; i < cr->n_cdf; i++)
        cr->fsync_cdf_ms[i] = sim_lat_hist_quantile_ms(d->fsync_hist, sim_cdf_q[i]);
    sim_case_data_free(cr->data);
    cr->data = d;
}

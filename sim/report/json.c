/* sim/report/json.c - the results document of DESIGN §3.
 *
 * Output rules:
 *  - keys in a fixed order, 2-space indentation, "[lo, hi]" pairs on one
 *    line, a trailing newline; nothing host-, time- or locale-dependent, so
 *    the same results give byte-identical text;
 *  - integers as integers; rates, CIs, throughput and latencies as "%.6g",
 *    sim_seconds as "%.10g", nanosecond times as exact decimal seconds;
 *  - a value that is not a finite number (e.g. a rate over 0 trials) is
 *    written as null, never as NaN/Inf or a made-up 0;
 *  - a NUMBER parameter is copied verbatim when its text is a JSON number,
 *    else it is written as a string (so the document always parses);
 *  - "notes" lists the case's notes as given; a NULL reason is "";
 *  - strings are escaped (\" \\ and control characters as \u00XX); invalid
 *    UTF-8 is replaced by U+FFFD;
 *  - a sweep point has "sweep": {key: value} (its swept keys, values as in
 *    params); every case has "fsync_cdf_ms": [[q, ms], ...] (empty when no
 *    fsync completed);
 *  - only in a shard ("shard": "K/N"), each case ends with "shard_data": the
 *    parameters as text, every run's summary (doubles as %.17g, times in ns)
 *    and the latency histograms, from which `powercut merge` rebuilds the
 *    unsharded document exactly (load.c). */
#include "report-priv.h"

/* A small pretty-printing writer: it tracks, per nesting level, whether a
 * separator is due and whether the container is laid out on one line. */
#define JW_MAX_DEPTH 16
typedef struct {
    GString *s;
    int      depth;
    gboolean after_key;
    gboolean first[JW_MAX_DEPTH];
    gboolean oneline[JW_MAX_DEPTH];
} Jw;

static void jw_newline(Jw *w, int depth)
{
    g_string_append_c(w->s, '\n');
    for (int i = 0; i < depth; i++) g_string_append(w->s, "  ");
}

/* Separator and layout before a member (object) or an element (array). */
static void jw_pre(Jw *w)
{
    if (w->after_key) { w->after_key = FALSE; return; }
    if (w->depth == 0) return;
    if (!w->first[w->depth]) g_string_append_c(w->s, ',');
    if (!w->oneline[w->depth]) jw_newline(w, w->depth);
    else if (!w->first[w->depth]) g_string_append_c(w->s, ' ');
    w->first[w->depth] = FALSE;
}

static void jw_string(Jw *w, const char *text)
{
    jw_pre(w);
    if (!text) { g_string_append(w->s, "null"); return; }
    g_autofree char *valid = g_utf8_make_valid(text, -1);
    g_string_append_c(w->s, '"');
    for (const unsigned char *p = (const unsigned char *)valid; *p; p++) {
        if (*p == '"' || *p == '\\') g_string_append_printf(w->s, "\\%c", *p);
        else if (*p < 0x20) g_string_append_printf(w->s, "\\u%04x", *p);
        else g_string_append_c(w->s, (char)*p);
    }
    g_string_append_c(w->s, '"');
}

static void jw_key(Jw *w, const char *key)
{
    jw_string(w, key);
    g_string_append(w->s, ": ");
    w->after_key = TRUE;
}

static void jw_open(Jw *w, char c, gboolean oneline)
{
    jw_pre(w);
    g_assert(w->depth + 1 < JW_MAX_DEPTH);
    g_string_append_c(w->s, c);
    w->depth++;
    w->first[w->depth] = TRUE;
    w->oneline[w->depth] = oneline || w->oneline[w->depth - 1];
}

static void jw_close(Jw *w, char c)
{
    if (!w->first[w->depth] && !w->oneline[w->depth]) jw_newline(w, w->depth - 1);
    g_string_append_c(w->s, c);
    w->depth--;
}

static void jw_raw(Jw *w, const char *text)
{
    jw_pre(w);
    g_string_append(w->s, text);
}

static void jw_u64(Jw *w, guint64 v)
{
    jw_pre(w);
    g_string_append_printf(w->s, "%" G_GUINT64_FORMAT, v);
}

static void jw_double(Jw *w, double x, const char *fmt)
{
    jw_pre(w);
    if (!sim_report_append_double(w->s, fmt, x)) g_string_append(w->s, "null");
}

static void jw_ns_as_s(Jw *w, SimTime ns)
{
    jw_pre(w);
    sim_report_append_ns_as_s(w->s, ns);
}

/* Convenience: "key": value */
static void kv_u64(Jw *w, const char *k, guint64 v) { jw_key(w, k); jw_u64(w, v); }
static void kv_str(Jw *w, const char *k, const char *v) { jw_key(w, k); jw_string(w, v); }
static void kv_g6(Jw *w, const char *k, double x) { jw_key(w, k); jw_double(w, x, "%.6g"); }

static void kv_pair(Jw *w, const char *k, const double v[2])
{
    jw_key(w, k);
    jw_open(w, '[', TRUE);
    jw_double(w, v[0], "%.6g");
    jw_double(w, v[1], "%.6g");
    jw_close(w, ']');
}

static void write_params(Jw *w, const GArray *params)
{
    jw_key(w, "params");
    jw_open(w, '{', FALSE);
    for (guint i = 0; params && i < params->len; i++) {
        const SimParamValue *p = &g_array_index(params, SimParamValue, i);
        jw_key(w, p->key);
        if (p->kind == SIM_PV_BOOL)
            jw_raw(w, sim_report_param_true(p->value) ? "true" : "false");
        else if (p->kind == SIM_PV_NUMBER && sim_report_is_json_number(p->value))
            jw_raw(w, p->value);
        else
            jw_string(w, p->value);
    }
    jw_close(w, '}');
}

static void write_device(Jw *w, const SimDevStats *d)
{
    jw_key(w, "device");
    jw_open(w, '{', FALSE);
    kv_u64(w, "flushes", d->flushes);
    kv_u64(w, "fua_writes", d->fua_writes);
    kv_u64(w, "media_writes", d->media_writes);
    kv_u64(w, "reads", d->reads);
    kv_u64(w, "writes", d->writes);
    kv_u64(w, "write_blocks", d->write_blocks);
    kv_u64(w, "media_blocks", d->media_blocks);
    kv_u64(w, "media_reads", d->media_reads);
    kv_u64(w, "cache_hits", d->cache_hits);
    kv_u64(w, "max_dirty_blocks", d->max_dirty_blocks);
    kv_u64(w, "cache_full_waits", d->cache_full_waits);
    jw_key(w, "busy_s");
    jw_ns_as_s(w, d->busy_ns);
    jw_close(w, '}');
}

static void write_notes(Jw *w, const GPtrArray *notes)
{
    jw_key(w, "notes");
    jw_open(w, '[', FALSE);
    for (guint i = 0; notes && i < notes->len; i++) {
        const SimTrialNote *n = g_ptr_array_index(notes, i);
        jw_open(w, '{', TRUE);
        kv_u64(w, "run", n->run);
        kv_u64(w, "trial", n->trial);
        jw_key(w, "t_s");
        jw_ns_as_s(w, n->t);
        kv_str(w, "outcome", sim_outcome_name(n->outcome));
        kv_str(w, "reason", n->reason ? n->reason : "");
        jw_close(w, '}');
    }
    jw_close(w, ']');
}

static const SimParamValue *find_param(const GArray *params, const char *key)
{
    for (guint i = 0; params && i < params->len; i++) {
        const SimParamValue *p = &g_array_index(params, SimParamValue, i);
        if (!g_strcmp0(p->key, key)) return p;
    }
    return NULL;
}

static void write_param_value(Jw *w, const SimParamValue *p)
{
    if (!p)
        jw_raw(w, "null");
    else if (p->kind == SIM_PV_BOOL)
        jw_raw(w, sim_report_param_true(p->value) ? "true" : "false");
    else if (p->kind == SIM_PV_NUMBER && sim_report_is_json_number(p->value))
        jw_raw(w, p->value);
    else
        jw_string(w, p->value);
}

/* "sweep": the swept keys with their values at this point. */
static void write_sweep(Jw *w, const SimCaseResult *c)
{
    jw_key(w, "sweep");
    jw_open(w, '{', TRUE);
    for (guint i = 0; i < c->sweep->len; i++) {
        const char *k = g_ptr_array_index(c->sweep, i);
        jw_key(w, k);
        write_param_value(w, find_param(c->params, k));
    }
    jw_close(w, '}');
}

static void write_hist(Jw *w, const char *key, const GArray *h)
{
    jw_key(w, key);
    jw_open(w, '[', TRUE);
    for (guint i = 0; i < h->len; i++) {
        const SimLatBin *b = &g_array_index(h, SimLatBin, i);
        jw_open(w, '[', TRUE);
        jw_u64(w, (guint64)b->ns);
        jw_u64(w, b->n);
        jw_close(w, ']');
    }
    jw_close(w, ']');
}

/* "shard_data": what `powercut merge` needs to rebuild the unsharded case
 * exactly: the parameters as text, every run's summary (doubles as %.17g,
 * times in ns), and the latency histograms. */
static void write_shard_data(Jw *w, const SimCaseResult *c)
{
    static const char *const kinds[] = { "number", "bool", "string" };
    const SimCaseData *d = c->data;
    jw_key(w, "shard_data");
    jw_open(w, '{', FALSE);
    jw_key(w, "params");
    jw_open(w, '[', FALSE);
    for (guint i = 0; c->params && i < c->params->len; i++) {
        const SimParamValue *p = &g_array_index(c->params, SimParamValue, i);
        jw_open(w, '[', TRUE);
        jw_string(w, p->key);
        jw_string(w, p->value);
        jw_string(w, kinds[p->kind]);
        jw_close(w, ']');
    }
    jw_close(w, ']');
    jw_key(w, "runs");
    jw_open(w, '[', FALSE);
    for (guint r = 0; r < d->runs->len; r++) {
        const SimRunSummary *s = &g_array_index(d->runs, SimRunSummary, r);
        jw_open(w, '{', FALSE);
        kv_u64(w, "run", s->run);
        kv_u64(w, "trials", s->trials);
        jw_key(w, "outcomes");
        jw_open(w, '[', TRUE);
        for (int o = 0; o < SIM_OUT_N; o++) jw_u64(w, s->counts[o]);
        jw_close(w, ']');
        jw_key(w, "pinc");
        jw_double(w, s->pinc, "%.17g");
        jw_key(w, "sim_seconds");
        jw_double(w, s->sim_seconds, "%.17g");
        kv_u64(w, "ops", s->ops);
        kv_u64(w, "bytes", s->bytes);
        kv_u64(w, "fsyncs", s->fsyncs);
        if (s->has_app) {
            jw_key(w, "app");
            jw_open(w, '[', TRUE);
            for (int k = 0; k < 3; k++) jw_u64(w, s->app[k]);
            jw_close(w, ']');
        }
        jw_key(w, "device");
        jw_open(w, '{', TRUE);
        const SimDevStats *v = &s->dev;
        kv_u64(w, "reads", v->reads);
        kv_u64(w, "writes", v->writes);
        kv_u64(w, "flushes", v->flushes);
        kv_u64(w, "fua_writes", v->fua_writes);
        kv_u64(w, "write_blocks", v->write_blocks);
        kv_u64(w, "media_writes", v->media_writes);
        kv_u64(w, "media_blocks", v->media_blocks);
        kv_u64(w, "media_reads", v->media_reads);
        kv_u64(w, "cache_hits", v->cache_hits);
        kv_u64(w, "max_dirty_blocks", v->max_dirty_blocks);
        kv_u64(w, "cache_full_waits", v->cache_full_waits);
        kv_u64(w, "busy_ns", (guint64)v->busy_ns);
        jw_close(w, '}');
        jw_key(w, "notes");
        jw_open(w, '[', FALSE);
        for (guint i = 0; s->notes && i < s->notes->len; i++) {
            const SimTrialNote *n = g_ptr_array_index(s->notes, i);
            jw_open(w, '{', TRUE);
            kv_u64(w, "trial", n->trial);
            kv_u64(w, "t_ns", (guint64)n->t);
            kv_str(w, "outcome", sim_outcome_name(n->outcome));
            jw_key(w, "reason");
            jw_string(w, n->reason);
            jw_close(w, '}');
        }
        jw_close(w, ']');
        jw_close(w, '}');
    }
    jw_close(w, ']');
    write_hist(w, "op_latency_ns", d->op_hist);
    write_hist(w, "fsync_latency_ns", d->fsync_hist);
    jw_close(w, '}');
}

/* "outcomes": { "consistent": n, ... } in SimOutcome order */
static void write_outcomes(Jw *w, const guint64 *counts)
{
    jw_key(w, "outcomes");
    jw_open(w, '{', FALSE);
    for (int o = 0; o < SIM_OUT_N; o++) kv_u64(w, sim_outcome_name(o), counts[o]);
    jw_close(w, '}');
}

/* "crash_states" (run --crash-states exhaustive): every state an honest
 * device could have left at each sampled cut, summed over the cuts. */
static void write_crash_states(Jw *w, const SimCrashStatesSummary *s)
{
    jw_key(w, "crash_states");
    jw_open(w, '{', FALSE);
    kv_str(w, "mode", "exhaustive");
    kv_u64(w, "max_pending", s->max_pending);
    kv_u64(w, "samples_per_sampled_cut", s->samples);
    if (s->boundaries)
        kv_str(w, "cuts_at", "boundaries");
    kv_u64(w, "cuts", s->cuts);
    kv_u64(w, "states", s->states);
    kv_u64(w, "sampled_cuts", s->sampled_cuts);
    kv_u64(w, "max_free", s->max_free);
    kv_u64(w, "cuts_with_corrupt", s->bad_cuts);
    write_outcomes(w, s->counts);
    jw_key(w, "witness");
    if (!s->have_witness) {
        jw_raw(w, "null");
    } else {
        jw_open(w, '{', FALSE);
        kv_u64(w, "run", s->w_run);
        kv_u64(w, "trial", s->w_trial);
        jw_key(w, "t_s");
        jw_ns_as_s(w, s->w_t);
        kv_str(w, "outcome", sim_outcome_name(s->w_outcome));
        kv_u64(w, "durable_free_writes", s->w_size);
        kv_u64(w, "free_writes", s->w_free);
        jw_key(w, "sampled");
        jw_raw(w, s->w_sampled ? "true" : "false");
        kv_str(w, "reason", s->w_reason);
        jw_close(w, '}');
    }
    jw_close(w, '}');
}

static void write_case(Jw *w, const SimCaseResult *c, gboolean shard)
{
    double cci[2], lci[2];
    sim_report_case_cis(c, cci, lci);
    guint64 bad = c->outcomes[SIM_OUT_CORRUPT] + c->outcomes[SIM_OUT_UNMOUNTABLE];

    jw_open(w, '{', FALSE);
    kv_str(w, "name", c->name);
    write_params(w, c->params);
    if (c->sweep) write_sweep(w, c);
    kv_u64(w, "runs", c->runs);
    kv_u64(w, "trials", c->trials);
    write_outcomes(w, c->outcomes);
    kv_g6(w, "corruption_rate", sim_report_ratio(bad, c->trials));
    kv_pair(w, "corruption_ci95", cci);
    kv_g6(w, "lost_fsync_rate", sim_report_ratio(c->outcomes[SIM_OUT_LOST_FSYNC], c->trials));
    kv_pair(w, "lost_fsync_ci95", lci);
    kv_g6(w, "p_inc", c->p_inc);
    jw_key(w, "throughput");
    jw_open(w, '{', FALSE);
    kv_g6(w, "ops_per_s", c->ops_per_s);
    kv_g6(w, "mb_per_s", c->mb_per_s);
    kv_g6(w, "fsyncs_per_s", c->fsyncs_per_s);
    jw_close(w, '}');
    jw_key(w, "latency_ms");
    jw_open(w, '{', FALSE);
    kv_g6(w, "op_p50", c->op_p50_ms);
    kv_g6(w, "op_p99", c->op_p99_ms);
    kv_g6(w, "fsync_p50", c->fsync_p50_ms);
    kv_g6(w, "fsync_p99", c->fsync_p99_ms);
    jw_close(w, '}');
    jw_key(w, "fsync_cdf_ms");                   /* [[q, ms], ...] */
    jw_open(w, '[', FALSE);
    for (guint i = 0; i < c->n_cdf; i++) {
        jw_open(w, '[', TRUE);
        jw_double(w, sim_cdf_q[i], "%.6g");
        jw_double(w, c->fsync_cdf_ms[i], "%.6g");
        jw_close(w, ']');
    }
    jw_close(w, ']');
    write_device(w, &c->dev);
    jw_key(w, "sim_seconds");
    jw_double(w, c->sim_seconds, "%.10g");
    if (c->has_app) {
        jw_key(w, "app");
        jw_open(w, '{', FALSE);
        kv_u64(w, "old", c->app_old);
        kv_u64(w, "new", c->app_new);
        kv_u64(w, "inconsistent", c->app_inconsistent);
        jw_close(w, '}');
    }
    write_notes(w, c->notes);
    if (c->cstates) write_crash_states(w, c->cstates);
    if (shard && c->data) write_shard_data(w, c);
    jw_close(w, '}');
}

GString *sim_report_json(const SimResults *r)
{
    Jw w = { .s = g_string_new(NULL) };
    jw_open(&w, '{', FALSE);
    kv_str(&w, "powercut", r->version ? r->version : POWERCUT_VERSION);
    kv_str(&w, "scenario", r->scenario);
    kv_u64(&w, "seed", r->seed);
    if (r->shard) kv_str(&w, "shard", r->shard);
    jw_key(&w, "cases");
    jw_open(&w, '[', FALSE);
    for (guint i = 0; r->cases && i < r->cases->len; i++)
        write_case(&w, g_ptr_array_index(r->cases, i), r->shard != NULL);
    jw_close(&w, ']');
    jw_close(&w, '}');
    g_string_append_c(w.s, '\n');
    return w.s;
}

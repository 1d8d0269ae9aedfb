/* sim/report/load.c - reading results documents back: JSON parsing with
 * one-line errors, and `powercut merge`.
 *
 * Merge rebuilds each case from the "shard_data" the shards carry (the
 * parameters as text, every run's summary, the latency histograms) through
 * sim_case_result_aggregate, the function the simulator itself uses; so the
 * merged document is the unsharded one, byte for byte. Nothing in the public
 * part of a shard document (rounded rates, CIs) is read back. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <json-glib/json-glib.h>
#include "report-priv.h"
#include "plot.h"

G_DEFINE_QUARK(sim-report-error-quark, sim_report_error)

static gboolean G_GNUC_PRINTF(3, 4) bad(GError **error, const char *file, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, SIM_REPORT_ERROR, SIM_REPORT_ERROR_INPUT, "%s: %s", file, what);
    return FALSE;
}

JsonNode *sim_report_parse_json(const char *file, const char *text, gssize len, GError **error)
{
    g_autoptr(JsonParser) p = json_parser_new_immutable();
    g_autoptr(GError) e = NULL;
    if (len < 0)
        len = (gssize)strlen(text);
    if (len == 0) {
        bad(error, file, "empty file (expected a powercut results JSON document)");
        return NULL;
    }
    if (!g_utf8_validate(text, len, NULL)) {
        bad(error, file, "not UTF-8 text (expected a powercut results JSON document)");
        return NULL;
    }
    if (!json_parser_load_from_data(p, text, len, &e)) {
        /* "<data>:L:C: Parse error: what" -> "FILE:L:C: invalid JSON: what" */
        const char *m = e->message, *pe = strstr(m, ": Parse error: ");
        if (g_str_has_prefix(m, "<data>:") && pe) {
            g_autofree char *pos = g_strndup(m + 7, (gsize)(pe - m - 7));
            /* an error on the last line of a document that does not end like one: cut short */
            gssize end = len;
            while (end > 0 && g_ascii_isspace(text[end - 1]))
                end--;
            guint lines = 1;                          /* the last line with text */
            for (gssize i = 0; i < end; i++)
                lines += text[i] == '\n';
            gboolean cut = g_ascii_strtoull(pos, NULL, 10) >= lines && (end == 0 || text[end - 1] != '}');
            g_set_error(error, SIM_REPORT_ERROR, SIM_REPORT_ERROR_INPUT, "%s:%s: invalid JSON%s: %s", file, pos,
                        cut ? " (truncated? the document ends early)" : "", pe + strlen(": Parse error: "));
        } else
            bad(error, file, "invalid JSON: %s", m);
        g_strdelimit((*error)->message, "\r\n", ' ');
        return NULL;
    }
    JsonNode *root = json_parser_get_root(p);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        bad(error, file, "not a powercut results document (the top level is not an object)");
        return NULL;
    }
    return json_node_ref(root);
}

/* ---- typed access with a path for messages ------------------------------- */

typedef struct {
    const char *file;
    GError    **error;
    gboolean    failed;
} Rd;

static JsonNode *member(Rd *rd, JsonObject *o, const char *where, const char *key, JsonNodeType type,
                        const char *what)
{
    if (rd->failed)
        return NULL;
    JsonNode *n = o ? json_object_get_member(o, key) : NULL;
    if (!n || JSON_NODE_TYPE(n) != type) {
        rd->failed = TRUE;
        bad(rd->error, rd->file, "%s%s\"%s\": %s (expected %s)", where, *where ? ": " : "", key,
            n ? "wrong type" : "missing", what);
        return NULL;
    }
    return n;
}

static gboolean is_int(JsonNode *n)
{
    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64;
}

static guint64 get_u64(Rd *rd, JsonObject *o, const char *where, const char *key)
{
    JsonNode *n = member(rd, o, where, key, JSON_NODE_VALUE, "a count");
    if (!n)
        return 0;
    if (!is_int(n) || json_node_get_int(n) < 0) {
        rd->failed = TRUE;
        bad(rd->error, rd->file, "%s: \"%s\": expected a count", where, key);
        return 0;
    }
    return (guint64)json_node_get_int(n);
}

static double node_double(JsonNode *n)
{
    return json_node_get_value_type(n) == G_TYPE_INT64 ? (double)json_node_get_int(n) : json_node_get_double(n);
}

static double get_double(Rd *rd, JsonObject *o, const char *where, const char *key)
{
    JsonNode *n = member(rd, o, where, key, JSON_NODE_VALUE, "a number");
    if (!n)
        return 0;
    GType t = json_node_get_value_type(n);
    if (t != G_TYPE_INT64 && t != G_TYPE_DOUBLE) {
        rd->failed = TRUE;
        bad(rd->error, rd->file, "%s: \"%s\": expected a number", where, key);
        return 0;
    }
    return node_double(n);
}

static const char *get_str(Rd *rd, JsonObject *o, const char *where, const char *key)
{
    JsonNode *n = member(rd, o, where, key, JSON_NODE_VALUE, "a string");
    if (!n)
        return NULL;
    if (json_node_get_value_type(n) != G_TYPE_STRING) {
        rd->failed = TRUE;
        bad(rd->error, rd->file, "%s: \"%s\": expected a string", where, key);
        return NULL;
    }
    return json_node_get_string(n);
}

static JsonArray *get_array(Rd *rd, JsonObject *o, const char *where, const char *key)
{
    JsonNode *n = member(rd, o, where, key, JSON_NODE_ARRAY, "an array");
    return n ? json_node_get_array(n) : NULL;
}

static JsonObject *get_object(Rd *rd, JsonObject *o, const char *where, const char *key)
{
    JsonNode *n = member(rd, o, where, key, JSON_NODE_OBJECT, "an object");
    return n ? json_node_get_object(n) : NULL;
}

/* Element i of a, of type `type`. */
static JsonNode *element(Rd *rd, JsonArray *a, guint i, JsonNodeType type, const char *where)
{
    if (rd->failed)
        return NULL;
    JsonNode *n = i < json_array_get_length(a) ? json_array_get_element(a, i) : NULL;
    if (!n || JSON_NODE_TYPE(n) != type) {
        rd->failed = TRUE;
        bad(rd->error, rd->file, "%s[%u]: %s", where, i, n ? "wrong type" : "missing");
        return NULL;
    }
    return n;
}

/* ---- one shard ------------------------------------------------------------- */

typedef struct {
    char        *file;
    JsonNode    *root;
    const char  *version, *scenario, *shard;
    guint64      seed;
    guint        k, n;
    JsonArray   *cases;
} Shard;

static SimOutcome outcome_from_name(const char *s)
{
    for (int o = 0; o < SIM_OUT_N; o++)
        if (!g_strcmp0(s, sim_outcome_name(o)))
            return o;
    return SIM_OUT_N;
}

static void read_hist(Rd *rd, JsonObject *o, const char *where, const char *key, GArray *h)
{
    JsonArray *a = get_array(rd, o, where, key);
    GArray *part = sim_lat_hist_new();
    for (guint i = 0; a && i < json_array_get_length(a) && !rd->failed; i++) {
        JsonNode *e = element(rd, a, i, JSON_NODE_ARRAY, key);
        JsonArray *pair = e ? json_node_get_array(e) : NULL;
        if (!pair || json_array_get_length(pair) != 2 || !is_int(json_array_get_element(pair, 0)) ||
            !is_int(json_array_get_element(pair, 1))) {
            if (!rd->failed)
                bad(rd->error, rd->file, "%s: %s[%u]: expected [ns, count]", where, key, i);
            rd->failed = TRUE;
            break;
        }
        SimLatBin b = { json_array_get_int_element(pair, 0), (guint64)json_array_get_int_element(pair, 1) };
        if (part->len && g_array_index(part, SimLatBin, part->len - 1).ns >= b.ns) {
            bad(rd->error, rd->file, "%s: %s: not in ascending order", where, key);
            rd->failed = TRUE;
            break;
        }
        g_array_append_val(part, b);
    }
    if (!rd->failed)
        sim_lat_hist_merge(h, part);
    g_array_free(part, TRUE);
}

static void read_dev(Rd *rd, JsonObject *o, const char *where, SimDevStats *d)
{
    JsonObject *v = get_object(rd, o, where, "device");
    d->reads = get_u64(rd, v, where, "reads");
    d->writes = get_u64(rd, v, where, "writes");
    d->flushes = get_u64(rd, v, where, "flushes");
    d->fua_writes = get_u64(rd, v, where, "fua_writes");
    d->write_blocks = get_u64(rd, v, where, "write_blocks");
    d->media_writes = get_u64(rd, v, where, "media_writes");
    d->media_blocks = get_u64(rd, v, where, "media_blocks");
    d->media_reads = get_u64(rd, v, where, "media_reads");
    d->cache_hits = get_u64(rd, v, where, "cache_hits");
    d->max_dirty_blocks = get_u64(rd, v, where, "max_dirty_blocks");
    d->cache_full_waits = get_u64(rd, v, where, "cache_full_waits");
    d->busy_ns = (SimTime)get_u64(rd, v, where, "busy_ns");
}

/* The runs of one case of a shard, appended to `runs` (SimRunSummary). */
static void read_runs(Rd *rd, JsonArray *a, const char *where, GArray *runs)
{
    for (guint i = 0; a && i < json_array_get_length(a) && !rd->failed; i++) {
        g_autofree char *w = g_strdup_printf("%s.runs[%u]", where, i);
        JsonNode *e = element(rd, a, i, JSON_NODE_OBJECT, w);
        JsonObject *o = e ? json_node_get_object(e) : NULL;
        SimRunSummary s = { 0 };
        guint64 run = get_u64(rd, o, w, "run");
        s.run = (guint)MIN(run, G_MAXUINT);
        s.trials = get_u64(rd, o, w, "trials");
        JsonArray *oc = get_array(rd, o, w, "outcomes");
        if (oc && json_array_get_length(oc) != SIM_OUT_N && !rd->failed) {
            rd->failed = TRUE;
            bad(rd->error, rd->file, "%s: \"outcomes\": expected %d counts", w, SIM_OUT_N);
        }
        for (int k = 0; oc && k < SIM_OUT_N && !rd->failed; k++) {
            JsonNode *c = json_array_get_element(oc, k);
            if (!is_int(c) || json_node_get_int(c) < 0) {
                rd->failed = TRUE;
                bad(rd->error, rd->file, "%s: \"outcomes\": expected counts", w);
            } else
                s.counts[k] = (guint64)json_node_get_int(c);
        }
        s.pinc = get_double(rd, o, w, "pinc");
        s.sim_seconds = get_double(rd, o, w, "sim_seconds");
        s.ops = get_u64(rd, o, w, "ops");
        s.bytes = get_u64(rd, o, w, "bytes");
        s.fsyncs = get_u64(rd, o, w, "fsyncs");
        JsonNode *app = o ? json_object_get_member(o, "app") : NULL;
        if (app && !rd->failed) {
            JsonArray *aa = JSON_NODE_HOLDS_ARRAY(app) ? json_node_get_array(app) : NULL;
            gboolean good = aa && json_array_get_length(aa) == 3;
            for (guint k = 0; good && k < 3; k++) {
                JsonNode *x = json_array_get_element(aa, k);
                good = is_int(x) && json_node_get_int(x) >= 0;
                if (good)
                    s.app[k] = (guint64)json_node_get_int(x);
            }
            if (!good) {
                rd->failed = TRUE;
                bad(rd->error, rd->file, "%s: \"app\": expected [old, new, inconsistent]", w);
            }
            s.has_app = TRUE;
        }
        read_dev(rd, o, w, &s.dev);
        JsonArray *notes = get_array(rd, o, w, "notes");
        s.notes = g_ptr_array_new();
        for (guint j = 0; notes && j < json_array_get_length(notes) && !rd->failed; j++) {
            g_autofree char *wn = g_strdup_printf("%s.notes[%u]", w, j);
            JsonNode *ne = element(rd, notes, j, JSON_NODE_OBJECT, wn);
            JsonObject *no = ne ? json_node_get_object(ne) : NULL;
            guint64 trial = get_u64(rd, no, wn, "trial"), t = get_u64(rd, no, wn, "t_ns");
            SimOutcome oc2 = outcome_from_name(get_str(rd, no, wn, "outcome"));
            JsonNode *rn = no ? json_object_get_member(no, "reason") : NULL;
            if (!rd->failed && (oc2 == SIM_OUT_N || !rn || (!JSON_NODE_HOLDS_NULL(rn) &&
                                 json_node_get_value_type(rn) != G_TYPE_STRING))) {
                rd->failed = TRUE;
                bad(rd->error, rd->file, "%s: expected an outcome name and a reason", wn);
            }
            if (rd->failed)
                break;
            SimTrialNote *n = g_new0(SimTrialNote, 1);
            *n = (SimTrialNote){ s.run, trial, (SimTime)t, oc2,
                                 JSON_NODE_HOLDS_NULL(rn) ? NULL : g_strdup(json_node_get_string(rn)) };
            g_ptr_array_add(s.notes, n);
        }
        g_array_append_val(runs, s);
    }
}

static gboolean read_shard(Shard *sh, const char *file, GError **error)
{
    sh->file = g_strdup(file);
    g_autofree char *text = NULL;
    gsize len;
    g_autoptr(GError) e = NULL;
    if (!g_file_get_contents(file, &text, &len, &e))
        return bad(error, file, "cannot read (%s)", e->code == G_FILE_ERROR_NOENT ? "no such file" : e->message);
    sh->root = sim_report_parse_json(file, text, (gssize)len, error);
    if (!sh->root)
        return FALSE;
    Rd rd = { file, error, FALSE };
    JsonObject *top = json_node_get_object(sh->root);
    sh->version = get_str(&rd, top, "", "powercut");
    sh->scenario = get_str(&rd, top, "", "scenario");
    sh->seed = get_u64(&rd, top, "", "seed");
    sh->cases = get_array(&rd, top, "", "cases");
    if (rd.failed)
        return FALSE;
    JsonNode *s = json_object_get_member(top, "shard");
    if (!s || json_node_get_value_type(s) != G_TYPE_STRING)
        return bad(error, file, "not a shard (no \"shard\": run it with --shard K/N)");
    sh->shard = json_node_get_string(s);
    unsigned k = 0, n = 0;
    char extra;
    if (sscanf(sh->shard, "%u/%u%c", &k, &n, &extra) != 2 || k < 1 || k > n)
        return bad(error, file, "\"shard\": \"%s\" is not K/N with 1 <= K <= N", sh->shard);
    sh->k = k;
    sh->n = n;
    return TRUE;
}

static void shard_clear(Shard *sh)
{
    g_free(sh->file);
    if (sh->root)
        json_node_unref(sh->root);
}

/* One case of a shard: its name, params as text, sweep keys, runs, histograms. */
typedef struct {
    const char *name;
    GArray     *params;     /* SimParamValue (borrowed strings) */
    GPtrArray  *sweep;      /* const char* keys, or NULL */
    GArray     *runs;       /* SimRunSummary */
    GArray     *op_hist, *fsync_hist;
} ShardCase;

static void shard_case_clear(ShardCase *c)
{
    if (c->params)
        g_array_free(c->params, TRUE);
    if (c->sweep)
        g_ptr_array_free(c->sweep, TRUE);
    for (guint i = 0; c->runs && i < c->runs->len; i++) {
        GPtrArray *n = g_array_index(c->runs, SimRunSummary, i).notes;
        if (n) {
            g_ptr_array_set_free_func(n, sim_trial_note_free);
            g_ptr_array_unref(n);
        }
    }
    if (c->runs)
        g_array_free(c->runs, TRUE);
    if (c->op_hist)
        g_array_free(c->op_hist, TRUE);
    if (c->fsync_hist)
        g_array_free(c->fsync_hist, TRUE);
}

static gboolean read_case(Shard *sh, guint i, ShardCase *c, GError **error)
{
    Rd rd = { sh->file, error, FALSE };
    g_autofree char *w = g_strdup_printf("cases[%u]", i);
    JsonNode *e = element(&rd, sh->cases, i, JSON_NODE_OBJECT, "cases");
    JsonObject *o = e ? json_node_get_object(e) : NULL;
    c->name = get_str(&rd, o, w, "name");
    if (rd.failed)
        return FALSE;
    JsonNode *sw = json_object_get_member(o, "sweep");
    if (sw && JSON_NODE_HOLDS_OBJECT(sw)) {
        c->sweep = g_ptr_array_new();
        GList *keys = json_object_get_members(json_node_get_object(sw));   /* in document order */
        for (GList *l = keys; l; l = l->next)
            g_ptr_array_add(c->sweep, l->data);
        g_list_free(keys);
    }
    if (!json_object_get_member(o, "shard_data"))
        return bad(error, sh->file, "%s: no \"shard_data\" (written only by run --shard K/N)", w);
    JsonObject *sd = get_object(&rd, o, w, "shard_data");
    g_autofree char *wsd = g_strdup_printf("%s.shard_data", w);
    JsonArray *params = get_array(&rd, sd, wsd, "params");
    c->params = g_array_new(FALSE, TRUE, sizeof(SimParamValue));
    for (guint j = 0; params && j < json_array_get_length(params) && !rd.failed; j++) {
        JsonNode *pe = element(&rd, params, j, JSON_NODE_ARRAY, "params");
        JsonArray *t = pe ? json_node_get_array(pe) : NULL;
        gboolean good = t && json_array_get_length(t) == 3;
        for (guint k = 0; good && k < 3; k++)
            good = json_node_get_value_type(json_array_get_element(t, k)) == G_TYPE_STRING;
        if (!good) {
            if (!rd.failed)
                bad(error, sh->file, "%s.params[%u]: expected [key, value, kind]", wsd, j);
            return FALSE;
        }
        const char *kind = json_array_get_string_element(t, 2);
        SimParamValue v = { (char *)json_array_get_string_element(t, 0), (char *)json_array_get_string_element(t, 1),
                            !strcmp(kind, "bool") ? SIM_PV_BOOL : !strcmp(kind, "string") ? SIM_PV_STRING
                                                                                          : SIM_PV_NUMBER };
        g_array_append_val(c->params, v);
    }
    c->runs = g_array_new(FALSE, TRUE, sizeof(SimRunSummary));
    read_runs(&rd, get_array(&rd, sd, wsd, "runs"), wsd, c->runs);
    c->op_hist = sim_lat_hist_new();
    c->fsync_hist = sim_lat_hist_new();
    read_hist(&rd, sd, wsd, "op_latency_ns", c->op_hist);
    read_hist(&rd, sd, wsd, "fsync_latency_ns", c->fsync_hist);
    return !rd.failed;
}

static gint cmp_summary(gconstpointer a, gconstpointer b)
{
    guint x = ((const SimRunSummary *)a)->run, y = ((const SimRunSummary *)b)->run;
    return x < y ? -1 : x > y;
}

static const char *param_text(const GArray *params, const char *key)
{
    for (guint i = 0; i < params->len; i++)
        if (!strcmp(g_array_index(params, SimParamValue, i).key, key))
            return g_array_index(params, SimParamValue, i).value;
    return NULL;
}

static gboolean same_params(const ShardCase *a, const ShardCase *b)
{
    if (a->params->len != b->params->len)
        return FALSE;
    for (guint i = 0; i < a->params->len; i++) {
        const SimParamValue *x = &g_array_index(a->params, SimParamValue, i);
        const SimParamValue *y = &g_array_index(b->params, SimParamValue, i);
        if (strcmp(x->key, y->key) || strcmp(x->value, y->value) || x->kind != y->kind)
            return FALSE;
    }
    if (!a->sweep != !b->sweep || (a->sweep && a->sweep->len != b->sweep->len))
        return FALSE;
    for (guint i = 0; a->sweep && i < a->sweep->len; i++)
        if (strcmp(g_ptr_array_index(a->sweep, i), g_ptr_array_index(b->sweep, i)))
            return FALSE;
    return TRUE;
}

SimResults *sim_results_merge(const char *const *files, guint n, GError **error)
{
    if (n == 0) {
        g_set_error(error, SIM_REPORT_ERROR, SIM_REPORT_ERROR_INPUT, "merge: no shard files given");
        return NULL;
    }
    Shard *sh = g_new0(Shard, n);
    SimResults *res = NULL;
    guint ncases = 0;
    for (guint i = 0; i < n; i++)
        if (!read_shard(&sh[i], files[i], error))
            goto out;
    /* the same run, split: same version, scenario, seed, N; each K once */
    guint N = sh[0].n;
    for (guint i = 1; i < n; i++) {
        const char *what = strcmp(sh[i].version, sh[0].version)     ? "powercut version"
                           : strcmp(sh[i].scenario, sh[0].scenario) ? "scenario"
                           : sh[i].seed != sh[0].seed               ? "seed"
                           : sh[i].n != N                           ? "number of shards"
                                                                    : NULL;
        if (what) {
            bad(error, sh[i].file, "its %s differs from %s's (shards of one run must agree)", what, sh[0].file);
            goto out;
        }
        for (guint j = 0; j < i; j++)
            if (sh[j].k == sh[i].k) {
                bad(error, sh[i].file, "shard %u/%u given twice (also %s)", sh[i].k, N, sh[j].file);
                goto out;
            }
    }
    if (n != N) {
        for (guint k = 1; k <= N; k++) {
            gboolean have = FALSE;
            for (guint i = 0; i < n && !have; i++)
                have = sh[i].k == k;
            if (!have) {
                g_set_error(error, SIM_REPORT_ERROR, SIM_REPORT_ERROR_INPUT,
                            "merge: shard %u/%u is missing (given %u of %u shards)", k, N, n, N);
                goto out;
            }
        }
    }
    ncases = json_array_get_length(sh[0].cases);
    for (guint i = 1; i < n; i++)
        if (json_array_get_length(sh[i].cases) != ncases) {
            bad(error, sh[i].file, "it has %u cases, %s has %u (shards of one run must agree)",
                json_array_get_length(sh[i].cases), sh[0].file, ncases);
            goto out;
        }
    res = sim_results_new(sh[0].scenario, sh[0].seed);
    g_free(res->version);
    res->version = g_strdup(sh[0].version);
    for (guint c = 0; c < ncases; c++) {
        ShardCase *sc = g_new0(ShardCase, n);
        gboolean ok = TRUE;
        for (guint i = 0; i < n && ok; i++) {
            ok = read_case(&sh[i], c, &sc[i], error);
            if (ok && i > 0 && strcmp(sc[i].name, sc[0].name)) {
                ok = bad(error, sh[i].file, "cases[%u] is \"%s\", in %s it is \"%s\"", c, sc[i].name, sh[0].file,
                         sc[0].name);
            } else if (ok && i > 0 && !same_params(&sc[i], &sc[0]))
                ok = bad(error, sh[i].file, "case %s: its parameters differ from %s's", sc[i].name, sh[0].file);
        }
        /* every run once, in its shard: r % N == K - 1, and all of 0..runs-1 */
        GArray *all = g_array_new(FALSE, TRUE, sizeof(SimRunSummary));
        for (guint i = 0; i < n && ok; i++)
            for (guint r = 0; r < sc[i].runs->len && ok; r++) {
                SimRunSummary *s = &g_array_index(sc[i].runs, SimRunSummary, r);
                if (s->run % N != sh[i].k - 1)
                    ok = bad(error, sh[i].file, "case %s: run %u does not belong to shard %u/%u", sc[i].name, s->run,
                             sh[i].k, N);
                else
                    g_array_append_val(all, *s);
            }
        if (ok) {
            g_array_sort(all, cmp_summary);
            const char *rr = param_text(sc[0].params, "run.runs");
            guint64 want = rr ? g_ascii_strtoull(rr, NULL, 10) : all->len;
            for (guint r = 0; r < all->len && ok; r++)
                if (g_array_index(all, SimRunSummary, r).run != r)
                    ok = bad(error, files[0], "case %s: run %u appears twice or is missing", sc[0].name, r);
            if (ok && all->len != want)
                ok = bad(error, files[0], "case %s: the shards hold %u runs, run.runs is %" G_GUINT64_FORMAT,
                         sc[0].name, all->len, want);
        }
        if (ok) {
            SimCaseData *d = sim_case_data_new();
            for (guint r = 0; r < all->len; r++) {
                SimRunSummary s = g_array_index(all, SimRunSummary, r);
                GPtrArray *notes = g_ptr_array_new_with_free_func(sim_trial_note_free);
                for (guint j = 0; j < s.notes->len; j++) {   /* deep copies: the shards keep theirs */
                    SimTrialNote *o = g_ptr_array_index(s.notes, j), *x = g_new0(SimTrialNote, 1);
                    *x = *o;
                    x->reason = g_strdup(o->reason);
                    g_ptr_array_add(notes, x);
                }
                s.notes = notes;
                sim_case_data_add_run(d, &s);
            }
            for (guint i = 0; i < n; i++) {
                sim_lat_hist_merge(d->op_hist, sc[i].op_hist);
                sim_lat_hist_merge(d->fsync_hist, sc[i].fsync_hist);
            }
            SimCaseResult *cr = sim_case_result_new(sc[0].name, all->len);
            for (guint j = 0; j < sc[0].params->len; j++) {
                const SimParamValue *p = &g_array_index(sc[0].params, SimParamValue, j);
                sim_case_result_add_param(cr, p->key, p->value, p->kind);
            }
            if (sc[0].sweep) {
                cr->sweep = g_ptr_array_new_with_free_func(g_free);
                for (guint j = 0; j < sc[0].sweep->len; j++)
                    g_ptr_array_add(cr->sweep, g_strdup(g_ptr_array_index(sc[0].sweep, j)));
            }
            sim_case_result_aggregate(cr, d);
            g_ptr_array_add(res->cases, cr);
        }
        g_array_free(all, TRUE);
        for (guint i = 0; i < n; i++)
            shard_case_clear(&sc[i]);
        g_free(sc);
        if (!ok) {
            g_clear_pointer(&res, sim_results_free);
            goto out;
        }
    }
out:
    for (guint i = 0; i < n; i++)
        shard_clear(&sh[i]);
    g_free(sh);
    return res;
}

/* ---- the public part, for plots ------------------------------------------- */

/* A number or null (NaN). */
static double get_rate(Rd *rd, JsonObject *o, const char *where, const char *key)
{
    JsonNode *n = rd->failed || !o ? NULL : json_object_get_member(o, key);
    if (n && JSON_NODE_HOLDS_NULL(n))
        return NAN;
    return get_double(rd, o, where, key);
}

static void get_pair(Rd *rd, JsonObject *o, const char *where, const char *key, double v[2])
{
    JsonArray *a = get_array(rd, o, where, key);
    v[0] = v[1] = NAN;
    if (!a)
        return;
    if (json_array_get_length(a) != 2) {
        rd->failed = TRUE;
        bad(rd->error, rd->file, "%s: \"%s\": expected [lo, hi]", where, key);
        return;
    }
    for (guint i = 0; i < 2; i++) {
        JsonNode *e = json_array_get_element(a, i);
        GType t = JSON_NODE_HOLDS_VALUE(e) ? json_node_get_value_type(e) : G_TYPE_INVALID;
        if (t == G_TYPE_INT64 || t == G_TYPE_DOUBLE)
            v[i] = node_double(e);
        else if (!JSON_NODE_HOLDS_NULL(e)) {
            rd->failed = TRUE;
            bad(rd->error, rd->file, "%s: \"%s\": expected [lo, hi]", where, key);
        }
    }
}

static char *value_text(JsonNode *n)
{
    if (!JSON_NODE_HOLDS_VALUE(n))
        return g_strdup(JSON_NODE_HOLDS_NULL(n) ? "null" : "?");
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    switch (json_node_get_value_type(n)) {
    case G_TYPE_INT64: return g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(n));
    case G_TYPE_DOUBLE: return g_strdup(g_ascii_formatd(buf, sizeof buf, "%.10g", json_node_get_double(n)));
    case G_TYPE_BOOLEAN: return g_strdup(json_node_get_boolean(n) ? "true" : "false");
    case G_TYPE_STRING: return g_strdup(json_node_get_string(n));
    default: return g_strdup("?");
    }
}

static void plot_case_free(gpointer p)
{
    SimPlotCase *c = p;
    g_free(c->name);
    g_free(c->base);
    g_ptr_array_unref(c->sweep_keys);
    g_ptr_array_unref(c->sweep_vals);
    g_free(c);
}

void sim_plot_doc_free(SimPlotDoc *d)
{
    if (!d)
        return;
    g_free(d->scenario);
    g_free(d->shard);
    if (d->cases)
        g_ptr_array_unref(d->cases);
    g_free(d);
}

SimPlotDoc *sim_plot_doc_parse(const char *file, const char *text, gssize len, GError **error)
{
    g_autoptr(JsonNode) root = sim_report_parse_json(file, text, len, error);
    if (!root)
        return NULL;
    Rd rd = { file, error, FALSE };
    JsonObject *top = json_node_get_object(root);
    if (!json_object_get_member(top, "cases") || !json_object_get_member(top, "powercut")) {
        bad(error, file, "not a powercut results document (no \"powercut\" version or \"cases\" array)");
        return NULL;
    }
    g_autoptr(SimPlotDoc) d = g_new0(SimPlotDoc, 1);
    d->cases = g_ptr_array_new_with_free_func(plot_case_free);
    JsonNode *sn = json_object_get_member(top, "scenario");
    d->scenario = g_strdup(sn && JSON_NODE_HOLDS_VALUE(sn) && json_node_get_value_type(sn) == G_TYPE_STRING
                               ? json_node_get_string(sn) : "?");
    d->seed = get_u64(&rd, top, "", "seed");
    JsonNode *sh = json_object_get_member(top, "shard");
    if (sh && JSON_NODE_HOLDS_VALUE(sh) && json_node_get_value_type(sh) == G_TYPE_STRING)
        d->shard = g_strdup(json_node_get_string(sh));
    JsonArray *cases = get_array(&rd, top, "", "cases");
    for (guint i = 0; cases && i < json_array_get_length(cases) && !rd.failed; i++) {
        g_autofree char *w = g_strdup_printf("cases[%u]", i);
        JsonNode *e = element(&rd, cases, i, JSON_NODE_OBJECT, "cases");
        JsonObject *o = e ? json_node_get_object(e) : NULL;
        SimPlotCase *c = g_new0(SimPlotCase, 1);
        c->sweep_keys = g_ptr_array_new_with_free_func(g_free);
        c->sweep_vals = g_ptr_array_new_with_free_func(g_free);
        g_ptr_array_add(d->cases, c);
        c->name = g_strdup(get_str(&rd, o, w, "name"));
        c->runs = get_u64(&rd, o, w, "runs");
        c->trials = get_u64(&rd, o, w, "trials");
        c->corrupt = get_rate(&rd, o, w, "corruption_rate");
        get_pair(&rd, o, w, "corruption_ci95", c->corrupt_ci);
        c->lost = get_rate(&rd, o, w, "lost_fsync_rate");
        get_pair(&rd, o, w, "lost_fsync_ci95", c->lost_ci);
        JsonObject *tp = get_object(&rd, o, w, "throughput");
        g_autofree char *wt = g_strdup_printf("%s.throughput", w);
        c->ops_per_s = get_rate(&rd, tp, wt, "ops_per_s");
        c->fsyncs_per_s = get_rate(&rd, tp, wt, "fsyncs_per_s");
        c->mb_per_s = get_rate(&rd, tp, wt, "mb_per_s");
        if (rd.failed)
            break;
        JsonNode *cdf = json_object_get_member(o, "fsync_cdf_ms");
        if (cdf && JSON_NODE_HOLDS_ARRAY(cdf)) {
            JsonArray *a = json_node_get_array(cdf);
            for (guint j = 0; j < json_array_get_length(a) && j < SIM_CDF_N && !rd.failed; j++) {
                JsonNode *pe = json_array_get_element(a, j);
                JsonArray *pa = JSON_NODE_HOLDS_ARRAY(pe) ? json_node_get_array(pe) : NULL;
                gboolean good = pa && json_array_get_length(pa) == 2;
                for (guint k = 0; good && k < 2; k++) {
                    JsonNode *x = json_array_get_element(pa, k);
                    GType t = JSON_NODE_HOLDS_VALUE(x) ? json_node_get_value_type(x) : G_TYPE_INVALID;
                    good = t == G_TYPE_INT64 || t == G_TYPE_DOUBLE;
                }
                if (!good) {
                    rd.failed = TRUE;
                    bad(error, file, "%s: \"fsync_cdf_ms\"[%u]: expected [q, ms]", w, j);
                    break;
                }
                c->cdf_q[j] = node_double(json_array_get_element(pa, 0));
                c->cdf_ms[j] = node_double(json_array_get_element(pa, 1));
                c->n_cdf = j + 1;
            }
        }
        JsonNode *sw = json_object_get_member(o, "sweep");
        if (sw && JSON_NODE_HOLDS_OBJECT(sw)) {
            JsonObject *so = json_node_get_object(sw);
            GList *keys = json_object_get_members(so);
            for (GList *l = keys; l; l = l->next) {
                g_ptr_array_add(c->sweep_keys, g_strdup(l->data));
                g_ptr_array_add(c->sweep_vals, value_text(json_object_get_member(so, l->data)));
            }
            g_list_free(keys);
        }
        const char *slash = c->sweep_keys->len ? strchr(c->name, '/') : NULL;
        c->base = slash ? g_strndup(c->name, (gsize)(slash - c->name)) : g_strdup(c->sweep_keys->len ? "" : c->name);
    }
    if (rd.failed)
        return NULL;
    return g_steal_pointer(&d);
}

/* sim/report/csv.c - one row per case, flat, for spreadsheets and gnuplot
 * (`set datafile separator ","` and `columnheader`).
 *
 * Fixed columns first, then one column per parameter key: the union of the
 * cases' keys in first-seen order, empty where a case lacks the key. Numbers
 * use the JSON formats (C locale); a non-finite value is an empty field.
 * Fields holding a comma, quote, CR or LF are quoted as in RFC 4180; lines
 * end in LF (not CRLF) so Unix tools and gnuplot read them as-is. */
#include <string.h>
#include "report-priv.h"

static const char *const fixed_header[] = {
    "scenario", "seed", "case", "runs", "trials",
    "consistent", "lost_fsync", "stale_data", "corrupt", "unmountable",
    "corruption_rate", "corruption_ci95_lo", "corruption_ci95_hi",
    "lost_fsync_rate", "lost_fsync_ci95_lo", "lost_fsync_ci95_hi",
    "p_inc", "ops_per_s", "mb_per_s", "fsyncs_per_s",
    "op_p50_ms", "op_p99_ms", "fsync_p50_ms", "fsync_p99_ms",
    "flushes", "fua_writes", "media_writes", "sim_seconds",
};

void sim_csv_quote(GString *s, const char *text)
{
    if (!strpbrk(text, ",\"\r\n")) {
        g_string_append(s, text);
        return;
    }
    g_string_append_c(s, '"');
    for (const char *p = text; *p; p++) {
        if (*p == '"')
            g_string_append_c(s, '"');
        g_string_append_c(s, *p);
    }
    g_string_append_c(s, '"');
}

/* Append a separator (unless first in the line) and a field, quoted if needed. */
static void field(GString *s, gboolean *first, const char *text)
{
    if (!*first) g_string_append_c(s, ',');
    *first = FALSE;
    if (text)
        sim_csv_quote(s, text);
}

static void field_u64(GString *s, gboolean *first, guint64 v)
{
    char buf[24];
    g_snprintf(buf, sizeof buf, "%" G_GUINT64_FORMAT, v);
    field(s, first, buf);
}

static void field_double(GString *s, gboolean *first, const char *fmt, double x)
{
    g_autoptr(GString) t = g_string_new(NULL);
    sim_report_append_double(t, fmt, x);          /* empty when not finite */
    field(s, first, t->str);
}

static const SimParamValue *find_param(const GArray *params, const char *key)
{
    for (guint i = 0; params && i < params->len; i++) {
        const SimParamValue *p = &g_array_index(params, SimParamValue, i);
        if (!g_strcmp0(p->key, key)) return p;
    }
    return NULL;
}

GString *sim_report_csv(const SimResults *r)
{
    GString *s = g_string_new(NULL);
    guint ncases = r->cases ? r->cases->len : 0;

    /* Parameter columns: union of keys in first-seen order. */
    g_autoptr(GPtrArray) keys = g_ptr_array_new();
    for (guint i = 0; i < ncases; i++) {
        const SimCaseResult *c = g_ptr_array_index(r->cases, i);
        for (guint j = 0; c->params && j < c->params->len; j++) {
            const char *k = g_array_index(c->params, SimParamValue, j).key;
            if (!g_ptr_array_find_with_equal_func(keys, k, g_str_equal, NULL))
                g_ptr_array_add(keys, (gpointer)k);
        }
    }

    gboolean first = TRUE;
    for (gsize i = 0; i < G_N_ELEMENTS(fixed_header); i++) field(s, &first, fixed_header[i]);
    for (guint i = 0; i < keys->len; i++) field(s, &first, g_ptr_array_index(keys, i));
    g_string_append_c(s, '\n');

    for (guint i = 0; i < ncases; i++) {
        const SimCaseResult *c = g_ptr_array_index(r->cases, i);
        double cci[2], lci[2];
        sim_report_case_cis(c, cci, lci);
        guint64 bad = c->outcomes[SIM_OUT_CORRUPT] + c->outcomes[SIM_OUT_UNMOUNTABLE];

        first = TRUE;
        field(s, &first, r->scenario);
        field_u64(s, &first, r->seed);
        field(s, &first, c->name);
        field_u64(s, &first, c->runs);
        field_u64(s, &first, c->trials);
        for (int o = 0; o < SIM_OUT_N; o++) field_u64(s, &first, c->outcomes[o]);
        field_double(s, &first, "%.6g", sim_report_ratio(bad, c->trials));
        field_double(s, &first, "%.6g", cci[0]);
        field_double(s, &first, "%.6g", cci[1]);
        field_double(s, &first, "%.6g", sim_report_ratio(c->outcomes[SIM_OUT_LOST_FSYNC], c->trials));
        field_double(s, &first, "%.6g", lci[0]);
        field_double(s, &first, "%.6g", lci[1]);
        const double g6[] = { c->p_inc, c->ops_per_s, c->mb_per_s, c->fsyncs_per_s,
                              c->op_p50_ms, c->op_p99_ms, c->fsync_p50_ms, c->fsync_p99_ms };
        for (gsize k = 0; k < G_N_ELEMENTS(g6); k++) field_double(s, &first, "%.6g", g6[k]);
        field_u64(s, &first, c->dev.flushes);
        field_u64(s, &first, c->dev.fua_writes);
        field_u64(s, &first, c->dev.media_writes);
        field_double(s, &first, "%.10g", c->sim_seconds);
        for (guint k = 0; k < keys->len; k++) {
            const SimParamValue *p = find_param(c->params, g_ptr_array_index(keys, k));
            if (p && p->kind == SIM_PV_BOOL)
                field(s, &first, sim_report_param_true(p->value) ? "true" : "false");
            else
                field(s, &first, p ? p->value : NULL);
        }
        g_string_append_c(s, '\n');
    }
    return s;
}

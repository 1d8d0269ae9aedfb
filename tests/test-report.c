/* tests/test-report.c - statistics, JSON/CSV/table output and the atomic
 * writer of sim/report. Expected values are derived by hand in comments. */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <glib/gstdio.h>
#include "testutil.h"
#include "report/report.h"

#define Z 1.959964

/* ---- statistics ---------------------------------------------------------- */

static void test_wilson(void)
{
    double lo, hi;
    /* Wilson: centre = (p + z²/2n)/(1 + z²/n),
     *         half   = z·sqrt(p(1−p)/n + z²/4n²)/(1 + z²/n),  z² = 3.841458881.
     * k = 0: p = 0, half = (z²/2n)/(1+z²/n) = centre, so lo = 0 and
     *        hi = (z²/n)/(1 + z²/n) = z²/(n + z²) = 3.841459/103.841459 = 0.0369935. */
    sim_stats_wilson(0, 100, &lo, &hi);
    g_assert_cmpfloat(lo, ==, 0.0);
    g_assert_cmpfloat_with_epsilon(hi, Z * Z / (100 + Z * Z), 1e-12);
    g_assert_cmpfloat_with_epsilon(hi, 0.0369935, 1e-6);
    /* k = n: by symmetry lo = n/(n + z²) = 100/103.841459 = 0.9630065, hi = 1. */
    sim_stats_wilson(100, 100, &lo, &hi);
    g_assert_cmpfloat_with_epsilon(lo, 0.9630065, 1e-6);
    g_assert_cmpfloat(hi, ==, 1.0);
    /* k = 5, n = 100: p = 0.05, 1 + z²/n = 1.0384146,
     * centre = (0.05 + 0.0192073)/1.0384146 = 0.0666471,
     * half = 1.959964·sqrt(0.000475 + 0.0000960365)/1.0384146
     *      = 1.959964·0.0238963/1.0384146 = 0.0451034,
     * so [0.0215437, 0.1117505]. */
    sim_stats_wilson(5, 100, &lo, &hi);
    g_assert_cmpfloat_with_epsilon(lo, 0.0215437, 1e-6);
    g_assert_cmpfloat_with_epsilon(hi, 0.1117505, 1e-6);
    /* n = 0: no information. */
    sim_stats_wilson(0, 0, &lo, &hi);
    g_assert_cmpfloat(lo, ==, 0.0);
    g_assert_cmpfloat(hi, ==, 1.0);
}

static void test_rate_ci_equal_runs(void)
{
    /* Every run has rate 5/100: Σ(x_r − p·n_r)² = 0, so deff clamps to 1 and
     * the interval is Wilson on the pooled 20/400. */
    const guint64 x[] = { 5, 5, 5, 5 }, n[] = { 100, 100, 100, 100 };
    double rate, lo, hi, deff, wlo, whi;
    sim_stats_rate_ci_deff(x, n, 4, &rate, &lo, &hi, &deff);
    sim_stats_wilson(20, 400, &wlo, &whi);
    g_assert_cmpfloat(rate, ==, 0.05);
    g_assert_cmpfloat(deff, ==, 1.0);
    g_assert_cmpfloat_with_epsilon(lo, wlo, 1e-12);
    g_assert_cmpfloat_with_epsilon(hi, whi, 1e-12);
}

static void test_rate_ci_one_run(void)
{
    /* All 20 failures in run 0 of 4 runs × 100: p = 0.05,
     * Σ(x_r − p·n_r)² = (20 − 5)² + 3·5² = 300, V = 4/3 · 300/400² = 0.0025,
     * binomial p(1−p)/N = 0.0475/400 = 0.00011875, deff = 21.0526 (= 20/0.95),
     * n_eff = 400/21.0526 = 19, interval = Wilson(0.95, 19). */
    const guint64 x[] = { 20, 0, 0, 0 }, n[] = { 100, 100, 100, 100 };
    double rate, lo, hi, deff, wlo, whi, nlo, nhi;
    sim_stats_rate_ci_deff(x, n, 4, &rate, &lo, &hi, &deff);
    g_assert_cmpfloat(rate, ==, 0.05);
    g_assert_cmpfloat_with_epsilon(deff, 20.0 / 0.95, 1e-9);
    sim_stats_wilson(0.95, 19, &wlo, &whi);
    g_assert_cmpfloat_with_epsilon(lo, wlo, 1e-9);
    g_assert_cmpfloat_with_epsilon(hi, whi, 1e-9);
    /* Wider than the naive Wilson on N = 400 on both sides. */
    sim_stats_wilson(20, 400, &nlo, &nhi);
    g_assert_cmpfloat(lo, <, nlo);
    g_assert_cmpfloat(hi, >, nhi);

    /* Edge cases: one run -> deff 1; rate 0 -> deff 1; no trials -> [0, 1]. */
    sim_stats_rate_ci_deff(x, n, 1, &rate, &lo, &hi, &deff);
    g_assert_cmpfloat(deff, ==, 1.0);
    const guint64 zero[] = { 0, 0, 0, 0 };
    sim_stats_rate_ci_deff(zero, n, 4, &rate, &lo, &hi, &deff);
    g_assert_cmpfloat(deff, ==, 1.0);
    g_assert_cmpfloat(lo, ==, 0.0);
    sim_stats_rate_ci(zero, zero, 4, &rate, &lo, &hi);
    g_assert_cmpfloat(rate, ==, 0.0);
    g_assert_cmpfloat(lo, ==, 0.0);
    g_assert_cmpfloat(hi, ==, 1.0);
}

static void test_quantile(void)
{
    const double four[] = { 1, 2, 3, 4 };
    double hundred[100];
    for (int i = 0; i < 100; i++) hundred[i] = i + 1;
    /* nearest rank = ceil(q·n): 0.5·4 = 2 -> 2; 0.99·100 = 99 -> 99. */
    g_assert_cmpfloat(sim_stats_quantile(four, 4, 0.5), ==, 2);
    g_assert_cmpfloat(sim_stats_quantile(four, 4, 0.51), ==, 3);
    g_assert_cmpfloat(sim_stats_quantile(four, 4, 0.0), ==, 1);
    g_assert_cmpfloat(sim_stats_quantile(four, 4, 1.0), ==, 4);
    g_assert_cmpfloat(sim_stats_quantile(hundred, 100, 0.99), ==, 99);
    g_assert_cmpfloat(sim_stats_quantile(hundred, 100, 0.07), ==, 7);
    g_assert_cmpfloat(sim_stats_quantile(hundred, 100, 0.5), ==, 50);
    g_assert_cmpfloat(sim_stats_quantile(NULL, 0, 0.5), ==, 0);
}

static void test_outcome_names(void)
{
    g_assert_cmpstr(sim_outcome_name(SIM_OUT_CONSISTENT), ==, "consistent");
    g_assert_cmpstr(sim_outcome_name(SIM_OUT_LOST_FSYNC), ==, "lost_fsync");
    g_assert_cmpstr(sim_outcome_name(SIM_OUT_STALE_DATA), ==, "stale_data");
    g_assert_cmpstr(sim_outcome_name(SIM_OUT_CORRUPT), ==, "corrupt");
    g_assert_cmpstr(sim_outcome_name(SIM_OUT_UNMOUNTABLE), ==, "unmountable");
}

/* ---- sample results ---------------------------------------------------- */

#define ODD_NAME "odd \"name\"\nwith, comma"

static SimResults *sample_results(void)
{
    SimResults *r = sim_results_new("scenarios/barriers.lua", 42);

    SimCaseResult *a = sim_case_result_new("barrier-off", 2);
    sim_case_result_add_param(a, "barrier", "false", SIM_PV_BOOL);
    sim_case_result_add_param(a, "cache_kb", "4096", SIM_PV_NUMBER);
    sim_case_result_add_param(a, "sched", "c-look", SIM_PV_STRING);
    sim_case_result_add_param(a, "size", "64MiB", SIM_PV_NUMBER);   /* not a JSON number */
    a->trials = 200;
    a->run_trials[0] = a->run_trials[1] = 100;
    a->outcomes[SIM_OUT_CONSISTENT] = 180;
    a->outcomes[SIM_OUT_LOST_FSYNC] = 6;
    a->outcomes[SIM_OUT_STALE_DATA] = 4;
    a->outcomes[SIM_OUT_CORRUPT] = 8;
    a->outcomes[SIM_OUT_UNMOUNTABLE] = 2;
    a->run_corrupt[0] = 7; a->run_corrupt[1] = 3;
    a->run_lost[0] = 3; a->run_lost[1] = 3;
    a->p_inc = 0.0625;
    a->ops_per_s = 1234.5; a->mb_per_s = 4.8; a->fsyncs_per_s = 61.25;
    a->op_p50_ms = 0.25; a->op_p99_ms = 12.5; a->fsync_p50_ms = 8.5; a->fsync_p99_ms = 31;
    a->dev.flushes = 11; a->dev.fua_writes = 3; a->dev.media_writes = 1000;
    a->dev.busy_ns = SIM_MS(1500);
    a->sim_seconds = 20;
    sim_case_result_add_note(a, 1, 7, SIM_NS(12345678901), SIM_OUT_CORRUPT,
                             "commit block 812 landed before body block 811");
    sim_case_result_add_note(a, 0, 9, SIM_MS(500), SIM_OUT_UNMOUNTABLE, NULL);
    g_ptr_array_add(r->cases, a);

    SimCaseResult *b = sim_case_result_new(ODD_NAME, 1);   /* no trials at all */
    sim_case_result_add_param(b, "barrier", "true", SIM_PV_BOOL);
    sim_case_result_add_param(b, "journal", "middle", SIM_PV_STRING);
    g_ptr_array_add(r->cases, b);
    return r;
}

/* ---- a tiny JSON validator (recursive descent over the RFC 8259 grammar) -- */

typedef struct { const char *p; } Jp;

static void jp_ws(Jp *j) { while (*j->p == ' ' || *j->p == '\n' || *j->p == '\t' || *j->p == '\r') j->p++; }
static gboolean jp_value(Jp *j);

static gboolean jp_string(Jp *j)
{
    if (*j->p != '"') return FALSE;
    for (j->p++; *j->p != '"'; j->p++) {
        if ((unsigned char)*j->p < 0x20) return FALSE;          /* raw control char */
        if (*j->p == '\\') {
            j->p++;
            if (*j->p == 'u') {
                for (int i = 1; i <= 4; i++) if (!g_ascii_isxdigit(j->p[i])) return FALSE;
                j->p += 4;
            } else if (!strchr("\"\\/bfnrt", *j->p) || !*j->p) return FALSE;
        }
    }
    j->p++;
    return TRUE;
}

static gboolean jp_number(Jp *j)
{
    const char *s = j->p;
    if (*j->p == '-') j->p++;
    if (!g_ascii_isdigit(*j->p)) return FALSE;
    if (*j->p == '0') j->p++; else while (g_ascii_isdigit(*j->p)) j->p++;
    if (*j->p == '.') { j->p++; if (!g_ascii_isdigit(*j->p)) return FALSE; while (g_ascii_isdigit(*j->p)) j->p++; }
    if (*j->p == 'e' || *j->p == 'E') {
        j->p++;
        if (*j->p == '+' || *j->p == '-') j->p++;
        if (!g_ascii_isdigit(*j->p)) return FALSE;
        while (g_ascii_isdigit(*j->p)) j->p++;
    }
    return j->p > s;
}

static gboolean jp_container(Jp *j, char open, char close)
{
    j->p++;                                   /* past open */
    jp_ws(j);
    if (*j->p == close) { j->p++; return TRUE; }
    for (;;) {
        jp_ws(j);
        if (open == '{') {
            if (!jp_string(j)) return FALSE;
            jp_ws(j);
            if (*j->p++ != ':') return FALSE;
        }
        if (!jp_value(j)) return FALSE;
        jp_ws(j);
        if (*j->p == ',') { j->p++; continue; }
        if (*j->p == close) { j->p++; return TRUE; }
        return FALSE;
    }
}

static gboolean jp_value(Jp *j)
{
    jp_ws(j);
    switch (*j->p) {
    case '{': return jp_container(j, '{', '}');
    case '[': return jp_container(j, '[', ']');
    case '"': return jp_string(j);
    case 't': return g_str_has_prefix(j->p, "true") ? (j->p += 4, TRUE) : FALSE;
    case 'f': return g_str_has_prefix(j->p, "false") ? (j->p += 5, TRUE) : FALSE;
    case 'n': return g_str_has_prefix(j->p, "null") ? (j->p += 4, TRUE) : FALSE;
    default:  return jp_number(j);
    }
}

static gboolean json_valid(const char *text)
{
    Jp j = { text };
    if (!jp_value(&j)) return FALSE;
    jp_ws(&j);
    return *j.p == '\0';
}

static void test_json_validator_self(void)
{
    g_assert_true(json_valid("{\"a\": [1, -2.5e3, true, null, \"x\\u000a\"], \"b\": {}}"));
    g_assert_false(json_valid("{\"a\": nan}"));
    g_assert_false(json_valid("{\"a\": [1, 2}"));
    g_assert_false(json_valid("{\"a\": \"x\ny\"}"));
    g_assert_false(json_valid("{\"a\": 1,}"));
}

/* Every key of `keys` occurs in `text`, in this order, starting at `from`. */
static const char *expect_keys_in_order(const char *from, const char *const *keys)
{
    for (const char *const *k = keys; *k; k++) {
        g_autofree char *pat = g_strdup_printf("\"%s\": ", *k);
        const char *hit = strstr(from, pat);
        if (!hit) g_error("key %s missing after offset", *k);
        from = hit + strlen(pat);
    }
    return from;
}

static guint64 number_after(const char *from, const char *key)
{
    g_autofree char *pat = g_strdup_printf("\"%s\": ", key);
    const char *hit = strstr(from, pat);
    g_assert_nonnull(hit);
    return g_ascii_strtoull(hit + strlen(pat), NULL, 10);
}

static void test_json(void)
{
    g_autoptr(SimResults) r = sample_results();
    g_autoptr(GString) js = sim_report_json(r);
    g_autoptr(GString) js2 = sim_report_json(r);
    const char *s = js->str;

    g_assert_true(json_valid(s));
    g_assert_cmpstr(s, ==, js2->str);                       /* byte-identical */
    g_assert_true(g_str_has_suffix(s, "}\n"));
    g_assert_true(g_str_has_prefix(s, "{\n  \"powercut\": \"" POWERCUT_VERSION "\",\n"
                                      "  \"scenario\": \"scenarios/barriers.lua\",\n"
                                      "  \"seed\": 42,\n  \"cases\": [\n    {\n"
                                      "      \"name\": \"barrier-off\",\n"));
    g_assert_null(strstr(s, "shard"));
    g_assert_null(strstr(s, "nan"));
    g_assert_null(strstr(s, "inf"));

    static const char *const case_keys[] = {
        "name", "params", "runs", "trials", "outcomes", "consistent", "lost_fsync",
        "stale_data", "corrupt", "unmountable", "corruption_rate", "corruption_ci95",
        "lost_fsync_rate", "lost_fsync_ci95", "p_inc", "throughput", "ops_per_s",
        "mb_per_s", "fsyncs_per_s", "latency_ms", "op_p50", "op_p99", "fsync_p50",
        "fsync_p99", "device", "flushes", "fua_writes", "media_writes", "busy_s",
        "sim_seconds", "notes", NULL };
    const char *second = expect_keys_in_order(s, case_keys);
    expect_keys_in_order(second, case_keys);                 /* both cases complete */

    /* Params: order kept, numbers verbatim, bools, non-numbers quoted. */
    g_assert_nonnull(strstr(s, "\"params\": {\n        \"barrier\": false,\n"
                               "        \"cache_kb\": 4096,\n        \"sched\": \"c-look\",\n"
                               "        \"size\": \"64MiB\"\n      },"));
    /* Outcome counts add up to trials, for each case. */
    for (const char *c = strstr(s, "\"name\": "); c; c = strstr(c + 1, "\"name\": ")) {
        guint64 sum = 0;
        for (int o = 0; o < SIM_OUT_N; o++) sum += number_after(c, sim_outcome_name(o));
        g_assert_cmpuint(sum, ==, number_after(c, "trials"));
    }
    /* (8 + 2)/200 = 0.05; 6/200 = 0.03; a CI pair on one line. */
    g_assert_nonnull(strstr(s, "\"corruption_rate\": 0.05,\n"));
    g_assert_nonnull(strstr(s, "\"lost_fsync_rate\": 0.03,\n"));
    g_assert_true(g_regex_match_simple("\"corruption_ci95\": \\[0\\.0[0-9]+, 0\\.[0-9]+\\],\n", s, 0, 0));
    g_assert_nonnull(strstr(s, "\"ops_per_s\": 1234.5,"));
    g_assert_nonnull(strstr(s, "\"busy_s\": 1.5\n"));
    g_assert_nonnull(strstr(s, "\"sim_seconds\": 20,"));
    g_assert_nonnull(strstr(s, "{\"run\": 1, \"trial\": 7, \"t_s\": 12.345678901, \"outcome\": \"corrupt\", "
                               "\"reason\": \"commit block 812 landed before body block 811\"}"));
    g_assert_nonnull(strstr(s, "{\"run\": 0, \"trial\": 9, \"t_s\": 0.5, \"outcome\": \"unmountable\", \"reason\": \"\"}"));
    /* Escaping of the odd name; a rate over 0 trials is null, its CI [0, 1]. */
    g_assert_nonnull(strstr(s, "\"name\": \"odd \\\"name\\\"\\u000awith, comma\","));
    g_assert_nonnull(strstr(second, "\"corruption_rate\": null,"));
    g_assert_nonnull(strstr(second, "\"corruption_ci95\": [0, 1],"));
    g_assert_nonnull(strstr(second, "\"notes\": []\n"));

    /* Shard appears only when set, after the seed. */
    r->shard = g_strdup("2/3");
    g_autoptr(GString) js3 = sim_report_json(r);
    g_assert_true(json_valid(js3->str));
    g_assert_nonnull(strstr(js3->str, "  \"seed\": 42,\n  \"shard\": \"2/3\",\n  \"cases\": ["));
}

static void test_json_empty(void)
{
    g_autoptr(SimResults) r = sim_results_new(NULL, 1);
    g_autoptr(GString) js = sim_report_json(r);
    g_assert_true(json_valid(js->str));
    g_assert_nonnull(strstr(js->str, "\"scenario\": null,\n  \"seed\": 1,\n  \"cases\": []\n}\n"));
}

/* ---- CSV ----------------------------------------------------------------- */

/* Split RFC 4180 text into records of fields. */
static GPtrArray *csv_parse(const char *s)
{
    GPtrArray *rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    GPtrArray *row = NULL;
    while (*s) {
        if (!row) row = g_ptr_array_new_with_free_func(g_free);
        GString *f = g_string_new(NULL);
        if (*s == '"') {
            for (s++; *s && !(*s == '"' && s[1] != '"'); s++) {
                if (*s == '"') s++;                  /* doubled quote */
                g_string_append_c(f, *s);
            }
            g_assert_true(*s == '"');
            s++;
        } else {
            while (*s && *s != ',' && *s != '\n') g_string_append_c(f, *s++);
        }
        g_ptr_array_add(row, g_string_free(f, FALSE));
        if (*s == ',') { s++; continue; }
        g_assert_true(*s == '\n');
        s++;
        g_ptr_array_add(rows, row);
        row = NULL;
    }
    g_assert_null(row);
    return rows;
}

static void test_csv(void)
{
    g_autoptr(SimResults) r = sample_results();
    g_autoptr(GString) csv = sim_report_csv(r);
    g_autoptr(GString) csv2 = sim_report_csv(r);
    g_assert_cmpstr(csv->str, ==, csv2->str);

    const char *header =
        "scenario,seed,case,runs,trials,consistent,lost_fsync,stale_data,corrupt,unmountable,"
        "corruption_rate,corruption_ci95_lo,corruption_ci95_hi,lost_fsync_rate,lost_fsync_ci95_lo,"
        "lost_fsync_ci95_hi,p_inc,ops_per_s,mb_per_s,fsyncs_per_s,op_p50_ms,op_p99_ms,fsync_p50_ms,"
        "fsync_p99_ms,flushes,fua_writes,media_writes,sim_seconds,barrier,cache_kb,sched,size,journal\n";
    g_assert_true(g_str_has_prefix(csv->str, header));
    g_assert_nonnull(strstr(csv->str, ",42,\"odd \"\"name\"\"\nwith, comma\","));

    g_autoptr(GPtrArray) rows = csv_parse(csv->str);
    g_assert_cmpuint(rows->len, ==, 3);
    GPtrArray *h = rows->pdata[0], *a = rows->pdata[1], *b = rows->pdata[2];
    g_assert_cmpuint(a->len, ==, h->len);
    g_assert_cmpuint(b->len, ==, h->len);
    g_assert_cmpstr(a->pdata[0], ==, "scenarios/barriers.lua");
    g_assert_cmpstr(a->pdata[1], ==, "42");
    g_assert_cmpstr(a->pdata[2], ==, "barrier-off");
    g_assert_cmpstr(a->pdata[4], ==, "200");
    g_assert_cmpstr(a->pdata[10], ==, "0.05");
    g_assert_cmpstr(a->pdata[27], ==, "20");
    g_assert_cmpstr(a->pdata[28], ==, "false");       /* barrier */
    g_assert_cmpstr(a->pdata[29], ==, "4096");
    g_assert_cmpstr(a->pdata[32], ==, "");            /* journal: not in case a */
    g_assert_cmpstr(b->pdata[2], ==, ODD_NAME);
    g_assert_cmpstr(b->pdata[10], ==, "");            /* rate over 0 trials */
    g_assert_cmpstr(b->pdata[11], ==, "0");
    g_assert_cmpstr(b->pdata[12], ==, "1");
    g_assert_cmpstr(b->pdata[28], ==, "true");
    g_assert_cmpstr(b->pdata[29], ==, "");            /* cache_kb: not in case b */
    g_assert_cmpstr(b->pdata[32], ==, "middle");
}

/* ---- table ----------------------------------------------------------------- */

static void test_table(void)
{
    g_autoptr(SimResults) r = sample_results();
    g_autoptr(GString) t = g_string_new(NULL);
    sim_report_table(r, t);
    if (g_test_verbose()) g_test_message("\n%s", t->str);

    g_auto(GStrv) lines = g_strsplit(t->str, "\n", -1);
    g_assert_cmpuint(g_strv_length(lines), ==, 2 + 2 + 2 + 1);   /* 2 head, 2 rows, 2 notes, "" */
    g_assert_true(g_str_has_prefix(lines[1], "case"));
    g_assert_true(g_str_has_prefix(lines[2], "barrier-off"));
    g_assert_true(g_str_has_prefix(lines[3], "odd \"name\"?with, comma"));
    /* 10/200 = 5.00 %; fsync latencies 8.5/31 ms. */
    g_assert_nonnull(strstr(lines[2], " 5.00 ["));
    g_assert_nonnull(strstr(lines[2], " 8.5/31"));
    g_assert_cmpstr(lines[4], ==, "  barrier-off: e.g. run 1 t=12.345679s corrupt: "
                                  "commit block 812 landed before body block 811");
    g_assert_cmpstr(lines[5], ==, "  barrier-off: e.g. run 0 t=0.500000s unmountable");
    /* Every data row has the header's width (columns line up). */
    g_assert_cmpuint(strlen(lines[1]), ==, strlen(lines[2]));

    /* With case names up to 12 characters it fits a 120-column terminal. */
    SimCaseResult *b = r->cases->pdata[1];
    g_free(b->name);
    b->name = g_strdup("barrier-on12");
    g_string_truncate(t, 0);
    sim_report_table(r, t);
    g_auto(GStrv) lines2 = g_strsplit(t->str, "\n", -1);
    for (char **l = lines2; *l; l++) g_assert_cmpuint(g_utf8_strlen(*l, -1), <=, 120);
}

/* ---- atomic write -------------------------------------------------------- */

static void test_atomic_write(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = g_dir_make_tmp("powercut-report-XXXXXX", &err);
    g_assert_no_error(err);
    g_autofree char *path = g_build_filename(dir, "results.json", NULL);

    g_assert_true(sim_write_file_atomic(path, "first\n", 6, &err));
    g_assert_no_error(err);
    g_assert_true(sim_write_file_atomic(path, "second\n", 7, &err));   /* replaces */
    g_assert_no_error(err);
    g_autofree char *got = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(path, &got, &len, NULL));
    g_assert_cmpstr(got, ==, "second\n");

    /* Only the target is left in the directory: no ".results.json.XXXXXX". */
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    guint n = 0;
    for (const char *e; (e = g_dir_read_name(d)); n++) g_assert_cmpstr(e, ==, "results.json");
    g_assert_cmpuint(n, ==, 1);

    /* A missing directory is not created; the message names the path. */
    g_autofree char *bad = g_build_filename(dir, "missing", "out.csv", NULL);
    g_assert_false(sim_write_file_atomic(bad, "x", 1, &err));
    g_assert_error(err, G_FILE_ERROR, G_FILE_ERROR_NOENT);
    g_assert_nonnull(strstr(err->message, bad));
    g_assert_nonnull(strstr(err->message, g_strerror(ENOENT)));
    g_clear_error(&err);
    g_autofree char *missing = g_build_filename(dir, "missing", NULL);
    g_assert_false(g_file_test(missing, G_FILE_TEST_EXISTS));

    /* "-" is stdout (nothing written here, so TAP output stays clean). */
    g_assert_true(sim_write_file_atomic("-", "", 0, &err));
    g_assert_no_error(err);

    g_assert_cmpint(g_unlink(path), ==, 0);
    g_assert_cmpint(g_rmdir(dir), ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/report/stats/wilson", test_wilson);
    g_test_add_func("/report/stats/rate-ci-equal-runs", test_rate_ci_equal_runs);
    g_test_add_func("/report/stats/rate-ci-one-run", test_rate_ci_one_run);
    g_test_add_func("/report/stats/quantile", test_quantile);
    g_test_add_func("/report/outcome-names", test_outcome_names);
    g_test_add_func("/report/json/validator", test_json_validator_self);
    g_test_add_func("/report/json/document", test_json);
    g_test_add_func("/report/json/empty", test_json_empty);
    g_test_add_func("/report/csv", test_csv);
    g_test_add_func("/report/table", test_table);
    g_test_add_func("/report/atomic-write", test_atomic_write);
    return g_test_run();
}

/* tests/test-trace.c - the PCTRACE1 format (sim/capture/trace.h): what the
 * writer puts down the reader gets back, and every malformed trace is refused
 * with a one-line message naming the file and the record. */
#include "capture/trace.h"
#include <string.h>

/* A trace in memory: header, one init block, then the given log, then END
 * unless `end` is FALSE. (transfer full) */
static GByteArray *build(gboolean end, void (*log)(FILE *f))
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    SimTraceHeader h;
    sim_trace_header_init(&h, 16 * SIM_TRACE_BLOCK, SIM_TRACE_F_CONTENTS | SIM_TRACE_F_FLUSHES, "ext4", "capture");
    g_assert_cmpint(fwrite(&h, sizeof h, 1, f), ==, 1);
    guint8 blk[SIM_TRACE_BLOCK];
    memset(blk, 0xab, sizeof blk);
    SimTraceRec init = { .type = SIM_TREC_INIT, .sector = 8, .nsectors = 8, .length = SIM_TRACE_BLOCK };
    g_assert_true(sim_trace_put(f, &init, blk));
    if (log)
        log(f);
    if (end) {
        SimTraceRec e = { .type = SIM_TREC_END };
        g_assert_true(sim_trace_put(f, &e, NULL));
    }
    fclose(f);
    GByteArray *a = g_byte_array_new_take((guint8 *)buf, len);
    return a;
}

static void log_normal(FILE *f)
{
    guint8 data[3 * SIM_TRACE_SECTOR];
    memset(data, 0x11, sizeof data);
    SimTraceRec w = { .type = SIM_TREC_WRITE, .sector = 17, .nsectors = 3, .t_ns = 1000,
                      .length = sizeof data, .flags = SIM_TREC_F_FUA };
    g_assert_true(sim_trace_put(f, &w, data));
    SimTraceRec fl = { .type = SIM_TREC_FLUSH, .t_ns = 2000 };
    g_assert_true(sim_trace_put(f, &fl, NULL));
    SimTraceRec m = { .type = SIM_TREC_MARK, .t_ns = 3000, .length = 5 };   /* odd length: padded to 8 */
    g_assert_true(sim_trace_put(f, &m, "after"));
}

static void test_roundtrip(void)
{
    g_autoptr(GByteArray) a = build(TRUE, log_normal);
    GError *e = NULL;
    g_autoptr(SimTrace) t = sim_trace_parse("mem.trace", a->data, a->len, &e);
    g_assert_no_error(e);
    g_assert_cmpstr(t->hdr.fs, ==, "ext4");
    g_assert_cmpstr(t->hdr.source, ==, "capture");
    g_assert_cmpuint(t->hdr.image_bytes, ==, 16 * SIM_TRACE_BLOCK);
    g_assert_cmpuint(t->init->len, ==, 1);
    const SimTraceOp *init = &g_array_index(t->init, SimTraceOp, 0);
    g_assert_cmpuint(init->rec.sector, ==, 8);
    g_assert_cmpuint(init->data[0], ==, 0xab);
    g_assert_cmpuint(init->data[SIM_TRACE_BLOCK - 1], ==, 0xab);
    g_assert_cmpuint(t->ops->len, ==, 3);
    const SimTraceOp *w = &g_array_index(t->ops, SimTraceOp, 0);
    g_assert_cmpuint(w->rec.type, ==, SIM_TREC_WRITE);
    g_assert_cmpuint(w->rec.sector, ==, 17);
    g_assert_cmpuint(w->rec.nsectors, ==, 3);
    g_assert_cmpuint(w->rec.flags, ==, SIM_TREC_F_FUA);
    g_assert_cmpuint(w->rec.t_ns, ==, 1000);
    g_assert_cmpuint(w->data[3 * SIM_TRACE_SECTOR - 1], ==, 0x11);
    g_assert_cmpuint(g_array_index(t->ops, SimTraceOp, 1).rec.type, ==, SIM_TREC_FLUSH);
    const SimTraceOp *m = &g_array_index(t->ops, SimTraceOp, 2);
    g_assert_cmpuint(m->rec.type, ==, SIM_TREC_MARK);
    g_assert_cmpmem(m->data, m->rec.length, "after", 5);
    g_autoptr(GString) d = g_string_new(NULL);
    sim_trace_dump(t, d);
    g_assert_nonnull(strstr(d->str, "0 0.000001 write 17 3 fua\n1 0.000002 flush\n2 0.000003 mark after\n"));
}

static void log_outside(FILE *f)
{
    SimTraceRec w = { .type = SIM_TREC_WRITE, .sector = 16 * 8 - 1, .nsectors = 2 };   /* one sector past the end */
    sim_trace_put(f, &w, NULL);
}
static void log_init_late(FILE *f)
{
    SimTraceRec fl = { .type = SIM_TREC_FLUSH };
    sim_trace_put(f, &fl, NULL);
    guint8 blk[SIM_TRACE_BLOCK] = { 0 };
    SimTraceRec init = { .type = SIM_TREC_INIT, .sector = 0, .nsectors = 8, .length = SIM_TRACE_BLOCK };
    sim_trace_put(f, &init, blk);
}
static void log_no_contents(FILE *f)
{
    SimTraceRec w = { .type = SIM_TREC_WRITE, .sector = 0, .nsectors = 8 };   /* no payload, trace says contents */
    sim_trace_put(f, &w, NULL);
}
static void log_unknown(FILE *f)
{
    SimTraceRec r = { .type = 77 };
    sim_trace_put(f, &r, NULL);
}

static void expect_refused(GByteArray *a, const char *needle)
{
    GError *e = NULL;
    SimTrace *t = sim_trace_parse("bad.trace", a->data, a->len, &e);
    g_assert_null(t);
    g_assert_error(e, SIM_TRACE_ERROR, SIM_TRACE_ERROR_INPUT);
    g_assert_true(g_str_has_prefix(e->message, "bad.trace: "));
    g_assert_null(strchr(e->message, '\n'));
    if (!strstr(e->message, needle))
        g_error("message '%s' lacks '%s'", e->message, needle);
    g_error_free(e);
}

static void test_refused(void)
{
    g_autoptr(GByteArray) noend = build(FALSE, log_normal);
    expect_refused(noend, "no end record");
    g_autoptr(GByteArray) cut = build(TRUE, log_normal);
    g_byte_array_set_size(cut, cut->len - SIM_TRACE_REC_BYTES - 4);    /* inside the mark's payload */
    expect_refused(cut, "truncated");
    g_autoptr(GByteArray) outside = build(TRUE, log_outside);
    expect_refused(outside, "outside the");
    g_autoptr(GByteArray) late = build(TRUE, log_init_late);
    expect_refused(late, "init after the log began");
    g_autoptr(GByteArray) nocont = build(TRUE, log_no_contents);
    expect_refused(nocont, "without contents");
    g_autoptr(GByteArray) unknown = build(TRUE, log_unknown);
    expect_refused(unknown, "unknown type 77");
    g_autoptr(GByteArray) magic = build(TRUE, NULL);
    magic->data[0] = 'X';
    expect_refused(magic, "not a powercut trace");
    g_autoptr(GByteArray) version = build(TRUE, NULL);
    version->data[8] = 2;
    expect_refused(version, "version 2");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/trace/roundtrip", test_roundtrip);
    g_test_add_func("/trace/refused", test_refused);
    return g_test_run();
}

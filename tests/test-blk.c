/* tests/test-blk.c - the block layer's flush sequencing (sim_blkq_new)
 * against a fake lower device: SEMANTICS B1-B3 and the PREFLUSH order. */
#include "blk/blk.h"
#include "testutil.h"

/* ---- a fake lower device: records what reaches it, fixed latency ---------- */

typedef struct {
    SimIoOp  op;
    guint32  flags;
    guint16  origin;
    guint64  block;
    SimTime  t_arrive;
    SimTime  t_done;      /* -1 while in flight */
    SimIo   *io;
} Cmd;

typedef struct {
    GArray  *cmds;        /* Cmd, in arrival order */
    SimTime  latency;
} Fake;

static void fake_done_ev(SimWorld *w, gpointer obj, gint64 arg)
{
    SimBlkDev *d = obj;
    Fake *f = d->priv;
    Cmd *c = &g_array_index(f->cmds, Cmd, arg);
    c->t_done = sim_now(w);
    sim_io_complete(w, c->io);
}

static void fake_submit(SimBlkDev *d, SimIo *io)
{
    Fake *f = d->priv;
    Cmd c = { io->op, io->flags, io->origin, io->block, sim_now(d->w), -1, io };
    g_array_append_val(f->cmds, c);
    sim_schedule_after(d->w, f->latency, fake_done_ev, d, f->cmds->len - 1);
}

static void fake_destroy(SimBlkDev *d)
{
    Fake *f = d->priv;
    g_array_free(f->cmds, TRUE);
    g_free(f);
}

static const SimBlkOps fake_ops = { SIM_BLK_OPS_VERSION, "fake", fake_submit, NULL, fake_destroy };

static SimBlkDev *fake_new(SimWorld *w, guint32 caps, SimTime latency)
{
    Fake *f = g_new0(Fake, 1);
    f->cmds = g_array_new(FALSE, FALSE, sizeof(Cmd));
    f->latency = latency;
    SimBlkDev *d = sim_blkdev_new(&fake_ops, "fake", w, f);
    d->caps = caps;
    d->nblocks = 1000;
    d->atomic_bytes = 512;
    return d;
}

static GArray *cmds_of(SimBlkDev *d) { return ((Fake *)d->priv)->cmds; }
static const Cmd *cmd(SimBlkDev *d, guint i) { return &g_array_index(cmds_of(d), Cmd, i); }

/* ---- the submitter ----------------------------------------------------------- */

/* Completion stamps io->t_complete; the submitter only counts. */
typedef struct { guint completions; } Sub;

static void sub_done(SimIo *io, gpointer ctx) { ((Sub *)ctx)->completions++; }

typedef struct {
    SimWorld  *w;
    SimBlkDev *lower, *q;
} Stack;

static Stack stack_new(guint32 caps)
{
    Stack s;
    s.w = sim_world_new(1, 0);
    s.lower = fake_new(s.w, caps, SIM_MS(1));
    s.q = sim_blkq_new(s.w, s.lower);
    return s;
}

static void stack_free(Stack *s)
{
    g_assert_true(sim_world_check(s->w));
    sim_blkdev_free(s->q);
    sim_blkdev_free(s->lower);
    sim_world_free(s->w);
}

/* An io owned by the test (freed by it after the run). */
static SimIo *req(SimIoOp op, guint32 flags, guint64 block, Sub *sub)
{
    SimIo *io = sim_io_new(op, block, op == SIM_IO_FLUSH ? 0 : 1);
    io->flags = flags;
    if (op == SIM_IO_WRITE)
        io->tokens[0] = 77;
    io->done = sub_done;
    io->ctx = sub;
    io->origin = SIM_ORIGIN_JCOMMIT;
    return io;
}

static void test_caps_passed_up(void)
{
    Stack s = stack_new(SIM_BLK_CAP_VOLATILE_CACHE | SIM_BLK_CAP_ROTATIONAL);
    g_assert_cmpuint(s.q->caps, ==, SIM_BLK_CAP_VOLATILE_CACHE | SIM_BLK_CAP_ROTATIONAL);
    g_assert_cmpuint(s.q->nblocks, ==, 1000);
    g_assert_cmpuint(s.q->atomic_bytes, ==, 512);
    g_assert_true(s.q->lower == s.lower);
    stack_free(&s);
}

/* B1: no volatile cache - no flush reaches the device, FUA/PREFLUSH are
 * stripped, an empty flush completes at once (but not inside submit). */
static void test_b1_no_cache(void)
{
    Stack s = stack_new(SIM_BLK_CAP_FUA);
    Sub a = { 0 }, b = { 0 }, c = { 0 };
    SimIo *wa = req(SIM_IO_WRITE, SIM_IO_PREFLUSH | SIM_IO_FUA, 5, &a);
    SimIo *fl = req(SIM_IO_FLUSH, 0, 0, &b);
    SimIo *wc = req(SIM_IO_WRITE, SIM_IO_FUA, 6, &c);
    sim_blk_submit(s.q, wa);
    sim_blk_submit(s.q, fl);
    sim_blk_submit(s.q, wc);
    g_assert_cmpuint(b.completions, ==, 0);            /* never synchronous */
    sim_world_run(s.w, SIM_TIME_MAX);

    g_assert_cmpuint(cmds_of(s.lower)->len, ==, 2);
    for (guint i = 0; i < 2; i++) {
        g_assert_cmpint(cmd(s.lower, i)->op, ==, SIM_IO_WRITE);
        g_assert_cmpuint(cmd(s.lower, i)->flags, ==, 0);
    }
    g_assert_cmpuint(a.completions, ==, 1);
    g_assert_cmpuint(b.completions, ==, 1);
    g_assert_cmpuint(c.completions, ==, 1);
    g_assert_cmpint(fl->t_complete, ==, 0);
    g_assert_cmpint(wa->t_complete, ==, SIM_MS(1));
    sim_io_free(wa);
    sim_io_free(fl);
    sim_io_free(wc);
    stack_free(&s);
}

/* B2: cache without FUA - a FUA write becomes write + POSTFLUSH, and the
 * submitter hears back only after the flush. */
static void test_b2_fua_emulated(void)
{
    Stack s = stack_new(SIM_BLK_CAP_VOLATILE_CACHE);
    Sub a = { 0 };
    SimIo *w = req(SIM_IO_WRITE, SIM_IO_FUA, 9, &a);
    sim_blk_submit(s.q, w);
    sim_world_run(s.w, SIM_TIME_MAX);

    g_assert_cmpuint(cmds_of(s.lower)->len, ==, 2);
    const Cmd *data = cmd(s.lower, 0), *post = cmd(s.lower, 1);
    g_assert_cmpint(data->op, ==, SIM_IO_WRITE);
    g_assert_cmpuint(data->flags, ==, 0);
    g_assert_cmpuint(data->block, ==, 9);
    g_assert_cmpuint(data->origin, ==, SIM_ORIGIN_JCOMMIT);
    g_assert_cmpint(post->op, ==, SIM_IO_FLUSH);
    g_assert_cmpuint(post->origin, ==, SIM_ORIGIN_BLK_POSTFLUSH);
    g_assert_cmpint(post->t_arrive, >=, data->t_done);  /* covers the completed data */
    g_assert_cmpuint(a.completions, ==, 1);
    g_assert_cmpint(w->t_complete, ==, post->t_done);
    g_assert_cmpint(w->t_complete, ==, SIM_MS(2));
    sim_io_free(w);
    stack_free(&s);
}

/* Cache with FUA: a FUA write goes down as it is, the submitter's own io. */
static void test_native_fua_passthrough(void)
{
    Stack s = stack_new(SIM_BLK_CAP_VOLATILE_CACHE | SIM_BLK_CAP_FUA);
    Sub a = { 0 };
    SimIo *w = req(SIM_IO_WRITE, SIM_IO_FUA, 3, &a);
    sim_blk_submit(s.q, w);
    sim_world_run(s.w, SIM_TIME_MAX);
    g_assert_cmpuint(cmds_of(s.lower)->len, ==, 1);
    g_assert_true(cmd(s.lower, 0)->io == w);
    g_assert_cmpuint(cmd(s.lower, 0)->flags, ==, SIM_IO_FUA);
    g_assert_cmpuint(a.completions, ==, 1);
    g_assert_cmpint(w->t_complete, ==, SIM_MS(1));
    sim_io_free(w);
    stack_free(&s);
}

/* PREFLUSH: the flush reaches the device first; the data is sent only once
 * the flush has completed; FUA stays on the data when the device has it. */
static void test_preflush_order(void)
{
    Stack s = stack_new(SIM_BLK_CAP_VOLATILE_CACHE | SIM_BLK_CAP_FUA);
    Sub a = { 0 };
    SimIo *w = req(SIM_IO_WRITE, SIM_IO_PREFLUSH | SIM_IO_FUA, 4, &a);
    sim_blk_submit(s.q, w);
    sim_world_run(s.w, SIM_TIME_MAX);

    g_assert_cmpuint(cmds_of(s.lower)->len, ==, 2);
    const Cmd *pre = cmd(s.lower, 0), *data = cmd(s.lower, 1);
    g_assert_cmpint(pre->op, ==, SIM_IO_FLUSH);
    g_assert_cmpuint(pre->origin, ==, SIM_ORIGIN_BLK_PREFLUSH);
    g_assert_cmpint(pre->t_arrive, ==, 0);
    g_assert_cmpint(data->op, ==, SIM_IO_WRITE);
    g_assert_cmpuint(data->flags, ==, SIM_IO_FUA);
    g_assert_cmpint(data->t_arrive, >=, pre->t_done);
    g_assert_cmpint(w->t_complete, ==, data->t_done);
    g_assert_cmpint(w->t_complete, ==, SIM_MS(2));
    g_assert_cmpuint(a.completions, ==, 1);
    sim_io_free(w);
    stack_free(&s);
}

/* PREFLUSH|FUA without device FUA: flush, data, flush, then completion
 * (jbd2's commit record on a drive without FUA, B2). */
static void test_preflush_fua_emulated(void)
{
    Stack s = stack_new(SIM_BLK_CAP_VOLATILE_CACHE);
    Sub a = { 0 };
    SimIo *w = req(SIM_IO_WRITE, SIM_IO_PREFLUSH | SIM_IO_FUA, 4, &a);
    sim_blk_submit(s.q, w);
    sim_world_run(s.w, SIM_TIME_MAX);

    g_assert_cmpuint(cmds_of(s.lower)->len, ==, 3);
    g_assert_cmpint(cmd(s.lower, 0)->op, ==, SIM_IO_FLUSH);
    g_assert_cmpuint(cmd(s.lower, 0)->origin, ==, SIM_ORIGIN_BLK_PREFLUSH);
    g_assert_cmpint(cmd(s.lower, 1)->op, ==, SIM_IO_WRITE);
    g_assert_cmpuint(cmd(s.lower, 1)->flags, ==, 0);
    g_assert_cmpint(cmd(s.lower, 1)->t_arrive, >=, cmd(s.lower, 0)->t_done);
    g_assert_cmpint(cmd(s.lower, 2)->op, ==, SIM_IO_FLUSH);
    g_assert_cmpuint(cmd(s.lower, 2)->origin, ==, SIM_ORIGIN_BLK_POSTFLUSH);
    g_assert_cmpint(cmd(s.lower, 2)->t_arrive, >=, cmd(s.lower, 1)->t_done);
    g_assert_cmpint(w->t_complete, ==, SIM_MS(3));
    g_assert_cmpuint(a.completions, ==, 1);
    sim_io_free(w);
    stack_free(&s);
}

/* B3: a flush is sent while an earlier write is still in flight; the block
 * layer does not wait for it (so the flush need not cover it). The same for
 * a PREFLUSH. */
typedef struct {
    Stack *s;
    Sub   *sub;
    SimIo *fl, *pre;
} Later;

static void submit_later_ev(SimWorld *w, gpointer obj, gint64 arg)
{
    Later *l = obj;
    l->fl = req(SIM_IO_FLUSH, 0, 0, l->sub);
    l->pre = req(SIM_IO_WRITE, SIM_IO_PREFLUSH, 2, l->sub);
    sim_blk_submit(l->s->q, l->fl);
    sim_blk_submit(l->s->q, l->pre);
}

static void test_b3_flush_does_not_wait(void)
{
    Stack s = stack_new(SIM_BLK_CAP_VOLATILE_CACHE | SIM_BLK_CAP_FUA);
    Sub a = { 0 }, later = { 0 };
    SimIo *w = req(SIM_IO_WRITE, 0, 1, &a);
    sim_blk_submit(s.q, w);
    Later l = { &s, &later, NULL, NULL };
    sim_schedule_at(s.w, SIM_US(100), submit_later_ev, &l, 0);
    sim_world_run(s.w, SIM_TIME_MAX);

    g_assert_cmpuint(cmds_of(s.lower)->len, ==, 4);
    const Cmd *data = cmd(s.lower, 0), *fl = cmd(s.lower, 1), *pre = cmd(s.lower, 2);
    g_assert_true(data->io == w);
    g_assert_cmpint(fl->op, ==, SIM_IO_FLUSH);
    g_assert_true(fl->io == l.fl);                       /* a pure flush passes through */
    g_assert_cmpint(fl->t_arrive, ==, SIM_US(100));
    g_assert_cmpint(fl->t_arrive, <, data->t_done);      /* the write was still in flight */
    g_assert_cmpint(pre->op, ==, SIM_IO_FLUSH);
    g_assert_cmpint(pre->t_arrive, ==, SIM_US(100));
    g_assert_cmpuint(later.completions, ==, 2);
    g_assert_cmpuint(a.completions, ==, 1);
    sim_io_free(w);
    sim_io_free(l.fl);
    sim_io_free(l.pre);
    stack_free(&s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/blkq/caps-passed-up", test_caps_passed_up);
    g_test_add_func("/blkq/B1-no-cache-no-flush", test_b1_no_cache);
    g_test_add_func("/blkq/B2-fua-emulated-by-postflush", test_b2_fua_emulated);
    g_test_add_func("/blkq/native-fua-passthrough", test_native_fua_passthrough);
    g_test_add_func("/blkq/preflush-before-data", test_preflush_order);
    g_test_add_func("/blkq/B2-preflush-fua-emulated", test_preflush_fua_emulated);
    g_test_add_func("/blkq/B3-flush-does-not-wait", test_b3_flush_does_not_wait);
    return g_test_run();
}

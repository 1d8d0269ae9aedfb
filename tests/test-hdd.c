/* tests/test-hdd.c - the HDD model: schema, hand-computed mechanics, cache
 * durability (D1, B3), FUA, destage policies (D2), torn writes (T1/T2), cache
 * pressure and rewrites. Every expected value is derived here from the
 * model's stated formulas and the configuration, never read back from the
 * program. */
#include "dev/hdd.h"
#include "blk/blk.h"
#include "testutil.h"
#include <math.h>
#include <string.h>

#define MS(x) ((x) * 1e6)   /* ms -> ns, as double */

/* ---- rig: a world, one drive, a log of media changes and completions ---- */

typedef struct { SimTime t; guint64 block; SimToken tok; } Land;
typedef struct { guint64 tag; SimTime t; } Done;

typedef struct {
    SimWorld  *w;
    SimBlkDev *d;
    GArray    *lands;     /* every sim_media_set, in order */
    GArray    *done;      /* completions, in order; tag = io->id */
} Rig;

static void rig_listen(gpointer ud, guint64 block, SimToken old, SimToken tok)
{
    Rig *r = ud;
    Land l = { sim_now(r->w), block, tok };
    g_array_append_val(r->lands, l);
}

static Rig *rig_new(const SimHddCfg *cfg)
{
    Rig *r = g_new0(Rig, 1);
    r->w = sim_world_new(1, 0);
    r->d = sim_hdd_new(r->w, cfg);
    g_assert_nonnull(r->d);
    r->lands = g_array_new(FALSE, FALSE, sizeof(Land));
    r->done = g_array_new(FALSE, FALSE, sizeof(Done));
    sim_media_set_listener(r->d->media, rig_listen, r);
    return r;
}

static void rig_free(Rig *r)
{
    g_assert_true(sim_world_check(r->w));
    sim_blkdev_free(r->d);
    sim_world_free(r->w);
    g_array_free(r->lands, TRUE);
    g_array_free(r->done, TRUE);
    g_free(r);
}

static void done_record(SimIo *io, gpointer ctx)
{
    Rig *r = ctx;
    Done d = { io->id, sim_now(r->w) };
    g_array_append_val(r->done, d);
    sim_io_free(io);
}

static SimIo *mk_io(SimIoOp op, guint64 block, guint32 n, SimToken tok0, guint32 flags, guint64 tag,
                    SimIoDoneFn done, gpointer ctx)
{
    SimIo *io = sim_io_new(op, block, n);
    for (guint32 i = 0; op == SIM_IO_WRITE && i < n; i++)
        io->tokens[i] = tok0 + i;
    io->flags = flags;
    io->id = tag;
    io->done = done;
    io->ctx = ctx;
    return io;
}

static void rig_write(Rig *r, guint64 block, guint32 n, SimToken tok0, guint32 flags, guint64 tag)
{
    sim_blk_submit(r->d, mk_io(SIM_IO_WRITE, block, n, tok0, flags, tag, done_record, r));
}

static SimTime done_time(const Rig *r, guint64 tag)
{
    for (guint i = 0; i < r->done->len; i++)
        if (g_array_index(r->done, Done, i).tag == tag)
            return g_array_index(r->done, Done, i).t;
    g_assert_not_reached();
}

/* Last time `block` received its final (non-torn) token `tok`. */
static SimTime land_time(const Rig *r, guint64 block, SimToken tok)
{
    for (guint i = r->lands->len; i-- > 0;) {
        const Land *l = &g_array_index(r->lands, Land, i);
        if (l->block == block && l->tok == tok)
            return l->t;
    }
    g_assert_not_reached();
}

static SimHddCfg default_cfg(void)
{
    SimHddCfg c;
    sim_params_defaults(&sim_hdd_schema, &c);
    return c;
}

/* Round numbers for hand computation: 6000 rpm (10 ms per turn); 409.6 MB/s
 * gives exactly 1000 blocks per track and 10 us per block; 1 GB = 244140
 * blocks = 245 tracks; seeks 1 / 5 / 8 ms; write-through. */
static SimHddCfg hand_cfg(void)
{
    SimHddCfg c = default_cfg();
    c.capacity_gb = 1;
    c.rpm = 6000;
    c.zones = 1;
    c.outer_mb_s = c.inner_mb_s = 409.6;
    c.seek_track_ms = 1;
    c.seek_avg_ms = 5;
    c.seek_full_ms = 8;
    c.cache_mb = 0;
    return c;
}

/* ---- schema ---------------------------------------------------------------- */

static void test_schema(void)
{
    g_autoptr(GError) err = NULL;
    g_assert_true(sim_params_validate_schema(&sim_hdd_schema, &err));
    g_assert_no_error(err);

    /* defaults: a 7200 rpm SATA desktop disk with a 64 MiB cache */
    SimHddCfg c = default_cfg();
    g_assert_cmpint(c.capacity_gb, ==, 1000);
    g_assert_cmpint(c.rpm, ==, 7200);
    g_assert_cmpint(c.cache_mb, ==, 64);
    g_assert_cmpint(c.policy, ==, SIM_DESTAGE_SATF);
    g_assert_cmpint(c.window, ==, 32);
    g_assert_cmpint(c.ncq_depth, ==, 32);
    g_assert_cmpfloat(c.high_water, ==, 0.75);
    g_assert_cmpfloat(c.idle_ms, ==, 0.5);
    g_assert_cmpfloat(c.seek_track_ms, ==, 0.8);
    g_assert_cmpfloat(c.seek_avg_ms, ==, 8.5);
    g_assert_cmpfloat(c.seek_full_ms, ==, 16);
    g_assert_cmpfloat(c.outer_mb_s, ==, 190);
    g_assert_cmpfloat(c.inner_mb_s, ==, 95);
    g_assert_cmpint(c.zones, ==, 16);
    g_assert_cmpfloat(c.iface_mb_s, ==, 600);
    g_assert_cmpfloat(c.cmd_overhead_us, ==, 20);
    g_assert_true(c.fua);
    g_assert_cmpint(c.atomic_bytes, ==, 4096);
    g_assert_true(sim_hdd_cfg_validate(&c, NULL));

    g_assert_true(sim_params_set_str(&sim_hdd_schema, &c, "policy", "clook", NULL));
    g_assert_cmpint(c.policy, ==, SIM_DESTAGE_CLOOK);
    g_assert_false(sim_params_set_str(&sim_hdd_schema, &c, "policy", "lifo", NULL));
    g_assert_false(sim_params_set_str(&sim_hdd_schema, &c, "cache_mb", "5000", NULL));
    g_assert_true(sim_params_set_str(&sim_hdd_schema, &c, "cache_mb", "0", NULL));

    c.atomic_bytes = 512;
    g_assert_true(sim_hdd_cfg_validate(&c, NULL));
    c.atomic_bytes = 1000;               /* in the schema's range, but not a unit */
    g_assert_false(sim_hdd_cfg_validate(&c, &err));
    g_assert_error(err, SIM_PARAMS_ERROR, SIM_PARAMS_ERROR_VALUE);
    g_assert_cmpstr(err->message, ==, "device.atomic_bytes: 1000 is not allowed (512 or 4096)");
    g_clear_error(&err);
    c.atomic_bytes = 4096;
    c.seek_avg_ms = 20;                  /* above the full stroke */
    g_assert_false(sim_hdd_cfg_validate(&c, &err));
    g_assert_null(strchr(err->message, '\n'));
}

static void test_caps(void)
{
    SimHddCfg c = default_cfg();
    Rig *r = rig_new(&c);
    g_assert_cmpuint(r->d->caps, ==, SIM_BLK_CAP_VOLATILE_CACHE | SIM_BLK_CAP_FUA | SIM_BLK_CAP_ROTATIONAL);
    g_assert_cmpuint(r->d->nblocks, ==, 1000000000000ULL / 4096);
    g_assert_cmpuint(r->d->atomic_bytes, ==, 4096);
    rig_free(r);

    c.cache_mb = 0;                      /* write-through: no volatile cache reported (D4/D5) */
    c.fua = FALSE;
    c.atomic_bytes = 512;
    r = rig_new(&c);
    g_assert_cmpuint(r->d->caps, ==, SIM_BLK_CAP_ROTATIONAL);
    g_assert_cmpuint(r->d->atomic_bytes, ==, 512);
    rig_free(r);
}

/* ---- mechanics, by hand ------------------------------------------------------ */

/* The seek curve of the spec: a + b*sqrt(d) below a third of the stroke,
 * c + e*d above, through (1 track, 1 ms), (1/3, 5 ms), (1, 8 ms). */
static double hand_seek_ms(double d, double tracks)
{
    double d1 = 1 / tracks, third = 1.0 / 3;
    if (d == 0)
        return 0;
    if (d >= third)
        return 5 + (8 - 5) / (1 - third) * (d - third);
    double b = (5 - 1) / (sqrt(third) - sqrt(d1));
    return 1 + b * (sqrt(d) - sqrt(d1));
}

/* First instant >= t1 at which angle `theta` is under the head: the platter
 * is at angle 0 at t = 0 and turns once per `period`. */
static double next_pass(double t1, double theta, double period)
{
    return theta * period + ceil((t1 - theta * period) / period) * period;
}

/* One write-through write from the initial head position (block 0, track 0,
 * t = 0): interface (bytes / 600 MB/s + 20 us), seek, rotation, transfer. */
static void check_hand_write(const SimHddCfg *c, guint64 block, guint32 n, double track, double tracks,
                             double theta, double xfer_ns, double expect_ms)
{
    double iface = n * 4096 / 600e6 * 1e9 + 20e3;
    double t1 = iface + MS(hand_seek_ms(track / tracks, tracks));
    double start = next_pass(t1, theta, MS(10));
    g_assert_cmpfloat(fabs(start + n * xfer_ns - MS(expect_ms)), <, 1);   /* the derivation in the comment */

    Rig *r = rig_new(c);
    rig_write(r, block, n, 100, 0, 1);
    sim_world_run(r->w, SIM_TIME_MAX);
    for (guint32 i = 0; i < n; i++)             /* block i lands at start + (i+1)*xfer */
        g_assert_cmpfloat(fabs((double)land_time(r, block + i, 100 + i) - (start + (i + 1) * xfer_ns)), <=, 2);
    g_assert_cmpfloat(fabs((double)done_time(r, 1) - (start + n * xfer_ns)), <=, 2);
    g_assert_cmpuint(r->lands->len, ==, n);
    rig_free(r);
}

static void test_hand_timing(void)
{
    SimHddCfg c = hand_cfg();
    /* block 100250: track 100, angle 0.25; d = 100/245 > 1/3, seek
     * 5 + 4.5*(100/245 - 1/3) = 5.337 ms; ready at 5.364 ms; angle 0.25
     * passes at 2.5, 12.5 ms: lands at 12.5 ms + 10 us. */
    check_hand_write(&c, 100250, 1, 100, 245, 0.25, 10e3, 12.51);
    /* block 1500: next track (1 ms), angle 0.5 at 5 ms: lands at 5.01 ms;
     * three blocks land 10 us apart. */
    check_hand_write(&c, 1500, 3, 1, 245, 0.5, 10e3, 5.03);
    /* block 50900: track 50, angle 0.9; d = 50/245 < 1/3: the sqrt branch,
     * about 4.02 ms; angle 0.9 at 9 ms. */
    check_hand_write(&c, 50900, 1, 50, 245, 0.9, 10e3, 9.01);

    /* Two zones: 409.6 and 307.2 MB/s; capacities 4/7 and 3/7 of 244140
     * blocks: 139508 and 104632; 1000 and 750 blocks per track: 140 + 140
     * tracks. Block 177383 = 139508 + 50*750 + 375: global track 190,
     * angle 0.5; seek 5 + 4.5*(190/280 - 1/3) = 6.554 ms; angle 0.5 at 15 ms;
     * a block takes 4096/307.2 MB/s = 13.333 us. */
    c.zones = 2;
    c.inner_mb_s = 307.2;
    check_hand_write(&c, 177383, 1, 190, 280, 0.5, 4096 / 307.2e6 * 1e9, 15 + 4096 / 307.2e6 * 1e3);
}

/* ---- cache durability ---------------------------------------------------------- */

typedef struct {
    Rig     *r;
    guint64  blk_a, blk_b;        /* B3 tests: written before / after the flush arrived */
    SimTime  t_write, t_flush, t_b;
    SimToken media_at_write, media_at_flush, media_b_at_flush;
} Seq;

static void flush_done_d1(SimIo *io, gpointer ctx)
{
    Seq *s = ctx;
    s->t_flush = sim_now(s->r->w);
    s->media_at_flush = sim_media_get(s->r->d->media, 1000);
    sim_io_free(io);
}

static void write_done_d1(SimIo *io, gpointer ctx)
{
    Seq *s = ctx;
    s->t_write = sim_now(s->r->w);
    s->media_at_write = sim_media_get(s->r->d->media, 1000);
    sim_io_free(io);
    sim_blk_submit(s->r->d, mk_io(SIM_IO_FLUSH, 0, 0, 0, 0, 0, flush_done_d1, s));
}

/* A cached write completes after the interface transfer alone and is not
 * durable; a flush issued after its completion makes it durable (D1). */
static void test_cache_write_then_flush(void)
{
    SimHddCfg c = default_cfg();
    Seq s = { .r = rig_new(&c) };
    sim_blk_submit(s.r->d, mk_io(SIM_IO_WRITE, 1000, 1, 11, 0, 1, write_done_d1, &s));
    sim_world_run(s.r->w, SIM_TIME_MAX);
    g_assert_cmpint(s.t_write, ==, llround(4096 / 600e6 * 1e9 + 20e3));   /* 26.827 us */
    g_assert_cmpuint(s.media_at_write, ==, 0);
    g_assert_cmpint(s.t_flush, >, s.t_write);
    g_assert_cmpuint(s.media_at_flush, ==, 11);
    SimDevStats st;
    s.r->d->ops->get_stats(s.r->d, &st);
    g_assert_cmpuint(st.writes, ==, 1);
    g_assert_cmpuint(st.flushes, ==, 1);
    g_assert_cmpuint(st.media_writes, ==, 1);
    g_assert_cmpuint(st.media_blocks, ==, 1);
    rig_free(s.r);
}

static void flush_done_b3(SimIo *io, gpointer ctx)
{
    Seq *s = ctx;
    s->t_flush = sim_now(s->r->w);
    s->media_at_flush = sim_media_get(s->r->d->media, s->blk_a);
    s->media_b_at_flush = sim_media_get(s->r->d->media, s->blk_b);
    sim_io_free(io);
}

static void write_b_done(SimIo *io, gpointer ctx)
{
    Seq *s = ctx;
    s->t_b = sim_now(s->r->w);
    sim_io_free(io);
}

static void submit_b_ev(SimWorld *w, gpointer obj, gint64 arg)
{
    Seq *s = obj;
    sim_blk_submit(s->r->d, mk_io(SIM_IO_WRITE, s->blk_b, 1, 2, 0, 2, write_b_done, s));
}

static void write_a_done(SimIo *io, gpointer ctx)
{
    Seq *s = ctx;
    s->t_write = sim_now(s->r->w);
    sim_io_free(io);
    sim_blk_submit(s->r->d, mk_io(SIM_IO_FLUSH, 0, 0, 0, 0, 0, flush_done_b3, s));
    sim_schedule_after(s->r->w, SIM_US(10), submit_b_ev, s, 0);
}

/* B3: write B completes after the flush arrived, before the flush
 * completes; the flush does not cover it, and it is still volatile when the
 * flush completes. */
static void test_flush_covers_only_earlier(void)
{
    SimHddCfg c = default_cfg();
    Seq s = { .r = rig_new(&c), .blk_a = 100, .blk_b = 200 };
    sim_blk_submit(s.r->d, mk_io(SIM_IO_WRITE, s.blk_a, 1, 1, 0, 1, write_a_done, &s));
    sim_world_run(s.r->w, SIM_TIME_MAX);
    g_assert_cmpint(s.t_b, <, s.t_flush);
    g_assert_cmpuint(s.media_at_flush, ==, 1);
    g_assert_cmpuint(s.media_b_at_flush, ==, 0);
    g_assert_cmpuint(sim_media_get(s.r->d->media, s.blk_b), ==, 2);   /* destaged later, when idle */
    rig_free(s.r);
}

/* While a flush waits, destage serves only what the flush covers: the head
 * ends a long read at the inner edge, A (covered) is at the outer edge, B
 * (written after the flush arrived) right next to the head. SATF alone
 * would take B first; the flush completes with A durable and B not. */
static void test_flush_restricts_destage(void)
{
    SimHddCfg c = default_cfg();
    Seq s = { .r = rig_new(&c), .blk_a = 5 };
    s.blk_b = s.r->d->nblocks - 100;
    sim_blk_submit(s.r->d, mk_io(SIM_IO_READ, s.r->d->nblocks - 8, 8, 0, 0, 0, done_record, s.r));
    sim_blk_submit(s.r->d, mk_io(SIM_IO_WRITE, s.blk_a, 1, 1, 0, 1, write_a_done, &s));
    sim_world_run(s.r->w, SIM_TIME_MAX);
    g_assert_cmpint(done_time(s.r, 0), <, s.t_flush);   /* the read did hold the head */
    g_assert_cmpint(s.t_b, <, done_time(s.r, 0));
    g_assert_cmpuint(s.media_at_flush, ==, 1);
    g_assert_cmpuint(s.media_b_at_flush, ==, 0);
    g_assert_cmpuint(sim_media_get(s.r->d->media, s.blk_b), ==, 2);
    rig_free(s.r);
}

/* D1 with a rewrite: block 5 is written (1), a flush arrives, then block 5
 * is rewritten (2) before it could be destaged. The flush still owes the
 * first write's durability: when it completes, block 5 holds 1 or the newer
 * 2, never its old content. */
static void test_rewrite_keeps_flush_coverage(void)
{
    SimHddCfg c = default_cfg();
    Seq s = { .r = rig_new(&c), .blk_a = 5, .blk_b = 5 };
    sim_blk_submit(s.r->d, mk_io(SIM_IO_READ, s.r->d->nblocks - 8, 8, 0, 0, 0, done_record, s.r));
    sim_blk_submit(s.r->d, mk_io(SIM_IO_WRITE, s.blk_a, 1, 1, 0, 1, write_a_done, &s));
    sim_world_run(s.r->w, SIM_TIME_MAX);
    g_assert_cmpint(s.t_b, <, s.t_flush);
    g_assert_cmpuint(s.media_at_flush, !=, 0);
    g_assert_cmpuint(sim_media_get(s.r->d->media, 5), ==, 2);
    rig_free(s.r);
}

static void fua_done(SimIo *io, gpointer ctx)
{
    Seq *s = ctx;
    s->t_write = sim_now(s->r->w);
    s->media_at_write = sim_media_get(s->r->d->media, 1000);
    sim_io_free(io);
}

/* A FUA write is durable when it completes, even over a dirty cached copy
 * of the same block, which must never land after it. */
static void test_fua_durable(void)
{
    SimHddCfg c = default_cfg();
    Seq s = { .r = rig_new(&c) };
    rig_write(s.r, 1000, 1, 5, 0, 1);                 /* cached, older */
    sim_blk_submit(s.r->d, mk_io(SIM_IO_WRITE, 1000, 1, 6, SIM_IO_FUA, 2, fua_done, &s));
    sim_world_run(s.r->w, SIM_TIME_MAX);
    g_assert_cmpuint(s.media_at_write, ==, 6);
    g_assert_cmpuint(sim_media_get(s.r->d->media, 1000), ==, 6);
    for (guint i = 0; i < s.r->lands->len; i++)        /* the superseded copy never lands */
        g_assert_cmpuint(g_array_index(s.r->lands, Land, i).tok, !=, 5);
    SimDevStats st;
    s.r->d->ops->get_stats(s.r->d, &st);
    g_assert_cmpuint(st.fua_writes, ==, 1);
    g_assert_cmpuint(st.media_writes, ==, 1);
    rig_free(s.r);
}

/* Reads issued as soon as the write of blocks 500-501 completes: those
 * blocks hit in the cache, another one misses. */
static void write_done_then_read(SimIo *io, gpointer ctx)
{
    Rig *r = ctx;
    done_record(io, r);
    sim_blk_submit(r->d, mk_io(SIM_IO_READ, 500, 2, 0, 0, 3, done_record, r));
    sim_blk_submit(r->d, mk_io(SIM_IO_READ, 900000, 1, 0, 0, 4, done_record, r));
}

/* A flush covers block 1000 (written, completed, cached). Before it can be
 * destaged (the head is busy with a long read), a FUA write supersedes the
 * cached copy. The flush must still not complete before block 1000 is on
 * media, now through the FUA write (D1). */
static void flush_done_hold(SimIo *io, gpointer ctx)
{
    Seq *s = ctx;
    s->t_flush = sim_now(s->r->w);
    s->media_at_flush = sim_media_get(s->r->d->media, 1000);
    sim_io_free(io);
}

static void write_done_hold(SimIo *io, gpointer ctx)
{
    Seq *s = ctx;
    sim_io_free(io);
    sim_blk_submit(s->r->d, mk_io(SIM_IO_FLUSH, 0, 0, 0, 0, 0, flush_done_hold, s));
    sim_blk_submit(s->r->d, mk_io(SIM_IO_WRITE, 1000, 1, 2, SIM_IO_FUA, 0, fua_done, s));
}

static void test_flush_waits_for_superseding_fua(void)
{
    SimHddCfg c = default_cfg();
    Seq s = { .r = rig_new(&c) };
    sim_blk_submit(s.r->d, mk_io(SIM_IO_READ, s.r->d->nblocks - 8, 8, 0, 0, 0, done_record, s.r));
    sim_blk_submit(s.r->d, mk_io(SIM_IO_WRITE, 1000, 1, 1, 0, 0, write_done_hold, &s));
    sim_world_run(s.r->w, SIM_TIME_MAX);
    g_assert_cmpint(s.t_flush, >=, s.t_write);           /* after the FUA write landed */
    g_assert_cmpuint(s.media_at_flush, ==, 2);
    for (guint i = 0; i < s.r->lands->len; i++)          /* the superseded copy never lands */
        g_assert_cmpuint(g_array_index(s.r->lands, Land, i).tok, !=, 1);
    rig_free(s.r);
}

static void test_empty_flush_and_reads(void)
{
    SimHddCfg c = default_cfg();
    Rig *r = rig_new(&c);
    /* empty cache: a flush costs the command overhead only */
    sim_blk_submit(r->d, mk_io(SIM_IO_FLUSH, 0, 0, 0, 0, 1, done_record, r));
    sim_world_run(r->w, SIM_TIME_MAX);
    g_assert_cmpint(done_time(r, 1), ==, SIM_US(20));

    SimTime t0 = sim_now(r->w);
    sim_blk_submit(r->d, mk_io(SIM_IO_WRITE, 500, 2, 1, 0, 2, write_done_then_read, r));
    sim_world_run(r->w, SIM_TIME_MAX);
    SimTime x2 = llround(2 * 4096 / 600e6 * 1e9 + 20e3);   /* interface time of 2 blocks */
    g_assert_cmpint(done_time(r, 2) - t0, ==, x2);
    g_assert_cmpint(done_time(r, 3) - t0, ==, 2 * x2);      /* hit: interface only */
    g_assert_cmpint(done_time(r, 4) - t0, >, SIM_MS(1));    /* miss: waited for the head */
    SimDevStats st;
    r->d->ops->get_stats(r->d, &st);
    g_assert_cmpuint(st.reads, ==, 2);
    g_assert_cmpuint(st.cache_hits, ==, 1);
    g_assert_cmpuint(st.media_reads, ==, 1);
    g_assert_cmpint(st.busy_ns, >, 0);
    rig_free(r);
}

/* ---- destage order (D2) -------------------------------------------------------- */

/* A burst of single-block writes to distinct scattered blocks; returns the
 * blocks in landing order and in completion order. */
static void burst(SimDestagePolicy pol, guint n, GArray *landed, GArray *completed)
{
    SimHddCfg c = default_cfg();
    c.policy = pol;
    Rig *r = rig_new(&c);
    GRand *rand = g_rand_new_with_seed(g_test_rand_int());
    GHashTable *used = g_hash_table_new(g_direct_hash, NULL);
    for (guint i = 0; i < n; i++) {
        guint64 b;
        do
            b = g_rand_int_range(rand, 1, 1000000) * 200ULL;
        while (!g_hash_table_add(used, GSIZE_TO_POINTER(b)));
        rig_write(r, b, 1, i + 1, 0, b);
    }
    sim_world_run(r->w, SIM_TIME_MAX);
    for (guint i = 0; i < r->done->len; i++)
        g_array_append_val(completed, g_array_index(r->done, Done, i).tag);
    for (guint i = 0; i < r->lands->len; i++)
        g_array_append_val(landed, g_array_index(r->lands, Land, i).block);
    g_assert_cmpuint(landed->len, ==, n);
    g_hash_table_destroy(used);
    g_rand_free(rand);
    rig_free(r);
}

static gboolean same_order(GArray *a, GArray *b)
{
    return a->len == b->len && memcmp(a->data, b->data, a->len * sizeof(guint64)) == 0;
}

static void test_fifo_completion_order(void)
{
    g_autoptr(GArray) landed = g_array_new(FALSE, FALSE, sizeof(guint64));
    g_autoptr(GArray) completed = g_array_new(FALSE, FALSE, sizeof(guint64));
    burst(SIM_DESTAGE_FIFO, 64, landed, completed);
    g_assert_true(same_order(landed, completed));     /* W = 1: media order = completion order */
}

static void test_random_reorders(void)
{
    g_autoptr(GArray) landed = g_array_new(FALSE, FALSE, sizeof(guint64));
    g_autoptr(GArray) completed = g_array_new(FALSE, FALSE, sizeof(guint64));
    burst(SIM_DESTAGE_RANDOM, 64, landed, completed);
    g_assert_false(same_order(landed, completed));    /* D2: some pair lands out of order */
}

/* SATF: the head is on track 0; an older write at the innermost block costs
 * a full-stroke seek (16 ms), a younger one on track 0 at most one turn
 * (8.3 ms): SATF takes the younger first, FIFO the older. */
static void test_satf_nearer_first(void)
{
    for (int pol = SIM_DESTAGE_FIFO; pol <= SIM_DESTAGE_SATF; pol += SIM_DESTAGE_SATF) {
        SimHddCfg c = default_cfg();
        c.policy = pol;
        Rig *r = rig_new(&c);
        guint64 far = r->d->nblocks - 1, near = 5;
        rig_write(r, far, 1, 1, 0, 1);
        rig_write(r, near, 1, 2, 0, 2);
        sim_world_run(r->w, SIM_TIME_MAX);
        g_assert_cmpuint(r->lands->len, ==, 2);
        g_assert_cmpuint(g_array_index(r->lands, Land, 0).block, ==, pol == SIM_DESTAGE_SATF ? near : far);
        rig_free(r);
    }
}

/* C-LOOK: ascending from the head; after block 0 the sweep goes up. */
static void test_clook_ascending(void)
{
    SimHddCfg c = default_cfg();
    c.policy = SIM_DESTAGE_CLOOK;
    Rig *r = rig_new(&c);
    guint64 blocks[] = { 900000, 300000, 700000, 100000, 500000 };
    for (guint i = 0; i < G_N_ELEMENTS(blocks); i++)
        rig_write(r, blocks[i], 1, i + 1, 0, i);
    sim_world_run(r->w, SIM_TIME_MAX);
    g_assert_cmpuint(r->lands->len, ==, 5);
    for (guint i = 1; i < 5; i++)
        g_assert_cmpuint(g_array_index(r->lands, Land, i - 1).block, <, g_array_index(r->lands, Land, i).block);
    rig_free(r);
}

/* ---- torn writes (T1/T2) -------------------------------------------------------- */

static void test_atomic_4096_never_torn(void)
{
    SimHddCfg c = default_cfg();
    for (int wt = 0; wt < 2; wt++) {
        c.cache_mb = wt ? 0 : 64;
        Rig *r = rig_new(&c);
        for (guint i = 0; i < 50; i++)
            rig_write(r, i * 7919, 1 + i % 8, 1 + 10 * i, i % 5 == 0 ? SIM_IO_FUA : 0, i);
        sim_world_run(r->w, SIM_TIME_MAX);
        g_assert_cmpuint(r->lands->len, >, 0);
        for (guint i = 0; i < r->lands->len; i++)
            g_assert_false(sim_token_is_torn(g_array_index(r->lands, Land, i).tok));
        rig_free(r);
    }
}

/* Length of the new prefix of blocks [0, n) (token 100+i is new, 0 is old),
 * with at most one torn block right after it; -1 if the state is anything
 * else. */
static int prefix_len(const SimToken *s, guint n, gboolean *torn)
{
    guint k = 0, i;
    while (k < n && s[k] == 100 + k)
        k++;
    i = k;
    *torn = i < n && s[i] == sim_media_token_torn(100 + i);
    if (*torn)
        i++;
    for (; i < n; i++)
        if (s[i] != 0)
            return -1;
    return (int)k;
}

static void test_atomic_512_prefix(void)
{
    SimHddCfg c = default_cfg();
    c.cache_mb = 0;
    c.atomic_bytes = 512;
    enum { N = 4, B = 1000 };
    Rig *r = rig_new(&c);
    rig_write(r, B, N, 100, 0, 1);
    sim_world_run(r->w, SIM_TIME_MAX);

    /* replay every media change: at each instant the write is a prefix,
     * possibly followed by one torn block */
    SimToken s[N] = { 0 };
    gboolean seen_torn = FALSE, seen_partial = FALSE;
    for (guint i = 0; i < r->lands->len; i++) {
        const Land *l = &g_array_index(r->lands, Land, i);
        s[l->block - B] = l->tok;
        gboolean torn;
        int k = prefix_len(s, N, &torn);
        g_assert_cmpint(k, >=, 0);
        seen_torn |= torn;
        seen_partial |= k > 0 && k < N;
    }
    g_assert_true(seen_torn);
    g_assert_true(seen_partial);
    g_assert_cmpint(prefix_len(s, N, &seen_torn), ==, N);
    /* halfway through block 2's transfer (between the landings of blocks 1
     * and 2), a cut finds blocks 0-1 new, 2 torn, 3 old */
    SimTime mid = (land_time(r, B + 1, 101) + land_time(r, B + 2, 102)) / 2;
    rig_free(r);

    r = rig_new(&c);
    rig_write(r, B, N, 100, 0, 1);
    sim_world_run(r->w, mid);
    g_assert_cmpuint(sim_media_get(r->d->media, B + 0), ==, 100);
    g_assert_cmpuint(sim_media_get(r->d->media, B + 1), ==, 101);
    g_assert_cmpuint(sim_media_get(r->d->media, B + 2), ==, sim_media_token_torn(102));
    g_assert_cmpuint(sim_media_get(r->d->media, B + 3), ==, 0);
    sim_world_run(r->w, SIM_TIME_MAX);
    rig_free(r);
}

/* ---- cache pressure and rewrites -------------------------------------------------- */

/* 1 MiB = 256 blocks: two 128-block writes fill it; the third waits until a
 * destaged segment has fully landed. */
static void test_cache_full_waits(void)
{
    SimHddCfg c = default_cfg();
    c.cache_mb = 1;
    Rig *r = rig_new(&c);
    for (guint i = 0; i < 3; i++)
        rig_write(r, i * 100000, 128, 1000 * (i + 1), 0, i);
    sim_world_run(r->w, SIM_TIME_MAX);
    double x128 = 128 * 4096 / 600e6 * 1e9 + 20e3;
    g_assert_cmpint(done_time(r, 0), ==, llround(x128));
    g_assert_cmpint(done_time(r, 1), ==, 2 * llround(x128));
    /* the 128th landing completes the first destaged segment */
    g_assert_cmpuint(r->lands->len, ==, 3 * 128);
    SimTime room = g_array_index(r->lands, Land, 127).t;
    g_assert_cmpint(done_time(r, 2), >=, room);
    SimDevStats st;
    r->d->ops->get_stats(r->d, &st);
    g_assert_cmpuint(st.cache_full_waits, ==, 1);
    g_assert_cmpuint(st.max_dirty_blocks, <=, 256);
    g_assert_cmpuint(st.media_blocks, ==, 3 * 128);
    rig_free(r);
}

/* Closed loop per block: each of 8 blocks is rewritten only after its
 * previous write completed, with random think times around the idle
 * threshold (so rewrites hit dirty and in-flight copies), some with FUA.
 * Tokens grow with time, so on every block the landed tokens must grow too:
 * an older copy never reaches the media after a newer one. */
typedef struct {
    Rig      *r;
    GRand    *rand;
    SimToken  next_tok;
    SimToken  last[8];
    guint     left;
} Loop;

static void loop_submit_ev(SimWorld *w, gpointer obj, gint64 blk);

static void loop_done(SimIo *io, gpointer ctx)
{
    Loop *l = ctx;
    gint64 blk = (gint64)io->block;
    sim_io_free(io);
    if (l->left > 0) {
        l->left--;
        sim_schedule_after(l->r->w, g_rand_int_range(l->rand, 0, 1000000), loop_submit_ev, l, blk);
    }
}

static void loop_submit_ev(SimWorld *w, gpointer obj, gint64 blk)
{
    Loop *l = obj;
    SimToken t = ++l->next_tok;
    l->last[blk] = t;
    guint32 flags = g_rand_int_range(l->rand, 0, 8) == 0 ? SIM_IO_FUA : 0;
    sim_blk_submit(l->r->d, mk_io(SIM_IO_WRITE, (guint64)blk, 1, t, flags, 0, loop_done, l));
}

static void test_rewrite_never_older_last(void)
{
    for (int pol = SIM_DESTAGE_FIFO; pol <= SIM_DESTAGE_RANDOM; pol++) {
        SimHddCfg c = default_cfg();
        c.policy = pol;
        Loop l = { rig_new(&c), g_rand_new_with_seed(g_test_rand_int()), 0, { 0 }, 2000 - 8 };
        for (gint64 b = 0; b < 8; b++)
            sim_schedule_at(l.r->w, 0, loop_submit_ev, &l, b);
        sim_world_run(l.r->w, SIM_TIME_MAX);

        SimToken seen[8] = { 0 };
        for (guint i = 0; i < l.r->lands->len; i++) {
            const Land *d = &g_array_index(l.r->lands, Land, i);
            g_assert_cmpuint(d->tok, >=, seen[d->block]);
            seen[d->block] = d->tok;
        }
        for (guint b = 0; b < 8; b++)
            g_assert_cmpuint(sim_media_get(l.r->d->media, b), ==, l.last[b]);
        g_rand_free(l.rand);
        rig_free(l.r);
    }
}

/* The durability contract as an oracle (D1, B2, B3, J2-style), through the
 * block layer: 8 loops each own 8 blocks and rewrite random sub-ranges of
 * them in a closed loop (so every block's tokens grow); some writes carry
 * FUA, PREFLUSH or both; a flusher issues pure flushes. Expected:
 *  - a flush, or a PREFLUSH write, completes only once every write that
 *    completed before it was submitted is durable;
 *  - a FUA write is durable when it completes;
 *  - nothing promised is ever taken back by a later landing.
 * Checked at every completion and every media change. */
enum { OR_LOOPS = 8, OR_SPAN = 8, OR_BLOCKS = OR_LOOPS * OR_SPAN };

typedef struct {
    Rig       *r;
    SimBlkDev *q;                      /* blkq on the drive */
    GRand     *rand;
    SimToken   next_tok;
    SimToken   completed[OR_BLOCKS];   /* latest completed write per block */
    SimToken   promised[OR_BLOCKS];    /* the media must hold at least this */
    guint      left, flushes, preflushes;
} Oracle;

/* One request in flight: snap is what it must have made durable. */
typedef struct {
    Oracle  *o;
    gint64   loop;                     /* -1: the flusher */
    gboolean check;
    SimToken snap[OR_BLOCKS];
} OrReq;

static void oracle_listen(gpointer ud, guint64 block, SimToken old, SimToken tok)
{
    Oracle *o = ud;
    g_assert_false(sim_token_is_torn(tok));
    g_assert_cmpuint(tok, >=, o->promised[block]);
}

static void oracle_ev(SimWorld *w, gpointer obj, gint64 loop);

static void oracle_done(SimIo *io, gpointer ctx)
{
    OrReq *rq = ctx;
    Oracle *o = rq->o;
    if (rq->check)
        for (guint b = 0; b < OR_BLOCKS; b++) {
            g_assert_cmpuint(sim_media_get(o->r->d->media, b), >=, rq->snap[b]);
            o->promised[b] = MAX(o->promised[b], rq->snap[b]);
        }
    for (guint32 i = 0; io->op == SIM_IO_WRITE && i < io->nblocks; i++) {
        o->completed[io->block + i] = io->tokens[i];
        if (io->flags & SIM_IO_FUA) {
            g_assert_cmpuint(sim_media_get(o->r->d->media, io->block + i), ==, io->tokens[i]);
            o->promised[io->block + i] = io->tokens[i];
        }
    }
    if (o->left > 0) {
        o->left--;
        gint max_think = rq->loop < 0 ? 1000000 : 4000000;
        sim_schedule_after(o->r->w, g_rand_int_range(o->rand, 0, max_think), oracle_ev, o, rq->loop);
    }
    sim_io_free(io);
    g_free(rq);
}

static void oracle_ev(SimWorld *w, gpointer obj, gint64 loop)
{
    Oracle *o = obj;
    OrReq *rq = g_new0(OrReq, 1);
    rq->o = o;
    rq->loop = loop;
    SimIo *io;
    if (loop < 0) {
        io = mk_io(SIM_IO_FLUSH, 0, 0, 0, 0, 0, oracle_done, rq);
        o->flushes++;
    } else {
        guint32 first = g_rand_int_range(o->rand, 0, OR_SPAN);
        guint32 n = g_rand_int_range(o->rand, 1, OR_SPAN - first + 1);
        guint32 flags = 0;
        switch (g_rand_int_range(o->rand, 0, 60)) {
        case 0: flags = SIM_IO_FUA; break;
        case 1: flags = SIM_IO_PREFLUSH; break;
        case 2: flags = SIM_IO_PREFLUSH | SIM_IO_FUA; break;
        }
        io = mk_io(SIM_IO_WRITE, (guint64)loop * OR_SPAN + first, n, o->next_tok + 1, flags, 0, oracle_done, rq);
        o->next_tok += n;
        o->preflushes += (flags & SIM_IO_PREFLUSH) != 0;
    }
    rq->check = loop < 0 || (io->flags & SIM_IO_PREFLUSH);
    memcpy(rq->snap, o->completed, sizeof rq->snap);
    sim_blk_submit(o->q, io);
}

static void test_durability_oracle(void)
{
    for (int fua = 0; fua < 2; fua++)
        for (int pol = SIM_DESTAGE_FIFO; pol <= SIM_DESTAGE_RANDOM; pol++) {
            SimHddCfg c = default_cfg();
            c.policy = pol;
            c.fua = fua;
            Oracle o = { .r = rig_new(&c), .rand = g_rand_new_with_seed(g_test_rand_int()), .left = 40000 };
            o.q = sim_blkq_new(o.r->w, o.r->d);
            sim_media_set_listener(o.r->d->media, oracle_listen, &o);
            for (gint64 l = -1; l < OR_LOOPS; l++)
                sim_schedule_at(o.r->w, 0, oracle_ev, &o, l);
            sim_world_run(o.r->w, SIM_TIME_MAX);
            SimDevStats st;
            o.r->d->ops->get_stats(o.r->d, &st);
            g_test_message("fua %d, %s: %" G_GUINT64_FORMAT " writes (%" G_GUINT64_FORMAT " FUA), %u + %u flushes, %"
                           G_GUINT64_FORMAT " at the drive, in %.2f s", fua, sim_destage_policy_names[pol], st.writes,
                           st.fua_writes, o.flushes, o.preflushes, st.flushes, sim_time_to_s(sim_now(o.r->w)));
            g_assert_cmpuint(o.flushes, >, 20);
            g_assert_cmpuint(o.preflushes, >, 20);
            if (fua)
                g_assert_cmpuint(st.fua_writes, >, 0);
            else
                g_assert_cmpuint(st.fua_writes, ==, 0);   /* emulated by POSTFLUSH (B2) */
            sim_blkdev_free(o.q);
            g_rand_free(o.rand);
            rig_free(o.r);
        }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/hdd/schema-defaults-and-validation", test_schema);
    g_test_add_func("/hdd/caps-D4-D5", test_caps);
    g_test_add_func("/hdd/hand-timing-write-through", test_hand_timing);
    g_test_add_func("/hdd/D1-cache-write-volatile-until-flush", test_cache_write_then_flush);
    g_test_add_func("/hdd/B3-flush-covers-only-earlier", test_flush_covers_only_earlier);
    g_test_add_func("/hdd/B3-flush-restricts-destage-to-covered", test_flush_restricts_destage);
    g_test_add_func("/hdd/D1-rewrite-keeps-flush-coverage", test_rewrite_keeps_flush_coverage);
    g_test_add_func("/hdd/D1-B2-B3-durability-oracle-through-blkq", test_durability_oracle);
    g_test_add_func("/hdd/fua-durable-at-completion", test_fua_durable);
    g_test_add_func("/hdd/D1-flush-waits-for-superseding-fua", test_flush_waits_for_superseding_fua);
    g_test_add_func("/hdd/empty-flush-and-read-hits", test_empty_flush_and_reads);
    g_test_add_func("/hdd/D2-fifo-lands-in-completion-order", test_fifo_completion_order);
    g_test_add_func("/hdd/D2-random-reorders", test_random_reorders);
    g_test_add_func("/hdd/satf-nearer-first", test_satf_nearer_first);
    g_test_add_func("/hdd/clook-ascending", test_clook_ascending);
    g_test_add_func("/hdd/T1-atomic-4096-never-torn", test_atomic_4096_never_torn);
    g_test_add_func("/hdd/T2-atomic-512-prefix", test_atomic_512_prefix);
    g_test_add_func("/hdd/cache-full-writes-wait", test_cache_full_waits);
    g_test_add_func("/hdd/rewrite-never-lands-older-last", test_rewrite_never_older_last);
    return g_test_run();
}

/* tests/test-misbehave.c - drives that break their promises (issue 3 part 4):
 * a "lying" drive that acknowledges FLUSH/FUA without honouring them (D3,
 * also a VM disk with cache=unsafe), a write cache reported as write-through
 * while really volatile (B4), and a drive without FUA that the block layer
 * emulates with a post-flush (B2); the presets that use them; `powercut list
 * presets`; scenarios/lying-disk.lua.
 *
 * Unit level: hand-built sequences on one drive (and the block layer above
 * it), with expected values derived from the model's stated rules, never read
 * back from the program. End to end: tests/data/misbehave-*.lua through the
 * Lua loader, the runner, the crash evaluator and the report (as
 * tests/test-matrix.c), each row judged over >= 2000 sampled cuts:
 *   "yes" cells: every count except `consistent` is 0 and the exact p_inc is 0;
 *   "may be corrupt" / "fsync durable: no" cells: the bad outcome is reached
 *   (count > 0). Corruption must come from the modelled mechanism alone: the
 *   drive models have no probability knob for it.
 *
 * Data: $POWERCUT_TEST_DATA, else G_TEST_DIST/data, else tests/data next to
 * this source, i.e. tests/data from the repository root, else
 * ../../tests/data from the binary. The master seed is 1, or
 * $POWERCUT_TEST_SEED. On a failure the cases' outcomes and a command that
 * reproduces them are printed as TAP comments. */
#include <math.h>
#include <string.h>
#include <glib/gstdio.h>
#include "testutil.h"
#include "runutil.h"
#include "run.h"
#include "blk/media.h"

#define MIN_TRIALS 2000

static char   *data_dir;      /* tests/data */
static char   *root_dir;      /* the repository (scenarios/, lua/) */
static guint64 master_seed = 1;

/* ---- unit rig: a world, one drive, optionally the block layer above ------- */

typedef struct {
    SimWorld  *w;
    SimBlkDev *d;             /* the drive */
    SimBlkDev *q;             /* the block layer over it, or NULL */
    GArray    *lands;         /* SimTime of every sim_media_set, in order */
} Rig;

static void rig_listen(gpointer ud, guint64 block, SimToken old, SimToken tok)
{
    Rig *r = ud;
    SimTime t = sim_now(r->w);
    g_array_append_val(r->lands, t);
}

static SimHddCfg default_cfg(void)
{
    SimHddCfg c;
    sim_params_defaults(&sim_hdd_schema, &c);
    return c;
}

static Rig *rig_new(const SimHddCfg *cfg, gboolean blkq)
{
    Rig *r = g_new0(Rig, 1);
    r->w = sim_world_new(1, 0);
    r->d = sim_hdd_new(r->w, cfg);
    g_assert_nonnull(r->d);
    r->q = blkq ? sim_blkq_new(r->w, r->d) : NULL;
    r->lands = g_array_new(FALSE, FALSE, sizeof(SimTime));
    sim_media_set_listener(r->d->media, rig_listen, r);
    return r;
}

static void rig_free(Rig *r)
{
    g_assert_true(sim_world_check(r->w));
    if (r->q)
        sim_blkdev_free(r->q);
    sim_blkdev_free(r->d);
    sim_world_free(r->w);
    g_array_free(r->lands, TRUE);
    g_free(r);
}

static SimDevStats rig_stats(const Rig *r)
{
    SimDevStats st;
    r->d->ops->get_stats(r->d, &st);
    return st;
}

/* What the submitter saw when a request completed. */
typedef struct {
    Rig     *r;
    SimTime  t;               /* completion instant (-1: not yet) */
    guint    lands;           /* media changes so far */
    SimToken media[8];        /* the watched blocks' durable tokens */
} Seen;

#define NWATCH 8
static const guint64 watch_blocks[NWATCH] = { 100, 250000, 7, 123456, 60000, 200000, 9000, 180000 };

static void seen_record(SimIo *io, gpointer ctx)
{
    Seen *s = ctx;
    s->t = sim_now(s->r->w);
    s->lands = s->r->lands->len;
    for (guint i = 0; i < NWATCH; i++)
        s->media[i] = sim_media_get(s->r->d->media, watch_blocks[i]);
    sim_io_free(io);
}

static SimIo *mk_io(SimIoOp op, guint64 block, SimToken tok, guint32 flags, Seen *s)
{
    SimIo *io = sim_io_new(op, block, op == SIM_IO_FLUSH ? 0 : 1);
    if (op == SIM_IO_WRITE)
        io->tokens[0] = tok;
    io->flags = flags;
    io->done = seen_record;
    io->ctx = s;
    s->t = -1;
    return io;
}

/* ---- schema ------------------------------------------------------------------ */

/* One schema: the new keys have a type, a default, allowed values and help,
 * and bad values are rejected with a message naming the key and what is
 * allowed (the path that makes `powercut run` exit 2). */
static void test_schema(void)
{
    g_autoptr(GError) e = NULL;
    g_assert_true(sim_params_validate_schema(&sim_hdd_schema, &e));
    g_assert_no_error(e);
    const SimParam *pf = sim_params_find(&sim_hdd_schema, "flush");
    const SimParam *pr = sim_params_find(&sim_hdd_schema, "report_cache");
    const SimParam *pu = sim_params_find(&sim_hdd_schema, "fua");
    g_assert_nonnull(pf);
    g_assert_nonnull(pr);
    g_assert_nonnull(pu);
    g_assert_cmpint(pf->type, ==, SIM_PT_ENUM);
    g_assert_cmpint(pr->type, ==, SIM_PT_ENUM);
    g_assert_cmpint(pu->type, ==, SIM_PT_BOOL);
    g_assert_cmpuint(strlen(pf->help), >, 10);
    g_assert_cmpuint(strlen(pr->help), >, 10);

    /* defaults: an honest drive that reports what it has */
    SimHddCfg c = default_cfg();
    g_assert_cmpint(c.flush, ==, SIM_HDD_FLUSH_HONEST);
    g_assert_cmpint(c.report_cache, ==, SIM_HDD_REPORT_AUTO);
    g_assert_true(c.fua);
    g_autofree char *fv = sim_params_value_str(pf, &c), *rv = sim_params_value_str(pr, &c);
    g_assert_cmpstr(fv, ==, "honest");
    g_assert_cmpstr(rv, ==, "auto");

    g_assert_true(sim_params_set_str(&sim_hdd_schema, &c, "flush", "ignore", NULL));
    g_assert_cmpint(c.flush, ==, SIM_HDD_FLUSH_IGNORE);
    g_assert_true(sim_params_set_str(&sim_hdd_schema, &c, "report_cache", "write-through", NULL));
    g_assert_cmpint(c.report_cache, ==, SIM_HDD_REPORT_WRITE_THROUGH);
    g_assert_true(sim_hdd_cfg_validate(&c, NULL));

    g_assert_false(sim_params_set_str(&sim_hdd_schema, &c, "flush", "lying", &e));
    g_assert_error(e, SIM_PARAMS_ERROR, SIM_PARAMS_ERROR_VALUE);
    g_assert_nonnull(strstr(e->message, "device.flush"));
    g_assert_nonnull(strstr(e->message, "\"lying\""));
    g_assert_nonnull(strstr(e->message, "honest, ignore"));
    g_clear_error(&e);
    g_assert_false(sim_params_set_str(&sim_hdd_schema, &c, "report_cache", "write-back", &e));
    g_assert_nonnull(strstr(e->message, "device.report_cache"));
    g_assert_nonnull(strstr(e->message, "auto, write-through"));
    g_clear_error(&e);
    g_assert_cmpint(c.flush, ==, SIM_HDD_FLUSH_IGNORE);          /* a rejected value changes nothing */
    g_assert_cmpint(c.report_cache, ==, SIM_HDD_REPORT_WRITE_THROUGH);
}

/* The same through scenario files and --set: a config error (exit 2) that
 * names the file, the key and the allowed values. */
static void test_schema_scenario(void)
{
    g_autoptr(GError) e = NULL;
    g_autofree char *dir = g_dir_make_tmp("powercut-misbehave-XXXXXX", &e);
    g_assert_no_error(e);
    g_autofree char *path = g_build_filename(dir, "s.lua", NULL);
    static const struct { const char *text; const char *set; const char *want[3]; } bad[] = {
        { "return { device = { flush = 'sometimes' } }", NULL, { "device.flush", "\"sometimes\"", "honest, ignore" } },
        { "return { device = { report_cache = true } }", NULL,
          { "device.report_cache", "one of auto, write-through", "boolean true" } },
        { "return { cases = { { name = 'a', device = { flush = 1 } } } }", NULL, { "cases[1].device.flush", "number 1", "honest" } },
        { "return { }", "device.report_cache=write-back", { "--set", "device.report_cache", "auto, write-through" } },
        { "return { device = { fua = 'no' } }", NULL, { "device.fua", "a boolean", "string \"no\"" } },
        { "return { device = { flsuh = 'ignore' } }", NULL, { "device.flsuh", "did you mean device.flush", NULL } },
    };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_assert_true(g_file_set_contents(path, bad[i].text, -1, NULL));
        const char *sets[] = { bad[i].set, NULL };
        SimScenario *sc = sim_scenario_load(path, bad[i].set ? sets : NULL, 1, &e);
        g_assert_null(sc);
        g_assert_error(e, SIM_SCRIPT_ERROR, SIM_SCRIPT_ERROR_CONFIG);
        g_test_message("%s -> %s", bad[i].text, e->message);
        g_assert_true(g_str_has_prefix(e->message, path));
        g_assert_null(strchr(e->message, '\n'));
        for (guint k = 0; k < 3 && bad[i].want[k]; k++)
            g_assert_nonnull(strstr(e->message, bad[i].want[k]));
        g_clear_error(&e);
    }
    /* and good values resolve, the --set winning over the file */
    g_assert_true(g_file_set_contents(path, "return { device = { flush = 'ignore', fua = false } }", -1, NULL));
    const char *sets[] = { "device.report_cache=write-through", NULL };
    g_autoptr(SimScenario) sc = sim_scenario_load(path, sets, 1, &e);
    g_assert_no_error(e);
    const SimCaseSpec *cs = g_ptr_array_index(sc->cases, 0);
    g_assert_cmpint(cs->dev.flush, ==, SIM_HDD_FLUSH_IGNORE);
    g_assert_cmpint(cs->dev.report_cache, ==, SIM_HDD_REPORT_WRITE_THROUGH);
    g_assert_false(cs->dev.fua);
    g_remove(path);
    g_rmdir(dir);
}

/* ---- D3: a lying drive, unit level ---------------------------------------- */

/* Eight cached writes to scattered blocks; when the last one completes, a
 * FLUSH. `w` records the writes, `f` the flush. */
typedef struct { Rig *r; Seen w[NWATCH], f; guint left; } Burst;

static void burst_done(SimIo *io, gpointer ctx);

static void burst_run(Burst *b, SimBlkDev *to)
{
    for (guint i = 0; i < NWATCH; i++) {
        b->w[i].r = b->r;
        SimIo *io = mk_io(SIM_IO_WRITE, watch_blocks[i], 1 + i, 0, &b->w[i]);
        io->done = burst_done;
        io->sub = b;
        sim_blk_submit(to, io);
    }
    b->left = NWATCH;
    b->f.r = b->r;
    b->f.t = -1;
    sim_world_run(b->r->w, SIM_TIME_MAX);
}

static void burst_done(SimIo *io, gpointer ctx)
{
    Burst *b = io->sub;
    seen_record(io, ctx);
    if (--b->left == 0)
        sim_blk_submit(b->r->q ? b->r->q : b->r->d, mk_io(SIM_IO_FLUSH, 0, 0, 0, &b->f));
}

/* D3: a drive with flush = "ignore" acknowledges a FLUSH after its command
 * overhead alone (20 us, cmd_overhead_us) with nothing written to the media,
 * although eight completed writes sit in its cache; they reach the media
 * later, on the drive's own schedule (idle destage), not because of the
 * flush. The honest drive (D1) completes the same flush only once all eight
 * are durable. The drive still reports a volatile cache and FUA, so the host
 * keeps sending flushes. */
static void test_lying_flush(void)
{
    for (int lying = 0; lying < 2; lying++) {
        SimHddCfg c = default_cfg();
        c.flush = lying ? SIM_HDD_FLUSH_IGNORE : SIM_HDD_FLUSH_HONEST;
        Burst b = { .r = rig_new(&c, FALSE) };
        g_assert_cmpuint(b.r->d->caps, ==, SIM_BLK_CAP_VOLATILE_CACHE | SIM_BLK_CAP_FUA | SIM_BLK_CAP_ROTATIONAL);
        burst_run(&b, b.r->d);
        SimTime last = 0;
        for (guint i = 0; i < NWATCH; i++) {
            g_assert_cmpint(b.w[i].t, >=, 0);
            g_assert_cmpuint(b.w[i].media[i], ==, 0);            /* cached: volatile at completion */
            last = MAX(last, b.w[i].t);
        }
        g_assert_cmpint(b.f.t, >, last);
        SimDevStats st = rig_stats(b.r);
        g_assert_cmpuint(st.flushes, ==, 1);
        g_assert_cmpuint(st.writes, ==, NWATCH);
        g_assert_cmpuint(b.r->lands->len, ==, NWATCH);            /* everything lands in the end */
        if (lying) {
            g_assert_cmpint(b.f.t - last, ==, SIM_US(20));         /* the command overhead, nothing else */
            g_assert_cmpuint(b.f.lands, ==, 0);                    /* no media write before the ack */
            for (guint i = 0; i < NWATCH; i++)
                g_assert_cmpuint(b.f.media[i], ==, 0);
            for (guint i = 0; i < b.r->lands->len; i++)            /* destaged after it, on its own */
                g_assert_cmpint(g_array_index(b.r->lands, SimTime, i), >, b.f.t);
        } else {
            g_assert_cmpint(b.f.t - last, >, SIM_MS(1));           /* seeks and rotation */
            g_assert_cmpuint(b.f.lands, ==, NWATCH);
            for (guint i = 0; i < NWATCH; i++)
                g_assert_cmpuint(b.f.media[i], ==, 1 + i);
        }
        rig_free(b.r);
    }
}

/* D3 through the block layer: a journal commit (PREFLUSH | FUA) on a lying
 * drive. With native FUA the drive receives a FLUSH and a FUA write, with
 * fua = false a FLUSH, the write and a POSTFLUSH (B2); either way the commit
 * completes while its block - and an earlier completed write the PREFLUSH
 * should have made durable - are only in the cache. The honest drive has both
 * on the media at completion (D1, B2). */
typedef struct { Rig *r; Seen first, commit; } Commit;

static void commit_first_done(SimIo *io, gpointer ctx)
{
    Commit *k = io->sub;
    seen_record(io, ctx);
    SimIo *c = mk_io(SIM_IO_WRITE, watch_blocks[1], 2, SIM_IO_PREFLUSH | SIM_IO_FUA, &k->commit);
    sim_blk_submit(k->r->q, c);
}

static void test_lying_commit(void)
{
    for (int lying = 0; lying < 2; lying++)
        for (int fua = 0; fua < 2; fua++) {
            SimHddCfg c = default_cfg();
            c.flush = lying ? SIM_HDD_FLUSH_IGNORE : SIM_HDD_FLUSH_HONEST;
            c.fua = fua;
            Commit k = { .r = rig_new(&c, TRUE) };
            k.first.r = k.commit.r = k.r;
            SimIo *io = mk_io(SIM_IO_WRITE, watch_blocks[0], 1, 0, &k.first);
            io->done = commit_first_done;
            io->sub = &k;
            sim_blk_submit(k.r->q, io);
            sim_world_run(k.r->w, SIM_TIME_MAX);
            SimDevStats st = rig_stats(k.r);
            g_test_message("lying %d fua %d: commit done at %.6f s, %u media writes by then; drive got %" G_GUINT64_FORMAT
                           " writes (%" G_GUINT64_FORMAT " FUA), %" G_GUINT64_FORMAT " flushes",
                           lying, fua, sim_time_to_s(k.commit.t), k.commit.lands, st.writes, st.fua_writes,
                           st.flushes);
            g_assert_cmpint(k.commit.t, >, k.first.t);
            g_assert_cmpuint(st.writes, ==, 2);
            g_assert_cmpuint(st.fua_writes, ==, fua ? 1 : 0);    /* B2: no FUA reaches a drive without it */
            g_assert_cmpuint(st.flushes, ==, fua ? 1 : 2);       /* PREFLUSH (+ POSTFLUSH, B2) */
            if (lying) {
                g_assert_cmpuint(k.commit.lands, ==, 0);
                g_assert_cmpuint(k.commit.media[0], ==, 0);
                g_assert_cmpuint(k.commit.media[1], ==, 0);
            } else {
                g_assert_cmpuint(k.commit.media[0], ==, 1);
                g_assert_cmpuint(k.commit.media[1], ==, 2);
            }
            /* either way both blocks land in the end: the cache is a cache */
            g_assert_cmpuint(sim_media_get(k.r->d->media, watch_blocks[0]), ==, 1);
            g_assert_cmpuint(sim_media_get(k.r->d->media, watch_blocks[1]), ==, 2);
            rig_free(k.r);
        }
}

/* flush = "ignore" on a drive without a cache (cache_mb = 0) changes
 * nothing: every write is on the media when it completes (D4). */
static void test_lying_without_cache(void)
{
    SimHddCfg c = default_cfg();
    c.flush = SIM_HDD_FLUSH_IGNORE;
    c.cache_mb = 0;
    Rig *r = rig_new(&c, TRUE);
    g_assert_cmpuint(r->d->caps & SIM_BLK_CAP_VOLATILE_CACHE, ==, 0);
    Seen w = { .r = r }, f = { .r = r };
    sim_blk_submit(r->q, mk_io(SIM_IO_WRITE, watch_blocks[0], 5, 0, &w));
    sim_blk_submit(r->q, mk_io(SIM_IO_FLUSH, 0, 0, 0, &f));
    sim_world_run(r->w, SIM_TIME_MAX);
    g_assert_cmpuint(w.media[0], ==, 5);
    g_assert_cmpuint(rig_stats(r).flushes, ==, 0);                 /* B1 */
    rig_free(r);
}

/* ---- B4: cache reported as write-through, unit level ------------------------ */

/* report_cache = "write-through" on a drive with a 64 MiB volatile cache:
 * it reports no volatile cache, so the block layer strips PREFLUSH/FUA and
 * completes empty flushes itself (B1): zero flush commands and zero FUA
 * writes reach the drive, whatever the file system asks for. The cache is
 * unchanged (B4): the "FUA" commit and a following flush complete while the
 * data is only in the cache - a cut then loses it - and it reaches the media
 * later, by the drive's ordinary destaging. A FLUSH sent to the drive itself
 * (below the block layer) is still honoured: only the host's view changed. */
typedef struct { Rig *r; Seen w, f; } WtSeq;

static void wt_write_done(SimIo *io, gpointer ctx)
{
    WtSeq *s = io->sub;
    seen_record(io, ctx);
    sim_blk_submit(s->r->q, mk_io(SIM_IO_FLUSH, 0, 0, 0, &s->f));
}

static void test_write_through_report(void)
{
    SimHddCfg c = default_cfg();
    c.report_cache = SIM_HDD_REPORT_WRITE_THROUGH;
    WtSeq s = { .r = rig_new(&c, TRUE) };
    s.w.r = s.f.r = s.r;
    g_assert_cmpuint(s.r->d->caps & SIM_BLK_CAP_VOLATILE_CACHE, ==, 0);
    g_assert_cmpuint(s.r->q->caps & SIM_BLK_CAP_VOLATILE_CACHE, ==, 0);
    SimIo *io = mk_io(SIM_IO_WRITE, watch_blocks[0], 7, SIM_IO_PREFLUSH | SIM_IO_FUA, &s.w);
    io->done = wt_write_done;
    io->sub = &s;
    sim_blk_submit(s.r->q, io);
    sim_world_run(s.r->w, SIM_TIME_MAX);
    SimDevStats st = rig_stats(s.r);
    g_assert_cmpuint(st.flushes, ==, 0);                           /* B1 / D5 */
    g_assert_cmpuint(st.fua_writes, ==, 0);
    g_assert_cmpuint(st.writes, ==, 1);
    /* acknowledged from the cache: 4 KiB over 600 MB/s + 20 us, no media */
    g_assert_cmpint(s.w.t, ==, llround(4096 / 600e6 * 1e9 + 20e3));
    g_assert_cmpuint(s.w.media[0], ==, 0);
    g_assert_cmpint(s.f.t, ==, s.w.t);                             /* the empty flush never left the host */
    g_assert_cmpuint(s.f.media[0], ==, 0);                         /* "fsync" done, data still volatile */
    g_assert_cmpuint(s.f.lands, ==, 0);
    /* destaged as usual once the interface has been idle (idle_ms 0.5) */
    g_assert_cmpuint(s.r->lands->len, ==, 1);
    g_assert_cmpint(g_array_index(s.r->lands, SimTime, 0), >=, s.w.t + SIM_US(500));
    g_assert_cmpuint(sim_media_get(s.r->d->media, watch_blocks[0]), ==, 7);
    rig_free(s.r);

    /* below the block layer, the drive is the same honest drive */
    Burst b = { .r = rig_new(&c, FALSE) };
    burst_run(&b, b.r->d);
    g_assert_cmpuint(rig_stats(b.r).flushes, ==, 1);
    g_assert_cmpuint(b.f.lands, ==, NWATCH);
    for (guint i = 0; i < NWATCH; i++)
        g_assert_cmpuint(b.f.media[i], ==, 1 + i);
    rig_free(b.r);
}

/* ---- B2: FUA emulation, unit level ------------------------------------------ */

/* A FUA write (no PREFLUSH) to an honest drive with fua = false: the block
 * layer sends a plain write, then a POSTFLUSH once it completed, and
 * completes the submitter's request only after that flush: the block is on
 * the media at completion. The drive sees no FUA bit. */
static void test_fua_emulated(void)
{
    SimHddCfg c = default_cfg();
    c.fua = FALSE;
    Rig *r = rig_new(&c, TRUE);
    g_assert_cmpuint(r->d->caps & SIM_BLK_CAP_FUA, ==, 0);
    Seen w = { .r = r };
    sim_blk_submit(r->q, mk_io(SIM_IO_WRITE, watch_blocks[3], 9, SIM_IO_FUA, &w));
    sim_world_run(r->w, SIM_TIME_MAX);
    SimDevStats st = rig_stats(r);
    g_assert_cmpuint(st.writes, ==, 1);
    g_assert_cmpuint(st.fua_writes, ==, 0);
    g_assert_cmpuint(st.flushes, ==, 1);
    g_assert_cmpuint(w.media[3], ==, 9);
    g_assert_cmpuint(r->lands->len, ==, 1);
    g_assert_cmpint(w.t, >=, g_array_index(r->lands, SimTime, 0));
    rig_free(r);
}

/* ---- end to end: loading and running (as tests/test-matrix.c) ---------------- */

static char *data_path(const char *file) { return g_build_filename(data_dir, file, NULL); }

static GPtrArray *cache;

static const Cached *results_of(const char *file)
{
    g_autofree char *path = data_path(file);
    g_autofree char *cli = g_strdup_printf("./powercut run %s -s %" G_GUINT64_FORMAT, path, master_seed);
    return cached_get(cache, file, path, NULL, cli, master_seed);
}

/* scenarios/lying-disk.lua, shipped settings except fewer, shorter runs. */
static const char *const lying_sets[] = { "run.runs=4", "run.duration_s=4", "run.crash_from_s=1", "run.trials=2000",
                                          NULL };
static const Cached *results_of_lying_disk(void)
{
    g_autofree char *path = g_build_filename(root_dir, "scenarios", "lying-disk.lua", NULL);
    g_autofree char *cli = g_strdup_printf("./powercut run %s -s %" G_GUINT64_FORMAT
                                           " --set run.runs=4 --set run.duration_s=4 --set run.crash_from_s=1"
                                           " --set run.trials=2000", path, master_seed);
    return cached_get(cache, "scenarios/lying-disk.lua", path, lying_sets, cli, master_seed);
}

static void print_case(const Cached *cc, const SimCaseResult *c)
{
    g_test_message("%s / %s: runs %u trials %" G_GUINT64_FORMAT " consistent %" G_GUINT64_FORMAT
                   " lost_fsync %" G_GUINT64_FORMAT " stale_data %" G_GUINT64_FORMAT " corrupt %" G_GUINT64_FORMAT
                   " unmountable %" G_GUINT64_FORMAT " p_inc %.9g; drive: %" G_GUINT64_FORMAT " flushes, %"
                   G_GUINT64_FORMAT " FUA writes, %" G_GUINT64_FORMAT " media writes; %.1f fsyncs/s",
                   cc->key, c->name, c->runs, c->trials, c->outcomes[SIM_OUT_CONSISTENT],
                   c->outcomes[SIM_OUT_LOST_FSYNC], c->outcomes[SIM_OUT_STALE_DATA], c->outcomes[SIM_OUT_CORRUPT],
                   c->outcomes[SIM_OUT_UNMOUNTABLE], c->p_inc, c->dev.flushes, c->dev.fua_writes,
                   c->dev.media_writes, c->fsyncs_per_s);
}

static void print_failure(const Cached *cc, const SimCaseResult *c)
{
    for (guint i = 0; i < c->notes->len; i++) {
        const SimTrialNote *n = g_ptr_array_index(c->notes, i);
        g_test_message("  note: run %u trial %" G_GUINT64_FORMAT " t=%.6fs %s: %s", n->run, n->trial,
                       sim_time_to_s(n->t), sim_outcome_name(n->outcome), n->reason ? n->reason : "(null)");
    }
    g_test_message("  reproduce: %s --case %s", cc->cli, c->name);
}

/* >= 2000 sampled cuts, outcomes add up to trials, clusters to totals. */
static void check_bookkeeping(const SimCaseResult *c)
{
    g_assert_cmpuint(c->trials, >=, MIN_TRIALS);
    guint64 sum = 0, rt = 0, rc = 0, rl = 0;
    for (int k = 0; k < SIM_OUT_N; k++)
        sum += c->outcomes[k];
    g_assert_cmpuint(sum, ==, c->trials);
    for (guint r = 0; r < c->runs; r++) {
        rt += c->run_trials[r];
        rc += c->run_corrupt[r];
        rl += c->run_lost[r];
    }
    g_assert_cmpuint(rt, ==, c->trials);
    g_assert_cmpuint(rc, ==, test_bad_of(c));
    g_assert_cmpuint(rl, ==, c->outcomes[SIM_OUT_LOST_FSYNC]);
}

/* A "yes / yes" cell: nothing but consistent, and the exact p_inc is 0. */
static void check_safe(const Cached *cc, const char *name)
{
    const SimCaseResult *c = test_case_of(cc->res, name);
    print_case(cc, c);
    check_bookkeeping(c);
    if (c->outcomes[SIM_OUT_CONSISTENT] != c->trials || c->p_inc != 0)
        print_failure(cc, c);
    g_assert_cmpuint(test_bad_of(c), ==, 0);
    g_assert_cmpuint(c->outcomes[SIM_OUT_STALE_DATA], ==, 0);
    g_assert_cmpuint(c->outcomes[SIM_OUT_LOST_FSYNC], ==, 0);
    g_assert_cmpuint(c->outcomes[SIM_OUT_CONSISTENT], ==, c->trials);
    g_assert_cmpfloat(c->p_inc, ==, 0.0);
    for (guint r = 0; r < c->runs; r++)
        g_assert_cmpfloat(c->run_pinc[r], ==, 0.0);
}

/* ---- end to end: D3, outcome matrix row 3 (lying drive, barriers on) -------- */

static const char *const lying_cases[] = { "lying", "lying-random", "lying-append", "lying-ckpt", "vm-unsafe" };

/* The same drive honouring flushes is the safe row 2 (reference). */
static void test_lying_reference(void)
{
    const Cached *cc = results_of("misbehave-lying.lua");
    check_safe(cc, "honest");
    const SimCaseSpec *cs = test_spec_of(cc->sc, "honest");
    g_assert_true(cs->fs.barrier);
    g_assert_cmpint(cs->dev.flush, ==, SIM_HDD_FLUSH_HONEST);
}

/* D3, SEMANTICS §10 row "on | volatile | no": fsync durable = no, so each
 * lying case must reach a non-consistent outcome. The drive gets the flushes
 * and FUA writes barriers ask for - it just does not honour them - and the
 * host sees fsync return far faster than a 7200 rpm disk can turn. */
static void test_lying_case(gconstpointer data)
{
    const Cached *cc = results_of("misbehave-lying.lua");
    const SimCaseResult *c = test_case_of(cc->res, data), *honest = test_case_of(cc->res, "honest");
    const SimCaseSpec *cs = test_spec_of(cc->sc, data);
    print_case(cc, c);
    check_bookkeeping(c);
    g_assert_true(cs->fs.barrier);
    g_assert_cmpint(cs->dev.flush, ==, SIM_HDD_FLUSH_IGNORE);
    g_assert_cmpint(cs->dev.cache_mb, >, 0);
    g_assert_cmpuint(c->outcomes[SIM_OUT_CONSISTENT], <, c->trials);
    g_assert_cmpfloat(c->p_inc + (double)c->outcomes[SIM_OUT_LOST_FSYNC], >, 0.0);
    g_assert_cmpuint(c->dev.flushes, >, 0);                       /* barriers on: the host did send them */
    g_assert_cmpuint(c->dev.fua_writes, >, 0);
    g_assert_cmpfloat(c->fsyncs_per_s, >, 120.0);                  /* > one fsync per revolution: not honest */
    g_assert_cmpfloat(honest->fsyncs_per_s, <, 120.0);
}

/* D3 "the simulator must show corruption in this mode": J1 (corrupt) and
 * J2/E4 (lost fsync) both fail on the lying drive with barriers on. */
static void test_lying_corrupts(void)
{
    const Cached *cc = results_of("misbehave-lying.lua");
    const SimCaseResult *c = test_case_of(cc->res, "lying");
    print_case(cc, c);
    g_assert_cmpuint(test_bad_of(c), >, 0);                            /* J1 fails */
    g_assert_cmpuint(c->outcomes[SIM_OUT_LOST_FSYNC], >, 0);      /* J2 / E4 fail */
    g_assert_cmpfloat(c->p_inc, >, 0.0);
    guint64 bad = 0, lost = 0;
    for (guint i = 0; i < G_N_ELEMENTS(lying_cases); i++) {
        const SimCaseResult *x = test_case_of(cc->res, lying_cases[i]);
        bad += test_bad_of(x);
        lost += x->outcomes[SIM_OUT_LOST_FSYNC];
    }
    g_test_message("all lying cases: corrupt %" G_GUINT64_FORMAT ", lost_fsync %" G_GUINT64_FORMAT, bad, lost);
    g_assert_cmpuint(bad, >, 0);
    g_assert_cmpuint(lost, >, 0);
    /* the VM disk with cache=unsafe (H7): barriers cannot save it either */
    const SimCaseResult *vm = test_case_of(cc->res, "vm-unsafe");
    g_assert_cmpuint(vm->outcomes[SIM_OUT_LOST_FSYNC], >, 0);
}

/* ---- end to end: B4, outcome matrix last row -------------------------------- */

/* SEMANTICS §10 "write_cache forced to write through on a volatile device":
 * fsync durable = no. Barriers on, yet lost_fsync > 0 in every case, and the
 * drive receives zero flushes and zero FUA writes (B1). */
static void test_write_through_case(gconstpointer data)
{
    const Cached *cc = results_of("misbehave-write-through.lua");
    const SimCaseResult *c = test_case_of(cc->res, data);
    const SimCaseSpec *cs = test_spec_of(cc->sc, data);
    print_case(cc, c);
    check_bookkeeping(c);
    g_assert_true(cs->fs.barrier);
    g_assert_cmpint(cs->dev.report_cache, ==, SIM_HDD_REPORT_WRITE_THROUGH);
    g_assert_cmpint(cs->dev.cache_mb, >, 0);
    g_assert_cmpuint(c->outcomes[SIM_OUT_LOST_FSYNC], >, 0);
    g_assert_cmpuint(c->dev.flushes, ==, 0);
    g_assert_cmpuint(c->dev.fua_writes, ==, 0);
    g_assert_cmpuint(c->dev.media_writes, >, 0);                  /* the cache still destages */
}

/* "may be corrupt": reached (here in the small-file cases). */
static void test_write_through_corrupts(void)
{
    const Cached *cc = results_of("misbehave-write-through.lua");
    guint64 bad = test_bad_of(test_case_of(cc->res, "wt")) + test_bad_of(test_case_of(cc->res, "wt-random"));
    g_test_message("wt + wt-random: corrupt %" G_GUINT64_FORMAT, bad);
    g_assert_cmpuint(bad, >, 0);
}

/* B4 "equivalent, for crash safety, to mounting with barriers off": each
 * write-through case against the honest-reporting drive mounted with
 * barrier=0. Both send the drive the same plain writes at the same instants,
 * so the outcomes are identical, cut for cut (counts, clusters, p_inc). */
static void test_write_through_b4(gconstpointer data)
{
    const char *wt = data;
    g_autofree char *off = g_strconcat("off", wt + 2, NULL);       /* "wt-random" -> "off-random" */
    const Cached *cc = results_of("misbehave-write-through.lua");
    const SimCaseResult *a = test_case_of(cc->res, wt), *b = test_case_of(cc->res, off);
    const SimCaseSpec *sb = test_spec_of(cc->sc, off);
    print_case(cc, a);
    print_case(cc, b);
    g_assert_false(sb->fs.barrier);
    g_assert_cmpint(sb->dev.report_cache, ==, SIM_HDD_REPORT_AUTO);
    g_assert_cmpuint(a->trials, ==, b->trials);
    g_assert_cmpuint(a->runs, ==, b->runs);
    for (int k = 0; k < SIM_OUT_N; k++)
        g_assert_cmpuint(a->outcomes[k], ==, b->outcomes[k]);
    g_assert_cmpfloat(a->p_inc, ==, b->p_inc);
    for (guint r = 0; r < a->runs; r++) {
        g_assert_cmpuint(a->run_corrupt[r], ==, b->run_corrupt[r]);
        g_assert_cmpuint(a->run_lost[r], ==, b->run_lost[r]);
    }
    g_assert_cmpuint(a->dev.media_writes, ==, b->dev.media_writes);
}

/* ---- end to end: B2, FUA emulated ------------------------------------------- */

/* Barriers on, a drive without FUA: row "on | volatile | honours flush" =
 * yes / yes. The emulation (write + POSTFLUSH) keeps every guarantee: 0
 * corrupt, 0 lost, 0 stale, p_inc exactly 0; the drive receives flushes
 * and no FUA write. */
static void test_nofua_case(gconstpointer data)
{
    const Cached *cc = results_of("misbehave-nofua.lua");
    check_safe(cc, data);
    const SimCaseResult *c = test_case_of(cc->res, data);
    const SimCaseSpec *cs = test_spec_of(cc->sc, data);
    g_assert_true(cs->fs.barrier);
    g_assert_false(cs->dev.fua);
    g_assert_cmpint(cs->dev.flush, ==, SIM_HDD_FLUSH_HONEST);
    g_assert_cmpuint(c->dev.flushes, >, 0);
    g_assert_cmpuint(c->dev.fua_writes, ==, 0);
}

/* B2: every FUA write becomes write + flush. The same workload on the same
 * drive with native FUA sends FUA writes; without it, each of those shows up
 * as an extra flush instead: more flushes per fsync, no FUA. */
static void test_nofua_flush_count(void)
{
    const Cached *cc = results_of("misbehave-nofua.lua");
    const SimCaseResult *no = test_case_of(cc->res, "nofua"), *yes = test_case_of(cc->res, "fua");
    print_case(cc, no);
    print_case(cc, yes);
    check_safe(cc, "fua");
    g_assert_cmpuint(yes->dev.fua_writes, >, 0);
    double fs_no = no->fsyncs_per_s * no->sim_seconds, fs_yes = yes->fsyncs_per_s * yes->sim_seconds;
    g_assert_cmpfloat(fs_no, >, 0);
    g_assert_cmpfloat(fs_yes, >, 0);
    double per_no = no->dev.flushes / fs_no, per_yes = yes->dev.flushes / fs_yes;
    double fua_per = yes->dev.fua_writes / fs_yes;
    g_test_message("flushes per fsync: %.3f without FUA, %.3f with (+ %.3f FUA writes)", per_no, per_yes, fua_per);
    g_assert_cmpfloat(per_no, >, per_yes + 0.5 * fua_per);
}

/* ---- presets and `powercut list presets` ------------------------------------ */

typedef struct { const char *name, *model, *flush, *fua, *report; gint64 rpm_lo, rpm_hi, cache_lo, cache_hi; } PresetWant;

/* What the issue asks of each preset (not read back from the file). */
static const PresetWant preset_want[] = {
    { "sata_7200", "hdd", "honest", "true", "auto", 7200, 7200, 64, 64 },
    { "sata_7200_32mb", "hdd", "honest", "true", "auto", 7200, 7200, 32, 32 },
    { "sas_10k", "hdd", "honest", "true", "auto", 10000, 10000, 64, 128 },
    { "sas_15k", "hdd", "honest", "true", "auto", 15000, 15000, 64, 128 },
    { "lying_sata_7200", "hdd", "ignore", "true", "auto", 7200, 7200, 64, 64 },
    { "virtual_disk_unsafe", "hdd", "ignore", NULL, "auto", 1000, 20000, 1, 4096 },
};

static void test_list_presets(void)
{
    g_autoptr(GString) out = g_string_new(NULL);
    GError *e = NULL;
    g_assert_true(sim_script_list_presets(out, &e));
    g_assert_no_error(e);
    g_test_message("%s", out->str);
    g_auto(GStrv) lines = g_strsplit(out->str, "\n", -1);
    /* the header row, then rows sorted by name */
    gint head = -1;
    for (gint i = 0; lines[i] && head < 0; i++)
        if (g_str_has_prefix(lines[i] + strspn(lines[i], " "), "NAME "))
            head = i;
    g_assert_cmpint(head, >=, 0);
    g_auto(GStrv) hcols = g_strsplit_set(g_strstrip(lines[head]), " ", -1);
    const char *want_head[] = { "NAME", "MODEL", "RPM", "CACHE_MB", "FLUSH", "FUA", "REPORT_CACHE" };
    guint hc = 0;
    for (guint i = 0; hcols[i]; i++)
        if (*hcols[i]) {
            if (hc < G_N_ELEMENTS(want_head))
                g_assert_cmpstr(hcols[i], ==, want_head[hc]);
            hc++;
        }
    g_assert_cmpuint(hc, >=, G_N_ELEMENTS(want_head));
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    guint found = 0;
    for (gint i = head + 1; lines[i]; i++) {
        char *l = g_strstrip(lines[i]);
        if (!*l)
            continue;
        g_auto(GStrv) f = g_strsplit_set(l, " ", -1);
        const char *col[7];
        guint n = 0;
        for (guint k = 0; f[k] && n < 7; k++)
            if (*f[k])
                col[n++] = f[k];
        g_assert_cmpuint(n, ==, 7);
        g_ptr_array_add(names, g_strdup(col[0]));
        for (guint p = 0; p < G_N_ELEMENTS(preset_want); p++) {
            const PresetWant *w = &preset_want[p];
            if (strcmp(col[0], w->name) != 0)
                continue;
            found++;
            g_assert_cmpstr(col[1], ==, w->model);
            gint64 rpm = g_ascii_strtoll(col[2], NULL, 10), cache = g_ascii_strtoll(col[3], NULL, 10);
            g_assert_cmpint(rpm, >=, w->rpm_lo);
            g_assert_cmpint(rpm, <=, w->rpm_hi);
            g_assert_cmpint(cache, >=, w->cache_lo);
            g_assert_cmpint(cache, <=, w->cache_hi);
            g_assert_cmpstr(col[4], ==, w->flush);
            if (w->fua)
                g_assert_cmpstr(col[5], ==, w->fua);
            g_assert_cmpstr(col[6], ==, w->report);
        }
    }
    g_assert_cmpuint(found, ==, G_N_ELEMENTS(preset_want));
    for (guint i = 1; i < names->len; i++)                         /* sorted by name */
        g_assert_cmpint(strcmp(names->pdata[i - 1], names->pdata[i]), <, 0);
}

/* The presets resolve through a scenario like any device table: the SAS
 * disks seek faster and have faster interfaces than the SATA disk, the
 * lying variant differs from its honest base only in `flush`, and the VM
 * disk ignores flushes. */
static void test_presets_resolve(void)
{
    g_autoptr(GError) e = NULL;
    g_autofree char *dir = g_dir_make_tmp("powercut-misbehave-XXXXXX", &e);
    g_assert_no_error(e);
    g_autofree char *path = g_build_filename(dir, "p.lua", NULL);
    g_assert_true(g_file_set_contents(path,
        "local presets = require 'presets'\n"
        "return { cases = {\n"
        "  { name = 'sata', device = presets.sata_7200() },\n"
        "  { name = 'sas10', device = presets.sas_10k() },\n"
        "  { name = 'sas15', device = presets.sas_15k() },\n"
        "  { name = 'lying', device = presets.lying_sata_7200() },\n"
        "  { name = 'vm', device = presets.virtual_disk_unsafe() },\n"
        "  { name = 'lying-wt', device = presets.lying_sata_7200 { report_cache = 'write-through' } } } }\n",
        -1, NULL));
    g_autoptr(SimScenario) sc = sim_scenario_load(path, NULL, 1, &e);
    g_assert_no_error(e);
    const SimHddCfg *sata = &test_spec_of(sc, "sata")->dev, *s10 = &test_spec_of(sc, "sas10")->dev,
                    *s15 = &test_spec_of(sc, "sas15")->dev, *lying = &test_spec_of(sc, "lying")->dev,
                    *vm = &test_spec_of(sc, "vm")->dev, *lwt = &test_spec_of(sc, "lying-wt")->dev;
    g_assert_cmpfloat(s10->seek_avg_ms, <, sata->seek_avg_ms);
    g_assert_cmpfloat(s15->seek_avg_ms, <, s10->seek_avg_ms);
    g_assert_cmpfloat(s10->iface_mb_s, >, sata->iface_mb_s);
    g_assert_cmpfloat(s15->outer_mb_s, >, sata->outer_mb_s);
    for (guint i = 0; i < sim_hdd_schema.n; i++) {
        const SimParam *p = &sim_hdd_schema.params[i];
        g_autofree char *x = sim_params_value_str(p, sata), *y = sim_params_value_str(p, lying);
        if (strcmp(p->name, "flush") == 0)
            g_assert_cmpstr(y, ==, "ignore");
        else
            g_assert_cmpstr(x, ==, y);
    }
    g_assert_cmpint(vm->flush, ==, SIM_HDD_FLUSH_IGNORE);
    g_assert_cmpint(vm->cache_mb, >, 0);
    g_assert_cmpint(lwt->report_cache, ==, SIM_HDD_REPORT_WRITE_THROUGH);
    g_assert_cmpint(lwt->flush, ==, SIM_HDD_FLUSH_IGNORE);
    g_remove(path);
    g_rmdir(dir);
}

/* ---- scenarios/lying-disk.lua ----------------------------------------------- */

/* The shipped scenario: barriers on in both cases; honest is the safe cell
 * (and its expect passes), lying loses fsyncs and corrupts (D3). Its expect
 * really judges: the same results with one lost fsync in `honest` fail. */
static void test_lying_disk_scenario(void)
{
    const Cached *cc = results_of_lying_disk();
    g_assert_cmpuint(cc->res->cases->len, ==, 2);
    for (guint i = 0; i < cc->sc->cases->len; i++)
        g_assert_true(((SimCaseSpec *)g_ptr_array_index(cc->sc->cases, i))->fs.barrier);
    g_assert_cmpint(test_spec_of(cc->sc, "honest")->dev.flush, ==, SIM_HDD_FLUSH_HONEST);
    g_assert_cmpint(test_spec_of(cc->sc, "lying")->dev.flush, ==, SIM_HDD_FLUSH_IGNORE);
    check_safe(cc, "honest");
    const SimCaseResult *lying = test_case_of(cc->res, "lying");
    print_case(cc, lying);
    check_bookkeeping(lying);
    g_assert_cmpuint(lying->outcomes[SIM_OUT_LOST_FSYNC], >, 0);
    g_assert_cmpuint(test_bad_of(lying), >, 0);
    g_assert_nonnull(cc->sc->description);
    g_assert_nonnull(strstr(cc->sc->description, "fsync"));

    GError *e = NULL;
    g_assert_true(sim_scenario_has_expect(cc->sc));
    g_autoptr(GPtrArray) fails = g_ptr_array_new_with_free_func(g_free);
    g_assert_true(sim_scenario_check_expect(cc->sc, cc->res, fails, &e));
    g_assert_no_error(e);
    for (guint i = 0; i < fails->len; i++)
        g_test_message("failure: %s", (char *)fails->pdata[i]);
    g_assert_cmpuint(fails->len, ==, 0);

    SimCaseResult *honest = (SimCaseResult *)test_case_of(cc->res, "honest");
    honest->outcomes[SIM_OUT_LOST_FSYNC]++;
    honest->outcomes[SIM_OUT_CONSISTENT]--;
    g_assert_true(sim_scenario_check_expect(cc->sc, cc->res, fails, &e));
    honest->outcomes[SIM_OUT_LOST_FSYNC]--;
    honest->outcomes[SIM_OUT_CONSISTENT]++;
    g_assert_no_error(e);
    g_assert_cmpuint(fails->len, ==, 1);
    g_assert_true(g_str_has_prefix(fails->pdata[0], "honest: "));
    g_assert_nonnull(strstr(fails->pdata[0], "lost fsynced data"));
}

/* ---- main ---------------------------------------------------------------------- */

static void find_dirs(void)
{
    data_dir = test_find_data("misbehave-lying.lua", &root_dir, &master_seed);
}

static const char *const wt_cases[] = { "wt", "wt-random", "wt-append" };
static const char *const nofua_cases[] = { "nofua", "nofua-random", "nofua-append", "nofua-ckpt" };

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_set_nonfatal_assertions();
    find_dirs();
    cache = g_ptr_array_new_with_free_func(cached_free);

    g_test_add_func("/misbehave/schema/flush-report_cache-fua", test_schema);
    g_test_add_func("/misbehave/schema/scenario-errors", test_schema_scenario);
    g_test_add_func("/misbehave/D3/unit/lying-flush-acked-without-media-write", test_lying_flush);
    g_test_add_func("/misbehave/D3-B2/unit/lying-commit-preflush-fua", test_lying_commit);
    g_test_add_func("/misbehave/D4/unit/lying-without-cache-is-write-through", test_lying_without_cache);
    g_test_add_func("/misbehave/B1-B4/unit/write-through-report-no-flushes-still-volatile", test_write_through_report);
    g_test_add_func("/misbehave/B2/unit/fua-emulated-write-then-flush", test_fua_emulated);

    g_test_add_func("/misbehave/matrix-row2/lying.lua-honest-reference", test_lying_reference);
    for (guint i = 0; i < G_N_ELEMENTS(lying_cases); i++) {
        g_autofree char *n = g_strdup_printf("/misbehave/D3-H7-matrix-row3/barrier-on-lying/%s", lying_cases[i]);
        g_test_add_data_func(n, lying_cases[i], test_lying_case);
    }
    g_test_add_func("/misbehave/D3-J1-J2-E4/lying-corrupts-and-loses", test_lying_corrupts);
    for (guint i = 0; i < G_N_ELEMENTS(wt_cases); i++) {
        g_autofree char *n = g_strdup_printf("/misbehave/B4-matrix-row6/barrier-on-write-through/%s", wt_cases[i]);
        g_test_add_data_func(n, wt_cases[i], test_write_through_case);
        g_autofree char *m = g_strdup_printf("/misbehave/B4/equals-barrier-off/%s", wt_cases[i]);
        g_test_add_data_func(m, wt_cases[i], test_write_through_b4);
    }
    g_test_add_func("/misbehave/B4-matrix-row6/write-through-corrupts", test_write_through_corrupts);
    for (guint i = 0; i < G_N_ELEMENTS(nofua_cases); i++) {
        g_autofree char *n = g_strdup_printf("/misbehave/B2-matrix-row2/barrier-on-no-fua/%s", nofua_cases[i]);
        g_test_add_data_func(n, nofua_cases[i], test_nofua_case);
    }
    g_test_add_func("/misbehave/B2/extra-flush-per-fua-write", test_nofua_flush_count);
    g_test_add_func("/misbehave/presets/list", test_list_presets);
    g_test_add_func("/misbehave/presets/resolve", test_presets_resolve);
    g_test_add_func("/misbehave/D3/scenarios-lying-disk", test_lying_disk_scenario);

    int rc = g_test_run();
    g_ptr_array_free(cache, TRUE);
    g_free(data_dir);
    g_free(root_dir);
    return rc;
}

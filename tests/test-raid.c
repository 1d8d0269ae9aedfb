/* tests/test-raid.c - the RAID controller (sim/dev/raid.c, issue 3 part 1)
 * and the device-model dimension (sim/dev/device.c, device.model = "raid").
 *
 * Unit level: the block -> (member, member block) mapping of RAID-0/1/10,
 * hand-computed from the stated layout; validation of impossible
 * configurations; the advertised cache (H9); and the logical durable image
 * on hand-built sequences (a non-volatile cache makes a write durable when it
 * is cached; a line freed into a member's volatile cache is durable no more,
 * R2; a volatile controller cache never counts, R3/R4).
 *
 * End to end: tests/data/raid-rows.lua through the loader, runner, crash
 * evaluator and report, each row over >= 2000 sampled cuts (2 runs x 4 s):
 *   R1/H4 (BBU + member caches off, barriers on or off, RAID-1/10/0),
 *   H11 (high-end array), H9/B1 (advertised write-through: zero flushes reach
 *   the controller), R2 (member caches on + FLUSH acked from NVRAM: fsync
 *   lost even with barriers), drain (same caches, flushes drained: safe),
 *   R3 (forced write-back, no battery: barriers off loses, on is safe),
 *   R4 (outage longer than the hold time loses the cache, barriers or not),
 *   R6 (write-through, as in a battery learn cycle: R1's outcomes, slower).
 * Not covered: R5 (RAID-5 is not modelled). */
#include <string.h>
#include "testutil.h"
#include "run.h"
#include "blk/media.h"
#include "dev/device.h"

#define MIN_TRIALS 2000

static char   *data_dir;
static guint64 master_seed = 1;

static SimRaidCfg raid_cfg(gint64 level, gint64 disks, gint64 su)
{
    SimRaidCfg c;
    sim_params_defaults(&sim_raid_schema, &c);
    c.level = level;
    c.disks = disks;
    c.stripe_blocks = su;
    return c;
}

/* ---- mapping ------------------------------------------------------------- */

static void test_map_raid0(void)
{
    /* 3 disks, stripe unit 4: stripes 0,1,2 on members 0,1,2 at rows 0;
     * stripe 3 -> member 0 row 1 (member blocks 4..7). */
    SimRaidCfg c = raid_cfg(0, 3, 4);
    guint m[8];
    guint64 b[8];
    static const struct { guint64 L; guint m; guint64 b; } want[] = {
        { 0, 0, 0 }, { 3, 0, 3 }, { 4, 1, 0 }, { 7, 1, 3 }, { 8, 2, 0 }, { 11, 2, 3 },
        { 12, 0, 4 }, { 13, 0, 5 }, { 16, 1, 4 }, { 25, 0, 9 },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(want); i++) {
        g_assert_cmpuint(sim_raid_map(&c, want[i].L, m, b, 8), ==, 1);
        g_assert_cmpuint(m[0], ==, want[i].m);
        g_assert_cmpuint(b[0], ==, want[i].b);
    }
    g_assert_cmpuint(sim_raid_capacity(&c, 10), ==, 3 * 8);   /* 10 -> 8 whole units per member */
}

static void test_map_raid1(void)
{
    SimRaidCfg c = raid_cfg(1, 3, 16);
    guint m[8];
    guint64 b[8];
    g_assert_cmpuint(sim_raid_map(&c, 12345, m, b, 8), ==, 3);
    for (guint i = 0; i < 3; i++) {
        g_assert_cmpuint(m[i], ==, i);
        g_assert_cmpuint(b[i], ==, 12345);
    }
    g_assert_cmpuint(sim_raid_capacity(&c, 1000), ==, 1000);
}

static void test_map_raid10(void)
{
    /* 4 disks = pairs {0,1} {2,3}, stripe unit 2: stripe s -> pair s % 2,
     * member block (s / 2) * 2 + L % 2. */
    SimRaidCfg c = raid_cfg(10, 4, 2);
    guint m[8];
    guint64 b[8];
    static const struct { guint64 L; guint m0; guint64 b; } want[] = {
        { 0, 0, 0 }, { 1, 0, 1 }, { 2, 2, 0 }, { 3, 2, 1 }, { 4, 0, 2 }, { 5, 0, 3 }, { 6, 2, 2 }, { 9, 0, 5 },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(want); i++) {
        g_assert_cmpuint(sim_raid_map(&c, want[i].L, m, b, 8), ==, 2);
        g_assert_cmpuint(m[0], ==, want[i].m0);
        g_assert_cmpuint(m[1], ==, want[i].m0 + 1);
        g_assert_cmpuint(b[0], ==, want[i].b);
        g_assert_cmpuint(b[1], ==, want[i].b);
    }
    g_assert_cmpuint(sim_raid_capacity(&c, 11), ==, 2 * 10);
}

/* ---- validation and the advertised cache ------------------------------- */

static void test_validate(void)
{
    SimRaidCfg c = raid_cfg(5, 3, 16);
    g_autoptr(GError) e = NULL;
    g_assert_false(sim_raid_cfg_validate(&c, &e));
    g_assert_nonnull(strstr(e->message, "raid.level"));
    g_clear_error(&e);
    c = raid_cfg(10, 3, 16);
    g_assert_false(sim_raid_cfg_validate(&c, &e));
    g_assert_nonnull(strstr(e->message, "raid.disks"));
    g_clear_error(&e);
    c = raid_cfg(1, 1, 16);
    g_assert_false(sim_raid_cfg_validate(&c, &e));
    g_clear_error(&e);
    c = raid_cfg(0, 2, 16);
    g_assert_true(sim_raid_cfg_validate(&c, &e));
    /* schema ranges and names */
    g_assert_false(sim_params_set_str(&sim_raid_schema, &c, "hold_h", "-1", &e));
    g_clear_error(&e);
    g_assert_false(sim_params_set_str(&sim_raid_schema, &c, "backing", "supercap", &e));
    g_assert_nonnull(strstr(e->message, "flash"));
    g_clear_error(&e);
    g_assert_false(sim_params_set_str(&sim_raid_schema, &c, "cache_mb", "99999999", &e));
    g_clear_error(&e);
    g_assert_cmpint(sim_dev_model_parse("raid"), ==, SIM_DEV_RAID);
    g_assert_cmpint(sim_dev_model_parse("hdd"), ==, SIM_DEV_HDD);
    g_assert_cmpint(sim_dev_model_parse("floppy"), ==, -1);
}

/* H9: write-through is advertised iff the member caches are off and the
 * cache (if used) has a battery or flash backing - whatever the outage. */
static void test_advertise(void)
{
    SimRaidCfg c = raid_cfg(1, 2, 16);          /* defaults: write-back, battery 72 h, members off */
    g_assert_true(sim_raid_caching(&c) && sim_raid_nonvolatile(&c));
    g_assert_false(sim_raid_advertises_volatile(&c));
    c.member_cache = TRUE;
    g_assert_true(sim_raid_advertises_volatile(&c));
    c.member_cache = FALSE;
    c.outage_h = 73;                             /* R4: lost at restore, but the controller cannot know */
    g_assert_false(sim_raid_nonvolatile(&c));
    g_assert_false(sim_raid_advertises_volatile(&c));
    c.outage_h = 0;
    c.backing = SIM_RAID_BACKING_NONE;           /* write-back without battery falls back to write-through */
    g_assert_false(sim_raid_caching(&c));
    g_assert_false(sim_raid_advertises_volatile(&c));
    c.write_policy = SIM_RAID_FORCED_WB;         /* R3 */
    g_assert_true(sim_raid_caching(&c));
    g_assert_true(sim_raid_advertises_volatile(&c));
    c.backing = SIM_RAID_BACKING_FLASH;
    c.outage_h = 1e5;
    g_assert_false(sim_raid_advertises_volatile(&c));

    SimHddCfg h;
    sim_params_defaults(&sim_hdd_schema, &h);
    SimWorld *w = sim_world_new(1, 0);
    SimRaidCfg bbu = raid_cfg(1, 2, 16);
    SimBlkDev *d = sim_device_new(w, SIM_DEV_RAID, &h, &bbu);
    g_assert_cmpuint(d->caps & SIM_BLK_CAP_VOLATILE_CACHE, ==, 0);
    g_assert_cmpuint(sim_raid_member(d, 0)->caps & SIM_BLK_CAP_VOLATILE_CACHE, ==, 0);  /* members' cache_mb = 0 */
    g_assert_nonnull(d->media);
    g_assert_true(d->media != sim_raid_member(d, 0)->media);
    sim_blkdev_free(d);
    bbu.member_cache = TRUE;
    d = sim_device_new(w, SIM_DEV_RAID, &h, &bbu);
    g_assert_cmpuint(d->caps & SIM_BLK_CAP_VOLATILE_CACHE, !=, 0);
    g_assert_cmpuint(sim_raid_member(d, 1)->caps & SIM_BLK_CAP_VOLATILE_CACHE, !=, 0);
    sim_blkdev_free(d);
    sim_world_free(w);
}

/* ---- the logical durable image ----------------------------------------- */

typedef struct { SimWorld *w; gboolean done; SimTime t; } Wait;
static void on_done(SimIo *io, gpointer ctx)
{
    Wait *wt = ctx;
    wt->done = TRUE;
    wt->t = sim_now(wt->w);
    sim_io_free(io);
}

static SimTime write_one(SimWorld *w, SimBlkDev *d, guint64 block, SimToken tok, guint32 flags, SimTime until)
{
    Wait wt = { w, FALSE, 0 };
    SimIo *io = sim_io_new(SIM_IO_WRITE, block, 1);
    io->tokens[0] = tok;
    io->flags = flags;
    io->done = on_done;
    io->ctx = &wt;
    sim_blk_submit(d, io);
    sim_world_run(w, until);
    g_assert_true(wt.done);
    return wt.t;
}

/* R1: with a battery, a write is durable (logical image) once acknowledged,
 * although no member has it on media yet; it stays durable after destage. */
static void test_durable_nv(void)
{
    SimHddCfg h;
    sim_params_defaults(&sim_hdd_schema, &h);
    SimRaidCfg c = raid_cfg(1, 2, 16);
    SimWorld *w = sim_world_new(1, 0);
    SimBlkDev *d = sim_device_new(w, SIM_DEV_RAID, &h, &c);
    SimTime ack = write_one(w, d, 100, 7, 0, sim_time_from_s(0.0001));
    g_assert_cmpint(ack, <, sim_time_from_s(0.0001));
    g_assert_cmpuint(sim_media_get(d->media, 100), ==, 7);
    g_assert_cmpuint(sim_media_get(sim_raid_member(d, 0)->media, 100), ==, 0);
    sim_world_run(w, sim_time_from_s(1));
    g_assert_cmpuint(sim_media_get(sim_raid_member(d, 0)->media, 100), ==, 7);
    g_assert_cmpuint(sim_media_get(sim_raid_member(d, 1)->media, 100), ==, 7);
    g_assert_cmpuint(sim_media_get(d->media, 100), ==, 7);
    sim_blkdev_free(d);
    sim_world_free(w);
}

typedef struct { SimWorld *w; GArray *ev; } Log;
typedef struct { SimTime t; SimToken tok; } Ev;
static void log_listen(gpointer ud, guint64 block, SimToken old, SimToken tok)
{
    Log *l = ud;
    Ev e = { sim_now(l->w), tok };
    g_array_append_val(l->ev, e);
}

/* R2: member caches on, FLUSH acked from NVRAM: the block is durable while
 * cached, then not (freed into a member's volatile cache), then again once
 * the member destages it - and the host's FLUSH changes nothing. */
static void test_durable_r2(void)
{
    SimHddCfg h;
    sim_params_defaults(&sim_hdd_schema, &h);
    h.idle_ms = 50;                              /* the members destage late */
    SimRaidCfg c = raid_cfg(1, 2, 16);
    c.member_cache = TRUE;
    c.flush = SIM_RAID_FLUSH_ACK;
    SimWorld *w = sim_world_new(1, 0);
    SimBlkDev *d = sim_device_new(w, SIM_DEV_RAID, &h, &c);
    Log l = { w, g_array_new(FALSE, FALSE, sizeof(Ev)) };
    sim_media_set_listener(d->media, log_listen, &l);
    write_one(w, d, 5, 9, 0, sim_time_from_s(0.001));
    Wait wt = { w, FALSE, 0 };
    SimIo *f = sim_io_new(SIM_IO_FLUSH, 0, 0);
    f->done = on_done;
    f->ctx = &wt;
    sim_blk_submit(d, f);
    sim_world_run(w, sim_time_from_s(1));
    g_assert_true(wt.done);
    g_assert_cmpuint(l.ev->len, ==, 3);
    g_assert_cmpuint(g_array_index(l.ev, Ev, 0).tok, ==, 9);     /* cached in NVRAM */
    g_assert_cmpuint(g_array_index(l.ev, Ev, 1).tok, ==, 0);     /* freed: only in a member cache */
    g_assert_cmpuint(g_array_index(l.ev, Ev, 2).tok, ==, 9);     /* the primary member destaged it */
    g_assert_cmpint(g_array_index(l.ev, Ev, 2).t, >, g_array_index(l.ev, Ev, 1).t + sim_time_from_s(0.04));
    SimDevStats st;
    sim_raid_member(d, 0)->ops->get_stats(sim_raid_member(d, 0), &st);
    g_assert_cmpuint(st.flushes, ==, 0);         /* the host FLUSH never reached the members */
    g_array_free(l.ev, TRUE);
    sim_blkdev_free(d);
    g_assert_true(sim_world_check(w));
    sim_world_free(w);
}

/* R3/R4: a volatile controller cache never counts: the logical image changes
 * only when the primary member's media does. */
static void test_durable_volatile(void)
{
    SimHddCfg h;
    sim_params_defaults(&sim_hdd_schema, &h);
    for (int k = 0; k < 2; k++) {
        SimRaidCfg c = raid_cfg(1, 2, 16);
        if (k == 0) {
            c.write_policy = SIM_RAID_FORCED_WB;
            c.backing = SIM_RAID_BACKING_NONE;
        } else
            c.outage_h = 100;
        SimWorld *w = sim_world_new(1, 0);
        SimBlkDev *d = sim_device_new(w, SIM_DEV_RAID, &h, &c);
        Log l = { w, g_array_new(FALSE, FALSE, sizeof(Ev)) };
        sim_media_set_listener(d->media, log_listen, &l);
        SimTime ack = write_one(w, d, 5, 9, 0, sim_time_from_s(0.0001));
        g_assert_cmpuint(sim_media_get(d->media, 5), ==, 0);   /* acknowledged, not durable */
        g_assert_cmpuint(l.ev->len, ==, 0);
        sim_world_run(w, sim_time_from_s(1));
        g_assert_cmpuint(l.ev->len, ==, 1);
        g_assert_cmpint(g_array_index(l.ev, Ev, 0).t, >, ack);
        g_assert_cmpuint(sim_media_get(d->media, 5), ==, 9);
        g_array_free(l.ev, TRUE);
        sim_blkdev_free(d);
        sim_world_free(w);
    }
}

/* ---- end to end --------------------------------------------------------- */

static SimScenario *rows_sc;
static SimResults  *rows_res;

static const SimResults *rows(void)
{
    if (rows_res)
        return rows_res;
    g_autofree char *path = g_build_filename(data_dir, "raid-rows.lua", NULL);
    GError *e = NULL;
    gint64 t0 = g_get_monotonic_time();
    rows_sc = sim_scenario_load(path, NULL, master_seed, &e);
    if (!rows_sc)
        g_error("cannot load %s: %s", path, e->message);
    SimRunOpts o = { .seed = master_seed, .jobs = MAX(1u, g_get_num_processors()), .trials = -1 };
    rows_res = sim_run_scenario(rows_sc, &o, &e);
    g_assert_no_error(e);
    g_assert_nonnull(rows_res);
    g_test_message("ran %s in %.2f s", path, (g_get_monotonic_time() - t0) / 1e6);
    return rows_res;
}

static const SimCaseResult *row(const char *name)
{
    const SimResults *r = rows();
    for (guint i = 0; i < r->cases->len; i++) {
        const SimCaseResult *c = g_ptr_array_index(r->cases, i);
        if (strcmp(c->name, name) == 0) {
            g_test_message("%s: trials %" G_GUINT64_FORMAT " consistent %" G_GUINT64_FORMAT " lost_fsync %"
                           G_GUINT64_FORMAT " stale %" G_GUINT64_FORMAT " corrupt %" G_GUINT64_FORMAT
                           " unmountable %" G_GUINT64_FORMAT " p_inc %.9g; controller flushes %" G_GUINT64_FORMAT
                           " (reproduce: ./powercut run tests/data/raid-rows.lua -s %" G_GUINT64_FORMAT " --case %s)",
                           name, c->trials, c->outcomes[SIM_OUT_CONSISTENT], c->outcomes[SIM_OUT_LOST_FSYNC],
                           c->outcomes[SIM_OUT_STALE_DATA], c->outcomes[SIM_OUT_CORRUPT],
                           c->outcomes[SIM_OUT_UNMOUNTABLE], c->p_inc, c->dev.flushes, master_seed, name);
            g_assert_cmpuint(c->trials, >=, MIN_TRIALS);
            return c;
        }
    }
    g_error("no case %s", name);
    return NULL;
}

static void check_safe(gconstpointer p)
{
    const SimCaseResult *c = row(p);
    g_assert_cmpuint(c->outcomes[SIM_OUT_CONSISTENT], ==, c->trials);
    g_assert_cmpfloat(c->p_inc, ==, 0.0);
}

static void check_loses(gconstpointer p)
{
    const SimCaseResult *c = row(p);
    g_assert_cmpuint(c->outcomes[SIM_OUT_LOST_FSYNC] + c->outcomes[SIM_OUT_STALE_DATA], >, 0);
}

/* H9/B1: advertised write-through: the host sends no flush or FUA at all. */
static void test_h9_no_flushes(void)
{
    for (const char *const *n = (const char *const[]){ "r1-barrier", "r1-nobarrier", "high-end-nobarrier", NULL }; *n;
         n++) {
        const SimCaseResult *c = row(*n);
        g_assert_cmpuint(c->dev.flushes, ==, 0);
        g_assert_cmpuint(c->dev.fua_writes, ==, 0);
    }
    /* the volatile configuration with barriers does receive them */
    g_assert_cmpuint(row("r3-barrier")->dev.flushes, >, 0);
    g_assert_cmpuint(row("r2-ack-barrier")->dev.flushes, >, 0);
}

/* R4: the controller behaves the same whatever the outage (no flush is sent
 * either way), so barriers on and off give the same outcomes, cut for cut. */
static void test_r4_barriers_same(void)
{
    const SimCaseResult *a = row("r4-outage-nobarrier"), *b = row("r4-outage-barrier");
    g_assert_cmpuint(a->dev.flushes, ==, 0);
    g_assert_cmpuint(b->dev.flushes, ==, 0);
    for (int k = 0; k < SIM_OUT_N; k++)
        g_assert_cmpuint(a->outcomes[k], ==, b->outcomes[k]);
}

/* R6: a learn/charge cycle puts the controller in write-through: the crash
 * outcomes are R1's (none lost), only the latency changes. */
static void test_r6(void)
{
    const SimCaseResult *wt = row("r6-write-through-nobarrier"), *wb = row("r1-nobarrier");
    g_assert_cmpuint(wt->outcomes[SIM_OUT_CONSISTENT], ==, wt->trials);
    g_assert_cmpfloat(wt->p_inc, ==, 0.0);
    g_assert_cmpuint(wb->outcomes[SIM_OUT_CONSISTENT], ==, wb->trials);
    g_assert_cmpuint(wt->dev.flushes, ==, 0);
    g_assert_cmpfloat(wt->fsyncs_per_s, <, wb->fsyncs_per_s / 2);   /* each fsync waits for the platters */
}

/* A scenario error names the parameter. */
static void test_scenario_errors(void)
{
    static const struct { const char *set; const char *want; } bad[] = {
        { "raid.level=5", "raid.level" },
        { "raid.disks=3", "raid.disks" },
        { "raid.hold_h=-1", "hold_h" },
        { "raid.write_policy=sometimes", "write-back" },
        { "device.model=floppy", "hdd, raid, ssd" },
        { "raid.flush=maybe", "drain" },
    };
    g_autofree char *path = g_build_filename(data_dir, "raid-rows.lua", NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        const char *sets[] = { bad[i].set, bad[i].set[0] == 'r' && strstr(bad[i].set, "disks") ? "raid.level=10" : NULL,
                               NULL };
        GError *e = NULL;
        SimScenario *sc = sim_scenario_load(path, sets, 1, &e);
        g_assert_null(sc);
        g_assert_nonnull(e);
        g_test_message("%s -> %s", bad[i].set, e->message);
        g_assert_nonnull(strstr(e->message, bad[i].want));
        g_error_free(e);
    }
}

static void find_dirs(void)
{
    data_dir = test_find_data("raid-rows.lua", NULL, &master_seed);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_set_nonfatal_assertions();
    find_dirs();
    g_test_add_func("/raid/map/raid0", test_map_raid0);
    g_test_add_func("/raid/map/raid1", test_map_raid1);
    g_test_add_func("/raid/map/raid10", test_map_raid10);
    g_test_add_func("/raid/validate", test_validate);
    g_test_add_func("/raid/H9/advertised-cache", test_advertise);
    g_test_add_func("/raid/R1/unit/nv-cache-durable-at-ack", test_durable_nv);
    g_test_add_func("/raid/R2/unit/freed-line-not-durable-flush-acked", test_durable_r2);
    g_test_add_func("/raid/R3-R4/unit/volatile-cache-never-durable", test_durable_volatile);
    g_test_add_func("/raid/scenario-errors", test_scenario_errors);
    g_test_add_data_func("/raid/R1-H4/bbu-members-off-nobarrier", "r1-nobarrier", check_safe);
    g_test_add_data_func("/raid/R1-H4/bbu-members-off-barrier", "r1-barrier", check_safe);
    g_test_add_data_func("/raid/R1/raid10", "r1-raid10-nobarrier", check_safe);
    g_test_add_data_func("/raid/R1/raid0", "r1-raid0-nobarrier", check_safe);
    g_test_add_data_func("/raid/H11/high-end-array", "high-end-nobarrier", check_safe);
    g_test_add_func("/raid/H9-B1/write-through-advertised-no-flushes", test_h9_no_flushes);
    g_test_add_data_func("/raid/R2/members-on-ack-barrier-loses", "r2-ack-barrier", check_loses);
    g_test_add_data_func("/raid/R2/members-on-ack-nobarrier-loses", "r2-ack-nobarrier", check_loses);
    g_test_add_data_func("/raid/R2/members-on-drain-barrier-safe", "r2-drain-barrier", check_safe);
    g_test_add_data_func("/raid/R3/forced-wb-no-battery-nobarrier-loses", "r3-nobarrier", check_loses);
    g_test_add_data_func("/raid/R3/forced-wb-no-battery-barrier-safe", "r3-barrier", check_safe);
    g_test_add_data_func("/raid/R4-H10/outage-longer-than-hold-loses", "r4-outage-nobarrier", check_loses);
    g_test_add_data_func("/raid/R4-H10/outage-longer-than-hold-loses-with-barriers", "r4-outage-barrier", check_loses);
    g_test_add_func("/raid/R4-H10/barriers-change-nothing", test_r4_barriers_same);
    g_test_add_func("/raid/R6/write-through-same-outcomes-slower", test_r6);
    int rc = g_test_run();
    if (rows_res)
        sim_results_free(rows_res);
    if (rows_sc)
        sim_scenario_free(rows_sc);
    g_free(data_dir);
    return rc;
}

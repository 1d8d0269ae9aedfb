/* tests/test-app.c - application-level outcomes (atomic_save): the
 * application's own oracle judged on recovered images built and damaged by
 * hand, then end to end through the simulator. */
#include "crash/crash.h"
#include "dev/hdd.h"
#include "fs/app.h"
#include "fs/fs-priv.h"
#include "fs/runner.h"
#include "run.h"
#include <string.h>
#include <glib/gstdio.h>

typedef struct {
    SimWorld  *w;
    SimBlkDev *hdd, *q;
    SimFs     *fs;
    SimApp    *app;
    SimWorkloadCfg wl;
} Stack;

static void done_flag(gpointer ctx, int err)
{
    g_assert_cmpint(err, ==, 0);
    *(gboolean *)ctx = TRUE;
}

/* Three saves of one document on a write-through disk: every completed
 * write is durable, so the final image holds version 3. */
static void stack_run(Stack *s, gboolean fsync)
{
    SimHddCfg dc;
    SimFsCfg fc;
    sim_params_defaults(&sim_hdd_schema, &dc);
    sim_params_defaults(&sim_fs_schema, &fc);
    dc.cache_mb = 0;
    fc.size_mb = 256;
    fc.journal_mb = 4;
    sim_params_defaults(&sim_workload_schema, &s->wl);
    g_assert_true(sim_params_set_str(&sim_workload_schema, &s->wl, "kind", "atomic_save", NULL));
    s->wl.dirs = 2;
    s->wl.threads = 1;
    s->wl.file_kb = 8;
    s->wl.fsync = fsync;
    s->wl.dir_fsync = TRUE;
    s->w = sim_world_new(3, 0);
    s->hdd = sim_hdd_new(s->w, &dc);
    s->q = sim_blkq_new(s->w, s->hdd);
    s->fs = sim_fs_new(s->w, &fc, s->q, s->hdd->media, 2);
    s->app = sim_app_new(s->fs, &s->wl);
    g_assert_nonnull(s->app);
    GArray *ops = g_array_new(FALSE, TRUE, sizeof(SimOp));
    for (guint64 it = 0; it < 3; it++) {
        sim_app_generate(&s->wl, 0, it, ops);
        for (guint i = 0; i < ops->len; i++) {
            SimOp *op = &g_array_index(ops, SimOp, i);
            int r = 0;
            gboolean done = FALSE;
            switch (op->kind) {
            case SIM_OP_CREATE: r = sim_fs_create(s->fs, op->file); break;
            case SIM_OP_WRITE: r = sim_fs_write(s->fs, op->file, op->off, op->len); break;
            case SIM_OP_RENAME: r = sim_fs_rename(s->fs, op->file, op->file2); break;
            case SIM_OP_FSYNC:
                r = sim_fs_fsync(s->fs, op->file, FALSE, done_flag, &done);
                break;
            default: g_assert_not_reached();
            }
            g_assert_cmpint(r, >=, 0);
            sim_world_run(s->w, sim_now(s->w) + SIM_MS(200));
            g_assert_true(r == 0 || done);
            sim_app_op_done(s->app, 0, op, 0);
        }
        for (guint i = 0; i < ops->len; i++)
            sim_op_clear(&g_array_index(ops, SimOp, i));
        g_array_set_size(ops, 0);
    }
    g_array_free(ops, TRUE);
}

static void stack_free(Stack *s)
{
    sim_app_free(s->app);
    sim_fs_free(s->fs);
    sim_blkdev_free(s->q);
    sim_blkdev_free(s->hdd);
    sim_world_free(s->w);
}

static int judge(Stack *s, GString *why)
{
    SimChecker *c = sim_checker_new(s->fs);
    SimRecovery r;
    sim_recovery_init(&r);
    sim_recover(&s->fs->L, s->fs->content, s->hdd->media, &r);
    GPtrArray *pr = sim_fs_promises(s->fs);
    sim_check_recovered(c, s->hdd->media, &r, pr, NULL);
    int o = sim_check_app(c, s->hdd->media, &r, s->app, why);
    g_ptr_array_free(pr, TRUE);
    sim_recovery_clear(&r);
    sim_checker_free(c);
    return o;
}

/* The inode record of `ino` in the recovered image, to damage. */
static void damage_inode(Stack *s, guint32 ino, void (*edit)(SimInode *in))
{
    SimRecovery r;
    sim_recovery_init(&r);
    sim_recover(&s->fs->L, s->fs->content, s->hdd->media, &r);
    guint64 blk = sim_fs_itable_block(&s->fs->L, ino);
    SimItableBlock it;
    sim_content_read(s->fs->content, sim_recovery_get(&r, s->hdd->media, blk), &it);
    for (guint i = 0; i < r.replay->len; i++) {          /* what e2fsck sees after replay */
        SimReplay *rp = &g_array_index(r.replay, SimReplay, i);
        sim_media_init_block(s->hdd->media, rp->home, rp->tok);
    }
    sim_recovery_clear(&r);
    edit(&it.ino[ino % SIM_INODES_PER_BLOCK]);
    /* home copy, and a clean journal so replay does not undo it */
    sim_media_init_block(s->hdd->media, blk,
                         sim_content_add_meta(s->fs->content, SIM_BT_ITABLE, (guint32)blk, 999, &it, NULL, NULL));
    SimVer jsb = { .type = SIM_BT_JSB, .block = (guint32)s->fs->L.jstart };
    sim_media_init_block(s->hdd->media, s->fs->L.jstart, sim_content_add(s->fs->content, &jsb));
}

static guint32 doc_ino(Stack *s)
{
    guint32 igen;
    guint64 size;
    return sim_fs_stat(s->fs, "d0/doc0", &igen, &size);
}

static void zero_size(SimInode *in) { in->size = 0; }

static void test_new_then_zero_length(void)
{
    Stack s;
    stack_run(&s, TRUE);
    g_autoptr(GString) why = g_string_new(NULL);
    g_assert_cmpint(judge(&s, why), ==, SIM_APP_NEW);      /* version 3, complete */
    /* a zero-length document after the rename: the ext4 "zero-length file" failure */
    damage_inode(&s, doc_ino(&s), zero_size);
    g_assert_cmpint(judge(&s, why), ==, SIM_APP_INCONSISTENT);
    g_test_message("%s", why->str);
    g_assert_nonnull(strstr(why->str, "zero-length"));
    stack_free(&s);
}

/* The document's data block holding another version's data. */
static void test_foreign_block(void)
{
    Stack s;
    stack_run(&s, TRUE);
    guint32 ino = doc_ino(&s);
    guint32 pblk = g_array_index(s.fs->im[ino].pages, FsPage, 1).pblk;
    sim_media_init_block(s.hdd->media, pblk, 0);              /* zeroes never written */
    g_autoptr(GString) why = g_string_new(NULL);
    g_assert_cmpint(judge(&s, why), ==, SIM_APP_INCONSISTENT);
    g_assert_nonnull(strstr(why->str, "block 1"));
    stack_free(&s);
}

/* An older complete version is `old`: point the directory entry back at
 * version 2's inode (still on disk: unlinked, but not yet reused). */
static void test_old_version(void)
{
    Stack s;
    stack_run(&s, TRUE);
    g_autoptr(GString) why = g_string_new(NULL);
    /* The app's idea of "latest" moves past what is on disk: a rename the
     * application issued that the disk never saw. */
    SimOp fake = { SIM_OP_CREATE, g_strdup("d0/doc0.tmp4"), NULL, 0, 0 };
    g_assert_cmpint(sim_fs_create(s.fs, "d0/doc0.tmp4"), ==, 0);  /* in memory only: not committed */
    sim_app_op_done(s.app, 0, &fake, 0);
    SimOp ren = { SIM_OP_RENAME, g_strdup("d0/doc0.tmp4"), g_strdup("d0/doc0"), 0, 0 };
    sim_app_op_done(s.app, 0, &ren, 0);
    g_assert_cmpint(judge(&s, why), ==, SIM_APP_OLD);         /* the disk still holds version 3 */
    sim_op_clear(&fake);
    sim_op_clear(&ren);
    stack_free(&s);
}

/* End to end: with barriers on and an honest disk, no cut leaves the
 * document inconsistent (J2, E4: fsync before rename, fsync of the dir);
 * without barriers, some do. */
static void test_end_to_end(void)
{
    const char *dir = g_getenv("POWERCUT_TEST_DATA");
    g_autofree char *path = g_build_filename(dir ? dir : "scenarios", "atomic-save.lua", NULL);
    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        g_free(path);
        path = g_strdup("scenarios/atomic-save.lua");
    }
    const char *sets[] = { "run.runs=6", "run.duration_s=4", NULL };
    GError *err = NULL;
    SimScenario *sc = sim_scenario_load(path, sets, 1, &err);
    g_assert_no_error(err);
    SimRunOpts o = { .seed = 1, .jobs = g_get_num_processors(), .trials = -1 };
    SimResults *res = sim_run_scenario(sc, &o, &err);
    g_assert_no_error(err);
    for (guint i = 0; i < res->cases->len; i++) {
        SimCaseResult *c = g_ptr_array_index(res->cases, i);
        g_test_message("%s: old %" G_GUINT64_FORMAT " new %" G_GUINT64_FORMAT " inconsistent %" G_GUINT64_FORMAT,
                       c->name, c->app_old, c->app_new, c->app_inconsistent);
        g_assert_true(c->has_app);
        g_assert_cmpuint(c->app_old + c->app_new + c->app_inconsistent, ==, c->trials);
        g_assert_cmpuint(c->trials, >=, 2000);
        if (strstr(c->name, "barrier-on")) {
            g_assert_cmpuint(c->app_inconsistent, ==, 0);
            g_assert_cmpuint(c->app_new, >, 0);      /* completed saves do reach the disk */
        } else {
            g_assert_cmpuint(c->app_inconsistent, >, 0);
        }
    }
    sim_results_free(res);
    sim_scenario_free(sc);
}

/* wal_append end to end: barriers on never loses an acknowledged record
 * (E4, J2) and never shows a gap; barriers off loses records. */
static void test_wal(void)
{
    g_autofree char *dir = g_dir_make_tmp("pc-wal-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "wal.lua", NULL);
    const char *text =
        "local presets = require \"presets\"\n"
        "return { trials = 2000, runs = 6, duration_s = 3, crash_from_s = 1,\n"
        "  device = presets.sata_7200 {},\n"
        "  workload = { kind = \"wal_append\", append_bytes = 1024, threads = 2, dirs = 2, think_us = 300 },\n"
        "  cases = { { name = \"barrier-on\", fs = { barrier = true } },\n"
        "            { name = \"barrier-off\", fs = { barrier = false } } } }\n";
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    GError *err = NULL;
    SimScenario *sc = sim_scenario_load(path, NULL, 1, &err);
    g_assert_no_error(err);
    SimRunOpts o = { .seed = 1, .jobs = g_get_num_processors(), .trials = -1 };
    SimResults *res = sim_run_scenario(sc, &o, &err);
    g_assert_no_error(err);
    SimCaseResult *on = g_ptr_array_index(res->cases, 0), *off = g_ptr_array_index(res->cases, 1);
    g_assert_true(on->has_app);
    g_assert_cmpuint(on->app_old + on->app_new + on->app_inconsistent, ==, on->trials);
    g_assert_cmpuint(on->app_new, ==, on->trials);        /* every acknowledged record survives */
    g_assert_cmpuint(off->app_new, <, off->trials);       /* some acknowledged records are lost */
    sim_results_free(res);
    sim_scenario_free(sc);
    g_unlink(path);
    g_rmdir(dir);
}

/* rollback_txn end to end (scenarios/rollback-txn.lua, shortened): a
 * rollback journal keeps every cut a committed state with barriers on; with
 * synchronous=EXTRA (directory synced after the journal's deletion) no
 * committed transaction is rolled back; without barriers some cuts leave a
 * mixture no journal can undo. */
static void test_rollback(void)
{
    const char *sets[] = { "run.runs=6", "run.duration_s=3", NULL };
    GError *err = NULL;
    SimScenario *sc = sim_scenario_load("scenarios/rollback-txn.lua", sets, 1, &err);
    g_assert_no_error(err);
    SimRunOpts o = { .seed = 1, .jobs = g_get_num_processors(), .trials = -1 };
    SimResults *res = sim_run_scenario(sc, &o, &err);
    g_assert_no_error(err);
    for (guint i = 0; i < res->cases->len; i++) {
        SimCaseResult *c = g_ptr_array_index(res->cases, i);
        g_test_message("%s: old %" G_GUINT64_FORMAT " new %" G_GUINT64_FORMAT " inconsistent %" G_GUINT64_FORMAT,
                       c->name, c->app_old, c->app_new, c->app_inconsistent);
        g_assert_cmpuint(c->app_old + c->app_new + c->app_inconsistent, ==, c->trials);
        if (!strcmp(c->name, "barrier-on")) {
            g_assert_cmpuint(c->app_inconsistent, ==, 0);
        } else if (!strcmp(c->name, "barrier-on-extra")) {
            g_assert_cmpuint(c->app_inconsistent, ==, 0);
            g_assert_cmpuint(c->app_old, ==, 0);
        } else {
            g_assert_cmpuint(c->app_inconsistent, >, 0);
        }
    }
    sim_results_free(res);
    sim_scenario_free(sc);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (!g_getenv("POWERCUT_LUA_DIR"))
        g_setenv("POWERCUT_LUA_DIR", "lua", FALSE);
    g_test_add_func("/app/atomic-save/new-then-zero-length", test_new_then_zero_length);
    g_test_add_func("/app/atomic-save/foreign-block", test_foreign_block);
    g_test_add_func("/app/atomic-save/old-version", test_old_version);
    g_test_add_func("/app/atomic-save/end-to-end", test_end_to_end);
    g_test_add_func("/app/wal-append/end-to-end", test_wal);
    g_test_add_func("/app/rollback-txn/end-to-end", test_rollback);
    return g_test_run();
}

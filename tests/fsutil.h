/* tests/fsutil.h - a small storage stack for file-system tests: a disk
 * (hdd defaults, KEY/VALUE overrides), the block layer, a 256 MiB file
 * system with a 4 MiB journal (KEY/VALUE overrides) and two directories. */
#pragma once
#include "dev/hdd.h"
#include "fs/fs.h"
#include <glib.h>

typedef struct {
    SimWorld  *w;
    SimBlkDev *hdd, *q;
    SimFs     *fs;
} Stack;

static inline void stack_init(Stack *s, const char *const *dev_sets, const char *const *fs_sets)
{
    SimHddCfg dc;
    SimFsCfg fc;
    sim_params_defaults(&sim_hdd_schema, &dc);
    sim_params_defaults(&sim_fs_schema, &fc);
    fc.size_mb = 256;
    fc.journal_mb = 4;
    for (; dev_sets && *dev_sets; dev_sets += 2)
        g_assert_true(sim_params_set_str(&sim_hdd_schema, &dc, dev_sets[0], dev_sets[1], NULL));
    for (; fs_sets && *fs_sets; fs_sets += 2)
        g_assert_true(sim_params_set_str(&sim_fs_schema, &fc, fs_sets[0], fs_sets[1], NULL));
    GError *e = NULL;
    g_assert_true(sim_fs_cfg_validate(&fc, &e));
    g_assert_no_error(e);
    s->w = sim_world_new(7, 0);
    s->hdd = sim_hdd_new(s->w, &dc);
    s->q = sim_blkq_new(s->w, s->hdd);
    s->fs = sim_fs_new(s->w, &fc, s->q, s->hdd->media, 2);
}

static inline void stack_free(Stack *s)
{
    sim_fs_free(s->fs);
    sim_blkdev_free(s->q);
    sim_blkdev_free(s->hdd);
    sim_world_free(s->w);
}

static inline void done_flag(gpointer ctx, int err)
{
    g_assert_cmpint(err, ==, 0);
    *(gboolean *)ctx = TRUE;
}

/* fsync and run the world until it returns */
static inline void do_fsync(Stack *s, const char *path)
{
    gboolean done = FALSE;
    g_assert_cmpint(sim_fs_fsync(s->fs, path, FALSE, done_flag, &done), ==, 1);
    while (!done)
        sim_world_run(s->w, sim_now(s->w) + SIM_MS(1));
}

/* tests/test-fs.c - the journaling file system, recovery and the checker.
 *
 * Recovery is tested on hand-built journals whose replay is worked out in
 * the comments; the checker on images damaged on purpose, one failure class
 * at a time; the file system against the jbd2 ordering claims of
 * SEMANTICS §1 (J1, J3, J5, J6, E4) by watching every block that lands. */
#include "fsutil.h"
#include "crash/crash.h"
#include "dev/hdd.h"
#include "fs/fs-priv.h"
#include "fs/runner.h"
#include <string.h>

/* ---- hand-built journals ------------------------------------------------- */

typedef struct {
    SimFsLayout L;
    SimContent *C;
    SimMedia   *m;
} Journal;

#define NPOS 15      /* log positions 1..15 */

static void journal_init(Journal *j)
{
    memset(&j->L, 0, sizeof j->L);
    j->L.nblocks = 1000;
    j->L.jstart = 500;
    j->L.jblocks = NPOS + 1;
    j->C = sim_content_new();
    j->m = sim_media_new(1000);
}

static void journal_free(Journal *j)
{
    sim_media_free(j->m);
    sim_content_free(j->C);
}

static void put_jsb(Journal *j, guint32 start, guint32 seq)
{
    SimVer v = { .type = SIM_BT_JSB, .block = 500 };
    v.u.jsb.start = start;
    v.u.jsb.sequence = seq;
    sim_media_init_block(j->m, 500, sim_content_add(j->C, &v));
}

/* A metadata copy for home block `home` written by tid. */
static SimToken meta(Journal *j, guint32 home, guint32 tid)
{
    static const SimItableBlock empty;
    return sim_content_add_meta(j->C, SIM_BT_ITABLE, home, tid, &empty, NULL, NULL);
}

/* Writes T's descriptor at pos with the given homes/copies, the copies after
 * it, and (if commit) the commit block; returns the next position. */
static guint32 put_txn(Journal *j, guint32 pos, guint32 tid, guint n, const guint32 *homes, const SimToken *copies,
                       gboolean commit)
{
    SimJDesc *d = g_malloc(sizeof(SimJDesc) + n * sizeof(SimJTag));
    d->ntags = n;
    for (guint i = 0; i < n; i++)
        d->tags[i] = (SimJTag){ homes[i], copies[i] };
    SimVer v = { .type = SIM_BT_JDESC, .tid = tid };
    v.u.snap = d;
    sim_media_init_block(j->m, 500 + pos, sim_content_add(j->C, &v));
    for (guint i = 0; i < n; i++) {
        pos = pos % NPOS + 1;
        sim_media_init_block(j->m, 500 + pos, copies[i]);
    }
    pos = pos % NPOS + 1;
    if (commit) {
        SimVer c = { .type = SIM_BT_JCOMMIT, .tid = tid };
        sim_media_init_block(j->m, 500 + pos, sim_content_add(j->C, &c));
    }
    return pos % NPOS + 1;
}

static void put_revoke(Journal *j, guint32 pos, guint32 tid, guint32 block)
{
    SimJRevoke *r = g_malloc(sizeof(SimJRevoke) + sizeof(guint32));
    r->n = 1;
    r->blocks[0] = block;
    SimVer v = { .type = SIM_BT_JREVOKE, .tid = tid };
    v.u.snap = r;
    sim_media_init_block(j->m, 500 + pos, sim_content_add(j->C, &v));
}

static void test_recover_clean(void)
{
    Journal j;
    journal_init(&j);
    put_jsb(&j, 0, 9);
    guint32 h = 10;
    SimToken c = meta(&j, 10, 9);
    put_txn(&j, 1, 9, 1, &h, &c, TRUE);        /* a complete T9 in the log, but s_start = 0 */
    SimRecovery r;
    sim_recovery_init(&r);
    sim_recover(&j.L, j.C, j.m, &r);
    g_assert_true(r.clean);
    g_assert_cmpuint(r.replay->len, ==, 0);   /* "s_start==0: no recovery" */
    sim_recovery_clear(&r);
    journal_free(&j);
}

/* J5: T5 and T6 complete, T7 has no commit: replay T5..T6; block 10 is in
 * both, T6's copy wins; T7's block 12 is not replayed. */
static void test_recover_prefix_J5(void)
{
    Journal j;
    journal_init(&j);
    put_jsb(&j, 3, 5);
    guint32 h5[] = { 10, 11 }, h6[] = { 10 }, h7[] = { 12 };
    SimToken c5[] = { meta(&j, 10, 5), meta(&j, 11, 5) }, c6[] = { meta(&j, 10, 6) }, c7[] = { meta(&j, 12, 7) };
    guint32 p = put_txn(&j, 3, 5, 2, h5, c5, TRUE);   /* 3 desc, 4-5 copies, 6 commit */
    g_assert_cmpuint(p, ==, 7);
    p = put_txn(&j, p, 6, 1, h6, c6, TRUE);           /* 7 desc, 8 copy, 9 commit */
    put_txn(&j, p, 7, 1, h7, c7, FALSE);              /* 10 desc, 11 copy, 12: no commit */
    SimRecovery r;
    sim_recovery_init(&r);
    sim_recover(&j.L, j.C, j.m, &r);
    g_assert_false(r.clean);
    g_assert_cmpuint(r.first_tid, ==, 5);
    g_assert_cmpuint(r.last_tid, ==, 6);
    g_assert_cmpuint(r.stop_pos, ==, 12);
    g_assert_cmpuint(r.replay->len, ==, 2);
    g_assert_cmpuint(sim_recovery_get(&r, j.m, 10), ==, c6[0]);
    g_assert_cmpuint(sim_recovery_get(&r, j.m, 11), ==, c5[1]);
    g_assert_null(sim_recovery_find(&r, 12));
    /* the result depends on positions 3..9 (complete) and 10, 12 (open
     * transaction's descriptor, the missing commit), not on 11 (its copy) */
    for (guint32 pos = 3; pos <= 12; pos++) {
        g_assert_cmpint(sim_recovery_relevant(&r, pos), ==, pos != 11);
    }
    sim_recovery_clear(&r);
    journal_free(&j);
}

/* J4a: T5's commit is durable but its second copy never landed: position 5
 * still holds a descriptor of an older lap (T2). Replay copies whatever is
 * there - the stale descriptor - into home block 11. */
static void test_recover_stale_body_J4a(void)
{
    Journal j;
    journal_init(&j);
    guint32 h2[] = { 20 };
    SimToken c2[] = { meta(&j, 20, 2) };
    put_txn(&j, 4, 2, 1, h2, c2, TRUE);                /* old lap: 4 desc(T2), 5 copy, 6 commit */
    guint32 h5[] = { 10, 11 };
    SimToken c5[] = { meta(&j, 10, 5), meta(&j, 11, 5) };
    SimToken stale4 = sim_media_get(j.m, 504);         /* T2's descriptor */
    put_txn(&j, 3, 5, 2, h5, c5, TRUE);                /* 3 desc, 4-5 copies, 6 commit */
    sim_media_init_block(j.m, 504 + 1, stale4);        /* position 5: the copy of block 11 did not land */
    put_jsb(&j, 3, 5);
    SimRecovery r;
    sim_recovery_init(&r);
    sim_recover(&j.L, j.C, j.m, &r);
    g_assert_cmpuint(r.last_tid, ==, 5);
    const SimReplay *rp = sim_recovery_find(&r, 11);
    g_assert_nonnull(rp);
    g_assert_cmpuint(rp->tok, ==, stale4);
    g_assert_cmpuint(rp->intended, ==, c5[1]);
    g_assert_cmpuint(rp->pos, ==, 5);
    g_assert_cmpuint(sim_recovery_get(&r, j.m, 10), ==, c5[0]);
    sim_recovery_clear(&r);
    journal_free(&j);
}

/* J6: block 10 revoked in T6 is not replayed from T5 or T6, and is from T7. */
static void test_recover_revoke_J6(void)
{
    Journal j;
    journal_init(&j);
    put_jsb(&j, 1, 5);
    guint32 h[] = { 10 };
    SimToken c5[] = { meta(&j, 10, 5) }, c7[] = { meta(&j, 10, 7) };
    guint32 p = put_txn(&j, 1, 5, 1, h, c5, TRUE);    /* 1 desc, 2 copy, 3 commit */
    put_revoke(&j, p, 6, 10);                          /* 4 revoke (T6) */
    SimVer c = { .type = SIM_BT_JCOMMIT, .tid = 6 };
    sim_media_init_block(j.m, 500 + 5, sim_content_add(j.C, &c));   /* 5 commit T6 */
    SimRecovery r;
    sim_recovery_init(&r);
    sim_recover(&j.L, j.C, j.m, &r);
    g_assert_cmpuint(r.last_tid, ==, 6);
    g_assert_null(sim_recovery_find(&r, 10));          /* revoked: T5's copy is not replayed */
    put_txn(&j, 6, 7, 1, h, c7, TRUE);                 /* 6 desc, 7 copy, 8 commit (T7) */
    sim_recover(&j.L, j.C, j.m, &r);
    g_assert_cmpuint(r.last_tid, ==, 7);
    g_assert_cmpuint(sim_recovery_get(&r, j.m, 10), ==, c7[0]);
    sim_recovery_clear(&r);
    journal_free(&j);
}

/* A transaction that wraps: starts at 14 of 15 positions. 14 desc, 15 and 1
 * copies, 2 commit. */
static void test_recover_wrap(void)
{
    Journal j;
    journal_init(&j);
    put_jsb(&j, 14, 8);
    guint32 h[] = { 30, 31 };
    SimToken c[] = { meta(&j, 30, 8), meta(&j, 31, 8) };
    guint32 p = put_txn(&j, 14, 8, 2, h, c, TRUE);
    g_assert_cmpuint(p, ==, 3);
    g_assert_cmpuint(sim_media_get(j.m, 501), ==, c[1]);
    SimRecovery r;
    sim_recovery_init(&r);
    sim_recover(&j.L, j.C, j.m, &r);
    g_assert_cmpuint(r.last_tid, ==, 8);
    g_assert_cmpuint(sim_recovery_get(&r, j.m, 30), ==, c[0]);
    g_assert_cmpuint(sim_recovery_get(&r, j.m, 31), ==, c[1]);
    sim_recovery_clear(&r);
    journal_free(&j);
}

/* A commit with the wrong sequence number ends the log; a torn journal
 * superblock makes recovery refuse (unmountable). */
static void test_recover_garbled(void)
{
    Journal j;
    journal_init(&j);
    put_jsb(&j, 1, 5);
    guint32 h[] = { 10 };
    SimToken c5[] = { meta(&j, 10, 5) };
    put_txn(&j, 1, 5, 1, h, c5, TRUE);
    SimVer bad = { .type = SIM_BT_JCOMMIT, .tid = 4 };            /* a stale commit from an older lap */
    sim_media_init_block(j.m, 503, sim_content_add(j.C, &bad));
    SimRecovery r;
    sim_recovery_init(&r);
    sim_recover(&j.L, j.C, j.m, &r);
    g_assert_cmpuint(r.replay->len, ==, 0);
    g_assert_cmpuint(r.stop_pos, ==, 3);
    g_assert_false(r.refused);
    /* a torn journal superblock reads as the new one: its fields are all in
     * the first sector, which lands first */
    sim_media_init_block(j.m, 500, sim_media_token_torn(sim_media_get(j.m, 500)));
    sim_recover(&j.L, j.C, j.m, &r);
    g_assert_false(r.refused);
    g_assert_cmpuint(r.start, ==, 1);
    /* a superblock location holding something else: recovery refuses */
    sim_media_init_block(j.m, 500, sim_media_get(j.m, 503));
    sim_recover(&j.L, j.C, j.m, &r);
    g_assert_true(r.refused);
    sim_recovery_clear(&r);
    journal_free(&j);
}

/* ---- the checker, one failure class at a time ------------------------------ */

/* Two files, each 2 blocks, fsynced; a write-through disk so the image is
 * the final state; then the journal is checkpointed by a sync. */
static void build_image(Stack *s)
{
    static const char *const dev[] = { "cache_mb", "0", NULL };
    stack_init(s, dev, NULL);
    g_assert_cmpint(sim_fs_create(s->fs, "d0/a"), ==, 0);
    g_assert_cmpint(sim_fs_write(s->fs, "d0/a", 0, 8192), ==, 0);
    do_fsync(s, "d0/a");
    g_assert_cmpint(sim_fs_create(s->fs, "d1/b"), ==, 0);
    g_assert_cmpint(sim_fs_write(s->fs, "d1/b", 0, 8192), ==, 0);
    do_fsync(s, "d1/b");
    g_assert_cmpint(sim_fs_write(s->fs, "d0/a", 0, 4096), ==, 0);   /* overwrite a's block 0: wgen 2 */
    do_fsync(s, "d0/a");
}

static SimOutcome check(Stack *s, GString *why)
{
    SimChecker *c = sim_checker_new(s->fs);
    GPtrArray *pr = sim_fs_promises(s->fs);
    SimOutcome o = sim_check_image(c, s->hdd->media, pr, why);
    g_ptr_array_free(pr, TRUE);
    sim_checker_free(c);
    return o;
}

static guint32 ino_of(Stack *s, const char *name)
{
    GPtrArray *pr = sim_fs_promises(s->fs);
    guint32 ino = 0;
    for (guint i = 0; i < pr->len; i++) {
        SimPromise *p = g_ptr_array_index(pr, i);
        if (!strcmp(sim_fs_name(s->fs, p->name), name))
            ino = p->ino;
    }
    g_ptr_array_free(pr, TRUE);
    g_assert_cmpuint(ino, !=, 0);
    return ino;
}

/* The recovered version of a block, as a copy to damage. */
static gpointer snap_copy(Stack *s, guint64 block, gsize size)
{
    SimRecovery r;
    sim_recovery_init(&r);
    sim_recover(&s->fs->L, s->fs->content, s->hdd->media, &r);
    SimToken t = sim_recovery_get(&r, s->hdd->media, block);
    sim_recovery_clear(&r);
    g_assert_cmpuint(sim_blk_type_size(sim_content_get(s->fs->content, t)->type), ==, size);
    gpointer out = g_malloc(size);
    sim_content_read(s->fs->content, t, out);
    return out;
}

/* Put a damaged version at a home location, and mark the journal clean so
 * replay does not overwrite it. */
static void plant(Stack *s, guint64 block, SimBlkType type, gpointer content)
{
    sim_media_init_block(s->hdd->media, block,
                         sim_content_add_meta(s->fs->content, type, (guint32)block, 999, content, NULL, NULL));
    g_free(content);
}

static void settle_home(Stack *s)
{
    /* replay into the home locations, then a clean journal: the image is
     * what e2fsck would see after recovery */
    SimRecovery r;
    sim_recovery_init(&r);
    sim_recover(&s->fs->L, s->fs->content, s->hdd->media, &r);
    for (guint i = 0; i < r.replay->len; i++) {
        SimReplay *rp = &g_array_index(r.replay, SimReplay, i);
        sim_media_init_block(s->hdd->media, rp->home, rp->tok);
    }
    sim_recovery_clear(&r);
    SimVer jsb = { .type = SIM_BT_JSB, .block = (guint32)s->fs->L.jstart };
    sim_media_init_block(s->hdd->media, s->fs->L.jstart, sim_content_add(s->fs->content, &jsb));
}

static void test_check_consistent(void)
{
    Stack s;
    build_image(&s);
    g_autoptr(GString) why = g_string_new(NULL);
    g_assert_cmpint(check(&s, why), ==, SIM_OUT_CONSISTENT);
    settle_home(&s);
    g_assert_cmpint(check(&s, why), ==, SIM_OUT_CONSISTENT);
    stack_free(&s);
}

static void test_check_inode_bitmap(void)
{
    Stack s;
    build_image(&s);
    settle_home(&s);
    guint32 ino = ino_of(&s, "b");
    SimBitmapBlock *ib = snap_copy(&s, s.fs->L.ibitmap, sizeof(SimBitmapBlock));
    ib->bits[ino >> 3] &= (guint8)~(1u << (ino & 7));    /* b in use but free in the bitmap */
    plant(&s, s.fs->L.ibitmap, SIM_BT_IBITMAP, ib);
    g_autoptr(GString) why = g_string_new(NULL);
    g_assert_cmpint(check(&s, why), ==, SIM_OUT_CORRUPT);
    /* e2fsck notation: +N is in use but not marked in the bitmap */
    g_autofree char *want = g_strdup_printf("inode bitmap differences: +%u", ino);
    g_assert_nonnull(strstr(why->str, want));
    stack_free(&s);
}

static void test_check_block_bitmap_and_double_claim(void)
{
    Stack s;
    build_image(&s);
    settle_home(&s);
    guint32 a = ino_of(&s, "a"), b = ino_of(&s, "b");
    guint64 itb = sim_fs_itable_block(&s.fs->L, b);
    SimItableBlock *it = snap_copy(&s, itb, sizeof(SimItableBlock));
    /* b's first block becomes a's first block: claimed twice */
    const SimItableBlock *ia = snap_copy(&s, sim_fs_itable_block(&s.fs->L, a), sizeof(SimItableBlock));
    it->ino[b % SIM_INODES_PER_BLOCK].ext[0].pblk = ia->ino[a % SIM_INODES_PER_BLOCK].ext[0].pblk;
    it->ino[b % SIM_INODES_PER_BLOCK].ext[0].len = 1;
    g_free((gpointer)ia);
    plant(&s, itb, SIM_BT_ITABLE, it);
    g_autoptr(GString) why = g_string_new(NULL);
    g_assert_cmpint(check(&s, why), ==, SIM_OUT_CORRUPT);
    g_assert_nonnull(strstr(why->str, "claimed by inodes"));
    stack_free(&s);
}

static void test_check_garbage_location(void)
{
    Stack s;
    build_image(&s);
    settle_home(&s);
    /* an inode-table block holding a journal commit block */
    SimVer c = { .type = SIM_BT_JCOMMIT, .tid = 3 };
    guint64 itb = sim_fs_itable_block(&s.fs->L, ino_of(&s, "a"));
    sim_media_init_block(s.hdd->media, itb, sim_content_add(s.fs->content, &c));
    g_autoptr(GString) why = g_string_new(NULL);
    g_assert_cmpint(check(&s, why), ==, SIM_OUT_CORRUPT);
    g_assert_nonnull(strstr(why->str, "holds journal commit, not inode table"));
    stack_free(&s);
}

static void test_check_link_count(void)
{
    Stack s;
    build_image(&s);
    settle_home(&s);
    guint32 b = ino_of(&s, "b");
    guint64 itb = sim_fs_itable_block(&s.fs->L, b);
    SimItableBlock *it = snap_copy(&s, itb, sizeof(SimItableBlock));
    it->ino[b % SIM_INODES_PER_BLOCK].links = 2;
    plant(&s, itb, SIM_BT_ITABLE, it);
    g_autoptr(GString) why = g_string_new(NULL);
    g_assert_cmpint(check(&s, why), ==, SIM_OUT_CORRUPT);
    g_assert_nonnull(strstr(why->str, "link count 2 but 1 directory entries"));
    stack_free(&s);
}

/* E1-style stale data: a's block 1 holds zeroes never written to it. */
static void test_check_stale_data(void)
{
    Stack s;
    build_image(&s);
    settle_home(&s);
    guint32 a = ino_of(&s, "a");
    const SimItableBlock *it = snap_copy(&s, sim_fs_itable_block(&s.fs->L, a), sizeof(SimItableBlock));
    guint32 pblk = it->ino[a % SIM_INODES_PER_BLOCK].ext[0].pblk + 1;
    g_free((gpointer)it);
    sim_media_init_block(s.hdd->media, pblk, 0);
    g_autoptr(GString) why = g_string_new(NULL);
    g_assert_cmpint(check(&s, why), ==, SIM_OUT_STALE_DATA);
    g_assert_nonnull(strstr(why->str, "zeroes never written"));
    stack_free(&s);
}

/* lost_fsync: a's block 0 holds its first write, but the last fsync of a
 * covered the second (E4's overwrite). */
static void test_check_lost_fsync(void)
{
    Stack s;
    build_image(&s);
    settle_home(&s);
    guint32 a = ino_of(&s, "a");
    SimToken first = 0;
    for (guint t = 1; t < s.fs->content->vers->len; t++) {
        const SimVer *v = sim_content_get(s.fs->content, t);
        if (v->type == SIM_BT_DATA && v->u.data.ino == a && v->u.data.lblk == 0 && v->u.data.wgen == 1)
            first = t;
    }
    g_assert_cmpuint(first, !=, 0);
    sim_media_init_block(s.hdd->media, sim_content_get(s.fs->content, first)->block, first);
    g_autoptr(GString) why = g_string_new(NULL);
    g_assert_cmpint(check(&s, why), ==, SIM_OUT_LOST_FSYNC);
    g_assert_nonnull(strstr(why->str, "holds an older write"));
    stack_free(&s);
}

static void test_check_unmountable(void)
{
    Stack s;
    build_image(&s);
    SimMedia *m = s.hdd->media;
    SimVer junk = { .type = SIM_BT_JCOMMIT, .tid = 1 };   /* garbage where the journal superblock belongs */
    sim_media_init_block(m, s.fs->L.jstart, sim_content_add(s.fs->content, &junk));
    g_autoptr(GString) why = g_string_new(NULL);
    g_assert_cmpint(check(&s, why), ==, SIM_OUT_UNMOUNTABLE);
    g_assert_nonnull(strstr(why->str, "recovery refused"));
    stack_free(&s);
}

/* ---- ordering claims, watched at every landing ------------------------------ */

typedef struct {
    Stack   *s;
    guint64  landings, checks, home_meta, commits;
    gboolean barrier;
    SimChecker *chk;
    SimOutcome worst;
} Watch;

static void watch_landing(gpointer ud, guint64 block, SimToken old_tok, SimToken new_tok)
{
    Watch *w = ud;
    SimFs *fs = w->s->fs;
    w->landings++;
    const SimVer *v = sim_content_get(fs->content, sim_token_base(new_tok));
    SimLocKind loc = sim_fs_loc(&fs->L, block);
    /* J3 (any barrier setting): a home-location metadata block only ever
     * receives a version whose commit record has completed. */
    if (loc != SIM_LOC_JOURNAL && v->type != SIM_BT_DATA && v->tid) {
        w->home_meta++;
        g_assert_cmpuint(v->tid, !=, fs->running->tid);
        if (fs->committing)
            g_assert_cmpuint(v->tid, !=, fs->committing->tid);
    }
    /* J1 (barriers on, honest disk): when a commit block lands, every block
     * of its transaction is already durable. */
    if (w->barrier && v->type == SIM_BT_JCOMMIT) {
        FsTxn *t = fs->committing;
        g_assert_nonnull(t);
        g_assert_cmpuint(t->tid, ==, v->tid);
        for (guint32 k = 0; k + 1 < t->log_blocks; k++) {
            guint32 pos = (t->log_start - 1 + k) % (fs->L.jblocks - 1) + 1;
            SimToken jt = sim_media_get(w->s->hdd->media, sim_fs_jblock(&fs->L, pos));
            g_assert_cmpuint(sim_content_get(fs->content, jt)->tid, ==, t->tid);
        }
        w->commits++;
    }
    /* Barriers on: no instant is corrupt or loses an acknowledged fsync. */
    if (w->barrier) {
        GPtrArray *pr = sim_fs_promises(fs);
        GString *why = g_string_new(NULL);
        SimOutcome o = sim_check_image(w->chk, w->s->hdd->media, pr, why);
        if (o != SIM_OUT_CONSISTENT)
            g_test_message("t=%.6f: %s", sim_time_to_s(sim_now(w->s->w)), why->str);
        g_assert_cmpint(o, ==, SIM_OUT_CONSISTENT);
        g_string_free(why, TRUE);
        g_ptr_array_free(pr, TRUE);
        w->checks++;
    }
}

static void watch_run(const char *const *dev, const char *const *fs, gboolean barrier, const SimWorkloadCfg *wl,
                      double secs, Watch *w)
{
    static Stack s;
    const char *fs_sets[16];
    guint n = 0;
    for (; fs && *fs; fs++)
        fs_sets[n++] = *fs;
    fs_sets[n++] = "barrier";
    fs_sets[n++] = barrier ? "true" : "false";
    fs_sets[n] = NULL;
    stack_init(&s, dev, fs_sets);
    memset(w, 0, sizeof *w);
    w->s = &s;
    w->barrier = barrier;
    w->chk = sim_checker_new(s.fs);
    sim_media_set_listener(s.hdd->media, watch_landing, w);
    SimRunner *r = sim_runner_new(s.w, s.fs, wl, NULL, NULL, sim_time_from_s(secs));
    sim_world_run(s.w, sim_time_from_s(secs));
    g_assert_cmpuint(sim_runner_stats(r)->fsyncs, >, 0);
    sim_runner_free(r);
    sim_checker_free(w->chk);
    stack_free(&s);
}

static void wl_defaults(SimWorkloadCfg *wl, const char *kind)
{
    sim_params_defaults(&sim_workload_schema, wl);
    g_assert_true(sim_params_set_str(&sim_workload_schema, wl, "kind", kind, NULL));
    wl->think_us = 200;
    wl->dirs = 2;
}

/* Barriers on with a small journal that wraps and checkpoints many times:
 * at every instant a block lands, the image recovers consistent with every
 * acknowledged fsync (J1, J2, E1, E4), and J1/J3 hold at each landing. */
static void test_watch_barrier_on(void)
{
    static const char *const dev[] = { "policy", "satf", NULL };
    static const char *const fs[] = { "journal_mb", "1", NULL };
    SimWorkloadCfg wl;
    Watch w;
    wl_defaults(&wl, "smallfiles");
    watch_run(dev, fs, TRUE, &wl, 4.0, &w);
    g_test_message("smallfiles: %" G_GUINT64_FORMAT " landings checked, %" G_GUINT64_FORMAT " commits, %" G_GUINT64_FORMAT
                   " home metadata writes", w.checks, w.commits, w.home_meta);
    g_assert_cmpuint(w.commits, >, 10);
    g_assert_cmpuint(w.home_meta, >, 10);   /* the journal wrapped: checkpoints happened */
    wl_defaults(&wl, "fsync_append");
    watch_run(dev, fs, TRUE, &wl, 1.0, &w);
    g_assert_cmpuint(w.commits, >, 10);
}

/* J3 holds with barriers off too (home writes only after commit completion). */
static void test_watch_barrier_off_J3(void)
{
    static const char *const dev[] = { "policy", "random", NULL };
    static const char *const fs[] = { "journal_mb", "1", NULL };
    SimWorkloadCfg wl;
    Watch w;
    wl_defaults(&wl, "smallfiles");
    watch_run(dev, fs, FALSE, &wl, 1.5, &w);
    g_assert_cmpuint(w.home_meta, >, 0);
}

/* E4, the pure-overwrite case: the inode is already committed, so fsync's
 * own flush is the only one. With barriers the overwritten block is durable
 * when fsync returns; without, it is still only in the drive's cache. */
static void overwrite_fsync(gboolean barrier, gboolean *durable, guint64 *flushes)
{
    Stack s;
    const char *fs_sets[] = { "barrier", barrier ? "true" : "false", NULL };
    stack_init(&s, NULL, fs_sets);
    g_assert_cmpint(sim_fs_create(s.fs, "d0/f"), ==, 0);
    g_assert_cmpint(sim_fs_write(s.fs, "d0/f", 0, 4096), ==, 0);
    do_fsync(&s, "d0/f");
    sim_world_run(s.w, sim_now(s.w) + SIM_MS(500));      /* everything settles */
    SimDevStats st0, st1;
    s.hdd->ops->get_stats(s.hdd, &st0);
    g_assert_cmpint(sim_fs_write(s.fs, "d0/f", 0, 4096), ==, 0);    /* same size, same block */
    guint32 running_before = s.fs->running->tid;
    do_fsync(&s, "d0/f");
    g_assert_cmpuint(s.fs->running->tid, ==, running_before);       /* no commit was needed */
    s.hdd->ops->get_stats(s.hdd, &st1);
    guint32 ino = 0;
    GPtrArray *pr = sim_fs_promises(s.fs);
    ino = ((SimPromise *)g_ptr_array_index(pr, 0))->ino;
    g_ptr_array_free(pr, TRUE);
    guint32 pblk = g_array_index(s.fs->im[ino].pages, FsPage, 0).pblk;
    const SimVer *v = sim_content_get(s.fs->content, sim_media_get(s.hdd->media, pblk));
    *durable = v->type == SIM_BT_DATA && v->u.data.wgen == 2;
    *flushes = st1.flushes - st0.flushes;
    stack_free(&s);
}

static void test_fsync_overwrite_E4(void)
{
    gboolean durable;
    guint64 flushes;
    overwrite_fsync(TRUE, &durable, &flushes);
    g_assert_true(durable);
    g_assert_cmpuint(flushes, ==, 1);            /* ext4_sync_file's blkdev_issue_flush */
    overwrite_fsync(FALSE, &durable, &flushes);
    g_assert_false(durable);
    g_assert_cmpuint(flushes, ==, 0);
}

/* fsync entanglement (SEMANTICS §2.1, issue 4): in data=ordered an fsync of
 * a small file commits the running transaction, which first writes every
 * newly allocated block of every file in it - here a large unrelated file. */
static void test_fsync_entanglement(void)
{
    for (int big = 0; big < 2; big++) {
        Stack s;
        stack_init(&s, NULL, NULL);
        if (big) {
            g_assert_cmpint(sim_fs_create(s.fs, "d1/big"), ==, 0);
            g_assert_cmpint(sim_fs_write(s.fs, "d1/big", 0, 4 << 20), ==, 0);   /* 1024 new blocks, no fsync */
        }
        g_assert_cmpint(sim_fs_create(s.fs, "d0/small"), ==, 0);
        g_assert_cmpint(sim_fs_write(s.fs, "d0/small", 0, 4096), ==, 0);
        SimTime t0 = sim_now(s.w);
        do_fsync(&s, "d0/small");
        SimTime lat = sim_now(s.w) - t0;
        SimFsStats st;
        sim_fs_get_stats(s.fs, &st);
        g_test_message("big file %s: fsync of a 4 KiB file wrote %" G_GUINT64_FORMAT " data blocks, %.1f ms",
                       big ? "dirty" : "absent", st.data_blocks_written, lat / 1e6);
        if (big)
            g_assert_cmpuint(st.data_blocks_written, >=, 1025);  /* the big file's ordered data went first */
        else
            g_assert_cmpuint(st.data_blocks_written, ==, 1);
        stack_free(&s);
    }
}

/* E5: overwrites of allocated blocks are neither ordered nor atomic. A file
 * of 8 blocks is fsynced, then overwritten without fsync under random
 * destage: some instant shows a mixture of old and new blocks, and every
 * instant is still consistent (an overwrite exposes no stale data). */
typedef struct { Stack *s; guint32 ino; gboolean mixed; SimChecker *chk; } Mix;

static void mix_landing(gpointer ud, guint64 block, SimToken old_tok, SimToken new_tok)
{
    Mix *m = ud;
    guint newer = 0, older = 0;
    for (guint l = 0; l < 8; l++) {
        guint32 pblk = g_array_index(m->s->fs->im[m->ino].pages, FsPage, l).pblk;
        const SimVer *v = sim_content_get(m->s->fs->content, sim_media_get(m->s->hdd->media, pblk));
        if (v->type == SIM_BT_DATA)
            *(v->u.data.wgen >= 2 ? &newer : &older) += 1;
    }
    m->mixed |= newer && older;
    GPtrArray *pr = sim_fs_promises(m->s->fs);
    g_assert_cmpint(sim_check_image(m->chk, m->s->hdd->media, pr, NULL), ==, SIM_OUT_CONSISTENT);
    g_ptr_array_free(pr, TRUE);
}

static void test_overwrite_E5(void)
{
    static const char *const dev[] = { "policy", "random", NULL };
    Stack s;
    stack_init(&s, dev, NULL);
    g_assert_cmpint(sim_fs_create(s.fs, "d0/f"), ==, 0);
    g_assert_cmpint(sim_fs_write(s.fs, "d0/f", 0, 8 * 4096), ==, 0);
    do_fsync(&s, "d0/f");
    sim_world_run(s.w, sim_now(s.w) + SIM_MS(500));
    Mix m = { &s, 0, FALSE, sim_checker_new(s.fs) };
    guint32 igen;
    guint64 size;
    m.ino = sim_fs_stat(s.fs, "d0/f", &igen, &size);
    sim_media_set_listener(s.hdd->media, mix_landing, &m);
    for (guint l = 0; l < 8; l++)                       /* eight separate overwrites */
        g_assert_cmpint(sim_fs_write(s.fs, "d0/f", l * 4096, 4096), ==, 0);
    sim_world_run(s.w, sim_now(s.w) + SIM_S(40));         /* periodic writeback writes them */
    sim_media_set_listener(s.hdd->media, NULL, NULL);
    g_assert_true(m.mixed);
    sim_checker_free(m.chk);
    stack_free(&s);
}

/* Regression (E1): a file whose allocation is in the committing
 * transaction is deleted before that commit writes its ordered data (here:
 * while the first commit waits for its journal-superblock write). ext4
 * writes the data before truncating (jbd2_journal_begin_ordered_truncate);
 * dropping the pages would let the commit record an allocation whose block
 * never gets its data. */
static void test_unlink_during_commit_E1(void)
{
    static const char *const dev[] = { "cache_mb", "0", NULL };
    Stack s;
    stack_init(&s, dev, NULL);
    g_assert_cmpint(sim_fs_create(s.fs, "d0/a"), ==, 0);
    g_assert_cmpint(sim_fs_write(s.fs, "d0/a", 0, 8192), ==, 0);
    g_assert_cmpint(sim_fs_create(s.fs, "d0/b"), ==, 0);
    gboolean done = FALSE;
    g_assert_cmpint(sim_fs_fsync(s.fs, "d0/b", FALSE, done_flag, &done), ==, 1);
    while (!s.fs->committing)                           /* the commit of T1 has switched */
        sim_world_run(s.w, sim_now(s.w) + SIM_US(10));
    g_assert_cmpint(sim_fs_unlink(s.fs, "d0/a"), ==, 0); /* in T2, before T1 wrote a's data */
    while (!done)
        sim_world_run(s.w, sim_now(s.w) + SIM_MS(1));
    /* T1 is durable (write-through disk) and T2 is not committed: a exists */
    g_autoptr(GString) why = g_string_new(NULL);
    SimChecker *c = sim_checker_new(s.fs);
    GPtrArray *pr = sim_fs_promises(s.fs);
    SimOutcome o = sim_check_image(c, s.hdd->media, pr, why);
    g_ptr_array_free(pr, TRUE);
    sim_checker_free(c);
    g_test_message("%s", why->str);
    g_assert_cmpint(o, ==, SIM_OUT_CONSISTENT);
    stack_free(&s);
}

/* T2: a write torn over the file's own block is not stale data - what
 * landed and what it tore over are both this file's block 0 - while a
 * write torn over another file's old block is. */
static void test_torn_own_block(void)
{
    static const char *const dev[] = { "cache_mb", "0", NULL };
    Stack s;
    stack_init(&s, dev, NULL);
    g_assert_cmpint(sim_fs_create(s.fs, "d0/a"), ==, 0);
    g_assert_cmpint(sim_fs_write(s.fs, "d0/a", 0, 4096), ==, 0);
    do_fsync(&s, "d0/a");
    guint32 igen;
    guint64 size;
    guint32 ino = sim_fs_stat(s.fs, "d0/a", &igen, &size);
    guint32 pblk = g_array_index(s.fs->im[ino].pages, FsPage, 0).pblk;
    SimToken first = sim_media_get(s.hdd->media, pblk);
    g_assert_cmpint(sim_fs_write(s.fs, "d0/a", 0, 4096), ==, 0);   /* wgen 2, durable on fsync */
    do_fsync(&s, "d0/a");
    SimToken second = sim_media_get(s.hdd->media, pblk);
    g_assert_cmpuint(first, !=, second);
    /* the second write torn over the first */
    sim_media_init_block(s.hdd->media, pblk, first);
    sim_media_set(s.hdd->media, pblk, sim_media_token_torn(second));
    g_autoptr(GString) why = g_string_new(NULL);
    SimChecker *c = sim_checker_new(s.fs);
    GPtrArray *pr = sim_fs_promises(s.fs);
    /* consistent for the structure and the data; the fsync of write 2 is
     * not kept (its bytes are only partly there) */
    g_assert_cmpint(sim_check_image(c, s.hdd->media, pr, why), ==, SIM_OUT_LOST_FSYNC);
    /* torn over zeroes (a block this file never had): stale */
    sim_media_init_block(s.hdd->media, pblk, 0);
    sim_media_set(s.hdd->media, pblk, sim_media_token_torn(second));
    g_assert_cmpint(sim_check_image(c, s.hdd->media, pr, why), ==, SIM_OUT_STALE_DATA);
    g_ptr_array_free(pr, TRUE);
    sim_checker_free(c);
    stack_free(&s);
}

/* An fsync promises the inode's data, not a name: after a rename the
 * promise follows the inode (either name may survive a cut), and is still
 * checked. */
static void test_promise_follows_rename(void)
{
    static const char *const dev[] = { "cache_mb", "0", NULL };
    Stack s;
    stack_init(&s, dev, NULL);
    g_assert_cmpint(sim_fs_create(s.fs, "d0/f"), ==, 0);
    g_assert_cmpint(sim_fs_write(s.fs, "d0/f", 0, 8192), ==, 0);
    do_fsync(&s, "d0/f");
    GPtrArray *pr = sim_fs_promises(s.fs);
    g_assert_cmpuint(pr->len, ==, 1);
    g_assert_cmpuint(((SimPromise *)g_ptr_array_index(pr, 0))->dir_ino, !=, 0);   /* bound to d0/f */
    g_ptr_array_free(pr, TRUE);
    g_assert_cmpint(sim_fs_rename(s.fs, "d0/f", "d1/g"), ==, 0);                  /* not committed yet */
    pr = sim_fs_promises(s.fs);
    g_assert_cmpuint(pr->len, ==, 1);
    SimPromise *p = g_ptr_array_index(pr, 0);
    g_assert_cmpuint(p->dir_ino, ==, 0);                                         /* follows the inode */
    SimChecker *c = sim_checker_new(s.fs);
    g_autoptr(GString) why = g_string_new(NULL);
    g_assert_cmpint(sim_check_image(c, s.hdd->media, pr, why), ==, SIM_OUT_CONSISTENT);  /* still d0/f on disk */
    /* the promised data is still checked: lose block 1 */
    guint32 pblk = g_array_index(s.fs->im[p->ino].pages, FsPage, 1).pblk;
    SimToken keep = sim_media_get(s.hdd->media, pblk);
    sim_media_init_block(s.hdd->media, pblk, 0);
    g_assert_cmpint(sim_check_image(c, s.hdd->media, pr, why), !=, SIM_OUT_CONSISTENT);
    sim_media_init_block(s.hdd->media, pblk, keep);
    g_ptr_array_free(pr, TRUE);
    sim_checker_free(c);
    stack_free(&s);
}

static void test_schema(void)
{
    GError *err = NULL;
    g_assert_true(sim_params_validate_schema(&sim_fs_schema, &err));
    g_assert_true(sim_params_validate_schema(&sim_workload_schema, &err));
    g_assert_true(sim_params_validate_schema(&sim_hdd_schema, &err));
    g_assert_no_error(err);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/fs/schema", test_schema);
    g_test_add_func("/recover/clean", test_recover_clean);
    g_test_add_func("/recover/prefix-J5", test_recover_prefix_J5);
    g_test_add_func("/recover/stale-body-J4a", test_recover_stale_body_J4a);
    g_test_add_func("/recover/revoke-J6", test_recover_revoke_J6);
    g_test_add_func("/recover/wrap", test_recover_wrap);
    g_test_add_func("/recover/garbled", test_recover_garbled);
    g_test_add_func("/check/consistent", test_check_consistent);
    g_test_add_func("/check/inode-bitmap", test_check_inode_bitmap);
    g_test_add_func("/check/double-claim", test_check_block_bitmap_and_double_claim);
    g_test_add_func("/check/garbage-location", test_check_garbage_location);
    g_test_add_func("/check/link-count", test_check_link_count);
    g_test_add_func("/check/stale-data", test_check_stale_data);
    g_test_add_func("/check/lost-fsync", test_check_lost_fsync);
    g_test_add_func("/check/unmountable", test_check_unmountable);
    g_test_add_func("/fs/fsync-overwrite-E4", test_fsync_overwrite_E4);
    g_test_add_func("/fs/fsync-entanglement", test_fsync_entanglement);
    g_test_add_func("/fs/unlink-during-commit-E1", test_unlink_during_commit_E1);
    g_test_add_func("/fs/torn-own-block-T2", test_torn_own_block);
    g_test_add_func("/fs/promise-follows-rename", test_promise_follows_rename);
    g_test_add_func("/fs/overwrite-not-atomic-E5", test_overwrite_E5);
    g_test_add_func("/fs/every-landing-barrier-on-J1-J2", test_watch_barrier_on);
    g_test_add_func("/fs/every-landing-barrier-off-J3", test_watch_barrier_off_J3);
    return g_test_run();
}

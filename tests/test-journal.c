/* tests/test-journal.c - data modes, journal checksums, async commit and
 * revoke records (issue 4; SEMANTICS §1.5, §2, claims J1-J8, E1-E4).
 *
 * Three levels:
 *   recovery on hand-built journals, whose expected replay is worked out by
 *     hand in the comment above each case (the log layout the file system
 *     writes: [revoke] descriptor copies... commit; the v1 crc is the fold
 *     sim_jcsum_fold over the descriptor and copy tokens in log order);
 *   the file system: the refusal of async_commit with data=ordered, where
 *     data=journal puts the data (the log, then home after the commit), its
 *     revoke records, and E3 checked at every instant a block lands;
 *   end to end through scenarios/journal-modes.lua,
 *     scenarios/journal-checksum.lua and tests/data/journal-async.lua
 *     (>= 2000 sampled cuts per row), with the cut-by-cut comparison of the
 *     same runs with and without checksums.
 *
 * Expected values come from the claims, never from program output. Data:
 * $POWERCUT_TEST_DATA, else tests/data found as test-matrix finds it. Seed 1,
 * or $POWERCUT_TEST_SEED.
 */
#include "fsutil.h"
#include <string.h>
#include "testutil.h"
#include "run.h"
#include "crash/crash.h"
#include "dev/hdd.h"
#include "fs/fs-priv.h"
#include "fs/runner.h"

#define MIN_TRIALS 2000

static char   *data_dir;
static char   *root_dir;
static guint64 master_seed = 1;

/* ==== hand-built journals ================================================== */

/* A 16-block journal at block 500: the superblock, then log positions 1..15. */
#define NPOS   15
#define JSTART 500
#define NEXT(p) ((p) % NPOS + 1)

typedef struct {
    SimFsLayout L;
    SimContent *C;
    SimMedia   *m;
    SimRecovery r;
} Journal;

static void journal_init(Journal *j, SimJournalCsum csum, gboolean async)
{
    memset(&j->L, 0, sizeof j->L);
    j->L.nblocks = 1000;
    j->L.jstart = JSTART;
    j->L.jblocks = NPOS + 1;
    j->L.jcsum = (guint8)csum;
    j->L.jasync = async;
    j->C = sim_content_new();
    j->m = sim_media_new(1000);
    sim_recovery_init(&j->r);
}

static void journal_free(Journal *j)
{
    sim_recovery_clear(&j->r);
    sim_media_free(j->m);
    sim_content_free(j->C);
}

static void put_jsb(Journal *j, guint32 start, guint32 seq)
{
    SimVer v = { .type = SIM_BT_JSB, .block = JSTART };
    v.u.jsb.start = start;
    v.u.jsb.sequence = seq;
    sim_media_init_block(j->m, JSTART, sim_content_add(j->C, &v));
}

static void put(Journal *j, guint32 pos, SimToken t) { sim_media_init_block(j->m, JSTART + pos, t); }

/* A journaled metadata copy for home block `home` written by tid (each call
 * a distinct version). */
static SimToken meta(Journal *j, guint32 home, guint32 tid)
{
    static const SimItableBlock empty;
    return sim_content_add_meta(j->C, SIM_BT_ITABLE, home, tid, &empty, NULL, NULL);
}

static SimToken revoke_tok(Journal *j, guint32 pos, guint32 tid, guint n, const guint32 *blocks)
{
    SimJRevoke *r = g_malloc(sizeof(SimJRevoke) + n * sizeof(guint32));
    r->n = n;
    memcpy(r->blocks, blocks, n * sizeof(guint32));
    SimVer v = { .type = SIM_BT_JREVOKE, .block = JSTART + pos, .tid = tid };
    v.u.snap = r;
    return sim_content_add(j->C, &v);
}

/* A transaction as journal.c lays it out: its revoke block (if any), the
 * descriptor, the copies, the commit block holding the v1 crc (the fold of
 * the descriptor and copy tokens in log order; 0 without a descriptor) and
 * the commit time. Positions are filled in by put_txn. */
typedef struct {
    guint32  tid, time_ms;
    guint    n;                 /* tags */
    guint32  home[4];
    SimToken copy[4];           /* what the transaction wrote */
    guint    nrev;
    guint32  rev[4];            /* blocks revoked */
    gboolean no_commit;
    gboolean zero_crc;          /* store 0 instead of the crc (v3 does not use it) */
    /* out */
    guint32  pos_rev, pos_desc, pos_copy[4], pos_commit, next;
    SimToken rev_tok, desc_tok;
} Txn;

static guint32 put_txn(Journal *j, guint32 pos, Txn *t)
{
    guint32 crc = 0;
    if (t->nrev) {
        t->pos_rev = pos;
        t->rev_tok = revoke_tok(j, pos, t->tid, t->nrev, t->rev);
        put(j, pos, t->rev_tok);
        pos = NEXT(pos);
    }
    if (t->n) {
        SimJDesc *d = g_malloc(sizeof(SimJDesc) + t->n * sizeof(SimJTag));
        d->ntags = t->n;
        for (guint i = 0; i < t->n; i++)
            d->tags[i] = (SimJTag){ t->home[i], t->copy[i] };
        SimVer v = { .type = SIM_BT_JDESC, .block = JSTART + pos, .tid = t->tid };
        v.u.snap = d;
        t->desc_tok = sim_content_add(j->C, &v);
        t->pos_desc = pos;
        put(j, pos, t->desc_tok);
        crc = sim_jcsum_fold(crc, t->desc_tok);
        for (guint i = 0; i < t->n; i++) {
            pos = NEXT(pos);
            t->pos_copy[i] = pos;
            put(j, pos, t->copy[i]);
            crc = sim_jcsum_fold(crc, t->copy[i]);
        }
        pos = NEXT(pos);
    }
    t->pos_commit = pos;
    if (!t->no_commit) {
        SimVer c = { .type = SIM_BT_JCOMMIT, .block = JSTART + pos, .tid = t->tid };
        c.u.commit.csum = t->zero_crc ? 0 : crc;
        c.u.commit.time_ms = t->time_ms;
        put(j, pos, sim_content_add(j->C, &c));
    }
    t->next = NEXT(pos);
    return t->next;
}

static SimRecovery *recover(Journal *j)
{
    sim_recover(&j->L, j->C, j->m, &j->r);
    g_test_message("  recovery: %s%s (replayed T%u..T%u, stop at %u)", j->r.refused ? "REFUSED: " : "",
                   j->r.why, j->r.first_tid, j->r.last_tid, j->r.stop_pos);
    return &j->r;
}

/* Replayed content of home block b (0 when not replayed). */
static SimToken replayed(Journal *j, guint32 b)
{
    const SimReplay *rp = sim_recovery_find(&j->r, b);
    return rp ? rp->tok : 0;
}

/* The three transactions most cases use, s_start = 1, s_sequence = 5:
 *   T5: 1 desc[10]      2 copy(10)                  3 commit (t=100)
 *   T6: 4 desc[11,12]   5 copy(11)   6 copy(12)     7 commit (t=200)
 *   T7: 8 desc[13]      9 copy(13)                 10 commit (t=300)
 *   11: zeroes - the end of the log. */
typedef struct { Txn t5, t6, t7; } Three;

static void three(Journal *j, Three *x, gboolean with_t7, gboolean zero_crc)
{
    memset(x, 0, sizeof *x);
    x->t5 = (Txn){ .tid = 5, .time_ms = 100, .n = 1, .home = { 10 }, .copy = { meta(j, 10, 5) }, .zero_crc = zero_crc };
    x->t6 = (Txn){ .tid = 6, .time_ms = 200, .n = 2, .home = { 11, 12 }, .copy = { meta(j, 11, 6), meta(j, 12, 6) },
                   .zero_crc = zero_crc };
    x->t7 = (Txn){ .tid = 7, .time_ms = 300, .n = 1, .home = { 13 }, .copy = { meta(j, 13, 7) }, .zero_crc = zero_crc };
    put_jsb(j, 1, 5);
    guint32 p = put_txn(j, 1, &x->t5);
    g_assert_cmpuint(p, ==, 4);
    p = put_txn(j, p, &x->t6);
    g_assert_cmpuint(p, ==, 8);
    if (with_t7)
        g_assert_cmpuint(put_txn(j, p, &x->t7), ==, 11);
}

/* A block an older lap of the log left: T2's copy of block 40. */
static SimToken stale(Journal *j) { return meta(j, 40, 2); }

static void assert_replayed_all(Journal *j, Three *x)
{
    g_assert_false(j->r.refused);
    g_assert_cmpuint(j->r.first_tid, ==, 5);
    g_assert_cmpuint(j->r.last_tid, ==, 7);
    g_assert_cmpuint(replayed(j, 10), ==, x->t5.copy[0]);
    g_assert_cmpuint(replayed(j, 11), ==, x->t6.copy[0]);
    g_assert_cmpuint(replayed(j, 12), ==, x->t6.copy[1]);
    g_assert_cmpuint(replayed(j, 13), ==, x->t7.copy[0]);
}

/* J4a with v1, synchronous commit.
 * Intact: every commit's crc matches, T5..T7 are replayed.
 * Position 6 (T6's copy of block 12) holds a stale block from an older lap:
 *   none: replay copies it to block 12 - silent corruption (J4a);
 *   v1:   T6's fold (desc6, copy11, stale) differs from the stored one
 *         (desc6, copy11, copy12); T6's commit time 200 is not older than
 *         T5's 100, and the journal is not async: j_failed_commit = 6,
 *         "JBD2: journal transaction 6 is corrupt", the mount fails - no
 *         transaction is replayed (§1.5).
 * The same mismatch in a commit OLDER than the previous one (time 50 < 100)
 * is a stale commit block from a previous journal: the scan ends there
 * successfully, T5 is replayed (§1.5 first rule). */
static void test_v1_mismatch_refused(void)
{
    Journal j;
    Three x;
    journal_init(&j, SIM_JCSUM_V1, FALSE);
    three(&j, &x, TRUE, FALSE);
    recover(&j);
    assert_replayed_all(&j, &x);

    SimToken st = stale(&j);
    put(&j, 6, st);
    recover(&j);
    g_assert_true(j.r.refused);
    g_assert_nonnull(strstr(j.r.why, "journal transaction 6 is corrupt"));

    /* no checksum: the stale block is replayed home */
    j.L.jcsum = SIM_JCSUM_NONE;
    recover(&j);
    g_assert_false(j.r.refused);
    g_assert_cmpuint(j.r.last_tid, ==, 7);
    g_assert_cmpuint(replayed(&j, 12), ==, st);
    g_assert_cmpuint(sim_recovery_find(&j.r, 12)->intended, ==, x.t6.copy[1]);
    journal_free(&j);

    /* v1, T6's commit older than T5's: a stale commit, the log ends there */
    journal_init(&j, SIM_JCSUM_V1, FALSE);
    memset(&x, 0, sizeof x);
    x.t5 = (Txn){ .tid = 5, .time_ms = 100, .n = 1, .home = { 10 }, .copy = { meta(&j, 10, 5) } };
    x.t6 = (Txn){ .tid = 6, .time_ms = 50, .n = 2, .home = { 11, 12 }, .copy = { meta(&j, 11, 6), meta(&j, 12, 6) } };
    put_jsb(&j, 1, 5);
    put_txn(&j, put_txn(&j, 1, &x.t5), &x.t6);
    put(&j, 6, stale(&j));
    recover(&j);
    g_assert_false(j.r.refused);
    g_assert_cmpuint(j.r.last_tid, ==, 5);
    g_assert_cmpuint(j.r.stop_pos, ==, 7);
    g_assert_cmpuint(replayed(&j, 10), ==, x.t5.copy[0]);
    g_assert_null(sim_recovery_find(&j.r, 11));
    g_assert_null(sim_recovery_find(&j.r, 12));
    journal_free(&j);
}

/* J7, v1 + journal_async_commit (§1.5 "If async: keep scanning").
 * T5 and T6 only (position 8 on: zeroes), position 6 stale:
 *   T6's crc mismatches: end_transaction = 6, the scan goes on, finds no
 *   later commit (position 8 is zeroes): no j_failed_commit. The torn last
 *   transaction is discarded, T5 is replayed: block 10 = T5's copy, blocks
 *   11 and 12 untouched - a clean loss of T6, no refusal.
 * T7 after it with a valid commit (8-10): a later commit block after the
 *   failed one sets j_failed_commit = 6: "journal transaction 6 is corrupt",
 *   refused.
 * T7's descriptor and copy but no commit block: still no later commit, so
 *   no refusal; T5 only.
 * The first layout without async: refused (the sync rule, J4a). */
static void test_v1_async_torn_last_J7(void)
{
    Journal j;
    Three x;
    journal_init(&j, SIM_JCSUM_V1, TRUE);
    three(&j, &x, FALSE, FALSE);
    recover(&j);
    g_assert_false(j.r.refused);
    g_assert_cmpuint(j.r.last_tid, ==, 6);
    put(&j, 6, stale(&j));
    recover(&j);
    g_assert_false(j.r.refused);
    g_assert_cmpuint(j.r.first_tid, ==, 5);
    g_assert_cmpuint(j.r.last_tid, ==, 5);
    g_assert_cmpuint(replayed(&j, 10), ==, x.t5.copy[0]);
    g_assert_null(sim_recovery_find(&j.r, 11));
    g_assert_null(sim_recovery_find(&j.r, 12));
    g_assert_cmpuint(j.r.replay->len, ==, 1);

    /* the same without async_commit: refused */
    j.L.jasync = FALSE;
    recover(&j);
    g_assert_true(j.r.refused);
    g_assert_nonnull(strstr(j.r.why, "journal transaction 6 is corrupt"));
    j.L.jasync = TRUE;

    /* T7 complete after the bad T6: refused */
    g_assert_cmpuint(put_txn(&j, 8, &x.t7), ==, 11);
    recover(&j);
    g_assert_true(j.r.refused);
    g_assert_nonnull(strstr(j.r.why, "journal transaction 6 is corrupt"));

    /* T7 without its commit block: no later commit, no refusal */
    put(&j, 10, 0);
    recover(&j);
    g_assert_false(j.r.refused);
    g_assert_cmpuint(j.r.last_tid, ==, 5);
    g_assert_cmpuint(replayed(&j, 10), ==, x.t5.copy[0]);
    g_assert_null(sim_recovery_find(&j.r, 13));
    journal_free(&j);
}

/* v3 (metadata_csum): each tag carries its copy's checksum, checked in the
 * replay pass; the commit block checksums only itself, so the v1 crc field
 * is unused (the layouts here store 0 there).
 * Intact: T5..T7 replayed, whatever the crc field holds.
 * Position 6 stale: T6's tag for block 12 fails -> -EFSBADCRC, recovery
 *   failed, the mount is refused (J4a with v3).
 * Position 9 stale (T7, the last transaction): the same - v3 does not
 *   discard a torn last transaction, its tag check fails recovery. */
static void test_v3_tag_mismatch(void)
{
    Journal j;
    Three x;
    journal_init(&j, SIM_JCSUM_V3, FALSE);
    three(&j, &x, TRUE, TRUE);
    recover(&j);
    assert_replayed_all(&j, &x);

    put(&j, 6, stale(&j));
    recover(&j);
    g_assert_true(j.r.refused);
    g_assert_nonnull(strstr(j.r.why, "fails its checksum"));
    g_assert_nonnull(strstr(j.r.why, "block 12"));

    put(&j, 6, x.t6.copy[1]);
    recover(&j);
    assert_replayed_all(&j, &x);
    put(&j, 9, stale(&j));
    recover(&j);
    g_assert_true(j.r.refused);
    g_assert_nonnull(strstr(j.r.why, "fails its checksum"));

    /* async changes nothing for v3: its commit block is not a crc of the body */
    j.L.jasync = TRUE;
    recover(&j);
    g_assert_true(j.r.refused);
    journal_free(&j);
}

/* §1.5 REPLAY, in this order for each tag: "skip it if revoked; v2/v3:
 * verify the tag checksum". A revoked tag is skipped before its checksum is
 * looked at (jbd2_journal_test_revoke comes first in do_one_pass).
 *   T5: 1 desc[10]  2 copy(10) - STALE        3 commit (t=100)
 *   T6: 4 revoke[10]  5 desc[11]  6 copy(11)  7 commit (t=200)
 * Block 10 is revoked in T6 >= 5: T5's tag is skipped, its bad checksum
 * never checked. Recovery succeeds: T5..T6, block 10 not replayed, block 11
 * = T6's copy. */
static void test_v3_revoked_tag_skipped(void)
{
    Journal j;
    journal_init(&j, SIM_JCSUM_V3, FALSE);
    put_jsb(&j, 1, 5);
    Txn t5 = { .tid = 5, .time_ms = 100, .n = 1, .home = { 10 }, .copy = { meta(&j, 10, 5) } };
    Txn t6 = { .tid = 6, .time_ms = 200, .n = 1, .home = { 11 }, .copy = { meta(&j, 11, 6) }, .nrev = 1, .rev = { 10 } };
    put_txn(&j, put_txn(&j, 1, &t5), &t6);
    g_assert_cmpuint(t6.pos_rev, ==, 4);
    recover(&j);
    g_assert_false(j.r.refused);
    g_assert_cmpuint(j.r.last_tid, ==, 6);
    g_assert_null(sim_recovery_find(&j.r, 10));
    put(&j, 2, stale(&j));
    recover(&j);
    g_assert_false(j.r.refused);
    g_assert_cmpuint(j.r.last_tid, ==, 6);
    g_assert_null(sim_recovery_find(&j.r, 10));
    g_assert_cmpuint(replayed(&j, 11), ==, t6.copy[0]);
    journal_free(&j);
}

/* J8: v1's crc covers the descriptor and copy blocks, not revoke blocks.
 *   T5: 1 desc[10]  2 copy(10)                      3 commit (t=100)
 *   T6: 4 revoke[10]  5 desc[11]  6 copy(11)        7 commit (t=200)
 * Intact: block 10 revoked in T6 is not replayed from T5 (J6), 11 = T6's copy.
 * Position 4 holds a revoke block of T6 whose header survived but whose
 *   list is garbage (it names block 99, not 10): the crc still matches, T6
 *   is replayed with the wrong revoke list - block 10 gets T5's copy. The
 *   torn revoke went unnoticed.
 * Position 4 torn: if its header sector survived, as above; if not, the
 *   log ends at 4 (J5) and T6 is not replayed. Either way no refusal, and
 *   block 10 gets T5's copy.
 * A tampered COPY instead (position 6 stale): the crc catches it, refused.
 * v3: a revoke block has its own tail checksum; a torn one fails it in the
 *   scan pass (need_check_commit_time: recovery.c, JBD2_REVOKE_BLOCK), and
 *   T6's commit block that follows is newer than T5's: -EFSBADCRC,
 *   recovery fails (§1.5, J8 "v2/v3 do"). (A torn block whose header
 *   sector did not survive would end the log instead; an HDD tears a
 *   prefix - SEMANTICS T2 - so the header, written first, is the new one.) */
static void test_J8_revoke_not_in_v1_crc(void)
{
    Journal j;
    journal_init(&j, SIM_JCSUM_V1, FALSE);
    put_jsb(&j, 1, 5);
    Txn t5 = { .tid = 5, .time_ms = 100, .n = 1, .home = { 10 }, .copy = { meta(&j, 10, 5) } };
    Txn t6 = { .tid = 6, .time_ms = 200, .n = 1, .home = { 11 }, .copy = { meta(&j, 11, 6) }, .nrev = 1, .rev = { 10 } };
    put_txn(&j, put_txn(&j, 1, &t5), &t6);
    g_assert_cmpuint(t6.pos_rev, ==, 4);
    g_assert_cmpuint(t6.pos_commit, ==, 7);
    recover(&j);
    g_assert_false(j.r.refused);
    g_assert_cmpuint(j.r.last_tid, ==, 6);
    g_assert_null(sim_recovery_find(&j.r, 10));
    g_assert_cmpuint(replayed(&j, 11), ==, t6.copy[0]);

    /* a garbled revoke list under an intact header */
    guint32 wrong = 99;
    put(&j, 4, revoke_tok(&j, 4, 6, 1, &wrong));
    recover(&j);
    g_assert_false(j.r.refused);
    g_assert_cmpuint(j.r.last_tid, ==, 6);
    g_assert_cmpuint(replayed(&j, 10), ==, t5.copy[0]);     /* the revoke is lost, silently */
    g_assert_cmpuint(replayed(&j, 11), ==, t6.copy[0]);

    /* a torn revoke block: whether its header survived (then the list is
     * garbage, as above) or not (then the log ends at 4), no refusal, and
     * T5's copy of block 10 is replayed */
    put(&j, 4, sim_media_token_torn(t6.rev_tok));
    recover(&j);
    g_assert_false(j.r.refused);
    g_assert_cmpuint(replayed(&j, 10), ==, t5.copy[0]);

    /* a tampered copy is detected */
    put(&j, 4, t6.rev_tok);
    put(&j, 6, stale(&j));
    recover(&j);
    g_assert_true(j.r.refused);
    g_assert_nonnull(strstr(j.r.why, "journal transaction 6 is corrupt"));

    /* v3 detects the torn revoke block */
    put(&j, 6, t6.copy[0]);
    put(&j, 4, sim_media_token_torn(t6.rev_tok));
    j.L.jcsum = SIM_JCSUM_V3;
    recover(&j);
    g_assert_true(j.r.refused);
    journal_free(&j);
}

/* J6 with checksums on (v1 and v3, sync and async):
 *   T5: 1 desc[10,11]  2 copy(10)  3 copy(11)  4 commit (t=100)
 *   T6: 5 revoke[10]                           6 commit (t=200, crc of nothing: 0)
 *   T7: 7 desc[10]     8 copy(10)              9 commit (t=300)
 * With T5..T6 in the log: block 10 revoked in T6 is not replayed from T5;
 * block 11 (not revoked) is. With T7 too: block 10 is replayed from T7
 * (7 > 6). Every commit's crc matches, so nothing is refused. */
static void test_J6_revoke_with_checksums(void)
{
    const struct { SimJournalCsum csum; gboolean async; } v[] = {
        { SIM_JCSUM_V1, FALSE }, { SIM_JCSUM_V1, TRUE }, { SIM_JCSUM_V3, FALSE }, { SIM_JCSUM_V3, TRUE },
    };
    for (guint i = 0; i < G_N_ELEMENTS(v); i++) {
        g_test_message("csum %s, async %d", v[i].csum == SIM_JCSUM_V1 ? "v1" : "v3", v[i].async);
        Journal j;
        journal_init(&j, v[i].csum, v[i].async);
        put_jsb(&j, 1, 5);
        Txn t5 = { .tid = 5, .time_ms = 100, .n = 2, .home = { 10, 11 }, .copy = { meta(&j, 10, 5), meta(&j, 11, 5) } };
        Txn t6 = { .tid = 6, .time_ms = 200, .nrev = 1, .rev = { 10 } };
        Txn t7 = { .tid = 7, .time_ms = 300, .n = 1, .home = { 10 }, .copy = { meta(&j, 10, 7) } };
        guint32 p = put_txn(&j, put_txn(&j, 1, &t5), &t6);
        g_assert_cmpuint(t6.pos_commit, ==, 6);
        recover(&j);
        g_assert_false(j.r.refused);
        g_assert_cmpuint(j.r.last_tid, ==, 6);
        g_assert_null(sim_recovery_find(&j.r, 10));
        g_assert_cmpuint(replayed(&j, 11), ==, t5.copy[1]);
        put_txn(&j, p, &t7);
        g_assert_cmpuint(t7.pos_commit, ==, 9);
        recover(&j);
        g_assert_false(j.r.refused);
        g_assert_cmpuint(j.r.last_tid, ==, 7);
        g_assert_cmpuint(replayed(&j, 10), ==, t7.copy[0]);
        g_assert_cmpuint(replayed(&j, 11), ==, t5.copy[1]);
        journal_free(&j);
    }
}

/* v1 across the wrap: T8 starts at 14 of 15 positions: 14 desc[30,31],
 * 15 copy(30), 1 copy(31), 2 commit; the crc folds in log order across the
 * wrap. Intact: replayed. Position 1 stale: refused. */
static void test_v1_wrap(void)
{
    Journal j;
    journal_init(&j, SIM_JCSUM_V1, FALSE);
    put_jsb(&j, 14, 8);
    Txn t8 = { .tid = 8, .time_ms = 100, .n = 2, .home = { 30, 31 }, .copy = { meta(&j, 30, 8), meta(&j, 31, 8) } };
    g_assert_cmpuint(put_txn(&j, 14, &t8), ==, 3);
    g_assert_cmpuint(t8.pos_copy[1], ==, 1);
    recover(&j);
    g_assert_false(j.r.refused);
    g_assert_cmpuint(j.r.last_tid, ==, 8);
    g_assert_cmpuint(replayed(&j, 31), ==, t8.copy[1]);
    put(&j, 1, stale(&j));
    recover(&j);
    g_assert_true(j.r.refused);
    g_assert_nonnull(strstr(j.r.why, "journal transaction 8 is corrupt"));
    journal_free(&j);
}

/* ==== the file system ======================================================== */

static guint32 pblk_of(Stack *s, const char *path, guint32 lblk)
{
    guint32 igen;
    guint64 size;
    guint32 ino = sim_fs_stat(s->fs, path, &igen, &size);
    g_assert_cmpuint(ino, !=, 0);
    return g_array_index(s->fs->im[ino].pages, FsPage, lblk).pblk;
}

/* ext4 refuses journal_async_commit with data=ordered, with its reason
 * (SEMANTICS §2.1); writeback and journal accept it. async_commit implies
 * journal_checksum: the journal gets v1 unless v3 was asked for (§1.1). */
static void test_async_ordered_refused(void)
{
    SimFsCfg fc;
    sim_params_defaults(&sim_fs_schema, &fc);
    GError *e = NULL;
    g_assert_cmpint(fc.data_mode, ==, SIM_DATA_ORDERED);     /* ext4's default */
    g_assert_true(sim_fs_cfg_validate(&fc, &e));
    fc.async_commit = TRUE;
    g_assert_false(sim_fs_cfg_validate(&fc, &e));
    g_assert_error(e, SIM_PARAMS_ERROR, SIM_PARAMS_ERROR_VALUE);
    g_assert_nonnull(strstr(e->message, "can't mount with journal_async_commit in data=ordered mode"));
    g_clear_error(&e);
    fc.data_mode = SIM_DATA_WRITEBACK;
    g_assert_true(sim_fs_cfg_validate(&fc, &e));
    fc.data_mode = SIM_DATA_JOURNAL;
    g_assert_true(sim_fs_cfg_validate(&fc, &e));
    g_assert_no_error(e);

    /* a scenario asking for it does not load */
    g_autofree char *path = g_build_filename(data_dir, "journal-refused.lua", NULL);
    SimScenario *sc = sim_scenario_load(path, NULL, master_seed, &e);
    g_assert_null(sc);
    g_assert_nonnull(e);
    g_test_message("%s", e->message);
    g_assert_nonnull(strstr(e->message, "can't mount with journal_async_commit in data=ordered mode"));
    g_clear_error(&e);

    static const char *const wb_none[] = { "data", "writeback", "async_commit", "true", NULL };
    static const char *const jn_v3[] = { "data", "journal", "async_commit", "true", "journal_csum", "v3", NULL };
    Stack s;
    stack_init(&s, NULL, wb_none);
    g_assert_cmpuint(sim_fs_layout(s.fs)->jcsum, ==, SIM_JCSUM_V1);
    g_assert_true(sim_fs_layout(s.fs)->jasync);
    stack_free(&s);
    stack_init(&s, NULL, jn_v3);
    g_assert_cmpuint(sim_fs_layout(s.fs)->jcsum, ==, SIM_JCSUM_V3);
    stack_free(&s);
}

/* ---- watching blocks land -------------------------------------------------- */

typedef struct {
    Stack  *s;
    guint32 ino;                 /* the file watched */
    guint   log_data, home_data; /* its data blocks landing in the log / at home */
    guint   home_before_commit;  /* home data landings whose transaction's commit had not landed */
    GHashTable *commits_landed;  /* tid -> 1 */
    gboolean first_commit;       /* the first commit block has landed; then: */
    guint   log_at_commit, home_at_commit;   /* what of the file had landed by then */
    guint32 wgen_home[4];        /* last write generation landed at home per file block */
} DataWatch;

static void data_landing(gpointer ud, guint64 block, SimToken old_tok, SimToken new_tok)
{
    DataWatch *d = ud;
    SimFs *fs = d->s->fs;
    const SimVer *v = sim_content_get(fs->content, sim_token_base(new_tok));
    if (v->type == SIM_BT_JCOMMIT) {
        g_hash_table_add(d->commits_landed, GUINT_TO_POINTER(v->tid));
        if (!d->first_commit) {
            d->first_commit = TRUE;
            d->log_at_commit = d->log_data;
            d->home_at_commit = d->home_data;
        }
    }
    if (v->type != SIM_BT_DATA || v->u.data.ino != d->ino)
        return;
    if (sim_fs_loc(&fs->L, block) == SIM_LOC_JOURNAL) {
        d->log_data++;
        g_assert_cmpuint(v->block, ==, pblk_of(d->s, "d0/f", v->u.data.lblk));   /* a copy of that home block */
        return;
    }
    d->home_data++;
    if (v->tid && !g_hash_table_contains(d->commits_landed, GUINT_TO_POINTER(v->tid)))
        d->home_before_commit++;
    if (v->u.data.lblk < 4)
        d->wgen_home[v->u.data.lblk] = v->u.data.wgen;
}

/* The transaction descriptors in the log whose tags name home block b. */
static guint desc_tags_naming(Stack *s, guint32 b)
{
    guint n = 0;
    for (guint32 pos = 1; pos < s->fs->L.jblocks; pos++) {
        const SimVer *v = sim_content_get(s->fs->content, sim_media_get(s->hdd->media, sim_fs_jblock(&s->fs->L, pos)));
        if (v->type != SIM_BT_JDESC)
            continue;
        const SimJDesc *d = v->u.snap;
        for (guint i = 0; i < d->ntags; i++)
            n += d->tags[i].home == b;
    }
    return n;
}

/* data=journal on a write-through disk (so landing = completion): a file
 * written and fsynced has its data blocks written into the log - one copy
 * per block per transaction, tagged with the home block, landed before the
 * commit block - and not at home;
 * home gets them only after the transaction's commit block has landed
 * (checkpoint / writeback of committed buffers), with the content of the
 * last committed write. data=ordered for contrast: no data in the log, the
 * data lands at home before the commit that exposes it (E1). */
static void test_data_journal_through_log(void)
{
    static const char *const dev[] = { "cache_mb", "0", NULL };
    static const char *const jn[] = { "data", "journal", "dirty_expire_s", "0.05", "writeback_s", "0.05", NULL };
    static const char *const ord[] = { "data", "ordered", "dirty_expire_s", "0.05", "writeback_s", "0.05", NULL };
    for (int mode = 0; mode < 2; mode++) {
        Stack s;
        stack_init(&s, dev, mode == 0 ? jn : ord);
        DataWatch d = { .s = &s, .commits_landed = g_hash_table_new(g_direct_hash, g_direct_equal) };
        sim_media_set_listener(s.hdd->media, data_landing, &d);
        g_assert_cmpint(sim_fs_create(s.fs, "d0/f"), ==, 0);
        g_assert_cmpint(sim_fs_write(s.fs, "d0/f", 0, 8192), ==, 0);
        guint32 igen;
        guint64 size;
        d.ino = sim_fs_stat(s.fs, "d0/f", &igen, &size);
        do_fsync(&s, "d0/f");
        guint32 b0 = pblk_of(&s, "d0/f", 0), b1 = pblk_of(&s, "d0/f", 1);
        g_test_message("%s: after fsync: %u data copies in the log, %u at home",
                       mode == 0 ? "data=journal" : "data=ordered", d.log_data, d.home_data);
        g_assert_true(d.first_commit);
        if (mode == 0) {
            g_assert_cmpuint(d.log_at_commit, ==, 2);          /* the body before its commit (J1) */
            g_assert_cmpuint(d.log_data, ==, 2);
            g_assert_cmpuint(d.home_data, ==, 0);
            g_assert_cmpuint(desc_tags_naming(&s, b0), ==, 1);
            g_assert_cmpuint(desc_tags_naming(&s, b1), ==, 1);
            /* an overwrite goes through the log again */
            g_assert_cmpint(sim_fs_write(s.fs, "d0/f", 0, 4096), ==, 0);
            do_fsync(&s, "d0/f");
            g_assert_cmpuint(d.log_data, ==, 3);
            g_assert_cmpuint(d.home_data, ==, 0);
            g_assert_cmpuint(desc_tags_naming(&s, b0), ==, 2);
            /* writeback of committed buffers: home gets the committed content */
            sim_world_run(s.w, sim_now(s.w) + SIM_MS(500));
            g_assert_cmpuint(d.home_data, >=, 2);
            g_assert_cmpuint(d.home_before_commit, ==, 0);
            g_assert_cmpuint(d.wgen_home[0], ==, 2);
            g_assert_cmpuint(d.wgen_home[1], ==, 1);
        } else {
            g_assert_cmpuint(d.log_data, ==, 0);
            g_assert_cmpuint(d.home_data, ==, 2);
            g_assert_cmpuint(desc_tags_naming(&s, b0), ==, 0);
            /* the data was home before the commit that exposes it (E1) */
            g_assert_cmpuint(d.home_at_commit, ==, 2);
        }
        g_hash_table_destroy(d.commits_landed);
        stack_free(&s);
    }
}

/* The revoke records this version's content table holds for tid: the
 * blocks they name, and the journal location of the (last) one. */
static GArray *revokes_of(Stack *s, guint32 tid, guint32 *where)
{
    GArray *a = g_array_new(FALSE, FALSE, sizeof(guint32));
    *where = 0;
    for (guint t = 1; t < s->fs->content->vers->len; t++) {
        const SimVer *v = sim_content_get(s->fs->content, t);
        if (v->type != SIM_BT_JREVOKE || v->tid != tid)
            continue;
        const SimJRevoke *r = v->u.snap;
        g_array_append_vals(a, r->blocks, r->n);
        *where = v->block;
        g_assert_cmpuint(sim_media_get(s->hdd->media, v->block), ==, t);   /* it landed there */
    }
    return a;
}

static gboolean has_block(GArray *a, guint32 b)
{
    for (guint i = 0; i < a->len; i++)
        if (g_array_index(a, guint32, i) == b)
            return TRUE;
    return FALSE;
}

/* J6 in the file system: data=journal logs data blocks, so freeing one
 * (unlink) must revoke it - else replay of the older transaction would
 * write the old data over the block once it is reused. After
 *   T_a: create d0/f, write 8 KiB, fsync  (f's two blocks logged)
 *   T_b: unlink d0/f; create d1/g, write 4 KiB, fsync d1/g
 * T_b's log starts with a revoke block naming f's two blocks, before its
 * descriptor (journal.c writes revoke records first), and recovery of the
 * image replays g's block but neither of f's (revoked in T_b >= T_a).
 * data=ordered: data blocks are never journaled, so no revoke record. */
static void test_unlink_revoke(void)
{
    static const char *const dev[] = { "cache_mb", "0", NULL };
    static const char *const jn[] = { "data", "journal", NULL };
    static const char *const ord[] = { "data", "ordered", NULL };
    for (int mode = 0; mode < 2; mode++) {
        Stack s;
        stack_init(&s, dev, mode == 0 ? jn : ord);
        g_assert_cmpint(sim_fs_create(s.fs, "d0/f"), ==, 0);
        g_assert_cmpint(sim_fs_write(s.fs, "d0/f", 0, 8192), ==, 0);
        guint32 ta = s.fs->running->tid;
        do_fsync(&s, "d0/f");
        guint32 f0 = pblk_of(&s, "d0/f", 0), f1 = pblk_of(&s, "d0/f", 1);
        guint32 tb = s.fs->running->tid;
        g_assert_cmpuint(tb, >, ta);
        g_assert_cmpint(sim_fs_unlink(s.fs, "d0/f"), ==, 0);
        g_assert_cmpint(sim_fs_create(s.fs, "d1/g"), ==, 0);
        g_assert_cmpint(sim_fs_write(s.fs, "d1/g", 0, 4096), ==, 0);
        guint32 g0 = pblk_of(&s, "d1/g", 0);
        do_fsync(&s, "d1/g");
        g_assert_cmpuint(s.fs->running->tid, >, tb);           /* T_b committed */
        guint32 where;
        GArray *rv = revokes_of(&s, tb, &where);
        g_test_message("%s: T%u revokes %u blocks", mode == 0 ? "data=journal" : "data=ordered", tb, rv->len);
        SimRecovery r;
        sim_recovery_init(&r);
        sim_recover(&s.fs->L, s.fs->content, s.hdd->media, &r);
        g_test_message("  recovery: %s (T%u..T%u)", r.why, r.first_tid, r.last_tid);
        g_assert_false(r.refused);
        g_assert_cmpuint(r.last_tid, >=, tb);
        if (mode == 0) {
            g_assert_cmpuint(rv->len, ==, 2);
            g_assert_true(has_block(rv, f0));
            g_assert_true(has_block(rv, f1));
            /* first in T_b's log: its descriptor follows the revoke block */
            guint32 rpos = (guint32)(where - s.fs->L.jstart), dpos = rpos % (s.fs->L.jblocks - 1) + 1;
            const SimVer *d = sim_content_get(s.fs->content, sim_media_get(s.hdd->media, sim_fs_jblock(&s.fs->L, dpos)));
            g_assert_cmpint(d->type, ==, SIM_BT_JDESC);
            g_assert_cmpuint(d->tid, ==, tb);
            /* no other revoke anywhere: only freed journaled blocks are revoked */
            for (guint t = 1; t < s.fs->content->vers->len; t++) {
                const SimVer *v = sim_content_get(s.fs->content, t);
                g_assert_true(v->type != SIM_BT_JREVOKE || v->tid == tb);
            }
            g_assert_null(sim_recovery_find(&r, f0));
            g_assert_null(sim_recovery_find(&r, f1));
            const SimReplay *rp = sim_recovery_find(&r, g0);
            g_assert_nonnull(rp);
            const SimVer *gv = sim_content_get(s.fs->content, rp->tok);
            g_assert_cmpint(gv->type, ==, SIM_BT_DATA);
            g_assert_cmpuint(gv->tid, ==, tb);
        } else {
            g_assert_cmpuint(rv->len, ==, 0);
            for (guint t = 1; t < s.fs->content->vers->len; t++)
                g_assert_cmpint(sim_content_get(s.fs->content, t)->type, !=, SIM_BT_JREVOKE);
            g_assert_null(sim_recovery_find(&r, g0));          /* data is not in the log */
        }
        g_array_free(rv, TRUE);
        sim_recovery_clear(&r);
        stack_free(&s);
    }
}

/* ---- E3 at every landing ------------------------------------------------------ */

typedef struct { guint32 tid; SimToken tok; } Logged;

typedef struct {
    Stack      *s;
    SimChecker *chk;
    SimRecovery r;
    guint       scanned;        /* content versions looked at so far */
    GHashTable *logged;         /* home block -> GArray of Logged (ascending tid): journal snapshots */
    GHashTable *revoked;        /* block -> GArray of guint32 tids revoking it */
    gboolean    barrier;        /* on: assert at every landing; off: count the violations */
    guint64     landings, compared, revokes, e3_bad, inconsistent;
} E3Watch;

static GArray *arr_of(GHashTable *h, guint32 b, gsize elt)
{
    GArray *a = g_hash_table_lookup(h, GUINT_TO_POINTER(b));
    if (!a) {
        a = g_array_new(FALSE, FALSE, elt);
        g_hash_table_insert(h, GUINT_TO_POINTER(b), a);
    }
    return a;
}

/* New versions since the last look: every snapshot a transaction froze
 * (metadata and, with data=journal, data: the versions with a tid at a
 * non-journal block) and every revoke record. In data=journal no data
 * page is written outside the journal, so these are exactly the journal's
 * copies. */
static void e3_scan_content(E3Watch *x)
{
    const SimContent *C = x->s->fs->content;
    const SimFsLayout *L = &x->s->fs->L;
    for (; x->scanned < C->vers->len; x->scanned++) {
        SimToken t = x->scanned;
        const SimVer *v = sim_content_get(C, t);
        if (v->type == SIM_BT_JREVOKE) {
            const SimJRevoke *rv = v->u.snap;
            for (guint i = 0; i < rv->n; i++)
                g_array_append_val(arr_of(x->revoked, rv->blocks[i], sizeof(guint32)), v->tid);
            x->revokes++;
        } else if (v->tid && (sim_blk_type_is_meta(v->type) || v->type == SIM_BT_DATA) &&
                   sim_fs_loc(L, v->block) != SIM_LOC_JOURNAL) {
            GArray *a = arr_of(x->logged, v->block, sizeof(Logged));
            Logged l = { v->tid, t };
            g_assert_true(a->len == 0 || g_array_index(a, Logged, a->len - 1).tid < v->tid);
            g_array_append_val(a, l);
        }
    }
}

/* E3 (and J5, J6): after recovery each journaled block equals its content
 * as of the last replayed transaction: the copy of the newest transaction
 * <= last_tid that logged it - replayed from the log, or already home by
 * checkpoint when that transaction is behind the tail. Skipped when a
 * revoke at or after that transaction (and <= last_tid) freed the block:
 * its content is then not the journal's business. */
static void e3_check(E3Watch *x)
{
    const SimMedia *m = x->s->hdd->media;
    const SimRecovery *r = &x->r;
    if (r->clean || r->refused)
        return;
    GHashTableIter it;
    gpointer k, val;
    g_hash_table_iter_init(&it, x->logged);
    while (g_hash_table_iter_next(&it, &k, &val)) {
        guint32 b = GPOINTER_TO_UINT(k);
        GArray *a = val;
        const Logged *want = NULL;
        for (guint i = 0; i < a->len && g_array_index(a, Logged, i).tid <= r->last_tid; i++)
            want = &g_array_index(a, Logged, i);
        if (!want)
            continue;
        GArray *rv = g_hash_table_lookup(x->revoked, GUINT_TO_POINTER(b));
        gboolean freed = FALSE;
        for (guint i = 0; rv && i < rv->len; i++) {
            guint32 tid = g_array_index(rv, guint32, i);
            freed = freed || (tid >= want->tid && tid <= r->last_tid);
        }
        if (freed)
            continue;
        SimToken got = sim_recovery_get(r, m, b);
        x->compared++;
        if (!x->barrier) {
            x->e3_bad += got != want->tok;
            continue;
        }
        if (got != want->tok)
            g_test_message("t=%.6f block %u: recovered token %u (tid %u), expected T%u's copy %u; recovery %s (T%u..T%u)",
                           sim_time_to_s(sim_now(x->s->w)), b, got, sim_content_get(x->s->fs->content,
                                                                                    sim_token_base(got))->tid,
                           want->tid, want->tok, r->why, r->first_tid, r->last_tid);
        g_assert_cmpuint(got, ==, want->tok);
    }
}

static void e3_landing(gpointer ud, guint64 block, SimToken old_tok, SimToken new_tok)
{
    E3Watch *x = ud;
    x->landings++;
    e3_scan_content(x);
    sim_recover(&x->s->fs->L, x->s->fs->content, x->s->hdd->media, &x->r);
    e3_check(x);
    /* barriers on, honest drive: every instant consistent with every fsync */
    GPtrArray *pr = sim_fs_promises(x->s->fs);
    GString *why = g_string_new(NULL);
    SimOutcome o = sim_check_recovered(x->chk, x->s->hdd->media, &x->r, pr, why);
    x->inconsistent += o != SIM_OUT_CONSISTENT;
    if (x->barrier && o != SIM_OUT_CONSISTENT)
        g_test_message("t=%.6f: %s", sim_time_to_s(sim_now(x->s->w)), why->str);
    if (x->barrier)
        g_assert_cmpint(o, ==, SIM_OUT_CONSISTENT);
    g_string_free(why, TRUE);
    g_ptr_array_free(pr, TRUE);
}

static void push_op(GArray *ops, SimOpKind k, char *file, gint64 off, gint64 len)
{
    SimOp op = { k, file, NULL, off, len };
    g_array_append_val(ops, op);
}

/* Thread 0 overwrites one of three 4-block files in place (4 KiB at a
 * rotating offset), fsyncing every other write (the rest commit with the
 * next commit); thread 1 creates a 2-block file, fsyncs it and unlinks the
 * one of 4 iterations before (freed journaled blocks: revokes, reuse). */
static gboolean gen_e3(gpointer ud, guint thread, guint64 it, GArray *ops, GError **error)
{
    if (thread == 0) {
        char *f = g_strdup_printf("d0/w%u", (guint)(it % 3));
        if (it < 3)
            push_op(ops, SIM_OP_CREATE, g_strdup(f), 0, 0);
        push_op(ops, SIM_OP_WRITE, g_strdup(f), (gint64)((it * 7 % 4) * 4096), 4096);
        if (it % 2 == 0)
            push_op(ops, SIM_OP_FSYNC, g_strdup(f), 0, 0);
        g_free(f);
    } else {
        char *f = g_strdup_printf("d1/c%" G_GUINT64_FORMAT, it);
        push_op(ops, SIM_OP_CREATE, g_strdup(f), 0, 0);
        push_op(ops, SIM_OP_WRITE, g_strdup(f), 0, 8192);
        push_op(ops, SIM_OP_FSYNC, f, 0, 0);
        if (it >= 4)
            push_op(ops, SIM_OP_UNLINK, g_strdup_printf("d1/c%" G_GUINT64_FORMAT, it - 4), 0, 0);
    }
    return TRUE;
}

/* E3 with barriers on and a volatile cache destaging in random order:
 * data=journal, a 1 MiB journal (it wraps, checkpoints and moves its tail
 * many times), overwrites with and without fsync, and freed journaled
 * blocks reused. At every instant a block lands, the recovered image is
 * consistent with every acknowledged fsync (J1, J2, E4) and every journaled
 * block holds its content as of the last replayed transaction (E3). The same
 * run with barriers off must violate both somewhere (J4, E6): the check is
 * not vacuous. */
static void e3_run(gboolean barrier, E3Watch *out)
{
    static const char *const dev[] = { "policy", "random", NULL };
    const char *const fs[] = { "data", "journal", "journal_mb", "1", "dirty_expire_s", "0.2", "writeback_s",
                               "0.1", "commit_s", "0.5", "barrier", barrier ? "true" : "false", NULL };
    Stack s;
    stack_init(&s, dev, fs);
    E3Watch x = { .s = &s, .barrier = barrier };
    x.chk = sim_checker_new(s.fs);
    sim_recovery_init(&x.r);
    x.logged = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, (GDestroyNotify)g_array_unref);
    x.revoked = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, (GDestroyNotify)g_array_unref);
    sim_media_set_listener(s.hdd->media, e3_landing, &x);
    SimWorkloadCfg wl;
    sim_params_defaults(&sim_workload_schema, &wl);
    wl.threads = 2;
    wl.dirs = 2;
    wl.think_us = 200;
    SimTime until = sim_time_from_s(4.0);
    SimRunner *rn = sim_runner_new(s.w, s.fs, &wl, gen_e3, NULL, until);
    sim_world_run(s.w, until);
    const SimRunnerStats *st = sim_runner_stats(rn);
    SimFsStats fst;
    sim_fs_get_stats(s.fs, &fst);
    g_test_message("barrier %d: %" G_GUINT64_FORMAT " ops, %" G_GUINT64_FORMAT " fsyncs, %" G_GUINT64_FORMAT
                   " landings, %" G_GUINT64_FORMAT " block comparisons (%" G_GUINT64_FORMAT " differ), %"
                   G_GUINT64_FORMAT " inconsistent instants, %" G_GUINT64_FORMAT " revoke records, %" G_GUINT64_FORMAT
                   " commits, %" G_GUINT64_FORMAT " journal wraps, %" G_GUINT64_FORMAT " tail updates",
                   barrier, st->ops, st->fsyncs, x.landings, x.compared, x.e3_bad, x.inconsistent, x.revokes,
                   fst.commits, fst.journal_wraps, fst.tail_updates);
    g_assert_cmpuint(st->errors, ==, 0);
    g_assert_cmpuint(st->fsyncs, >, 100);
    g_assert_cmpuint(x.compared, >, 10000);
    g_assert_cmpuint(x.revokes, >, 10);
    g_assert_cmpuint(fst.journal_wraps, >, 2);
    g_assert_cmpuint(fst.tail_updates, >, 2);
    *out = x;
    sim_runner_free(rn);
    sim_media_set_listener(s.hdd->media, NULL, NULL);
    g_hash_table_destroy(x.logged);
    g_hash_table_destroy(x.revoked);
    sim_recovery_clear(&x.r);
    sim_checker_free(x.chk);
    stack_free(&s);
}

static void test_data_journal_E3_every_landing(void)
{
    E3Watch x;
    e3_run(TRUE, &x);
    g_assert_cmpuint(x.e3_bad, ==, 0);
    g_assert_cmpuint(x.inconsistent, ==, 0);
    /* The check has teeth: with barriers off the commit can land before its
     * body (J4a), and replay then copies stale log blocks home. */
    e3_run(FALSE, &x);
    g_assert_cmpuint(x.e3_bad, >, 0);
    g_assert_cmpuint(x.inconsistent, >, 0);
}

/* ==== end to end ================================================================= */

typedef struct {
    char        *key;
    SimScenario *sc;
    SimResults  *res;
    GString     *trials;        /* CSV of every sampled cut */
} Cached;
static GPtrArray *cache;

static void cached_free(gpointer p)
{
    Cached *c = p;
    if (c->res)
        sim_results_free(c->res);
    if (c->sc)
        sim_scenario_free(c->sc);
    if (c->trials)
        g_string_free(c->trials, TRUE);
    g_free(c->key);
    g_free(c);
}

/* Run the named cases of a scenario file (path relative to the repository)
 * once, keeping every sampled cut; checks its expect function on them. */
static const Cached *results(const char *rel, const char *const *sets, const char *const *cases)
{
    for (guint i = 0; i < cache->len; i++) {
        Cached *c = g_ptr_array_index(cache, i);
        if (strcmp(c->key, rel) == 0) {
            if (!c->res)
                g_test_fail_printf("%s did not run", rel);
            return c->res ? c : NULL;
        }
    }
    Cached *c = g_new0(Cached, 1);
    c->key = g_strdup(rel);
    g_autofree char *path = g_build_filename(root_dir, rel, NULL);
    GError *e = NULL;
    gint64 t0 = g_get_monotonic_time();
    c->sc = sim_scenario_load(path, sets, master_seed, &e);
    g_assert_no_error(e);
    g_assert_nonnull(c->sc);
    if (!c->sc) {
        g_clear_error(&e);
        g_ptr_array_add(cache, c);
        return NULL;
    }
    SimRunOpts o = { .seed = master_seed, .jobs = MAX(1u, g_get_num_processors()), .trials = -1,
                     .cases = (char **)cases, .keep_trials = TRUE };
    c->res = sim_run_scenario_trials(c->sc, &o, &c->trials, &e);
    g_assert_no_error(e);
    g_assert_nonnull(c->res);
    g_test_message("ran %s in %.2f s", rel, (g_get_monotonic_time() - t0) / 1e6);
    g_ptr_array_add(cache, c);
    if (!c->res) {
        g_clear_error(&e);
        return NULL;                     /* the failure is reported; every test of this file fails */
    }
    GPtrArray *failures = g_ptr_array_new_with_free_func(g_free);
    g_assert_true(sim_scenario_check_expect(c->sc, c->res, failures, &e));
    g_assert_no_error(e);
    for (guint i = 0; i < failures->len; i++)
        g_test_message("expect failed: %s", (char *)g_ptr_array_index(failures, i));
    g_assert_cmpuint(failures->len, ==, 0);
    g_ptr_array_free(failures, TRUE);
    return c;
}

static const SimCaseResult *case_of(const Cached *cc, const char *name)
{
    for (guint i = 0; i < cc->res->cases->len; i++) {
        const SimCaseResult *c = g_ptr_array_index(cc->res->cases, i);
        if (strcmp(c->name, name) == 0)
            return c;
    }
    g_error("no case %s in %s", name, cc->key);
    return NULL;
}

static const SimCaseResult *show(const Cached *cc, const char *name)
{
    const SimCaseResult *c = case_of(cc, name);
    g_test_message("%s / %s: trials %" G_GUINT64_FORMAT " consistent %" G_GUINT64_FORMAT " lost_fsync %"
                   G_GUINT64_FORMAT " stale_data %" G_GUINT64_FORMAT " corrupt %" G_GUINT64_FORMAT " unmountable %"
                   G_GUINT64_FORMAT " p_inc %.9g fsync p50 %.3f ms",
                   cc->key, c->name, c->trials, c->outcomes[SIM_OUT_CONSISTENT], c->outcomes[SIM_OUT_LOST_FSYNC],
                   c->outcomes[SIM_OUT_STALE_DATA], c->outcomes[SIM_OUT_CORRUPT], c->outcomes[SIM_OUT_UNMOUNTABLE],
                   c->p_inc, c->fsync_p50_ms);
    for (guint i = 0; i < c->notes->len; i++) {
        const SimTrialNote *n = g_ptr_array_index(c->notes, i);
        g_test_message("  note: run %u t=%.6fs %s: %s", n->run, sim_time_to_s(n->t), sim_outcome_name(n->outcome),
                       n->reason ? n->reason : "");
    }
    g_assert_cmpuint(c->trials, >=, MIN_TRIALS);
    guint64 sum = 0;
    for (int k = 0; k < SIM_OUT_N; k++)
        sum += c->outcomes[k];
    g_assert_cmpuint(sum, ==, c->trials);
    return c;
}

/* Nothing but consistent, and the exact p_inc is 0. */
static void check_safe(const Cached *cc, const char *name)
{
    const SimCaseResult *c = show(cc, name);
    g_assert_cmpuint(c->outcomes[SIM_OUT_CORRUPT], ==, 0);
    g_assert_cmpuint(c->outcomes[SIM_OUT_UNMOUNTABLE], ==, 0);
    g_assert_cmpuint(c->outcomes[SIM_OUT_STALE_DATA], ==, 0);
    g_assert_cmpuint(c->outcomes[SIM_OUT_LOST_FSYNC], ==, 0);
    g_assert_cmpuint(c->outcomes[SIM_OUT_CONSISTENT], ==, c->trials);
    g_assert_cmpfloat(c->p_inc, ==, 0.0);
}

/* Every sampled cut of case `name`: outcome per (run, trial), and the cut
 * instant, keyed "run/trial". */
typedef struct { SimOutcome o; char t[32]; } Cut;

static GHashTable *cuts_of(const Cached *cc, const char *name)
{
    GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_autofree char *prefix = g_strdup_printf("%s,", name);             /* case names need no CSV quoting */
    gchar **lines = g_strsplit(cc->trials->str, "\n", -1);
    for (gchar **l = lines + 1; *l && **l; l++) {
        if (!g_str_has_prefix(*l, prefix))
            continue;
        gchar **f = g_strsplit(*l, ",", 6);     /* case,run,trial,t_s,outcome,reason */
        g_assert_nonnull(f[4]);
        Cut *c = g_new0(Cut, 1);
        c->o = SIM_OUT_N;
        for (int k = 0; k < SIM_OUT_N; k++)
            if (strcmp(f[4], sim_outcome_name(k)) == 0)
                c->o = k;
        g_assert_cmpint(c->o, <, SIM_OUT_N);
        g_strlcpy(c->t, f[3], sizeof c->t);
        g_hash_table_insert(h, g_strdup_printf("%s/%s", f[1], f[2]), c);
        g_strfreev(f);
    }
    g_strfreev(lines);
    return h;
}

static const char *const modes_sets[] = { "run.runs=4", NULL };
static const char *const modes_cases[] = { "ordered-barrier-on", "writeback-barrier-on", "journal-barrier-on", NULL };

static const Cached *modes(void) { return results("scenarios/journal-modes.lua", modes_sets, modes_cases); }

/* SEMANTICS §10 "barriers on | volatile | honours flush": data=ordered
 * (J1, J2, E1, E4) and data=journal (J1, J2, E3, E4) - no cut may corrupt,
 * lose an fsync or show stale data. */
static void test_e2e_modes_safe(gconstpointer name)
{
    if (modes())
        check_safe(modes(), name);
}

/* E2: data=writeback with barriers on, files extended without fsync: the
 * committed extents and sizes reach the disk before the data, so a cut can
 * show bytes never written to the file - while the file system is clean and
 * every fsync holds. */
static void test_e2e_writeback_E2(void)
{
    if (!modes())
        return;
    const SimCaseResult *c = show(modes(), "writeback-barrier-on");
    g_assert_cmpuint(c->outcomes[SIM_OUT_STALE_DATA], >, 0);
    g_assert_cmpuint(c->outcomes[SIM_OUT_CORRUPT], ==, 0);
    g_assert_cmpuint(c->outcomes[SIM_OUT_UNMOUNTABLE], ==, 0);
    g_assert_cmpuint(c->outcomes[SIM_OUT_LOST_FSYNC], ==, 0);
    g_assert_cmpfloat(c->p_inc, ==, 0.0);
    gboolean explained = FALSE;
    for (guint i = 0; i < c->notes->len; i++) {
        const SimTrialNote *n = g_ptr_array_index(c->notes, i);
        explained = explained || (n->outcome == SIM_OUT_STALE_DATA && n->reason &&
                                  (strstr(n->reason, "zeroes never written") || strstr(n->reason, "old data")));
    }
    g_assert_true(explained);
}

static const char *const csum_cases[] = { "none-barrier-on", "none-barrier-off", "v1-barrier-on", "v1-barrier-off",
                                          "v3-barrier-on", "v3-barrier-off", "v3-async-barrier-on", NULL };

static const Cached *csums(void) { return results("scenarios/journal-checksum.lua", NULL, csum_cases); }

/* Barriers on with a synchronous commit: whatever the checksum, nothing to
 * detect (J1) - nothing but consistent. */
static void test_e2e_csum_safe(gconstpointer name)
{
    if (csums())
        check_safe(csums(), name);
}

/* Barriers off (J4): the same runs (same seed; checksums do not change the
 * I/O) cut at the same instants, with and without checksums. Recovery with
 * a synchronous v1 or v3 journal differs from recovery without checksums
 * only by refusing (§1.5), so cut by cut: outcome(v1) is outcome(none) or
 * unmountable, and likewise v3. Silent corruption turns into detection:
 * cuts corrupt without checksums are unmountable with them (> 0), none
 * becomes corrupt (corrupt(v1) <= corrupt(none)), and without checksums
 * jbd2 never refuses. */
static void test_e2e_csum_barrier_off(void)
{
    const Cached *cc = csums();
    if (!cc)
        return;
    const SimCaseResult *none = show(cc, "none-barrier-off");
    const char *const with[] = { "v1-barrier-off", "v3-barrier-off" };
    g_assert_cmpuint(none->outcomes[SIM_OUT_CORRUPT], >, 0);      /* J4a reachable */
    g_assert_cmpuint(none->outcomes[SIM_OUT_UNMOUNTABLE], ==, 0);
    GHashTable *hn = cuts_of(cc, "none-barrier-off");
    g_assert_cmpuint(g_hash_table_size(hn), ==, none->trials);
    for (guint w = 0; w < G_N_ELEMENTS(with); w++) {
        const SimCaseResult *c = show(cc, with[w]);
        g_assert_cmpuint(c->outcomes[SIM_OUT_UNMOUNTABLE], >, 0);
        g_assert_cmpuint(c->outcomes[SIM_OUT_CORRUPT], <=, none->outcomes[SIM_OUT_CORRUPT]);
        GHashTable *hc = cuts_of(cc, with[w]);
        g_assert_cmpuint(g_hash_table_size(hc), ==, c->trials);
        guint64 detected = 0, changed = 0;
        GHashTableIter it;
        gpointer k, v;
        g_hash_table_iter_init(&it, hn);
        while (g_hash_table_iter_next(&it, &k, &v)) {
            const Cut *a = v, *b = g_hash_table_lookup(hc, k);
            g_assert_nonnull(b);
            g_assert_cmpstr(a->t, ==, b->t);                          /* the same cut */
            if (a->o != b->o) {
                changed++;
                if (b->o != SIM_OUT_UNMOUNTABLE)
                    g_test_message("cut %s at %s: %s without checksums, %s with %s", (char *)k, a->t,
                                   sim_outcome_name(a->o), sim_outcome_name(b->o), with[w]);
                g_assert_cmpint(b->o, ==, SIM_OUT_UNMOUNTABLE);
            }
            detected += a->o == SIM_OUT_CORRUPT && b->o == SIM_OUT_UNMOUNTABLE;
        }
        g_test_message("%s: %" G_GUINT64_FORMAT " cuts changed (all to unmountable), %" G_GUINT64_FORMAT
                       " of %" G_GUINT64_FORMAT " corrupt cuts now detected",
                       with[w], changed, detected, none->outcomes[SIM_OUT_CORRUPT]);
        g_assert_cmpuint(detected, >, 0);
        g_assert_cmpuint(detected * 2, >=, none->outcomes[SIM_OUT_CORRUPT]);   /* "mostly" */
        g_hash_table_destroy(hc);
    }
    g_hash_table_destroy(hn);
}

/* J7: journal_async_commit with barriers on still makes fsync durable on
 * return (the flush after the commit record). And it did take effect: the
 * commit no longer waits for its body, so fsync is faster than with the
 * synchronous v3 commit. */
static void test_e2e_async_fsync_J7(void)
{
    const Cached *cc = csums();
    if (!cc)
        return;
    const SimCaseResult *c = show(cc, "v3-async-barrier-on"), *sync = case_of(cc, "v3-barrier-on");
    g_assert_cmpuint(c->outcomes[SIM_OUT_LOST_FSYNC], ==, 0);
    g_assert_cmpuint(c->outcomes[SIM_OUT_CORRUPT], ==, 0);
    g_assert_cmpfloat(c->fsync_p50_ms, <, sync->fsync_p50_ms);
}

static const Cached *async_data(void) { return results("tests/data/journal-async.lua", NULL, NULL); }

/* J7 in full (tests/data/journal-async.lua, random destage so the commit
 * record often lands before its body): with v1 the torn last transaction
 * is discarded by the commit crc - a clean loss, never corrupt, never
 * refused (no valid commit can follow it: the next log is written after the
 * flush) - and fsync holds. With v3 the same torn transactions exist (the
 * same runs: v3's p_inc > 0) and fail recovery (tags are checked in the
 * replay pass): cut by cut, each of v3's unmountable cuts is consistent
 * under v1. data=writeback: the file system and fsync hold too (stale data
 * may show, E2). */
static void test_e2e_async_torn_last_J7(void)
{
    const Cached *cc = async_data();
    if (!cc)
        return;
    const SimCaseResult *v1 = show(cc, "v1-journal"), *v3 = show(cc, "v3-journal"), *wb = show(cc, "v1-writeback");
    check_safe(cc, "v1-journal");
    g_assert_cmpuint(v3->outcomes[SIM_OUT_LOST_FSYNC], ==, 0);
    g_assert_cmpuint(v3->outcomes[SIM_OUT_CORRUPT], ==, 0);
    g_assert_cmpuint(v3->outcomes[SIM_OUT_UNMOUNTABLE], >, 0);
    g_assert_cmpfloat(v3->p_inc, >, 0.0);
    g_assert_cmpfloat(v1->ops_per_s, ==, v3->ops_per_s);            /* the same I/O */
    GHashTable *h1 = cuts_of(cc, "v1-journal"), *h3 = cuts_of(cc, "v3-journal");
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, h3);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        const Cut *c3 = v, *c1 = g_hash_table_lookup(h1, k);
        g_assert_nonnull(c1);
        g_assert_cmpstr(c1->t, ==, c3->t);
        g_assert_cmpint(c1->o, ==, SIM_OUT_CONSISTENT);
    }
    g_hash_table_destroy(h1);
    g_hash_table_destroy(h3);
    g_assert_cmpuint(wb->outcomes[SIM_OUT_LOST_FSYNC], ==, 0);
    g_assert_cmpuint(wb->outcomes[SIM_OUT_CORRUPT], ==, 0);
    g_assert_cmpuint(wb->outcomes[SIM_OUT_UNMOUNTABLE], ==, 0);
}

/* ==== main ======================================================================== */

static void find_dirs(void)
{
    data_dir = test_find_data("journal-async.lua", &root_dir, &master_seed);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_set_nonfatal_assertions();
    find_dirs();
    g_unsetenv("POWERCUT_EVAL_NOSKIP");
    cache = g_ptr_array_new_with_free_func(cached_free);

    g_test_add_func("/journal/recover/J4a-v1-crc-mismatch-refused", test_v1_mismatch_refused);
    g_test_add_func("/journal/recover/J7-v1-async-torn-last", test_v1_async_torn_last_J7);
    g_test_add_func("/journal/recover/J4a-v3-tag-mismatch", test_v3_tag_mismatch);
    g_test_add_func("/journal/recover/J6-v3-revoked-tag-skipped-before-csum", test_v3_revoked_tag_skipped);
    g_test_add_func("/journal/recover/J8-revoke-not-in-v1-crc", test_J8_revoke_not_in_v1_crc);
    g_test_add_func("/journal/recover/J6-revoke-with-checksums", test_J6_revoke_with_checksums);
    g_test_add_func("/journal/recover/v1-wrap", test_v1_wrap);
    g_test_add_func("/journal/fs/async-commit-ordered-refused", test_async_ordered_refused);
    g_test_add_func("/journal/fs/E3-data-journal-through-log", test_data_journal_through_log);
    g_test_add_func("/journal/fs/J6-unlink-revoke", test_unlink_revoke);
    g_test_add_func("/journal/fs/E3-J1-J2-every-landing", test_data_journal_E3_every_landing);
    for (guint i = 0; i < 3; i++) {
        if (i == 1)
            continue;                                   /* writeback: its own test */
        g_autofree char *n = g_strdup_printf("/journal/e2e/J1-J2-%s-E4/%s", i == 0 ? "E1" : "E3", modes_cases[i]);
        g_test_add_data_func(n, modes_cases[i], test_e2e_modes_safe);
    }
    g_test_add_func("/journal/e2e/E2/writeback-barrier-on", test_e2e_writeback_E2);
    static const char *const safe_csum[] = { "none-barrier-on", "v1-barrier-on", "v3-barrier-on" };
    for (guint i = 0; i < G_N_ELEMENTS(safe_csum); i++) {
        g_autofree char *n = g_strdup_printf("/journal/e2e/J1-J2/%s", safe_csum[i]);
        g_test_add_data_func(n, safe_csum[i], test_e2e_csum_safe);
    }
    g_test_add_func("/journal/e2e/J4-J5/checksums-detect-barrier-off", test_e2e_csum_barrier_off);
    g_test_add_func("/journal/e2e/J7/v3-async-fsync-durable", test_e2e_async_fsync_J7);
    g_test_add_func("/journal/e2e/J7/async-torn-last-txn", test_e2e_async_torn_last_J7);

    int rc = g_test_run();
    g_ptr_array_free(cache, TRUE);
    g_free(data_dir);
    g_free(root_dir);
    return rc;
}

/* tests/test-states.c - the crash states an honest device could leave
 * (sim/crash/states.c): the tracker's D1/B3/FUA rules and the enumerator on
 * a hand-computed case, `run --crash-states exhaustive` end to end (barriers
 * on: no corrupt state; barriers off: corrupt states and a witness; the
 * 512-state cut worked out by hand), and `powercut quiz` against a brute
 * force written here from the rules, independently of the tracker. */
#include "testutil.h"
#include "runutil.h"
#include "crash/states.h"
#include "blk/media.h"
#include "dev/device.h"
#include "dev/raid.h"
#include "explain/quiz.h"
#include <string.h>

static char *root_dir;

/* ---- the tracker and the enumerator on a hand-built history ---------------------- */

enum { TA = 101, TB, TC, TD, TE, TF, TG };     /* tokens: one per write */

static SimToken media_zero(gconstpointer ud, guint64 block) { return 0; }

/*   t(us)  what the drive saw
 *     0    A -> block 10 sent            5  C -> block 12 sent
 *    10    A completed                  20  FLUSH 1 sent
 *    22    C completed (after FLUSH 1 was sent: not covered, B3)
 *    25    B -> block 11 sent           30  FLUSH 1 completed: A is durable (D1)
 *    35    G -> block 15 sent           38  G completed
 *    39    FLUSH 2 sent (never completes: covers nothing, D1)
 *    40    B completed                  45  E -> block 14 sent with FUA
 *    50    D -> block 13 sent (still in flight at the cut)
 *    60    E completed: durable (FUA)
 *    70    F -> block 10 sent (a newer version of A's block)   80  F completed
 * At the cut: forced E; free B, C, D, G and F (block 10 holds F, or A - never
 * the zeroes from before A, since A is durable). 5 free writes: 2^5 = 32 states. */
static SimPendTrack *hand_history(void)
{
    SimPendTrack *t = sim_pend_track_new();
    SimToken a = TA, b = TB, c = TC, d = TD, e = TE, f = TF, g = TG;
    guint64 ha = sim_pend_track_write(t, 10, 1, &a, FALSE, SIM_US(0));
    guint64 hc = sim_pend_track_write(t, 12, 1, &c, FALSE, SIM_US(5));
    sim_pend_track_write_done(t, ha, SIM_US(10));
    sim_pend_track_write_done(t, hc, SIM_US(22));
    guint64 hb = sim_pend_track_write(t, 11, 1, &b, FALSE, SIM_US(25));
    sim_pend_track_flush_done(t, SIM_US(20), SIM_US(30));
    guint64 hg = sim_pend_track_write(t, 15, 1, &g, FALSE, SIM_US(35));
    sim_pend_track_write_done(t, hg, SIM_US(38));
    sim_pend_track_write_done(t, hb, SIM_US(40));
    guint64 he = sim_pend_track_write(t, 14, 1, &e, TRUE, SIM_US(45));
    sim_pend_track_write(t, 13, 1, &d, FALSE, SIM_US(50));
    sim_pend_track_write_done(t, he, SIM_US(60));
    guint64 hf = sim_pend_track_write(t, 10, 1, &f, FALSE, SIM_US(70));
    sim_pend_track_write_done(t, hf, SIM_US(80));
    return t;
}

static SimToken state_content(const GArray *pend, guint64 mask, guint64 block)
{
    for (guint i = 0; i < pend->len; i++)
        if (g_array_index(pend, SimPendWrite, i).block == block)
            return sim_crash_states_durable(pend, mask, i) ? g_array_index(pend, SimPendWrite, i).tok
                                                           : g_array_index(pend, SimPendWrite, i).base;
    return 0;
}

/* A toy journal: block 12 is a commit, 11 and 13 its body. Corrupt iff the
 * commit is durable and a body block is not. */
static SimOutcome toy_judge(gpointer ud, const GArray *pend, guint64 mask, GString *reason)
{
    guint *seen_bad_10 = ud;
    SimToken b10 = state_content(pend, mask, 10);
    if (b10 != TA && b10 != TF)
        (*seen_bad_10)++;                     /* block 10 may only hold A or F */
    g_assert_cmpuint(state_content(pend, mask, 14), ==, TE);   /* forced: in every state */
    gboolean commit = state_content(pend, mask, 12) == TC;
    gboolean body = state_content(pend, mask, 11) == TB && state_content(pend, mask, 13) == TD;
    g_string_assign(reason, commit && !body ? "commit without body" : "");
    return commit && !body ? SIM_OUT_CORRUPT : SIM_OUT_CONSISTENT;
}

static void test_hand_computed(void)
{
    SimPendTrack *t = hand_history();
    g_assert_cmpint(sim_pend_track_why(t, 14), ==, 'F');
    g_assert_cmpint(sim_pend_track_why(t, 12), ==, 'C');   /* completed at 22 > FLUSH 1 sent at 20 */
    g_assert_cmpint(sim_pend_track_why(t, 13), ==, 'I');
    g_assert_cmpint(sim_pend_track_why(t, 15), ==, 'C');   /* FLUSH 2 never completed */
    GArray *pend = sim_pend_track_pending(t, media_zero, NULL);
    /* six blocks: 10 (F over A), 11, 12, 13, 14 (forced), 15 */
    g_assert_cmpuint(pend->len, ==, 6);
    for (guint i = 0; i < pend->len; i++) {
        const SimPendWrite *p = &g_array_index(pend, SimPendWrite, i);
        if (p->block == 10) {
            g_assert_cmpuint(p->tok, ==, TF);
            g_assert_cmpuint(p->base, ==, TA);     /* A was flushed: F lost leaves A, not zeroes */
            g_assert_false(p->forced);
        } else if (p->block == 14) {
            g_assert_true(p->forced);
        } else {
            g_assert_false(p->forced);
            g_assert_cmpuint(p->base, ==, 0);
        }
    }
    g_array_sort(pend, sim_pend_cmp);
    guint bad10 = 0;
    SimCrashStates cs;
    SimRng rng;
    sim_rng_seed(&rng, 1, 0, "test");
    sim_crash_states_run(&cs, pend, 20, 0, &rng, toy_judge, &bad10);
    /* 5 free writes (B C D F G): 2^5 = 32 states. Corrupt: the commit C durable
     * (16 states: the other 4 free writes any way) minus those with both B and
     * D durable (2^2 = 4 of the 16: F and G any way): 16 - 4 = 12. */
    g_assert_cmpuint(cs.nfree, ==, 5);
    g_assert_cmpuint(cs.nforced, ==, 1);
    g_assert_false(cs.sampled);
    g_assert_cmpuint(cs.states, ==, 32);
    g_assert_cmpuint(cs.counts[SIM_OUT_CORRUPT], ==, 12);
    g_assert_cmpuint(cs.counts[SIM_OUT_CONSISTENT], ==, 20);
    g_assert_cmpuint(bad10, ==, 0);
    /* a smallest corrupt state: C alone */
    g_assert_true(cs.have_witness);
    g_assert_cmpuint(__builtin_popcountll(cs.witness_mask), ==, 1);
    g_assert_cmpuint(state_content(pend, cs.witness_mask, 12), ==, TC);
    sim_crash_states_clear(&cs);

    /* above max_free: sampled, deterministic, and the witness shrinks to a minimal one (C alone) */
    guint64 counts[2][SIM_OUT_N];
    for (int k = 0; k < 2; k++) {
        sim_rng_seed(&rng, 7, 0, "test");
        sim_crash_states_run(&cs, pend, 3, 300, &rng, toy_judge, &bad10);
        g_assert_true(cs.sampled);
        g_assert_cmpuint(cs.states, ==, 300);
        g_assert_true(cs.have_witness);
        g_assert_cmpuint(__builtin_popcountll(cs.witness_mask), ==, 1);
        g_assert_cmpuint(state_content(pend, cs.witness_mask, 12), ==, TC);
        memcpy(counts[k], cs.counts, sizeof counts[k]);
        sim_crash_states_clear(&cs);
    }
    g_assert_cmpmem(counts[0], sizeof counts[0], counts[1], sizeof counts[1]);
    g_assert_cmpuint(counts[0][SIM_OUT_CORRUPT], >, 0);
    g_assert_cmpuint(counts[0][SIM_OUT_CONSISTENT], >, 0);
    g_array_free(pend, TRUE);
    sim_pend_track_free(t);
}

/* Versions already on the media are durable too; older ones are forgotten. */
static SimToken media_b(gconstpointer ud, guint64 block) { return block == 20 ? TB : 0; }

static void test_landed_version(void)
{
    SimPendTrack *t = sim_pend_track_new();
    SimToken a = TA, b = TB, c = TC;
    guint64 h = sim_pend_track_write(t, 20, 1, &a, FALSE, 0);
    sim_pend_track_write_done(t, h, 1);
    h = sim_pend_track_write(t, 20, 1, &b, FALSE, 2);
    sim_pend_track_write_done(t, h, 3);
    h = sim_pend_track_write(t, 20, 1, &c, FALSE, 4);
    GArray *pend = sim_pend_track_pending(t, media_b, NULL);
    g_assert_cmpuint(pend->len, ==, 1);          /* C in flight over B on the media: B or C */
    g_assert_cmpuint(g_array_index(pend, SimPendWrite, 0).tok, ==, TC);
    g_assert_cmpuint(g_array_index(pend, SimPendWrite, 0).base, ==, TB);
    g_array_free(pend, TRUE);
    sim_pend_track_free(t);
}

/* ---- run --crash-states exhaustive, end to end ------------------------------------- */

static const SimCaseSpec *find_case(const SimScenario *sc, const char *name)
{
    for (guint i = 0; i < sc->cases->len; i++)
        if (!strcmp(((SimCaseSpec *)g_ptr_array_index(sc->cases, i))->name, name))
            return g_ptr_array_index(sc->cases, i);
    g_error("no case %s", name);
}

static SimScenario *tutorial(const char *file)
{
    g_autofree char *p = g_build_filename(root_dir, "scenarios", "tutorial", file, NULL);
    return test_load(p, NULL, 1);
}

static void test_run_barriers(void)
{
    SimScenario *sc = tutorial("04-barriers.lua");
    SimRunOut on, off;
    sim_run_one_states(sc, find_case(sc, "barrier-on"), 1, 0, 30, 12, &on);
    sim_run_one_states(sc, find_case(sc, "barrier-off"), 1, 0, 10, 12, &off);
    g_assert_null(on.error);
    g_assert_true(on.has_states);
    g_assert_cmpuint(on.states.cuts, ==, 30);
    g_assert_cmpuint(on.states.states, >=, 30);
    g_assert_cmpuint(on.states.counts[SIM_OUT_CORRUPT] + on.states.counts[SIM_OUT_UNMOUNTABLE], ==, 0);
    g_assert_cmpuint(on.states.counts[SIM_OUT_LOST_FSYNC] + on.states.counts[SIM_OUT_STALE_DATA], ==, 0);
    g_assert_false(on.states.have_witness);
    g_assert_cmpuint(off.states.cuts, ==, 10);
    g_assert_cmpuint(off.states.counts[SIM_OUT_CORRUPT], >, 0);
    g_assert_true(off.states.have_witness);
    g_assert_nonnull(off.states.w_reason);
    /* the timed outcomes are the plain run's */
    SimRunOut plain;
    sim_run_one(sc, find_case(sc, "barrier-off"), 1, 0, 10, TRUE, &plain);
    g_assert_cmpmem(plain.counts, sizeof plain.counts, off.counts, sizeof off.counts);
    g_assert_cmpfloat(plain.frac[SIM_OUT_CORRUPT], ==, off.frac[SIM_OUT_CORRUPT]);
    sim_run_out_clear(&plain);
    sim_run_out_clear(&on);
    sim_run_out_clear(&off);
    sim_scenario_free(sc);
}

/* A drive that lies about flushes (tutorial 5, lying-cache: barriers on,
 * flush acknowledged at once, nothing written): the timed view loses fsyncs
 * and corrupts (D3), but the enumeration asks what an *honest* drive could
 * have left after the same history - every write a completed flush or FUA
 * covered is applied even though this media lacks it - and, barriers being
 * on, no such state is corrupt or loses an fsync (J1, J2). */
static void test_run_lying_history(void)
{
    SimScenario *sc = tutorial("05-lying-disk.lua");
    SimRunOut o;
    sim_run_one_states(sc, find_case(sc, "lying-cache"), 1, 0, 12, 12, &o);
    g_assert_null(o.error);
    g_assert_cmpuint(o.counts[SIM_OUT_CONSISTENT], <, 12);             /* the lying drive itself */
    g_assert_cmpuint(o.states.cuts, ==, 12);
    g_assert_cmpuint(o.states.counts[SIM_OUT_CONSISTENT], ==, o.states.states);   /* any honest drive */
    sim_run_out_clear(&o);
    sim_scenario_free(sc);
}

/* Tutorial 1, case reordered (barriers off), seed 1, run 0, trial 0 - the cut
 * t-explain.sh works out by hand for explain --witness: 9 writes of T120 at
 * the drive, none covered by a flush, so 2^9 = 512 states; descriptor and
 * commit durable with some of the 7 body blocks missing: 2^7 - 1 = 127
 * corrupt (J4a); descriptor or commit missing: 512 - 128 = 384 lose the
 * fsync; all 9 durable: 1 consistent. run's exhaustive mode must agree. */
static void test_run_hand_cut(void)
{
    SimScenario *sc = tutorial("01-cache-reorders.lua");
    SimRunOut o;
    sim_run_one_states(sc, find_case(sc, "reordered"), 1, 0, 1, 12, &o);
    g_assert_null(o.error);
    g_assert_cmpuint(o.states.cuts, ==, 1);
    g_assert_cmpuint(o.states.sampled_cuts, ==, 0);
    g_assert_cmpuint(o.states.max_free, ==, 9);
    g_assert_cmpuint(o.states.states, ==, 512);
    g_assert_cmpuint(o.states.counts[SIM_OUT_CORRUPT], ==, 127);
    g_assert_cmpuint(o.states.counts[SIM_OUT_LOST_FSYNC], ==, 384);
    g_assert_cmpuint(o.states.counts[SIM_OUT_CONSISTENT], ==, 1);
    g_assert_cmpuint(o.states.w_size, ==, 2);            /* descriptor and commit */
    sim_run_out_clear(&o);
    sim_scenario_free(sc);
}

/* ---- the quiz against a brute force from the rules -------------------------------- */

/* D1/B3/FUA read directly off the quiz's timeline. */
static gboolean bf_forced(const SimQuiz *q, int i)
{
    const SimQuizWrite *w = &q->w[i];
    if (w->t_sub < 0 || w->t_done < 0)
        return FALSE;
    if (w->fua)
        return TRUE;
    for (guint k = 0; k < q->nf; k++)
        if (q->f[k].t_done >= 0 && q->f[k].t_sub >= w->t_done)
            return TRUE;
    return FALSE;
}

typedef struct { guint64 states, counts[SIM_OUT_N]; gboolean c_without_j2; } Brute;

static void brute(const SimQuiz *q, Brute *b)
{
    memset(b, 0, sizeof *b);
    /* per block, the contents it may hold: block 40 may carry H and H2 */
    int sent[SIM_QUIZ_NW], ns = 0;
    for (int i = 0; i < SIM_QUIZ_NW; i++)
        if (q->w[i].present && q->w[i].t_sub >= 0)
            sent[ns++] = i;
    /* every subset of the sent writes, kept if an honest drive allows it */
    for (guint32 m = 0; m < (1u << ns); m++) {
        gboolean dur[SIM_QUIZ_NW] = { 0 }, ok = TRUE;
        for (int k = 0; k < ns; k++)
            dur[sent[k]] = (m >> k) & 1;
        for (int k = 0; k < ns && ok; k++)
            if (bf_forced(q, sent[k]) && !dur[sent[k]])
                ok = FALSE;                       /* forced writes are durable */
        /* H and H2 share a block: H2 durable hides H (count the block's content once);
         * H2 lost and H durable is allowed only... as the block's older content */
        gboolean h2 = q->w[SIM_QUIZ_H2].present && q->w[SIM_QUIZ_H2].t_sub >= 0;
        if (ok && h2 && dur[SIM_QUIZ_H2] && !dur[SIM_QUIZ_H])
            ok = bf_forced(q, SIM_QUIZ_H) ? FALSE : TRUE;
        if (ok && h2 && dur[SIM_QUIZ_H2] && dur[SIM_QUIZ_H] && !bf_forced(q, SIM_QUIZ_H))
            ok = FALSE;                           /* the block holds H2: {H, H2} is the same state as {H2} */
        if (ok && h2 && !dur[SIM_QUIZ_H2] && dur[SIM_QUIZ_H] && !bf_forced(q, SIM_QUIZ_H))
            ok = FALSE;                           /* intermediate versions are not enumerated (states.h) */
        if (!ok)
            continue;
        b->states++;
        SimOutcome o;
        if (dur[SIM_QUIZ_C]) {
            if (!dur[SIM_QUIZ_J2])
                b->c_without_j2 = TRUE;
            o = !dur[SIM_QUIZ_J1] || !dur[SIM_QUIZ_J2] ? SIM_OUT_CORRUPT
                : !dur[SIM_QUIZ_D]                      ? SIM_OUT_STALE_DATA
                                                        : SIM_OUT_CONSISTENT;
        } else {
            o = q->w[SIM_QUIZ_C].t_done >= 0 ? SIM_OUT_LOST_FSYNC : SIM_OUT_CONSISTENT;
        }
        b->counts[o]++;
    }
}

static void test_quiz_agrees(void)
{
    guint with_barrier = 0, barrier_off_corrupt = 0;
    for (guint64 seed = 0; seed < 400; seed++) {
        SimQuiz q;
        SimQuizAnswer a;
        sim_quiz_generate(seed, &q);
        sim_quiz_solve(&q, &a);
        Brute b;
        brute(&q, &b);
        if (b.states != a.states || memcmp(b.counts, a.counts, sizeof b.counts) || b.c_without_j2 != a.c_without_j2)
            g_error("quiz seed %" G_GUINT64_FORMAT ": quiz says %" G_GUINT64_FORMAT " states (corrupt %" G_GUINT64_FORMAT
                    "), brute force %" G_GUINT64_FORMAT " (corrupt %" G_GUINT64_FORMAT ")",
                    seed, a.states, a.counts[SIM_OUT_CORRUPT], b.states, b.counts[SIM_OUT_CORRUPT]);
        for (int i = 0; i < SIM_QUIZ_NW; i++)
            if (q.w[i].present && q.w[i].t_sub >= 0 && a.fate[i] != 'S')
                g_assert_cmpint(a.fate[i] == 'F', ==, bf_forced(&q, i));
        if (q.barrier) {
            with_barrier++;
            g_assert_cmpuint(a.counts[SIM_OUT_CORRUPT] + a.counts[SIM_OUT_STALE_DATA], ==, 0);   /* J1, E1 */
            g_assert_false(a.c_without_j2);
        } else {
            barrier_off_corrupt += a.counts[SIM_OUT_CORRUPT] > 0;
        }
        g_assert_cmpint(a.have_witness, ==, a.counts[SIM_OUT_CORRUPT] > 0);
        sim_quiz_answer_clear(&a);
    }
    g_assert_cmpuint(with_barrier, >, 100);
    g_assert_cmpuint(barrier_off_corrupt, >, 20);
}

static void test_quiz_deterministic(void)
{
    for (guint64 seed = 1; seed < 30; seed++) {
        GString *t[2];
        for (int k = 0; k < 2; k++) {
            SimQuiz q;
            SimQuizAnswer a;
            sim_quiz_generate(seed, &q);
            sim_quiz_solve(&q, &a);
            t[k] = g_string_new(NULL);
            sim_quiz_text(&q, &a, t[k]);
            sim_quiz_answer_clear(&a);
        }
        g_assert_cmpstr(t[0]->str, ==, t[1]->str);
        g_string_free(t[0], TRUE);
        g_string_free(t[1], TRUE);
    }
    SimQuiz a, b;
    sim_quiz_generate(1, &a);
    sim_quiz_generate(2, &b);
    g_assert_true(a.cut != b.cut || a.barrier != b.barrier || a.w[0].t_done != b.w[0].t_done);
}

/* The tracker over a RAID controller (run --crash-states exhaustive on RAID):
 * one write of block 100, through the pending layer, run until it completed.
 *  - battery-backed cache (megaraid-style defaults, member caches off): the
 *    write is on the logical durable image at its acknowledgement, so the
 *    pending set is empty - no state can lose it (R1);
 *  - forced write-back without a battery: acknowledged from a volatile
 *    cache, not on the image: one free write (latest 7, base 0), 2 states. */
static void st_done(SimIo *io, gpointer ctx) { *(gboolean *)ctx = TRUE; sim_io_free(io); }
static SimToken st_media(gconstpointer ud, guint64 block) { return sim_media_get(ud, block); }
static void test_raid_tracker(void)
{
    SimHddCfg h;
    sim_params_defaults(&sim_hdd_schema, &h);
    for (int k = 0; k < 2; k++) {
        SimRaidCfg c;
        sim_params_defaults(&sim_raid_schema, &c);
        if (k == 1) {
            c.write_policy = SIM_RAID_FORCED_WB;
            c.backing = SIM_RAID_BACKING_NONE;
        }
        SimWorld *w = sim_world_new(1, 0);
        SimBlkDev *d = sim_device_new(w, SIM_DEV_RAID, &h, &c);
        SimBlkDev *pl = sim_pend_layer_new(w, d);
        gboolean done = FALSE;
        SimIo *io = sim_io_new(SIM_IO_WRITE, 100, 1);
        io->tokens[0] = 7;
        io->done = st_done;
        io->ctx = &done;
        sim_blk_submit(pl, io);
        sim_world_run(w, sim_time_from_s(0.0001));
        g_assert_true(done);
        g_assert_cmpuint(sim_media_get(d->media, 100), ==, k == 0 ? 7 : 0);
        g_autoptr(GArray) pend = sim_pend_track_pending(sim_pend_layer_track(pl), st_media, d->media);
        if (k == 0)
            g_assert_cmpuint(pend->len, ==, 0);
        else {
            g_assert_cmpuint(pend->len, ==, 1);
            const SimPendWrite *p = &g_array_index(pend, SimPendWrite, 0);
            g_assert_cmpuint(p->block, ==, 100);
            g_assert_cmpuint(p->tok, ==, 7);
            g_assert_cmpuint(p->base, ==, 0);
            g_assert_false(p->forced);
        }
        sim_blkdev_free(pl);
        sim_blkdev_free(d);
        sim_world_free(w);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_free(test_find_data("matrix-barrier-on.lua", &root_dir, NULL));
    g_test_add_func("/states/hand-computed", test_hand_computed);
    g_test_add_func("/states/landed-version", test_landed_version);
    g_test_add_func("/states/run-barriers", test_run_barriers);
    g_test_add_func("/states/run-hand-cut", test_run_hand_cut);
    g_test_add_func("/states/run-lying-history", test_run_lying_history);
    g_test_add_func("/states/raid-tracker", test_raid_tracker);
    g_test_add_func("/quiz/agrees-with-brute-force", test_quiz_agrees);
    g_test_add_func("/quiz/deterministic", test_quiz_deterministic);
    int r = g_test_run();
    g_free(root_dir);
    return r;
}

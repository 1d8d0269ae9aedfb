/* tests/test-engine.c - the event engine (heap order, ties, cancellation,
 * run-until, accounting) and the RNG streams. */
#include "core/sim.h"
#include "testutil.h"
#include <string.h>

/* ---- heap order against a naive reference ------------------------------- */

typedef struct {
    SimTime    time;
    SimEventId h;
    gboolean   cancelled;
    gboolean   dispatched;
} RefEv;

typedef struct {
    SimWorld *w;
    GArray   *ref;        /* RefEv, index = id = scheduling order */
    GArray   *order;      /* ids in dispatch order */
    GRand    *rand;
    SimTime   last;
} Model;

static void model_ev(SimWorld *w, gpointer obj, gint64 arg);

static guint model_schedule(Model *m, SimTime t)
{
    RefEv r = { .time = t };
    guint id = m->ref->len;
    r.h = sim_schedule_at(m->w, t, model_ev, m, id);
    g_array_append_val(m->ref, r);
    return id;
}

static void model_ev(SimWorld *w, gpointer obj, gint64 arg)
{
    Model *m = obj;
    RefEv *r = &g_array_index(m->ref, RefEv, arg);
    g_assert_false(r->cancelled);
    g_assert_false(r->dispatched);
    g_assert_cmpint(sim_now(w), ==, r->time);
    g_assert_cmpint(sim_now(w), >=, m->last);          /* time never goes back */
    m->last = sim_now(w);
    r->dispatched = TRUE;
    guint id = (guint)arg;
    g_array_append_val(m->order, id);
    /* handlers schedule too, sometimes at the current instant */
    if (g_rand_int_range(m->rand, 0, 4) == 0)
        model_schedule(m, sim_now(w) + g_rand_int_range(m->rand, 0, 3) * 10);
}

/* run to the end; every event not cancelled ran exactly once, in (time, id) order */
static void model_free(Model *m)
{
    g_array_free(m->ref, TRUE);
    g_array_free(m->order, TRUE);
    g_rand_free(m->rand);
    sim_world_free(m->w);
}

static void model_finish(Model *m)
{
    sim_world_run(m->w, SIM_TIME_MAX);
    g_assert_true(sim_world_check(m->w));
    g_assert_cmpuint(sim_world_pending(m->w), ==, 0);

    guint expect = 0;
    for (guint i = 0; i < m->ref->len; i++) {
        const RefEv *r = &g_array_index(m->ref, RefEv, i);
        g_assert_cmpint(r->dispatched, !=, r->cancelled);
        expect += r->dispatched;
    }
    g_assert_cmpuint(m->order->len, ==, expect);
    for (guint k = 1; k < m->order->len; k++) {
        const RefEv *a = &g_array_index(m->ref, RefEv, g_array_index(m->order, guint, k - 1));
        const RefEv *b = &g_array_index(m->ref, RefEv, g_array_index(m->order, guint, k));
        g_assert_true(a->time < b->time ||
                      (a->time == b->time && g_array_index(m->order, guint, k - 1) < g_array_index(m->order, guint, k)));
    }
    g_assert_cmpuint(m->w->scheduled, ==, m->w->dispatched + m->w->cancelled);
}

static void test_heap_vs_reference(void)
{
    for (int round = 0; round < 20; round++) {
        Model m = { sim_world_new(1, 0), g_array_new(FALSE, FALSE, sizeof(RefEv)),
                    g_array_new(FALSE, FALSE, sizeof(guint)), g_rand_new_with_seed(g_test_rand_int()), 0 };
        for (int step = 0; step < 400; step++) {
            int what = g_rand_int_range(m.rand, 0, 10);
            if (what < 6) {
                /* few distinct times, so ties are common */
                model_schedule(&m, sim_now(m.w) + g_rand_int_range(m.rand, 0, 8) * 10);
            } else if (what < 8 && m.ref->len) {
                RefEv *r = &g_array_index(m.ref, RefEv, g_rand_int_range(m.rand, 0, m.ref->len));
                gboolean live = !r->cancelled && !r->dispatched;
                g_assert_cmpint(sim_event_pending(m.w, r->h), ==, live);
                g_assert_cmpint(sim_event_cancel(m.w, r->h), ==, live);
                r->cancelled = r->cancelled || live;
                g_assert_false(sim_event_cancel(m.w, r->h));     /* stale now */
            } else {
                sim_world_run(m.w, sim_now(m.w) + g_rand_int_range(m.rand, 0, 40));
            }
            g_assert_true(sim_world_check(m.w));
        }
        model_finish(&m);
        model_free(&m);
    }
}

/* Many pending events: the heap, the slots and the free list grow past their
 * first capacity (1024) while events are pending, some cancelled. */
static void test_heap_grows(void)
{
    Model m = { sim_world_new(1, 0), g_array_new(FALSE, FALSE, sizeof(RefEv)),
                g_array_new(FALSE, FALSE, sizeof(guint)), g_rand_new_with_seed(g_test_rand_int()), 0 };
    for (int wave = 0; wave < 3; wave++) {
        for (int i = 0; i < 3000; i++)
            model_schedule(&m, sim_now(m.w) + g_rand_int_range(m.rand, 0, 64) * 10);
        for (int i = 0; i < 300; i++) {
            RefEv *r = &g_array_index(m.ref, RefEv, g_rand_int_range(m.rand, 0, m.ref->len));
            gboolean live = !r->cancelled && !r->dispatched;
            g_assert_cmpint(sim_event_cancel(m.w, r->h), ==, live);
            r->cancelled = r->cancelled || live;
        }
        g_assert_true(sim_world_check(m.w));
        sim_world_run(m.w, sim_now(m.w) + 200);
        g_assert_true(sim_world_check(m.w));
    }
    model_finish(&m);
    model_free(&m);
}

/* ---- ties, run-until, stop ------------------------------------------------ */

static void record_ev(SimWorld *w, gpointer obj, gint64 arg)
{
    g_array_append_val((GArray *)obj, arg);
}

static void test_fifo_ties(void)
{
    SimWorld *w = sim_world_new(1, 0);
    GArray *got = g_array_new(FALSE, FALSE, sizeof(gint64));
    /* interleave two instants; within each, scheduling order must hold */
    for (gint64 i = 0; i < 200; i++)
        sim_schedule_at(w, (i % 2) ? SIM_US(5) : SIM_US(3), record_ev, got, i);
    sim_world_run(w, SIM_TIME_MAX);
    g_assert_cmpuint(got->len, ==, 200);
    for (guint k = 0; k < 100; k++) {
        g_assert_cmpint(g_array_index(got, gint64, k), ==, 2 * k);
        g_assert_cmpint(g_array_index(got, gint64, 100 + k), ==, 2 * k + 1);
    }
    g_array_free(got, TRUE);
    sim_world_free(w);
}

static void stop_ev(SimWorld *w, gpointer obj, gint64 arg)
{
    record_ev(w, obj, arg);
    sim_world_stop(w);
}

static void test_run_until(void)
{
    SimWorld *w = sim_world_new(1, 0);
    GArray *got = g_array_new(FALSE, FALSE, sizeof(gint64));
    sim_schedule_at(w, SIM_MS(10), record_ev, got, 10);
    sim_schedule_at(w, SIM_MS(20), record_ev, got, 20);
    sim_schedule_at(w, SIM_MS(30), stop_ev, got, 30);
    sim_schedule_at(w, SIM_MS(40), record_ev, got, 40);

    sim_world_run(w, SIM_MS(15));                 /* up to 15: one event, clock at 15 */
    g_assert_cmpuint(got->len, ==, 1);
    g_assert_cmpint(sim_now(w), ==, SIM_MS(15));
    sim_world_run(w, SIM_MS(20));                 /* inclusive bound */
    g_assert_cmpuint(got->len, ==, 2);
    g_assert_cmpint(sim_now(w), ==, SIM_MS(20));
    sim_world_run(w, SIM_MS(25));                 /* nothing due: clock still moves */
    g_assert_cmpuint(got->len, ==, 2);
    g_assert_cmpint(sim_now(w), ==, SIM_MS(25));
    sim_world_run(w, SIM_TIME_MAX);               /* stops inside the 30 ms event */
    g_assert_cmpuint(got->len, ==, 3);
    g_assert_cmpint(sim_now(w), ==, SIM_MS(30));
    g_assert_cmpuint(sim_world_pending(w), ==, 1);
    g_assert_true(sim_world_check(w));
    sim_world_run(w, SIM_TIME_MAX);               /* empties the heap, clock at the last event */
    g_assert_cmpuint(got->len, ==, 4);
    g_assert_cmpint(sim_now(w), ==, SIM_MS(40));
    g_assert_true(sim_world_check(w));
    g_array_free(got, TRUE);
    sim_world_free(w);
}

/* ---- RNG streams ------------------------------------------------------------ */

static void draw(SimRng *r, guint64 *out, guint n)
{
    for (guint i = 0; i < n; i++)
        out[i] = sim_rng_u64(r);
}

static void test_rng_reproducible(void)
{
    guint64 a[64], b[64], c[64];
    SimWorld *w1 = sim_world_new(42, 3), *w2 = sim_world_new(42, 3);
    draw(sim_world_rng(w1, "destage"), a, 64);
    draw(sim_world_rng(w2, "destage"), b, 64);
    g_assert_cmpmem(a, sizeof a, b, sizeof b);

    draw(sim_world_rng(w1, "crash"), c, 64);          /* another name: another sequence */
    g_assert_false(memcmp(a, c, sizeof a) == 0);
    SimWorld *w3 = sim_world_new(42, 4), *w4 = sim_world_new(43, 3);
    draw(sim_world_rng(w3, "destage"), c, 64);        /* another run */
    g_assert_false(memcmp(a, c, sizeof a) == 0);
    draw(sim_world_rng(w4, "destage"), c, 64);        /* another seed */
    g_assert_false(memcmp(a, c, sizeof a) == 0);
    sim_world_free(w1);
    sim_world_free(w2);
    sim_world_free(w3);
    sim_world_free(w4);
}

static void test_rng_independent(void)
{
    /* a stream's draws do not depend on whether, or how much, another
     * stream of the same world was used, before or in between */
    guint64 alone[100], mixed[100], junk[7];
    SimWorld *w1 = sim_world_new(7, 1), *w2 = sim_world_new(7, 1);
    draw(sim_world_rng(w1, "x"), alone, 100);
    draw(sim_world_rng(w2, "y"), junk, 7);
    SimRng *x = sim_world_rng(w2, "x");
    for (guint i = 0; i < 100; i++) {
        mixed[i] = sim_rng_u64(x);
        if (i % 10 == 0)
            draw(sim_world_rng(w2, "y"), junk, 3);
    }
    g_assert_cmpmem(alone, sizeof alone, mixed, sizeof mixed);
    g_assert_true(sim_world_rng(w2, "x") == x);       /* one stream per name */
    sim_world_free(w1);
    sim_world_free(w2);
}

static void test_rng_below(void)
{
    SimRng r;
    sim_rng_seed(&r, g_test_rand_int(), 0, "below");
    /* bounds, including n = 1 and a range that is not a power of two */
    for (guint i = 0; i < 1000; i++) {
        g_assert_cmpuint(sim_rng_below(&r, 1), ==, 0);
        g_assert_cmpuint(sim_rng_below(&r, 3), <, 3);
        g_assert_cmpuint(sim_rng_below(&r, G_MAXUINT64 / 3 * 2), <, G_MAXUINT64 / 3 * 2);
        double d = sim_rng_double(&r);
        g_assert_cmpfloat(d, >=, 0.0);
        g_assert_cmpfloat(d, <, 1.0);
    }
    /* rough uniformity: chi-square over 10 buckets, 9 degrees of freedom;
     * 40 is far beyond the 0.9999 quantile (about 33.7) */
    enum { K = 10, N = 100000 };
    guint count[K] = { 0 };
    for (guint i = 0; i < N; i++)
        count[sim_rng_below(&r, K)]++;
    double chi2 = 0, e = (double)N / K;
    for (guint k = 0; k < K; k++)
        chi2 += (count[k] - e) * (count[k] - e) / e;
    g_assert_cmpfloat(chi2, <, 40.0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/engine/heap-order-vs-reference", test_heap_vs_reference);
    g_test_add_func("/engine/heap-grows-with-events-pending", test_heap_grows);
    g_test_add_func("/engine/fifo-on-ties", test_fifo_ties);
    g_test_add_func("/engine/run-until-and-stop", test_run_until);
    g_test_add_func("/rng/same-seed-run-name-same-draws", test_rng_reproducible);
    g_test_add_func("/rng/streams-independent", test_rng_independent);
    g_test_add_func("/rng/below-bounds-and-uniformity", test_rng_below);
    return g_test_run();
}

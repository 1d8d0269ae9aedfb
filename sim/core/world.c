/* sim/core/world.c - event heap and run loop. */
#include "sim.h"
#include <string.h>

guint64 sim_hash_str(const char *s)
{
    guint64 h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (guchar)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

SimWorld *sim_world_new(guint64 seed, guint64 run)
{
    SimWorld *w = g_new0(SimWorld, 1);
    w->seed = seed;
    w->run = run;
    w->cap = 1024;
    w->heap = g_new(SimEventKey, w->cap);
    w->body = g_new(SimEventBody, w->cap);
    w->free_slots = g_new(guint32, w->cap);
    for (gsize i = 0; i < w->cap; i++)
        w->free_slots[i] = (guint32)i;
    w->next_seq = 1;
    return w;
}

void sim_world_free(SimWorld *w)
{
    if (!w)
        return;
    g_free(w->heap);
    g_free(w->body);
    g_free(w->free_slots);
    if (w->cancel_set)
        g_hash_table_destroy(w->cancel_set);
    for (guint i = 0; i < w->n_rngs; i++) {
        g_free(w->rngs[i]);
        g_free(w->rng_names[i]);
    }
    g_free(w->rngs);
    g_free(w->rng_names);
    g_free(w);
}

/* (time, seq) order. Times are never negative (t >= now >= 0), so the pair
 * compares as one unsigned 128-bit number: a compare and a subtract with
 * borrow, and a result that feeds a select rather than a hard-to-predict
 * branch (the heap's child choice is a coin toss). */
static inline gboolean key_less(SimTime at, guint64 as, SimTime bt, guint64 bs)
{
#ifdef __SIZEOF_INT128__
    unsigned __int128 ka = (unsigned __int128)(guint64)at << 64 | as;
    unsigned __int128 kb = (unsigned __int128)(guint64)bt << 64 | bs;
    return ka < kb;
#else
    return (at < bt) | ((at == bt) & (as < bs));
#endif
}

static inline gboolean ev_less(const SimEventKey *a, const SimEventKey *b)
{
    return key_less(a->time, a->seq, b->time, b->seq);
}

/* A 4-ary heap: half the levels of a binary one, and a node's children are
 * adjacent in memory. heap_pop's loop is written for 4. */
#define ARITY 4

static void grow(SimWorld *w)
{
    gsize old = w->cap;
    g_assert(old < G_MAXUINT32);         /* slots are 32-bit */
    w->cap = MIN(2 * old, (gsize)G_MAXUINT32);
    w->heap = g_renew(SimEventKey, w->heap, w->cap);
    w->body = g_renew(SimEventBody, w->body, w->cap);
    w->free_slots = g_renew(guint32, w->free_slots, w->cap);
    for (gsize i = old; i < w->cap; i++) /* full when grown: the new slots are the free ones */
        w->free_slots[i] = (guint32)i;
}

SimEventId sim_schedule_at(SimWorld *w, SimTime t, SimEventFn fn, gpointer obj, gint64 arg)
{
    g_assert(t >= w->now);
    if (w->n == w->cap)
        grow(w);
    SimEventKey ev = { t, w->next_seq++, w->free_slots[w->n] };
    w->body[ev.slot] = (SimEventBody){ fn, obj, arg };
    gsize i = w->n++;
    while (i > 0) {                      /* sift up */
        gsize p = (i - 1) / ARITY;
        if (!ev_less(&ev, &w->heap[p]))
            break;
        w->heap[i] = w->heap[p];
        i = p;
    }
    w->heap[i] = ev;
    w->scheduled++;
    return (SimEventId){ t, ev.seq };
}

/* The pop's descent works on byte offsets into the heap rather than on
 * indices: the children of the key at offset o start at ARITY * o + K, and
 * no index is multiplied by the key's size on the way. */
#define K sizeof(SimEventKey)
#define KEY_AT(h, o) ((SimEventKey *)((char *)(h) + (o)))
#define SEL(mask, x, y) ((y) ^ (((guint64)(x) ^ (guint64)(y)) & (mask)))   /* mask ? x : y */

/* The offset of the smallest of the four keys from offset c. The keys are
 * loaded once and the winners of the first round are selected by value, so
 * the final compare does not wait for a load from a computed address: the
 * descent is a chain of dependent steps, one per level. */
static inline gsize min4_at(SimEventKey *h, gsize c)
{
    const SimEventKey *k = KEY_AT(h, c);
    /* all-ones when the right-hand key of a pair is the smaller; selects
     * are done with masks, as a compiler may turn ?: into a branch */
    guint64 m01 = -(guint64)key_less(k[1].time, k[1].seq, k[0].time, k[0].seq);
    guint64 m23 = -(guint64)key_less(k[3].time, k[3].seq, k[2].time, k[2].seq);
    guint64 ta = SEL(m01, k[1].time, k[0].time), sa = SEL(m01, k[1].seq, k[0].seq);
    guint64 tb = SEL(m23, k[3].time, k[2].time), sb = SEL(m23, k[3].seq, k[2].seq);
    gsize oa = c + (m01 & K), ob = c + 2 * K + (m23 & K);
    guint64 mab = -(guint64)key_less((SimTime)tb, sb, (SimTime)ta, sa);
    return SEL(mab, ob, oa);
}

/* Offset of the smaller of the keys at offsets a and b, without a branch. */
static inline gsize min_at(SimEventKey *h, gsize a, gsize b)
{
    return a ^ ((a ^ b) & -(gsize)ev_less(KEY_AT(h, b), KEY_AT(h, a)));
}

/* Pop the minimum into *out. Bottom-up (Floyd): the hole left at the root
 * goes down to a leaf along the smallest child, with no test against the
 * element being re-placed, then the last element rises from there; it came
 * from the bottom, so it rarely rises far. */
static inline void heap_pop(SimWorld *w, SimEventKey *out)
{
    SimEventKey *h = w->heap;
    *out = h[0];
    gsize n = --w->n;                    /* h[n] is the element to re-place */
    w->free_slots[n] = out->slot;        /* the caller reads the body first */
    if (n == 0)
        return;
    gsize o = 0, c = K, end = n * K;     /* offsets: hole, first child, h[n] */
    while (c + 3 * K < end) {            /* four children below h[n] */
        c = min4_at(h, c);
        *KEY_AT(h, o) = *KEY_AT(h, c);
        o = c;
        c = ARITY * o + K;
    }
    if (c < end) {                       /* one to three children */
        gsize m = c;
        for (gsize k = c + K; k < end; k += K)
            m = min_at(h, m, k);
        *KEY_AT(h, o) = *KEY_AT(h, m);
        o = m;
    }
    gsize i = o / K;
    SimEventKey last = h[n];
    while (i > 0) {                      /* sift up */
        gsize p = (i - 1) / ARITY;
        if (!ev_less(&last, &h[p]))
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = last;
}
#undef KEY_AT
#undef SEL
#undef K

gboolean sim_event_pending(const SimWorld *w, SimEventId id)
{
    if (id.seq == 0 || id.time < w->now)
        return FALSE;
    if (w->cancel_set && g_hash_table_contains(w->cancel_set, &id.seq))
        return FALSE;
    /* pending iff still in the heap (a scan: callers ask rarely) */
    for (gsize i = 0; i < w->n; i++)
        if (w->heap[i].seq == id.seq)
            return TRUE;
    return FALSE;
}

gboolean sim_event_cancel(SimWorld *w, SimEventId id)
{
    if (!sim_event_pending(w, id))
        return FALSE;
    if (!w->cancel_set)
        w->cancel_set = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    guint64 *k = g_new(guint64, 1);
    *k = id.seq;
    g_hash_table_add(w->cancel_set, k);
    w->cancelled++;
    return TRUE;
}

void sim_world_stop(SimWorld *w) { w->stopping = TRUE; }

void sim_world_run(SimWorld *w, SimTime until)
{
    w->stopping = FALSE;
    while (w->n && !w->stopping) {
        if (w->heap[0].time > until)
            break;
        SimEventKey ev;
        heap_pop(w, &ev);
        g_assert(ev.time >= w->now);     /* time never goes back */
        if (w->cancel_set && g_hash_table_size(w->cancel_set) &&
            g_hash_table_remove(w->cancel_set, &ev.seq))
            continue;                    /* counted when cancelled */
        w->now = ev.time;
        w->dispatched++;
        SimEventBody b = w->body[ev.slot];  /* before the handler reuses the slot */
        b.fn(w, b.obj, b.arg);
    }
    if (!w->stopping && until != SIM_TIME_MAX && until > w->now)
        w->now = until;
}

gsize sim_world_pending(const SimWorld *w)
{
    return w->n - (w->cancel_set ? g_hash_table_size(w->cancel_set) : 0);
}

gboolean sim_world_check(const SimWorld *w)
{
    return w->scheduled == w->dispatched + w->cancelled + sim_world_pending(w);
}

SimRng *sim_world_rng(SimWorld *w, const char *name)
{
    for (guint i = 0; i < w->n_rngs; i++)
        if (strcmp(w->rng_names[i], name) == 0)
            return w->rngs[i];
    w->rngs = g_renew(SimRng *, w->rngs, w->n_rngs + 1);
    w->rng_names = g_renew(char *, w->rng_names, w->n_rngs + 1);
    w->rngs[w->n_rngs] = g_new(SimRng, 1);
    w->rng_names[w->n_rngs] = g_strdup(name);
    sim_rng_seed(w->rngs[w->n_rngs], w->seed, w->run, name);
    return w->rngs[w->n_rngs++];
}

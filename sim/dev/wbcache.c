/* sim/dev/wbcache.c - write-back cache: dirty segments, block map, destage
 * choice. See wbcache.h for the model. */
#include "wbcache.h"
#include <string.h>

const char *const sim_destage_policy_names[] = { "fifo", "clook", "satf", "random", NULL };

struct SimWbCache {
    guint64     capacity;
    SimDestagePolicy policy;
    guint       window;
    SimRng     *rng;
    GHashTable *map;          /* block -> newest held copy (SimWbSeg *) */
    SimWbSeg   *oldest, *newest;
    SimWbSeg   *spare;        /* free list, linked by next */
    SimWbSeg  **cand;         /* scratch for pick: window entries */
    guint64     next_seq;
    guint64     used, dirty;
};

#define KEY(b) GSIZE_TO_POINTER((gsize)(b))

SimWbCache *sim_wbcache_new(guint64 capacity_blocks, SimDestagePolicy policy, guint window, SimRng *rng)
{
    g_return_val_if_fail(window >= 1 && (policy != SIM_DESTAGE_RANDOM || rng), NULL);
    SimWbCache *c = g_new0(SimWbCache, 1);
    c->capacity = capacity_blocks;
    c->policy = policy;
    c->window = policy == SIM_DESTAGE_FIFO ? 1 : window;
    c->rng = rng;
    c->map = g_hash_table_new(g_direct_hash, NULL);
    c->cand = g_new(SimWbSeg *, c->window);
    c->next_seq = 1;
    return c;
}

static void seg_release_mem(SimWbSeg *s)
{
    if (s->tokens != s->tok_inline)
        g_free(s->tokens);
    g_free(s->dead);
}

void sim_wbcache_free(SimWbCache *c)
{
    if (!c)
        return;
    for (SimWbSeg *s = c->oldest, *n; s; s = n) {
        n = s->next;
        seg_release_mem(s);
        g_free(s);
    }
    for (SimWbSeg *s = c->spare, *n; s; s = n) {
        n = s->next;
        g_free(s);
    }
    g_hash_table_destroy(c->map);
    g_free(c->cand);
    g_free(c);
}

guint64 sim_wbcache_capacity(const SimWbCache *c) { return c->capacity; }
guint64 sim_wbcache_used(const SimWbCache *c) { return c->used; }
guint64 sim_wbcache_dirty(const SimWbCache *c) { return c->dirty; }
guint64 sim_wbcache_mark(const SimWbCache *c) { return c->next_seq; }
guint64 sim_wbcache_oldest(const SimWbCache *c) { return c->oldest ? c->oldest->seq : SIM_WB_SEQ_NONE; }

static inline SimWbSeg *lookup(const SimWbCache *c, guint64 block)
{
    return g_hash_table_lookup(c->map, KEY(block));
}

/* The dirty copy a write to `block` would update in place, if any. */
static inline SimWbSeg *dirty_copy(const SimWbCache *c, guint64 block)
{
    SimWbSeg *s = lookup(c, block);
    return s && !s->inflight ? s : NULL;
}

gboolean sim_wbcache_fits(const SimWbCache *c, guint64 block, guint32 n)
{
    if (c->used == 0)
        return TRUE;
    guint64 need = 0;
    for (guint32 i = 0; i < n; i++)
        need += !dirty_copy(c, block + i);
    return c->used + need <= c->capacity;
}

gboolean sim_wbcache_holds(const SimWbCache *c, guint64 block, guint32 n)
{
    for (guint32 i = 0; i < n; i++)
        if (!lookup(c, block + i))
            return FALSE;
    return TRUE;
}

gboolean sim_wbcache_lookup(const SimWbCache *c, guint64 block, SimToken *tok, gboolean *inflight)
{
    SimWbSeg *s = lookup(c, block);
    if (!s)
        return FALSE;
    if (tok)
        *tok = s->tokens[block - s->block];
    if (inflight)
        *inflight = s->inflight;
    return TRUE;
}

static SimWbSeg *seg_new(SimWbCache *c, guint64 block, guint32 n)
{
    SimWbSeg *s = c->spare;
    if (s)
        c->spare = s->next;
    else
        s = g_new(SimWbSeg, 1);
    memset(s, 0, sizeof *s);
    s->block = block;
    s->nblocks = n;
    s->seq = c->next_seq++;
    s->tokens = n <= SIM_IO_INLINE_TOKENS ? s->tok_inline : g_new(SimToken, n);
    s->prev = c->newest;
    if (c->newest)
        c->newest->next = s;
    else
        c->oldest = s;
    c->newest = s;
    return s;
}

static void seg_free(SimWbCache *c, SimWbSeg *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        c->oldest = s->next;
    if (s->next)
        s->next->prev = s->prev;
    else
        c->newest = s->prev;
    seg_release_mem(s);
    s->next = c->spare;
    c->spare = s;
}

static void seg_kill(SimWbSeg *s, guint32 i)
{
    if (!s->dead)
        s->dead = g_new0(guint8, s->nblocks);
    s->dead[i] = 1;
    s->nlive--;
}

void sim_wbcache_write(SimWbCache *c, guint64 block, guint32 n, const SimToken *tokens)
{
    /* Blocks with a dirty copy are updated in place; the others, from the
     * first to the last of them, form the new segment. */
    guint32 lo = n, hi = 0;
    for (guint32 i = 0; i < n; i++) {
        SimWbSeg *o = dirty_copy(c, block + i);
        if (o) {
            o->tokens[block + i - o->block] = tokens[i];
            continue;
        }
        lo = MIN(lo, i);
        hi = i;
    }
    if (lo == n)
        return;
    SimWbSeg *s = seg_new(c, block + lo, hi - lo + 1);
    s->nlive = s->nblocks;
    for (guint32 i = lo; i <= hi; i++) {
        s->tokens[i - lo] = tokens[i];
        SimWbSeg *o = lookup(c, block + i);
        if (o && !o->inflight) {    /* updated in place above */
            seg_kill(s, i - lo);
            continue;
        }
        g_hash_table_insert(c->map, KEY(block + i), s);
    }
    c->used += s->nlive;
    c->dirty += s->nlive;
}

guint64 sim_wbcache_discard(SimWbCache *c, guint64 block, guint32 n)
{
    guint64 oldest = SIM_WB_SEQ_NONE;
    for (guint32 i = 0; i < n; i++) {
        SimWbSeg *s = dirty_copy(c, block + i);
        if (!s)
            continue;
        oldest = MIN(oldest, s->seq);
        seg_kill(s, block + i - s->block);
        g_hash_table_remove(c->map, KEY(block + i));
        c->used--;
        c->dirty--;
        if (s->nlive == 0)
            seg_free(c, s);
    }
    return oldest;
}

void sim_wbseg_live_range(const SimWbSeg *s, guint32 *first, guint32 *last)
{
    guint32 f = 0, l = s->nblocks - 1;
    while (!sim_wbseg_live(s, f))
        f++;
    while (!sim_wbseg_live(s, l))
        l--;
    *first = f;
    *last = l;
}

static guint64 first_live_block(const SimWbSeg *s)
{
    guint32 f, l;
    sim_wbseg_live_range(s, &f, &l);
    return s->block + f;
}

SimWbSeg *sim_wbcache_pick(SimWbCache *c, guint64 limit, guint64 head_block, SimWbCostFn cost, gpointer ud)
{
    guint k = 0;
    for (SimWbSeg *s = c->oldest; s && s->seq < limit && k < c->window; s = s->next)
        if (!s->inflight)
            c->cand[k++] = s;
    if (k == 0)
        return NULL;

    SimWbSeg *best = c->cand[0];
    switch (c->policy) {
    case SIM_DESTAGE_FIFO:
        break;
    case SIM_DESTAGE_RANDOM:
        best = c->cand[sim_rng_below(c->rng, k)];
        break;
    case SIM_DESTAGE_CLOOK: {
        /* Ascending sweep from the head; wrap to the lowest block when
         * nothing lies ahead. */
        SimWbSeg *ahead = NULL, *low = NULL;
        guint64 ahead_b = 0, low_b = 0;
        for (guint i = 0; i < k; i++) {
            guint64 b = first_live_block(c->cand[i]);
            if (b >= head_block && (!ahead || b < ahead_b)) {
                ahead = c->cand[i];
                ahead_b = b;
            }
            if (!low || b < low_b) {
                low = c->cand[i];
                low_b = b;
            }
        }
        best = ahead ? ahead : low;
        break;
    }
    case SIM_DESTAGE_SATF: {
        SimTime best_t = SIM_TIME_MAX;
        for (guint i = 0; i < k; i++) {       /* ties go to the oldest */
            SimTime t = cost(ud, first_live_block(c->cand[i]));
            if (t < best_t) {
                best_t = t;
                best = c->cand[i];
            }
        }
        break;
    }
    }
    return best;
}

void sim_wbcache_begin(SimWbCache *c, SimWbSeg *seg)
{
    g_assert(!seg->inflight && seg->nlive > 0);
    seg->inflight = TRUE;
    c->dirty -= seg->nlive;
}

void sim_wbcache_end(SimWbCache *c, SimWbSeg *seg)
{
    g_assert(seg->inflight);
    for (guint32 i = 0; i < seg->nblocks; i++)
        if (sim_wbseg_live(seg, i) && lookup(c, seg->block + i) == seg)
            g_hash_table_remove(c->map, KEY(seg->block + i));
    c->used -= seg->nlive;
    seg_free(c, seg);
}

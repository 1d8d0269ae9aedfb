/* sim/crash/states.c - the crash states an honest device could leave (states.h). */
#include "states.h"
#include "../blk/media.h"
#include <string.h>

gint sim_pend_cmp(gconstpointer a, gconstpointer b)
{
    const SimPendWrite *p = a, *q = b;
    if (p->data != q->data)
        return p->data ? 1 : -1;
    if (p->order != q->order)
        return p->order < q->order ? -1 : 1;
    return p->block < q->block ? -1 : p->block > q->block;
}

gboolean sim_crash_states_durable(const GArray *pend, guint64 mask, guint i)
{
    const SimPendWrite *p = &g_array_index(pend, SimPendWrite, i);
    if (p->forced)
        return TRUE;
    guint fi = 0;
    for (guint k = 0; k < i; k++)
        fi += !g_array_index(pend, SimPendWrite, k).forced;
    return fi < 64 && ((mask >> fi) & 1);
}

/* Next bit pattern with the same number of bits (Gosper). */
static guint64 next_comb(guint64 v)
{
    guint64 t = v | (v - 1);
    return (t + 1) | (((~t & -~t) - 1) >> (__builtin_ctzll(v) + 1));
}

static gboolean bad(SimOutcome o) { return o == SIM_OUT_CORRUPT || o == SIM_OUT_UNMOUNTABLE; }

static void found(SimCrashStates *cs, guint64 v, SimOutcome o, const GString *reason)
{
    cs->have_witness = TRUE;
    cs->witness_mask = v;
    cs->witness_outcome = o;
    g_string_assign(cs->witness_reason, reason->str);
}

void sim_crash_states_run(SimCrashStates *cs, const GArray *pend, guint max_free, guint samples, SimRng *rng,
                          SimStateJudge judge, gpointer ud)
{
    memset(cs, 0, sizeof *cs);
    cs->witness_reason = g_string_new(NULL);
    for (guint i = 0; i < pend->len; i++) {
        if (g_array_index(pend, SimPendWrite, i).forced)
            cs->nforced++;
        else
            cs->nfree++;
    }
    g_autoptr(GString) reason = g_string_new(NULL);
    guint n = cs->nfree;
    if (n <= max_free) {
        for (guint k = 0; k <= n; k++) {             /* by size: the first corrupt one is a smallest */
            guint64 v = k ? (G_GUINT64_CONSTANT(1) << k) - 1 : 0;
            while (TRUE) {
                SimOutcome o = judge(ud, pend, v, reason);
                cs->counts[o]++;
                cs->states++;
                if (!cs->have_witness && bad(o))
                    found(cs, v, o, reason);
                if (k == 0 || k == n)
                    break;
                v = next_comb(v);
                if (v >> n)
                    break;
            }
        }
        return;
    }
    /* too many to enumerate: a deterministic sample, each free write durable with p = 1/2 */
    cs->sampled = TRUE;
    guint best = G_MAXUINT, m = MIN(n, 64);
    for (guint s = 0; s < samples; s++) {
        guint64 v = 0;
        for (guint i = 0; i < m; i++)
            if (sim_rng_u64(rng) & 1)
                v |= G_GUINT64_CONSTANT(1) << i;
        SimOutcome o = judge(ud, pend, v, reason);
        cs->counts[o]++;
        cs->states++;
        guint pc = (guint)__builtin_popcountll(v);
        if (bad(o) && pc < best) {
            best = pc;
            found(cs, v, o, reason);
        }
    }
    if (!cs->have_witness)
        return;
    /* shrink the sampled witness: drop each durable free write that the verdict does not need */
    for (guint i = 0; i < 64; i++) {
        guint64 bit = G_GUINT64_CONSTANT(1) << i;
        if (!(cs->witness_mask & bit))
            continue;
        SimOutcome o = judge(ud, pend, cs->witness_mask & ~bit, reason);
        if (bad(o))
            found(cs, cs->witness_mask & ~bit, o, reason);
    }
}

void sim_crash_states_clear(SimCrashStates *cs)
{
    if (cs->witness_reason)
        g_string_free(cs->witness_reason, TRUE);
    cs->witness_reason = NULL;
}

void sim_crash_states_summary_add(SimCrashStatesSummary *sum, const SimCrashStates *st, guint run, guint64 trial,
                                  SimTime t, const char *where)
{
    sum->cuts++;
    sum->states += st->states;
    sum->sampled_cuts += st->sampled;
    sum->max_free = MAX(sum->max_free, st->nfree);
    for (int o = 0; o < SIM_OUT_N; o++)
        sum->counts[o] += st->counts[o];
    if (!st->have_witness)
        return;
    sum->bad_cuts++;
    guint size = (guint)__builtin_popcountll(st->witness_mask);
    if (sum->have_witness &&
        (size > sum->w_size ||
         (size == sum->w_size && (run > sum->w_run || (run == sum->w_run && trial >= sum->w_trial)))))
        return;
    sum->have_witness = TRUE;
    sum->w_run = run;
    sum->w_trial = trial;
    sum->w_t = t;
    sum->w_size = size;
    sum->w_free = st->nfree;
    sum->w_sampled = st->sampled;
    sum->w_outcome = st->witness_outcome;
    g_free(sum->w_reason);
    sum->w_reason = g_strconcat(where ? where : "", st->witness_reason->str, NULL);
}

SimOutcome sim_media_judge(gpointer ud, const GArray *pend, guint64 mask, GString *reason)
{
    SimMediaJudge *j = ud;
    guint n = pend->len, fi = 0;
    SimToken *old = g_new(SimToken, MAX(n, 1));
    for (guint i = 0; i < n; i++) {
        const SimPendWrite *p = &g_array_index(pend, SimPendWrite, i);
        old[i] = sim_media_get(j->m, p->block);
        gboolean on = p->forced || (fi < 64 && ((mask >> fi) & 1));
        if (!p->forced)
            fi++;
        sim_media_init_block(j->m, p->block, on ? p->tok : p->base);
    }
    g_string_truncate(reason, 0);
    SimOutcome o = sim_check_image(j->chk, j->m, j->promises, reason);
    for (guint i = n; i-- > 0;)
        sim_media_init_block(j->m, g_array_index(pend, SimPendWrite, i).block, old[i]);
    g_free(old);
    return o;
}

/* ---- the tracker ------------------------------------------------------------- */

typedef struct {
    SimToken tok;
    gboolean fua;
    guint64  seq;                /* the write's handle: issue order */
    SimTime  t_done;             /* -1: in flight */
} Ver;

typedef struct { guint64 block; guint32 n; } Sent;

struct SimPendTrack {
    GHashTable *blocks;          /* block -> GArray of Ver, oldest first, from the base on */
    GHashTable *sent;            /* handle -> Sent, writes in flight */
    guint64     seq;
    SimTime     flushed_sub;     /* latest issue instant of a completed flush, -1: none */
};

SimPendTrack *sim_pend_track_new(void)
{
    SimPendTrack *t = g_new0(SimPendTrack, 1);
    t->blocks = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, (GDestroyNotify)g_array_unref);
    t->sent = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
    t->flushed_sub = -1;
    return t;
}

void sim_pend_track_free(SimPendTrack *t)
{
    if (!t)
        return;
    g_hash_table_destroy(t->blocks);
    g_hash_table_destroy(t->sent);
    g_free(t);
}

guint64 sim_pend_track_write(SimPendTrack *t, guint64 block, guint32 n, const SimToken *toks, gboolean fua,
                             SimTime now)
{
    guint64 h = ++t->seq;
    for (guint32 j = 0; j < n; j++) {
        gint64 b = (gint64)(block + j);
        GArray *a = g_hash_table_lookup(t->blocks, &b);
        if (!a) {
            a = g_array_new(FALSE, FALSE, sizeof(Ver));
            g_hash_table_insert(t->blocks, g_memdup2(&b, sizeof b), a);
        }
        Ver v = { toks[j], fua, h, -1 };
        g_array_append_val(a, v);
    }
    gint64 k = (gint64)h;
    Sent s = { block, n };
    g_hash_table_insert(t->sent, g_memdup2(&k, sizeof k), g_memdup2(&s, sizeof s));
    return h;
}

void sim_pend_track_write_done(SimPendTrack *t, guint64 handle, SimTime now)
{
    gint64 k = (gint64)handle;
    Sent *s = g_hash_table_lookup(t->sent, &k);
    g_assert(s);
    for (guint32 j = 0; j < s->n; j++) {
        gint64 b = (gint64)(s->block + j);
        GArray *a = g_hash_table_lookup(t->blocks, &b);
        for (guint i = a ? a->len : 0; i-- > 0;)
            if (g_array_index(a, Ver, i).seq == handle) {
                g_array_index(a, Ver, i).t_done = now;
                break;
            }
    }
    g_hash_table_remove(t->sent, &k);
}

void sim_pend_track_flush_done(SimPendTrack *t, SimTime t_sub, SimTime now)
{
    if (t_sub > t->flushed_sub)
        t->flushed_sub = t_sub;
}

/* D1/B3: durable on an honest device: FUA and completed, or completed no
 * later than the issue of a flush that has completed. */
static gboolean forced(const SimPendTrack *t, const Ver *v)
{
    return v->t_done >= 0 && (v->fua || v->t_done <= t->flushed_sub);
}

char sim_pend_track_why(const SimPendTrack *t, guint64 block)
{
    gint64 b = (gint64)block;
    GArray *a = g_hash_table_lookup(t->blocks, &b);
    if (!a || !a->len)
        return 0;
    const Ver *v = &g_array_index(a, Ver, a->len - 1);
    if (v->t_done < 0)
        return 'I';
    if (v->fua)
        return 'F';
    return v->t_done <= t->flushed_sub ? 'P' : 'C';
}

static gint cmp_pend_block(gconstpointer a, gconstpointer b)
{
    const SimPendWrite *p = a, *q = b;
    return p->block < q->block ? -1 : p->block > q->block;
}

GArray *sim_pend_track_pending(SimPendTrack *t, SimToken (*media_get)(gconstpointer ud, guint64 block),
                               gconstpointer ud)
{
    GArray *out = g_array_new(FALSE, FALSE, sizeof(SimPendWrite));
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, t->blocks);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        GArray *a = v;
        guint64 block = (guint64) * (gint64 *)k;
        SimToken m = media_get(ud, block);
        gint base = -1;                  /* the newest version forced or on media */
        for (gint i = (gint)a->len - 1; i >= 0 && base < 0; i--) {
            const Ver *w = &g_array_index(a, Ver, i);
            if (forced(t, w) || w->tok == m)
                base = i;
        }
        if (base > 0)
            g_array_remove_range(a, 0, (guint)base);   /* older versions can no longer matter */
        if (base >= 0)
            base = 0;
        const Ver *last = &g_array_index(a, Ver, a->len - 1);
        if (base == (gint)a->len - 1) {
            if (last->tok != m) {        /* forced but not on this media (a drive that lies): apply it */
                SimPendWrite p = { block, last->tok, last->tok, TRUE, FALSE, last->seq };
                g_array_append_val(out, p);
            }
            continue;
        }
        SimPendWrite p = { block, last->tok, base >= 0 ? g_array_index(a, Ver, base).tok : m, FALSE, FALSE,
                           last->seq };
        g_array_append_val(out, p);
    }
    g_array_sort(out, cmp_pend_block);
    return out;
}

/* ---- the layer --------------------------------------------------------------- */

static void layer_done(SimIo *c, gpointer ctx)
{
    SimBlkDev *d = ctx;
    SimPendTrack *t = d->priv;
    SimTime now = sim_now(d->w);
    if (c->op == SIM_IO_WRITE)
        sim_pend_track_write_done(t, (guint64)c->sub_i, now);
    else if (c->op == SIM_IO_FLUSH)
        sim_pend_track_flush_done(t, c->t_submit, now);
    sim_io_forward_done(d->w, c);
}

static void layer_submit(SimBlkDev *d, SimIo *io)
{
    SimIo *c = sim_io_forward(io, layer_done, d);
    if (io->op == SIM_IO_WRITE)
        c->sub_i = (gint64)sim_pend_track_write(d->priv, io->block, io->nblocks, io->tokens,
                                                (io->flags & SIM_IO_FUA) != 0, sim_now(d->w));
    sim_blk_submit(d->lower, c);
}

static void layer_destroy(SimBlkDev *d) { sim_pend_track_free(d->priv); }

static const SimBlkOps layer_ops = {
    .version = SIM_BLK_OPS_VERSION,
    .name = "pending",
    .submit = layer_submit,
    .destroy = layer_destroy,
};

SimBlkDev *sim_pend_layer_new(SimWorld *w, SimBlkDev *lower)
{
    SimBlkDev *d = sim_blkdev_new(&layer_ops, "pending", w, sim_pend_track_new());
    d->lower = lower;
    d->caps = lower->caps;
    d->nblocks = lower->nblocks;
    d->atomic_bytes = lower->atomic_bytes;
    d->media = lower->media;
    return d;
}

SimPendTrack *sim_pend_layer_track(SimBlkDev *d) { return d->priv; }

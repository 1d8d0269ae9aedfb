/* sim/crash/recover.c - journal recovery as fs/jbd2/recovery.c does it,
 * on whatever tokens are durable (SEMANTICS §1.5).
 *
 * SCAN from s_start expecting s_sequence: a block ends the log unless it is
 * a descriptor, revoke or commit block whose header carries the expected
 * tid. The blocks a descriptor tags are NOT validated (journaled copies have
 * no header): whatever sits there is what replay copies home - this is how a
 * durable commit with a stale body replays "uninitialized transaction
 * blocks". REVOKE: a block revoked in tid R is not replayed from tids <= R
 * (J6). REPLAY: the transactions up to the last complete one, in order.
 */
#include "crash.h"
#include <string.h>

void sim_recovery_init(SimRecovery *r)
{
    memset(r, 0, sizeof *r);
    r->replay = g_array_new(FALSE, FALSE, sizeof(SimReplay));
    r->relevant = g_array_new(FALSE, FALSE, sizeof(guint32));
}

void sim_recovery_clear(SimRecovery *r)
{
    if (r->replay)
        g_array_free(r->replay, TRUE);
    if (r->relevant)
        g_array_free(r->relevant, TRUE);
    memset(r, 0, sizeof *r);
}

static gint cmp_replay(gconstpointer a, gconstpointer b)
{
    const SimReplay *x = a, *y = b;
    if (x->home != y->home)
        return x->home < y->home ? -1 : 1;
    if (x->tid != y->tid)
        return x->tid < y->tid ? -1 : 1;
    return 0;
}

static gint cmp_u32(gconstpointer a, gconstpointer b)
{
    guint32 x = *(const guint32 *)a, y = *(const guint32 *)b;
    return x < y ? -1 : x > y;
}

typedef struct { guint32 block, tid; } Revoke;

void sim_recover(const SimFsLayout *L, const SimContent *C, const SimMedia *m, SimRecovery *r)
{
    g_array_set_size(r->replay, 0);
    g_array_set_size(r->relevant, 0);
    r->clean = r->refused = FALSE;
    r->why[0] = 0;
    r->first_tid = 1;
    r->last_tid = 0;
    r->stop_pos = 0;

    SimToken jt = sim_media_get(m, L->jstart);
    const SimVer *jv = sim_content_get(C, sim_token_base(jt));
    if (sim_token_is_torn(jt) || jv->type != SIM_BT_JSB) {
        r->refused = TRUE;
        g_snprintf(r->why, sizeof r->why, "journal superblock (block %" G_GUINT64_FORMAT ") is %s",
                   L->jstart, sim_token_is_torn(jt) ? "torn" : sim_blk_type_name(jv->type));
        return;
    }
    r->start = jv->u.jsb.start;
    r->sequence = jv->u.jsb.sequence;
    if (r->start == 0) {
        r->clean = TRUE;
        return;
    }
    guint32 npos = L->jblocks - 1;
#define NEXT(p) ((p) % npos + 1)
    GArray *pending = g_array_new(FALSE, FALSE, sizeof(SimReplay));   /* tags of the open transaction */
    GArray *revokes = g_array_new(FALSE, FALSE, sizeof(Revoke));
    GArray *rev_open = g_array_new(FALSE, FALSE, sizeof(Revoke));
    GArray *seen = g_array_new(FALSE, FALSE, sizeof(guint32));         /* positions read, open txn */
    guint32 pos = r->start, expect = r->sequence, scanned = 0;
    r->first_tid = expect;
    for (;;) {
        if (scanned++ > npos) {
            g_snprintf(r->why, sizeof r->why, "log wrapped onto itself");
            break;
        }
        g_array_append_val(seen, pos);
        SimToken t = sim_media_get(m, sim_fs_jblock(L, pos));
        const SimVer *v = sim_content_get(C, sim_token_base(t));
        gboolean hdr = !sim_token_is_torn(t) &&
                       (v->type == SIM_BT_JDESC || v->type == SIM_BT_JCOMMIT || v->type == SIM_BT_JREVOKE);
        if (!hdr || v->tid != expect) {
            r->stop_pos = pos;
            if (hdr)
                g_snprintf(r->why, sizeof r->why, "log position %u holds a %s of T%u, expected T%u", pos,
                           sim_blk_type_name(v->type), v->tid, expect);
            else
                g_snprintf(r->why, sizeof r->why, "log position %u holds %s%s, expected T%u", pos,
                           sim_token_is_torn(t) ? "a torn " : "", sim_blk_type_name(v->type), expect);
            break;
        }
        if (v->type == SIM_BT_JDESC) {
            const SimJDesc *d = v->u.snap;
            for (guint32 i = 0; i < d->ntags; i++) {
                pos = NEXT(pos);
                SimReplay rp = { d->tags[i].home, sim_media_get(m, sim_fs_jblock(L, pos)), d->tags[i].intended,
                                 expect, pos };
                g_array_append_val(pending, rp);
                g_array_append_val(seen, pos);
            }
            pos = NEXT(pos);
            continue;
        }
        if (v->type == SIM_BT_JREVOKE) {
            const SimJRevoke *rv = v->u.snap;
            for (guint32 i = 0; i < rv->n; i++) {
                Revoke x = { rv->blocks[i], expect };
                g_array_append_val(rev_open, x);
            }
            pos = NEXT(pos);
            continue;
        }
        /* commit block: the transaction is complete */
        g_array_append_vals(r->replay, pending->data, pending->len);
        g_array_append_vals(revokes, rev_open->data, rev_open->len);
        g_array_append_vals(r->relevant, seen->data, seen->len);
        g_array_set_size(pending, 0);
        g_array_set_size(rev_open, 0);
        g_array_set_size(seen, 0);
        r->last_tid = expect++;
        pos = NEXT(pos);
    }
#undef NEXT
    /* The open transaction's headers and the stop position matter; its
     * tagged body positions do not (it is not replayed). */
    for (guint i = 0; i < seen->len; i++) {
        guint32 p = g_array_index(seen, guint32, i);
        gboolean body = FALSE;
        for (guint k = 0; k < pending->len && !body; k++)
            body = g_array_index(pending, SimReplay, k).pos == p;
        if (!body)
            g_array_append_val(r->relevant, p);
    }
    g_array_sort(r->relevant, cmp_u32);
    /* REVOKE then REPLAY: keep, per home block, the last writer not revoked */
    GArray *out = g_array_sized_new(FALSE, FALSE, sizeof(SimReplay), r->replay->len);
    for (guint i = 0; i < r->replay->len; i++) {
        SimReplay *rp = &g_array_index(r->replay, SimReplay, i);
        gboolean revoked = FALSE;
        for (guint k = 0; k < revokes->len && !revoked; k++) {
            Revoke *x = &g_array_index(revokes, Revoke, k);
            revoked = x->block == rp->home && x->tid >= rp->tid;
        }
        if (!revoked)
            g_array_append_val(out, *rp);
    }
    g_array_sort(out, cmp_replay);
    guint n = 0;
    for (guint i = 0; i < out->len; i++) {
        SimReplay *rp = &g_array_index(out, SimReplay, i);
        if (n && g_array_index(out, SimReplay, n - 1).home == rp->home)
            g_array_index(out, SimReplay, n - 1) = *rp;    /* later tid (or later in the same tid) wins */
        else
            g_array_index(out, SimReplay, n++) = *rp;
    }
    g_array_set_size(out, n);
    g_array_free(r->replay, TRUE);
    r->replay = out;
    g_array_free(pending, TRUE);
    g_array_free(revokes, TRUE);
    g_array_free(rev_open, TRUE);
    g_array_free(seen, TRUE);
}

const SimReplay *sim_recovery_find(const SimRecovery *r, guint64 block)
{
    if (!r || !r->replay)
        return NULL;
    guint lo = 0, hi = r->replay->len;
    while (lo < hi) {
        guint mid = (lo + hi) / 2;
        const SimReplay *rp = &g_array_index(r->replay, SimReplay, mid);
        if (rp->home == block)
            return rp;
        if (rp->home < block)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

SimToken sim_recovery_get(const SimRecovery *r, const SimMedia *m, guint64 block)
{
    const SimReplay *rp = sim_recovery_find(r, block);
    return rp ? rp->tok : sim_media_get(m, block);
}

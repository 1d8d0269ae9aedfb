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
 *
 * The evaluator re-runs recovery after every relevant change, so the result
 * also records what it read (a mark per log position) and where the scan
 * can resume: a change to a tagged copy of a replayed transaction updates
 * one entry, a change at the end of the log resumes the scan there, and only
 * a change to a header inside the replayed log needs a scan from the tail.
 */
#include "crash.h"
#include <string.h>

enum { MARK_NONE, MARK_HEADER, MARK_COPY, MARK_OPEN };

void sim_recovery_init(SimRecovery *r)
{
    memset(r, 0, sizeof *r);
    r->replay = g_array_new(FALSE, FALSE, sizeof(SimReplay));
    r->open = g_array_new(FALSE, FALSE, sizeof(guint32));
}

void sim_recovery_clear(SimRecovery *r)
{
    if (r->replay)
        g_array_free(r->replay, TRUE);
    if (r->open)
        g_array_free(r->open, TRUE);
    g_free(r->mark);
    g_free(r->copy_home);
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

gboolean sim_recovery_relevant(const SimRecovery *r, guint32 pos)
{
    return r->mark && pos < r->npos + 1 && r->mark[pos] != MARK_NONE;
}

/* Index of the replay entry for home, or where it would go. */
static guint replay_search(const SimRecovery *r, guint64 home, gboolean *found)
{
    guint lo = 0, hi = r->replay->len;
    while (lo < hi) {
        guint mid = (lo + hi) / 2;
        guint32 h = g_array_index(r->replay, SimReplay, mid).home;
        if (h == home) {
            *found = TRUE;
            return mid;
        }
        if (h < home)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = FALSE;
    return lo;
}

typedef struct { guint32 block, tid; } Revoke;

/* Scan from (pos, expect). `incremental`: the replay array is sorted and
 * deduplicated already; insert new transactions into it (they are newer, so
 * they win). Otherwise collect, then sort and apply revokes. */
static void scan(const SimFsLayout *L, const SimContent *C, const SimMedia *m, SimRecovery *r, guint32 pos,
                 guint32 expect, gboolean incremental)
{
    guint32 npos = r->npos;
#define NEXT(p) ((p) % npos + 1)
    GArray *pending = g_array_new(FALSE, FALSE, sizeof(SimReplay));   /* tags of the open transaction */
    GArray *revokes = g_array_new(FALSE, FALSE, sizeof(Revoke));
    GArray *seen = g_array_new(FALSE, FALSE, sizeof(guint32));         /* headers read, open transaction */
    guint32 scanned = 0, fold = 0, last_time = 0, failed = 0, bad_block = 0;
    r->stop_pos = 0;
    for (;;) {
        if (scanned++ > npos) {
            g_snprintf(r->why, sizeof r->why, "log wrapped onto itself");
            break;
        }
        SimToken t = sim_media_get(m, sim_fs_jblock(L, pos));
        const SimVer *v = sim_content_get(C, sim_token_base(t));
        /* A torn header block still reads as its new header: the magic, type
         * and sequence are in the first sector, which lands first (T2). What
         * the rest of it held is judged below, by the checksum in force. */
        gboolean torn = sim_token_is_torn(t);
        gboolean hdr = v->type == SIM_BT_JDESC || v->type == SIM_BT_JCOMMIT || v->type == SIM_BT_JREVOKE;
        if (!hdr || v->tid != expect) {
            r->stop_pos = pos;
            if (hdr)
                g_snprintf(r->why, sizeof r->why, "log position %u holds a %s of T%u, expected T%u", pos,
                           sim_blk_type_name(v->type), v->tid, expect);
            else
                g_snprintf(r->why, sizeof r->why, "log position %u holds %s%s, expected T%u", pos,
                           torn ? "a torn " : "", sim_blk_type_name(v->type), expect);
            break;
        }
        if (torn && L->jcsum == SIM_JCSUM_V3 && v->type != SIM_BT_JCOMMIT && !bad_block) {
            bad_block = pos;                 /* its tail checksum fails: judged at the next commit */
        }
        if (failed && v->type == SIM_BT_JCOMMIT) {
            /* async: a valid commit after a bad one - "journal transaction N is corrupt" */
            r->refused = TRUE;
            r->stop_pos = pos;
            g_snprintf(r->why, sizeof r->why, "journal transaction %u is corrupt (checksum), and T%u after it "
                       "committed", failed, expect);
            break;
        }
        g_array_append_val(seen, pos);
        if (v->type == SIM_BT_JDESC) {
            const SimJDesc *d = v->u.snap;
            fold = sim_jcsum_fold(fold, t);
            for (guint32 i = 0; i < d->ntags; i++) {
                pos = NEXT(pos);
                SimReplay rp = { d->tags[i].home, sim_media_get(m, sim_fs_jblock(L, pos)), d->tags[i].intended,
                                 expect, pos };
                fold = sim_jcsum_fold(fold, rp.tok);
                g_array_append_val(pending, rp);
            }
        } else if (v->type == SIM_BT_JREVOKE) {
            const SimJRevoke *rv = v->u.snap;
            /* without v3 a torn revoke block goes unnoticed and its records
             * are garbage: none of them takes effect (J8) */
            for (guint32 i = 0; i < (torn ? 0 : rv->n); i++) {
                Revoke x = { rv->blocks[i], expect };
                g_array_append_val(revokes, x);
            }
            r->has_revokes = TRUE;
        } else if (bad_block) {
            /* v3: a descriptor or revoke block failed its checksum and a newer
             * commit follows: recovery fails (-EFSBADCRC) */
            r->refused = TRUE;
            r->stop_pos = pos;
            g_snprintf(r->why, sizeof r->why, "log position %u (T%u) is torn: its block checksum fails", bad_block,
                       expect);
            break;
        } else if (((L->jcsum == SIM_JCSUM_V1 && fold != v->u.commit.csum) ||
                    (L->jcsum == SIM_JCSUM_V3 && torn)) && !failed) {
            /* v1: the crc in the commit block does not match the transaction */
            if (v->u.commit.time_ms < last_time) {
                r->stop_pos = pos;               /* a stale commit from an older journal */
                g_snprintf(r->why, sizeof r->why, "log position %u holds a stale commit block", pos);
                break;
            }
            for (guint i = 0; i < pending->len; i++)   /* its copies decide the checksum */
                g_array_append_val(seen, g_array_index(pending, SimReplay, i).pos);
            if (!L->jasync) {
                r->refused = TRUE;
                r->stop_pos = pos;
                g_snprintf(r->why, sizeof r->why, "journal transaction %u is corrupt (%s)", expect,
                           torn ? "torn commit block" : "commit checksum mismatch");
                break;
            }
            /* async: end the log here, but keep scanning for a later commit */
            failed = expect;
            r->why[0] = 0;
            g_array_set_size(pending, 0);
            fold = 0;
            expect++;
        } else {
            /* commit block: the transaction is complete */
            last_time = v->u.commit.time_ms;
            fold = 0;
            for (guint i = 0; i < seen->len; i++)
                r->mark[g_array_index(seen, guint32, i)] = MARK_HEADER;
            for (guint i = 0; i < pending->len; i++) {
                SimReplay *rp = &g_array_index(pending, SimReplay, i);
                r->mark[rp->pos] = MARK_COPY;
                r->copy_home[rp->pos] = rp->home;
                if (!incremental) {
                    g_array_append_val(r->replay, *rp);
                    continue;
                }
                gboolean found;
                guint at = replay_search(r, rp->home, &found);
                if (found)
                    g_array_index(r->replay, SimReplay, at) = *rp;
                else
                    g_array_insert_val(r->replay, at, *rp);
            }
            g_array_set_size(pending, 0);
            g_array_set_size(seen, 0);
            r->last_tid = expect++;
            r->resume_pos = NEXT(pos);
            r->resume_tid = expect;
        }
        pos = NEXT(pos);
    }
    if (failed && !r->refused) {
        char tail[sizeof r->why];
        g_strlcpy(tail, r->why, sizeof tail);
        g_snprintf(r->why, sizeof r->why, "T%u failed its checksum and ends the log (%s)", failed, tail);
    }
    /* The open transaction's headers and the stop position matter; its
     * tagged copies do not (it is not replayed). */
    g_array_append_val(seen, r->stop_pos);
    for (guint i = 0; i < seen->len; i++) {
        guint32 p = g_array_index(seen, guint32, i);
        if (p && r->mark[p] == MARK_NONE) {
            r->mark[p] = MARK_OPEN;
            g_array_append_val(r->open, p);
        }
    }
#undef NEXT
    if (!incremental) {
        /* REVOKE: the highest revoking tid per block, over complete transactions */
        GHashTable *rev = g_hash_table_new(g_direct_hash, g_direct_equal);
        for (guint k = 0; k < revokes->len; k++) {
            Revoke *x = &g_array_index(revokes, Revoke, k);
            gpointer key = GUINT_TO_POINTER(x->block);
            if (x->tid <= r->last_tid && GPOINTER_TO_UINT(g_hash_table_lookup(rev, key)) < x->tid)
                g_hash_table_insert(rev, key, GUINT_TO_POINTER(x->tid));
        }
        /* REPLAY, in transaction order: revoked tags are skipped first; then
         * v3 checks each tag's checksum - a bad copy is not written and
         * recovery fails at the end ("recover what we can"); per home
         * block the last writer wins */
        g_array_sort(r->replay, cmp_replay);
        guint n = 0;
        for (guint i = 0; i < r->replay->len; i++) {
            SimReplay *rp = &g_array_index(r->replay, SimReplay, i);
            if (GPOINTER_TO_UINT(g_hash_table_lookup(rev, GUINT_TO_POINTER(rp->home))) >= rp->tid)
                continue;
            if (L->jcsum == SIM_JCSUM_V3 && rp->tok != rp->intended) {
                if (!r->refused)
                    g_snprintf(r->why, sizeof r->why,
                               "transaction %u: the copy of block %u at log position %u fails its checksum "
                               "(recovery failed)", rp->tid, rp->home, rp->pos);
                r->refused = TRUE;
                continue;
            }
            if (n && g_array_index(r->replay, SimReplay, n - 1).home == rp->home)
                g_array_index(r->replay, SimReplay, n - 1) = *rp;    /* later tid (or later in the tid) wins */
            else
                g_array_index(r->replay, SimReplay, n++) = *rp;
        }
        g_array_set_size(r->replay, n);
        g_hash_table_destroy(rev);
    }
    g_array_free(pending, TRUE);
    g_array_free(revokes, TRUE);
    g_array_free(seen, TRUE);
}

void sim_recover(const SimFsLayout *L, const SimContent *C, const SimMedia *m, SimRecovery *r)
{
    g_array_set_size(r->replay, 0);
    g_array_set_size(r->open, 0);
    if (!r->mark || r->npos != L->jblocks - 1) {
        g_free(r->mark);
        g_free(r->copy_home);
        r->npos = L->jblocks - 1;
        r->mark = g_new0(guint8, r->npos + 1);
        r->copy_home = g_new0(guint32, r->npos + 1);
    } else {
        memset(r->mark, 0, r->npos + 1);
    }
    r->clean = r->refused = r->refused_jsb = r->has_revokes = FALSE;
    r->why[0] = 0;
    r->first_tid = 1;
    r->last_tid = 0;
    r->stop_pos = 0;

    /* A torn superblock reads as the new one: s_start and s_sequence sit in
     * its first sector, which lands first, and nothing else in it changes
     * between tail updates. */
    SimToken jt = sim_media_get(m, L->jstart);
    const SimVer *jv = sim_content_get(C, sim_token_base(jt));
    if (jv->type != SIM_BT_JSB) {
        r->refused = r->refused_jsb = TRUE;
        g_snprintf(r->why, sizeof r->why, "journal superblock (block %" G_GUINT64_FORMAT ") holds %s",
                   L->jstart, sim_blk_type_name(jv->type));
        return;
    }
    r->start = jv->u.jsb.start;
    r->sequence = jv->u.jsb.sequence;
    if (r->start == 0) {
        r->clean = TRUE;
        return;
    }
    r->first_tid = r->sequence;
    r->last_tid = r->sequence - 1;
    r->resume_pos = r->start;
    r->resume_tid = r->sequence;
    scan(L, C, m, r, r->start, r->sequence, FALSE);
}

gboolean sim_recover_update(const SimFsLayout *L, const SimContent *C, const SimMedia *m, SimRecovery *r,
                            guint32 pos)
{
    if (r->clean || r->refused_jsb || !sim_recovery_relevant(r, pos))
        return FALSE;                        /* not read by the last recovery */
    if (r->refused || L->jcsum != SIM_JCSUM_NONE || L->jasync) {
        sim_recover(L, C, m, r);             /* checksums make every copy decide validity */
        return TRUE;
    }
    switch (r->mark[pos]) {
    case MARK_COPY: {
        /* a tagged copy of a replayed transaction: replay copies the new content */
        gboolean found;
        guint at = replay_search(r, r->copy_home[pos], &found);
        if (!found || g_array_index(r->replay, SimReplay, at).pos != pos)
            return FALSE;                    /* revoked, or a later copy wins */
        g_array_index(r->replay, SimReplay, at).tok = sim_media_get(m, sim_fs_jblock(L, pos));
        return TRUE;
    }
    case MARK_OPEN:
        if (!r->has_revokes) {
            /* the end of the log changed: resume after the last replayed commit */
            for (guint i = 0; i < r->open->len; i++)
                r->mark[g_array_index(r->open, guint32, i)] = MARK_NONE;
            g_array_set_size(r->open, 0);
            scan(L, C, m, r, r->resume_pos, r->resume_tid, TRUE);
            if (r->has_revokes)
                sim_recover(L, C, m, r);     /* a revoke may cancel copies replayed before it */
            return TRUE;
        }
        /* revokes make a resumed scan unsafe */
        G_GNUC_FALLTHROUGH;
    default:
        sim_recover(L, C, m, r);
        return TRUE;
    }
}

const SimReplay *sim_recovery_find(const SimRecovery *r, guint64 block)
{
    if (!r || !r->replay)
        return NULL;
    gboolean found;
    guint at = replay_search(r, block, &found);
    return found ? &g_array_index(r->replay, SimReplay, at) : NULL;
}

SimToken sim_recovery_get(const SimRecovery *r, const SimMedia *m, guint64 block)
{
    const SimReplay *rp = sim_recovery_find(r, block);
    return rp ? rp->tok : sim_media_get(m, block);
}

/* sim/fs/journal.c - jbd2-style transactions: commit (SEMANTICS §1.2),
 * checkpoint and tail (§1.4).
 *
 * The log occupies positions 1..jblocks-1 after the journal superblock.
 * A transaction's log is: descriptor (up to SIM_TAGS_PER_DESC tags), the
 * frozen copies of its metadata blocks, [more descriptors and copies], the
 * commit block. Space between the tail and the head is in use; it is freed
 * only by writing the journal superblock with a newer tail, after the
 * checkpoint writes of the transactions it skips have completed (and were
 * flushed, with barriers).
 */
#include "fs-priv.h"
#include <string.h>

#define NPOS(fs) ((fs)->L.jblocks - 1)

static guint32 pos_add(SimFs *fs, guint32 pos, guint32 k)
{
    return (pos - 1 + k) % NPOS(fs) + 1;
}

static guint32 log_blocks_needed(const FsTxn *t);

static FsTxn *txn_new(SimFs *fs)
{
    FsTxn *t = g_new0(FsTxn, 1);
    t->tid = fs->next_tid++;
    t->state = TX_RUNNING;
    t->bufs = g_array_new(FALSE, FALSE, sizeof(guint32));
    t->toks = g_array_new(FALSE, FALSE, sizeof(SimToken));
    t->bufp = g_ptr_array_new();
    t->ordered = g_array_new(FALSE, FALSE, sizeof(guint32));
    t->freed = g_array_new(FALSE, FALSE, sizeof(guint32));
    t->revokes = g_array_new(FALSE, FALSE, sizeof(guint32));
    t->commit_waiters = g_array_new(FALSE, FALSE, sizeof(FsWaiter));
    g_queue_push_tail(&fs->txns, t);
    return t;
}

static void txn_free(FsTxn *t)
{
    g_array_free(t->bufs, TRUE);
    g_array_free(t->toks, TRUE);
    g_ptr_array_free(t->bufp, TRUE);
    g_array_free(t->ordered, TRUE);
    g_array_free(t->freed, TRUE);
    g_array_free(t->revokes, TRUE);
    g_array_free(t->commit_waiters, TRUE);
    g_free(t);
}

static FsTxn *txn_find(SimFs *fs, guint32 tid)
{
    for (GList *l = fs->txns.head; l; l = l->next)
        if (((FsTxn *)l->data)->tid == tid)
            return l->data;
    return NULL;
}

void jrnl_init(SimFs *fs)
{
    g_queue_init(&fs->txns);
    fs->next_tid = 1;
    fs->head = fs->tail = 1;
    fs->tail_tid = 1;
    fs->jsb_clean = TRUE;
    fs->space_waiters = g_array_new(FALSE, FALSE, sizeof(FsWaiter));
    fs->running = txn_new(fs);
}

void jrnl_free(SimFs *fs)
{
    FsTxn *t;
    while ((t = g_queue_pop_head(&fs->txns)))
        txn_free(t);
    g_array_free(fs->space_waiters, TRUE);
}

guint32 jrnl_running_tid(SimFs *fs) { return fs->running->tid; }

static void commit_kick(SimWorld *w, gpointer obj, gint64 arg);

static void request_commit(SimFs *fs, FsTxn *t)
{
    t->commit_requested = TRUE;
    if (!fs->kick_pending) {
        fs->kick_pending = TRUE;
        sim_schedule_after(fs->w, 0, commit_kick, fs, 0);
    }
}

static void commit_timer(SimWorld *w, gpointer obj, gint64 tid)
{
    SimFs *fs = obj;
    if (fs->running->tid == (guint32)tid)
        request_commit(fs, fs->running);
}

/* The largest transaction the log accepts (jbd2: a quarter of the journal). */
static guint32 max_txn_blocks(SimFs *fs) { return MAX(8u, NPOS(fs) / 4); }

/* jbd2's start_this_handle: a new operation waits while the running
 * transaction is at its maximum size; it joins the next one once this one
 * switches to committing. */
gboolean jrnl_congested(SimFs *fs)
{
    FsTxn *t = fs->running;
    if (log_blocks_needed(t) + 2 < max_txn_blocks(fs))
        return FALSE;
    request_commit(fs, t);
    return TRUE;
}

static void release_room(SimWorld *w, gpointer obj, gint64 arg)
{
    SimFs *fs = obj;
    fs_waiters_run(fs, fs->space_waiters);
}

void jrnl_dirty(SimFs *fs, FsBuf *b)
{
    FsTxn *t = fs->running;
    if (b->jtid == t->tid)
        return;
    b->jtid = t->tid;                   /* a committing copy was frozen at the switch */
    g_array_append_val(t->bufs, b->block);
    if (!t->timer_set) {
        t->timer_set = TRUE;
        sim_schedule_after(fs->w, sim_time_from_s(fs->cfg.commit_s), commit_timer, fs, t->tid);
    }
    if (t->bufs->len >= max_txn_blocks(fs) - t->bufs->len / SIM_TAGS_PER_DESC - 2)
        request_commit(fs, t);
}

void jrnl_add_ordered(SimFs *fs, guint32 ino)
{
    if (fs->im[ino].ordered_tid == fs->running->tid)
        return;
    fs->im[ino].ordered_tid = fs->running->tid;
    g_array_append_val(fs->running->ordered, ino);
}

void jrnl_add_freed(SimFs *fs, guint32 block) { g_array_append_val(fs->running->freed, block); }

/* A journaled block is freed (jbd2_journal_forget): it leaves the cache, so
 * a reallocation starts a fresh buffer, and a revoke record keeps replay of
 * older transactions from overwriting the block once it is reused (J6). Its
 * checkpoint obligation stays: the tail may not pass a transaction whose copy
 * of it is not home (jbd2 instead forces the forgetting transaction to commit
 * first - either way replay can never need a copy the tail skipped). The
 * buffer itself lives on in the graveyard: transactions may point at it. */
void jrnl_forget(SimFs *fs, guint32 block)
{
    FsBuf *b = g_hash_table_lookup(fs->bufs, GUINT_TO_POINTER(block));
    if (!b)
        return;
    g_array_append_val(fs->running->revokes, block);
    g_hash_table_remove(fs->bufs, GUINT_TO_POINTER(block));
    b->forgotten = TRUE;
    g_ptr_array_add(fs->graveyard, b);
}

static void defer_waiter(SimWorld *w, gpointer obj, gint64 arg)
{
    FsWaiter *wt = obj;
    wt->fn((SimFs *)(gintptr)arg, wt->ctx);
    g_free(wt);
}

void jrnl_wait_commit(SimFs *fs, guint32 tid, void (*fn)(SimFs *, gpointer), gpointer ctx, gboolean *needs_barrier)
{
    FsWaiter wt = { fn, ctx };
    if (tid == fs->running->tid) {
        /* jbd2_trans_will_send_data_barrier: the commit's PREFLUSH will do */
        *needs_barrier = FALSE;
        g_array_append_val(fs->running->commit_waiters, wt);
        request_commit(fs, fs->running);
    } else if (fs->committing && tid == fs->committing->tid) {
        /* past its flush point, the commit no longer covers our data */
        *needs_barrier = fs->committing->flush_sent;
        g_array_append_val(fs->committing->commit_waiters, wt);
    } else {
        /* already committed: "flush even if no transaction" */
        *needs_barrier = TRUE;
        FsWaiter *p = g_memdup2(&wt, sizeof wt);
        sim_schedule_after(fs->w, 0, defer_waiter, p, (gint64)(gintptr)fs);
    }
}

/* ---- commit ---------------------------------------------------------------- */

static guint32 log_blocks_needed(const FsTxn *t)
{
    guint32 n = t->bufs->len, r = t->revokes->len;
    return (r + SIM_REVOKES_PER_BLOCK - 1) / SIM_REVOKES_PER_BLOCK + (n + SIM_TAGS_PER_DESC - 1) / SIM_TAGS_PER_DESC +
           n + 1;
}

static guint32 log_free(SimFs *fs) { return NPOS(fs) - fs->used - 1; }

static void checkpoint_start(SimFs *fs);
static void commit_phase2(SimFs *fs, FsTxn *t);
static void commit_write_record(SimFs *fs, FsTxn *t);

static void commit_finish(SimFs *fs, FsTxn *t);
static void commit_io_done(SimIo *io, gpointer ctx);

/* Everything submitted so far has completed: the next step of the commit. */
static void commit_step(SimFs *fs, FsTxn *t)
{
    if (!t->record_sent) {
        commit_write_record(fs, t);          /* phase 5, after phases 3-4 waited for the log and data */
    } else if (fs->L.jasync && fs->cfg.barrier && !t->flush_sent) {
        /* async commit: the record went out with the body; now the flush (J7) */
        t->flush_sent = TRUE;
        t->pending++;
        fs_submit(fs, SIM_IO_FLUSH, 0, 0, 0, NULL, SIM_ORIGIN_JFLUSH, t->tid, commit_io_done, t);
    } else {
        commit_finish(fs, t);
    }
}

static void commit_io_done(SimIo *io, gpointer ctx)
{
    SimFs *fs = ctx;
    FsTxn *t = io->sub;
    sim_io_free(io);
    if (--t->pending == 0)
        commit_step(fs, t);
}

static void commit_data_idle(SimFs *fs, gpointer ctx)
{
    FsTxn *t = ctx;
    if (--t->pending == 0)
        commit_step(fs, t);
}

static void submit_log_run(SimFs *fs, FsTxn *t, guint32 pos, guint32 n, const SimToken *toks, SimOrigin origin)
{
    /* split where the circular log wraps */
    while (n) {
        guint32 k = MIN(n, NPOS(fs) - pos + 1);
        t->pending++;
        fs_submit(fs, SIM_IO_WRITE, 0, sim_fs_jblock(&fs->L, pos), k, toks, origin, t->tid, commit_io_done, t);
        fs->st.meta_blocks_journaled += origin == SIM_ORIGIN_JBODY ? k : 0;
        toks += k;
        n -= k;
        pos = pos_add(fs, pos, k);
    }
}

static void commit_switch(SimFs *fs)
{
    FsTxn *t = fs->running;
    fs->committing = t;
    t->state = TX_COMMITTING;
    t->commit_requested = FALSE;
    fs->running = txn_new(fs);
    if (fs->space_waiters->len)                 /* operations held back join the new transaction */
        sim_schedule_after(fs->w, 0, release_room, fs, 0);
    /* Freeze every buffer now: later changes belong to the new transaction.
     * Buffers forgotten (freed) since they joined are not logged. */
    guint n = 0;
    for (guint i = 0; i < t->bufs->len; i++) {
        guint32 blk = g_array_index(t->bufs, guint32, i);
        FsBuf *b = fs_buf_find(fs, blk);
        if (!b || b->jtid != t->tid)
            continue;                        /* forgotten since it joined */
        SimToken tok = fs_snapshot(fs, b, t->tid);
        g_array_append_val(t->toks, tok);
        g_ptr_array_add(t->bufp, b);
        g_array_index(t->bufs, guint32, n++) = blk;
    }
    g_array_set_size(t->bufs, n);
    t->log_start = fs->head;
    t->log_blocks = log_blocks_needed(t);
    fs->head = pos_add(fs, fs->head, t->log_blocks);
    if (fs->head < t->log_start || t->log_start + t->log_blocks > NPOS(fs) + 1)
        fs->st.journal_wraps++;
    fs->used += t->log_blocks;
}

static void commit_jsb_done(SimIo *io, gpointer ctx)
{
    FsTxn *t = io->sub;
    sim_io_free(io);
    commit_phase2(ctx, t);
}

static SimToken jsb_token(SimFs *fs, guint32 start, guint32 seq)
{
    SimVer v = { .type = SIM_BT_JSB, .block = (guint32)fs->L.jstart, .tid = seq };
    v.u.jsb.start = start;
    v.u.jsb.sequence = seq;
    return sim_content_add(fs->content, &v);
}

static void commit_start(SimFs *fs)
{
    commit_switch(fs);
    FsTxn *t = fs->committing;
    if (fs->jsb_clean) {
        /* JBD2_FLUSHED: record the log start before the first commit (REQ_SYNC only) */
        fs->jsb_clean = FALSE;
        fs->tail = t->log_start;
        fs->tail_tid = t->tid;
        SimToken tok = jsb_token(fs, t->log_start, t->tid);
        fs_submit(fs, SIM_IO_WRITE, 0, fs->L.jstart, 1, &tok, SIM_ORIGIN_JSB, t->tid, commit_jsb_done, t);
        return;
    }
    commit_phase2(fs, t);
}

static void commit_phase2(SimFs *fs, FsTxn *t)
{
    t->pending = 1;                         /* held until everything is submitted */
    /* 2a: ordered data of inodes with newly allocated blocks */
    for (guint i = 0; i < t->ordered->len; i++) {
        guint32 ino = g_array_index(t->ordered, guint32, i);
        fs_write_inode_pages(fs, ino, SIM_ORIGIN_ORDERED_DATA, t->tid, t);
        if (fs->im[ino].inflight) {
            FsWaiter wt = { commit_data_idle, t };
            g_array_append_val(fs->im[ino].idle_waiters, wt);
            t->pending++;
        }
    }
    /* revoke records, then descriptors and frozen copies: plain writes */
    guint32 pos = t->log_start, n = t->bufs->len, nr = t->revokes->len;
    for (guint32 i = 0; i < nr; i += SIM_REVOKES_PER_BLOCK) {
        guint32 k = MIN(SIM_REVOKES_PER_BLOCK, nr - i);
        SimJRevoke *r = g_malloc(sizeof(SimJRevoke) + k * sizeof(guint32));
        r->n = k;
        memcpy(r->blocks, &g_array_index(t->revokes, guint32, i), k * sizeof(guint32));
        SimVer v = { .type = SIM_BT_JREVOKE, .block = (guint32)sim_fs_jblock(&fs->L, pos), .tid = t->tid };
        v.u.snap = r;
        SimToken rt = sim_content_add(fs->content, &v);
        submit_log_run(fs, t, pos, 1, &rt, SIM_ORIGIN_JREVOKE);
        pos = pos_add(fs, pos, 1);
    }
    t->csum = 0;
    for (guint32 i = 0; i < n; i += SIM_TAGS_PER_DESC) {
        guint32 k = MIN(SIM_TAGS_PER_DESC, n - i);
        SimJDesc *d = g_malloc(sizeof(SimJDesc) + k * sizeof(SimJTag));
        d->ntags = k;
        for (guint32 j = 0; j < k; j++)
            d->tags[j] = (SimJTag){ g_array_index(t->bufs, guint32, i + j), g_array_index(t->toks, SimToken, i + j) };
        SimVer v = { .type = SIM_BT_JDESC, .block = (guint32)sim_fs_jblock(&fs->L, pos), .tid = t->tid };
        v.u.snap = d;
        SimToken dt = sim_content_add(fs->content, &v);
        t->csum = sim_jcsum_fold(t->csum, dt);
        for (guint32 j = 0; j < k; j++)
            t->csum = sim_jcsum_fold(t->csum, g_array_index(t->toks, SimToken, i + j));
        submit_log_run(fs, t, pos, 1, &dt, SIM_ORIGIN_JDESC);
        pos = pos_add(fs, pos, 1);
        submit_log_run(fs, t, pos, k, &g_array_index(t->toks, SimToken, i), SIM_ORIGIN_JBODY);
        pos = pos_add(fs, pos, k);
    }
    /* journal_async_commit: the commit record goes out now, not waiting (step 7) */
    if (fs->L.jasync)
        commit_write_record(fs, t);
    /* phases 3-4 wait for all of it (the last reference is dropped here) */
    if (--t->pending == 0)
        commit_step(fs, t);
}


static void commit_write_record(SimFs *fs, FsTxn *t)
{
    guint32 pos = pos_add(fs, t->log_start, t->log_blocks - 1);
    SimVer v = { .type = SIM_BT_JCOMMIT, .block = (guint32)sim_fs_jblock(&fs->L, pos), .tid = t->tid };
    v.u.commit.csum = t->csum;
    v.u.commit.time_ms = (guint32)(sim_now(fs->w) / 1000000);
    SimToken tok = sim_content_add(fs->content, &v);
    t->record_sent = TRUE;
    /* synchronous commit: PREFLUSH+FUA with barriers (the flush point);
     * async commit: a plain write, the flush follows completion */
    guint32 flags = 0;
    if (fs->cfg.barrier && !fs->L.jasync) {
        flags = SIM_IO_PREFLUSH | SIM_IO_FUA;
        t->flush_sent = TRUE;
    }
    t->pending++;
    fs_submit(fs, SIM_IO_WRITE, flags, sim_fs_jblock(&fs->L, pos), 1, &tok, SIM_ORIGIN_JCOMMIT, t->tid, commit_io_done, t);
}

/* Drop transactions with nothing left to checkpoint. */
static void txns_reap(SimFs *fs)
{
    for (GList *l = fs->txns.head; l;) {
        GList *next = l->next;
        FsTxn *t = l->data;
        if (t->state == TX_COMMITTED && t->cp_count == 0) {
            g_queue_delete_link(&fs->txns, l);
            txn_free(t);
        }
        l = next;
    }
}

static void commit_finish(SimFs *fs, FsTxn *t)
{
    t->state = TX_COMMITTED;
    fs->st.commits++;
    for (guint i = 0; i < t->bufp->len; i++) {
        FsBuf *b = g_ptr_array_index(t->bufp, i);   /* forgotten or not: its copy is in the log */
        b->committed = g_array_index(t->toks, SimToken, i);
        b->committed_at = sim_now(fs->w);
        if (b->cp_tid && b->cp_tid != t->tid) {
            FsTxn *old = txn_find(fs, b->cp_tid);
            g_assert(old && old->cp_count > 0);
            old->cp_count--;
        }
        if (b->cp_tid != t->tid)
            t->cp_count++;
        b->cp_tid = t->tid;
        if (b->jtid == t->tid)
            b->jtid = 0;
    }
    fs_release_freed(fs, t);
    fs->committing = NULL;
    fs_waiters_run(fs, t->commit_waiters);
    txns_reap(fs);
    if (fs->running->commit_requested)
        request_commit(fs, fs->running);
}

static void commit_kick(SimWorld *w, gpointer obj, gint64 arg)
{
    SimFs *fs = obj;
    fs->kick_pending = FALSE;
    FsTxn *t = fs->running;
    if (fs->committing || fs->checkpointing || !t->commit_requested)
        return;
    if (t->bufs->len == 0 && t->commit_waiters->len == 0) {
        t->commit_requested = FALSE;       /* nothing to commit, nobody waiting */
        return;
    }
    if (log_blocks_needed(t) + 1 >= NPOS(fs)) {
        /* one operation dirtied more than the whole journal can hold: no
         * checkpoint can make room; stop the run rather than spin */
        g_free(fs->fatal);
        fs->fatal = g_strdup_printf("fs.journal_mb: a transaction of %u log blocks does not fit a journal of %u "
                                    "(make the journal larger or the writes smaller)",
                                    log_blocks_needed(t), NPOS(fs));
        sim_world_stop(fs->w);
        return;
    }
    if (log_free(fs) < log_blocks_needed(t)) {
        checkpoint_start(fs);
        return;
    }
    commit_start(fs);
}

/* ---- checkpoint and tail --------------------------------------------------------- */

typedef struct { FsBuf *b; SimToken tok; gboolean for_checkpoint; } HomeIo;

static void checkpoint_written(SimFs *fs);

static void home_io_done(SimIo *io, gpointer ctx)
{
    SimFs *fs = ctx;
    HomeIo *h = io->sub;
    FsBuf *b = h->b;
    b->home_inflight = FALSE;
    if (b->cp_tid && b->committed == h->tok) {
        FsTxn *t = txn_find(fs, b->cp_tid);
        g_assert(t && t->cp_count > 0);
        t->cp_count--;
        b->cp_tid = 0;
    }
    fs->st.meta_blocks_checkpointed++;
    gboolean cp = h->for_checkpoint;
    g_free(h);
    sim_io_free(io);
    if (cp)
        checkpoint_written(fs);
}

static void write_home(SimFs *fs, FsBuf *b, gboolean for_checkpoint)
{
    HomeIo *h = g_new(HomeIo, 1);
    h->b = b;
    h->tok = b->committed;
    h->for_checkpoint = for_checkpoint;
    b->home_inflight = TRUE;
    fs_submit(fs, SIM_IO_WRITE, 0, b->block, 1, &b->committed, SIM_ORIGIN_CHECKPOINT, b->cp_tid, home_io_done, h);
}

static FsTxn *oldest_checkpoint_txn(SimFs *fs)
{
    for (GList *l = fs->txns.head; l; l = l->next) {
        FsTxn *t = l->data;
        if (t->state == TX_COMMITTED && t->cp_count > 0)
            return t;
    }
    return NULL;
}

static void tail_sb_done(SimIo *io, gpointer ctx)
{
    SimFs *fs = ctx;
    guint32 tail = (guint32)io->sub_i, seq = io->tid;
    sim_io_free(io);
    /* only now may the space before the new tail be reused */
    fs->used = (fs->head - tail + NPOS(fs)) % NPOS(fs);
    fs->tail = tail;
    fs->tail_tid = seq;
    fs->st.tail_updates++;
    fs->checkpointing = FALSE;
    txns_reap(fs);
    request_commit(fs, fs->running);
}

static void tail_write_sb(SimFs *fs)
{
    guint32 tail = fs->cp_tail, seq = fs->cp_seq;
    SimToken tok = jsb_token(fs, tail, seq);
    SimIo *io = sim_io_new(SIM_IO_WRITE, fs->L.jstart, 1);
    io->tokens[0] = tok;
    io->flags = fs->cfg.barrier ? SIM_IO_FUA : 0;   /* jbd2_write_superblock strips it without barriers */
    io->origin = SIM_ORIGIN_JSB;
    io->tid = seq;
    io->id = ++fs->next_io_id;
    io->done = tail_sb_done;
    io->ctx = fs;
    io->sub_i = tail;
    sim_blk_submit(fs->dev, io);
}

static void tail_flush_done(SimIo *io, gpointer ctx)
{
    sim_io_free(io);
    tail_write_sb(ctx);
}

static void checkpoint_written(SimFs *fs)
{
    if (--fs->cp_pending)
        return;
    /* jbd2_cleanup_journal_tail: take the tail candidate BEFORE the flush -
     * the flush makes durable only the checkpoint writes completed by now;
     * a home write completing later (periodic writeback) is not covered and
     * must not let the tail skip its transaction. Then the superblock. */
    FsTxn *o = oldest_checkpoint_txn(fs);
    fs->cp_tail = o ? o->log_start : fs->head;
    fs->cp_seq = o ? o->tid : fs->running->tid;
    if (fs->cfg.barrier)
        fs_submit(fs, SIM_IO_FLUSH, 0, 0, 0, NULL, SIM_ORIGIN_JFLUSH, 0, tail_flush_done, NULL);
    else
        tail_write_sb(fs);
}

static void checkpoint_start(SimFs *fs)
{
    fs->checkpointing = TRUE;
    FsTxn *o = oldest_checkpoint_txn(fs);
    fs->cp_pending = 1;
    if (o) {
        for (guint i = 0; i < o->bufp->len; i++) {
            FsBuf *b = g_ptr_array_index(o->bufp, i);
            if (b->cp_tid != o->tid)
                continue;
            /* A buffer re-dirtied by the running transaction is written in
             * its committed version: home never gets uncommitted content. */
            fs->cp_pending++;
            write_home(fs, b, TRUE);
        }
    }
    fs->st.checkpoints++;
    checkpoint_written(fs);
}

static gint cmp_u32(gconstpointer a, gconstpointer b)
{
    guint32 x = *(const guint32 *)a, y = *(const guint32 *)b;
    return x < y ? -1 : x > y;
}

/* Periodic writeback of committed metadata older than dirty_expire_s. */
void jrnl_writeback(SimFs *fs)
{
    SimTime older = sim_now(fs->w) - sim_time_from_s(fs->cfg.dirty_expire_s);
    GArray *todo = g_array_new(FALSE, FALSE, sizeof(guint32));
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, fs->bufs);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        FsBuf *b = v;
        if (b->cp_tid && !b->jtid && !b->home_inflight && b->committed_at <= older)
            g_array_append_val(todo, b->block);
    }
    g_array_sort(todo, cmp_u32);
    for (guint i = 0; i < todo->len; i++)
        write_home(fs, fs_buf(fs, g_array_index(todo, guint32, i)), FALSE);
    g_array_free(todo, TRUE);
}

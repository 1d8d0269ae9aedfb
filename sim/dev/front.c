/* sim/dev/front.c - a drive's host-facing front end (see front.h): host
 * queue, interface, write cache admission, flush coverage and the destage
 * trigger, the same for the hdd and the ssd.
 *
 * A command's life: sim_front_submit counts it and admits it when a queue
 * slot is free (else it waits in hostq). A write moves over the interface;
 * when its transfer ends it goes into the cache (or waits in roomq, oldest
 * first, until destaging makes room) and completes, or, when the cache does
 * not take it, goes to the model (ops->media_write). A read hit moves over
 * the interface and completes; a miss goes to the model (ops->media_read). A
 * FLUSH with nothing to wait for completes after its command overhead;
 * otherwise it waits in flushq with the cache's mark and completes once every
 * older segment, and every media write that superseded one, has landed.
 * Each completion lets the next waiting command in.
 */
#include "front.h"
#include <math.h>

#define BLOCK_BYTES 4096

void sim_io_fifo_push(SimIoFifo *q, SimIo *io)
{
    io->next = NULL;
    if (q->tail)
        q->tail->next = io;
    else
        q->head = io;
    q->tail = io;
}

SimIo *sim_io_fifo_pop(SimIoFifo *q)
{
    SimIo *io = q->head;
    if (io) {
        q->head = io->next;
        if (!q->head)
            q->tail = NULL;
        io->next = NULL;
    }
    return io;
}

static SimTime iface_xfer(SimFront *f, guint64 bytes)
{
    SimTime start = MAX(sim_now(f->w), f->iface_free_at);
    f->iface_free_at = start + llround((double)bytes * f->iface_ns_per_byte + f->cmd_ns);
    return f->iface_free_at;
}

static void admit(SimFront *f, SimIo *io);

void sim_front_finish(SimFront *f, SimIo *io)
{
    f->inside--;
    sim_io_complete(f->w, io);
    while (f->hostq.head && f->inside < f->ncq_depth)
        admit(f, sim_io_fifo_pop(&f->hostq));
}

static void finish_ev(SimWorld *w, gpointer obj, gint64 arg)
{
    SimIo *io = obj;
    sim_front_finish(io->priv, io);
}

void sim_front_read_done(SimFront *f, SimIo *io)
{
    sim_schedule_at(f->w, iface_xfer(f, (guint64)io->nblocks * BLOCK_BYTES), finish_ev, io, 0);
}

/* Oldest seq a flush may still be waiting for: held segments, and media
 * writes that superseded dirty blocks of older segments. */
static guint64 oldest_outstanding(const SimFront *f)
{
    return MIN(sim_wbcache_oldest(f->cache), f->ops->superseded(f->owner));
}

void sim_front_check_flushes(SimFront *f)
{
    if (!f->cache)
        return;
    while (f->flushq.head && (guint64)f->flushq.head->priv_i <= oldest_outstanding(f))
        sim_front_finish(f, sim_io_fifo_pop(&f->flushq));
}

static void cache_insert(SimFront *f, SimIo *io)
{
    if (f->ops->cached)
        f->ops->cached(f->owner, io);
    sim_wbcache_write(f->cache, io->block, io->nblocks, io->tokens);
    f->st->max_dirty_blocks = MAX(f->st->max_dirty_blocks, sim_wbcache_used(f->cache));
}

/* Cached writes that waited for room go in, oldest first. */
static void admit_room(SimFront *f)
{
    while (f->roomq.head && sim_wbcache_fits(f->cache, f->roomq.head->block, f->roomq.head->nblocks)) {
        SimIo *io = sim_io_fifo_pop(&f->roomq);
        cache_insert(f, io);
        sim_front_finish(f, io);
    }
}

static void cached_write_xfered(SimWorld *w, gpointer obj, gint64 arg)
{
    SimIo *io = obj;
    SimFront *f = io->priv;
    if (f->roomq.head || !sim_wbcache_fits(f->cache, io->block, io->nblocks)) {
        f->st->cache_full_waits++;
        sim_io_fifo_push(&f->roomq, io);
    } else {
        cache_insert(f, io);
        sim_front_finish(f, io);
    }
    f->ops->dispatch(f->owner);
}

static void media_write_xfered(SimWorld *w, gpointer obj, gint64 arg)
{
    SimIo *io = obj;
    SimFront *f = io->priv;
    f->ops->media_write(f->owner, io);
}

static void admit(SimFront *f, SimIo *io)
{
    f->inside++;
    guint64 bytes = (guint64)io->nblocks * BLOCK_BYTES;
    switch (io->op) {
    case SIM_IO_WRITE: {
        gboolean cached = f->cache && (!(io->flags & SIM_IO_FUA) || f->ack_from_cache);
        sim_schedule_at(f->w, iface_xfer(f, bytes), cached ? cached_write_xfered : media_write_xfered, io, 0);
        return;
    }
    case SIM_IO_READ:
        if (f->cache && sim_wbcache_holds(f->cache, io->block, io->nblocks)) {
            f->st->cache_hits++;
            sim_schedule_at(f->w, iface_xfer(f, bytes), finish_ev, io, 0);
            return;
        }
        f->ops->media_read(f->owner, io);
        return;
    case SIM_IO_FLUSH:
        /* covers exactly what is cached now (B3/D1); a lying drive acks it
         * at once, having destaged nothing (D3), and so does a drive whose
         * cache survives a cut (PLP) */
        if (!f->cache || f->ack_from_cache || oldest_outstanding(f) >= sim_wbcache_mark(f->cache)) {
            sim_schedule_at(f->w, iface_xfer(f, 0), finish_ev, io, 0);
            return;
        }
        io->priv_i = (gint64)sim_wbcache_mark(f->cache);
        sim_io_fifo_push(&f->flushq, io);
        f->ops->dispatch(f->owner);
        return;
    }
}

void sim_front_submit(SimFront *f, SimBlkDev *d, SimIo *io)
{
    g_assert(io->op == SIM_IO_FLUSH || (io->nblocks > 0 && io->block + io->nblocks <= d->nblocks));
    io->priv = f;
    switch (io->op) {
    case SIM_IO_READ:
        f->st->reads++;
        break;
    case SIM_IO_WRITE:
        f->st->writes++;
        f->st->write_blocks += io->nblocks;
        f->st->fua_writes += (io->flags & SIM_IO_FUA) != 0;
        break;
    case SIM_IO_FLUSH:
        f->st->flushes++;
        break;
    }
    if (!f->hostq.head && f->inside < f->ncq_depth)
        admit(f, io);
    else
        sim_io_fifo_push(&f->hostq, io);
}

static void timer_ev(SimWorld *w, gpointer obj, gint64 arg)
{
    SimFront *f = obj;
    f->timer_armed = FALSE;
    f->ops->dispatch(f->owner);
}

SimWbSeg *sim_front_next_destage(SimFront *f, guint64 head_block, SimWbCostFn cost, gpointer ud)
{
    if (!f->cache || sim_wbcache_dirty(f->cache) == 0)
        return NULL;
    gboolean urgent = f->flushq.head || f->roomq.head || sim_wbcache_used(f->cache) > f->high_blocks;
    SimTime idle_at = f->iface_free_at + f->idle_ns;
    if (!urgent && sim_now(f->w) < idle_at) {
        /* iface_free_at only grows, so an armed timer is never late */
        if (!f->timer_armed) {
            f->timer_armed = TRUE;
            sim_schedule_at(f->w, idle_at, timer_ev, f, 0);
        }
        return NULL;
    }
    guint64 limit = f->flushq.head ? (guint64)f->flushq.head->priv_i : SIM_WB_SEQ_NONE;
    SimWbSeg *seg = sim_wbcache_pick(f->cache, limit, head_block, cost, ud);
    if (seg)
        sim_wbcache_begin(f->cache, seg);
    return seg;
}

void sim_front_destaged(SimFront *f, SimWbSeg *seg)
{
    sim_wbcache_end(f->cache, seg);
    admit_room(f);
}

void sim_front_init(SimFront *f, SimWorld *w, const SimFrontCfg *cfg, const SimFrontOps *ops, gpointer owner,
                    SimDevStats *st)
{
    *f = (SimFront){ .w = w, .ops = ops, .owner = owner, .st = st };
    if (cfg->cache_mb > 0) {
        guint64 cap = (guint64)cfg->cache_mb * (1024 * 1024 / BLOCK_BYTES);
        f->cache = sim_wbcache_new(cap, cfg->policy, (guint)cfg->window,
                                   cfg->policy == SIM_DESTAGE_RANDOM ? sim_world_rng(w, "destage") : NULL);
        f->high_blocks = (guint64)(cfg->high_water * (double)cap);
    }
    f->ncq_depth = (guint)cfg->ncq_depth;
    f->ack_from_cache = cfg->ack_from_cache;
    f->iface_ns_per_byte = 1e9 / (cfg->iface_mb_s * 1e6);
    f->cmd_ns = cfg->cmd_overhead_us * 1e3;
    f->idle_ns = llround(cfg->idle_ms * 1e6);
}

void sim_front_clear(SimFront *f)
{
    sim_wbcache_free(f->cache);
    f->cache = NULL;
}

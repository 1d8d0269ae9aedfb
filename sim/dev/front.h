/* sim/dev/front.h - a drive's host-facing front end, shared by the hdd and
 * the ssd: what happens between the host and the drive's media.
 *
 * The front end owns the host queue (at most ncq_depth commands inside the
 * drive, the rest wait in FIFO order), the host interface (a FIFO: each
 * command costs its overhead plus its bytes at the interface rate), the write
 * cache (sim/dev/wbcache) with its room and flush queues, and the decision of
 * when to destage (something presses: a flush, a write waiting for room, the
 * high-water mark; or the interface has been idle for idle_ms). A write is
 * cached unless it is FUA (or there is no cache); a read the cache holds is a
 * hit; a FLUSH covers exactly what is cached when it arrives (B3/D1) and
 * completes once that has landed.
 *
 * The model (the owner) does everything behind it: media writes and reads,
 * their timing and durability, and destaging the segments the front end
 * hands out. It is called through SimFrontOps and calls back
 * sim_front_finish / sim_front_read_done / sim_front_destaged as its media
 * operations end. While the drive holds an io, io->priv is its SimFront;
 * a flush's io->priv_i is the front end's (its cover mark), a write's or a
 * read's is the model's.
 */
#pragma once
#include "../blk/blk.h"
#include "wbcache.h"

typedef struct {
    /* A write the cache does not take, its data now inside the drive: the
     * model writes it to media and calls sim_front_finish once it has landed. */
    void    (*media_write)(gpointer owner, SimIo *io);
    /* A read the cache cannot serve: the model reads the media and calls
     * sim_front_read_done. */
    void    (*media_read)(gpointer owner, SimIo *io);
    /* The oldest cache seq that a media write of the model's, still under
     * way, superseded (SIM_WB_SEQ_NONE: none): a flush covering it waits. */
    guint64 (*superseded)(gconstpointer owner);
    /* Something changed: give the media its next job (see
     * sim_front_next_destage). */
    void    (*dispatch)(gpointer owner);
    /* NULL, or: a write is entering the cache. */
    void    (*cached)(gpointer owner, const SimIo *io);
} SimFrontOps;

typedef struct {
    gint64   ncq_depth;
    double   iface_mb_s;
    double   cmd_overhead_us;
    gint64   cache_mb;            /* 0: no cache */
    gint     policy;              /* SimDestagePolicy */
    gint64   window;
    double   high_water;
    double   idle_ms;
    /* FLUSH is acked after its command overhead and FUA writes are cached:
     * a lying drive (D3), or a cache that survives a cut (PLP). */
    gboolean ack_from_cache;
} SimFrontCfg;

/* Intrusive FIFO of ios through io->next (ours while we hold the io). */
typedef struct { SimIo *head, *tail; } SimIoFifo;

void   sim_io_fifo_push(SimIoFifo *q, SimIo *io);
SimIo *sim_io_fifo_pop(SimIoFifo *q);

typedef struct {
    SimWorld          *w;
    const SimFrontOps *ops;
    gpointer           owner;
    SimDevStats       *st;           /* the device's: the front end counts the host side */
    SimWbCache        *cache;        /* NULL: no cache */
    guint64            high_blocks;
    guint              ncq_depth;
    gboolean           ack_from_cache;
    double             iface_ns_per_byte, cmd_ns;
    SimTime            idle_ns;
    SimTime            iface_free_at;
    guint              inside;       /* commands admitted, <= ncq_depth */
    SimIoFifo          hostq;        /* waiting for a queue slot */
    SimIoFifo          roomq;        /* cached writes waiting for room */
    SimIoFifo          flushq;       /* flushes; priv_i = cover mark */
    gboolean           timer_armed;
} SimFront;

/* Creates the cache if cfg->cache_mb > 0 (the random policy draws from the
 * world's "destage" stream). st is the device's counters. */
void      sim_front_init(SimFront *f, SimWorld *w, const SimFrontCfg *cfg, const SimFrontOps *ops, gpointer owner,
                         SimDevStats *st);
/* Frees the cache. */
void      sim_front_clear(SimFront *f);

/* The device's submit: counts the command and admits it or queues it. */
void      sim_front_submit(SimFront *f, SimBlkDev *d, SimIo *io);
/* Complete a command now and let the next waiting ones in. */
void      sim_front_finish(SimFront *f, SimIo *io);
/* A media read has ended: its data goes over the interface, then it completes. */
void      sim_front_read_done(SimFront *f, SimIo *io);

/* The next segment to destage, already begun (sim_wbcache_begin), or NULL:
 * no cache, nothing dirty, nothing presses yet (an idle timer is then armed
 * that calls ops->dispatch), or the policy found none. A waiting flush
 * restricts the choice to what it covers. head_block and cost as for
 * sim_wbcache_pick. */
SimWbSeg *sim_front_next_destage(SimFront *f, guint64 head_block, SimWbCostFn cost, gpointer ud);
/* Every live block of seg has landed: release it, and let writes waiting
 * for room into the cache. */
void      sim_front_destaged(SimFront *f, SimWbSeg *seg);
/* Complete the flushes whose cover has landed (after a media write or a
 * destage ends). */
void      sim_front_check_flushes(SimFront *f);

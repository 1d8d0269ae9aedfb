/* sim/blk/blk.h - the request type and the stackable block-device interface.
 *
 * Addressing unit: the model's block of 4 KiB (the file system's block size).
 * `block` is a 4 KiB block address on the device it is submitted to; a
 * sector view (512 B) is block * 8. Tearing below 4 KiB is modelled by the
 * media layer (a TORN token, see media.h), never by splitting requests.
 *
 * Contents are content tokens (SimToken), opaque to blk and dev: the layer
 * that created a token (fs) knows what it means.
 *
 * Completion: a layer that receives an io through ops->submit owns it until it
 * calls sim_io_complete(io) exactly once, always from an event handler (never
 * from inside submit), so callers never see re-entrant completions.
 * "Completed" is not "durable": only the media (media.h) knows durability.
 */
#pragma once
#include "../core/sim.h"

typedef guint32 SimToken;          /* 0 = zeroes, never written */

typedef enum { SIM_IO_READ, SIM_IO_WRITE, SIM_IO_FLUSH } SimIoOp;
enum {
    SIM_IO_PREFLUSH = 1u << 0,     /* flush previously completed writes first */
    SIM_IO_FUA      = 1u << 1,     /* complete only once on non-volatile media */
};

/* Who issued a request: used by stats and by `explain`. */
typedef enum {
    SIM_ORIGIN_NONE = 0,
    SIM_ORIGIN_MKFS,
    SIM_ORIGIN_ORDERED_DATA,       /* data=ordered data written before a commit */
    SIM_ORIGIN_DATA_WRITEBACK,     /* data by periodic writeback or fsync */
    SIM_ORIGIN_JDESC,              /* journal descriptor block */
    SIM_ORIGIN_JBODY,              /* journaled copy of a metadata block */
    SIM_ORIGIN_JREVOKE,
    SIM_ORIGIN_JCOMMIT,
    SIM_ORIGIN_CHECKPOINT,         /* metadata to its home location */
    SIM_ORIGIN_JSB,                /* journal superblock (tail update) */
    SIM_ORIGIN_FSYNC_FLUSH,        /* ext4_sync_file's blkdev_issue_flush */
    SIM_ORIGIN_JFLUSH,             /* jbd2's own flushes (checkpoint, tail) */
    SIM_ORIGIN_BLK_PREFLUSH,       /* flush the block layer issued for PREFLUSH */
    SIM_ORIGIN_BLK_POSTFLUSH,      /* flush emulating FUA */
    SIM_ORIGIN_N
} SimOrigin;
const char *sim_origin_name(SimOrigin o);

typedef struct SimIo SimIo;
typedef void (*SimIoDoneFn)(SimIo *io, gpointer ctx);

#define SIM_IO_INLINE_TOKENS 4
struct SimIo {
    SimIoOp   op;
    guint32   flags;               /* SIM_IO_PREFLUSH | SIM_IO_FUA */
    guint64   block;               /* first 4 KiB block */
    guint32   nblocks;             /* 0 for FLUSH */
    SimToken *tokens;              /* WRITE: nblocks tokens (tok_inline or heap) */
    SimToken  tok_inline[SIM_IO_INLINE_TOKENS];
    guint16   origin;              /* SimOrigin */
    guint32   tid;                 /* journal transaction, 0 if none */
    guint64   id;                  /* unique per world, for traces */
    SimTime   t_submit;            /* set by sim_blk_submit */
    SimTime   t_complete;          /* set by sim_io_complete */
    SimIoDoneFn done;
    gpointer  ctx;                 /* the submitter's: passed to done */
    gpointer  sub;                 /* the submitter's: never touched below */
    gint64    sub_i;
    /* Private to the layer currently holding the io. */
    SimIo    *parent;
    SimIo    *next;
    gpointer  priv;
    gint64    priv_i;
};

/* Allocation (plain g_slice-like; ios are short-lived). tokens are zeroed. */
SimIo *sim_io_new(SimIoOp op, guint64 block, guint32 nblocks);
void   sim_io_free(SimIo *io);
/* For pass-through layers (tracing, tracking): a child of io with the same
 * op, blocks, tokens, flags, origin and tid, parent = io, done(ctx),
 * sub_i = -1; and, from its completion, the end of the child: a read's
 * tokens copied up, the child freed, the parent completed. */
SimIo *sim_io_forward(SimIo *io, SimIoDoneFn done, gpointer ctx);
void   sim_io_forward_done(SimWorld *w, SimIo *child);

/* ---- devices ----------------------------------------------------------- */
enum {
    SIM_BLK_CAP_VOLATILE_CACHE = 1u << 0,  /* reports a volatile write cache */
    SIM_BLK_CAP_FUA            = 1u << 1,  /* supports FUA writes natively */
    SIM_BLK_CAP_ROTATIONAL     = 1u << 2,
};

typedef struct {
    guint64 reads, writes, flushes, fua_writes;  /* commands received */
    guint64 write_blocks;                         /* blocks received in writes */
    guint64 media_writes, media_blocks;           /* media write operations / blocks landed */
    guint64 media_reads;
    guint64 cache_hits;                           /* read hits */
    guint64 max_dirty_blocks;                     /* cache high-water seen */
    guint64 cache_full_waits;                     /* writes that waited for cache space */
    SimTime busy_ns;                              /* head/media busy time */
} SimDevStats;

typedef struct SimBlkDev SimBlkDev;
typedef struct SimMedia SimMedia;

#define SIM_BLK_OPS_VERSION 1
typedef struct {
    guint32     version;           /* SIM_BLK_OPS_VERSION */
    const char *name;
    void (*submit)(SimBlkDev *d, SimIo *io);
    void (*get_stats)(SimBlkDev *d, SimDevStats *st);   /* may be NULL */
    void (*destroy)(SimBlkDev *d);                      /* frees priv */
} SimBlkOps;

struct SimBlkDev {
    const SimBlkOps *ops;
    char       *name;
    guint32     caps;              /* SIM_BLK_CAP_* as reported to the layer above */
    guint32     atomic_bytes;      /* power-fail atomic write unit, 512..4096 */
    guint64     nblocks;           /* capacity in 4 KiB blocks */
    SimWorld   *w;
    SimMedia   *media;             /* leaf devices: where durable data lives */
    SimBlkDev  *lower;             /* stacked devices: the device below (or NULL) */
    gpointer    priv;
};

/* Validates ops (version, submit) and fills the common fields. */
SimBlkDev *sim_blkdev_new(const SimBlkOps *ops, const char *name, SimWorld *w, gpointer priv);
void       sim_blkdev_free(SimBlkDev *d);     /* calls ops->destroy, then lower? no: caller frees each layer */

/* Submit to a device: stamps t_submit and calls ops->submit. */
void sim_blk_submit(SimBlkDev *d, SimIo *io);
/* Called by the owning layer, from an event handler. */
void sim_io_complete(SimWorld *w, SimIo *io);

/* ---- the block layer's flush sequencing (blk-flush.c semantics) --------
 * A SimBlkDev stacked on `lower` that the file system submits to:
 *  - lower without VOLATILE_CACHE: PREFLUSH and FUA are stripped; an empty
 *    FLUSH completes at once and nothing reaches the device (B1);
 *  - PREFLUSH on a write: a FLUSH is sent first, the data after it completes;
 *  - FUA with a lower that lacks CAP_FUA: the data is sent plain and a
 *    POSTFLUSH follows; the submitter's completion comes after it (B2);
 *  - a flush covers only writes completed before it was issued (B3): this
 *    layer never waits for in-flight writes before sending a flush.
 * Stats: the counts of flushes/FUA it *sent* are in the lower device's. */
SimBlkDev *sim_blkq_new(SimWorld *w, SimBlkDev *lower);

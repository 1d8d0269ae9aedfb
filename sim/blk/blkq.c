/* sim/blk/blkq.c - the block layer's flush sequencing (Linux blk-flush.c,
 * SEMANTICS §3.2), stacked on one lower device.
 *
 * Requests that need no sequencing go down unchanged, as the submitter's own
 * io (no allocation on the common path). A write carrying PREFLUSH, or FUA
 * that the lower device cannot do, is run as a sequence of child ios, one at
 * a time: [PREFLUSH flush] -> data -> [POSTFLUSH flush]; each child's
 * completion issues the next, and the last completes the submitter's io.
 * Every flush is sent as soon as its step is reached: no draining of other
 * in-flight writes (B3). Flush merging (one flush serving several waiters)
 * is not modelled: each request gets its own.
 */
#include "blk.h"

static void seq_data(SimBlkDev *q, SimIo *io);

static gboolean lower_has(const SimBlkDev *q, guint32 cap) { return (q->lower->caps & cap) != 0; }

static SimIo *child_new(SimBlkDev *q, SimIo *parent, SimIoOp op, SimOrigin origin, SimIoDoneFn done)
{
    SimIo *c = sim_io_new(op, op == SIM_IO_FLUSH ? 0 : parent->block, op == SIM_IO_FLUSH ? 0 : parent->nblocks);
    c->origin = origin;
    c->tid = parent->tid;
    c->parent = parent;
    c->done = done;
    c->ctx = q;
    return c;
}

static void complete_parent(SimBlkDev *q, SimIo *child)
{
    SimIo *parent = child->parent;
    sim_io_free(child);
    sim_io_complete(q->w, parent);
}

static void postflush_done(SimIo *c, gpointer ctx) { complete_parent(ctx, c); }

static void data_done(SimIo *c, gpointer ctx)
{
    SimBlkDev *q = ctx;
    SimIo *io = c->parent;
    if ((io->flags & SIM_IO_FUA) && !lower_has(q, SIM_BLK_CAP_FUA)) {
        /* FUA emulated: the data is durable once a flush issued after its
         * completion has completed (B2) */
        sim_io_free(c);
        sim_blk_submit(q->lower, child_new(q, io, SIM_IO_FLUSH, SIM_ORIGIN_BLK_POSTFLUSH, postflush_done));
        return;
    }
    complete_parent(q, c);
}

static void preflush_done(SimIo *c, gpointer ctx)
{
    SimIo *io = c->parent;
    sim_io_free(c);
    seq_data(ctx, io);
}

/* The data step: FUA kept only if the lower device honours it natively. */
static void seq_data(SimBlkDev *q, SimIo *io)
{
    SimIo *c = child_new(q, io, SIM_IO_WRITE, io->origin, data_done);
    for (guint32 i = 0; i < io->nblocks; i++)
        c->tokens[i] = io->tokens[i];
    if ((io->flags & SIM_IO_FUA) && lower_has(q, SIM_BLK_CAP_FUA))
        c->flags = SIM_IO_FUA;
    sim_blk_submit(q->lower, c);
}

static void complete_ev(SimWorld *w, gpointer obj, gint64 arg) { sim_io_complete(w, obj); }

static void blkq_submit(SimBlkDev *q, SimIo *io)
{
    if (!lower_has(q, SIM_BLK_CAP_VOLATILE_CACHE)) {
        /* B1: nothing to flush. Like submit_bio_noacct, clear the flags on
         * the request itself; an empty flush completes without reaching the
         * device (still from an event, never inside submit). */
        io->flags &= ~(guint32)(SIM_IO_PREFLUSH | SIM_IO_FUA);
        if (io->op == SIM_IO_FLUSH)
            sim_schedule_at(q->w, sim_now(q->w), complete_ev, io, 0);
        else
            sim_blk_submit(q->lower, io);
        return;
    }
    if (io->op != SIM_IO_WRITE || !(io->flags & (SIM_IO_PREFLUSH | SIM_IO_FUA)) ||
        (!(io->flags & SIM_IO_PREFLUSH) && lower_has(q, SIM_BLK_CAP_FUA))) {
        sim_blk_submit(q->lower, io);      /* reads, pure flushes, plain or native-FUA writes */
        return;
    }
    if (io->flags & SIM_IO_PREFLUSH)
        sim_blk_submit(q->lower, child_new(q, io, SIM_IO_FLUSH, SIM_ORIGIN_BLK_PREFLUSH, preflush_done));
    else
        seq_data(q, io);
}

static const SimBlkOps blkq_ops = {
    .version = SIM_BLK_OPS_VERSION,
    .name = "blkq",
    .submit = blkq_submit,
};

SimBlkDev *sim_blkq_new(SimWorld *w, SimBlkDev *lower)
{
    g_return_val_if_fail(lower != NULL, NULL);
    SimBlkDev *q = sim_blkdev_new(&blkq_ops, "blkq", w, NULL);
    q->lower = lower;
    q->caps = lower->caps;
    q->nblocks = lower->nblocks;
    q->atomic_bytes = lower->atomic_bytes;
    return q;
}

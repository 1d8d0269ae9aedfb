/* sim/blk/io.c - SimIo allocation, submission and completion. */
#include "blk.h"
#include <string.h>

static const char *const origin_names[SIM_ORIGIN_N] = {
    [SIM_ORIGIN_NONE] = "none",
    [SIM_ORIGIN_MKFS] = "mkfs",
    [SIM_ORIGIN_ORDERED_DATA] = "ordered-data",
    [SIM_ORIGIN_DATA_WRITEBACK] = "data-writeback",
    [SIM_ORIGIN_JDESC] = "journal-descriptor",
    [SIM_ORIGIN_JBODY] = "journal-body",
    [SIM_ORIGIN_JREVOKE] = "journal-revoke",
    [SIM_ORIGIN_JCOMMIT] = "journal-commit",
    [SIM_ORIGIN_CHECKPOINT] = "checkpoint",
    [SIM_ORIGIN_JSB] = "journal-superblock",
    [SIM_ORIGIN_FSYNC_FLUSH] = "fsync-flush",
    [SIM_ORIGIN_JFLUSH] = "jbd2-flush",
    [SIM_ORIGIN_BLK_PREFLUSH] = "preflush",
    [SIM_ORIGIN_BLK_POSTFLUSH] = "postflush",
};

const char *sim_origin_name(SimOrigin o)
{
    return (o < SIM_ORIGIN_N && origin_names[o]) ? origin_names[o] : "?";
}

SimIo *sim_io_new(SimIoOp op, guint64 block, guint32 nblocks)
{
    SimIo *io = g_new0(SimIo, 1);
    io->op = op;
    io->block = block;
    io->nblocks = nblocks;
    io->tokens = nblocks <= SIM_IO_INLINE_TOKENS ? io->tok_inline : g_new0(SimToken, nblocks);
    return io;
}

void sim_io_free(SimIo *io)
{
    if (!io)
        return;
    if (io->tokens != io->tok_inline)
        g_free(io->tokens);
    g_free(io);
}

SimIo *sim_io_forward(SimIo *io, SimIoDoneFn done, gpointer ctx)
{
    SimIo *c = sim_io_new(io->op, io->block, io->nblocks);
    if (io->op == SIM_IO_WRITE)
        memcpy(c->tokens, io->tokens, sizeof(SimToken) * io->nblocks);
    c->flags = io->flags;
    c->origin = io->origin;
    c->tid = io->tid;
    c->parent = io;
    c->done = done;
    c->ctx = ctx;
    c->sub_i = -1;
    return c;
}

void sim_io_forward_done(SimWorld *w, SimIo *c)
{
    SimIo *p = c->parent;
    if (c->op == SIM_IO_READ)
        memcpy(p->tokens, c->tokens, sizeof(SimToken) * c->nblocks);
    sim_io_free(c);
    sim_io_complete(w, p);
}

SimBlkDev *sim_blkdev_new(const SimBlkOps *ops, const char *name, SimWorld *w, gpointer priv)
{
    g_assert(ops && ops->version == SIM_BLK_OPS_VERSION && ops->submit && ops->name);
    SimBlkDev *d = g_new0(SimBlkDev, 1);
    d->ops = ops;
    d->name = g_strdup(name ? name : ops->name);
    d->w = w;
    d->priv = priv;
    d->atomic_bytes = 4096;
    return d;
}

void sim_blkdev_free(SimBlkDev *d)
{
    if (!d)
        return;
    if (d->ops->destroy)
        d->ops->destroy(d);
    g_free(d->name);
    g_free(d);
}

void sim_blk_submit(SimBlkDev *d, SimIo *io)
{
    g_assert(io->done);
    io->t_submit = sim_now(d->w);
    d->ops->submit(d, io);
}

void sim_io_complete(SimWorld *w, SimIo *io)
{
    io->t_complete = sim_now(w);
    io->done(io, io->ctx);
}

/* sim/blk/media.c - durable block store: a two-level sparse array. */
#include "media.h"

#define CHUNK_SHIFT 12
#define CHUNK (1u << CHUNK_SHIFT)

struct SimMedia {
    guint64    nblocks;
    guint64    nchunks;
    SimToken **chunks;
    guint64    touched;
    SimMediaListener fn;
    gpointer   ud;
};

SimMedia *sim_media_new(guint64 nblocks)
{
    SimMedia *m = g_new0(SimMedia, 1);
    m->nblocks = nblocks;
    m->nchunks = (nblocks + CHUNK - 1) >> CHUNK_SHIFT;
    m->chunks = g_new0(SimToken *, m->nchunks);
    return m;
}

void sim_media_free(SimMedia *m)
{
    if (!m)
        return;
    for (guint64 i = 0; i < m->nchunks; i++)
        g_free(m->chunks[i]);
    g_free(m->chunks);
    g_free(m);
}

SimToken sim_media_get(const SimMedia *m, guint64 block)
{
    g_assert(block < m->nblocks);
    const SimToken *c = m->chunks[block >> CHUNK_SHIFT];
    return c ? c[block & (CHUNK - 1)] : 0;
}

static SimToken *slot(SimMedia *m, guint64 block)
{
    g_assert(block < m->nblocks);
    SimToken **c = &m->chunks[block >> CHUNK_SHIFT];
    if (!*c)
        *c = g_new0(SimToken, CHUNK);
    return &(*c)[block & (CHUNK - 1)];
}

void sim_media_init_block(SimMedia *m, guint64 block, SimToken tok)
{
    SimToken *s = slot(m, block);
    if (*s == 0 && tok != 0)
        m->touched++;
    *s = tok;
}

void sim_media_set(SimMedia *m, guint64 block, SimToken tok)
{
    SimToken *s = slot(m, block);
    SimToken old = *s;
    if (old == 0 && tok != 0)
        m->touched++;
    *s = tok;
    if (m->fn)
        m->fn(m->ud, block, old, tok);
}

void sim_media_set_listener(SimMedia *m, SimMediaListener fn, gpointer ud)
{
    m->fn = fn;
    m->ud = ud;
}

guint64 sim_media_nblocks(const SimMedia *m) { return m->nblocks; }
guint64 sim_media_blocks_touched(const SimMedia *m) { return m->touched; }

void sim_media_foreach(const SimMedia *m, SimMediaIter fn, gpointer ud)
{
    for (guint64 c = 0; c < m->nchunks; c++) {
        if (!m->chunks[c])
            continue;
        for (guint i = 0; i < CHUNK; i++)
            if (m->chunks[c][i])
                fn(ud, (c << CHUNK_SHIFT) + i, m->chunks[c][i]);
    }
}

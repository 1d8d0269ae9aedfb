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
    GHashTable *torn_old;     /* block -> token beneath a torn write (rare) */
};

SimMedia *sim_media_new(guint64 nblocks)
{
    SimMedia *m = g_new0(SimMedia, 1);
    m->nblocks = nblocks;
    m->nchunks = (nblocks + CHUNK - 1) >> CHUNK_SHIFT;
    m->chunks = g_new0(SimToken *, m->nchunks);
    m->torn_old = g_hash_table_new(g_direct_hash, g_direct_equal);
    return m;
}

void sim_media_free(SimMedia *m)
{
    if (!m)
        return;
    for (guint64 i = 0; i < m->nchunks; i++)
        g_free(m->chunks[i]);
    g_free(m->chunks);
    g_hash_table_destroy(m->torn_old);
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

SimToken sim_media_torn_old(const SimMedia *m, guint64 block)
{
    return GPOINTER_TO_UINT(g_hash_table_lookup(m->torn_old, GSIZE_TO_POINTER((gsize)block)));
}

void sim_media_set(SimMedia *m, guint64 block, SimToken tok)
{
    SimToken *s = slot(m, block);
    SimToken old = *s;
    gpointer key = GSIZE_TO_POINTER((gsize)block);
    if (sim_token_is_torn(tok)) {
        if (!sim_token_is_torn(old))
            g_hash_table_insert(m->torn_old, key, GUINT_TO_POINTER(old));
    } else if (sim_token_is_torn(old)) {
        g_hash_table_remove(m->torn_old, key);
    }
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

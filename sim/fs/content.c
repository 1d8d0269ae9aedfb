/* sim/fs/content.c - the version table behind content tokens. */
#include "content.h"
#include <string.h>

static const char *const type_names[SIM_BT_N] = {
    [SIM_BT_ZERO] = "zeroes", [SIM_BT_SB] = "superblock", [SIM_BT_BBITMAP] = "block bitmap",
    [SIM_BT_IBITMAP] = "inode bitmap", [SIM_BT_ITABLE] = "inode table", [SIM_BT_DIR] = "directory",
    [SIM_BT_DATA] = "file data", [SIM_BT_JSB] = "journal superblock", [SIM_BT_JDESC] = "journal descriptor",
    [SIM_BT_JCOMMIT] = "journal commit", [SIM_BT_JREVOKE] = "journal revoke",
    [SIM_BT_GARBAGE] = "garbage rebuilt from inconsistent RAID-5 parity",
};

const SimVer sim_garbage_ver = { .type = SIM_BT_GARBAGE };

const char *sim_blk_type_name(SimBlkType t) { return t < SIM_BT_N ? type_names[t] : "?"; }

SimContent *sim_content_new(void)
{
    SimContent *c = g_new0(SimContent, 1);
    c->vers = g_array_sized_new(FALSE, TRUE, sizeof(SimVer), 4096);
    SimVer zero = { .type = SIM_BT_ZERO };
    g_array_append_val(c->vers, zero);
    return c;
}

gsize sim_blk_type_size(SimBlkType t)
{
    switch (t) {
    case SIM_BT_ITABLE: return sizeof(SimItableBlock);
    case SIM_BT_DIR: return sizeof(SimDirBlock);
    case SIM_BT_BBITMAP:
    case SIM_BT_IBITMAP: return sizeof(SimBitmapBlock);
    default: return 0;
    }
}

static gsize chunk_size(SimBlkType t)
{
    return t == SIM_BT_ITABLE ? sizeof(SimInode) : 256;
}

static void snap_free(SimSnap *s)
{
    for (guint i = 0; i < s->nchunks; i++)
        if (g_atomic_int_dec_and_test(&s->c[i]->ref))
            g_free(s->c[i]);
    g_free(s);
}

void sim_snap_read(const SimSnap *s, void *out)
{
    guint8 *o = out;
    for (guint i = 0; i < s->nchunks; i++) {
        gsize n = MIN((gsize)s->chunk, s->size - (gsize)i * s->chunk);
        memcpy(o + (gsize)i * s->chunk, s->c[i]->data, n);
    }
}

SimToken sim_content_add_meta(SimContent *c, SimBlkType type, guint32 block, guint32 tid, gconstpointer content,
                              const SimSnap *prev, const SimSnap **snap_out)
{
    gsize size = sim_blk_type_size(type), cs = chunk_size(type);
    guint n = (guint)((size + cs - 1) / cs);
    SimSnap *s = g_malloc(sizeof(SimSnap) + n * sizeof(SimChunk *));
    s->size = (guint32)size;
    s->chunk = (guint16)cs;
    s->nchunks = (guint16)n;
    const guint8 *src = content;
    for (guint i = 0; i < n; i++) {
        gsize len = MIN(cs, size - (gsize)i * cs);
        if (prev && prev->nchunks == n && prev->chunk == cs && memcmp(prev->c[i]->data, src + i * cs, len) == 0) {
            s->c[i] = prev->c[i];
            g_atomic_int_inc(&s->c[i]->ref);
        } else {
            s->c[i] = g_malloc(sizeof(SimChunk) + len);
            s->c[i]->ref = 1;
            memcpy(s->c[i]->data, src + i * cs, len);
        }
    }
    SimVer v = { .type = type, .block = block, .tid = tid };
    v.u.meta = s;
    if (snap_out)
        *snap_out = s;
    return sim_content_add(c, &v);
}

void sim_content_read(const SimContent *c, SimToken t, void *out)
{
    const SimVer *v = sim_content_get(c, t);
    g_assert(sim_blk_type_is_meta(v->type));
    sim_snap_read(v->u.meta, out);
}

void sim_content_free(SimContent *c)
{
    if (!c)
        return;
    for (guint i = 0; i < c->vers->len; i++) {
        SimVer *v = &g_array_index(c->vers, SimVer, i);
        if (sim_blk_type_is_meta(v->type))
            snap_free(v->u.meta);
        else if (v->type == SIM_BT_JDESC || v->type == SIM_BT_JREVOKE)
            g_free(v->u.snap);
    }
    g_array_free(c->vers, TRUE);
    g_free(c);
}

SimToken sim_content_add(SimContent *c, const SimVer *v)
{
    g_assert(c->vers->len < SIM_TOKEN_DEV_FIRST);
    g_array_append_val(c->vers, *v);
    return c->vers->len - 1;
}

/* sim/fs/fs.c - layout, mkfs, the page cache, namespace operations, fsync.
 * The journal (transactions, commit, checkpoint) is in journal.c. */
#include "fs-priv.h"
#include <errno.h>
#include <string.h>

static const char *const data_modes[] = { "ordered", "writeback", "journal", NULL };
static const char *const csums[] = { "none", "v1", "v3", NULL };
static const char *const journal_at[] = { "start", "middle", NULL };

#define P(field) G_STRUCT_OFFSET(SimFsCfg, field)
static const SimParam fs_params[] = {
    { "barrier", SIM_PT_BOOL, P(barrier), NULL, "true", SIM_PARAM_NORANGE, NULL,
      "barrier=1: journal commits carry PREFLUSH+FUA and fsync flushes the device cache" },
    { "data", SIM_PT_ENUM, P(data_mode), NULL, "ordered", SIM_PARAM_NORANGE, data_modes,
      "data mode: ordered (new data written before the commit that exposes it), writeback (data not ordered), "
      "journal (data goes through the journal)" },
    { "journal_csum", SIM_PT_ENUM, P(journal_csum), NULL, "none", SIM_PARAM_NORANGE, csums,
      "journal checksums: none; v1 (journal_checksum: one crc32 over the transaction in the commit block); "
      "v3 (metadata_csum: per-tag and per-descriptor checksums)" },
    { "async_commit", SIM_PT_BOOL, P(async_commit), NULL, "false", SIM_PARAM_NORANGE, NULL,
      "journal_async_commit: commit block written without waiting for the body (implies journal_csum v1)" },
    { "commit_s", SIM_PT_DOUBLE, P(commit_s), "s", "5", 0.001, 3600, NULL, "journal commit interval (commit=)" },
    { "size_mb", SIM_PT_INT, P(size_mb), "MiB", "1024", 64, 16777216, NULL, "file-system size" },
    { "journal_mb", SIM_PT_INT, P(journal_mb), "MiB", "32", 1, 1024, NULL, "journal size" },
    { "journal_at", SIM_PT_ENUM, P(journal_at), NULL, "middle", SIM_PARAM_NORANGE, journal_at,
      "where mkfs places the journal" },
    { "inodes", SIM_PT_INT, P(inodes), NULL, "4096", 64, 32768, NULL, "inode count (16 per inode-table block)" },
    { "dirty_expire_s", SIM_PT_DOUBLE, P(dirty_expire_s), "s", "30", 0.01, 3600, NULL,
      "age at which dirty data and checkpointable metadata are written back (dirty_expire_centisecs)" },
    { "writeback_s", SIM_PT_DOUBLE, P(writeback_s), "s", "5", 0.01, 3600, NULL,
      "flusher wake-up interval (dirty_writeback_centisecs)" },
};
#undef P
const SimSchema sim_fs_schema = { "fs", fs_params, G_N_ELEMENTS(fs_params), sizeof(SimFsCfg) };

gboolean sim_fs_cfg_validate(const SimFsCfg *cfg, GError **error)
{
    if (cfg->async_commit && cfg->data_mode == SIM_DATA_ORDERED) {
        g_set_error(error, SIM_PARAMS_ERROR, SIM_PARAMS_ERROR_VALUE,
                    "fs.async_commit: ext4 refuses it: \"can't mount with journal_async_commit in data=ordered "
                    "mode\" (use fs.data = writeback or journal)");
        return FALSE;
    }
    return TRUE;
}

/* ---- layout ------------------------------------------------------------ */

SimLocKind sim_fs_loc(const SimFsLayout *l, guint64 b)
{
    if (b == 0)
        return SIM_LOC_SB;
    if (b >= l->jstart && b < l->jstart + l->jblocks)
        return SIM_LOC_JOURNAL;
    if (b >= l->bbitmap && b < l->bbitmap + l->ngroups)
        return SIM_LOC_BBITMAP;
    if (b == l->ibitmap)
        return SIM_LOC_IBITMAP;
    if (b >= l->itable && b < l->itable + l->itable_blocks)
        return SIM_LOC_ITABLE;
    return SIM_LOC_DATA;
}

static void layout_init(SimFsLayout *l, const SimFsCfg *cfg, guint ndirs)
{
    l->nblocks = (guint64)cfg->size_mb * 256;
    l->ngroups = (l->nblocks + SIM_BITS_PER_BITMAP - 1) / SIM_BITS_PER_BITMAP;
    l->bbitmap = 1;
    l->ibitmap = l->bbitmap + l->ngroups;
    l->itable = l->ibitmap + 1;
    l->ninodes = cfg->inodes;
    l->itable_blocks = (l->ninodes + SIM_INODES_PER_BLOCK - 1) / SIM_INODES_PER_BLOCK;
    l->jblocks = (guint32)MIN((guint64)cfg->journal_mb * 256, l->nblocks / 4);
    guint64 meta_end = l->itable + l->itable_blocks;
    l->jstart = cfg->journal_at == SIM_JOURNAL_AT_START ? meta_end : MAX(meta_end, l->nblocks / 2);
    l->ndirs = ndirs;
    /* journal_async_commit implies journal_checksum (ext4.rst) */
    l->jcsum = (guint8)(cfg->journal_csum == SIM_JCSUM_NONE && cfg->async_commit ? SIM_JCSUM_V1 : cfg->journal_csum);
    l->jasync = cfg->async_commit;
}

/* ---- helpers ------------------------------------------------------------ */

static inline gboolean bit_get(const guint8 *b, guint32 i) { return (b[i >> 3] >> (i & 7)) & 1; }
static inline void bit_set(guint8 *b, guint32 i, gboolean v)
{
    if (v)
        b[i >> 3] |= (guint8)(1u << (i & 7));
    else
        b[i >> 3] &= (guint8)~(1u << (i & 7));
}

static guint32 name_id(SimFs *fs, const char *name)
{
    gpointer v;
    if (g_hash_table_lookup_extended(fs->name_ids, name, NULL, &v))
        return GPOINTER_TO_UINT(v);
    char *k = g_strdup(name);
    guint32 id = fs->names->len;
    g_ptr_array_add(fs->names, k);
    g_hash_table_insert(fs->name_ids, k, GUINT_TO_POINTER(id));
    return id;
}

const char *sim_fs_name(const SimFs *fs, guint32 id)
{
    return id < fs->names->len ? g_ptr_array_index(fs->names, id) : "?";
}

static SimBlkType loc_type(const SimFsLayout *l, guint32 block)
{
    switch (sim_fs_loc(l, block)) {
    case SIM_LOC_BBITMAP: return SIM_BT_BBITMAP;
    case SIM_LOC_IBITMAP: return SIM_BT_IBITMAP;
    case SIM_LOC_ITABLE: return SIM_BT_ITABLE;
    default: return SIM_BT_DIR;              /* metadata buffers in the data area are directories */
    }
}

FsBuf *fs_buf_find(SimFs *fs, guint32 block)
{
    return block < fs->nfixed ? fs->fixed[block] : g_hash_table_lookup(fs->bufs, GUINT_TO_POINTER(block));
}

/* The journal buffer of a data block (data=journal): content is the version
 * the page holds, {ino, igen, lblk, wgen}. */
static FsBuf *data_buf(SimFs *fs, guint32 block)
{
    FsBuf *b = g_hash_table_lookup(fs->bufs, GUINT_TO_POINTER(block));
    if (b) {
        g_assert(b->type == SIM_BT_DATA);
        return b;
    }
    b = g_new0(FsBuf, 1);
    b->block = block;
    b->type = SIM_BT_DATA;
    b->content = g_new0(guint32, 4);
    g_hash_table_insert(fs->bufs, GUINT_TO_POINTER(block), b);
    return b;
}

FsBuf *fs_buf(SimFs *fs, guint32 block)
{
    /* bitmaps and the inode table: a direct array; directories: the hash */
    gboolean fixed = block < fs->nfixed;
    FsBuf *b = fixed ? fs->fixed[block] : g_hash_table_lookup(fs->bufs, GUINT_TO_POINTER(block));
    if (b)
        return b;
    b = g_new0(FsBuf, 1);
    b->block = block;
    b->type = loc_type(&fs->L, block);
    b->content = g_malloc0(sim_blk_type_size(b->type));
    g_hash_table_insert(fs->bufs, GUINT_TO_POINTER(block), b);
    if (fixed)
        fs->fixed[block] = b;
    return b;
}

SimToken fs_snapshot(SimFs *fs, FsBuf *b, guint32 tid)
{
    if (b->type == SIM_BT_DATA) {
        const guint32 *d = b->content;
        SimVer v = { .type = SIM_BT_DATA, .block = b->block, .tid = tid };
        v.u.data.ino = d[0];
        v.u.data.igen = d[1];
        v.u.data.lblk = d[2];
        v.u.data.wgen = d[3];
        return sim_content_add(fs->content, &v);
    }
    /* shares unchanged chunks with the buffer's previous snapshot */
    return sim_content_add_meta(fs->content, b->type, b->block, tid, b->content, b->last_snap, &b->last_snap);
}

static SimInode *inode_rec(SimFs *fs, guint32 ino)
{
    FsBuf *b = fs_buf(fs, sim_fs_itable_block(&fs->L, ino));
    return &((SimItableBlock *)b->content)->ino[ino % SIM_INODES_PER_BLOCK];
}

/* Modify an inode: its table block joins the running transaction. */
static SimInode *inode_dirty(SimFs *fs, guint32 ino, gboolean datasync)
{
    FsBuf *b = fs_buf(fs, sim_fs_itable_block(&fs->L, ino));
    jrnl_dirty(fs, b);
    fs->im[ino].sync_tid = jrnl_running_tid(fs);
    if (datasync)
        fs->im[ino].datasync_tid = fs->im[ino].sync_tid;
    return &((SimItableBlock *)b->content)->ino[ino % SIM_INODES_PER_BLOCK];
}

static guint8 *bbitmap_bits(SimFs *fs, guint32 block, gboolean dirty)
{
    FsBuf *b = fs_buf(fs, fs->L.bbitmap + block / SIM_BITS_PER_BITMAP);
    if (dirty)
        jrnl_dirty(fs, b);
    return ((SimBitmapBlock *)b->content)->bits;
}

/* Physical block of file block lblk, 0 if unmapped. */
static guint32 extent_lookup(const SimInode *in, guint32 lblk)
{
    for (guint i = 0; i < in->next; i++)
        if (lblk >= in->ext[i].lblk && lblk < in->ext[i].lblk + in->ext[i].len)
            return in->ext[i].pblk + (lblk - in->ext[i].lblk);
    return 0;
}

static gboolean extent_add(SimInode *in, guint32 lblk, guint32 pblk)
{
    if (in->next) {
        SimExtent *e = &in->ext[in->next - 1];
        if (e->lblk + e->len == lblk && e->pblk + e->len == pblk) {
            e->len++;
            return TRUE;
        }
    }
    if (in->next == SIM_INODE_EXTENTS)
        return FALSE;
    in->ext[in->next++] = (SimExtent){ lblk, pblk, 1 };
    return TRUE;
}

static gboolean block_usable(SimFs *fs, guint32 b, guint32 ino)
{
    return !bit_get(bbitmap_bits(fs, b, FALSE), b % SIM_BITS_PER_BITMAP) && !bit_get(fs->notreuse, b) &&
           (fs->resv_owner[b] == 0 || fs->resv_owner[b] == ino);
}

/* The blocks 8j..8j+7 that block_usable(fs, b, ino) refuses, as a bit mask
 * (bit i: block 8j+i); blocks past the end count as unusable. The same test
 * as block_usable, eight blocks at a time. */
static guint8 unusable8(SimFs *fs, guint32 j, guint32 ino)
{
    guint64 b = (guint64)j << 3, n = fs->L.nblocks;
    const guint8 *bm = bbitmap_bits(fs, (guint32)b, FALSE);
    guint8 u = bm[(b % SIM_BITS_PER_BITMAP) >> 3] | fs->notreuse[j];
    guint8 rs = fs->reserved[j];
    for (guint i = 0; rs && i < 8; i++)
        if (((rs >> i) & 1) && fs->resv_owner[b + i] != ino)
            u |= (guint8)(1u << i);
    if (b + 8 > n)
        u |= (guint8)(0xffu << (n - b));
    return u;
}

/* The first usable block in [b, end), or end. */
static guint64 next_usable(SimFs *fs, guint64 b, guint64 end, guint32 ino)
{
    while (b < end) {
        guint8 free = (guint8)(~unusable8(fs, (guint32)(b >> 3), ino) & (0xffu << (b & 7)));
        if (free)
            return MIN(end, (b & ~(guint64)7) + (guint64)__builtin_ctz(free));
        b = (b & ~(guint64)7) + 8;
    }
    return end;
}

/* How many usable blocks follow b (b itself included), at most max. */
static guint32 usable_run(SimFs *fs, guint64 b, guint32 max, guint32 ino)
{
    guint32 len = 0;
    while (len < max) {
        guint64 x = b + len;
        guint8 used = (guint8)(unusable8(fs, (guint32)(x >> 3), ino) >> (x & 7));
        guint32 avail = 8 - (guint32)(x & 7);
        guint32 got = used ? MIN((guint32)__builtin_ctz(used), avail) : avail;
        len += got;
        if (got < avail)
            break;
    }
    return MIN(len, max);
}

/* Reserve a run of up to `want` usable blocks for ino, searching from goal
 * (next fit). Returns its first block, 0 if the disk is full. Reserved
 * blocks stay free in the bitmap; other files skip them (mballoc's inode
 * preallocation), so a growing file stays in a few extents. The scan visits
 * blocks goal, goal+1, ... (wrapping) like a block-by-block loop would, but
 * tests eight blocks at a time (unusable8). */
static guint32 reserve(SimFs *fs, guint32 ino, guint32 goal, guint32 want)
{
    guint64 n = fs->L.nblocks;
    guint32 best = 0, best_len = 0;
    for (guint64 k = 0; k < n;) {
        guint64 b = (goal + k) % n;
        /* skip unusable blocks, up to the wrap and no further than the scan's end */
        guint64 end = MIN(n, b + (n - k));
        guint64 u = next_usable(fs, b, end, ino);
        k += u - b;
        if (u == end)
            continue;
        guint32 len = usable_run(fs, u, (guint32)MIN((guint64)want, n - u), ino);
        if (len > best_len) {
            best = (guint32)u;
            best_len = len;
        }
        if (len == want)
            break;
        k += len;
    }
    FsInodeMem *m = &fs->im[ino];
    for (guint32 i = 0; i < best_len; i++) {
        fs->resv_owner[best + i] = ino;
        bit_set(fs->reserved, best + i, TRUE);
    }
    m->resv_start = best;
    m->resv_len = best_len;
    return best_len ? best : 0;
}

static void resv_release(SimFs *fs, guint32 ino)
{
    FsInodeMem *m = &fs->im[ino];
    for (guint32 i = 0; i < m->resv_len; i++)
        if (fs->resv_owner[m->resv_start + i] == ino) {
            fs->resv_owner[m->resv_start + i] = 0;
            bit_set(fs->reserved, m->resv_start + i, FALSE);
        }
    m->resv_len = 0;
}

/* Allocate one block for ino (0: a directory block, no reservation) right
 * after `goal` when possible, else from its reservation, else from a new
 * reservation twice as large as the last (64 blocks up to 4096). Blocks
 * freed by an uncommitted transaction are not reused, as ext4 defers them. */
static guint32 block_alloc(SimFs *fs, guint32 goal, guint32 ino)
{
    guint64 n = fs->L.nblocks;
    FsInodeMem *m = &fs->im[ino];
    guint32 b = 0;
    if (goal && goal < n && block_usable(fs, goal, ino))
        b = goal;
    else if (m->resv_len)
        b = m->resv_start;
    else {
        m->resv_next = m->resv_next ? MIN(m->resv_next * 2, 4096u) : 64u;
        b = reserve(fs, ino, goal && goal < n ? goal : fs->alloc_cursor, m->resv_next);
        if (!b)
            return 0;
    }
    if (fs->resv_owner[b] == ino) {
        fs->resv_owner[b] = 0;
        bit_set(fs->reserved, b, FALSE);
        if (m->resv_len && b == m->resv_start) {
            m->resv_start++;
            m->resv_len--;
        }
    }
    bit_set(bbitmap_bits(fs, b, TRUE), b % SIM_BITS_PER_BITMAP, TRUE);
    fs->alloc_cursor = MAX(fs->alloc_cursor, b + 1) % (guint32)n;
    return b;
}

static void block_free(SimFs *fs, guint32 b)
{
    if (fs->cfg.data_mode == SIM_DATA_JOURNAL && sim_fs_loc(&fs->L, b) == SIM_LOC_DATA) {
        FsBuf *jb = g_hash_table_lookup(fs->bufs, GUINT_TO_POINTER(b));
        if (jb && jb->type == SIM_BT_DATA)
            jrnl_forget(fs, b);              /* jbd2_journal_forget + a revoke record */
    }
    bit_set(bbitmap_bits(fs, b, TRUE), b % SIM_BITS_PER_BITMAP, FALSE);
    bit_set(fs->notreuse, b, TRUE);
    jrnl_add_freed(fs, b);
}

void fs_release_freed(SimFs *fs, FsTxn *t)
{
    for (guint i = 0; i < t->freed->len; i++)
        bit_set(fs->notreuse, g_array_index(t->freed, guint32, i), FALSE);
    g_array_set_size(t->freed, 0);
}

static guint32 inode_alloc(SimFs *fs, gboolean is_dir)
{
    FsBuf *ib = fs_buf(fs, fs->L.ibitmap);
    guint8 *bits = ((SimBitmapBlock *)ib->content)->bits;
    guint32 first = SIM_FIRST_DIR_INO + fs->L.ndirs, n = fs->L.ninodes;
    for (guint32 k = 0; k < n; k++) {
        guint32 ino = first + (fs->inode_cursor + k) % (n - first);
        if (!bit_get(bits, ino)) {
            jrnl_dirty(fs, ib);
            bit_set(bits, ino, TRUE);
            fs->inode_cursor = ino - first + 1;
            SimInode *in = inode_dirty(fs, ino, TRUE);
            guint32 gen = in->igen + 1;
            memset(in, 0, sizeof *in);
            in->used = 1;
            in->is_dir = is_dir;
            in->igen = gen;
            in->links = 1;
            return ino;
        }
    }
    return 0;
}

/* ---- I/O ------------------------------------------------------------------ */

void fs_submit(SimFs *fs, SimIoOp op, guint32 flags, guint64 block, guint32 n, const SimToken *toks,
               SimOrigin origin, guint32 tid, SimIoDoneFn done, gpointer priv)
{
    SimIo *io = sim_io_new(op, block, n);
    io->flags = flags;
    if (toks)
        memcpy(io->tokens, toks, n * sizeof(SimToken));
    io->origin = origin;
    io->tid = tid;
    io->id = ++fs->next_io_id;
    io->done = done;
    io->ctx = fs;
    io->sub = priv;
    sim_blk_submit(fs->dev, io);
}

static void waiter_event(SimWorld *w, gpointer obj, gint64 arg)
{
    FsWaiter *wt = obj;
    wt->fn((SimFs *)(gintptr)arg, wt->ctx);
    g_free(wt);
}

void fs_waiters_run(SimFs *fs, GArray *waiters)
{
    /* Copy first: a waiter may add new waiters to the same array. */
    guint n = waiters->len;
    FsWaiter *copy = g_memdup2(waiters->data, n * sizeof(FsWaiter));
    g_array_set_size(waiters, 0);
    for (guint i = 0; i < n; i++)
        copy[i].fn(fs, copy[i].ctx);
    g_free(copy);
}

/* Run fn soon (from an event), never synchronously. */
static void defer(SimFs *fs, void (*fn)(SimFs *, gpointer), gpointer ctx)
{
    FsWaiter *wt = g_new(FsWaiter, 1);
    wt->fn = fn;
    wt->ctx = ctx;
    sim_schedule_after(fs->w, 0, waiter_event, wt, (gint64)(gintptr)fs);
}

typedef struct { guint32 ino, igen, first; guint32 n; guint32 wgen[]; } PageIo;

static void page_io_done(SimIo *io, gpointer ctx)
{
    SimFs *fs = ctx;
    PageIo *p = io->sub;
    FsInodeMem *m = &fs->im[p->ino];
    if (inode_rec(fs, p->ino)->igen == p->igen) {
        for (guint32 i = 0; i < p->n && p->first + i < m->pages->len; i++)   /* pages may be truncated since */
            g_array_index(m->pages, FsPage, p->first + i).inflight--;
    }
    fs->st.data_blocks_written += p->n;
    g_assert(m->inflight > 0);
    if (--m->inflight == 0 && m->idle_waiters->len)
        fs_waiters_run(fs, m->idle_waiters);
    g_free(p);
    sim_io_free(io);
}

static void submit_page_run(SimFs *fs, guint32 ino, guint32 first, guint32 n, SimOrigin origin, guint32 tid,
                            FsTxn *t, guint (*count)(FsTxn *))
{
    FsInodeMem *m = &fs->im[ino];
    const SimInode *in = inode_rec(fs, ino);
    PageIo *p = g_malloc(sizeof(PageIo) + n * sizeof(guint32));
    p->ino = ino;
    p->igen = in->igen;
    p->first = first;
    p->n = n;
    SimToken stack[64], *toks = n <= 64 ? stack : g_new(SimToken, n);
    for (guint32 i = 0; i < n; i++) {
        FsPage *pg = &g_array_index(m->pages, FsPage, first + i);
        SimVer v = { .type = SIM_BT_DATA, .block = pg->pblk, .tid = tid };
        v.u.data.ino = ino;
        v.u.data.igen = in->igen;
        v.u.data.lblk = first + i;
        v.u.data.wgen = pg->wgen;
        toks[i] = sim_content_add(fs->content, &v);
        pg->dirty = 0;
        pg->inflight++;
    }
    m->inflight++;
    guint32 pblk = g_array_index(m->pages, FsPage, first).pblk;
    fs_submit(fs, SIM_IO_WRITE, 0, pblk, n, toks, origin, tid, page_io_done, p);
    if (toks != stack)
        g_free(toks);
}

/* Write every dirty page of an inode, merging physically contiguous runs. */
void fs_write_inode_pages(SimFs *fs, guint32 ino, SimOrigin origin, guint32 tid, FsTxn *t)
{
    FsInodeMem *m = &fs->im[ino];
    guint32 n = m->pages ? m->pages->len : 0, i = 0;
    while (i < n) {
        FsPage *pg = &g_array_index(m->pages, FsPage, i);
        if (!pg->dirty || !pg->pblk) {
            i++;
            continue;
        }
        guint32 j = i + 1;
        while (j < n && j - i < 256) {
            FsPage *q = &g_array_index(m->pages, FsPage, j);
            if (!q->dirty || q->pblk != pg->pblk + (j - i))
                break;
            j++;
        }
        submit_page_run(fs, ino, i, j - i, origin, tid, t, NULL);
        i = j;
    }
}

static void write_expired_pages(SimFs *fs, guint32 ino, SimTime older_than)
{
    FsInodeMem *m = &fs->im[ino];
    for (guint32 i = 0; m->pages && i < m->pages->len; i++) {
        FsPage *pg = &g_array_index(m->pages, FsPage, i);
        if (pg->dirty && pg->dirtied <= older_than) {
            fs_write_inode_pages(fs, ino, SIM_ORIGIN_DATA_WRITEBACK, 0, NULL);
            return;
        }
    }
}

/* ---- paths and directories ---------------------------------------------- */

static int resolve(SimFs *fs, const char *path, guint32 *dir_ino, guint32 *name)
{
    const char *slash = strchr(path, '/');
    guint32 d = 0;
    if (slash) {
        if (path[0] != 'd' || slash == path + 1)
            return -ENOENT;
        char *end = NULL;
        guint64 v = g_ascii_strtoull(path + 1, &end, 10);
        if (end != slash || v >= fs->L.ndirs)
            return -ENOENT;
        d = (guint32)v;
        path = slash + 1;
    }
    if (!*path || strchr(path, '/'))
        return -ENOENT;
    *dir_ino = SIM_FIRST_DIR_INO + d;
    *name = name_id(fs, path);
    return 0;
}

static guint32 dir_lookup(SimFs *fs, guint32 dir, guint32 name)
{
    gpointer v = g_hash_table_lookup(fs->im[dir].dir, GUINT_TO_POINTER(name));
    if (!v)
        return 0;
    guint32 pos = GPOINTER_TO_UINT(v) - 1;
    const SimInode *din = inode_rec(fs, dir);
    FsBuf *b = fs_buf(fs, extent_lookup(din, pos >> 8));
    return ((SimDirBlock *)b->content)->e[pos & 0xff].ino;
}

static SimDirent *dir_slot_buf(SimFs *fs, guint32 dir, guint32 pos)
{
    const SimInode *din = inode_rec(fs, dir);
    FsBuf *b = fs_buf(fs, extent_lookup(din, pos >> 8));
    jrnl_dirty(fs, b);
    return &((SimDirBlock *)b->content)->e[pos & 0xff];
}

static int dir_add(SimFs *fs, guint32 dir, guint32 name, guint32 ino)
{
    SimInode *din = inode_rec(fs, dir);
    guint32 nblk = (guint32)(din->size / SIM_BLOCK_SIZE);
    for (guint32 l = 0; l < nblk; l++) {
        SimDirBlock *db = fs_buf(fs, extent_lookup(din, l))->content;
        for (guint32 s = 0; s < SIM_DIR_SLOTS; s++)
            if (db->e[s].ino == 0) {
                SimDirent *e = dir_slot_buf(fs, dir, l << 8 | s);
                e->name = name;
                e->ino = ino;
                inode_dirty(fs, dir, FALSE);   /* mtime: a later fsync of the directory commits the entry */
                g_hash_table_insert(fs->im[dir].dir, GUINT_TO_POINTER(name), GUINT_TO_POINTER((l << 8 | s) + 1));
                return 0;
            }
    }
    /* grow the directory by one block */
    guint32 goal = din->next ? din->ext[din->next - 1].pblk + din->ext[din->next - 1].len : 0;
    guint32 pblk = block_alloc(fs, goal, dir);
    if (!pblk)
        return -ENOSPC;
    din = inode_dirty(fs, dir, TRUE);
    if (!extent_add(din, nblk, pblk)) {
        block_free(fs, pblk);
        return -ENOSPC;
    }
    din->size += SIM_BLOCK_SIZE;
    FsBuf *nb = fs_buf(fs, pblk);
    memset(nb->content, 0, sizeof(SimDirBlock));
    jrnl_dirty(fs, nb);
    ((SimDirBlock *)nb->content)->e[0] = (SimDirent){ name, ino };
    g_hash_table_insert(fs->im[dir].dir, GUINT_TO_POINTER(name), GUINT_TO_POINTER((nblk << 8) + 1));
    return 0;
}

static void dir_remove(SimFs *fs, guint32 dir, guint32 name)
{
    gpointer v = g_hash_table_lookup(fs->im[dir].dir, GUINT_TO_POINTER(name));
    g_assert(v);
    SimDirent *e = dir_slot_buf(fs, dir, GPOINTER_TO_UINT(v) - 1);
    e->ino = 0;
    e->name = 0;
    g_hash_table_remove(fs->im[dir].dir, GUINT_TO_POINTER(name));
    inode_dirty(fs, dir, FALSE);            /* mtime/ctime */
}

/* The promises are kept sorted by inode, the order the checker reports
 * them in: sim_fs_promises, called by the crash evaluator after every change
 * of the oracle, is then a copy rather than a walk of a table and a sort.
 * Index of ino's promise, or where it would go. */
static guint promise_search(const SimFs *fs, guint32 ino, gboolean *found)
{
    guint lo = 0, hi = fs->promises->len;
    while (lo < hi) {
        guint mid = (lo + hi) / 2;
        guint32 x = ((const SimPromise *)g_ptr_array_index(fs->promises, mid))->ino;
        if (x == ino) {
            *found = TRUE;
            return mid;
        }
        if (x < ino)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = FALSE;
    return lo;
}

static SimPromise *promise_lookup(const SimFs *fs, guint32 ino)
{
    gboolean found;
    guint at = promise_search(fs, ino, &found);
    return found ? g_ptr_array_index(fs->promises, at) : NULL;
}

static void promise_drop(SimFs *fs, guint32 ino)
{
    gboolean found;
    guint at = promise_search(fs, ino, &found);
    if (!found)
        return;
    g_ptr_array_remove_index(fs->promises, at);   /* frees it */
    if (fs->oracle_fn)
        fs->oracle_fn(fs->oracle_ud);
}

static void promise_free(gpointer p)
{
    SimPromise *pr = p;
    g_array_free(pr->wgen, TRUE);
    g_free(pr);
}

/* Drop one link; free the inode and its blocks at zero. */
static void inode_unlink(SimFs *fs, guint32 ino)
{
    SimInode *in = inode_dirty(fs, ino, TRUE);
    promise_drop(fs, ino);
    if (--in->links > 0)
        return;
    for (guint i = 0; i < in->next; i++)
        for (guint32 k = 0; k < in->ext[i].len; k++)
            block_free(fs, in->ext[i].pblk + k);
    guint32 gen = in->igen;
    memset(in, 0, sizeof *in);
    in->igen = gen;
    resv_release(fs, ino);
    fs->im[ino].resv_next = 0;
    FsBuf *ib = fs_buf(fs, fs->L.ibitmap);
    jrnl_dirty(fs, ib);
    bit_set(((SimBitmapBlock *)ib->content)->bits, ino, FALSE);
    FsInodeMem *m = &fs->im[ino];
    /* jbd2_journal_begin_ordered_truncate: an inode on the committing
     * transaction's ordered list has its data written before the pages go -
     * that commit still records the allocation and must find the data. */
    if (fs->committing && m->ordered_tid == fs->committing->tid)
        fs_write_inode_pages(fs, ino, SIM_ORIGIN_ORDERED_DATA, fs->committing->tid, NULL);
    if (m->pages)
        g_array_set_size(m->pages, 0);       /* truncate the page cache */
}

/* ---- operations ------------------------------------------------------------ */

int sim_fs_create(SimFs *fs, const char *path)
{
    guint32 dir, name;
    if (resolve(fs, path, &dir, &name) < 0)
        return -ENOENT;
    if (dir_lookup(fs, dir, name))
        return -EEXIST;
    guint32 ino = inode_alloc(fs, FALSE);
    if (!ino)
        return -ENOSPC;
    int r = dir_add(fs, dir, name, ino);
    if (r < 0) {
        inode_unlink(fs, ino);
        return r;
    }
    FsInodeMem *m = &fs->im[ino];
    if (!m->pages)
        m->pages = g_array_new(FALSE, TRUE, sizeof(FsPage));
    g_array_set_size(m->pages, 0);
    m->dir_ino = dir;
    m->name = name;
    m->name_tid = jrnl_running_tid(fs);
    return 0;
}

int sim_fs_write(SimFs *fs, const char *path, guint64 off, guint64 len)
{
    guint32 dir, name, ino;
    if (resolve(fs, path, &dir, &name) < 0 || !(ino = dir_lookup(fs, dir, name)))
        return -ENOENT;
    if (len == 0)
        return 0;
    FsInodeMem *m = &fs->im[ino];
    guint32 first = (guint32)(off / SIM_BLOCK_SIZE), last = (guint32)((off + len - 1) / SIM_BLOCK_SIZE);
    if (m->pages->len <= last)
        g_array_set_size(m->pages, last + 1);
    gboolean allocated = FALSE;
    for (guint32 l = first; l <= last; l++) {
        FsPage *pg = &g_array_index(m->pages, FsPage, l);
        if (!pg->pblk) {
            SimInode *in = inode_rec(fs, ino);
            guint32 goal = in->next ? in->ext[in->next - 1].pblk + in->ext[in->next - 1].len : 0;
            guint32 b = block_alloc(fs, goal, ino);
            if (!b)
                return -ENOSPC;
            in = inode_dirty(fs, ino, TRUE);
            if (!extent_add(in, l, b)) {
                block_free(fs, b);
                return -ENOSPC;
            }
            pg->pblk = b;
            allocated = TRUE;
        }
        pg->wgen++;
        if (fs->cfg.data_mode == SIM_DATA_JOURNAL) {
            /* data=journal: the page is logged like metadata, written home by checkpoint */
            FsBuf *b = data_buf(fs, pg->pblk);
            guint32 *d = b->content;
            d[0] = ino;
            d[1] = inode_rec(fs, ino)->igen;
            d[2] = l;
            d[3] = pg->wgen;
            jrnl_dirty(fs, b);
            fs->im[ino].sync_tid = fs->im[ino].datasync_tid = jrnl_running_tid(fs);
            continue;
        }
        if (!pg->dirty)
            pg->dirtied = sim_now(fs->w);
        pg->dirty = 1;
    }
    SimInode *in = inode_rec(fs, ino);
    if (off + len > in->size)
        inode_dirty(fs, ino, TRUE)->size = off + len;
    if (allocated && fs->cfg.data_mode == SIM_DATA_ORDERED)
        jrnl_add_ordered(fs, ino);           /* writeback: no ordering; journal: logged */
    return 0;
}

int sim_fs_append(SimFs *fs, const char *path, guint64 len)
{
    guint32 dir, name, ino;
    if (resolve(fs, path, &dir, &name) < 0 || !(ino = dir_lookup(fs, dir, name)))
        return -ENOENT;
    return sim_fs_write(fs, path, inode_rec(fs, ino)->size, len);
}

int sim_fs_unlink(SimFs *fs, const char *path)
{
    guint32 dir, name, ino;
    if (resolve(fs, path, &dir, &name) < 0 || !(ino = dir_lookup(fs, dir, name)))
        return -ENOENT;
    dir_remove(fs, dir, name);
    inode_unlink(fs, ino);
    return 0;
}

int sim_fs_rename(SimFs *fs, const char *from, const char *to)
{
    guint32 d1, n1, d2, n2, ino, victim;
    if (resolve(fs, from, &d1, &n1) < 0 || resolve(fs, to, &d2, &n2) < 0 || !(ino = dir_lookup(fs, d1, n1)))
        return -ENOENT;
    if (d1 == d2 && n1 == n2)
        return 0;
    if ((victim = dir_lookup(fs, d2, n2))) {
        dir_remove(fs, d2, n2);
        inode_unlink(fs, victim);
    }
    dir_remove(fs, d1, n1);
    int r = dir_add(fs, d2, n2, ino);
    if (r < 0)
        return r;
    inode_dirty(fs, ino, FALSE);            /* ctime */
    fs->im[ino].dir_ino = d2;
    fs->im[ino].name = n2;
    fs->im[ino].name_tid = jrnl_running_tid(fs);
    /* An fsync promised this inode's data, not a name: after the rename
     * either name may survive a cut, so the promise follows the inode. */
    SimPromise *pr = promise_lookup(fs, ino);
    if (pr && pr->dir_ino) {
        pr->dir_ino = 0;
        if (fs->oracle_fn)
            fs->oracle_fn(fs->oracle_ud);
    }
    return 0;
}

/* ---- fsync: ext4_sync_file ----------------------------------------------- */

typedef struct {
    guint32 ino, igen, tid;     /* tid: the transaction waited for */
    gboolean datasync, needs_barrier;
    guint64 size;
    GArray *wgen;
    SimFsDoneFn done;
    gpointer ctx;
    SimTime t0;
} Fsync;

static void fsync_finish(SimFs *fs, gpointer ctx)
{
    Fsync *f = ctx;
    const SimInode *in = inode_rec(fs, f->ino);
    if (in->used && !in->is_dir && in->igen == f->igen) {
        /* The promise: what was written before fsync was called. */
        gboolean found;
        guint at = promise_search(fs, f->ino, &found);
        SimPromise *old = found ? g_ptr_array_index(fs->promises, at) : NULL;
        SimPromise *p = g_new0(SimPromise, 1);
        p->ino = f->ino;
        p->igen = f->igen;
        /* the entry is promised only if the commit waited for recorded it */
        if (fs->im[f->ino].name_tid <= f->tid) {
            p->dir_ino = fs->im[f->ino].dir_ino;
            p->name = fs->im[f->ino].name;
        }
        p->size = f->size;
        p->wgen = f->wgen;
        f->wgen = NULL;
        if (old && old->igen == p->igen) {   /* keep the stronger of two promises */
            if (!old->dir_ino)
                p->dir_ino = 0;                  /* renamed since: either name may survive */
            p->size = MAX(p->size, old->size);
            if (old->wgen->len > p->wgen->len)
                g_array_set_size(p->wgen, old->wgen->len);
            for (guint i = 0; i < old->wgen->len; i++)
                g_array_index(p->wgen, guint32, i) =
                    MAX(g_array_index(p->wgen, guint32, i), g_array_index(old->wgen, guint32, i));
        }
        p->t_ack = sim_now(fs->w);
        if (old) {
            promise_free(old);
            g_ptr_array_index(fs->promises, at) = p;
        } else {
            g_ptr_array_insert(fs->promises, (gint)at, p);
        }
        if (fs->oracle_fn)
            fs->oracle_fn(fs->oracle_ud);
    }
    if (f->wgen)
        g_array_free(f->wgen, TRUE);
    SimFsDoneFn done = f->done;
    gpointer dctx = f->ctx;
    g_free(f);
    done(dctx, 0);
}

static void fsync_flush_done(SimIo *io, gpointer ctx)
{
    Fsync *f = io->sub;
    sim_io_free(io);
    fsync_finish(ctx, f);
}

static void fsync_committed(SimFs *fs, gpointer ctx)
{
    Fsync *f = ctx;
    if (f->needs_barrier && fs->cfg.barrier)
        fs_submit(fs, SIM_IO_FLUSH, 0, 0, 0, NULL, SIM_ORIGIN_FSYNC_FLUSH, 0, fsync_flush_done, f);
    else
        fsync_finish(fs, f);
}

static void fsync_data_written(SimFs *fs, gpointer ctx)
{
    Fsync *f = ctx;
    FsInodeMem *m = &fs->im[f->ino];
    f->tid = f->datasync ? m->datasync_tid : m->sync_tid;
    jrnl_wait_commit(fs, f->tid, fsync_committed, f, &f->needs_barrier);
}

typedef struct { SimFsDoneFn done; gpointer ctx; } Room;

static void room_ready(SimFs *fs, gpointer p)
{
    Room r = *(Room *)p;
    g_free(p);
    r.done(r.ctx, 0);
}

int sim_fs_wait_room(SimFs *fs, SimFsDoneFn done, gpointer ctx)
{
    if (!jrnl_congested(fs))
        return 0;
    Room *r = g_new(Room, 1);
    r->done = done;
    r->ctx = ctx;
    FsWaiter wt = { room_ready, r };
    g_array_append_val(fs->space_waiters, wt);
    return 1;
}

guint32 sim_fs_stat(SimFs *fs, const char *path, guint32 *igen, guint64 *size)
{
    guint32 dir, name, ino;
    if (resolve(fs, path, &dir, &name) < 0 || !(ino = dir_lookup(fs, dir, name)))
        return 0;
    const SimInode *in = inode_rec(fs, ino);
    *igen = in->igen;
    *size = in->size;
    return ino;
}

guint32 sim_fs_page_wgen(SimFs *fs, guint32 ino, guint32 lblk)
{
    GArray *pages = ino < fs->L.ninodes ? fs->im[ino].pages : NULL;
    return pages && lblk < pages->len ? g_array_index(pages, FsPage, lblk).wgen : 0;
}

gboolean sim_fs_resolve(SimFs *fs, const char *path, guint32 *dir_ino, guint32 *name)
{
    return resolve(fs, path, dir_ino, name) == 0;
}

/* "dK/": the directory inode of dK, 0 otherwise */
static guint32 dir_path(SimFs *fs, const char *path)
{
    gsize n = strlen(path);
    if (n < 3 || path[0] != 'd' || path[n - 1] != '/')
        return 0;
    char *end = NULL;
    guint64 k = g_ascii_strtoull(path + 1, &end, 10);
    return end == path + n - 1 && k < fs->L.ndirs ? SIM_FIRST_DIR_INO + (guint32)k : 0;
}

int sim_fs_fsync(SimFs *fs, const char *path, gboolean datasync, SimFsDoneFn done, gpointer ctx)
{
    guint32 dir, name, ino = dir_path(fs, path);
    if (!ino && (resolve(fs, path, &dir, &name) < 0 || !(ino = dir_lookup(fs, dir, name))))
        return -ENOENT;
    FsInodeMem *m = &fs->im[ino];
    const SimInode *in = inode_rec(fs, ino);
    Fsync *f = g_new0(Fsync, 1);
    f->ino = ino;
    f->igen = in->igen;
    f->datasync = datasync;
    f->size = in->size;
    f->done = done;
    f->ctx = ctx;
    guint npages = m->pages ? m->pages->len : 0;       /* directories have no page cache here */
    f->wgen = g_array_sized_new(FALSE, TRUE, sizeof(guint32), npages);
    g_array_set_size(f->wgen, npages);
    for (guint i = 0; i < npages; i++)
        g_array_index(f->wgen, guint32, i) = g_array_index(m->pages, FsPage, i).wgen;
    /* 1. file_write_and_wait_range: write dirty pages, wait for completion */
    fs_write_inode_pages(fs, ino, SIM_ORIGIN_DATA_WRITEBACK, 0, NULL);
    if (m->inflight) {
        FsWaiter wt = { fsync_data_written, f };
        g_array_append_val(m->idle_waiters, wt);
    } else {
        defer(fs, fsync_data_written, f);
    }
    return 1;
}

/* ---- sync(): all data, a commit, and a flush when the commit sent none -- */

typedef struct { SimFsDoneFn done; gpointer ctx; guint pending; gboolean needs_barrier; } Sync;

static void sync_flushed(SimIo *io, gpointer ctx)
{
    Sync *s = io->sub;
    sim_io_free(io);
    s->done(s->ctx, 0);
    g_free(s);
}

static void sync_committed(SimFs *fs, gpointer ctx)
{
    Sync *s = ctx;
    if (s->needs_barrier && fs->cfg.barrier) {
        fs_submit(fs, SIM_IO_FLUSH, 0, 0, 0, NULL, SIM_ORIGIN_FSYNC_FLUSH, 0, sync_flushed, s);
        return;
    }
    s->done(s->ctx, 0);
    g_free(s);
}

static void sync_data_done(SimFs *fs, gpointer ctx)
{
    Sync *s = ctx;
    if (--s->pending)
        return;
    jrnl_wait_commit(fs, jrnl_running_tid(fs), sync_committed, s, &s->needs_barrier);
}

int sim_fs_sync(SimFs *fs, SimFsDoneFn done, gpointer ctx)
{
    Sync *s = g_new0(Sync, 1);
    s->done = done;
    s->ctx = ctx;
    s->pending = 1;
    for (guint32 ino = SIM_FIRST_DIR_INO + fs->L.ndirs; ino < fs->L.ninodes; ino++) {
        FsInodeMem *m = &fs->im[ino];
        if (!m->pages || !m->pages->len)
            continue;
        fs_write_inode_pages(fs, ino, SIM_ORIGIN_DATA_WRITEBACK, 0, NULL);
        if (m->inflight) {
            FsWaiter wt = { sync_data_done, s };
            g_array_append_val(m->idle_waiters, wt);
            s->pending++;
        }
    }
    defer(fs, sync_data_done, s);
    return 1;
}

/* ---- flusher --------------------------------------------------------------- */

static void flusher(SimWorld *w, gpointer obj, gint64 arg)
{
    SimFs *fs = obj;
    SimTime older = sim_now(w) - sim_time_from_s(fs->cfg.dirty_expire_s);
    for (guint32 ino = SIM_FIRST_DIR_INO + fs->L.ndirs; ino < fs->L.ninodes; ino++)
        if (fs->im[ino].pages && fs->im[ino].pages->len)
            write_expired_pages(fs, ino, older);
    jrnl_writeback(fs);
    sim_schedule_after(w, sim_time_from_s(fs->cfg.writeback_s), flusher, fs, 0);
}

/* ---- construction: mkfs ------------------------------------------------------ */

static gint cmp_ptr_uint(gconstpointer a, gconstpointer b)
{
    guint x = GPOINTER_TO_UINT(a), y = GPOINTER_TO_UINT(b);
    return x < y ? -1 : x > y;
}

static void mkfs_block(SimFs *fs, SimMedia *media, FsBuf *b)
{
    SimToken t = fs_snapshot(fs, b, 0);
    b->committed = t;
    sim_media_init_block(media, b->block, t);
}

SimFs *sim_fs_new(SimWorld *w, const SimFsCfg *cfg, SimBlkDev *dev, SimMedia *media, guint ndirs)
{
    SimFs *fs = g_new0(SimFs, 1);
    fs->w = w;
    fs->cfg = *cfg;
    fs->dev = dev;
    layout_init(&fs->L, cfg, ndirs);
    g_assert(fs->L.nblocks <= dev->nblocks);
    g_assert(SIM_FIRST_DIR_INO + ndirs < fs->L.ninodes);
    fs->content = sim_content_new();
    fs->name_ids = g_hash_table_new(g_str_hash, g_str_equal);
    fs->names = g_ptr_array_new_with_free_func(g_free);
    name_id(fs, "");                       /* id 0: no name */
    fs->bufs = g_hash_table_new(g_direct_hash, g_direct_equal);
    fs->graveyard = g_ptr_array_new();
    fs->nfixed = (guint32)(fs->L.itable + fs->L.itable_blocks);
    fs->fixed = g_new0(FsBuf *, fs->nfixed);
    fs->im = g_new0(FsInodeMem, fs->L.ninodes);
    for (guint32 i = 0; i < fs->L.ninodes; i++)
        fs->im[i].idle_waiters = g_array_new(FALSE, FALSE, sizeof(FsWaiter));
    fs->notreuse = g_malloc0(fs->L.nblocks / 8 + 1);
    fs->resv_owner = g_new0(guint32, fs->L.nblocks);
    fs->reserved = g_malloc0(fs->L.nblocks / 8 + 1);
    fs->promises = g_ptr_array_new_with_free_func(promise_free);
    jrnl_init(fs);

    /* mkfs: metadata and journal marked in use, root and d0.. directories */
    for (guint64 b = 0; b < fs->L.nblocks; b++) {
        SimLocKind k = sim_fs_loc(&fs->L, b);
        if (k != SIM_LOC_DATA)
            bit_set(bbitmap_bits(fs, (guint32)b, FALSE), b % SIM_BITS_PER_BITMAP, TRUE);
    }
    for (guint64 b = fs->L.nblocks; b % SIM_BITS_PER_BITMAP; b++)   /* past the end: in use */
        bit_set(bbitmap_bits(fs, (guint32)b, FALSE), b % SIM_BITS_PER_BITMAP, TRUE);
    fs->alloc_cursor = (guint32)(fs->L.itable + fs->L.itable_blocks);
    guint8 *ibits = ((SimBitmapBlock *)fs_buf(fs, fs->L.ibitmap)->content)->bits;
    for (guint32 i = 0; i < SIM_FIRST_DIR_INO + ndirs; i++)
        bit_set(ibits, i, TRUE);
    for (guint32 ino = SIM_ROOT_INO; ino < SIM_FIRST_DIR_INO + ndirs; ino++) {
        SimInode *in = inode_rec(fs, ino);
        memset(in, 0, sizeof *in);
        in->used = in->is_dir = 1;
        in->igen = 1;
        in->links = ino == SIM_ROOT_INO ? 2 + ndirs : 2;
        fs->im[ino].dir = g_hash_table_new(g_direct_hash, g_direct_equal);
        guint32 pblk = fs->alloc_cursor++;
        bit_set(bbitmap_bits(fs, pblk, FALSE), pblk % SIM_BITS_PER_BITMAP, TRUE);
        in->ext[0] = (SimExtent){ 0, pblk, 1 };
        in->next = 1;
        in->size = SIM_BLOCK_SIZE;
        fs_buf(fs, pblk);
    }
    SimDirBlock *root = fs_buf(fs, inode_rec(fs, SIM_ROOT_INO)->ext[0].pblk)->content;
    for (guint d = 0; d < ndirs; d++) {
        char nm[16];
        g_snprintf(nm, sizeof nm, "d%u", d);
        root->e[d] = (SimDirent){ name_id(fs, nm), SIM_FIRST_DIR_INO + d };
    }
    /* write the image: every buffer, the superblock, a clean journal sb */
    GList *blocks = g_hash_table_get_keys(fs->bufs);
    blocks = g_list_sort(blocks, cmp_ptr_uint);
    for (GList *l = blocks; l; l = l->next)
        mkfs_block(fs, media, g_hash_table_lookup(fs->bufs, l->data));
    g_list_free(blocks);
    SimVer sb = { .type = SIM_BT_SB, .block = 0 };
    sim_media_init_block(media, 0, sim_content_add(fs->content, &sb));
    SimVer jsb = { .type = SIM_BT_JSB, .block = (guint32)fs->L.jstart };
    jsb.u.jsb.start = 0;
    jsb.u.jsb.sequence = 1;
    sim_media_init_block(media, fs->L.jstart, sim_content_add(fs->content, &jsb));
    sim_schedule_after(w, sim_time_from_s(cfg->writeback_s), flusher, fs, 0);
    return fs;
}

void sim_fs_free(SimFs *fs)
{
    if (!fs)
        return;
    jrnl_free(fs);
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, fs->bufs);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        FsBuf *b = v;
        g_free(b->content);
        g_free(b);
    }
    g_hash_table_destroy(fs->bufs);
    for (guint i = 0; i < fs->graveyard->len; i++) {
        FsBuf *b = g_ptr_array_index(fs->graveyard, i);
        g_free(b->content);
        g_free(b);
    }
    g_ptr_array_free(fs->graveyard, TRUE);
    g_free(fs->fatal);
    g_free(fs->fixed);
    for (guint32 i = 0; i < fs->L.ninodes; i++) {
        if (fs->im[i].pages)
            g_array_free(fs->im[i].pages, TRUE);
        g_array_free(fs->im[i].idle_waiters, TRUE);
        if (fs->im[i].dir)
            g_hash_table_destroy(fs->im[i].dir);
    }
    g_free(fs->im);
    g_free(fs->notreuse);
    g_free(fs->resv_owner);
    g_free(fs->reserved);
    g_ptr_array_free(fs->promises, TRUE);
    g_hash_table_destroy(fs->name_ids);
    g_ptr_array_free(fs->names, TRUE);
    sim_content_free(fs->content);
    g_free(fs);
}

const SimFsLayout *sim_fs_layout(const SimFs *fs) { return &fs->L; }
SimContent *sim_fs_content(const SimFs *fs) { return fs->content; }

void sim_fs_set_oracle_hook(SimFs *fs, SimFsHook fn, gpointer ud)
{
    fs->oracle_fn = fn;
    fs->oracle_ud = ud;
}

GPtrArray *sim_fs_promises(const SimFs *fs)
{
    GPtrArray *a = g_ptr_array_sized_new(fs->promises->len);
    g_ptr_array_extend(a, fs->promises, NULL, NULL);   /* the pointers, already by inode */
    return a;
}

void sim_fs_get_stats(const SimFs *fs, SimFsStats *st) { *st = fs->st; }
const char *sim_fs_fatal(const SimFs *fs) { return fs->fatal; }

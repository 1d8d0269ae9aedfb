/* sim/crash/check.c - an fsck-style checker over the recovered image, and
 * the oracle of what acknowledged fsyncs promised (DESIGN §8).
 *
 * Like e2fsck it reads only what is on the (recovered) medium and judges
 * each location by what belongs there: the inode table, the bitmaps and the
 * directories must agree (pass 1-5: blocks claimed twice, bitmap
 * differences, entries to free inodes, link counts); a location holding a
 * block of another kind is garbage to it. Superblock free counts are not
 * modelled, so they can never be scored (E7). Data blocks of a file must hold
 * data of that file at that offset, else the file shows stale bytes. Every
 * finding names the blocks involved and where their content came from.
 */
#include "crash.h"
#include "../fs/app.h"
#include <string.h>

/* A lost fsync as found. Its reason is a function of these fields and of
 * the recovered image (the provenance of b1 and b2, the recovery summary):
 * on the image the last check saw, the same fields give the same text. */
typedef enum { LOST_MISSING, LOST_SIZE, LOST_WRITE } LostKind;
typedef struct {
    LostKind kind;
    guint32  ino, dir_ino, name;   /* the promise's file and entry (its label) */
    SimTime  t_ack;
    guint64  size, got;            /* LOST_SIZE: promised and recovered size */
    guint32  l, want;              /* LOST_WRITE: file block, write generation */
    gboolean older;                /* LOST_WRITE: the block holds an older write of the file */
    guint64  b1, b2;               /* the blocks named */
} LostFsync;

struct SimChecker {
    const SimFs      *fs;
    const SimFsLayout *L;
    const SimContent *C;
    SimRecovery       rec;
    guint8           *refs;        /* data blocks referenced (bitset) */
    guint8           *meta;        /* blocks that are always in use (bitset) */
    guint32          *owner;       /* first inode referencing a block (only written when referenced) */
    guint32          *nlinks;      /* directory entries per inode */
    SimInode         *inodes;      /* recovered inode records (valid where inode_ok) */
    guint8           *inode_ok;
    guint8           *ok_bits;     /* inode_ok as a bitset, to compare with the inode bitmap a word at a time */
    GArray           *used;        /* guint32 inodes marked in inode_ok this pass */
    GArray           *refd;        /* guint32 blocks set in refs this pass */
    gsize             bitset_bytes;
    /* the structural verdict of the last full check, reused by content rechecks */
    SimBitmapBlock    scratch;     /* a bitmap materialized */
    SimOutcome        struct_worst;
    GString          *struct_reason;
    /* the verdict of the data pass (stale data or not, and its finding) on
     * the last check, and the last lost fsync reported with its reason:
     * reused while the image stays the same and only the promises change */
    gboolean          data_valid, data_stale;
    GString          *data_reason;
    gboolean          lost_valid;
    LostFsync         lost;
    GString          *lost_reason;
};

static inline gboolean bget(const guint8 *b, guint64 i) { return (b[i >> 3] >> (i & 7)) & 1; }
static inline void bset(guint8 *b, guint64 i) { b[i >> 3] |= (guint8)(1u << (i & 7)); }
static inline guint64 word_at(const guint8 *b) { guint64 w; memcpy(&w, b, 8); return w; }

SimChecker *sim_checker_new(const SimFs *fs)
{
    SimChecker *c = g_new0(SimChecker, 1);
    c->fs = fs;
    c->L = sim_fs_layout(fs);
    c->C = sim_fs_content(fs);
    sim_recovery_init(&c->rec);
    guint64 bits = (guint64)c->L->ngroups * SIM_BITS_PER_BITMAP;
    c->bitset_bytes = bits / 8;
    c->refs = g_malloc0(c->bitset_bytes);
    c->meta = g_malloc0(c->bitset_bytes);
    for (guint64 b = 0; b < bits; b++)
        if (b >= c->L->nblocks || sim_fs_loc(c->L, b) != SIM_LOC_DATA)
            bset(c->meta, b);
    c->owner = g_new0(guint32, c->L->nblocks);
    c->nlinks = g_new0(guint32, c->L->ninodes);
    c->inodes = g_new0(SimInode, c->L->ninodes);
    c->inode_ok = g_new0(guint8, c->L->ninodes);
    c->ok_bits = g_malloc0((c->L->ninodes + 63) / 64 * 8);
    c->used = g_array_new(FALSE, FALSE, sizeof(guint32));
    c->refd = g_array_new(FALSE, FALSE, sizeof(guint32));
    c->struct_reason = g_string_new(NULL);
    c->data_reason = g_string_new(NULL);
    c->lost_reason = g_string_new(NULL);
    return c;
}

void sim_checker_free(SimChecker *c)
{
    if (!c)
        return;
    sim_recovery_clear(&c->rec);
    g_free(c->refs);
    g_free(c->meta);
    g_free(c->owner);
    g_free(c->nlinks);
    g_free(c->inodes);
    g_free(c->inode_ok);
    g_free(c->ok_bits);
    g_array_free(c->used, TRUE);
    g_array_free(c->refd, TRUE);
    g_string_free(c->struct_reason, TRUE);
    g_string_free(c->data_reason, TRUE);
    g_string_free(c->lost_reason, TRUE);
    g_free(c);
}

/* ---- findings ------------------------------------------------------------ */

typedef struct {
    SimChecker *c;
    const SimMedia *m;
    const SimRecovery *r;
    SimOutcome worst;
    GString *reason;              /* first finding of the worst class */
} Ctx;

/* Where the content of a block in the recovered image came from. */
static void provenance(Ctx *x, guint64 block, GString *out)
{
    const SimReplay *rp = sim_recovery_find(x->r, block);
    const SimContent *C = x->c->C;
    if (rp) {
        g_string_append_printf(out, "replayed from log position %u of T%u", rp->pos, rp->tid);
        if (rp->tok != rp->intended) {
            SimToken base = sim_token_base(rp->tok);
            const SimVer *v = sim_content_get(C, base);
            g_string_append_printf(out, ", which held %s%s", sim_token_is_torn(rp->tok) ? "a torn " : "",
                                   base == 0 ? "zeroes" : sim_blk_type_name(v->type));
            if (v->tid)
                g_string_append_printf(out, " of T%u", v->tid);
            if (v->type == SIM_BT_GARBAGE)
                g_string_append_printf(out, " - the log block of committed T%u was on the failed member and a "
                                            "stripe write to its neighbours was cut", rp->tid);
            else if (v->tid > rp->tid)
                g_string_append_printf(out, " - a later lap of the log overwrote T%u's block while the journal "
                                            "superblock still pointed before it", rp->tid);
            else
                g_string_append_printf(out, " - commit of T%u durable, its journal block %u not", rp->tid, rp->pos);
        }
        return;
    }
    SimToken t = sim_media_get(x->m, block);
    const SimVer *v = sim_content_get(C, sim_token_base(t));
    if (t == 0) {
        g_string_append(out, "never written");
    } else if (v->type == SIM_BT_GARBAGE) {
        g_string_append(out, "on the failed member, rebuilt from a parity that a cut stripe write left stale");
    } else if (v->type == SIM_BT_DATA) {
        g_string_append_printf(out, "data of inode %u", v->u.data.ino);
    } else if (v->tid == 0) {
        g_string_append(out, "as made by mkfs");
    } else {
        g_string_append_printf(out, "home copy from T%u", v->tid);
        if (x->r->clean)
            g_string_append(out, " (journal marked clean)");
        else if (v->tid < x->r->first_tid)
            g_string_append_printf(out, " (older than the journal tail T%u, so not replayed)", x->r->first_tid);
        else if (v->tid > x->r->last_tid)
            g_string_append_printf(out, " (newer than the last replayed transaction: its commit is not durable)");
    }
}

static void finding(Ctx *x, SimOutcome o, guint64 b1, guint64 b2, const char *fmt, ...) G_GNUC_PRINTF(5, 6);
static void finding(Ctx *x, SimOutcome o, guint64 b1, guint64 b2, const char *fmt, ...)
{
    if (o <= x->worst)
        return;
    x->worst = o;
    if (!x->reason)
        return;
    g_string_truncate(x->reason, 0);
    va_list ap;
    va_start(ap, fmt);
    g_string_append_vprintf(x->reason, fmt, ap);
    va_end(ap);
    guint64 bs[2] = { b1, b2 };
    for (int i = 0; i < 2; i++) {
        if (bs[i] == G_MAXUINT64)
            continue;
        g_string_append_printf(x->reason, "; block %" G_GUINT64_FORMAT ": ", bs[i]);
        provenance(x, bs[i], x->reason);
    }
    const SimRecovery *r = x->r;
    if (r->clean)
        g_string_append(x->reason, "; journal was clean");
    else if (r->last_tid < r->first_tid)
        g_string_append_printf(x->reason, "; recovery replayed nothing (%s)", r->why);
    else
        g_string_append_printf(x->reason, "; recovery replayed T%u..T%u (then %s)", r->first_tid, r->last_tid, r->why);
}

#define NOB G_MAXUINT64

/* The version at a metadata location, or NULL (with a finding) if what is
 * there is not a block of that kind. NULL without a finding for zeroes, a
 * valid empty block - except for directories, which need entry headers. */
static const SimVer *meta_version(Ctx *x, guint64 block, SimBlkType want)
{
    SimToken t = sim_recovery_get(x->r, x->m, block);
    const SimVer *v = sim_content_get(x->c->C, sim_token_base(t));
    if (sim_token_is_torn(t)) {
        finding(x, SIM_OUT_CORRUPT, block, NOB, "%s block %" G_GUINT64_FORMAT " is torn (old and new sectors mixed)",
                sim_blk_type_name(want), block);
        return NULL;
    }
    if (t == 0 && want != SIM_BT_DIR)
        return NULL;
    if (v->type != want) {
        finding(x, SIM_OUT_CORRUPT, block, NOB, "%s block %" G_GUINT64_FORMAT " holds %s, not %s",
                sim_blk_type_name(want), block, t == 0 ? "zeroes" : sim_blk_type_name(v->type),
                sim_blk_type_name(want));
        return NULL;
    }
    if (v->block != block)     /* the right kind, another location: interpreted positionally, as fsck would */
        finding(x, SIM_OUT_CORRUPT, block, NOB, "%s block %" G_GUINT64_FORMAT " holds the content of block %u",
                sim_blk_type_name(want), block, v->block);
    return v;
}

static const SimDirBlock *dir_content(const SimVer *v)
{
    return v ? sim_snap_chunk(v->u.meta, 0) : NULL;       /* a directory block is one chunk */
}

/* A bitmap's bits, materialized into scratch (zeroes when v is NULL). */
static const SimBitmapBlock *bitmap_content(const SimVer *v, SimBitmapBlock *scratch)
{
    if (v)
        sim_snap_read(v->u.meta, scratch);
    else
        memset(scratch, 0, sizeof *scratch);
    return scratch;
}

/* ---- passes --------------------------------------------------------------- */

static void pass_inodes(Ctx *x)
{
    SimChecker *c = x->c;
    const SimFsLayout *L = c->L;
    for (guint i = 0; i < c->used->len; i++) {
        guint32 ino = g_array_index(c->used, guint32, i);
        c->inode_ok[ino] = 0;
        c->ok_bits[ino >> 3] = 0;            /* every bit set in it is a used inode's */
    }
    g_array_set_size(c->used, 0);
    for (guint32 b = 0; b < L->itable_blocks; b++) {
        const SimVer *v = meta_version(x, L->itable + b, SIM_BT_ITABLE);
        if (!v)
            continue;
        for (guint32 i = 0; i < SIM_INODES_PER_BLOCK; i++) {
            guint32 ino = b * SIM_INODES_PER_BLOCK + i;
            const SimInode *in = sim_snap_chunk(v->u.meta, i);   /* one inode per chunk */
            if (ino < L->ninodes && in->used) {
                c->inodes[ino] = *in;
                c->inode_ok[ino] = 1;
                bset(c->ok_bits, ino);
                g_array_append_val(c->used, ino);
            }
        }
    }
}

static void pass_blocks(Ctx *x)
{
    SimChecker *c = x->c;
    const SimFsLayout *L = c->L;
    for (guint i = 0; i < c->refd->len; i++) {
        guint32 b = g_array_index(c->refd, guint32, i);
        c->refs[b >> 3] = 0;
    }
    g_array_set_size(c->refd, 0);
    for (guint u = 0; u < c->used->len; u++) {
        guint32 ino = g_array_index(c->used, guint32, u);
        const SimInode *in = &c->inodes[ino];
        for (guint e = 0; e < MIN(in->next, SIM_INODE_EXTENTS); e++) {
            for (guint32 k = 0; k < in->ext[e].len; k++) {
                guint64 b = (guint64)in->ext[e].pblk + k;
                if (b >= L->nblocks || bget(c->meta, b)) {
                    finding(x, SIM_OUT_CORRUPT, sim_fs_itable_block(L, ino), NOB,
                            "inode %u references block %" G_GUINT64_FORMAT " outside the data area", ino, b);
                    continue;
                }
                if (bget(c->refs, b)) {
                    finding(x, SIM_OUT_CORRUPT, sim_fs_itable_block(L, ino), sim_fs_itable_block(L, c->owner[b]),
                            "block %" G_GUINT64_FORMAT " claimed by inodes %u and %u", b, c->owner[b], ino);
                    continue;
                }
                bset(c->refs, b);
                c->owner[b] = ino;
                guint32 b32 = (guint32)b;
                g_array_append_val(c->refd, b32);
            }
        }
    }
}

static void pass_bitmaps(Ctx *x)
{
    SimChecker *c = x->c;
    const SimFsLayout *L = c->L;
    for (guint32 g = 0; g < L->ngroups; g++) {
        const SimBitmapBlock *bm = bitmap_content(meta_version(x, L->bbitmap + g, SIM_BT_BBITMAP), &c->scratch);
        const guint8 *want = c->refs + (gsize)g * sizeof bm->bits, *meta = c->meta + (gsize)g * sizeof bm->bits;
        G_STATIC_ASSERT(sizeof bm->bits % 8 == 0);
        for (gsize w = 0; w < sizeof bm->bits; w += 8) {
            if (word_at(bm->bits + w) == (word_at(want + w) | word_at(meta + w)))
                continue;                    /* 64 blocks agree */
            gsize i = w;                     /* the first byte that differs */
            while (bm->bits[i] == (want[i] | meta[i]))
                i++;
            guint8 exp = want[i] | meta[i];
            guint diff = bm->bits[i] ^ exp, bit = (guint)__builtin_ctz(diff);
            guint64 b = (guint64)g * SIM_BITS_PER_BITMAP + i * 8 + bit;
            gboolean marked = (bm->bits[i] >> bit) & 1;
            if (marked)
                finding(x, SIM_OUT_CORRUPT, L->bbitmap + g, NOB,
                        "block bitmap differences: -%" G_GUINT64_FORMAT " (marked in use, referenced by no inode)", b);
            else
                finding(x, SIM_OUT_CORRUPT, L->bbitmap + g, sim_fs_itable_block(L, c->owner[b]),
                        "block bitmap differences: +%" G_GUINT64_FORMAT " (in use by inode %u, marked free)", b,
                        c->owner[b]);
            break;
        }
    }
    const SimBitmapBlock *ib = bitmap_content(meta_version(x, L->ibitmap, SIM_BT_IBITMAP), &c->scratch);
    guint32 reserved = SIM_FIRST_DIR_INO + L->ndirs;
    for (guint32 ino = 0; ino < L->ninodes; ino++) {
        /* 64 inodes past the reserved ones whose bits agree with the inodes
         * in use hold no finding: compared as one word */
        if (ino % 64 == 0 && ino >= reserved && ino + 64 <= L->ninodes &&
            word_at(ib->bits + ino / 8) == word_at(c->ok_bits + ino / 8)) {
            ino += 63;
            continue;
        }
        gboolean marked = bget(ib->bits, ino), used = ino < SIM_ROOT_INO ? TRUE : c->inode_ok[ino];
        if (ino < reserved && ino >= SIM_ROOT_INO && !used) {
            finding(x, SIM_OUT_CORRUPT, sim_fs_itable_block(L, ino), NOB, "%s inode %u is not in use",
                    ino == SIM_ROOT_INO ? "root directory" : "directory", ino);
            continue;
        }
        if (marked != used) {
            finding(x, SIM_OUT_CORRUPT, L->ibitmap, sim_fs_itable_block(L, ino),
                    "inode bitmap differences: %c%u (inode %s, marked %s)", used ? '+' : '-', ino,
                    used ? "in use" : "free", marked ? "in use" : "free");
            break;
        }
    }
}

/* Directory entries: each points to an in-use inode; count links. */
static void pass_dirs(Ctx *x)
{
    SimChecker *c = x->c;
    const SimFsLayout *L = c->L;
    for (guint u = 0; u < c->used->len; u++)
        c->nlinks[g_array_index(c->used, guint32, u)] = 0;
    for (guint32 dir = SIM_ROOT_INO; dir < SIM_FIRST_DIR_INO + L->ndirs; dir++) {
        if (!c->inode_ok[dir])
            continue;
        const SimInode *din = &c->inodes[dir];
        for (guint e = 0; e < MIN(din->next, SIM_INODE_EXTENTS); e++) {
            for (guint32 k = 0; k < din->ext[e].len; k++) {
                guint64 b = (guint64)din->ext[e].pblk + k;
                if (b >= L->nblocks || bget(c->meta, b))
                    continue;
                const SimDirBlock *db = dir_content(meta_version(x, b, SIM_BT_DIR));
                if (!db)
                    continue;
                for (guint s = 0; s < SIM_DIR_SLOTS; s++) {
                    guint32 ino = db->e[s].ino;
                    if (!ino)
                        continue;
                    if (ino >= L->ninodes || !c->inode_ok[ino]) {
                        finding(x, SIM_OUT_CORRUPT, b, ino < L->ninodes ? sim_fs_itable_block(L, ino) : NOB,
                                "entry '%s' in directory inode %u points to free inode %u",
                                sim_fs_name(c->fs, db->e[s].name), dir, ino);
                        continue;
                    }
                    c->nlinks[ino]++;
                }
            }
        }
    }
    for (guint u = 0; u < c->used->len; u++) {
        guint32 ino = g_array_index(c->used, guint32, u);
        if (ino < SIM_FIRST_DIR_INO + L->ndirs || c->inodes[ino].is_dir)
            continue;
        if (c->inodes[ino].links != c->nlinks[ino])
            finding(x, SIM_OUT_CORRUPT, sim_fs_itable_block(L, ino), NOB,
                    c->nlinks[ino] ? "inode %u has link count %u but %u directory entries"
                                   : "unattached inode %u (link count %u, %u entries)",
                    ino, c->inodes[ino].links, c->nlinks[ino]);
    }
}

static guint32 map_block(const SimInode *in, guint32 lblk)
{
    for (guint e = 0; e < MIN(in->next, SIM_INODE_EXTENTS); e++)
        if (lblk >= in->ext[e].lblk && lblk < in->ext[e].lblk + in->ext[e].len)
            return in->ext[e].pblk + (lblk - in->ext[e].lblk);
    return 0;
}

/* Does disk block b hold file block l of (ino, igen), at least write `min`?
 * A torn block qualifies when both what landed and what it tore over are
 * that file block, and the older part already held write `min` (a torn
 * overwrite or append of the file's own block is not stale data, T2). */
static gboolean data_ok(Ctx *x, guint32 b, guint32 ino, guint32 igen, guint32 l, guint32 min)
{
    SimToken t = sim_recovery_get(x->r, x->m, b);
    const SimVer *v = sim_content_get(x->c->C, sim_token_base(t));
    if (v->type != SIM_BT_DATA || v->u.data.ino != ino || v->u.data.igen != igen || v->u.data.lblk != l)
        return FALSE;
    if (!sim_token_is_torn(t))
        return v->u.data.wgen >= min;
    if (sim_recovery_find(x->r, b))
        return FALSE;                          /* a torn copy from the journal */
    const SimVer *o = sim_content_get(x->c->C, sim_media_torn_old(x->m, b));
    return o->type == SIM_BT_DATA && o->u.data.ino == ino && o->u.data.igen == igen && o->u.data.lblk == l &&
           o->u.data.wgen >= min;
}

/* Data: every block within a file's size holds that file's data. Every
 * finding here is stale data and only the first one is kept (finding()
 * ignores a class no worse than the worst so far), so the pass stops at it. */
static void pass_data(Ctx *x)
{
    SimChecker *c = x->c;
    const SimFsLayout *L = c->L;
    for (guint u = 0; u < c->used->len && x->worst < SIM_OUT_STALE_DATA; u++) {
        guint32 ino = g_array_index(c->used, guint32, u);
        if (ino < SIM_FIRST_DIR_INO + L->ndirs || c->inodes[ino].is_dir)
            continue;
        const SimInode *in = &c->inodes[ino];
        guint32 nb = (guint32)((in->size + SIM_BLOCK_SIZE - 1) / SIM_BLOCK_SIZE);
        for (guint32 l = 0; l < nb; l++) {
            guint32 b = map_block(in, l);
            if (!b || b >= L->nblocks)
                continue;                      /* hole */
            if (data_ok(x, b, ino, in->igen, l, 0))
                continue;
            SimToken t = sim_recovery_get(x->r, x->m, b);
            const SimVer *v = sim_content_get(c->C, sim_token_base(t));
            finding(x, SIM_OUT_STALE_DATA, b, NOB, "inode %u block %u (disk block %u) shows %s%s", ino, l, b,
                    sim_token_is_torn(t) ? "torn " : "",
                    t == 0 ? "zeroes never written to it"
                    : v->type == SIM_BT_DATA ? (v->u.data.ino == ino ? "data of an earlier incarnation"
                                                                      : "another file's old data")
                                             : sim_blk_type_name(v->type));
            break;
        }
    }
}

static guint32 dir_find(Ctx *x, guint32 dir, guint32 name, guint64 *where)
{
    SimChecker *c = x->c;
    if (!c->inode_ok[dir])
        return 0;
    const SimInode *din = &c->inodes[dir];
    for (guint e = 0; e < MIN(din->next, SIM_INODE_EXTENTS); e++)
        for (guint32 k = 0; k < din->ext[e].len; k++) {
            guint64 b = (guint64)din->ext[e].pblk + k;
            if (b >= c->L->nblocks)
                continue;
            SimToken t = sim_recovery_get(x->r, x->m, b);
            const SimVer *v = sim_content_get(c->C, sim_token_base(t));
            if (sim_token_is_torn(t) || v->type != SIM_BT_DIR)
                continue;
            const SimDirBlock *db = dir_content(v);
            for (guint s = 0; s < SIM_DIR_SLOTS; s++)
                if (db->e[s].ino && db->e[s].name == name) {
                    *where = b;
                    return db->e[s].ino;
                }
        }
    return 0;
}

/* Report a lost fsync. An oracle change mostly leaves the first lost
 * promise as it was, and formatting its reason is most of a recheck: on the
 * same image the same finding takes the text it had last time. */
static void report_lost(Ctx *x, LostFsync *f, gboolean same_image)
{
    SimChecker *c = x->c;
    if (same_image && c->lost_valid && x->reason && memcmp(f, &c->lost, sizeof *f) == 0) {
        x->worst = SIM_OUT_LOST_FSYNC;
        g_string_assign(x->reason, c->lost_reason->str);
        return;
    }
    char label[160];
    if (f->dir_ino)
        g_snprintf(label, sizeof label, "d%u/%s", f->dir_ino - SIM_FIRST_DIR_INO, sim_fs_name(c->fs, f->name));
    else
        g_snprintf(label, sizeof label, "inode %u (renamed since)", f->ino);
    double t = sim_time_to_s(f->t_ack);
    switch (f->kind) {
    case LOST_MISSING:
        finding(x, SIM_OUT_LOST_FSYNC, f->b1, f->b2, "fsync of %s returned at %.6fs but the file is missing", label, t);
        break;
    case LOST_SIZE:
        finding(x, SIM_OUT_LOST_FSYNC, f->b1, f->b2,
                "fsync of %s returned at %.6fs with size %" G_GUINT64_FORMAT ", recovered size %" G_GUINT64_FORMAT,
                label, t, f->size, f->got);
        break;
    case LOST_WRITE:
        finding(x, SIM_OUT_LOST_FSYNC, f->b1, f->b2, "fsync of %s returned at %.6fs: block %u lacks write %u%s", label,
                t, f->l, f->want, f->older ? " (holds an older write)" : "");
        break;
    }
    c->lost_valid = x->reason != NULL;
    if (c->lost_valid) {
        c->lost = *f;
        g_string_assign(c->lost_reason, x->reason->str);
    }
}

/* The oracle: what acknowledged fsyncs promised is there. Every finding
 * here is a lost fsync and only the first one is kept, so the pass stops at
 * it. same_image: the recovered image is the one the last check saw. */
static void pass_promises(Ctx *x, GPtrArray *promises, gboolean same_image)
{
    SimChecker *c = x->c;
    for (guint i = 0; promises && i < promises->len && x->worst < SIM_OUT_LOST_FSYNC; i++) {
        const SimPromise *p = g_ptr_array_index(promises, i);
        LostFsync f;
        memset(&f, 0, sizeof f);             /* compared whole, padding included */
        f.ino = p->ino;
        f.dir_ino = p->dir_ino;
        f.name = p->name;
        f.t_ack = p->t_ack;
        f.b2 = NOB;
        /* bound to its entry, or (renamed since) to the inode alone */
        guint32 ino = p->dir_ino ? dir_find(x, p->dir_ino, p->name, &f.b2) : p->ino;
        if (ino != p->ino || !c->inode_ok[ino] || c->inodes[ino].igen != p->igen) {
            f.kind = LOST_MISSING;
            f.b1 = sim_fs_itable_block(c->L, p->ino);
            report_lost(x, &f, same_image);
            continue;
        }
        const SimInode *in = &c->inodes[ino];
        if (in->size < p->size) {
            f.kind = LOST_SIZE;
            f.b1 = sim_fs_itable_block(c->L, ino);
            f.b2 = NOB;
            f.size = p->size;
            f.got = in->size;
            report_lost(x, &f, same_image);
            continue;
        }
        for (guint32 l = 0; l < p->wgen->len; l++) {
            guint32 want = g_array_index(p->wgen, guint32, l);
            if (!want)
                continue;
            guint32 b = map_block(in, l);
            if (b && data_ok(x, b, ino, p->igen, l, want))
                continue;
            SimToken t = b ? sim_recovery_get(x->r, x->m, b) : 0;
            const SimVer *v = sim_content_get(c->C, sim_token_base(t));
            f.kind = LOST_WRITE;
            f.b1 = b ? b : NOB;
            f.b2 = NOB;
            f.l = l;
            f.want = want;
            f.older = v->type == SIM_BT_DATA && v->u.data.ino == ino;
            report_lost(x, &f, same_image);
            break;
        }
    }
}

/* Content passes (stale data, promises) on top of a structural verdict.
 * The data pass reads only the recovered image (through the inodes the
 * structural passes found), never the promises: on the same image its
 * verdict on the last check stands in for it. It is kept only when the
 * reason was built. */
static SimOutcome content_passes(Ctx *x, GPtrArray *promises, gboolean same_image)
{
    SimChecker *c = x->c;
    if (x->worst < SIM_OUT_STALE_DATA) {
        if (same_image && c->data_valid && x->reason) {
            if (c->data_stale) {
                x->worst = SIM_OUT_STALE_DATA;
                g_string_assign(x->reason, c->data_reason->str);
            }
        } else {
            pass_data(x);
            c->data_valid = x->reason != NULL;
            c->data_stale = x->worst >= SIM_OUT_STALE_DATA;
            if (c->data_valid)
                g_string_assign(c->data_reason, x->reason->str);
        }
    }
    if (x->worst < SIM_OUT_LOST_FSYNC)
        pass_promises(x, promises, same_image);
    return x->worst;
}

SimOutcome sim_check_recovered(SimChecker *c, const SimMedia *m, const SimRecovery *r, GPtrArray *promises,
                               GString *reason)
{
    Ctx x = { c, m, r, SIM_OUT_CONSISTENT, c->struct_reason };
    g_string_truncate(c->struct_reason, 0);
    if (r->refused) {
        g_string_printf(c->struct_reason, "recovery refused: %s", r->why);
        x.worst = SIM_OUT_UNMOUNTABLE;
    } else {
        pass_inodes(&x);
        pass_blocks(&x);
        pass_bitmaps(&x);
        pass_dirs(&x);
    }
    c->struct_worst = x.worst;
    return sim_check_content(c, m, r, promises, reason);
}

/* same_image: the recovered image (recovery, media, structure) is the one
 * the last check saw - the caller knows only the promises changed. */
static SimOutcome check_content(SimChecker *c, const SimMedia *m, const SimRecovery *r, GPtrArray *promises,
                                GString *reason, gboolean same_image)
{
    Ctx x = { c, m, r, c->struct_worst, reason };
    if (!same_image)
        c->data_valid = c->lost_valid = FALSE;
    if (reason)
        g_string_assign(reason, c->struct_reason->str);
    if (x.worst >= SIM_OUT_STALE_DATA)
        return x.worst;
    return content_passes(&x, promises, same_image);
}

SimOutcome sim_check_content(SimChecker *c, const SimMedia *m, const SimRecovery *r, GPtrArray *promises,
                             GString *reason)
{
    return check_content(c, m, r, promises, reason, FALSE);
}

SimOutcome sim_check_promises(SimChecker *c, const SimMedia *m, const SimRecovery *r, GPtrArray *promises,
                              GString *reason)
{
    return check_content(c, m, r, promises, reason, TRUE);
}

int sim_checker_block_role(const SimChecker *c, guint64 block)
{
    if (block >= c->L->nblocks || !bget(c->refs, block))
        return 0;
    guint32 ino = c->owner[block];
    return c->inode_ok[ino] && c->inodes[ino].is_dir ? 2 : 1;
}

SimOutcome sim_check_image(SimChecker *c, const SimMedia *m, GPtrArray *promises, GString *reason)
{
    sim_recover(c->L, c->C, m, &c->rec);
    return sim_check_recovered(c, m, &c->rec, promises, reason);
}

/* ---- what an application reads back --------------------------------------- */

static gboolean read_file(gpointer ud, guint32 dir, guint32 name, SimFileView *f)
{
    Ctx *x = ud;
    SimChecker *c = x->c;
    guint64 where;
    guint32 ino = dir_find(x, dir, name, &where);
    if (!ino || ino >= c->L->ninodes || !c->inode_ok[ino])
        return FALSE;
    const SimInode *in = &c->inodes[ino];
    f->ino = ino;
    f->igen = in->igen;
    f->size = in->size;
    guint32 nb = (guint32)((in->size + SIM_BLOCK_SIZE - 1) / SIM_BLOCK_SIZE);
    for (guint32 l = 0; l < nb; l++) {
        guint32 b = map_block(in, l);
        const SimVer *v = NULL;
        if (b && b < c->L->nblocks) {
            SimToken t = sim_recovery_get(x->r, x->m, b);
            v = sim_token_is_torn(t) ? NULL : sim_content_get(c->C, t);
        }
        g_array_append_val(f->blocks, v);
    }
    return TRUE;
}

int sim_check_app(SimChecker *c, const SimMedia *m, const SimRecovery *r, SimApp *app, GString *reason)
{
    if (r->refused) {
        if (reason)
            g_string_assign(reason, "the file system does not mount");
        return SIM_APP_INCONSISTENT;
    }
    Ctx x = { c, m, r, SIM_OUT_CONSISTENT, NULL };
    return sim_app_judge(app, read_file, &x, reason);
}

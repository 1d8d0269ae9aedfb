/* sim/fs/content.h - what a content token means.
 *
 * Every block version the file system writes gets a token: an index into the
 * run's version table. A data block's version records (inode, generation,
 * file block, write generation) - enough to regenerate its bytes. A metadata
 * block's version keeps a snapshot of the logical content (inode records,
 * directory entries, bitmap bits, a descriptor's tag list, a commit's tid).
 * Token 0 is a block of zeroes. The checker interprets whatever token it
 * finds at a location by the type of that location: a token of another type
 * there is garbage to it.
 */
#pragma once
#include "../blk/media.h"

typedef enum {
    SIM_BT_ZERO, SIM_BT_SB, SIM_BT_BBITMAP, SIM_BT_IBITMAP, SIM_BT_ITABLE, SIM_BT_DIR,
    SIM_BT_DATA, SIM_BT_JSB, SIM_BT_JDESC, SIM_BT_JCOMMIT, SIM_BT_JREVOKE,
    SIM_BT_GARBAGE,            /* SIM_TOKEN_GARBAGE: rebuilt from inconsistent redundancy */
    SIM_BT_N
} SimBlkType;
const char *sim_blk_type_name(SimBlkType t);   /* "inode table", "journal commit", ... */

#define SIM_BLOCK_SIZE        4096u
#define SIM_INODES_PER_BLOCK  16u
#define SIM_INODE_EXTENTS     8u
#define SIM_DIR_SLOTS         32u
#define SIM_BITS_PER_BITMAP   32768u
#define SIM_TAGS_PER_DESC     250u
#define SIM_REVOKES_PER_BLOCK 500u

typedef struct { guint32 lblk, pblk, len; } SimExtent;

typedef struct {
    guint8    used, is_dir;
    guint16   links;
    guint32   igen;            /* incarnation of this inode number */
    guint64   size;
    guint32   next;            /* extents in use */
    SimExtent ext[SIM_INODE_EXTENTS];
} SimInode;

typedef struct { SimInode ino[SIM_INODES_PER_BLOCK]; } SimItableBlock;
typedef struct { guint32 name, ino; } SimDirent;            /* ino 0: free slot */
typedef struct { SimDirent e[SIM_DIR_SLOTS]; } SimDirBlock;
typedef struct { guint8 bits[SIM_BITS_PER_BITMAP / 8]; } SimBitmapBlock;

typedef struct { guint32 home; SimToken intended; } SimJTag;
typedef struct { guint32 ntags; SimJTag tags[]; } SimJDesc;       /* tags[] follow the descriptor in the log */
typedef struct { guint32 n; guint32 blocks[]; } SimJRevoke;

/* A metadata snapshot, cut into chunks shared (refcounted) with the
 * previous snapshot of the same block wherever they are equal: a commit
 * that changes one inode of an inode-table block stores one new inode, not
 * the whole block. */
typedef struct { gint ref; guint32 pad_; guint8 data[]; } SimChunk;   /* data 8-byte aligned */
typedef struct { guint32 size; guint16 nchunks, chunk; SimChunk *c[]; } SimSnap;

/* Bytes of the logical content of a metadata block type. */
gsize        sim_blk_type_size(SimBlkType t);
/* Chunk i's bytes (the last may be short). */
static inline const void *sim_snap_chunk(const SimSnap *s, guint i) { return s->c[i]->data; }
/* Copy the whole content out (size bytes). */
void         sim_snap_read(const SimSnap *s, void *out);

typedef struct {
    guint8  type;              /* SimBlkType */
    guint32 block;             /* home location (metadata, data: physical block) */
    guint32 tid;               /* metadata: transaction that froze it; journal blocks: their tid */
    union {
        struct { guint32 ino, igen, lblk, wgen; } data;
        struct { guint32 start, sequence; } jsb;   /* start 0 = clean */
        struct { guint32 csum, time_ms; } commit;  /* v1 crc over the transaction (a fold of its tokens), commit time */
        gpointer snap;         /* JDESC, JREVOKE: their struct */
        SimSnap *meta;         /* ITABLE, DIR, BBITMAP, IBITMAP */
    } u;
} SimVer;

typedef struct {
    GArray  *vers;             /* SimVer; index = token; [0] = zero block */
} SimContent;

SimContent *sim_content_new(void);
void        sim_content_free(SimContent *c);
extern const SimVer sim_garbage_ver;
static inline const SimVer *sim_content_get(const SimContent *c, SimToken t)
{ return G_UNLIKELY(t == SIM_TOKEN_GARBAGE) ? &sim_garbage_ver : &g_array_index(c->vers, SimVer, t); }
/* Takes ownership of snap (g_free'd with the table). */
SimToken    sim_content_add(SimContent *c, const SimVer *v);
/* A metadata version of `type` at `block` frozen by tid, from `content`
 * (sim_blk_type_size bytes), sharing equal chunks with `prev` (nullable, a
 * snapshot of the same type). *snap_out (nullable) receives its snapshot. */
SimToken    sim_content_add_meta(SimContent *c, SimBlkType type, guint32 block, guint32 tid, gconstpointer content,
                                 const SimSnap *prev, const SimSnap **snap_out);
/* Materialize a metadata token's content into out (sim_blk_type_size bytes). */
void        sim_content_read(const SimContent *c, SimToken t, void *out);
/* The v1 journal checksum, modelled: a fold of the tokens of a
 * transaction's descriptor and copy blocks in log order (revoke blocks are
 * not covered, J8). Equal tokens mean equal contents, so it detects exactly
 * the blocks whose content is not what the transaction wrote. */
static inline guint32 sim_jcsum_fold(guint32 h, SimToken t)
{
    h ^= t + 0x9e3779b9u + (h << 6) + (h >> 2);
    return h * 0x85ebca6bu;
}
static inline gboolean sim_blk_type_is_meta(SimBlkType t)
{ return t == SIM_BT_ITABLE || t == SIM_BT_DIR || t == SIM_BT_BBITMAP || t == SIM_BT_IBITMAP; }

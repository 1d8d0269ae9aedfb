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
    SIM_BT_DATA, SIM_BT_JSB, SIM_BT_JDESC, SIM_BT_JCOMMIT, SIM_BT_JREVOKE, SIM_BT_N
} SimBlkType;
const char *sim_blk_type_name(SimBlkType t);   /* "inode table", "journal commit", ... */

#define SIM_BLOCK_SIZE        4096u
#define SIM_INODES_PER_BLOCK  16u
#define SIM_INODE_EXTENTS     8u
#define SIM_DIR_SLOTS         32u
#define SIM_BITS_PER_BITMAP   32768u
#define SIM_TAGS_PER_DESC     250u

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

typedef struct {
    guint8  type;              /* SimBlkType */
    guint32 block;             /* home location (metadata, data: physical block) */
    guint32 tid;               /* metadata: transaction that froze it; journal blocks: their tid */
    union {
        struct { guint32 ino, igen, lblk, wgen; } data;
        struct { guint32 start, sequence; } jsb;   /* start 0 = clean */
        gpointer snap;         /* ITABLE, DIR, BBITMAP, IBITMAP, JDESC, JREVOKE */
    } u;
} SimVer;

typedef struct {
    GArray  *vers;             /* SimVer; index = token; [0] = zero block */
} SimContent;

SimContent *sim_content_new(void);
void        sim_content_free(SimContent *c);
static inline const SimVer *sim_content_get(const SimContent *c, SimToken t)
{ return &g_array_index(c->vers, SimVer, t); }
/* Takes ownership of snap (g_free'd with the table). */
SimToken    sim_content_add(SimContent *c, const SimVer *v);

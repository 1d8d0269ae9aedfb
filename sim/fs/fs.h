/* sim/fs/fs.h - a jbd2-style journaling file system (ext4-like, data=ordered).
 *
 * Layout (4 KiB blocks): superblock | block bitmaps | inode bitmap | inode
 * table | ... data ... with a contiguous circular journal (its superblock
 * first) at the start or in the middle. Metadata changes join the running
 * transaction; a commit follows SEMANTICS §1.2: ordered data written, log
 * blocks written, both waited for, then the commit block (PREFLUSH+FUA with
 * barrier=1, plain with barrier=0); home locations receive metadata only
 * after its commit completed (checkpoint), and journal space is reused only
 * after the tail moved. fsync is ext4_sync_file (§2.2).
 */
#pragma once
#include "../blk/blk.h"
#include "../util/params.h"
#include "content.h"

typedef enum { SIM_DATA_ORDERED, SIM_DATA_WRITEBACK, SIM_DATA_JOURNAL } SimDataMode;
typedef enum { SIM_JCSUM_NONE, SIM_JCSUM_V1, SIM_JCSUM_V3 } SimJournalCsum;
typedef enum { SIM_JOURNAL_AT_START, SIM_JOURNAL_AT_MIDDLE } SimJournalAt;

typedef struct {
    gboolean barrier;          /* barrier=1: commit with PREFLUSH+FUA, fsync flushes */
    gint     data_mode;        /* SimDataMode */
    double   commit_s;         /* commit interval */
    gint64   size_mb;          /* file-system size */
    gint64   journal_mb;       /* journal size */
    gint     journal_at;       /* SimJournalAt */
    gint64   inodes;           /* inode count (16 per inode-table block) */
    double   dirty_expire_s;   /* data/metadata writeback age */
    double   writeback_s;      /* flusher wake-up interval */
    gint     journal_csum;     /* SimJournalCsum */
    gboolean async_commit;     /* journal_async_commit */
} SimFsCfg;

extern const SimSchema sim_fs_schema;
/* Option combinations ext4 refuses, refused with ext4's reason. */
gboolean sim_fs_cfg_validate(const SimFsCfg *cfg, GError **error);

typedef enum {
    SIM_LOC_SB, SIM_LOC_BBITMAP, SIM_LOC_IBITMAP, SIM_LOC_ITABLE, SIM_LOC_JOURNAL, SIM_LOC_DATA
} SimLocKind;

typedef struct {
    guint64 nblocks;           /* file-system blocks (device blocks 0..nblocks-1) */
    guint32 ngroups;           /* block bitmap blocks */
    guint64 bbitmap;           /* first block bitmap */
    guint64 ibitmap;
    guint64 itable;            /* first inode-table block */
    guint32 itable_blocks;
    guint32 ninodes;
    guint64 jstart;            /* journal superblock; log positions 1..jblocks-1 follow */
    guint32 jblocks;
    guint32 ndirs;             /* workload directories d0.. (inodes 3..3+ndirs-1) */
    guint8  jcsum;             /* journal feature bits: SimJournalCsum in effect */
    gboolean jasync;           /* ASYNC_COMMIT */
} SimFsLayout;

#define SIM_ROOT_INO 2u
#define SIM_FIRST_DIR_INO 3u

SimLocKind sim_fs_loc(const SimFsLayout *l, guint64 block);
static inline guint64 sim_fs_jblock(const SimFsLayout *l, guint32 pos) { return l->jstart + pos; }
static inline guint64 sim_fs_itable_block(const SimFsLayout *l, guint32 ino)
{ return l->itable + ino / SIM_INODES_PER_BLOCK; }

/* What an acknowledged fsync promised about one file (the oracle). */
typedef struct {
    guint32 ino, igen;
    guint32 dir_ino, name;     /* the entry that must lead to it; dir_ino 0: any (renamed since) */
    guint64 size;              /* at least this size */
    GArray *wgen;              /* guint32 per file block: at least this write generation (0: none) */
    SimTime t_ack;             /* when the fsync returned */
} SimPromise;

typedef struct SimFs SimFs;
typedef void (*SimFsDoneFn)(gpointer ctx, int err);
typedef void (*SimFsHook)(gpointer ud);

/* Builds the file system and writes its initial image to `media`
 * (mkfs: no I/O is simulated for it). `dev` is what the fs submits to (the
 * block layer). ndirs directories d0.. are created under the root. */
SimFs *sim_fs_new(SimWorld *w, const SimFsCfg *cfg, SimBlkDev *dev, SimMedia *media, guint ndirs);
void   sim_fs_free(SimFs *fs);
const SimFsLayout *sim_fs_layout(const SimFs *fs);
SimContent        *sim_fs_content(const SimFs *fs);
const char        *sim_fs_name(const SimFs *fs, guint32 name_id);
/* Promises in force now (fsyncs acknowledged, files not since unlinked or
 * renamed), sorted by inode number. */
GPtrArray         *sim_fs_promises(const SimFs *fs);   /* (transfer container) of SimPromise* */
/* Called whenever the set of promises changes (an fsync returned, a file
 * with a promise was unlinked or renamed). */
void   sim_fs_set_oracle_hook(SimFs *fs, SimFsHook fn, gpointer ud);

/* Operations. Return 0 and complete at once (done not called) when no I/O
 * is needed; return 1 when `done` will be called later (from an event).
 * A negative return is an error (-ENOENT, -EEXIST, -ENOSPC): op failed. */
int sim_fs_create(SimFs *fs, const char *path);
int sim_fs_write(SimFs *fs, const char *path, guint64 off, guint64 len);
int sim_fs_append(SimFs *fs, const char *path, guint64 len);
int sim_fs_unlink(SimFs *fs, const char *path);
int sim_fs_rename(SimFs *fs, const char *from, const char *to);
/* Before an operation that changes metadata: 0 if it may go ahead, 1 if it
 * must wait (the running transaction is full, as jbd2's start_this_handle
 * waits) - then done(ctx, 0) is called when it may. */
int sim_fs_wait_room(SimFs *fs, SimFsDoneFn done, gpointer ctx);
/* path "dK/" (trailing slash) fsyncs directory dK: commits its entries. */
int sim_fs_fsync(SimFs *fs, const char *path, gboolean datasync, SimFsDoneFn done, gpointer ctx);
/* The inode a path names now (0 if none) and its generation and size. */
guint32 sim_fs_stat(SimFs *fs, const char *path, guint32 *igen, guint64 *size);
/* The write generation of a page of an inode (0 if none). */
guint32 sim_fs_page_wgen(SimFs *fs, guint32 ino, guint32 lblk);
/* The directory inode and name id a path resolves to; FALSE if malformed. */
gboolean sim_fs_resolve(SimFs *fs, const char *path, guint32 *dir_ino, guint32 *name);
int sim_fs_sync(SimFs *fs, SimFsDoneFn done, gpointer ctx);

typedef struct {
    guint64 commits, checkpoints, tail_updates, journal_wraps;
    guint64 data_blocks_written, meta_blocks_journaled, meta_blocks_checkpointed;
} SimFsStats;
void sim_fs_get_stats(const SimFs *fs, SimFsStats *st);
/* Why the file system stopped the run (NULL if it did not). */
const char *sim_fs_fatal(const SimFs *fs);

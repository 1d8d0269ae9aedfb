/* sim/fs/fs-priv.h - the file system's internal state, shared by fs.c and
 * journal.c. Nothing outside sim/fs includes it. */
#pragma once
#include "fs.h"
#include "../blk/media.h"

typedef struct { void (*fn)(SimFs *fs, gpointer ctx); gpointer ctx; } FsWaiter;

/* A cached metadata block (buffer_head + journal_head). Its content is the
 * current, possibly uncommitted, state; versions are frozen snapshots. */
typedef struct {
    guint32  block;
    guint8   type;            /* SimBlkType */
    gpointer content;         /* SimItableBlock / SimDirBlock / SimBitmapBlock */
    guint32  jtid;            /* running/committing transaction holding it, 0 none */
    guint32  cp_tid;          /* transaction whose checkpoint list holds it, 0 none */
    SimToken committed;       /* latest committed version (what checkpoint writes) */
    const SimSnap *last_snap; /* its latest snapshot, to share chunks with (owned by the content table) */
    SimTime  committed_at;
    gboolean home_inflight;
    gboolean forgotten;       /* freed (jbd2_journal_forget): no longer cached, still owed its checkpoint */
} FsBuf;

typedef struct {
    guint32 wgen;             /* write generation of the page's current content */
    guint32 pblk;             /* 0: not allocated */
    guint8  dirty;
    guint8  inflight;         /* writes of this page in flight */
    SimTime dirtied;
} FsPage;

typedef struct {
    GArray  *pages;           /* FsPage per file block */
    guint32  sync_tid, datasync_tid;
    guint32  ordered_tid;     /* transaction whose ordered list holds it */
    guint32  resv_start, resv_len, resv_next;   /* block reservation (preallocation) */
    guint    inflight;        /* data writes in flight */
    GArray  *idle_waiters;    /* FsWaiter: run when inflight drops to 0 */
    guint32  dir_ino, name;   /* its (only) entry */
    guint32  name_tid;        /* transaction that created or last renamed that entry */
    GHashTable *dir;          /* directories: name id -> (lblk << 8 | slot) + 1 */
} FsInodeMem;

typedef enum { TX_RUNNING, TX_COMMITTING, TX_COMMITTED } TxState;

typedef struct {
    guint32 tid;
    TxState state;
    GArray *bufs;             /* guint32 blocks in this transaction */
    GPtrArray *bufp;          /* FsBuf* logged at the switch (parallel to bufs/toks from then on) */
    GArray *toks;             /* SimToken: each buffer's frozen version (at commit) */
    GArray *ordered;          /* guint32 inodes with newly allocated data */
    GArray *freed;            /* guint32 blocks freed (reusable after commit) */
    GArray *revokes;          /* guint32 journaled blocks freed: revoke records */
    guint32 csum;             /* v1 checksum of its descriptors and copies */
    GArray *commit_waiters;   /* FsWaiter */
    guint32 log_start, log_blocks;
    guint   pending;          /* I/Os of the commit in flight */
    guint   cp_count;         /* buffers still on its checkpoint list */
    gboolean commit_requested, flush_sent, timer_set, record_sent;
} FsTxn;

struct SimFs {
    SimWorld   *w;
    SimFsCfg    cfg;
    SimBlkDev  *dev;
    SimFsLayout L;
    SimContent *content;
    GHashTable *name_ids;     /* char* -> id */
    GPtrArray  *names;        /* id -> char* */
    GHashTable *bufs;         /* block -> FsBuf* (all of them) */
    GPtrArray  *graveyard;    /* forgotten FsBuf*, freed with the fs (transactions may still point at them) */
    FsBuf     **fixed;        /* blocks below nfixed (bitmaps, inode table): direct */
    guint32     nfixed;
    FsInodeMem *im;           /* per inode */
    guint8     *notreuse;     /* bitset: freed in an uncommitted transaction */
    guint32    *resv_owner;   /* per block: inode holding it in reserve, 0 none */
    guint8     *reserved;     /* bitset: resv_owner != 0 (lets the allocator test 8 blocks at once) */
    guint32     alloc_cursor, inode_cursor;
    /* journal */
    GQueue      txns;         /* FsTxn*: checkpoint-pending, committing, running (tid order) */
    FsTxn      *running, *committing;
    guint32     next_tid;
    guint32     head, tail, tail_tid;   /* log positions 1..jblocks-1 */
    guint32     used;         /* log blocks between tail and head */
    gboolean    kick_pending;
    gboolean    jsb_clean;    /* on-disk journal superblock says s_start = 0 */
    gboolean    checkpointing;
    guint       cp_pending;   /* checkpoint writes (+1 while submitting) */
    guint32     cp_tail, cp_seq;   /* tail candidate taken before the checkpoint's flush */
    GArray     *space_waiters;/* FsWaiter: commits waiting for log space */
    /* oracle */
    GPtrArray  *promises;     /* SimPromise*, sorted by ino, at most one per inode (owns them) */
    SimFsHook   oracle_fn;
    gpointer    oracle_ud;
    SimFsStats  st;
    char       *fatal;        /* the run cannot go on (a transaction larger than the journal) */
    guint64     next_io_id;
};

/* fs.c */
FsBuf   *fs_buf(SimFs *fs, guint32 block);
FsBuf   *fs_buf_find(SimFs *fs, guint32 block);          /* NULL if not cached (or forgotten) */
void     jrnl_forget(SimFs *fs, guint32 block);          /* a journaled block is freed: revoke it */
SimToken fs_snapshot(SimFs *fs, FsBuf *b, guint32 tid);
void     fs_submit(SimFs *fs, SimIoOp op, guint32 flags, guint64 block, guint32 n, const SimToken *toks,
                   SimOrigin origin, guint32 tid, SimIoDoneFn done, gpointer priv);
void     fs_waiters_run(SimFs *fs, GArray *waiters);
void     fs_write_inode_pages(SimFs *fs, guint32 ino, SimOrigin origin, guint32 tid, FsTxn *t);
void     fs_release_freed(SimFs *fs, FsTxn *t);

/* journal.c */
void     jrnl_init(SimFs *fs);
void     jrnl_free(SimFs *fs);
void     jrnl_dirty(SimFs *fs, FsBuf *b);              /* join the running transaction */
void     jrnl_add_ordered(SimFs *fs, guint32 ino);
void     jrnl_add_freed(SimFs *fs, guint32 block);
/* Make transaction tid durable-committed; fn runs when its commit record has
 * completed (at once, from an event, if it already has). *flush_sent tells
 * whether that commit's flush was already issued before this call. */
void     jrnl_wait_commit(SimFs *fs, guint32 tid, void (*fn)(SimFs *, gpointer), gpointer ctx,
                          gboolean *needs_barrier);
void     jrnl_writeback(SimFs *fs);                     /* periodic metadata writeback */
gboolean jrnl_congested(SimFs *fs);                     /* the running transaction is full */
guint32  jrnl_running_tid(SimFs *fs);

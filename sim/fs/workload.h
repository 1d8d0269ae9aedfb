/* sim/fs/workload.h - workload configuration and the operation type that
 * built-in generators and Lua workloads produce. */
#pragma once
#include "../util/params.h"

typedef enum { SIM_WL_SMALLFILES, SIM_WL_FSYNC_APPEND, SIM_WL_LUA, SIM_WL_ATOMIC_SAVE, SIM_WL_WAL_APPEND, SIM_WL_ROLLBACK_TXN } SimWorkloadKind;

typedef struct {
    gint     kind;             /* SimWorkloadKind */
    gint64   threads;          /* closed-loop application threads */
    gint64   dirs;             /* directories the workload spreads files over */
    gint64   file_kb;          /* smallfiles: size of each file */
    gboolean fsync;            /* smallfiles, atomic_save: fsync each file after writing it */
    gboolean dir_fsync;        /* atomic_save: fsync the directory after the rename */
    gint64   txn_pages;        /* rollback_txn: pages each transaction updates */
    gint64   live_files;       /* smallfiles: delete the oldest file beyond this many */
    gint64   append_bytes;     /* fsync_append: bytes per append */
    gint64   log_mb;           /* fsync_append: start a new log file after this size */
    double   think_us;         /* CPU time per operation */
} SimWorkloadCfg;

extern const SimSchema sim_workload_schema;

typedef enum {
    SIM_OP_CREATE,     /* create FILE (empty) */
    SIM_OP_WRITE,      /* write LEN bytes at OFF to FILE */
    SIM_OP_APPEND,     /* append LEN bytes to FILE */
    SIM_OP_FSYNC,      /* fsync FILE */
    SIM_OP_FDATASYNC,  /* fdatasync FILE */
    SIM_OP_UNLINK,     /* unlink FILE */
    SIM_OP_RENAME,     /* rename FILE to FILE2 (replacing it) */
    SIM_OP_SYNC,       /* sync(): commit and wait */
    SIM_OP_N
} SimOpKind;
const char *sim_op_name(SimOpKind k);
SimOpKind   sim_op_from_name(const char *name);   /* SIM_OP_N if unknown */

/* File names are "DIR/NAME" or "NAME" (first directory); DIR must be one of
 * the workload's directories d0..d{dirs-1}. */
typedef struct {
    SimOpKind kind;
    char     *file;            /* owned */
    char     *file2;           /* rename target, owned, or NULL */
    gint64    off, len;
} SimOp;
void sim_op_clear(SimOp *op);

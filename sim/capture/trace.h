/* sim/capture/trace.h - powercut's block trace format (README "Trace format").
 *
 * A trace is the initial image of a block device plus the ordered log of what
 * a file system sent to it: writes (sector, length, contents), cache flushes
 * and marks. Little-endian, every field naturally aligned:
 *
 *   header (64 bytes)
 *     char  magic[8]      "PCTRACE1"
 *     u32   version       1
 *     u32   block_bytes   4096: the unit of INIT records and of replay tokens
 *     u64   image_bytes   size of the device
 *     u32   sector_bytes  512: the unit of every `sector` field
 *     u32   flags         SIM_TRACE_F_*
 *     char  fs[16]        "ext4", or "" when unknown (NUL-padded)
 *     char  source[16]    "capture", "dm-log-writes", "blkparse", "msr"
 *   records, each a 32-byte head then `length` payload bytes padded to 8:
 *     u16   type          SIM_TREC_*
 *     u16   flags         WRITE: SIM_TREC_F_FUA | SIM_TREC_F_PREFLUSH
 *     u32   nsectors      INIT/WRITE: sectors covered
 *     u64   sector        INIT/WRITE: first sector
 *     u64   t_ns          time since the start of the recording (0: unknown)
 *     u32   length        payload bytes: nsectors * 512 (contents), 0 (a write
 *                         without contents), or the name of a MARK
 *     u32   reserved      0
 *
 * INIT records come first: the image before the log, only its non-zero 4 KiB
 * blocks (one record per run of them). A complete trace ends with END; a
 * trace without it was cut short and is refused.
 */
#pragma once
#include <glib.h>
#include <stdio.h>

#define SIM_TRACE_MAGIC "PCTRACE1"
#define SIM_TRACE_VERSION 1
#define SIM_TRACE_BLOCK 4096u
#define SIM_TRACE_SECTOR 512u
#define SIM_TRACE_HEADER_BYTES 64u
#define SIM_TRACE_REC_BYTES 32u

enum {
    SIM_TRACE_F_CONTENTS = 1u << 0,   /* writes carry their contents */
    SIM_TRACE_F_FLUSHES  = 1u << 1,   /* flushes were recorded (absent: the source has none) */
    SIM_TRACE_F_TIMES    = 1u << 2,   /* t_ns is meaningful */
};

typedef enum {
    SIM_TREC_INIT = 1, SIM_TREC_WRITE = 2, SIM_TREC_FLUSH = 3, SIM_TREC_MARK = 4, SIM_TREC_END = 0xffff,
} SimTraceRecType;

enum { SIM_TREC_F_FUA = 1u << 0, SIM_TREC_F_PREFLUSH = 1u << 1 };

/* A mark whose name starts with this (`powercut mark --promise NAME`, put
 * after fsync() returned) is a promise the application was given: every
 * write logged before it must survive any later cut (replay's flush rule). */
#define SIM_TRACE_PROMISE "promise:"

typedef struct {
    guint16 type, flags;
    guint32 nsectors;
    guint64 sector;
    guint64 t_ns;
    guint32 length, reserved;
} SimTraceRec;
G_STATIC_ASSERT(sizeof(SimTraceRec) == SIM_TRACE_REC_BYTES);

typedef struct {
    char    magic[8];
    guint32 version, block_bytes;
    guint64 image_bytes;
    guint32 sector_bytes, flags;
    char    fs[16];
    char    source[16];
} SimTraceHeader;
G_STATIC_ASSERT(sizeof(SimTraceHeader) == SIM_TRACE_HEADER_BYTES);

#define SIM_TRACE_ERROR (sim_trace_error_quark())
GQuark sim_trace_error_quark(void);
typedef enum { SIM_TRACE_ERROR_INPUT, SIM_TRACE_ERROR_IO } SimTraceError;

/* ---- writing ------------------------------------------------------------ */
void     sim_trace_header_init(SimTraceHeader *h, guint64 image_bytes, guint32 flags, const char *fs,
                               const char *source);
/* Append one record and its payload (nullable when length is 0). FALSE on a
 * write error (errno set). */
gboolean sim_trace_put(FILE *f, const SimTraceRec *r, const void *payload);
/* The INIT records of the image file at `fd` (its non-zero 4 KiB blocks). */
gboolean sim_trace_put_image(FILE *f, int fd, guint64 image_bytes, GError **error);

/* ---- reading ------------------------------------------------------------ */
typedef struct {
    SimTraceRec  rec;
    const guint8 *data;              /* payload (length bytes), NULL when length is 0 */
} SimTraceOp;

typedef struct {
    SimTraceHeader hdr;
    GMappedFile   *map;              /* NULL when built in memory (importers) */
    GPtrArray     *owned;            /* payloads of an in-memory trace (g_free) */
    GArray        *init;             /* SimTraceOp: INIT records */
    GArray        *ops;              /* SimTraceOp: WRITE, FLUSH, MARK in log order */
    char          *path;
    guint64        discards;         /* imported discards that were dropped */
} SimTrace;

/* Load a trace: powercut's own, or (by content) an importable format:
 * dm-log-writes, blkparse text, MSR-Cambridge CSV (see import.c). Errors are
 * one line "PATH: ..." (SIM_TRACE_ERROR_INPUT: bad input, exit 2). */
SimTrace *sim_trace_load(const char *path, GError **error);
/* Parse a powercut trace held in memory or a mapped file. */
SimTrace *sim_trace_parse(const char *path, const guint8 *buf, gsize len, GError **error);
void      sim_trace_free(SimTrace *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimTrace, sim_trace_free)
const char *sim_trace_rec_name(guint16 type);
/* A text dump, one line per record (`powercut trace-dump`, tests). */
void      sim_trace_dump(const SimTrace *t, GString *out);

/* ---- importers (import.c): each returns an in-memory SimTrace ------------- */
SimTrace *sim_trace_import_dmlog(const char *path, const guint8 *buf, gsize len, GError **error);
SimTrace *sim_trace_import_blkparse(const char *path, const char *text, gsize len, GError **error);
SimTrace *sim_trace_import_msr(const char *path, const char *text, gsize len, GError **error);
/* Helpers for importers: start an empty trace, append a record. */
SimTrace *sim_trace_new_mem(const char *path, guint64 image_bytes, guint32 flags, const char *source);
void      sim_trace_mem_add(SimTrace *t, const SimTraceRec *r, const void *payload);

/* sim/capture/import.c - loading a trace: powercut's own format, or one
 * imported from another tool, recognised by its contents:
 *
 *  - dm-log-writes logs (the device-mapper target's log device, as written by
 *    drivers/md/dm-log-writes.c and read by xfstests' replay-log): a super
 *    sector {le64 magic 0x6a736677736872, le64 version 1, le64 nr_entries,
 *    le32 sectorsize}, then entries from byte `sectorsize` on, each a header
 *    sector {le64 sector, le64 nr_sectors, le64 flags, le64 data_len}
 *    (sector and nr_sectors in units of sectorsize; flags 1 FLUSH, 2 FUA,
 *    4 DISCARD, 8 MARK, 16 METADATA) followed by nr_sectors * sectorsize
 *    bytes of data (none for a discard; a mark's name sits in the header
 *    sector after the 32 bytes). The target logs writes in the order they
 *    were flushed, each flush after the writes it covered. Contents: yes.
 *    Discards are dropped (counted in the output). The device size is the
 *    end of the highest write; the initial image is zeroes, so a log that
 *    starts with mkfs (as xfstests records it) can be judged by e2fsck: the
 *    file system is ext4 when the last write of the superblock says so.
 *  - blkparse text output (default format): "MAJ,MIN CPU SEQ TIME PID ACTION
 *    RWBS [SECTOR + N] [PROCESS]". Completion events (C) are used when the
 *    output has any, else issues (D), else queue events (Q): a leading F in
 *    RWBS is a PREFLUSH, an F after the W is FUA, "FN" (or F with no
 *    sectors) a pure flush. No contents: the replay uses tokens only.
 *  - MSR-Cambridge block traces (SNIA IOTTA, CSV): "Timestamp,Hostname,
 *    DiskNumber,Type,Offset,Size,ResponseTime", Timestamp in 100 ns ticks,
 *    Offset and Size in bytes. No contents and no flushes.
 */
#include "trace.h"
#include <stdlib.h>
#include <string.h>

#define DMLOG_MAGIC 0x6a736677736872ull
enum { DMLOG_FLUSH = 1, DMLOG_FUA = 2, DMLOG_DISCARD = 4, DMLOG_MARK = 8 };

static guint64 le64(const guint8 *p)
{
    guint64 v;
    memcpy(&v, p, 8);
    return GUINT64_FROM_LE(v);
}

static guint64 round_image(guint64 end_sector)
{
    guint64 bytes = end_sector * SIM_TRACE_SECTOR;
    bytes = (bytes + SIM_TRACE_BLOCK - 1) / SIM_TRACE_BLOCK * SIM_TRACE_BLOCK;
    return MAX(bytes, SIM_TRACE_BLOCK);
}

SimTrace *sim_trace_import_dmlog(const char *path, const guint8 *buf, gsize len, GError **error)
{
    if (len < 28 || le64(buf) != DMLOG_MAGIC) {
        g_set_error(error, SIM_TRACE_ERROR, SIM_TRACE_ERROR_INPUT, "%s: not a dm-log-writes log", path);
        return NULL;
    }
    guint64 version = le64(buf + 8), nr = le64(buf + 16);
    guint32 ss;
    memcpy(&ss, buf + 24, 4);
    ss = GUINT32_FROM_LE(ss);
    if (version != 1 || ss < 512 || ss > 65536 || (ss & (ss - 1))) {
        g_set_error(error, SIM_TRACE_ERROR, SIM_TRACE_ERROR_INPUT,
                    "%s: dm-log-writes version %" G_GUINT64_FORMAT " with sector size %u is not supported "
                    "(version 1, a power of two from 512)", path, version, ss);
        return NULL;
    }
    guint64 mul = ss / SIM_TRACE_SECTOR;
    SimTrace *t = sim_trace_new_mem(path, SIM_TRACE_BLOCK,
                                    SIM_TRACE_F_CONTENTS | SIM_TRACE_F_FLUSHES, "dm-log-writes");
    gsize off = ss;
    guint64 end = 0, discards = 0;
    const guint8 *sb_data = NULL;     /* the last write covering bytes 1024..2047 (ext4 superblock) */
    gsize sb_off = 0;
    for (guint64 i = 0; i < nr; i++) {
        if (len - off < ss || off > len) {
            g_set_error(error, SIM_TRACE_ERROR, SIM_TRACE_ERROR_INPUT,
                        "%s: entry %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT ": truncated", path, i + 1, nr);
            sim_trace_free(t);
            return NULL;
        }
        const guint8 *h = buf + off;
        guint64 sector = le64(h), nsect = le64(h + 8), flags = le64(h + 16), dlen = le64(h + 24);
        off += ss;
        if (flags & DMLOG_MARK) {
            SimTraceRec r = { .type = SIM_TREC_MARK, .length = (guint32)MIN(dlen, MIN(ss - 32, 255)) };
            sim_trace_mem_add(t, &r, h + 32);
            continue;
        }
        if (flags & DMLOG_DISCARD) {
            discards++;
            continue;
        }
        if (nsect > (len - off) / ss || nsect * mul > G_MAXUINT32 / SIM_TRACE_SECTOR) {
            g_set_error(error, SIM_TRACE_ERROR, SIM_TRACE_ERROR_INPUT,
                        "%s: entry %" G_GUINT64_FORMAT ": %" G_GUINT64_FORMAT " sectors of data past the end",
                        path, i + 1, nsect);
            sim_trace_free(t);
            return NULL;
        }
        if (nsect == 0) {
            if (flags & DMLOG_FLUSH) {
                SimTraceRec r = { .type = SIM_TREC_FLUSH };
                sim_trace_mem_add(t, &r, NULL);
            }
            continue;
        }
        SimTraceRec r = { .type = SIM_TREC_WRITE, .sector = sector * mul, .nsectors = (guint32)(nsect * mul),
                          .length = (guint32)(nsect * ss) };
        if (flags & DMLOG_FLUSH)
            r.flags |= SIM_TREC_F_PREFLUSH;
        if (flags & DMLOG_FUA)
            r.flags |= SIM_TREC_F_FUA;
        sim_trace_mem_add(t, &r, buf + off);
        if (r.sector <= 2 && r.sector + r.nsectors >= 4) {
            sb_data = buf + off;
            sb_off = (2 - r.sector) * SIM_TRACE_SECTOR;
        }
        end = MAX(end, r.sector + r.nsectors);
        off += nsect * ss;
    }
    t->hdr.image_bytes = round_image(end);
    /* ext4's magic 0xEF53 at byte 56 of the superblock (byte 1024) */
    if (sb_data && sb_data[sb_off + 56] == 0x53 && sb_data[sb_off + 57] == 0xef)
        g_strlcpy(t->hdr.fs, "ext4", sizeof t->hdr.fs);
    t->discards = discards;
    return t;
}

/* ---- text formats ---------------------------------------------------------- */
typedef struct { guint64 t_ns, sector, n; char rwbs[12]; char action; } BlkLine;

static gboolean parse_blkparse_line(const char *l, BlkLine *b)
{
    unsigned maj, min, cpu;
    unsigned long long seq, pid;
    double ts;
    char action[8], rwbs[16];
    int used = 0;
    if (sscanf(l, " %u,%u %u %llu %lf %llu %7s %15s %n", &maj, &min, &cpu, &seq, &ts, &pid, action, rwbs, &used) < 8)
        return FALSE;
    if (strlen(action) != 1 || !strchr("QGIDCMFASXBUPRT", action[0]))
        return FALSE;
    memset(b, 0, sizeof *b);
    b->action = action[0];
    g_strlcpy(b->rwbs, rwbs, sizeof b->rwbs);
    b->t_ns = ts > 0 ? (guint64)(ts * 1e9 + 0.5) : 0;
    unsigned long long sec = 0, n = 0;
    if (used && sscanf(l + used, "%llu + %llu", &sec, &n) == 2) {
        b->sector = sec;
        b->n = n;
    }
    return TRUE;
}

SimTrace *sim_trace_import_blkparse(const char *path, const char *text, gsize len, GError **error)
{
    g_autofree char *copy = g_strndup(text, len);
    g_auto(GStrv) lines = g_strsplit(copy, "\n", -1);
    gboolean has[256] = { FALSE };
    BlkLine b;
    for (guint i = 0; lines[i]; i++)
        if (parse_blkparse_line(lines[i], &b))
            has[(guchar)b.action] = TRUE;
    char use = has['C'] ? 'C' : has['D'] ? 'D' : has['Q'] ? 'Q' : 0;
    if (!use) {
        g_set_error(error, SIM_TRACE_ERROR, SIM_TRACE_ERROR_INPUT,
                    "%s: no blkparse Q, D or C events (expected blkparse's default text output)", path);
        return NULL;
    }
    SimTrace *t = sim_trace_new_mem(path, SIM_TRACE_BLOCK, SIM_TRACE_F_FLUSHES | SIM_TRACE_F_TIMES, "blkparse");
    guint64 end = 0, t0 = G_MAXUINT64;
    for (guint i = 0; lines[i]; i++)
        if (parse_blkparse_line(lines[i], &b) && b.action == use)
            t0 = MIN(t0, b.t_ns);
    for (guint i = 0; lines[i]; i++) {
        if (!parse_blkparse_line(lines[i], &b) || b.action != use)
            continue;
        const char *r = b.rwbs;
        gboolean preflush = FALSE, fua = FALSE;
        if (r[0] == 'F' && r[1]) {          /* leading F: PREFLUSH; the op follows */
            preflush = TRUE;
            r++;
        }
        char op = r[0];
        if (op && r[1] == 'F')
            fua = TRUE;
        guint64 tn = b.t_ns - t0;
        if (op == 'W' && b.n > 0) {
            SimTraceRec w = { .type = SIM_TREC_WRITE, .sector = b.sector, .nsectors = (guint32)b.n, .t_ns = tn };
            if (preflush)
                w.flags |= SIM_TREC_F_PREFLUSH;
            if (fua)
                w.flags |= SIM_TREC_F_FUA;
            sim_trace_mem_add(t, &w, NULL);
            end = MAX(end, b.sector + b.n);
        } else if ((preflush || op == 'F') && b.n == 0 && (op == 'N' || op == 'W' || op == 'F')) {
            SimTraceRec f = { .type = SIM_TREC_FLUSH, .t_ns = tn };
            sim_trace_mem_add(t, &f, NULL);
        }
    }
    t->hdr.image_bytes = round_image(end);
    return t;
}

SimTrace *sim_trace_import_msr(const char *path, const char *text, gsize len, GError **error)
{
    g_autofree char *copy = g_strndup(text, len);
    g_auto(GStrv) lines = g_strsplit(copy, "\n", -1);
    SimTrace *t = sim_trace_new_mem(path, SIM_TRACE_BLOCK, SIM_TRACE_F_TIMES, "msr");
    guint64 end = 0, t0 = G_MAXUINT64;
    for (int pass = 0; pass < 2; pass++) {
        for (guint i = 0; lines[i]; i++) {
            g_strchomp(lines[i]);
            if (!*lines[i])
                continue;
            g_auto(GStrv) f = g_strsplit(lines[i], ",", -1);
            if (g_strv_length(f) != 7 || (g_ascii_strcasecmp(f[3], "Read") && g_ascii_strcasecmp(f[3], "Write"))) {
                if (i == 0 && pass == 0 && g_str_has_prefix(lines[i], "Timestamp"))
                    continue;                   /* a header line */
                if (pass == 0) {
                    g_set_error(error, SIM_TRACE_ERROR, SIM_TRACE_ERROR_INPUT,
                                "%s:%u: not an MSR-Cambridge CSV line (Timestamp,Hostname,DiskNumber,Type,"
                                "Offset,Size,ResponseTime)", path, i + 1);
                    sim_trace_free(t);
                    return NULL;
                }
                continue;
            }
            char *e1 = NULL, *e2 = NULL, *e3 = NULL;
            guint64 ts = g_ascii_strtoull(f[0], &e1, 10), off = g_ascii_strtoull(f[4], &e2, 10),
                    size = g_ascii_strtoull(f[5], &e3, 10);
            if (*e1 || *e2 || *e3) {
                g_set_error(error, SIM_TRACE_ERROR, SIM_TRACE_ERROR_INPUT, "%s:%u: bad number", path, i + 1);
                sim_trace_free(t);
                return NULL;
            }
            if (pass == 0) {
                t0 = MIN(t0, ts);
                continue;
            }
            if (g_ascii_strcasecmp(f[3], "Write") || size == 0)
                continue;
            guint64 s0 = off / SIM_TRACE_SECTOR, s1 = (off + size + SIM_TRACE_SECTOR - 1) / SIM_TRACE_SECTOR;
            SimTraceRec w = { .type = SIM_TREC_WRITE, .sector = s0, .nsectors = (guint32)MIN(s1 - s0, G_MAXUINT32 / 1024),
                              .t_ns = (ts - t0) * 100 };
            sim_trace_mem_add(t, &w, NULL);
            end = MAX(end, s0 + w.nsectors);
        }
    }
    t->hdr.image_bytes = round_image(end);
    return t;
}

/* What a text file looks like: the first non-empty line decides. */
static int text_kind(const char *buf, gsize len)
{
    gsize n = MIN(len, 4096);
    for (gsize i = 0; i < n; i++)
        if (buf[i] == 0)
            return 0;
    const char *p = buf;
    while (p < buf + n && (*p == '\n' || *p == '\r'))
        p++;
    const char *e = memchr(p, '\n', (gsize)(buf + n - p));
    g_autofree char *line = g_strndup(p, e ? (gsize)(e - p) : (gsize)(buf + n - p));
    BlkLine b;
    if (parse_blkparse_line(line, &b))
        return 1;
    if (g_str_has_prefix(line, "Timestamp,Hostname,"))
        return 2;
    g_auto(GStrv) f = g_strsplit(line, ",", -1);
    if (g_strv_length(f) == 7 && (!g_ascii_strcasecmp(f[3], "Read") || !g_ascii_strcasecmp(f[3], "Write")))
        return 2;
    return 0;
}

SimTrace *sim_trace_load(const char *path, GError **error)
{
    GError *e = NULL;
    GMappedFile *map = g_mapped_file_new(path, FALSE, &e);
    if (!map) {
        g_set_error(error, SIM_TRACE_ERROR, SIM_TRACE_ERROR_IO, "%s: cannot read (%s)", path, e->message);
        g_error_free(e);
        return NULL;
    }
    const guint8 *buf = (const guint8 *)g_mapped_file_get_contents(map);
    gsize len = g_mapped_file_get_length(map);
    SimTrace *t = NULL;
    int kind;
    if (len >= 8 && !memcmp(buf, SIM_TRACE_MAGIC, 8))
        t = sim_trace_parse(path, buf, len, error);
    else if (len >= 8 && le64(buf) == DMLOG_MAGIC)
        t = sim_trace_import_dmlog(path, buf, len, error);
    else if ((kind = text_kind((const char *)buf, len)) == 1)
        t = sim_trace_import_blkparse(path, (const char *)buf, len, error);
    else if (kind == 2)
        t = sim_trace_import_msr(path, (const char *)buf, len, error);
    else
        g_set_error(error, SIM_TRACE_ERROR, SIM_TRACE_ERROR_INPUT,
                    "%s: not a trace powercut knows (powercut capture's PCTRACE1, a dm-log-writes log, "
                    "blkparse text output, or MSR-Cambridge CSV)", path);
    if (t && !t->owned)
        t->map = map;                  /* its records point into the mapping */
    else
        g_mapped_file_unref(map);
    return t;
}

/* sim/capture/trace.c - powercut's trace format: write, read, dump. */
#include "trace.h"
#include <errno.h>
#include <string.h>
#include <unistd.h>

G_DEFINE_QUARK(sim-trace-error-quark, sim_trace_error)

static const char zeros[8];

void sim_trace_header_init(SimTraceHeader *h, guint64 image_bytes, guint32 flags, const char *fs, const char *source)
{
    memset(h, 0, sizeof *h);
    memcpy(h->magic, SIM_TRACE_MAGIC, 8);
    h->version = SIM_TRACE_VERSION;
    h->block_bytes = SIM_TRACE_BLOCK;
    h->image_bytes = image_bytes;
    h->sector_bytes = SIM_TRACE_SECTOR;
    h->flags = flags;
    g_strlcpy(h->fs, fs ? fs : "", sizeof h->fs);
    g_strlcpy(h->source, source ? source : "", sizeof h->source);
}

gboolean sim_trace_put(FILE *f, const SimTraceRec *r, const void *payload)
{
    if (fwrite(r, sizeof *r, 1, f) != 1)
        return FALSE;
    if (r->length) {
        if (fwrite(payload, 1, r->length, f) != r->length)
            return FALSE;
        guint pad = (8 - r->length % 8) % 8;
        if (pad && fwrite(zeros, 1, pad, f) != pad)
            return FALSE;
    }
    return TRUE;
}

static gboolean all_zero(const guint8 *b, gsize n)
{
    for (gsize i = 0; i < n; i++)
        if (b[i])
            return FALSE;
    return TRUE;
}

gboolean sim_trace_put_image(FILE *f, int fd, guint64 image_bytes, GError **error)
{
    enum { RUN = 256 };                         /* blocks per INIT record at most */
    g_autofree guint8 *buf = g_malloc(RUN * SIM_TRACE_BLOCK);
    guint64 nblocks = image_bytes / SIM_TRACE_BLOCK;
    guint run = 0;
    guint64 run_start = 0;
    for (guint64 b = 0; b <= nblocks; b++) {
        gboolean nz = FALSE;
        if (b < nblocks) {
            guint8 *dst = buf + (gsize)run * SIM_TRACE_BLOCK;
            ssize_t n = pread(fd, dst, SIM_TRACE_BLOCK, (off_t)(b * SIM_TRACE_BLOCK));
            if (n != SIM_TRACE_BLOCK) {
                g_set_error(error, SIM_TRACE_ERROR, SIM_TRACE_ERROR_IO, "cannot read the image (%s)",
                            n < 0 ? g_strerror(errno) : "short read");
                return FALSE;
            }
            nz = !all_zero(dst, SIM_TRACE_BLOCK);
        }
        if (nz) {
            if (run == 0)
                run_start = b;
            run++;
        }
        if (run && (!nz || run == RUN)) {
            SimTraceRec r = { .type = SIM_TREC_INIT, .nsectors = run * (SIM_TRACE_BLOCK / SIM_TRACE_SECTOR),
                              .sector = run_start * (SIM_TRACE_BLOCK / SIM_TRACE_SECTOR),
                              .length = run * SIM_TRACE_BLOCK };
            if (!sim_trace_put(f, &r, buf)) {
                g_set_error(error, SIM_TRACE_ERROR, SIM_TRACE_ERROR_IO, "cannot write the trace (%s)",
                            g_strerror(errno));
                return FALSE;
            }
            run = 0;
        }
    }
    return TRUE;
}

const char *sim_trace_rec_name(guint16 type)
{
    switch (type) {
    case SIM_TREC_INIT: return "init";
    case SIM_TREC_WRITE: return "write";
    case SIM_TREC_FLUSH: return "flush";
    case SIM_TREC_MARK: return "mark";
    case SIM_TREC_END: return "end";
    }
    return "?";
}

void sim_trace_free(SimTrace *t)
{
    if (!t)
        return;
    if (t->map)
        g_mapped_file_unref(t->map);
    if (t->owned)
        g_ptr_array_free(t->owned, TRUE);
    g_array_free(t->init, TRUE);
    g_array_free(t->ops, TRUE);
    g_free(t->path);
    g_free(t);
}

static SimTrace *trace_alloc(const char *path)
{
    SimTrace *t = g_new0(SimTrace, 1);
    t->path = g_strdup(path);
    t->init = g_array_new(FALSE, FALSE, sizeof(SimTraceOp));
    t->ops = g_array_new(FALSE, FALSE, sizeof(SimTraceOp));
    return t;
}

#define BAD(...) do { g_set_error(error, SIM_TRACE_ERROR, SIM_TRACE_ERROR_INPUT, __VA_ARGS__); \
                      sim_trace_free(t); return NULL; } while (0)

SimTrace *sim_trace_parse(const char *path, const guint8 *buf, gsize len, GError **error)
{
    SimTrace *t = trace_alloc(path);
    if (len < SIM_TRACE_HEADER_BYTES || memcmp(buf, SIM_TRACE_MAGIC, 8) != 0)
        BAD("%s: not a powercut trace (no PCTRACE1 header)", path);
    memcpy(&t->hdr, buf, sizeof t->hdr);
    if (t->hdr.version != SIM_TRACE_VERSION)
        BAD("%s: trace version %u is not supported (1)", path, t->hdr.version);
    if (t->hdr.block_bytes != SIM_TRACE_BLOCK || t->hdr.sector_bytes != SIM_TRACE_SECTOR)
        BAD("%s: block/sector size %u/%u is not supported (4096/512)", path, t->hdr.block_bytes,
            t->hdr.sector_bytes);
    if (t->hdr.image_bytes == 0 || t->hdr.image_bytes % SIM_TRACE_BLOCK)
        BAD("%s: image size %" G_GUINT64_FORMAT " is not a positive multiple of 4096", path, t->hdr.image_bytes);
    t->hdr.fs[sizeof t->hdr.fs - 1] = 0;
    t->hdr.source[sizeof t->hdr.source - 1] = 0;
    guint64 nsect = t->hdr.image_bytes / SIM_TRACE_SECTOR;
    gsize off = SIM_TRACE_HEADER_BYTES;
    gboolean ended = FALSE, logging = FALSE;
    guint64 n = 0;
    while (off < len && !ended) {
        n++;
        if (len - off < SIM_TRACE_REC_BYTES)
            BAD("%s: record %" G_GUINT64_FORMAT " at byte %" G_GSIZE_FORMAT ": truncated", path, n, off);
        SimTraceOp op = { 0 };
        memcpy(&op.rec, buf + off, sizeof op.rec);
        off += SIM_TRACE_REC_BYTES;
        const SimTraceRec *r = &op.rec;
        gsize padded = r->length + (8 - r->length % 8) % 8;
        if (padded > len - off)
            BAD("%s: record %" G_GUINT64_FORMAT " at byte %" G_GSIZE_FORMAT ": payload truncated", path, n, off);
        op.data = r->length ? buf + off : NULL;
        off += padded;
        switch (r->type) {
        case SIM_TREC_INIT:
        case SIM_TREC_WRITE:
            if (r->nsectors == 0 || r->sector >= nsect || r->nsectors > nsect - r->sector)
                BAD("%s: record %" G_GUINT64_FORMAT ": %s of sectors [%" G_GUINT64_FORMAT ", +%u) outside the "
                    "%" G_GUINT64_FORMAT "-sector image", path, n, sim_trace_rec_name(r->type), r->sector,
                    r->nsectors, nsect);
            if (r->length && r->length != (guint64)r->nsectors * SIM_TRACE_SECTOR)
                BAD("%s: record %" G_GUINT64_FORMAT ": %u payload bytes for %u sectors", path, n, r->length,
                    r->nsectors);
            if (r->type == SIM_TREC_INIT) {
                if (logging)
                    BAD("%s: record %" G_GUINT64_FORMAT ": init after the log began", path, n);
                if (!r->length || r->sector % 8 || r->nsectors % 8)
                    BAD("%s: record %" G_GUINT64_FORMAT ": init must be whole 4 KiB blocks with contents", path, n);
                g_array_append_val(t->init, op);
            } else {
                if (!r->length && (t->hdr.flags & SIM_TRACE_F_CONTENTS))
                    BAD("%s: record %" G_GUINT64_FORMAT ": write without contents in a trace with contents", path, n);
                logging = TRUE;
                g_array_append_val(t->ops, op);
            }
            break;
        case SIM_TREC_FLUSH:
        case SIM_TREC_MARK:
            logging = TRUE;
            g_array_append_val(t->ops, op);
            break;
        case SIM_TREC_END:
            ended = TRUE;
            break;
        default:
            BAD("%s: record %" G_GUINT64_FORMAT ": unknown type %u", path, n, r->type);
        }
    }
    if (!ended)
        BAD("%s: no end record: the trace was cut short", path);
    return t;
}

SimTrace *sim_trace_new_mem(const char *path, guint64 image_bytes, guint32 flags, const char *source)
{
    SimTrace *t = trace_alloc(path);
    t->owned = g_ptr_array_new_with_free_func(g_free);
    sim_trace_header_init(&t->hdr, image_bytes, flags, "", source);
    return t;
}

void sim_trace_mem_add(SimTrace *t, const SimTraceRec *r, const void *payload)
{
    SimTraceOp op = { .rec = *r };
    if (r->length) {
        guint8 *p = g_memdup2(payload, r->length);
        g_ptr_array_add(t->owned, p);
        op.data = p;
    }
    g_array_append_val(r->type == SIM_TREC_INIT ? t->init : t->ops, op);
}

void sim_trace_dump(const SimTrace *t, GString *out)
{
    g_string_append_printf(out, "trace fs=%s source=%s image_bytes=%" G_GUINT64_FORMAT " contents=%s flushes=%s "
                           "init_records=%u log_records=%u discards_dropped=%" G_GUINT64_FORMAT "\n",
                           t->hdr.fs[0] ? t->hdr.fs : "-", t->hdr.source,
                           t->hdr.image_bytes, t->hdr.flags & SIM_TRACE_F_CONTENTS ? "yes" : "no",
                           t->hdr.flags & SIM_TRACE_F_FLUSHES ? "yes" : "no", t->init->len, t->ops->len,
                           t->discards);
    for (guint i = 0; i < t->ops->len; i++) {
        const SimTraceOp *op = &g_array_index(t->ops, SimTraceOp, i);
        const SimTraceRec *r = &op->rec;
        g_string_append_printf(out, "%u %.6f %s", i, r->t_ns / 1e9, sim_trace_rec_name(r->type));
        if (r->type == SIM_TREC_WRITE)
            g_string_append_printf(out, " %" G_GUINT64_FORMAT " %u%s%s", r->sector, r->nsectors,
                                   r->flags & SIM_TREC_F_PREFLUSH ? " preflush" : "",
                                   r->flags & SIM_TREC_F_FUA ? " fua" : "");
        else if (r->type == SIM_TREC_MARK)
            g_string_append_printf(out, " %.*s", (int)r->length, (const char *)op->data);
        g_string_append_c(out, '\n');
    }
}

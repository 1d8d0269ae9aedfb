/* sim/capture/replay.c - `powercut replay`: a captured (or imported) request
 * stream through the simulated block layer and device, power cut at sampled
 * instants, each crash image judged by the real checker (README "Ground
 * truth from the real kernel", "Replay").
 *
 * 1. Simulate once per case: the trace's requests go through blkq (flush
 *    sequencing) onto the device the case configures (sim/dev factory), in
 *    trace order, one at a time (queue depth 1: each request is issued once
 *    the one before it completed, and not before its recorded time). Each
 *    4 KiB block a write touches gets a token; the media listener records
 *    every durable change (time, block, token).
 * 2. Cuts: `trials` instants uniform in [0, end of the stream), from the
 *    world's "cuts" stream (seeded: same seed, same cuts).
 * 3. Judge each cut (J worker threads, each owning one working image; the
 *    cuts are sorted by time and dealt round-robin, so every worker moves
 *    forward only): bring the image to the cut by writing just the blocks
 *    whose durable token changed since its previous cut (a block being
 *    written at the cut is torn: its first sectors new, in proportion to
 *    the elapsed transfer time - the HDD writes a prefix), then
 *      e2fsck -E journal_only -z UNDO   (the journal replay a mount does)
 *      e2fsck -fn                       (the verdict)
 *      e2undo UNDO                      (back to the crash image)
 *    Outcome: recovery refused or e2fsck could not open the image ->
 *    unmountable; e2fsck -fn reports a problem other than free-count
 *    differences (E7) -> corrupt; else an acknowledged flush lost (a block
 *    written before a completed flush does not hold that write or a later
 *    one) -> lost_fsync; else consistent. A trace without contents (some
 *    imports) or of an unknown file system gets only the flush rule.
 * 4. --crash-states exhaustive: the simulation also stops at each boundary
 *    (before a flush or PREFLUSH write is issued, at a promise mark, at the
 *    end of the stream) and takes the pending set of a tracker between the
 *    block layer and the device (sim/crash/states.h); the workers then
 *    bring their image to each boundary the same way and judge every state
 *    of it (sim_crash_states_run): put the state's blocks on, judge, put
 *    the boundary's blocks back.
 * Every cut's verdict depends only on its image, so results are identical
 * for any --jobs.
 */
#include "capture.h"
#include "trace.h"
#include "layout.h"
#include "../cli.h"
#include "../run.h"
#include "../cmd-results.h"
#include "../blk/media.h"
#include "../crash/states.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SECT_PER_BLOCK (SIM_TRACE_BLOCK / SIM_TRACE_SECTOR)
#define MAX_NOTES 5
/* --crash-states exhaustive: each state is a checker run (tens of ms), so
 * fewer than run's (20, 256) */
#define REPLAY_MAX_PENDING 8
#define REPLAY_SAMPLES 32

/* ---- tokens: what each 4 KiB block version holds ------------------------ */
typedef struct {
    const guint8 *data;      /* the sectors [first, first + n) of this block, or NULL (no contents) */
    guint8        first, n;
    SimToken      base;      /* partial block: the version the other sectors come from */
    guint32       write;     /* index of the write (in trace order) */
} TokInfo;

typedef struct { SimTime t; guint64 block; SimToken tok; } MediaEv;
/* From t on, an acknowledgement promises writes [0, nwrites) durable (a
 * flush, or the PREFLUSH of a write), and write `fua` (a completed FUA
 * write; -1 for none). */
typedef struct { SimTime t; guint32 nwrites; gint64 fua; } FlushDone;

typedef struct {
    const SimTrace *tr;
    GHashTable *init;        /* block -> const guint8 * (non-zero initial blocks) */
    GArray     *toks;        /* TokInfo, index = token (0 unused: the initial image) */
    GArray     *wtok0;       /* per write: its first token (guint32); tokens of a write are consecutive */
    GArray     *wblock0;     /* per write: its first block (guint64) */
    gboolean    contents, fsck;
    const char *fs;          /* "ext4", "xfs", "btrfs": the file system fsck judges */
    const char *checker;     /* its checker's name for the JSON, or "flush-rule" */
    SimLayout  *layout;      /* ext4: the role of each block (layout.c), for lost_fsync reasons; nullable */
    GHashTable *versions;    /* block -> GArray of its tokens, in trace order */
} Tokens;

static gboolean is_fs(const Tokens *k, const char *fs) { return k->fsck && !strcmp(k->fs, fs); }

static void tokens_build(Tokens *k, const SimTrace *tr)
{
    k->tr = tr;
    k->layout = NULL;
    k->contents = (tr->hdr.flags & SIM_TRACE_F_CONTENTS) != 0;
    k->fs = tr->hdr.fs;
    k->checker = !strcmp(k->fs, "ext4") ? "e2fsck" : !strcmp(k->fs, "xfs") ? "xfs_repair"
               : !strcmp(k->fs, "btrfs") ? "btrfs check" : NULL;
    k->fsck = k->contents && k->checker;
    if (!k->fsck)
        k->checker = "flush-rule";
    k->init = g_hash_table_new(g_direct_hash, g_direct_equal);
    for (guint i = 0; i < tr->init->len; i++) {
        const SimTraceOp *op = &g_array_index(tr->init, SimTraceOp, i);
        for (guint32 b = 0; b < op->rec.nsectors / SECT_PER_BLOCK; b++)
            g_hash_table_insert(k->init, GSIZE_TO_POINTER((gsize)(op->rec.sector / SECT_PER_BLOCK + b)),
                                (gpointer)(op->data + (gsize)b * SIM_TRACE_BLOCK));
    }
    k->toks = g_array_new(FALSE, TRUE, sizeof(TokInfo));
    g_array_set_size(k->toks, 1);
    k->wtok0 = g_array_new(FALSE, FALSE, sizeof(guint32));
    k->wblock0 = g_array_new(FALSE, FALSE, sizeof(guint64));
    k->versions = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, (GDestroyNotify)g_array_unref);
    GHashTable *last = g_hash_table_new(g_direct_hash, g_direct_equal);   /* block -> latest token */
    guint32 nw = 0;
    for (guint i = 0; i < tr->ops->len; i++) {
        const SimTraceOp *op = &g_array_index(tr->ops, SimTraceOp, i);
        if (op->rec.type != SIM_TREC_WRITE)
            continue;
        guint64 s0 = op->rec.sector, s1 = s0 + op->rec.nsectors;
        guint64 b0 = s0 / SECT_PER_BLOCK, b1 = (s1 - 1) / SECT_PER_BLOCK;
        guint32 t0 = k->toks->len;
        g_array_append_val(k->wtok0, t0);
        g_array_append_val(k->wblock0, b0);
        for (guint64 b = b0; b <= b1; b++) {
            guint64 lo = MAX(s0, b * SECT_PER_BLOCK), hi = MIN(s1, (b + 1) * SECT_PER_BLOCK);
            TokInfo ti = { .first = (guint8)(lo - b * SECT_PER_BLOCK), .n = (guint8)(hi - lo), .write = nw };
            ti.data = op->data ? op->data + (lo - s0) * SIM_TRACE_SECTOR : NULL;
            ti.base = GPOINTER_TO_UINT(g_hash_table_lookup(last, GSIZE_TO_POINTER((gsize)b)));
            g_array_append_val(k->toks, ti);
            SimToken tok = k->toks->len - 1;
            g_hash_table_insert(last, GSIZE_TO_POINTER((gsize)b), GUINT_TO_POINTER(tok));
            GArray *v = g_hash_table_lookup(k->versions, GSIZE_TO_POINTER((gsize)b));
            if (!v) {
                v = g_array_new(FALSE, FALSE, sizeof(SimToken));
                g_hash_table_insert(k->versions, GSIZE_TO_POINTER((gsize)b), v);
            }
            g_array_append_val(v, tok);
        }
        nw++;
    }
    g_hash_table_destroy(last);
}

static void tokens_clear(Tokens *k)
{
    g_hash_table_destroy(k->init);
    g_hash_table_destroy(k->versions);
    g_array_free(k->toks, TRUE);
    g_array_free(k->wtok0, TRUE);
    g_array_free(k->wblock0, TRUE);
    sim_layout_free(k->layout);
}

/* The 4 KiB contents of `tok` at `block`. */
static void render(const Tokens *k, guint64 block, SimToken tok, guint8 *buf)
{
    if (tok == 0) {
        const guint8 *d = g_hash_table_lookup(k->init, GSIZE_TO_POINTER((gsize)block));
        if (d)
            memcpy(buf, d, SIM_TRACE_BLOCK);
        else
            memset(buf, 0, SIM_TRACE_BLOCK);
        return;
    }
    if (tok == SIM_TOKEN_GARBAGE) {
        /* a degraded RAID-5 rebuilt the block from parity that did not match
         * its stripe: neither version, bytes nobody wrote (fixed per block) */
        guint64 x = block * G_GUINT64_CONSTANT(0x9e3779b97f4a7c15) + 1;
        for (guint i = 0; i < SIM_TRACE_BLOCK / 8; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            memcpy(buf + (gsize)i * 8, &x, 8);
        }
        return;
    }
    g_assert(tok < k->toks->len);
    const TokInfo *ti = &g_array_index(k->toks, TokInfo, tok);
    if (ti->n < SECT_PER_BLOCK)
        render(k, block, ti->base, buf);
    if (ti->data)
        memcpy(buf + (gsize)ti->first * SIM_TRACE_SECTOR, ti->data, (gsize)ti->n * SIM_TRACE_SECTOR);
    else    /* no contents: a pattern naming the token */
        for (guint i = ti->first * SIM_TRACE_SECTOR / 4; i < (ti->first + ti->n) * SIM_TRACE_SECTOR / 4u; i++)
            ((guint32 *)buf)[i] = tok;
}

/* ---- 1. the simulation ------------------------------------------------------ */
/* --crash-states exhaustive: a boundary is an instant where the host has
 * just handed the device everything a flush (or a promise) is about: the
 * issue of a flush or of a PREFLUSH write, a promise mark, the end of the
 * stream. Its pending set is what the tracker says an honest device may
 * or may not have made durable there (sim/crash/states.h). */
typedef struct {
    SimTime     t;
    guint       mev_n, fdone_n;   /* media changes and acknowledgements before it */
    guint       op;               /* trace op index (the flush, the mark; ops->len: the end) */
    const char *kind;             /* "flush", "promise", "end" */
    GArray     *pend;             /* SimPendWrite, in sampling priority order */
} Bound;

typedef struct {
    SimWorld   *w;
    SimBlkDev  *dev, *q;
    const Tokens *k;
    const SimTrace *tr;
    gboolean    use_times;
    guint       idx;              /* next trace op */
    guint32     wdone;            /* writes completed */
    guint32     wnext;            /* next write's index */
    gboolean    busy, wake;
    GArray     *mev;              /* MediaEv */
    GArray     *fdone;            /* FlushDone */
    GArray     *wlat, *flat;      /* ms */
    SimTime     t_end;
    guint64     writes, flushes, bytes, promises;
    SimBlkDev  *pl;               /* --crash-states exhaustive: the pending tracker's layer, else NULL */
    GArray     *bounds;           /* Bound, in time order (exhaustive only) */
    gboolean    ended;
} Sim;

static SimToken media_get(gconstpointer ud, guint64 block) { return sim_media_get(ud, block); }

/* Record a boundary before trace op `op` is issued (or at the end). Two
 * boundaries with nothing in between (no write issued, no acknowledgement,
 * no media change) are one. */
static void boundary(Sim *s, const char *kind, guint op)
{
    if (!s->pl)
        return;
    if (s->bounds->len) {
        const Bound *l = &g_array_index(s->bounds, Bound, s->bounds->len - 1);
        if (l->mev_n == s->mev->len && l->fdone_n == s->fdone->len && l->op <= op) {
            gboolean wrote = FALSE;
            for (guint i = l->op; i < op && !wrote; i++)
                wrote = g_array_index(s->tr->ops, SimTraceOp, i).rec.type == SIM_TREC_WRITE;
            if (!wrote)
                return;
        }
    }
    GArray *pend = sim_pend_track_pending(sim_pend_layer_track(s->pl), media_get, s->dev->media);
    g_array_sort(pend, sim_pend_cmp);
    Bound b = { sim_now(s->w), s->mev->len, s->fdone->len, op, kind, pend };
    g_array_append_val(s->bounds, b);
}

static void pump(Sim *s);

static void on_media(gpointer ud, guint64 block, SimToken old_tok, SimToken new_tok)
{
    Sim *s = ud;
    MediaEv e = { sim_now(s->w), block, new_tok };
    g_array_append_val(s->mev, e);
}

static void io_done(SimIo *io, gpointer ctx)
{
    Sim *s = ctx;
    double ms = (double)(io->t_complete - io->t_submit) / 1e6;
    if (io->op == SIM_IO_FLUSH) {
        g_array_append_val(s->flat, ms);
        FlushDone f = { sim_now(s->w), (guint32)io->sub_i, -1 };
        g_array_append_val(s->fdone, f);
    } else {
        g_array_append_val(s->wlat, ms);
        s->wdone++;
        if (io->flags & (SIM_IO_FUA | SIM_IO_PREFLUSH)) {
            /* queue depth 1: a PREFLUSH covered every earlier write (recorded at the
             * write's completion, later than it happened: never stricter) */
            FlushDone f = { sim_now(s->w), (io->flags & SIM_IO_PREFLUSH) ? (guint32)io->sub_i : 0,
                            (io->flags & SIM_IO_FUA) ? io->sub_i : -1 };
            g_array_append_val(s->fdone, f);
        }
    }
    sim_io_free(io);
    s->busy = FALSE;
    s->t_end = sim_now(s->w);
    pump(s);
}

static void wake_ev(SimWorld *w, gpointer obj, gint64 arg)
{
    Sim *s = obj;
    s->wake = FALSE;
    pump(s);
}

/* Issue the next request once the one before it completed (queue depth 1),
 * and not before its recorded time. */
static void pump(Sim *s)
{
    while (!s->busy && s->idx < s->tr->ops->len) {
        const SimTraceOp *op = &g_array_index(s->tr->ops, SimTraceOp, s->idx);
        if (op->rec.type == SIM_TREC_MARK) {
            gboolean promise = op->rec.length >= strlen(SIM_TRACE_PROMISE) &&
                               !memcmp(op->data, SIM_TRACE_PROMISE, strlen(SIM_TRACE_PROMISE));
            if (promise && s->use_times && (SimTime)op->rec.t_ns > sim_now(s->w)) {
                if (!s->wake) {
                    s->wake = TRUE;
                    sim_schedule_at(s->w, (SimTime)op->rec.t_ns, wake_ev, s, 0);
                }
                return;
            }
            if (promise) {           /* the application was told: every write before it is durable */
                FlushDone f = { sim_now(s->w), s->wdone, -1 };
                g_array_append_val(s->fdone, f);
                s->promises++;
                boundary(s, "promise", s->idx);
            }
            s->idx++;
            continue;
        }
        if (s->use_times && (SimTime)op->rec.t_ns > sim_now(s->w)) {
            if (!s->wake) {
                s->wake = TRUE;
                sim_schedule_at(s->w, (SimTime)op->rec.t_ns, wake_ev, s, 0);
            }
            return;
        }
        s->idx++;
        SimIo *io;
        if (op->rec.type == SIM_TREC_FLUSH || (op->rec.flags & SIM_TREC_F_PREFLUSH))
            boundary(s, "flush", s->idx - 1);
        if (op->rec.type == SIM_TREC_FLUSH) {
            io = sim_io_new(SIM_IO_FLUSH, 0, 0);
            io->sub_i = s->wdone;            /* covers every write completed before it */
            io->origin = SIM_ORIGIN_FSYNC_FLUSH;
            s->flushes++;
        } else {
            guint64 b0 = g_array_index(s->k->wblock0, guint64, s->wnext);
            guint32 t0 = g_array_index(s->k->wtok0, guint32, s->wnext);
            guint64 s1 = op->rec.sector + op->rec.nsectors;
            guint32 nb = (guint32)((s1 - 1) / SECT_PER_BLOCK - b0 + 1);
            io = sim_io_new(SIM_IO_WRITE, b0, nb);
            for (guint32 i = 0; i < nb; i++)
                io->tokens[i] = t0 + i;
            if (op->rec.flags & SIM_TREC_F_FUA)
                io->flags |= SIM_IO_FUA;
            if (op->rec.flags & SIM_TREC_F_PREFLUSH)
                io->flags |= SIM_IO_PREFLUSH;
            io->origin = SIM_ORIGIN_DATA_WRITEBACK;
            io->sub_i = s->wnext;
            s->wnext++;
            s->writes++;
            s->bytes += (guint64)op->rec.nsectors * SIM_TRACE_SECTOR;
        }
        io->done = io_done;
        io->ctx = s;
        s->busy = TRUE;
        sim_blk_submit(s->q, io);
    }
    if (!s->busy && s->idx >= s->tr->ops->len && !s->ended) {
        s->ended = TRUE;
        boundary(s, "end", s->tr->ops->len);
    }
}

/* ---- 3. judging a cut ---------------------------------------------------- */
typedef struct {
    const Tokens *k;
    const GArray *mev, *fdone;
    SimTime       t_end;
    const SimTime *cut;           /* sorted instants */
    guint64       ncut;
    guint         jobs;
    SimOutcome   *out;            /* per sorted cut */
    char        **why;
    const char   *workdir;
    const char   *check;          /* --check: the application checker's shell command, or NULL */
    double        check_timeout;  /* --check-timeout: seconds, then it is killed and fails */
    const char   *image_out;      /* --image-out: materialise the one cut into this file, judge nothing */
    gint8        *app;            /* per sorted cut: 1 the check passed, 0 it failed, -1 not run */
    guint64       image_bytes;
    GError      **errors;         /* per worker */
    /* --crash-states exhaustive: judge every state at each boundary instead of the cuts */
    const GArray *bounds;         /* Bound */
    guint         max_pending, samples;
    guint64       seed;
    SimCrashStates *states;       /* per boundary */
} Judge;

typedef struct {
    Judge      *j;
    guint       id;
    int         fd;
    char       *img, *undo, *mnt, *scratch;
    GHashTable *cur;              /* block -> durable token now */
    GHashTable *torn;             /* block -> index in mev of its torn start */
    GHashTable *req;              /* block -> token an acknowledged flush covers */
    guint       ev, fl;
    guint32     req_writes;
    GArray     *saved;            /* Saved: the boundary's blocks a state changed */
} Worker;

/* SIGINT, SIGTERM, SIGHUP: the workers stop before their next cut, so a
 * recovery mount or a --check mount under way is unmounted first; the
 * checkers run in their own process group, out of reach of the terminal's
 * ^C, so they finish what they do (a state costs well under a second). */
static volatile sig_atomic_t replay_interrupted;
static void replay_on_signal(int sig) { replay_interrupted = sig; }
static void own_pgrp(gpointer ud) { setpgid(0, 0); }

/* TRUE (with error) once a signal asked the workers to stop. */
static gboolean interrupted(GError **error)
{
    if (!replay_interrupted)
        return FALSE;
    g_set_error(error, SIM_TRACE_ERROR, SIM_TRACE_ERROR_IO, "interrupted by signal %d; cleaned up, no results written",
                (int)replay_interrupted);
    return TRUE;
}

static gboolean spawn(const char *const *argv, int *status, char **output, GError **error)
{
    g_autofree char *so = NULL, *se = NULL;
    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, own_pgrp, NULL, &so, &se, status, error))
        return FALSE;
    if (output)
        *output = g_strconcat(so ? so : "", se ? se : "", NULL);
    return TRUE;
}

/* e2fsck's output without what names our temporary files (the undo notice,
 * the image path), so verdicts do not depend on the worker or the folder. */
static char *clean_output(const char *out, const char *img)
{
    g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
    GString *g = g_string_new(NULL);
    for (guint i = 0; lines[i]; i++) {
        if (strstr(lines[i], "Overwriting existing filesystem") || strstr(lines[i], "e2undo ") ||
            g_str_has_prefix(g_strstrip(lines[i]), "e2fsck 1."))
            continue;
        char *l = lines[i];
        GString *x = g_string_new(NULL);
        for (const char *p = l; *p;) {
            if (g_str_has_prefix(p, img)) {
                g_string_append(x, "IMAGE");
                p += strlen(img);
            } else {
                g_string_append_c(x, *p++);
            }
        }
        if (x->len)
            g_string_append_printf(g, "%s%s", g->len ? "\n" : "", x->str);
        g_string_free(x, TRUE);
    }
    return g_string_free(g, FALSE);
}

static int exit_code(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128; }

/* e2fsck -n output: the first problem that is not a free-count difference
 * (SEMANTICS E7), an optimisation hint, the journal a mount would wipe, or
 * an inode on the orphan list (a mount completes its deletion), or NULL. */
static char *first_problem(const char *out)
{
    g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
    GString *msg = g_string_new(NULL);
    char *found = NULL;
    for (guint i = 0; lines[i] && !found; i++) {
        const char *l = lines[i];
        if (!*l || g_str_has_prefix(l, "Pass ") || g_str_has_prefix(l, "e2fsck ") || strstr(l, "*****")) {
            g_string_truncate(msg, 0);
            continue;
        }
        if (msg->len)
            g_string_append_c(msg, ' ');
        g_string_append(msg, g_strstrip(lines[i]));
        const char *q = strstr(msg->str, "? no");
        if (!q && !g_str_has_suffix(msg->str, "IGNORED.") && !strstr(msg->str, "differences:"))
            continue;
        gboolean benign = strstr(msg->str, "count wrong") || strstr(msg->str, "Optimize?") ||
                          strstr(msg->str, "journal has data") || strstr(msg->str, "Run journal anyway") ||
                          strstr(msg->str, "Clear journal?") ||
                          /* the orphan list is what a mount finishes (ext4_orphan_cleanup) */
                          strstr(msg->str, "orphaned inode list") ||
                          strstr(msg->str, "could be narrower") || strstr(msg->str, "could be shorter");
        if (!benign) {
            char *p = g_strdup(msg->str);
            char *cut = strstr(p, "  ");
            if (cut && cut != p)
                *cut = 0;
            found = p;
        }
        g_string_truncate(msg, 0);
    }
    g_string_free(msg, TRUE);
    return found;
}

static void oneline(char *s)
{
    for (char *p = s; *p; p++)
        if (*p == '\n' || *p == '\t')
            *p = ' ';
    g_strstrip(s);
    if (strlen(s) > 400)
        s[400] = 0;
}

/* --check: mount the recovered image read-only (no journal: e2fsck or the
 * recovery mount has replayed it) and run the command there. 1 passed, 0 failed (the mount
 * refused, or the command exited non-zero or was killed). */
static gint8 app_check(Worker *wk, GError **error)
{
    int st = 0;
    g_autofree char *out = NULL;
    const Tokens *k = wk->j->k;
    const char *mo[] = { "mount", "-t", k->fs, "-o",
                         is_fs(k, "xfs") ? "ro,loop,norecovery,nouuid" : is_fs(k, "btrfs") ? "ro,loop,rescue=nologreplay"
                                                                       : "ro,loop,noload",
                         is_fs(k, "ext4") ? wk->img : wk->scratch, wk->mnt, NULL };
    if (!spawn(mo, &st, &out, error))
        return 0;
    if (exit_code(st) != 0)
        return 0;
    g_auto(GStrv) env = g_environ_setenv(g_get_environ(), "IMG_MNT", wk->mnt, TRUE);
    /* coreutils' timeout signals the command's whole process group: TERM, then KILL 5 s later */
    char secs[32];
    g_ascii_formatd(secs, sizeof secs, "%g", wk->j->check_timeout);
    const char *sh[] = { "timeout", "-k", "5", secs, "/bin/sh", "-c", wk->j->check, NULL };
    g_autofree char *so = NULL, *se = NULL;
    gint cst = 0;
    gboolean ran = g_spawn_sync(wk->mnt, (char **)sh, env, G_SPAWN_SEARCH_PATH, own_pgrp, NULL, &so, &se, &cst, error);
    const char *um[] = { "umount", wk->mnt, NULL };
    for (int i = 0; i < 50; i++) {          /* the loop device clears itself on umount */
        g_autofree char *uo = NULL;
        if (spawn(um, &st, &uo, NULL) && exit_code(st) == 0)
            break;
        g_usleep(100000);
    }
    return ran && WIFEXITED(cst) && WEXITSTATUS(cst) == 0;
}

static char *lost_reason(Worker *wk, int rfd);

static SimOutcome fsck(Worker *wk, char **why, gint8 *app, GError **error)
{
    int st = 0;
    g_autofree char *out = NULL;
    unlink(wk->undo);
    const char *jr[] = { "e2fsck", "-p", "-E", "journal_only", "-z", wk->undo, wk->img, NULL };
    if (!spawn(jr, &st, &out, error))
        return SIM_OUT_CONSISTENT;
    SimOutcome o = SIM_OUT_CONSISTENT;
    int rc = exit_code(st);
    { char *c = clean_output(out, wk->img); g_free(out); out = c; }
    /* needs_recovery clear but the journal has data: the kernel's mount
     * wipes the journal (jbd2_journal_wipe) and goes on, so judge the image
     * as it is (e2fsck -p stops there instead) */
    gboolean wiped = rc >= 4 && strstr(out, "needs_recovery flag is clear, but journal has data");
    if (rc >= 4 && !wiped) {
        *why = g_strdup_printf("journal replay (e2fsck -E journal_only) exit %d: %s", rc, out);
        oneline(*why);
        o = SIM_OUT_UNMOUNTABLE;
    } else {
        g_clear_pointer(&out, g_free);
        const char *ck[] = { "e2fsck", "-fn", wk->img, NULL };
        if (!spawn(ck, &st, &out, error))
            return SIM_OUT_CONSISTENT;
        rc = exit_code(st);
        { char *c = clean_output(out, wk->img); g_free(out); out = c; }
        char *p = rc ? first_problem(out) : NULL;
        if (p) {
            *why = g_strdup_printf("e2fsck -fn: %s", p);
            oneline(*why);
            g_free(p);
            o = SIM_OUT_CORRUPT;
        } else if (rc >= 8) {          /* cannot open or read the file system at all */
            *why = g_strdup_printf("e2fsck -fn exit %d: %s", rc, out);
            oneline(*why);
            o = SIM_OUT_UNMOUNTABLE;
        }
        /* the flush rule on the recovered image: the journal replay has put
         * the journaled copies of metadata blocks home */
        if (o == SIM_OUT_CONSISTENT && (*why = lost_reason(wk, wk->fd)))
            o = SIM_OUT_LOST_FSYNC;
        if (wk->j->check && app && o != SIM_OUT_UNMOUNTABLE)
            *app = app_check(wk, error);
    }
    if (g_file_test(wk->undo, G_FILE_TEST_EXISTS)) {
        g_autofree char *uo = NULL;
        const char *un[] = { "e2undo", wk->undo, wk->img, NULL };
        if (!spawn(un, &st, &uo, error))
            return o;
        if (exit_code(st) != 0) {
            oneline(uo);
            g_set_error(error, SIM_TRACE_ERROR, SIM_TRACE_ERROR_IO, "e2undo failed: %s", uo);
        }
        unlink(wk->undo);
    }
    return o;
}

static void umount_retry(const char *mnt)
{
    const char *um[] = { "umount", mnt, NULL };
    for (int i = 0; i < 50; i++) {          /* the loop device clears itself on umount */
        int st = 0;
        g_autofree char *uo = NULL;
        if (spawn(um, &st, &uo, NULL) && exit_code(st) == 0)
            return;
        g_usleep(100000);
    }
}

/* The line of checker output that says what is wrong: not a progress line
 * (skip), and not a superblock free count (sb_icount, sb_ifree, sb_fdblocks,
 * sb_frextents "N, counted M": SEMANTICS E7); of these the smallest in byte
 * order (xfs_repair scans allocation groups in parallel threads, so its
 * order varies from run to run). NULL when every line is one of these. */
static char *first_problem_line(const char *out, const char *const *skip)
{
    /* and without code addresses ("detected at 0x5652674cb1a6,"), thread ids
     * ("7f39aacff680: Badness in key lookup") or another thread's progress
     * line glued on ("        - agno = 1") */
    g_autoptr(GRegex) re = g_regex_new(" at 0x[0-9a-f]+,|\\b(0x)?[0-9a-f]{10,}\\b:? ?|[ \t]+- agno = [0-9]+",
                                       0, 0, NULL);
    g_autofree char *norm0 = g_regex_replace_literal(re, out, -1, 0, "", 0, NULL);
    /* libxfs's "Metadata corruption detected ... block 0xB/0xL" writes its
     * newline apart: another thread's line can land before it */
    g_autoptr(GRegex) glue = g_regex_new("(block 0x[0-9a-f]+/0x[0-9a-f]+)", 0, 0, NULL);
    g_autofree char *norm = g_regex_replace(glue, norm0, -1, 0, "\\1\n", 0, NULL);
    g_auto(GStrv) lines = g_strsplit(norm, "\n", -1);
    const char *best = NULL;
    for (guint i = 0; lines[i]; i++) {
        const char *l = g_strstrip(lines[i]);
        if (!*l)
            continue;
        gboolean noise = g_regex_match_simple("^sb_(icount|ifree|fdblocks|frextents) [0-9]+, counted [0-9]+$", l, 0, 0);
        for (guint n = 0; skip[n] && !noise; n++)
            noise = g_str_has_prefix(l, skip[n]);
        if (!noise && (!best || strcmp(l, best) < 0))
            best = l;
    }
    return g_strdup(best);
}

/* mount's message without the worker's paths (verdicts must not depend on
 * the worker): "mount: MNT: can't read superblock on /dev/loopN." ->
 * "can't read superblock" */
static char *mount_message(const char *out, const char *mnt)
{
    g_autofree char *m = g_strstrip(g_strdup(out));
    char *nl = strchr(m, '\n');
    if (nl)
        *nl = 0;
    g_autofree char *pre = g_strdup_printf("mount: %s: ", mnt);
    const char *p = g_str_has_prefix(m, pre) ? m + strlen(pre) : m;
    g_autoptr(GRegex) re = g_regex_new(" on /dev/loop[0-9]+|\\.$| dmesg.*$", 0, 0, NULL);
    return g_regex_replace_literal(re, p, -1, 0, "", 0, NULL);
}

/* xfs and btrfs: recovery is what the kernel does at mount (xfs log
 * recovery; btrfs log tree replay), so it runs on a copy of the crash image
 * (the working image stays the crash image for the next cut): cp --sparse,
 * mount -o loop (xfs: nouuid, every worker's copy has the same UUID), umount.
 * Then the read-only checker on the recovered copy:
 *   xfs_repair -n: 0 consistent, 1 corrupt (the first problem it names);
 *   btrfs check --readonly: 0 consistent, else corrupt.
 * The mount refusing (log recovery failed, no valid superblock) or the
 * checker unable to open the file system -> unmountable. */
static SimOutcome fsck_mount(Worker *wk, char **why, gint8 *app, GError **error)
{
    const Tokens *k = wk->j->k;
    int st = 0;
    g_autofree char *out = NULL;
    if (fsync(wk->fd) != 0) {
        g_set_error(error, SIM_TRACE_ERROR, SIM_TRACE_ERROR_IO, "%s: cannot write (%s)", wk->img, g_strerror(errno));
        return SIM_OUT_CONSISTENT;
    }
    const char *cp[] = { "cp", "--sparse=always", wk->img, wk->scratch, NULL };
    if (!spawn(cp, &st, &out, error))
        return SIM_OUT_CONSISTENT;
    if (exit_code(st) != 0) {
        oneline(out);
        g_set_error(error, SIM_TRACE_ERROR, SIM_TRACE_ERROR_IO, "cp %s: %s", wk->img, out);
        return SIM_OUT_CONSISTENT;
    }
    g_clear_pointer(&out, g_free);
    gboolean xfs = is_fs(k, "xfs");
    const char *mo[] = { "mount", "-t", k->fs, "-o", xfs ? "loop,nouuid" : "loop", wk->scratch, wk->mnt, NULL };
    if (!spawn(mo, &st, &out, error))
        return SIM_OUT_CONSISTENT;
    if (exit_code(st) != 0) {
        char *c = mount_message(out, wk->mnt);
        *why = g_strdup_printf("recovery mount (%s) refused: %s", k->fs, c);
        g_free(c);
        oneline(*why);
        return SIM_OUT_UNMOUNTABLE;
    }
    umount_retry(wk->mnt);
    g_clear_pointer(&out, g_free);
    const char *xr[] = { "xfs_repair", "-n", wk->scratch, NULL };
    const char *bc[] = { "btrfs", "check", "--readonly", wk->scratch, NULL };
    if (!spawn(xfs ? xr : bc, &st, &out, error))
        return SIM_OUT_CONSISTENT;
    int rc = exit_code(st);
    { char *c = clean_output(out, wk->scratch); g_free(out); out = c; }
    SimOutcome o = SIM_OUT_CONSISTENT;
    static const char *const xskip[] = { "Phase ", "- ", "No modify flag set", "Cannot get host filesystem geometry",
                                         "Repair may fail if", "the image and the host filesystem", NULL };
    static const char *const bskip[] = { "Opening filesystem", "Checking filesystem", "UUID:", "[", "found ", "total ",
                                         "btree space waste", "file data blocks", "referenced", "no error found", NULL };
    g_autofree char *p = rc != 0 ? first_problem_line(out, xfs ? xskip : bskip) : NULL;
    if (rc != 0 && (p || !xfs)) {      /* xfs_repair exit 1 for free counts alone is not corruption (E7) */
        gboolean cannot_open = strstr(out, "bad superblock") || strstr(out, "couldn't verify primary superblock") ||
                               strstr(out, "open ctree failed") || strstr(out, "No valid Btrfs found") ||
                               strstr(out, "cannot open file system");
        *why = g_strdup_printf("%s exit %d: %s", xfs ? "xfs_repair -n" : "btrfs check --readonly", rc,
                               p ? p : "(no message)");
        oneline(*why);
        o = cannot_open || (rc >= 2 && xfs) ? SIM_OUT_UNMOUNTABLE : SIM_OUT_CORRUPT;
    }
    if (o == SIM_OUT_CONSISTENT) {       /* the flush rule on the recovered copy */
        int rfd = open(wk->scratch, O_RDONLY);
        if ((*why = lost_reason(wk, rfd)))
            o = SIM_OUT_LOST_FSYNC;
        if (rfd >= 0)
            close(rfd);
    }
    if (wk->j->check && app && o != SIM_OUT_UNMOUNTABLE)
        *app = app_check(wk, error);
    return o;
}

static gboolean put_block(Worker *wk, guint64 block, guint8 *buf)
{
    return pwrite(wk->fd, buf, SIM_TRACE_BLOCK, (off_t)(block * SIM_TRACE_BLOCK)) == SIM_TRACE_BLOCK;
}

/* Write w's blocks must hold it (or a later version) from now on. */
static void require_write(Worker *wk, guint32 w)
{
    const Tokens *k = wk->j->k;
    guint32 t0 = g_array_index(k->wtok0, guint32, w);
    guint32 t1 = w + 1 < k->wtok0->len ? g_array_index(k->wtok0, guint32, w + 1) : k->toks->len;
    guint64 b0 = g_array_index(k->wblock0, guint64, w);
    for (guint32 tok = t0; tok < t1; tok++) {
        gpointer key = GSIZE_TO_POINTER((gsize)(b0 + tok - t0));
        if (GPOINTER_TO_UINT(g_hash_table_lookup(wk->req, key)) < tok)
            g_hash_table_insert(wk->req, key, GUINT_TO_POINTER(tok));
    }
}

/* Bring the image and the maps to instant t, where the first ev_n media
 * changes and the first fl_n acknowledgements have happened. */
static gboolean advance_to(Worker *wk, guint ev_n, guint fl_n, SimTime t, GError **error)
{
    Judge *j = wk->j;
    const Tokens *k = j->k;
    g_autoptr(GHashTable) dirty = g_hash_table_new(g_direct_hash, g_direct_equal);
    while (wk->ev < ev_n) {
        const MediaEv *e = &g_array_index(j->mev, MediaEv, wk->ev);
        gpointer key = GSIZE_TO_POINTER((gsize)e->block);
        g_hash_table_insert(wk->cur, key, GUINT_TO_POINTER(e->tok));
        if (sim_token_is_torn(e->tok))
            g_hash_table_insert(wk->torn, key, GUINT_TO_POINTER(wk->ev));
        else
            g_hash_table_remove(wk->torn, key);
        g_hash_table_add(dirty, key);
        wk->ev++;
    }
    while (wk->fl < fl_n) {
        const FlushDone *f = &g_array_index(j->fdone, FlushDone, wk->fl);
        for (; wk->req_writes < f->nwrites; wk->req_writes++)
            require_write(wk, wk->req_writes);
        if (f->fua >= 0)
            require_write(wk, (guint32)f->fua);
        wk->fl++;
    }
    if (wk->fd < 0)
        return TRUE;                        /* no image to keep up to date */
    guint8 buf[SIM_TRACE_BLOCK], old[SIM_TRACE_BLOCK];
    GHashTableIter it;
    gpointer key, val;
    g_hash_table_iter_init(&it, dirty);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        guint64 b = GPOINTER_TO_SIZE(key);
        if (g_hash_table_contains(wk->torn, key))
            continue;                       /* rendered below */
        render(k, b, GPOINTER_TO_UINT(g_hash_table_lookup(wk->cur, key)), buf);
        if (!put_block(wk, b, buf))
            goto io;
    }
    /* torn blocks: the first sectors of the new version, in proportion to the
     * transfer time elapsed at t; the rest still the version beneath */
    g_hash_table_iter_init(&it, wk->torn);
    while (g_hash_table_iter_next(&it, &key, &val)) {
        guint64 b = GPOINTER_TO_SIZE(key);
        guint i = GPOINTER_TO_UINT(val);
        const MediaEv *e = &g_array_index(j->mev, MediaEv, i);
        SimTime t1 = j->t_end;
        for (guint n = i + 1; n < j->mev->len; n++)
            if (g_array_index(j->mev, MediaEv, n).block == b) {
                t1 = g_array_index(j->mev, MediaEv, n).t;
                break;
            }
        SimToken beneath = 0;
        for (guint n = i; n-- > 0;)
            if (g_array_index(j->mev, MediaEv, n).block == b) {
                beneath = g_array_index(j->mev, MediaEv, n).tok;
                break;
            }
        guint landed = t1 > e->t ? (guint)((t - e->t) * SECT_PER_BLOCK / (t1 - e->t)) : 0;
        landed = MIN(landed, SECT_PER_BLOCK - 1);
        render(k, b, sim_token_base(beneath), old);
        render(k, b, sim_token_base(e->tok), buf);
        memcpy(buf + (gsize)landed * SIM_TRACE_SECTOR, old + (gsize)landed * SIM_TRACE_SECTOR,
               (SECT_PER_BLOCK - landed) * SIM_TRACE_SECTOR);
        if (!put_block(wk, b, buf))
            goto io;
    }
    return TRUE;
io:
    g_set_error(error, SIM_TRACE_ERROR, SIM_TRACE_ERROR_IO, "%s: cannot write (%s)", wk->img, g_strerror(errno));
    return FALSE;
}

/* Bring the image and the maps to instant t: every media change and
 * acknowledgement up to t (inclusive). */
static gboolean advance(Worker *wk, SimTime t, GError **error)
{
    const Judge *j = wk->j;
    guint ev_n = wk->ev, fl_n = wk->fl;
    while (ev_n < j->mev->len && g_array_index(j->mev, MediaEv, ev_n).t <= t)
        ev_n++;
    while (fl_n < j->fdone->len && g_array_index(j->fdone, FlushDone, fl_n).t <= t)
        fl_n++;
    return advance_to(wk, ev_n, fl_n, t, error);
}

/* Whether the recovered image (rfd) holds, at `block`, the covered version
 * `need` or a later one of that block (byte for byte), or the block is the
 * primary superblock, which recovery itself rewrites (mount counts, free
 * counts, the recovery flag: SEMANTICS E7). */
static gboolean recovered_holds(Worker *wk, int rfd, guint64 block, SimToken need)
{
    const Tokens *k = wk->j->k;
    guint64 sb = is_fs(k, "btrfs") ? 65536 / SIM_TRACE_BLOCK : 0;
    if (block == sb)
        return TRUE;
    guint8 have[SIM_TRACE_BLOCK], want[SIM_TRACE_BLOCK];
    if (pread(rfd, have, SIM_TRACE_BLOCK, (off_t)(block * SIM_TRACE_BLOCK)) != SIM_TRACE_BLOCK)
        return FALSE;
    const GArray *vers = g_hash_table_lookup(k->versions, GSIZE_TO_POINTER((gsize)block));
    for (guint i = 0; vers && i < vers->len; i++) {
        SimToken v = g_array_index(vers, SimToken, i);
        if (v < need)
            continue;
        render(k, block, v, want);
        if (!memcmp(have, want, SIM_TRACE_BLOCK))
            return TRUE;
    }
    return FALSE;
}

/* The lost_fsync reason, or NULL: a block an acknowledged flush covered
 * holds neither that write nor a later one. Without a layout (not ext4): the
 * lowest such block. With one: the block of the first role in SimRole's
 * order (data or directory first, the journal last), the lowest of that
 * role, named with its role (a journal block with the kind of block the
 * covered write was), and how many covered blocks were lost, by role.
 * rfd: the recovered image (a block the token rule finds lost is held if
 * recovery put the covered version, or a later one, there), or -1: the
 * crash image's tokens alone. */
static char *lost_reason(Worker *wk, int rfd)
{
    const SimLayout *lay = wk->j->k->layout;
    guint64 lost = G_MAXUINT64, nlost = 0, by_role[SIM_ROLE_N] = { 0 };
    SimRole lost_role = SIM_ROLE_N;
    SimToken lost_need = 0, lost_have = 0;
    GHashTableIter it;
    gpointer key, val;
    g_hash_table_iter_init(&it, wk->req);
    while (g_hash_table_iter_next(&it, &key, &val)) {
        SimToken need = GPOINTER_TO_UINT(val);
        SimToken have = GPOINTER_TO_UINT(g_hash_table_lookup(wk->cur, key));
        /* tokens grow in trace order: a later write of the block supersedes the
         * covered one; a torn block holds it only if a later write is tearing it;
         * a block a degraded RAID-5 rebuilt as garbage holds none */
        gboolean ok = have != SIM_TOKEN_GARBAGE && (sim_token_is_torn(have) ? sim_token_base(have) > need : have >= need);
        if (ok || (rfd >= 0 && recovered_holds(wk, rfd, GPOINTER_TO_SIZE(key), need)))
            continue;
        guint64 b = GPOINTER_TO_SIZE(key);
        SimRole r = lay ? sim_layout_role(lay, b) : SIM_ROLE_DATA;
        nlost++;
        by_role[r]++;
        if (r < lost_role || (r == lost_role && b < lost)) {
            lost = b;
            lost_role = r;
            lost_need = need;
            lost_have = have;
        }
    }
    if (!nlost)
        return NULL;
    const char *garbage = lost_have == SIM_TOKEN_GARBAGE ? " (rebuilt as garbage from inconsistent RAID-5 parity)" : "";
    if (!lay)
        return g_strdup_printf("block %" G_GUINT64_FORMAT " lost a write an acknowledged flush or promise covered%s",
                               lost, garbage);
    guint8 buf[SIM_TRACE_BLOCK];
    render(wk->j->k, lost, lost_need, buf);
    GString *g = g_string_new(NULL);
    g_string_printf(g, "block %" G_GUINT64_FORMAT " (%s) lost a write an acknowledged flush or promise covered%s; "
                    "%" G_GUINT64_FORMAT " covered block%s lost:", lost, sim_layout_describe(lay, lost, buf), garbage,
                    nlost, nlost == 1 ? "" : "s");
    const char *sep = " ";
    for (SimRole r = 0; r < SIM_ROLE_N; r++)
        if (by_role[r]) {
            g_string_append_printf(g, "%s%" G_GUINT64_FORMAT " %s", sep, by_role[r], sim_role_name(r));
            sep = ", ";
        }
    return g_string_free(g, FALSE);
}

static void worker_init(Worker *wk, Judge *j, guint id)
{
    *wk = (Worker){ .j = j, .id = id, .fd = -1, .cur = g_hash_table_new(g_direct_hash, g_direct_equal),
                    .torn = g_hash_table_new(g_direct_hash, g_direct_equal),
                    .req = g_hash_table_new(g_direct_hash, g_direct_equal) };
}

/* Open the worker's image at `path` (NULL: a file in the work folder),
 * holding the initial image. */
static gboolean worker_open(Worker *wk, const char *path, GError **err)
{
    Judge *j = wk->j;
    wk->img = path ? g_strdup(path) : g_strdup_printf("%s/image.%u", j->workdir, wk->id);
    wk->undo = g_strdup_printf("%s/undo.%u", j->workdir, wk->id);
    wk->scratch = g_strdup_printf("%s/recovered.%u", j->workdir, wk->id);
    wk->mnt = g_strdup_printf("%s/mnt.%u", j->workdir, wk->id);
    if ((j->check || (j->k->fsck && !is_fs(j->k, "ext4"))) && !path && mkdir(wk->mnt, 0700) != 0) {
        g_set_error(err, SIM_TRACE_ERROR, SIM_TRACE_ERROR_IO, "%s: cannot create (%s)", wk->mnt, g_strerror(errno));
        return FALSE;
    }
    wk->fd = open(wk->img, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (wk->fd < 0 || ftruncate(wk->fd, (off_t)j->image_bytes) != 0) {
        g_set_error(err, SIM_TRACE_ERROR, SIM_TRACE_ERROR_IO, "%s: cannot create (%s)", wk->img, g_strerror(errno));
        return FALSE;
    }
    GHashTableIter it;
    gpointer key, val;
    g_hash_table_iter_init(&it, j->k->init);
    while (g_hash_table_iter_next(&it, &key, &val))
        if (pwrite(wk->fd, val, SIM_TRACE_BLOCK, (off_t)(GPOINTER_TO_SIZE(key) * SIM_TRACE_BLOCK)) != SIM_TRACE_BLOCK) {
            g_set_error(err, SIM_TRACE_ERROR, SIM_TRACE_ERROR_IO, "%s: cannot write", wk->img);
            return FALSE;
        }
    return TRUE;
}

/* Close the worker and remove its files (the image too unless keep_img). */
static void worker_close(Worker *wk, gboolean keep_img)
{
    if (wk->fd >= 0)
        close(wk->fd);
    if (wk->img && !keep_img)
        unlink(wk->img);
    if (wk->undo)
        unlink(wk->undo);
    if (wk->scratch)
        unlink(wk->scratch);
    if (wk->mnt)
        rmdir(wk->mnt);
    g_free(wk->scratch);
    g_free(wk->mnt);
    g_free(wk->img);
    g_free(wk->undo);
    g_hash_table_destroy(wk->cur);
    g_hash_table_destroy(wk->torn);
    g_hash_table_destroy(wk->req);
    if (wk->saved)
        g_array_free(wk->saved, TRUE);
}

/* The verdict on the image as it is now: the checker, then the flush rule.
 * app (nullable): where --check's verdict goes. */
static SimOutcome judge_now(Worker *wk, char **why, gint8 *app, GError **err)
{
    const Judge *j = wk->j;
    SimOutcome o = SIM_OUT_CONSISTENT;
    if (j->k->fsck) {
        o = is_fs(j->k, "ext4") ? fsck(wk, why, app, err) : fsck_mount(wk, why, app, err);
        if (*err)
            return o;
    }
    else if ((*why = lost_reason(wk, -1)))     /* the checkers judge it on the recovered image */
        o = SIM_OUT_LOST_FSYNC;
    return o;
}

/* ---- 3b. every crash state at a boundary (--crash-states exhaustive) ---------- */
typedef struct {
    SimToken was;                 /* the block's durable token at the boundary */
    gboolean changed;
    guint8   old[SIM_TRACE_BLOCK];
} Saved;

/* Put state `mask` of the boundary's pending set on the image: each free
 * write durable (its latest version) or not (its base), forced ones durable. */
static gboolean state_apply(Worker *wk, const GArray *pend, guint64 mask, GError **err)
{
    if (!wk->saved)
        wk->saved = g_array_new(FALSE, FALSE, sizeof(Saved));
    g_array_set_size(wk->saved, pend->len);
    guint fi = 0;
    for (guint i = 0; i < pend->len; i++) {
        const SimPendWrite *p = &g_array_index(pend, SimPendWrite, i);
        Saved *sv = &g_array_index(wk->saved, Saved, i);
        gboolean on = p->forced || (fi < 64 && ((mask >> fi) & 1));
        fi += !p->forced;
        SimToken want = on ? p->tok : p->base;
        gpointer key = GSIZE_TO_POINTER((gsize)p->block);
        sv->was = GPOINTER_TO_UINT(g_hash_table_lookup(wk->cur, key));
        sv->changed = want != sv->was;
        if (!sv->changed)
            continue;           /* the image holds it already (a torn block as it was at the cut) */
        g_hash_table_insert(wk->cur, key, GUINT_TO_POINTER(want));
        if (wk->fd < 0)
            continue;
        guint8 buf[SIM_TRACE_BLOCK];
        render(wk->j->k, p->block, sim_token_base(want), buf);
        if (pread(wk->fd, sv->old, SIM_TRACE_BLOCK, (off_t)(p->block * SIM_TRACE_BLOCK)) != SIM_TRACE_BLOCK ||
            !put_block(wk, p->block, buf)) {
            g_set_error(err, SIM_TRACE_ERROR, SIM_TRACE_ERROR_IO, "%s: cannot write (%s)", wk->img, g_strerror(errno));
            return FALSE;
        }
    }
    return TRUE;
}

/* Back to the image of the boundary. */
static gboolean state_restore(Worker *wk, const GArray *pend, GError **err)
{
    for (guint i = pend->len; i-- > 0;) {
        const SimPendWrite *p = &g_array_index(pend, SimPendWrite, i);
        Saved *sv = &g_array_index(wk->saved, Saved, i);
        if (!sv->changed)
            continue;
        g_hash_table_insert(wk->cur, GSIZE_TO_POINTER((gsize)p->block), GUINT_TO_POINTER(sv->was));
        if (wk->fd >= 0 && !put_block(wk, p->block, sv->old)) {
            g_set_error(err, SIM_TRACE_ERROR, SIM_TRACE_ERROR_IO, "%s: cannot write (%s)", wk->img, g_strerror(errno));
            return FALSE;
        }
    }
    return TRUE;
}

/* "; durable free writes: 2 of 5, blocks 10 11; not durable: 12 13 14"
 * (at most 8 blocks each, then "...") */
static void state_describe(GString *g, const GArray *pend, guint64 mask)
{
    GString *on = g_string_new(NULL), *off = g_string_new(NULL);
    guint fi = 0, non = 0, noff = 0;
    for (guint i = 0; i < pend->len; i++) {
        const SimPendWrite *p = &g_array_index(pend, SimPendWrite, i);
        if (p->forced)
            continue;
        gboolean d = fi < 64 && ((mask >> fi) & 1);
        fi++;
        GString *x = d ? on : off;
        guint *n = d ? &non : &noff;
        if (++*n <= 8)
            g_string_append_printf(x, " %" G_GUINT64_FORMAT, p->block);
        else if (*n == 9)
            g_string_append(x, " ...");
    }
    g_string_append_printf(g, "; durable free writes: %u of %u%s%s; not durable:%s", non, fi, non ? ", blocks" : "",
                           on->str, noff ? off->str : " none");
    g_string_free(on, TRUE);
    g_string_free(off, TRUE);
}

static SimOutcome state_judge(gpointer ud, const GArray *pend, guint64 mask, GString *reason)
{
    Worker *wk = ud;
    GError **err = &wk->j->errors[wk->id];
    g_string_truncate(reason, 0);
    if (*err || interrupted(err) || !state_apply(wk, pend, mask, err))
        return SIM_OUT_CONSISTENT;
    char *why = NULL;
    SimOutcome o = judge_now(wk, &why, NULL, err);
    state_restore(wk, pend, *err ? NULL : err);
    if (why) {
        g_string_assign(reason, why);
        state_describe(reason, pend, mask);
    }
    g_free(why);
    return o;
}

static void worker_run(gpointer data, gpointer user)
{
    Worker *wk = data;
    Judge *j = wk->j;
    GError **err = &j->errors[wk->id];
    if ((j->k->fsck || j->image_out) && !worker_open(wk, j->image_out, err))
        return;
    for (guint c = wk->id; j->bounds && c < j->bounds->len; c += j->jobs) {
        const Bound *b = &g_array_index(j->bounds, Bound, c);
        if (!advance_to(wk, b->mev_n, b->fdone_n, b->t, err))
            return;
        SimRng rng;
        sim_rng_seed(&rng, j->seed, c, "states");
        sim_crash_states_run(&j->states[c], b->pend, j->max_pending, j->samples, &rng, state_judge, wk);
        if (*err)
            return;
    }
    for (guint64 c = wk->id; !j->bounds && c < j->ncut; c += j->jobs) {
        if (interrupted(err) || !advance(wk, j->cut[c], err))
            return;
        char *why = NULL;
        SimOutcome o = SIM_OUT_CONSISTENT;
        if (j->image_out) {
            if (fsync(wk->fd) != 0)
                g_set_error(err, SIM_TRACE_ERROR, SIM_TRACE_ERROR_IO, "%s: cannot write (%s)", wk->img, g_strerror(errno));
            j->out[c] = o;
            continue;
        }
        o = judge_now(wk, &why, &j->app[c], err);
        if (*err)
            return;
        j->out[c] = o;
        j->why[c] = why;
    }
}

/* Run the judge's workers (one thread each) to the end; the first error. */
static GError *judge_all(Judge *j)
{
    j->errors = g_new0(GError *, j->jobs);
    Worker *wks = g_new0(Worker, j->jobs);
    GThreadPool *pool = g_thread_pool_new(worker_run, NULL, (gint)j->jobs, TRUE, NULL);
    for (guint i = 0; i < j->jobs; i++) {
        worker_init(&wks[i], j, i);
        g_thread_pool_push(pool, &wks[i], NULL);
    }
    g_thread_pool_free(pool, FALSE, TRUE);
    GError *first = NULL;
    for (guint i = 0; i < j->jobs; i++) {
        if (j->errors[i] && !first)
            first = g_error_copy(j->errors[i]);
        g_clear_error(&j->errors[i]);
        worker_close(&wks[i], j->image_out != NULL);
    }
    g_free(wks);
    g_clear_pointer(&j->errors, g_free);
    return first;
}

/* ---- the command ------------------------------------------------------------ */
static const char *const replay_help =
    "Usage: powercut replay TRACE [--scenario S.lua | --preset P] [OPTIONS]\n"
    "\n"
    "Feed a trace (powercut capture's, or an imported dm-log-writes log, blkparse text or\n"
    "MSR-Cambridge CSV) through the simulated block layer and device of each case, cut power at\n"
    "sampled instants and judge each crash image with the real checker: for ext4, journal replay\n"
    "(e2fsck -E journal_only) then e2fsck -fn; for xfs and btrfs (root), the kernel's recovery\n"
    "(a mount of a copy of the crash image: xfs log recovery, btrfs log-tree replay) then\n"
    "xfs_repair -n or btrfs check --readonly. Results have the shape of `powercut run`'s.\n"
    "\n"
    "Options:\n"
    "  --scenario S.lua       the device of each of its cases (its workload is not used)\n"
    "  --preset P             one case: the preset P of lua/presets.lua (a drive, an SSD, or a RAID\n"
    "                         controller over default member drives, e.g. megaraid_bbu)\n"
    "  -D, --set NAME=VALUE   override a parameter (device.cache_mb=0, device.policy=random, ...)\n"
    "      --case NAME        only this case (repeatable)\n"
    "      --sweep NAME=V1,V2 each value a case (repeatable; adds to or replaces the scenario's\n"
    "                         sweep, as for run): e.g. --sweep device.cache_mb=0,8,64\n"
    "      --check 'CMD'      (root) also run CMD (sh -c) on a read-only mount of each recovered\n"
    "                         image, in $IMG_MNT; counted in \"app\": passed as new, failed as\n"
    "                         inconsistent (e.g. --check 'sqlite3 $IMG_MNT/db \"PRAGMA integrity_check\"\n"
    "                         | grep -qx ok')\n"
    "      --check-timeout S  kill a --check still running after S seconds (default 60): it fails\n"
    "  -n, --trials N         sampled power cuts per case (default 20: each is an fsck)\n"
    "  -s, --seed S           master seed (default 1)\n"
    "  -j, --jobs J           checkers in parallel (default: cores); results identical for any J\n"
    "      --ignore-times     issue each request as soon as the previous completed\n"
    "      --image-out FILE   judge nothing: write the durable image of the first case at\n"
    "                         --image-at SECONDS (default: once the drive has destaged\n"
    "                         everything) to FILE, e.g. to look at it with debugfs\n"
    "      --every-change     instead of sampled cuts, one cut per distinct durable state (at 0\n"
    "                         and at every instant the media changed): every state is judged\n"
    "      --crash-states timed|exhaustive\n"
    "                         timed (default): the sampled cuts only; exhaustive: also, at each\n"
    "                         boundary (before every flush or PREFLUSH write, at every promise\n"
    "                         mark, at the end of the stream), every crash state an honest\n"
    "                         device could still leave: each write that reached it, is not yet\n"
    "                         on its media and no completed flush covers is durable or not,\n"
    "                         independently (\"crash_states\")\n"
    "      --max-pending N    with exhaustive: enumerate up to N such writes per boundary (1 to\n"
    "                         20, default 8: 2^N checker runs); above, --samples states\n"
    "      --samples N        with exhaustive: states drawn at a boundary above --max-pending\n"
    "                         (1 to 4096, default 32)\n"
    "      --witness-out FILE with exhaustive: write the smallest corrupt state's crash image\n"
    "                         (before recovery) to FILE\n"
    "      --json FILE|-      results as JSON (DESIGN §3)\n"
    "      --csv FILE|-       one row per case\n"
    "      --trials-csv FILE|-  every cut: case, run, trial, instant, outcome, reason\n"
    "  -o, --out DIR          write results.json, results.csv and the plots that apply into DIR\n"
    "  -q, --quiet            no table\n"
    "\n"
    "Outcomes: unmountable (journal replay or the recovery mount refused, or the checker cannot\n"
    "open the file system), corrupt (e2fsck -fn, xfs_repair -n or btrfs check report a problem\n"
    "other than superblock free counts, SEMANTICS E7), lost_fsync (a block an\n"
    "acknowledged flush, FUA write or promise mark covered does not hold that write, or a later\n"
    "one, after recovery - byte for byte, the primary superblock excepted; for ext4\n"
    "the reason names its role - data or directory, inode table, inode bitmap, block bitmap,\n"
    "superblock or group descriptors, journal descriptor/commit/revoke/superblock/copy -\n"
    "preferring a data or directory block, and counts the lost covered blocks by role),\n"
    "consistent. stale_data is not judged. A promise mark (`powercut mark --promise NAME` after\n"
    "fsync() returned) promises every write logged before it.\n"
    "p_inc is the sampled corrupt+unmountable fraction (not exact: each state costs an fsck),\n"
    "or with --every-change the exact fraction of the time the durable image was corrupt or\n"
    "unmountable (each state weighted by how long it lasted);\n"
    "--crash-states exhaustive is the adversarial view (--check is not run on its states).\n";

typedef struct {
    guint64 trials, seed;
    guint   jobs;
    gboolean ignore_times;
    gboolean every_change;        /* one cut per distinct durable state instead of sampled ones */
    const char *check;            /* application checker (shell command), or NULL */
    double      check_timeout;    /* seconds */
    const char *image_out;        /* write the crash image at image_at (s; < 0: the end) here and stop */
    double      image_at;
    gboolean    exhaustive;       /* --crash-states exhaustive */
    guint       max_pending, samples;
    const char *witness_out;      /* exhaustive: write the smallest witness's crash image here */
} ReplayOpts;

/* The states judged at every boundary, summed (the smallest witness wins;
 * ties go to the earlier boundary); with --witness-out, its crash image
 * (before recovery) written there. */
static SimCrashStatesSummary *states_summary(Judge *j, const ReplayOpts *o, GError **error)
{
    SimCrashStatesSummary *sum = g_new0(SimCrashStatesSummary, 1);
    sum->max_pending = o->max_pending;
    sum->samples = o->samples;
    sum->boundaries = TRUE;
    for (guint c = 0; c < j->bounds->len; c++) {
        const Bound *b = &g_array_index(j->bounds, Bound, c);
        g_autofree char *where = !strcmp(b->kind, "end")
                                     ? g_strdup("at the end of the stream: ")
                                     : g_strdup_printf("%s %s (trace op %u): ", !strcmp(b->kind, "flush") ? "before" : "at",
                                                       b->kind, b->op);
        sim_crash_states_summary_add(sum, &j->states[c], 0, c, b->t, where);
    }
    guint wb = (guint)sum->w_trial;       /* the witness's boundary */
    if (o->witness_out && sum->have_witness) {
        const Bound *b = &g_array_index(j->bounds, Bound, wb);
        GError *e = NULL;
        Worker wk;
        worker_init(&wk, j, 0);
        if (worker_open(&wk, o->witness_out, &e) && advance_to(&wk, b->mev_n, b->fdone_n, b->t, &e) &&
            state_apply(&wk, b->pend, j->states[wb].witness_mask, &e) && fsync(wk.fd) != 0)
            g_set_error(&e, SIM_TRACE_ERROR, SIM_TRACE_ERROR_IO, "%s: cannot write (%s)", o->witness_out,
                        g_strerror(errno));
        worker_close(&wk, TRUE);         /* never remove the user's path */
        if (e)
            g_propagate_error(error, e);
    }
    return sum;
}

static int cmp_cut(gconstpointer a, gconstpointer b)
{
    SimTime x = *(const SimTime *)a, y = *(const SimTime *)b;
    return x < y ? -1 : x > y;
}

/* One case: simulate, cut, judge; one row per cut into tcsv (nullable).
 * NULL with error. */
static SimCaseResult *replay_case(const SimTrace *tr, const Tokens *k, const SimCaseSpec *cs,
                                  const ReplayOpts *o, const char *workdir, GString *tcsv, GError **error)
{
    SimWorld *w = sim_world_new(o->seed, 0);
    SimBlkDev *dev = sim_device_build(w, cs->dev_model, &cs->dev, &cs->raid, &cs->ssd);
    SimCaseResult *cr = NULL;
    SimCrashStatesSummary *cstates = NULL;
    guint64 nblocks = tr->hdr.image_bytes / SIM_TRACE_BLOCK;
    if (dev->nblocks < nblocks) {
        g_set_error(error, SIM_TRACE_ERROR, SIM_TRACE_ERROR_INPUT,
                    "case %s: the device has %" G_GUINT64_FORMAT " blocks, the trace needs %" G_GUINT64_FORMAT,
                    cs->name, dev->nblocks, nblocks);
        sim_blkdev_free(dev);
        sim_world_free(w);
        return NULL;
    }
    /* exhaustive: a pass-through tracker of what reached the device (no events of its own) */
    SimBlkDev *pl = o->exhaustive ? sim_pend_layer_new(w, dev) : NULL;
    SimBlkDev *q = sim_blkq_new(w, pl ? pl : dev);
    Sim s = { .w = w, .dev = dev, .q = q, .k = k, .tr = tr, .pl = pl,
              .bounds = pl ? g_array_new(FALSE, FALSE, sizeof(Bound)) : NULL,
              .use_times = !o->ignore_times && (tr->hdr.flags & SIM_TRACE_F_TIMES),
              .mev = g_array_new(FALSE, FALSE, sizeof(MediaEv)), .fdone = g_array_new(FALSE, FALSE, sizeof(FlushDone)),
              .wlat = g_array_new(FALSE, FALSE, sizeof(double)), .flat = g_array_new(FALSE, FALSE, sizeof(double)) };
    sim_media_set_listener(dev->media, on_media, &s);
    pump(&s);
    sim_world_run(w, SIM_TIME_MAX);       /* the stream, then the drive destaging what it holds */
    g_assert(!s.busy && s.idx >= tr->ops->len);
    /* cuts fall anywhere until the media stops changing */
    SimTime t_end = MAX(s.t_end, 1);
    if (s.mev->len)
        t_end = MAX(t_end, g_array_index(s.mev, MediaEv, s.mev->len - 1).t + 1);
    /* 2. cuts */
    SimRng *rng = sim_world_rng(w, "cuts");
    guint64 trials = o->trials;
    SimTime *cut;
    if (o->image_out) {         /* one instant: --image-at, or once the media stopped changing */
        cut = g_new(SimTime, 1);
        trials = 1;
        cut[0] = o->image_at < 0 ? t_end : MIN(sim_time_from_s(o->image_at), t_end);
    } else if (o->every_change) {      /* at 0, and just after each instant the media changed */
        cut = g_new(SimTime, s.mev->len + 1);
        trials = 0;
        cut[trials++] = 0;
        for (guint i = 0; i < s.mev->len; i++) {
            SimTime t = g_array_index(s.mev, MediaEv, i).t;
            if (t != cut[trials - 1])
                cut[trials++] = t;
        }
    } else {
        cut = g_new(SimTime, trials);
        for (guint64 i = 0; i < trials; i++)
            cut[i] = (SimTime)sim_rng_below(rng, (guint64)t_end);
        qsort(cut, trials, sizeof *cut, cmp_cut);
    }
    /* 3. judge: the sampled cuts, then (exhaustive) every state at each boundary */
    guint jobs = (guint)MIN((guint64)o->jobs, MAX(trials, 1));
    Judge j = { .k = k, .mev = s.mev, .fdone = s.fdone, .t_end = t_end, .cut = cut, .ncut = trials,
                .jobs = jobs, .out = g_new0(SimOutcome, trials), .why = g_new0(char *, trials),
                .workdir = workdir, .image_bytes = tr->hdr.image_bytes,
                .check = o->check, .check_timeout = o->check_timeout, .app = g_new(gint8, trials), .image_out = o->image_out,
                .max_pending = o->max_pending, .samples = o->samples, .seed = o->seed };
    memset(j.app, -1, trials);
    GError *first = judge_all(&j);
    if (!first && s.bounds) {
        j.bounds = s.bounds;
        j.jobs = (guint)MIN((guint64)o->jobs, MAX(s.bounds->len, 1));
        j.states = g_new0(SimCrashStates, s.bounds->len);
        first = judge_all(&j);
        if (!first)
            cstates = states_summary(&j, o, &first);
    }
    if (first) {
        g_propagate_error(error, first);
    } else {
        cr = sim_case_result_new(cs->name, 1);
        sim_case_echo_device(cr, cs);
        sim_sweep_echo(cs, cr);
        sim_case_result_add_param(cr, "replay.source", tr->hdr.source, SIM_PV_STRING);
        sim_case_result_add_param(cr, "replay.fs", tr->hdr.fs[0] ? tr->hdr.fs : "unknown", SIM_PV_STRING);
        sim_case_result_add_param(cr, "replay.checker", k->checker, SIM_PV_STRING);
        if (o->check)
            sim_case_result_add_param(cr, "replay.check", o->check, SIM_PV_STRING);
        sim_case_result_add_param(cr, "replay.flushes_recorded",
                                  tr->hdr.flags & SIM_TRACE_F_FLUSHES ? "true" : "false", SIM_PV_BOOL);
        g_autofree char *np = g_strdup_printf("%" G_GUINT64_FORMAT, s.promises);
        sim_case_result_add_param(cr, "replay.promise_marks", np, SIM_PV_NUMBER);
        SimCaseData *d = sim_case_data_new();
        SimRunSummary rs = { .run = 0, .trials = trials, .sim_seconds = sim_time_to_s(t_end),
                             .ops = s.writes, .bytes = s.bytes, .fsyncs = s.flushes };
        rs.notes = g_ptr_array_new_with_free_func(sim_trial_note_free);
        for (guint64 i = 0; tcsv && i < trials; i++) {
            char ts[32];
            sim_csv_quote(tcsv, cs->name);
            g_string_append_printf(tcsv, ",0,%" G_GUINT64_FORMAT ",%s,%s,", i,
                                   g_ascii_formatd(ts, sizeof ts, "%.9f", sim_time_to_s(cut[i])),
                                   sim_outcome_name(j.out[i]));
            sim_csv_quote(tcsv, j.why[i] ? j.why[i] : "");
            g_string_append_c(tcsv, '\n');
        }
        for (guint64 i = 0; i < trials; i++) {
            rs.counts[j.out[i]]++;
            if (j.out[i] != SIM_OUT_CONSISTENT && rs.counts[j.out[i]] <= MAX_NOTES) {
                SimTrialNote *n = g_new0(SimTrialNote, 1);
                n->run = 0;
                n->trial = i;
                n->t = cut[i];
                n->outcome = j.out[i];
                n->reason = g_strdup(j.why[i]);
                g_ptr_array_add(rs.notes, n);
            }
        }
        if (o->check) {      /* "app": the check cannot tell old from new: passes count as new */
            rs.has_app = TRUE;
            for (guint64 i = 0; i < trials; i++)
                if (j.app[i] >= 0)
                    rs.app[j.app[i] ? 1 : 2]++;
        }
        rs.pinc = trials ? (double)(rs.counts[SIM_OUT_CORRUPT] + rs.counts[SIM_OUT_UNMOUNTABLE]) / trials : 0;
        if (o->every_change) {
            /* exact: each durable state lasts from its cut to the next (the last to t_end) */
            SimTime bad = 0;
            for (guint64 i = 0; i < trials; i++)
                if (j.out[i] == SIM_OUT_CORRUPT || j.out[i] == SIM_OUT_UNMOUNTABLE)
                    bad += (i + 1 < trials ? cut[i + 1] : t_end) - cut[i];
            rs.pinc = (double)bad / (double)t_end;
        }
        if (dev->ops->get_stats)
            dev->ops->get_stats(dev, &rs.dev);
        sim_case_data_add_run(d, &rs);
        sim_lat_hist_add_ms(d->op_hist, (const double *)s.wlat->data, s.wlat->len);
        sim_lat_hist_add_ms(d->fsync_hist, (const double *)s.flat->data, s.flat->len);
        sim_case_result_aggregate(cr, d);
        cr->cstates = g_steal_pointer(&cstates);
    }
    if (cstates)
        g_free(cstates->w_reason);
    g_free(cstates);
    for (guint i = 0; s.bounds && i < s.bounds->len; i++) {
        g_array_free(g_array_index(s.bounds, Bound, i).pend, TRUE);
        if (j.states)
            sim_crash_states_clear(&j.states[i]);
    }
    if (s.bounds)
        g_array_free(s.bounds, TRUE);
    g_free(j.states);
    for (guint64 i = 0; i < trials; i++)
        g_free(j.why[i]);
    g_free(j.why);
    g_free(j.app);
    g_free(j.out);
    g_free(cut);
    g_array_free(s.mev, TRUE);
    g_array_free(s.fdone, TRUE);
    g_array_free(s.wlat, TRUE);
    g_array_free(s.flat, TRUE);
    sim_blkdev_free(q);
    sim_blkdev_free(pl);
    sim_blkdev_free(dev);
    sim_world_free(w);
    return cr;
}

/* Whether --case (names; none: every case) selects cs. */
static gboolean case_selected(const SimCaseSpec *cs, const GPtrArray *cases)
{
    for (guint c = 0; c < cases->len; c++)
        if (sim_case_matches(cs, g_ptr_array_index(cases, c)))
            return TRUE;
    return cases->len == 0;
}

int sim_cmd_replay(int argc, char **argv)
{
    const char *scenario = NULL, *preset = NULL, *json = NULL, *csv = NULL, *trace = NULL, *outdir = NULL,
               *trials_csv = NULL;
    GPtrArray *sets = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *cases = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *sweeps = g_ptr_array_new_with_free_func(g_free);
    GError *err = NULL;
    ReplayOpts o = { .trials = 20, .seed = 1, .jobs = g_get_num_processors(), .image_at = -1,
                     .max_pending = REPLAY_MAX_PENDING, .samples = REPLAY_SAMPLES, .check_timeout = 60 };
    const char *exh_opt = NULL;   /* an option that needs --crash-states exhaustive */
    const char *chk_opt = NULL;   /* an option that needs --check */
    gboolean quiet = FALSE;
    int status = SIM_EXIT_BAD_INPUT;
    g_autoptr(SimTrace) tr = NULL;
    g_autofree char *workdir = NULL, *scpath = NULL;
    g_autoptr(SimResults) res = NULL;
    g_autoptr(GString) js = NULL;
    g_autoptr(GString) cv = NULL;
    g_autoptr(GString) tcsv = NULL;
    g_autoptr(GPtrArray) plots = g_ptr_array_new_with_free_func(g_free);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(replay_help, stdout);
            status = 0;
            goto out;
        }
        if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            quiet = TRUE;
            continue;
        }
        if (!strcmp(a, "--ignore-times")) {
            o.ignore_times = TRUE;
            continue;
        }
        if (!strcmp(a, "--every-change")) {
            o.every_change = TRUE;
            continue;
        }
        if (a[0] != '-' || !a[1]) {
            if (trace) {
                sim_cli_usage("replay: unexpected argument '%s' (one TRACE)", a);
                goto out;
            }
            trace = a;
            continue;
        }
        if (i + 1 >= argc) {
            sim_cli_usage("replay: %s needs a value (see: powercut replay --help)", a);
            goto out;
        }
        const char *v = argv[++i];
        char *end = NULL;
        if (!strcmp(a, "--scenario"))
            scenario = v;
        else if (!strcmp(a, "--preset"))
            preset = v;
        else if (!strcmp(a, "-D") || !strcmp(a, "--set"))
            g_ptr_array_add(sets, g_strdup(v));
        else if (!strcmp(a, "--case"))
            g_ptr_array_add(cases, g_strdup(v));
        else if (!strcmp(a, "--sweep"))
            g_ptr_array_add(sweeps, g_strdup(v));
        else if (!strcmp(a, "--check"))
            o.check = v;
        else if (!strcmp(a, "--check-timeout")) {
            o.check_timeout = g_ascii_strtod(v, &end);
            if (end == v || *end || !(o.check_timeout > 0 && o.check_timeout <= 86400)) {
                sim_cli_usage("--check-timeout: '%s' is not allowed (seconds, more than 0, at most 86400)", v);
                goto out;
            }
            chk_opt = a;
        }
        else if (!strcmp(a, "--image-out"))
            o.image_out = v;
        else if (!strcmp(a, "--image-at")) {
            o.image_at = g_ascii_strtod(v, &end);
            if (end == v || *end || o.image_at < 0) {
                sim_cli_usage("--image-at: '%s' is not allowed (seconds, 0 or more)", v);
                goto out;
            }
        }
        else if (!strcmp(a, "--json"))
            json = v;
        else if (!strcmp(a, "--csv"))
            csv = v;
        else if (!strcmp(a, "-o") || !strcmp(a, "--out"))
            outdir = v;
        else if (!strcmp(a, "--trials-csv"))
            trials_csv = v;
        else if (!strcmp(a, "-n") || !strcmp(a, "--trials")) {
            o.trials = g_ascii_strtoull(v, &end, 10);
            if (end == v || *end || o.trials < 1 || o.trials > 1000000) {
                sim_cli_usage("--trials: '%s' is not allowed (1 to 1000000)", v);
                goto out;
            }
        } else if (!strcmp(a, "-s") || !strcmp(a, "--seed")) {
            o.seed = g_ascii_strtoull(v, &end, 10);
            if (end == v || *end) {
                sim_cli_usage("--seed: '%s' is not allowed (0 or more)", v);
                goto out;
            }
        } else if (!strcmp(a, "-j") || !strcmp(a, "--jobs")) {
            guint64 jj = g_ascii_strtoull(v, &end, 10);
            if (end == v || *end || jj > 1024) {
                sim_cli_usage("--jobs: '%s' is not allowed (1 to 1024, or 0 for every core)", v);
                goto out;
            }
            o.jobs = jj ? (guint)jj : g_get_num_processors();
        } else if (!strcmp(a, "--crash-states")) {
            if (strcmp(v, "timed") && strcmp(v, "exhaustive")) {
                sim_cli_usage("--crash-states: '%s' is not allowed (timed or exhaustive)", v);
                goto out;
            }
            o.exhaustive = !strcmp(v, "exhaustive");
        } else if (!strcmp(a, "--max-pending") || !strcmp(a, "--samples")) {
            gboolean mp = !strcmp(a, "--max-pending");
            guint64 x = g_ascii_strtoull(v, &end, 10);
            if (end == v || *end || x < 1 || x > (mp ? SIM_STATES_MAX_PENDING : 4096)) {
                sim_cli_usage(mp ? "--max-pending: '%s' is not allowed (1 to 20: up to 2^20 states per boundary)"
                                 : "--samples: '%s' is not allowed (1 to 4096 states per sampled boundary)", v);
                goto out;
            }
            *(mp ? &o.max_pending : &o.samples) = (guint)x;
            exh_opt = a;
        } else if (!strcmp(a, "--witness-out")) {
            o.witness_out = v;
            exh_opt = a;
        } else {
            sim_cli_usage("replay: unknown option '%s' (see: powercut replay --help)", a);
            goto out;
        }
    }
    if (!trace) {
        sim_cli_usage("replay: missing TRACE (see: powercut replay --help)");
        goto out;
    }
    if (chk_opt && !o.check) {
        sim_cli_usage("replay: %s: only with --check", chk_opt);
        goto out;
    }
    if (exh_opt && !o.exhaustive) {
        sim_cli_usage("replay: %s: only with --crash-states exhaustive", exh_opt);
        goto out;
    }
    if (o.witness_out) {         /* before any work: a plain file in a folder we can write */
        struct stat st;
        g_autofree char *dir = g_path_get_dirname(o.witness_out);
        if (stat(o.witness_out, &st) == 0 && !S_ISREG(st.st_mode)) {
            sim_cli_usage("--witness-out: %s exists and is not a regular file (it would be overwritten)", o.witness_out);
            goto out;
        }
        if (access(dir, W_OK) != 0) {
            sim_cli_usage("--witness-out: %s: cannot write in %s (%s)", o.witness_out, dir, g_strerror(errno));
            goto out;
        }
    }
    if (o.exhaustive && (o.every_change || o.image_out)) {
        sim_cli_usage("replay: --crash-states exhaustive excludes %s", o.every_change ? "--every-change" : "--image-out");
        goto out;
    }
    if (o.check && geteuid() != 0) {
        sim_cli_usage("replay: --check needs root (it mounts each recovered image read-only)");
        goto out;
    }
    {   /* the checkers live in sbin */
        const char *path = g_getenv("PATH");
        if (!path || !strstr(path, "sbin"))
        {
            g_autofree char *p = path ? g_strconcat(path, ":/usr/sbin:/sbin", NULL) : g_strdup("/usr/bin:/bin:/usr/sbin:/sbin");
            g_setenv("PATH", p, TRUE);
        }
    }
    if (scenario && preset) {
        sim_cli_usage("replay: --scenario and --preset exclude each other");
        goto out;
    }
    tr = sim_trace_load(trace, &err);
    if (!tr) {
        status = err->code == SIM_TRACE_ERROR_IO ? 1 : SIM_EXIT_BAD_INPUT;
        fprintf(stderr, "powercut: %s\n", err->message);
        g_error_free(err);
        goto out;
    }
    if ((tr->hdr.flags & SIM_TRACE_F_CONTENTS) && (!strcmp(tr->hdr.fs, "xfs") || !strcmp(tr->hdr.fs, "btrfs")) &&
        !o.image_out) {
        /* the kernel's own recovery (xfs log, btrfs log tree) is a mount */
        gboolean xfs = !strcmp(tr->hdr.fs, "xfs");
        g_autofree char *where = g_find_program_in_path(xfs ? "xfs_repair" : "btrfs");
        const char *why = geteuid() != 0 ? "needs root (log recovery mounts a copy of each crash image)"
                        : !where ? (xfs ? "needs xfs_repair (xfsprogs)" : "needs btrfs (btrfs-progs)")
                        : NULL;
        if (why) {
            sim_cli_usage("replay: %s: judging crash images of %s %s", trace, tr->hdr.fs, why);
            goto out;
        }
    }
    struct sigaction sa = { .sa_handler = replay_on_signal };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    replay_interrupted = 0;
    workdir = g_dir_make_tmp("powercut-replay-XXXXXX", &err);
    if (!workdir) {
        fprintf(stderr, "powercut: replay: %s\n", err->message);
        g_error_free(err);
        status = 1;
        goto out;
    }
    /* the cases: a scenario's, a preset's, or the default drive */
    if (!scenario) {
        scpath = g_build_filename(workdir, "replay.lua", NULL);
        /* a controller preset (model "raid") is the scenario's `raid` over default member
         * drives, a drive's its `device` */
        g_autofree char *text = preset ? g_strdup_printf("local presets = require \"presets\"\n"
                                                         "local p = presets[\"%s\"] {}\n"
                                                         "if p.model == \"raid\" then return { device = { model = \"raid\" }, raid = p } end\n"
                                                         "return { device = p }\n", preset)
                                       : g_strdup("return {}\n");
        if (preset && !g_regex_match_simple("^[A-Za-z_][A-Za-z0-9_]*$", preset, 0, 0)) {
            sim_cli_usage("--preset: '%s' is not a preset name (see: powercut list presets)", preset);
            rmdir(workdir);
            goto out;
        }
        g_file_set_contents(scpath, text, -1, NULL);
    }
    g_ptr_array_add(sets, NULL);
    g_ptr_array_add(sweeps, NULL);
    SimScenario *sc = sim_scenario_load_sweep(scenario ? scenario : scpath, (const char *const *)sets->pdata,
                                              (const char *const *)sweeps->pdata, o.seed, &err);
    if (scpath)
        unlink(scpath);
    if (!sc) {
        if (preset)
            fprintf(stderr, "powercut: --preset %s: %s\n", preset, err->message);
        else
            fprintf(stderr, "powercut: %s\n", err->message);
        g_error_free(err);
        rmdir(workdir);
        goto out;
    }
    for (guint c = 0; c < cases->len; c++) {
        gboolean found = FALSE;
        for (guint i = 0; i < sc->cases->len && !found; i++)
            found = sim_case_matches(g_ptr_array_index(sc->cases, i), g_ptr_array_index(cases, c));
        if (!found) {
            sim_cli_usage("replay: no case named '%s'", (char *)g_ptr_array_index(cases, c));
            sim_scenario_free(sc);
            rmdir(workdir);
            goto out;
        }
    }
    for (guint i = 0; o.exhaustive && i < sc->cases->len; i++) {
        const SimCaseSpec *cs = g_ptr_array_index(sc->cases, i);
        if (case_selected(cs, cases) && cs->dev_model == SIM_DEV_RAID && cs->raid.failed_member >= 0) {
            sim_cli_usage("replay: case %s: --crash-states exhaustive cannot enumerate a degraded RAID-5 "
                          "(raid.failed_member: the rebuild from parity corrupts blocks no pending write touched, "
                          "which no honest device does; allowed: raid.failed_member = -1, pick cases with --case)",
                          cs->name);
            sim_scenario_free(sc);
            rmdir(workdir);
            goto out;
        }
    }
    if (o.witness_out) {
        guint nsel = 0;
        for (guint i = 0; i < sc->cases->len; i++) {
            nsel += case_selected(g_ptr_array_index(sc->cases, i), cases);
        }
        if (nsel != 1) {
            sim_cli_usage("replay: --witness-out: %u cases selected, it needs one (choose it with --case)", nsel);
            sim_scenario_free(sc);
            rmdir(workdir);
            goto out;
        }
    }
    Tokens k;
    tokens_build(&k, tr);
    if (!o.image_out) {       /* ext4: roles for lost_fsync reasons */
        GError *le = NULL;
        k.layout = sim_layout_from_trace(tr, workdir, &le);
        if (le && !quiet)
            fprintf(stderr, "powercut: replay: %s: lost_fsync reasons name blocks without their role (%s)\n", trace,
                    le->message);
        g_clear_error(&le);
    }

    if (o.image_out && !k.contents) {
        sim_cli_usage("replay: --image-out: %s has no contents to build an image from", trace);
        tokens_clear(&k);
        sim_scenario_free(sc);
        rmdir(workdir);
        goto out;
    }
    guint npromise = 0;
    for (guint i = 0; i < tr->ops->len; i++) {
        const SimTraceOp *op = &g_array_index(tr->ops, SimTraceOp, i);
        npromise += op->rec.type == SIM_TREC_MARK && op->rec.length >= strlen(SIM_TRACE_PROMISE) &&
                    !memcmp(op->data, SIM_TRACE_PROMISE, strlen(SIM_TRACE_PROMISE));
    }
    if (!quiet && !(tr->hdr.flags & SIM_TRACE_F_FLUSHES) && !npromise)
        fprintf(stderr, "powercut: replay: %s: the %s trace records no flushes: every write is judged as "
                "unprotected, and lost_fsync cannot occur\n", trace, tr->hdr.source);
    if (!quiet && !k.fsck)
        fprintf(stderr, "powercut: replay: %s: %s: crash images are judged by the flush rule only "
                "(no file-system checker)\n", trace,
                !k.contents ? "the trace has no contents" : "the file system is not ext4, xfs or btrfs");
    res = sim_results_new(trace, o.seed);
    if (trials_csv)
        tcsv = g_string_new("case,run,trial,t_s,outcome,reason\n");
    status = 0;
    for (guint i = 0; i < sc->cases->len && status == 0; i++) {
        SimCaseSpec *cs = g_ptr_array_index(sc->cases, i);
        if (!case_selected(cs, cases))
            continue;
        SimCaseResult *cr = replay_case(tr, &k, cs, &o, workdir, tcsv, &err);
        if (!cr) {
            status = replay_interrupted ? 128 + replay_interrupted : err->code == SIM_TRACE_ERROR_INPUT ? SIM_EXIT_BAD_INPUT : 1;
            fprintf(stderr, "powercut: replay: %s\n", err->message);
            g_clear_error(&err);
            break;
        }
        if (o.image_out) {       /* the first selected case only */
            g_autofree char *at = o.image_at < 0 ? g_strdup("the end") : g_strdup_printf("%g s", o.image_at);
            printf("wrote %s: the durable image of case %s at %s\n", o.image_out, cs->name, at);
            sim_case_result_free(cr);
            break;
        }
        if (o.witness_out && !quiet)
            fprintf(stderr, cr->cstates && cr->cstates->have_witness
                                ? "powercut: replay: wrote %s: the crash image of the witness of case %s\n"
                                : "powercut: replay: %s not written: case %s has no corrupt or unmountable state\n",
                    o.witness_out, cs->name);
        g_ptr_array_add(res->cases, cr);
    }
    tokens_clear(&k);
    sim_scenario_free(sc);
    rmdir(workdir);
    if (status || o.image_out)
        goto out;
    js = sim_report_json(res);
    cv = sim_report_csv(res);
    if (json && !sim_write_file_atomic(json, js->str, js->len, &err)) {
        fprintf(stderr, "powercut: %s\n", err->message);
        g_error_free(err);
        status = 1;
        goto out;
    }
    if (csv && !sim_write_file_atomic(csv, cv->str, cv->len, &err)) {
        fprintf(stderr, "powercut: %s\n", err->message);
        g_error_free(err);
        status = 1;
        goto out;
    }
    if (trials_csv && !sim_write_file_atomic(trials_csv, tcsv->str, tcsv->len, &err)) {
        fprintf(stderr, "powercut: %s\n", err->message);
        g_error_free(err);
        status = 1;
        goto out;
    }
    if (outdir) {
        g_autofree char *jp = g_build_filename(outdir, "results.json", NULL);
        g_autofree char *cp = g_build_filename(outdir, "results.csv", NULL);
        if (g_mkdir_with_parents(outdir, 0777) < 0) {
            fprintf(stderr, "powercut: %s: cannot create directory (%s)\n", outdir, g_strerror(errno));
            status = 1;
            goto out;
        }
        if (!sim_write_file_atomic(jp, js->str, js->len, &err) || !sim_write_file_atomic(cp, cv->str, cv->len, &err)) {
            fprintf(stderr, "powercut: %s\n", err->message);
            g_error_free(err);
            status = 1;
            goto out;
        }
        status = powercut_plots_after_run(jp, js, outdir, plots);
    }
    gboolean stdout_taken = (json && !strcmp(json, "-")) || (csv && !strcmp(csv, "-")) ||
                            (trials_csv && !strcmp(trials_csv, "-"));
    if (!quiet && !stdout_taken && status == 0) {
        g_autoptr(GString) t = g_string_new(NULL);
        sim_report_table(res, t);
        fputs(t->str, stdout);
        if (outdir)
            printf("wrote %s/results.json and %s/results.csv\n", outdir, outdir);
        for (guint i = 0; i < plots->len; i++)
            printf("wrote %s\n", (char *)g_ptr_array_index(plots, i));
    }
out:
    g_ptr_array_free(sets, TRUE);
    g_ptr_array_free(cases, TRUE);
    g_ptr_array_free(sweeps, TRUE);
    return status;
}

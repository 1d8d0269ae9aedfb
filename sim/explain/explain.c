/* sim/explain/explain.c - `powercut explain`: one power cut told block by block.
 *
 * 1. Pick the run and the cut instant exactly as `run` does: trial K of run
 *    R is the K-th draw of run R's "cuts" stream (seeded from the master seed,
 *    the run and the name only, sim.h); --first OUTCOME simulates the runs in
 *    order with the evaluator and takes the first sampled cut of that class.
 * 2. Simulate run R again up to the cut with two tracing layers (fs -> trace
 *    -> blkq -> trace -> disk) and the media listener. The tracing layers only
 *    forward (a child io per request, completed synchronously from the
 *    child's completion, no events of their own), so the history is the one
 *    `run` simulated; they exist only in this command's stack.
 * 3. At the cut the durable image is the media; recover and check it as the
 *    evaluator does, then tell where each recent write was, what the cut
 *    destroyed, what recovery did, and why the verdict follows.
 *    Below the trace a RAID controller or an SSD has layers of its own: the
 *    device model says where a version is inside it (sim_raid_where,
 *    sim_ssd_where: block_where); the durable image is the controller's
 *    logical one, which can go back to an older version (R2) or to garbage
 *    (R5), so on RAID "landed once" is not "durable" (later_on_media).
 */
#include "../cli.h"
#include "explain.h"
#include "../run.h"
#include "../crash/crash.h"
#include "../crash/states.h"
#include "../fs/runner.h"
#include "../fs/app.h"
#include "../blk/media.h"
#include "../dev/raid.h"
#include "../dev/ssd.h"
#include "../report/plot.h"
#include <json-glib/json-glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define EXIT_BAD_INPUT 2

/* ---- the trace ------------------------------------------------------------------- */

typedef struct {
    guint8   op;                 /* SimIoOp */
    guint8   flags;
    guint16  origin;
    guint32  tid;
    guint32  n;
    guint64  block;
    SimToken *tok;               /* n tokens (writes) */
    SimTime  t_issue, t_done;    /* at the block layer's top (fs view); -1: not yet */
    SimTime  t_dev, t_dev_done;  /* its data write at the disk; -1: not yet */
} FsRec;

typedef struct {
    guint8   op, flags;
    guint16  origin;
    guint32  tid, n;
    guint64  block;
    gint64   fsrec;              /* the fs request it serves, -1 if none */
    SimTime  t_sub, t_done;
} DevRec;

typedef struct { SimTime t; guint64 block; SimToken tok; } Land;

typedef struct {
    SimWorld  *w;
    GArray    *fs, *dev, *land;
    SimBlkDev *up, *low;
} Trace;

typedef struct { Trace *tr; gboolean upper; } Tap;

static void tap_done(SimIo *c, gpointer ctx)
{
    SimBlkDev *d = ctx;
    Tap *tp = d->priv;
    Trace *tr = tp->tr;
    SimTime now = sim_now(d->w);
    if (c->sub_i >= 0) {
        if (tp->upper) {
            g_array_index(tr->fs, FsRec, c->sub_i).t_done = now;
        } else {
            DevRec *r = &g_array_index(tr->dev, DevRec, c->sub_i);
            r->t_done = now;
            if (r->op == SIM_IO_WRITE && r->fsrec >= 0)
                g_array_index(tr->fs, FsRec, r->fsrec).t_dev_done = now;
        }
    }
    sim_io_forward_done(d->w, c);
}

static void tap_submit(SimBlkDev *d, SimIo *io)
{
    Tap *tp = d->priv;
    Trace *tr = tp->tr;
    SimIo *c = sim_io_forward(io, tap_done, d);
    SimTime now = sim_now(d->w);
    if (io->op != SIM_IO_READ) {
        if (tp->upper) {
            FsRec r = { .op = (guint8)io->op, .flags = (guint8)io->flags, .origin = io->origin, .tid = io->tid,
                        .n = io->nblocks, .block = io->block, .t_issue = now, .t_done = -1, .t_dev = -1,
                        .t_dev_done = -1 };
            if (io->op == SIM_IO_WRITE)
                r.tok = g_memdup2(io->tokens, sizeof(SimToken) * io->nblocks);
            c->sub_i = tr->fs->len;
            g_array_append_val(tr->fs, r);
        } else {
            /* the fs request this serves: the upper tap's own io, or blkq's child of it */
            gint64 fsrec = -1;
            if (io->done == tap_done && io->ctx == tr->up)
                fsrec = io->sub_i;
            else if (io->parent && io->parent->done == tap_done && io->parent->ctx == tr->up)
                fsrec = io->parent->sub_i;
            DevRec r = { .op = (guint8)io->op, .flags = (guint8)io->flags, .origin = io->origin, .tid = io->tid,
                         .n = io->nblocks, .block = io->block, .fsrec = fsrec, .t_sub = now, .t_done = -1 };
            if (io->op == SIM_IO_WRITE && fsrec >= 0) {
                FsRec *f = &g_array_index(tr->fs, FsRec, fsrec);
                if (f->t_dev < 0)
                    f->t_dev = now;
            }
            c->sub_i = tr->dev->len;
            g_array_append_val(tr->dev, r);
        }
    }
    sim_blk_submit(d->lower, c);
}

static void tap_destroy(SimBlkDev *d) { g_free(d->priv); }

static const SimBlkOps tap_ops = {
    .version = SIM_BLK_OPS_VERSION,
    .name = "trace",
    .submit = tap_submit,
    .destroy = tap_destroy,
};

static SimBlkDev *tap_new(SimWorld *w, Trace *tr, SimBlkDev *lower, gboolean upper)
{
    Tap *tp = g_new0(Tap, 1);
    tp->tr = tr;
    tp->upper = upper;
    SimBlkDev *d = sim_blkdev_new(&tap_ops, upper ? "trace-fs" : "trace-disk", w, tp);
    d->lower = lower;
    d->caps = lower->caps;
    d->nblocks = lower->nblocks;
    d->atomic_bytes = lower->atomic_bytes;
    return d;
}

static void on_land(gpointer ud, guint64 block, SimToken old_tok, SimToken new_tok)
{
    Trace *tr = ud;
    Land l = { sim_now(tr->w), block, new_tok };
    g_array_append_val(tr->land, l);
}

/* ---- one traced run up to the cut ------------------------------------------------- */

typedef struct {
    SimLuaWorkload *lw;
} LuaGen;

static gboolean lua_gen(gpointer ud, guint thread, guint64 iteration, GArray *ops, GError **error)
{
    LuaGen *g = ud;
    return sim_lua_workload_next(g->lw, thread, iteration, ops, error);
}

typedef enum { ST_MEDIA, ST_OVERWRITTEN, ST_TORN, ST_SUPERSEDED, ST_QUEUE, ST_FLIGHT, ST_CACHE } BlockState;

/* Where a block was, refined by the device model (sim_raid_where,
 * sim_ssd_where): kind | member << 8. The kinds below W_DEV are the
 * BlockStates (an hdd, or what no device refinement applies to). */
typedef guint32 Where;
enum {
    W_DEV = 16,
    /* durable at the cut */
    W_NV_BATTERY = W_DEV, W_NV_FLASH, W_MEMBER_MEDIA, W_REBUILT_OK, W_PLP_BUFFER,
    /* lost at the cut */
    W_CTRL_CACHE, W_MEMBER_FLIGHT, W_MEMBER_CACHE, W_REBUILT_GARBAGE, W_CTRL_FLIGHT,
    W_SSD_FLIGHT, W_SSD_BUFFER, W_SSD_PROGRAM, W_SSD_PROGRAM_BITS, W_SSD_PROGRAM_FLY, W_SSD_MAP_PENDING,
    W_SUPERSEDED_DEV,            /* a later write of the block replaced it inside the device */
    W_CTRL_CACHE_EXPIRED,        /* a battery-backed controller cache the outage outlasts (R4) */
};
#define W_KIND(w) ((w) & 0xffu)
#define W_MEMBER(w) (((w) >> 8) & 0xffu)
/* a mirror's second copy (RAID-1/10): its kind (a member kind, 0: not told) and member */
#define W_MIRROR(kind, m) ((guint32)(kind) << 16 | (guint32)(m) << 24)
#define W_MKIND(w) (((w) >> 16) & 0xffu)
#define W_MMEMBER(w) ((w) >> 24)
#define W_PRIMARY(w) ((w) & 0xffffu)   /* without the mirror (for sentences) */

typedef struct {
    /* what was simulated */
    const SimCaseSpec *cs;
    SimTime    cut;
    Trace      tr;
    SimWorld  *w;
    SimBlkDev *hdd, *pl, *low, *q, *up;   /* pl: the pending tracker (--witness) */
    SimFs     *fs;
    SimRunner *rn;
    SimApp    *app;
    LuaGen     lg;
    const SimFsLayout *L;
    const SimContent  *C;
    SimMedia  *m;
    SimDevModel model;
    /* the judgement */
    SimChecker *chk;
    SimRecovery rec;
    SimOutcome  outcome;
    GString    *reason;
    int         app_outcome;     /* -1 without an application oracle */
    GString    *app_reason;
    /* indexes */
    GHashTable *landed;          /* (block << 32 | base token) -> first landing time (SimTime*) */
    SimTime    *land_times;
    GHashTable *by_block;        /* block -> GArray of fs write indexes (issue order) */
} Ex;

static guint64 lkey(guint64 block, SimToken tok) { return (block << 32) | sim_token_base(tok); }

static gboolean ex_simulate(Ex *x, const SimScenario *sc, const SimCaseSpec *cs, guint64 seed, guint run,
                            SimTime cut, GError **error)
{
    x->cs = cs;
    x->cut = cut;
    x->w = sim_world_new(seed, run);
    x->tr.w = x->w;
    x->tr.fs = g_array_new(FALSE, FALSE, sizeof(FsRec));
    x->tr.dev = g_array_new(FALSE, FALSE, sizeof(DevRec));
    x->tr.land = g_array_new(FALSE, FALSE, sizeof(Land));
    x->hdd = sim_device_build(x->w, cs->dev_model, &cs->dev, &cs->raid, &cs->ssd);   /* as run_one builds it */
    x->pl = sim_pend_layer_new(x->w, x->hdd);
    x->low = tap_new(x->w, &x->tr, x->pl, FALSE);
    x->q = sim_blkq_new(x->w, x->low);
    x->up = tap_new(x->w, &x->tr, x->q, TRUE);
    x->tr.up = x->up;
    x->tr.low = x->low;
    x->fs = sim_fs_new(x->w, &cs->fs, x->up, x->hdd->media, (guint)cs->wl.dirs);
    x->m = x->hdd->media;
    x->model = cs->dev_model;
    x->L = sim_fs_layout(x->fs);
    x->C = sim_fs_content(x->fs);
    SimTime until = sim_time_from_s(cs->run.duration_s);
    if (cs->wl.kind == SIM_WL_LUA) {
        x->lg.lw = sim_lua_workload_new(sc, cs, seed, run, error);
        if (!x->lg.lw)
            return FALSE;
    }
    x->rn = sim_runner_new(x->w, x->fs, &cs->wl, x->lg.lw ? lua_gen : NULL, &x->lg, until);
    x->app = sim_app_new(x->fs, &cs->wl);
    if (x->app)
        sim_runner_set_app(x->rn, x->app);
    sim_media_set_listener(x->m, on_land, &x->tr);
    sim_world_run(x->w, cut);
    sim_media_set_listener(x->m, NULL, NULL);
    const SimRunnerStats *st = sim_runner_stats(x->rn);
    if (st->error) {
        g_propagate_error(error, g_error_copy(st->error));
        return FALSE;
    }
    /* the cut: the media is the durable image; recover and check it as the evaluator does */
    x->chk = sim_checker_new(x->fs);
    sim_recovery_init(&x->rec);
    sim_recover(x->L, x->C, x->m, &x->rec);
    GPtrArray *pr = sim_fs_promises(x->fs);
    x->reason = g_string_new(NULL);
    x->outcome = sim_check_recovered(x->chk, x->m, &x->rec, pr, x->reason);
    g_ptr_array_free(pr, TRUE);
    if (x->outcome == SIM_OUT_CONSISTENT)
        g_string_truncate(x->reason, 0);
    x->app_outcome = -1;
    x->app_reason = g_string_new(NULL);
    if (x->app)
        x->app_outcome = sim_check_app(x->chk, x->m, &x->rec, x->app, x->app_reason);

    /* indexes */
    guint nl = x->tr.land->len;
    x->land_times = g_new(SimTime, MAX(nl, 1));
    x->landed = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    for (guint i = 0; i < nl; i++) {
        const Land *l = &g_array_index(x->tr.land, Land, i);
        gint64 k = (gint64)lkey(l->block, l->tok);
        if (!g_hash_table_contains(x->landed, &k)) {
            x->land_times[i] = l->t;
            g_hash_table_insert(x->landed, g_memdup2(&k, sizeof k), &x->land_times[i]);
        }
    }
    x->by_block = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, (GDestroyNotify)g_array_unref);
    for (guint i = 0; i < x->tr.fs->len; i++) {
        const FsRec *f = &g_array_index(x->tr.fs, FsRec, i);
        if (f->op != SIM_IO_WRITE)
            continue;
        for (guint32 j = 0; j < f->n; j++) {
            gint64 b = (gint64)(f->block + j);
            GArray *a = g_hash_table_lookup(x->by_block, &b);
            if (!a) {
                a = g_array_new(FALSE, FALSE, sizeof(guint));
                g_hash_table_insert(x->by_block, g_memdup2(&b, sizeof b), a);
            }
            g_array_append_val(a, i);
        }
    }
    return TRUE;
}

static void ex_clear(Ex *x)
{
    if (x->chk)
        sim_checker_free(x->chk);
    if (x->reason) {
        sim_recovery_clear(&x->rec);
        g_string_free(x->reason, TRUE);
        g_string_free(x->app_reason, TRUE);
    }
    if (x->landed)
        g_hash_table_destroy(x->landed);
    if (x->by_block)
        g_hash_table_destroy(x->by_block);
    g_free(x->land_times);
    if (x->rn)
        sim_runner_free(x->rn);
    sim_app_free(x->app);
    if (x->lg.lw)
        sim_lua_workload_free(x->lg.lw);
    if (x->fs)
        sim_fs_free(x->fs);
    sim_blkdev_free(x->up);
    sim_blkdev_free(x->q);
    sim_blkdev_free(x->low);
    sim_blkdev_free(x->pl);
    sim_blkdev_free(x->hdd);
    if (x->tr.fs) {
        for (guint i = 0; i < x->tr.fs->len; i++)
            g_free(g_array_index(x->tr.fs, FsRec, i).tok);
        g_array_free(x->tr.fs, TRUE);
        g_array_free(x->tr.dev, TRUE);
        g_array_free(x->tr.land, TRUE);
    }
    if (x->w)
        sim_world_free(x->w);
}

/* ---- where things were at the cut ------------------------------------------------- */

static SimTime landed_at(const Ex *x, guint64 block, SimToken tok)
{
    gint64 k = (gint64)lkey(block, tok);
    SimTime *t = g_hash_table_lookup(x->landed, &k);
    return t ? *t : -1;
}

/* Is there a later fs write of `block` than fs record `idx`? */
static gboolean superseded(const Ex *x, guint idx, guint64 block)
{
    gint64 b = (gint64)block;
    GArray *a = g_hash_table_lookup(x->by_block, &b);
    return a && g_array_index(a, guint, a->len - 1) > idx;
}

/* Does the media hold a later fs write's version of `block` than fs record
 * `idx`? A RAID controller's logical image can also go BACK to an older
 * version (a line freed from a non-volatile cache falls back to the member
 * media, R2) or to garbage (a degraded RAID-5 rebuild, R5): then the write
 * that landed once is not durable at the cut. */
static gboolean later_on_media(const Ex *x, guint idx, guint64 block, SimToken m)
{
    gint64 b = (gint64)block;
    GArray *a = g_hash_table_lookup(x->by_block, &b);
    for (guint i = a ? a->len : 0; i-- > 0;) {
        guint k = g_array_index(a, guint, i);
        if (k <= idx)
            break;
        const FsRec *f = &g_array_index(x->tr.fs, FsRec, k);
        if (f->tok[block - f->block] == sim_token_base(m))
            return TRUE;
    }
    return FALSE;
}

static BlockState block_state(const Ex *x, guint idx, guint32 j)
{
    const FsRec *f = &g_array_index(x->tr.fs, FsRec, idx);
    guint64 b = f->block + j;
    SimToken tok = f->tok[j], m = sim_media_get(x->m, b);
    if (m == tok)
        return ST_MEDIA;
    if (sim_token_is_torn(m) && sim_token_base(m) == tok)
        return ST_TORN;
    if (landed_at(x, b, tok) >= 0 && (x->model != SIM_DEV_RAID || later_on_media(x, idx, b, m)))
        return ST_OVERWRITTEN;
    if (superseded(x, idx, b))
        return ST_SUPERSEDED;
    if (f->t_dev_done >= 0)
        return ST_CACHE;
    if (f->t_dev >= 0)
        return ST_FLIGHT;
    return ST_QUEUE;
}

/* The device's refinement of a block's state (hdd: the state itself). */
static Where block_where(const Ex *x, guint idx, guint32 j)
{
    BlockState s = block_state(x, idx, j);
    const FsRec *f = &g_array_index(x->tr.fs, FsRec, idx);
    guint64 b = f->block + j;
    SimToken tok = f->tok[j];
    if (s == ST_SUPERSEDED && x->model != SIM_DEV_HDD)
        return W_SUPERSEDED_DEV;
    if (x->model == SIM_DEV_RAID) {
        if (s == ST_FLIGHT)
            return W_CTRL_FLIGHT;
        if (s != ST_MEDIA && s != ST_CACHE)
            return s;
        guint mem = 0, mir = 0;
        SimRaidAt ma = SIM_RAID_AT_NONE;
        SimRaidAt a = sim_raid_where(x->hdd, b, tok, &mem, &ma, &mir);
        guint32 mw = ma == SIM_RAID_AT_MEMBER_CACHE ? W_MIRROR(W_MEMBER_CACHE, mir)
                   : ma == SIM_RAID_AT_MEMBER_MEDIA ? W_MIRROR(W_MEMBER_MEDIA, mir)
                   : ma == SIM_RAID_AT_MEMBER_FLIGHT ? W_MIRROR(W_MEMBER_FLIGHT, mir) : 0;
        switch (a) {
        case SIM_RAID_AT_NV_CACHE:
            return x->cs->raid.backing == SIM_RAID_BACKING_FLASH ? W_NV_FLASH : W_NV_BATTERY;
        case SIM_RAID_AT_VOL_CACHE:
            return x->cs->raid.backing == SIM_RAID_BACKING_BATTERY ? W_CTRL_CACHE_EXPIRED : W_CTRL_CACHE;
        case SIM_RAID_AT_REBUILT_OK: return W_REBUILT_OK | mem << 8;
        case SIM_RAID_AT_REBUILT_GARBAGE: return W_REBUILT_GARBAGE | mem << 8;
        case SIM_RAID_AT_MEMBER_CACHE: return (s == ST_MEDIA ? ST_MEDIA : W_MEMBER_CACHE | mem << 8 | mw);
        case SIM_RAID_AT_MEMBER_MEDIA: return (s == ST_MEDIA ? W_MEMBER_MEDIA | mem << 8 | mw : s);
        case SIM_RAID_AT_MEMBER_FLIGHT: return (s == ST_MEDIA ? ST_MEDIA : W_MEMBER_FLIGHT | mem << 8 | mw);
        default: return s;
        }
    }
    if (x->model == SIM_DEV_SSD) {
        if (s == ST_FLIGHT)
            return W_SSD_FLIGHT;
        if (s != ST_MEDIA && s != ST_CACHE)
            return s;
        SimSsdAt a = sim_ssd_where(x->hdd, b, tok);
        if (s == ST_MEDIA)
            return (a == SIM_SSD_AT_BUFFER || a == SIM_SSD_AT_PROGRAM) && x->cs->ssd.plp ? W_PLP_BUFFER : s;
        switch (a) {
        case SIM_SSD_AT_BUFFER: return W_SSD_BUFFER;
        case SIM_SSD_AT_PROGRAM: return W_SSD_PROGRAM;
        case SIM_SSD_AT_PROGRAM_BITS: return W_SSD_PROGRAM_BITS;
        case SIM_SSD_AT_PROGRAM_FLY: return W_SSD_PROGRAM_FLY;
        case SIM_SSD_AT_MAP_PENDING: return W_SSD_MAP_PENDING;
        default: return s;
        }
    }
    return s;
}

typedef struct {
    guint n, durable, torn, superseded, lost;
    Where where;                 /* where the lost blocks were (queue/flight/cache, refined by the device) */
    Where dwhere;                /* where the durable blocks were (ST_MEDIA unless the device says more) */
    SimTime t_landed;            /* last landing of its blocks, -1 if none */
} WriteFate;

static WriteFate write_fate(const Ex *x, guint idx)
{
    const FsRec *f = &g_array_index(x->tr.fs, FsRec, idx);
    WriteFate r = { .n = f->n, .where = ST_CACHE, .dwhere = ST_MEDIA, .t_landed = -1 };
    for (guint32 j = 0; j < f->n; j++) {
        BlockState s = block_state(x, idx, j);
        Where w = (s == ST_MEDIA || s == ST_QUEUE || s == ST_FLIGHT || s == ST_CACHE) ? block_where(x, idx, j) : s;
        if (s == ST_MEDIA && W_KIND(w) != ST_MEDIA)
            r.dwhere = w;
        SimTime lt = landed_at(x, f->block + j, f->tok[j]);
        if (lt > r.t_landed)
            r.t_landed = lt;
        switch (s) {
        case ST_MEDIA: case ST_OVERWRITTEN: r.durable++; break;
        case ST_TORN: r.torn++; break;
        case ST_SUPERSEDED: r.superseded++; break;
        default: r.lost++; r.where = w; break;
        }
    }
    return r;
}

/* Device texts naming members: built once per Where, kept for the process
 * (explain is one command of one thread). */
static const char *member_text(Where w)
{
    static GHashTable *texts;
    if (!texts)
        texts = g_hash_table_new(g_direct_hash, g_direct_equal);
    char *t = g_hash_table_lookup(texts, GUINT_TO_POINTER(w));
    if (t)
        return t;
    guint kind = W_KIND(w), m = W_MEMBER(w), mk = W_MKIND(w), mm = W_MMEMBER(w);
    const char *f = kind == W_MEMBER_MEDIA ? "on member %u's media"
                  : kind == W_MEMBER_FLIGHT ? "in flight to member %u (sent by the controller, not yet completed)"
                  : kind == W_MEMBER_CACHE ? "in member %u's volatile cache (the controller had freed it)"
                  : kind == W_REBUILT_OK ? "on failed member %u; rebuilt correctly from parity"
                  : "on failed member %u; rebuilt from parity as garbage (a stripe write to its row was cut)";
    GString *g = g_string_new(NULL);
    g_string_append_printf(g, f, m);
    if (mk)
        g_string_append_printf(g, "; its mirror copy %s member %u%s",
                               mk == W_MEMBER_MEDIA ? "on" : mk == W_MEMBER_FLIGHT ? "in flight to" : "in",
                               mm, mk == W_MEMBER_MEDIA ? "'s media" : mk == W_MEMBER_CACHE ? "'s volatile cache" : "");
    t = g_string_free(g, FALSE);
    g_hash_table_insert(texts, GUINT_TO_POINTER(w), t);
    return t;
}

static const char *where_name(Where w);

/* write_fate without the mirror copies (for sentences). */
static WriteFate write_fate_primary(const Ex *x, guint idx)
{
    WriteFate r = write_fate(x, idx);
    r.where = W_PRIMARY(r.where);
    r.dwhere = W_PRIMARY(r.dwhere);
    return r;
}

static const char *where_name(Where w)
{
    switch (W_KIND(w)) {
    case ST_QUEUE: return "in the host queue (not yet sent to the drive)";
    case ST_FLIGHT: return "in flight to the drive";
    case W_NV_BATTERY: return "in the battery-backed controller cache (survives)";
    case W_NV_FLASH: return "in the flash-backed controller cache (survives)";
    case W_PLP_BUFFER: return "in the PLP-protected buffer (durable)";
    case W_CTRL_CACHE: return "in the controller's volatile cache";
    case W_CTRL_FLIGHT: return "in flight to the controller";
    case W_SSD_FLIGHT: return "in flight to the SSD";
    case W_SSD_BUFFER: return "in the DRAM buffer (volatile)";
    case W_SSD_PROGRAM: return "being programmed (not landed yet: the cut stops the program)";
    case W_SSD_PROGRAM_BITS: return "being programmed; its blocks hold garbage until the program ends (bit corruption)";
    case W_SSD_PROGRAM_FLY: return "being programmed onto the wrong page (flying write)";
    case W_SSD_MAP_PENDING: return "programmed, but its mapping update was not persisted (unserializable write)";
    case W_SUPERSEDED_DEV: return "overwritten by a later write of the block before it became durable";
    case W_CTRL_CACHE_EXPIRED: return "in the battery-backed controller cache, lost: the outage outlasts the battery";
    case W_MEMBER_MEDIA: case W_MEMBER_FLIGHT: case W_MEMBER_CACHE: case W_REBUILT_OK: case W_REBUILT_GARBAGE:
        return member_text(w);
    default: return "in the drive cache (completed, not durable)";
    }
}

/* A block's state in words (for sentences). */
static const char *state_text(Where s)
{
    switch (W_KIND(s)) {
    case ST_MEDIA: return "on media";
    case ST_OVERWRITTEN: return "on media (since overwritten by a later version)";
    case ST_TORN: return "torn";
    case ST_SUPERSEDED: return "overwritten in the drive cache by a later write before it reached the platter";
    default: return where_name(s);
    }
}

static const char *where_key(Where s)
{
    switch (W_KIND(s)) {
    case W_NV_BATTERY: case W_NV_FLASH: return "controller_nv_cache";
    case W_PLP_BUFFER: return "plp_buffer";
    case W_CTRL_CACHE: return "controller_cache";
    case W_CTRL_FLIGHT: return "in_flight";
    case W_SSD_FLIGHT: return "in_flight";
    case W_SSD_BUFFER: return "dram_buffer";
    case W_SSD_PROGRAM: return "programming";
    case W_SSD_PROGRAM_BITS: return "programming_bit_corruption";
    case W_SSD_PROGRAM_FLY: return "programming_flying";
    case W_SSD_MAP_PENDING: return "mapping_not_persisted";
    case W_SUPERSEDED_DEV: return "superseded";
    case W_CTRL_CACHE_EXPIRED: return "controller_cache_expired";
    case W_MEMBER_MEDIA: return "member_media";
    case W_MEMBER_FLIGHT: return "member_in_flight";
    case W_MEMBER_CACHE: return "member_cache";
    case W_REBUILT_OK: return "rebuilt_ok";
    case W_REBUILT_GARBAGE: return "rebuilt_garbage";
    case ST_MEDIA: return "on_media";
    case ST_OVERWRITTEN: return "on_media_overwritten";
    case ST_TORN: return "torn";
    case ST_SUPERSEDED: return "superseded";
    case ST_QUEUE: return "host_queue";
    case ST_FLIGHT: return "in_flight";
    default: return "drive_cache";
    }
}

/* "on media", "in the drive cache ...", "partly on media (2 of 4 blocks)", ... */
static char *fate_text(const WriteFate *r, const char **key)
{
    if (r->torn) {
        *key = "torn";
        return g_strdup_printf("torn (%u of %u blocks partly written)", r->torn, r->n);
    }
    if (r->lost == 0 && r->durable == 0) {
        *key = "superseded";
        return g_strdup("superseded in the cache by a later write of the same block(s)");
    }
    if (r->lost == 0 && W_KIND(r->dwhere) != ST_MEDIA) {
        *key = where_key(r->dwhere);
        return g_strdup_printf("%s%s", where_name(r->dwhere), r->superseded ? " (partly superseded by later writes)" : "");
    }
    if (r->lost == 0) {
        *key = "on_media";
        return g_strdup(r->superseded ? "on media (partly superseded by later writes)" : "on media");
    }
    if (r->durable) {
        *key = "partial";
        return g_strdup_printf("partly on media (%u of %u blocks); the rest %s", r->durable, r->n,
                               where_name(r->where));
    }
    *key = where_key(r->where);
    return g_strdup(where_name(r->where));
}

static const char *loc_name(SimLocKind k)
{
    switch (k) {
    case SIM_LOC_SB: return "superblock";
    case SIM_LOC_BBITMAP: return "block bitmap";
    case SIM_LOC_IBITMAP: return "inode bitmap";
    case SIM_LOC_ITABLE: return "inode table";
    case SIM_LOC_JOURNAL: return "journal";
    default: return "data";
    }
}

/* "1031 (log 22)", "2895-2896 (data)", "12 (inode table)" */
static char *blocks_text(const Ex *x, guint64 block, guint32 n)
{
    GString *s = g_string_new(NULL);
    if (n <= 1)
        g_string_append_printf(s, "%" G_GUINT64_FORMAT, block);
    else
        g_string_append_printf(s, "%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT, block, block + n - 1);
    SimLocKind k = sim_fs_loc(x->L, block);
    if (k == SIM_LOC_JOURNAL) {
        guint32 pos = (guint32)(block - x->L->jstart);
        if (pos == 0)
            g_string_append(s, " (journal sb)");
        else
            g_string_append_printf(s, " (log %u)", pos);
    } else {
        g_string_append_printf(s, " (%s)", loc_name(k));
    }
    return g_string_free(s, FALSE);
}

static char *flags_text(guint32 flags)
{
    if (!flags)
        return g_strdup("");
    return g_strdup_printf("%s%s%s", flags & SIM_IO_PREFLUSH ? "PREFLUSH" : "",
                           (flags & SIM_IO_PREFLUSH) && (flags & SIM_IO_FUA) ? "+" : "",
                           flags & SIM_IO_FUA ? "FUA" : "");
}

static char *tid_text(guint32 tid) { return tid ? g_strdup_printf("T%u", tid) : g_strdup("-"); }

/* The content a token stands for, in words. */
static char *tok_text(const Ex *x, SimToken t)
{
    SimToken base = sim_token_base(t);
    const SimVer *v = sim_content_get(x->C, base);
    const char *torn = sim_token_is_torn(t) ? "a torn " : "";
    if (base == 0)
        return g_strdup_printf("%szeroes", torn);
    if (v->type == SIM_BT_DATA)
        return g_strdup_printf("%sdata of inode %u block %u", torn, v->u.data.ino, v->u.data.lblk);
    if (v->tid)
        return g_strdup_printf("%s%s of T%u", torn, sim_blk_type_name(v->type), v->tid);
    return g_strdup_printf("%s%s", torn, sim_blk_type_name(v->type));
}

/* ---- the flushes ---------------------------------------------------------------- */

typedef struct {
    guint    dev;                /* index in tr.dev */
    guint    covered, durable_by_done;
} FlushInfo;

/* Per device write: the instant all its blocks were on media, or -1. */
static SimTime *dev_landed(const Ex *x)
{
    SimTime *t = g_new(SimTime, MAX(x->tr.dev->len, 1));
    for (guint i = 0; i < x->tr.dev->len; i++) {
        const DevRec *d = &g_array_index(x->tr.dev, DevRec, i);
        t[i] = -1;
        if (d->op != SIM_IO_WRITE || d->fsrec < 0)
            continue;
        const FsRec *f = &g_array_index(x->tr.fs, FsRec, d->fsrec);
        SimTime all = 0;
        for (guint32 j = 0; j < f->n && all >= 0; j++) {
            SimTime lt = landed_at(x, f->block + j, f->tok[j]);
            all = lt < 0 ? -1 : MAX(all, lt);
        }
        t[i] = all;
    }
    return t;
}

static GArray *flushes_since(const Ex *x, SimTime since)
{
    GArray *out = g_array_new(FALSE, FALSE, sizeof(FlushInfo));
    g_autofree SimTime *dl = dev_landed(x);
    for (guint i = 0; i < x->tr.dev->len; i++) {
        const DevRec *f = &g_array_index(x->tr.dev, DevRec, i);
        if (f->op != SIM_IO_FLUSH || f->t_sub < since)
            continue;
        FlushInfo fi = { .dev = i };
        for (guint k = 0; k < i; k++) {     /* B3: writes completed before the flush was issued, still dirty */
            const DevRec *d = &g_array_index(x->tr.dev, DevRec, k);
            if (d->op != SIM_IO_WRITE || d->t_done < 0 || d->t_done > f->t_sub)
                continue;
            if (dl[k] >= 0 && dl[k] <= f->t_sub)
                continue;
            fi.covered++;
            if (f->t_done >= 0 && dl[k] >= 0 && dl[k] <= f->t_done)
                fi.durable_by_done++;
        }
        g_array_append_val(out, fi);
    }
    return out;
}

/* ---- what the cut destroyed --------------------------------------------------------- */

typedef struct { guint64 block; guint idx; BlockState st; Where where; } LostBlock;

static gint cmp_lost(gconstpointer a, gconstpointer b)
{
    const LostBlock *x = a, *y = b;
    return x->block < y->block ? -1 : x->block > y->block;
}

static GArray *lost_blocks(const Ex *x, GArray **torn)
{
    GArray *lost = g_array_new(FALSE, FALSE, sizeof(LostBlock));
    *torn = g_array_new(FALSE, FALSE, sizeof(LostBlock));
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, x->by_block);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        GArray *a = v;
        guint idx = g_array_index(a, guint, a->len - 1);
        const FsRec *f = &g_array_index(x->tr.fs, FsRec, idx);
        guint64 b = (guint64) * (gint64 *)k;
        BlockState s = block_state(x, idx, (guint32)(b - f->block));
        LostBlock l = { b, idx, s, s };
        if (s == ST_QUEUE || s == ST_FLIGHT || s == ST_CACHE)
            l.where = block_where(x, idx, (guint32)(b - f->block));
        if (s == ST_QUEUE || s == ST_FLIGHT || s == ST_CACHE)
            g_array_append_val(lost, l);
        else if (s == ST_TORN)
            g_array_append_val(*torn, l);
    }
    g_array_sort(lost, cmp_lost);
    g_array_sort(*torn, cmp_lost);
    return lost;
}

/* The last fs write of a block issued before the cut, or -1. */
static gint64 last_write_of(const Ex *x, guint64 block)
{
    gint64 b = (gint64)block;
    GArray *a = g_hash_table_lookup(x->by_block, &b);
    return a ? (gint64)g_array_index(a, guint, a->len - 1) : -1;
}

/* The last fs write by origin/tid/block (block G_MAXUINT64: any), or -1. */
static gint64 find_write(const Ex *x, SimOrigin origin, guint32 tid, guint64 block)
{
    for (gint64 i = (gint64)x->tr.fs->len - 1; i >= 0; i--) {
        const FsRec *f = &g_array_index(x->tr.fs, FsRec, i);
        if (f->op == SIM_IO_WRITE && f->origin == origin && f->tid == tid &&
            (block == G_MAXUINT64 || (block >= f->block && block < f->block + f->n)))
            return i;
    }
    return -1;
}

/* The first block number named in the checker's reason ("disk block N" first). */
static gboolean reason_block(const char *s, guint64 *out)
{
    const char *p = strstr(s, "disk block ");
    if (p) {
        *out = g_ascii_strtoull(p + 11, NULL, 10);
        return TRUE;
    }
    for (p = s; (p = strstr(p, "block ")); p += 6)
        if (g_ascii_isdigit(p[6])) {
            *out = g_ascii_strtoull(p + 6, NULL, 10);
            return TRUE;
        }
    return FALSE;
}

/* Has a flush that covers fs write idx (issued after its completion at the drive) completed before the cut? */
static gboolean flushed(const Ex *x, guint idx)
{
    const FsRec *f = &g_array_index(x->tr.fs, FsRec, idx);
    if (f->t_dev_done < 0)
        return FALSE;
    for (guint i = 0; i < x->tr.dev->len; i++) {
        const DevRec *d = &g_array_index(x->tr.dev, DevRec, i);
        if (d->op == SIM_IO_FLUSH && d->t_sub >= f->t_dev_done && d->t_done >= 0)
            return TRUE;
    }
    return FALSE;
}

static char *ts(SimTime t)
{
    char b[40];
    return g_strdup(g_ascii_formatd(b, sizeof b, "%.6f", sim_time_to_s(t)));
}

/* The causal chain in one sentence. */
static char *causal(const Ex *x, guint nlost)
{
    const SimRecovery *r = &x->rec;
    GString *s = g_string_new(NULL);
    if (x->outcome == SIM_OUT_UNMOUNTABLE || r->refused) {
        g_string_append_printf(s, "Recovery refused the journal (%s), so the file system does not mount",
                               r->why[0] ? r->why : "a journal recovery cannot trust");
        /* a checksum refusal names the transaction and the log position: say where those writes were */
        const char *tp = strstr(r->why, "transaction "), *pp = strstr(r->why, "log position ");
        if (tp && pp) {
            guint32 tid = (guint32)g_ascii_strtoull(tp + 12, NULL, 10);
            guint32 pos = (guint32)g_ascii_strtoull(pp + 13, NULL, 10);
            guint64 jb = sim_fs_jblock(x->L, pos);
            gint64 ci = find_write(x, SIM_ORIGIN_JCOMMIT, tid, G_MAXUINT64);
            gint64 bi = -1;
            for (gint64 i = (gint64)x->tr.fs->len - 1; i >= 0 && bi < 0; i--) {
                const FsRec *f = &g_array_index(x->tr.fs, FsRec, i);
                if (f->op == SIM_IO_WRITE && f->tid == tid && jb >= f->block && jb < f->block + f->n)
                    bi = i;
            }
            if (ci >= 0 && bi >= 0) {
                const FsRec *c = &g_array_index(x->tr.fs, FsRec, ci), *bf = &g_array_index(x->tr.fs, FsRec, bi);
                SimTime lt = landed_at(x, c->block, c->tok[0]);
                BlockState bs = block_state(x, (guint)bi, (guint32)(jb - bf->block));
                g_autofree char *lts = lt >= 0 ? ts(lt) : NULL;
                g_string_append_printf(s, ": the commit block of T%u %s%s%s, but its journal block %" G_GUINT64_FORMAT
                                          " (log position %u) was %s at the cut",
                                       tid, lts ? (x->model == SIM_DEV_HDD ? "reached the platter at " : "became durable at ")
                                                : (x->model == SIM_DEV_HDD ? "was not on the platter" : "was not durable"),
                                       lts ? lts : "", lts ? " s" : "", jb, pos,
                                       state_text(W_PRIMARY(block_where(x, (guint)bi, (guint32)(jb - bf->block)))));
                (void)bs;
            }
        }
        gint64 js = last_write_of(x, x->L->jstart);
        if (r->refused_jsb && js >= 0) {
            WriteFate fr = write_fate_primary(x, (guint)js);
            const char *k;
            g_autofree char *ft = fate_text(&fr, &k);
            g_autofree char *when = ts(g_array_index(x->tr.fs, FsRec, js).t_issue);
            g_string_append_printf(s, " (the last journal superblock write, issued at %s s, was %s)", when, ft);
        }
        g_string_append_c(s, '.');
        return g_string_free(s, FALSE);
    }
    /* a stale log block replayed home */
    const SimReplay *pick = NULL;
    guint64 rb = 0;
    gboolean have_rb = x->reason->len && reason_block(x->reason->str, &rb);
    for (guint i = 0; i < r->replay->len; i++) {
        const SimReplay *rp = &g_array_index(r->replay, SimReplay, i);
        if (rp->tok == rp->intended)
            continue;
        if (!pick || (have_rb && rp->home == rb))
            pick = rp;
    }
    if (pick && x->outcome != SIM_OUT_CONSISTENT) {
        const SimVer *v = sim_content_get(x->C, sim_token_base(pick->tok));
        g_autofree char *held = tok_text(x, pick->tok);
        const char *kind = sim_blk_type_name(sim_content_get(x->C, sim_token_base(pick->intended))->type);
        guint64 jb = sim_fs_jblock(x->L, pick->pos);
        if (v->tid > pick->tid) {
            gint64 js = last_write_of(x, x->L->jstart);
            g_autofree char *jft = NULL;
            if (js >= 0) {
                WriteFate fr = write_fate_primary(x, (guint)js);
                const char *k;
                jft = fate_text(&fr, &k);
            }
            g_string_append_printf(s,
                "A later lap of the log wrote %s over journal block %" G_GUINT64_FORMAT " (log position %u) of T%u "
                "while the journal superblock on the platter still pointed before T%u (the latest tail update was %s "
                "at the cut); replay took T%u's commit as valid and copied %s into %s block %u.",
                held, jb, pick->pos, pick->tid, pick->tid, jft ? jft : "never written", pick->tid, held, kind,
                pick->home);
        } else {
            gint64 ci = find_write(x, SIM_ORIGIN_JCOMMIT, pick->tid, G_MAXUINT64);
            gint64 bi = -1;
            for (gint64 i = (gint64)x->tr.fs->len - 1; i >= 0 && bi < 0; i--) {
                const FsRec *f = &g_array_index(x->tr.fs, FsRec, i);
                if (f->op == SIM_IO_WRITE && jb >= f->block && jb < f->block + f->n &&
                    f->tok[jb - f->block] == pick->intended)
                    bi = i;
            }
            g_autofree char *clt = NULL, *cit = NULL;
            if (ci >= 0) {
                const FsRec *c = &g_array_index(x->tr.fs, FsRec, ci);
                SimTime lt = landed_at(x, c->block, c->tok[0]);
                clt = lt >= 0 ? ts(lt) : NULL;
                cit = ts(c->t_issue);
            }
            g_autofree char *bft = NULL;
            if (bi >= 0) {
                const FsRec *bf = &g_array_index(x->tr.fs, FsRec, bi);
                BlockState bs = block_state(x, (guint)bi, (guint32)(jb - bf->block));
                if (bs == ST_CACHE && W_KIND(W_PRIMARY(block_where(x, (guint)bi, (guint32)(jb - bf->block)))) !=
                                          W_REBUILT_GARBAGE) {
                    g_autofree char *cd = ts(bf->t_dev_done);
                    if (x->model == SIM_DEV_HDD)
                        bft = g_strdup_printf("still in the drive cache (completed at %s s, not durable)", cd);
                    else
                        bft = g_strdup_printf("%s (completed at %s s, not durable)",
                                              where_name(W_PRIMARY(block_where(x, (guint)bi, (guint32)(jb - bf->block)))), cd);
                } else {
                    bft = g_strdup(state_text(W_PRIMARY(block_where(x, (guint)bi, (guint32)(jb - bf->block)))));
                }
            }
            Where jw = bi >= 0 ? W_PRIMARY(block_where(x, (guint)bi,
                                                       (guint32)(jb - g_array_index(x->tr.fs, FsRec, bi).block)))
                               : 0;
            if (bi >= 0 && W_KIND(jw) == W_REBUILT_GARBAGE) {
                /* R5: the log block had landed; the failure after the cut destroyed it */
                g_string_append_printf(s, "The commit block of T%u%s%s%s became durable%s%s%s; journal block %"
                                          G_GUINT64_FORMAT " (log position %u) of T%u was %s: the "
                                          "write hole (R5); replay copied that garbage into %s block %u.",
                                       pick->tid, cit ? " (issued at " : "", cit ? cit : "", cit ? " s)" : "",
                                       clt ? " at " : "", clt ? clt : "", clt ? " s" : "", jb, pick->pos, pick->tid,
                                       bft, kind, pick->home);
                return g_string_free(s, FALSE);
            }
            g_string_append_printf(s, "The commit block of T%u%s%s%s %s%s%s%s before journal block %"
                                      G_GUINT64_FORMAT " (log position %u) of T%u, which was %s at the cut; replay "
                                      "copied the stale contents of that log slot (%s) into %s block %u.",
                                   pick->tid, cit ? " (issued at " : "", cit ? cit : "", cit ? " s)" : "",
                                   x->model == SIM_DEV_HDD ? "reached the platter" : "became durable",
                                   clt ? " at " : "", clt ? clt : "", clt ? " s" : "", jb, pick->pos,
                                   pick->tid, bft ? bft : "never issued", held, kind, pick->home);
        }
        return g_string_free(s, FALSE);
    }
    if (x->outcome != SIM_OUT_CONSISTENT) {
        const char *semi = strchr(x->reason->str, ';');
        g_autofree char *head = semi ? g_strndup(x->reason->str, (gsize)(semi - x->reason->str))
                                     : g_strdup(x->reason->str);
        g_string_append(s, head);
        gint64 wi = have_rb ? last_write_of(x, rb) : -1;
        gboolean wi_lost = FALSE;
        if (wi >= 0) {
            WriteFate fr = write_fate_primary(x, (guint)wi);
            wi_lost = fr.lost || fr.torn;
        }
        /* the log block recovery stopped at: what should have been there, and where it was */
        gint64 si = -1;
        guint32 expect = r->last_tid + 1;
        if (!wi_lost && !r->clean && r->stop_pos) {
            guint64 sb = sim_fs_jblock(x->L, r->stop_pos);
            for (gint64 i = (gint64)x->tr.fs->len - 1; i >= 0 && si < 0; i--) {
                const FsRec *f = &g_array_index(x->tr.fs, FsRec, i);
                if (f->op == SIM_IO_WRITE && f->tid == expect && sb >= f->block && sb < f->block + f->n)
                    si = i;
            }
        }
        if (si >= 0) {
            const FsRec *f = &g_array_index(x->tr.fs, FsRec, si);
            Where bs = W_PRIMARY(block_where(x, (guint)si, (guint32)(sim_fs_jblock(x->L, r->stop_pos) - f->block)));
            g_autofree char *when = ts(f->t_issue);
            g_string_append_printf(s, ", because the %s block of T%u at log position %u (issued at %s s) was %s at "
                                      "the cut, so recovery stopped ",
                                   sim_origin_name(f->origin), expect, r->stop_pos, when,
                                   state_text(bs));
            if (r->last_tid >= r->first_tid)
                g_string_append_printf(s, "after T%u and replayed nothing newer", r->last_tid);
            else
                g_string_append(s, "before replaying anything");
            BlockState bs0 = block_state(x, (guint)si, (guint32)(sim_fs_jblock(x->L, r->stop_pos) - f->block));
            if (bs0 == ST_CACHE || bs0 == ST_QUEUE || bs0 == ST_FLIGHT)
                g_string_append(s, flushed(x, (guint)si) ? " (although a flush issued after its completion had been acknowledged)"
                                                          : " (no flush had covered it)");
        } else if (wi >= 0) {
            const FsRec *f = &g_array_index(x->tr.fs, FsRec, wi);
            WriteFate fr = write_fate_primary(x, (guint)wi);
            const char *k;
            g_autofree char *ft = fate_text(&fr, &k);
            g_autofree char *when = ts(f->t_issue);
            g_autofree char *tid = tid_text(f->tid);
            g_string_append_printf(s, ", because the last write of block %" G_GUINT64_FORMAT " (%s %s, issued at "
                                      "%s s) was %s at the cut",
                                   rb, sim_origin_name(f->origin), tid, when, ft);
            if (fr.lost)
                g_string_append(s, flushed(x, (guint)wi) ? " although a flush issued after its completion had been acknowledged"
                                                          : " and no flush had covered it");
        } else if (have_rb) {
            g_string_append_printf(s, ", and block %" G_GUINT64_FORMAT " was never written before the cut", rb);
        }
        g_string_append_printf(s, "; the cut destroyed %u volatile block%s.", nlost, nlost == 1 ? "" : "s");
        return g_string_free(s, FALSE);
    }
    if (r->clean)
        g_string_append(s, "The journal was marked clean, ");
    else if (r->last_tid >= r->first_tid)
        g_string_append_printf(s, "Recovery replayed T%u..T%u, every one of whose log blocks was durable, ",
                               r->first_tid, r->last_tid);
    else
        g_string_append(s, "Recovery found no complete transaction to replay, ");
    g_string_append_printf(s, "and the %u volatile block%s the cut destroyed held nothing a durable commit or an "
                              "acknowledged fsync depended on: consistent.",
                           nlost, nlost == 1 ? "" : "s");
    return g_string_free(s, FALSE);
}

/* POWERCUT_EXPLAIN_VERIFY (for tests): the trace against the media. The last
 * landing the listener recorded for each block must be what the media holds;
 * every write said to be on media must have its tokens there, every write
 * said lost must not. Returns the number of blocks checked, -1 on a mismatch
 * (described in *why). */
static gint64 verify_trace(const Ex *x, GString *why)
{
    GHashTable *last = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    for (guint i = 0; i < x->tr.land->len; i++) {
        const Land *l = &g_array_index(x->tr.land, Land, i);
        if (l->t > x->cut) {
            g_string_printf(why, "block %" G_GUINT64_FORMAT " landed after the cut", l->block);
            g_hash_table_destroy(last);
            return -1;
        }
        gint64 k = (gint64)l->block;
        g_hash_table_replace(last, g_memdup2(&k, sizeof k), GUINT_TO_POINTER(l->tok + 1));
    }
    gint64 n = 0;
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, last);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        guint64 b = (guint64) * (gint64 *)k;
        SimToken t = GPOINTER_TO_UINT(v) - 1;
        if (sim_media_get(x->m, b) != t) {
            g_string_printf(why, "block %" G_GUINT64_FORMAT ": last landing %u, media holds %u", b, t,
                            sim_media_get(x->m, b));
            g_hash_table_destroy(last);
            return -1;
        }
        n++;
    }
    g_hash_table_destroy(last);
    for (guint i = 0; i < x->tr.fs->len; i++) {
        const FsRec *f = &g_array_index(x->tr.fs, FsRec, i);
        if (f->op != SIM_IO_WRITE)
            continue;
        for (guint32 j = 0; j < f->n; j++) {
            BlockState s = block_state(x, i, j);
            SimToken m = sim_media_get(x->m, f->block + j);
            gboolean bad = (s == ST_MEDIA && m != f->tok[j]) ||
                           ((s == ST_CACHE || s == ST_FLIGHT || s == ST_QUEUE) && sim_token_base(m) == f->tok[j]) ||
                           (s == ST_QUEUE && f->t_dev >= 0) || (s == ST_CACHE && f->t_dev_done < 0);
            if (bad) {
                g_string_printf(why, "write %u block %" G_GUINT64_FORMAT ": state %s, media %u, token %u", i,
                                f->block + j, where_key(s), m, f->tok[j]);
                return -1;
            }
        }
    }
    return n;
}

/* ---- every crash state an honest drive could have left at this cut (--witness) ------------ */

/* The pending set comes from the tracker layer under the disk tap and the
 * states from sim/crash/states.c: the very code of `run --crash-states
 * exhaustive`, so the two cannot disagree. */
typedef struct {
    SimCrashStates cs;
    GArray   *pend;              /* SimPendWrite: the latest version of each block at the drive, not durable */
} Witness;

static SimToken media_get(gconstpointer ud, guint64 block) { return sim_media_get(ud, block); }

static void witness_run(Ex *x, Witness *wn, guint max_free, guint64 seed)
{
    wn->pend = sim_pend_track_pending(sim_pend_layer_track(x->pl), media_get, x->m);
    for (guint i = 0; i < wn->pend->len; i++) {
        SimPendWrite *p = &g_array_index(wn->pend, SimPendWrite, i);
        p->data = sim_fs_loc(x->L, p->block) == SIM_LOC_DATA;
    }
    g_array_sort(wn->pend, sim_pend_cmp);
    SimMediaJudge j = { x->chk, x->m, sim_fs_promises(x->fs) };
    SimRng rng;
    sim_rng_seed(&rng, seed, 0, "witness");
    sim_crash_states_run(&wn->cs, wn->pend, max_free, 4096, &rng, sim_media_judge, &j);
    g_ptr_array_free(j.promises, TRUE);
}

static void witness_clear(Witness *wn)
{
    if (wn->pend)
        g_array_free(wn->pend, TRUE);
    sim_crash_states_clear(&wn->cs);
}

/* ---- rendering ------------------------------------------------------------------------- */

typedef struct {
    gboolean colour;
    const char *bold, *red, *green, *yellow, *dim, *off;
} Style;

static Style style_for(gboolean colour)
{
    Style s = { colour, "", "", "", "", "", "" };
    if (colour) {
        s.bold = "\033[1m";
        s.red = "\033[31m";
        s.green = "\033[32m";
        s.yellow = "\033[33m";
        s.dim = "\033[2m";
        s.off = "\033[0m";
    }
    return s;
}

typedef struct {
    const char *scenario, *case_name;
    guint run;
    gint64 trial;                /* -1: --at */
    guint64 seed;
    guint last;
    const char *rec_outcome, *rec_reason;   /* what `run` recorded (--first), or NULL */
    const Witness *wn;                       /* --witness, or NULL */
    guint max_free;
} Meta;

/* Indexes of the last `last` fs writes issued before the cut. */
static GArray *last_writes(const Ex *x, guint last)
{
    GArray *a = g_array_new(FALSE, FALSE, sizeof(guint));
    for (gint64 i = (gint64)x->tr.fs->len - 1; i >= 0 && a->len < last; i--)
        if (g_array_index(x->tr.fs, FsRec, i).op == SIM_IO_WRITE) {
            guint u = (guint)i;
            g_array_prepend_val(a, u);
        }
    return a;
}

static const char *flush_who(const DevRec *d)
{
    switch (d->origin) {
    case SIM_ORIGIN_BLK_PREFLUSH: return "PREFLUSH before";
    case SIM_ORIGIN_BLK_POSTFLUSH: return "POSTFLUSH (FUA emulation) after";
    default: return sim_origin_name(d->origin);
    }
}

static void render_text(const Ex *x, const Meta *me, Style st, GString *o)
{
    const char *B = st.bold, *R = st.red, *G = st.green, *Y = st.yellow, *D = st.dim, *O = st.off;
    g_autofree char *cut = ts(x->cut);
    g_string_append_printf(o, "%sPower cut at t = %s s%s   %s, case %s, run %u", B, cut, O, me->scenario,
                           me->case_name, me->run);
    if (me->trial >= 0)
        g_string_append_printf(o, ", trial %" G_GINT64_FORMAT, me->trial);
    g_string_append_printf(o, ", seed %" G_GUINT64_FORMAT "\n", me->seed);
    const SimCaseSpec *cs = x->cs;
    const char *dm = cs->fs.data_mode == SIM_DATA_ORDERED ? "ordered"
                   : cs->fs.data_mode == SIM_DATA_WRITEBACK ? "writeback" : "journal";
    if (cs->dev_model == SIM_DEV_RAID) {
        const SimRaidCfg *rc = &cs->raid;
        g_string_append_printf(o, "%sstack: barrier=%d, data=%s, RAID-%" G_GINT64_FORMAT " controller over %" G_GINT64_FORMAT
                                  " drives, %" G_GINT64_FORMAT " MiB %s cache (%s, backing %s%s), host flush %s; "
                                  "member caches %s%s%s\n\n",
                               D, cs->fs.barrier, dm, rc->level, rc->disks, rc->cache_mb,
                               !sim_raid_caching(rc) ? "unused" : sim_raid_nonvolatile(rc) ? "non-volatile" : "volatile",
                               sim_raid_write_policy_names[rc->write_policy], sim_raid_backing_names[rc->backing],
                               rc->backing == SIM_RAID_BACKING_BATTERY && rc->outage_h > rc->hold_h
                                   ? ", outage longer than the battery holds" : "",
                               sim_raid_flush_names[rc->flush], rc->member_cache ? "on" : "off",
                               rc->failed_member >= 0 ? "; a member fails at power-on" : "", O);
    } else if (cs->dev_model == SIM_DEV_SSD) {
        const SimSsdCfg *sc = &cs->ssd;
        g_string_append_printf(o, "%sstack: barrier=%d, data=%s, SSD with a %" G_GINT64_FORMAT " MiB DRAM buffer (%s), "
                                  "flush %s%s%s%s%s%s\n\n",
                               D, cs->fs.barrier, dm, sc->cache_mb, sc->plp ? "power-loss protected" : "volatile",
                               sim_hdd_flush_names[sc->flush], sc->fault_shorn ? ", fault: shorn writes" : "",
                               sc->fault_unserializable ? ", fault: unserializable writes" : "",
                               sc->fault_bit_corruption ? ", fault: bit corruption" : "",
                               sc->fault_flying ? ", fault: flying writes" : "", O);
    } else
        g_string_append_printf(o, "%sstack: barrier=%d, data=%s, %" G_GINT64_FORMAT " MiB drive cache (%s, window %"
                                  G_GINT64_FORMAT "), flush %s%s\n\n",
                               D, cs->fs.barrier, dm, cs->dev.cache_mb, sim_destage_policy_names[cs->dev.policy],
                               cs->dev.window, sim_hdd_flush_names[cs->dev.flush], O);

    g_autoptr(GArray) lw = last_writes(x, me->last);
    SimTime since = lw->len ? g_array_index(x->tr.fs, FsRec, g_array_index(lw, guint, 0)).t_issue : x->cut;
    g_string_append_printf(o, "%sThe last %u block writes before the cut%s (time issued by the file system, who, "
                              "transaction, flags, blocks, where each was at the cut):\n",
                           B, lw->len, O);
    for (guint i = 0; i < lw->len; i++) {
        guint idx = g_array_index(lw, guint, i);
        const FsRec *f = &g_array_index(x->tr.fs, FsRec, idx);
        WriteFate fr = write_fate(x, idx);
        const char *k;
        g_autofree char *ft = fate_text(&fr, &k);
        g_autofree char *t = ts(f->t_issue), *tid = tid_text(f->tid), *fl = flags_text(f->flags),
                        *bl = blocks_text(x, f->block, f->n);
        const char *c = fr.lost || fr.torn ? R : fr.durable ? G : D;
        g_string_append_printf(o, "  %s  %-18s %-7s %-12s %-26s %s%s%s%s", t, sim_origin_name(f->origin), tid, fl,
                               bl, c, ft, (fr.lost || fr.torn) ? "  LOST" : "", O);
        if (fr.durable && fr.lost == 0 && fr.t_landed >= 0) {
            g_autofree char *lt = ts(fr.t_landed);
            g_string_append_printf(o, "%s (landed %s)%s", D, lt, O);
        }
        g_string_append_c(o, '\n');
    }

    g_autoptr(GArray) fl = flushes_since(x, since);
    g_string_append_printf(o, "\n%sFlushes in that window:%s%s\n", B, O,
                           fl->len ? "" : (x->cs->fs.barrier ? " none" : " none (barriers are off: nothing asks the "
                                                                          "drive to empty its cache)"));
    for (guint i = 0; i < fl->len; i++) {
        const FlushInfo *fi = &g_array_index(fl, FlushInfo, i);
        const DevRec *d = &g_array_index(x->tr.dev, DevRec, fi->dev);
        g_autofree char *t = ts(d->t_sub), *tid = tid_text(d->tid);
        gboolean seq = d->origin == SIM_ORIGIN_BLK_PREFLUSH || d->origin == SIM_ORIGIN_BLK_POSTFLUSH;
        const char *of = seq && d->fsrec >= 0
                             ? sim_origin_name(g_array_index(x->tr.fs, FsRec, d->fsrec).origin)
                             : "write";
        g_string_append_printf(o, "  %s  %s%s%s%s%s: covers %u write%s completed before it and not yet durable; ",
                               t, flush_who(d), seq ? " the " : "", seq ? of : "", seq ? " of " : " ",
                               d->tid || seq ? tid : "", fi->covered, fi->covered == 1 ? "" : "s");
        if (d->t_done >= 0) {
            g_autofree char *td = ts(d->t_done);
            g_string_append_printf(o, "completed %s, %u of them on media by then\n", td, fi->durable_by_done);
        } else {
            g_string_append_printf(o, "%sstill in progress at the cut%s\n", Y, O);
        }
    }

    GArray *torn = NULL;
    g_autoptr(GArray) lost = lost_blocks(x, &torn);
    guint nq = 0, nf = 0, nc = 0;
    for (guint i = 0; i < lost->len; i++) {
        BlockState s = g_array_index(lost, LostBlock, i).st;
        nq += s == ST_QUEUE, nf += s == ST_FLIGHT, nc += s == ST_CACHE;
    }
    g_string_append_printf(o, "\n%sWhat the cut destroyed:%s %u volatile block%s (%u %s, %u in "
                              "flight, %u in the host queue)%s%u torn\n",
                           B, O, lost->len, lost->len == 1 ? "" : "s", nc,
                           x->model == SIM_DEV_RAID ? "completed by the controller, not durable"
                           : x->model == SIM_DEV_SSD ? "completed by the SSD, not durable" : "in the drive cache",
                           nf, nq, torn->len ? "; " : "; ",
                           torn->len);
    {
        guint by[SIM_ORIGIN_N] = { 0 };
        for (guint k = 0; k < lost->len; k++)
            by[g_array_index(x->tr.fs, FsRec, g_array_index(lost, LostBlock, k).idx).origin % SIM_ORIGIN_N]++;
        gboolean any = FALSE;
        for (int k = 0; k < SIM_ORIGIN_N; k++)
            if (by[k]) {
                g_string_append_printf(o, "%s%s %u", any ? ", " : "  by who issued them: ", sim_origin_name(k), by[k]);
                any = TRUE;
            }
        if (any)
            g_string_append_c(o, '\n');
    }
    /* the lost log blocks of transactions that recovery replays (their commit is durable): J4a */
    if (!x->rec.refused && !x->rec.clean && x->rec.last_tid >= x->rec.first_tid) {
        guint nk = 0;
        for (guint k = 0; k < lost->len; k++) {
            const LostBlock *l = &g_array_index(lost, LostBlock, k);
            const FsRec *f = &g_array_index(x->tr.fs, FsRec, l->idx);
            if (sim_fs_loc(x->L, l->block) != SIM_LOC_JOURNAL || f->tid < x->rec.first_tid ||
                f->tid > x->rec.last_tid || f->origin == SIM_ORIGIN_JCOMMIT)
                continue;
            if (nk++ == 0)
                g_string_append_printf(o, "  %slost although their transaction's commit is durable (replay will "
                                          "read whatever is there):%s\n", Y, O);
            if (nk <= 12) {
                g_autofree char *bl = blocks_text(x, l->block, 1), *tid = tid_text(f->tid);
                g_string_append_printf(o, "    %s%-24s%s %-18s %-7s %s\n", R, bl, O, sim_origin_name(f->origin), tid,
                                       where_key(l->where));
            }
        }
        if (nk > 12)
            g_string_append_printf(o, "    ... and %u more\n", nk - 12);
        if (nk)
            g_string_append(o, "  all of them, by block:\n");
    }
    /* runs of neighbouring blocks with the same origin and place, as ranges */
    guint shown = 0, ranges = 0, i = 0;
    while (i < lost->len) {
        const LostBlock *l = &g_array_index(lost, LostBlock, i);
        const FsRec *f = &g_array_index(x->tr.fs, FsRec, l->idx);
        guint j = i + 1;
        guint32 tlo = f->tid, thi = f->tid;
        while (j < lost->len) {
            const LostBlock *m = &g_array_index(lost, LostBlock, j);
            const FsRec *g = &g_array_index(x->tr.fs, FsRec, m->idx);
            if (m->block != l->block + (j - i) || g->origin != f->origin || m->where != l->where ||
                sim_fs_loc(x->L, m->block) != sim_fs_loc(x->L, l->block))
                break;
            tlo = MIN(tlo, g->tid), thi = MAX(thi, g->tid);
            j++;
        }
        if (ranges < 12) {
            g_autofree char *bl = blocks_text(x, l->block, j - i);
            g_autofree char *tid = tlo == thi ? tid_text(tlo) : g_strdup_printf("T%u..T%u", tlo, thi);
            g_autofree char *wk = W_KIND(l->where) == W_MEMBER_FLIGHT || W_KIND(l->where) == W_MEMBER_CACHE ||
                                          W_KIND(l->where) == W_REBUILT_GARBAGE
                                      ? g_strdup_printf("%s (member %u)", where_key(l->where), W_MEMBER(l->where))
                                      : g_strdup(where_key(l->where));
            g_string_append_printf(o, "  %s%-26s%s %-18s %-13s %s\n", R, bl, O, sim_origin_name(f->origin), tid, wk);
            shown += j - i;
        }
        ranges++;
        i = j;
    }
    if (lost->len > shown)
        g_string_append_printf(o, "  ... and %u more block%s in %u more range%s (--json lists them all)\n",
                               lost->len - shown, lost->len - shown == 1 ? "" : "s", ranges - 12,
                               ranges - 12 == 1 ? "" : "s");
    for (i = 0; i < torn->len; i++) {
        const LostBlock *l = &g_array_index(torn, LostBlock, i);
        g_autofree char *bl = blocks_text(x, l->block, 1);
        g_string_append_printf(o, "  %s%-22s torn%s\n", R, bl, O);
    }
    g_array_free(torn, TRUE);

    const SimRecovery *r = &x->rec;
    g_string_append_printf(o, "\n%sRecovery%s (fs/jbd2/recovery.c on the durable image):\n", B, O);
    SimToken jt = sim_media_get(x->m, x->L->jstart);
    g_autofree char *jtt = tok_text(x, jt);
    g_string_append_printf(o, "  1. read the journal superblock (block %" G_GUINT64_FORMAT "): %s", x->L->jstart, jtt);
    if (!r->refused_jsb)
        g_string_append_printf(o, ", s_start %u, s_sequence %u", r->start, r->sequence);
    gint64 js = last_write_of(x, x->L->jstart);
    if (js >= 0) {
        WriteFate fr = write_fate(x, (guint)js);
        const char *k;
        g_autofree char *ft = fate_text(&fr, &k);
        g_string_append_printf(o, " (its latest update was %s)", ft);
    }
    g_string_append_c(o, '\n');
    if (r->refused) {
        g_string_append_printf(o, "  2. %srefused: %s%s\n", R, r->why, O);
    } else if (r->clean) {
        g_string_append(o, "  2. s_start = 0: the journal is clean, nothing to replay\n");
    } else {
        if (r->last_tid >= r->first_tid)
            g_string_append_printf(o, "  2. scan from log position %u expecting T%u: found T%u..T%u complete "
                                      "(%u transaction%s)\n",
                                   r->start, r->sequence, r->first_tid, r->last_tid, r->last_tid - r->first_tid + 1,
                                   r->last_tid == r->first_tid ? "" : "s");
        else
            g_string_append_printf(o, "  2. scan from log position %u expecting T%u: no complete transaction\n",
                                   r->start, r->sequence);
        g_string_append_printf(o, "  3. the log ends at position %u: %s\n", r->stop_pos,
                               r->why[0] ? r->why : "no further block of the expected transaction");
        if (r->has_revokes)
            g_string_append(o, "     (revoke records were found and honoured)\n");
        guint stale = 0;
        for (guint i = 0; i < r->replay->len; i++) {
            const SimReplay *rp = &g_array_index(r->replay, SimReplay, i);
            stale += rp->tok != rp->intended;
        }
        g_string_append_printf(o, "  4. replay: %u home block%s written, %s%u from a stale log block%s\n",
                               r->replay->len, r->replay->len == 1 ? "" : "s", stale ? R : "", stale, O);
        shown = 0;
        for (guint i = 0; i < r->replay->len && shown < 10; i++) {
            const SimReplay *rp = &g_array_index(r->replay, SimReplay, i);
            if (rp->tok == rp->intended)
                continue;
            g_autofree char *held = tok_text(x, rp->tok), *want = tok_text(x, rp->intended);
            g_string_append_printf(o, "     %s%s block %u <- log position %u of T%u, which held %s (T%u meant %s)%s\n",
                                   R, sim_blk_type_name(sim_content_get(x->C, sim_token_base(rp->intended))->type),
                                   rp->home, rp->pos, rp->tid, held,
                                   rp->tid, want, O);
            shown++;
        }
    }

    g_string_append_printf(o, "\n%sChecker:%s %s\n", B, O,
                           x->outcome == SIM_OUT_CONSISTENT ? "clean (every location holds a block of its kind, "
                                                              "bitmaps, links and promises agree)"
                                                            : x->reason->str);
    if (x->app_outcome >= 0) {
        static const char *const an[] = { "old", "new", "inconsistent" };
        g_string_append_printf(o, "%sApplication:%s %s%s%s\n", B, O, an[x->app_outcome],
                               x->app_reason->len ? ": " : "", x->app_reason->str);
    }
    const char *vc = x->outcome == SIM_OUT_CONSISTENT ? G : R;
    g_autofree char *up = g_ascii_strup(sim_outcome_name(x->outcome), -1);
    g_string_append_printf(o, "%sVerdict:%s %s%s%s%s", B, O, vc, B, up, O);
    if (me->rec_outcome)
        g_string_append_printf(o, "   (%s recorded %s for this trial%s)", "run",
                               me->rec_outcome, strcmp(me->rec_outcome, sim_outcome_name(x->outcome)) ? " - MISMATCH"
                                                                                                       : ": same");
    g_string_append_c(o, '\n');
    g_autofree char *why = causal(x, lost->len);
    g_string_append_printf(o, "%sWhy:%s %s\n", B, O, why);
    const Witness *wnp = me->wn;
    if (wnp) {
        const SimCrashStates *wn = &wnp->cs;
        g_string_append_printf(o, "\n%sEvery crash state an honest drive could have left at this cut%s (--witness):\n",
                               B, O);
        g_string_append_printf(o, "  %u write%s at the drive not durable at the cut (the latest version of each "
                                  "block, in its cache or in flight); %u of them covered by a completed flush or FUA "
                                  "(an honest drive has made those durable), %u free\n",
                               wnp->pend->len, wnp->pend->len == 1 ? "" : "s", wn->nforced, wn->nfree);
        if (wn->sampled)
            g_string_append_printf(o, "  %u free writes are more than --max-pending %u: %" G_GUINT64_FORMAT
                                      " sampled states (each of the first %u free writes - journal and metadata "
                                      "before data, oldest first - durable with probability 1/2%s), not all 2^%u: the "
                                      "counts are of the sample\n",
                                   wn->nfree, me->max_free, wn->states, MIN(wn->nfree, 64),
                                   wn->nfree > 64 ? ", the others not" : "", wn->nfree);
        else
            g_string_append_printf(o, "  all %" G_GUINT64_FORMAT " states (every subset of the free writes) judged\n",
                                   wn->states);
        g_string_append(o, "  ");
        for (int k = 0; k < SIM_OUT_N; k++)
            g_string_append_printf(o, "%s%s %" G_GUINT64_FORMAT, k ? ", " : "", sim_outcome_name(k), wn->counts[k]);
        g_string_append_c(o, '\n');
        if (wn->have_witness) {
            g_string_append_printf(o, "  %s%s %s state%s: only these free writes durable:", R,
                                   wn->sampled ? "a minimal (no write can be dropped)" : "a smallest",
                                   sim_outcome_name(wn->witness_outcome), O);
            guint fi = 0, shown_w = 0;
            for (guint i2 = 0; i2 < wnp->pend->len; i2++) {
                const SimPendWrite *p = &g_array_index(wnp->pend, SimPendWrite, i2);
                if (p->forced)
                    continue;
                if (fi < 64 && ((wn->witness_mask >> fi) & 1)) {
                    gint64 wi = last_write_of(x, p->block);
                    const FsRec *f = wi >= 0 ? &g_array_index(x->tr.fs, FsRec, wi) : NULL;
                    g_autofree char *bl = blocks_text(x, p->block, 1), *tid = tid_text(f ? f->tid : 0);
                    g_string_append_printf(o, "\n    %-24s %-18s %s", bl, sim_origin_name(f ? f->origin : 0), tid);
                    shown_w++;
                }
                fi++;
            }
            if (!shown_w)
                g_string_append(o, " none (the forced ones alone)");
            g_string_append_printf(o, "\n  checker: %s\n", wn->witness_reason->str);
        } else {
            g_string_append_printf(o, "  %sno state is corrupt or unmountable%s\n", G, O);
        }
    }
}

static void jstr(JsonBuilder *b, const char *k, const char *v)
{
    json_builder_set_member_name(b, k);
    if (v)
        json_builder_add_string_value(b, v);
    else
        json_builder_add_null_value(b);
}
static void jint(JsonBuilder *b, const char *k, gint64 v)
{
    json_builder_set_member_name(b, k);
    json_builder_add_int_value(b, v);
}
/* Instants as integer nanoseconds (exact; key NAME_ns), null when it did not happen. */
static void jtime(JsonBuilder *b, const char *k, SimTime t)
{
    g_autofree char *key = g_strdup_printf("%s_ns", k);
    json_builder_set_member_name(b, key);
    if (t < 0)
        json_builder_add_null_value(b);
    else
        json_builder_add_int_value(b, t);
}
static void jbool(JsonBuilder *b, const char *k, gboolean v)
{
    json_builder_set_member_name(b, k);
    json_builder_add_boolean_value(b, v);
}

static void jflags(JsonBuilder *b, guint32 flags)
{
    json_builder_set_member_name(b, "flags");
    json_builder_begin_array(b);
    if (flags & SIM_IO_PREFLUSH)
        json_builder_add_string_value(b, "PREFLUSH");
    if (flags & SIM_IO_FUA)
        json_builder_add_string_value(b, "FUA");
    json_builder_end_array(b);
}

static char *render_json(const Ex *x, const Meta *me)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    jstr(b, "scenario", me->scenario);
    jstr(b, "case", me->case_name);
    jint(b, "run", me->run);
    json_builder_set_member_name(b, "trial");
    if (me->trial >= 0)
        json_builder_add_int_value(b, me->trial);
    else
        json_builder_add_null_value(b);
    jint(b, "seed", (gint64)me->seed);
    json_builder_set_member_name(b, "cut_s");
    json_builder_add_double_value(b, sim_time_to_s(x->cut));
    jint(b, "cut_ns", x->cut);

    g_autoptr(GArray) lw = last_writes(x, me->last);
    SimTime since = lw->len ? g_array_index(x->tr.fs, FsRec, g_array_index(lw, guint, 0)).t_issue : x->cut;
    json_builder_set_member_name(b, "writes");
    json_builder_begin_array(b);
    for (guint i = 0; i < lw->len; i++) {
        guint idx = g_array_index(lw, guint, i);
        const FsRec *f = &g_array_index(x->tr.fs, FsRec, idx);
        WriteFate fr = write_fate(x, idx);
        const char *k;
        g_autofree char *ft = fate_text(&fr, &k);
        json_builder_begin_object(b);
        jstr(b, "origin", sim_origin_name(f->origin));
        jint(b, "tid", f->tid);
        jflags(b, f->flags);
        jint(b, "block", (gint64)f->block);
        jint(b, "nblocks", f->n);
        jstr(b, "location", loc_name(sim_fs_loc(x->L, f->block)));
        jtime(b, "issued", f->t_issue);
        jtime(b, "to_drive", f->t_dev);
        jtime(b, "completed", f->t_done);
        jtime(b, "landed", fr.lost == 0 && fr.durable ? fr.t_landed : -1);
        jstr(b, "at_cut", k);
        jstr(b, "at_cut_text", ft);
        jint(b, "blocks_durable", fr.durable);
        jint(b, "blocks_lost", fr.lost);
        jint(b, "blocks_torn", fr.torn);
        jbool(b, "lost", fr.lost || fr.torn);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);

    g_autoptr(GArray) fl = flushes_since(x, since);
    json_builder_set_member_name(b, "flushes");
    json_builder_begin_array(b);
    for (guint i = 0; i < fl->len; i++) {
        const FlushInfo *fi = &g_array_index(fl, FlushInfo, i);
        const DevRec *d = &g_array_index(x->tr.dev, DevRec, fi->dev);
        json_builder_begin_object(b);
        jstr(b, "origin", sim_origin_name(d->origin));
        jint(b, "tid", d->tid);
        jtime(b, "issued", d->t_sub);
        jtime(b, "completed", d->t_done);
        jint(b, "covered", fi->covered);
        jint(b, "durable_by_completion", fi->durable_by_done);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);

    GArray *torn = NULL;
    g_autoptr(GArray) lost = lost_blocks(x, &torn);
    json_builder_set_member_name(b, "destroyed");
    json_builder_begin_object(b);
    jint(b, "count", lost->len);
    guint nq = 0, nf = 0, nc = 0;
    for (guint i = 0; i < lost->len; i++) {
        BlockState s = g_array_index(lost, LostBlock, i).st;
        nq += s == ST_QUEUE, nf += s == ST_FLIGHT, nc += s == ST_CACHE;
    }
    jint(b, "drive_cache", nc);
    jint(b, "in_flight", nf);
    jint(b, "host_queue", nq);
    json_builder_set_member_name(b, "blocks");
    json_builder_begin_array(b);
    for (guint i = 0; i < lost->len; i++) {
        const LostBlock *l = &g_array_index(lost, LostBlock, i);
        const FsRec *f = &g_array_index(x->tr.fs, FsRec, l->idx);
        json_builder_begin_object(b);
        jint(b, "block", (gint64)l->block);
        jstr(b, "location", loc_name(sim_fs_loc(x->L, l->block)));
        jstr(b, "origin", sim_origin_name(f->origin));
        jint(b, "tid", f->tid);
        jstr(b, "where", where_key(l->st));
        if (W_KIND(l->where) >= W_DEV) {
            jstr(b, "device_where", where_key(l->where));
            if (W_KIND(l->where) >= W_MEMBER_MEDIA && W_KIND(l->where) <= W_REBUILT_GARBAGE &&
                W_KIND(l->where) != W_PLP_BUFFER && W_KIND(l->where) != W_CTRL_CACHE)
                jint(b, "member", W_MEMBER(l->where));
        }
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_set_member_name(b, "torn");
    json_builder_begin_array(b);
    for (guint i = 0; i < torn->len; i++)
        json_builder_add_int_value(b, (gint64)g_array_index(torn, LostBlock, i).block);
    json_builder_end_array(b);
    json_builder_end_object(b);
    g_array_free(torn, TRUE);

    const SimRecovery *r = &x->rec;
    json_builder_set_member_name(b, "recovery");
    json_builder_begin_object(b);
    jbool(b, "clean", r->clean);
    jbool(b, "refused", r->refused);
    jstr(b, "why", r->why);
    jint(b, "s_start", r->start);
    jint(b, "s_sequence", r->sequence);
    json_builder_set_member_name(b, "replayed_tids");
    if (!r->refused && !r->clean && r->last_tid >= r->first_tid) {
        json_builder_begin_array(b);
        json_builder_add_int_value(b, r->first_tid);
        json_builder_add_int_value(b, r->last_tid);
        json_builder_end_array(b);
    } else {
        json_builder_add_null_value(b);
    }
    jint(b, "stop_pos", r->stop_pos);
    jbool(b, "revokes", r->has_revokes);
    jint(b, "replayed_blocks", r->replay->len);
    json_builder_set_member_name(b, "stale");
    json_builder_begin_array(b);
    for (guint i = 0; i < r->replay->len; i++) {
        const SimReplay *rp = &g_array_index(r->replay, SimReplay, i);
        if (rp->tok == rp->intended)
            continue;
        g_autofree char *held = tok_text(x, rp->tok);
        json_builder_begin_object(b);
        jint(b, "home", rp->home);
        jstr(b, "location", sim_blk_type_name(sim_content_get(x->C, sim_token_base(rp->intended))->type));
        jint(b, "pos", rp->pos);
        jint(b, "tid", rp->tid);
        jstr(b, "held", held);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);

    jstr(b, "check", x->outcome == SIM_OUT_CONSISTENT ? NULL : x->reason->str);
    if (x->app_outcome >= 0) {
        static const char *const an[] = { "old", "new", "inconsistent" };
        jstr(b, "app", an[x->app_outcome]);
        jstr(b, "app_reason", x->app_reason->str);
    }
    jstr(b, "outcome", sim_outcome_name(x->outcome));
    if (me->rec_outcome) {
        jstr(b, "run_outcome", me->rec_outcome);
        jstr(b, "run_reason", me->rec_reason);
    }
    g_autofree char *why = causal(x, lost->len);
    jstr(b, "why", why);
    if (me->wn) {
        const SimCrashStates *wn = &me->wn->cs;
        json_builder_set_member_name(b, "crash_states");
        json_builder_begin_object(b);
        jint(b, "pending", me->wn->pend->len);
        jint(b, "forced", wn->nforced);
        jint(b, "free", wn->nfree);
        jbool(b, "sampled", wn->sampled);
        jint(b, "states", (gint64)wn->states);
        json_builder_set_member_name(b, "outcomes");
        json_builder_begin_object(b);
        for (int k = 0; k < SIM_OUT_N; k++)
            jint(b, sim_outcome_name(k), (gint64)wn->counts[k]);
        json_builder_end_object(b);
        json_builder_set_member_name(b, "witness");
        if (wn->have_witness) {
            json_builder_begin_object(b);
            jstr(b, "outcome", sim_outcome_name(wn->witness_outcome));
            jstr(b, "reason", wn->witness_reason->str);
            json_builder_set_member_name(b, "durable_blocks");
            json_builder_begin_array(b);
            guint fi = 0;
            for (guint i = 0; i < me->wn->pend->len; i++) {
                const SimPendWrite *p = &g_array_index(me->wn->pend, SimPendWrite, i);
                if (p->forced)
                    continue;
                if (fi < 64 && ((wn->witness_mask >> fi) & 1))
                    json_builder_add_int_value(b, (gint64)p->block);
                fi++;
            }
            json_builder_end_array(b);
            json_builder_end_object(b);
        } else {
            json_builder_add_null_value(b);
        }
        json_builder_end_object(b);
    }
    json_builder_end_object(b);
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    json_generator_set_pretty(gen, TRUE);
    gchar *s = json_generator_to_data(gen, NULL);
    gchar *out = g_strconcat(s, "\n", NULL);
    g_free(s);
    return out;
}

/* ---- the timeline plot ----------------------------------------------------------------- */

static gboolean write_timeline(const Ex *x, const Meta *me, const char *out, GError **error);

/* ---- the command ------------------------------------------------------------------------ */

static char **opt_set = NULL;
static char *opt_case = NULL, *opt_first = NULL, *opt_at = NULL, *opt_plot = NULL;
static gint64 opt_trial = -1, opt_run = -1, opt_last = 20, opt_seed = 1, opt_trials = G_MININT64;
static gboolean opt_json = FALSE, opt_witness = FALSE;
static gint64 opt_max_pending = 12;

static const GOptionEntry entries[] = {
    { "case", 0, 0, G_OPTION_ARG_STRING, &opt_case, "The case to explain (required)", "NAME" },
    { "trial", 0, 0, G_OPTION_ARG_INT64, &opt_trial, "Sampled cut K of run R, numbered as run --trials-csv does", "K" },
    { "first", 0, 0, G_OPTION_ARG_STRING, &opt_first,
      "The first sampled cut (in run order) with this outcome: corrupt, unmountable, stale_data, lost_fsync", "OUTCOME" },
    { "at", 0, 0, G_OPTION_ARG_STRING, &opt_at, "A cut at this simulated instant of run R", "SECONDS" },
    { "run", 0, 0, G_OPTION_ARG_INT64, &opt_run, "The run (default 0; with --first: search only this run)", "R" },
    { "last", 0, 0, G_OPTION_ARG_INT64, &opt_last, "How many of the last block writes to show (default 20)", "N" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "Print the explanation as a JSON document", NULL },
    { "witness", 0, 0, G_OPTION_ARG_NONE, &opt_witness,
      "Also judge every state an honest drive could have left at this cut (each subset of the writes at the drive "
      "not covered by a completed flush) and print a smallest corrupt one", NULL },
    { "max-pending", 0, 0, G_OPTION_ARG_INT64, &opt_max_pending,
      "With --witness: enumerate all states up to this many free writes (default 12, at most 20); beyond, sample 4096",
      "N" },
    { "plot", 0, 0, G_OPTION_ARG_FILENAME, &opt_plot, "Draw the timeline of the cut into FILE.png or FILE.svg", "FILE" },
    { "set", 'D', 0, G_OPTION_ARG_STRING_ARRAY, &opt_set, "Override a parameter, as for run (repeatable)", "NAME=VALUE" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &opt_seed, "Master seed (default 1), as for run", "S" },
    { "trials", 'n', 0, G_OPTION_ARG_INT64, &opt_trials, "Sampled cuts per case, as given to run (numbering)", "N" },
    G_OPTION_ENTRY_NULL
};


static gint64 trials_of_run(guint64 total, guint runs, guint r)
{
    return (gint64)(total / runs + (r < total % runs ? 1 : 0));
}

int powercut_cmd_explain(int argc, char **argv)
{
    g_autoptr(GOptionContext) ctx = g_option_context_new("SCENARIO.lua --case NAME (--trial K | --first OUTCOME | "
                                                         "--at SECONDS) - explain one power cut");
    g_option_context_set_description(ctx,
        "Simulates the chosen run again, with a trace of every block request, up to the cut, and tells\n"
        "where each of the last N writes was (host queue, in flight, drive cache, on media, torn), what\n"
        "the flushes covered, what the cut destroyed, each recovery step, the checker's finding, the\n"
        "verdict and why. On a RAID stack (device.model = \"raid\") each write is placed per layer: in\n"
        "the controller's volatile cache, in the battery- or flash-backed controller cache (survives), in\n"
        "flight to member k, in member k's volatile cache, on member k's media, or (RAID-5 with\n"
        "raid.failed_member) on the failed member, rebuilt from parity correctly or as garbage. On an SSD:\n"
        "in the DRAM buffer (volatile), in the PLP-protected buffer (durable), being programmed, and the\n"
        "FAST'13 fault effects (bit corruption, flying write, mapping not persisted) when enabled.\n"
        "--witness is refused on a degraded RAID-5 (raid.failed_member >= 0). --trial K --run R is the cut numbered (run R, trial K) in run --trials-csv\n"
        "(same seed, -D and -n give the same cut). Colour only on a terminal (and not with NO_COLOR set).\n"
        "Example: powercut explain scenarios/barriers.lua --case barrier-off --first corrupt");
    g_option_context_add_main_entries(ctx, entries, NULL);
    GError *err = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        int st = sim_cli_usage("%s (see: powercut explain --help)", err->message);
        g_error_free(err);
        return st;
    }
    if (argc != 2)
        return sim_cli_usage(argc < 2 ? "explain: missing SCENARIO.lua (see: powercut explain --help)%s"
                            : "explain: unexpected argument '%s' (one scenario file)", argc < 2 ? "" : argv[2]);
    if (!opt_case)
        return sim_cli_usage("explain: --case NAME is required");
    int nsel = (opt_trial >= 0) + (opt_first != NULL) + (opt_at != NULL);
    if (nsel != 1)
        return sim_cli_usage("explain: give exactly one of --trial K, --first OUTCOME, --at SECONDS");
    if (opt_trial < -1 || (opt_trial == -1 && nsel == 0))
        return sim_cli_usage("--trial: must be 0 or more");
    if (opt_last < 1 || opt_last > 2000)
        return sim_cli_usage("--last: %" G_GINT64_FORMAT " is not allowed (1 to 2000)", opt_last);
    if (opt_seed < 0)
        return sim_cli_usage("--seed: %" G_GINT64_FORMAT " is not allowed (0 or more)", opt_seed);
    if (opt_max_pending < 0 || opt_max_pending > 20)
        return sim_cli_usage("--max-pending: %" G_GINT64_FORMAT " is not allowed (0 to 20)", opt_max_pending);
    if (opt_trials != G_MININT64 && opt_trials < 1)
        return sim_cli_usage("--trials: %" G_GINT64_FORMAT " is not allowed (a positive count)", opt_trials);
    SimOutcome want = SIM_OUT_N;
    if (opt_first) {
        for (int o = SIM_OUT_LOST_FSYNC; o < SIM_OUT_N; o++)
            if (!strcmp(opt_first, sim_outcome_name(o)))
                want = o;
        if (want == SIM_OUT_N)
            return sim_cli_usage("--first: '%s' is not allowed (corrupt, unmountable, stale_data, lost_fsync)", opt_first);
    }
    if (opt_plot && !g_str_has_suffix(opt_plot, ".png") && !g_str_has_suffix(opt_plot, ".svg"))
        return sim_cli_usage("--plot: '%s' must end in .png or .svg", opt_plot);

    GPtrArray *sets = g_ptr_array_new_with_free_func(g_free);
    for (char **s = opt_set; s && *s; s++)
        g_ptr_array_add(sets, g_strdup(*s));
    if (opt_trials != G_MININT64)
        g_ptr_array_add(sets, g_strdup_printf("run.trials=%" G_GINT64_FORMAT, opt_trials));
    g_ptr_array_add(sets, NULL);
    SimScenario *sc = sim_scenario_load_sweep(argv[1], (const char *const *)sets->pdata, NULL, (guint64)opt_seed, &err);
    g_ptr_array_free(sets, TRUE);
    if (!sc) {
        int st = sim_cli_usage("%s", err->message);
        g_error_free(err);
        return st;
    }
    const SimCaseSpec *cs = NULL;
    for (guint i = 0; i < sc->cases->len && !cs; i++) {
        SimCaseSpec *c = g_ptr_array_index(sc->cases, i);
        if (!strcmp(c->name, opt_case))
            cs = c;
    }
    if (!cs) {
        GString *names = g_string_new(NULL);
        for (guint i = 0; i < sc->cases->len; i++)
            g_string_append_printf(names, "%s%s", i ? ", " : "", ((SimCaseSpec *)g_ptr_array_index(sc->cases, i))->name);
        int st = sim_cli_usage("%s: no case named '%s' (cases: %s)", argv[1], opt_case, names->str);
        g_string_free(names, TRUE);
        sim_scenario_free(sc);
        return st;
    }
    if (opt_witness && cs->dev_model == SIM_DEV_RAID && cs->raid.failed_member >= 0) {
        /* as run --crash-states exhaustive: the degraded rebuild is not an honest device */
        int st = sim_cli_usage("explain: case %s: --witness cannot enumerate a degraded RAID-5 (raid.failed_member: "
                               "the rebuild from parity corrupts blocks no pending write touched, which no honest "
                               "device does; allowed: raid.failed_member = -1)", opt_case);
        sim_scenario_free(sc);
        return st;
    }
    guint runs = (guint)cs->run.runs;
    guint64 total = (guint64)cs->run.trials;
    guint run = opt_run < 0 ? 0 : (guint)opt_run;
    if (opt_run >= (gint64)runs) {
        sim_scenario_free(sc);
        return sim_cli_usage("--run: %" G_GINT64_FORMAT " is out of range (case %s has runs 0..%u)", opt_run, opt_case, runs - 1);
    }
    SimTime from = sim_time_from_s(cs->run.crash_from_s), until = sim_time_from_s(cs->run.duration_s);
    SimTime cut = 0;
    gint64 trial = -1;
    g_autofree char *rec_reason = NULL;
    const char *rec_outcome = NULL;
    if (opt_trial >= 0) {
        gint64 n = trials_of_run(total, runs, run);
        if (opt_trial >= n) {
            sim_scenario_free(sc);
            return sim_cli_usage("--trial: %" G_GINT64_FORMAT " is out of range (run %u of case %s has trials 0..%" G_GINT64_FORMAT
                       ")", opt_trial, run, opt_case, n - 1);
        }
        /* the K-th draw of the run's "cuts" stream, exactly as run_one draws it */
        SimRng rng;
        sim_rng_seed(&rng, (guint64)opt_seed, run, "cuts");
        for (gint64 k = 0; k <= opt_trial; k++)
            cut = from + (SimTime)sim_rng_below(&rng, (guint64)(until - from));
        trial = opt_trial;
    } else if (opt_at) {
        char *end = NULL;
        double s = g_ascii_strtod(opt_at, &end);
        if (end == opt_at || *end || !isfinite(s) || s < 0 || sim_time_from_s(s) >= until) {
            sim_scenario_free(sc);
            return sim_cli_usage("--at: '%s' is not allowed (seconds in [0, %g))", opt_at, cs->run.duration_s);
        }
        cut = sim_time_from_s(s);
    } else {
        gboolean found = FALSE;
        for (guint r = opt_run < 0 ? 0 : run; r < runs && !found; r++) {
            SimRunOut out;
            sim_run_one(sc, cs, (guint64)opt_seed, r, (guint64)trials_of_run(total, runs, r), TRUE, &out);
            if (out.error) {
                int st = sim_cli_usage("%s", out.error->message);
                sim_run_out_clear(&out);
                sim_scenario_free(sc);
                return st;
            }
            for (guint i = 0; i < out.notes->len && !found; i++) {
                SimTrialNote *n = g_ptr_array_index(out.notes, i);
                if (n->outcome == want) {
                    found = TRUE;
                    run = r;
                    trial = (gint64)n->trial;
                    cut = n->t;
                    rec_outcome = sim_outcome_name(want);
                    rec_reason = g_strdup(n->reason);
                }
            }
            sim_run_out_clear(&out);
            if (opt_run >= 0)
                break;
        }
        if (!found) {
            sim_scenario_free(sc);
            if (opt_run >= 0)
                return sim_cli_usage("explain: no trial of run %u of case %s has outcome %s", run, opt_case, opt_first);
            return sim_cli_usage("explain: no trial of case %s has outcome %s (%u runs, %" G_GUINT64_FORMAT " trials, seed %"
                       G_GINT64_FORMAT ")", opt_case, opt_first, runs, total, opt_seed);
        }
    }

    Ex x = { 0 };
    if (!ex_simulate(&x, sc, cs, (guint64)opt_seed, run, cut, &err)) {
        int st = sim_cli_usage("%s", err->message);
        g_error_free(err);
        ex_clear(&x);
        sim_scenario_free(sc);
        return st;
    }
    if (g_getenv("POWERCUT_EXPLAIN_VERIFY")) {
        g_autoptr(GString) why = g_string_new(NULL);
        gint64 n = verify_trace(&x, why);
        if (n < 0) {
            fprintf(stderr, "powercut: explain: trace and media disagree: %s\n", why->str);
            ex_clear(&x);
            sim_scenario_free(sc);
            return 1;
        }
        fprintf(stderr, "trace verified: %" G_GINT64_FORMAT " landed blocks match the media\n", n);
    }
    Witness wn = { 0 };
    if (opt_witness)
        witness_run(&x, &wn, (guint)opt_max_pending, (guint64)opt_seed);
    Meta me = { argv[1], cs->name, run, trial, (guint64)opt_seed, (guint)opt_last, rec_outcome, rec_reason,
                opt_witness ? &wn : NULL, (guint)opt_max_pending };
    int status = 0;
    if (opt_json) {
        g_autofree char *j = render_json(&x, &me);
        fputs(j, stdout);
    } else {
        g_autoptr(GString) o = g_string_new(NULL);
        render_text(&x, &me, style_for(isatty(STDOUT_FILENO) && !g_getenv("NO_COLOR")), o);
        fputs(o->str, stdout);
    }
    if (opt_plot) {
        if (!write_timeline(&x, &me, opt_plot, &err)) {
            fprintf(stderr, "powercut: %s\n", err->message);
            status = err->domain == SIM_REPORT_ERROR && err->code == SIM_REPORT_ERROR_INPUT ? EXIT_BAD_INPUT : 1;
            g_error_free(err);
        } else if (!opt_json) {
            printf("wrote %s\n", opt_plot);
        }
    }
    fflush(stdout);
    witness_clear(&wn);
    ex_clear(&x);
    sim_scenario_free(sc);
    return status;
}

/* ---- the timeline plot ------------------------------------------------------------------ */

/* OUT.dat beside OUT.png|svg: series (blocks separated by two blank lines, the
 * first line of each its name), rows "x_ms y dx_ms 0" for bars drawn as
 * vectors, times in ms relative to the cut (the cut is x = 0). Lanes (y):
 * 0 media, 1 drive, 2 block layer, 3 file system, 4 flushes; write i of the
 * window has row y = lane + 0.1 + 0.8 * i / N in every lane. */
static void dat_row(GString *g, SimTime t0, SimTime t1, SimTime cut, double y)
{
    char a[40], b[40], c[40];
    g_string_append_printf(g, "%s %s %s 0\n", g_ascii_formatd(a, sizeof a, "%.6f", (double)(t0 - cut) / 1e6),
                           g_ascii_formatd(b, sizeof b, "%.4f", y),
                           g_ascii_formatd(c, sizeof c, "%.6f", (double)(t1 - t0) / 1e6));
}

static void timeline_data(const Ex *x, const Meta *me, GString *g)
{
    g_autoptr(GArray) lw = last_writes(x, me->last);
    guint N = MAX(lw->len, 1);
    SimTime cut = x->cut;
    SimTime since = lw->len ? g_array_index(x->tr.fs, FsRec, g_array_index(lw, guint, 0)).t_issue : cut;
    g_string_append(g, "# col x_ms y dx_ms dy (times relative to the cut, ms; lanes: 0 media, 1 drive, "
                       "2 block layer, 3 file system, 4 flushes)\n");
    /* the device lanes name the device as a whole: the drive, the RAID
     * controller (its cache and its members behind it) or the SSD */
    const char *series[] = {
        "file system: issued to completed", "block layer: queued before the drive",
        "drive: command in flight", "drive cache: completed, not durable", "media: durable",
        "lost at the cut", "flush: issued to completed",
    };
    if (x->model == SIM_DEV_RAID) {
        series[1] = "block layer: queued before the controller";
        series[2] = "RAID controller: command in flight";
        series[3] = "controller cache or member disks: completed, not durable";
        series[4] = "durable (controller's non-volatile cache or member media)";
    } else if (x->model == SIM_DEV_SSD) {
        series[1] = "block layer: queued before the SSD";
        series[2] = "SSD: command in flight";
        series[3] = "SSD buffer or programming: completed, not durable";
        series[4] = "durable (NAND, or a PLP-protected buffer)";
    }
    for (guint s = 0; s < G_N_ELEMENTS(series); s++) {
        if (s)
            g_string_append(g, "\n\n");
        g_string_append_printf(g, "\"%s\"\n", series[s]);
        guint rows = 0;
        if (s == 6) {
            g_autoptr(GArray) fl = flushes_since(x, since);
            for (guint i = 0; i < fl->len; i++) {
                const DevRec *d = &g_array_index(x->tr.dev, DevRec, g_array_index(fl, FlushInfo, i).dev);
                dat_row(g, d->t_sub, d->t_done >= 0 ? d->t_done : cut, cut, 4.1 + 0.8 * i / MAX(fl->len, 1));
                rows++;
            }
        }
        for (guint i = 0; s < 6 && i < lw->len; i++) {
            guint idx = g_array_index(lw, guint, i);
            const FsRec *f = &g_array_index(x->tr.fs, FsRec, idx);
            WriteFate fr = write_fate(x, idx);
            double row = 0.1 + 0.8 * i / N;
            SimTime dev = f->t_dev >= 0 ? f->t_dev : cut, dd = f->t_dev_done >= 0 ? f->t_dev_done : cut;
            SimTime land = fr.lost == 0 && fr.durable && fr.t_landed >= 0 ? fr.t_landed : -1;
            switch (s) {
            case 0: dat_row(g, f->t_issue, f->t_done >= 0 ? f->t_done : cut, cut, 3 + row); rows++; break;
            case 1: dat_row(g, f->t_issue, dev, cut, 2 + row); rows++; break;
            case 2: if (f->t_dev >= 0) { dat_row(g, dev, dd, cut, 1 + row); rows++; } break;
            case 3:
                if (f->t_dev_done >= 0) {
                    dat_row(g, dd, land >= 0 ? MAX(land, dd) : cut, cut, 1 + row);
                    rows++;
                }
                break;
            case 4: if (land >= 0) { dat_row(g, land, cut, cut, row); rows++; } break;
            case 5:
                if (fr.lost || fr.torn) {
                    double lane = f->t_dev < 0 ? 2 : 1;
                    dat_row(g, cut, cut, cut, lane + row);
                    rows++;
                }
                break;
            }
        }
        if (!rows)
            g_string_append(g, "NaN NaN 0 0\n");   /* an empty series still has its block */
    }
}

static gboolean write_timeline(const Ex *x, const Meta *me, const char *out, GError **error)
{
    const char *fmt = g_str_has_suffix(out, ".svg") ? "svg" : "png";
    g_autofree char *base = g_strndup(out, strlen(out) - 4);
    g_autofree char *dat = g_strconcat(base, ".dat", NULL);
    g_autoptr(GString) g = g_string_new(NULL);
    timeline_data(x, me, g);
    if (!sim_write_file_atomic(dat, g->str, g->len, error))
        return FALSE;
    char cs[40];
    g_autofree char *tr = me->trial >= 0 ? g_strdup_printf(", trial %" G_GINT64_FORMAT, me->trial) : g_strdup("");
    g_autofree char *cap = g_strdup_printf("%s, case %s, run %u%s, seed %" G_GUINT64_FORMAT ", cut at %s s: %s",
                                           me->scenario, me->case_name, me->run, tr,
                                           me->seed, g_ascii_formatd(cs, sizeof cs, "%.6f", sim_time_to_s(x->cut)),
                                           sim_outcome_name(x->outcome));
    const char *lane = x->model == SIM_DEV_RAID  ? "RAID controller: in flight, then cache/members"
                       : x->model == SIM_DEV_SSD ? "SSD: in flight, then buffer"
                                                 : "drive: in flight, then cache";
    const char *args[] = { dat, out, fmt, cap, lane, NULL };
    if (!sim_plot_run("timeline", args, out, error))
        return FALSE;
    return TRUE;
}

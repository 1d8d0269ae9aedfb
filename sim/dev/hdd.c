/* sim/dev/hdd.c - a hard disk: zoned geometry, seek curve, rotation, and a
 * single head behind the front end (front.h: NCQ host queue, host interface,
 * write-back cache) that destages the cache.
 *
 * Resources. The host interface and the head are independent: cached writes
 * and read hits use only the interface (FIFO, durations known at start, so
 * a "free at" instant is enough); media operations use only the head, one at
 * a time, never preempted. Host media operations (FUA or write-through
 * writes, read misses) go before destaging, FIFO among themselves. Since
 * media operations land in issue order, a newer copy of a block always lands
 * after an older one that was already on its way.
 *
 * Durability. Every block reaches the media through sim_media_set at the
 * instant its transfer ends (an event); with an atomic unit below 4 KiB the
 * block is also marked torn when its transfer starts, so a cut in between
 * finds a partly written block and a multi-block write lands as a prefix
 * (SEMANTICS T1/T2).
 *
 * Simplifications: the cache holds only dirty and in-flight data (read hits
 * come from those; no read caching or read-ahead); a pass runs at the rate of
 * its first block's zone and crosses tracks without a head-switch cost; the
 * command overhead is spent on the interface; PREFLUSH is the block layer's
 * business (sim_blkq_new) and is ignored here; a FUA write goes to media even
 * if the drive was configured without FUA (the block layer never sends one).
 *
 * Misbehaving drives (SEMANTICS §3.3, §4.3) are mechanisms, not odds:
 *  - flush = "ignore" (a lying drive, D3; a VM disk with cache=unsafe): a
 *    FLUSH completes after its command overhead without waiting for any
 *    destage, and a FUA write is taken into the cache like a plain write.
 *    The cache still destages on its own (idle, high water, room), and the
 *    drive still reports a volatile cache and FUA, so the host keeps sending
 *    flushes that do nothing. Whatever is dirty at a cut is lost.
 *  - report_cache = "write-through" (B4): caps omit VOLATILE_CACHE, so the
 *    block layer strips PREFLUSH/FUA and sends no flush (B1), while the cache
 *    stays volatile and destages as usual. A flush or FUA write that does
 *    arrive is still honoured: only the host's view changed.
 */
#include "hdd.h"
#include "front.h"
#include <math.h>

#define BLOCK_BYTES 4096

const char *const sim_hdd_flush_names[] = { "honest", "ignore", NULL };
const char *const sim_hdd_report_cache_names[] = { "auto", "write-through", NULL };

static const SimParam hdd_params[] = {
    { "capacity_gb", SIM_PT_INT, G_STRUCT_OFFSET(SimHddCfg, capacity_gb), "GB", "1000", 1, 1e6, NULL,
      "capacity in 10^9 bytes" },
    { "rpm", SIM_PT_INT, G_STRUCT_OFFSET(SimHddCfg, rpm), "rpm", "7200", 1000, 20000, NULL,
      "spindle speed; one revolution takes 60/rpm s" },
    { "cache_mb", SIM_PT_INT, G_STRUCT_OFFSET(SimHddCfg, cache_mb), "MiB", "64", 0, 4096, NULL,
      "volatile write cache; 0 = write-through (no cache reported, no flushes sent)" },
    { "policy", SIM_PT_ENUM, G_STRUCT_OFFSET(SimHddCfg, policy), NULL, "satf", SIM_PARAM_NORANGE,
      sim_destage_policy_names, "destage order among the oldest `window` dirty writes" },
    { "window", SIM_PT_INT, G_STRUCT_OFFSET(SimHddCfg, window), "writes", "32", 1, 1024, NULL,
      "reorder window W: destage picks among the oldest W dirty writes (fifo: 1)" },
    { "ncq_depth", SIM_PT_INT, G_STRUCT_OFFSET(SimHddCfg, ncq_depth), "commands", "32", 1, 1024, NULL,
      "commands inside the drive at once; more wait in the host queue" },
    { "high_water", SIM_PT_DOUBLE, G_STRUCT_OFFSET(SimHddCfg, high_water), NULL, "0.75", 0, 1, NULL,
      "fraction of the cache above which destaging runs even while the host is busy" },
    { "idle_ms", SIM_PT_DOUBLE, G_STRUCT_OFFSET(SimHddCfg, idle_ms), "ms", "0.5", 0, 10000, NULL,
      "destage once the host interface has been idle this long" },
    { "seek_track_ms", SIM_PT_DOUBLE, G_STRUCT_OFFSET(SimHddCfg, seek_track_ms), "ms", "0.8", 0.01, 100, NULL,
      "track-to-track seek time" },
    { "seek_avg_ms", SIM_PT_DOUBLE, G_STRUCT_OFFSET(SimHddCfg, seek_avg_ms), "ms", "8.5", 0.01, 100, NULL,
      "average seek time (a third of the stroke)" },
    { "seek_full_ms", SIM_PT_DOUBLE, G_STRUCT_OFFSET(SimHddCfg, seek_full_ms), "ms", "16", 0.01, 200, NULL,
      "full-stroke seek time" },
    { "outer_mb_s", SIM_PT_DOUBLE, G_STRUCT_OFFSET(SimHddCfg, outer_mb_s), "MB/s", "190", 1, 10000, NULL,
      "media transfer rate at the outer edge (block 0)" },
    { "inner_mb_s", SIM_PT_DOUBLE, G_STRUCT_OFFSET(SimHddCfg, inner_mb_s), "MB/s", "95", 1, 10000, NULL,
      "media transfer rate at the inner edge (last block)" },
    { "zones", SIM_PT_INT, G_STRUCT_OFFSET(SimHddCfg, zones), NULL, "16", 1, 256, NULL,
      "recording zones; the rate falls linearly from outer to inner" },
    { "iface_mb_s", SIM_PT_DOUBLE, G_STRUCT_OFFSET(SimHddCfg, iface_mb_s), "MB/s", "600", 1, 100000, NULL,
      "host interface rate (SATA 3: 600)" },
    { "cmd_overhead_us", SIM_PT_DOUBLE, G_STRUCT_OFFSET(SimHddCfg, cmd_overhead_us), "us", "20", 0, 10000, NULL,
      "controller overhead per command" },
    { "fua", SIM_PT_BOOL, G_STRUCT_OFFSET(SimHddCfg, fua), NULL, "true", SIM_PARAM_NORANGE, NULL,
      "FUA writes supported (otherwise the block layer emulates them with a flush)" },
    { "flush", SIM_PT_ENUM, G_STRUCT_OFFSET(SimHddCfg, flush), NULL, "honest", SIM_PARAM_NORANGE,
      sim_hdd_flush_names,
      "ignore: a lying drive (or VM disk, cache=unsafe) acks FLUSH at once and FUA writes from its cache" },
    { "report_cache", SIM_PT_ENUM, G_STRUCT_OFFSET(SimHddCfg, report_cache), NULL, "auto", SIM_PARAM_NORANGE,
      sim_hdd_report_cache_names,
      "write cache told to the host; write-through: no cache reported, no flushes sent, cache still volatile" },
    { "atomic_bytes", SIM_PT_INT, G_STRUCT_OFFSET(SimHddCfg, atomic_bytes), "B", "4096", 512, 4096, NULL,
      "power-fail atomic write unit: 512 or 4096 (512: a cut can tear a 4 KiB block)" },
};

const SimSchema sim_hdd_schema = { "device", hdd_params, G_N_ELEMENTS(hdd_params), sizeof(SimHddCfg) };

gboolean sim_hdd_cfg_validate(const SimHddCfg *c, GError **error)
{
    if (c->atomic_bytes != 512 && c->atomic_bytes != 4096) {
        g_set_error(error, SIM_PARAMS_ERROR, SIM_PARAMS_ERROR_VALUE,
                    "device.atomic_bytes: %" G_GINT64_FORMAT " is not allowed (512 or 4096)", c->atomic_bytes);
        return FALSE;
    }
    if (c->seek_track_ms > c->seek_avg_ms || c->seek_avg_ms > c->seek_full_ms) {
        g_set_error(error, SIM_PARAMS_ERROR, SIM_PARAMS_ERROR_VALUE,
                    "device.seek_avg_ms: %g is not allowed (seek_track_ms %g <= seek_avg_ms <= seek_full_ms %g)",
                    c->seek_avg_ms, c->seek_track_ms, c->seek_full_ms);
        return FALSE;
    }
    if (c->inner_mb_s > c->outer_mb_s) {
        g_set_error(error, SIM_PARAMS_ERROR, SIM_PARAMS_ERROR_VALUE,
                    "device.inner_mb_s: %g is not allowed (at most outer_mb_s, %g)", c->inner_mb_s, c->outer_mb_s);
        return FALSE;
    }
    return TRUE;
}

/* ---- state --------------------------------------------------------------- */

/* A recording zone: an equal share of the stroke, so an equal number of
 * tracks; its capacity is proportional to its rate. */
typedef struct {
    guint64 start;            /* first block */
    guint64 track0;           /* global index of its first track */
    double  bpt;              /* blocks per track (need not be whole) */
    double  xfer_ns;          /* media time per block */
} Zone;

typedef struct {
    const Zone *z;
    guint64     track;
    double      angle;        /* [0, 1) within the track, 0 at the index mark */
} Geo;

typedef enum { OP_NONE, OP_DESTAGE, OP_WRITE, OP_READ } OpKind;

/* The head's current media operation: a pass over blocks first..first+n-1
 * at the rate of the first block's zone, block i transferring during
 * [op_time(i), op_time(i+1)). A destage pass skips dead blocks. */
typedef struct {
    OpKind    kind;
    SimWbSeg *seg;            /* DESTAGE */
    SimIo    *io;             /* WRITE, READ */
    guint64   first;
    guint32   n;
    SimTime   start;
    double    xfer_ns;
} Op;

typedef struct {
    SimWorld   *w;
    SimHddCfg   cfg;
    SimMedia   *media;
    SimFront    front;        /* front.cache NULL: write-through */
    gboolean    torn;         /* atomic unit < block: transfers tear */
    Zone       *zones;
    guint       nzones;
    guint64     ntracks;
    double      period_ns;
    double      phase_ns;     /* platter angle offset: spindles of an array are not synchronised */
    double      sa, sb, sc, se;   /* seek: sa + sb*sqrt(d) below 1/3, sc + se*d above (ms) */
    guint64     head_block, head_track;
    Op          op;           /* kind != OP_NONE: the head is busy */
    SimIoFifo   mediaq;       /* host media ops; priv_i = hold seq (writes) */
    SimDevStats st;
} Hdd;

/* ---- mechanics ----------------------------------------------------------- */

static void build_geometry(Hdd *h, guint64 nblocks)
{
    const SimHddCfg *c = &h->cfg;
    h->nzones = (guint)c->zones;
    h->zones = g_new(Zone, h->nzones);
    h->period_ns = 60e9 / (double)c->rpm;
    double *rate = g_new(double, h->nzones), sum = 0;
    for (guint z = 0; z < h->nzones; z++) {
        rate[z] = h->nzones > 1 ? c->outer_mb_s - (c->outer_mb_s - c->inner_mb_s) * z / (h->nzones - 1)
                                : c->outer_mb_s;
        sum += rate[z];
    }
    guint64 start = 0, track = 0;
    for (guint z = 0; z < h->nzones; z++) {
        double bytes_s = rate[z] * 1e6;
        guint64 nb = z + 1 < h->nzones ? (guint64)floor((double)nblocks * rate[z] / sum) : nblocks - start;
        Zone *zn = &h->zones[z];
        zn->start = start;
        zn->track0 = track;
        zn->bpt = bytes_s * h->period_ns / (BLOCK_BYTES * 1e9);
        zn->xfer_ns = BLOCK_BYTES * 1e9 / bytes_s;
        track += (guint64)ceil((double)nb / zn->bpt);
        start += nb;
    }
    g_free(rate);
    h->ntracks = MAX(track, 1);

    /* Seek curve through t(1 track) = track, t(1/3) = avg, t(1) = full,
     * continuous at 1/3. */
    double d1 = 1.0 / (double)h->ntracks, third = 1.0 / 3;
    h->se = (c->seek_full_ms - c->seek_avg_ms) / (1 - third);
    h->sc = c->seek_full_ms - h->se;
    h->sb = d1 < third ? (c->seek_avg_ms - c->seek_track_ms) / (sqrt(third) - sqrt(d1)) : 0;
    h->sa = c->seek_avg_ms - h->sb * sqrt(third);
}

static const Zone *zone_of(const Hdd *h, guint64 block)
{
    guint lo = 0, hi = h->nzones - 1;
    while (lo < hi) {
        guint mid = (lo + hi + 1) / 2;
        if (h->zones[mid].start <= block)
            lo = mid;
        else
            hi = mid - 1;
    }
    return &h->zones[lo];
}

static void locate(const Hdd *h, guint64 block, Geo *g)
{
    g->z = zone_of(h, block);
    double k = (double)(block - g->z->start) / g->z->bpt;
    double tr = floor(k);
    g->track = g->z->track0 + (guint64)tr;
    g->angle = k - tr;
}

static SimTime seek_ns(const Hdd *h, guint64 from, guint64 to)
{
    if (from == to)
        return 0;
    double d = (double)(from > to ? from - to : to - from) / (double)h->ntracks;
    double ms = d < 1.0 / 3 ? h->sa + h->sb * sqrt(d) : h->sc + h->se * d;
    return llround(ms * 1e6);
}

/* When the transfer of `block` can start if the head leaves now: seek, then
 * wait for the block's angle to come under the head (platter angle at t is
 * (t mod period)/period). */
static SimTime position(const Hdd *h, SimTime now, guint64 block, Geo *g)
{
    locate(h, block, g);
    SimTime t = now + seek_ns(h, h->head_track, g->track);
    double f = g->angle - fmod((double)t + h->phase_ns, h->period_ns) / h->period_ns;
    if (f < 0)
        f += 1;
    SimTime wait = llround(f * h->period_ns);
    /* within a nanosecond of a full turn is "right here" (float noise on
     * sequential passes), not one more revolution */
    return t + (wait >= llround(h->period_ns) ? 0 : wait);
}

static SimTime satf_cost(gpointer ud, guint64 block)
{
    const Hdd *h = ud;
    Geo g;
    SimTime now = sim_now(h->w);
    return position(h, now, block, &g) - now;
}

/* ---- host media operations ------------------------------------------------ */

static void dispatch(gpointer owner);

/* The oldest cache seq a queued or running media write superseded. */
static guint64 superseded(gconstpointer owner)
{
    const Hdd *h = owner;
    guint64 s = SIM_WB_SEQ_NONE;
    for (SimIo *io = h->mediaq.head; io; io = io->next)
        s = MIN(s, (guint64)io->priv_i);
    if (h->op.kind == OP_WRITE)
        s = MIN(s, (guint64)h->op.io->priv_i);
    return s;
}

static void media_write(gpointer owner, SimIo *io)
{
    Hdd *h = owner;
    io->priv_i = (gint64)(h->front.cache ? sim_wbcache_discard(h->front.cache, io->block, io->nblocks)
                                         : SIM_WB_SEQ_NONE);
    sim_io_fifo_push(&h->mediaq, io);
    dispatch(h);
}

static void media_read(gpointer owner, SimIo *io)
{
    Hdd *h = owner;
    io->priv_i = (gint64)SIM_WB_SEQ_NONE;
    sim_io_fifo_push(&h->mediaq, io);
    dispatch(h);
}

static const SimFrontOps hdd_front_ops = {
    .media_write = media_write,
    .media_read = media_read,
    .superseded = superseded,
    .dispatch = dispatch,
};

static void hdd_submit(SimBlkDev *d, SimIo *io)
{
    Hdd *h = d->priv;
    sim_front_submit(&h->front, d, io);
}

/* ---- media operations ----------------------------------------------------- */

static inline SimTime op_time(const Op *op, guint32 i) { return op->start + llround(i * op->xfer_ns); }

static SimToken op_token(const Op *op, guint32 i)
{
    return op->kind == OP_DESTAGE ? op->seg->tokens[op->first + i - op->seg->block] : op->io->tokens[i];
}

static gboolean op_live(const Op *op, guint32 i)
{
    return op->kind != OP_DESTAGE || sim_wbseg_live(op->seg, (guint32)(op->first + i - op->seg->block));
}

static void start_op(Hdd *h, OpKind kind, guint64 first, guint32 n)
{
    SimTime now = sim_now(h->w);
    Geo g;
    h->op.kind = kind;
    h->op.first = first;
    h->op.n = n;
    h->op.start = position(h, now, first, &g);
    h->op.xfer_ns = g.z->xfer_ns;
    h->st.busy_ns += op_time(&h->op, n) - now;
}

static void op_end(Hdd *h)
{
    Op op = h->op;
    h->op.kind = OP_NONE;
    h->head_block = op.first + op.n - 1;
    Geo g;
    locate(h, h->head_block, &g);
    h->head_track = g.track;
    switch (op.kind) {
    case OP_DESTAGE:
        sim_front_destaged(&h->front, op.seg);
        break;
    case OP_WRITE:
        sim_front_finish(&h->front, op.io);
        break;
    case OP_READ:
        sim_front_read_done(&h->front, op.io);
        break;
    case OP_NONE:
        g_assert_not_reached();
    }
    sim_front_check_flushes(&h->front);
    dispatch(h);
}

static void block_ev(SimWorld *w, gpointer obj, gint64 arg);

/* Block i of the pass: its torn start (if the unit is below a block), then
 * its landing. */
static void schedule_block(Hdd *h, guint32 i)
{
    if (h->torn)
        sim_schedule_at(h->w, op_time(&h->op, i), block_ev, h, 2 * (gint64)i);
    else
        sim_schedule_at(h->w, op_time(&h->op, i + 1), block_ev, h, 2 * (gint64)i + 1);
}

static void block_ev(SimWorld *w, gpointer obj, gint64 arg)
{
    Hdd *h = obj;
    Op *op = &h->op;
    guint32 i = (guint32)(arg >> 1);
    if (!(arg & 1)) {
        sim_media_set(h->media, op->first + i, sim_media_token_torn(op_token(op, i)));
        sim_schedule_at(w, op_time(op, i + 1), block_ev, h, arg | 1);
        return;
    }
    sim_media_set(h->media, op->first + i, op_token(op, i));
    h->st.media_blocks++;
    do
        i++;
    while (i < op->n && !op_live(op, i));
    if (i < op->n)
        schedule_block(h, i);
    else
        op_end(h);
}

static void read_ev(SimWorld *w, gpointer obj, gint64 arg) { op_end(obj); }

/* Give the head its next job: host media ops first, then whatever the front
 * end wants destaged (something presses, or the host has been idle). */
static void dispatch(gpointer owner)
{
    Hdd *h = owner;
    if (h->op.kind != OP_NONE)
        return;
    SimIo *io = sim_io_fifo_pop(&h->mediaq);
    if (io) {
        h->op.io = io;
        if (io->op == SIM_IO_WRITE) {
            start_op(h, OP_WRITE, io->block, io->nblocks);
            h->st.media_writes++;
            schedule_block(h, 0);
        } else {
            start_op(h, OP_READ, io->block, io->nblocks);
            h->st.media_reads++;
            sim_schedule_at(h->w, op_time(&h->op, io->nblocks), read_ev, h, 0);
        }
        return;
    }
    SimWbSeg *seg = sim_front_next_destage(&h->front, h->head_block, satf_cost, h);
    if (!seg)
        return;
    guint32 f, l;
    sim_wbseg_live_range(seg, &f, &l);
    h->op.seg = seg;
    start_op(h, OP_DESTAGE, seg->block + f, l - f + 1);
    h->st.media_writes++;
    schedule_block(h, 0);
}

/* ---- device --------------------------------------------------------------- */

static void hdd_get_stats(SimBlkDev *d, SimDevStats *st)
{
    const Hdd *h = d->priv;
    *st = h->st;
}

static void hdd_destroy(SimBlkDev *d)
{
    Hdd *h = d->priv;
    sim_front_clear(&h->front);
    sim_media_free(h->media);
    g_free(h->zones);
    g_free(h);
}

static const SimBlkOps hdd_ops = {
    .version = SIM_BLK_OPS_VERSION,
    .name = "hdd",
    .submit = hdd_submit,
    .get_stats = hdd_get_stats,
    .destroy = hdd_destroy,
};

gboolean sim_hdd_cache_holds(SimBlkDev *d, guint64 block, SimToken tok)
{
    Hdd *h = d->priv;
    SimToken t;
    return h->front.cache && sim_wbcache_lookup(h->front.cache, block, &t, NULL) && t == tok;
}

void sim_hdd_set_spindle_phase(SimBlkDev *d, double frac)
{
    Hdd *h = d->priv;
    h->phase_ns = fmod(frac, 1.0) * h->period_ns;
}

SimBlkDev *sim_hdd_new(SimWorld *w, const SimHddCfg *cfg)
{
    g_return_val_if_fail(sim_hdd_cfg_validate(cfg, NULL), NULL);
    g_return_val_if_fail(cfg->capacity_gb > 0 && cfg->rpm > 0 && cfg->zones > 0 && cfg->window > 0 &&
                             cfg->ncq_depth > 0 && cfg->cache_mb >= 0 && cfg->inner_mb_s > 0 && cfg->iface_mb_s > 0 &&
                             (guint)cfg->flush <= SIM_HDD_FLUSH_IGNORE &&
                             (guint)cfg->report_cache <= SIM_HDD_REPORT_WRITE_THROUGH,
                         NULL);
    Hdd *h = g_new0(Hdd, 1);
    h->w = w;
    h->cfg = *cfg;
    SimBlkDev *d = sim_blkdev_new(&hdd_ops, "hdd", w, h);
    d->nblocks = (guint64)cfg->capacity_gb * 1000000000ULL / BLOCK_BYTES;
    d->atomic_bytes = (guint32)cfg->atomic_bytes;
    gboolean report_wc = cfg->cache_mb > 0 && cfg->report_cache == SIM_HDD_REPORT_AUTO;
    d->caps = SIM_BLK_CAP_ROTATIONAL | (report_wc ? SIM_BLK_CAP_VOLATILE_CACHE : 0) |
              (cfg->fua ? SIM_BLK_CAP_FUA : 0);
    d->media = h->media = sim_media_new(d->nblocks);
    SimFrontCfg fc = {
        .ncq_depth = cfg->ncq_depth, .iface_mb_s = cfg->iface_mb_s, .cmd_overhead_us = cfg->cmd_overhead_us,
        .cache_mb = cfg->cache_mb, .policy = cfg->policy, .window = cfg->window, .high_water = cfg->high_water,
        .idle_ms = cfg->idle_ms, .ack_from_cache = cfg->flush == SIM_HDD_FLUSH_IGNORE,
    };
    sim_front_init(&h->front, w, &fc, &hdd_front_ops, h, &h->st);
    h->torn = cfg->atomic_bytes < BLOCK_BYTES;
    build_geometry(h, d->nblocks);
    return d;
}

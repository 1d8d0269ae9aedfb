/* sim/dev/ssd.c - a flash SSD (see ssd.h).
 *
 * Geometry and timing. NAND pages of page_kb are striped over the
 * channels*dies dies: 4 KiB block b is in page b / P (P = page_kb / 4), on
 * die (b / P) % (channels*dies), and die d hangs on channel d % channels.
 * The FTL is garbage-free and the logical-to-physical map is the identity for
 * durability: a block is programmed where it lives. A program operation
 * ("prog") writes the blocks of one page that a host write or a buffer
 * segment holds: it takes the die and its channel at
 *   t0 = max(now, channel free, die free),
 * moves the data over the channel until x = t0 + bytes / channel_mb_s (the
 * channel is then free), and programs until e = x + program_us (the die is
 * then free). Operations are reserved in the order they are issued, so two
 * programs of the same block (same die) land in issue order. A read takes the
 * die for read_us, then the channel for the transfer. The host queue and
 * interface are the hdd's front end (front.h): a FIFO where each command
 * costs cmd_overhead_us plus its bytes at iface_mb_s. So N one-page writes to
 * N dies on N channels, submitted together, complete after one transfer plus
 * one program time (plus the interface), not N.
 *
 * Buffer. With cache_mb > 0 a write completes once it is in the DRAM buffer
 * (sim/dev/wbcache: age, flush coverage, in-place update of dirty copies),
 * which destages one segment per die at most at a time, when something
 * presses (a flush, a write waiting for room, the high-water mark) or the
 * host interface has been idle for idle_ms, choosing among the oldest
 * `window` dirty segments by `policy` (satf: the segment whose die is free
 * soonest). Without a buffer a write completes when its last program ends.
 *
 * FLUSH and FUA (D1, B3) are the front end's, as on the hdd: a FLUSH covers
 * the writes completed before it arrived and completes once those have
 * landed; a FUA write goes to NAND (superseding dirty copies of its blocks,
 * which a pending flush then waits for) and completes when its programs end.
 * The misbehaving knobs have the hdd's names and meaning: flush = "ignore"
 * acks FLUSH at once and takes FUA writes into the buffer (D3); report_cache
 * = "write-through" hides the volatile buffer from the host (B4); fua = false
 * makes the block layer emulate FUA with a post-flush (B2).
 *
 * Power-loss protection (plp = true). The hold-up energy lets the drive
 * finish every program and write the buffer out after a cut, so a write is
 * durable the instant its data is inside the drive: every block is set in
 * the media when the write's transfer into the buffer ends (or, without a
 * buffer, when its transfer into the drive ends), and destaging changes
 * nothing there. FLUSH is acknowledged after its command overhead, FUA
 * writes are buffered like plain ones. plp_report says what the host is
 * told: "cache" (a volatile cache is reported, the host sends flushes that
 * cost almost nothing) or "no-cache" (VWC=0: no flush is ever sent, D5/B1).
 *
 * Without PLP, durability happens on the NAND, at each program's end at the
 * latest. What a cut in the middle of a program leaves (T1/T2) is fixed
 * when the program is issued: its atomic units (atomic_bytes; a unit of
 * 8 KiB or more covers aligned groups of blocks, one below 4 KiB divides a
 * block into sectors) are put in an order drawn from the world's "ssd"
 * stream, and the k-th unit lands at x + k*(e-x)/U. So the media holds, at
 * every instant, exactly what a cut then would leave: any subset of the
 * units (not a prefix), a block with only some of its sectors landed being a
 * TORN token. A program of one unit lands whole at e (T1). The buffer
 * destages in the drive's own order, so with barriers off the durable set is
 * whatever the order made it - corruption from ordering, never from dice at
 * evaluation time.
 *
 * FAST'13 power-fault modes (Zheng et al., SEMANTICS §4.3), each off by
 * default, each a mechanism on what is in flight or recently programmed at
 * the cut, exact in the media at every instant; only without plp (the
 * hold-up energy is what prevents them), and at most one in-flight effect
 * applies, in this order:
 *  - fault_flying: the page register latched a wrong page address: while a
 *    program is in flight, its target blocks keep their old content and the
 *    blocks one die stride lower (the same die's previous page: block -
 *    P*channels*dies, or plus it in the first stripe) hold the new content,
 *    destroying what was there; at the program's end the target gets the
 *    new content and the victim its old one back (a cut before the end
 *    leaves both wrong).
 *  - fault_bit_corruption: while a program is in flight its blocks hold
 *    garbage (a TORN token of the zero block: neither old nor new content).
 *  - fault_shorn: the in-flight program lands as a subset of 512-byte
 *    sectors whatever atomic_bytes says (the landing order above at sector
 *    granularity): shorn writes below the atomic unit.
 *  - fault_unserializable = K: the FTL writes out of place and keeps its
 *    map in DRAM, persisting a mapping page (SIM_SSD_MAP_SPAN blocks of LBA)
 *    only once K updates to it are pending; FLUSH does not persist it. A
 *    program's blocks therefore become durable not at its end but when its
 *    mapping page is next persisted (all pending blocks of that page at
 *    once, in block order), and an in-flight program is invisible (the old
 *    mapping still points to the old page). A flushed write in a quiet
 *    mapping page is lost while a later write to a busy one survives:
 *    durability out of order across flushes. Not combinable with the
 *    in-flight faults (they act on a page the old mapping hides).
 *
 * Simplifications: no read caching; reads of blocks in the buffer are hits
 * over the interface; no garbage collection, wear or erase; PREFLUSH is the
 * block layer's business (sim_blkq_new) and is ignored here. Stats:
 * media_writes counts programs (one per page touched), busy_ns sums the
 * channel-and-die time of every program, so on a parallel drive it can
 * exceed the elapsed time.
 */
#include "ssd.h"
#include "front.h"
#include <math.h>
#include <string.h>

#define BLOCK_BYTES 4096
#define MAX_PAGE_BLOCKS 16                     /* 64 KiB pages */
#define MAX_UNITS (MAX_PAGE_BLOCKS * 8)        /* 512 B sectors of a page */

const char *const sim_ssd_plp_report_names[] = { "cache", "no-cache", NULL };

static const SimParam ssd_params[] = {
    { "capacity_gb", SIM_PT_INT, G_STRUCT_OFFSET(SimSsdCfg, capacity_gb), "GB", "512", 1, 1e6, NULL,
      "capacity in 10^9 bytes" },
    { "channels", SIM_PT_INT, G_STRUCT_OFFSET(SimSsdCfg, channels), NULL, "8", 1, 64, NULL,
      "NAND channels; a page transfer occupies its channel" },
    { "dies", SIM_PT_INT, G_STRUCT_OFFSET(SimSsdCfg, dies), NULL, "4", 1, 64, NULL,
      "dies per channel; a page program or read occupies its die. Pages are striped over all dies" },
    { "page_kb", SIM_PT_INT, G_STRUCT_OFFSET(SimSsdCfg, page_kb), "KiB", "16", 4, 64, NULL,
      "NAND page, the program unit: 4, 8, 16, 32 or 64" },
    { "program_us", SIM_PT_DOUBLE, G_STRUCT_OFFSET(SimSsdCfg, program_us), "us", "600", 1, 100000, NULL,
      "page program time (tPROG)" },
    { "read_us", SIM_PT_DOUBLE, G_STRUCT_OFFSET(SimSsdCfg, read_us), "us", "60", 1, 100000, NULL,
      "page read time (tR)" },
    { "channel_mb_s", SIM_PT_DOUBLE, G_STRUCT_OFFSET(SimSsdCfg, channel_mb_s), "MB/s", "800", 1, 100000, NULL,
      "NAND bus rate per channel" },
    { "iface_mb_s", SIM_PT_DOUBLE, G_STRUCT_OFFSET(SimSsdCfg, iface_mb_s), "MB/s", "550", 1, 100000, NULL,
      "host interface rate (SATA 3: about 550 usable; NVMe PCIe 3 x4: about 3500)" },
    { "cmd_overhead_us", SIM_PT_DOUBLE, G_STRUCT_OFFSET(SimSsdCfg, cmd_overhead_us), "us", "10", 0, 10000, NULL,
      "controller overhead per command" },
    { "cache_mb", SIM_PT_INT, G_STRUCT_OFFSET(SimSsdCfg, cache_mb), "MiB", "64", 0, 65536, NULL,
      "DRAM write buffer; 0 = none (a write completes when programmed; no cache reported)" },
    { "policy", SIM_PT_ENUM, G_STRUCT_OFFSET(SimSsdCfg, policy), NULL, "satf", SIM_PARAM_NORANGE,
      sim_destage_policy_names, "buffer destage order among the oldest `window` writes (satf: die free soonest)" },
    { "window", SIM_PT_INT, G_STRUCT_OFFSET(SimSsdCfg, window), "writes", "32", 1, 1024, NULL,
      "reorder window W: destage picks among the oldest W dirty writes (fifo: 1)" },
    { "ncq_depth", SIM_PT_INT, G_STRUCT_OFFSET(SimSsdCfg, ncq_depth), "commands", "32", 1, 65536, NULL,
      "commands inside the drive at once; more wait in the host queue" },
    { "high_water", SIM_PT_DOUBLE, G_STRUCT_OFFSET(SimSsdCfg, high_water), NULL, "0.5", 0, 1, NULL,
      "fraction of the buffer above which destaging runs even while the host is busy" },
    { "idle_ms", SIM_PT_DOUBLE, G_STRUCT_OFFSET(SimSsdCfg, idle_ms), "ms", "0.2", 0, 10000, NULL,
      "destage once the host interface has been idle this long" },
    { "plp", SIM_PT_BOOL, G_STRUCT_OFFSET(SimSsdCfg, plp), NULL, "false", SIM_PARAM_NORANGE, NULL,
      "power-loss protection: a write is durable once inside the drive (the buffer survives a cut)" },
    { "plp_report", SIM_PT_ENUM, G_STRUCT_OFFSET(SimSsdCfg, plp_report), NULL, "cache", SIM_PARAM_NORANGE,
      sim_ssd_plp_report_names,
      "with plp: cache = a cache is reported and FLUSH is acked at once; no-cache = none reported, no flushes sent" },
    { "fua", SIM_PT_BOOL, G_STRUCT_OFFSET(SimSsdCfg, fua), NULL, "true", SIM_PARAM_NORANGE, NULL,
      "FUA writes supported (otherwise the block layer emulates them with a flush)" },
    { "flush", SIM_PT_ENUM, G_STRUCT_OFFSET(SimSsdCfg, flush), NULL, "honest", SIM_PARAM_NORANGE,
      sim_hdd_flush_names, "ignore: a lying drive acks FLUSH at once and FUA writes from its buffer" },
    { "report_cache", SIM_PT_ENUM, G_STRUCT_OFFSET(SimSsdCfg, report_cache), NULL, "auto", SIM_PARAM_NORANGE,
      sim_hdd_report_cache_names,
      "write cache told to the host; write-through: no cache reported, no flushes sent, buffer still volatile" },
    { "atomic_bytes", SIM_PT_INT, G_STRUCT_OFFSET(SimSsdCfg, atomic_bytes), "B", "4096", 512, 65536, NULL,
      "power-fail atomic unit (AWUPF): a power of two from 512 to the page; a program lands as any subset of units" },
    { "fault_shorn", SIM_PT_BOOL, G_STRUCT_OFFSET(SimSsdCfg, fault_shorn), NULL, "false", SIM_PARAM_NORANGE, NULL,
      "FAST'13 shorn writes: a program in flight at the cut lands as any subset of 512 B sectors" },
    { "fault_unserializable", SIM_PT_INT, G_STRUCT_OFFSET(SimSsdCfg, fault_unserializable), "updates", "0", 0,
      1000000, NULL,
      "FAST'13 unserializable writes: a mapping page (16 MiB of LBA) is persisted only after K updates; 0 = off" },
    { "fault_bit_corruption", SIM_PT_BOOL, G_STRUCT_OFFSET(SimSsdCfg, fault_bit_corruption), NULL, "false",
      SIM_PARAM_NORANGE, NULL, "FAST'13 bit corruption: the blocks of a program in flight at the cut hold garbage" },
    { "fault_flying", SIM_PT_BOOL, G_STRUCT_OFFSET(SimSsdCfg, fault_flying), NULL, "false", SIM_PARAM_NORANGE, NULL,
      "FAST'13 flying writes: a program in flight at the cut lands on the previous page of its die instead" },
};

const SimSchema sim_ssd_schema = { "device", ssd_params, G_N_ELEMENTS(ssd_params), sizeof(SimSsdCfg) };

static gboolean pow2(gint64 v) { return v > 0 && (v & (v - 1)) == 0; }

gboolean sim_ssd_cfg_validate(const SimSsdCfg *c, GError **error)
{
    if (!pow2(c->page_kb)) {
        g_set_error(error, SIM_PARAMS_ERROR, SIM_PARAMS_ERROR_VALUE,
                    "device.page_kb: %" G_GINT64_FORMAT " is not allowed (4, 8, 16, 32 or 64)", c->page_kb);
        return FALSE;
    }
    if (!pow2(c->atomic_bytes) || c->atomic_bytes > c->page_kb * 1024) {
        g_set_error(error, SIM_PARAMS_ERROR, SIM_PARAMS_ERROR_VALUE,
                    "device.atomic_bytes: %" G_GINT64_FORMAT " is not allowed (a power of two from 512 to the "
                    "page, page_kb = %" G_GINT64_FORMAT ")", c->atomic_bytes, c->page_kb);
        return FALSE;
    }
    const char *fault = c->fault_flying ? "fault_flying" : c->fault_bit_corruption ? "fault_bit_corruption"
                      : c->fault_shorn  ? "fault_shorn"  : c->fault_unserializable ? "fault_unserializable" : NULL;
    if (fault && c->plp) {
        g_set_error(error, SIM_PARAMS_ERROR, SIM_PARAMS_ERROR_VALUE,
                    "device.%s: not allowed with plp = true (the power faults act on a drive without power-loss "
                    "protection; set plp = false)", fault);
        return FALSE;
    }
    if (c->fault_unserializable && (c->fault_flying || c->fault_bit_corruption || c->fault_shorn)) {
        g_set_error(error, SIM_PARAMS_ERROR, SIM_PARAMS_ERROR_VALUE,
                    "device.fault_unserializable: not allowed with %s (an out-of-place program is invisible "
                    "until its mapping persists; use one or the other)", fault);
        return FALSE;
    }
    return TRUE;
}

static inline guint page_blocks(const SimSsdCfg *c) { return (guint)(c->page_kb / 4); }

guint sim_ssd_die_of(const SimSsdCfg *c, guint64 block)
{
    return (guint)((block / page_blocks(c)) % (guint64)(c->channels * c->dies));
}

/* ---- state --------------------------------------------------------------- */

typedef enum { MODE_NONE, MODE_PLAN, MODE_BITS, MODE_FLY, MODE_MAP } Mode;

typedef struct Ssd Ssd;

/* What a group of programs belongs to: a destaged segment or a host write
 * going straight to NAND. */
typedef struct Job {
    SimWbSeg   *seg;
    SimIo      *io;
    guint64     seq;          /* direct write: oldest buffer seq it superseded (a flush waits for it) */
    guint       pending;      /* programs not yet ended */
    struct Job *prev, *next;
} Job;

/* One program operation (see the header comment). */
typedef struct Prog {
    Ssd        *s;
    Job        *job;
    guint64     block;
    guint32     n;
    Mode        mode;
    SimTime     x, e;         /* program start (transfer end), end */
    guint32     nunits, sub, ublocks, step;
    SimToken    tok[MAX_PAGE_BLOCKS];
    guint8      cnt[MAX_PAGE_BLOCKS];
    guint8      order[MAX_UNITS];
    guint64     fly;          /* first victim block (MODE_FLY) */
    SimToken    fly_old[MAX_PAGE_BLOCKS];
    struct Prog *prev, *next;
} Prog;

typedef struct {
    guint   count;            /* updates pending */
    GArray *blocks;           /* guint64, may repeat */
} MapPage;

struct Ssd {
    SimWorld   *w;
    SimSsdCfg   cfg;
    SimMedia   *media;
    SimFront    front;        /* front.cache NULL: no buffer */
    SimRng     *rng;          /* "ssd": landing orders */
    guint       ndies, pblocks;
    guint64     nblocks;
    SimTime    *die_free, *ch_free;
    double      ch_ns_per_byte;
    SimTime     prog_ns, read_ns;
    guint       destaging;
    Job        *jobs;         /* live jobs */
    Prog       *progs;        /* live programs */
    GHashTable *map_pending;  /* MODE_MAP: block -> newest token (not yet durable) */
    GHashTable *map_pages;    /* span index -> MapPage* */
    SimDevStats st;
};

#define LIST_ADD(head, x) do { (x)->prev = NULL; (x)->next = (head); if (head) (head)->prev = (x); (head) = (x); } while (0)
#define LIST_DEL(head, x) do { if ((x)->prev) (x)->prev->next = (x)->next; else (head) = (x)->next; \
                               if ((x)->next) (x)->next->prev = (x)->prev; } while (0)

/* ---- front end ----------------------------------------------------------- */

static void dispatch(gpointer owner);

/* The oldest buffer seq a direct write still programming superseded. */
static guint64 superseded(gconstpointer owner)
{
    const Ssd *s = owner;
    guint64 o = SIM_WB_SEQ_NONE;
    for (const Job *j = s->jobs; j; j = j->next)
        if (j->io)
            o = MIN(o, j->seq);
    return o;
}

/* PLP: the data is durable once inside the drive. */
static void plp_land(Ssd *s, const SimIo *io)
{
    for (guint32 i = 0; i < io->nblocks; i++)
        sim_media_set(s->media, io->block + i, io->tokens[i]);
}

static void cached(gpointer owner, const SimIo *io)
{
    Ssd *s = owner;
    if (s->cfg.plp)
        plp_land(s, io);
}

/* ---- programs ------------------------------------------------------------- */

static void prog_ev(SimWorld *w, gpointer obj, gint64 arg);

static Mode prog_mode(const Ssd *s)
{
    const SimSsdCfg *c = &s->cfg;
    if (c->plp)
        return MODE_NONE;
    if (c->fault_unserializable)
        return MODE_MAP;
    if (c->fault_flying)
        return MODE_FLY;
    if (c->fault_bit_corruption)
        return MODE_BITS;
    return MODE_PLAN;
}

/* Issue a program of blocks [block, block+n) of one page for job j. */
static void prog_issue(Ssd *s, Job *j, guint64 block, guint32 n, const SimToken *tok)
{
    g_assert(n >= 1 && n <= s->pblocks && block / s->pblocks == (block + n - 1) / s->pblocks);
    Prog *p = g_new0(Prog, 1);
    p->s = s;
    p->job = j;
    p->block = block;
    p->n = n;
    memcpy(p->tok, tok, n * sizeof *tok);
    p->mode = prog_mode(s);
    guint die = sim_ssd_die_of(&s->cfg, block), ch = die % (guint)s->cfg.channels;
    SimTime t0 = MAX(sim_now(s->w), MAX(s->ch_free[ch], s->die_free[die]));
    p->x = t0 + llround((double)n * BLOCK_BYTES * s->ch_ns_per_byte);
    p->e = p->x + s->prog_ns;
    s->ch_free[ch] = p->x;
    s->die_free[die] = p->e;
    s->st.busy_ns += p->e - t0;
    s->st.media_writes++;
    j->pending++;
    LIST_ADD(s->progs, p);

    if (p->mode == MODE_PLAN) {
        guint32 unit = s->cfg.fault_shorn ? 512 : (guint32)s->cfg.atomic_bytes;
        if (unit < BLOCK_BYTES) {
            p->sub = BLOCK_BYTES / unit;
            p->ublocks = 1;
            p->nunits = n * p->sub;
        } else {
            p->sub = 1;
            p->ublocks = unit / BLOCK_BYTES;
            p->nunits = (guint32)((block + n - 1) / p->ublocks - block / p->ublocks + 1);
        }
        for (guint32 i = 0; i < p->nunits; i++)      /* Fisher-Yates from the "ssd" stream */
            p->order[i] = (guint8)i;
        for (guint32 i = p->nunits; i > 1; i--) {
            guint32 k = (guint32)sim_rng_below(s->rng, i);
            guint8 t = p->order[i - 1];
            p->order[i - 1] = p->order[k];
            p->order[k] = t;
        }
        sim_schedule_at(s->w, p->nunits == 1 ? p->e : p->x + (p->e - p->x) / p->nunits, prog_ev, p, 0);
    } else if (p->mode == MODE_BITS || p->mode == MODE_FLY) {
        guint64 stride = (guint64)s->pblocks * s->ndies;
        p->fly = block >= stride ? block - stride : block + stride;
        sim_schedule_at(s->w, p->x, prog_ev, p, -1);
    } else {
        sim_schedule_at(s->w, p->e, prog_ev, p, 0);
    }
}

static void job_end(Ssd *s, Job *j)
{
    LIST_DEL(s->jobs, j);
    if (j->seg) {
        s->destaging--;
        sim_front_destaged(&s->front, j->seg);
    } else {
        sim_front_finish(&s->front, j->io);
    }
    g_free(j);
    sim_front_check_flushes(&s->front);
    dispatch(s);
}

static gint u64_cmp(gconstpointer a, gconstpointer b)
{
    guint64 x = *(const guint64 *)a, y = *(const guint64 *)b;
    return x < y ? -1 : x > y;
}

/* MODE_MAP: the block's new page is programmed; its mapping update waits in
 * its mapping page until K updates are pending there. */
static void map_update(Ssd *s, guint64 block, SimToken tok)
{
    gpointer key = GSIZE_TO_POINTER((gsize)(block / SIM_SSD_MAP_SPAN));
    MapPage *mp = g_hash_table_lookup(s->map_pages, key);
    if (!mp) {
        mp = g_new0(MapPage, 1);
        mp->blocks = g_array_new(FALSE, FALSE, sizeof(guint64));
        g_hash_table_insert(s->map_pages, key, mp);
    }
    g_hash_table_insert(s->map_pending, GSIZE_TO_POINTER((gsize)block), GUINT_TO_POINTER(tok));
    g_array_append_val(mp->blocks, block);
    if (++mp->count < (guint)s->cfg.fault_unserializable)
        return;
    g_array_sort(mp->blocks, u64_cmp);
    for (guint i = 0; i < mp->blocks->len; i++) {
        guint64 b = g_array_index(mp->blocks, guint64, i);
        gpointer bk = GSIZE_TO_POINTER((gsize)b), v;
        if (g_hash_table_lookup_extended(s->map_pending, bk, NULL, &v)) {
            sim_media_set(s->media, b, GPOINTER_TO_UINT(v));
            g_hash_table_remove(s->map_pending, bk);
        }
    }
    g_array_set_size(mp->blocks, 0);
    mp->count = 0;
}

static void land_unit(Ssd *s, Prog *p, guint32 u)
{
    if (p->sub > 1) {
        guint32 i = u / p->sub;
        if (++p->cnt[i] == p->sub)
            sim_media_set(s->media, p->block + i, p->tok[i]);
        else if (p->cnt[i] == 1)
            sim_media_set(s->media, p->block + i, sim_media_token_torn(p->tok[i]));
        return;
    }
    guint64 g0 = p->block / p->ublocks;
    for (guint32 i = 0; i < p->n; i++)
        if ((p->block + i) / p->ublocks - g0 == u)
            sim_media_set(s->media, p->block + i, p->tok[i]);
}

static void prog_ev(SimWorld *w, gpointer obj, gint64 arg)
{
    Prog *p = obj;
    Ssd *s = p->s;
    if (arg < 0) {                                   /* program start: the in-flight fault state */
        for (guint32 i = 0; i < p->n; i++) {
            if (p->mode == MODE_FLY) {
                p->fly_old[i] = sim_media_get(s->media, p->fly + i);
                sim_media_set(s->media, p->fly + i, p->tok[i]);
            } else {
                sim_media_set(s->media, p->block + i, sim_media_token_torn(0));
            }
        }
        sim_schedule_at(w, p->e, prog_ev, p, 0);
        return;
    }
    switch (p->mode) {
    case MODE_PLAN:
        land_unit(s, p, p->order[p->step++]);
        if (p->step < p->nunits) {
            SimTime t = p->step + 1 == p->nunits ? p->e : p->x + (p->e - p->x) * (p->step + 1) / p->nunits;
            sim_schedule_at(w, t, prog_ev, p, 0);
            return;
        }
        break;
    case MODE_FLY:
        for (guint32 i = 0; i < p->n; i++)
            sim_media_set(s->media, p->fly + i, p->fly_old[i]);
        /* fall through */
    case MODE_BITS:
        for (guint32 i = 0; i < p->n; i++)
            sim_media_set(s->media, p->block + i, p->tok[i]);
        break;
    case MODE_MAP:
        for (guint32 i = 0; i < p->n; i++)
            map_update(s, p->block + i, p->tok[i]);
        break;
    case MODE_NONE:
        break;
    }
    s->st.media_blocks += p->n;
    Job *j = p->job;
    LIST_DEL(s->progs, p);
    g_free(p);
    if (--j->pending == 0)
        job_end(s, j);
}

/* Split the live blocks of [block, block+n) into per-page programs. */
static void job_issue(Ssd *s, Job *j, guint64 block, guint32 n, const SimToken *tok, const guint8 *dead)
{
    guint32 i = 0;
    while (i < n) {
        if (dead && dead[i]) {
            i++;
            continue;
        }
        guint32 k = i + 1;
        while (k < n && !(dead && dead[k]) && (block + k) % s->pblocks != 0)
            k++;
        prog_issue(s, j, block + i, k - i, tok + i);
        i = k;
    }
    g_assert(j->pending > 0);
}

/* A write the buffer does not take: programmed straight from the host. */
static void media_write(gpointer owner, SimIo *io)
{
    Ssd *s = owner;
    Job *j = g_new0(Job, 1);
    j->io = io;
    j->seq = s->front.cache ? sim_wbcache_discard(s->front.cache, io->block, io->nblocks) : SIM_WB_SEQ_NONE;
    LIST_ADD(s->jobs, j);
    if (s->cfg.plp)
        plp_land(s, io);
    job_issue(s, j, io->block, io->nblocks, io->tokens, NULL);
    dispatch(s);
}

/* ---- reads ---------------------------------------------------------------- */

static void read_done_ev(SimWorld *w, gpointer obj, gint64 arg)
{
    SimIo *io = obj;
    sim_front_read_done(io->priv, io);
}

static void media_read(gpointer owner, SimIo *io)
{
    Ssd *s = owner;
    SimTime end = sim_now(s->w);
    for (guint64 b = io->block; b < io->block + io->nblocks;) {
        guint64 stop = MIN(io->block + io->nblocks, (b / s->pblocks + 1) * s->pblocks);
        guint die = sim_ssd_die_of(&s->cfg, b), ch = die % (guint)s->cfg.channels;
        SimTime r = MAX(sim_now(s->w), s->die_free[die]) + s->read_ns;
        s->die_free[die] = r;
        SimTime t = MAX(r, s->ch_free[ch]) + llround((double)(stop - b) * BLOCK_BYTES * s->ch_ns_per_byte);
        s->ch_free[ch] = t;
        end = MAX(end, t);
        s->st.media_reads++;
        b = stop;
    }
    sim_schedule_at(s->w, end, read_done_ev, io, 0);
}

static const SimFrontOps ssd_front_ops = {
    .media_write = media_write,
    .media_read = media_read,
    .superseded = superseded,
    .dispatch = dispatch,
    .cached = cached,
};

static void ssd_submit(SimBlkDev *d, SimIo *io)
{
    Ssd *s = d->priv;
    sim_front_submit(&s->front, d, io);
}

/* ---- destaging ------------------------------------------------------------ */

static SimTime die_cost(gpointer ud, guint64 block)
{
    const Ssd *s = ud;
    SimTime f = s->die_free[sim_ssd_die_of(&s->cfg, block)] - sim_now(s->w);
    return MAX(f, 0);
}

/* Destage what the front end hands out (something presses or the host has
 * been idle), at most one segment per die in flight. */
static void dispatch(gpointer owner)
{
    Ssd *s = owner;
    while (s->destaging < s->ndies) {
        SimWbSeg *seg = sim_front_next_destage(&s->front, 0, die_cost, s);
        if (!seg)
            return;
        Job *j = g_new0(Job, 1);
        j->seg = seg;
        LIST_ADD(s->jobs, j);
        s->destaging++;
        job_issue(s, j, seg->block, seg->nblocks, seg->tokens, seg->dead);
    }
}

/* ---- device --------------------------------------------------------------- */

static void ssd_get_stats(SimBlkDev *d, SimDevStats *st)
{
    const Ssd *s = d->priv;
    *st = s->st;
}

static void map_page_free(gpointer p)
{
    MapPage *mp = p;
    g_array_free(mp->blocks, TRUE);
    g_free(mp);
}

static void ssd_destroy(SimBlkDev *d)
{
    Ssd *s = d->priv;
    for (Prog *p = s->progs, *n; p; p = n) {
        n = p->next;
        g_free(p);
    }
    for (Job *j = s->jobs, *n; j; j = n) {
        n = j->next;
        g_free(j);
    }
    sim_front_clear(&s->front);
    sim_media_free(s->media);
    g_hash_table_destroy(s->map_pending);
    g_hash_table_destroy(s->map_pages);
    g_free(s->die_free);
    g_free(s->ch_free);
    g_free(s);
}

static const SimBlkOps ssd_ops = {
    .version = SIM_BLK_OPS_VERSION,
    .name = "ssd",
    .submit = ssd_submit,
    .get_stats = ssd_get_stats,
    .destroy = ssd_destroy,
};

SimSsdAt sim_ssd_where(SimBlkDev *d, guint64 block, SimToken tok)
{
    Ssd *s = d->priv;
    for (Prog *p = s->progs; p; p = p->next)
        if (block >= p->block && block < p->block + p->n && p->tok[block - p->block] == tok)
            return p->mode == MODE_BITS ? SIM_SSD_AT_PROGRAM_BITS
                 : p->mode == MODE_FLY ? SIM_SSD_AT_PROGRAM_FLY : SIM_SSD_AT_PROGRAM;
    gpointer v;
    if (s->map_pending && g_hash_table_lookup_extended(s->map_pending, GSIZE_TO_POINTER((gsize)block), NULL, &v) &&
        GPOINTER_TO_UINT(v) == tok)
        return SIM_SSD_AT_MAP_PENDING;
    SimToken t;
    if (s->front.cache && sim_wbcache_lookup(s->front.cache, block, &t, NULL) && t == tok)
        return SIM_SSD_AT_BUFFER;
    return SIM_SSD_AT_NONE;
}

SimBlkDev *sim_ssd_new(SimWorld *w, const SimSsdCfg *cfg)
{
    g_return_val_if_fail(sim_ssd_cfg_validate(cfg, NULL), NULL);
    g_return_val_if_fail(cfg->capacity_gb > 0 && cfg->channels > 0 && cfg->dies > 0 && cfg->window > 0 &&
                             cfg->ncq_depth > 0 && cfg->cache_mb >= 0 && cfg->channel_mb_s > 0 &&
                             cfg->iface_mb_s > 0 && cfg->page_kb / 4 <= MAX_PAGE_BLOCKS &&
                             (guint)cfg->flush <= SIM_HDD_FLUSH_IGNORE &&
                             (guint)cfg->report_cache <= SIM_HDD_REPORT_WRITE_THROUGH &&
                             (guint)cfg->plp_report <= SIM_SSD_PLP_REPORT_NO_CACHE,
                         NULL);
    Ssd *s = g_new0(Ssd, 1);
    s->w = w;
    s->cfg = *cfg;
    SimBlkDev *d = sim_blkdev_new(&ssd_ops, "ssd", w, s);
    s->pblocks = page_blocks(cfg);
    s->ndies = (guint)(cfg->channels * cfg->dies);
    /* whole stripes of pages, so the flying victim of a page is on its die */
    guint64 raw = (guint64)cfg->capacity_gb * 1000000000ULL / BLOCK_BYTES;
    guint64 stripe = (guint64)s->pblocks * s->ndies;
    s->nblocks = d->nblocks = MAX(raw / stripe, 2) * stripe;
    d->atomic_bytes = (guint32)MIN(cfg->atomic_bytes, BLOCK_BYTES);
    gboolean report_wc = cfg->cache_mb > 0 && cfg->report_cache == SIM_HDD_REPORT_AUTO &&
                         !(cfg->plp && cfg->plp_report == SIM_SSD_PLP_REPORT_NO_CACHE);
    d->caps = (report_wc ? SIM_BLK_CAP_VOLATILE_CACHE : 0) | (cfg->fua ? SIM_BLK_CAP_FUA : 0);
    d->media = s->media = sim_media_new(d->nblocks);
    s->rng = sim_world_rng(w, "ssd");
    SimFrontCfg fc = {
        .ncq_depth = cfg->ncq_depth, .iface_mb_s = cfg->iface_mb_s, .cmd_overhead_us = cfg->cmd_overhead_us,
        .cache_mb = cfg->cache_mb, .policy = cfg->policy, .window = cfg->window, .high_water = cfg->high_water,
        .idle_ms = cfg->idle_ms, .ack_from_cache = cfg->plp || cfg->flush == SIM_HDD_FLUSH_IGNORE,
    };
    sim_front_init(&s->front, w, &fc, &ssd_front_ops, s, &s->st);
    s->die_free = g_new0(SimTime, s->ndies);
    s->ch_free = g_new0(SimTime, cfg->channels);
    s->ch_ns_per_byte = 1e9 / (cfg->channel_mb_s * 1e6);
    s->prog_ns = llround(cfg->program_us * 1e3);
    s->read_ns = llround(cfg->read_us * 1e3);
    s->map_pending = g_hash_table_new(g_direct_hash, g_direct_equal);
    s->map_pages = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, map_page_free);
    return d;
}

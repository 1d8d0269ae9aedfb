/* sim/dev/raid.c - a hardware RAID controller (SEMANTICS §5) over N member
 * hdds, through the SimBlkOps interface in both directions.
 *
 * Mapping (stripe unit su blocks, n members; "row" = one stripe across the
 * data members):
 *  - RAID-0:  stripe s = L / su, member s % n, member block (s / n) * su + L % su;
 *  - RAID-1:  every member holds L at block L; member 0 is the primary;
 *  - RAID-10: RAID-0 over n/2 mirror pairs; pair p = members 2p (primary) and 2p+1.
 *
 * Controller cache (sim/dev/wbcache, the drive's implementation). Writes are
 * acknowledged from it when the cache is in use (sim_raid_caching): policy
 * write-back with a battery or flash backing, or forced write-back with any
 * backing; write-back without a backing falls back to write-through, as
 * MegaRAID/Dell firmware does with a missing battery (SEMANTICS §5.1).
 * Otherwise writes pass through to the members and complete when every copy
 * has completed there (which, with member caches on, is their volatile
 * cache: the §5.1 caveat). Destaging runs continuously, up to destage_depth
 * segments at once; a segment is released when every member write of it has
 * completed ("frees cache lines once a member acks", R2).
 *
 * Host FLUSH: with flush = "ack" and a backed cache, it is acknowledged
 * at once (members untouched, R2). Otherwise ("drain", or a volatile cache)
 * it waits until every segment older than it has been destaged, then sends a
 * FLUSH to every member whose cache is on. A FUA write is treated the same
 * way after it is cached, unless the cache is backed and flush = "ack"
 * (then it is acknowledged from the cache). So with "drain" everything the
 * host made durable (FLUSH, FUA) is on member media when acknowledged; with
 * "ack" and member caches on, a line freed on a member's ack sits only in
 * that member's volatile cache: the R2 loss, barriers or not. Advertised cache: write-through
 * (no VOLATILE_CACHE cap, so the block layer sends no flushes, B1/H9) iff
 * the member caches are off and the cache (if used) has a battery or flash
 * backing: sim_raid_advertises_volatile. The controller cannot know the
 * outage will outlast its battery, so with outage_h > hold_h it behaves
 * exactly as with a short outage, and loses the cache at restore (R4).
 *
 * Durability - the LOGICAL durable image (d->media, the only media the crash
 * evaluator sees) is maintained exactly, at the instant it changes:
 *   logical[L] = newest token of L in the controller cache, if the cache is
 *                non-volatile for this outage and still holds L (dirty or
 *                being destaged); the controller replays it at power-on;
 *              = otherwise the PRIMARY member copy on member MEDIA (member
 *                caches are volatile and never count). After an unclean
 *                shutdown a mirror is resynchronised from its primary, so the
 *                primary's media is what the volume holds (modelling choice:
 *                "copy from first"). Member failure after the cut: RAID-5
 *                only (failed_member, see the RAID-5 section below).
 * It is updated (a) when a write enters a non-volatile cache, (b) when the
 * cache releases L (logical falls back to the member media, which may be
 * OLDER than what was acknowledged: the R2 loss), and (c) from the listener
 * on each primary member's media, when L is not held in a non-volatile cache.
 * The members' media never saw mkfs (the file system initialises the
 * logical image directly), so the member value of L is tracked as `mtok`,
 * seeded with the logical image's value at the first change the controller
 * makes to L (which is then still the initial image).
 * A volatile controller cache (no backing, or a battery outage longer than
 * hold_h, R4) never counts: its content is lost at the cut.
 * Torn member blocks (atomic_bytes 512): the logical media records the
 * same pre-write token as the member's (release_to_member).
 */
#include "raid.h"
#include <math.h>

#define BLOCK_BYTES 4096
#define MAX_COPIES 64

const char *const sim_raid_write_policy_names[] = { "write-back", "write-through", "forced-write-back", NULL };
const char *const sim_raid_backing_names[] = { "none", "battery", "flash", NULL };
const char *const sim_raid_flush_names[] = { "drain", "ack", NULL };

static const SimParam raid_params[] = {
    { "level", SIM_PT_INT, G_STRUCT_OFFSET(SimRaidCfg, level), NULL, "1", 0, 10, NULL,
      "RAID level: 0, 1, 5 or 10" },
    { "disks", SIM_PT_INT, G_STRUCT_OFFSET(SimRaidCfg, disks), NULL, "2", 1, 64, NULL,
      "member drives, each described by the device table (hdd keys)" },
    { "stripe_blocks", SIM_PT_INT, G_STRUCT_OFFSET(SimRaidCfg, stripe_blocks), "blocks", "16", 1, 4096, NULL,
      "stripe unit in 4 KiB blocks (16 = 64 KiB)" },
    { "cache_mb", SIM_PT_INT, G_STRUCT_OFFSET(SimRaidCfg, cache_mb), "MiB", "1024", 0, 1048576, NULL,
      "controller cache; 0 = none (write-through)" },
    { "write_policy", SIM_PT_ENUM, G_STRUCT_OFFSET(SimRaidCfg, write_policy), NULL, "write-back", SIM_PARAM_NORANGE,
      sim_raid_write_policy_names,
      "write-back only with a battery/flash backing (else write-through); forced-write-back caches regardless" },
    { "backing", SIM_PT_ENUM, G_STRUCT_OFFSET(SimRaidCfg, backing), NULL, "battery", SIM_PARAM_NORANGE,
      sim_raid_backing_names, "what keeps the cache across a power cut: none, battery (hold_h), flash" },
    { "hold_h", SIM_PT_DOUBLE, G_STRUCT_OFFSET(SimRaidCfg, hold_h), "h", "72", 0, 10000, NULL,
      "battery hold-up time; a longer outage loses the cache (R4)" },
    { "outage_h", SIM_PT_DOUBLE, G_STRUCT_OFFSET(SimRaidCfg, outage_h), "h", "0", 0, 100000, NULL,
      "how long the power stays off after the cut" },
    { "member_cache", SIM_PT_BOOL, G_STRUCT_OFFSET(SimRaidCfg, member_cache), NULL, "false", SIM_PARAM_NORANGE, NULL,
      "member drives' write caches on (device.cache_mb) or off (0)" },
    { "flush", SIM_PT_ENUM, G_STRUCT_OFFSET(SimRaidCfg, flush), NULL, "drain", SIM_PARAM_NORANGE,
      sim_raid_flush_names,
      "host FLUSH: drain (destage the cache, flush the members) or ack (from a non-volatile cache, members untouched)" },
    { "destage_depth", SIM_PT_INT, G_STRUCT_OFFSET(SimRaidCfg, destage_depth), "writes", "32", 1, 1024, NULL,
      "cache segments destaged at once" },
    { "ctrl_mb_s", SIM_PT_DOUBLE, G_STRUCT_OFFSET(SimRaidCfg, ctrl_mb_s), "MB/s", "2000", 1, 100000, NULL,
      "host to controller-cache transfer rate" },
    { "cmd_overhead_us", SIM_PT_DOUBLE, G_STRUCT_OFFSET(SimRaidCfg, cmd_overhead_us), "us", "10", 0, 10000, NULL,
      "controller overhead per command" },
    { "failed_member", SIM_PT_INT, G_STRUCT_OFFSET(SimRaidCfg, failed_member), NULL, "-1", -1, 63, NULL,
      "RAID-5: the member that fails when power returns, so the array comes up degraded and rebuilds its "
      "blocks from parity (R5); -1: none, parity is resynchronised from the data" },
};
const SimSchema sim_raid_schema = { "raid", raid_params, G_N_ELEMENTS(raid_params), sizeof(SimRaidCfg) };

gboolean sim_raid_cfg_validate(const SimRaidCfg *c, GError **error)
{
    if (c->level != 0 && c->level != 1 && c->level != 5 && c->level != 10) {
        g_set_error(error, SIM_PARAMS_ERROR, SIM_PARAMS_ERROR_VALUE,
                    "raid.level: %" G_GINT64_FORMAT " is not allowed (0, 1, 5 or 10)", c->level);
        return FALSE;
    }
    if (c->disks < 2 || (c->level == 10 && (c->disks < 4 || c->disks % 2)) || (c->level == 5 && c->disks < 3)) {
        g_set_error(error, SIM_PARAMS_ERROR, SIM_PARAMS_ERROR_VALUE,
                    "raid.disks: %" G_GINT64_FORMAT " is not allowed for RAID-%" G_GINT64_FORMAT " (%s)", c->disks,
                    c->level, c->level == 10 ? "an even number >= 4" : c->level == 5 ? ">= 3" : ">= 2");
        return FALSE;
    }
    if (c->failed_member >= 0 && c->level != 5) {
        g_set_error(error, SIM_PARAMS_ERROR, SIM_PARAMS_ERROR_VALUE,
                    "raid.failed_member: %" G_GINT64_FORMAT " is not allowed for RAID-%" G_GINT64_FORMAT
                    " (member failure is modelled for RAID-5 only; use -1)", c->failed_member, c->level);
        return FALSE;
    }
    if (c->failed_member >= c->disks) {
        g_set_error(error, SIM_PARAMS_ERROR, SIM_PARAMS_ERROR_VALUE,
                    "raid.failed_member: %" G_GINT64_FORMAT " is not a member (-1 or 0..%" G_GINT64_FORMAT ")",
                    c->failed_member, c->disks - 1);
        return FALSE;
    }
    return TRUE;
}

gboolean sim_raid_caching(const SimRaidCfg *c)
{
    return c->cache_mb > 0 && (c->write_policy == SIM_RAID_FORCED_WB ||
                               (c->write_policy == SIM_RAID_WB && c->backing != SIM_RAID_BACKING_NONE));
}

gboolean sim_raid_nonvolatile(const SimRaidCfg *c)
{
    return c->backing == SIM_RAID_BACKING_FLASH || (c->backing == SIM_RAID_BACKING_BATTERY && c->outage_h <= c->hold_h);
}

/* The controller cannot know how long the coming outage will be: what it
 * advertises and how it treats FLUSH/FUA depend on whether it HAS a backing,
 * not on outage_h (which only decides what survives, R4). */
gboolean sim_raid_advertises_volatile(const SimRaidCfg *c)
{
    return c->member_cache || (sim_raid_caching(c) && c->backing == SIM_RAID_BACKING_NONE);
}

guint sim_raid5_parity_member(const SimRaidCfg *c, guint64 mblock)
{
    guint64 n = (guint64)c->disks, row = mblock / (guint64)c->stripe_blocks;
    return (guint)(n - 1 - row % n);
}

guint64 sim_raid5_line_block(const SimRaidCfg *c, guint64 mblock, guint k)
{
    guint64 su = (guint64)c->stripe_blocks, n = (guint64)c->disks, row = mblock / su;
    return (row * (n - 1) + k) * su + mblock % su;
}

guint sim_raid_map(const SimRaidCfg *c, guint64 L, guint *member, guint64 *mblock, guint max)
{
    guint64 su = (guint64)c->stripe_blocks, n = (guint64)c->disks;
    if (c->level == 5) {
        guint64 s = L / su, row = s / (n - 1), k = s % (n - 1);
        mblock[0] = row * su + L % su;
        member[0] = (guint)((sim_raid5_parity_member(c, mblock[0]) + 1 + k) % n);
        return 1;
    }
    if (c->level == 1) {
        guint k = (guint)MIN(n, (guint64)max);
        for (guint i = 0; i < k; i++) {
            member[i] = i;
            mblock[i] = L;
        }
        return k;
    }
    guint64 groups = c->level == 10 ? n / 2 : n, s = L / su;
    guint64 g = s % groups, mb = (s / groups) * su + L % su;
    if (c->level == 0) {
        member[0] = (guint)g;
        mblock[0] = mb;
        return 1;
    }
    guint k = MIN(2u, max);
    for (guint i = 0; i < k; i++) {
        member[i] = (guint)(2 * g + i);
        mblock[i] = mb;
    }
    return k;
}

guint64 sim_raid_capacity(const SimRaidCfg *c, guint64 member_blocks)
{
    guint64 su = (guint64)c->stripe_blocks, n = (guint64)c->disks;
    if (c->level == 1)
        return member_blocks;
    guint64 groups = c->level == 10 ? n / 2 : c->level == 5 ? n - 1 : n;
    return groups * (member_blocks / su * su);
}

/* The logical block whose primary copy is (member m, block b), or G_MAXUINT64. */
static guint64 unmap_primary(const SimRaidCfg *c, guint m, guint64 b)
{
    guint64 su = (guint64)c->stripe_blocks, n = (guint64)c->disks;
    if (c->level == 1)
        return m == 0 ? b : G_MAXUINT64;
    if (c->level == 5) {
        guint p = sim_raid5_parity_member(c, b);
        return m == p ? G_MAXUINT64 : sim_raid5_line_block(c, b, (guint)((m + n - p - 1) % n));
    }
    guint64 groups = n, g = m;
    if (c->level == 10) {
        if (m % 2)
            return G_MAXUINT64;
        groups = n / 2;
        g = m / 2;
    }
    guint64 s = (b / su) * groups + g;
    return s * su + b % su;
}

/* ---- state -------------------------------------------------------------- */

typedef struct Raid Raid;
typedef struct { Raid *r; guint idx; } MemberRef;

struct Raid {
    SimWorld   *w;
    SimRaidCfg  cfg;
    SimBlkDev  *self;
    guint       n;
    SimBlkDev **mem;
    MemberRef  *refs;
    SimMedia   *logical;
    SimWbCache *cache;        /* NULL when not caching */
    gboolean    nv;           /* cache contents survive the outage (durability) */
    gboolean    backed;       /* the controller believes its cache is non-volatile (a backing exists) */
    GHashTable *nvtok;        /* L -> newest token held in a non-volatile cache */
    GHashTable *mtok;         /* L -> token on the primary member's media (see top) */
    /* RAID-5 */
    GHashTable *lines;        /* member block -> Line, for every line touched */
    GHashTable *sent;         /* L -> newest token sent to its member (default: member_value) */
    GHashTable *row_locks;    /* row -> GQueue of R5Row: the head holds the row, the rest wait */
    SimToken    ptok_next;    /* next device-private parity token */
    gint        failed;       /* failed_member */
    GQueue      waitq;        /* host writes waiting for cache room */
    GQueue      flushq;       /* host flushes / volatile FUA writes waiting for a drain (priv_i = mark) */
    guint       destaging;
    guint64     head;
    SimTime     iface_free;
    double      ns_per_byte, cmd_ns;
    SimDevStats st;
};

static SimToken member_value(Raid *r, guint64 L)
{
    gpointer v;
    if (g_hash_table_lookup_extended(r->mtok, GSIZE_TO_POINTER((gsize)L), NULL, &v))
        return GPOINTER_TO_UINT(v);
    SimToken t = sim_media_get(r->logical, L);   /* untouched so far: the initial image */
    g_hash_table_insert(r->mtok, GSIZE_TO_POINTER((gsize)L), GUINT_TO_POINTER(t));
    return t;
}

static void logical_set(Raid *r, guint64 L, SimToken t)
{
    if (sim_media_get(r->logical, L) != t)
        sim_media_set(r->logical, L, t);
}

/* ---- RAID-5 parity bookkeeping -------------------------------------------
 * Tokens are not bytes, so parity is modelled by what it was computed from:
 * each parity write carries a device-private token, remembered with the
 * snapshot of the line's n-1 data tokens it covers (the controller's view,
 * `sent`, at the instant it issued the write). When that token lands on the
 * parity member's media the snapshot becomes the line's `media` parity; a
 * torn parity block covers nothing (NULL). Rebuilding data index kf of a
 * line from parity (XOR of the parity and the other n-2 data blocks) gives
 * the snapshot's value iff every other data block on media equals the
 * snapshot's; otherwise the XOR mixes versions: SIM_TOKEN_GARBAGE. Same-block
 * member writes land in issue order (hdd.c, wbcache.h), so once a parity
 * version lands no older one can land after it. */
typedef struct { SimToken tok; SimToken *snap; } PVer;
typedef struct {
    GArray   *issued;         /* PVer sent to the parity member and not landed yet, oldest first */
    SimToken *media;          /* data tokens the parity on media covers; NULL: garbage (torn) */
    guint     inflight;       /* stripe writes between their first member write and their completion */
} Line;

static guint r5_k(Raid *r, guint m, guint p) { return (m + r->n - p - 1) % r->n; }

static void line_free(gpointer p)
{
    Line *ln = p;
    for (guint i = 0; i < ln->issued->len; i++)
        g_free(g_array_index(ln->issued, PVer, i).snap);
    g_array_free(ln->issued, TRUE);
    g_free(ln->media);
    g_free(ln);
}

/* The line at member block mb, created on first touch with a parity
 * consistent with the initial image (mkfs left every stripe in sync). It is
 * touched before any block of it changes, so member_value still reads the
 * initial image then. */
static Line *line_get(Raid *r, guint64 mb)
{
    Line *ln = g_hash_table_lookup(r->lines, GSIZE_TO_POINTER((gsize)mb));
    if (ln)
        return ln;
    ln = g_new0(Line, 1);
    ln->issued = g_array_new(FALSE, FALSE, sizeof(PVer));
    ln->media = g_new(SimToken, r->n - 1);
    for (guint k = 0; k < r->n - 1; k++)
        ln->media[k] = member_value(r, sim_raid5_line_block(&r->cfg, mb, k));
    g_hash_table_insert(r->lines, GSIZE_TO_POINTER((gsize)mb), ln);
    return ln;
}

static SimToken sent_get(Raid *r, guint64 L)
{
    gpointer v;
    if (g_hash_table_lookup_extended(r->sent, GSIZE_TO_POINTER((gsize)L), NULL, &v))
        return GPOINTER_TO_UINT(v);
    return member_value(r, L);
}

/* What the degraded array returns for data index kf of line mb, whose
 * member failed. A non-volatile cache holding a stripe write that had not
 * completed re-destages it from the cache at power-on (data and parity
 * kept there until both are on the members), which closes the hole. */
static SimToken r5_rebuilt(Raid *r, guint64 mb, guint kf)
{
    Line *ln = line_get(r, mb);
    if (r->nv && ln->inflight)
        return sent_get(r, sim_raid5_line_block(&r->cfg, mb, kf));
    if (!ln->media)
        return SIM_TOKEN_GARBAGE;
    for (guint k = 0; k < r->n - 1; k++)
        if (k != kf && member_value(r, sim_raid5_line_block(&r->cfg, mb, k)) != ln->media[k])
            return SIM_TOKEN_GARBAGE;
    return ln->media[kf];
}

/* L's data lives on the failed member (RAID-5 with failed_member). */
static gboolean on_failed(Raid *r, guint64 L, guint64 *mb, guint *kf)
{
    if (r->failed < 0)
        return FALSE;
    guint m;
    sim_raid_map(&r->cfg, L, &m, mb, 1);
    if ((gint)m != r->failed)
        return FALSE;
    *kf = r5_k(r, m, sim_raid5_parity_member(&r->cfg, *mb));
    return TRUE;
}

/* Re-derive the logical value of line mb's block on the failed member. */
static void r5_refresh(Raid *r, guint64 mb)
{
    if (r->failed < 0)
        return;
    guint p = sim_raid5_parity_member(&r->cfg, mb);
    if ((gint)p == r->failed)
        return;                              /* the parity was lost: the data is intact */
    guint kf = r5_k(r, (guint)r->failed, p);
    guint64 L = sim_raid5_line_block(&r->cfg, mb, kf);
    if (!g_hash_table_contains(r->nvtok, GSIZE_TO_POINTER((gsize)L)))
        logical_set(r, L, r5_rebuilt(r, mb, kf));
}

static void r5_parity_landed(Raid *r, guint64 mb, SimToken t)
{
    Line *ln = line_get(r, mb);
    g_clear_pointer(&ln->media, g_free);
    if (!sim_token_is_torn(t))
        for (guint i = 0; i < ln->issued->len; i++)
            if (g_array_index(ln->issued, PVer, i).tok == t) {
                ln->media = g_array_index(ln->issued, PVer, i).snap;
                for (guint j = 0; j < i; j++)     /* older versions can never land now */
                    g_free(g_array_index(ln->issued, PVer, j).snap);
                g_array_remove_range(ln->issued, 0, i + 1);
                break;
            }
    r5_refresh(r, mb);
}

static void on_member_media(gpointer ud, guint64 b, SimToken old_tok, SimToken new_tok)
{
    MemberRef *ref = ud;
    Raid *r = ref->r;
    if (r->cfg.level == 5 && ref->idx == sim_raid5_parity_member(&r->cfg, b)) {
        r5_parity_landed(r, b, new_tok);
        return;
    }
    guint64 L = unmap_primary(&r->cfg, ref->idx, b);
    if (L >= r->self->nblocks)
        return;
    member_value(r, L);
    g_hash_table_insert(r->mtok, GSIZE_TO_POINTER((gsize)L), GUINT_TO_POINTER(new_tok));
    if ((gint)ref->idx == r->failed)
        return;                              /* rebuilt from parity instead */
    if (!g_hash_table_contains(r->nvtok, GSIZE_TO_POINTER((gsize)L)))
        logical_set(r, L, new_tok);
    r5_refresh(r, b);
}

/* ---- fan-out to members ------------------------------------------------- */

typedef void (*FanDone)(Raid *r, gpointer what);
typedef struct { Raid *r; guint pending; FanDone done; gpointer what; } Fan;

static void fan_child_done(SimIo *c, gpointer ctx)
{
    Fan *f = ctx;
    sim_io_free(c);
    if (--f->pending == 0) {
        f->done(f->r, f->what);
        g_free(f);
    }
}

static void fan_empty_ev(SimWorld *w, gpointer obj, gint64 arg)
{
    Fan *f = obj;
    f->done(f->r, f->what);
    g_free(f);
}

typedef struct { guint m; guint64 mb; guint32 i0, n; } Run;

/* Send [block, block+n) (tokens, live mask from seg or NULL) to the members:
 * every copy for writes, the primary for reads. Calls done(r, what) once all
 * children completed (at least one child is always sent: n > 0). */
static void fan_out(Raid *r, SimIoOp op, guint32 flags, guint16 origin, guint64 block, guint32 n,
                    const SimToken *tokens, const SimWbSeg *seg, FanDone done, gpointer what)
{
    Fan *f = g_new0(Fan, 1);
    f->r = r;
    f->done = done;
    f->what = what;
    f->pending = 1;                      /* guard while issuing */
    GArray *runs = g_array_new(FALSE, FALSE, sizeof(Run));
    Run cur[MAX_COPIES];
    gboolean have[MAX_COPIES] = { FALSE };
    guint member[MAX_COPIES];
    guint64 mblock[MAX_COPIES];
    guint maxk = 0;
    gint64 prev_i = -2;
    for (guint32 i = 0; i < n; i++) {
        if (seg && !sim_wbseg_live(seg, i))
            continue;
        guint k = sim_raid_map(&r->cfg, block + i, member, mblock, op == SIM_IO_WRITE ? MAX_COPIES : 1);
        maxk = MAX(maxk, k);
        for (guint c = 0; c < k; c++) {
            if (have[c] && cur[c].m == member[c] && cur[c].mb + cur[c].n == mblock[c] && prev_i == (gint64)i - 1) {
                cur[c].n++;
                continue;
            }
            if (have[c])
                g_array_append_val(runs, cur[c]);
            cur[c] = (Run){ member[c], mblock[c], i, 1 };
            have[c] = TRUE;
        }
        prev_i = i;
    }
    for (guint c = 0; c < maxk; c++)
        if (have[c])
            g_array_append_val(runs, cur[c]);
    for (guint j = 0; j < runs->len; j++) {
        Run *ru = &g_array_index(runs, Run, j);
        SimIo *c = sim_io_new(op, ru->mb, ru->n);
        c->flags = flags;
        c->origin = origin;
        if (op == SIM_IO_WRITE)
            for (guint32 i = 0; i < ru->n; i++)
                c->tokens[i] = tokens[ru->i0 + i];
        c->done = fan_child_done;
        c->ctx = f;
        f->pending++;
        sim_blk_submit(r->mem[ru->m], c);
    }
    g_array_free(runs, TRUE);
    f->pending--;
    if (f->pending == 0)                /* nothing live: still complete from an event */
        sim_schedule_at(r->w, sim_now(r->w), fan_empty_ev, f, 0);
}

/* ---- RAID-5 stripe writes ---------------------------------------------
 * A write is split by stripe row. A row whose every data block is written
 * is a full-stripe write: data and parity go out at once. Otherwise it is a
 * read-modify-write: read the old data being replaced and the old parity of
 * the lines touched, then write new data and new parity (per line: old
 * parity ^ old data ^ new data). Data and parity are separate member writes,
 * neither ordered nor atomic with respect to each other: the write hole.
 * Parity is read and written per run of touched lines (a write straddling a
 * stripe-unit boundary touches two lines, not the unit between them).
 *
 * Row lock (as md's stripe cache and controllers do): one write per row at a
 * time, the others wait in arrival order. So the old data and parity a
 * read-modify-write reads are those the previous write left, the parity
 * snapshot taken when the writes are issued is exactly old ^ old ^ new, and
 * two writes of one block reach the member in arrival order - a newer copy
 * can never land before an older one still waiting for its reads. */
typedef struct R5Op R5Op;
typedef struct {
    R5Op    *op;
    guint64  row;
    GArray  *blocks;          /* guint64 L, ascending */
    GArray  *toks;            /* SimToken, beside blocks */
    guint8  *lines;           /* stripe_blocks flags: line row*su + o touched */
    guint    pending;
} R5Row;
struct R5Op { Raid *r; guint32 flags; guint16 origin; guint rows; FanDone done; gpointer what; };

static void r5_submit(Raid *r, R5Row *rw, SimIoOp op, guint m, guint64 mb, guint32 n, const SimToken *toks,
                      SimIoDoneFn fn)
{
    SimIo *c = sim_io_new(op, mb, n);
    if (op == SIM_IO_WRITE) {
        c->flags = rw->op->flags & SIM_IO_FUA;
        for (guint32 i = 0; i < n; i++)
            c->tokens[i] = toks[i];
    }
    c->origin = rw->op->origin;
    c->done = fn;
    c->ctx = rw;
    rw->pending++;
    sim_blk_submit(r->mem[m], c);
}

/* Member runs of the row's data blocks (consecutive L on one member are
 * consecutive member blocks within a stripe unit). */
static void r5_data_runs(Raid *r, R5Row *rw, SimIoOp op, SimIoDoneFn fn)
{
    guint i = 0;
    while (i < rw->blocks->len) {
        guint m, m2;
        guint64 mb, mb2;
        sim_raid_map(&r->cfg, g_array_index(rw->blocks, guint64, i), &m, &mb, 1);
        guint j = i + 1;
        while (j < rw->blocks->len) {
            sim_raid_map(&r->cfg, g_array_index(rw->blocks, guint64, j), &m2, &mb2, 1);
            if (m2 != m || mb2 != mb + (j - i))
                break;
            j++;
        }
        r5_submit(r, rw, op, m, mb, j - i, &g_array_index(rw->toks, SimToken, i), fn);
        i = j;
    }
}

/* Parity runs: one member request per run of consecutive touched lines.
 * toks (writes) holds a token per touched line, in line order. */
static void r5_parity_runs(Raid *r, R5Row *rw, SimIoOp op, const SimToken *toks, SimIoDoneFn fn)
{
    guint64 su = (guint64)r->cfg.stripe_blocks, base = rw->row * su;
    guint p = sim_raid5_parity_member(&r->cfg, base);
    guint k = 0;
    for (guint64 o = 0; o < su;) {
        if (!rw->lines[o]) {
            o++;
            continue;
        }
        guint64 e = o;
        while (e < su && rw->lines[e])
            e++;
        r5_submit(r, rw, op, p, base + o, (guint32)(e - o), toks ? toks + k : NULL, fn);
        k += (guint)(e - o);
        o = e;
    }
}

static void r5_row_free(R5Row *rw)
{
    g_array_free(rw->blocks, TRUE);
    g_array_free(rw->toks, TRUE);
    g_free(rw->lines);
    g_free(rw);
}

static void r5_row_start(Raid *r, R5Row *rw);

static void r5_write_done(SimIo *c, gpointer ctx)
{
    R5Row *rw = ctx;
    sim_io_free(c);
    if (--rw->pending)
        return;
    R5Op *op = rw->op;
    Raid *r = op->r;
    guint64 su = (guint64)r->cfg.stripe_blocks;
    for (guint64 o = 0; o < su; o++) {
        if (!rw->lines[o])
            continue;
        Line *ln = line_get(r, rw->row * su + o);
        if (--ln->inflight == 0 && r->nv)
            r5_refresh(r, rw->row * su + o);
    }
    /* release the row lock: the next write of this row starts */
    GQueue *q = g_hash_table_lookup(r->row_locks, GSIZE_TO_POINTER((gsize)rw->row));
    g_assert(q && g_queue_peek_head(q) == rw);
    g_queue_pop_head(q);
    R5Row *next = g_queue_peek_head(q);
    if (!next)
        g_hash_table_remove(r->row_locks, GSIZE_TO_POINTER((gsize)rw->row));
    r5_row_free(rw);
    if (--op->rows == 0) {
        op->done(r, op->what);
        g_free(op);
    }
    if (next)
        r5_row_start(r, next);
}

static void r5_issue_writes(Raid *r, R5Row *rw)
{
    guint64 su = (guint64)r->cfg.stripe_blocks;
    for (guint i = 0; i < rw->blocks->len; i++)
        g_hash_table_insert(r->sent, GSIZE_TO_POINTER((gsize)g_array_index(rw->blocks, guint64, i)),
                            GUINT_TO_POINTER(g_array_index(rw->toks, SimToken, i)));
    GArray *ptoks = g_array_new(FALSE, FALSE, sizeof(SimToken));
    for (guint64 o = 0; o < su; o++) {
        if (!rw->lines[o])
            continue;
        guint64 mb = rw->row * su + o;
        Line *ln = line_get(r, mb);
        PVer v = { r->ptok_next++, g_new(SimToken, r->n - 1) };
        g_assert(v.tok < SIM_TOKEN_GARBAGE);
        for (guint k = 0; k < r->n - 1; k++)
            v.snap[k] = sent_get(r, sim_raid5_line_block(&r->cfg, mb, k));
        g_array_append_val(ln->issued, v);
        g_array_append_val(ptoks, v.tok);
        if (ln->inflight++ == 0 && r->nv)
            r5_refresh(r, mb);
    }
    rw->pending++;                           /* guard while issuing */
    r5_data_runs(r, rw, SIM_IO_WRITE, r5_write_done);
    r5_parity_runs(r, rw, SIM_IO_WRITE, (const SimToken *)ptoks->data, r5_write_done);
    g_array_free(ptoks, TRUE);
    rw->pending--;                           /* at least the parity write is out */
}

static void r5_read_done(SimIo *c, gpointer ctx)
{
    R5Row *rw = ctx;
    sim_io_free(c);
    if (--rw->pending == 0)
        r5_issue_writes(rw->op->r, rw);
}

/* The row lock is held: a full row goes out at once, a partial one reads
 * first. */
static void r5_row_start(Raid *r, R5Row *rw)
{
    guint64 su = (guint64)r->cfg.stripe_blocks;
    if (rw->blocks->len == su * (r->n - 1)) {
        r5_issue_writes(r, rw);
        return;
    }
    rw->pending++;
    r5_data_runs(r, rw, SIM_IO_READ, r5_read_done);
    r5_parity_runs(r, rw, SIM_IO_READ, NULL, r5_read_done);
    rw->pending--;
}

/* Write [block, block+n) (live mask from seg, or NULL) through parity; calls
 * done(r, what) once every member write of every row completed. */
static void r5_write(Raid *r, guint32 flags, guint16 origin, guint64 block, guint32 n, const SimToken *tokens,
                     const SimWbSeg *seg, FanDone done, gpointer what)
{
    guint64 su = (guint64)r->cfg.stripe_blocks, row_blocks = su * (r->n - 1);
    R5Op *op = g_new0(R5Op, 1);
    *op = (R5Op){ r, flags, origin, 0, done, what };
    GPtrArray *rows = g_ptr_array_new();
    R5Row *rw = NULL;
    for (guint32 i = 0; i < n; i++) {
        if (seg && !sim_wbseg_live(seg, i))
            continue;
        guint64 L = block + i, row = L / row_blocks, o = L % su;
        if (!rw || rw->row != row) {
            rw = g_new0(R5Row, 1);
            *rw = (R5Row){ op, row, g_array_new(FALSE, FALSE, sizeof(guint64)),
                           g_array_new(FALSE, FALSE, sizeof(SimToken)), g_new0(guint8, su), 0 };
            g_ptr_array_add(rows, rw);
        }
        g_array_append_val(rw->blocks, L);
        g_array_append_val(rw->toks, tokens[i]);
        rw->lines[o] = 1;
        line_get(r, row * su + o);          /* before anything of the line changes */
    }
    op->rows = rows->len;
    if (!rows->len) {                        /* nothing live: still complete from an event */
        Fan *f = g_new0(Fan, 1);
        *f = (Fan){ r, 0, done, what };
        sim_schedule_at(r->w, sim_now(r->w), fan_empty_ev, f, 0);
        g_free(op);
    }
    for (guint i = 0; i < rows->len; i++) {
        rw = g_ptr_array_index(rows, i);
        GQueue *q = g_hash_table_lookup(r->row_locks, GSIZE_TO_POINTER((gsize)rw->row));
        gboolean free_row = !q;
        if (!q) {
            q = g_queue_new();
            g_hash_table_insert(r->row_locks, GSIZE_TO_POINTER((gsize)rw->row), q);
        }
        g_queue_push_tail(q, rw);            /* the head holds the lock */
        if (free_row)
            r5_row_start(r, rw);
    }
    g_ptr_array_free(rows, TRUE);
}

static void flush_members(Raid *r, FanDone done, gpointer what)
{
    Fan *f = g_new0(Fan, 1);
    f->r = r;
    f->done = done;
    f->what = what;
    for (guint i = 0; i < r->n; i++) {
        SimIo *c = sim_io_new(SIM_IO_FLUSH, 0, 0);
        c->origin = SIM_ORIGIN_NONE;
        c->done = fan_child_done;
        c->ctx = f;
        f->pending++;
        sim_blk_submit(r->mem[i], c);
    }
}

/* ---- host side ---------------------------------------------------------- */

static void complete_ev(SimWorld *w, gpointer obj, gint64 arg) { sim_io_complete(w, obj); }

static void host_done(Raid *r, gpointer what) { sim_io_complete(r->w, what); }

/* The controller's interface: FIFO, durations known at start. */
static SimTime iface_xfer(Raid *r, guint64 bytes)
{
    SimTime start = MAX(sim_now(r->w), r->iface_free);
    r->iface_free = start + (SimTime)llround(r->cmd_ns + (double)bytes * r->ns_per_byte);
    return r->iface_free;
}

static void kick(Raid *r);

/* A drained flush (or volatile FUA write): members' caches next, if on. */
static void drained(Raid *r, SimIo *io)
{
    if (r->cfg.member_cache)
        flush_members(r, host_done, io);
    else
        sim_schedule_at(r->w, sim_now(r->w), complete_ev, io, 0);
}

static void check_flushes(Raid *r)
{
    guint64 oldest = sim_wbcache_oldest(r->cache);
    for (GList *l = r->flushq.head; l;) {
        GList *next = l->next;
        SimIo *io = l->data;
        if (oldest >= (guint64)io->priv_i) {
            g_queue_delete_link(&r->flushq, l);
            drained(r, io);
        }
        l = next;
    }
}

static void cache_in(Raid *r, SimIo *io)
{
    sim_wbcache_write(r->cache, io->block, io->nblocks, io->tokens);
    r->st.max_dirty_blocks = MAX(r->st.max_dirty_blocks, sim_wbcache_used(r->cache));
    if (r->nv)
        for (guint32 i = 0; i < io->nblocks; i++) {
            guint64 L = io->block + i;
            member_value(r, L);
            if (r->cfg.level == 5) {
                guint m;
                guint64 mb;
                sim_raid_map(&r->cfg, L, &m, &mb, 1);
                line_get(r, mb);
            }
            g_hash_table_insert(r->nvtok, GSIZE_TO_POINTER((gsize)L), GUINT_TO_POINTER(io->tokens[i]));
            logical_set(r, L, io->tokens[i]);
        }
    if ((io->flags & SIM_IO_FUA) && (!r->backed || r->cfg.flush == SIM_RAID_FLUSH_DRAIN)) {
        io->priv_i = (gint64)sim_wbcache_mark(r->cache);
        g_queue_push_tail(&r->flushq, io);
    } else
        sim_schedule_at(r->w, iface_xfer(r, (guint64)io->nblocks * BLOCK_BYTES), complete_ev, io, 0);
}

static void admit_waiting(Raid *r)
{
    while (r->waitq.head) {
        SimIo *io = r->waitq.head->data;
        if (!sim_wbcache_fits(r->cache, io->block, io->nblocks)) {
            r->st.cache_full_waits++;
            break;
        }
        g_queue_pop_head(&r->waitq);
        cache_in(r, io);
    }
}

/* logical[L] := the primary member's media value. If that is a TORN token
 * (a member write mid-transfer), pass through the member's pre-write token
 * first, so the logical media records the same "old half" as the member's
 * (two changes at one instant: no cut can fall between them). */
static void release_to_member(Raid *r, guint64 L)
{
    guint64 mb;
    guint kf;
    if (on_failed(r, L, &mb, &kf)) {
        logical_set(r, L, r5_rebuilt(r, mb, kf));
        return;
    }
    SimToken t = member_value(r, L);
    if (sim_token_is_torn(t)) {
        guint m;
        guint64 mb;
        sim_raid_map(&r->cfg, L, &m, &mb, 1);
        logical_set(r, L, sim_media_torn_old(r->mem[m]->media, mb));
    }
    logical_set(r, L, t);
}

static void destage_done(Raid *r, gpointer what)
{
    SimWbSeg *seg = what;
    guint64 b = seg->block;
    guint32 n = seg->nblocks;
    guint8 *live = g_alloca(n);
    for (guint32 i = 0; i < n; i++)
        live[i] = sim_wbseg_live(seg, i);
    sim_wbcache_end(r->cache, seg);
    r->destaging--;
    if (r->nv)
        for (guint32 i = 0; i < n; i++)
            if (live[i] && !sim_wbcache_holds(r->cache, b + i, 1)) {
                /* released: the logical image falls back to the member media */
                g_hash_table_remove(r->nvtok, GSIZE_TO_POINTER((gsize)(b + i)));
                release_to_member(r, b + i);
            }
    check_flushes(r);
    admit_waiting(r);
    kick(r);
}

static void kick(Raid *r)
{
    while (r->destaging < (guint)r->cfg.destage_depth) {
        SimWbSeg *seg = sim_wbcache_pick(r->cache, SIM_WB_SEQ_NONE, r->head, NULL, NULL);
        if (!seg)
            break;
        sim_wbcache_begin(r->cache, seg);
        r->destaging++;
        r->head = seg->block + seg->nblocks;
        if (r->cfg.level == 5)
            r5_write(r, 0, SIM_ORIGIN_NONE, seg->block, seg->nblocks, seg->tokens, seg, destage_done, seg);
        else
            fan_out(r, SIM_IO_WRITE, 0, SIM_ORIGIN_NONE, seg->block, seg->nblocks, seg->tokens, seg, destage_done,
                    seg);
    }
}

static void raid_submit(SimBlkDev *d, SimIo *io)
{
    Raid *r = d->priv;
    io->priv = r;
    switch (io->op) {
    case SIM_IO_READ:
        r->st.reads++;
        if (r->cache && sim_wbcache_holds(r->cache, io->block, io->nblocks)) {
            r->st.cache_hits++;
            sim_schedule_at(r->w, iface_xfer(r, (guint64)io->nblocks * BLOCK_BYTES), complete_ev, io, 0);
        } else
            fan_out(r, SIM_IO_READ, 0, io->origin, io->block, io->nblocks, NULL, NULL, host_done, io);
        return;
    case SIM_IO_WRITE:
        r->st.writes++;
        r->st.write_blocks += io->nblocks;
        if (io->flags & SIM_IO_FUA)
            r->st.fua_writes++;
        if (!r->cache) {
            if (r->cfg.level == 5)
                r5_write(r, io->flags & SIM_IO_FUA, io->origin, io->block, io->nblocks, io->tokens, NULL, host_done,
                         io);
            else
                fan_out(r, SIM_IO_WRITE, io->flags & SIM_IO_FUA, io->origin, io->block, io->nblocks, io->tokens,
                        NULL, host_done, io);
            return;
        }
        g_queue_push_tail(&r->waitq, io);
        admit_waiting(r);
        kick(r);
        return;
    case SIM_IO_FLUSH:
        r->st.flushes++;
        if (r->cache && r->cfg.flush == SIM_RAID_FLUSH_ACK && r->backed) {
            sim_schedule_at(r->w, iface_xfer(r, 0), complete_ev, io, 0);
        } else if (r->cache) {
            io->priv_i = (gint64)sim_wbcache_mark(r->cache);
            g_queue_push_tail(&r->flushq, io);
            check_flushes(r);
        } else
            drained(r, io);
        return;
    }
}

static void raid_get_stats(SimBlkDev *d, SimDevStats *st)
{
    Raid *r = d->priv;
    *st = r->st;
    for (guint i = 0; i < r->n; i++) {
        SimDevStats m = { 0 };
        if (r->mem[i]->ops->get_stats)
            r->mem[i]->ops->get_stats(r->mem[i], &m);
        st->media_writes += m.media_writes;
        st->media_blocks += m.media_blocks;
        st->media_reads += m.media_reads;
        st->busy_ns = MAX(st->busy_ns, m.busy_ns);
    }
}

static void raid_destroy(SimBlkDev *d)
{
    Raid *r = d->priv;
    for (guint i = 0; i < r->n; i++)
        sim_blkdev_free(r->mem[i]);
    g_free(r->mem);
    g_free(r->refs);
    if (r->cache)
        sim_wbcache_free(r->cache);
    sim_media_free(r->logical);
    g_hash_table_destroy(r->nvtok);
    g_hash_table_destroy(r->mtok);
    g_hash_table_destroy(r->lines);
    g_hash_table_destroy(r->sent);
    g_hash_table_destroy(r->row_locks);
    g_queue_clear(&r->waitq);
    g_queue_clear(&r->flushq);
    g_free(r);
}

static const SimBlkOps raid_ops = {
    .version = SIM_BLK_OPS_VERSION,
    .name = "raid",
    .submit = raid_submit,
    .get_stats = raid_get_stats,
    .destroy = raid_destroy,
};

SimBlkDev *sim_raid_new(SimWorld *w, const SimRaidCfg *cfg, const SimHddCfg *member)
{
    g_return_val_if_fail(sim_raid_cfg_validate(cfg, NULL) && cfg->disks <= MAX_COPIES, NULL);
    Raid *r = g_new0(Raid, 1);
    r->w = w;
    r->cfg = *cfg;
    r->n = (guint)cfg->disks;
    r->mem = g_new0(SimBlkDev *, r->n);
    r->refs = g_new0(MemberRef, r->n);
    SimHddCfg mc = *member;
    if (!cfg->member_cache)
        mc.cache_mb = 0;
    for (guint i = 0; i < r->n; i++) {
        r->mem[i] = sim_hdd_new(w, &mc);
        sim_hdd_set_spindle_phase(r->mem[i], (double)i / (double)r->n);
        r->refs[i] = (MemberRef){ r, i };
        sim_media_set_listener(r->mem[i]->media, on_member_media, &r->refs[i]);
    }
    SimBlkDev *d = sim_blkdev_new(&raid_ops, "raid", w, r);
    r->self = d;
    d->nblocks = sim_raid_capacity(cfg, r->mem[0]->nblocks);
    d->atomic_bytes = r->mem[0]->atomic_bytes;
    d->caps = SIM_BLK_CAP_FUA | (r->mem[0]->caps & SIM_BLK_CAP_ROTATIONAL) |
              (sim_raid_advertises_volatile(cfg) ? SIM_BLK_CAP_VOLATILE_CACHE : 0);
    d->media = r->logical = sim_media_new(d->nblocks);
    r->nvtok = g_hash_table_new(g_direct_hash, g_direct_equal);
    r->mtok = g_hash_table_new(g_direct_hash, g_direct_equal);
    r->lines = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, line_free);
    r->sent = g_hash_table_new(g_direct_hash, g_direct_equal);
    r->row_locks = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, (GDestroyNotify)g_queue_free);
    r->ptok_next = SIM_TOKEN_DEV_FIRST;
    r->failed = (gint)cfg->failed_member;
    if (sim_raid_caching(cfg)) {
        guint64 cap = (guint64)cfg->cache_mb * (1024 * 1024 / BLOCK_BYTES);
        r->cache = sim_wbcache_new(cap, SIM_DESTAGE_CLOOK, 64, NULL);
        r->nv = sim_raid_nonvolatile(cfg);
        r->backed = cfg->backing != SIM_RAID_BACKING_NONE;
    }
    r->ns_per_byte = 1e9 / (cfg->ctrl_mb_s * 1e6);
    r->cmd_ns = cfg->cmd_overhead_us * 1e3;
    return d;
}

/* One member copy of a version: in its cache, on its media, else in flight
 * (or NONE when the controller has not sent it there). */
static SimRaidAt copy_where(Raid *r, guint m, guint64 mb, SimToken tok, gboolean sent)
{
    if (sim_hdd_cache_holds(r->mem[m], mb, tok))
        return SIM_RAID_AT_MEMBER_CACHE;
    if (sim_media_get(r->mem[m]->media, mb) == tok)
        return SIM_RAID_AT_MEMBER_MEDIA;
    return sent ? SIM_RAID_AT_MEMBER_FLIGHT : SIM_RAID_AT_NONE;
}

SimRaidAt sim_raid_where(SimBlkDev *d, guint64 L, SimToken tok, guint *member, SimRaidAt *where_mirror,
                         guint *mirror)
{
    Raid *r = d->priv;
    guint mem[MAX_COPIES];
    guint64 mb[MAX_COPIES];
    guint k = sim_raid_map(&r->cfg, L, mem, mb, MAX_COPIES);
    *member = mem[0];
    if (where_mirror)
        *where_mirror = SIM_RAID_AT_NONE;
    if (mirror)
        *mirror = k > 1 ? mem[1] : mem[0];
    SimToken t;
    gboolean inflight = FALSE, held = r->cache && sim_wbcache_lookup(r->cache, L, &t, &inflight) && t == tok;
    if (held && r->nv)
        return SIM_RAID_AT_NV_CACHE;
    if (held && !inflight)
        return SIM_RAID_AT_VOL_CACHE;
    guint64 lmb;
    guint kf;
    if (on_failed(r, L, &lmb, &kf)) {
        SimToken v = sim_media_get(r->logical, L);
        if (v == tok)
            return SIM_RAID_AT_REBUILT_OK;
        if (v == SIM_TOKEN_GARBAGE && sent_get(r, L) == tok)
            return SIM_RAID_AT_REBUILT_GARBAGE;
    }
    /* sent to the members: being destaged, written through, or released */
    gboolean sent = held || !r->cache || (r->cfg.level == 5 ? sent_get(r, L) == tok : TRUE);
    if (where_mirror && k > 1)
        *where_mirror = copy_where(r, mem[1], mb[1], tok, sent);
    return copy_where(r, mem[0], mb[0], tok, sent);
}

SimBlkDev *sim_raid_member(SimBlkDev *d, guint i)
{
    Raid *r = d->priv;
    return i < r->n ? r->mem[i] : NULL;
}

/* sim/dev/wbcache.h - a write-back cache and its destage scheduler.
 *
 * One implementation serves the drive and the RAID controller: it keeps the
 * completed-but-volatile writes, knows their age, answers "is there room",
 * "is this read a hit", and picks the next segment to destage. It does no
 * timing and never touches the media: the owner (a device model) decides when
 * to destage, times the media operation and lands the blocks.
 *
 * A segment is the dirty part of one host write: a contiguous block range,
 * its tokens and an age (seq, insertion order). A block has at most one dirty
 * copy that is not yet being destaged: a write to a block that is already
 * dirty updates that copy in place, so the newer content inherits the older
 * copy's age (and its coverage by a pending flush) and the older content can
 * never reach the media after the newer one. A block whose copy is being
 * destaged (in flight) gets a new copy in the new segment: the in-flight one
 * lands first, because the owner lands its media operations in issue order.
 *
 * Flush coverage: sim_wbcache_mark() is the seq the next segment will get, so
 * a flush arriving now covers exactly the segments with seq < mark; it is
 * satisfied once sim_wbcache_oldest() >= mark (SEMANTICS B3/D1).
 */
#pragma once
#include "../blk/blk.h"

typedef enum { SIM_DESTAGE_FIFO, SIM_DESTAGE_CLOOK, SIM_DESTAGE_SATF, SIM_DESTAGE_RANDOM } SimDestagePolicy;
/* "fifo", "clook", "satf", "random", NULL: indexed by SimDestagePolicy. */
extern const char *const sim_destage_policy_names[];

#define SIM_WB_SEQ_NONE G_MAXUINT64

typedef struct SimWbSeg SimWbSeg;
struct SimWbSeg {
    guint64   block;          /* first block of the range */
    guint32   nblocks;
    guint32   nlive;          /* blocks this segment still has to write */
    guint64   seq;            /* age: insertion order */
    gboolean  inflight;       /* being destaged: its live set is frozen */
    SimToken *tokens;         /* nblocks tokens (tok_inline or heap) */
    guint8   *dead;           /* NULL, or 1 per block whose copy lives elsewhere */
    SimWbSeg *prev, *next;    /* age list, oldest first */
    SimToken  tok_inline[SIM_IO_INLINE_TOKENS];
};

static inline gboolean sim_wbseg_live(const SimWbSeg *s, guint32 i) { return !s->dead || !s->dead[i]; }

/* Positioning cost of starting a media write at `block` now (SATF). */
typedef SimTime (*SimWbCostFn)(gpointer ud, guint64 block);

typedef struct SimWbCache SimWbCache;

/* window: how many of the oldest dirty segments the scheduler may choose
 * from (fifo forces 1). rng (transfer none) is used by the random policy. */
SimWbCache *sim_wbcache_new(guint64 capacity_blocks, SimDestagePolicy policy, guint window, SimRng *rng);
void        sim_wbcache_free(SimWbCache *c);

guint64  sim_wbcache_capacity(const SimWbCache *c);
guint64  sim_wbcache_used(const SimWbCache *c);    /* blocks held: dirty + in flight */
guint64  sim_wbcache_dirty(const SimWbCache *c);   /* blocks not yet being destaged */

/* Room for a write of [block, block+n) now: blocks updated in place need
 * none. An empty cache admits any write, so a write larger than the cache
 * cannot wait forever. */
gboolean sim_wbcache_fits(const SimWbCache *c, guint64 block, guint32 n);
/* Insert a completed write (caller checked fits). */
void     sim_wbcache_write(SimWbCache *c, guint64 block, guint32 n, const SimToken *tokens);
/* Every block of [block, block+n) is held (a read hit). */
gboolean sim_wbcache_holds(const SimWbCache *c, guint64 block, guint32 n);
/* The newest copy of `block` held (dirty or being destaged): its token and
 * whether it is being destaged. FALSE if the block is not held. (explain) */
gboolean sim_wbcache_lookup(const SimWbCache *c, guint64 block, SimToken *tok, gboolean *inflight);
/* Drop the dirty (not in-flight) copies of [block, block+n): a write going
 * straight to media supersedes them. Returns the seq of the oldest segment
 * that lost a block, or SIM_WB_SEQ_NONE: a flush covering that seq must also
 * wait for the superseding media write. */
guint64  sim_wbcache_discard(SimWbCache *c, guint64 block, guint32 n);

guint64  sim_wbcache_mark(const SimWbCache *c);
/* seq of the oldest segment held (dirty or in flight), or SIM_WB_SEQ_NONE. */
guint64  sim_wbcache_oldest(const SimWbCache *c);

/* The next segment to destage, chosen by the policy among the oldest
 * `window` dirty segments with seq < limit (SIM_WB_SEQ_NONE: no limit), or
 * NULL. head_block is where the head is (C-LOOK); cost(ud, block) ranks
 * candidates for SATF. Candidates are ranked by their first live block. */
SimWbSeg *sim_wbcache_pick(SimWbCache *c, guint64 limit, guint64 head_block, SimWbCostFn cost, gpointer ud);
/* First and last live block index (relative to seg->block). */
void      sim_wbseg_live_range(const SimWbSeg *s, guint32 *first, guint32 *last);
/* The owner starts writing seg to media: its live set is frozen. */
void      sim_wbcache_begin(SimWbCache *c, SimWbSeg *seg);
/* Every live block of seg has landed: release it (seg is freed). */
void      sim_wbcache_end(SimWbCache *c, SimWbSeg *seg);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimWbCache, sim_wbcache_free)

/* sim/dev/raid.h - a hardware RAID controller stacked over N member drives
 * (sim/dev/hdd), with a write-back cache (sim/dev/wbcache, shared with the
 * drive) and the controller-level policies of SEMANTICS §5.
 *
 * Configuration split (scenario side): `device = { model = "raid", ... }`
 * selects the controller; the other keys of `device` (the hdd schema)
 * describe EACH member drive; the controller's own parameters are the
 * separate top-level table `raid = { ... }` (sim_raid_schema, shown by
 * `powercut list params` as raid.*). One schema per model: the members are
 * always hdds. member_cache = false sets every member's cache_mb to 0.
 *
 * Levels: 0, 1, 5, 10. RAID-5 writes are read-modify-write per stripe row
 * (full rows skip the reads); data and parity are separate member writes,
 * so a cut between them leaves the parity stale (the write hole, R5).
 * Durability: the controller owns a LOGICAL SimMedia (d->media), the one the
 * crash evaluator listens to; see raid.c for how it is composed.
 */
#pragma once
#include "../blk/blk.h"
#include "../blk/media.h"
#include "../util/params.h"
#include "hdd.h"

typedef enum { SIM_RAID_WB, SIM_RAID_WT, SIM_RAID_FORCED_WB } SimRaidWritePolicy;
extern const char *const sim_raid_write_policy_names[];   /* "write-back", "write-through", "forced-write-back" */
typedef enum { SIM_RAID_BACKING_NONE, SIM_RAID_BACKING_BATTERY, SIM_RAID_BACKING_FLASH } SimRaidBacking;
extern const char *const sim_raid_backing_names[];        /* "none", "battery", "flash" */
typedef enum { SIM_RAID_FLUSH_DRAIN, SIM_RAID_FLUSH_ACK } SimRaidFlush;
extern const char *const sim_raid_flush_names[];          /* "drain", "ack" */

typedef struct {
    gint64   level;            /* 0, 1, 5, 10 */
    gint64   disks;            /* members */
    gint64   stripe_blocks;    /* stripe unit, 4 KiB blocks */
    gint64   cache_mb;         /* controller cache, MiB (0: no cache: write-through) */
    gint     write_policy;     /* SimRaidWritePolicy */
    gint     backing;          /* SimRaidBacking */
    double   hold_h;           /* battery hold-up time */
    double   outage_h;         /* length of the power outage after the cut */
    gboolean member_cache;     /* member drives' write caches enabled */
    gint     flush;            /* SimRaidFlush */
    gint64   destage_depth;    /* cache segments being destaged at once */
    double   ctrl_mb_s;        /* host <-> controller cache transfer rate */
    double   cmd_overhead_us;  /* controller overhead per command */
    gint64   failed_member;    /* RAID-5: member lost when power returns (-1: none) */
} SimRaidCfg;

extern const SimSchema sim_raid_schema;

/* Cross-checks the schema cannot express (level/disks combinations). */
gboolean sim_raid_cfg_validate(const SimRaidCfg *cfg, GError **error);

/* Derived facts (pure functions of the configuration). */
gboolean sim_raid_caching(const SimRaidCfg *cfg);       /* writes are acknowledged from the controller cache */
gboolean sim_raid_nonvolatile(const SimRaidCfg *cfg);   /* the controller cache survives this outage */
gboolean sim_raid_advertises_volatile(const SimRaidCfg *cfg);  /* from the backing, not the outage */

/* Mapping: logical block -> copies (member index, member block); returns the
 * number of copies (1 for RAID-0, 2 for RAID-1 pairs/RAID-10, disks for
 * RAID-1). copies[0] is the primary (the copy a resync keeps). */
guint    sim_raid_map(const SimRaidCfg *cfg, guint64 lblock, guint *member, guint64 *mblock, guint max);
guint64  sim_raid_capacity(const SimRaidCfg *cfg, guint64 member_blocks);
/* RAID-5 (left-symmetric, md's default): a "line" is one member block
 * number mb across all members - n-1 data blocks and their parity. Row
 * mb / stripe_blocks keeps its parity on member n-1 - row % n; data index k
 * of the row sits on member (parity + 1 + k) % n. */
guint    sim_raid5_parity_member(const SimRaidCfg *cfg, guint64 mblock);
/* The logical block of data index k (0..n-2) of line mblock. */
guint64  sim_raid5_line_block(const SimRaidCfg *cfg, guint64 mblock, guint k);

/* The controller owns its members and its logical media. */
SimBlkDev *sim_raid_new(SimWorld *w, const SimRaidCfg *cfg, const SimHddCfg *member);
/* Member i (for tests and stats), or NULL. */
SimBlkDev *sim_raid_member(SimBlkDev *d, guint i);

/* Where version `tok` of logical block L is now, as the controller sees it
 * (for `explain`): the first that applies, in this order.
 *  - NV_CACHE: the controller cache holds it and survives this outage
 *    (battery within hold_h, or flash): replayed at power-on;
 *  - VOL_CACHE: the controller cache holds it, not yet being destaged, and
 *    the cache is lost at the cut (no backing, or the outage outlasts the
 *    battery, R4);
 *  - REBUILT_OK / REBUILT_GARBAGE: RAID-5 with failed_member, L's data is on
 *    the failed member: the degraded array rebuilds it from parity, which
 *    gives `tok` (OK) or a mix of versions (GARBAGE; a stripe write of its
 *    row was cut: the write hole, R5);
 *  - MEMBER_CACHE: copy `*member` sits in that member's volatile cache;
 *  - MEMBER_MEDIA: copy `*member` is on that member's media;
 *  - MEMBER_FLIGHT: sent to member `*member` (being destaged or written
 *    through), on neither its cache nor its media yet;
 *  - NONE: not found (superseded, or never reached the controller).
 * Copies are examined primary first; *member is the copy the answer is about.
 * `where_mirror` (nullable) gets the same answer for the second copy of a
 * mirror (RAID-1/10), or NONE. */
typedef enum {
    SIM_RAID_AT_NONE, SIM_RAID_AT_NV_CACHE, SIM_RAID_AT_VOL_CACHE, SIM_RAID_AT_REBUILT_OK,
    SIM_RAID_AT_REBUILT_GARBAGE, SIM_RAID_AT_MEMBER_CACHE, SIM_RAID_AT_MEMBER_MEDIA, SIM_RAID_AT_MEMBER_FLIGHT,
} SimRaidAt;
SimRaidAt  sim_raid_where(SimBlkDev *d, guint64 L, SimToken tok, guint *member, SimRaidAt *where_mirror,
                          guint *mirror);

/* sim/dev/ssd.h - a flash SSD: channels x dies of NAND, page program and
 * read latency, a DRAM write buffer (sim/dev/wbcache, shared with the hdd
 * and the RAID controller), an identity (garbage-free) FTL, power-loss
 * protection, and the FAST'13 power-fault modes as opt-in mechanisms.
 *
 * Selected by `device = { model = "ssd", ... }`: the other keys of the device
 * table then go through sim_ssd_schema (one schema per model; a key of the
 * hdd schema is an error there, and an ssd key is one with model = "hdd").
 * Durable data lives in the device's SimMedia (d->media); see ssd.c for
 * exactly when each block changes there.
 */
#pragma once
#include "../blk/blk.h"
#include "../blk/media.h"
#include "../util/params.h"
#include "hdd.h"                   /* SimHddFlush, SimHddReportCache: the same knobs, same meaning */
#include "wbcache.h"

/* What a drive with power-loss protection tells the host (SEMANTICS §4.4,
 * §9 item 3: vendor-specific). */
typedef enum {
    SIM_SSD_PLP_REPORT_CACHE,      /* reports a write cache (the host sends flushes); FLUSH is acked at once */
    SIM_SSD_PLP_REPORT_NO_CACHE,   /* VWC=0 / WCE=0: no cache reported, the host sends no flushes (D5, B1) */
} SimSsdPlpReport;
/* "cache", "no-cache", NULL: indexed by SimSsdPlpReport. */
extern const char *const sim_ssd_plp_report_names[];

typedef struct {
    gint64   capacity_gb;       /* GB (1e9 bytes) */
    gint64   channels;          /* NAND channels (buses) */
    gint64   dies;              /* dies per channel */
    gint64   page_kb;           /* NAND page: the program unit, KiB (4, 8, 16, 32, 64) */
    double   program_us;        /* page program time (tPROG) */
    double   read_us;           /* page read time (tR) */
    double   channel_mb_s;      /* NAND bus rate per channel, MB/s */
    double   iface_mb_s;        /* host interface, MB/s */
    double   cmd_overhead_us;   /* controller overhead per command */
    gint64   cache_mb;          /* DRAM write buffer, MiB; 0 = none (writes complete after their program) */
    gint     policy;            /* SimDestagePolicy; satf = the page whose die is free soonest */
    gint64   window;            /* reorder window among the oldest dirty writes */
    gint64   ncq_depth;
    double   high_water;
    double   idle_ms;
    gboolean plp;               /* power-loss protection: the buffer survives a cut */
    gint     plp_report;        /* SimSsdPlpReport (only with plp) */
    gboolean fua;               /* FUA supported */
    gint     flush;             /* SimHddFlush: honest / ignore (D3) */
    gint     report_cache;      /* SimHddReportCache: auto / write-through (B4) */
    gint64   atomic_bytes;      /* power-fail atomic unit: 512 .. page, a power of two */
    gboolean fault_shorn;       /* FAST'13: a program in flight lands as a subset of 512 B sectors */
    gint64   fault_unserializable;   /* FAST'13: mapping page persisted after K updates (0 = off) */
    gboolean fault_bit_corruption;   /* FAST'13: the blocks of a program in flight hold garbage */
    gboolean fault_flying;      /* FAST'13: a program in flight lands on another page of its die */
} SimSsdCfg;

extern const SimSchema sim_ssd_schema;

/* Blocks per mapping page of the unserializable fault (16 MiB of LBA). */
#define SIM_SSD_MAP_SPAN 4096u

/* Checks what the schema's ranges cannot express (page and atomic unit
 * powers of two, atomic <= page, faults only without plp, unserializable
 * alone). One line, "device.atomic_bytes: 1000 is not allowed (...)". */
gboolean   sim_ssd_cfg_validate(const SimSsdCfg *cfg, GError **error);

/* Which die (0 .. channels*dies-1) holds 4 KiB block `block`: pages are
 * striped over the dies, die d on channel d % channels. */
guint      sim_ssd_die_of(const SimSsdCfg *cfg, guint64 block);

/* The device owns its media (d->media). */
SimBlkDev *sim_ssd_new(SimWorld *w, const SimSsdCfg *cfg);

/* Where version `tok` of `block` is inside the drive now (for `explain`):
 * the first that applies, in this order. */
typedef enum {
    SIM_SSD_AT_NONE,            /* none of these (on NAND, gone, or never sent) */
    SIM_SSD_AT_PROGRAM,         /* a NAND program of it is under way (a cut tears it) */
    SIM_SSD_AT_PROGRAM_BITS,    /* ... with fault_bit_corruption: its blocks hold garbage until it ends */
    SIM_SSD_AT_PROGRAM_FLY,     /* ... with fault_flying: it is being written over another page */
    SIM_SSD_AT_MAP_PENDING,     /* programmed, its mapping update not persisted (fault_unserializable) */
    SIM_SSD_AT_BUFFER,          /* in the DRAM buffer (durable iff plp) */
} SimSsdAt;
SimSsdAt   sim_ssd_where(SimBlkDev *d, guint64 block, SimToken tok);

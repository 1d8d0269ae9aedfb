/* sim/dev/hdd.h - a hard disk: mechanics (seek curve, rotation, zoned
 * transfer), an NCQ host queue, and a write-back cache with a destage
 * scheduler. Durable data lives in the device's SimMedia (d->media). */
#pragma once
#include "../blk/blk.h"
#include "../blk/media.h"
#include "../util/params.h"
#include "wbcache.h"               /* SimDestagePolicy: shared with the RAID controller's cache */

/* How the drive treats FLUSH and FUA (SEMANTICS §4.3, D3). */
typedef enum {
    SIM_HDD_FLUSH_HONEST,      /* FLUSH destages what it covers; FUA goes to media */
    SIM_HDD_FLUSH_IGNORE,      /* "lying" drive / VM disk with cache=unsafe: FLUSH is acknowledged
                                * at once, FUA writes are acknowledged from the cache */
} SimHddFlush;
/* "honest", "ignore", NULL: indexed by SimHddFlush. */
extern const char *const sim_hdd_flush_names[];

/* What the host is told about the write cache (SEMANTICS §3.3, B4). */
typedef enum {
    SIM_HDD_REPORT_AUTO,           /* the truth: a volatile cache iff cache_mb > 0 */
    SIM_HDD_REPORT_WRITE_THROUGH,  /* no volatile cache reported (sysfs write_cache = "write through"),
                                    * whatever the cache really is: the host sends no flushes */
} SimHddReportCache;
/* "auto", "write-through", NULL: indexed by SimHddReportCache. */
extern const char *const sim_hdd_report_cache_names[];

typedef struct {
    gint64  capacity_gb;       /* GB (1e9 bytes) */
    gint64  rpm;
    gint64  cache_mb;          /* MiB; 0 = write-through (no volatile cache reported) */
    gint    policy;            /* SimDestagePolicy */
    gint64  window;            /* reorder window W (oldest W dirty entries); policy fifo forces 1 */
    gint64  ncq_depth;         /* host queue depth */
    double  high_water;        /* fraction of cache; destage even when busy above it */
    double  idle_ms;           /* destage after the host interface has been idle this long */
    double  seek_track_ms;     /* track-to-track seek */
    double  seek_avg_ms;       /* average (1/3 stroke) seek */
    double  seek_full_ms;      /* full-stroke seek */
    double  outer_mb_s;        /* media rate at the outer zone, MB/s */
    double  inner_mb_s;        /* media rate at the inner zone, MB/s */
    gint64  zones;
    double  iface_mb_s;        /* host interface rate (SATA 3: 600) */
    double  cmd_overhead_us;   /* controller overhead per command */
    gboolean fua;              /* FUA supported */
    gint    flush;             /* SimHddFlush */
    gint    report_cache;      /* SimHddReportCache */
    gint64  atomic_bytes;      /* power-fail atomic unit: 512 or 4096 */
} SimHddCfg;

extern const SimSchema sim_hdd_schema;

/* Checks what the schema's ranges cannot express (atomic_bytes is 512 or
 * 4096; the seek times and zone rates are ordered). The message is one
 * line, e.g. "device.atomic_bytes: 1000 is not allowed (512 or 4096)". */
gboolean   sim_hdd_cfg_validate(const SimHddCfg *cfg, GError **error);

/* The device owns its media (d->media), created with capacity_gb's blocks. */
SimBlkDev *sim_hdd_new(SimWorld *w, const SimHddCfg *cfg);
/* Where the platter is at t = 0, as a fraction of a revolution (default 0).
 * Drives of one array spin unsynchronised: the controller gives each member
 * its own phase, so a data block and its parity at the same member block
 * do not land at the same instant. */
void       sim_hdd_set_spindle_phase(SimBlkDev *d, double frac);
/* Whether the drive's volatile cache holds version `tok` of `block` as its
 * newest copy (dirty or being destaged): lost if the power goes now.
 * For `explain` and the RAID controller's sim_raid_where. */
gboolean   sim_hdd_cache_holds(SimBlkDev *d, guint64 block, SimToken tok);

/* sim/dev/device.h - the device-model dimension: which model sits under the
 * block layer, and the one factory that builds it.
 *
 *  - "hdd":  one drive (sim/dev/hdd), configured by the `device` table;
 *  - "raid": a controller (sim/dev/raid) over raid.disks drives, each
 *            configured by the `device` table, the controller by `raid`;
 *  - "ssd":  one flash SSD (sim/dev/ssd), configured by the `device` table
 *            through its own schema (sim_ssd_schema).
 *
 * The returned device's ->media is the durable image the crash evaluator
 * must listen to (the drive's media, or the controller's logical image). */
#pragma once
#include "hdd.h"
#include "raid.h"
#include "ssd.h"

typedef enum { SIM_DEV_HDD, SIM_DEV_RAID, SIM_DEV_SSD, SIM_DEV_N } SimDevModel;
/* "hdd", "raid", "ssd", NULL: indexed by SimDevModel. */
extern const char *const sim_dev_model_names[];
/* The model named s, or -1. */
int sim_dev_model_parse(const char *s);

SimBlkDev *sim_device_new(SimWorld *w, int model, const SimHddCfg *hdd, const SimRaidCfg *raid);
/* The same for every model: ssd (nullable unless model is SIM_DEV_SSD). */
SimBlkDev *sim_device_build(SimWorld *w, int model, const SimHddCfg *hdd, const SimRaidCfg *raid,
                            const SimSsdCfg *ssd);

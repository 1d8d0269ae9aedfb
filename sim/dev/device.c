/* sim/dev/device.c - see device.h. */
#include "device.h"
#include <string.h>

const char *const sim_dev_model_names[] = { "hdd", "raid", "ssd", NULL };

int sim_dev_model_parse(const char *s)
{
    for (int i = 0; sim_dev_model_names[i]; i++)
        if (strcmp(s, sim_dev_model_names[i]) == 0)
            return i;
    return -1;
}

SimBlkDev *sim_device_new(SimWorld *w, int model, const SimHddCfg *hdd, const SimRaidCfg *raid)
{
    return sim_device_build(w, model, hdd, raid, NULL);
}

SimBlkDev *sim_device_build(SimWorld *w, int model, const SimHddCfg *hdd, const SimRaidCfg *raid,
                            const SimSsdCfg *ssd)
{
    switch (model) {
    case SIM_DEV_SSD:
        g_return_val_if_fail(ssd != NULL, NULL);
        return sim_ssd_new(w, ssd);
    case SIM_DEV_HDD:
        return sim_hdd_new(w, hdd);
    case SIM_DEV_RAID:
        return sim_raid_new(w, raid, hdd);
    }
    g_return_val_if_reached(NULL);
}

/* sim/dev/device.c - see device.h. */
#include "device.h"
#include <string.h>

const char *const sim_dev_model_names[] = { "hdd", "raid", NULL };

int sim_dev_model_parse(const char *s)
{
    for (int i = 0; sim_dev_model_names[i]; i++)
        if (strcmp(s, sim_dev_model_names[i]) == 0)
            return i;
    return -1;
}

SimBlkDev *sim_device_new(SimWorld *w, int model, const SimHddCfg *hdd, const SimRaidCfg *raid)
{
    switch (model) {
    case SIM_DEV_HDD:
        return sim_hdd_new(w, hdd);
    case SIM_DEV_RAID:
        return sim_raid_new(w, raid, hdd);
    }
    g_return_val_if_reached(NULL);
}

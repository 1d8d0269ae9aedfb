/* sim/script/scenario.h - a loaded scenario: declared parameters, run
 * settings, and one fully-resolved configuration per case. */
#pragma once
#include "../dev/hdd.h"
#include "../dev/device.h"
#include "../fs/fs.h"
#include "../fs/workload.h"

typedef struct {
    gint64 trials;             /* sampled power cuts per case */
    gint64 runs;               /* independent simulated runs per case */
    double duration_s;         /* simulated time per run */
    double crash_from_s;       /* cuts are uniform in [crash_from_s, duration_s] */
} SimRunCfg;
extern const SimSchema sim_run_schema;

typedef struct {
    char          *name;
    SimRunCfg      run;
    SimHddCfg      dev;            /* the drive (model hdd), or each member drive (model raid) */
    int            dev_model;      /* SimDevModel: device.model */
    SimRaidCfg     raid;           /* the controller (model raid): the `raid` table (unused by model hdd,
                                    * so one scenario can compare a bare disk with a controller) */
    SimSsdCfg      ssd;            /* the drive (model ssd): the `device` table through sim_ssd_schema */
    SimFsCfg       fs;
    SimWorkloadCfg wl;
    int            lua_case_index; /* 1-based index in the scenario's cases, for Lua workloads */
    /* Set on the cases of a sweep (sim/script/sweep.c), NULL otherwise. */
    char          *sweep_base;     /* the scenario's case this point is of ("default" when it has none) */
    char         **sweep_point;    /* "NAME=VALUE" per swept parameter, names sorted */
    char         **sweep_sets;     /* the --set list the point was loaded with (re-loads use it) */
} SimCaseSpec;

/* One dimension of a sweep: a parameter (declared, or a dotted model key)
 * and the values it takes, as text, in the order given. */
typedef struct {
    char      *name;
    GPtrArray *values;         /* char* */
} SimSweepDim;

typedef struct {
    char      *path;           /* as given on the command line */
    char      *description;    /* header comment / description field */
    GPtrArray *cases;          /* SimCaseSpec* in scenario order */
    GPtrArray *param_names;    /* declared parameters, sorted by name (char*) */
    GPtrArray *param_values;   /* effective values as text (char*) */
    GPtrArray *param_help;
    GPtrArray *sweep;          /* SimSweepDim*, names sorted: the scenario's `sweep` table (after
                                * sim_scenario_load_sweep: with --sweep applied), or NULL */
    /* Private to sim/script: what a re-load (sim_lua_workload_new) needs. */
    char     **sets;           /* the --set list given at load (NULL-terminated, may be NULL) */
    guint64    seed;           /* the master seed given at load */
    char      *lua_dir;        /* module directory `require` searches after the scenario's, or NULL */
} SimScenario;

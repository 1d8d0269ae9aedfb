/* sim/script/scenario.h - a loaded scenario: declared parameters, run
 * settings, and one fully-resolved configuration per case. */
#pragma once
#include "../dev/hdd.h"
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
    SimHddCfg      dev;
    SimFsCfg       fs;
    SimWorkloadCfg wl;
    int            lua_case_index; /* 1-based index in the scenario's cases, for Lua workloads */
} SimCaseSpec;

typedef struct {
    char      *path;           /* as given on the command line */
    char      *description;    /* header comment / description field */
    GPtrArray *cases;          /* SimCaseSpec* in scenario order */
    GPtrArray *param_names;    /* declared parameters, sorted by name (char*) */
    GPtrArray *param_values;   /* effective values as text (char*) */
    GPtrArray *param_help;
    /* Private to sim/script: what a re-load (sim_lua_workload_new) needs. */
    char     **sets;           /* the --set list given at load (NULL-terminated, may be NULL) */
    guint64    seed;           /* the master seed given at load */
    char      *lua_dir;        /* module directory `require` searches after the scenario's, or NULL */
} SimScenario;

/* sim/fs/runner.h - closed-loop application threads issuing operations. */
#pragma once
#include "fs.h"
#include "workload.h"

typedef struct SimRunner SimRunner;

/* A generator appends the next batch of operations of thread `thread`;
 * FALSE with *error set stops the run (a Lua error), FALSE without it or an
 * empty batch stops the thread. */
typedef gboolean (*SimRunnerGenFn)(gpointer ud, guint thread, guint64 iteration, GArray *ops, GError **error);

typedef struct {
    guint64 ops, bytes, fsyncs, errors;
    GArray *op_lat_ms, *fsync_lat_ms;   /* double, per completed op / fsync */
    GError *error;                       /* a generator failed */
} SimRunnerStats;

/* gen NULL: the built-in generator of cfg->kind. Threads stop issuing at `until`. */
SimRunner *sim_runner_new(SimWorld *w, SimFs *fs, const SimWorkloadCfg *cfg, SimRunnerGenFn gen, gpointer gen_ud,
                          SimTime until);
const SimRunnerStats *sim_runner_stats(const SimRunner *r);
/* Report every completed operation to an application oracle. */
typedef struct SimApp SimApp;
void       sim_runner_set_app(SimRunner *r, SimApp *app);
void       sim_runner_free(SimRunner *r);

/* sim/script/script.h - the Lua host: loads a scenario in a sandbox, turns
 * its tables into fully-resolved case configurations (through the parameter
 * schemas), and runs Lua workloads (workload.kind = "lua").
 *
 * Sandbox (one lua_State per load): only base, table, string, math, utf8 and
 * coroutine; no io/os/debug/package, no dofile/loadfile; `load` is text-only;
 * `require` reads `<scenario dir>/?.lua` then `<lua dir>/?.lua` (text only);
 * math.random draws from the simulator's "lua" stream; reading or assigning an
 * undeclared global is an error; an instruction budget stops runaway scripts;
 * `print` writes to stderr; sim.expect(cond [, msg]) raises msg ("expectation
 * failed") at the caller's line when cond is false or nil.
 *
 * Every error is a one-line SIM_SCRIPT_ERROR that starts with the file (and
 * line when known): "scenarios/x.lua:12: attempt to call a nil value".
 */
#pragma once
#include "scenario.h"
#include "../report/report.h"

#define SIM_SCRIPT_ERROR (sim_script_error_quark())
GQuark sim_script_error_quark(void);
typedef enum {
    SIM_SCRIPT_ERROR_IO,        /* cannot open or read a file */
    SIM_SCRIPT_ERROR_SYNTAX,    /* Lua syntax error, binary chunk */
    SIM_SCRIPT_ERROR_RUNTIME,   /* Lua runtime error */
    SIM_SCRIPT_ERROR_RUNAWAY,   /* instruction budget exhausted */
    SIM_SCRIPT_ERROR_CONFIG,    /* bad key, type, value, case, or --set */
} SimScriptError;

/* Load PATH, apply `sets` ("NAME=VALUE", NULL-terminated, may be NULL; NAME
 * is a parameter declared with sim.params or device.KEY, fs.KEY, workload.KEY,
 * run.KEY) and resolve every case: schema defaults < scenario base tables <
 * case overrides < dotted --set. math.random is seeded from (seed, 0, "lua").
 * Returns (transfer full) or NULL with `error` set. */
SimScenario *sim_scenario_load(const char *path, const char *const *sets, guint64 seed, GError **error);
void         sim_scenario_free(SimScenario *sc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimScenario, sim_scenario_free)

/* The module directory `require` searches after the scenario's own folder:
 * $POWERCUT_LUA_DIR, else ./lua if it exists, else POWERCUT_DATADIR/lua when
 * compiled in, else NULL. (transfer full) */
char *sim_script_lua_dir(void);

/* A Lua workload: a fresh sandbox with the scenario re-loaded exactly as
 * sim_scenario_load did (same sets and seed), then math.random re-seeded
 * from (seed, run, "lua"). One per simulated run; use it from one thread.
 * `cs` must be a case of `sc` whose workload kind is "lua". */
typedef struct SimLuaWorkload SimLuaWorkload;
SimLuaWorkload *sim_lua_workload_new(const SimScenario *sc, const SimCaseSpec *cs, guint64 seed, guint64 run,
                                     GError **error);
/* Call the case's ops(ctx) once with ctx.thread = thread, ctx.iteration =
 * iteration; append the operations it recorded to `ops_out` (SimOp, strings
 * owned by the array's elements). Recording nothing is allowed. On error
 * nothing is appended. */
gboolean        sim_lua_workload_next(SimLuaWorkload *lw, guint thread, guint64 iteration, GArray *ops_out,
                                      GError **error);
void            sim_lua_workload_free(SimLuaWorkload *lw);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimLuaWorkload, sim_lua_workload_free)

/* Expectations: a scenario's top-level `expect = function(c) ... end` (a
 * config error at load when it is not a function) judges each case's
 * results. It is called once per case of `res`, in order, all in one fresh
 * sandbox with the scenario re-loaded as sim_scenario_load did (so the calls
 * may remember earlier cases in upvalues), each with a fresh instruction
 * budget. `c` has name, trials, runs, outcomes = { consistent, lost_fsync,
 * stale_data, corrupt, unmountable }, corruption_rate, corruption_ci95 =
 * { lo, hi } (corrupt + unmountable), lost_fsync_rate, lost_fsync_ci95, p_inc,
 * ops_per_s, mb_per_s, fsyncs_per_s, op_p50_ms, op_p99_ms, fsync_p50_ms,
 * fsync_p99_ms, and params (the effective parameters: c.params["fs.barrier"]
 * is a boolean, numbers are numbers, the rest strings). Rates are NaN when
 * trials = 0. A case passes when expect returns true or nothing; it fails when
 * expect returns false (optionally with a message as second value), returns
 * anything else, or raises an error (error("..."), sim.expect, a runaway). */

/* Run the scenario's expect function (if any) on every case of res. Each
 * failure is appended to `failures` as one line "CASE: message" (for an
 * error: "CASE: FILE:LINE: message"). Returns FALSE with error set only when
 * the expectations could not be evaluated at all (e.g. the scenario no longer
 * loads). TRUE if the scenario has no expect. */
gboolean sim_scenario_check_expect(const SimScenario *sc, const SimResults *res, GPtrArray *failures,
                                   GError **error);
/* Whether the scenario has an expect function (re-loads it; FALSE if it no
 * longer loads). */
gboolean sim_scenario_has_expect(const SimScenario *sc);

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

/* Sweeps (sweep.c). A scenario may declare `sweep = { NAME = { v1, v2, ... },
 * ... }`, NAME a declared parameter or a dotted model key (device.KEY,
 * fs.KEY, workload.KEY, run.KEY); `sweeps` ("NAME=V1,V2,...", NULL-terminated,
 * may be NULL: --sweep) adds a dimension or replaces the scenario's. The
 * cartesian product of the dimensions (names sorted, the first varying
 * slowest; values in the order given) times the scenario's cases becomes the
 * cases, case-major: each point is the scenario re-loaded with the --set
 * list `sets` + NAME=VALUE per dimension (so declared parameters flow through
 * the scenario's own Lua), and is named "CASE/NAME=V,NAME=V" ("NAME=V,..."
 * alone when the scenario has no `cases`). A --set of a swept name is an
 * error. Without any dimension this is sim_scenario_load. */
SimScenario *sim_scenario_load_sweep(const char *path, const char *const *sets, const char *const *sweeps,
                                     guint64 seed, GError **error);
/* Whether `name` selects case cs (--case): its name, or the scenario case a
 * sweep point belongs to. */
gboolean     sim_case_matches(const SimCaseSpec *cs, const char *name);
/* Echo a sweep point into a case result: swept declared parameters are added
 * to params under their own name, and cr->sweep lists the swept keys. No-op
 * for a case that is not a sweep point. */
void         sim_sweep_echo(const SimCaseSpec *cs, SimCaseResult *cr);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimScenario, sim_scenario_free)

/* `powercut list presets`: load <lua dir>/presets.lua in the sandbox, call
 * every preset (each function-valued field) with no overrides, resolve the
 * hdd, raid and ssd ones through their schemas (defaults filled in,
 * validated), and append a table sorted by name: NAME, MODEL, RPM, CACHE_MB,
 * FLUSH, FUA, REPORT_CACHE (for an SSD with PLP reporting no cache:
 * "no-cache"), PLP (ssd: yes/no) and the summary from the optional
 * `presets.about[NAME]` ("-" for a key another model does not have). FALSE with error set when the
 * file is missing (SIM_SCRIPT_ERROR_IO), fails to load, or a preset is bad. */
gboolean sim_script_list_presets(GString *out, GError **error);

/* The module directory `require` searches after the scenario's own folder:
 * $POWERCUT_LUA_DIR, else ./lua if it exists, else the executable's (sim_data_dir), else POWERCUT_DATADIR/lua when
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

/* sim/script/script.c - the Lua host (see script.h).
 *
 * Layout: the sandbox (libraries, strict globals, require, load, random,
 * instruction budget), protected calls and error messages, sim.params, the
 * translation of scenario tables into SimCaseSpec through the parameter
 * schemas, Lua workloads, and expectations.
 *
 * Longjmp rule: luaL_error/luaL_check* longjmp out of lua_CFunctions, so the
 * C functions called from Lua do every check before taking a GLib resource,
 * keep no g_autofree locals, and store what must outlive an error in the Host
 * (freed with the state). The table-to-config code runs outside any Lua call
 * and uses only non-raising accessors (raw gets, lua_next over tables, type
 * tests); a Lua memory error there panics, like GLib's own out-of-memory.
 */
#include "script.h"
#include "../core/sim.h"
#include <errno.h>
#include <math.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK(sim-script-error-quark, sim_script_error)

#define BUDGET_INSNS 100000000ull   /* VM instructions per scenario load / ops call */
#define MEMORY_LIMIT (1ull << 30)    /* bytes per Lua state */
#define HOOK_STEP    10000          /* the count hook runs every HOOK_STEP instructions */
#define MODULES_KEY  "powercut.modules"

/* ---- the run schema ------------------------------------------------------ */

static const SimParam run_params[] = {
    { "trials", SIM_PT_INT, G_STRUCT_OFFSET(SimRunCfg, trials), NULL, "2000", 1, 1e9, NULL,
      "sampled power cuts per case" },
    { "runs", SIM_PT_INT, G_STRUCT_OFFSET(SimRunCfg, runs), NULL, "20", 1, 100000, NULL,
      "independent simulated runs per case (the trials are spread over them)" },
    { "duration_s", SIM_PT_DOUBLE, G_STRUCT_OFFSET(SimRunCfg, duration_s), "s", "10", 1e-6, 1e7, NULL,
      "simulated time per run" },
    { "crash_from_s", SIM_PT_DOUBLE, G_STRUCT_OFFSET(SimRunCfg, crash_from_s), "s", "1", 0, 1e7, NULL,
      "power cuts are uniform in [crash_from_s, duration_s)" },
};
const SimSchema sim_run_schema = { "run", run_params, G_N_ELEMENTS(run_params), sizeof(SimRunCfg) };

/* The configuration models of a case: scenario key, schema, place in SimCaseSpec. */
typedef struct { const char *key; const SimSchema *schema; gsize off; } Model;
/* M_RAID: the controller of device.model = "raid" (sim/dev/raid.h); the
 * device table then describes each member drive. */
/* M_SSD: the `device` table when device.model = "ssd" (sim/dev/ssd.h): the
 * same key as M_DEVICE, another schema; which one applies is decided per
 * case from the model (resolve_case), and a key of the other one is an
 * error. */
enum { M_DEVICE, M_FS, M_WORKLOAD, M_RAID, M_RUN, M_SSD, M_N };
static const Model models[M_N] = {
    { "device", &sim_hdd_schema, G_STRUCT_OFFSET(SimCaseSpec, dev) },
    { "fs", &sim_fs_schema, G_STRUCT_OFFSET(SimCaseSpec, fs) },
    { "workload", &sim_workload_schema, G_STRUCT_OFFSET(SimCaseSpec, wl) },
    { "raid", &sim_raid_schema, G_STRUCT_OFFSET(SimCaseSpec, raid) },
    { "run", &sim_run_schema, G_STRUCT_OFFSET(SimCaseSpec, run) },
    { "device", &sim_ssd_schema, G_STRUCT_OFFSET(SimCaseSpec, ssd) },
};
#define CFG(cs, m) ((gpointer)((char *)(cs) + models[m].off))

/* Keys handled outside the schemas, per table. */
static const char *const top_keys[] = { "description", "device", "fs", "workload", "raid", "cases", "expect", "sweep", NULL };
static const char *const case_keys[] = { "name", "device", "fs", "workload", "raid", NULL };
static const char *const device_keys[] = { "model", NULL };
static const char *const workload_keys[] = { "ops", NULL };
static const char *const no_keys[] = { NULL };
static const char *const raid_keys[] = { "model", NULL };     /* presets tag their tables model = "raid" */
static const char *const *const model_keys[M_N] = { device_keys, no_keys, workload_keys, raid_keys, no_keys,
                                                    device_keys };

/* ---- small helpers ------------------------------------------------------ */

static gboolean in_list(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (strcmp(*list, s) == 0)
            return TRUE;
    return FALSE;
}


/* Did-you-mean: the closest candidate within distance 3, or NULL. */
typedef struct { const char *best; guint d; } Suggest;
static void suggest_add(Suggest *sg, const char *name, const char *cand)
{
    guint d = sim_edit_distance(name, cand);
    if (d <= 3 && (!sg->best || d < sg->d)) {
        sg->best = cand;
        sg->d = d;
    }
}

/* One config error: "FILE: what". Returns FALSE. */
static gboolean G_GNUC_PRINTF(3, 4) cfg_error(GError **error, const char *file, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, SIM_SCRIPT_ERROR, SIM_SCRIPT_ERROR_CONFIG, "%s: %s", file, what);
    return FALSE;
}

/* A Lua value for messages: `string "yes"`, `number 2.5`, `boolean true`, `table`. */
static char *describe(lua_State *L, int idx)
{
    switch (lua_type(L, idx)) {
    case LUA_TSTRING: return g_strdup_printf("string \"%s\"", lua_tostring(L, idx));
    case LUA_TBOOLEAN: return g_strdup_printf("boolean %s", lua_toboolean(L, idx) ? "true" : "false");
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx))
            return g_strdup_printf("number %lld", (long long)lua_tointeger(L, idx));
        char buf[G_ASCII_DTOSTR_BUF_SIZE];
        return g_strdup_printf("number %s", g_ascii_formatd(buf, sizeof buf, "%.14g", lua_tonumber(L, idx)));
    default: return g_strdup(lua_typename(L, lua_type(L, idx)));
    }
}

static char *read_file(const char *path, gsize *len, GError **error)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        g_set_error(error, SIM_SCRIPT_ERROR, SIM_SCRIPT_ERROR_IO, "%s: cannot open (%s)", path, g_strerror(e));
        return NULL;
    }
    GString *s = g_string_new(NULL);
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        g_string_append_len(s, buf, (gssize)n);
    int e = ferror(f) ? errno : 0;
    fclose(f);
    if (e) {
        g_string_free(s, TRUE);
        g_set_error(error, SIM_SCRIPT_ERROR, SIM_SCRIPT_ERROR_IO, "%s: cannot read (%s)", path, g_strerror(e));
        return NULL;
    }
    *len = s->len;
    return g_string_free(s, FALSE);
}

/* The first comment block (line comments or one --[[ long comment ]]),
 * without comment markers and separator lines; NULL if none. */
static char *header_comment(const char *p)
{
    if (*p == '#')                                     /* #! line */
        p += strcspn(p, "\n");
    while (g_ascii_isspace(*p))
        p++;
    if (!g_str_has_prefix(p, "--"))
        return NULL;
    GString *out = g_string_new(NULL);
    gsize eq = p[2] == '[' ? strspn(p + 3, "=") : 0;
    if (p[2] == '[' && p[3 + eq] == '[') {             /* --[==[ ... ]==] */
        g_autofree char *eqs = g_strnfill(eq, '=');
        g_autofree char *close = g_strdup_printf("]%s]", eqs);
        const char *b = p + 4 + eq, *e = strstr(b, close);
        g_autofree char *body = g_strndup(b, e ? (gsize)(e - b) : strlen(b));
        g_auto(GStrv) lines = g_strsplit(body, "\n", -1);
        for (char **l = lines; *l; l++)
            g_string_append_printf(out, "%s\n", g_strstrip(*l));
    } else {
        while (g_str_has_prefix(p, "--")) {
            gsize n = strcspn(p, "\n");
            g_autofree char *line = g_strndup(p + 2, n - 2);
            g_strchomp(line);
            if (line[strspn(line, "-=")] != '\0')       /* skip "-----" rulers */
                g_string_append_printf(out, "%s\n", line[0] == ' ' ? line + 1 : line);
            p += n;
            if (*p == '\n')
                p++;
            while (*p == ' ' || *p == '\t')
                p++;
        }
    }
    while (out->len && g_ascii_isspace(out->str[0]))
        g_string_erase(out, 0, 1);
    while (out->len && g_ascii_isspace(out->str[out->len - 1]))
        g_string_truncate(out, out->len - 1);
    if (!out->len) {
        g_string_free(out, TRUE);
        return NULL;
    }
    return g_string_free(out, FALSE);
}

/* Push t[key] of the table at idx without metamethods; returns its type. */
static int rawfield(lua_State *L, int idx, const char *key)
{
    idx = lua_absindex(L, idx);
    lua_pushstring(L, key);
    return lua_rawget(L, idx);
}

/* Split "NAME=VALUE"; FALSE if there is no '=' or NAME is empty. */
static gboolean split_set(const char *set, char **name, const char **value)
{
    const char *eq = strchr(set, '=');
    if (!eq || eq == set)
        return FALSE;
    *name = g_strndup(set, (gsize)(eq - set));
    *value = eq + 1;
    return TRUE;
}

/* ---- the host and the sandbox ------------------------------------------- */

typedef struct {
    char      *path;          /* scenario path */
    char      *dir;           /* its directory; NULL for "." */
    char      *lua_dir;       /* module directory or NULL */
    char     **sets;          /* --set list (NULL-terminated) */
    guint64    seed, run;
    SimRng     rng;           /* math.random */
    guint64    used;          /* instructions counted by the hook in this call */
    gboolean   killed;        /* the budget ran out: every instruction now fails */
    gsize      mem;           /* bytes allocated by the state */
    gboolean   params_called;
    GPtrArray *files;         /* loaded sources, scenario first (for messages) */
    GPtrArray *pnames, *pvalues, *phelp;   /* sim.params declarations, sorted */
    /* Lua workloads */
    GArray    *ops;           /* where ctx methods record; NULL outside ops calls */
    int        ctx_ref;
    gint64     dirs;
} Host;

static Host *host_of(lua_State *L) { return *(Host **)lua_getextraspace(L); }

static void host_free(Host *h)
{
    g_free(h->path);
    g_free(h->dir);
    g_free(h->lua_dir);
    g_strfreev(h->sets);
    g_ptr_array_unref(h->files);
    g_clear_pointer(&h->pnames, g_ptr_array_unref);
    g_clear_pointer(&h->pvalues, g_ptr_array_unref);
    g_clear_pointer(&h->phelp, g_ptr_array_unref);
    g_free(h);
}

static void sandbox_free(lua_State *L)
{
    if (!L)
        return;
    Host *h = host_of(L);
    lua_close(L);
    host_free(h);
}

/* The state's allocator: at most MEMORY_LIMIT bytes, then Lua's "not
 * enough memory" error. */
static void *limited_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    Host *h = ud;
    gsize old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        h->mem -= old;
        return NULL;
    }
    if (nsize > old && h->mem + (nsize - old) > MEMORY_LIMIT)
        return NULL;
    void *p = realloc(ptr, nsize);
    if (p)
        h->mem = h->mem - old + nsize;
    return p;
}

static void count_hook(lua_State *L, lua_Debug *ar)
{
    Host *h = host_of(L);
    if (!h->killed) {
        h->used += HOOK_STEP;
        if (h->used < BUDGET_INSNS)
            return;
        /* From now on fail at every instruction, so that a pcall in the
         * script cannot swallow the kill (a coroutine's own hook still runs
         * every HOOK_STEP, and fails as well). */
        h->killed = TRUE;
        lua_sethook(L, count_hook, LUA_MASKCOUNT, 1);
    }
    luaL_error(L, "did not finish (runaway loop?)");
}

/* Strict globals: reading or assigning a name that is not defined fails. */
static int strict_index(lua_State *L)
{
    return luaL_error(L, "undeclared global '%s'", luaL_tolstring(L, 2, NULL));
}

static int strict_newindex(lua_State *L)
{
    return luaL_error(L, "assignment to undeclared global '%s' (use local)", luaL_tolstring(L, 2, NULL));
}

/* load(chunk [, chunkname [, mode [, env]]]) with mode forced to "t". */
static int l_load(lua_State *L)
{
    int n = lua_gettop(L);
    if (n < 3)
        lua_settop(L, 3);
    lua_pushliteral(L, "t");
    lua_replace(L, 3);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n < 3 ? 3 : n, LUA_MULTRET);
    return lua_gettop(L);
}

static int l_print(lua_State *L)
{
    int n = lua_gettop(L);
    for (int i = 1; i <= n; i++) {
        size_t len;
        const char *s = luaL_tolstring(L, i, &len);
        if (i > 1)
            fputc('\t', stderr);
        fwrite(s, 1, len, stderr);
        lua_pop(L, 1);
    }
    fputc('\n', stderr);
    return 0;
}

/* math.random with Lua 5.4's semantics, drawing from the host's stream. */
static int l_random(lua_State *L)
{
    SimRng *r = &host_of(L)->rng;
    lua_Integer lo, up;
    switch (lua_gettop(L)) {
    case 0:
        lua_pushnumber(L, (lua_Number)sim_rng_double(r));
        return 1;
    case 1:
        lo = 1;
        up = luaL_checkinteger(L, 1);
        if (up == 0) {                       /* random(0): all bits random */
            lua_pushinteger(L, (lua_Integer)sim_rng_u64(r));
            return 1;
        }
        break;
    case 2:
        lo = luaL_checkinteger(L, 1);
        up = luaL_checkinteger(L, 2);
        break;
    default:
        return luaL_error(L, "wrong number of arguments");
    }
    luaL_argcheck(L, lo <= up, 1, "interval is empty");
    lua_Unsigned range = (lua_Unsigned)up - (lua_Unsigned)lo;
    lua_Unsigned x = range == G_MAXUINT64 ? sim_rng_u64(r) : sim_rng_below(r, range + 1);
    lua_pushinteger(L, (lua_Integer)((lua_Unsigned)lo + x));
    return 1;
}

/* math.randomseed([x [, y]]): deterministic; no argument restores the
 * stream the script started with. */
static int l_randomseed(lua_State *L)
{
    Host *h = host_of(L);
    if (lua_isnone(L, 1)) {
        sim_rng_seed(&h->rng, h->seed, h->run, "lua");
        return 0;
    }
    guint64 x;
    if (lua_isinteger(L, 1))
        x = (guint64)lua_tointeger(L, 1);
    else {
        lua_Number n = luaL_checknumber(L, 1);
        memcpy(&x, &n, sizeof x);
    }
    sim_rng_seed(&h->rng, x, (guint64)luaL_optinteger(L, 2, 0), "lua");
    return 0;
}

static gboolean valid_module_name(const char *s)
{
    if (!*s || *s == '.')
        return FALSE;
    for (const char *p = s; *p; p++)
        if (!(g_ascii_isalnum(*p) || *p == '_' || (*p == '.' && p[1] && p[1] != '.')))
            return FALSE;
    return TRUE;
}

/* Load text chunk `buf` named "@path" (skipping a #! line); pushes the
 * function or the error message, returns the lua_load status. */
static int load_text(lua_State *L, const char *buf, gsize len, const char *path)
{
    gsize skip = (len && buf[0] == '#') ? strcspn(buf, "\n") : 0;   /* keep the \n: line numbers */
    lua_pushfstring(L, "@%s", path);
    int st = luaL_loadbufferx(L, buf + skip, len - skip, lua_tostring(L, -1), "t");
    lua_remove(L, -2);
    return st;
}

/* require(name): <scenario dir>/NAME.lua, then <lua dir>/NAME.lua; dots in
 * NAME are directory separators; results cached per state. */
static int l_require(lua_State *L)
{
    Host *h = host_of(L);
    const char *name = luaL_checkstring(L, 1);
    luaL_argcheck(L, valid_module_name(name), 1, "module names are letters, digits, '_' and '.' (no paths)");
    lua_settop(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, MODULES_KEY);                    /* 2: cache */
    if (lua_getfield(L, 2, name) != LUA_TNIL)
        return 1;
    lua_pop(L, 1);
    const char *rel = luaL_gsub(L, name, ".", "/");
    const char *cand[2];                              /* the strings stay on the stack */
    int nc = 0;
    cand[nc++] = h->dir ? lua_pushfstring(L, "%s/%s.lua", h->dir, rel) : lua_pushfstring(L, "%s.lua", rel);
    if (h->lua_dir)
        cand[nc++] = lua_pushfstring(L, "%s/%s.lua", h->lua_dir, rel);
    const char *found = NULL;
    for (int i = 0; i < nc && !found; i++)
        if (g_file_test(cand[i], G_FILE_TEST_IS_REGULAR))
            found = cand[i];
    if (!found)
        return luaL_error(L, "module '%s' not found (tried %s%s%s)", name, cand[0], nc > 1 ? ", " : "",
                          nc > 1 ? cand[1] : "");
    GError *err = NULL;
    gsize len;
    char *buf = read_file(found, &len, &err);
    if (!buf) {
        lua_pushstring(L, err->message);
        g_error_free(err);
        return lua_error(L);
    }
    g_ptr_array_add(h->files, g_strdup(found));
    int st = load_text(L, buf, len, found);
    g_free(buf);
    if (st != LUA_OK)
        return lua_error(L);
    lua_pushstring(L, name);
    lua_pushstring(L, found);
    lua_call(L, 2, 1);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushboolean(L, 1);
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, 2, name);
    return 1;
}

static int l_params(lua_State *L);

/* sim.expect(cond [, msg]): when cond is false or nil, an error at the
 * caller's line (in an expect function: an expectation failure). */
static int l_expect(lua_State *L)
{
    luaL_checkany(L, 1);
    if (lua_toboolean(L, 1))
        return 0;
    return luaL_error(L, "%s", luaL_optstring(L, 2, "expectation failed"));
}

/* Build the sandbox in a fresh state (run under lua_pcall). */
static int sandbox_setup(lua_State *L)
{
    static const luaL_Reg libs[] = {
        { LUA_GNAME, luaopen_base },         { LUA_TABLIBNAME, luaopen_table }, { LUA_STRLIBNAME, luaopen_string },
        { LUA_MATHLIBNAME, luaopen_math },   { LUA_UTF8LIBNAME, luaopen_utf8 }, { LUA_COLIBNAME, luaopen_coroutine },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(libs); i++) {
        luaL_requiref(L, libs[i].name, libs[i].func, 1);
        lua_pop(L, 1);
    }
    lua_pushglobaltable(L);
    int g = lua_gettop(L);
    lua_pushnil(L);
    lua_setfield(L, g, "dofile");
    lua_pushnil(L);
    lua_setfield(L, g, "loadfile");
    lua_getfield(L, g, "load");
    lua_pushcclosure(L, l_load, 1);
    lua_setfield(L, g, "load");
    lua_pushcfunction(L, l_print);
    lua_setfield(L, g, "print");
    lua_pushcfunction(L, l_require);
    lua_setfield(L, g, "require");
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, MODULES_KEY);
    lua_getfield(L, g, "math");
    lua_pushcfunction(L, l_random);
    lua_setfield(L, -2, "random");
    lua_pushcfunction(L, l_randomseed);
    lua_setfield(L, -2, "randomseed");
    lua_pop(L, 1);
    lua_newtable(L);                                  /* sim */
    lua_pushcfunction(L, l_params);
    lua_setfield(L, -2, "params");
    lua_pushcfunction(L, l_expect);
    lua_setfield(L, -2, "expect");
    lua_setfield(L, g, "sim");
    lua_newtable(L);                                  /* strict globals, metatable locked */
    lua_pushcfunction(L, strict_index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, strict_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, g);
    return 0;
}

static int panic(lua_State *L)
{
    g_error("Lua panic: %s", lua_tostring(L, -1));
    return 0;
}

/* The message handler of every protected call: the message as a string;
 * the traceback goes to the debug log. */
static int msghandler(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (!msg) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            msg = lua_tostring(L, -1);
        else
            msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    g_debug("%s", lua_tostring(L, -1));
    lua_pop(L, 1);
    return 1;
}

/* The error message at the top of the stack as a one-line GError starting
 * with the file: long chunk names that Lua shortened to "...tail" get their
 * full path back, messages without a position get the scenario's. */
static void set_lua_error(lua_State *L, int code, const char *what, GError **error)
{
    Host *h = host_of(L);
    if (h->killed) {
        g_set_error(error, SIM_SCRIPT_ERROR, SIM_SCRIPT_ERROR_RUNAWAY, "%s: %s did not finish (runaway loop?)",
                    h->path, what);
        return;
    }
    const char *m = lua_tostring(L, -1);
    GString *s = g_string_new(m ? m : "unknown error");
    for (guint i = 0; i < h->files->len; i++) {
        const char *f = h->files->pdata[i];
        gsize lf = strlen(f);
        if (lf + 1 > LUA_IDSIZE) {
            g_autofree char *shortid = g_strconcat("...", f + lf - (LUA_IDSIZE - 4), NULL);
            g_string_replace(s, shortid, f, 0);
        }
    }
    g_strdelimit(s->str, "\r\n\t", ' ');
    g_string_truncate(s, strlen(g_strchomp(s->str)));
    gboolean located = FALSE;
    for (guint i = 0; i < h->files->len && !located; i++) {
        const char *f = h->files->pdata[i];
        located = g_str_has_prefix(s->str, f) && s->str[strlen(f)] == ':';
    }
    if (!located)
        g_string_prepend(g_string_prepend(s, ": "), h->path);
    g_set_error_literal(error, SIM_SCRIPT_ERROR, code, s->str);
    g_string_free(s, TRUE);
}

/* lua_pcall of the function under `nargs` arguments, with the message
 * handler and a fresh instruction budget. */
static gboolean call(lua_State *L, int nargs, int nres, const char *what, GError **error)
{
    Host *h = host_of(L);
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, msghandler);
    lua_insert(L, base);
    h->used = 0;
    h->killed = FALSE;
    lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_STEP);
    int st = lua_pcall(L, nargs, nres, base);
    lua_sethook(L, NULL, 0, 0);
    lua_remove(L, base);
    if (st == LUA_OK)
        return TRUE;
    set_lua_error(L, SIM_SCRIPT_ERROR_RUNTIME, what, error);
    lua_pop(L, 1);
    return FALSE;
}

/* A new sandbox with the scenario run: its result (a table) at the top.
 * `desc` (optional) receives the header comment. */
static lua_State *scenario_run(const char *path, char *const *sets, const char *lua_dir, guint64 seed,
                               char **desc, GError **error)
{
    gsize len;
    char *buf = read_file(path, &len, error);
    if (!buf)
        return NULL;
    g_autofree char *header = desc ? header_comment(buf) : NULL;

    Host *h = g_new0(Host, 1);
    h->path = g_strdup(path);
    h->dir = g_path_get_dirname(path);
    if (strcmp(h->dir, ".") == 0)
        g_clear_pointer(&h->dir, g_free);
    h->lua_dir = g_strdup(lua_dir);
    h->sets = g_strdupv((char **)sets);
    h->seed = seed;
    sim_rng_seed(&h->rng, seed, 0, "lua");
    h->files = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(h->files, g_strdup(path));
    h->pnames = g_ptr_array_new_with_free_func(g_free);
    h->pvalues = g_ptr_array_new_with_free_func(g_free);
    h->phelp = g_ptr_array_new_with_free_func(g_free);
    h->ctx_ref = LUA_NOREF;

    lua_State *L = lua_newstate(limited_alloc, h);
    if (!L)
        g_error("cannot create a Lua state (out of memory)");
    lua_atpanic(L, panic);
    *(Host **)lua_getextraspace(L) = h;
    lua_pushcfunction(L, msghandler);
    lua_pushcfunction(L, sandbox_setup);
    if (lua_pcall(L, 0, 0, 1) != LUA_OK)
        g_error("cannot set up the Lua sandbox: %s", lua_tostring(L, -1));
    lua_pop(L, 1);

    int st = load_text(L, buf, len, path);
    g_free(buf);
    if (st != LUA_OK) {
        set_lua_error(L, SIM_SCRIPT_ERROR_SYNTAX, "scenario", error);
        sandbox_free(L);
        return NULL;
    }
    if (!call(L, 0, 1, "scenario", error)) {
        sandbox_free(L);
        return NULL;
    }
    if (!lua_istable(L, -1)) {
        g_autofree char *got = describe(L, -1);
        cfg_error(error, path, "the scenario must return a table, got %s", got);
        sandbox_free(L);
        return NULL;
    }
    if (desc)
        *desc = g_steal_pointer(&header);
    return L;
}

/* ---- sim.params ------------------------------------------------------- */

static gboolean is_ident(const char *s)
{
    if (!g_ascii_isalpha(*s) && *s != '_')
        return FALSE;
    for (; *s; s++)
        if (!g_ascii_isalnum(*s) && *s != '_')
            return FALSE;
    return TRUE;
}

static gint cmp_str(gconstpointer a, gconstpointer b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* p.unknown: an error with a hint. */
static int params_index(lua_State *L)
{
    Host *h = host_of(L);
    const char *k = luaL_tolstring(L, 2, NULL);
    Suggest sg = { 0 };
    for (guint i = 0; i < h->pnames->len; i++)
        suggest_add(&sg, k, h->pnames->pdata[i]);
    if (sg.best)
        return luaL_error(L, "no parameter '%s' was declared (did you mean '%s'?)", k, sg.best);
    return luaL_error(L, "no parameter '%s' was declared", k);
}

/* sim.params { NAME = default | { default, help }, ... }: declare the
 * scenario's parameters; --set NAME=VALUE overrides them (VALUE is parsed by
 * the type of the default). Returns the effective values. */
static int l_params(lua_State *L)
{
    Host *h = host_of(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    if (h->params_called)
        return luaL_error(L, "sim.params may be called only once");
    h->params_called = TRUE;
    lua_settop(L, 1);
    lua_newtable(L);                                  /* 2: values */
    lua_newtable(L);                                  /* 3: help texts */
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        if (lua_type(L, -2) != LUA_TSTRING || !is_ident(lua_tostring(L, -2)))
            return luaL_error(L, "sim.params: parameter names must be identifiers, got %s",
                              luaL_tolstring(L, -2, NULL));
        const char *k = lua_tostring(L, -2);
        gboolean pair = lua_istable(L, -1);
        if (pair) {                                    /* { default, help } */
            lua_rawgeti(L, -1, 2);
            lua_setfield(L, 3, k);
            lua_rawgeti(L, -1, 1);
            lua_replace(L, -2);
        }
        int t = lua_type(L, -1);
        if (t != LUA_TNUMBER && t != LUA_TBOOLEAN && t != LUA_TSTRING)
            return luaL_error(L, "sim.params: %s: the default must be a number, boolean or string%s, got %s", k,
                              pair ? " (as in { default, \"help\" })" : "", luaL_typename(L, -1));
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, 2);
        g_ptr_array_add(h->pnames, g_strdup(k));
    }
    g_ptr_array_sort(h->pnames, cmp_str);

    for (char **s = h->sets; s && *s; s++) {          /* --set NAME=VALUE of declared names */
        const char *eq = strchr(*s, '=');
        if (!eq || eq == *s)
            continue;                                 /* reported after the scenario ran */
        lua_pushlstring(L, *s, (size_t)(eq - *s));    /* name */
        lua_pushvalue(L, -1);
        int t = lua_rawget(L, 2);
        const char *v = eq + 1;
        if (t == LUA_TNUMBER) {
            if (!lua_stringtonumber(L, v))
                return luaL_error(L, "--set %s: expected a number", *s);
        } else if (t == LUA_TBOOLEAN) {
            gboolean yes = !g_ascii_strcasecmp(v, "true") || !strcmp(v, "1") || !g_ascii_strcasecmp(v, "yes") ||
                           !g_ascii_strcasecmp(v, "on");
            gboolean no = !g_ascii_strcasecmp(v, "false") || !strcmp(v, "0") || !g_ascii_strcasecmp(v, "no") ||
                          !g_ascii_strcasecmp(v, "off");
            if (!yes && !no)
                return luaL_error(L, "--set %s: expected a boolean (true or false)", *s);
            lua_pushboolean(L, yes);
        } else if (t == LUA_TSTRING) {
            lua_pushstring(L, v);
        } else {
            lua_pop(L, 2);                            /* not declared: a dotted key */
            continue;
        }
        lua_replace(L, -2);
        lua_rawset(L, 2);
    }

    for (guint i = 0; i < h->pnames->len; i++) {      /* echo values and help */
        const char *k = h->pnames->pdata[i];
        lua_getfield(L, 2, k);
        g_ptr_array_add(h->pvalues, g_strdup(luaL_tolstring(L, -1, NULL)));
        lua_pop(L, 2);
        lua_getfield(L, 3, k);
        g_ptr_array_add(h->phelp, g_strdup(lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : ""));
        lua_pop(L, 1);
    }
    lua_newtable(L);                                  /* unknown names are errors */
    lua_pushcfunction(L, params_index);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, 2);
    lua_settop(L, 2);
    return 1;
}

/* Every --set must name a declared parameter or a dotted model key. */
static gboolean dotted_find(const char *name, int *m, const char **key)
{
    for (int i = 0; i < M_N; i++) {
        gsize n = strlen(models[i].key);
        if (strncmp(name, models[i].key, n) == 0 && name[n] == '.') {
            *m = i;
            *key = name + n + 1;
            if (sim_params_find(models[i].schema, *key) || in_list(model_keys[i], *key))
                return TRUE;
        }
    }
    return FALSE;
}

static gboolean check_sets(Host *h, GError **error)
{
    for (char **s = h->sets; s && *s; s++) {
        g_autofree char *name = NULL;
        const char *value, *key;
        int m;
        if (!split_set(*s, &name, &value))
            return cfg_error(error, h->path, "--set %s: expected NAME=VALUE", *s);
        if (dotted_find(name, &m, &key) || g_ptr_array_find_with_equal_func(h->pnames, name, g_str_equal, NULL))
            continue;
        Suggest sg = { 0 };
        GPtrArray *all = g_ptr_array_new_with_free_func(g_free);
        for (guint i = 0; i < h->pnames->len; i++)
            suggest_add(&sg, name, h->pnames->pdata[i]);
        for (int i = 0; i < M_N; i++)
            for (guint j = 0; j < models[i].schema->n; j++) {
                char *full = g_strdup_printf("%s.%s", models[i].key, models[i].schema->params[j].name);
                g_ptr_array_add(all, full);
                suggest_add(&sg, name, full);
            }
        if (sg.best)
            cfg_error(error, h->path, "--set %s: unknown parameter (did you mean %s?)", name, sg.best);
        else
            cfg_error(error, h->path, "--set %s: unknown parameter (allowed: the scenario's sim.params, "
                      "device.KEY, fs.KEY, workload.KEY, raid.KEY, run.KEY; see: powercut list params)", name);
        g_ptr_array_unref(all);
        return FALSE;
    }
    return TRUE;
}

/* ---- scenario tables -> SimCaseSpec ------------------------------------- */

/* "an integer", "one of fifo, clook", ... */
static char *expected_text(const SimParam *p)
{
    switch (p->type) {
    case SIM_PT_BOOL: return g_strdup("a boolean");
    case SIM_PT_INT: return g_strdup("an integer");
    case SIM_PT_DOUBLE: return g_strdup("a number");
    case SIM_PT_STRING: return g_strdup("a string");
    case SIM_PT_ENUM: {
        g_autofree char *list = g_strjoinv(", ", (char **)p->choices);
        return g_strdup_printf("one of %s", list);
    }
    }
    g_assert_not_reached();
}

/* Set p from the Lua value at idx. `at` prefixes the schema's messages
 * ("" or "cases[2]."), `label` names the key ("fs.barrier"). */
static gboolean set_value(lua_State *L, int idx, const SimSchema *s, const SimParam *p, gpointer cfg,
                          const char *file, const char *at, const char *label, GError **error)
{
    GError *e = NULL;
    gboolean ok;
    int t = lua_type(L, idx);
    if (p->type == SIM_PT_BOOL && t == LUA_TBOOLEAN)
        ok = sim_params_set_bool(s, cfg, p, lua_toboolean(L, idx), &e);
    else if ((p->type == SIM_PT_INT || p->type == SIM_PT_DOUBLE) && t == LUA_TNUMBER)
        ok = sim_params_set_num(s, cfg, p, lua_tonumber(L, idx), &e);
    else if ((p->type == SIM_PT_ENUM || p->type == SIM_PT_STRING) && t == LUA_TSTRING)
        ok = sim_params_set_str(s, cfg, p->name, lua_tostring(L, idx), &e);
    else {
        g_autofree char *exp = expected_text(p), *got = describe(L, idx);
        return cfg_error(error, file, "%s%s: expected %s, got %s", at, label, exp, got);
    }
    if (!ok) {
        cfg_error(error, file, "%s%s", at, e->message);
        g_error_free(e);
    }
    return ok;
}

/* The first line of `file` that assigns `key` ("key =", not "==", outside a
 * -- comment), or 0. */
static int key_line(const char *file, const char *key)
{
    g_autofree char *text = NULL;
    if (!g_file_get_contents(file, &text, NULL, NULL))
        return 0;
    gsize kl = strlen(key);
    int line = 1;
    gboolean comment = FALSE;
    for (const char *p = text; *p; p++) {
        if (*p == '\n') {
            line++;
            comment = FALSE;
            continue;
        }
        if (p[0] == '-' && p[1] == '-')
            comment = TRUE;
        if (comment || strncmp(p, key, kl) != 0 || (p > text && (g_ascii_isalnum(p[-1]) || p[-1] == '_')))
            continue;
        const char *q = p + kl;
        while (*q == ' ' || *q == '\t')
            q++;
        if (*q == '=' && q[1] != '=')
            return line;
    }
    return 0;
}

/* A device-table error about key k: "FILE: ..." becomes "FILE:LINE: ..."
 * when the scenario assigns k itself (the first such line). */
static void add_key_line(GError **error, const char *file, const char *label, const char *k)
{
    if (!error || !*error || !label || strcmp(label, "device") != 0)
        return;
    GError *e = *error;
    gsize n = strlen(file);
    int line = strncmp(e->message, file, n) == 0 && e->message[n] == ':' ? key_line(file, k) : 0;
    if (!line)
        return;
    char *m = g_strdup_printf("%s:%d%s", file, line, e->message + n);
    g_free(e->message);
    e->message = m;
}

/* A key of the other device schema (hdd keys with model ssd, ssd keys with
 * model hdd or raid): "FILE:LINE: device.rpm: ..." (the line where the
 * scenario assigns it, when it does so itself). Returns FALSE. */
static gboolean foreign_key_error(GError **error, const char *file, const char *at, const char *k, int m)
{
    const SimSchema *s = models[m].schema;
    g_autoptr(GString) all = g_string_new("model");
    for (guint i = 0; i < s->n; i++)
        g_string_append_printf(all, ", %s", s->params[i].name);
    int line = g_str_has_prefix(at, "--set") ? 0 : key_line(file, k);
    g_autofree char *where = line ? g_strdup_printf("%s:%d", file, line) : g_strdup(file);
    return cfg_error(error, where, "%sdevice.%s: %s, not one of device.model = %s (allowed: %s)", at, k,
                     m == M_SSD ? "a parameter of the hdd model" : "a parameter of the ssd model",
                     m == M_SSD ? "\"ssd\"" : "\"hdd\" or \"raid\"", all->str);
}

/* Apply the table at idx to cfg through model m's schema; keys in `extra`
 * are left to the caller. `label` is the table's key ("fs") or NULL for a
 * top-level or case table. */
static gboolean apply_table(lua_State *L, int idx, int m, gpointer cfg, const char *const *extra, const char *file,
                            const char *at, const char *label, GError **error)
{
    const SimSchema *s = models[m].schema;
    idx = lua_absindex(L, idx);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        gboolean ok = TRUE;
        if (lua_type(L, -2) != LUA_TSTRING) {
            g_autofree char *got = describe(L, -2);
            g_autofree char *where = label ? g_strconcat(at, label, NULL)
                                   : *at   ? g_strndup(at, strlen(at) - 1)      /* "cases[2]" */
                                           : g_strdup("the scenario table");
            ok = cfg_error(error, file, "%s: keys must be names, got %s", where, got);
        } else {
            const char *k = lua_tostring(L, -2);
            const SimParam *p = sim_params_find(s, k);
            g_autofree char *full = label ? g_strdup_printf("%s.%s", label, k) : g_strdup(k);
            const SimSchema *other = m == M_SSD ? &sim_hdd_schema : m == M_DEVICE ? &sim_ssd_schema : NULL;
            if (p) {
                ok = set_value(L, -1, s, p, cfg, file, at, full, error);
            } else if (other && label && sim_params_find(other, k)) {
                ok = foreign_key_error(error, file, at, k, m);
            } else if (!in_list(extra, k)) {
                Suggest sg = { 0 };
                for (guint i = 0; i < s->n; i++)
                    suggest_add(&sg, k, s->params[i].name);
                for (const char *const *x = extra; *x; x++)
                    suggest_add(&sg, k, *x);
                if (sg.best)
                    ok = cfg_error(error, file, "%s%s: unknown key (did you mean %s%s%s?)", at, full,
                                   label ? label : "", label ? "." : "", sg.best);
                else if (!label) {
                    g_autoptr(GString) all = g_string_new(NULL);
                    for (const char *const *x = extra; *x; x++)
                        g_string_append_printf(all, "%s, ", *x);
                    for (guint i = 0; i < s->n; i++)
                        g_string_append_printf(all, "%s%s", s->params[i].name, i + 1 < s->n ? ", " : "");
                    ok = cfg_error(error, file, "%s%s: unknown key (allowed: %s)", at, full, all->str);
                } else
                    ok = cfg_error(error, file, "%s%s: unknown key (see: powercut list params)", at, full);
            }
            if (!ok && (p || !other || !sim_params_find(other, k)))
                add_key_line(error, file, label, k);
        }
        lua_pop(L, 1);
        if (!ok) {
            lua_pop(L, 1);
            return FALSE;
        }
    }
    return TRUE;
}

/* Apply the model subtables (device, fs, workload) of the table at idx.
 * Sets *has_ops when the workload table has an ops function. */
static gboolean apply_models(lua_State *L, int idx, SimCaseSpec *cs, const char *file, const char *at,
                             int dev_m, gboolean skip_device, gboolean *has_ops, GError **error)
{
    for (int m0 = 0; m0 < M_RUN; m0++) {
        int m = m0 == M_DEVICE ? dev_m : m0;
        if (m0 == M_DEVICE && skip_device)
            continue;
        int t = rawfield(L, idx, models[m].key);
        gboolean ok = TRUE;
        if (t != LUA_TNIL && t != LUA_TTABLE) {
            g_autofree char *got = describe(L, -1);
            ok = cfg_error(error, file, "%s%s: expected a table, got %s", at, models[m].key, got);
        } else if (t == LUA_TTABLE) {
            ok = apply_table(L, -1, m, CFG(cs, m), model_keys[m], file, at, models[m].key, error);
            if (ok && m == M_RAID) {
                int mt = rawfield(L, -1, "model");
                if (mt != LUA_TNIL && (mt != LUA_TSTRING || strcmp(lua_tostring(L, -1), "raid") != 0)) {
                    g_autofree char *got = describe(L, -1);
                    ok = cfg_error(error, file, "%sraid.model: expected raid, got %s", at, got);
                }
                lua_pop(L, 1);
            } else if (ok && m == M_WORKLOAD) {
                int ot = rawfield(L, -1, "ops");
                if (ot == LUA_TFUNCTION)
                    *has_ops = TRUE;
                else if (ot != LUA_TNIL) {
                    g_autofree char *got = describe(L, -1);
                    ok = cfg_error(error, file, "%sworkload.ops: expected a function, got %s", at, got);
                }
                lua_pop(L, 1);
            }
        }
        lua_pop(L, 1);
        if (!ok)
            return FALSE;
    }
    return TRUE;
}

/* The device.model named by the table at idx: -1 when it names none, -2
 * (error set) when the value is bad. */
static int table_model(lua_State *L, int idx, const char *file, const char *at, GError **error)
{
    int r = -1;
    if (rawfield(L, idx, "device") == LUA_TTABLE) {
        int mt = rawfield(L, -1, "model");
        if (mt != LUA_TNIL) {
            r = mt == LUA_TSTRING ? sim_dev_model_parse(lua_tostring(L, -1)) : -1;
            if (r < 0) {
                g_autofree char *got = describe(L, -1);
                cfg_error(error, file, "%sdevice.model: expected one of hdd, raid, ssd, got %s", at, got);
                r = -2;
            }
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return r;
}

static gboolean is_dev(int m) { return m == M_DEVICE || m == M_SSD; }
static int schema_of_model(int model) { return model == SIM_DEV_SSD ? M_SSD : M_DEVICE; }

/* One case: defaults < top-level tables < case table (at case_idx, 0 for
 * none) < dotted --set; then the cross-checks.
 *
 * The device model is decided first (--set device.model, else the case's
 * device.model, else the scenario's, else hdd) and every device table is
 * read through that model's schema, so a key of another model is an error.
 * A case whose device table names a model with another schema than the
 * scenario's (ssd against hdd/raid) replaces the scenario's device table
 * instead of adding to it, so one scenario can compare a disk and an SSD. */
static gboolean resolve_case(lua_State *L, int top, int case_idx, int ci, SimCaseSpec *cs, GError **error)
{
    Host *h = host_of(L);
    const char *file = h->path;
    gboolean has_ops = FALSE;
    g_autofree char *at = case_idx ? g_strdup_printf("cases[%d].", ci) : g_strdup("");
    for (int m = 0; m < M_N; m++)
        sim_params_defaults(models[m].schema, CFG(cs, m));
    int top_model = table_model(L, top, file, "", error);
    int case_model = case_idx && top_model != -2 ? table_model(L, case_idx, file, at, error) : -1;
    if (top_model == -2 || case_model == -2)
        return FALSE;
    int set_model = -1;
    for (char **s = h->sets; s && *s; s++) {
        g_autofree char *name = NULL;
        const char *value, *key;
        int m;
        if (split_set(*s, &name, &value) && dotted_find(name, &m, &key) && is_dev(m) && strcmp(key, "model") == 0) {
            set_model = sim_dev_model_parse(value);
            if (set_model < 0)
                return cfg_error(error, file, "--set %s: expected one of hdd, raid, ssd, got \"%s\"", name, value);
        }
    }
    int base = top_model >= 0 ? top_model : SIM_DEV_HDD;
    cs->dev_model = set_model >= 0 ? set_model : case_model >= 0 ? case_model : base;
    int dev_m = schema_of_model(cs->dev_model);
    gboolean skip_top = case_model >= 0 && schema_of_model(case_model) != schema_of_model(base);
    if (!apply_table(L, top, M_RUN, &cs->run, top_keys, file, "", NULL, error) ||
        !apply_models(L, top, cs, file, "", dev_m, skip_top, &has_ops, error))
        return FALSE;
    if (case_idx && (!apply_table(L, case_idx, M_RUN, &cs->run, case_keys, file, at, NULL, error) ||
                     !apply_models(L, case_idx, cs, file, at, dev_m, FALSE, &has_ops, error)))
        return FALSE;
    for (char **s = h->sets; s && *s; s++) {
        g_autofree char *name = NULL;
        const char *value, *key;
        int m;
        if (!split_set(*s, &name, &value) || !dotted_find(name, &m, &key))
            continue;                                 /* declared parameter (checked before) */
        g_autoptr(GError) e = NULL;
        if (is_dev(m) && strcmp(key, "model") == 0) {
            /* decided above */
        } else if (is_dev(m) && !sim_params_find(models[dev_m].schema, key)) {
            return foreign_key_error(error, file, "--set ", key, dev_m);
        } else if (is_dev(m) && !sim_params_set_str(models[dev_m].schema, CFG(cs, dev_m), key, value, &e)) {
            return cfg_error(error, file, "--set %s", e->message);
        } else if (is_dev(m)) {
            /* set */
        } else if (m == M_RAID && strcmp(key, "model") == 0) {
            if (strcmp(value, "raid") != 0)
                return cfg_error(error, file, "--set %s: expected raid, got \"%s\"", name, value);
        } else if (m == M_WORKLOAD && strcmp(key, "ops") == 0) {
            return cfg_error(error, file, "--set %s: ops can only be given in the scenario", name);
        } else if (!sim_params_set_str(models[m].schema, CFG(cs, m), key, value, &e))
            return cfg_error(error, file, "--set %s", e->message);
    }

    g_autofree char *in = case_idx ? g_strdup_printf("case %s: ", cs->name) : g_strdup("");
    if (cs->wl.kind == SIM_WL_LUA && !has_ops)
        return cfg_error(error, file, "%sworkload.kind = \"lua\" needs workload.ops = function(ctx) ... end", in);
    if (cs->wl.kind != SIM_WL_LUA && has_ops)
        return cfg_error(error, file, "%sworkload.ops is only used with workload.kind = \"lua\"", in);
    g_autoptr(GError) e = NULL;
    if (!sim_hdd_cfg_validate(&cs->dev, &e) || !sim_fs_cfg_validate(&cs->fs, &e) ||
        (cs->dev_model == SIM_DEV_RAID && !sim_raid_cfg_validate(&cs->raid, &e)) ||
        (cs->dev_model == SIM_DEV_SSD && !sim_ssd_cfg_validate(&cs->ssd, &e))) {
        /* a device cross-check names its key first ("device.atomic_bytes: ..."):
         * point at the scenario's line for it, unless a --set gave the value */
        g_autofree char *where = g_strdup(file);
        if (g_str_has_prefix(e->message, "device.")) {
            g_autofree char *key = g_strndup(e->message + 7, strcspn(e->message + 7, ": "));
            gboolean from_set = FALSE;
            for (char **x = h->sets; x && *x; x++)
                from_set |= g_str_has_prefix(*x, "device.") && g_str_has_prefix(*x + 7, key) &&
                            (*x)[7 + strlen(key)] == '=';
            int line = from_set ? 0 : key_line(file, key);
            if (line) {
                g_free(where);
                where = g_strdup_printf("%s:%d", file, line);
            }
        }
        return cfg_error(error, where, "%s%s", in, e->message);
    }
    if (cs->run.crash_from_s >= cs->run.duration_s)
        return cfg_error(error, file, "%scrash_from_s (%g s) must be less than duration_s (%g s)", in,
                         cs->run.crash_from_s, cs->run.duration_s);
    return TRUE;
}

static void case_free(gpointer p)
{
    SimCaseSpec *cs = p;
    for (int m = 0; m < M_N; m++)
        sim_params_clear(models[m].schema, CFG(cs, m));
    g_free(cs->name);
    g_free(cs->sweep_base);
    g_strfreev(cs->sweep_point);
    g_strfreev(cs->sweep_sets);
    g_free(cs);
}

static void sweep_dim_free(gpointer p)
{
    SimSweepDim *d = p;
    g_free(d->name);
    g_ptr_array_unref(d->values);
    g_free(d);
}

static gint cmp_dim(gconstpointer a, gconstpointer b)
{
    return strcmp((*(SimSweepDim *const *)a)->name, (*(SimSweepDim *const *)b)->name);
}

/* The top-level `sweep = { NAME = { v1, v2, ... }, ... }` at idx into
 * sc->sweep (names sorted, values as text: integers as such, other numbers
 * as %.14g, booleans true/false, strings as given). The names are checked
 * by sim_scenario_load_sweep (sweep.c). */
static gboolean read_sweep(lua_State *L, int idx, const char *file, SimScenario *sc, GError **error)
{
    idx = lua_absindex(L, idx);
    if (!lua_istable(L, idx)) {
        g_autofree char *got = describe(L, idx);
        return cfg_error(error, file, "sweep: expected a table { NAME = { values... } }, got %s", got);
    }
    sc->sweep = g_ptr_array_new_with_free_func(sweep_dim_free);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) != LUA_TSTRING) {
            g_autofree char *got = describe(L, -2);
            lua_pop(L, 2);
            return cfg_error(error, file, "sweep: keys must be parameter names, got %s", got);
        }
        const char *k = lua_tostring(L, -2);
        int n = lua_istable(L, -1) ? (int)lua_rawlen(L, -1) : 0;
        if (n < 1) {
            g_autofree char *got = describe(L, -1);
            cfg_error(error, file, "sweep.%s: expected a non-empty array of values, got %s", k, got);
            lua_pop(L, 2);
            return FALSE;
        }
        SimSweepDim *d = g_new0(SimSweepDim, 1);
        d->name = g_strdup(k);
        d->values = g_ptr_array_new_with_free_func(g_free);
        g_ptr_array_add(sc->sweep, d);
        for (int i = 1; i <= n; i++) {
            int t = lua_rawgeti(L, -1, i);
            char buf[G_ASCII_DTOSTR_BUF_SIZE], *v = NULL;
            if (t == LUA_TNUMBER && lua_isinteger(L, -1))
                v = g_strdup_printf("%lld", (long long)lua_tointeger(L, -1));
            else if (t == LUA_TNUMBER)
                v = g_strdup(g_ascii_formatd(buf, sizeof buf, "%.14g", lua_tonumber(L, -1)));
            else if (t == LUA_TBOOLEAN)
                v = g_strdup(lua_toboolean(L, -1) ? "true" : "false");
            else if (t == LUA_TSTRING)
                v = g_strdup(lua_tostring(L, -1));
            if (!v) {
                g_autofree char *got = describe(L, -1);
                cfg_error(error, file, "sweep.%s[%d]: expected a number, boolean or string, got %s", k, i, got);
                lua_pop(L, 3);
                return FALSE;
            }
            for (guint j = 0; j < d->values->len; j++)
                if (strcmp(g_ptr_array_index(d->values, j), v) == 0) {
                    cfg_error(error, file, "sweep.%s: the value %s appears twice", k, v);
                    g_free(v);
                    lua_pop(L, 3);
                    return FALSE;
                }
            g_ptr_array_add(d->values, v);
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    g_ptr_array_sort(sc->sweep, cmp_dim);
    return TRUE;
}

static gboolean valid_case_name(const char *s)
{
    if (!*s)
        return FALSE;
    for (; *s; s++)
        if (!g_ascii_isalnum(*s) && *s != '.' && *s != '_' && *s != '-')
            return FALSE;
    return TRUE;
}

/* Check the cases array at idx; returns its length, or -1 with error set. */
static int check_cases(lua_State *L, int idx, const char *file, GError **error)
{
    if (!lua_istable(L, idx)) {
        g_autofree char *got = describe(L, idx);
        cfg_error(error, file, "cases: expected an array of tables, got %s", got);
        return -1;
    }
    int n = (int)lua_rawlen(L, idx);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 || lua_tointeger(L, -1) > n) {
            g_autofree char *got = describe(L, -1);
            lua_pop(L, 1);
            cfg_error(error, file, "cases: expected an array of tables, found key %s", got);
            return -1;
        }
    }
    if (n == 0)
        cfg_error(error, file, "cases: empty (leave it out for a single case named \"default\")");
    return n ? n : -1;
}

SimScenario *sim_scenario_load(const char *path, const char *const *sets, guint64 seed, GError **error)
{
    g_return_val_if_fail(path != NULL, NULL);
    g_autofree char *lua_dir = sim_script_lua_dir();
    char *desc = NULL;
    lua_State *L = scenario_run(path, (char *const *)sets, lua_dir, seed, &desc, error);
    if (!L)
        return NULL;
    Host *h = host_of(L);
    int top = lua_gettop(L);

    SimScenario *sc = g_new0(SimScenario, 1);
    sc->path = g_strdup(path);
    sc->description = desc;
    sc->cases = g_ptr_array_new_with_free_func(case_free);
    sc->sets = g_strdupv((char **)sets);
    sc->seed = seed;
    sc->lua_dir = g_steal_pointer(&lua_dir);
    gboolean ok = check_sets(h, error);
    sc->param_names = g_steal_pointer(&h->pnames);
    sc->param_values = g_steal_pointer(&h->pvalues);
    sc->param_help = g_steal_pointer(&h->phelp);
    if (ok) {
        int t = rawfield(L, top, "description");
        if (t == LUA_TSTRING) {
            g_free(sc->description);
            sc->description = g_strdup(lua_tostring(L, -1));
        } else if (t != LUA_TNIL) {
            g_autofree char *got = describe(L, -1);
            ok = cfg_error(error, path, "description: expected a string, got %s", got);
        }
        lua_pop(L, 1);
    }
    if (ok) {
        if (rawfield(L, top, "sweep") != LUA_TNIL)
            ok = read_sweep(L, -1, path, sc, error);
        lua_pop(L, 1);
    }
    if (ok) {
        int t = rawfield(L, top, "expect");
        if (t != LUA_TNIL && t != LUA_TFUNCTION) {
            g_autofree char *got = describe(L, -1);
            ok = cfg_error(error, path, "expect: expected a function, got %s", got);
        }
        lua_pop(L, 1);
    }
    if (ok) {
        int n = rawfield(L, top, "cases") == LUA_TNIL ? 0 : check_cases(L, top + 1, path, error);
        ok = n >= 0;
        for (int i = 1; ok && i <= MAX(n, 1); i++) {
            SimCaseSpec *cs = g_new0(SimCaseSpec, 1);
            g_ptr_array_add(sc->cases, cs);
            if (n == 0) {
                cs->name = g_strdup("default");
                ok = resolve_case(L, top, 0, 0, cs, error);
                break;
            }
            cs->lua_case_index = i;
            if (lua_rawgeti(L, top + 1, i) != LUA_TTABLE) {
                g_autofree char *got = describe(L, -1);
                ok = cfg_error(error, path, "cases[%d]: expected a table, got %s", i, got);
            } else if (rawfield(L, top + 2, "name") != LUA_TSTRING) {
                g_autofree char *got = describe(L, -1);
                ok = cfg_error(error, path, "cases[%d].name: expected a string, got %s", i, got);
            } else if (!valid_case_name(lua_tostring(L, -1))) {
                ok = cfg_error(error, path, "cases[%d].name: \"%s\" is not a valid case name (allowed: letters, "
                               "digits, '.', '_', '-')", i, lua_tostring(L, -1));
            } else {
                cs->name = g_strdup(lua_tostring(L, -1));
                for (guint j = 0; ok && j + 1 < sc->cases->len; j++)
                    if (strcmp(((SimCaseSpec *)sc->cases->pdata[j])->name, cs->name) == 0)
                        ok = cfg_error(error, path, "cases[%d].name: duplicate case name \"%s\" (also cases[%u])",
                                       i, cs->name, j + 1);
                if (ok)
                    ok = resolve_case(L, top, top + 2, i, cs, error);
            }
            lua_settop(L, top + 1);
        }
    }
    sandbox_free(L);
    if (!ok) {
        sim_scenario_free(sc);
        return NULL;
    }
    return sc;
}

void sim_scenario_free(SimScenario *sc)
{
    if (!sc)
        return;
    g_free(sc->path);
    g_free(sc->description);
    g_clear_pointer(&sc->cases, g_ptr_array_unref);
    g_clear_pointer(&sc->param_names, g_ptr_array_unref);
    g_clear_pointer(&sc->param_values, g_ptr_array_unref);
    g_clear_pointer(&sc->param_help, g_ptr_array_unref);
    g_clear_pointer(&sc->sweep, g_ptr_array_unref);
    g_strfreev(sc->sets);
    g_free(sc->lua_dir);
    g_free(sc);
}

char *sim_script_lua_dir(void)
{
    return sim_data_dir("POWERCUT_LUA_DIR", "lua", NULL);
}

/* ---- presets ------------------------------------------------------------ */

/* A preset table's key as text for the listing: the value resolved through
 * the hdd schema (defaults filled in), or the raw Lua value for another
 * model, or "-". */
static char *preset_value(lua_State *L, int t, const SimHddCfg *hdd, const char *key)
{
    if (hdd) {
        const SimParam *p = sim_params_find(&sim_hdd_schema, key);
        return p ? sim_params_value_str(p, hdd) : g_strdup("-");
    }
    char *v;
    switch (rawfield(L, t, key)) {
    case LUA_TSTRING: v = g_strdup(lua_tostring(L, -1)); break;
    case LUA_TBOOLEAN: v = g_strdup(lua_toboolean(L, -1) ? "true" : "false"); break;
    case LUA_TNUMBER:
        v = lua_isinteger(L, -1) ? g_strdup_printf("%lld", (long long)lua_tointeger(L, -1))
                                 : g_strdup_printf("%g", lua_tonumber(L, -1));
        break;
    default: v = g_strdup("-");
    }
    lua_pop(L, 1);
    return v;
}

/* A preset's configuration error e (freed), as "FILE: preset NAME: what",
 * without repeating the file name the message may already start with. */
static void preset_error(GError **error, const char *path, const char *name, GError *e)
{
    const char *m = e->message;
    if (g_str_has_prefix(m, path) && m[strlen(path)] == ':')
        m += strlen(path) + 2;
    cfg_error(error, path, "preset %s: %s", name, m);
    g_error_free(e);
}

/* One preset: call presets[name]() and append its row (columns). */
static gboolean preset_row(lua_State *L, int top, const char *path, const char *name, GPtrArray *row,
                           GError **error)
{
    static const char *const keys[] = { "rpm", "cache_mb", "flush", "fua", "report_cache" };
    rawfield(L, top, name);
    g_autofree char *what = g_strdup_printf("presets.%s()", name);
    if (!call(L, 0, 1, what, error))
        return FALSE;
    int t = lua_gettop(L);
    if (!lua_istable(L, t)) {
        g_autofree char *got = describe(L, t);
        return cfg_error(error, path, "presets.%s(): expected a device table, got %s", name, got);
    }
    const char *model = rawfield(L, t, "model") == LUA_TSTRING ? lua_tostring(L, -1) : "hdd";
    g_ptr_array_add(row, g_strdup(name));
    g_ptr_array_add(row, g_strdup(model));
    lua_pop(L, 1);
    SimHddCfg c, *hdd = NULL;
    if (strcmp(g_ptr_array_index(row, 1), "hdd") == 0) {
        /* through the schema, as a scenario would resolve it */
        hdd = &c;
        sim_params_defaults(&sim_hdd_schema, hdd);
        GError *e = NULL;
        if (!apply_table(L, t, M_DEVICE, hdd, device_keys, path, "", "device", &e) || !sim_hdd_cfg_validate(hdd, &e)) {
            preset_error(error, path, name, e);
            sim_params_clear(&sim_hdd_schema, hdd);
            return FALSE;
        }
    }
    if (strcmp(g_ptr_array_index(row, 1), "raid") == 0) {
        /* a controller (the `raid` table): its cache, flush handling and advertised cache */
        SimRaidCfg rc;
        sim_params_defaults(&sim_raid_schema, &rc);
        GError *e = NULL;
        if (!apply_table(L, t, M_RAID, &rc, raid_keys, path, "", "raid", &e) || !sim_raid_cfg_validate(&rc, &e)) {
            preset_error(error, path, name, e);
            return FALSE;
        }
        g_ptr_array_add(row, g_strdup("-"));
        g_ptr_array_add(row, g_strdup_printf("%" G_GINT64_FORMAT, rc.cache_mb));
        g_ptr_array_add(row, g_strdup(sim_raid_flush_names[rc.flush]));
        g_ptr_array_add(row, g_strdup("true"));
        g_ptr_array_add(row, g_strdup(sim_raid_advertises_volatile(&rc) ? "volatile" : "write-through"));
        g_ptr_array_add(row, g_strdup("-"));
        sim_params_clear(&sim_raid_schema, &rc);
    } else if (strcmp(g_ptr_array_index(row, 1), "ssd") == 0) {
        /* an SSD, through its own schema: its buffer, flush, FUA, what it reports, PLP */
        SimSsdCfg sc;
        sim_params_defaults(&sim_ssd_schema, &sc);
        GError *e = NULL;
        if (!apply_table(L, t, M_SSD, &sc, device_keys, path, "", "device", &e) || !sim_ssd_cfg_validate(&sc, &e)) {
            preset_error(error, path, name, e);
            return FALSE;
        }
        g_ptr_array_add(row, g_strdup("-"));
        g_ptr_array_add(row, g_strdup_printf("%" G_GINT64_FORMAT, sc.cache_mb));
        g_ptr_array_add(row, g_strdup(sim_hdd_flush_names[sc.flush]));
        g_ptr_array_add(row, g_strdup(sc.fua ? "true" : "false"));
        g_ptr_array_add(row, g_strdup(sc.plp && sc.plp_report == SIM_SSD_PLP_REPORT_NO_CACHE ? "no-cache"
                                      : sim_hdd_report_cache_names[sc.report_cache]));
        g_ptr_array_add(row, g_strdup(sc.plp ? "yes" : "no"));
        sim_params_clear(&sim_ssd_schema, &sc);
    } else {
        for (gsize i = 0; i < G_N_ELEMENTS(keys); i++)
            g_ptr_array_add(row, preset_value(L, t, hdd, keys[i]));
        g_ptr_array_add(row, g_strdup("-"));
    }
    if (hdd)
        sim_params_clear(&sim_hdd_schema, hdd);
    /* the one-line summary, from the optional presets.about table */
    const char *about = NULL;
    if (rawfield(L, top, "about") == LUA_TTABLE && rawfield(L, -1, name) == LUA_TSTRING)
        about = lua_tostring(L, -1);
    g_ptr_array_add(row, g_strdup(about ? about : ""));
    lua_settop(L, top);
    return TRUE;
}

gboolean sim_script_list_presets(GString *out, GError **error)
{
    g_return_val_if_fail(out != NULL, FALSE);
    g_autofree char *lua_dir = sim_script_lua_dir();
    g_autofree char *path = lua_dir ? g_build_filename(lua_dir, "presets.lua", NULL) : NULL;
    if (!path || !g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(error, SIM_SCRIPT_ERROR, SIM_SCRIPT_ERROR_IO,
                    "%s: cannot open (set POWERCUT_LUA_DIR, or run from the powercut source directory)",
                    path ? path : "lua/presets.lua");
        return FALSE;
    }
    lua_State *L = scenario_run(path, NULL, lua_dir, 1, NULL, error);
    if (!L)
        return FALSE;
    int top = lua_gettop(L);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    lua_pushnil(L);
    while (lua_next(L, top)) {
        if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TFUNCTION)
            g_ptr_array_add(names, g_strdup(lua_tostring(L, -2)));
        lua_pop(L, 1);
    }
    g_ptr_array_sort(names, cmp_str);
    static const char *const head[] = { "NAME", "MODEL", "RPM", "CACHE_MB", "FLUSH", "FUA", "REPORT_CACHE", "PLP",
                                        "ABOUT" };
    enum { NCOL = G_N_ELEMENTS(head) };
    g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    gboolean ok = TRUE;
    for (guint i = 0; ok && i < names->len; i++) {
        GPtrArray *row = g_ptr_array_new_with_free_func(g_free);
        g_ptr_array_add(rows, row);
        ok = preset_row(L, top, path, g_ptr_array_index(names, i), row, error);
    }
    sandbox_free(L);
    if (!ok)
        return FALSE;
    gsize width[NCOL];
    for (guint j = 0; j < NCOL; j++) {
        width[j] = strlen(head[j]);
        for (guint i = 0; i < rows->len; i++)
            width[j] = MAX(width[j], strlen(g_ptr_array_index((GPtrArray *)g_ptr_array_index(rows, i), j)));
    }
    g_string_append_printf(out, "Presets in %s; in a scenario:\n"
                                "  local presets = require \"presets\"\n"
                                "  device = presets.NAME { KEY = VALUE, ... }   -- overrides: powercut list params\n"
                                "  -- model raid: device = presets.DRIVE { model = \"raid\" }; raid = presets.NAME { ... }\n"
                                "  -- model ssd: device = presets.SSD { ... } (PLP: power-loss protection)\n\n",
                           path);
    for (guint i = 0; i <= rows->len; i++) {
        GString *line = g_string_new("  ");
        for (guint j = 0; j < NCOL; j++) {
            const char *v = i == 0 ? head[j] : g_ptr_array_index((GPtrArray *)g_ptr_array_index(rows, i - 1), j);
            g_string_append_printf(line, "%-*s", j + 1 < NCOL ? (int)width[j] + 2 : 0, v);
        }
        g_string_truncate(line, strlen(g_strchomp(line->str)));
        g_string_append_printf(out, "%s\n", line->str);
        g_string_free(line, TRUE);
    }
    return TRUE;
}

/* ---- Lua workloads ------------------------------------------------------ */

struct SimLuaWorkload {
    lua_State *L;
    int        ops_ref;
};

/* The host of a ctx method call; arg 1 must be the context. */
static Host *check_ctx(lua_State *L)
{
    Host *h = host_of(L);
    if (!h->ops)
        luaL_error(L, "ctx methods can only be called while ops runs");
    lua_rawgeti(L, LUA_REGISTRYINDEX, h->ctx_ref);
    if (!lua_rawequal(L, 1, -1))
        luaL_error(L, "call ctx methods with a colon, e.g. ctx:write(f, off, len)");
    lua_pop(L, 1);
    return h;
}

/* A file name: "NAME" or "dK/NAME" with K < dirs; non-empty, no "..". */
static const char *check_file(lua_State *L, Host *h, int arg)
{
    size_t len;
    const char *f = luaL_checklstring(L, arg, &len);
    const char *slash = strchr(f, '/');
    luaL_argcheck(L, len > 0 && strlen(f) == len && !strstr(f, "..") &&
                         (!slash || (slash > f && slash[1] && !strchr(slash + 1, '/'))),
                  arg, "file names are NAME or DIR/NAME (non-empty, no '..', at most one '/')");
    if (slash) {
        char *end = NULL;
        gboolean canon = f[0] == 'd' && g_ascii_isdigit(f[1]) && (f[1] != '0' || slash == f + 2);
        gint64 k = canon ? g_ascii_strtoll(f + 1, &end, 10) : -1;
        if (end != slash || k >= h->dirs)
            luaL_argerror(L, arg, lua_pushfstring(L, "directory '%s' is not one of d0..d%d",
                                                  lua_pushlstring(L, f, (size_t)(slash - f)), (int)h->dirs - 1));
    }
    return f;
}

static lua_Integer check_len(lua_State *L, int arg, const char *what)
{
    lua_Integer v = luaL_checkinteger(L, arg);
    luaL_argcheck(L, v >= 0, arg, what);
    return v;
}

static void record(Host *h, SimOpKind k, const char *f, const char *f2, gint64 off, gint64 len)
{
    SimOp op = { .kind = k, .file = g_strdup(f), .file2 = g_strdup(f2), .off = off, .len = len };
    g_array_append_val(h->ops, op);
}

static int ctx_create(lua_State *L)
{
    Host *h = check_ctx(L);
    record(h, SIM_OP_CREATE, check_file(L, h, 2), NULL, 0, 0);
    return 0;
}

static int ctx_write(lua_State *L)
{
    Host *h = check_ctx(L);
    const char *f = check_file(L, h, 2);
    lua_Integer off = check_len(L, 3, "offset must be >= 0"), len = check_len(L, 4, "length must be >= 0");
    record(h, SIM_OP_WRITE, f, NULL, off, len);
    return 0;
}

static int ctx_append(lua_State *L)
{
    Host *h = check_ctx(L);
    const char *f = check_file(L, h, 2);
    record(h, SIM_OP_APPEND, f, NULL, 0, check_len(L, 3, "length must be >= 0"));
    return 0;
}

static int ctx_fsync(lua_State *L)
{
    Host *h = check_ctx(L);
    record(h, SIM_OP_FSYNC, check_file(L, h, 2), NULL, 0, 0);
    return 0;
}

static int ctx_fdatasync(lua_State *L)
{
    Host *h = check_ctx(L);
    record(h, SIM_OP_FDATASYNC, check_file(L, h, 2), NULL, 0, 0);
    return 0;
}

static int ctx_unlink(lua_State *L)
{
    Host *h = check_ctx(L);
    record(h, SIM_OP_UNLINK, check_file(L, h, 2), NULL, 0, 0);
    return 0;
}

static int ctx_rename(lua_State *L)
{
    Host *h = check_ctx(L);
    const char *from = check_file(L, h, 2), *to = check_file(L, h, 3);
    record(h, SIM_OP_RENAME, from, to, 0, 0);
    return 0;
}

static int ctx_sync(lua_State *L)
{
    Host *h = check_ctx(L);
    record(h, SIM_OP_SYNC, NULL, NULL, 0, 0);
    return 0;
}

SimLuaWorkload *sim_lua_workload_new(const SimScenario *sc, const SimCaseSpec *cs, guint64 seed, guint64 run,
                                     GError **error)
{
    g_return_val_if_fail(sc != NULL && cs != NULL, NULL);
    /* The same load as sim_scenario_load, so the tables (and closures) match. */
    /* a sweep point re-loads with its own --set list */
    lua_State *L = scenario_run(sc->path, cs->sweep_sets ? cs->sweep_sets : sc->sets, sc->lua_dir, sc->seed, NULL,
                                error);
    if (!L)
        return NULL;
    Host *h = host_of(L);
    int top = lua_gettop(L);
    /* ops: the case's workload.ops, else the top-level one */
    int t = LUA_TNIL;
    if (cs->lua_case_index > 0 && rawfield(L, top, "cases") == LUA_TTABLE &&
        lua_rawgeti(L, -1, cs->lua_case_index) == LUA_TTABLE && rawfield(L, -1, "workload") == LUA_TTABLE)
        t = rawfield(L, -1, "ops");
    if (t != LUA_TFUNCTION) {
        lua_settop(L, top);
        if (rawfield(L, top, "workload") == LUA_TTABLE)
            t = rawfield(L, -1, "ops");
    }
    if (t != LUA_TFUNCTION) {
        cfg_error(error, sc->path, "case %s: workload.ops is not a function", cs->name);
        sandbox_free(L);
        return NULL;
    }
    SimLuaWorkload *lw = g_new0(SimLuaWorkload, 1);
    lw->L = L;
    lw->ops_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_settop(L, 0);

    static const luaL_Reg methods[] = {
        { "create", ctx_create }, { "write", ctx_write },   { "append", ctx_append },
        { "fsync", ctx_fsync },   { "fdatasync", ctx_fdatasync }, { "unlink", ctx_unlink },
        { "rename", ctx_rename }, { "sync", ctx_sync },     { NULL, NULL },
    };
    lua_newtable(L);                                  /* ctx */
    lua_newtable(L);                                  /* its metatable: __index = methods */
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
    h->ctx_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    h->dirs = cs->wl.dirs;
    h->run = run;
    sim_rng_seed(&h->rng, seed, run, "lua");
    return lw;
}

gboolean sim_lua_workload_next(SimLuaWorkload *lw, guint thread, guint64 iteration, GArray *ops_out, GError **error)
{
    g_return_val_if_fail(lw != NULL && ops_out != NULL, FALSE);
    lua_State *L = lw->L;
    Host *h = host_of(L);
    guint n0 = ops_out->len;
    lua_rawgeti(L, LUA_REGISTRYINDEX, lw->ops_ref);
    lua_rawgeti(L, LUA_REGISTRYINDEX, h->ctx_ref);
    lua_pushinteger(L, (lua_Integer)iteration);
    lua_setfield(L, -2, "iteration");
    lua_pushinteger(L, (lua_Integer)thread);
    lua_setfield(L, -2, "thread");
    h->ops = ops_out;
    gboolean ok = call(L, 1, 0, "workload ops", error);
    h->ops = NULL;
    if (!ok) {                                        /* drop this call's ops */
        for (guint i = n0; i < ops_out->len; i++) {
            SimOp *op = &g_array_index(ops_out, SimOp, i);
            g_clear_pointer(&op->file, g_free);
            g_clear_pointer(&op->file2, g_free);
        }
        g_array_set_size(ops_out, n0);
    }
    lua_settop(L, 0);
    return ok;
}

void sim_lua_workload_free(SimLuaWorkload *lw)
{
    if (!lw)
        return;
    sandbox_free(lw->L);
    g_free(lw);
}

/* ---- expectations --------------------------------------------------------- */

/* A fresh sandbox with sc re-loaded as sim_scenario_load did and its expect
 * function at the top, in *out; *out = NULL when there is none. FALSE with
 * error set when the scenario no longer loads or expect is not a function. */
static gboolean expect_load(const SimScenario *sc, lua_State **out, GError **error)
{
    *out = NULL;
    lua_State *L = scenario_run(sc->path, sc->sets, sc->lua_dir, sc->seed, NULL, error);
    if (!L)
        return FALSE;
    int t = rawfield(L, -1, "expect");
    if (t == LUA_TFUNCTION) {
        *out = L;
        return TRUE;
    }
    if (t != LUA_TNIL) {
        g_autofree char *got = describe(L, -1);
        cfg_error(error, sc->path, "expect: expected a function, got %s", got);
    }
    sandbox_free(L);
    return t == LUA_TNIL;
}

gboolean sim_scenario_has_expect(const SimScenario *sc)
{
    g_return_val_if_fail(sc != NULL, FALSE);
    lua_State *L;
    gboolean has = expect_load(sc, &L, NULL) && L;
    sandbox_free(L);
    return has;
}

/* t.NAME_rate and t.NAME_ci95 = { lo, hi } of x (total) over the trials, the
 * CI clustered by run when the per-run counts are there (as in the JSON). */
static void push_rate(lua_State *L, const char *name, const SimCaseResult *c, guint64 x, const guint64 *run_x)
{
    gboolean per_run = c->runs && c->run_trials && run_x;
    double lo, hi;
    sim_stats_rate_ci(per_run ? run_x : &x, per_run ? c->run_trials : &c->trials, per_run ? c->runs : 1, NULL, &lo,
                      &hi);
    char key[64];
    lua_pushnumber(L, c->trials ? (double)x / (double)c->trials : NAN);
    g_snprintf(key, sizeof key, "%s_rate", name);
    lua_setfield(L, -2, key);
    lua_createtable(L, 2, 0);
    lua_pushnumber(L, lo);
    lua_rawseti(L, -2, 1);
    lua_pushnumber(L, hi);
    lua_rawseti(L, -2, 2);
    g_snprintf(key, sizeof key, "%s_ci95", name);
    lua_setfield(L, -2, key);
}

/* The `c` table an expect function gets (outside any Lua call, like the
 * table-to-config code). */
static void push_case(lua_State *L, const SimCaseResult *c)
{
    lua_newtable(L);
    lua_pushstring(L, c->name);
    lua_setfield(L, -2, "name");
    lua_pushinteger(L, (lua_Integer)c->trials);
    lua_setfield(L, -2, "trials");
    lua_pushinteger(L, (lua_Integer)c->runs);
    lua_setfield(L, -2, "runs");
    lua_newtable(L);
    for (int o = 0; o < SIM_OUT_N; o++) {
        lua_pushinteger(L, (lua_Integer)c->outcomes[o]);
        lua_setfield(L, -2, sim_outcome_name(o));
    }
    lua_setfield(L, -2, "outcomes");
    if (c->has_app) {                       /* application outcomes: c.app.old / new / inconsistent */
        lua_newtable(L);
        lua_pushinteger(L, (lua_Integer)c->app_old);
        lua_setfield(L, -2, "old");
        lua_pushinteger(L, (lua_Integer)c->app_new);
        lua_setfield(L, -2, "new");
        lua_pushinteger(L, (lua_Integer)c->app_inconsistent);
        lua_setfield(L, -2, "inconsistent");
        lua_setfield(L, -2, "app");
    }
    push_rate(L, "corruption", c, c->outcomes[SIM_OUT_CORRUPT] + c->outcomes[SIM_OUT_UNMOUNTABLE], c->run_corrupt);
    push_rate(L, "lost_fsync", c, c->outcomes[SIM_OUT_LOST_FSYNC], c->run_lost);
    const struct { const char *k; double v; } nums[] = {
        { "p_inc", c->p_inc },           { "ops_per_s", c->ops_per_s },     { "mb_per_s", c->mb_per_s },
        { "fsyncs_per_s", c->fsyncs_per_s }, { "op_p50_ms", c->op_p50_ms },  { "op_p99_ms", c->op_p99_ms },
        { "fsync_p50_ms", c->fsync_p50_ms }, { "fsync_p99_ms", c->fsync_p99_ms },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(nums); i++) {
        lua_pushnumber(L, nums[i].v);
        lua_setfield(L, -2, nums[i].k);
    }
    lua_newtable(L);
    for (guint i = 0; c->params && i < c->params->len; i++) {
        const SimParamValue *p = &g_array_index(c->params, SimParamValue, i);
        if (p->kind == SIM_PV_BOOL)
            lua_pushboolean(L, !g_ascii_strcasecmp(p->value, "true") || !g_ascii_strcasecmp(p->value, "yes") ||
                                   !g_ascii_strcasecmp(p->value, "on") || !strcmp(p->value, "1"));
        else if (p->kind != SIM_PV_NUMBER || !lua_stringtonumber(L, p->value))
            lua_pushstring(L, p->value);
        lua_setfield(L, -2, p->key);
    }
    lua_setfield(L, -2, "params");
}

/* Why the expect call whose two results are at the top failed, or NULL if
 * it passed (true or nil). */
static char *expect_verdict(lua_State *L)
{
    int t = lua_type(L, -2);
    if (t == LUA_TNIL || (t == LUA_TBOOLEAN && lua_toboolean(L, -2)))
        return NULL;
    if (t != LUA_TBOOLEAN) {
        g_autofree char *got = describe(L, -2);
        return g_strdup_printf("%s: expect returned %s (return true, nothing, or false and a message)",
                               host_of(L)->path, got);
    }
    if (lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER)
        return g_strdup(lua_tostring(L, -1));
    return g_strdup("expectation failed");
}

gboolean sim_scenario_check_expect(const SimScenario *sc, const SimResults *res, GPtrArray *failures, GError **error)
{
    g_return_val_if_fail(sc != NULL && res != NULL && failures != NULL, FALSE);
    lua_State *L;
    if (!expect_load(sc, &L, error))
        return FALSE;
    if (!L)
        return TRUE;
    int fn = lua_gettop(L);
    for (guint i = 0; i < res->cases->len; i++) {
        const SimCaseResult *c = res->cases->pdata[i];
        g_autoptr(GError) e = NULL;
        lua_pushvalue(L, fn);
        push_case(L, c);
        char *why = call(L, 1, 2, "expect", &e) ? expect_verdict(L) : g_strdup(e->message);
        if (why) {
            g_strdelimit(why, "\r\n\t", ' ');
            g_ptr_array_add(failures, g_strdup_printf("%s: %s", c->name, why));
            g_free(why);
        }
        lua_settop(L, fn);
    }
    sandbox_free(L);
    return TRUE;
}

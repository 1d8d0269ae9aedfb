/* tests/test-script.c - the Lua host: scenario loading and resolution,
 * --set, error messages, the sandbox, math.random, Lua workloads, presets,
 * expectations.
 * Fixture scenarios are written into a temporary directory per test. */
#include <string.h>
#include <glib/gstdio.h>
#include "testutil.h"
#include "script/script.h"

typedef struct {
    char *dir;
} Fx;

static void fx_setup(Fx *fx, gconstpointer data)
{
    GError *e = NULL;
    fx->dir = g_dir_make_tmp("powercut-script-XXXXXX", &e);
    g_assert_no_error(e);
}

static void rm_rf(const char *path)
{
    if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
        GDir *d = g_dir_open(path, 0, NULL);
        for (const char *n; d && (n = g_dir_read_name(d));) {
            g_autofree char *p = g_build_filename(path, n, NULL);
            rm_rf(p);
        }
        if (d)
            g_dir_close(d);
    }
    g_remove(path);
}

static void fx_teardown(Fx *fx, gconstpointer data)
{
    rm_rf(fx->dir);
    g_free(fx->dir);
    g_unsetenv("POWERCUT_LUA_DIR");
}

/* Write `text` to DIR/NAME (creating subdirectories); returns the path. */
static char *put(Fx *fx, const char *name, const char *text)
{
    char *path = g_build_filename(fx->dir, name, NULL);
    g_autofree char *parent = g_path_get_dirname(path);
    g_assert_cmpint(g_mkdir_with_parents(parent, 0755), ==, 0);
    GError *e = NULL;
    g_file_set_contents(path, text, -1, &e);
    g_assert_no_error(e);
    return path;
}

static SimScenario *load_ok(const char *path, const char *const *sets, guint64 seed)
{
    GError *e = NULL;
    SimScenario *sc = sim_scenario_load(path, sets, seed, &e);
    g_assert_no_error(e);
    g_assert_nonnull(sc);
    return sc;
}

/* Load a scenario that must fail; returns the message (caller frees). */
static char *load_fail(const char *path, const char *const *sets)
{
    GError *e = NULL;
    SimScenario *sc = sim_scenario_load(path, sets, 1, &e);
    g_assert_null(sc);
    g_assert_nonnull(e);
    g_assert_true(e->domain == SIM_SCRIPT_ERROR);
    g_assert_null(strchr(e->message, '\n'));
    g_test_message("error: %s", e->message);
    char *m = g_strdup(e->message);
    g_error_free(e);
    return m;
}

/* Write NAME with TEXT, load it expecting failure, check the message starts
 * with the path and contains every NULL-terminated fragment. */
static void expect_error(Fx *fx, const char *text, const char *const *sets, ...)
{
    g_autofree char *path = put(fx, "bad.lua", text);
    g_autofree char *m = load_fail(path, sets);
    g_assert_true(g_str_has_prefix(m, path));
    va_list ap;
    va_start(ap, sets);
    for (const char *frag; (frag = va_arg(ap, const char *));)
        if (!strstr(m, frag))
            g_error("message \"%s\" lacks \"%s\"", m, frag);
    va_end(ap);
}

static SimCaseSpec *case_at(SimScenario *sc, guint i) { return sc->cases->pdata[i]; }

/* ---- resolution ---------------------------------------------------------- */

static const char good_lua[] =
    "-- Barrier on versus off.\n"
    "--   Second line.\n"
    "-------------\n"
    "\n"
    "local p = sim.params { cache_mb = 32, fsync = true, label = { \"x\", \"a label\" } }\n"
    "return {\n"
    "  trials = 100, runs = 4, duration_s = 5,\n"
    "  device = { model = \"hdd\", cache_mb = p.cache_mb, policy = \"clook\", window = 8 },\n"
    "  fs = { barrier = true, commit_s = 3 },\n"
    "  workload = { kind = \"smallfiles\", fsync = p.fsync, threads = 2 },\n"
    "  cases = {\n"
    "    { name = \"on\" },\n"
    "    { name = \"off\", fs = { barrier = false }, trials = 50, device = { window = 16 } },\n"
    "    { name = \"no.cache_1\", device = { cache_mb = 0 } },\n"
    "  },\n"
    "}\n";

static void test_good(Fx *fx, gconstpointer data)
{
    g_autofree char *path = put(fx, "good.lua", good_lua);
    g_autoptr(SimScenario) sc = load_ok(path, NULL, 1);
    g_assert_cmpstr(sc->path, ==, path);
    g_assert_cmpstr(sc->description, ==, "Barrier on versus off.\n  Second line.");
    g_assert_cmpuint(sc->cases->len, ==, 3);

    SimCaseSpec *on = case_at(sc, 0), *off = case_at(sc, 1), *nc = case_at(sc, 2);
    g_assert_cmpstr(on->name, ==, "on");
    g_assert_cmpstr(off->name, ==, "off");
    g_assert_cmpstr(nc->name, ==, "no.cache_1");
    g_assert_cmpint(on->lua_case_index, ==, 1);
    g_assert_cmpint(nc->lua_case_index, ==, 3);

    g_assert_cmpint(on->run.trials, ==, 100);
    g_assert_cmpint(on->run.runs, ==, 4);
    g_assert_cmpfloat(on->run.duration_s, ==, 5);
    g_assert_cmpfloat(on->run.crash_from_s, ==, 1);       /* schema default */
    g_assert_cmpint(on->dev.cache_mb, ==, 32);
    g_assert_cmpint(on->dev.policy, ==, SIM_DESTAGE_CLOOK);
    g_assert_cmpint(on->dev.window, ==, 8);
    g_assert_cmpint(on->dev.rpm, ==, 7200);                /* schema default */
    g_assert_true(on->fs.barrier);
    g_assert_cmpfloat(on->fs.commit_s, ==, 3);
    g_assert_cmpint(on->wl.kind, ==, SIM_WL_SMALLFILES);
    g_assert_true(on->wl.fsync);
    g_assert_cmpint(on->wl.threads, ==, 2);

    g_assert_false(off->fs.barrier);                       /* case overrides */
    g_assert_cmpint(off->run.trials, ==, 50);
    g_assert_cmpint(off->dev.window, ==, 16);
    g_assert_cmpint(off->dev.cache_mb, ==, 32);            /* base kept */
    g_assert_cmpint(off->dev.policy, ==, SIM_DESTAGE_CLOOK);
    g_assert_cmpfloat(off->fs.commit_s, ==, 3);
    g_assert_cmpint(nc->dev.cache_mb, ==, 0);
    g_assert_true(nc->fs.barrier);

    /* declared parameters: sorted by name, effective values, help */
    g_assert_cmpuint(sc->param_names->len, ==, 3);
    const char *names[] = { "cache_mb", "fsync", "label" }, *values[] = { "32", "true", "x" },
               *help[] = { "", "", "a label" };
    for (guint i = 0; i < 3; i++) {
        g_assert_cmpstr(sc->param_names->pdata[i], ==, names[i]);
        g_assert_cmpstr(sc->param_values->pdata[i], ==, values[i]);
        g_assert_cmpstr(sc->param_help->pdata[i], ==, help[i]);
    }
}

static void test_default_case(Fx *fx, gconstpointer data)
{
    g_autofree char *path = put(fx, "one.lua",
                                "--[[\n  Long header\n  comment.\n]]\n"
                                "return { fs = { barrier = false }, trials = 1e3 }\n");
    g_autoptr(SimScenario) sc = load_ok(path, NULL, 1);
    g_assert_cmpstr(sc->description, ==, "Long header\ncomment.");
    g_assert_cmpuint(sc->cases->len, ==, 1);
    g_assert_cmpstr(case_at(sc, 0)->name, ==, "default");
    g_assert_cmpint(case_at(sc, 0)->lua_case_index, ==, 0);
    g_assert_false(case_at(sc, 0)->fs.barrier);
    g_assert_cmpint(case_at(sc, 0)->run.trials, ==, 1000);   /* 1e3 is a float with an integral value */
    g_assert_cmpuint(sc->param_names->len, ==, 0);

    /* everything not given is the schema default */
    SimCaseSpec def;
    sim_params_defaults(&sim_hdd_schema, &def.dev);
    sim_params_defaults(&sim_workload_schema, &def.wl);
    sim_params_defaults(&sim_run_schema, &def.run);
    g_assert_true(memcmp(&def.dev, &case_at(sc, 0)->dev, sizeof def.dev) == 0);
    g_assert_true(memcmp(&def.wl, &case_at(sc, 0)->wl, sizeof def.wl) == 0);
    g_assert_cmpint(def.run.runs, ==, case_at(sc, 0)->run.runs);
    sim_params_clear(&sim_hdd_schema, &def.dev);
    sim_params_clear(&sim_workload_schema, &def.wl);

    g_autofree char *p2 = put(fx, "desc.lua", "-- header\nreturn { description = \"from the field\" }\n");
    g_autoptr(SimScenario) sc2 = load_ok(p2, NULL, 1);
    g_assert_cmpstr(sc2->description, ==, "from the field");
}

static void test_set(Fx *fx, gconstpointer data)
{
    g_autofree char *path = put(fx, "good.lua", good_lua);
    const char *sets[] = { "cache_mb=16",   "fsync=false",         "label=hello",
                           "fs.commit_s=7", "run.trials=9",        "device.policy=fifo",
                           "fs.barrier=false", "cache_mb=24", NULL };   /* the last --set of a name wins */
    g_autoptr(SimScenario) sc = load_ok(path, sets, 1);
    for (guint i = 0; i < 3; i++) {
        SimCaseSpec *cs = case_at(sc, i);
        g_assert_cmpint(cs->dev.cache_mb, ==, i == 2 ? 0 : 24);   /* a case override beats a declared default */
        g_assert_false(cs->wl.fsync);
        g_assert_cmpfloat(cs->fs.commit_s, ==, 7);
        g_assert_cmpint(cs->run.trials, ==, 9);                    /* dotted --set beats the case's 50 */
        g_assert_cmpint(cs->dev.policy, ==, SIM_DESTAGE_FIFO);
        g_assert_false(cs->fs.barrier);
    }
    g_assert_cmpstr(sc->param_values->pdata[0], ==, "24");
    g_assert_cmpstr(sc->param_values->pdata[1], ==, "false");
    g_assert_cmpstr(sc->param_values->pdata[2], ==, "hello");
    g_assert_cmpstr(sc->sets[0], ==, "cache_mb=16");
}

static void test_precedence(Fx *fx, gconstpointer data)
{
    g_autofree char *path = put(fx, "prec.lua",
                                "return { fs = { commit_s = 3 }, duration_s = 20,\n"
                                "  cases = { { name = \"a\" }, { name = \"b\", fs = { commit_s = 4 } } } }\n");
    SimFsCfg def;
    sim_params_defaults(&sim_fs_schema, &def);
    g_assert_cmpfloat(def.commit_s, !=, 3);
    {
        g_autoptr(SimScenario) sc = load_ok(path, NULL, 1);
        g_assert_cmpfloat(case_at(sc, 0)->fs.commit_s, ==, 3);          /* base over default */
        g_assert_cmpfloat(case_at(sc, 1)->fs.commit_s, ==, 4);          /* case over base */
        g_assert_cmpfloat(case_at(sc, 0)->fs.dirty_expire_s, ==, def.dirty_expire_s);
        g_assert_cmpint(case_at(sc, 1)->fs.journal_mb, ==, def.journal_mb);
        g_assert_cmpfloat(case_at(sc, 1)->run.duration_s, ==, 20);
    }
    const char *sets[] = { "fs.commit_s=7", NULL };
    g_autoptr(SimScenario) sc = load_ok(path, sets, 1);
    g_assert_cmpfloat(case_at(sc, 0)->fs.commit_s, ==, 7);              /* --set over everything */
    g_assert_cmpfloat(case_at(sc, 1)->fs.commit_s, ==, 7);
    sim_params_clear(&sim_fs_schema, &def);
}

/* ---- configuration errors ------------------------------------------------ */

static void test_unknown_keys(Fx *fx, gconstpointer data)
{
    expect_error(fx, "return { device = { cach_mb = 1 } }", NULL, "device.cach_mb", "did you mean device.cache_mb",
                 NULL);
    expect_error(fx, "return { trails = 5 }", NULL, ": trails: unknown key (did you mean trials?)", NULL);
    expect_error(fx, "return { cases = { { name = \"a\", fss = {} } } }", NULL, "cases[1].fss", "did you mean fs",
                 NULL);
    expect_error(fx, "return { zzzzzzzzzz = 1 }", NULL, "zzzzzzzzzz: unknown key (allowed: description", NULL);
    expect_error(fx, "return { fs = { [1] = true } }", NULL, "fs: keys must be names, got number 1", NULL);
    expect_error(fx, "return { cases = { { name = 'a', [2] = 1 } } }", NULL, ": cases[1]: keys must be names", NULL);
    expect_error(fx, "return { 1 }", NULL, ": the scenario table: keys must be names", NULL);
    const char *s1[] = { "cach_mb=3", NULL };
    expect_error(fx, "local p = sim.params { cache_mb = 1 } return {}", s1, "--set cach_mb",
                 "did you mean cache_mb", NULL);
    const char *s2[] = { "device.cach_mb=3", NULL };
    expect_error(fx, "return {}", s2, "did you mean device.cache_mb", NULL);
    const char *s3[] = { "qqqqqqqqqqqq=1", NULL };
    expect_error(fx, "return {}", s3, "--set qqqqqqqqqqqq: unknown parameter", NULL);
    const char *s4[] = { "novalue", NULL };
    expect_error(fx, "return {}", s4, "expected NAME=VALUE", NULL);
    expect_error(fx, "local p = sim.params { n = 1 }\nreturn { trials = p.m }", NULL, ":2: no parameter 'm'",
                 "did you mean 'n'", NULL);
}

static void test_wrong_types(Fx *fx, gconstpointer data)
{
    g_autofree char *path = put(fx, "x.lua", "return { fs = { barrier = \"yes\" } }");
    g_autofree char *m = load_fail(path, NULL);
    g_autofree char *want = g_strdup_printf("%s: fs.barrier: expected a boolean, got string \"yes\"", path);
    g_assert_cmpstr(m, ==, want);

    expect_error(fx, "return { device = { cache_mb = 2.5 } }", NULL, "device.cache_mb", "2.5 is not an integer", NULL);
    expect_error(fx, "return { device = { cache_mb = \"64\" } }", NULL,
                 "device.cache_mb: expected an integer, got string \"64\"", NULL);
    expect_error(fx, "return { device = { policy = \"elevator\" } }", NULL, "elevator", "fifo, clook, satf, random",
                 NULL);
    expect_error(fx, "return { device = { policy = 2 } }", NULL,
                 "device.policy: expected one of fifo, clook, satf, random, got number 2", NULL);
    expect_error(fx, "return { device = { cache_mb = -1 } }", NULL, "out of range", NULL);
    expect_error(fx, "return { device = { model = \"floppy\" } }", NULL, "device.model: expected one of hdd, raid, ssd", NULL);
    expect_error(fx, "return { fs = 3 }", NULL, "fs: expected a table, got number 3", NULL);
    expect_error(fx, "return 42", NULL, "must return a table, got number 42", NULL);
    expect_error(fx, "return { description = 1 }", NULL, "description: expected a string", NULL);
    expect_error(fx, "return { cases = { { name = \"a\", trials = 0 } } }", NULL, "cases[1].run.trials",
                 "out of range", NULL);
    expect_error(fx, "return { duration_s = 2, crash_from_s = 2 }", NULL, "must be less than duration_s", NULL);
    expect_error(fx, "return { device = { atomic_bytes = 1000 } }", NULL, "512 or 4096", NULL);
    expect_error(fx, "return { workload = { kind = \"lua\" } }", NULL, "needs workload.ops", NULL);
    expect_error(fx, "return { workload = { ops = function() end } }", NULL, "only used with workload.kind", NULL);
    const char *s1[] = { "fs.barrier=maybe", NULL };
    expect_error(fx, "return {}", s1, "--set fs.barrier", "maybe", NULL);
    const char *s2[] = { "n=abc", NULL };
    expect_error(fx, "local p = sim.params { n = 1 }\nreturn {}", s2, ":1: --set n=abc: expected a number", NULL);
    const char *s3[] = { "b=perhaps", NULL };
    expect_error(fx, "local p = sim.params { b = true }\nreturn {}", s3, "expected a boolean", NULL);
    expect_error(fx, "sim.params {}\nsim.params {}\nreturn {}", NULL, ":2: sim.params may be called only once", NULL);
    expect_error(fx, "sim.params { x = {} }\nreturn {}", NULL, "the default must be", NULL);
}

static void test_cases(Fx *fx, gconstpointer data)
{
    expect_error(fx, "return { cases = { { name = \"a\" }, { name = \"a\" } } }", NULL,
                 "cases[2].name: duplicate case name \"a\"", NULL);
    expect_error(fx, "return { cases = { { name = \"a b\" } } }", NULL, "not a valid case name", NULL);
    expect_error(fx, "return { cases = { { trials = 3 } } }", NULL, "cases[1].name: expected a string, got nil",
                 NULL);
    expect_error(fx, "return { cases = { x = {} } }", NULL, "cases: expected an array", NULL);
    expect_error(fx, "return { cases = {} }", NULL, "cases: empty", NULL);
    expect_error(fx, "return { cases = { 5 } }", NULL, "cases[1]: expected a table, got number 5", NULL);
}

/* ---- Lua errors ------------------------------------------------------------ */

static void test_lua_errors(Fx *fx, gconstpointer data)
{
    expect_error(fx, "return {\n  trials = ,\n}\n", NULL, ".lua:2:", "unexpected symbol", NULL);
    expect_error(fx, "local t = nil\n\nt.x = 1\nreturn {}", NULL, ".lua:3: attempt to index", NULL);
    expect_error(fx, "-- comment\nerror(\"boom\")\n", NULL, ".lua:2: boom", NULL);
    expect_error(fx, "error({})\n", NULL, ".lua: (error object is a table value)", NULL);
    expect_error(fx, "error(setmetatable({}, { __tostring = function() return \"custom\" end }))", NULL,
                 ".lua: custom", NULL);
    expect_error(fx, "\x1bLua\x54\x00 binary", NULL, "binary chunk", NULL);

    g_autofree char *missing = g_build_filename(fx->dir, "nope.lua", NULL);
    g_autofree char *m = load_fail(missing, NULL);
    g_autofree char *want = g_strdup_printf("%s: cannot open (No such file or directory)", missing);
    g_assert_cmpstr(m, ==, want);

    /* Lua shortens long chunk names to "...tail"; messages show the full path. */
    g_autofree char *deep =
        put(fx, "a-rather-long-directory-name/and-another-long-one/and-a-third-one/scenario.lua",
            "local x = 1\nerror(\"deep\")\n");
    g_assert_cmpuint(strlen(deep), >, 60);   /* LUA_IDSIZE */
    g_autofree char *m2 = load_fail(deep, NULL);
    g_autofree char *want2 = g_strdup_printf("%s:2: deep", deep);
    g_assert_cmpstr(m2, ==, want2);
}

static void test_runaway(Fx *fx, gconstpointer data)
{
    g_autofree char *path = put(fx, "loop.lua", "while true do end\n");
    g_autofree char *m = load_fail(path, NULL);
    g_autofree char *want = g_strdup_printf("%s: scenario did not finish (runaway loop?)", path);
    g_assert_cmpstr(m, ==, want);
    /* the script's own pcall cannot swallow the kill */
    expect_error(fx, "for i = 1, 3 do pcall(function() while true do end end) end\nreturn {}", NULL,
                 "scenario did not finish", NULL);
    expect_error(fx, "local co = coroutine.wrap(function() while true do end end)\nco()\nreturn {}", NULL,
                 "scenario did not finish", NULL);
    /* memory is capped per state */
    expect_error(fx, "local s = string.rep('x', 2000000000)\nreturn {}", NULL, ": not enough memory", NULL);
}

/* ---- sandbox ------------------------------------------------------------ */

static void test_sandbox(Fx *fx, gconstpointer data)
{
    g_autofree char *path = put(fx, "sandbox.lua",
        "for _, n in ipairs { 'io', 'os', 'debug', 'package', 'dofile', 'loadfile' } do\n"
        "  assert(rawget(_G, n) == nil, n)\n"
        "end\n"
        "local ok, err = pcall(function() return undefined_thing end)\n"
        "assert(not ok and err:find(\"undeclared global 'undefined_thing'\"), err)\n"
        "ok, err = pcall(function() newglobal = 1 end)\n"
        "assert(not ok and err:find('undeclared global'), err)\n"
        "local f, e = load(string.dump(function() end))\n"
        "assert(f == nil and e:find('binary'), e)\n"
        "f, e = load(string.dump(function() end), 'x', 'b')\n"
        "assert(f == nil and e:find('binary'), e)\n"
        "assert(load('return 1 + 1')() == 2)\n"
        "assert(load('return z', 'c', 't', { z = 5 })() == 5)\n"
        "for _, m in ipairs { '../secret', '/etc/passwd', 'a/b', '.x', 'x..y', 'secret' } do\n"
        "  ok, err = pcall(require, m)\n"
        "  assert(not ok, m)\n"
        "end\n"
        "assert(select(2, pcall(require, 'secret')):find('not found'))\n"
        "assert(getmetatable(_G) == false)\n"
        "assert(not pcall(setmetatable, _G, nil))\n"
        "return {}\n");
    g_autofree char *secret = put(fx, "other/secret.lua", "return 1\n");
    g_autoptr(SimScenario) sc = load_ok(path, NULL, 1);

    expect_error(fx, "local f = io.open('/etc/passwd')\nreturn {}", NULL, ":1: undeclared global 'io'", NULL);
    expect_error(fx, "os.execute('true')\nreturn {}", NULL, "undeclared global 'os'", NULL);
    expect_error(fx, "return { fs = { barrier = undefined_var } }", NULL, "undeclared global 'undefined_var'", NULL);
    expect_error(fx, "x = 1\nreturn {}", NULL, ":1: assignment to undeclared global 'x'", NULL);
}

static void test_require(Fx *fx, gconstpointer data)
{
    g_autofree char *libdir = g_build_filename(fx->dir, "lib", NULL);
    g_autofree char *a = put(fx, "lib/libmod.lua", "return { v = 'lib' }\n");
    g_autofree char *b = put(fx, "lib/shadowed.lua", "return { v = 'lib' }\n");
    g_autofree char *c = put(fx, "scen/shadowed.lua", "return { v = 'local' }\n");
    g_autofree char *d = put(fx, "scen/sub/mod.lua", "local name = ...\nreturn { v = name }\n");
    g_autofree char *e = put(fx, "scen/broken.lua", "local x = 1\nerror('module failed')\n");
    g_setenv("POWERCUT_LUA_DIR", libdir, TRUE);
    g_autofree char *path = put(fx, "scen/req.lua",
        "local a, b = require 'libmod', require 'libmod'\n"
        "assert(rawequal(a, b) and a.v == 'lib')\n"
        "assert(require('shadowed').v == 'local')\n"
        "assert(require('sub.mod').v == 'sub.mod')\n"
        "return { description = 'ok' }\n");
    g_autoptr(SimScenario) sc = load_ok(path, NULL, 1);
    g_assert_cmpstr(sc->lua_dir, ==, libdir);
    g_autofree char *bp = put(fx, "scen/usebroken.lua", "local b = require 'broken'\nreturn {}\n");
    g_autofree char *m = load_fail(bp, NULL);
    g_autofree char *want = g_strdup_printf("%s:2: module failed", e);
    g_assert_cmpstr(m, ==, want);
}

/* ---- math.random --------------------------------------------------------- */

static const char random_lua[] =
    "for i = 1, 1000 do local x = math.random(3); assert(math.type(x) == 'integer' and x >= 1 and x <= 3) end\n"
    "for i = 1, 1000 do local x = math.random(-2, 2); assert(x >= -2 and x <= 2) end\n"
    "for i = 1, 1000 do local x = math.random(); assert(math.type(x) == 'float' and x >= 0 and x < 1) end\n"
    "assert(not pcall(math.random, 2, 1))\n"
    "assert(not pcall(math.random, 1, 2, 3))\n"
    "assert(math.type(math.random(0)) == 'integer')\n"
    "assert(math.random(math.mininteger, math.maxinteger))\n"
    "local seen = {}\n"
    "for i = 1, 200 do seen[math.random(4)] = true end\n"
    "assert(seen[1] and seen[2] and seen[3] and seen[4])\n"
    "local s = string.format('%d %d %.17g', math.random(1, 1000000000), math.random(1 << 40), math.random())\n"
    "math.randomseed(42); local a = math.random(1 << 40)\n"
    "math.randomseed(42); assert(math.random(1 << 40) == a)\n"
    "return { description = s }\n";

static void test_random(Fx *fx, gconstpointer data)
{
    g_autofree char *path = put(fx, "rnd.lua", random_lua);
    g_autoptr(SimScenario) s1 = load_ok(path, NULL, 1);
    g_autoptr(SimScenario) s1b = load_ok(path, NULL, 1);
    g_autoptr(SimScenario) s2 = load_ok(path, NULL, 2);
    g_assert_cmpstr(s1->description, ==, s1b->description);
    g_assert_cmpstr(s1->description, !=, s2->description);
}

/* ---- Lua workloads ---------------------------------------------------------- */

static const char wl_lua[] =
    "-- A Lua workload.\n"
    "return {\n"
    "  workload = { kind = 'lua', dirs = 2, ops = function(ctx)\n"
    "      local f = 'd1/f' .. ctx.iteration\n"
    "      ctx:create(f)\n"
    "      ctx:write(f, 8192, 4096)\n"
    "      ctx:append(f, 100)\n"
    "      ctx:fsync(f)\n"
    "      ctx:fdatasync(f)\n"
    "      ctx:rename(f, 'g' .. ctx.thread)\n"
    "      ctx:unlink('g' .. ctx.thread)\n"
    "      ctx:sync()\n"
    "    end },\n"
    "  cases = {\n"
    "    { name = 'a' },\n"
    "    { name = 'b', workload = { ops = function(ctx)\n"
    "        local i = ctx.iteration\n"
    "        if i == 1 then ctx:create('x'); error('bad iteration') end\n"            /* line 18 */
    "        if i == 2 then while true do end end\n"
    "        if i == 3 then ctx:write('d0/x', -1, 5) end\n"
    "        if i == 4 then ctx:create('d2/x') end\n"
    "        if i == 5 then ctx:create('a/b/c') end\n"
    "        if i == 6 then ctx:create('../x') end\n"
    "        if i == 7 then ctx.create('x') end\n"
    "        if i == 8 then ctx:append('x', math.random(1000000)) end\n"
    "      end } },\n"
    "  },\n"
    "}\n";

static void ops_free(GArray *ops)
{
    for (guint i = 0; i < ops->len; i++) {
        SimOp *op = &g_array_index(ops, SimOp, i);
        g_free(op->file);
        g_free(op->file2);
    }
    g_array_free(ops, TRUE);
}

static void test_workload(Fx *fx, gconstpointer data)
{
    g_autofree char *path = put(fx, "wl.lua", wl_lua);
    g_autoptr(SimScenario) sc = load_ok(path, NULL, 7);
    g_assert_cmpint(case_at(sc, 0)->wl.kind, ==, SIM_WL_LUA);
    GError *e = NULL;

    g_autoptr(SimLuaWorkload) a = sim_lua_workload_new(sc, case_at(sc, 0), 7, 0, &e);
    g_assert_no_error(e);
    GArray *ops = g_array_new(FALSE, TRUE, sizeof(SimOp));
    g_assert_true(sim_lua_workload_next(a, 3, 5, ops, &e));
    g_assert_no_error(e);
    g_assert_cmpuint(ops->len, ==, 8);
    const SimOpKind kinds[] = { SIM_OP_CREATE, SIM_OP_WRITE,  SIM_OP_APPEND, SIM_OP_FSYNC,
                                SIM_OP_FDATASYNC, SIM_OP_RENAME, SIM_OP_UNLINK, SIM_OP_SYNC };
    for (guint i = 0; i < 8; i++)
        g_assert_cmpint(g_array_index(ops, SimOp, i).kind, ==, kinds[i]);
    SimOp *w = &g_array_index(ops, SimOp, 1), *ap = &g_array_index(ops, SimOp, 2), *rn = &g_array_index(ops, SimOp, 5);
    g_assert_cmpstr(g_array_index(ops, SimOp, 0).file, ==, "d1/f5");
    g_assert_cmpstr(w->file, ==, "d1/f5");
    g_assert_cmpint(w->off, ==, 8192);
    g_assert_cmpint(w->len, ==, 4096);
    g_assert_cmpint(ap->len, ==, 100);
    g_assert_cmpstr(rn->file, ==, "d1/f5");
    g_assert_cmpstr(rn->file2, ==, "g3");
    g_assert_cmpstr(g_array_index(ops, SimOp, 6).file, ==, "g3");
    g_assert_null(g_array_index(ops, SimOp, 7).file);
    g_assert_null(g_array_index(ops, SimOp, 0).file2);
    g_assert_true(sim_lua_workload_next(a, 0, 6, ops, &e));          /* appends */
    g_assert_cmpuint(ops->len, ==, 16);
    g_assert_cmpstr(g_array_index(ops, SimOp, 8).file, ==, "d1/f6");

    /* case b: its own ops; nothing recorded is fine; errors keep the array as it was */
    g_autoptr(SimLuaWorkload) b = sim_lua_workload_new(sc, case_at(sc, 1), 7, 0, &e);
    g_assert_no_error(e);
    g_assert_true(sim_lua_workload_next(b, 0, 0, ops, &e));
    g_assert_cmpuint(ops->len, ==, 16);
    struct { guint64 it; const char *frag; } bad[] = {
        { 1, ":18: bad iteration" },   { 2, ": workload ops did not finish (runaway loop?)" },
        { 3, ":20: bad argument #2 to 'write' (offset must be >= 0)" },
        { 4, "directory 'd2' is not one of d0..d1" }, { 5, "at most one '/'" }, { 6, "no '..'" },
        { 7, ":24: call ctx methods with a colon" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_assert_false(sim_lua_workload_next(b, 0, bad[i].it, ops, &e));
        g_assert_nonnull(e);
        g_test_message("iteration %u: %s", (unsigned)bad[i].it, e->message);
        g_assert_true(g_str_has_prefix(e->message, path));
        if (!strstr(e->message, bad[i].frag))
            g_error("\"%s\" lacks \"%s\"", e->message, bad[i].frag);
        g_clear_error(&e);
        g_assert_cmpuint(ops->len, ==, 16);
    }
    g_assert_true(sim_lua_workload_next(b, 0, 0, ops, &e));          /* usable after a kill */
    g_assert_no_error(e);

    /* math.random in ops: a function of (seed, run) */
    gint64 draws[3][5];
    guint64 runs[3] = { 0, 0, 1 };
    for (guint r = 0; r < 3; r++) {
        g_autoptr(SimLuaWorkload) lw = sim_lua_workload_new(sc, case_at(sc, 1), 7, runs[r], &e);
        g_assert_no_error(e);
        for (guint i = 0; i < 5; i++) {
            guint n = ops->len;
            g_assert_true(sim_lua_workload_next(lw, 0, 8, ops, &e));
            g_assert_cmpuint(ops->len, ==, n + 1);
            draws[r][i] = g_array_index(ops, SimOp, n).len;
        }
    }
    g_assert_true(memcmp(draws[0], draws[1], sizeof draws[0]) == 0);
    g_assert_false(memcmp(draws[0], draws[2], sizeof draws[0]) == 0);
    ops_free(ops);
}

/* ---- presets ---------------------------------------------------------- */

static void test_presets(Fx *fx, gconstpointer data)
{
    if (!g_file_test("lua/presets.lua", G_FILE_TEST_IS_REGULAR)) {
        g_test_skip("run from the source tree (lua/presets.lua not found)");
        return;
    }
    g_autofree char *cwd = g_get_current_dir();
    g_autofree char *lua = g_build_filename(cwd, "lua", NULL);
    g_setenv("POWERCUT_LUA_DIR", lua, TRUE);
    g_autofree char *path = put(fx, "pre.lua",
        "local presets = require 'presets'\n"
        "return { device = presets.sata_7200(),\n"
        "  cases = { { name = 'a' }, { name = 'b', device = presets.sata_7200 { cache_mb = 8 } },\n"
        "            { name = 'c', device = presets.sata_7200_32mb() } } }\n");
    g_autoptr(SimScenario) sc = load_ok(path, NULL, 1);
    SimHddCfg *a = &case_at(sc, 0)->dev;
    g_assert_cmpint(a->cache_mb, ==, 64);
    g_assert_cmpint(a->rpm, ==, 7200);
    g_assert_cmpint(a->capacity_gb, ==, 1000);
    g_assert_cmpint(case_at(sc, 1)->dev.cache_mb, ==, 8);
    g_assert_cmpint(case_at(sc, 1)->dev.rpm, ==, 7200);
    g_assert_cmpint(case_at(sc, 2)->dev.cache_mb, ==, 32);
    g_assert_cmpfloat(case_at(sc, 2)->dev.seek_avg_ms, ==, a->seek_avg_ms);
    /* the preset matches the hdd schema defaults (both describe this class) */
    SimHddCfg def;
    sim_params_defaults(&sim_hdd_schema, &def);
    for (guint i = 0; i < sim_hdd_schema.n; i++) {
        g_autofree char *x = sim_params_value_str(&sim_hdd_schema.params[i], a);
        g_autofree char *y = sim_params_value_str(&sim_hdd_schema.params[i], &def);
        if (strcmp(x, y) != 0)
            g_error("preset %s = %s, schema default %s", sim_hdd_schema.params[i].name, x, y);
    }
    sim_params_clear(&sim_hdd_schema, &def);

    expect_error(fx, "local presets = require 'presets'\nreturn { device = presets.sata_7200 { 5 } }", NULL,
                 ":2: presets.sata_7200: override keys must be parameter names", NULL);
    expect_error(fx, "local presets = require 'presets'\nreturn { device = presets.sata_7200 { cach_mb = 5 } }", NULL,
                 "did you mean device.cache_mb", NULL);
    expect_error(fx, "local presets = require 'presets'\nreturn { device = presets.sata_720() }", NULL,
                 ":2: presets: no preset named 'sata_720'", NULL);
}

/* ---- expectations -------------------------------------------------------- */

/* The expect function, one branch per (hand-made) case result; line numbers
 * matter for the messages. %s: the expected corruption CI. */
static const char expect_lua[] =
    "local seen = {}\n"                                                          /* 1 */
    "return {\n"
    "  cases = { { name = 'one' } },\n"
    "  expect = function(c)\n"
    "    seen[#seen + 1] = c.name\n"                                             /* 5 */
    "    if c.name == 'good' then\n"
    "      sim.expect(c.trials == 100 and c.runs == 2, 'counts')\n"
    "      local o = c.outcomes\n"
    "      sim.expect(o.consistent == 90 and o.lost_fsync == 6 and o.stale_data == 0 and o.corrupt == 3\n"
    "                 and o.unmountable == 1, 'outcomes')\n"                     /* 10 */
    "      sim.expect(c.corruption_rate == 0.04 and c.lost_fsync_rate == 0.06, 'rates')\n"
    "      sim.expect(c.corruption_ci95[1] == %s and c.corruption_ci95[2] == %s, 'corruption ci')\n"
    "      sim.expect(c.lost_fsync_ci95[1] < 0.06 and c.lost_fsync_ci95[2] > 0.06, 'lost ci')\n"
    "      sim.expect(c.p_inc == 0.25 and c.ops_per_s == 1000 and c.mb_per_s == 4 and c.fsyncs_per_s == 50\n"
    "                 and c.fsync_p50_ms == 8 and c.fsync_p99_ms == 30, 'figures')\n"   /* 15 */
    "      local p = c.params\n"
    "      sim.expect(p['fs.barrier'] == true and p['fs.commit_s'] == 5 and math.type(p['device.cache_mb'])\n"
    "                 == 'integer' and p['device.policy'] == 'clook', 'params')\n"
    "      return true\n"
    "    elseif c.name == 'quiet' then return\n"                                 /* 20 */
    "    elseif c.name == 'false' then return false, 'too\\ncorrupt'\n"
    "    elseif c.name == 'bare' then return false\n"
    "    elseif c.name == 'err' then error('boom')\n"
    "    elseif c.name == 'sim' then sim.expect(c.p_inc < 0.1, 'p_inc too high')\n"
    "    elseif c.name == 'odd' then return 1\n"                                 /* 25 */
    "    elseif c.name == 'loop' then while true do end\n"
    "    elseif c.name == 'empty' then return c.corruption_rate ~= c.corruption_rate\n"   /* NaN */
    "    elseif c.name == 'order' then return false, table.concat(seen, ',')\n"
    "    end\n"
    "  end,\n"                                                                   /* 30 */
    "}\n";

static SimCaseResult *expect_case(const char *name, double p_inc)
{
    SimCaseResult *c = sim_case_result_new(name, 2);
    c->trials = 100;
    const guint64 out[SIM_OUT_N] = { 90, 6, 0, 3, 1 };
    memcpy(c->outcomes, out, sizeof out);
    for (guint r = 0; r < 2; r++) {
        c->run_trials[r] = 50;
        c->run_corrupt[r] = 2;
        c->run_lost[r] = 3;
    }
    c->p_inc = p_inc;
    c->ops_per_s = 1000;
    c->mb_per_s = 4;
    c->fsyncs_per_s = 50;
    c->fsync_p50_ms = 8;
    c->fsync_p99_ms = 30;
    sim_case_result_add_param(c, "fs.barrier", "true", SIM_PV_BOOL);
    sim_case_result_add_param(c, "fs.commit_s", "5", SIM_PV_NUMBER);
    sim_case_result_add_param(c, "device.cache_mb", "64", SIM_PV_NUMBER);
    sim_case_result_add_param(c, "device.policy", "clook", SIM_PV_STRING);
    return c;
}

static void test_expect(Fx *fx, gconstpointer data)
{
    double lo, hi;
    const guint64 bad[2] = { 2, 2 }, n[2] = { 50, 50 };
    sim_stats_rate_ci(bad, n, 2, NULL, &lo, &hi);
    char los[G_ASCII_DTOSTR_BUF_SIZE], his[G_ASCII_DTOSTR_BUF_SIZE];
    g_ascii_formatd(los, sizeof los, "%.17g", lo);
    g_ascii_formatd(his, sizeof his, "%.17g", hi);
    g_autofree char *text = g_strdup_printf(expect_lua, los, his);
    g_autofree char *path = put(fx, "exp.lua", text);
    g_autoptr(SimScenario) sc = load_ok(path, NULL, 1);
    g_assert_true(sim_scenario_has_expect(sc));

    g_autoptr(SimResults) res = sim_results_new(path, 1);
    const char *names[] = { "good", "quiet", "false", "bare", "err", "sim", "odd", "loop", "empty", "order" };
    for (guint i = 0; i < G_N_ELEMENTS(names); i++)
        g_ptr_array_add(res->cases, expect_case(names[i], 0.25));
    SimCaseResult *empty = res->cases->pdata[8];
    empty->trials = 0;
    memset(empty->outcomes, 0, sizeof empty->outcomes);
    memset(empty->run_trials, 0, 2 * sizeof(guint64));
    memset(empty->run_corrupt, 0, 2 * sizeof(guint64));
    memset(empty->run_lost, 0, 2 * sizeof(guint64));

    g_autoptr(GPtrArray) fails = g_ptr_array_new_with_free_func(g_free);
    GError *e = NULL;
    g_assert_true(sim_scenario_check_expect(sc, res, fails, &e));
    g_assert_no_error(e);
    g_autofree char *l23 = g_strdup_printf("err: %s:23: boom", path);
    g_autofree char *l24 = g_strdup_printf("sim: %s:24: p_inc too high", path);
    g_autofree char *l25 = g_strdup_printf("odd: %s: expect returned number 1 (return true, nothing, or false and a "
                                           "message)", path);
    g_autofree char *loop = g_strdup_printf("loop: %s: expect did not finish (runaway loop?)", path);
    const char *want[] = { "false: too corrupt", "bare: expectation failed", l23, l24, l25, loop,
                           "order: good,quiet,false,bare,err,sim,odd,loop,empty,order" };
    for (guint i = 0; i < fails->len; i++)
        g_test_message("failure: %s", (char *)fails->pdata[i]);
    g_assert_cmpuint(fails->len, ==, G_N_ELEMENTS(want));
    for (guint i = 0; i < G_N_ELEMENTS(want); i++)
        g_assert_cmpstr(fails->pdata[i], ==, want[i]);

    /* sim.expect passes quietly; the same case with a low p_inc passes */
    g_autoptr(SimResults) ok = sim_results_new(path, 1);
    g_ptr_array_add(ok->cases, expect_case("sim", 0.05));
    g_autoptr(GPtrArray) none = g_ptr_array_new_with_free_func(g_free);
    g_assert_true(sim_scenario_check_expect(sc, ok, none, &e));
    g_assert_cmpuint(none->len, ==, 0);

    /* no expect: nothing to check */
    g_autofree char *plain = put(fx, "plain.lua", "return {}");
    g_autoptr(SimScenario) sp = load_ok(plain, NULL, 1);
    g_assert_false(sim_scenario_has_expect(sp));
    g_assert_true(sim_scenario_check_expect(sp, res, none, &e));
    g_assert_no_error(e);
    g_assert_cmpuint(none->len, ==, 0);

    /* the scenario no longer loads: an error, not a failure */
    g_free(put(fx, "plain.lua", "return {"));
    g_assert_false(sim_scenario_check_expect(sp, res, none, &e));
    g_assert_error(e, SIM_SCRIPT_ERROR, SIM_SCRIPT_ERROR_SYNTAX);
    g_clear_error(&e);
    g_assert_cmpuint(none->len, ==, 0);
    g_assert_false(sim_scenario_has_expect(sp));

    /* expect must be a (top-level) function; sim.expect checks its arguments */
    expect_error(fx, "return { expect = 3 }", NULL, ": expect: expected a function, got number 3", NULL);
    expect_error(fx, "return { expect = { } }", NULL, ": expect: expected a function, got table", NULL);
    expect_error(fx, "return { cases = { { name = 'a', expect = function() end } } }", NULL,
                 "cases[1].expect: unknown key", NULL);
    expect_error(fx, "sim.expect(1 == 2, 'at load')\nreturn {}", NULL, ".lua:1: at load", NULL);
    expect_error(fx, "sim.expect()\nreturn {}", NULL, ".lua:1: bad argument #1 to 'expect'", NULL);
}

static void test_run_schema(void)
{
    GError *e = NULL;
    g_assert_true(sim_params_validate_schema(&sim_run_schema, &e));
    g_assert_no_error(e);
    SimRunCfg r;
    sim_params_defaults(&sim_run_schema, &r);
    g_assert_cmpint(r.trials, ==, 2000);
    g_assert_cmpint(r.runs, ==, 20);
    g_assert_cmpfloat(r.duration_s, ==, 10);
    g_assert_cmpfloat(r.crash_from_s, ==, 1);
    g_assert_false(sim_params_set_str(&sim_run_schema, &r, "duration_s", "0", &e));   /* > 0 */
    g_clear_error(&e);
    g_assert_false(sim_params_set_str(&sim_run_schema, &r, "runs", "100001", &e));
    g_clear_error(&e);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define T(name, fn) g_test_add("/script/" name, Fx, NULL, fx_setup, fn, fx_teardown)
    g_test_add_func("/script/run-schema", test_run_schema);
    T("good", test_good);
    T("default-case", test_default_case);
    T("set", test_set);
    T("precedence", test_precedence);
    T("unknown-keys", test_unknown_keys);
    T("wrong-types", test_wrong_types);
    T("cases", test_cases);
    T("lua-errors", test_lua_errors);
    T("runaway", test_runaway);
    T("sandbox", test_sandbox);
    T("require", test_require);
    T("random", test_random);
    T("workload", test_workload);
    T("presets", test_presets);
    T("expect", test_expect);
    return g_test_run();
}

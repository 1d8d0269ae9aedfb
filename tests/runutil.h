/* tests/runutil.h - end-to-end test helpers: load a scenario, run it, and
 * keep each scenario file's results so several tests can share one run. */
#pragma once
#include "run.h"
#include <string.h>

static inline SimScenario *test_load(const char *path, const char *const *sets, guint64 seed)
{
    GError *e = NULL;
    SimScenario *sc = sim_scenario_load(path, sets, seed, &e);
    if (!sc)
        g_error("cannot load %s: %s", path, e->message);
    return sc;
}

/* cases: NULL-terminated names to run, or NULL for all */
static inline SimResults *test_run(const SimScenario *sc, guint64 seed, guint jobs, const char *const *cases)
{
    SimRunOpts o = { .seed = seed, .jobs = jobs, .trials = -1, .cases = (char **)cases };
    GError *e = NULL;
    SimResults *r = sim_run_scenario(sc, &o, &e);
    g_assert_no_error(e);
    g_assert_nonnull(r);
    return r;
}

/* The case `name` of results r (the test fails without it). */
static inline const SimCaseResult *test_case_of(const SimResults *r, const char *name)
{
    for (guint i = 0; i < r->cases->len; i++) {
        const SimCaseResult *c = g_ptr_array_index(r->cases, i);
        if (strcmp(c->name, name) == 0)
            return c;
    }
    g_error("no case %s in the results of %s", name, r->scenario);
    return NULL;
}

/* The case `name` of scenario sc (the test fails without it). */
static inline const SimCaseSpec *test_spec_of(const SimScenario *sc, const char *name)
{
    for (guint i = 0; i < sc->cases->len; i++) {
        const SimCaseSpec *cs = g_ptr_array_index(sc->cases, i);
        if (strcmp(cs->name, name) == 0)
            return cs;
    }
    g_error("no case %s in %s", name, sc->path);
    return NULL;
}

/* Cuts whose file system was damaged: corrupt or unmountable. */
static inline guint64 test_bad_of(const SimCaseResult *c)
{
    return c->outcomes[SIM_OUT_CORRUPT] + c->outcomes[SIM_OUT_UNMOUNTABLE];
}

/* Results of a scenario file run once with `seed`, found again by key. */
typedef struct {
    char        *key;
    char        *cli;            /* the CLI command that reproduces these results */
    SimScenario *sc;
    SimResults  *res;
} Cached;

static inline void cached_free(gpointer p)
{
    Cached *c = p;
    sim_results_free(c->res);
    sim_scenario_free(c->sc);
    g_free(c->key);
    g_free(c->cli);
    g_free(c);
}

static inline const Cached *cached_get(GPtrArray *cache, const char *key, const char *path, const char *const *sets,
                                       const char *cli, guint64 seed)
{
    for (guint i = 0; i < cache->len; i++) {
        Cached *c = g_ptr_array_index(cache, i);
        if (strcmp(c->key, key) == 0)
            return c;
    }
    Cached *c = g_new0(Cached, 1);
    c->key = g_strdup(key);
    c->cli = g_strdup(cli);
    gint64 t0 = g_get_monotonic_time();
    c->sc = test_load(path, sets, seed);
    c->res = test_run(c->sc, seed, MAX(1u, g_get_num_processors()), NULL);
    g_test_message("ran %s in %.2f s", path, (g_get_monotonic_time() - t0) / 1e6);
    g_ptr_array_add(cache, c);
    return c;
}

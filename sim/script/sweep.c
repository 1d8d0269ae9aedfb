/* sim/script/sweep.c - parameter sweeps: a scenario's `sweep` table and
 * --sweep NAME=V1,V2 turned into cases (see script.h).
 *
 * Each point of the sweep is the scenario loaded again with one more --set
 * per dimension, so a declared parameter reaches every table the scenario's
 * Lua builds from it, exactly as `--set NAME=VALUE` would; the cases of all
 * points are then collected, case-major, under their point names. A point's
 * case keeps its --set list, so a Lua workload re-loads the same point. */
#include "script.h"
#include <string.h>

#define MAX_POINTS 10000

/* A model key as in --set: prefix, schema, where the config sits in a case. */
typedef struct { const char *prefix; const SimSchema *schema; gsize off; } Model;
static const Model models[] = {
    { "device", &sim_hdd_schema, G_STRUCT_OFFSET(SimCaseSpec, dev) },
    { "fs", &sim_fs_schema, G_STRUCT_OFFSET(SimCaseSpec, fs) },
    { "workload", &sim_workload_schema, G_STRUCT_OFFSET(SimCaseSpec, wl) },
    { "run", &sim_run_schema, G_STRUCT_OFFSET(SimCaseSpec, run) },
    { "raid", &sim_raid_schema, G_STRUCT_OFFSET(SimCaseSpec, raid) },
    { "device", &sim_ssd_schema, G_STRUCT_OFFSET(SimCaseSpec, ssd) },    /* device.model = "ssd" */
};

/* The schema parameter a dotted name refers to, or NULL. With a case (cs
 * non-NULL), a device key is looked up in the schema of the case's model;
 * without one, in any device schema. */
static const SimParam *dotted_param_of(const char *name, const Model **model, const SimCaseSpec *cs)
{
    for (gsize i = 0; i < G_N_ELEMENTS(models); i++) {
        gsize n = strlen(models[i].prefix);
        if (strncmp(name, models[i].prefix, n) != 0 || name[n] != '.')
            continue;
        if (cs && strcmp(models[i].prefix, "device") == 0 &&
            (models[i].schema == &sim_ssd_schema) != (cs->dev_model == SIM_DEV_SSD))
            continue;
        const SimParam *p = sim_params_find(models[i].schema, name + n + 1);
        if (p) {
            *model = &models[i];
            return p;
        }
    }
    return NULL;
}

static const SimParam *dotted_param(const char *name, const Model **model)
{
    return dotted_param_of(name, model, NULL);
}

static gint str_index(const GPtrArray *a, const char *s)
{
    for (guint i = 0; a && i < a->len; i++)
        if (strcmp(g_ptr_array_index(a, i), s) == 0)
            return (gint)i;
    return -1;
}


/* NAME must be a declared parameter or a dotted model key. */
static gboolean check_name(const SimScenario *sc, const char *what, const char *name, GError **error)
{
    const Model *m;
    if (str_index(sc->param_names, name) >= 0 || dotted_param(name, &m))
        return TRUE;
    const char *best = NULL;
    guint bd = 4;
    g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; sc->param_names && i < sc->param_names->len; i++)
        g_ptr_array_add(all, g_strdup(g_ptr_array_index(sc->param_names, i)));
    for (gsize i = 0; i < G_N_ELEMENTS(models); i++)
        for (guint j = 0; j < models[i].schema->n; j++)
            g_ptr_array_add(all, g_strdup_printf("%s.%s", models[i].prefix, models[i].schema->params[j].name));
    for (guint i = 0; i < all->len; i++) {
        guint d = sim_edit_distance(name, g_ptr_array_index(all, i));
        if (d < bd) {
            bd = d;
            best = g_ptr_array_index(all, i);
        }
    }
    if (best)
        g_set_error(error, SIM_SCRIPT_ERROR, SIM_SCRIPT_ERROR_CONFIG, "%s: %s %s: unknown parameter (did you mean %s?)",
                    sc->path, what, name, best);
    else
        g_set_error(error, SIM_SCRIPT_ERROR, SIM_SCRIPT_ERROR_CONFIG,
                    "%s: %s %s: unknown parameter (allowed: the scenario's sim.params, device.KEY, fs.KEY, "
                    "workload.KEY, run.KEY; see: powercut list params)", sc->path, what, name);
    return FALSE;
}

static void dim_free(gpointer p)
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

/* --sweep NAME=V1,V2,... */
static SimSweepDim *parse_cli(const char *path, const char *spec, GError **error)
{
    const char *eq = strchr(spec, '=');
    if (!eq || eq == spec || !eq[1]) {
        g_set_error(error, SIM_SCRIPT_ERROR, SIM_SCRIPT_ERROR_CONFIG,
                    "%s: --sweep %s: expected NAME=V1,V2,... (e.g. --sweep cache_mb=0,16,64)", path, spec);
        return NULL;
    }
    SimSweepDim *d = g_new0(SimSweepDim, 1);
    d->name = g_strndup(spec, (gsize)(eq - spec));
    d->values = g_ptr_array_new_with_free_func(g_free);
    g_auto(GStrv) vals = g_strsplit(eq + 1, ",", -1);
    for (char **v = vals; *v; v++) {
        if (!**v || str_index(d->values, *v) >= 0) {
            g_set_error(error, SIM_SCRIPT_ERROR, SIM_SCRIPT_ERROR_CONFIG, "%s: --sweep %s: %s", path, spec,
                        **v ? "a value appears twice" : "empty value (values are separated by commas)");
            dim_free(d);
            return NULL;
        }
        g_ptr_array_add(d->values, g_strdup(*v));
    }
    return d;
}

typedef struct { guint ci, point; SimCaseSpec *cs; } Item;

static gint cmp_item(gconstpointer a, gconstpointer b)
{
    const Item *x = a, *y = b;
    if (x->ci != y->ci)
        return x->ci < y->ci ? -1 : 1;
    return x->point < y->point ? -1 : x->point > y->point;
}

SimScenario *sim_scenario_load_sweep(const char *path, const char *const *sets, const char *const *sweeps,
                                     guint64 seed, GError **error)
{
    SimScenario *sc = sim_scenario_load(path, sets, seed, error);
    if (!sc)
        return NULL;
    if (!sc->sweep)
        sc->sweep = g_ptr_array_new_with_free_func(dim_free);
    for (guint i = 0; i < sc->sweep->len; i++)
        if (!check_name(sc, "sweep", ((SimSweepDim *)g_ptr_array_index(sc->sweep, i))->name, error))
            goto fail;
    for (const char *const *s = sweeps; s && *s; s++) {
        SimSweepDim *d = parse_cli(path, *s, error);
        if (!d || !check_name(sc, "--sweep", d->name, error)) {
            if (d)
                dim_free(d);
            goto fail;
        }
        for (guint i = 0; i < sc->sweep->len; i++)      /* replaces the scenario's dimension */
            if (strcmp(((SimSweepDim *)g_ptr_array_index(sc->sweep, i))->name, d->name) == 0)
                g_ptr_array_remove_index(sc->sweep, i--);
        g_ptr_array_add(sc->sweep, d);
    }
    g_ptr_array_sort(sc->sweep, cmp_dim);
    if (sc->sweep->len == 0) {
        g_clear_pointer(&sc->sweep, g_ptr_array_unref);
        return sc;
    }
    guint ndims = sc->sweep->len;
    guint64 npoints = 1;
    for (guint i = 0; i < ndims; i++) {
        SimSweepDim *d = g_ptr_array_index(sc->sweep, i);
        for (const char *const *s = sets; s && *s; s++) {
            const char *eq = strchr(*s, '=');
            if (eq && (gsize)(eq - *s) == strlen(d->name) && strncmp(*s, d->name, eq - *s) == 0) {
                g_set_error(error, SIM_SCRIPT_ERROR, SIM_SCRIPT_ERROR_CONFIG,
                            "%s: --set %s: %s is swept (change its values with --sweep %s=V1,V2,...)", path, *s,
                            d->name, d->name);
                goto fail;
            }
        }
        npoints *= d->values->len;
        if (npoints > MAX_POINTS) {
            g_set_error(error, SIM_SCRIPT_ERROR, SIM_SCRIPT_ERROR_CONFIG,
                        "%s: the sweep has more than %d points (allowed: at most %d)", path, MAX_POINTS, MAX_POINTS);
            goto fail;
        }
    }

    GArray *items = g_array_new(FALSE, FALSE, sizeof(Item));
    guint nsets = 0;
    while (sets && sets[nsets])
        nsets++;
    guint *idx = g_new0(guint, ndims);
    gboolean ok = TRUE;
    for (guint p = 0; p < npoints && ok; p++) {
        /* point p in mixed radix, the last dimension varying fastest */
        for (guint rest = p, i = ndims; i-- > 0;) {
            guint nv = ((SimSweepDim *)g_ptr_array_index(sc->sweep, i))->values->len;
            idx[i] = rest % nv;
            rest /= nv;
        }
        GPtrArray *psets = g_ptr_array_new_with_free_func(g_free);
        for (guint i = 0; i < nsets; i++)
            g_ptr_array_add(psets, g_strdup(sets[i]));
        GString *given = g_string_new(NULL);
        for (guint i = 0; i < ndims; i++) {
            SimSweepDim *d = g_ptr_array_index(sc->sweep, i);
            const char *v = g_ptr_array_index(d->values, idx[i]);
            g_ptr_array_add(psets, g_strdup_printf("%s=%s", d->name, v));
            g_string_append_printf(given, "%s%s=%s", i ? "," : "", d->name, v);
        }
        g_ptr_array_add(psets, NULL);
        GError *e = NULL;
        SimScenario *ps = sim_scenario_load(path, (const char *const *)psets->pdata, seed, &e);
        if (!ps) {
            /* the base load checked every --set: an error here is about a swept value */
            g_autoptr(GString) m = g_string_new(e->message);
            g_string_replace(m, "--set ", "sweep ", 0);
            g_set_error(error, e->domain, e->code, "%s (sweep point %s)", m->str, given->str);
            g_error_free(e);
            ok = FALSE;
        }
        for (guint ci = 0; ok && ps->cases->len; ci++) {
            SimCaseSpec *cs = g_ptr_array_steal_index(ps->cases, 0);
            /* the point's values as the case sees them */
            GPtrArray *point = g_ptr_array_new();
            GString *pname = g_string_new(NULL);
            for (guint i = 0; i < ndims; i++) {
                SimSweepDim *d = g_ptr_array_index(sc->sweep, i);
                const Model *m = NULL;
                const SimParam *sp = dotted_param_of(d->name, &m, cs);
                gint k = sp ? -1 : str_index(ps->param_names, d->name);
                char *v = sp ? sim_params_value_str(sp, (char *)cs + m->off)
                             : g_strdup(k >= 0 ? g_ptr_array_index(ps->param_values, k)
                                               : g_ptr_array_index(d->values, idx[i]));
                g_ptr_array_add(point, g_strdup_printf("%s=%s", d->name, v));
                g_string_append_printf(pname, "%s%s=%s", i ? "," : "", d->name, v);
                g_free(v);
            }
            g_ptr_array_add(point, NULL);
            gboolean single = cs->lua_case_index == 0;   /* the scenario has no `cases` */
            cs->sweep_base = cs->name;
            cs->name = single ? g_strdup(pname->str) : g_strdup_printf("%s/%s", cs->sweep_base, pname->str);
            cs->sweep_point = (char **)g_ptr_array_free(point, FALSE);
            cs->sweep_sets = g_strdupv((char **)psets->pdata);
            g_string_free(pname, TRUE);
            Item it = { ci, p, cs };
            g_array_append_val(items, it);
        }
        sim_scenario_free(ps);
        g_string_free(given, TRUE);
        g_ptr_array_free(psets, TRUE);
    }
    g_free(idx);
    g_array_sort(items, cmp_item);            /* case-major, points in order */
    g_ptr_array_set_size(sc->cases, 0);
    for (guint i = 0; i < items->len; i++)     /* on failure: freed with sc */
        g_ptr_array_add(sc->cases, g_array_index(items, Item, i).cs);
    g_array_free(items, TRUE);
    if (!ok)
        goto fail;
    /* names must stay unique (a scenario whose case list depends on a swept parameter) */
    for (guint i = 0; i < sc->cases->len; i++)
        for (guint j = i + 1; j < sc->cases->len; j++)
            if (!strcmp(((SimCaseSpec *)sc->cases->pdata[i])->name, ((SimCaseSpec *)sc->cases->pdata[j])->name)) {
                g_set_error(error, SIM_SCRIPT_ERROR, SIM_SCRIPT_ERROR_CONFIG, "%s: sweep: two cases named \"%s\"",
                            path, ((SimCaseSpec *)sc->cases->pdata[i])->name);
                goto fail;
            }
    return sc;
fail:
    sim_scenario_free(sc);
    return NULL;
}

gboolean sim_case_matches(const SimCaseSpec *cs, const char *name)
{
    return strcmp(cs->name, name) == 0 || (cs->sweep_base && strcmp(cs->sweep_base, name) == 0);
}

void sim_sweep_echo(const SimCaseSpec *cs, SimCaseResult *cr)
{
    if (!cs->sweep_point)
        return;
    cr->sweep = g_ptr_array_new_with_free_func(g_free);
    for (char **p = cs->sweep_point; *p; p++) {
        const char *eq = strchr(*p, '=');
        char *key = g_strndup(*p, (gsize)(eq - *p));
        const char *v = eq + 1;
        if (!strchr(key, '.')) {               /* a declared parameter: not in the schema echo */
            char *end = NULL;
            g_ascii_strtod(v, &end);
            SimParamValueKind kind = !strcmp(v, "true") || !strcmp(v, "false") ? SIM_PV_BOOL
                                     : (*v && end && !*end)                  ? SIM_PV_NUMBER
                                                                             : SIM_PV_STRING;
            sim_case_result_add_param(cr, key, v, kind);
        }
        g_ptr_array_add(cr->sweep, key);
    }
}

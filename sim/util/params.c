/* sim/util/params.c - parse, check, describe parameters from a schema. */
#include "params.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK(sim-params-error-quark, sim_params_error)

#define FIELD(cfg, p, T) ((T *)((char *)(cfg) + (p)->offset))
#define CFIELD(cfg, p, T) ((const T *)((const char *)(cfg) + (p)->offset))

const SimParam *sim_params_find(const SimSchema *s, const char *name)
{
    for (guint i = 0; i < s->n; i++)
        if (strcmp(s->params[i].name, name) == 0)
            return &s->params[i];
    return NULL;
}

guint sim_edit_distance(const char *a, const char *b)
{
    gsize la = strlen(a), lb = strlen(b);
    guint *row = g_new(guint, lb + 1);
    for (gsize j = 0; j <= lb; j++)
        row[j] = j;
    for (gsize i = 1; i <= la; i++) {
        guint diag = row[0];
        row[0] = i;
        for (gsize j = 1; j <= lb; j++) {
            guint up = row[j];
            guint cost = g_ascii_tolower(a[i - 1]) == g_ascii_tolower(b[j - 1]) ? 0 : 1;
            row[j] = MIN(MIN(row[j] + 1, row[j - 1] + 1), diag + cost);
            diag = up;
        }
    }
    guint d = row[lb];
    g_free(row);
    return d;
}

const char *sim_params_suggest(const SimSchema *s, const char *name)
{
    const char *best = NULL;
    guint bestd = 4;
    for (guint i = 0; i < s->n; i++) {
        guint d = sim_edit_distance(name, s->params[i].name);
        if (d < bestd) {
            bestd = d;
            best = s->params[i].name;
        }
    }
    return best;
}

static char *choices_text(const SimParam *p)
{
    GString *g = g_string_new(NULL);
    for (guint i = 0; p->choices && p->choices[i]; i++)
        g_string_append_printf(g, "%s%s", i ? ", " : "", p->choices[i]);
    return g_string_free(g, FALSE);
}

static char *range_text(const SimParam *p)
{
    if (p->min > p->max)
        return g_strdup(p->type == SIM_PT_INT ? "an integer" : "a number");
    char a[32], b[32];
    g_ascii_formatd(a, sizeof a, "%.10g", p->min);
    g_ascii_formatd(b, sizeof b, "%.10g", p->max);
    return g_strdup_printf("%s from %s to %s", p->type == SIM_PT_INT ? "an integer" : "a number", a, b);
}

static gboolean range_error(const SimSchema *s, const SimParam *p, const char *shown, GError **error)
{
    g_autofree char *r = range_text(p);
    g_set_error(error, SIM_PARAMS_ERROR, SIM_PARAMS_ERROR_VALUE, "%s.%s: %s is out of range (allowed: %s%s%s)",
                s->name, p->name, shown, r, p->unit ? " " : "", p->unit ? p->unit : "");
    return FALSE;
}

gboolean sim_params_set_num(const SimSchema *s, gpointer cfg, const SimParam *p, double v, GError **error)
{
    char shown[40];
    g_ascii_formatd(shown, sizeof shown, "%.10g", v);
    switch (p->type) {
    case SIM_PT_INT:
        if (!isfinite(v) || v != floor(v)) {
            g_set_error(error, SIM_PARAMS_ERROR, SIM_PARAMS_ERROR_VALUE, "%s.%s: %s is not an integer", s->name,
                        p->name, shown);
            return FALSE;
        }
        if (p->min <= p->max && (v < p->min || v > p->max))
            return range_error(s, p, shown, error);
        *FIELD(cfg, p, gint64) = (gint64)v;
        return TRUE;
    case SIM_PT_DOUBLE:
        if (!isfinite(v) || (p->min <= p->max && (v < p->min || v > p->max)))
            return range_error(s, p, shown, error);
        *FIELD(cfg, p, double) = v;
        return TRUE;
    default:
        g_set_error(error, SIM_PARAMS_ERROR, SIM_PARAMS_ERROR_VALUE, "%s.%s: expected %s, got a number", s->name,
                    p->name, p->type == SIM_PT_BOOL ? "a boolean" : p->type == SIM_PT_ENUM ? "one of the names" : "a string");
        return FALSE;
    }
}

gboolean sim_params_set_bool(const SimSchema *s, gpointer cfg, const SimParam *p, gboolean v, GError **error)
{
    if (p->type != SIM_PT_BOOL) {
        g_set_error(error, SIM_PARAMS_ERROR, SIM_PARAMS_ERROR_VALUE, "%s.%s: expected %s, got a boolean", s->name,
                    p->name, p->type == SIM_PT_ENUM || p->type == SIM_PT_STRING ? "a string" : "a number");
        return FALSE;
    }
    *FIELD(cfg, p, gboolean) = v ? TRUE : FALSE;
    return TRUE;
}

static gboolean unknown(const SimSchema *s, const char *name, GError **error)
{
    const char *sug = sim_params_suggest(s, name);
    if (sug)
        g_set_error(error, SIM_PARAMS_ERROR, SIM_PARAMS_ERROR_UNKNOWN, "%s.%s: unknown parameter (did you mean %s.%s?)",
                    s->name, name, s->name, sug);
    else
        g_set_error(error, SIM_PARAMS_ERROR, SIM_PARAMS_ERROR_UNKNOWN,
                    "%s.%s: unknown parameter (see: powercut list params)", s->name, name);
    return FALSE;
}

gboolean sim_params_set_str(const SimSchema *s, gpointer cfg, const char *name, const char *value, GError **error)
{
    const SimParam *p = sim_params_find(s, name);
    if (!p)
        return unknown(s, name, error);
    switch (p->type) {
    case SIM_PT_BOOL:
        if (!g_ascii_strcasecmp(value, "true") || !strcmp(value, "1") || !g_ascii_strcasecmp(value, "yes") ||
            !g_ascii_strcasecmp(value, "on"))
            return sim_params_set_bool(s, cfg, p, TRUE, error);
        if (!g_ascii_strcasecmp(value, "false") || !strcmp(value, "0") || !g_ascii_strcasecmp(value, "no") ||
            !g_ascii_strcasecmp(value, "off"))
            return sim_params_set_bool(s, cfg, p, FALSE, error);
        g_set_error(error, SIM_PARAMS_ERROR, SIM_PARAMS_ERROR_VALUE,
                    "%s.%s: \"%s\" is not a boolean (allowed: true, false)", s->name, p->name, value);
        return FALSE;
    case SIM_PT_INT:
    case SIM_PT_DOUBLE: {
        char *end = NULL;
        double v = g_ascii_strtod(value, &end);
        if (!*value || !end || *end) {
            g_autofree char *r = range_text(p);
            g_set_error(error, SIM_PARAMS_ERROR, SIM_PARAMS_ERROR_VALUE, "%s.%s: \"%s\" is not a number (allowed: %s)",
                        s->name, p->name, value, r);
            return FALSE;
        }
        return sim_params_set_num(s, cfg, p, v, error);
    }
    case SIM_PT_ENUM:
        for (guint i = 0; p->choices[i]; i++)
            if (strcmp(p->choices[i], value) == 0) {
                *FIELD(cfg, p, gint) = (gint)i;
                return TRUE;
            }
        {
            g_autofree char *c = choices_text(p);
            g_set_error(error, SIM_PARAMS_ERROR, SIM_PARAMS_ERROR_VALUE, "%s.%s: \"%s\" is not allowed (allowed: %s)",
                        s->name, p->name, value, c);
        }
        return FALSE;
    case SIM_PT_STRING: {
        char **f = FIELD(cfg, p, char *);
        g_free(*f);
        *f = g_strdup(value);
        return TRUE;
    }
    }
    g_assert_not_reached();
}

void sim_params_defaults(const SimSchema *s, gpointer cfg)
{
    memset(cfg, 0, s->struct_size);
    for (guint i = 0; i < s->n; i++) {
        g_autoptr(GError) err = NULL;
        if (!sim_params_set_str(s, cfg, s->params[i].name, s->params[i].def, &err))
            g_error("bad default in schema: %s", err->message);
    }
}

char *sim_params_value_str(const SimParam *p, gconstpointer cfg)
{
    char buf[40];
    switch (p->type) {
    case SIM_PT_BOOL:
        return g_strdup(*CFIELD(cfg, p, gboolean) ? "true" : "false");
    case SIM_PT_INT:
        return g_strdup_printf("%" G_GINT64_FORMAT, *CFIELD(cfg, p, gint64));
    case SIM_PT_DOUBLE:
        return g_strdup(g_ascii_formatd(buf, sizeof buf, "%.10g", *CFIELD(cfg, p, double)));
    case SIM_PT_ENUM:
        return g_strdup(p->choices[*CFIELD(cfg, p, gint)]);
    case SIM_PT_STRING:
        return g_strdup(*CFIELD(cfg, p, char *) ? *CFIELD(cfg, p, char *) : "");
    }
    g_assert_not_reached();
}

void sim_params_copy(const SimSchema *s, gpointer dst, gconstpointer src)
{
    memcpy(dst, src, s->struct_size);
    for (guint i = 0; i < s->n; i++)
        if (s->params[i].type == SIM_PT_STRING)
            *FIELD(dst, &s->params[i], char *) = g_strdup(*CFIELD(src, &s->params[i], char *));
}

void sim_params_clear(const SimSchema *s, gpointer cfg)
{
    for (guint i = 0; i < s->n; i++)
        if (s->params[i].type == SIM_PT_STRING)
            g_clear_pointer(FIELD(cfg, &s->params[i], char *), g_free);
}

void sim_params_describe(const SimSchema *s, GString *out)
{
    for (guint i = 0; i < s->n; i++) {
        const SimParam *p = &s->params[i];
        g_autofree char *allowed = NULL;
        if (p->type == SIM_PT_ENUM)
            allowed = choices_text(p);
        else if (p->type == SIM_PT_BOOL)
            allowed = g_strdup("true, false");
        else if (p->type == SIM_PT_STRING)
            allowed = g_strdup("text");
        else
            allowed = range_text(p);
        g_string_append_printf(out, "  %s.%-18s %-8s default %-8s %s%s(%s)\n", s->name, p->name,
                               p->unit ? p->unit : "", p->def, p->help, " ", allowed);
    }
}

gboolean sim_params_validate_schema(const SimSchema *s, GError **error)
{
    for (guint i = 0; i < s->n; i++) {
        const SimParam *p = &s->params[i];
        if (!p->name || !*p->name || !p->help || !*p->help || !p->def) {
            g_set_error(error, SIM_PARAMS_ERROR, SIM_PARAMS_ERROR_VALUE, "%s: parameter %u lacks name, help or default",
                        s->name, i);
            return FALSE;
        }
        for (guint j = 0; j < i; j++)
            if (strcmp(s->params[j].name, p->name) == 0) {
                g_set_error(error, SIM_PARAMS_ERROR, SIM_PARAMS_ERROR_VALUE, "%s.%s: declared twice", s->name, p->name);
                return FALSE;
            }
        if (p->type == SIM_PT_ENUM && (!p->choices || !p->choices[0])) {
            g_set_error(error, SIM_PARAMS_ERROR, SIM_PARAMS_ERROR_VALUE, "%s.%s: enum without choices", s->name, p->name);
            return FALSE;
        }
        gpointer tmp = g_malloc0(s->struct_size);
        gboolean ok = sim_params_set_str(s, tmp, p->name, p->def, error);
        sim_params_clear(s, tmp);
        g_free(tmp);
        if (!ok) {
            g_prefix_error(error, "default of ");
            return FALSE;
        }
    }
    return TRUE;
}

char *sim_data_dir(const char *env, const char *sub, const char *fallback)
{
    const char *e = g_getenv(env);
    if (e && *e)
        return g_strdup(e);
    if (g_file_test(sub, G_FILE_TEST_IS_DIR))
        return g_strdup(sub);
    /* installed: <prefix>/bin/powercut next to <prefix>/share/powercut/SUB */
    g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
    if (exe) {
        g_autofree char *bindir = g_path_get_dirname(exe);
        char *dir = g_build_filename(bindir, "..", "share", "powercut", sub, NULL);
        if (g_file_test(dir, G_FILE_TEST_IS_DIR))
            return dir;
        g_free(dir);
        /* not installed: ./powercut in the source tree, run from elsewhere */
        dir = g_build_filename(bindir, sub, NULL);
        if (g_file_test(dir, G_FILE_TEST_IS_DIR))
            return dir;
        g_free(dir);
    }
#ifdef POWERCUT_DATADIR
    return g_build_filename(POWERCUT_DATADIR, sub, NULL);
#else
    return g_strdup(fallback);
#endif
}

/* sim/util/params.h - one parameter schema per model.
 *
 * Each model declares a static table of SimParam (name, type, unit, default,
 * range, choices, help) and a config struct. The same table drives: defaults
 * (each .def string goes through the same parser as user input), Lua config
 * tables (sim/script), `--set` overrides, `powercut list params`, and the
 * JSON echo of effective parameters. Unknown keys are errors with a
 * "did you mean" hint.
 */
#pragma once
#include <glib.h>

typedef enum {
    SIM_PT_BOOL,     /* gboolean */
    SIM_PT_INT,      /* gint64 */
    SIM_PT_DOUBLE,   /* double */
    SIM_PT_ENUM,     /* gint: index into choices */
    SIM_PT_STRING,   /* char * (owned, g_free'd by sim_params_clear) */
} SimParamType;

typedef struct {
    const char  *name;
    SimParamType type;
    gsize        offset;          /* G_STRUCT_OFFSET in the config struct */
    const char  *unit;            /* "MiB", "ms", "s", "rpm", ... or NULL */
    const char  *def;             /* default, parsed like user input */
    double       min, max;        /* INT/DOUBLE range (inclusive); min > max: none */
    const char *const *choices;   /* ENUM: NULL-terminated */
    const char  *help;
} SimParam;

typedef struct {
    const char     *name;         /* "device", "fs", "workload", "run" */
    const SimParam *params;
    guint           n;
    gsize           struct_size;
} SimSchema;

#define SIM_PARAMS_ERROR (sim_params_error_quark())
GQuark sim_params_error_quark(void);
typedef enum { SIM_PARAMS_ERROR_UNKNOWN, SIM_PARAMS_ERROR_VALUE } SimParamsError;

const SimParam *sim_params_find(const SimSchema *s, const char *name);
/* Case-insensitive Levenshtein distance (for "did you mean" hints). */
guint           sim_edit_distance(const char *a, const char *b);
/* A data folder: $ENV if set, else ./SUB if it exists, else
 * <dir of the executable>/../share/powercut/SUB, else <dir of the executable>/SUB
 * (the source tree's ./powercut run from elsewhere), else POWERCUT_DATADIR/SUB
 * when compiled in, else `fallback` (transfer full; NULL if fallback is). */
char           *sim_data_dir(const char *env, const char *sub, const char *fallback);
/* The closest known name (Levenshtein distance <= 3), or NULL. */
const char     *sim_params_suggest(const SimSchema *s, const char *name);
/* Fill every field from its .def (asserts the defaults are valid). */
void            sim_params_defaults(const SimSchema *s, gpointer cfg);
/* Set one parameter from text ("64", "true", "satf"). Errors name the key,
 * the bad value and what is allowed. Unknown names get a did-you-mean. */
gboolean        sim_params_set_str(const SimSchema *s, gpointer cfg, const char *name,
                                   const char *value, GError **error);
/* Typed setters used by the Lua bridge (same range checks). */
gboolean        sim_params_set_bool(const SimSchema *s, gpointer cfg, const SimParam *p, gboolean v, GError **error);
gboolean        sim_params_set_num(const SimSchema *s, gpointer cfg, const SimParam *p, double v, GError **error);
/* Current value as text (canonical: "true", "64", "0.5", "satf"). Caller frees. */
char           *sim_params_value_str(const SimParam *p, gconstpointer cfg);
/* Deep copy / free owned strings. */
void            sim_params_copy(const SimSchema *s, gpointer dst, gconstpointer src);
void            sim_params_clear(const SimSchema *s, gpointer cfg);
/* Text for `list params`: one line per parameter. */
void            sim_params_describe(const SimSchema *s, GString *out);
/* Schema self-check (names unique and non-empty, defaults parse, enum has
 * choices, help present). Returns FALSE with a message on the first problem. */
gboolean        sim_params_validate_schema(const SimSchema *s, GError **error);

#define SIM_PARAM_NORANGE 1.0, 0.0

static inline gint64  sim_param_i(gconstpointer cfg, gsize off) { return *(const gint64 *)((const char *)cfg + off); }

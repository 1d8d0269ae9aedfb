/* sim/capture/import.c - loading a trace: powercut's own format, or an
 * imported one recognised by its contents. */
#include "trace.h"
#include <string.h>

SimTrace *sim_trace_load(const char *path, GError **error)
{
    GError *e = NULL;
    GMappedFile *map = g_mapped_file_new(path, FALSE, &e);
    if (!map) {
        g_set_error(error, SIM_TRACE_ERROR, SIM_TRACE_ERROR_IO, "%s: cannot read (%s)", path, e->message);
        g_error_free(e);
        return NULL;
    }
    const guint8 *buf = (const guint8 *)g_mapped_file_get_contents(map);
    gsize len = g_mapped_file_get_length(map);
    if (len >= 8 && !memcmp(buf, SIM_TRACE_MAGIC, 8)) {
        SimTrace *t = sim_trace_parse(path, buf, len, error);
        if (t)
            t->map = map;
        else
            g_mapped_file_unref(map);
        return t;
    }
    g_set_error(error, SIM_TRACE_ERROR, SIM_TRACE_ERROR_INPUT,
                "%s: not a trace powercut knows (powercut capture's PCTRACE1)", path);
    g_mapped_file_unref(map);
    return NULL;
}

/* sim/report/report.c - results lifecycle, shared formatting helpers and the
 * atomic file writer. The writers live in json.c, csv.c and table.c. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include "report-priv.h"

static const char *const outcome_names[SIM_OUT_N] = {
    "consistent", "lost_fsync", "stale_data", "corrupt", "unmountable",
};

const char *sim_outcome_name(SimOutcome o)
{
    return (guint)o < SIM_OUT_N ? outcome_names[o] : "unknown";
}

/* ---- lifecycle ---------------------------------------------------------- */

static void param_clear(gpointer p)
{
    SimParamValue *v = p;
    g_free(v->key);
    g_free(v->value);
}

void sim_trial_note_free(gpointer p)
{
    SimTrialNote *n = p;
    g_free(n->reason);
    g_free(n);
}

SimCaseResult *sim_case_result_new(const char *name, guint runs)
{
    SimCaseResult *c = g_new0(SimCaseResult, 1);
    c->name = g_strdup(name);
    c->params = g_array_new(FALSE, TRUE, sizeof(SimParamValue));
    g_array_set_clear_func(c->params, param_clear);
    c->runs = runs;
    c->run_trials = g_new0(guint64, runs);
    c->run_corrupt = g_new0(guint64, runs);
    c->run_lost = g_new0(guint64, runs);
    c->run_pinc = g_new0(double, runs);
    c->notes = g_ptr_array_new_with_free_func(sim_trial_note_free);
    return c;
}

void sim_case_result_free(SimCaseResult *c)
{
    if (!c) return;
    g_free(c->name);
    if (c->params) g_array_unref(c->params);   /* clear func frees the strings */
    g_free(c->run_trials);
    g_free(c->run_corrupt);
    g_free(c->run_lost);
    g_free(c->run_pinc);
    if (c->notes) g_ptr_array_unref(c->notes);
    if (c->sweep) g_ptr_array_unref(c->sweep);
    sim_case_data_free(c->data);
    if (c->cstates) g_free(c->cstates->w_reason);
    g_free(c->cstates);
    g_free(c);
}

void sim_case_result_add_param(SimCaseResult *c, const char *key, const char *value,
                               SimParamValueKind kind)
{
    SimParamValue v = { g_strdup(key), g_strdup(value), kind };
    g_array_append_val(c->params, v);
}

void sim_case_result_add_note(SimCaseResult *c, guint run, guint64 trial, SimTime t,
                              SimOutcome outcome, const char *reason)
{
    SimTrialNote *n = g_new0(SimTrialNote, 1);
    *n = (SimTrialNote){ run, trial, t, outcome, g_strdup(reason) };
    g_ptr_array_add(c->notes, n);
}

SimResults *sim_results_new(const char *scenario, guint64 seed)
{
    SimResults *r = g_new0(SimResults, 1);
    r->version = g_strdup(POWERCUT_VERSION);
    r->scenario = g_strdup(scenario);
    r->seed = seed;
    r->cases = g_ptr_array_new_with_free_func((GDestroyNotify)sim_case_result_free);
    return r;
}

void sim_results_free(SimResults *r)
{
    if (!r) return;
    if (r->cases) {
        /* Whoever built the array may or may not have set a free function:
         * drop it and free the cases ourselves, exactly once. */
        g_ptr_array_set_free_func(r->cases, NULL);
        for (guint i = 0; i < r->cases->len; i++)
            sim_case_result_free(g_ptr_array_index(r->cases, i));
        g_ptr_array_unref(r->cases);
    }
    g_free(r->version);
    g_free(r->scenario);
    g_free(r->shard);
    g_free(r);
}

/* ---- formatting helpers --------------------------------------------------- */

gboolean sim_report_append_double(GString *s, const char *fmt, double x)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    if (!isfinite(x)) return FALSE;
    if (x == 0.0) x = 0.0;                       /* no "-0" */
    g_string_append(s, g_ascii_formatd(buf, sizeof buf, fmt, x));
    return TRUE;
}

void sim_report_append_ns_as_s(GString *s, SimTime ns)
{
    guint64 mag = ns < 0 ? (guint64)0 - (guint64)ns : (guint64)ns;
    char frac[16];
    if (ns < 0) g_string_append_c(s, '-');
    g_string_append_printf(s, "%" G_GUINT64_FORMAT, mag / 1000000000u);
    guint64 f = mag % 1000000000u;
    if (f == 0) return;
    g_snprintf(frac, sizeof frac, "%09" G_GUINT64_FORMAT, f);
    for (int i = 8; frac[i] == '0'; i--) frac[i] = '\0';   /* trim zeros */
    g_string_append_printf(s, ".%s", frac);
}

double sim_report_ratio(guint64 a, guint64 b)
{
    return b ? (double)a / (double)b : NAN;
}

void sim_report_case_cis(const SimCaseResult *c, double corrupt_ci[2], double lost_ci[2])
{
    if (c->runs > 0 && c->run_trials && c->run_corrupt && c->run_lost) {
        sim_stats_rate_ci(c->run_corrupt, c->run_trials, c->runs, NULL, &corrupt_ci[0], &corrupt_ci[1]);
        sim_stats_rate_ci(c->run_lost, c->run_trials, c->runs, NULL, &lost_ci[0], &lost_ci[1]);
    } else {
        /* No per-run breakdown: the totals as a single cluster (plain Wilson). */
        guint64 bad = c->outcomes[SIM_OUT_CORRUPT] + c->outcomes[SIM_OUT_UNMOUNTABLE];
        guint64 lost = c->outcomes[SIM_OUT_LOST_FSYNC];
        sim_stats_rate_ci(&bad, &c->trials, 1, NULL, &corrupt_ci[0], &corrupt_ci[1]);
        sim_stats_rate_ci(&lost, &c->trials, 1, NULL, &lost_ci[0], &lost_ci[1]);
    }
}

gboolean sim_report_param_true(const char *v)
{
    return v && (!g_ascii_strcasecmp(v, "true") || !g_ascii_strcasecmp(v, "yes") ||
                 !g_ascii_strcasecmp(v, "on") || !strcmp(v, "1"));
}

gboolean sim_report_is_json_number(const char *t)
{
    if (!t) return FALSE;
    if (*t == '-') t++;
    if (*t == '0') t++;
    else if (g_ascii_isdigit(*t)) while (g_ascii_isdigit(*t)) t++;
    else return FALSE;
    if (*t == '.') {
        if (!g_ascii_isdigit(*++t)) return FALSE;
        while (g_ascii_isdigit(*t)) t++;
    }
    if (*t == 'e' || *t == 'E') {
        t++;
        if (*t == '+' || *t == '-') t++;
        if (!g_ascii_isdigit(*t)) return FALSE;
        while (g_ascii_isdigit(*t)) t++;
    }
    return *t == '\0';
}

/* ---- atomic write ------------------------------------------------------- */

static gboolean set_errno_error(GError **error, int err, const char *what, const char *path)
{
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err), "%s%s: %s",
                what, path, g_strerror(err));
    return FALSE;
}

static gboolean write_stdout(const char *data, gsize len, GError **error)
{
    errno = 0;
    if ((len > 0 && fwrite(data, 1, len, stdout) != len) || fflush(stdout) != 0)
        return set_errno_error(error, errno ? errno : EIO, "", "(stdout)");
    return TRUE;
}

gboolean sim_write_file_atomic(const char *path, const char *data, gsize len, GError **error)
{
    g_return_val_if_fail(path != NULL && (data != NULL || len == 0), FALSE);
    if (!strcmp(path, "-")) return write_stdout(data, len, error);

    g_autofree char *dir = g_path_get_dirname(path);
    g_autofree char *base = g_path_get_basename(path);
    g_autofree char *name = g_strdup_printf(".%s.XXXXXX", base);
    g_autofree char *tmp = g_build_filename(dir, name, NULL);

    /* 0666 minus the umask, like any freshly created output file. */
    int fd = g_mkstemp_full(tmp, O_RDWR | O_CLOEXEC, 0666);
    if (fd < 0) return set_errno_error(error, errno, "cannot create a temporary file for ", path);

    int err = 0;
    for (gsize off = 0; off < len && !err; ) {
        ssize_t w = write(fd, data + off, len - off);
        if (w > 0) off += (gsize)w;
        else if (w < 0 && errno != EINTR) err = errno;
        else if (w == 0) err = EIO;
    }
    if (!err && fsync(fd) != 0) err = errno;
    if (close(fd) != 0 && !err) err = errno;
    if (!err && g_rename(tmp, path) != 0) err = errno;
    if (err) {
        g_unlink(tmp);
        return set_errno_error(error, err, "cannot write ", path);
    }
    /* Make the rename itself durable; best effort (a results file is not
     * worth failing over a directory that cannot be fsynced). */
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    return TRUE;
}

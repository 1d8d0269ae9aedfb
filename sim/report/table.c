/* sim/report/table.c - the human-readable summary for the terminal.
 *
 *                                lost                            corruption %    lost p_inc                    fsync ms
 *   case         trials consistent fsync stale corrupt unmount          [95% CI] fsync %     % ops/s MB/s fsyncs/s  p50/p99
 *   barrier-off     200        180     6     4       8       2 5.00 [2.30, 10.5]    3.00  6.25  1234  4.8     61.2   8.5/31
 *
 * Column widths fit the widest cell (case names, numbers), a two-line header
 * keeps the labels narrow, so case names of up to 12 characters fit 120
 * columns. Percentages
 * have 2-3 significant digits; "-" stands for a value that does not exist
 * (a rate over 0 trials). Below the table, up to 3 notes per case. */
#include <math.h>
#include <string.h>
#include "report-priv.h"

enum { COL_CASE, COL_TRIALS, COL_OK, COL_LOST, COL_STALE, COL_CORRUPT, COL_UNMOUNT,
       COL_CI, COL_LOSTPCT, COL_PINC, COL_OPS, COL_MBS, COL_FSYNCS, COL_FSYNCMS, NCOLS };

static const char *const head1[NCOLS] = {
    "", "", "", "lost", "", "", "", "corruption %", "lost", "p_inc", "", "", "", "fsync ms",
};
static const char *const head2[NCOLS] = {
    "case", "trials", "consistent", "fsync", "stale", "corrupt", "unmount", "[95% CI]",
    "fsync %", "%", "ops/s", "MB/s", "fsyncs/s", "p50/p99",
};
#define MAX_NOTES_SHOWN 3

static char *fmt_double(const char *fmt, double x)
{
    g_autoptr(GString) s = g_string_new(NULL);
    return sim_report_append_double(s, fmt, x) ? g_strdup(s->str) : g_strdup("-");
}

/* A rate (0..1) as a percentage with 2-3 significant digits. */
static char *fmt_pct(double rate)
{
    double x = 100.0 * rate;
    if (!isfinite(x)) return g_strdup("-");
    if (x == 0.0 || x == 100.0) return g_strdup(x == 0.0 ? "0" : "100");
    return fmt_double(x >= 10.0 ? "%.1f" : x >= 0.1 ? "%.2f" : "%.2g", x);
}

/* A throughput: whole numbers when large, 3 significant digits when small. */
static char *fmt_rate(double x)
{
    if (!isfinite(x)) return g_strdup("-");
    if (x == 0.0) return g_strdup("0");
    return fmt_double(x >= 1000.0 ? "%.0f" : x >= 10.0 ? "%.1f" : "%.3g", x);
}

static char *fmt_u64(guint64 v) { return g_strdup_printf("%" G_GUINT64_FORMAT, v); }

/* Display copy of a case name: valid UTF-8 with control characters as '?'. */
static char *display_name(const char *name)
{
    char *s = g_utf8_make_valid(name ? name : "", -1);
    for (char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20) *p = '?';
    return s;
}

static void pad(GString *out, const char *cell, gsize width, gboolean left)
{
    gsize len = g_utf8_strlen(cell, -1), fill = width > len ? width - len : 0;
    if (left) g_string_append(out, cell);
    for (gsize i = 0; i < fill; i++) g_string_append_c(out, ' ');
    if (!left) g_string_append(out, cell);
}

/* One line of cells; the case column is left-aligned and followed by two
 * spaces, the others are right-aligned with one space between them. */
static void put_row(GString *out, char *const *cells, const gsize *width)
{
    gsize start = out->len;
    for (int k = 0; k < NCOLS; k++) {
        if (k > 0) g_string_append(out, k == 1 ? "  " : " ");
        pad(out, cells[k], width[k], k == COL_CASE);
    }
    while (out->len > start && out->str[out->len - 1] == ' ') g_string_truncate(out, out->len - 1);
    g_string_append_c(out, '\n');
}

static void case_cells(const SimCaseResult *c, char **cell)
{
    double cci[2], lci[2];
    sim_report_case_cis(c, cci, lci);
    guint64 bad = c->outcomes[SIM_OUT_CORRUPT] + c->outcomes[SIM_OUT_UNMOUNTABLE];
    g_autofree char *rate = fmt_pct(sim_report_ratio(bad, c->trials));
    g_autofree char *lo = fmt_pct(cci[0]), *hi = fmt_pct(cci[1]);
    g_autofree char *p50 = fmt_double("%.3g", c->fsync_p50_ms);
    g_autofree char *p99 = fmt_double("%.3g", c->fsync_p99_ms);

    cell[COL_CASE] = display_name(c->name);
    cell[COL_TRIALS] = fmt_u64(c->trials);
    cell[COL_OK] = fmt_u64(c->outcomes[SIM_OUT_CONSISTENT]);
    cell[COL_LOST] = fmt_u64(c->outcomes[SIM_OUT_LOST_FSYNC]);
    cell[COL_STALE] = fmt_u64(c->outcomes[SIM_OUT_STALE_DATA]);
    cell[COL_CORRUPT] = fmt_u64(c->outcomes[SIM_OUT_CORRUPT]);
    cell[COL_UNMOUNT] = fmt_u64(c->outcomes[SIM_OUT_UNMOUNTABLE]);
    cell[COL_CI] = g_strdup_printf("%s [%s, %s]", rate, lo, hi);
    cell[COL_LOSTPCT] = fmt_pct(sim_report_ratio(c->outcomes[SIM_OUT_LOST_FSYNC], c->trials));
    cell[COL_PINC] = fmt_pct(c->p_inc);
    cell[COL_OPS] = fmt_rate(c->ops_per_s);
    cell[COL_MBS] = fmt_rate(c->mb_per_s);
    cell[COL_FSYNCS] = fmt_rate(c->fsyncs_per_s);
    cell[COL_FSYNCMS] = g_strdup_printf("%s/%s", p50, p99);
}

void sim_report_table(const SimResults *r, GString *out)
{
    guint n = r->cases ? r->cases->len : 0;
    char **cells = g_new0(char *, (gsize)n * NCOLS);
    gsize width[NCOLS];

    for (int k = 0; k < NCOLS; k++)
        width[k] = MAX(strlen(head1[k]), strlen(head2[k]));
    for (guint i = 0; i < n; i++) {
        case_cells(g_ptr_array_index(r->cases, i), cells + (gsize)i * NCOLS);
        for (int k = 0; k < NCOLS; k++)
            width[k] = MAX(width[k], (gsize)g_utf8_strlen(cells[(gsize)i * NCOLS + k], -1));
    }

    put_row(out, (char **)head1, width);
    put_row(out, (char **)head2, width);
    for (guint i = 0; i < n; i++) put_row(out, cells + (gsize)i * NCOLS, width);

    /* Examples of what went wrong, so a number comes with a story. */
    for (guint i = 0; i < n; i++) {
        const SimCaseResult *c = g_ptr_array_index(r->cases, i);
        for (guint j = 0; c->notes && j < MIN(c->notes->len, MAX_NOTES_SHOWN); j++) {
            const SimTrialNote *note = g_ptr_array_index(c->notes, j);
            char t[G_ASCII_DTOSTR_BUF_SIZE];
            g_ascii_formatd(t, sizeof t, "%.6f", sim_time_to_s(note->t));
            g_string_append_printf(out, "  %s: e.g. run %u t=%ss %s", cells[(gsize)i * NCOLS],
                                   note->run, t, sim_outcome_name(note->outcome));
            if (note->reason && *note->reason) {
                g_autofree char *reason = display_name(note->reason);
                g_string_append_printf(out, ": %s", reason);
            }
            g_string_append_c(out, '\n');
        }
    }
    /* --crash-states exhaustive: what any honest device could have left at those cuts */
    for (guint i = 0; i < n; i++) {
        const SimCaseResult *c = g_ptr_array_index(r->cases, i);
        const SimCrashStatesSummary *s = c->cstates;
        if (!s) continue;
        g_string_append_printf(out, "  %s: crash states (exhaustive, --max-pending %u): %" G_GUINT64_FORMAT
                               " cuts, %" G_GUINT64_FORMAT " states:", cells[(gsize)i * NCOLS], s->max_pending,
                               s->cuts, s->states);
        for (int o = 0; o < SIM_OUT_N; o++)
            g_string_append_printf(out, "%s %s %" G_GUINT64_FORMAT, o ? "," : "", sim_outcome_name(o), s->counts[o]);
        g_string_append_printf(out, "; %" G_GUINT64_FORMAT " cut%s with a corrupt state\n", s->bad_cuts,
                               s->bad_cuts == 1 ? "" : "s");
        if (s->sampled_cuts)
            g_string_append_printf(out, "    note: SAMPLED at %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                                   " cuts (more than %u free writes, up to %u there): %u states each, not all;"
                                   " the counts include those samples\n",
                                   s->sampled_cuts, s->cuts, s->max_pending, s->max_free, s->samples);
        if (s->have_witness && s->boundaries) {
            char t[G_ASCII_DTOSTR_BUF_SIZE];
            g_ascii_formatd(t, sizeof t, "%.6f", sim_time_to_s(s->w_t));
            g_string_append_printf(out, "    %s witness: boundary %" G_GUINT64_FORMAT " t=%ss, %u of %u free writes"
                                   " durable: %s: %s\n      (--witness-out FILE writes that crash image)\n",
                                   s->w_sampled ? "a minimal" : "a smallest", s->w_trial, t, s->w_size, s->w_free,
                                   sim_outcome_name(s->w_outcome), s->w_reason);
        } else if (s->have_witness) {
            char t[G_ASCII_DTOSTR_BUF_SIZE];
            g_ascii_formatd(t, sizeof t, "%.6f", sim_time_to_s(s->w_t));
            g_string_append_printf(out, "    %s witness: run %u trial %" G_GUINT64_FORMAT " t=%ss, %u of %u free writes"
                                   " durable: %s\n      powercut explain %s --case %s -s %" G_GUINT64_FORMAT " -n %" G_GUINT64_FORMAT
                                   " --run %u --trial %" G_GUINT64_FORMAT " --witness --max-pending %u\n",
                                   s->w_sampled ? "a minimal" : "a smallest", s->w_run, s->w_trial, t, s->w_size,
                                   s->w_free, sim_outcome_name(s->w_outcome), r->scenario, c->name, r->seed,
                                   c->trials, s->w_run, s->w_trial, s->max_pending);
        }
    }
    for (gsize i = 0; i < (gsize)n * NCOLS; i++) g_free(cells[i]);
    g_free(cells);
}

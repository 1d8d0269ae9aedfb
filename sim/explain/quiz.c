/* sim/explain/quiz.c - `powercut quiz`: a write-ordering exercise, solved by
 * the tracker and the crash-state enumerator of `run --crash-states
 * exhaustive` (sim/crash/states.c), so the two cannot disagree. */
#include "quiz.h"
#include "../cli.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define UNIT SIM_US(100)                 /* the quiz's clock ticks in 0.1 ms */

static const char *const wname[SIM_QUIZ_NW] = { "D", "J1", "J2", "C", "H", "H2" };
static const char *const wwhat[SIM_QUIZ_NW] = {
    "data=ordered data: the new block 2000 of file f (T7 allocates it)",
    "journal body of T7 (log 11): the inode of f",
    "journal body of T7 (log 12): the block bitmap",
    "commit block of T7 (log 13)",
    "checkpoint of T6 (committed, still in the journal) to its home: inode table block 40",
    "a newer checkpoint of the same inode table block 40",
};
static const guint64 wblock[SIM_QUIZ_NW] = { 2000, 1011, 1012, 1013, 40, 40 };

static SimTime tick(SimRng *r, guint lo, guint hi) { return (SimTime)(lo + sim_rng_below(r, hi - lo + 1)) * UNIT; }

void sim_quiz_generate(guint64 seed, SimQuiz *q)
{
    memset(q, 0, sizeof *q);
    q->seed = seed;
    SimRng r;
    sim_rng_seed(&r, seed, 0, "quiz");
    q->barrier = sim_rng_below(&r, 2);
    for (int i = 0; i < SIM_QUIZ_NW; i++) {
        q->w[i].name = wname[i];
        q->w[i].block = wblock[i];
        q->w[i].tok = (SimToken)(i + 1);
    }
    SimQuizWrite *w = q->w;
    /* phase 2a/2b: ordered data, then the journal body */
    for (int i = SIM_QUIZ_D; i <= SIM_QUIZ_J2; i++) {
        w[i].present = TRUE;
        w[i].t_sub = (SimTime)i * UNIT;
        w[i].t_done = w[i].t_sub + tick(&r, 2, 15);
    }
    /* jbd2 waits for all three, then the commit record */
    SimTime tc = MAX(MAX(w[0].t_done, w[1].t_done), w[2].t_done) + UNIT;
    w[SIM_QUIZ_C].present = TRUE;
    if (q->barrier) {
        q->f[q->nf++] = (SimQuizFlush){ tc, tc + tick(&r, 3, 15), TRUE };
        w[SIM_QUIZ_C].fua = TRUE;
        w[SIM_QUIZ_C].t_sub = q->f[0].t_done;    /* blk-flush: the data after the PREFLUSH completes */
    } else {
        w[SIM_QUIZ_C].t_sub = tc;
    }
    w[SIM_QUIZ_C].t_done = w[SIM_QUIZ_C].t_sub + tick(&r, 2, 8);
    w[SIM_QUIZ_H].present = TRUE;
    w[SIM_QUIZ_H].t_sub = tick(&r, 0, 20);
    w[SIM_QUIZ_H].t_done = w[SIM_QUIZ_H].t_sub + tick(&r, 2, 12);
    if (sim_rng_below(&r, 2)) {
        w[SIM_QUIZ_H2].present = TRUE;
        w[SIM_QUIZ_H2].t_sub = w[SIM_QUIZ_H].t_sub + tick(&r, 1, 15);
        w[SIM_QUIZ_H2].t_done = w[SIM_QUIZ_H2].t_sub + tick(&r, 2, 12);
    }
    if (sim_rng_below(&r, 2)) {
        SimTime s = tick(&r, 0, 30);
        q->f[q->nf++] = (SimQuizFlush){ s, s + tick(&r, 3, 15), FALSE };
    }
    SimTime end = 0;
    for (int i = 0; i < SIM_QUIZ_NW; i++)
        if (w[i].present)
            end = MAX(end, w[i].t_done);
    for (guint i = 0; i < q->nf; i++)
        end = MAX(end, q->f[i].t_done);
    q->cut = tick(&r, 3, (guint)(end / UNIT) + 2);
    /* what had not happened by the cut did not happen */
    for (int i = 0; i < SIM_QUIZ_NW; i++) {
        if (w[i].t_sub > q->cut)
            w[i].t_sub = w[i].t_done = -1;
        else if (w[i].t_done > q->cut)
            w[i].t_done = -1;
    }
    guint nf = 0;
    for (guint i = 0; i < q->nf; i++) {
        if (q->f[i].t_sub > q->cut)
            continue;
        if (q->f[i].t_done > q->cut)
            q->f[i].t_done = -1;
        q->f[nf++] = q->f[i];
    }
    q->nf = nf;
    q->fsync_done = w[SIM_QUIZ_C].t_done;
}

/* ---- solving: the tracker, then the enumerator -------------------------------- */

typedef struct { SimTime t; int kind; int i; } Ev;     /* kind 0 write sent, 1 write done, 2 flush done */

static gint cmp_ev(gconstpointer a, gconstpointer b)
{
    const Ev *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->kind != y->kind)
        return x->kind - y->kind;
    return x->i - y->i;
}

static SimToken media_old(gconstpointer ud, guint64 block) { return 0; }   /* nothing new is on the platter yet */

typedef struct {
    const SimQuiz *q;
    gboolean c_without_j2;
} Judge;

/* Content of a quiz write's block in a state. */
static SimToken content(const GArray *pend, guint64 mask, guint64 block)
{
    for (guint i = 0; i < pend->len; i++) {
        const SimPendWrite *p = &g_array_index(pend, SimPendWrite, i);
        if (p->block == block)
            return sim_crash_states_durable(pend, mask, i) ? p->tok : p->base;
    }
    return 0;
}

/* Recovery and check of the quiz's journal, in the rules of SEMANTICS §1.5/§2.3. */
static SimOutcome quiz_judge(gpointer ud, const GArray *pend, guint64 mask, GString *reason)
{
    Judge *j = ud;
    const SimQuiz *q = j->q;
    gboolean dur[SIM_QUIZ_NW];
    for (int i = 0; i < SIM_QUIZ_NW; i++)
        dur[i] = q->w[i].present && content(pend, mask, q->w[i].block) == q->w[i].tok;
    if (dur[SIM_QUIZ_C] && !dur[SIM_QUIZ_J2])
        j->c_without_j2 = TRUE;
    if (reason)
        g_string_truncate(reason, 0);
    if (dur[SIM_QUIZ_C]) {
        if (!dur[SIM_QUIZ_J1] || !dur[SIM_QUIZ_J2]) {
            if (reason)
                g_string_printf(reason, "C is durable, %s is not: recovery replays T7 and copies the stale log slot "
                                        "to its home location (J4a)", !dur[SIM_QUIZ_J1] ? "J1" : "J2");
            return SIM_OUT_CORRUPT;
        }
        if (!dur[SIM_QUIZ_D]) {
            if (reason)
                g_string_printf(reason, "T7 is replayed but D is not durable: file f's new block shows bytes never "
                                        "written to it (data=ordered broken, E1)");
            return SIM_OUT_STALE_DATA;
        }
        return SIM_OUT_CONSISTENT;
    }
    if (q->fsync_done >= 0) {
        if (reason)
            g_string_printf(reason, "C is lost, so T7 is not replayed, but the fsync returned (J2, E4 broken)");
        return SIM_OUT_LOST_FSYNC;
    }
    return SIM_OUT_CONSISTENT;
}

void sim_quiz_solve(const SimQuiz *q, SimQuizAnswer *a)
{
    memset(a, 0, sizeof *a);
    /* feed the tracker what reached the drive, in time order */
    GArray *ev = g_array_new(FALSE, FALSE, sizeof(Ev));
    for (int i = 0; i < SIM_QUIZ_NW; i++) {
        if (!q->w[i].present || q->w[i].t_sub < 0)
            continue;
        Ev e = { q->w[i].t_sub, 0, i };
        g_array_append_val(ev, e);
        if (q->w[i].t_done >= 0) {
            Ev d = { q->w[i].t_done, 1, i };
            g_array_append_val(ev, d);
        }
    }
    for (guint i = 0; i < q->nf; i++)
        if (q->f[i].t_done >= 0) {
            Ev e = { q->f[i].t_done, 2, (int)i };
            g_array_append_val(ev, e);
        }
    g_array_sort(ev, cmp_ev);
    SimPendTrack *t = sim_pend_track_new();
    guint64 handle[SIM_QUIZ_NW] = { 0 };
    for (guint k = 0; k < ev->len; k++) {
        const Ev *e = &g_array_index(ev, Ev, k);
        const SimQuizWrite *w = &q->w[e->i];
        if (e->kind == 0)
            handle[e->i] = sim_pend_track_write(t, w->block, 1, &w->tok, w->fua, e->t);
        else if (e->kind == 1)
            sim_pend_track_write_done(t, handle[e->i], e->t);
        else
            sim_pend_track_flush_done(t, q->f[e->i].t_sub, e->t);
    }
    g_array_free(ev, TRUE);
    for (int i = 0; i < SIM_QUIZ_NW; i++) {
        if (!q->w[i].present)
            continue;
        if (q->w[i].t_sub < 0) {
            a->fate[i] = 'N';
            continue;
        }
        a->why[i] = sim_pend_track_why(t, q->w[i].block);
    }
    GArray *pend = sim_pend_track_pending(t, media_old, NULL);
    for (guint k = 0; k < pend->len; k++)
        g_array_index(pend, SimPendWrite, k).order = g_array_index(pend, SimPendWrite, k).block;
    for (int i = 0; i < SIM_QUIZ_NW; i++) {
        if (!q->w[i].present || a->fate[i])
            continue;
        for (guint k = 0; k < pend->len; k++) {
            const SimPendWrite *p = &g_array_index(pend, SimPendWrite, k);
            if (p->block != q->w[i].block)
                continue;
            if (p->tok != q->w[i].tok) {
                a->fate[i] = p->base == q->w[i].tok ? 'F' : 'S';    /* an older version of the block */
                if (a->fate[i] == 'F')
                    a->why[i] = q->w[i].fua ? 'F' : 'P';
                else
                    a->why[i] = q->w[i].t_done < 0 ? 'I' : 'C';
            } else {
                a->fate[i] = p->forced ? 'F' : 'M';
            }
        }
    }
    Judge j = { q, FALSE };
    SimCrashStates cs;
    SimRng rng;
    sim_rng_seed(&rng, q->seed, 0, "quiz-states");
    sim_crash_states_run(&cs, pend, SIM_STATES_MAX_PENDING, 0, &rng, quiz_judge, &j);
    a->nfree = cs.nfree;
    a->nforced = cs.nforced;
    a->states = cs.states;
    memcpy(a->counts, cs.counts, sizeof a->counts);
    a->c_without_j2 = j.c_without_j2;
    a->have_witness = cs.have_witness;
    if (cs.have_witness) {
        a->witness_outcome = cs.witness_outcome;
        a->witness_reason = g_strdup(cs.witness_reason->str);
        for (guint k = 0; k < pend->len; k++) {
            const SimPendWrite *p = &g_array_index(pend, SimPendWrite, k);
            if (p->forced || !sim_crash_states_durable(pend, cs.witness_mask, k))
                continue;
            for (int i = 0; i < SIM_QUIZ_NW; i++)
                if (q->w[i].present && q->w[i].tok == p->tok)
                    a->witness |= 1u << i;
        }
    }
    sim_crash_states_clear(&cs);
    g_array_free(pend, TRUE);
    sim_pend_track_free(t);
}

void sim_quiz_answer_clear(SimQuizAnswer *a)
{
    g_free(a->witness_reason);
    a->witness_reason = NULL;
}

/* ---- text ------------------------------------------------------------------------ */

static char *ms(SimTime t)
{
    return g_strdup_printf("%" G_GINT64_FORMAT ".%" G_GINT64_FORMAT, t / SIM_MS(1), (t % SIM_MS(1)) / UNIT);
}

typedef struct { SimTime t; int order; char *text; } Line;

static gint cmp_line(gconstpointer a, gconstpointer b)
{
    const Line *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->order - y->order;
}

static void add_line(GArray *a, SimTime t, int order, char *text)
{
    Line l = { t, order, text };
    g_array_append_val(a, l);
}

void sim_quiz_text(const SimQuiz *q, const SimQuizAnswer *a, GString *o)
{
    const SimQuizWrite *w = q->w;
    g_string_append_printf(o, "powercut quiz, seed %" G_GUINT64_FORMAT "\n\n", q->seed);
    g_string_append_printf(o, "A file system with a jbd2 journal (data=ordered, no journal checksums), mounted with "
                              "barrier=%d, on a disk\nwith a volatile write cache and native FUA. An fsync of file f "
                              "commits transaction T7. The writes:\n",
                           q->barrier);
    for (int i = 0; i < SIM_QUIZ_NW; i++)
        if (w[i].present && w[i].t_sub >= 0)
            g_string_append_printf(o, "  %-3s %s%s\n", w[i].name, wwhat[i],
                                   w[i].fua ? " [PREFLUSH+FUA]" : "");
    g_string_append(o, "\nWhat the drive saw (times in ms):\n");
    GArray *lines = g_array_new(FALSE, FALSE, sizeof(Line));
    for (int i = 0; i < SIM_QUIZ_NW; i++) {
        if (!w[i].present || w[i].t_sub < 0)
            continue;
        add_line(lines, w[i].t_sub, 10 + i,
                 g_strdup_printf("write %s sent%s", w[i].name, w[i].fua ? " with FUA" : ""));
        if (w[i].t_done >= 0)
            add_line(lines, w[i].t_done, 30 + i, g_strdup_printf("write %s completed%s", w[i].name,
                                                                  i == SIM_QUIZ_C ? " (the fsync returns)" : ""));
    }
    for (guint i = 0; i < q->nf; i++) {
        add_line(lines, q->f[i].t_sub, 20 + (int)i,
                 g_strdup_printf("FLUSH %u sent (%s)", i + 1,
                                 q->f[i].preflush ? "the PREFLUSH of C: C waits for it" : "an fsync of another file"));
        if (q->f[i].t_done >= 0)
            add_line(lines, q->f[i].t_done, 5 + (int)i, g_strdup_printf("FLUSH %u completed", i + 1));
        else
            add_line(lines, q->cut, 90 + (int)i, g_strdup_printf("(FLUSH %u still running)", i + 1));
    }
    add_line(lines, q->cut, 99, g_strdup("*** POWER CUT ***"));
    g_array_sort(lines, cmp_line);
    for (guint i = 0; i < lines->len; i++) {
        Line *l = &g_array_index(lines, Line, i);
        g_autofree char *t = ms(l->t);
        g_string_append_printf(o, "  %6s  %s\n", t, l->text);
        g_free(l->text);
    }
    g_array_free(lines, TRUE);
    gboolean c_sent = w[SIM_QUIZ_C].t_sub >= 0;
    if (!c_sent)
        g_string_append(o, "  (C had not been sent when the power went)\n");
    g_string_append(o, "\nAssume an honest drive: it may destage its cache in any order, and anything not yet on "
                       "the platter is lost.\nQuestions:\n");
    g_string_append(o, "  1. For each write sent: is it certainly durable after the cut, or may it be lost?\n");
    g_string_append(o, "  2. Can C be durable while J2 is not?\n");
    g_string_append(o, "  3. How many different crash states (sets of durable writes) can the cut leave?\n");
    g_string_append(o, "  4. In how many of them is the file system consistent, missing the fsync (lost_fsync), "
                       "showing stale data,\n     or corrupt after recovery? Give a smallest corrupt state, if any.\n");
    if (!a) {
        g_string_append_printf(o, "\nAnswers: powercut quiz --seed %" G_GUINT64_FORMAT " --solve\n", q->seed);
        return;
    }
    g_string_append(o, "\nAnswers (solved by the crash-state enumeration of run --crash-states exhaustive):\n");
    g_string_append(o, "  1.\n");
    for (int i = 0; i < SIM_QUIZ_NW; i++) {
        if (!w[i].present || w[i].t_sub < 0)
            continue;
        g_autofree char *td = w[i].t_done >= 0 ? ms(w[i].t_done) : NULL;
        const char *t;
        char buf[256];
        switch (a->fate[i] == 'S' ? 'S' : a->why[i]) {
        case 'F':
            t = "durable: completed with FUA (FUA: acknowledged only once on media)";
            break;
        case 'P':
            snprintf(buf, sizeof buf, "durable: completed at %s, before a flush was sent that completed before "
                                      "the cut (D1, B3)", td);
            t = buf;
            break;
        case 'C':
            snprintf(buf, sizeof buf, "may be lost: completed at %s, but no flush sent after that completed "
                                      "before the cut (D1: completed is not durable)", td);
            t = buf;
            break;
        case 'S':
            if (a->fate[SIM_QUIZ_H2] == 'F') {
                t = "replaced: H2 (the same block) is durable, so the block holds H2";
                break;
            }
            t = "may be lost or replaced: H2 overwrites the same block; the block holds H2, or H2 is lost and it "
                "holds what was there before H2";
            break;
        default:
            t = "may be lost: still in flight at the cut (not completed, so no flush covers it: B3)";
            break;
        }
        if (a->fate[i] == 'F' && i == SIM_QUIZ_H && w[SIM_QUIZ_H2].present && w[SIM_QUIZ_H2].t_sub >= 0)
            t = "durable (covered by a completed flush or FUA), so if H2 is lost the block holds H, never older";
        g_string_append_printf(o, "     %-3s %s\n", w[i].name, t);
    }
    if (!c_sent)
        g_string_append(o, "     C   never reached the drive: lost\n");
    g_string_append(o, "  2. ");
    if (!c_sent)
        g_string_append(o, "No: C never reached the drive.\n");
    else if (a->c_without_j2)
        g_string_append(o, "Yes: both may be lost independently and the drive may write C first (D2); "
                           "with barriers C's PREFLUSH would have made J2 durable first.\n");
    else if (a->fate[SIM_QUIZ_J2] == 'F')
        g_string_append(o, "No: J2 is certainly durable (it completed before a flush that completed).\n");
    else
        g_string_append(o, "No: in no reachable state.\n");
    g_string_append_printf(o, "  3. %u write%s may be lost independently, the others are fixed: 2^%u = %" G_GUINT64_FORMAT
                              " states.\n",
                           a->nfree, a->nfree == 1 ? "" : "s", a->nfree, a->states);
    g_string_append(o, "  4.");
    for (int k = 0; k < SIM_OUT_N; k++)
        g_string_append_printf(o, "%s %s %" G_GUINT64_FORMAT, k ? "," : "", sim_outcome_name(k), a->counts[k]);
    g_string_append(o, ".\n");
    if (a->have_witness) {
        g_string_append(o, "     A smallest corrupt state: durable among the writes that may be lost:");
        gboolean any = FALSE;
        for (int i = 0; i < SIM_QUIZ_NW; i++)
            if (a->witness & (1u << i)) {
                g_string_append_printf(o, " %s", w[i].name);
                any = TRUE;
            }
        g_string_append_printf(o, "%s.\n     Why: %s.\n", any ? "" : " none", a->witness_reason);
    } else {
        g_string_append(o, "     No state is corrupt");
        g_string_append(o, !c_sent     ? ": C never reached the drive, so recovery does not replay T7.\n"
                           : q->barrier ? ": barriers order the commit after its body (J1).\n"
                                        : ": C cannot be durable without J1 and J2 here.\n");
    }
    if (a->counts[SIM_OUT_LOST_FSYNC])
        g_string_append(o, "     lost_fsync: the fsync returned when C completed, and C may still be lost "
                           "(completed is not durable without FUA or a flush).\n");
    if (a->counts[SIM_OUT_STALE_DATA])
        g_string_append(o, "     stale_data: C, J1 and J2 durable but D not - the drive wrote the commit before "
                           "the data it depends on.\n");
    g_string_append(o, "     H never decides an outcome: T6 is still in the journal, so replay rewrites block 40 "
                       "anyway.\n");
}

/* ---- the command ----------------------------------------------------------------- */

int powercut_cmd_quiz(int argc, char **argv)
{
    static char *opt_seed_s = NULL;
    static gboolean opt_solve = FALSE;
    const GOptionEntry entries[] = {
        { "seed", 's', 0, G_OPTION_ARG_STRING, &opt_seed_s, "Which exercise (default 1): same seed, same quiz", "S" },
        { "solve", 0, 0, G_OPTION_ARG_NONE, &opt_solve, "Print the answers with the reasoning", NULL },
        G_OPTION_ENTRY_NULL
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("- a generated write-ordering exercise, with answers");
    g_option_context_set_summary(ctx,
        "Prints a small situation: the writes of one jbd2 commit (data block D, journal body J1 J2, commit\n"
        "block C) and a checkpoint write H, their flags, when each reached and left a volatile drive cache,\n"
        "the flushes, and a power cut; then asks which writes may be lost, whether C can be durable without\n"
        "J2, how many crash states there are and which of them are corrupt.");
    g_option_context_set_description(ctx,
        "--solve answers with the rule behind each (D1: a completed write is durable only with FUA or\n"
        "after a flush sent after its completion has completed; B3: a flush covers only writes completed\n"
        "before it was sent; J4a: a durable commit with a lost body block makes replay copy stale log\n"
        "contents home). The answers come from the same crash-state enumeration as\n"
        "`powercut run --crash-states exhaustive`. Same seed, byte-identical output.\n"
        "Examples:\n"
        "  powercut quiz --seed 7\n"
        "  powercut quiz --seed 7 --solve");
    g_option_context_add_main_entries(ctx, entries, NULL);
    GError *err = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        int r = sim_cli_usage("%s (see: powercut help quiz)", err->message);
        g_error_free(err);
        return r;
    }
    if (argc > 1)
        return sim_cli_usage("quiz: unexpected argument '%s' (see: powercut help quiz)", argv[1]);
    guint64 seed = 1;
    if (opt_seed_s) {
        char *end = NULL;
        errno = 0;
        seed = g_ascii_strtoull(opt_seed_s, &end, 10);
        if (!*opt_seed_s || !g_ascii_isdigit(opt_seed_s[0]) || *end || errno)
            return sim_cli_usage("--seed: '%s' is not allowed (an integer from 0 to %" G_GUINT64_FORMAT ")",
                                 opt_seed_s, G_MAXUINT64);
    }
    SimQuiz q;
    sim_quiz_generate(seed, &q);
    SimQuizAnswer a;
    if (opt_solve)
        sim_quiz_solve(&q, &a);
    g_autoptr(GString) o = g_string_new(NULL);
    sim_quiz_text(&q, opt_solve ? &a : NULL, o);
    fputs(o->str, stdout);
    if (opt_solve)
        sim_quiz_answer_clear(&a);
    return 0;
}

/* sim/crash/eval.c - the piecewise-constant outcome of a power cut over a run.
 *
 * Listening to the media and to the fsync oracle, the evaluator re-judges
 * the durable image after each change and appends an interval whenever the
 * (outcome, reason) pair changes. A change that provably cannot alter the
 * result is skipped: a log position the last recovery did not depend on, or
 * a home block that replay overwrites anyway. A change of the promises
 * alone rechecks only them.
 */
#include "crash.h"
#include "../fs/app.h"
#include <string.h>

typedef struct { SimTime t; guint32 reason; guint8 outcome, app; } Piece;   /* app 255: none */

struct SimCrashEval {
    SimWorld   *w;
    SimFs      *fs;
    SimMedia   *m;
    const SimFsLayout *L;
    SimChecker *chk;
    SimRecovery rec;
    SimTime     from, end;
    gboolean    active, finished, rec_valid;
    GArray     *pieces;        /* Piece, by time */
    GPtrArray  *reasons;       /* interned; [0] = "" */
    GHashTable *reason_ids;
    GString    *scratch;       /* the checker's reason */
    GString    *app_scratch;   /* the application's reason */
    guint64     evals, skipped;
    gboolean    noskip;        /* POWERCUT_EVAL_NOSKIP: judge every change (for testing the skips) */
    SimApp     *app;
    GPtrArray  *promises;      /* sim_fs_promises, cached until the oracle changes */
};

/* Reasons run to a few hundred bytes and g_str_hash takes them a byte at a
 * time: this takes 8 bytes a step (FNV-1a style, with a shift to carry the
 * high bits down). Equal strings still decide: only the speed depends on it. */
static guint reason_hash(gconstpointer key)
{
    const char *s = key;
    gsize n = strlen(s);
    guint64 h = 0xcbf29ce484222325ull;
    for (; n >= 8; n -= 8, s += 8) {
        guint64 w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0x100000001b3ull;
        h ^= h >> 29;
    }
    for (; n; n--, s++)
        h = (h ^ (guchar)*s) * 0x100000001b3ull;
    return (guint)(h ^ (h >> 32));
}

static guint32 intern(SimCrashEval *e, const char *s)
{
    gpointer v;
    if (g_hash_table_lookup_extended(e->reason_ids, s, NULL, &v))
        return GPOINTER_TO_UINT(v);
    char *k = g_strdup(s);
    g_ptr_array_add(e->reasons, k);
    g_hash_table_insert(e->reason_ids, k, GUINT_TO_POINTER(e->reasons->len - 1));
    return e->reasons->len - 1;
}

typedef enum { JUDGE_PROMISES, JUDGE_CONTENT, JUDGE_STRUCT, JUDGE_FULL } JudgeMode;

/* FULL: recover and check; STRUCT: the recovery stands, check everything;
 * CONTENT: recovery and structure stand, recheck data and promises;
 * PROMISES: the image stands too (only the promises changed), recheck them. */
static void judge(SimCrashEval *e, JudgeMode mode)
{
    if (mode == JUDGE_FULL || !e->rec_valid) {
        sim_recover(e->L, sim_fs_content(e->fs), e->m, &e->rec);
        e->rec_valid = TRUE;
        mode = JUDGE_FULL;
    }
    if (!e->promises) {                        /* refreshed only when the oracle changed */
        e->promises = sim_fs_promises(e->fs);
    }
    GPtrArray *pr = e->promises;
    SimOutcome o = mode == JUDGE_PROMISES ? sim_check_promises(e->chk, e->m, &e->rec, pr, e->scratch)
                   : mode == JUDGE_CONTENT ? sim_check_content(e->chk, e->m, &e->rec, pr, e->scratch)
                                           : sim_check_recovered(e->chk, e->m, &e->rec, pr, e->scratch);
    e->evals++;
    const char *why = o == SIM_OUT_CONSISTENT ? "" : e->scratch->str;
    guint8 app = 255;
    if (e->app) {
        g_string_truncate(e->app_scratch, 0);
        app = (guint8)sim_check_app(e->chk, e->m, &e->rec, e->app, e->app_scratch);
        if (app != SIM_APP_NEW && app != SIM_APP_OLD && o == SIM_OUT_CONSISTENT)
            why = e->app_scratch->str;         /* the application's reason */
    }
    /* A judgement often repeats the last piece: compare with its reason
     * before interning (hashing a reason costs more than comparing it),
     * which decides the same, as equal ids are equal strings. */
    SimTime now = sim_now(e->w);
    Piece *last = e->pieces->len ? &g_array_index(e->pieces, Piece, e->pieces->len - 1) : NULL;
    if (last && last->outcome == o && last->app == app &&
        strcmp(g_ptr_array_index(e->reasons, last->reason), why) == 0)
        return;
    guint32 rid = intern(e, why);
    if (last && last->t == now) {             /* several changes at one instant: the last counts */
        last->outcome = o;
        last->reason = rid;
        last->app = app;
        if (e->pieces->len > 1) {
            Piece *prev = last - 1;
            if (prev->outcome == o && prev->reason == rid && prev->app == app)
                g_array_set_size(e->pieces, e->pieces->len - 1);
        }
        return;
    }
    Piece p = { now, rid, (guint8)o, app };
    g_array_append_val(e->pieces, p);
}

static void on_media(gpointer ud, guint64 block, SimToken old_tok, SimToken new_tok)
{
    SimCrashEval *e = ud;
    if (!e->active)
        return;
    if (e->noskip) {
        judge(e, JUDGE_FULL);
        return;
    }
    const SimFsLayout *L = e->L;
    if (block >= L->nblocks) {
        e->skipped++;
        return;
    }
    gboolean in_journal = block >= L->jstart && block < L->jstart + L->jblocks;
    if (e->rec_valid && e->rec.refused && (e->rec.refused_jsb ? block != L->jstart : !in_journal)) {
        e->skipped++;                        /* refused whatever else is on the disk */
        return;
    }
    if (block >= L->jstart && block < L->jstart + L->jblocks) {
        guint32 pos = (guint32)(block - L->jstart);
        if (pos == 0 || !e->rec_valid) {
            judge(e, JUDGE_FULL);
        } else if (sim_recover_update(L, sim_fs_content(e->fs), e->m, &e->rec, pos)) {
            judge(e, JUDGE_STRUCT);
        } else {
            e->skipped++;                    /* a log position recovery did not read */
        }
        return;
    }
    if (e->rec_valid && sim_recovery_find(&e->rec, block)) {
        e->skipped++;                        /* replay overwrites it */
        return;
    }
    if (sim_fs_loc(L, block) != SIM_LOC_DATA) {
        judge(e, JUDGE_STRUCT);
        return;
    }
    switch (sim_checker_block_role(e->chk, block)) {
    case 0: e->skipped++; return;            /* no recovered inode refers to it */
    case 1: judge(e, JUDGE_CONTENT); return;  /* a file's data */
    default: judge(e, JUDGE_STRUCT); return;  /* a directory block */
    }
}

/* The promises (or the application's state) changed, the media did not:
 * every media change since the last judgement was judged or proven not to
 * alter what the checker reads, so the structure and data verdicts stand. */
static void on_oracle(gpointer ud)
{
    SimCrashEval *e = ud;
    g_clear_pointer(&e->promises, g_ptr_array_unref);   /* the fs may have freed what it pointed to */
    if (e->active && !(e->rec_valid && e->rec.refused))
        judge(e, e->noskip ? JUDGE_FULL : JUDGE_PROMISES);
}

static void start_event(SimWorld *w, gpointer obj, gint64 arg)
{
    SimCrashEval *e = obj;
    e->active = TRUE;
    judge(e, JUDGE_FULL);
}

SimCrashEval *sim_crash_eval_new(SimWorld *w, SimFs *fs, SimMedia *m, SimTime from)
{
    SimCrashEval *e = g_new0(SimCrashEval, 1);
    e->w = w;
    e->fs = fs;
    e->m = m;
    e->L = sim_fs_layout(fs);
    e->chk = sim_checker_new(fs);
    sim_recovery_init(&e->rec);
    e->from = from;
    e->noskip = g_getenv("POWERCUT_EVAL_NOSKIP") != NULL;
    e->pieces = g_array_new(FALSE, FALSE, sizeof(Piece));
    e->reasons = g_ptr_array_new_with_free_func(g_free);
    e->reason_ids = g_hash_table_new(reason_hash, g_str_equal);
    intern(e, "");
    e->scratch = g_string_new(NULL);
    e->app_scratch = g_string_new(NULL);
    sim_media_set_listener(m, on_media, e);
    sim_fs_set_oracle_hook(fs, on_oracle, e);
    sim_schedule_at(w, from, start_event, e, 0);
    return e;
}

void sim_crash_eval_free(SimCrashEval *e)
{
    if (!e)
        return;
    sim_checker_free(e->chk);
    g_clear_pointer(&e->promises, g_ptr_array_unref);
    sim_recovery_clear(&e->rec);
    g_array_free(e->pieces, TRUE);
    g_hash_table_destroy(e->reason_ids);
    g_ptr_array_free(e->reasons, TRUE);
    g_string_free(e->scratch, TRUE);
    g_string_free(e->app_scratch, TRUE);
    g_free(e);
}

void sim_crash_eval_finish(SimCrashEval *e, SimTime end)
{
    e->active = FALSE;
    e->finished = TRUE;
    e->end = end;
    sim_media_set_listener(e->m, NULL, NULL);
    sim_fs_set_oracle_hook(e->fs, NULL, NULL);
    g_assert(e->pieces->len > 0 && end > e->from);
}

SimOutcome sim_crash_eval_at(const SimCrashEval *e, SimTime t, const char **reason)
{
    g_assert(e->pieces->len > 0);
    guint lo = 0, hi = e->pieces->len;        /* last piece with start <= t */
    while (hi - lo > 1) {
        guint mid = (lo + hi) / 2;
        if (g_array_index(e->pieces, Piece, mid).t <= t)
            lo = mid;
        else
            hi = mid;
    }
    const Piece *p = &g_array_index(e->pieces, Piece, lo);
    if (reason)
        *reason = p->reason ? g_ptr_array_index(e->reasons, p->reason) : NULL;
    return (SimOutcome)p->outcome;
}

void sim_crash_eval_fractions(const SimCrashEval *e, double frac[SIM_OUT_N])
{
    for (int i = 0; i < SIM_OUT_N; i++)
        frac[i] = 0;
    double span = (double)(e->end - e->from);
    for (guint i = 0; i < e->pieces->len; i++) {
        const Piece *p = &g_array_index(e->pieces, Piece, i);
        SimTime a = MAX(p->t, e->from);
        SimTime b = i + 1 < e->pieces->len ? g_array_index(e->pieces, Piece, i + 1).t : e->end;
        b = MIN(b, e->end);
        if (b > a)
            frac[p->outcome] += (double)(b - a) / span;
    }
}

void sim_crash_eval_set_app(SimCrashEval *e, SimApp *app)
{
    e->app = app;
    sim_app_set_hook(app, on_oracle, e);
}

int sim_crash_eval_app_at(const SimCrashEval *e, SimTime t)
{
    guint lo = 0, hi = e->pieces->len;
    while (hi - lo > 1) {
        guint mid = (lo + hi) / 2;
        if (g_array_index(e->pieces, Piece, mid).t <= t)
            lo = mid;
        else
            hi = mid;
    }
    guint8 a = g_array_index(e->pieces, Piece, lo).app;
    return a == 255 ? -1 : a;
}

guint64 sim_crash_eval_count(const SimCrashEval *e) { return e->evals; }
guint64 sim_crash_eval_skipped(const SimCrashEval *e) { return e->skipped; }

/* tests/test-matrix.c - the outcome matrix of SEMANTICS §10, end to end on
 * the real model: scenario files (tests/data/matrix-*.lua) through the Lua
 * loader, the runner, the crash evaluator and the report.
 *
 * Expected values come from the claims, never from program output:
 *   "yes" rows  (fsync durable / FS consistent): no cut may violate them, so
 *               every count except `consistent` is 0 and the exact p_inc is 0;
 *   "may be corrupt" rows: the simulator must reach the bad outcome with
 *               non-zero probability, so the count is > 0.
 * Each row is judged over >= 2000 sampled trials; runs and durations are kept
 * small so that the binary stays within about a minute on two cores.
 *
 * Data: $POWERCUT_TEST_DATA, else G_TEST_DIST/data, else tests/data next to
 * this source (the path make compiles it by), i.e. tests/data from the repo
 * root, as `prove -f --exec '' build/tests/test-matrix` runs it, else
 * ../../tests/data from the binary (build/tests, build/asan/tests). The master
 * seed is 1, or $POWERCUT_TEST_SEED. Each test prints its cases' outcomes
 * (TAP comments) and, on a failure, the notes and a command that reproduces
 * it with the CLI.
 */
#include <math.h>
#include <string.h>
#include "testutil.h"
#include "runutil.h"
#include "run.h"

#define MIN_TRIALS 2000

static char   *data_dir;      /* tests/data */
static char   *root_dir;      /* the repository (scenarios/, lua/) */
static guint64 master_seed = 1;

/* ---- loading and running ---------------------------------------------------- */

static char *data_path(const char *file) { return g_build_filename(data_dir, file, NULL); }

static guint jobs_default(void) { return MAX(1u, g_get_num_processors()); }

static GPtrArray *cache;

/* A tests/data scenario with its own settings. */
static const Cached *results_of(const char *file)
{
    g_autofree char *path = data_path(file);
    g_autofree char *cli =
        g_strdup_printf("./powercut run %s -s %" G_GUINT64_FORMAT, path, master_seed);
    return cached_get(cache, file, path, NULL, cli, master_seed);
}

/* scenarios/barriers.lua, shipped settings except fewer, shorter runs. */
static const char *const barriers_sets[] = { "run.runs=4", "run.duration_s=4", "run.crash_from_s=1",
                                             "run.trials=2000", NULL };
static const Cached *results_of_barriers(void)
{
    g_autofree char *path = g_build_filename(root_dir, "scenarios", "barriers.lua", NULL);
    g_autofree char *cli = g_strdup_printf("./powercut run %s -s %" G_GUINT64_FORMAT
                                           " --set run.runs=4 --set run.duration_s=4 --set run.crash_from_s=1"
                                           " --set run.trials=2000",
                                           path, master_seed);
    return cached_get(cache, "scenarios/barriers.lua", path, barriers_sets, cli, master_seed);
}

/* ---- checks shared by the rows --------------------------------------------- */

static void print_case(const Cached *cc, const SimCaseResult *c)
{
    g_test_message("%s / %s: runs %u trials %" G_GUINT64_FORMAT " consistent %" G_GUINT64_FORMAT
                   " lost_fsync %" G_GUINT64_FORMAT " stale_data %" G_GUINT64_FORMAT " corrupt %" G_GUINT64_FORMAT
                   " unmountable %" G_GUINT64_FORMAT " p_inc %.9g",
                   cc->key, c->name, c->runs, c->trials, c->outcomes[SIM_OUT_CONSISTENT],
                   c->outcomes[SIM_OUT_LOST_FSYNC], c->outcomes[SIM_OUT_STALE_DATA], c->outcomes[SIM_OUT_CORRUPT],
                   c->outcomes[SIM_OUT_UNMOUNTABLE], c->p_inc);
}

/* On a failure: the per-run figures, the notes, and - when the sampled
 * trials missed a short bad state that the exact p_inc saw - the reasons
 * from a re-run of that run with many more cuts (answered from the same
 * record, so cheap). */
static void print_failure(const Cached *cc, const SimCaseResult *c)
{
    guint shown = 0;
    for (guint r = 0; r < c->runs; r++)
        if (c->run_pinc[r] != 0 || c->run_corrupt[r] || c->run_lost[r])
            g_test_message("  run %u: p_inc %.9g, corrupt %" G_GUINT64_FORMAT ", lost_fsync %" G_GUINT64_FORMAT
                           " of %" G_GUINT64_FORMAT " trials",
                           r, c->run_pinc[r], c->run_corrupt[r], c->run_lost[r], c->run_trials[r]);
    for (guint i = 0; i < c->notes->len; i++) {
        const SimTrialNote *n = g_ptr_array_index(c->notes, i);
        g_test_message("  note: run %u trial %" G_GUINT64_FORMAT " t=%.6fs %s: %s", n->run, n->trial,
                       sim_time_to_s(n->t), sim_outcome_name(n->outcome), n->reason ? n->reason : "(null)");
    }
    for (guint r = 0; r < c->runs && shown < 2; r++) {
        if (c->run_pinc[r] == 0)
            continue;
        shown++;
        SimRunOut out;
        sim_run_one(cc->sc, test_spec_of(cc->sc, c->name), master_seed, r, 1000000, TRUE, &out);
        for (guint i = 0; i < out.notes->len; i++) {
            const SimTrialNote *n = g_ptr_array_index(out.notes, i);
            g_test_message("  run %u, 1e6 cuts: t=%.6fs %s: %s", r, sim_time_to_s(n->t), sim_outcome_name(n->outcome),
                           n->reason ? n->reason : "(null)");
        }
        sim_run_out_clear(&out);
    }
    g_test_message("  reproduce: %s --case %s", cc->cli, c->name);
}

/* Bookkeeping every case must satisfy: >= 2000 trials, outcomes add up to
 * trials (DESIGN §3 "counts add up to trials"), the per-run clusters add up
 * to the totals, p_inc is the mean of the per-run fractions. */
static void check_bookkeeping(const SimCaseResult *c)
{
    g_assert_cmpuint(c->trials, >=, MIN_TRIALS);
    g_assert_cmpuint(c->runs, >=, 1);
    guint64 sum = 0, rt = 0, rc = 0, rl = 0;
    for (int k = 0; k < SIM_OUT_N; k++)
        sum += c->outcomes[k];
    g_assert_cmpuint(sum, ==, c->trials);
    double pinc = 0;
    for (guint r = 0; r < c->runs; r++) {
        g_assert_cmpuint(c->run_corrupt[r] + c->run_lost[r], <=, c->run_trials[r]);
        g_assert_cmpfloat(c->run_pinc[r], >=, 0.0);
        g_assert_cmpfloat(c->run_pinc[r], <=, 1.0 + 1e-12);
        rt += c->run_trials[r];
        rc += c->run_corrupt[r];
        rl += c->run_lost[r];
        pinc += c->run_pinc[r];
    }
    g_assert_cmpuint(rt, ==, c->trials);
    g_assert_cmpuint(rc, ==, c->outcomes[SIM_OUT_CORRUPT] + c->outcomes[SIM_OUT_UNMOUNTABLE]);
    g_assert_cmpuint(rl, ==, c->outcomes[SIM_OUT_LOST_FSYNC]);
    g_assert_cmpfloat_with_epsilon(c->p_inc, pinc / c->runs, 1e-12);
}

/* A "yes / yes" cell: no cut may lose an fsync or leave the file system
 * corrupt, unmountable or showing stale data. Exactly zero, and the exact
 * time-weighted p_inc (every instant of every run, not a sample) is 0. */
static void check_safe(const Cached *cc, const char *name)
{
    const SimCaseResult *c = test_case_of(cc->res, name);
    print_case(cc, c);
    check_bookkeeping(c);
    gboolean bad = c->outcomes[SIM_OUT_CONSISTENT] != c->trials || c->p_inc != 0 || c->notes->len > 0;
    for (guint r = 0; r < c->runs; r++)
        bad = bad || c->run_pinc[r] != 0;
    if (bad)
        print_failure(cc, c);
    g_assert_cmpuint(c->outcomes[SIM_OUT_CORRUPT], ==, 0);
    g_assert_cmpuint(c->outcomes[SIM_OUT_UNMOUNTABLE], ==, 0);
    g_assert_cmpuint(c->outcomes[SIM_OUT_STALE_DATA], ==, 0);
    g_assert_cmpuint(c->outcomes[SIM_OUT_LOST_FSYNC], ==, 0);
    g_assert_cmpuint(c->outcomes[SIM_OUT_CONSISTENT], ==, c->trials);
    g_assert_cmpfloat(c->p_inc, ==, 0.0);
    for (guint r = 0; r < c->runs; r++)
        g_assert_cmpfloat(c->run_pinc[r], ==, 0.0);
    g_assert_cmpuint(c->notes->len, ==, 0);
}

/* ---- row 1: barriers on, volatile 64 MiB cache (J1, J2, E1, E4) ------------- */

/* Every destage policy (fifo, clook, satf, random, window 32), small files
 * with fsync and an fsync'd append log, plus checkpoint/wrap-around cases:
 * SEMANTICS §10 row "on | volatile | honours flush" = fsync durable yes,
 * consistent yes. J1: no commit durable before its body; J2/E4: nothing an
 * acknowledged fsync covered is lost; E1: no stale data under data=ordered. */
static void test_barrier_on(gconstpointer data)
{
    check_safe(results_of("matrix-barrier-on.lua"), data);
}

/* ---- row 2: write-through drive, barriers off (D4, H4, H8, B1) ------------- */

/* SEMANTICS §10 row "off | none" = yes / yes. D4: without a cache no
 * completed write is lost; H8: cache off + nobarrier shows no lost fsync and
 * no corruption. */
static void test_write_through(gconstpointer data)
{
    const Cached *cc = results_of("matrix-write-through.lua");
    check_safe(cc, data);
    /* B1/D5: a device that reports no volatile cache receives zero flush
     * commands and no FUA writes, whatever the file system asks for. */
    const SimCaseResult *c = test_case_of(cc->res, data);
    g_assert_cmpuint(c->dev.flushes, ==, 0);
    g_assert_cmpuint(c->dev.fua_writes, ==, 0);
}

/* H4: on a write-through device nobarrier gives the same crash-outcome
 * distribution as barriers on. Both are the all-consistent distribution
 * (checked by the cells above); here: identical counts, clusters and p_inc. */
static void test_write_through_h4(void)
{
    const Cached *cc = results_of("matrix-write-through.lua");
    const SimCaseResult *off = test_case_of(cc->res, "smallfiles"), *on = test_case_of(cc->res, "smallfiles-barrier-on");
    print_case(cc, off);
    print_case(cc, on);
    check_bookkeeping(off);
    check_bookkeeping(on);
    g_assert_cmpuint(off->trials, ==, on->trials);
    for (int k = 0; k < SIM_OUT_N; k++)
        g_assert_cmpuint(off->outcomes[k], ==, on->outcomes[k]);
    g_assert_cmpfloat(off->p_inc, ==, on->p_inc);
    g_assert_cmpuint(off->runs, ==, on->runs);
    for (guint r = 0; r < off->runs; r++) {
        g_assert_cmpuint(off->run_corrupt[r], ==, on->run_corrupt[r]);
        g_assert_cmpuint(off->run_lost[r], ==, on->run_lost[r]);
    }
}

/* ---- row 3: volatile cache, barriers off (J4, E6) ---------------------------- */

/* SEMANTICS §10 row "off | volatile" = fsync durable no, consistent "may be
 * corrupt": J4 requires the simulator to produce corruption, E6 lost fsyncs,
 * with non-zero probability. Random destage among 32 writes, 64 MiB cache;
 * 40 runs of 2 s, because only about one run in 5-10 reaches a bad replay
 * state (see the scenario's header), so 4 runs would pass or fail by luck. */
static void test_barrier_off_random(void)
{
    const Cached *cc = results_of("matrix-barrier-off.lua");
    const SimCaseResult *c = test_case_of(cc->res, "random");
    print_case(cc, c);
    check_bookkeeping(c);
    g_assert_cmpuint(c->outcomes[SIM_OUT_CORRUPT] + c->outcomes[SIM_OUT_UNMOUNTABLE], >, 0); /* J4 */
    g_assert_cmpuint(c->outcomes[SIM_OUT_LOST_FSYNC], >, 0);                                  /* E6 */
    g_assert_cmpfloat(c->p_inc, >, 0.0);
}

/* The same row with the shipped scenario's default SATF destage order: the
 * front-door demo must show corruption with barriers off (J4, H2). */
static void test_barrier_off_satf_default(void)
{
    const Cached *cc = results_of_barriers();
    const SimCaseResult *c = test_case_of(cc->res, "barrier-off");
    print_case(cc, c);
    check_bookkeeping(c);
    const SimCaseSpec *cs = test_spec_of(cc->sc, "barrier-off");
    g_assert_cmpint(cs->dev.policy, ==, SIM_DESTAGE_SATF);
    g_assert_cmpint(cs->dev.cache_mb, >, 0);
    g_assert_false(cs->fs.barrier);
    g_assert_cmpuint(c->outcomes[SIM_OUT_CORRUPT] + c->outcomes[SIM_OUT_UNMOUNTABLE], >, 0);
    g_assert_cmpfloat(c->p_inc, >, 0.0);
    /* and its barrier-on case is a "yes / yes" cell (J1, J2, E4) */
    check_safe(cc, "barrier-on");
}

/* ---- row 4: every non-consistent note explains itself --------------------- */

typedef struct { guint notes, corrupt, lost, stale, unmountable; } NoteTally;

static void check_note(const SimCaseSpec *cs, guint runs, SimOutcome o, const char *reason, guint run, SimTime t,
                       NoteTally *tally)
{
    g_assert_cmpint(o, !=, SIM_OUT_CONSISTENT);
    g_assert_cmpint(o, <, SIM_OUT_N);
    g_assert_nonnull(reason);
    g_assert_cmpuint(strlen(reason), >, 0);
    g_assert_null(strchr(reason, '\n'));                      /* one line */
    g_assert_cmpuint(run, <, runs);
    g_assert_cmpint(t, >=, sim_time_from_s(cs->run.crash_from_s));
    g_assert_cmpint(t, <, sim_time_from_s(cs->run.duration_s));
    if (o == SIM_OUT_CORRUPT && !strstr(reason, "block "))
        g_test_message("corrupt note names no block: %s", reason);
    g_assert_true(o != SIM_OUT_CORRUPT || strstr(reason, "block ") != NULL);
    tally->notes++;
    tally->corrupt += o == SIM_OUT_CORRUPT;
    tally->lost += o == SIM_OUT_LOST_FSYNC;
    tally->stale += o == SIM_OUT_STALE_DATA;
    tally->unmountable += o == SIM_OUT_UNMOUNTABLE;
}

static void check_case_notes(const Cached *cc, const SimCaseResult *c, NoteTally *tally)
{
    const SimCaseSpec *cs = test_spec_of(cc->sc, c->name);
    for (guint i = 0; i < c->notes->len; i++) {
        const SimTrialNote *n = g_ptr_array_index(c->notes, i);
        check_note(cs, c->runs, n->outcome, n->reason, n->run, n->t, tally);
    }
}

static void test_notes(void)
{
    NoteTally tally = { 0 };
    /* The notes the reports carry, for every case of every scenario. */
    const Cached *all[] = { results_of("matrix-barrier-off.lua"), results_of_barriers(),
                            results_of("matrix-barrier-on.lua"), results_of("matrix-write-through.lua"),
                            results_of("matrix-lua.lua") };
    for (guint k = 0; k < G_N_ELEMENTS(all); k++)
        for (guint i = 0; i < all[k]->res->cases->len; i++)
            check_case_notes(all[k], g_ptr_array_index(all[k]->res->cases, i), &tally);
    /* The first notes of the first 8 runs of each barrier-off case (the
     * reports keep only the first few of a case, which may all be of one
     * kind). */
    const Cached *cc = results_of("matrix-barrier-off.lua");
    for (guint i = 0; i < cc->sc->cases->len; i++) {
        const SimCaseSpec *cs = g_ptr_array_index(cc->sc->cases, i);
        for (guint r = 0; r < MIN(8u, (guint)cs->run.runs); r++) {
            SimRunOut out;
            sim_run_one(cc->sc, cs, master_seed, r, 500, TRUE, &out);
            g_assert_null(out.error);
            for (guint j = 0; j < out.notes->len; j++) {
                const SimTrialNote *n = g_ptr_array_index(out.notes, j);
                check_note(cs, (guint)cs->run.runs, n->outcome, n->reason, n->run, n->t, &tally);
                g_assert_cmpuint(n->run, ==, r);
                g_assert_cmpuint(n->trial, <, out.trials);
            }
            sim_run_out_clear(&out);
        }
    }
    g_test_message("notes checked: %u (corrupt %u, lost_fsync %u, stale_data %u, unmountable %u)", tally.notes,
                   tally.corrupt, tally.lost, tally.stale, tally.unmountable);
    /* the barrier-off row produces both kinds (row 3), so both were checked */
    g_assert_cmpuint(tally.corrupt, >, 0);
    g_assert_cmpuint(tally.lost, >, 0);
}

/* ---- row 5: sampled trials agree with the exact p_inc ---------------------- */

/* Sampled cuts are uniform in [crash_from, duration) of each run and are
 * answered from the same piecewise record whose time-weighted fractions give
 * p_inc (DESIGN §5). So, given the runs, the corrupt count of run r is
 * exactly Binomial(n_r, p_r) with p_r = run_pinc[r]:
 *   E[rate] = Σ n_r p_r / N  (= p_inc up to the ±1 differences of n_r),
 *   Var[rate] = Σ n_r p_r (1 − p_r) / N².
 * (a) The report's 95% cluster CI (sim_stats_rate_ci) includes the
 *     between-run variance on top of that, with deff >= 1, and by Jensen
 *     Σ n_r p_r(1−p_r)/N² <= p̄(1−p̄)/N, so it is at least as wide as the true
 *     conditional interval: p_inc falls inside it at least 95% of the time.
 *     A fixed seed could still sit in the other 5% after a model change, so
 *     within 3 cluster standard errors (sqrt(deff·p(1−p)/N), false alarm
 *     < 0.3%) is accepted too - as the brief allows. At p = 0 or 1 the
 *     cluster SE is 0 and the Wilson interval alone decides.
 * (b) The exact conditional check: |rate − Σ n_r p_r / N| <= 4 σ (false
 *     alarm < 1e-4 under a correct model; σ = 0 means every p_r is 0 or 1
 *     and then the samples must agree exactly). This one is tight: a
 *     sampler or a fraction computation that is off by a bias of a few
 *     standard errors fails it. */
static void check_pinc_vs_sampled(const Cached *cc, const char *name)
{
    const SimCaseResult *c = test_case_of(cc->res, name);
    print_case(cc, c);
    check_bookkeeping(c);
    double rate, lo, hi, deff;
    sim_stats_rate_ci_deff(c->run_corrupt, c->run_trials, c->runs, &rate, &lo, &hi, &deff);
    double N = (double)c->trials;
    g_assert_cmpfloat_with_epsilon(rate, (c->outcomes[SIM_OUT_CORRUPT] + c->outcomes[SIM_OUT_UNMOUNTABLE]) / N,
                                   1e-12);
    double se_cluster = sqrt(deff * rate * (1 - rate) / N);
    gboolean inside = c->p_inc >= lo && c->p_inc <= hi;
    gboolean near = fabs(rate - c->p_inc) <= 3 * se_cluster;
    double expect = 0, var = 0;
    for (guint r = 0; r < c->runs; r++) {
        double p = CLAMP(c->run_pinc[r], 0.0, 1.0), n = (double)c->run_trials[r];
        expect += n * p;
        var += n * p * (1 - p);
    }
    expect /= N;
    var /= N * N;
    g_test_message("  sampled %.6f, CI [%.6f, %.6f], deff %.3g, cluster SE %.6f, p_inc %.6f; "
                   "conditional mean %.6f sd %.6f",
                   rate, lo, hi, deff, se_cluster, c->p_inc, expect, sqrt(var));
    if (!(inside || near))
        print_failure(cc, c);
    g_assert_true(inside || near);
    g_assert_cmpfloat(fabs(rate - expect), <=, 4 * sqrt(var) + 1e-9);
}

/* The other outcomes too: per run (the first 8), 500 cuts each,
 * SimRunOut.counts[k] vs frac[k]. Pooled over runs, Σcounts[k] is a sum of
 * independent binomials with mean Σ n_r frac_r[k]; same 4σ tolerance as (b). */
static void check_fractions_vs_counts(const Cached *cc, const char *name)
{
    const SimCaseSpec *cs = test_spec_of(cc->sc, name);
    double mean[SIM_OUT_N] = { 0 }, var[SIM_OUT_N] = { 0 }, cnt[SIM_OUT_N] = { 0 };
    guint64 trials = 0;
    for (guint r = 0; r < MIN(8u, (guint)cs->run.runs); r++) {
        SimRunOut out;
        sim_run_one(cc->sc, cs, master_seed, r, 500, TRUE, &out);
        g_assert_null(out.error);
        g_assert_cmpuint(out.trials, ==, 500);
        guint64 sum = 0;
        double fsum = 0;
        for (int k = 0; k < SIM_OUT_N; k++) {
            double f = CLAMP(out.frac[k], 0.0, 1.0);    /* a sum of pieces may round past 1 */
            sum += out.counts[k];
            fsum += out.frac[k];
            mean[k] += 500 * f;
            var[k] += 500 * f * (1 - f);
            cnt[k] += (double)out.counts[k];
        }
        g_assert_cmpuint(sum, ==, out.trials);
        g_assert_cmpfloat_with_epsilon(fsum, 1.0, 1e-9);
        trials += out.trials;
        sim_run_out_clear(&out);
    }
    for (int k = 0; k < SIM_OUT_N; k++) {
        g_test_message("  %s: sampled %.0f of %" G_GUINT64_FORMAT ", expected %.2f +- %.2f", sim_outcome_name(k),
                       cnt[k], trials, mean[k], sqrt(var[k]));
        g_assert_cmpfloat(fabs(cnt[k] - mean[k]), <=, 4 * sqrt(var[k]) + 1e-6);
    }
}

static void test_pinc_vs_sampled(void)
{
    const Cached *off = results_of("matrix-barrier-off.lua");
    /* the non-degenerate case: a 1 MiB cache drains often, so the bad state
     * comes and goes and the sampling actually has something to estimate */
    const SimCaseResult *c = test_case_of(off->res, "random-cache1m");
    g_assert_cmpfloat(c->p_inc, >, 0.0);
    g_assert_cmpfloat(c->p_inc, <, 1.0);
    check_pinc_vs_sampled(off, "random-cache1m");
    check_pinc_vs_sampled(off, "random");
    check_pinc_vs_sampled(off, "random-ckpt");
    check_pinc_vs_sampled(results_of_barriers(), "barrier-off");
    check_fractions_vs_counts(off, "random-cache1m");
    check_fractions_vs_counts(off, "random");
}

/* ---- row 6: the evaluator's skips only avoid work -------------------------- */

/* POWERCUT_EVAL_NOSKIP makes the evaluator recover and check the whole image
 * after every media change. The skips are claimed to be exact, so the same
 * run (same seed, same run index) must give identical counts and bitwise
 * identical time fractions, and the same trials must be the non-consistent
 * ones, for the same reasons. */
static void compare_skip_noskip(const Cached *cc, const char *name, guint run)
{
    const SimCaseSpec *cs = test_spec_of(cc->sc, name);
    SimRunOut fast, full;
    g_assert_null(g_getenv("POWERCUT_EVAL_NOSKIP"));
    sim_run_one(cc->sc, cs, master_seed, run, MIN_TRIALS, TRUE, &fast);
    g_setenv("POWERCUT_EVAL_NOSKIP", "1", TRUE);
    sim_run_one(cc->sc, cs, master_seed, run, MIN_TRIALS, TRUE, &full);
    g_unsetenv("POWERCUT_EVAL_NOSKIP");
    g_assert_null(fast.error);
    g_assert_null(full.error);
    g_test_message("%s / %s run %u: evals %" G_GUINT64_FORMAT " + skipped %" G_GUINT64_FORMAT
                   " vs no-skip evals %" G_GUINT64_FORMAT "; corrupt %.9g/%.9g lost %.9g/%.9g",
                   cc->key, name, run, fast.evals, fast.skipped, full.evals,
                   fast.frac[SIM_OUT_CORRUPT] + fast.frac[SIM_OUT_UNMOUNTABLE],
                   full.frac[SIM_OUT_CORRUPT] + full.frac[SIM_OUT_UNMOUNTABLE], fast.frac[SIM_OUT_LOST_FSYNC],
                   full.frac[SIM_OUT_LOST_FSYNC]);
    /* the two modes really differ in work, and the skips were exercised */
    g_assert_cmpuint(fast.skipped, >, 0);
    g_assert_cmpuint(full.skipped, ==, 0);
    g_assert_cmpuint(full.evals, >, fast.evals);
    /* the simulation itself is the same */
    g_assert_cmpuint(fast.ops, ==, full.ops);
    g_assert_cmpuint(fast.events, ==, full.events);
    g_assert_cmpuint(fast.trials, ==, full.trials);
    for (int k = 0; k < SIM_OUT_N; k++) {
        g_assert_cmpuint(fast.counts[k], ==, full.counts[k]);
        if (memcmp(&fast.frac[k], &full.frac[k], sizeof(double)) != 0)
            g_test_message("frac[%s]: %.17g with skips, %.17g without", sim_outcome_name(k), fast.frac[k],
                           full.frac[k]);
    }
    g_assert_cmpmem(fast.counts, sizeof fast.counts, full.counts, sizeof full.counts);
    g_assert_cmpmem(fast.frac, sizeof fast.frac, full.frac, sizeof full.frac);
    g_assert_cmpuint(fast.notes->len, ==, full.notes->len);
    for (guint i = 0; i < fast.notes->len; i++) {
        const SimTrialNote *a = g_ptr_array_index(fast.notes, i), *b = g_ptr_array_index(full.notes, i);
        g_assert_cmpuint(a->trial, ==, b->trial);
        g_assert_cmpint(a->t, ==, b->t);
        g_assert_cmpint(a->outcome, ==, b->outcome);
        g_assert_cmpstr(a->reason, ==, b->reason);
    }
    sim_run_out_clear(&fast);
    sim_run_out_clear(&full);
}

static void test_skip_exact(void)
{
    const char *prev = g_getenv("POWERCUT_EVAL_NOSKIP");
    g_autofree char *saved = g_strdup(prev);
    g_unsetenv("POWERCUT_EVAL_NOSKIP");
    const Cached *off = results_of("matrix-barrier-off.lua");
    compare_skip_noskip(off, "random", 0);
    compare_skip_noskip(off, "random", 1);
    compare_skip_noskip(off, "random-cache1m", 0);
    compare_skip_noskip(off, "random-ckpt", 0);
    compare_skip_noskip(results_of("matrix-barrier-on.lua"), "random-ckpt", 0);
    if (saved)
        g_setenv("POWERCUT_EVAL_NOSKIP", saved, TRUE);
}

/* ---- row 7: determinism ---------------------------------------------------- */

/* The cases the determinism checks run: random destage, a Lua workload,
 * corruption that comes and goes, checkpoints (kept few for the time budget). */
static const char *const det_off_cases[] = { "random-cache1m", "random-ckpt", NULL };

static GString *json_of(const char *file, guint64 seed, guint jobs)
{
    g_autofree char *path = data_path(file);
    g_autoptr(SimScenario) sc = test_load(path, NULL, seed);
    gboolean off = strcmp(file, "matrix-barrier-off.lua") == 0;
    g_autoptr(SimResults) r = test_run(sc, seed, jobs, off ? det_off_cases : NULL);
    g_assert_cmpuint(r->cases->len, ==, off ? G_N_ELEMENTS(det_off_cases) - 1 : sc->cases->len);
    return sim_report_json(r);
}

/* DESIGN §2: "results identical for any J"; a master seed fixes everything. */
static void test_determinism_jobs(gconstpointer data)
{
    const char *file = data;
    GString *j1 = json_of(file, master_seed, 1);
    GString *j2 = json_of(file, master_seed, 2);
    GString *j3 = json_of(file, master_seed, 3);
    g_assert_cmpuint(j1->len, >, 0);
    g_assert_cmpstr(j1->str, ==, j2->str);
    g_assert_cmpstr(j1->str, ==, j3->str);
    g_string_free(j1, TRUE);
    g_string_free(j2, TRUE);
    g_string_free(j3, TRUE);
}

static void test_determinism_same_seed(void)
{
    GString *a = json_of("matrix-barrier-off.lua", master_seed, jobs_default());
    GString *b = json_of("matrix-barrier-off.lua", master_seed, jobs_default());
    g_assert_cmpstr(a->str, ==, b->str);
    g_string_free(a, TRUE);
    g_string_free(b, TRUE);
}

/* Another seed gives other results - not just another "seed" field: with
 * random destage and random cut instants the outcomes change. */
static void test_determinism_other_seed(void)
{
    GString *a = json_of("matrix-barrier-off.lua", master_seed, jobs_default());
    GString *b = json_of("matrix-barrier-off.lua", master_seed + 1, jobs_default());
    g_assert_cmpstr(a->str, !=, b->str);
    g_autofree char *sa = g_strdup_printf("\"seed\": %" G_GUINT64_FORMAT ",", master_seed);
    g_autofree char *sb = g_strdup_printf("\"seed\": %" G_GUINT64_FORMAT ",", master_seed + 1);
    g_assert_nonnull(strstr(a->str, sa));
    g_assert_nonnull(strstr(b->str, sb));
    /* blank the seed field: the rest must still differ */
    g_string_replace(a, sa, "", 1);
    g_string_replace(b, sb, "", 1);
    g_assert_cmpstr(a->str, !=, b->str);
    g_string_free(a, TRUE);
    g_string_free(b, TRUE);
}

/* ---- row 8: a Lua workload end to end -------------------------------------- */

/* The number after "KEY": in the JSON object of case NAME. */
static double json_case_number(const char *json, const char *name, const char *key)
{
    g_autofree char *nk = g_strdup_printf("\"name\": \"%s\"", name);
    const char *c = strstr(json, nk);
    g_assert_nonnull(c);
    if (!c)
        return -1;
    g_autofree char *kk = g_strdup_printf("\"%s\": ", key);
    const char *v = strstr(c, kk);
    g_assert_nonnull(v);
    if (!v)
        return -1;
    const char *next = strstr(c + 1, "\"name\": \"");       /* not past this case's object */
    g_assert_true(!next || v < next);
    char *end = NULL;
    double x = g_ascii_strtod(v + strlen(kk), &end);
    g_assert_true(end != v + strlen(kk));
    return x;
}

/* workload.kind = "lua": ops(ctx) creates, writes, fsyncs, unlinks (and, in
 * the second case, renames over). Barriers on, volatile cache, random
 * destage: the "yes / yes" cell (J1, J2, E1, E4) whatever issued the ops. */
static void test_lua_workload(void)
{
    const Cached *cc = results_of("matrix-lua.lua");
    GString *json = sim_report_json(cc->res);
    for (guint i = 0; i < cc->sc->cases->len; i++) {
        const SimCaseSpec *cs = g_ptr_array_index(cc->sc->cases, i);
        g_assert_cmpint(cs->wl.kind, ==, SIM_WL_LUA);
        g_assert_true(cs->fs.barrier);
        g_assert_cmpint(cs->dev.cache_mb, >, 0);
        check_safe(cc, cs->name);
        double ops = json_case_number(json->str, cs->name, "ops_per_s");
        double fsyncs = json_case_number(json->str, cs->name, "fsyncs_per_s");
        g_test_message("  %s: ops_per_s %g fsyncs_per_s %g", cs->name, ops, fsyncs);
        g_assert_cmpfloat(ops, >, 0.0);
        g_assert_cmpfloat(fsyncs, >, 0.0);
        g_assert_cmpfloat(test_case_of(cc->res, cs->name)->ops_per_s, ==, ops);
        /* the ops were valid (no errors) and ran through the file system */
        SimRunOut out;
        sim_run_one(cc->sc, cs, master_seed, 0, MIN_TRIALS, TRUE, &out);
        g_assert_no_error(out.error);
        g_assert_cmpuint(out.errors, ==, 0);
        g_assert_cmpuint(out.ops, >, 0);
        g_assert_cmpuint(out.fsyncs, >, 0);
        g_assert_cmpuint(out.bytes, >, 0);
        g_assert_cmpuint(out.counts[SIM_OUT_CONSISTENT], ==, MIN_TRIALS);
        sim_run_out_clear(&out);
    }
    g_string_free(json, TRUE);
}

/* ---- main ---------------------------------------------------------------------- */

static void find_dirs(void)
{
    data_dir = test_find_data("matrix-barrier-on.lua", &root_dir, &master_seed);
}

static const char *const on_cases[] = { "fifo", "clook", "satf", "random", "random-4threads", "append-fifo",
                                        "append-satf", "append-random", "satf-ckpt", "random-ckpt",
                                        "append-random-ckpt" };
static const char *const wt_cases[] = { "smallfiles", "smallfiles-4threads", "append", "smallfiles-ckpt",
                                        "append-ckpt", "smallfiles-barrier-on" };

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* a failed cell should not hide the others */
    g_test_set_nonfatal_assertions();
    find_dirs();
    g_unsetenv("POWERCUT_EVAL_NOSKIP");
    cache = g_ptr_array_new_with_free_func(cached_free);

    for (guint i = 0; i < G_N_ELEMENTS(on_cases); i++) {
        g_autofree char *n = g_strdup_printf("/matrix/J1-J2-E1-E4/barrier-on-volatile/%s", on_cases[i]);
        g_test_add_data_func(n, on_cases[i], test_barrier_on);
    }
    for (guint i = 0; i < G_N_ELEMENTS(wt_cases); i++) {
        g_autofree char *n = g_strdup_printf("/matrix/D4-H4-H8-B1/write-through/%s", wt_cases[i]);
        g_test_add_data_func(n, wt_cases[i], test_write_through);
    }
    g_test_add_func("/matrix/H4/write-through/barrier-off-equals-on", test_write_through_h4);
    g_test_add_func("/matrix/J4-E6/barrier-off-volatile/random", test_barrier_off_random);
    g_test_add_func("/matrix/J4/barrier-off-volatile/barriers.lua-satf", test_barrier_off_satf_default);
    g_test_add_func("/matrix/notes/reasons", test_notes);
    g_test_add_func("/matrix/DESIGN5/p_inc-vs-sampled", test_pinc_vs_sampled);
    g_test_add_func("/matrix/eval/skips-exact", test_skip_exact);
    g_test_add_data_func("/matrix/determinism/jobs/barrier-off", "matrix-barrier-off.lua", test_determinism_jobs);
    g_test_add_data_func("/matrix/determinism/jobs/lua", "matrix-lua.lua", test_determinism_jobs);
    g_test_add_func("/matrix/determinism/same-seed", test_determinism_same_seed);
    g_test_add_func("/matrix/determinism/other-seed", test_determinism_other_seed);
    g_test_add_func("/matrix/J1-J2-E1-E4/lua-workload", test_lua_workload);

    int rc = g_test_run();
    g_ptr_array_free(cache, TRUE);
    g_free(data_dir);
    g_free(root_dir);
    return rc;
}

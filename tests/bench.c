/* tests/bench.c - throughput figures (make bench). Prints; asserts nothing
 * about time.
 *
 *   engine       schedule + dispatch of no-op events, ~1000 pending
 *   simulate     one run of a case with the crash evaluator off:
 *                simulated I/Os and events per wall second
 *   evaluate     the same run with the evaluator on (exact p_inc): cost ratio
 *   trials       sampled power cuts answered from a finished run's record
 *                (a run with BENCH_TRIALS trials minus the same run with 1)
 *   memory       peak RSS; media blocks touched vs file-system blocks
 *
 * Usage: build/tests/bench [SCENARIO.lua [CASE]]
 *        (default scenarios/barriers.lua barrier-off; run from the repo root)
 * Environment: BENCH_EVENTS (engine events, default 5000000),
 *              BENCH_TRIALS (sampled trials, default 2000000). */
#include "run.h"
#include "core/sim.h"
#include "blk/media.h"
#include "dev/hdd.h"
#include "fs/runner.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define SEED 1

static double now_s(void)
{
    return g_get_monotonic_time() / 1e6;
}

static guint64 env_u64(const char *name, guint64 dflt)
{
    const char *v = g_getenv(name);
    if (!v || !*v)
        return dflt;
    guint64 x = g_ascii_strtoull(v, NULL, 10);
    return x ? x : dflt;
}

/* ---- (a) the engine ----------------------------------------------------------- */

typedef struct {
    guint64 left;         /* events still to schedule */
    guint64 x;            /* xorshift state: cheap delays, no SimRng cost */
    guint64 mask;         /* delays uniform in [0, mask] ns */
} EngBench;

static inline guint64 xorshift(guint64 *s)
{
    guint64 x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static void eng_ev(SimWorld *w, gpointer obj, gint64 arg)
{
    EngBench *b = obj;
    if (b->left) {
        b->left--;
        sim_schedule_after(w, (SimTime)(xorshift(&b->x) & b->mask), eng_ev, b, arg);
    }
}

/* N events in total, `width` pending at any time; returns events/s. */
static double bench_engine(guint64 n, guint width, guint64 mask, guint64 *dispatched)
{
    SimWorld *w = sim_world_new(SEED, 0);
    EngBench b = { .left = n - width, .x = 0x9E3779B97F4A7C15ull, .mask = mask };
    double t0 = now_s();
    for (guint i = 0; i < width; i++)
        sim_schedule_at(w, (SimTime)(xorshift(&b.x) & mask), eng_ev, &b, i);
    sim_world_run(w, SIM_TIME_MAX);
    double el = now_s() - t0;
    *dispatched = w->dispatched;
    if (!sim_world_check(w) || w->dispatched != n)
        fprintf(stderr, "bench: engine dispatched %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT "\n",
                w->dispatched, n);
    sim_world_free(w);
    return el > 0 ? (double)n / el : 0;
}

/* ---- (b)-(d) one simulated run ------------------------------------------------ */

typedef struct {
    double  wall;          /* seconds */
    guint64 events, ios, media_writes, evals, skipped, trials;
    double  sim_seconds;
    gboolean failed;
} RunFig;

static RunFig timed_run(const SimScenario *sc, const SimCaseSpec *cs, guint run, guint64 trials, gboolean eval)
{
    SimRunOut out;
    RunFig f = { 0 };
    double t0 = now_s();
    sim_run_one(sc, cs, SEED, run, trials, eval, &out);
    f.wall = now_s() - t0;
    f.events = out.events;
    f.ios = out.dev.reads + out.dev.writes + out.dev.flushes;
    f.media_writes = out.dev.media_writes;
    f.evals = out.evals;
    f.skipped = out.skipped;
    f.trials = out.trials;
    f.sim_seconds = out.sim_seconds;
    if (out.error) {
        fprintf(stderr, "bench: run %u failed: %s\n", run, out.error->message);
        f.failed = TRUE;
    }
    sim_run_out_clear(&out);
    return f;
}

/* best (least wall time) of `reps` identical runs: the least disturbed by
 * whatever else the machine is doing */
static RunFig best_of(int reps, const SimScenario *sc, const SimCaseSpec *cs, guint64 trials, gboolean eval)
{
    RunFig best = { 0 };
    for (int i = 0; i < reps; i++) {
        RunFig f = timed_run(sc, cs, 0, trials, eval);
        if (i == 0 || f.wall < best.wall)
            best = f;
    }
    return best;
}

/* ---- (e) media footprint: the run of sim_run_one without the evaluator,
 * kept open so the media can be inspected. ---------------------------------------- */

static void media_footprint(const SimCaseSpec *cs, guint64 *touched, guint64 *fs_blocks, guint64 *dev_blocks)
{
    SimWorld *w = sim_world_new(SEED, 0);
    SimBlkDev *hdd = sim_hdd_new(w, &cs->dev);
    SimBlkDev *q = sim_blkq_new(w, hdd);
    SimFs *fs = sim_fs_new(w, &cs->fs, q, hdd->media, (guint)cs->wl.dirs);
    SimTime until = sim_time_from_s(cs->run.duration_s);
    SimRunner *rn = sim_runner_new(w, fs, &cs->wl, NULL, NULL, until);
    sim_world_run(w, until);
    *touched = sim_media_blocks_touched(hdd->media);
    *fs_blocks = sim_fs_layout(fs)->nblocks;
    *dev_blocks = sim_media_nblocks(hdd->media);
    sim_runner_free(rn);
    sim_fs_free(fs);
    sim_blkdev_free(q);
    sim_blkdev_free(hdd);
    sim_world_free(w);
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "scenarios/barriers.lua";
    const char *case_name = argc > 2 ? argv[2] : "barrier-off";
    guint64 n_events = env_u64("BENCH_EVENTS", 5000000);
    guint64 n_trials = env_u64("BENCH_TRIALS", 2000000);

    /* (a) */
    guint64 disp;
    double eps = bench_engine(n_events, 1000, (1u << 20) - 1, &disp);
    printf("engine:   %6.1f M events/s  (%" G_GUINT64_FORMAT " no-op events, ~1000 pending, random delays)\n",
           eps / 1e6, disp);
    eps = bench_engine(n_events, 1000, 0, &disp);
    printf("engine:   %6.1f M events/s  (%" G_GUINT64_FORMAT " no-op events, ~1000 pending, all at one instant)\n",
           eps / 1e6, disp);

    GError *err = NULL;
    SimScenario *sc = sim_scenario_load(path, NULL, SEED, &err);
    if (!sc) {
        fprintf(stderr, "bench: %s\n", err->message);
        g_error_free(err);
        return 1;
    }
    const SimCaseSpec *cs = NULL;
    for (guint i = 0; i < sc->cases->len && !cs; i++) {
        SimCaseSpec *c = g_ptr_array_index(sc->cases, i);
        if (!strcmp(c->name, case_name))
            cs = c;
    }
    if (!cs) {
        fprintf(stderr, "bench: %s: no case named '%s'\n", path, case_name);
        sim_scenario_free(sc);
        return 1;
    }
    printf("scenario: %s case %s, run 0 of seed %d: %g simulated s, cuts from %g s\n", path, cs->name, SEED,
           cs->run.duration_s, cs->run.crash_from_s);

    /* (b) evaluation off */
    RunFig plain = best_of(3, sc, cs, 0, FALSE);
    printf("simulate: %6.3f s wall for %g simulated s (%.1fx real time)\n", plain.wall, plain.sim_seconds,
           plain.wall > 0 ? plain.sim_seconds / plain.wall : 0);
    printf("simulate: %6.1f k I/Os/s  (%" G_GUINT64_FORMAT " device commands: reads+writes+flushes; "
           "%" G_GUINT64_FORMAT " media writes)\n",
           plain.wall > 0 ? plain.ios / plain.wall / 1e3 : 0, plain.ios, plain.media_writes);
    printf("simulate: %6.2f M events/s  (%" G_GUINT64_FORMAT " events)\n",
           plain.wall > 0 ? plain.events / plain.wall / 1e6 : 0, plain.events);

    /* (c) evaluation on, one trial */
    RunFig ev = best_of(3, sc, cs, 1, TRUE);
    printf("evaluate: %6.3f s wall with exact p_inc: %.2fx the plain run "
           "(%" G_GUINT64_FORMAT " evaluations, %" G_GUINT64_FORMAT " skipped; %.1f k evaluations per extra s)\n",
           ev.wall, plain.wall > 0 ? ev.wall / plain.wall : 0, ev.evals, ev.skipped,
           ev.wall > plain.wall ? ev.evals / (ev.wall - plain.wall) / 1e3 : 0);

    /* (d) sampled trials */
    RunFig many = best_of(3, sc, cs, n_trials, TRUE);
    double dt = many.wall - ev.wall;
    if (dt > 0)
        printf("trials:   %6.2f M trials/s  (%" G_GUINT64_FORMAT " trials in %.3f s beyond the 1-trial run)\n",
               many.trials / dt / 1e6, many.trials, dt);
    else
        printf("trials:   too fast to measure (%" G_GUINT64_FORMAT " trials)\n", many.trials);

    /* (e) */
    guint64 touched, fs_blocks, dev_blocks;
    media_footprint(cs, &touched, &fs_blocks, &dev_blocks);
    printf("media:    %" G_GUINT64_FORMAT " blocks touched of %" G_GUINT64_FORMAT " fs blocks (%.1f%%; "
           "device %" G_GUINT64_FORMAT " blocks)\n",
           touched, fs_blocks, fs_blocks ? 100.0 * touched / fs_blocks : 0, dev_blocks);
    /* (f) RAID-5 of 8 drives: host commands and member media writes per
     * wall second (parity read-modify-write included) */
    const char *r5path = g_getenv("BENCH_RAID5") ? g_getenv("BENCH_RAID5") : "tests/data/bench-raid5.lua";
    SimScenario *r5 = sim_scenario_load(r5path, NULL, SEED, &err);
    gboolean r5_failed = !r5;
    if (!r5) {
        fprintf(stderr, "bench: %s\n", err->message);
        g_clear_error(&err);
    }
    for (guint i = 0; r5 && i < r5->cases->len; i++) {
        const SimCaseSpec *c = g_ptr_array_index(r5->cases, i);
        RunFig f = best_of(3, r5, c, 0, FALSE);
        r5_failed |= f.failed;
        printf("raid5:    %6.1f k I/Os/s  (RAID-5 of %" G_GINT64_FORMAT " drives, case %s: %" G_GUINT64_FORMAT
               " host commands and %" G_GUINT64_FORMAT " member media writes in %.3f s wall for %g simulated s)\n",
               f.wall > 0 ? f.ios / f.wall / 1e3 : 0, c->raid.disks, c->name, f.ios, f.media_writes, f.wall,
               f.sim_seconds);
    }
    if (r5)
        sim_scenario_free(r5);

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("memory:   %6.1f MiB peak RSS\n", ru.ru_maxrss / 1024.0);

    sim_scenario_free(sc);
    return plain.failed || ev.failed || many.failed || r5_failed;
}

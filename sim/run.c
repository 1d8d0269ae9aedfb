/* sim/run.c - cases -> runs -> trials -> results. */
#include "run.h"
#include "crash/crash.h"
#include "crash/states.h"
#include "blk/media.h"
#include "fs/runner.h"
#include "fs/app.h"
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAX_NOTES 5

typedef struct {
    SimLuaWorkload *lw;
} LuaGen;

static gboolean lua_gen(gpointer ud, guint thread, guint64 iteration, GArray *ops, GError **error)
{
    LuaGen *g = ud;
    return sim_lua_workload_next(g->lw, thread, iteration, ops, error);
}

void sim_run_out_clear(SimRunOut *o)
{
    if (o->op_lat_ms)
        g_array_free(o->op_lat_ms, TRUE);
    if (o->fsync_lat_ms)
        g_array_free(o->fsync_lat_ms, TRUE);
    if (o->notes)
        g_ptr_array_free(o->notes, TRUE);
    if (o->all)
        g_ptr_array_free(o->all, TRUE);
    g_free(o->states.w_reason);
    g_clear_error(&o->error);
    memset(o, 0, sizeof *o);
}

static SimTrialNote *note_new(guint run, guint64 trial, SimTime t, SimOutcome o, const char *why)
{
    SimTrialNote *n = g_new0(SimTrialNote, 1);
    n->run = run;
    n->trial = trial;
    n->t = t;
    n->outcome = o;
    n->reason = g_strdup(why);
    return n;
}

/* ---- --crash-states exhaustive ------------------------------------------------ */

typedef struct { SimTime t; guint64 k; } Cut;

static gint cmp_cut(gconstpointer a, gconstpointer b)
{
    const Cut *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->k < y->k ? -1 : x->k > y->k;
}

static SimToken media_get(gconstpointer ud, guint64 block) { return sim_media_get(ud, block); }

/* Stop the simulation at each sampled cut in time order (the instants run
 * draws, so trial K is explain's trial K) and judge every crash state an
 * honest device could have left there; the run then continues, so the
 * history is the one the timed evaluation sees. */
static void states_at_cuts(SimWorld *w, SimFs *fs, SimBlkDev *pl, SimMedia *m, SimRunner *rn, guint64 seed,
                           guint run, SimTime from, SimTime until, guint64 trials, guint max_pending,
                           SimCrashStatesSummary *sum)
{
    Cut *cuts = g_new(Cut, MAX(trials, 1));
    SimRng cr, sr;
    sim_rng_seed(&cr, seed, run, "cuts");       /* the same draws as the timed trials */
    for (guint64 k = 0; k < trials; k++) {
        cuts[k].t = from + (SimTime)sim_rng_below(&cr, (guint64)(until - from));
        cuts[k].k = k;
    }
    qsort(cuts, trials, sizeof(Cut), (int (*)(const void *, const void *))cmp_cut);
    sim_rng_seed(&sr, seed, run, "states");
    SimChecker *chk = sim_checker_new(fs);
    const SimFsLayout *L = sim_fs_layout(fs);
    sum->max_pending = max_pending;
    sum->samples = SIM_RUN_STATE_SAMPLES;
    for (guint64 i = 0; i < trials; i++) {
        sim_world_run(w, cuts[i].t);
        if (sim_runner_stats(rn)->error || sim_fs_fatal(fs))
            break;
        GArray *pend = sim_pend_track_pending(sim_pend_layer_track(pl), media_get, m);
        for (guint j = 0; j < pend->len; j++) {
            SimPendWrite *p = &g_array_index(pend, SimPendWrite, j);
            p->data = sim_fs_loc(L, p->block) == SIM_LOC_DATA;
        }
        g_array_sort(pend, sim_pend_cmp);
        SimMediaJudge jd = { chk, m, sim_fs_promises(fs) };
        SimCrashStates st;
        sim_crash_states_run(&st, pend, max_pending, SIM_RUN_STATE_SAMPLES, &sr, sim_media_judge, &jd);
        g_ptr_array_free(jd.promises, TRUE);
        sim_crash_states_summary_add(sum, &st, run, cuts[i].k, cuts[i].t, NULL);
        sim_crash_states_clear(&st);
        g_array_free(pend, TRUE);
    }
    sim_checker_free(chk);
    g_free(cuts);
}

static void run_one(const SimScenario *sc, const SimCaseSpec *cs, guint64 seed, guint run, guint64 trials,
                    gboolean evaluate, gboolean keep_trials, guint states_max, SimRunOut *out)
{
    memset(out, 0, sizeof *out);
    out->notes = g_ptr_array_new_with_free_func(sim_trial_note_free);
    if (keep_trials)
        out->all = g_ptr_array_new_with_free_func(sim_trial_note_free);
    SimWorld *w = sim_world_new(seed, run);
    /* the device model (sim/dev/device.h); ->media is the durable image to judge */
    SimBlkDev *hdd = sim_device_build(w, cs->dev_model, &cs->dev, &cs->raid, &cs->ssd);
    /* --crash-states exhaustive: a pass-through tracker of what reached the drive */
    SimBlkDev *pl = states_max && evaluate ? sim_pend_layer_new(w, hdd) : NULL;
    SimBlkDev *q = sim_blkq_new(w, pl ? pl : hdd);
    SimFs *fs = sim_fs_new(w, &cs->fs, q, hdd->media, (guint)cs->wl.dirs);
    SimTime from = sim_time_from_s(cs->run.crash_from_s), until = sim_time_from_s(cs->run.duration_s);
    SimCrashEval *ev = evaluate ? sim_crash_eval_new(w, fs, hdd->media, from) : NULL;
    LuaGen lg = { NULL };
    if (cs->wl.kind == SIM_WL_LUA) {
        lg.lw = sim_lua_workload_new(sc, cs, seed, run, &out->error);
        if (!lg.lw)
            goto done;
    }
    SimRunner *rn = sim_runner_new(w, fs, &cs->wl, lg.lw ? lua_gen : NULL, &lg, until);
    SimApp *app = sim_app_new(fs, &cs->wl);      /* application workloads judge their own outcome */
    if (app) {
        sim_runner_set_app(rn, app);
        if (ev)
            sim_crash_eval_set_app(ev, app);
        out->has_app = TRUE;
    }
    if (pl) {
        out->has_states = TRUE;
        states_at_cuts(w, fs, pl, hdd->media, rn, seed, run, from, until, trials, states_max, &out->states);
    }
    sim_world_run(w, until);
    const SimRunnerStats *st = sim_runner_stats(rn);
    if (st->error)
        out->error = g_error_copy(st->error);
    else if (sim_fs_fatal(fs))
        out->error = g_error_new(SIM_PARAMS_ERROR, SIM_PARAMS_ERROR_VALUE, "%s: case %s: %s", sc->path, cs->name, sim_fs_fatal(fs));
    out->ops = st->ops;
    out->bytes = st->bytes;
    out->fsyncs = st->fsyncs;
    out->errors = st->errors;
    out->op_lat_ms = g_array_copy(st->op_lat_ms);
    out->fsync_lat_ms = g_array_copy(st->fsync_lat_ms);
    out->sim_seconds = sim_time_to_s(until);
    out->events = w->dispatched;
    if (hdd->ops->get_stats)
        hdd->ops->get_stats(hdd, &out->dev);
    sim_runner_free(rn);
    if (ev && out->error) {
        sim_crash_eval_free(ev);             /* the run stopped early: nothing to judge */
        ev = NULL;
    }
    if (ev) {
        sim_crash_eval_finish(ev, until);
        sim_crash_eval_fractions(ev, out->frac);
        out->evals = sim_crash_eval_count(ev);
        out->skipped = sim_crash_eval_skipped(ev);
        /* sampled cuts, uniform in [from, until): answered from the record */
        SimRng *rng = sim_world_rng(w, "cuts");
        for (guint64 k = 0; k < trials; k++) {
            SimTime t = from + (SimTime)sim_rng_below(rng, (guint64)(until - from));
            const char *why = NULL;
            SimOutcome o = sim_crash_eval_at(ev, t, &why);
            out->counts[o]++;
            if (app)
                out->app_counts[sim_crash_eval_app_at(ev, t)]++;
            if (o != SIM_OUT_CONSISTENT && out->counts[o] <= MAX_NOTES)   /* the first few of each class */
                g_ptr_array_add(out->notes, note_new(run, k, t, o, why));
            if (out->all)
                g_ptr_array_add(out->all, note_new(run, k, t, o, why));
        }
        out->trials = trials;
        sim_crash_eval_free(ev);
    }
    sim_app_free(app);
done:
    if (lg.lw)
        sim_lua_workload_free(lg.lw);
    sim_fs_free(fs);
    sim_blkdev_free(q);
    sim_blkdev_free(pl);
    sim_blkdev_free(hdd);
    g_assert(sim_world_check(w));
    sim_world_free(w);
}

void sim_run_one(const SimScenario *sc, const SimCaseSpec *cs, guint64 seed, guint run, guint64 trials,
                 gboolean evaluate, SimRunOut *out)
{
    run_one(sc, cs, seed, run, trials, evaluate, FALSE, 0, out);
}

void sim_run_one_states(const SimScenario *sc, const SimCaseSpec *cs, guint64 seed, guint run, guint64 trials,
                        guint max_pending, SimRunOut *out)
{
    g_assert(max_pending >= 1 && (cs->dev_model != SIM_DEV_RAID || cs->raid.failed_member < 0));
    run_one(sc, cs, seed, run, trials, TRUE, FALSE, max_pending, out);
}

/* ---- the pool -------------------------------------------------------------- */

typedef struct {
    const SimScenario *sc;
    const SimCaseSpec *cs;
    guint64 seed, trials;
    guint run;
    gboolean keep;
    guint states_max;          /* --crash-states exhaustive: --max-pending, else 0 */
    SimRunOut out;
} Task;

typedef struct {
    GMutex   lock;
    guint    done, total;
    gboolean progress;
    gint64   t0;
} Progress;

static void progress_draw(Progress *p)
{
    double frac = p->total ? (double)p->done / p->total : 1;
    double el = (g_get_monotonic_time() - p->t0) / 1e6;
    double eta = p->done ? el / p->done * (p->total - p->done) : 0;
    int width = 30, fill = (int)(frac * width);
    fprintf(stderr, "\r[%.*s%*s] %u/%u runs  %3.0f%%  ETA %4.0fs", fill, "##############################",
            width - fill, "", p->done, p->total, frac * 100, eta);
    if (p->done == p->total)
        fputs("\r\033[K", stderr);
    fflush(stderr);
}

static void worker(gpointer data, gpointer user)
{
    Task *t = data;
    Progress *p = user;
    run_one(t->sc, t->cs, t->seed, t->run, t->trials, TRUE, t->keep, t->states_max, &t->out);
    g_mutex_lock(&p->lock);
    p->done++;
    if (p->progress)
        progress_draw(p);
    g_mutex_unlock(&p->lock);
}

static gboolean case_selected(const SimRunOpts *o, const SimCaseSpec *cs)
{
    if (!o->cases)
        return TRUE;
    for (char **c = o->cases; *c; c++)
        if (sim_case_matches(cs, *c))
            return TRUE;
    return FALSE;
}

/* Whether run r of a case belongs to the shard (all runs when not sharded). */
static gboolean in_shard(const SimRunOpts *o, guint r)
{
    return o->shard_n == 0 || r % o->shard_n == o->shard_k - 1;
}

void sim_case_echo_params(SimCaseResult *cr, const SimSchema *s, gconstpointer cfg, const char *prefix)
{
    for (guint i = 0; i < s->n; i++) {
        const SimParam *p = &s->params[i];
        g_autofree char *v = sim_params_value_str(p, cfg);
        g_autofree char *k = g_strdup_printf("%s.%s", prefix, p->name);
        SimParamValueKind kind = p->type == SIM_PT_BOOL                             ? SIM_PV_BOOL
                                 : p->type == SIM_PT_INT || p->type == SIM_PT_DOUBLE ? SIM_PV_NUMBER
                                                                                      : SIM_PV_STRING;
        sim_case_result_add_param(cr, k, v, kind);
    }
}

void sim_case_echo_device(SimCaseResult *cr, const SimCaseSpec *cs)
{
    if (cs->dev_model == SIM_DEV_SSD)
        sim_case_echo_params(cr, &sim_ssd_schema, &cs->ssd, "device");
    else
        sim_case_echo_params(cr, &sim_hdd_schema, &cs->dev, "device");
    if (cs->dev_model == SIM_DEV_RAID)
        sim_case_echo_params(cr, &sim_raid_schema, &cs->raid, "raid");
}

/* The case's figures from the runs it ran (all, or a shard's slice), in run
 * order: through SimCaseData, exactly as `powercut merge` rebuilds them. */
/* The crash states of the case's runs, in run order (the smallest witness
 * wins; ties go to the earlier run). */
static void aggregate_states(SimCaseResult *cr, Task *tasks, guint runs)
{
    SimCrashStatesSummary *s = NULL;
    for (guint r = 0; r < runs; r++) {
        const SimRunOut *o = &tasks[r].out;
        if (!tasks[r].cs || !o->has_states)
            continue;
        const SimCrashStatesSummary *x = &o->states;
        if (!s) {
            s = g_new0(SimCrashStatesSummary, 1);
            s->max_pending = x->max_pending;
            s->samples = x->samples;
        }
        s->cuts += x->cuts;
        s->states += x->states;
        s->sampled_cuts += x->sampled_cuts;
        s->bad_cuts += x->bad_cuts;
        s->max_free = MAX(s->max_free, x->max_free);
        for (int k = 0; k < SIM_OUT_N; k++)
            s->counts[k] += x->counts[k];
        if (x->have_witness && (!s->have_witness || x->w_size < s->w_size)) {
            g_free(s->w_reason);
            s->have_witness = TRUE;
            s->w_run = x->w_run;
            s->w_trial = x->w_trial;
            s->w_t = x->w_t;
            s->w_size = x->w_size;
            s->w_free = x->w_free;
            s->w_sampled = x->w_sampled;
            s->w_outcome = x->w_outcome;
            s->w_reason = g_strdup(x->w_reason);
        }
    }
    cr->cstates = s;
}

static void aggregate(SimCaseResult *cr, Task *tasks, guint runs)
{
    SimCaseData *d = sim_case_data_new();
    for (guint r = 0; r < runs; r++) {
        SimRunOut *o = &tasks[r].out;
        if (!tasks[r].cs)                  /* not in this shard */
            continue;
        SimRunSummary s = { .run = r, .trials = o->trials, .sim_seconds = o->sim_seconds,
                            .ops = o->ops, .bytes = o->bytes, .fsyncs = o->fsyncs, .dev = o->dev };
        memcpy(s.counts, o->counts, sizeof s.counts);
        s.has_app = o->has_app;
        memcpy(s.app, o->app_counts, sizeof s.app);
        s.pinc = o->frac[SIM_OUT_CORRUPT] + o->frac[SIM_OUT_UNMOUNTABLE];
        s.notes = g_steal_pointer(&o->notes);
        sim_case_data_add_run(d, &s);
        sim_lat_hist_add_ms(d->op_hist, (const double *)o->op_lat_ms->data, o->op_lat_ms->len);
        sim_lat_hist_add_ms(d->fsync_hist, (const double *)o->fsync_lat_ms->data, o->fsync_lat_ms->len);
    }
    sim_case_result_aggregate(cr, d);
}

static void trials_rows(GString *g, const char *name, Task *tasks, guint runs)
{
    for (guint r = 0; r < runs; r++) {
        GPtrArray *all = tasks[r].out.all;
        for (guint i = 0; all && i < all->len; i++) {
            SimTrialNote *n = g_ptr_array_index(all, i);
            char ts[32];
            sim_csv_quote(g, name);
            g_string_append_printf(g, ",%u,%" G_GUINT64_FORMAT ",%s,%s,", n->run, n->trial,
                                   g_ascii_formatd(ts, sizeof ts, "%.9f", sim_time_to_s(n->t)),
                                   sim_outcome_name(n->outcome));
            sim_csv_quote(g, n->reason ? n->reason : "");
            g_string_append_c(g, '\n');
        }
    }
}

SimResults *sim_run_scenario(const SimScenario *sc, const SimRunOpts *o, GError **error)
{
    return sim_run_scenario_trials(sc, o, NULL, error);
}

SimResults *sim_run_scenario_trials(const SimScenario *sc, const SimRunOpts *o, GString **trials_csv, GError **error)
{
    if (trials_csv)
        *trials_csv = g_string_new("case,run,trial,t_s,outcome,reason\n");
    g_autoptr(SimResults) res = sim_results_new(sc->path, o->seed);
    GPtrArray *sel = g_ptr_array_new();
    for (guint i = 0; i < sc->cases->len; i++) {
        SimCaseSpec *cs = g_ptr_array_index(sc->cases, i);
        if (case_selected(o, cs))
            g_ptr_array_add(sel, cs);
    }
    if (o->shard_n)
        res->shard = g_strdup_printf("%u/%u", o->shard_k, o->shard_n);
    guint total = 0;
    for (guint i = 0; i < sel->len; i++)
        for (guint r = 0; r < ((SimCaseSpec *)g_ptr_array_index(sel, i))->run.runs; r++)
            total += in_shard(o, r);
    Task **tasks = g_new0(Task *, sel->len);
    Progress prog = { .total = total, .progress = o->progress, .t0 = g_get_monotonic_time() };
    g_mutex_init(&prog.lock);
    GThreadPool *pool = g_thread_pool_new(worker, &prog, MAX(1, o->jobs), TRUE, NULL);
    for (guint i = 0; i < sel->len; i++) {
        SimCaseSpec *cs = g_ptr_array_index(sel, i);
        guint runs = (guint)cs->run.runs;
        guint64 trials = o->trials >= 0 ? (guint64)o->trials : (guint64)cs->run.trials;
        tasks[i] = g_new0(Task, runs);
        for (guint r = 0; r < runs; r++) {
            Task *t = &tasks[i][r];
            if (!in_shard(o, r))
                continue;                  /* another shard's run: t->cs stays NULL */
            t->sc = sc;
            t->cs = cs;
            t->seed = o->seed;
            t->run = r;
            t->keep = o->keep_trials;
            t->states_max = o->exhaustive ? MAX(o->max_pending, 1) : 0;
            t->trials = trials / runs + (r < trials % runs ? 1 : 0);
            g_thread_pool_push(pool, t, NULL);
        }
    }
    g_thread_pool_free(pool, FALSE, TRUE);
    g_mutex_clear(&prog.lock);
    gboolean ok = TRUE;
    for (guint i = 0; i < sel->len; i++) {
        SimCaseSpec *cs = g_ptr_array_index(sel, i);
        guint runs = (guint)cs->run.runs;
        for (guint r = 0; r < runs && ok; r++)
            if (tasks[i][r].out.error) {
                g_propagate_error(error, g_error_copy(tasks[i][r].out.error));
                ok = FALSE;
            }
        if (ok) {
            guint mine = 0;
            for (guint r = 0; r < runs; r++)
                mine += in_shard(o, r);
            SimCaseResult *cr = sim_case_result_new(cs->name, mine);
            sim_case_echo_params(cr, &sim_run_schema, &cs->run, "run");
            sim_case_echo_device(cr, cs);
            sim_case_echo_params(cr, &sim_fs_schema, &cs->fs, "fs");
            sim_case_echo_params(cr, &sim_workload_schema, &cs->wl, "workload");
            sim_sweep_echo(cs, cr);
            aggregate_states(cr, tasks[i], runs);
            aggregate(cr, tasks[i], runs);
            g_ptr_array_add(res->cases, cr);
            if (trials_csv)
                trials_rows(*trials_csv, cs->name, tasks[i], runs);
        }
        for (guint r = 0; r < runs; r++)
            sim_run_out_clear(&tasks[i][r].out);
        g_free(tasks[i]);
    }
    g_free(tasks);
    g_ptr_array_free(sel, TRUE);
    return ok ? g_steal_pointer(&res) : NULL;
}

/* sim/main.c - the powercut command line (DESIGN §2).
 * Exit status: 0 success; 2 bad usage or bad input; 3 a scenario's
 * expectations failed; 1 any other failure. */
#include "cli.h"
#include "run.h"
#include "cmd-results.h"
#include "explain/explain.h"
#include "capture/capture.h"
#include "explain/quiz.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <locale.h>

#define EXIT_BAD_INPUT 2
#define EXIT_EXPECT 3

static const char *const summary =
    "powercut - what survives a power cut? A discrete-event simulator of the Linux storage stack:\n"
    "a jbd2-style journaling file system, the block layer's PREFLUSH/FUA, and disks, SSDs and RAID\n"
    "controllers with volatile or battery-backed caches (and devices that lie). It cuts power at\n"
    "random instants, recovers (journal replay, then an fsck-style check) and reports corruption\n"
    "and data-loss rates with 95% CIs beside throughput.";

static const char *const commands =
    "Commands:\n"
    "  run SCENARIO.lua [options]    simulate every case of the scenario and report\n"
    "                                (--sweep NAME=V1,V2: each value a case; --shard K/N: a slice)\n"
    "  plot RESULTS.json [-o DIR] [--format png|svg] [--kind K]\n"
    "                                comparison plots (rates, throughput, tradeoff, sweep, latency)\n"
    "  merge SHARD.json... [-o FILE] [--csv FILE]\n"
    "                                combine --shard results: exactly the unsharded result\n"
    "  explain SCENARIO.lua --case NAME (--trial K [--run R] | --first OUTCOME | --at SECONDS)\n"
    "                                one power cut block by block: where each write was, what the cut\n"
    "                                destroyed, recovery, the verdict and why (--json, --plot)\n"
    "  capture [--fs ext4] [--size S] [--mount-opts O] -o TRACE -- COMMAND [ARGS...]   (root)\n"
    "                                record a real ext4's (xfs's, btrfs's) writes, flushes and marks\n"
    "                                while COMMAND runs\n"
    "  mark [--promise] NAME         inside a captured COMMAND: add a mark to the trace (--promise:\n"
    "                                after fsync() returned; replay judges lost fsyncs by it)\n"
    "  replay TRACE [--scenario S.lua | --preset P] [-n N] [-j J] [--json FILE] ...\n"
    "                                a captured (or imported: dm-log-writes, blkparse, MSR CSV) trace\n"
    "                                through simulated devices; crash images (sampled, every change,\n"
    "                                or every state at each flush: --crash-states exhaustive) judged\n"
    "                                by e2fsck, xfs_repair or btrfs check\n"
    "  show-trace TRACE              the records of a trace, one per line\n"
    "  quiz [--seed S] [--solve]     a generated write-ordering exercise (writes, flags, a volatile\n"
    "                                cache, flushes, a power cut): which crash states are possible?\n"
    "  list [scenarios | presets | params SCENARIO.lua]\n"
    "                                shipped scenarios, device presets (lua/presets.lua) with their\n"
    "                                key parameters, or every parameter a scenario can set\n"
    "  help [COMMAND]                this text, or a command's options (run, explain, quiz, plot,\n"
    "                                merge, capture, replay)\n"
    "  --version                     print the version\n"
    "\n"
    "Exit status: 0 ok, 2 bad usage or input, 3 a scenario's expectations failed, 1 other failure.\n"
    "Examples:\n"
    "  powercut run scenarios/barriers.lua\n"
    "  powercut run scenarios/barriers.lua -n 5000 -j 2 --set device.cache_mb=32 --json out.json\n"
    "  powercut run scenarios/cache-sweep.lua --out out/sweep      (results and plots)\n"
    "  powercut run scenarios/barriers.lua --sweep cache_mb=0,16,64 --out out/cache\n"
    "  powercut run scenarios/barriers.lua --shard 1/4 --json s1.json   (... 4/4, then:)\n"
    "  powercut merge s1.json s2.json s3.json s4.json -o all.json\n"
    "  powercut run scenarios/ssd-plp.lua --set plp_report=no-cache   (SSDs: device.model = \"ssd\")\n"
    "  powercut run scenarios/tutorial/04-barriers.lua -n 40 --crash-states exhaustive\n"
    "  powercut quiz --seed 7 --solve\n"
    "  powercut list presets\n"
    "  powercut list params scenarios/barriers.lua\n";

static void die_usage(const char *fmt, ...) G_GNUC_PRINTF(1, 2) G_GNUC_NORETURN;
static void die_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = sim_cli_vusage(fmt, ap);
    va_end(ap);
    exit(r);
}

static int fail(int status, GError *err)
{
    fprintf(stderr, "powercut: %s\n", err->message);
    g_error_free(err);
    return status;
}

/* ---- run --------------------------------------------------------------------- */

static gint64 opt_trials = G_MININT64;   /* not given */
static gint64 opt_seed = 1;
static gint opt_jobs = 0;
static char **opt_set = NULL;
static char **opt_case = NULL;
static char *opt_json = NULL;
static char *opt_csv = NULL;
static char *opt_out = NULL;
static char *opt_trials_csv = NULL;
static gboolean opt_quiet = FALSE;
static char *opt_shard = NULL;
static char **opt_sweep = NULL;
static char *opt_crash_states = NULL;
static gint64 opt_max_pending = G_MININT64;   /* not given */

static const GOptionEntry run_entries[] = {
    { "trials", 'n', 0, G_OPTION_ARG_INT64, &opt_trials, "Sampled power cuts per case (default: the scenario's)", "N" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &opt_seed, "Master seed (default 1)", "S" },
    { "jobs", 'j', 0, G_OPTION_ARG_INT, &opt_jobs, "Worker threads (default: cores); results identical for any J", "J" },
    { "set", 'D', 0, G_OPTION_ARG_STRING_ARRAY, &opt_set,
      "Override a parameter: a declared scenario parameter, or device.KEY / fs.KEY / workload.KEY / run.KEY (repeatable)",
      "NAME=VALUE" },
    { "case", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_case,
      "Run only this case, or every point of a swept case (repeatable)", "NAME" },
    { "sweep", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_sweep,
      "Sweep a parameter: each value becomes a case (adds to or replaces the scenario's sweep; repeatable)",
      "NAME=V1,V2" },
    { "shard", 0, 0, G_OPTION_ARG_STRING, &opt_shard,
      "Run the K-th of N deterministic slices of every case's runs (1-based); combine with powercut merge", "K/N" },
    { "json", 0, 0, G_OPTION_ARG_FILENAME, &opt_json, "Write results as JSON (- for stdout)", "FILE" },
    { "csv", 0, 0, G_OPTION_ARG_FILENAME, &opt_csv, "Write one CSV row per case (- for stdout)", "FILE" },
    { "trials-csv", 0, 0, G_OPTION_ARG_FILENAME, &opt_trials_csv,
      "Write every sampled power cut: case, run, trial, instant, outcome, reason (- for stdout)", "FILE" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &opt_out,
      "Write results.json, results.csv and every applicable plot (PNG, via gnuplot) into DIR", "DIR" },
    { "crash-states", 0, 0, G_OPTION_ARG_STRING, &opt_crash_states,
      "timed (default): what the simulated drive did; exhaustive: also every state any honest drive could have "
      "left at each sampled cut", "timed|exhaustive" },
    { "max-pending", 0, 0, G_OPTION_ARG_INT64, &opt_max_pending,
      "With --crash-states exhaustive: enumerate every state up to N free writes at a cut (default 20, 1 to 20); "
      "beyond, sample 256 states and say so", "N" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &opt_quiet, "No progress bar, no table", NULL },
    G_OPTION_ENTRY_NULL
};

static gboolean write_out(const char *path, GString *s, GError **error)
{
    return sim_write_file_atomic(path, s->str, s->len, error);
}

/* GOption wants "-j 2"; accept "-j2" too for the short options taking a value. */
static char **split_short(int *argc, char **argv)
{
    GPtrArray *a = g_ptr_array_new();
    for (int i = 0; i < *argc; i++) {
        const char *s = argv[i];
        if (i > 0 && s[0] == '-' && s[1] && strchr("nsjDo", s[1]) && s[2]) {
            g_ptr_array_add(a, g_strndup(s, 2));
            g_ptr_array_add(a, g_strdup(s + 2));
        } else {
            g_ptr_array_add(a, g_strdup(s));
        }
        if (!strcmp(s, "--"))
            for (i++; i < *argc; i++)
                g_ptr_array_add(a, g_strdup(argv[i]));
    }
    *argc = (int)a->len;
    g_ptr_array_add(a, NULL);
    return (char **)g_ptr_array_free(a, FALSE);
}

static int cmd_run(int argc, char **argv)
{
    argv = split_short(&argc, argv);
    g_autoptr(GOptionContext) ctx = g_option_context_new("SCENARIO.lua - simulate every case and report");
    g_option_context_set_summary(ctx, summary);
    g_option_context_set_description(ctx,
        "Prints one row per case: trials, outcome counts, corruption rate with its 95% CI,\n"
        "lost-fsync rate, exact p_inc, throughput and fsync latency. JSON and CSV follow DESIGN §3.\n"
        "Same scenario + seed gives byte-identical JSON/CSV whatever --jobs.\n"
        "--out DIR also draws every plot that applies (rates, throughput, tradeoff, sweep, latency;\n"
        "see: powercut help plot); without gnuplot it says so and writes the results only.\n"
        "--sweep NAME=V1,V2 (and a scenario's sweep = { NAME = { ... } }): every combination of the\n"
        "values is a case, named NAME=V,... (or CASE/NAME=V,...).\n"
        "--shard K/N: only the runs r with r mod N = K-1 of every case; the JSON carries what\n"
        "`powercut merge` needs to rebuild exactly the unsharded result (see: powercut help merge).\n"
        "Expectations are not checked on a shard.\n"
        "--crash-states exhaustive (DESIGN §5, the adversarial view): at each sampled cut (-n of them per\n"
        "case) the writes at the drive that are not durable are split into those an honest drive has made\n"
        "durable (completed with FUA, or completed before a flush that completed was issued: D1, B3) and\n"
        "the free ones; every subset of the free ones (2^n states, the latest version of each block or what\n"
        "it held before) is recovered and checked. Above --max-pending N free writes (default 20) 256 states\n"
        "are sampled (seeded) and the table and JSON say so (\"sampled_cuts\"). Adds \"crash_states\" to\n"
        "each case's JSON and a summary with the smallest corrupt state and the explain command showing it;\n"
        "the timed figures are unchanged. Cost: up to 2^N recoveries per cut (about 0.1 ms each): keep -n\n"
        "small (e.g. -n 40). On a RAID case the volume is the device: a write the controller holds in a\n"
        "non-volatile cache is on its durable image already; the rest is judged as for one honest drive,\n"
        "so a controller or member cache that loses acknowledged writes (flush = ack with member caches\n"
        "on, an outage longer than the battery) shows 0 here and its losses in the timed view. Not for a\n"
        "RAID-5 case with raid.failed_member (a degraded rebuild corrupts blocks no pending write touched:\n"
        "not an honest device), not with --shard.");
    g_option_context_add_main_entries(ctx, run_entries, NULL);
    GError *err = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &err))
        die_usage("%s (see: powercut help run)", err->message);
    if (argc != 2)
        die_usage(argc < 2 ? "run: missing SCENARIO.lua (see: powercut help run)"
                           : "run: unexpected argument '%s' (one scenario file)", argc < 2 ? "" : argv[2]);
    if (opt_trials != G_MININT64 && opt_trials < 1)
        die_usage("--trials: %" G_GINT64_FORMAT " is not allowed (a positive count)", opt_trials);
    if (opt_seed < 0)
        die_usage("--seed: %" G_GINT64_FORMAT " is not allowed (0 or more)", opt_seed);
    if (opt_jobs < 0 || opt_jobs > 1024)
        die_usage("--jobs: %d is not allowed (1 to 1024, or 0 for every core)", opt_jobs);
    gboolean exhaustive = FALSE;
    if (opt_crash_states && !strcmp(opt_crash_states, "exhaustive"))
        exhaustive = TRUE;
    else if (opt_crash_states && strcmp(opt_crash_states, "timed"))
        die_usage("--crash-states: '%s' is not allowed (allowed: timed, exhaustive)", opt_crash_states);
    if (opt_max_pending != G_MININT64 && (opt_max_pending < 1 || opt_max_pending > 20))
        die_usage("--max-pending: %" G_GINT64_FORMAT " is not allowed (1 to 20: up to 2^20 states per cut)",
                  opt_max_pending);
    if (opt_max_pending != G_MININT64 && !exhaustive)
        die_usage("--max-pending: only with --crash-states exhaustive");
    if (exhaustive && opt_shard)
        die_usage("--crash-states exhaustive: not with --shard (merge cannot combine crash states yet)");
    guint shard_k = 0, shard_n = 0;
    if (opt_shard) {
        char *end = NULL;
        guint64 k = g_ascii_strtoull(opt_shard, &end, 10), n = 0;
        gboolean good = end != opt_shard && *end == '/' && g_ascii_isdigit(end[1]);
        if (good)
            n = g_ascii_strtoull(end + 1, &end, 10);
        if (!good || *end || n < 1 || n > 1000000 || k < 1 || k > n)
            die_usage("--shard: '%s' is not allowed (K/N with 1 <= K <= N, e.g. --shard 2/4)", opt_shard);
        shard_k = (guint)k;
        shard_n = (guint)n;
    }

    /* --trials is the dotted override run.trials, so the JSON echo shows it */
    GPtrArray *sets = g_ptr_array_new_with_free_func(g_free);
    for (char **s = opt_set; s && *s; s++)
        g_ptr_array_add(sets, g_strdup(*s));
    if (opt_trials != G_MININT64)
        g_ptr_array_add(sets, g_strdup_printf("run.trials=%" G_GINT64_FORMAT, opt_trials));
    g_ptr_array_add(sets, NULL);
    SimScenario *sc = sim_scenario_load_sweep(argv[1], (const char *const *)sets->pdata,
                                              (const char *const *)opt_sweep, (guint64)opt_seed, &err);
    g_ptr_array_free(sets, TRUE);
    if (!sc)
        return fail(EXIT_BAD_INPUT, err);
    for (char **c = opt_case; c && *c; c++) {
        gboolean found = FALSE;
        for (guint i = 0; i < sc->cases->len && !found; i++)
            found = sim_case_matches(g_ptr_array_index(sc->cases, i), *c);
        if (!found) {
            GString *names = g_string_new(NULL);
            for (guint i = 0; i < sc->cases->len; i++)
                g_string_append_printf(names, "%s%s", i ? ", " : "",
                                       ((SimCaseSpec *)g_ptr_array_index(sc->cases, i))->name);
            fprintf(stderr, "powercut: %s: no case named '%s' (cases: %s)\n", argv[1], *c, names->str);
            g_string_free(names, TRUE);
            sim_scenario_free(sc);
            return EXIT_BAD_INPUT;
        }
    }
    for (guint i = 0; exhaustive && i < sc->cases->len; i++) {
        const SimCaseSpec *cs = g_ptr_array_index(sc->cases, i);
        gboolean sel = !opt_case;
        for (char **c = opt_case; c && *c && !sel; c++)
            sel = sim_case_matches(cs, *c);
        if (sel && cs->dev_model == SIM_DEV_RAID && cs->raid.failed_member >= 0) {
            fprintf(stderr, "powercut: %s: case %s: --crash-states exhaustive cannot enumerate a degraded RAID-5 "
                            "(raid.failed_member: the rebuild from parity corrupts blocks no pending write touched, "
                            "which no honest device does; allowed: raid.failed_member = -1, pick cases with "
                            "--case)\n", argv[1], cs->name);
            sim_scenario_free(sc);
            return EXIT_BAD_INPUT;
        }
    }
    gboolean tty = isatty(STDERR_FILENO);
    SimRunOpts o = { .seed = (guint64)opt_seed, .jobs = opt_jobs ? (guint)opt_jobs : g_get_num_processors(),
                     .trials = -1, .cases = opt_case, .progress = tty && !opt_quiet,
                     .keep_trials = opt_trials_csv != NULL, .shard_k = shard_k, .shard_n = shard_n,
                     .exhaustive = exhaustive,
                     .max_pending = opt_max_pending == G_MININT64 ? 20 : (guint)opt_max_pending };
    g_autoptr(GString) tcsv = NULL;
    SimResults *res = sim_run_scenario_trials(sc, &o, opt_trials_csv ? &tcsv : NULL, &err);
    if (!res) {
        sim_scenario_free(sc);
        return fail(EXIT_BAD_INPUT, err);
    }
    /* the scenario's own expectations, judged before anything is printed */
    g_autoptr(GPtrArray) failures = g_ptr_array_new_with_free_func(g_free);
    /* (not on a shard: expectations judge a whole result; check the merged one) */
    gboolean expect_ok = shard_n ? TRUE : sim_scenario_check_expect(sc, res, failures, &err);
    sim_scenario_free(sc);
    if (!expect_ok) {
        sim_results_free(res);
        return fail(EXIT_BAD_INPUT, err);
    }
    int status = 0;
    g_autoptr(GPtrArray) plots = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GString) json = sim_report_json(res);
    g_autoptr(GString) csv = sim_report_csv(res);
    if (opt_out) {
        if (g_mkdir_with_parents(opt_out, 0777) < 0) {
            fprintf(stderr, "powercut: %s: cannot create directory (%s)\n", opt_out, g_strerror(errno));
            status = 1;
        } else {
            g_autofree char *jp = g_build_filename(opt_out, "results.json", NULL);
            g_autofree char *cp = g_build_filename(opt_out, "results.csv", NULL);
            if (!write_out(jp, json, &err) || !write_out(cp, csv, &err))
                status = fail(1, err);
            else
                status = powercut_plots_after_run(jp, json, opt_out, plots);
        }
    }
    if (!status && opt_json && !write_out(opt_json, json, &err))
        status = fail(1, err);
    if (!status && opt_csv && !write_out(opt_csv, csv, &err))
        status = fail(1, err);
    if (!status && opt_trials_csv && !write_out(opt_trials_csv, tcsv, &err))
        status = fail(1, err);
    gboolean stdout_taken = (opt_json && !strcmp(opt_json, "-")) || (opt_csv && !strcmp(opt_csv, "-")) ||
                            (opt_trials_csv && !strcmp(opt_trials_csv, "-"));
    if (!opt_quiet && !stdout_taken && status == 0) {
        g_autoptr(GString) t = g_string_new(NULL);
        sim_report_table(res, t);
        fputs(t->str, stdout);
        if (opt_out)
            printf("wrote %s/results.json and %s/results.csv\n", opt_out, opt_out);
        for (guint i = 0; i < plots->len; i++)
            printf("wrote %s\n", (char *)g_ptr_array_index(plots, i));
    }
    sim_results_free(res);
    for (guint i = 0; i < failures->len; i++)
        fprintf(stderr, "powercut: %s: expectation failed: %s\n", argv[1], (char *)g_ptr_array_index(failures, i));
    if (status == 0 && failures->len)
        status = EXIT_EXPECT;
    return status;
}

/* ---- list --------------------------------------------------------------------- */

static gint cmp_strp(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The scenarios of one folder with the first line of their header comment. */
static void list_dir(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    if (!d)
        return;
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *n;
    while ((n = g_dir_read_name(d)))
        if (g_str_has_suffix(n, ".lua"))
            g_ptr_array_add(names, g_strdup(n));
    g_dir_close(d);
    g_ptr_array_sort(names, cmp_strp);
    for (guint i = 0; i < names->len; i++) {
        g_autofree char *path = g_build_filename(dir, g_ptr_array_index(names, i), NULL);
        g_autofree char *text = NULL;
        g_file_get_contents(path, &text, NULL, NULL);
        /* first comment line after the leading "--" */
        const char *line = text ? text : "";
        while (line && g_str_has_prefix(line, "--") && (line[2] == '\n' || line[2] == '-'))
            line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL;
        g_autofree char *first = NULL;
        if (line && g_str_has_prefix(line, "--")) {
            const char *e = strchr(line, '\n');
            first = g_strstrip(g_strndup(line + 2, e ? (gsize)(e - line - 2) : strlen(line + 2)));
        }
        printf("  %-40s %s\n", path, first ? first : "");
    }
    g_ptr_array_free(names, TRUE);
}

static int list_scenarios(void)
{
    if (!g_file_test("scenarios", G_FILE_TEST_IS_DIR)) {
        fprintf(stderr, "powercut: scenarios: cannot open (run from the powercut source directory)\n");
        return 1;
    }
    list_dir("scenarios");
    list_dir("scenarios/tutorial");
    return 0;
}

static int list_params(const char *path)
{
    GError *err = NULL;
    SimScenario *sc = sim_scenario_load(path, NULL, 1, &err);
    if (!sc)
        return fail(EXIT_BAD_INPUT, err);
    printf("%s\n", path);
    if (sc->param_names && sc->param_names->len) {
        printf("\nDeclared parameters (--set NAME=VALUE):\n");
        for (guint i = 0; i < sc->param_names->len; i++)
            printf("  %-24s default %-10s %s\n", (char *)g_ptr_array_index(sc->param_names, i),
                   (char *)g_ptr_array_index(sc->param_values, i),
                   sc->param_help ? (char *)g_ptr_array_index(sc->param_help, i) : "");
    }
    g_autoptr(GString) s = g_string_new(NULL);
    const SimSchema *schemas[] = { &sim_run_schema, &sim_hdd_schema, &sim_raid_schema, &sim_ssd_schema,
                                   &sim_fs_schema, &sim_workload_schema };
    const char *titles[] = { "Run settings (run.KEY, or top-level keys of the scenario)",
                             "Disk (device.KEY; device.model = \"hdd\" or \"raid\"; with raid: each member drive)",
                             "RAID controller (raid.KEY; used when device.model = \"raid\")",
                             "SSD (device.KEY when device.model = \"ssd\"; hdd keys are errors there, and these with hdd/raid)",
                             "File system (fs.KEY)", "Workload (workload.KEY)" };
    for (guint i = 0; i < G_N_ELEMENTS(schemas); i++) {
        g_string_append_printf(s, "\n%s:\n", titles[i]);
        sim_params_describe(schemas[i], s);
    }
    fputs(s->str, stdout);
    printf("\nCases:");
    for (guint i = 0; i < sc->cases->len; i++)
        printf(" %s", ((SimCaseSpec *)g_ptr_array_index(sc->cases, i))->name);
    printf("\n");
    for (guint i = 0; sc->sweep && i < sc->sweep->len; i++) {      /* each case x every point */
        const SimSweepDim *d = g_ptr_array_index(sc->sweep, i);
        printf("%s %s =", i ? "      " : "Sweep:", d->name);
        for (guint j = 0; j < d->values->len; j++)
            printf("%s %s", j ? "," : "", (char *)g_ptr_array_index(d->values, j));
        printf("\n");
    }
    sim_scenario_free(sc);
    return 0;
}

static int cmd_list(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "scenarios"))
        return argc <= 2 ? list_scenarios() : (die_usage("list scenarios: unexpected argument '%s'", argv[2]), 0);
    if (!strcmp(argv[1], "presets")) {
        if (argc > 2)
            die_usage("list presets: unexpected argument '%s'", argv[2]);
        g_autoptr(GString) s = g_string_new(NULL);
        GError *err = NULL;
        if (!sim_script_list_presets(s, &err))
            return fail(err->domain == SIM_SCRIPT_ERROR && err->code == SIM_SCRIPT_ERROR_IO ? 1 : EXIT_BAD_INPUT, err);
        fputs(s->str, stdout);
        return 0;
    }
    if (!strcmp(argv[1], "params")) {
        if (argc != 3)
            die_usage("list params: expected one SCENARIO.lua");
        return list_params(argv[2]);
    }
    die_usage("list: unknown topic '%s' (allowed: scenarios, presets, params SCENARIO.lua)", argv[1]);
}

/* ---- main -------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    setlocale(LC_NUMERIC, "C");
    if (argc < 2) {
        fprintf(stderr, "%s\n\nUsage: powercut COMMAND [ARGS]\n\n%s", summary, commands);
        return EXIT_BAD_INPUT;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("powercut %s\n", POWERCUT_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        if (argc >= 3 && (!strcmp(argv[2], "plot") || !strcmp(argv[2], "merge")))
            return powercut_cmd_help(argv[2]);
        if (argc >= 3 && !strcmp(argv[2], "explain")) {
            char *a[] = { "powercut explain", "--help", NULL };
            return powercut_cmd_explain(2, a);
        }
        if (argc >= 3 && (!strcmp(argv[2], "capture") || !strcmp(argv[2], "replay"))) {
            char *a[] = { argv[2], "--help", NULL };
            return !strcmp(argv[2], "capture") ? sim_cmd_capture(2, a) : sim_cmd_replay(2, a);
        }
        if (argc >= 3 && !strcmp(argv[2], "quiz")) {
            char *a[] = { "powercut quiz", "--help", NULL };
            return powercut_cmd_quiz(2, a);
        }
        if (argc >= 3 && !strcmp(argv[2], "run")) {
            char *a[] = { "powercut run", "--help", NULL };
            return cmd_run(2, a);
        }
        printf("%s\n\nUsage: powercut COMMAND [ARGS]\n\n%s", summary, commands);
        return 0;
    }
    if (!strcmp(cmd, "run"))
        return cmd_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "list"))
        return cmd_list(argc - 1, argv + 1);
    if (!strcmp(cmd, "plot"))
        return powercut_cmd_plot(argc - 1, argv + 1);
    if (!strcmp(cmd, "merge"))
        return powercut_cmd_merge(argc - 1, argv + 1);
    if (!strcmp(cmd, "explain"))
        return powercut_cmd_explain(argc - 1, argv + 1);
    if (!strcmp(cmd, "capture"))
        return sim_cmd_capture(argc - 1, argv + 1);
    if (!strcmp(cmd, "mark"))
        return sim_cmd_mark(argc - 1, argv + 1);
    if (!strcmp(cmd, "replay"))
        return sim_cmd_replay(argc - 1, argv + 1);
    if (!strcmp(cmd, "show-trace"))
        return sim_cmd_show_trace(argc - 1, argv + 1);
    if (!strcmp(cmd, "quiz"))
        return powercut_cmd_quiz(argc - 1, argv + 1);
    die_usage("unknown command '%s' (allowed: run, explain, quiz, plot, merge, capture, mark, replay, show-trace, list, "
              "help, --version)", cmd);
}

/* sim/cmd-results.h - `powercut plot`, `powercut merge` and the plots of
 * `powercut run --out` (cmd-results.c). Each returns the exit status and
 * prints its errors (one line, "powercut: ...") on stderr. */
#pragma once
#include "run.h"

int powercut_cmd_plot(int argc, char **argv);    /* argv[0] = "plot" */
int powercut_cmd_merge(int argc, char **argv);   /* argv[0] = "merge" */
int powercut_cmd_help(const char *cmd);          /* "plot" or "merge": its --help */
/* Draw every applicable PNG plot of a run's JSON into outdir; the paths
 * written are appended to `written`. A missing gnuplot is a warning (0);
 * gnuplot failing is 1. */
int powercut_plots_after_run(const char *json_path, const GString *json, const char *outdir, GPtrArray *written);

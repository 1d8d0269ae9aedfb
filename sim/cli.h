/* sim/cli.h - what every subcommand shares: the one-line error. */
#pragma once
#include <glib.h>
#include <stdarg.h>

#define SIM_EXIT_BAD_INPUT 2
/* Print "powercut: MESSAGE" on stderr; return SIM_EXIT_BAD_INPUT. */
int sim_cli_vusage(const char *fmt, va_list ap);
int sim_cli_usage(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

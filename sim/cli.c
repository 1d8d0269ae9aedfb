/* sim/cli.c - the one-line error of every subcommand (DESIGN §2). */
#include "cli.h"
#include <stdio.h>

int sim_cli_vusage(const char *fmt, va_list ap)
{
    fputs("powercut: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    return SIM_EXIT_BAD_INPUT;
}

int sim_cli_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = sim_cli_vusage(fmt, ap);
    va_end(ap);
    return r;
}

/* sim/report/report-priv.h - helpers shared by the report writers (not API). */
#pragma once
#include "report.h"

/* Append x formatted with printf-style `fmt` (a single double conversion) in
 * the C locale; "-0" becomes "0". Returns FALSE and appends nothing when x is
 * NaN or infinite, so each writer decides what that means (JSON: null). */
gboolean sim_report_append_double(GString *s, const char *fmt, double x);
/* Append ns as exact decimal seconds: 12345678901 -> "12.345678901". */
void     sim_report_append_ns_as_s(GString *s, SimTime ns);
/* a / b as a double, NaN when b = 0. */
double   sim_report_ratio(guint64 a, guint64 b);
/* corruption (corrupt + unmountable) and lost-fsync CIs of a case, from its
 * per-run counts (or, without them, from the totals as one cluster). */
void     sim_report_case_cis(const SimCaseResult *c, double corrupt_ci[2], double lost_ci[2]);
/* BOOL parameter text to a truth value: true/yes/on/1 (any case) are TRUE. */
gboolean sim_report_param_true(const char *value);
/* Whether text is a number in JSON's grammar (-?int frac? exp?). */
gboolean sim_report_is_json_number(const char *text);

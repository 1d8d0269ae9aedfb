/* sim/report/stats.c - the statistics behind the report: Wilson intervals,
 * a cluster-aware rate CI, nearest-rank quantiles.
 *
 * Why clusters: the trials of one simulated run share its history (the same
 * workload, the same dirty cache at nearby instants), so they are not
 * independent draws. Treating N trials of R runs as N Bernoulli samples would
 * give intervals that are too narrow whenever runs differ. We estimate the
 * variance of the pooled ratio p = Σx/Σn from the spread between runs (the
 * usual linearised variance of a ratio estimator with R clusters), express it
 * as a design effect over the binomial variance, and hand Wilson the effective
 * sample size N/deff. With equal run rates deff = 1 and the interval is plain
 * Wilson on N; the more one run dominates, the wider the interval. */
#include <math.h>
#include "report.h"

#define Z95 1.959964

void sim_stats_wilson(double k, double n, double *lo, double *hi)
{
    double l = 0.0, h = 1.0;
    if (n > 0.0) {
        double p = CLAMP(k / n, 0.0, 1.0), z2 = Z95 * Z95;
        double denom = 1.0 + z2 / n;
        double centre = (p + z2 / (2.0 * n)) / denom;
        double half = Z95 * sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / denom;
        l = p <= 0.0 ? 0.0 : MAX(0.0, centre - half);   /* exact ends for 0 and n */
        h = p >= 1.0 ? 1.0 : MIN(1.0, centre + half);
    }
    if (lo) *lo = l;
    if (hi) *hi = h;
}

void sim_stats_rate_ci_deff(const guint64 *x, const guint64 *n, guint runs,
                            double *rate, double *lo, double *hi, double *deff_out)
{
    double sx = 0.0, sn = 0.0;
    guint R = 0;
    for (guint r = 0; r < runs; r++) {
        sx += (double)x[r];
        sn += (double)n[r];
        if (n[r] > 0) R++;
    }
    double p = sn > 0.0 ? sx / sn : 0.0, deff = 1.0;
    if (R >= 2 && p > 0.0 && p < 1.0) {
        double ss = 0.0;
        for (guint r = 0; r < runs; r++) {
            double d = (double)x[r] - p * (double)n[r];
            ss += d * d;
        }
        double v = (double)R / (double)(R - 1) * ss / (sn * sn);
        double binom = p * (1.0 - p) / sn;
        deff = CLAMP(v / binom, 1.0, sn);
    }
    double n_eff = sn / deff;
    sim_stats_wilson(p * n_eff, n_eff, lo, hi);
    if (rate) *rate = p;
    if (deff_out) *deff_out = deff;
}

void sim_stats_rate_ci(const guint64 *x, const guint64 *n, guint runs,
                       double *rate, double *lo, double *hi)
{
    sim_stats_rate_ci_deff(x, n, runs, rate, lo, hi, NULL);
}

double sim_stats_quantile(const double *sorted, gsize n, double q)
{
    if (n == 0) return 0.0;
    /* rank = ceil(q·n), with a little slack so 0.07·100 = 7.000000000000001
     * still means rank 7; clamped to [1, n]. */
    double r = ceil(CLAMP(q, 0.0, 1.0) * (double)n - 1e-9);
    gsize rank = r < 1.0 ? 1 : (gsize)r;
    return sorted[MIN(rank, n) - 1];
}

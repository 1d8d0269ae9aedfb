/* sim/core/rng.c - xoshiro256** streams seeded by splitmix64 from
 * (master seed, run, stream name). */
#include "sim.h"

guint64 sim_mix64(guint64 x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

void sim_rng_seed(SimRng *r, guint64 seed, guint64 run, const char *stream)
{
    guint64 x = sim_mix64(seed) ^ sim_mix64(run * 0x632be59bd9b4e019ULL + 1) ^
                sim_mix64(sim_hash_str(stream));
    for (int i = 0; i < 4; i++) {
        x += 0x9e3779b97f4a7c15ULL;
        r->s[i] = sim_mix64(x);
    }
}

static inline guint64 rotl(guint64 x, int k) { return (x << k) | (x >> (64 - k)); }

guint64 sim_rng_u64(SimRng *r)
{
    guint64 *s = r->s;
    guint64 res = rotl(s[1] * 5, 7) * 9;
    guint64 t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return res;
}

guint64 sim_rng_below(SimRng *r, guint64 n)
{
    g_assert(n > 0);
    /* rejection sampling on the top of the range: unbiased */
    guint64 lim = UINT64_MAX - UINT64_MAX % n;
    guint64 x;
    do
        x = sim_rng_u64(r);
    while (x >= lim);
    return x % n;
}

double sim_rng_double(SimRng *r)
{
    return (double)(sim_rng_u64(r) >> 11) * 0x1.0p-53;
}

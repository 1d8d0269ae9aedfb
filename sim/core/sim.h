/* sim/core/sim.h - the event engine: simulated time, the event heap, RNG streams.
 *
 * Time is an int64 count of nanoseconds (SimTime). Events are kept in a 4-ary
 * heap keyed by (time, seq); seq comes from a per-world counter, so events at
 * the same instant run in the order they were scheduled. Keys live inline in
 * the heap array and the rest of each event in a slot array; both grow
 * geometrically and are never shrunk, so steady-state scheduling does not
 * allocate.
 *
 * Random numbers come only from named streams: the seed of stream NAME in run R
 * of master seed S is a fixed mix of (S, R, hash(NAME)). No stream's draws
 * depend on another stream, on the thread that runs the world, or on --jobs.
 */
#pragma once
#include <glib.h>
#include <stdint.h>

typedef int64_t SimTime;                 /* nanoseconds */
#define SIM_NS(x) ((SimTime)(x))
#define SIM_US(x) ((SimTime)((x) * 1000LL))
#define SIM_MS(x) ((SimTime)((x) * 1000000LL))
#define SIM_S(x)  ((SimTime)((x) * 1000000000LL))
#define SIM_TIME_MAX INT64_MAX
static inline double sim_time_to_s(SimTime t) { return (double)t / 1e9; }
static inline SimTime sim_time_from_s(double s) { return (SimTime)(s * 1e9 + (s >= 0 ? 0.5 : -0.5)); }

/* ---- random streams -------------------------------------------------- */
typedef struct { guint64 s[4]; } SimRng;   /* xoshiro256** */

void    sim_rng_seed(SimRng *r, guint64 seed, guint64 run, const char *stream);
guint64 sim_rng_u64(SimRng *r);
/* uniform in [0, n), unbiased; n > 0 */
guint64 sim_rng_below(SimRng *r, guint64 n);
/* uniform in [0, 1) with 53 random bits */
double  sim_rng_double(SimRng *r);
/* mixing function used for seeds (splitmix64 finaliser) */
guint64 sim_mix64(guint64 x);

/* ---- events ------------------------------------------------------------ */
typedef struct SimWorld SimWorld;
typedef void (*SimEventFn)(SimWorld *w, gpointer obj, gint64 arg);

/* A handle is (time, seq), never a pointer. seq 0 is "no event". */
typedef struct { SimTime time; guint64 seq; } SimEventId;

/* The heap holds only the key and the slot of the rest of the event, so a
 * heap move copies 24 bytes rather than 40; the body stays put in its slot.
 * Free slots are kept in free_slots[n .. cap-1]. */
typedef struct {
    SimTime    time;
    guint64    seq;
    guint32    slot;
} SimEventKey;

typedef struct {
    SimEventFn fn;
    gpointer   obj;
    gint64     arg;
} SimEventBody;

struct SimWorld {
    SimTime   now;
    guint64   seed, run;
    SimEventKey  *heap;       /* n keys, a 4-ary heap on (time, seq) */
    SimEventBody *body;       /* cap slots */
    guint32      *free_slots; /* [n, cap): slots not in use */
    gsize     n, cap;
    guint64   next_seq;
    guint64   scheduled, dispatched, cancelled;
    GHashTable *cancel_set;   /* seq -> 1 for lazily cancelled events (rare) */
    gboolean  stopping;
    SimRng  **rngs;           /* named streams, created on first use */
    char    **rng_names;
    guint     n_rngs;
};

SimWorld  *sim_world_new(guint64 seed, guint64 run);
void       sim_world_free(SimWorld *w);
static inline SimTime sim_now(const SimWorld *w) { return w->now; }

SimEventId sim_schedule_at(SimWorld *w, SimTime t, SimEventFn fn, gpointer obj, gint64 arg);
static inline SimEventId sim_schedule_after(SimWorld *w, SimTime d, SimEventFn fn, gpointer obj, gint64 arg)
{ return sim_schedule_at(w, w->now + d, fn, obj, arg); }
/* Lazy: the event stays in the heap and is skipped when reached. Returns
 * FALSE when the handle is stale (already dispatched or cancelled). */
gboolean   sim_event_cancel(SimWorld *w, SimEventId id);
gboolean   sim_event_pending(const SimWorld *w, SimEventId id);

/* Dispatch events in (time, seq) order until the heap is empty, until the
 * next event is later than `until`, or sim_world_stop() was called. The
 * clock ends at min(until, time of last event) (never goes back). */
void       sim_world_run(SimWorld *w, SimTime until);
void       sim_world_stop(SimWorld *w);
/* Engine invariant: scheduled == dispatched + cancelled + pending. */
gboolean   sim_world_check(const SimWorld *w);
gsize      sim_world_pending(const SimWorld *w);

/* The named stream of this world (seeded from seed, run, name). */
SimRng    *sim_world_rng(SimWorld *w, const char *name);

/* FNV-1a of a string, used to name streams. */
guint64    sim_hash_str(const char *s);

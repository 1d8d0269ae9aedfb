/* sim/blk/media.h - the durable store of a leaf device.
 *
 * Maps each 4 KiB block to the content token that is on non-volatile media.
 * It is the only place where "durable" lives. Storage is a two-level sparse
 * array, so memory is O(blocks touched), not O(capacity).
 *
 * A block whose write was cut below the 4 KiB unit holds a TORN token:
 * sim_media_token_torn(new) - old and new content mixed. Devices with an
 * atomic unit of 4 KiB never produce one.
 *
 * Every change is reported to the listener (the crash evaluator) at the
 * simulated instant it happens, so the outcome of a power cut is a
 * piecewise-constant function of time between those calls.
 */
#pragma once
#include "blk.h"

#define SIM_TOKEN_TORN_BIT 0x80000000u
static inline SimToken sim_media_token_torn(SimToken t) { return t | SIM_TOKEN_TORN_BIT; }
static inline gboolean sim_token_is_torn(SimToken t) { return (t & SIM_TOKEN_TORN_BIT) != 0; }
static inline SimToken sim_token_base(SimToken t) { return t & ~SIM_TOKEN_TORN_BIT; }
/* Content that belongs to no block version: what a device reconstructs from
 * redundancy that no longer agrees (a RAID-5 block rebuilt from a parity
 * that missed a write, SEMANTICS R5). The file system's checker reads it as
 * garbage wherever it lies. Device-private tokens live in
 * [SIM_TOKEN_DEV_FIRST, SIM_TOKEN_GARBAGE) and never reach the logical image. */
#define SIM_TOKEN_GARBAGE   0x7fffffffu
#define SIM_TOKEN_DEV_FIRST 0x70000000u

typedef void (*SimMediaListener)(gpointer ud, guint64 block, SimToken old_tok, SimToken new_tok);

SimMedia *sim_media_new(guint64 nblocks);
/* For a block holding a TORN token: the token that was there before the torn
 * write began (the sectors that did not land). 0 otherwise. */
SimToken  sim_media_torn_old(const SimMedia *m, guint64 block);
void      sim_media_free(SimMedia *m);
SimToken  sim_media_get(const SimMedia *m, guint64 block);
/* Durable change at the current simulated time; notifies the listener. */
void      sim_media_set(SimMedia *m, guint64 block, SimToken tok);
/* Initial image (mkfs): no notification. */
void      sim_media_init_block(SimMedia *m, guint64 block, SimToken tok);
void      sim_media_set_listener(SimMedia *m, SimMediaListener fn, gpointer ud);
guint64   sim_media_nblocks(const SimMedia *m);
guint64   sim_media_blocks_touched(const SimMedia *m);
/* Iterate blocks that hold a non-zero token, in ascending block order. */
typedef void (*SimMediaIter)(gpointer ud, guint64 block, SimToken tok);
void      sim_media_foreach(const SimMedia *m, SimMediaIter fn, gpointer ud);

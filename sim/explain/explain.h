/* sim/explain/explain.h - `powercut explain`: one power cut, block by block.
 *
 * The chosen run is simulated again (same seeds, so the same history) with
 * two tracing layers in the stack - one between the file system and the block
 * layer, one between the block layer and the disk - and the disk's media
 * listener recording every landing. The tracing layers exist only in explain's
 * stack, so `run` pays nothing for them. The simulation stops at the cut
 * instant; the durable image is the media at that instant (as the evaluator
 * of `run` sees it), recovered and checked the same way.
 */
#pragma once

/* `powercut explain SCENARIO.lua --case NAME [...]` (argv[0] is "explain"). */
int powercut_cmd_explain(int argc, char **argv);

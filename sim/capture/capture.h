/* sim/capture/capture.h - `powercut capture`, `powercut mark`, `powercut
 * replay` and `powercut show-trace`: ground truth from a real file system
 * (README "Ground truth from the real kernel"). */
#pragma once
#include <glib.h>

/* Each takes the subcommand's argv (argv[0] is the subcommand) and returns
 * the exit status (DESIGN §2). */
int sim_cmd_capture(int argc, char **argv);
int sim_cmd_mark(int argc, char **argv);
int sim_cmd_replay(int argc, char **argv);
int sim_cmd_show_trace(int argc, char **argv);

/* The FUSE recorder, run in capture's child process: serves `dir`/disk from
 * `image` and appends every write, flush and mark to `trace`; writes one
 * byte to ready_fd once mounted. Returns the child's exit status. */
int sim_recorder_main(const char *dir, const char *image, guint64 image_bytes, const char *trace, int ready_fd);

/* "256MiB", "64M", "1G", "4096": bytes, or 0 when not a size. */
guint64 sim_parse_size(const char *s);

/* sim/capture/layout.h - what an ext4 block is for: journal, superblock or
 * group descriptors, block bitmap, inode bitmap, inode table, or anything
 * else ("data or directory"), read once from an image with e2fsprogs
 * (dumpe2fs for the groups, debugfs for the journal inode's blocks; neither
 * needs root). Replay names the role of the block a lost_fsync cut lost
 * (README "Replay"). Blocks are 4 KiB (SIM_TRACE_BLOCK); a file system with
 * another block size gets no layout. */
#pragma once
#include <glib.h>
#include "trace.h"

/* Coarse roles, in the order replay prefers to report a lost block (the
 * first is what an application reads; the journal is last: recovery may not
 * have needed it). */
typedef enum {
    SIM_ROLE_DATA,           /* data or directory: every block not below (file data, directories,
                              * extent-tree and xattr blocks, free space) */
    SIM_ROLE_INODE_TABLE,
    SIM_ROLE_INODE_BITMAP,
    SIM_ROLE_BLOCK_BITMAP,
    SIM_ROLE_SUPER,          /* a primary or backup superblock, group descriptors, reserved GDT blocks */
    SIM_ROLE_JOURNAL,        /* a block of the journal inode */
    SIM_ROLE_N
} SimRole;

typedef struct SimLayout SimLayout;

/* The layout of the ext4 image file `image`, or NULL with error (not ext4,
 * block size not 4096, dumpe2fs or debugfs missing or failing). */
SimLayout  *sim_layout_ext4_new(const char *image, GError **error);
/* The layout of a trace's initial image (its INIT records, written to a
 * temporary file in `dir`), or NULL: without error when it does not apply
 * (not an ext4 trace with contents and an initial image), with error when
 * it failed (the image could not be written, or as above). */
SimLayout  *sim_layout_from_trace(const SimTrace *tr, const char *dir, GError **error);
void        sim_layout_free(SimLayout *l);

/* The role of 4 KiB block `block`. */
SimRole     sim_layout_role(const SimLayout *l, guint64 block);
/* "data or directory", "inode table", "inode bitmap", "block bitmap",
 * "superblock or group descriptors", "journal". */
const char *sim_role_name(SimRole r);
/* The role's name, for a journal block told apart by the 4 KiB `contents`
 * it was to hold (nullable): "journal descriptor", "journal commit",
 * "journal revoke", "journal superblock" (jbd2 header, SEMANTICS §1.1), or
 * "journal copy" (no header: a journaled copy of a block). */
const char *sim_layout_describe(const SimLayout *l, guint64 block, const guint8 *contents);

/* tests/test-layout.c - the role of an ext4 block (sim/capture/layout.h), as
 * replay names it in a lost_fsync reason, against what e2fsprogs says by
 * other requests than layout.c makes: debugfs "bmap <8> N" (the journal's
 * first and last block), "imap <2>" (the root inode's inode-table block),
 * "bmap <2> 0" (the root directory's block), "stats" (group 0's bitmaps).
 * mkfs.ext4 on a small image file (no root needed); skipped without
 * e2fsprogs. */
#include "capture/layout.h"
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char *tmpdir;

static gboolean have_tools(void)
{
    const char *path = g_getenv("PATH");
    g_autofree char *p = g_strconcat(path ? path : "/usr/bin:/bin", ":/usr/sbin:/sbin", NULL);
    g_setenv("PATH", p, TRUE);
    const char *tools[] = { "mkfs.ext4", "dumpe2fs", "debugfs" };
    for (guint i = 0; i < G_N_ELEMENTS(tools); i++) {
        g_autofree char *w = g_find_program_in_path(tools[i]);
        if (!w)
            return FALSE;
    }
    return TRUE;
}

/* sh -c CMD's standard output; the command must succeed. */
static char *sh(const char *cmd)
{
    const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
    char *out = NULL;
    int st = 0;
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL, &st, NULL));
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        g_error("failed: %s", cmd);
    return out;
}

static guint64 num(const char *cmd)
{
    g_autofree char *o = sh(cmd);
    g_strstrip(o);
    g_assert_true(*o && strspn(o, "0123456789") == strlen(o));
    return g_ascii_strtoull(o, NULL, 10);
}

/* The number `debugfs -R REQUEST IMG` prints, through the sed script
 * `filter` when given. */
static guint64 debugfs_num(const char *img, const char *request, const char *filter)
{
    g_autofree char *c = g_strdup_printf("debugfs -R '%s' '%s'%s%s%s", request, img, filter ? " | sed -n '" : "",
                                         filter ? filter : "", filter ? "'" : "");
    return num(c);
}

static char *mkfs(const char *name, const char *opts)
{
    char *img = g_build_filename(tmpdir, name, NULL);
    g_autofree char *c = g_strdup_printf("rm -f '%s' && mkfs.ext4 -q -F %s '%s' 16M", img, opts, img);
    g_free(sh(c));
    return img;
}

static void test_roles(void)
{
    if (!have_tools()) {
        g_test_skip("no mkfs.ext4, dumpe2fs or debugfs");
        return;
    }
    g_autofree char *img = mkfs("fs4k.img", "-b 4096 -J size=4");
    GError *err = NULL;
    SimLayout *l = sim_layout_ext4_new(img, &err);
    g_assert_no_error(err);
    g_assert_nonnull(l);
    guint64 j0 = debugfs_num(img, "bmap <8> 0", NULL), j1 = debugfs_num(img, "bmap <8> 1023", NULL);
    guint64 it = debugfs_num(img, "imap <2>", "s/.*located at block \\([0-9]*\\),.*/\\1/p");
    guint64 root = debugfs_num(img, "bmap <2> 0", NULL);
    guint64 bb = debugfs_num(img, "stats", "s/^ *Group  *0: block bitmap at \\([0-9]*\\),.*/\\1/p");
    guint64 ib = debugfs_num(img, "stats", "s/^ *Group  *0: .*inode bitmap at \\([0-9]*\\),.*/\\1/p");
    g_test_message("journal %" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT ", inode table %" G_GUINT64_FORMAT
                   ", root dir %" G_GUINT64_FORMAT ", bitmaps %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT,
                   j0, j1, it, root, bb, ib);
    g_assert_cmpstr(sim_role_name(sim_layout_role(l, j0)), ==, "journal");
    g_assert_cmpstr(sim_role_name(sim_layout_role(l, j1)), ==, "journal");
    g_assert_cmpstr(sim_role_name(sim_layout_role(l, it)), ==, "inode table");
    g_assert_cmpstr(sim_role_name(sim_layout_role(l, root)), ==, "data or directory");
    g_assert_cmpstr(sim_role_name(sim_layout_role(l, bb)), ==, "block bitmap");
    g_assert_cmpstr(sim_role_name(sim_layout_role(l, ib)), ==, "inode bitmap");
    g_assert_cmpstr(sim_role_name(sim_layout_role(l, 0)), ==, "superblock or group descriptors");
    g_assert_cmpstr(sim_role_name(sim_layout_role(l, 1ull << 40)), ==, "data or directory");
    /* the journal's first block holds the jbd2 superblock; a block without a header is a copy */
    guint8 blk[SIM_TRACE_BLOCK];
    int fd = open(img, O_RDONLY);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(pread(fd, blk, sizeof blk, (off_t)(j0 * SIM_TRACE_BLOCK)), ==, SIM_TRACE_BLOCK);
    close(fd);
    g_assert_cmpstr(sim_layout_describe(l, j0, blk), ==, "journal superblock");
    blk[7] = 2;
    g_assert_cmpstr(sim_layout_describe(l, j0, blk), ==, "journal commit");
    memset(blk, 0, sizeof blk);
    g_assert_cmpstr(sim_layout_describe(l, j0, blk), ==, "journal copy");
    g_assert_cmpstr(sim_layout_describe(l, root, blk), ==, "data or directory");
    sim_layout_free(l);
}

/* The same roles from a trace's INIT records (what replay uses). */
static void test_from_trace(void)
{
    if (!have_tools()) {
        g_test_skip("no mkfs.ext4, dumpe2fs or debugfs");
        return;
    }
    g_autofree char *img = mkfs("trace.img", "-b 4096 -J size=4");
    g_autofree char *c = g_strdup_printf("debugfs -R 'bmap <8> 0' '%s'", img);
    guint64 j0 = num(c);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    SimTraceHeader h;
    guint64 bytes = 16u << 20;
    sim_trace_header_init(&h, bytes, SIM_TRACE_F_CONTENTS | SIM_TRACE_F_FLUSHES, "ext4", "capture");
    g_assert_cmpint(fwrite(&h, sizeof h, 1, f), ==, 1);
    int fd = open(img, O_RDONLY);
    g_assert_true(sim_trace_put_image(f, fd, bytes, NULL));
    close(fd);
    SimTraceRec e = { .type = SIM_TREC_END };
    g_assert_true(sim_trace_put(f, &e, NULL));
    fclose(f);
    GError *err = NULL;
    SimTrace *tr = sim_trace_parse("mem", (const guint8 *)buf, len, &err);
    g_assert_no_error(err);
    SimLayout *l = sim_layout_from_trace(tr, tmpdir, &err);
    g_assert_no_error(err);
    g_assert_nonnull(l);
    g_assert_cmpstr(sim_role_name(sim_layout_role(l, j0)), ==, "journal");
    g_assert_cmpstr(sim_role_name(sim_layout_role(l, 0)), ==, "superblock or group descriptors");
    sim_layout_free(l);
    /* an ext4 trace whose image cannot be written: no layout, and an error saying so */
    g_assert_null(sim_layout_from_trace(tr, "/nonexistent-folder", &err));
    g_assert_error(err, G_FILE_ERROR, G_FILE_ERROR_NOENT);
    g_clear_error(&err);
    /* not ext4 by its header: no layout, and no error (roles do not apply) */
    strcpy(tr->hdr.fs, "xfs");
    g_assert_null(sim_layout_from_trace(tr, tmpdir, &err));
    g_assert_no_error(err);
    sim_trace_free(tr);
    free(buf);
}

/* 1 KiB blocks: no layout (a 4 KiB trace block would hold four file-system
 * blocks); an image that is not ext4: none either. */
static void test_refused(void)
{
    if (!have_tools()) {
        g_test_skip("no mkfs.ext4, dumpe2fs or debugfs");
        return;
    }
    g_autofree char *img = mkfs("fs1k.img", "-b 1024");
    GError *err = NULL;
    g_assert_null(sim_layout_ext4_new(img, &err));
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(err->message, "block size 1024"));
    g_clear_error(&err);
    g_autofree char *zero = g_build_filename(tmpdir, "zero.img", NULL);
    g_autofree char *c = g_strdup_printf("head -c 1048576 /dev/zero > '%s'", zero);
    g_free(sh(c));
    g_assert_null(sim_layout_ext4_new(zero, &err));
    g_assert_nonnull(err);
    g_clear_error(&err);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    tmpdir = g_dir_make_tmp("test-layout-XXXXXX", NULL);
    g_assert_nonnull(tmpdir);
    g_test_add_func("/layout/roles", test_roles);
    g_test_add_func("/layout/from-trace", test_from_trace);
    g_test_add_func("/layout/refused", test_refused);
    int rc = g_test_run();
    g_autofree char *c = g_strdup_printf("rm -rf '%s'", tmpdir);
    g_free(sh(c));
    return rc;
}

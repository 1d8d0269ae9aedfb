/* sim/capture/capture.c - `powercut capture`: record a real file system's
 * writes and flushes (README "Ground truth from the real kernel").
 *
 *   image (sparse file) --mkfs--> INIT records of the trace
 *   FUSE recorder (child process) serves DIR/disk from the image, logs writes
 *   losetup --direct-io=on DIR/disk -> /dev/loopN ; mount /dev/loopN MNT
 *   COMMAND in MNT (own process group) ; umount ; losetup -d ; umount DIR
 *
 * Every exit path - success, command failure, a signal to capture or the
 * command's crash - goes through cleanup(), which undoes whatever was set up,
 * in reverse order, and tells on stderr what it could not undo.
 */
#include "capture.h"
#include "trace.h"
#include "../cli.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
    char    *tmp, *fusedir, *mnt, *image, *partial;
    pid_t    rec_pid, cmd_pid;
    char    *loopdev;
    gboolean mounted, fuse_up;
    gboolean rec_failed;       /* the recorder exited non-zero: the trace is incomplete */
} Cap;

static volatile sig_atomic_t interrupted;
static volatile pid_t cmd_pgid;

static void on_signal(int sig)
{
    interrupted = sig;
    if (cmd_pgid > 0)
        kill(-cmd_pgid, sig);
}

guint64 sim_parse_size(const char *s)
{
    char *end = NULL;
    if (!s || !g_ascii_isdigit(*s))
        return 0;
    guint64 v = g_ascii_strtoull(s, &end, 10);
    guint64 mul = 1;
    if (!g_ascii_strcasecmp(end, "") || !g_ascii_strcasecmp(end, "B"))
        mul = 1;
    else if (!g_ascii_strcasecmp(end, "K") || !g_ascii_strcasecmp(end, "KiB"))
        mul = 1ull << 10;
    else if (!g_ascii_strcasecmp(end, "M") || !g_ascii_strcasecmp(end, "MiB"))
        mul = 1ull << 20;
    else if (!g_ascii_strcasecmp(end, "G") || !g_ascii_strcasecmp(end, "GiB"))
        mul = 1ull << 30;
    else
        return 0;
    return v > G_MAXUINT64 / mul ? 0 : v * mul;
}

/* Tools run in their own process group: a terminal's Ctrl-C stops capture's
 * own work, never a cleanup step half-way. */
static void own_pgrp(gpointer ud) { setpgid(0, 0); }

/* Run argv; FALSE with "TOOL failed: its first stderr line" on failure.
 * out (nullable) receives stdout. */
static gboolean tool(char **out, GError **error, const char *const *argv)
{
    g_autofree char *so = NULL, *se = NULL;
    gint status = 0;
    GError *e = NULL;
    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, own_pgrp, NULL, &so, &se, &status, &e)) {
        g_set_error(error, SIM_TRACE_ERROR, SIM_TRACE_ERROR_IO, "%s: %s", argv[0], e->message);
        g_error_free(e);
        return FALSE;
    }
    if (!g_spawn_check_wait_status(status, NULL)) {
        g_strstrip(se);
        char *nl = strchr(se, '\n');
        if (nl)
            *nl = 0;
        g_set_error(error, SIM_TRACE_ERROR, SIM_TRACE_ERROR_IO, "%s failed: %s", argv[0],
                    *se ? se : "(no message)");
        return FALSE;
    }
    if (out)
        *out = g_strstrip(g_steal_pointer(&so));
    return TRUE;
}
#define TOOL(out, err, ...) tool(out, err, (const char *const[]){ __VA_ARGS__, NULL })

static gboolean write_mark(const char *markfile, const char *name)
{
    int fd = open(markfile, O_WRONLY);
    if (fd < 0)
        return FALSE;
    gboolean ok = write(fd, name, strlen(name)) == (ssize_t)strlen(name);
    return close(fd) == 0 && ok;
}

/* Retry an unmount while the target is busy (a process still leaving it, the
 * loop device still releasing its file), then detach lazily. */
static gboolean unmount(const char *target)
{
    for (int i = 0; i < 50; i++) {
        if (TOOL(NULL, NULL, "umount", target))
            return TRUE;
        g_usleep(100000);
    }
    return TOOL(NULL, NULL, "umount", "-l", target);
}

/* The loop device has let go of its backing file (detach is asynchronous). */
static void wait_loop_gone(const char *loopdev)
{
    g_autofree char *base = g_path_get_basename(loopdev);
    g_autofree char *sys = g_strdup_printf("/sys/block/%s/loop/backing_file", base);
    for (int i = 0; i < 100 && g_file_test(sys, G_FILE_TEST_EXISTS); i++)
        g_usleep(50000);
}

static void kill_group(pid_t pgid)
{
    if (pgid <= 0 || kill(-pgid, 0) != 0)
        return;
    kill(-pgid, SIGTERM);
    for (int i = 0; i < 30 && kill(-pgid, 0) == 0; i++)
        g_usleep(100000);
    if (kill(-pgid, 0) == 0)
        kill(-pgid, SIGKILL);
}

/* Undo the mounts, the loop device and the recorder; FALSE (and a line on
 * stderr) for anything left. */
static gboolean teardown(Cap *c)
{
    gboolean ok = TRUE;
    if (c->cmd_pid > 0) {
        kill_group(c->cmd_pid);        /* the command's leftovers would keep the mount busy */
        c->cmd_pid = 0;
        cmd_pgid = 0;
    }
    if (c->mounted) {
        if (!unmount(c->mnt)) {
            fprintf(stderr, "powercut: capture: cannot unmount %s\n", c->mnt);
            ok = FALSE;
        }
        c->mounted = FALSE;
    }
    if (c->loopdev) {
        GError *e = NULL;
        if (!TOOL(NULL, &e, "losetup", "-d", c->loopdev)) {
            fprintf(stderr, "powercut: capture: cannot detach %s (%s)\n", c->loopdev, e->message);
            g_error_free(e);
            ok = FALSE;
        }
        wait_loop_gone(c->loopdev);
        g_clear_pointer(&c->loopdev, g_free);
    }
    if (c->fuse_up) {
        if (!unmount(c->fusedir)) {
            fprintf(stderr, "powercut: capture: cannot unmount the recorder at %s\n", c->fusedir);
            ok = FALSE;
        }
        c->fuse_up = FALSE;
    }
    if (c->rec_pid > 0) {
        int st = 0;
        pid_t r = 0;
        for (int i = 0; i < 50 && (r = waitpid(c->rec_pid, &st, WNOHANG)) == 0; i++)
            g_usleep(100000);
        if (r == 0) {
            kill(c->rec_pid, SIGKILL);
            waitpid(c->rec_pid, &st, 0);
            fprintf(stderr, "powercut: capture: the recorder did not stop; killed it\n");
            ok = FALSE;
        }
        c->rec_failed = r != c->rec_pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0;
        c->rec_pid = 0;
    }
    return ok;
}

static void remove_files(Cap *c)
{
    if (c->image)
        unlink(c->image);
    if (c->mnt)
        rmdir(c->mnt);
    if (c->fusedir)
        rmdir(c->fusedir);
    if (c->tmp)
        rmdir(c->tmp);
}

/* Undo everything that was set up; FALSE for anything left. */
static gboolean cleanup(Cap *c)
{
    gboolean ok = teardown(c);
    remove_files(c);
    return ok;
}

static void cap_free(Cap *c)
{
    g_free(c->tmp);
    g_free(c->fusedir);
    g_free(c->mnt);
    g_free(c->image);
    g_free(c->partial);
    g_free(c->loopdev);
}

static const char *const capture_help =
    "Usage: powercut capture [OPTIONS] -o TRACE -- COMMAND [ARGS...]    (root)\n"
    "\n"
    "Record what a real file system sends to its disk while COMMAND runs: a fresh image is made\n"
    "with mkfs, served by powercut's FUSE recorder, attached to a loop device with direct I/O and\n"
    "mounted; COMMAND runs in the mount point (also in $POWERCUT_MNT). TRACE gets the image as\n"
    "mkfs left it plus every write (sector, length, contents), cache flush and mark, in order.\n"
    "Inside COMMAND, `powercut mark NAME` adds a mark; `powercut mark --promise NAME`, put after\n"
    "fsync() returned, tells replay that every write logged before it was promised durable.\n"
    "Replay it with `powercut replay TRACE`.\n"
    "\n"
    "Options:\n"
    "  --fs ext4|xfs|btrfs    file system (default ext4); replay judges ext4 with e2fsck, xfs\n"
    "                         with xfs_repair -n, btrfs with btrfs check --readonly\n"
    "  --size SIZE            image size (K, M, G suffixes; default ext4 64MiB, xfs 300MiB: the\n"
    "                         smallest mkfs.xfs makes, btrfs 128MiB: at least 110MiB)\n"
    "  --mkfs-opts 'OPTS'     extra mkfs options (defaults: mkfs.ext4 -b 4096 -E lazy_itable_init=0,\n"
    "                         lazy_journal_init=0, so no background initialisation writes;\n"
    "                         mkfs.xfs -f; mkfs.btrfs -f)\n"
    "  --mount-opts OPTS      mount options, e.g. barrier=0 or data=journal\n"
    "  -o, --output TRACE     the trace file to write\n"
    "  --keep-image FILE      also keep the final image (after the unmount) as FILE\n"
    "\n"
    "Exit status: 0 ok; 2 bad usage (or not root); 1 a step failed or COMMAND failed (the trace is\n"
    "still written); 130 interrupted (no trace). The mount, the loop device and the recorder are\n"
    "removed on every path.\n";

int sim_cmd_capture(int argc, char **argv)
{
    const char *fs = "ext4", *mkfs_opts = NULL, *mount_opts = NULL, *out = NULL, *keep = NULL, *size_opt = NULL;
    guint64 size = 0;
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--"))
            break;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(capture_help, stdout);
            return 0;
        }
        if (a[0] != '-')
            return sim_cli_usage("capture: unexpected argument '%s' (put the command after --)", a);
        if (i + 1 >= argc)
            return sim_cli_usage("capture: %s needs a value (see: powercut capture --help)", a);
        const char *v = argv[++i];
        if (!strcmp(a, "--fs"))
            fs = v;
        else if (!strcmp(a, "--size")) {
            size = sim_parse_size(v);
            if (size < (16ull << 20) || size % 4096)
                return sim_cli_usage("capture: --size: '%s' is not allowed (16MiB or more, a multiple of 4KiB)", v);
            size_opt = v;
        } else if (!strcmp(a, "--mkfs-opts"))
            mkfs_opts = v;
        else if (!strcmp(a, "--mount-opts"))
            mount_opts = v;
        else if (!strcmp(a, "-o") || !strcmp(a, "--output"))
            out = v;
        else if (!strcmp(a, "--keep-image"))
            keep = v;
        else
            return sim_cli_usage("capture: unknown option '%s' (see: powercut capture --help)", a);
    }
    /* the smallest image each mkfs accepts: mkfs.xfs refuses file systems of 300MB or less
     * (xfsprogs 5.19 on), mkfs.btrfs devices under 109MiB (114294784 bytes) */
    guint64 min_size, def_size;
    if (!strcmp(fs, "ext4"))
        min_size = 16ull << 20, def_size = 64ull << 20;
    else if (!strcmp(fs, "xfs"))
        min_size = 300ull << 20, def_size = 300ull << 20;
    else if (!strcmp(fs, "btrfs"))
        min_size = 110ull << 20, def_size = 128ull << 20;
    else
        return sim_cli_usage("capture: --fs: '%s' is not supported (ext4, xfs or btrfs)", fs);
    if (!size)
        size = def_size;
    else if (size < min_size)
        return sim_cli_usage("capture: --size: '%s' is too small for %s (at least %" G_GUINT64_FORMAT "MiB)", size_opt,
                             fs, min_size >> 20);
    if (!out)
        return sim_cli_usage("capture: missing -o TRACE (see: powercut capture --help)");
    if (i >= argc - 1)
        return sim_cli_usage("capture: missing the command (powercut capture -o TRACE -- COMMAND [ARGS...])");
    char **cmd = argv + i + 1;
    g_auto(GStrv) mkfs_extra = NULL;
    if (mkfs_opts && !g_shell_parse_argv(mkfs_opts, NULL, &mkfs_extra, NULL))
        return sim_cli_usage("capture: --mkfs-opts: cannot parse '%s'", mkfs_opts);
    if (geteuid() != 0)
        return sim_cli_usage("capture: needs root (it runs mkfs, mounts FUSE and a loop device); run it as root");
    if (access("/dev/fuse", R_OK | W_OK) != 0 || access("/dev/loop-control", R_OK | W_OK) != 0) {
        fprintf(stderr, "powercut: capture: %s is missing or not usable (FUSE and loop devices are needed)\n",
                access("/dev/fuse", R_OK | W_OK) ? "/dev/fuse" : "/dev/loop-control");
        return 1;
    }
    /* tools live in sbin */
    const char *path = g_getenv("PATH");
    if (!path || !strstr(path, "sbin"))
        g_setenv("PATH", path ? g_strconcat(path, ":/usr/sbin:/sbin", NULL) : "/usr/bin:/bin:/usr/sbin:/sbin", TRUE);

    Cap c = { 0 };
    GError *err = NULL;
    g_autofree char *disk = NULL, *markfile = NULL;
    int status = 1;
    struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term, old_hup;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGHUP, &sa, &old_hup);
    interrupted = 0;

    c.tmp = g_dir_make_tmp("powercut-capture-XXXXXX", &err);
    if (!c.tmp)
        goto fail;
    c.fusedir = g_build_filename(c.tmp, "rec", NULL);
    c.mnt = g_build_filename(c.tmp, "mnt", NULL);
    c.image = g_build_filename(c.tmp, "image", NULL);
    c.partial = g_strdup_printf("%s.partial", out);
    if (mkdir(c.fusedir, 0700) || mkdir(c.mnt, 0755)) {
        g_set_error(&err, SIM_TRACE_ERROR, SIM_TRACE_ERROR_IO, "cannot create %s (%s)", c.mnt, g_strerror(errno));
        goto fail;
    }
    {
        int fd = open(c.image, O_RDWR | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || ftruncate(fd, (off_t)size) != 0) {
            g_set_error(&err, SIM_TRACE_ERROR, SIM_TRACE_ERROR_IO, "cannot create the image %s (%s)", c.image,
                        g_strerror(errno));
            if (fd >= 0)
                close(fd);
            goto fail;
        }
        close(fd);
    }
    {
        GPtrArray *a = g_ptr_array_new();
        static const char *const ext4[] = { "mkfs.ext4", "-F", "-q", "-b", "4096", "-E",
                                            "lazy_itable_init=0,lazy_journal_init=0", NULL };
        static const char *const xfs[] = { "mkfs.xfs", "-f", "-q", NULL };
        static const char *const btrfs[] = { "mkfs.btrfs", "-f", "-q", NULL };
        const char *const *base = !strcmp(fs, "xfs") ? xfs : !strcmp(fs, "btrfs") ? btrfs : ext4;
        for (guint k = 0; base[k]; k++)
            g_ptr_array_add(a, (gpointer)base[k]);
        for (char **m = mkfs_extra; m && *m; m++)
            g_ptr_array_add(a, *m);
        g_ptr_array_add(a, c.image);
        g_ptr_array_add(a, NULL);
        gboolean ok = tool(NULL, &err, (const char *const *)a->pdata);
        g_ptr_array_free(a, TRUE);
        if (!ok)
            goto fail;
    }
    {   /* header and the image as mkfs left it */
        FILE *f = fopen(c.partial, "wb");
        int fd = open(c.image, O_RDONLY);
        SimTraceHeader h;
        sim_trace_header_init(&h, size, SIM_TRACE_F_CONTENTS | SIM_TRACE_F_FLUSHES | SIM_TRACE_F_TIMES, fs, "capture");
        gboolean ok = f && fd >= 0 && fwrite(&h, sizeof h, 1, f) == 1;
        if (ok)
            ok = sim_trace_put_image(f, fd, size, &err);
        else
            g_set_error(&err, SIM_TRACE_ERROR, SIM_TRACE_ERROR_IO, "cannot write %s (%s)", c.partial, g_strerror(errno));
        if (f && fclose(f) != 0 && ok) {
            g_set_error(&err, SIM_TRACE_ERROR, SIM_TRACE_ERROR_IO, "cannot write %s (%s)", c.partial, g_strerror(errno));
            ok = FALSE;
        }
        if (fd >= 0)
            close(fd);
        if (!ok)
            goto fail;
    }
    if (interrupted)
        goto fail;
    {   /* the recorder */
        int p[2];
        if (pipe(p) != 0)
            goto fail;
        fflush(NULL);
        c.rec_pid = fork();
        if (c.rec_pid == 0) {
            close(p[0]);
            _exit(sim_recorder_main(c.fusedir, c.image, size, c.partial, p[1]));
        }
        close(p[1]);
        char b = 0;
        ssize_t n;
        do
            n = read(p[0], &b, 1);
        while (n < 0 && errno == EINTR && !interrupted);
        close(p[0]);
        if (n != 1 || b != 'R') {
            g_set_error(&err, SIM_TRACE_ERROR, SIM_TRACE_ERROR_IO, "the FUSE recorder did not start");
            goto fail;
        }
        c.fuse_up = TRUE;
    }
    disk = g_build_filename(c.fusedir, "disk", NULL);
    markfile = g_build_filename(c.fusedir, "mark", NULL);
    if (!TOOL(&c.loopdev, &err, "losetup", "--find", "--show", "--direct-io=on", disk))
        goto fail;
    {   /* losetup falls back to buffered I/O when direct I/O is refused: say so
         * (the recorder opens `disk` with direct_io, so the FUSE file has no page
         * cache either way and every write still reaches it at once, in order) */
        g_autofree char *base = g_path_get_basename(c.loopdev);
        g_autofree char *sys = g_strdup_printf("/sys/block/%s/loop/dio", base);
        g_autofree char *dio = NULL;
        if (g_file_get_contents(sys, &dio, NULL, NULL) && dio[0] != '1')
            fprintf(stderr, "powercut: capture: warning: %s runs without direct I/O (the kernel refused it)\n",
                    c.loopdev);
    }
    if (interrupted)
        goto fail;
    if (!(mount_opts ? TOOL(NULL, &err, "mount", "-t", fs, "-o", mount_opts, c.loopdev, c.mnt)
                     : TOOL(NULL, &err, "mount", "-t", fs, c.loopdev, c.mnt)))
        goto fail;
    c.mounted = TRUE;
    if (interrupted)
        goto fail;
    write_mark(markfile, "command-start");
    fflush(NULL);
    c.cmd_pid = fork();
    if (c.cmd_pid == 0) {
        setpgid(0, 0);
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        sigaction(SIGHUP, &old_hup, NULL);
        if (chdir(c.mnt) != 0)
            _exit(127);
        g_setenv("POWERCUT_MNT", c.mnt, TRUE);
        g_setenv("POWERCUT_MARK", markfile, TRUE);
        execvp(cmd[0], cmd);
        fprintf(stderr, "powercut: capture: cannot run '%s' (%s)\n", cmd[0], g_strerror(errno));
        _exit(127);
    }
    setpgid(c.cmd_pid, c.cmd_pid);
    cmd_pgid = c.cmd_pid;
    int wst = 0;
    gboolean forwarded = FALSE;
    for (;;) {
        pid_t r = waitpid(c.cmd_pid, &wst, 0);
        if (r == c.cmd_pid)
            break;
        if (r < 0 && errno != EINTR)
            break;
        if (interrupted && !forwarded) {
            forwarded = TRUE;          /* the handler passed the signal on; give it time to end */
            for (int k = 0; k < 50 && waitpid(c.cmd_pid, &wst, WNOHANG) == 0; k++)
                g_usleep(100000);
            if (kill(c.cmd_pid, 0) == 0) {
                kill(-c.cmd_pid, SIGKILL);
                continue;
            }
            break;
        }
    }
    kill_group(c.cmd_pid);             /* whatever it left running */
    c.cmd_pid = 0;
    cmd_pgid = 0;
    if (interrupted)
        goto fail;
    write_mark(markfile, "command-end");
    if (!teardown(&c)) {
        g_set_error(&err, SIM_TRACE_ERROR, SIM_TRACE_ERROR_IO, "cleanup failed (see above)");
        goto fail;
    }
    if (c.rec_failed) {
        g_set_error(&err, SIM_TRACE_ERROR, SIM_TRACE_ERROR_IO, "the recorder failed: the trace is incomplete");
        goto fail;
    }
    if (keep) {    /* the image as the file system left it: what replaying every write must give */
        g_autofree char *data = NULL;
        gsize len = 0;
        if (!g_file_get_contents(c.image, &data, &len, &err) || !g_file_set_contents(keep, data, (gssize)len, &err))
            goto fail;
    }
    remove_files(&c);
    {
        FILE *f = fopen(c.partial, "ab");
        SimTraceRec end = { .type = SIM_TREC_END };
        gboolean ok = f && sim_trace_put(f, &end, NULL) && fflush(f) == 0 && fsync(fileno(f)) == 0;
        if (f && fclose(f) != 0)
            ok = FALSE;
        if (!ok || rename(c.partial, out) != 0) {
            g_set_error(&err, SIM_TRACE_ERROR, SIM_TRACE_ERROR_IO, "cannot write %s (%s)", out, g_strerror(errno));
            goto fail;
        }
    }
    if (WIFEXITED(wst) && WEXITSTATUS(wst) == 0) {
        status = 0;
    } else {
        g_autofree char *cmdline = g_strjoinv(" ", cmd);
        if (WIFSIGNALED(wst))
            fprintf(stderr, "powercut: capture: '%s' was killed by signal %d (trace written to %s)\n", cmdline,
                    WTERMSIG(wst), out);
        else
            fprintf(stderr, "powercut: capture: '%s' exited with status %d (trace written to %s)\n", cmdline,
                    WEXITSTATUS(wst), out);
        status = 1;
    }
    cap_free(&c);
    return status;

fail:
    cleanup(&c);
    if (c.partial)
        unlink(c.partial);
    if (interrupted) {
        fprintf(stderr, "powercut: capture: interrupted by signal %d; cleaned up, no trace written\n", (int)interrupted);
        status = 128 + interrupted;
    } else {
        fprintf(stderr, "powercut: capture: %s\n", err ? err->message : "failed");
        status = 1;
    }
    g_clear_error(&err);
    cap_free(&c);
    return status;
}

int sim_cmd_mark(int argc, char **argv)
{
    gboolean promise = argc == 3 && !strcmp(argv[1], "--promise");
    const char *name = argv[argc - 1];
    if ((argc != 2 && !promise) || !name[0] || name[0] == '-' || strlen(name) > 240)
        return sim_cli_usage("mark: expected one NAME of 1 to 240 bytes (powercut mark [--promise] NAME)");
    const char *f = g_getenv("POWERCUT_MARK");
    if (!f || !*f)
        return sim_cli_usage("mark: not inside powercut capture ($POWERCUT_MARK is not set)");
    g_autofree char *text = g_strconcat(promise ? SIM_TRACE_PROMISE : "", name, NULL);
    if (!write_mark(f, text)) {
        fprintf(stderr, "powercut: mark: cannot write %s (%s)\n", f, g_strerror(errno));
        return 1;
    }
    return 0;
}

int sim_cmd_show_trace(int argc, char **argv)
{
    if (argc != 2)
        return sim_cli_usage("show-trace: expected one TRACE (powercut show-trace TRACE)");
    GError *err = NULL;
    g_autoptr(SimTrace) t = sim_trace_load(argv[1], &err);
    if (!t) {
        int st = err->code == SIM_TRACE_ERROR_IO ? 1 : SIM_EXIT_BAD_INPUT;
        fprintf(stderr, "powercut: %s\n", err->message);
        g_error_free(err);
        return st;
    }
    g_autoptr(GString) s = g_string_new(NULL);
    sim_trace_dump(t, s);
    fputs(s->str, stdout);
    return 0;
}

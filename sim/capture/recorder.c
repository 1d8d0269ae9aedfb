/* sim/capture/recorder.c - the FUSE recorder behind `powercut capture`.
 *
 * Serves a folder with two files, single-threaded (fuse_loop), so the order
 * in which requests are handled is the order in which they are logged:
 *   disk  the backing image: every write is done to the image and appended
 *         to the trace (sector, length, contents); every fsync of it is a
 *         cache flush of the loop device on top (REQ_PREFLUSH, or the
 *         post-flush emulating FUA) and is logged as FLUSH;
 *   mark  a control file: each write to it appends a MARK with the bytes
 *         written (a trailing newline dropped) - `powercut mark NAME`.
 * Both are opened with direct_io so the kernel keeps no page cache for them
 * and passes each write straight through.
 */
#define FUSE_USE_VERSION 35
#include "capture.h"
#include "trace.h"
#include <fuse.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    int      img_fd;
    guint64  image_bytes;
    FILE    *log;
    gint64   t0;
    gboolean failed;
} Rec;

static Rec rec;

static guint64 now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (guint64)ts.tv_sec * 1000000000ull + (guint64)ts.tv_nsec - (guint64)rec.t0;
}

static void log_rec(SimTraceRec *r, const void *payload)
{
    r->t_ns = now_ns();
    if (!sim_trace_put(rec.log, r, payload))
        rec.failed = TRUE;
}

static int is_disk(const char *p) { return !strcmp(p, "/disk"); }
static int is_mark(const char *p) { return !strcmp(p, "/mark"); }

static int r_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
    memset(st, 0, sizeof *st);
    if (!strcmp(path, "/")) {
        st->st_mode = S_IFDIR | 0755;
        st->st_nlink = 2;
    } else if (is_disk(path)) {
        st->st_mode = S_IFREG | 0600;
        st->st_nlink = 1;
        st->st_size = (off_t)rec.image_bytes;
        st->st_blksize = 4096;
    } else if (is_mark(path)) {
        st->st_mode = S_IFREG | 0666;
        st->st_nlink = 1;
    } else {
        return -ENOENT;
    }
    return 0;
}

static int r_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off, struct fuse_file_info *fi,
                     enum fuse_readdir_flags flags)
{
    if (strcmp(path, "/"))
        return -ENOENT;
    fill(buf, ".", NULL, 0, 0);
    fill(buf, "..", NULL, 0, 0);
    fill(buf, "disk", NULL, 0, 0);
    fill(buf, "mark", NULL, 0, 0);
    return 0;
}

static int r_open(const char *path, struct fuse_file_info *fi)
{
    if (!is_disk(path) && !is_mark(path))
        return -ENOENT;
    fi->direct_io = 1;
    fi->keep_cache = 0;
    return 0;
}

static int r_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
    return is_mark(path) ? 0 : -EPERM;     /* `echo NAME > mark` truncates first */
}

static int r_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
    if (is_mark(path))
        return 0;
    if (!is_disk(path))
        return -ENOENT;
    if ((guint64)off >= rec.image_bytes)
        return 0;
    if ((guint64)off + size > rec.image_bytes)
        size = (size_t)(rec.image_bytes - (guint64)off);
    ssize_t n = pread(rec.img_fd, buf, size, off);
    return n < 0 ? -errno : (int)n;
}

static int r_write(const char *path, const char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
    if (is_mark(path)) {
        size_t n = size;
        while (n && (buf[n - 1] == '\n' || buf[n - 1] == 0))
            n--;
        SimTraceRec r = { .type = SIM_TREC_MARK, .length = (guint32)MIN(n, 255) };
        log_rec(&r, buf);
        return (int)size;
    }
    if (!is_disk(path))
        return -ENOENT;
    if ((guint64)off + size > rec.image_bytes)
        return -ENOSPC;
    if (off % SIM_TRACE_SECTOR || size % SIM_TRACE_SECTOR)
        return -EINVAL;                    /* the loop device writes whole sectors */
    ssize_t n = pwrite(rec.img_fd, buf, size, off);
    if (n < 0)
        return -errno;
    SimTraceRec r = { .type = SIM_TREC_WRITE, .nsectors = (guint32)(size / SIM_TRACE_SECTOR),
                      .sector = (guint64)off / SIM_TRACE_SECTOR, .length = (guint32)size };
    log_rec(&r, buf);
    return (int)n;
}

static int r_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
    if (is_disk(path)) {
        SimTraceRec r = { .type = SIM_TREC_FLUSH };
        log_rec(&r, NULL);
        if (fflush(rec.log) != 0)
            rec.failed = TRUE;
    }
    return 0;
}

static void *r_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
    cfg->direct_io = 1;
    cfg->kernel_cache = 0;
    cfg->attr_timeout = 0;
    cfg->entry_timeout = 0;
    cfg->use_ino = 0;
    return NULL;
}

static const struct fuse_operations ops = {
    .init = r_init,
    .getattr = r_getattr,
    .readdir = r_readdir,
    .open = r_open,
    .read = r_read,
    .write = r_write,
    .truncate = r_truncate,
    .fsync = r_fsync,
};

int sim_recorder_main(const char *dir, const char *image, guint64 image_bytes, const char *trace, int ready_fd)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    setpgid(0, 0);                       /* a terminal's Ctrl-C goes to capture, which stops us last */
    signal(SIGINT, SIG_IGN);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    rec.t0 = (gint64)ts.tv_sec * 1000000000ll + ts.tv_nsec;
    rec.image_bytes = image_bytes;
    rec.img_fd = open(image, O_RDWR);
    rec.log = fopen(trace, "ab");
    if (rec.img_fd < 0 || !rec.log) {
        fprintf(stderr, "powercut: capture: recorder: cannot open %s (%s)\n", rec.img_fd < 0 ? image : trace,
                g_strerror(errno));
        return 1;
    }
    setvbuf(rec.log, NULL, _IOFBF, 1 << 20);
    char *argv[] = { "powercut-recorder", "-o", "fsname=powercut,subtype=powercut", NULL };
    struct fuse_args args = FUSE_ARGS_INIT(3, argv);
    struct fuse *f = fuse_new(&args, &ops, sizeof ops, NULL);
    if (!f || fuse_mount(f, dir) != 0) {
        fprintf(stderr, "powercut: capture: recorder: cannot mount FUSE on %s\n", dir);
        if (f)
            fuse_destroy(f);
        return 1;
    }
    struct fuse_session *se = fuse_get_session(f);
    fuse_set_signal_handlers(se);        /* SIGTERM/SIGHUP end the loop cleanly */
    signal(SIGINT, SIG_IGN);
    if (write(ready_fd, "R", 1) != 1)
        rec.failed = TRUE;
    close(ready_fd);
    int rc = fuse_loop(f);
    fuse_remove_signal_handlers(se);
    fuse_unmount(f);
    fuse_destroy(f);
    if (fflush(rec.log) != 0 || fclose(rec.log) != 0)
        rec.failed = TRUE;
    close(rec.img_fd);
    if (rec.failed)
        fprintf(stderr, "powercut: capture: recorder: writing %s failed\n", trace);
    return rc == 0 && !rec.failed ? 0 : 1;
}

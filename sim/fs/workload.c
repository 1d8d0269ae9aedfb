/* sim/fs/workload.c - workload schema, the built-in generators and the
 * closed-loop application threads that drive the file system. */
#include "workload.h"
#include "runner.h"
#include "app.h"
#include <errno.h>
#include <string.h>

static const char *const kinds[] = { "smallfiles", "fsync_append", "lua", "atomic_save", "wal_append", "rollback_txn", NULL };

#define P(field) G_STRUCT_OFFSET(SimWorkloadCfg, field)
static const SimParam wl_params[] = {
    { "kind", SIM_PT_ENUM, P(kind), NULL, "smallfiles", SIM_PARAM_NORANGE, kinds,
      "smallfiles: create/write/fsync/delete many small files; fsync_append: append + fsync to a log; "
      "lua: operations from the scenario's ops function; atomic_save: write a temporary file, fsync it, rename it "
      "over a document; wal_append: append a log record and fsync it; rollback_txn: update a database in place "
      "under a rollback journal, SQLite style (all three with application outcomes old/new/inconsistent)" },
    { "threads", SIM_PT_INT, P(threads), NULL, "1", 1, 256, NULL, "closed-loop application threads" },
    { "dirs", SIM_PT_INT, P(dirs), NULL, "4", 1, 64, NULL, "directories d0..d{dirs-1} the files go in" },
    { "file_kb", SIM_PT_INT, P(file_kb), "KiB", "8", 0, 32768, NULL, "smallfiles: bytes written to each file" },
    { "fsync", SIM_PT_BOOL, P(fsync), NULL, "true", SIM_PARAM_NORANGE, NULL,
      "smallfiles: fsync each file after writing it; atomic_save: fsync the temporary file before the rename" },
    { "dir_fsync", SIM_PT_BOOL, P(dir_fsync), NULL, "false", SIM_PARAM_NORANGE, NULL,
      "atomic_save: fsync the directory after the rename" },
    { "txn_pages", SIM_PT_INT, P(txn_pages), NULL, "4", 1, 64, NULL,
      "rollback_txn: database pages each transaction updates (the database is file_kb)" },
    { "live_files", SIM_PT_INT, P(live_files), NULL, "64", 1, 100000, NULL,
      "smallfiles: files kept per thread; the oldest is deleted beyond this" },
    { "append_bytes", SIM_PT_INT, P(append_bytes), "B", "4096", 1, 16777216, NULL,
      "fsync_append: bytes per append" },
    { "log_mb", SIM_PT_INT, P(log_mb), "MiB", "16", 1, 4096, NULL,
      "fsync_append: start a new log file (and delete the one before) after this size" },
    { "think_us", SIM_PT_DOUBLE, P(think_us), "us", "20", 0, 1e9, NULL,
      "application CPU time before each operation" },
};
#undef P
const SimSchema sim_workload_schema = { "workload", wl_params, G_N_ELEMENTS(wl_params), sizeof(SimWorkloadCfg) };

static const char *const op_names[SIM_OP_N] = { "create", "write", "append", "fsync", "fdatasync",
                                                "unlink", "rename", "sync" };
const char *sim_op_name(SimOpKind k) { return k < SIM_OP_N ? op_names[k] : "?"; }

SimOpKind sim_op_from_name(const char *name)
{
    for (int k = 0; k < SIM_OP_N; k++)
        if (strcmp(op_names[k], name) == 0)
            return (SimOpKind)k;
    return SIM_OP_N;
}

void sim_op_clear(SimOp *op)
{
    g_clear_pointer(&op->file, g_free);
    g_clear_pointer(&op->file2, g_free);
}

/* ---- the runner -------------------------------------------------------------- */

typedef struct {
    SimRunner *r;
    guint      id;
    guint64    iteration;
    GArray    *ops;           /* SimOp batch */
    guint      next;
    GQueue     live;          /* smallfiles: names, oldest first */
    guint64    log_no, log_size;
    SimTime    t_issue;
    SimOpKind  cur;
    gboolean   stopped;
} Thread;

struct SimRunner {
    SimWorld        *w;
    SimFs           *fs;
    SimWorkloadCfg   cfg;
    SimRunnerGenFn   gen;
    gpointer         gen_ud;
    SimTime          until;
    Thread          *threads;
    SimRunnerStats   st;
    SimApp          *app;     /* application oracle, if any (not owned) */
};

void sim_runner_set_app(SimRunner *r, SimApp *app) { r->app = app; }

static void push(GArray *ops, SimOpKind k, char *file, gint64 off, gint64 len)
{
    SimOp op = { k, file, NULL, off, len };
    g_array_append_val(ops, op);
}

static void gen_smallfiles(Thread *t)
{
    const SimWorkloadCfg *c = &t->r->cfg;
    guint64 i = t->iteration;
    char *name = g_strdup_printf("d%" G_GUINT64_FORMAT "/t%u_f%" G_GUINT64_FORMAT, (i + t->id) % c->dirs, t->id, i);
    push(t->ops, SIM_OP_CREATE, g_strdup(name), 0, 0);
    if (c->file_kb)
        push(t->ops, SIM_OP_WRITE, g_strdup(name), 0, c->file_kb * 1024);
    if (c->fsync)
        push(t->ops, SIM_OP_FSYNC, g_strdup(name), 0, 0);
    g_queue_push_tail(&t->live, name);
    if (g_queue_get_length(&t->live) > (guint)c->live_files)
        push(t->ops, SIM_OP_UNLINK, g_queue_pop_head(&t->live), 0, 0);
}

static char *log_name(Thread *t, guint64 k)
{
    return g_strdup_printf("d%u/log%u_%" G_GUINT64_FORMAT, t->id % (guint)t->r->cfg.dirs, t->id, k);
}

static void gen_fsync_append(Thread *t)
{
    const SimWorkloadCfg *c = &t->r->cfg;
    if (t->iteration == 0 || t->log_size >= (guint64)c->log_mb << 20) {
        if (t->iteration) {
            t->log_no++;
            if (t->log_no >= 2)
                push(t->ops, SIM_OP_UNLINK, log_name(t, t->log_no - 2), 0, 0);
        }
        push(t->ops, SIM_OP_CREATE, log_name(t, t->log_no), 0, 0);
        t->log_size = 0;
    }
    push(t->ops, SIM_OP_APPEND, log_name(t, t->log_no), 0, c->append_bytes);
    push(t->ops, SIM_OP_FSYNC, log_name(t, t->log_no), 0, 0);
    t->log_size += c->append_bytes;
}

static void clear_ops(GArray *ops)
{
    for (guint i = 0; i < ops->len; i++)
        sim_op_clear(&g_array_index(ops, SimOp, i));
    g_array_set_size(ops, 0);
}

/* Refill the batch; FALSE when the thread has nothing more to do. */
static gboolean refill(Thread *t)
{
    SimRunner *r = t->r;
    clear_ops(t->ops);
    t->next = 0;
    if (r->gen) {
        GError *err = NULL;
        if (!r->gen(r->gen_ud, t->id, t->iteration, t->ops, &err)) {
            if (err && !r->st.error)
                r->st.error = err;           /* the first error stops the run */
            else
                g_clear_error(&err);
            return FALSE;
        }
    } else if (r->cfg.kind == SIM_WL_SMALLFILES) {
        gen_smallfiles(t);
    } else if (r->cfg.kind == SIM_WL_ATOMIC_SAVE || r->cfg.kind == SIM_WL_WAL_APPEND ||
               r->cfg.kind == SIM_WL_ROLLBACK_TXN) {
        sim_app_generate(&r->cfg, t->id, t->iteration, t->ops);
    } else {
        gen_fsync_append(t);
    }
    t->iteration++;
    return t->ops->len > 0;
}

static void issue(SimWorld *w, gpointer obj, gint64 arg);
static void execute(Thread *t);

static void schedule_next(Thread *t)
{
    SimRunner *r = t->r;
    if (t->stopped || r->st.error)
        return;
    SimTime think = sim_time_from_s(r->cfg.think_us * 1e-6);
    if (sim_now(r->w) + think >= r->until) {
        t->stopped = TRUE;
        return;
    }
    sim_schedule_after(r->w, think, issue, t, 0);
}

static void op_done(Thread *t, int err)
{
    SimRunner *r = t->r;
    if (r->app)
        sim_app_op_done(r->app, t->id, &g_array_index(t->ops, SimOp, t->next - 1), err);
    if (err < 0) {
        r->st.errors++;
    } else {
        double ms = (double)(sim_now(r->w) - t->t_issue) / 1e6;
        r->st.ops++;
        g_array_append_val(r->st.op_lat_ms, ms);
        if (t->cur == SIM_OP_FSYNC || t->cur == SIM_OP_FDATASYNC || t->cur == SIM_OP_SYNC) {
            r->st.fsyncs++;
            g_array_append_val(r->st.fsync_lat_ms, ms);
        }
    }
    schedule_next(t);
}

static void fs_done(gpointer ctx, int err) { op_done(ctx, err); }

static void issue(SimWorld *w, gpointer obj, gint64 arg)
{
    Thread *t = obj;
    if (t->next >= t->ops->len && !refill(t)) {
        t->stopped = TRUE;
        return;
    }
    SimOp *op = &g_array_index(t->ops, SimOp, t->next++);
    t->cur = op->kind;
    t->t_issue = sim_now(w);
    execute(t);
}

static void room_ready(gpointer ctx, int err) { execute(ctx); }

/* Run the current operation (t->next - 1); metadata operations first wait
 * for room in the running transaction. */
static void execute(Thread *t)
{
    SimRunner *r = t->r;
    SimOp *op = &g_array_index(t->ops, SimOp, t->next - 1);
    SimFs *fs = r->fs;
    gboolean meta = op->kind == SIM_OP_CREATE || op->kind == SIM_OP_WRITE || op->kind == SIM_OP_APPEND ||
                    op->kind == SIM_OP_UNLINK || op->kind == SIM_OP_RENAME;
    if (meta && sim_fs_wait_room(fs, room_ready, t) == 1)
        return;
    int ret = 0;
    switch (op->kind) {
    case SIM_OP_CREATE: ret = sim_fs_create(fs, op->file); break;
    case SIM_OP_WRITE:
        ret = sim_fs_write(fs, op->file, op->off, op->len);
        if (ret == 0)
            r->st.bytes += op->len;
        break;
    case SIM_OP_APPEND:
        ret = sim_fs_append(fs, op->file, op->len);
        if (ret == 0)
            r->st.bytes += op->len;
        break;
    case SIM_OP_FSYNC: ret = sim_fs_fsync(fs, op->file, FALSE, fs_done, t); break;
    case SIM_OP_FDATASYNC: ret = sim_fs_fsync(fs, op->file, TRUE, fs_done, t); break;
    case SIM_OP_UNLINK: ret = sim_fs_unlink(fs, op->file); break;
    case SIM_OP_RENAME: ret = sim_fs_rename(fs, op->file, op->file2); break;
    case SIM_OP_SYNC: ret = sim_fs_sync(fs, fs_done, t); break;
    case SIM_OP_N: g_assert_not_reached();
    }
    if (ret != 1)
        op_done(t, ret);
}

SimRunner *sim_runner_new(SimWorld *w, SimFs *fs, const SimWorkloadCfg *cfg, SimRunnerGenFn gen, gpointer gen_ud,
                          SimTime until)
{
    SimRunner *r = g_new0(SimRunner, 1);
    r->w = w;
    r->fs = fs;
    r->cfg = *cfg;
    r->gen = gen;
    r->gen_ud = gen_ud;
    r->until = until;
    r->st.op_lat_ms = g_array_new(FALSE, FALSE, sizeof(double));
    r->st.fsync_lat_ms = g_array_new(FALSE, FALSE, sizeof(double));
    r->threads = g_new0(Thread, cfg->threads);
    for (guint i = 0; i < cfg->threads; i++) {
        Thread *t = &r->threads[i];
        t->r = r;
        t->id = i;
        t->ops = g_array_new(FALSE, TRUE, sizeof(SimOp));
        g_queue_init(&t->live);
        schedule_next(t);
    }
    return r;
}

const SimRunnerStats *sim_runner_stats(const SimRunner *r) { return &r->st; }

void sim_runner_free(SimRunner *r)
{
    if (!r)
        return;
    for (guint i = 0; i < r->cfg.threads; i++) {
        clear_ops(r->threads[i].ops);
        g_array_free(r->threads[i].ops, TRUE);
        g_queue_clear_full(&r->threads[i].live, g_free);
    }
    g_free(r->threads);
    g_array_free(r->st.op_lat_ms, TRUE);
    g_array_free(r->st.fsync_lat_ms, TRUE);
    g_clear_error(&r->st.error);
    g_free(r);
}

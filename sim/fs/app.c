/* sim/fs/app.c - application workloads and their own crash oracle. */
#include "app-priv.h"
#include <string.h>

static const char *const names[SIM_APP_N] = { "old", "new", "inconsistent" };
const char *sim_app_outcome_name(SimAppOutcome o) { return o < SIM_APP_N ? names[o] : "?"; }

typedef struct { guint32 ino, igen; guint64 size; } Version;

typedef struct {
    GArray  *vers;             /* atomic_save: Version, index = version - 1 */
    guint32  renamed;          /* atomic_save: latest version whose rename completed */
    guint32  dir_ino, name;    /* the document's (or log's) entry */
    GArray  *rec_wgen;         /* wal_append: write generation of the record's last block after it was appended */
    guint32  acked;            /* wal_append: records whose fsync returned */
    guint32  wal_ino, wal_igen;
    RbThread *rb;              /* rollback_txn */
} Thread;

struct SimApp {
    SimFs         *fs;
    SimWorkloadCfg cfg;
    Thread        *t;
    SimFsHook      hook;
    gpointer       hook_ud;
};

static char *wal_path(const SimWorkloadCfg *cfg, guint thread)
{
    return g_strdup_printf("d%u/wal%u", thread % (guint)cfg->dirs, thread);
}

static char *doc_path(const SimWorkloadCfg *cfg, guint thread, guint64 version)
{
    guint dir = thread % (guint)cfg->dirs;
    return version ? g_strdup_printf("d%u/doc%u.tmp%" G_GUINT64_FORMAT, dir, thread, version)
                   : g_strdup_printf("d%u/doc%u", dir, thread);
}

void sim_app_generate(const SimWorkloadCfg *cfg, guint thread, guint64 iteration, GArray *ops)
{
    if (cfg->kind == SIM_WL_ROLLBACK_TXN) {
        rb_generate(cfg, thread, iteration, ops);
        return;
    }
    if (cfg->kind == SIM_WL_WAL_APPEND) {
        SimOp o[3] = {
            { SIM_OP_CREATE, wal_path(cfg, thread), NULL, 0, 0 },
            { SIM_OP_APPEND, wal_path(cfg, thread), NULL, 0, cfg->append_bytes },
            { SIM_OP_FSYNC, wal_path(cfg, thread), NULL, 0, 0 },
        };
        for (guint i = 0; i < 3; i++) {
            if (i > 0 || iteration == 0)
                g_array_append_val(ops, o[i]);
            else
                sim_op_clear(&o[i]);
        }
        return;
    }
    guint64 v = iteration + 1;
    char *tmp = doc_path(cfg, thread, v);
    SimOp o[5] = {
        { SIM_OP_CREATE, g_strdup(tmp), NULL, 0, 0 },
        { SIM_OP_WRITE, g_strdup(tmp), NULL, 0, cfg->file_kb * 1024 },
        { SIM_OP_FSYNC, g_strdup(tmp), NULL, 0, 0 },
        { SIM_OP_RENAME, g_strdup(tmp), doc_path(cfg, thread, 0), 0, 0 },
        { SIM_OP_FSYNC, g_strdup_printf("d%u/", thread % (guint)cfg->dirs), NULL, 0, 0 },
    };
    for (guint i = 0; i < G_N_ELEMENTS(o); i++) {
        gboolean keep = (i != 2 || cfg->fsync) && (i != 4 || cfg->dir_fsync);
        if (keep)
            g_array_append_val(ops, o[i]);
        else
            sim_op_clear(&o[i]);
    }
    g_free(tmp);
}

SimApp *sim_app_new(SimFs *fs, const SimWorkloadCfg *cfg)
{
    if (cfg->kind != SIM_WL_ATOMIC_SAVE && cfg->kind != SIM_WL_WAL_APPEND && cfg->kind != SIM_WL_ROLLBACK_TXN)
        return NULL;
    SimApp *a = g_new0(SimApp, 1);
    a->fs = fs;
    a->cfg = *cfg;
    a->t = g_new0(Thread, cfg->threads);
    for (guint i = 0; i < cfg->threads; i++) {
        a->t[i].vers = g_array_new(FALSE, TRUE, sizeof(Version));
        a->t[i].rec_wgen = g_array_new(FALSE, TRUE, sizeof(guint32));
        if (cfg->kind == SIM_WL_ROLLBACK_TXN) {
            a->t[i].rb = rb_new(fs, cfg, i, &a->t[i].dir_ino, &a->t[i].name);
            continue;
        }
        g_autofree char *doc = cfg->kind == SIM_WL_WAL_APPEND ? wal_path(cfg, i) : doc_path(cfg, i, 0);
        g_assert(sim_fs_resolve(fs, doc, &a->t[i].dir_ino, &a->t[i].name));
    }
    return a;
}

void sim_app_free(SimApp *a)
{
    if (!a)
        return;
    for (guint i = 0; i < a->cfg.threads; i++) {
        g_array_free(a->t[i].vers, TRUE);
        g_array_free(a->t[i].rec_wgen, TRUE);
        rb_free(a->t[i].rb);
    }
    g_free(a->t);
    g_free(a);
}

void sim_app_set_hook(SimApp *a, SimFsHook fn, gpointer ud)
{
    a->hook = fn;
    a->hook_ud = ud;
}

/* wal_append: what the application knows after each operation */
static void wal_op_done(SimApp *a, Thread *t, const SimOp *op)
{
    guint32 igen;
    guint64 size;
    switch (op->kind) {
    case SIM_OP_CREATE:
        t->wal_ino = sim_fs_stat(a->fs, op->file, &igen, &size);
        t->wal_igen = igen;
        break;
    case SIM_OP_APPEND: {
        /* the record ends in the block holding its last byte: remember that
         * block's write generation, which the record needs to be intact */
        sim_fs_stat(a->fs, op->file, &igen, &size);
        guint32 wgen = sim_fs_page_wgen(a->fs, t->wal_ino, (guint32)((size - 1) / SIM_BLOCK_SIZE));
        g_array_append_val(t->rec_wgen, wgen);
        break;
    }
    case SIM_OP_FSYNC:
        t->acked = t->rec_wgen->len;
        if (a->hook)
            a->hook(a->hook_ud);
        break;
    default:
        break;
    }
}

void sim_app_op_done(SimApp *a, guint thread, const SimOp *op, int ret)
{
    Thread *t = &a->t[thread];
    if (ret < 0)
        return;
    if (a->cfg.kind == SIM_WL_WAL_APPEND) {
        wal_op_done(a, t, op);
        return;
    }
    if (a->cfg.kind == SIM_WL_ROLLBACK_TXN) {
        if (rb_op_done(a->fs, &a->cfg, t->rb, op) && a->hook)
            a->hook(a->hook_ud);
        return;
    }
    guint32 igen;
    guint64 size;
    switch (op->kind) {
    case SIM_OP_CREATE: {
        Version v = { sim_fs_stat(a->fs, op->file, &igen, &size), 0, 0 };
        v.igen = igen;
        g_array_append_val(t->vers, v);
        break;
    }
    case SIM_OP_WRITE:
        if (t->vers->len) {
            Version *v = &g_array_index(t->vers, Version, t->vers->len - 1);
            v->size = MAX(v->size, (guint64)(op->off + op->len));
        }
        break;
    case SIM_OP_RENAME:
        t->renamed = t->vers->len;
        if (a->hook)
            a->hook(a->hook_ud);
        break;
    default:
        break;
    }
}

static SimAppOutcome judge_thread(SimApp *a, guint i, SimFileReader rd, gpointer ud, GString *why)
{
    Thread *t = &a->t[i];
    g_autofree char *doc = doc_path(&a->cfg, i, 0);
    SimFileView f = { 0 };
    GArray *blocks = g_array_new(FALSE, TRUE, sizeof(const SimVer *));
    f.blocks = blocks;
    SimAppOutcome o;
    if (!rd(ud, t->dir_ino, t->name, &f)) {
        o = t->renamed ? SIM_APP_INCONSISTENT : SIM_APP_OLD;
        if (o == SIM_APP_INCONSISTENT)
            g_string_printf(why, "%s is missing, though version %u was saved", doc, t->renamed);
        goto out;
    }
    guint32 v = 0;
    for (guint k = 0; k < t->vers->len && !v; k++) {
        const Version *x = &g_array_index(t->vers, Version, k);
        if (x->ino == f.ino && x->igen == f.igen)
            v = k + 1;
    }
    if (!v) {
        o = SIM_APP_INCONSISTENT;
        g_string_printf(why, "%s is inode %u, none of the saved versions", doc, f.ino);
        goto out;
    }
    const Version *x = &g_array_index(t->vers, Version, v - 1);
    if (f.size != x->size) {
        o = SIM_APP_INCONSISTENT;
        g_string_printf(why, "%s is version %u with size %" G_GUINT64_FORMAT ", not %" G_GUINT64_FORMAT "%s", doc, v,
                        f.size, x->size, f.size == 0 ? " (zero-length after rename)" : "");
        goto out;
    }
    for (guint l = 0; l < blocks->len; l++) {
        const SimVer *b = g_array_index(blocks, const SimVer *, l);
        if (!b || b->type != SIM_BT_DATA || b->u.data.ino != f.ino || b->u.data.igen != f.igen ||
            b->u.data.lblk != l) {
            o = SIM_APP_INCONSISTENT;
            g_string_printf(why, "%s is version %u but its block %u does not hold the data written to it", doc, v, l);
            goto out;
        }
    }
    o = v >= t->renamed ? SIM_APP_NEW : SIM_APP_OLD;
out:
    g_array_free(blocks, TRUE);
    return o;
}

/* Is record k of the log intact in the recovered file? */
static gboolean wal_record_ok(const Thread *t, const SimFileView *f, const SimWorkloadCfg *cfg, guint32 k)
{
    guint64 end = (guint64)(k + 1) * (guint64)cfg->append_bytes;
    if (f->size < end)
        return FALSE;
    guint32 first = (guint32)((end - (guint64)cfg->append_bytes) / SIM_BLOCK_SIZE), last = (guint32)((end - 1) / SIM_BLOCK_SIZE);
    for (guint32 l = first; l <= last; l++) {
        const SimVer *b = l < f->blocks->len ? g_array_index(f->blocks, const SimVer *, l) : NULL;
        if (!b || b->type != SIM_BT_DATA || b->u.data.ino != f->ino || b->u.data.igen != f->igen || b->u.data.lblk != l)
            return FALSE;
        /* earlier blocks of the record were complete once a later block was
         * started; the last one must be at least as new as the record */
        if (l == last && b->u.data.wgen < g_array_index(t->rec_wgen, guint32, k))
            return FALSE;
    }
    return TRUE;
}

static SimAppOutcome judge_wal(SimApp *a, guint i, SimFileReader rd, gpointer ud, GString *why)
{
    Thread *t = &a->t[i];
    g_autofree char *wal = wal_path(&a->cfg, i);
    GArray *blocks = g_array_new(FALSE, TRUE, sizeof(const SimVer *));
    SimFileView f = { .blocks = blocks };
    SimAppOutcome o = SIM_APP_NEW;
    if (!rd(ud, t->dir_ino, t->name, &f) || f.ino != t->wal_ino || f.igen != t->wal_igen) {
        o = t->acked ? SIM_APP_OLD : SIM_APP_NEW;   /* no log: the empty state before any record */
        if (t->acked)
            g_string_printf(why, "%s is missing: all %u committed records lost", wal, t->acked);
        goto out;
    }
    guint32 n = t->rec_wgen->len, prefix = 0;
    while (prefix < n && wal_record_ok(t, &f, &a->cfg, prefix))
        prefix++;
    for (guint32 k = prefix + 1; k < n; k++)
        if (wal_record_ok(t, &f, &a->cfg, k)) {
            o = SIM_APP_INCONSISTENT;
            g_string_printf(why, "%s: record %u is on disk but record %u before it is not", wal, k, prefix);
            goto out;
        }
    if (prefix < t->acked) {
        o = SIM_APP_OLD;
        g_string_printf(why, "%s ends after %u records; %u were committed", wal, prefix, t->acked);
    }
out:
    g_array_free(blocks, TRUE);
    return o;
}

SimAppOutcome sim_app_judge(SimApp *a, SimFileReader rd, gpointer ud, GString *reason)
{
    SimAppOutcome worst = SIM_APP_NEW;
    g_autoptr(GString) why = g_string_new(NULL);
    for (guint i = 0; i < a->cfg.threads; i++) {
        g_string_truncate(why, 0);
        SimAppOutcome o = a->cfg.kind == SIM_WL_WAL_APPEND     ? judge_wal(a, i, rd, ud, why)
                          : a->cfg.kind == SIM_WL_ROLLBACK_TXN ? rb_judge(&a->cfg, a->t[i].rb, a->t[i].dir_ino,
                                                                          a->t[i].name, rd, ud, why)
                                                               : judge_thread(a, i, rd, ud, why);
        /* inconsistent > old > new */
        int rank[SIM_APP_N] = { [SIM_APP_NEW] = 0, [SIM_APP_OLD] = 1, [SIM_APP_INCONSISTENT] = 2 };
        if (rank[o] > rank[worst]) {
            worst = o;
            if (reason)
                g_string_assign(reason, why->str);
        }
    }
    return worst;
}

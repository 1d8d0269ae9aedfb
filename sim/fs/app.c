/* sim/fs/app.c - application workloads and their own crash oracle. */
#include "app.h"
#include <string.h>

static const char *const names[SIM_APP_N] = { "old", "new", "inconsistent" };
const char *sim_app_outcome_name(SimAppOutcome o) { return o < SIM_APP_N ? names[o] : "?"; }

typedef struct { guint32 ino, igen; guint64 size; } Version;

typedef struct {
    GArray  *vers;             /* Version, index = version - 1 */
    guint32  renamed;          /* latest version whose rename completed */
    guint32  dir_ino, name;    /* the document's entry */
} Thread;

struct SimApp {
    SimFs         *fs;
    SimWorkloadCfg cfg;
    Thread        *t;
    SimFsHook      hook;
    gpointer       hook_ud;
};

static char *doc_path(const SimWorkloadCfg *cfg, guint thread, guint64 version)
{
    guint dir = thread % (guint)cfg->dirs;
    return version ? g_strdup_printf("d%u/doc%u.tmp%" G_GUINT64_FORMAT, dir, thread, version)
                   : g_strdup_printf("d%u/doc%u", dir, thread);
}

void sim_app_generate(const SimWorkloadCfg *cfg, guint thread, guint64 iteration, GArray *ops)
{
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
    if (cfg->kind != SIM_WL_ATOMIC_SAVE)
        return NULL;
    SimApp *a = g_new0(SimApp, 1);
    a->fs = fs;
    a->cfg = *cfg;
    a->t = g_new0(Thread, cfg->threads);
    for (guint i = 0; i < cfg->threads; i++) {
        a->t[i].vers = g_array_new(FALSE, TRUE, sizeof(Version));
        g_autofree char *doc = doc_path(cfg, i, 0);
        g_assert(sim_fs_resolve(fs, doc, &a->t[i].dir_ino, &a->t[i].name));
    }
    return a;
}

void sim_app_free(SimApp *a)
{
    if (!a)
        return;
    for (guint i = 0; i < a->cfg.threads; i++)
        g_array_free(a->t[i].vers, TRUE);
    g_free(a->t);
    g_free(a);
}

void sim_app_set_hook(SimApp *a, SimFsHook fn, gpointer ud)
{
    a->hook = fn;
    a->hook_ud = ud;
}

void sim_app_op_done(SimApp *a, guint thread, const SimOp *op, int ret)
{
    Thread *t = &a->t[thread];
    if (ret < 0)
        return;
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

SimAppOutcome sim_app_judge(SimApp *a, SimFileReader rd, gpointer ud, GString *reason)
{
    SimAppOutcome worst = SIM_APP_NEW;
    g_autoptr(GString) why = g_string_new(NULL);
    for (guint i = 0; i < a->cfg.threads; i++) {
        g_string_truncate(why, 0);
        SimAppOutcome o = judge_thread(a, i, rd, ud, why);
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

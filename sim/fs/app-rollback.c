/* sim/fs/app-rollback.c - rollback_txn: a database updated in place under
 * a rollback journal, SQLite's DELETE journal mode.
 *
 * Thread T keeps database dK/dbT of file_kb (pages of 4 KiB). Iteration 0
 * writes every page and fsyncs. Transaction i then: creates dK/dbT-journal
 * and writes into it the original images of txn_pages pages, fsyncs it,
 * overwrites those pages in the database, fsyncs the database, and deletes
 * the journal - the commit point. After a cut the application opens the
 * database as SQLite does: a journal that is present and complete is "hot"
 * and rolled back (its images copied over the pages). The pages are then
 * compared with the states the application committed: `new` (the last
 * committed state, or the one being committed), `old` (an earlier committed
 * state: committed transactions lost), `inconsistent` (a mixture that is no
 * committed state - what the journal exists to prevent). As in SQLite's
 * synchronous=FULL, the deletion is not synced, so a cut can still roll a
 * committed transaction back (`old`); workload.dir_fsync = true syncs the
 * directory after it, like synchronous=EXTRA.
 */
#include "app-priv.h"
#include <string.h>

/* One journal incarnation: which pages it holds the original images of. */
typedef struct {
    guint32 ino, igen, n;
    guint32 pages[64], before[64], wgen[64];
} Journal;

struct RbThread {
    guint32  db_ino, db_igen, npages;
    guint32 *cur;              /* each page's write generation now */
    GPtrArray *states;         /* guint32[npages] per committed state, oldest first */
    GArray  *journals;         /* Journal, every incarnation (an old one may survive a cut) */
    gboolean in_txn;
    guint32  jr_dir, jr_name;
};

static char *db_path(const SimWorkloadCfg *cfg, guint thread, gboolean journal)
{
    return g_strdup_printf("d%u/db%u%s", thread % (guint)cfg->dirs, thread, journal ? "-journal" : "");
}

static guint npages(const SimWorkloadCfg *cfg) { return (guint)MAX(1, cfg->file_kb / 4); }

/* The pages transaction i updates: distinct, spread, the same for the
 * generator and the oracle. */
static guint txn_page(const SimWorkloadCfg *cfg, guint64 i, guint k)
{
    guint n = npages(cfg);
    return (guint)((i * 7 + (guint64)k * (n / MAX(1u, (guint)cfg->txn_pages) + 1)) % n);
}

static guint txn_count(const SimWorkloadCfg *cfg) { return MIN((guint)cfg->txn_pages, npages(cfg)); }

static void push(GArray *ops, SimOpKind k, char *file, gint64 off, gint64 len)
{
    SimOp op = { k, file, NULL, off, len };
    g_array_append_val(ops, op);
}

void rb_generate(const SimWorkloadCfg *cfg, guint thread, guint64 iteration, GArray *ops)
{
    if (iteration == 0) {
        push(ops, SIM_OP_CREATE, db_path(cfg, thread, FALSE), 0, 0);
        push(ops, SIM_OP_WRITE, db_path(cfg, thread, FALSE), 0, (gint64)npages(cfg) * 4096);
        push(ops, SIM_OP_FSYNC, db_path(cfg, thread, FALSE), 0, 0);
        return;
    }
    guint m = txn_count(cfg);
    push(ops, SIM_OP_CREATE, db_path(cfg, thread, TRUE), 0, 0);
    push(ops, SIM_OP_WRITE, db_path(cfg, thread, TRUE), 0, (gint64)m * 4096);
    push(ops, SIM_OP_FSYNC, db_path(cfg, thread, TRUE), 0, 0);
    for (guint k = 0; k < m; k++)
        push(ops, SIM_OP_WRITE, db_path(cfg, thread, FALSE), (gint64)txn_page(cfg, iteration, k) * 4096, 4096);
    push(ops, SIM_OP_FSYNC, db_path(cfg, thread, FALSE), 0, 0);
    push(ops, SIM_OP_UNLINK, db_path(cfg, thread, TRUE), 0, 0);
    if (cfg->dir_fsync)                          /* synchronous=EXTRA: make the deletion durable */
        push(ops, SIM_OP_FSYNC, g_strdup_printf("d%u/", thread % (guint)cfg->dirs), 0, 0);
}

RbThread *rb_new(SimFs *fs, const SimWorkloadCfg *cfg, guint thread, guint32 *dir_ino, guint32 *name)
{
    RbThread *t = g_new0(RbThread, 1);
    t->npages = npages(cfg);
    t->cur = g_new0(guint32, t->npages);
    t->states = g_ptr_array_new_with_free_func(g_free);
    t->journals = g_array_new(FALSE, TRUE, sizeof(Journal));
    g_autofree char *db = db_path(cfg, thread, FALSE), *jr = db_path(cfg, thread, TRUE);
    g_assert(sim_fs_resolve(fs, db, dir_ino, name));
    g_assert(sim_fs_resolve(fs, jr, &t->jr_dir, &t->jr_name));
    return t;
}

void rb_free(RbThread *t)
{
    if (!t)
        return;
    g_free(t->cur);
    g_ptr_array_free(t->states, TRUE);
    g_array_free(t->journals, TRUE);
    g_free(t);
}

static guint32 *last_state(RbThread *t)
{
    return t->states->len ? g_ptr_array_index(t->states, t->states->len - 1) : NULL;
}

/* returns TRUE when what the application believes changed */
gboolean rb_op_done(SimFs *fs, const SimWorkloadCfg *cfg, RbThread *t, const SimOp *op)
{
    gboolean journal = g_str_has_suffix(op->file, "-journal");
    guint32 igen;
    guint64 size;
    switch (op->kind) {
    case SIM_OP_CREATE:
        if (!journal) {
            t->db_ino = sim_fs_stat(fs, op->file, &igen, &size);
            t->db_igen = igen;
            return FALSE;
        }
        {
            Journal j = { 0 };
            j.ino = sim_fs_stat(fs, op->file, &igen, &size);
            j.igen = igen;
            j.n = txn_count(cfg);
            for (guint k = 0; k < j.n; k++) {
                j.pages[k] = txn_page(cfg, t->states->len, k);   /* transaction number = states so far */
                j.before[k] = last_state(t) ? last_state(t)[j.pages[k]] : 0;
            }
            g_array_append_val(t->journals, j);
        }
        t->in_txn = TRUE;
        return FALSE;
    case SIM_OP_WRITE:
        if (journal) {
            Journal *j = &g_array_index(t->journals, Journal, t->journals->len - 1);
            for (guint k = 0; k < j->n; k++)
                j->wgen[k] = sim_fs_page_wgen(fs, j->ino, k);
        } else {
            for (guint p = (guint)(op->off / 4096); p < (guint)((op->off + op->len + 4095) / 4096) && p < t->npages; p++)
                t->cur[p] = sim_fs_page_wgen(fs, t->db_ino, p);
        }
        return FALSE;
    case SIM_OP_FSYNC:
        if ((!journal && !t->states->len) ||                     /* the initial database */
            (g_str_has_suffix(op->file, "/") && t->in_txn)) {    /* synchronous=EXTRA: the deletion is durable */
            g_ptr_array_add(t->states, g_memdup2(t->cur, t->npages * sizeof(guint32)));
            t->in_txn = FALSE;
            return TRUE;
        }
        return FALSE;
    case SIM_OP_UNLINK:                          /* the journal is gone: committed (synchronous=FULL) */
        if (cfg->dir_fsync)
            return FALSE;                        /* EXTRA commits once the directory is synced */
        g_ptr_array_add(t->states, g_memdup2(t->cur, t->npages * sizeof(guint32)));
        t->in_txn = FALSE;
        return TRUE;
    default:
        return FALSE;
    }
}

SimAppOutcome rb_judge(const SimWorkloadCfg *cfg, RbThread *t, guint32 dir_ino, guint32 name, SimFileReader rd,
                       gpointer ud, GString *why)
{
    if (!t->states->len)
        return SIM_APP_NEW;                      /* nothing committed yet */
    GArray *blocks = g_array_new(FALSE, TRUE, sizeof(const SimVer *));
    SimFileView f = { .blocks = blocks };
    SimAppOutcome o = SIM_APP_INCONSISTENT;
    g_autofree guint32 *v = g_new0(guint32, t->npages);
    if (!rd(ud, dir_ino, name, &f) || f.ino != t->db_ino || f.igen != t->db_igen) {
        g_string_printf(why, "the database is missing");
        goto out;
    }
    for (guint p = 0; p < t->npages; p++) {
        const SimVer *b = p < blocks->len ? g_array_index(blocks, const SimVer *, p) : NULL;
        v[p] = b && b->type == SIM_BT_DATA && b->u.data.ino == f.ino && b->u.data.igen == f.igen && b->u.data.lblk == p
                   ? b->u.data.wgen : 0;
    }
    /* a hot journal - present and complete - is rolled back */
    GArray *jb = g_array_new(FALSE, TRUE, sizeof(const SimVer *));
    SimFileView jf = { .blocks = jb };
    const Journal *j = NULL;
    if (rd(ud, t->jr_dir, t->jr_name, &jf))
        for (guint k = 0; k < t->journals->len && !j; k++) {
            const Journal *x = &g_array_index(t->journals, Journal, k);
            if (x->ino == jf.ino && x->igen == jf.igen)
                j = x;
        }
    gboolean hot = j && jb->len >= j->n;
    for (guint k = 0; hot && k < j->n; k++) {
        const SimVer *b = g_array_index(jb, const SimVer *, k);
        hot = b && b->type == SIM_BT_DATA && b->u.data.ino == jf.ino && b->u.data.igen == jf.igen &&
              b->u.data.lblk == k && b->u.data.wgen >= j->wgen[k];
    }
    for (guint k = 0; hot && k < j->n; k++)
        v[j->pages[k]] = j->before[k];
    g_array_free(jb, TRUE);
    /* the state the application believes in, or the one it was committing */
    guint n = t->states->len;
    if (memcmp(v, g_ptr_array_index(t->states, n - 1), t->npages * sizeof(guint32)) == 0 ||
        (t->in_txn && memcmp(v, t->cur, t->npages * sizeof(guint32)) == 0)) {
        o = SIM_APP_NEW;
        goto out;
    }
    for (guint k = n - 1; k-- > 0;)
        if (memcmp(v, g_ptr_array_index(t->states, k), t->npages * sizeof(guint32)) == 0) {
            o = SIM_APP_OLD;
            g_string_printf(why, "the database is at committed state %u of %u%s", k, n - 1,
                            hot ? " after rolling back its journal" : "");
            goto out;
        }
    for (guint p = 0; p < t->npages; p++)
        if (v[p] != ((guint32 *)g_ptr_array_index(t->states, n - 1))[p]) {
            g_string_printf(why, "page %u holds write %u: the database matches no committed state%s", p, v[p],
                            hot ? " (after rolling back its journal)" : t->in_txn ? " (no hot journal to roll back)" : "");
            break;
        }
out:
    g_array_free(blocks, TRUE);
    return o;
}

/* sim/capture/layout.c - the role of each block of an ext4 image (layout.h):
 *   dumpe2fs IMAGE                      block size, journal inode, and per group
 *                                       "Primary/Backup superblock at B",
 *                                       "Group descriptors at A-B", "Reserved GDT blocks at A-B",
 *                                       "Block bitmap at B", "Inode bitmap at B", "Inode table at A-B"
 *   debugfs -R "blocks <J>" IMAGE       the journal inode's blocks
 * kept as sorted ranges. Only 4 KiB file-system blocks: then a file-system
 * block is a trace block. */
#include "layout.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct { guint64 lo, hi; SimRole role; } Range;   /* blocks [lo, hi] */

struct SimLayout {
    GArray *ranges;          /* Range, sorted by lo, not overlapping */
};

static const char *const role_names[SIM_ROLE_N] = {
    [SIM_ROLE_DATA] = "data or directory",
    [SIM_ROLE_INODE_TABLE] = "inode table",
    [SIM_ROLE_INODE_BITMAP] = "inode bitmap",
    [SIM_ROLE_BLOCK_BITMAP] = "block bitmap",
    [SIM_ROLE_SUPER] = "superblock or group descriptors",
    [SIM_ROLE_JOURNAL] = "journal",
};

const char *sim_role_name(SimRole r) { return r < SIM_ROLE_N ? role_names[r] : "?"; }

static void add(GArray *a, guint64 lo, guint64 hi, SimRole role)
{
    Range r = { lo, hi, role };
    g_array_append_val(a, r);
}

static int cmp_range(gconstpointer a, gconstpointer b)
{
    const Range *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* argv's standard output, or NULL with error when it cannot run or exits non-zero. */
static char *run(const char *const *argv, GError **error)
{
    char *out = NULL, *err = NULL;
    int st = 0;
    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &st, error))
        return NULL;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        g_strstrip(err);
        char *nl = strchr(err, '\n');
        if (nl)
            *nl = 0;
        g_set_error(error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED, "%s failed: %s", argv[0], err);
        g_free(out);
        out = NULL;
    }
    g_free(err);
    return out;
}

SimLayout *sim_layout_ext4_new(const char *image, GError **error)
{
    const char *dargv[] = { "dumpe2fs", image, NULL };
    g_autofree char *dump = run(dargv, error);
    if (!dump)
        return NULL;
    g_autoptr(GRegex) bs_re = g_regex_new("^Block size:\\s+([0-9]+)$", G_REGEX_MULTILINE, 0, NULL);
    g_autoptr(GRegex) jn_re = g_regex_new("^Journal inode:\\s+([0-9]+)$", G_REGEX_MULTILINE, 0, NULL);
    g_autoptr(GMatchInfo) mi = NULL;
    if (!g_regex_match(bs_re, dump, 0, &mi)) {
        g_set_error(error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED, "%s: dumpe2fs names no block size", image);
        return NULL;
    }
    g_autofree char *bs = g_match_info_fetch(mi, 1);
    if (strtoull(bs, NULL, 10) != SIM_TRACE_BLOCK) {
        g_set_error(error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED, "%s: block size %s, not %u: no layout", image, bs,
                    SIM_TRACE_BLOCK);
        return NULL;
    }
    g_clear_pointer(&mi, g_match_info_free);
    GArray *a = g_array_new(FALSE, FALSE, sizeof(Range));
    /* per group: "Primary superblock at 0, Group descriptors at 1-1", "Reserved GDT blocks at 2-8",
     * "Block bitmap at 9 (+9)", "Inode bitmap at 25 (+25)", "Inode table at 41-1064 (+41)";
     * meta_bg: "Group descriptor at N" */
    static const struct { const char *re; SimRole role; } pats[] = {
        { "(?:Primary|Backup) superblock at ([0-9]+)()", SIM_ROLE_SUPER },
        { "Group descriptors? at ([0-9]+)(?:-([0-9]+))?", SIM_ROLE_SUPER },
        { "Reserved GDT blocks at ([0-9]+)(?:-([0-9]+))?", SIM_ROLE_SUPER },
        { "Block bitmap at ([0-9]+)()", SIM_ROLE_BLOCK_BITMAP },
        { "Inode bitmap at ([0-9]+)()", SIM_ROLE_INODE_BITMAP },
        { "Inode table at ([0-9]+)(?:-([0-9]+))?", SIM_ROLE_INODE_TABLE },
    };
    for (guint p = 0; p < G_N_ELEMENTS(pats); p++) {
        g_autoptr(GRegex) re = g_regex_new(pats[p].re, 0, 0, NULL);
        g_regex_match(re, dump, 0, &mi);
        for (; g_match_info_matches(mi); g_match_info_next(mi, NULL)) {
            g_autofree char *lo = g_match_info_fetch(mi, 1), *hi = g_match_info_fetch(mi, 2);
            guint64 l = strtoull(lo, NULL, 10);
            add(a, l, hi && *hi ? strtoull(hi, NULL, 10) : l, pats[p].role);
        }
        g_clear_pointer(&mi, g_match_info_free);
    }
    if (g_regex_match(jn_re, dump, 0, &mi)) {     /* an internal journal */
        g_autofree char *ino = g_match_info_fetch(mi, 1);
        g_autofree char *req = g_strdup_printf("blocks <%s>", ino);
        const char *jargv[] = { "debugfs", "-R", req, image, NULL };
        g_autofree char *blocks = run(jargv, error);
        if (!blocks) {
            g_array_free(a, TRUE);
            return NULL;
        }
        g_auto(GStrv) w = g_strsplit_set(blocks, " \t\n", -1);
        for (guint i = 0; w[i]; i++)
            if (*w[i]) {
                guint64 b = strtoull(w[i], NULL, 10);
                Range *last = a->len ? &g_array_index(a, Range, a->len - 1) : NULL;
                if (last && last->role == SIM_ROLE_JOURNAL && last->hi + 1 == b)
                    last->hi = b;           /* extents: consecutive blocks in one range */
                else
                    add(a, b, b, SIM_ROLE_JOURNAL);
            }
    }
    g_array_sort(a, cmp_range);
    SimLayout *l = g_new0(SimLayout, 1);
    l->ranges = a;
    return l;
}

SimLayout *sim_layout_from_trace(const SimTrace *tr, const char *dir, GError **error)
{
    if (strcmp(tr->hdr.fs, "ext4") || !(tr->hdr.flags & SIM_TRACE_F_CONTENTS) || !tr->init->len)
        return NULL;
    g_autofree char *img = g_build_filename(dir, "layout.img", NULL);
    int fd = open(img, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: cannot create (%s)", img,
                    g_strerror(errno));
        return NULL;
    }
    gboolean ok = ftruncate(fd, (off_t)tr->hdr.image_bytes) == 0;
    for (guint i = 0; ok && i < tr->init->len; i++) {
        const SimTraceOp *op = &g_array_index(tr->init, SimTraceOp, i);
        gsize n = (gsize)op->rec.nsectors * SIM_TRACE_SECTOR;
        ok = op->data && pwrite(fd, op->data, n, (off_t)(op->rec.sector * SIM_TRACE_SECTOR)) == (ssize_t)n;
    }
    close(fd);
    SimLayout *l = NULL;
    if (!ok)
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_IO, "%s: cannot write the initial image", img);
    else
        l = sim_layout_ext4_new(img, error);
    unlink(img);
    return l;
}

void sim_layout_free(SimLayout *l)
{
    if (!l)
        return;
    g_array_free(l->ranges, TRUE);
    g_free(l);
}

SimRole sim_layout_role(const SimLayout *l, guint64 block)
{
    guint lo = 0, hi = l->ranges->len;          /* the last range with r.lo <= block */
    while (lo < hi) {
        guint mid = (lo + hi) / 2;
        if (g_array_index(l->ranges, Range, mid).lo <= block)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return SIM_ROLE_DATA;
    const Range *r = &g_array_index(l->ranges, Range, lo - 1);
    return block <= r->hi ? r->role : SIM_ROLE_DATA;
}

const char *sim_layout_describe(const SimLayout *l, guint64 block, const guint8 *contents)
{
    SimRole r = sim_layout_role(l, block);
    if (r != SIM_ROLE_JOURNAL || !contents)
        return sim_role_name(r);
    /* jbd2 block header: big-endian h_magic 0xC03B3998, h_blocktype */
    guint32 magic = (guint32)contents[0] << 24 | (guint32)contents[1] << 16 | (guint32)contents[2] << 8 | contents[3];
    guint32 type = (guint32)contents[4] << 24 | (guint32)contents[5] << 16 | (guint32)contents[6] << 8 | contents[7];
    if (magic != 0xC03B3998u)
        return "journal copy";
    switch (type) {
    case 1: return "journal descriptor";
    case 2: return "journal commit";
    case 3: case 4: return "journal superblock";
    case 5: return "journal revoke";
    default: return "journal";
    }
}

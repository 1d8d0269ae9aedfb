/* sim/fs/content.c - the version table behind content tokens. */
#include "content.h"

static const char *const type_names[SIM_BT_N] = {
    [SIM_BT_ZERO] = "zeroes", [SIM_BT_SB] = "superblock", [SIM_BT_BBITMAP] = "block bitmap",
    [SIM_BT_IBITMAP] = "inode bitmap", [SIM_BT_ITABLE] = "inode table", [SIM_BT_DIR] = "directory",
    [SIM_BT_DATA] = "file data", [SIM_BT_JSB] = "journal superblock", [SIM_BT_JDESC] = "journal descriptor",
    [SIM_BT_JCOMMIT] = "journal commit", [SIM_BT_JREVOKE] = "journal revoke",
};

const char *sim_blk_type_name(SimBlkType t) { return t < SIM_BT_N ? type_names[t] : "?"; }

SimContent *sim_content_new(void)
{
    SimContent *c = g_new0(SimContent, 1);
    c->vers = g_array_sized_new(FALSE, TRUE, sizeof(SimVer), 4096);
    SimVer zero = { .type = SIM_BT_ZERO };
    g_array_append_val(c->vers, zero);
    return c;
}

void sim_content_free(SimContent *c)
{
    if (!c)
        return;
    for (guint i = 0; i < c->vers->len; i++) {
        SimVer *v = &g_array_index(c->vers, SimVer, i);
        if (v->type != SIM_BT_DATA && v->type != SIM_BT_JSB && v->type != SIM_BT_JCOMMIT)
            g_free(v->u.snap);
    }
    g_array_free(c->vers, TRUE);
    g_free(c);
}

SimToken sim_content_add(SimContent *c, const SimVer *v)
{
    g_assert(c->vers->len < SIM_TOKEN_TORN_BIT - 1);
    g_array_append_val(c->vers, *v);
    return c->vers->len - 1;
}

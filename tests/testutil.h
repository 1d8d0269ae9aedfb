/* tests/testutil.h - shared helpers for the GTest unit tests. */
#pragma once
#include <glib.h>

/* Find the folder of the test scenarios: the first of $POWERCUT_TEST_DATA,
 * G_TEST_DIST/data, tests/data next to this source, ./tests/data and
 * ../../tests/data or ../../../tests/data from the binary (build/ or
 * build/asan/) that holds `probe`. Points $POWERCUT_LUA_DIR at the
 * repository's lua/ unless set, and takes the master seed from
 * $POWERCUT_TEST_SEED (default 1). Returns the folder; *root (nullable)
 * receives the repository root. (transfer full) */
static inline char *test_find_data(const char *probe, char **root, guint64 *seed)
{
    const char *env = g_getenv("POWERCUT_TEST_DATA");
    g_autofree char *dist = g_test_build_filename(G_TEST_DIST, "data", NULL);
    g_autofree char *src = g_path_get_dirname(__FILE__);
    g_autofree char *near_src = g_build_filename(src, "data", NULL);
    g_autofree char *up2 = g_test_build_filename(G_TEST_DIST, "..", "..", "tests", "data", NULL);
    g_autofree char *up3 = g_test_build_filename(G_TEST_DIST, "..", "..", "..", "tests", "data", NULL);
    const char *cand[] = { env, dist, near_src, "tests/data", up2, up3 };
    char *dir = NULL;
    for (guint i = 0; i < G_N_ELEMENTS(cand) && !dir; i++) {
        if (!cand[i])
            continue;
        g_autofree char *p = g_build_filename(cand[i], probe, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_REGULAR))
            dir = g_strdup(cand[i]);
    }
    if (!dir)
        g_error("tests/data/%s not found: run from the repository root or set POWERCUT_TEST_DATA", probe);
    g_autofree char *tests = g_path_get_dirname(dir);
    char *top = g_path_get_dirname(tests);
    g_autofree char *lua = g_build_filename(top, "lua", NULL);
    if (!g_getenv("POWERCUT_LUA_DIR") && g_file_test(lua, G_FILE_TEST_IS_DIR))
        g_setenv("POWERCUT_LUA_DIR", lua, TRUE);
    const char *s = g_getenv("POWERCUT_TEST_SEED");
    if (seed && s && *s)
        *seed = g_ascii_strtoull(s, NULL, 10);
    if (root)
        *root = top;
    else
        g_free(top);
    return dir;
}

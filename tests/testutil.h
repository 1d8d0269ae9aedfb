/* tests/testutil.h - shared helpers for the GTest unit tests. */
#pragma once
#include <glib.h>

/*
 * fault.c -- named kill points for the recovery tests (TESTING.md
 * section 4): the seams where a crash is most likely to lose or duplicate
 * data.  With WEIR_KILL_AT=name (or name:N, the N-th time it is reached)
 * the process sends itself SIGKILL at that point, as a power cut would.
 * Without the variable a kill point costs one getenv.
 *
 * Entry point: weir__kill_point.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

static _Atomic long hits;

void weir__kill_point(const char *name) {
  const char *v = getenv("WEIR_KILL_AT");
  if (!v) return;
  size_t n = strlen(name);
  if (strncmp(v, name, n) != 0 || (v[n] != 0 && v[n] != ':')) return;
  long want = v[n] == ':' ? atol(v + n + 1) : 1;
  if (atomic_fetch_add(&hits, 1) + 1 >= want) raise(SIGKILL);
}

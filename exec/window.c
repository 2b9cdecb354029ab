/*
 * window.c -- window assignment for TUMBLE and HOP, shared by the window
 * table function and the window aggregation.
 *
 * Windows are [start, start + size) with start = offset + k * slide for an
 * integer k (negative timestamps included: floor division).  The window
 * aggregation cuts time into slices of gcd(size, slide), aligned like the
 * windows; a window is the union of size / gcd consecutive slices.
 */
#include "exec/execInt.h"

int64_t weir__window_slice_len(const weir__window *w) {
  int64_t a = w->size, b = w->slide;
  while (b) {
    int64_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

int64_t weir__window_align(int64_t ts, int64_t len, int64_t offset) {
  return ts - weir__floormod(ts - offset, len);
}

int64_t weir__window_last_start(const weir__window *w, int64_t ts) {
  return weir__window_align(ts, w->slide, w->offset);
}

int64_t weir__window_first_start(const weir__window *w, int64_t ts) {
  /* The smallest aligned start s with s + size > ts. */
  int64_t lo = ts - w->size + 1;
  return lo + weir__floormod(w->offset - lo, w->slide);
}

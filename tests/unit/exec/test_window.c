/*
 * test_window.c -- unit tests of window assignment (exec/window.c):
 * alignment of timestamps to window starts and slices, for TUMBLE and HOP,
 * on boundaries, one millisecond before them, with negative timestamps,
 * offsets, and HOP windows whose size is not a multiple of the slide.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "exec/execInt.h"

static weir__window tumble(int64_t size, int64_t offset) {
  weir__window w = {WINDOW_TUMBLE, size, size, offset, 0};
  return w;
}

static weir__window hop(int64_t size, int64_t slide, int64_t offset) {
  weir__window w = {WINDOW_HOP, size, slide, offset, 0};
  return w;
}

static void test_slice_len(void **state) {
  (void)state;
  weir__window w = tumble(1000, 0);
  assert_int_equal(weir__window_slice_len(&w), 1000);
  w = hop(10000, 2000, 0);
  assert_int_equal(weir__window_slice_len(&w), 2000);
  w = hop(10000, 4000, 0);
  assert_int_equal(weir__window_slice_len(&w), 2000);
  w = hop(5000, 3000, 0);
  assert_int_equal(weir__window_slice_len(&w), 1000);
  w = hop(7, 5, 0);
  assert_int_equal(weir__window_slice_len(&w), 1);
  w = hop(1000, 3000, 0); /* slide larger than size: gaps between windows */
  assert_int_equal(weir__window_slice_len(&w), 1000);
  w = hop(3600000, 60000, 0);
  assert_int_equal(weir__window_slice_len(&w), 60000);
  w = hop(86400000, 3600000 * 5, 0);
  assert_int_equal(weir__window_slice_len(&w), 3600000);
}

static void test_align(void **state) {
  (void)state;
  static const struct {
    int64_t ts, len, offset, start;
  } cases[] = {
      /* exactly on a boundary, one ms before, one ms after */
      {0, 1000, 0, 0},
      {999, 1000, 0, 0},
      {1000, 1000, 0, 1000},
      {1001, 1000, 0, 1000},
      {1999, 1000, 0, 1000},
      /* negative timestamps round down, not toward zero */
      {-1, 1000, 0, -1000},
      {-999, 1000, 0, -1000},
      {-1000, 1000, 0, -1000},
      {-1001, 1000, 0, -2000},
      {-2000, 1000, 0, -2000},
      /* offsets: starts are offset + k * len */
      {0, 1000, 200, -800},
      {199, 1000, 200, -800},
      {200, 1000, 200, 200},
      {1199, 1000, 200, 200},
      {1200, 1000, 200, 1200},
      {-800, 1000, 200, -800},
      {-801, 1000, 200, -1800},
      {0, 1000, -200, -200},
      {799, 1000, -200, -200},
      {800, 1000, -200, 800},
      {0, 1000, 1200, -800}, /* an offset beyond len is the same alignment */
      /* real sizes */
      {978307200000LL + 3599999, 3600000, 0, 978307200000LL},
      {978307200000LL + 3600000, 3600000, 0, 978307200000LL + 3600000},
      {978307200000LL, 86400000, 0, 978307200000LL},
      {978307199999LL, 86400000, 0, 978307200000LL - 86400000},
      /* len 1: every ms is its own window */
      {-5, 1, 0, -5},
      {12345, 1, 7, 12345},
      /* large timestamps */
      {INT64_MAX, 1000, 0, INT64_MAX - 807},
      {INT64_MAX - 807, 1000, 0, INT64_MAX - 807},
  };
  for (int i = 0; i < WEIR_ARRAY_LEN(cases); i++) {
    int64_t s = weir__window_align(cases[i].ts, cases[i].len, cases[i].offset);
    if (s != cases[i].start)
      fail_msg("align(%lld, %lld, %lld) = %lld, expected %lld", (long long)cases[i].ts,
               (long long)cases[i].len, (long long)cases[i].offset, (long long)s,
               (long long)cases[i].start);
  }
}

static void test_tumble_first_last(void **state) {
  (void)state;
  /* A tumbling window: exactly one window holds each timestamp. */
  weir__window w = tumble(5000, 0);
  static const struct {
    int64_t ts, start;
  } cases[] = {{0, 0},         {4999, 0},      {5000, 5000},   {9999, 5000},
               {-1, -5000},    {-5000, -5000}, {-5001, -10000}, {123456789, 123455000}};
  for (int i = 0; i < WEIR_ARRAY_LEN(cases); i++) {
    assert_int_equal(weir__window_first_start(&w, cases[i].ts), cases[i].start);
    assert_int_equal(weir__window_last_start(&w, cases[i].ts), cases[i].start);
  }
  w = tumble(5000, 1000);
  assert_int_equal(weir__window_first_start(&w, 999), -4000);
  assert_int_equal(weir__window_last_start(&w, 999), -4000);
  assert_int_equal(weir__window_first_start(&w, 1000), 1000);
  assert_int_equal(weir__window_last_start(&w, 1000), 1000);
  assert_int_equal(weir__window_first_start(&w, 5999), 1000);
  assert_int_equal(weir__window_first_start(&w, 6000), 6000);
}

static void test_hop_first_last(void **state) {
  (void)state;
  /* HOP(size 10 s, slide 2 s): five windows per timestamp. */
  weir__window w = hop(10000, 2000, 0);
  assert_int_equal(weir__window_first_start(&w, 10000), 2000);
  assert_int_equal(weir__window_last_start(&w, 10000), 10000);
  assert_int_equal(weir__window_first_start(&w, 9999), 0);
  assert_int_equal(weir__window_last_start(&w, 9999), 8000);
  assert_int_equal(weir__window_first_start(&w, 0), -8000);
  assert_int_equal(weir__window_last_start(&w, 0), 0);
  assert_int_equal(weir__window_first_start(&w, -1), -10000);
  assert_int_equal(weir__window_last_start(&w, -1), -2000);

  /* size 5 s, slide 3 s: not a multiple; one or two windows per ts. */
  w = hop(5000, 3000, 0);
  assert_int_equal(weir__window_first_start(&w, 7000), 3000);
  assert_int_equal(weir__window_last_start(&w, 7000), 6000);
  assert_int_equal(weir__window_first_start(&w, 5000), 3000); /* [0, 5000) excludes 5000 */
  assert_int_equal(weir__window_last_start(&w, 5000), 3000);
  assert_int_equal(weir__window_first_start(&w, 4999), 0);
  assert_int_equal(weir__window_last_start(&w, 4999), 3000);
  assert_int_equal(weir__window_first_start(&w, 2999), 0);
  assert_int_equal(weir__window_last_start(&w, 2999), 0);
  assert_int_equal(weir__window_first_start(&w, -1), -3000);
  assert_int_equal(weir__window_last_start(&w, -1), -3000);

  /* slide larger than size: some timestamps are in no window
   * (first > last). */
  w = hop(1000, 3000, 0);
  assert_int_equal(weir__window_first_start(&w, 500), 0);
  assert_int_equal(weir__window_last_start(&w, 500), 0);
  assert_true(weir__window_first_start(&w, 1000) > weir__window_last_start(&w, 1000));
  assert_true(weir__window_first_start(&w, 2999) > weir__window_last_start(&w, 2999));
  assert_int_equal(weir__window_first_start(&w, 3000), 3000);

  /* With an offset. */
  w = hop(10000, 5000, 1000);
  assert_int_equal(weir__window_first_start(&w, 1000), -4000);
  assert_int_equal(weir__window_last_start(&w, 1000), 1000);
  assert_int_equal(weir__window_first_start(&w, 999), -9000);
  assert_int_equal(weir__window_last_start(&w, 999), -4000);
}

/* Brute force: enumerate the windows offset + k * slide that hold ts. */
static void brute(const weir__window *w, int64_t ts, int64_t *first, int64_t *last, int *count) {
  *count = 0;
  int64_t k0 = weir__floordiv(ts - w->size - w->offset, w->slide) - 1;
  int64_t k1 = weir__floordiv(ts - w->offset, w->slide) + 1;
  for (int64_t k = k0; k <= k1; k++) {
    int64_t s = w->offset + k * w->slide;
    if (s <= ts && ts < s + w->size) {
      if (*count == 0) *first = s;
      *last = s;
      (*count)++;
    }
  }
}

static void test_against_brute_force(void **state) {
  (void)state;
  uint64_t x = 0x9E3779B97F4A7C15ULL;
  for (int i = 0; i < 200000; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    int64_t slide = 1 + (int64_t)(x % 50);
    int64_t size = 1 + (int64_t)((x >> 8) % 120);
    int64_t offset = (int64_t)((x >> 16) % 200) - 100;
    int64_t ts = (int64_t)((x >> 24) % 4001) - 2000;
    weir__window w = hop(size, slide, offset);
    int64_t bf = 0, bl = 0;
    int cnt;
    brute(&w, ts, &bf, &bl, &cnt);
    int64_t f = weir__window_first_start(&w, ts), l = weir__window_last_start(&w, ts);
    if (cnt == 0) {
      if (f <= l)
        fail_msg("size %lld slide %lld offset %lld ts %lld: no window, got [%lld, %lld]",
                 (long long)size, (long long)slide, (long long)offset, (long long)ts,
                 (long long)f, (long long)l);
      continue;
    }
    if (f != bf || l != bl || (l - f) / slide + 1 != cnt)
      fail_msg("size %lld slide %lld offset %lld ts %lld: [%lld, %lld], expected [%lld, %lld]",
               (long long)size, (long long)slide, (long long)offset, (long long)ts, (long long)f,
               (long long)l, (long long)bf, (long long)bl);
    /* The row's slice lies inside every window that holds the row. */
    int64_t g = weir__window_slice_len(&w);
    int64_t sl = weir__window_align(ts, g, offset);
    assert_true(sl <= ts && ts < sl + g);
    assert_true(f <= sl && sl + g <= f + size);
    assert_int_equal(weir__window_last_start(&w, sl), l);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_slice_len),
      cmocka_unit_test(test_align),
      cmocka_unit_test(test_tumble_first_last),
      cmocka_unit_test(test_hop_first_last),
      cmocka_unit_test(test_against_brute_force),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

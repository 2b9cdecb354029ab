/*
 * test_key.c -- unit tests of the canonical key encoding (exec/key.c):
 * exact bytes, round trips of every type including NULL, and that the
 * memcmp order of encodings is the SQL order of the values.
 */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "exec/execInt.h"

/* ---- helpers ---------------------------------------------------------------- */

/* One value as a one-row vector. */
typedef struct one {
  weir__vec v;
  int64_t i;
  double d;
  weir__str s;
  uint64_t valid;
} one;

static void one_i64(one *o, int type, int64_t x) {
  memset(o, 0, sizeof *o);
  o->i = x;
  o->v.type = type;
  o->v.data = &o->i;
}

static void one_f64(one *o, double x) {
  memset(o, 0, sizeof *o);
  o->d = x;
  o->v.type = WEIR_TYPE_DOUBLE;
  o->v.data = &o->d;
}

static void one_str(one *o, const char *p, uint32_t n) {
  memset(o, 0, sizeof *o);
  o->s.p = p;
  o->s.n = n;
  o->v.type = WEIR_TYPE_VARCHAR;
  o->v.data = &o->s;
}

static void one_null(one *o, int type) {
  memset(o, 0, sizeof *o);
  o->v.type = type;
  o->v.data = &o->i; /* never read */
  o->valid = 0;      /* bit 0 clear: NULL */
  o->v.valid = &o->valid;
}

static int enc(const one *o, uint8_t *buf, int cap) {
  return weir__key_encode(&o->v, NULL, 1, 0, buf, 0, cap);
}

/* memcmp order of two byte strings, shorter first on a common prefix. */
static int bytes_cmp(const uint8_t *a, int an, const uint8_t *b, int bn) {
  int c = memcmp(a, b, (size_t)(an < bn ? an : bn));
  if (c) return c < 0 ? -1 : 1;
  return an < bn ? -1 : an > bn;
}

static void expect_bytes(const one *o, const uint8_t *want, int wn) {
  uint8_t buf[64];
  int n = enc(o, buf, sizeof buf);
  assert_int_equal(n, wn);
  assert_memory_equal(buf, want, (size_t)wn);
}

/* ---- exact bytes ------------------------------------------------------------------ */

static void test_exact_bytes(void **state) {
  (void)state;
  one o;
  one_null(&o, WEIR_TYPE_BIGINT);
  expect_bytes(&o, (const uint8_t[]){0x00}, 1);
  one_null(&o, WEIR_TYPE_VARCHAR);
  expect_bytes(&o, (const uint8_t[]){0x00}, 1);
  one_i64(&o, WEIR_TYPE_INT, 1);
  expect_bytes(&o, (const uint8_t[]){0x01, 0x80, 0, 0, 0, 0, 0, 0, 0x01}, 9);
  one_i64(&o, WEIR_TYPE_BIGINT, -1);
  expect_bytes(&o, (const uint8_t[]){0x01, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, 9);
  one_i64(&o, WEIR_TYPE_BIGINT, INT64_MIN);
  expect_bytes(&o, (const uint8_t[]){0x01, 0, 0, 0, 0, 0, 0, 0, 0}, 9);
  one_i64(&o, WEIR_TYPE_BOOLEAN, 1);
  expect_bytes(&o, (const uint8_t[]){0x01, 0x80, 0, 0, 0, 0, 0, 0, 0x01}, 9);
  one_f64(&o, 1.0); /* 0x3FF0000000000000 with the sign bit flipped */
  expect_bytes(&o, (const uint8_t[]){0x01, 0xBF, 0xF0, 0, 0, 0, 0, 0, 0}, 9);
  one_f64(&o, -1.0); /* 0xBFF0000000000000, all bits flipped */
  expect_bytes(&o, (const uint8_t[]){0x01, 0x40, 0x0F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, 9);
  one_f64(&o, 0.0);
  expect_bytes(&o, (const uint8_t[]){0x01, 0x80, 0, 0, 0, 0, 0, 0, 0}, 9);
  one_f64(&o, -0.0); /* written as 0.0 */
  expect_bytes(&o, (const uint8_t[]){0x01, 0x80, 0, 0, 0, 0, 0, 0, 0}, 9);
  one_str(&o, "", 0);
  expect_bytes(&o, (const uint8_t[]){0x01, 0x00, 0x00}, 3);
  one_str(&o, "ab", 2);
  expect_bytes(&o, (const uint8_t[]){0x01, 'a', 'b', 0x00, 0x00}, 5);
  one_str(&o, "a\0b", 3);
  expect_bytes(&o, (const uint8_t[]){0x01, 'a', 0x00, 0xFF, 'b', 0x00, 0x00}, 7);
  one_str(&o, "\0", 1);
  expect_bytes(&o, (const uint8_t[]){0x01, 0x00, 0xFF, 0x00, 0x00}, 5);

  /* Every NaN encodes as the same bytes. */
  uint8_t a[16], b[16];
  one_f64(&o, NAN);
  int an = enc(&o, a, sizeof a);
  one_f64(&o, -NAN);
  int bn = enc(&o, b, sizeof b);
  uint64_t bits = 0x7FF0000000000123ULL; /* a signalling NaN payload */
  double snan;
  memcpy(&snan, &bits, 8);
  assert_int_equal(an, 9);
  assert_int_equal(bn, 9);
  assert_memory_equal(a, b, 9);
  one_f64(&o, snan);
  assert_int_equal(enc(&o, b, sizeof b), 9);
  assert_memory_equal(a, b, 9);
}

/* ---- round trips -------------------------------------------------------------------- */

static void round_trip(const one *o, weir__arena *arena) {
  uint8_t buf[128];
  int n = enc(o, buf, sizeof buf);
  assert_true(n > 0);
  weir__value v;
  int pos = 0;
  assert_int_equal(weir__key_decode(buf, n, &pos, o->v.type, &v, arena), 0);
  assert_int_equal(pos, n);
  assert_int_equal(v.type, o->v.type);
  if (o->v.valid) {
    assert_int_equal(v.null, 1);
    return;
  }
  assert_int_equal(v.null, 0);
  switch (weir__type_phys(o->v.type)) {
  case WEIR_PHYS_I64: assert_int_equal(v.i, o->i); break;
  case WEIR_PHYS_F64:
    if (isnan(o->d))
      assert_true(isnan(v.d));
    else if (o->d == 0)
      assert_true(v.d == 0 && !signbit(v.d)); /* -0.0 comes back as 0.0 */
    else
      assert_memory_equal(&v.d, &o->d, 8);
    break;
  case WEIR_PHYS_STR:
    assert_int_equal(v.s.n, o->s.n);
    assert_memory_equal(v.s.p, o->s.p ? o->s.p : "", o->s.n);
    assert_int_equal(v.s.p[v.s.n], 0); /* decoded strings are NUL-terminated */
    break;
  }
}

static void test_round_trip_every_type(void **state) {
  (void)state;
  weir__arena arena;
  weir__arena_init(&arena, 1024);
  one o;
  static const int types[] = {WEIR_TYPE_BOOLEAN, WEIR_TYPE_INT,       WEIR_TYPE_BIGINT,
                              WEIR_TYPE_DOUBLE,  WEIR_TYPE_VARCHAR,   WEIR_TYPE_DATE,
                              WEIR_TYPE_TIMESTAMP, WEIR_TYPE_TIMESTAMP_LTZ, WEIR_TYPE_INTERVAL};
  for (int t = 0; t < WEIR_ARRAY_LEN(types); t++) {
    one_null(&o, types[t]);
    round_trip(&o, &arena);
  }
  one_i64(&o, WEIR_TYPE_BOOLEAN, 0);
  round_trip(&o, &arena);
  one_i64(&o, WEIR_TYPE_BOOLEAN, 1);
  round_trip(&o, &arena);
  static const int64_t ints[] = {INT64_MIN, INT64_MIN + 1, INT32_MIN, -1, 0, 1,
                                 INT32_MAX, INT64_MAX - 1, INT64_MAX, -978307200000LL};
  static const int itypes[] = {WEIR_TYPE_INT, WEIR_TYPE_BIGINT, WEIR_TYPE_DATE,
                               WEIR_TYPE_TIMESTAMP, WEIR_TYPE_INTERVAL};
  for (int t = 0; t < WEIR_ARRAY_LEN(itypes); t++) {
    for (int i = 0; i < WEIR_ARRAY_LEN(ints); i++) {
      one_i64(&o, itypes[t], ints[i]);
      round_trip(&o, &arena);
    }
  }
  const double dbl[] = {-INFINITY, -DBL_MAX, -1e300, -1.5, -DBL_MIN, -5e-324, -0.0, 0.0,
                        5e-324,    DBL_MIN,  0.1,    1.0,  1e300,    DBL_MAX, INFINITY, NAN};
  for (int i = 0; i < WEIR_ARRAY_LEN(dbl); i++) {
    one_f64(&o, dbl[i]);
    round_trip(&o, &arena);
  }
  static const struct {
    const char *p;
    uint32_t n;
  } strs[] = {{"", 0},       {"a", 1},         {"a\0b", 3},   {"\0", 1},
              {"\0\0", 2},   {"\xff", 1},      {"abc\xff\0", 5}, {"\0\xff\0\xff", 4},
              {"h\xc3\xa9llo", 6}, {"trailing\0", 9}};
  for (int i = 0; i < WEIR_ARRAY_LEN(strs); i++) {
    one_str(&o, strs[i].p, strs[i].n);
    round_trip(&o, &arena);
  }
  /* A long string. */
  char *big = malloc(100000);
  assert_non_null(big);
  for (int i = 0; i < 100000; i++) big[i] = (char)(i % 7 == 0 ? 0 : 'a' + i % 26);
  one_str(&o, big, 100000);
  uint8_t *buf = malloc(200000);
  assert_non_null(buf);
  int n = weir__key_encode(&o.v, NULL, 1, 0, buf, 0, 200000);
  assert_int_equal(n, 1 + 100000 + 14286 + 2);
  weir__value v;
  int pos = 0;
  assert_int_equal(weir__key_decode(buf, n, &pos, WEIR_TYPE_VARCHAR, &v, &arena), 0);
  assert_int_equal(v.s.n, 100000);
  assert_memory_equal(v.s.p, big, 100000);
  free(buf);
  free(big);
  weir__arena_free(&arena);
}

/* Several columns, chosen and ordered by idx, decoded in sequence. */
static void test_composite(void **state) {
  (void)state;
  int64_t ints[3] = {7, -7, 0};
  double dbls[3] = {2.5, -0.0, NAN};
  weir__str strs[3] = {{"x\0y", 3}, {"", 0}, {"zz", 2}};
  uint64_t dvalid = 0x5; /* row 1 of the double column is NULL */
  weir__vec cols[3] = {{WEIR_TYPE_BIGINT, ints, NULL},
                       {WEIR_TYPE_DOUBLE, dbls, &dvalid},
                       {WEIR_TYPE_VARCHAR, strs, NULL}};
  int idx[3] = {2, 0, 1};
  uint8_t buf[128];
  /* Append after existing bytes. */
  memset(buf, 0xAA, 4);
  int n = weir__key_encode(cols, idx, 3, 0, buf, 4, sizeof buf);
  assert_int_equal(n, 4 + 7 + 9 + 9);
  assert_int_equal(buf[0], 0xAA);
  weir__arena arena;
  weir__arena_init(&arena, 0);
  weir__value v;
  int pos = 4;
  assert_int_equal(weir__key_decode(buf, n, &pos, WEIR_TYPE_VARCHAR, &v, &arena), 0);
  assert_int_equal(v.s.n, 3);
  assert_memory_equal(v.s.p, "x\0y", 3);
  assert_int_equal(weir__key_decode(buf, n, &pos, WEIR_TYPE_BIGINT, &v, &arena), 0);
  assert_int_equal(v.i, 7);
  assert_int_equal(weir__key_decode(buf, n, &pos, WEIR_TYPE_DOUBLE, &v, &arena), 0);
  assert_true(v.d == 2.5);
  assert_int_equal(pos, n);
  assert_int_equal(weir__key_decode(buf, n, &pos, WEIR_TYPE_DOUBLE, &v, &arena), -1);

  /* Row 1: the NULL double is one byte. */
  n = weir__key_encode(cols, idx, 3, 1, buf, 0, sizeof buf);
  assert_int_equal(n, 3 + 9 + 1);
  assert_int_equal(buf[12], 0x00);
  pos = 0;
  assert_int_equal(weir__key_decode(buf, n, &pos, WEIR_TYPE_VARCHAR, &v, &arena), 0);
  assert_int_equal(v.s.n, 0);
  assert_int_equal(weir__key_decode(buf, n, &pos, WEIR_TYPE_BIGINT, &v, &arena), 0);
  assert_int_equal(v.i, -7);
  assert_int_equal(weir__key_decode(buf, n, &pos, WEIR_TYPE_DOUBLE, &v, &arena), 0);
  assert_int_equal(v.null, 1);
  assert_int_equal(pos, n);

  /* idx == NULL takes the columns in order. */
  n = weir__key_encode(cols, NULL, 2, 2, buf, 0, sizeof buf);
  assert_int_equal(n, 18);
  pos = 0;
  assert_int_equal(weir__key_decode(buf, n, &pos, WEIR_TYPE_BIGINT, &v, &arena), 0);
  assert_int_equal(v.i, 0);
  assert_int_equal(weir__key_decode(buf, n, &pos, WEIR_TYPE_DOUBLE, &v, &arena), 0);
  assert_true(isnan(v.d));
  weir__arena_free(&arena);
}

static void test_capacity(void **state) {
  (void)state;
  uint8_t buf[64];
  one o;
  one_i64(&o, WEIR_TYPE_BIGINT, 5);
  assert_int_equal(weir__key_encode(&o.v, NULL, 1, 0, buf, 0, 9), 9);
  assert_int_equal(weir__key_encode(&o.v, NULL, 1, 0, buf, 0, 8), -1);
  assert_int_equal(weir__key_encode(&o.v, NULL, 1, 0, buf, 3, 11), -1);
  assert_int_equal(weir__key_encode(&o.v, NULL, 1, 0, buf, 3, 12), 12);
  one_null(&o, WEIR_TYPE_BIGINT);
  assert_int_equal(weir__key_encode(&o.v, NULL, 1, 0, buf, 0, 1), 1);
  assert_int_equal(weir__key_encode(&o.v, NULL, 1, 0, buf, 1, 1), -1);
  /* Strings: 1 tag + bytes + one per NUL + 2. */
  one_str(&o, "abcd", 4);
  assert_int_equal(weir__key_encode(&o.v, NULL, 1, 0, buf, 0, 7), 7);
  assert_int_equal(weir__key_encode(&o.v, NULL, 1, 0, buf, 0, 6), -1);
  one_str(&o, "\0\0\0", 3);
  assert_int_equal(weir__key_encode(&o.v, NULL, 1, 0, buf, 0, 9), 9);
  assert_int_equal(weir__key_encode(&o.v, NULL, 1, 0, buf, 0, 8), -1);
  one_str(&o, "a\0", 2);
  assert_int_equal(weir__key_encode(&o.v, NULL, 1, 0, buf, 0, 6), 6);
  assert_int_equal(weir__key_encode(&o.v, NULL, 1, 0, buf, 0, 5), -1);
}

static void test_decode_malformed(void **state) {
  (void)state;
  weir__arena arena;
  weir__arena_init(&arena, 0);
  weir__value v;
  int pos;
  static const uint8_t empty[1] = {0};
  pos = 0;
  assert_int_equal(weir__key_decode(empty, 0, &pos, WEIR_TYPE_INT, &v, &arena), -1);
  static const uint8_t badtag[] = {0x02, 0, 0, 0, 0, 0, 0, 0, 0};
  pos = 0;
  assert_int_equal(weir__key_decode(badtag, 9, &pos, WEIR_TYPE_INT, &v, &arena), -1);
  static const uint8_t shortint[] = {0x01, 0x80, 0, 0};
  pos = 0;
  assert_int_equal(weir__key_decode(shortint, 4, &pos, WEIR_TYPE_BIGINT, &v, &arena), -1);
  pos = 0;
  assert_int_equal(weir__key_decode(shortint, 4, &pos, WEIR_TYPE_DOUBLE, &v, &arena), -1);
  static const uint8_t noterm[] = {0x01, 'a', 'b'};
  pos = 0;
  assert_int_equal(weir__key_decode(noterm, 3, &pos, WEIR_TYPE_VARCHAR, &v, &arena), -1);
  static const uint8_t halfterm[] = {0x01, 'a', 0x00};
  pos = 0;
  assert_int_equal(weir__key_decode(halfterm, 3, &pos, WEIR_TYPE_VARCHAR, &v, &arena), -1);
  static const uint8_t badesc[] = {0x01, 'a', 0x00, 0x05, 0x00, 0x00};
  pos = 0;
  assert_int_equal(weir__key_decode(badesc, 6, &pos, WEIR_TYPE_VARCHAR, &v, &arena), -1);
  static const uint8_t esc_at_end[] = {0x01, 0x00, 0xFF};
  pos = 0;
  assert_int_equal(weir__key_decode(esc_at_end, 3, &pos, WEIR_TYPE_VARCHAR, &v, &arena), -1);
  /* pos beyond the length */
  static const uint8_t ok[] = {0x00};
  pos = 1;
  assert_int_equal(weir__key_decode(ok, 1, &pos, WEIR_TYPE_INT, &v, &arena), -1);
  weir__arena_free(&arena);
}

/* ---- order --------------------------------------------------------------------------- */

/* values[] are in ascending SQL order with NULL first (index 0); equal
 * values share a rank.  Check every pair of encodings compares as their
 * ranks do. */
static void check_order(one *vals, const int *rank, int n) {
  uint8_t enc_a[256], enc_b[256];
  for (int i = 0; i < n; i++) {
    int an = enc(&vals[i], enc_a, sizeof enc_a);
    assert_true(an > 0);
    for (int j = 0; j < n; j++) {
      int bn = enc(&vals[j], enc_b, sizeof enc_b);
      int c = bytes_cmp(enc_a, an, enc_b, bn);
      int want = (rank[i] > rank[j]) - (rank[i] < rank[j]);
      if (c != want) fail_msg("values %d and %d: memcmp order %d, SQL order %d", i, j, c, want);
    }
  }
}

static void test_order_integers(void **state) {
  (void)state;
  static const int64_t xs[] = {INT64_MIN, INT64_MIN + 1, -4294967296LL, INT32_MIN, -256, -255,
                               -1,        0,             1,             255,       256,  INT32_MAX,
                               4294967296LL, INT64_MAX - 1, INT64_MAX};
  one vals[WEIR_ARRAY_LEN(xs) + 1];
  int rank[WEIR_ARRAY_LEN(xs) + 1];
  one_null(&vals[0], WEIR_TYPE_BIGINT);
  rank[0] = 0;
  for (int i = 0; i < WEIR_ARRAY_LEN(xs); i++) {
    one_i64(&vals[i + 1], WEIR_TYPE_BIGINT, xs[i]);
    rank[i + 1] = i + 1;
  }
  check_order(vals, rank, WEIR_ARRAY_LEN(xs) + 1);
}

static void test_order_doubles(void **state) {
  (void)state;
  const double xs[] = {-INFINITY, -DBL_MAX, -1e300, -2.0, -1.5, -1.0, -DBL_MIN, -5e-324,
                       -0.0,      0.0,      5e-324, DBL_MIN, 0.1, 1.0,  1.5,     1e300,
                       DBL_MAX,   INFINITY, NAN,    -NAN};
  static const int ranks[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 18};
  one vals[WEIR_ARRAY_LEN(xs) + 1];
  int rank[WEIR_ARRAY_LEN(xs) + 1];
  one_null(&vals[0], WEIR_TYPE_DOUBLE);
  rank[0] = 0;
  for (int i = 0; i < WEIR_ARRAY_LEN(xs); i++) {
    one_f64(&vals[i + 1], xs[i]);
    rank[i + 1] = ranks[i];
  }
  check_order(vals, rank, WEIR_ARRAY_LEN(xs) + 1);
}

static void test_order_strings(void **state) {
  (void)state;
  static const struct {
    const char *p;
    uint32_t n;
  } xs[] = {{"", 0},      {"\0", 1},   {"\0\0", 2},  {"\0\x01", 2}, {"\x01", 1},
            {"A", 1},     {"a", 1},    {"a\0", 2},   {"a\0\0", 3},  {"a\0b", 3},
            {"a\x01", 2}, {"ab", 2},   {"abc", 3},   {"b", 1},      {"\x7f", 1},
            {"\xc3\xa9", 2}, {"\xff", 1}, {"\xff\0", 2}, {"\xff\xff", 2}};
  one vals[WEIR_ARRAY_LEN(xs) + 1];
  int rank[WEIR_ARRAY_LEN(xs) + 1];
  one_null(&vals[0], WEIR_TYPE_VARCHAR);
  rank[0] = 0;
  for (int i = 0; i < WEIR_ARRAY_LEN(xs); i++) {
    one_str(&vals[i + 1], xs[i].p, xs[i].n);
    rank[i + 1] = i + 1;
  }
  check_order(vals, rank, WEIR_ARRAY_LEN(xs) + 1);
}

/* Sort random composite keys (VARCHAR, BIGINT, DOUBLE, with NULLs) two
 * ways, by SQL comparison of the values and by memcmp of their
 * encodings, and check that both orders agree. */
typedef struct row {
  int snull, inull, dnull;
  char s[4];
  uint32_t sn;
  int64_t i;
  double d;
  uint8_t key[64];
  int klen;
} row;

static int cmp_i64(int64_t a, int64_t b) { return (a > b) - (a < b); }

static int sql_cmp(const void *pa, const void *pb) {
  const row *a = pa, *b = pb;
  if (a->snull != b->snull) return a->snull ? -1 : 1;
  if (!a->snull) {
    int c = memcmp(a->s, b->s, a->sn < b->sn ? a->sn : b->sn);
    if (c) return c;
    if (a->sn != b->sn) return a->sn < b->sn ? -1 : 1;
  }
  if (a->inull != b->inull) return a->inull ? -1 : 1;
  if (!a->inull && a->i != b->i) return cmp_i64(a->i, b->i);
  if (a->dnull != b->dnull) return a->dnull ? -1 : 1;
  if (!a->dnull) {
    /* NaN is the largest value and equal to itself; -0.0 == 0.0. */
    int an = isnan(a->d), bn = isnan(b->d);
    if (an || bn) return an - bn;
    return (a->d > b->d) - (a->d < b->d);
  }
  return 0;
}

static int key_cmp(const void *pa, const void *pb) {
  const row *a = pa, *b = pb;
  return bytes_cmp(a->key, a->klen, b->key, b->klen);
}

static void test_sort_both_ways(void **state) {
  (void)state;
  enum { N = 3000 };
  row *rows = calloc(N, sizeof *rows);
  row *by_key = calloc(N, sizeof *rows);
  assert_non_null(rows);
  assert_non_null(by_key);
  uint64_t x = 0x2545F4914F6CDD1DULL;
  static const double dv[] = {-INFINITY, -3.5, -1.0, -0.0, 0.0, 1e-310, 2.0, 7.25, INFINITY, NAN};
  static const int64_t iv[] = {INT64_MIN, -1000000, -1, 0, 1, 2, 1000000, INT64_MAX};
  for (int k = 0; k < N; k++) {
    row *r = &rows[k];
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    r->snull = x % 11 == 0;
    r->inull = (x >> 4) % 9 == 0;
    r->dnull = (x >> 8) % 7 == 0;
    r->sn = (uint32_t)((x >> 12) % 4);
    static const char alphabet[] = {0, 1, 'a', 'b', (char)0xff};
    for (uint32_t c = 0; c < r->sn; c++) r->s[c] = alphabet[(x >> (16 + 3 * c)) % 5];
    r->i = iv[(x >> 30) % WEIR_ARRAY_LEN(iv)];
    r->d = dv[(x >> 40) % WEIR_ARRAY_LEN(dv)];
    weir__str s = {r->s, r->sn};
    uint64_t sv = !r->snull, ivd = !r->inull, dvd = !r->dnull;
    weir__vec cols[3] = {{WEIR_TYPE_VARCHAR, &s, &sv},
                         {WEIR_TYPE_BIGINT, &r->i, &ivd},
                         {WEIR_TYPE_DOUBLE, &r->d, &dvd}};
    r->klen = weir__key_encode(cols, NULL, 3, 0, r->key, 0, sizeof r->key);
    assert_true(r->klen > 0);
  }
  memcpy(by_key, rows, N * sizeof *rows);
  qsort(rows, N, sizeof *rows, sql_cmp);
  qsort(by_key, N, sizeof *rows, key_cmp);
  for (int k = 0; k < N; k++) {
    /* Equal keys may be in either order: compare by SQL equality. */
    if (sql_cmp(&rows[k], &by_key[k]) != 0) fail_msg("orders differ at position %d", k);
    if (k > 0) {
      int sc = sql_cmp(&rows[k - 1], &rows[k]);
      int kc = bytes_cmp(rows[k - 1].key, rows[k - 1].klen, rows[k].key, rows[k].klen);
      /* Equal in SQL <=> equal bytes. */
      assert_int_equal(sc == 0, kc == 0);
    }
  }
  free(rows);
  free(by_key);
}

/* A key too long for the caller's buffer goes to the arena, after a copy of the
 * bytes already in the buffer; a short one stays in the buffer.  Both encode the
 * same bytes as weir__key_encode into a buffer large enough. */
static void test_encode_any_long_keys(void **state) {
  (void)state;
  weir__arena arena;
  weir__arena_init(&arena, 256);
  static char text[3000];
  memset(text, '\0', sizeof text); /* every NUL is escaped: the worst case of the encoding */
  for (int i = 0; i < 3000; i += 7) text[i] = 'x';
  one o;
  one_str(&o, text, sizeof text);
  uint8_t small[64], big[8192], *key;
  memcpy(small, "PREFIX!!", 8);
  memcpy(big, "PREFIX!!", 8);
  int want = weir__key_encode(&o.v, NULL, 1, 0, big, 8, (int)sizeof big);
  assert_true(want > (int)sizeof small);
  int got = weir__key_encode_any(&o.v, NULL, 1, 0, small, 8, (int)sizeof small, &arena, &key);
  assert_int_equal(got, want);
  assert_ptr_not_equal(key, small);
  assert_memory_equal(key, big, (size_t)want);
  one_str(&o, "ab", 2);
  got = weir__key_encode_any(&o.v, NULL, 1, 0, small, 8, (int)sizeof small, &arena, &key);
  assert_ptr_equal(key, small);
  assert_int_equal(got, weir__key_encode(&o.v, NULL, 1, 0, big, 8, (int)sizeof big));
  assert_memory_equal(small, big, (size_t)got);
  weir__arena_free(&arena);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_exact_bytes),
      cmocka_unit_test(test_round_trip_every_type),
      cmocka_unit_test(test_composite),
      cmocka_unit_test(test_capacity),
      cmocka_unit_test(test_decode_malformed),
      cmocka_unit_test(test_order_integers),
      cmocka_unit_test(test_order_doubles),
      cmocka_unit_test(test_order_strings),
      cmocka_unit_test(test_sort_both_ways),
      cmocka_unit_test(test_encode_any_long_keys),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_keytable.c -- unit tests of the in-memory key table
 * (state/keytable.c): insert and find, growth to a million keys,
 * insertion order of entries, zeroed payloads, hash collisions, and keys
 * of different lengths with equal prefixes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "state/state.h"

static uint32_t put_key(uint8_t *buf, uint64_t v) {
  for (int i = 7; i >= 0; i--) {
    buf[i] = (uint8_t)v;
    v >>= 8;
  }
  return 8;
}

static void test_insert_find(void **state) {
  (void)state;
  weir__ktable kt;
  assert_int_equal(weir__ktable_init(&kt, 16), 0);
  assert_int_equal(kt.n, 0);
  const uint8_t *k1 = (const uint8_t *)"hello";
  uint64_t h1 = weir__hash64(k1, 5);
  assert_int_equal(weir__ktable_find(&kt, k1, 5, h1), -1);

  int ins = -1;
  assert_int_equal(weir__ktable_upsert(&kt, k1, 5, h1, &ins), 0);
  assert_int_equal(ins, 1);
  assert_int_equal(kt.n, 1);
  assert_int_equal(weir__ktable_find(&kt, k1, 5, h1), 0);

  /* The same key again: found, not inserted. */
  ins = -1;
  assert_int_equal(weir__ktable_upsert(&kt, k1, 5, h1, &ins), 0);
  assert_int_equal(ins, 0);
  assert_int_equal(kt.n, 1);

  /* The key is copied: the caller's buffer may change. */
  uint8_t k2[5] = {'w', 'o', 'r', 'l', 'd'};
  uint64_t h2 = weir__hash64(k2, 5);
  assert_int_equal(weir__ktable_upsert(&kt, k2, 5, h2, &ins), 1);
  assert_int_equal(ins, 1);
  memset(k2, 'x', 5);
  uint32_t klen = 0;
  const uint8_t *stored = weir__ktable_key(&kt, 1, &klen);
  assert_int_equal(klen, 5);
  assert_memory_equal(stored, "world", 5);
  assert_int_equal(weir__ktable_find(&kt, (const uint8_t *)"world", 5, h2), 1);
  assert_int_equal(weir__ktable_find(&kt, k2, 5, h2), -1); /* "xxxxx" under world's hash */

  assert_true(weir__ktable_memory(&kt) > 0);
  weir__ktable_free(&kt);
  assert_null(kt.slots);
  assert_int_equal(kt.n, 0);
}

static void test_payload_zeroed_and_kept(void **state) {
  (void)state;
  weir__ktable kt;
  assert_int_equal(weir__ktable_init(&kt, 24), 0);
  uint8_t key[8];
  for (uint64_t i = 0; i < 5000; i++) {
    uint32_t kl = put_key(key, i);
    int ins;
    int64_t e = weir__ktable_upsert(&kt, key, kl, weir__hash64(key, kl), &ins);
    assert_int_equal(e, (int64_t)i);
    assert_int_equal(ins, 1);
    uint64_t *p = weir__ktable_payload(&kt, (uint32_t)e);
    assert_int_equal((uintptr_t)p % 8, 0);
    /* A new entry's payload is all zero, even though the record memory
     * may have been used by the growth of the array. */
    assert_int_equal(p[0], 0);
    assert_int_equal(p[1], 0);
    assert_int_equal(p[2], 0);
    p[0] = i * 3 + 1;
    p[1] = ~i;
    p[2] = 0xFFFFFFFFFFFFFFFFULL;
  }
  /* Payloads survive the growth of slots and records. */
  for (uint64_t i = 0; i < 5000; i++) {
    uint64_t *p = weir__ktable_payload(&kt, (uint32_t)i);
    assert_int_equal(p[0], i * 3 + 1);
    assert_int_equal(p[1], ~i);
    assert_int_equal(p[2], 0xFFFFFFFFFFFFFFFFULL);
    /* Upserting an existing key leaves its payload alone. */
    uint32_t kl = put_key(key, i);
    int ins;
    assert_int_equal(weir__ktable_upsert(&kt, key, kl, weir__hash64(key, kl), &ins), (int64_t)i);
    assert_int_equal(ins, 0);
    assert_int_equal(((uint64_t *)weir__ktable_payload(&kt, (uint32_t)i))[0], i * 3 + 1);
  }
  weir__ktable_free(&kt);

  /* A payload size of 0 and an odd one work too. */
  assert_int_equal(weir__ktable_init(&kt, 0), 0);
  int ins;
  assert_int_equal(weir__ktable_upsert(&kt, (const uint8_t *)"a", 1, 1, &ins), 0);
  assert_int_equal(weir__ktable_upsert(&kt, (const uint8_t *)"b", 1, 2, &ins), 1);
  assert_int_equal(weir__ktable_find(&kt, (const uint8_t *)"a", 1, 1), 0);
  weir__ktable_free(&kt);
  assert_int_equal(weir__ktable_init(&kt, 3), 0);
  for (int i = 0; i < 200; i++) {
    uint8_t k = (uint8_t)i;
    assert_int_equal(weir__ktable_upsert(&kt, &k, 1, weir__hash64(&k, 1), &ins), i);
    uint8_t *p = weir__ktable_payload(&kt, (uint32_t)i);
    assert_true(p[0] == 0 && p[1] == 0 && p[2] == 0);
    memset(p, 0xEE, 3);
  }
  weir__ktable_free(&kt);
}

static void test_million_keys(void **state) {
  (void)state;
  enum { N = 1000000 };
  weir__ktable kt;
  assert_int_equal(weir__ktable_init(&kt, 8), 0);
  uint8_t key[8];
  for (uint64_t i = 0; i < N; i++) {
    /* Keys in a scrambled order so the table sees no pattern. */
    uint64_t v = i * 0x9E3779B97F4A7C15ULL;
    uint32_t kl = put_key(key, v);
    int ins;
    int64_t e = weir__ktable_upsert(&kt, key, kl, weir__hash64(key, kl), &ins);
    if (e != (int64_t)i || ins != 1) fail_msg("key %llu: entry %lld inserted %d",
                                              (unsigned long long)i, (long long)e, ins);
    *(uint64_t *)weir__ktable_payload(&kt, (uint32_t)e) = v;
  }
  assert_int_equal(kt.n, N);
  /* Load factor at most 1/2. */
  assert_true((uint64_t)kt.mask + 1 >= 2 * (uint64_t)N);
  for (uint64_t i = 0; i < N; i++) {
    uint64_t v = i * 0x9E3779B97F4A7C15ULL;
    uint32_t kl = put_key(key, v);
    int64_t e = weir__ktable_find(&kt, key, kl, weir__hash64(key, kl));
    if (e != (int64_t)i) fail_msg("key %llu: found %lld", (unsigned long long)i, (long long)e);
    uint32_t sl;
    const uint8_t *stored = weir__ktable_key(&kt, (uint32_t)e, &sl);
    assert_int_equal(sl, 8);
    assert_memory_equal(stored, key, 8);
    assert_int_equal(*(uint64_t *)weir__ktable_payload(&kt, (uint32_t)e), v);
  }
  /* Keys never inserted are not found. */
  for (uint64_t i = N; i < N + 10000; i++) {
    uint32_t kl = put_key(key, i * 0x9E3779B97F4A7C15ULL);
    assert_int_equal(weir__ktable_find(&kt, key, kl, weir__hash64(key, kl)), -1);
  }
  size_t mem = weir__ktable_memory(&kt);
  assert_true(mem >= (size_t)N * (8 + 24 + 8));
  weir__ktable_free(&kt);
}

/* Keys that are prefixes of each other, all under one hash, so that only
 * the length and bytes tell them apart. */
static void test_prefix_keys_and_collisions(void **state) {
  (void)state;
  weir__ktable kt;
  assert_int_equal(weir__ktable_init(&kt, 8), 0);
  static const char text[] = "abcdefghij\0\0\0";
  const uint64_t h = 0x1234567800000042ULL;
  int ins;
  for (uint32_t len = 0; len < sizeof text; len++) {
    int64_t e = weir__ktable_upsert(&kt, (const uint8_t *)text, len, h, &ins);
    assert_int_equal(e, (int64_t)len);
    assert_int_equal(ins, 1);
  }
  for (uint32_t len = 0; len < sizeof text; len++) {
    assert_int_equal(weir__ktable_find(&kt, (const uint8_t *)text, len, h), (int64_t)len);
    uint32_t kl;
    weir__ktable_key(&kt, len, &kl);
    assert_int_equal(kl, len);
  }
  /* Same length, different bytes, same hash. */
  assert_int_equal(weir__ktable_find(&kt, (const uint8_t *)"abcdefghiX", 10, h), -1);
  assert_int_equal(weir__ktable_upsert(&kt, (const uint8_t *)"abcdefghiX", 10, h, &ins),
                   (int64_t)sizeof text);
  assert_int_equal(ins, 1);
  /* Same low bits of the hash (same first slot), different tags. */
  for (uint64_t t = 1; t <= 100; t++) {
    uint64_t ht = (t << 32) | 0x42;
    assert_int_equal(weir__ktable_find(&kt, (const uint8_t *)"abc", 3, ht), -1);
    int64_t e = weir__ktable_upsert(&kt, (const uint8_t *)"abc", 3, ht, &ins);
    assert_int_equal(ins, 1);
    assert_int_equal(e, (int64_t)sizeof text + t);
  }
  weir__ktable_free(&kt);

  /* Thousands of distinct keys with one hash: long probe chains through
   * several growths. */
  assert_int_equal(weir__ktable_init(&kt, 8), 0);
  uint8_t key[8];
  for (uint64_t i = 0; i < 3000; i++) {
    uint32_t kl = put_key(key, i);
    assert_int_equal(weir__ktable_upsert(&kt, key, kl, 7, &ins), (int64_t)i);
    assert_int_equal(ins, 1);
  }
  for (uint64_t i = 0; i < 3000; i += 7) {
    uint32_t kl = put_key(key, i);
    assert_int_equal(weir__ktable_find(&kt, key, kl, 7), (int64_t)i);
  }
  uint32_t kl = put_key(key, 3000);
  assert_int_equal(weir__ktable_find(&kt, key, kl, 7), -1);
  weir__ktable_free(&kt);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_insert_find),
      cmocka_unit_test(test_payload_zeroed_and_kept),
      cmocka_unit_test(test_million_keys),
      cmocka_unit_test(test_prefix_keys_and_collisions),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_kvstore.c -- the RocksDB store's own rules, checked through a real
 * store on disk: the state TTL compaction filter drops values whose
 * access time is older than the TTL and keeps fresh ones, and never
 * touches map and list state (which has no access time); the list merge
 * operator concatenates on reads and through flushes and compactions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../testutil.h"
#include "state/state.h"

static weir__kv *open_store(const char *name, int64_t ttl_ms) {
  char p[1024];
  snprintf(p, sizeof p, "%s/%s", tu_dir, name);
  weir__kv_opts o = {2u << 20, 1u << 20, ttl_ms, 0};
  weir__kv *kv = NULL;
  weir__err err;
  weir__err_clear(&err);
  assert_int_equal(weir__kv_open(&kv, p, &o, WEIR_KV_FRESH, &err), WEIR_OK);
  return kv;
}

/* A store key: the prefix of (key group 1, sid, namespace 0), then name. */
static size_t key_of(uint8_t sid, const char *name, uint8_t *out) {
  weir__kkey_prefix(out, 1, sid, 0);
  memcpy(out + WEIR_KSTATE_PREFIX, name, strlen(name));
  return WEIR_KSTATE_PREFIX + strlen(name);
}

/* A value whose access time (at offset 0) is t. */
static void value_at(int64_t t, uint8_t out[12]) {
  for (int i = 0; i < 8; i++) out[i] = (uint8_t)((uint64_t)t >> (8 * i));
  memcpy(out + 8, "data", 4);
}

static int present(weir__kv *kv, uint8_t sid, const char *name) {
  uint8_t k[64];
  size_t kl = key_of(sid, name, k);
  char *v = NULL;
  size_t vl;
  weir__err err;
  weir__err_clear(&err);
  int rc = weir__kv_get(kv, k, kl, &v, &vl, &err);
  weir__kv_free_value(v);
  assert_true(rc == WEIR_OK || rc == WEIR_NOTFOUND);
  return rc == WEIR_OK;
}

static void test_ttl_filter_drops_only_expired_values(void **state) {
  (void)state;
  weir__kv *kv = open_store("ttl", 60000); /* a minute */
  weir__err err;
  weir__err_clear(&err);
  uint8_t k[64], v[12];
  int64_t now = weir__wall_ms();
  value_at(now - 3600 * 1000, v); /* idle for an hour */
  weir__kv_put(kv, k, key_of(1, "idle", k), v, sizeof v);
  value_at(now, v);
  weir__kv_put(kv, k, key_of(1, "fresh", k), v, sizeof v);
  /* Map and list state: bytes that would read as an ancient time. */
  memset(v, 0, sizeof v);
  weir__kv_put(kv, k, key_of(1 | WEIR_KSTATE_COLLECTION, "map-entry", k), v, sizeof v);
  weir__kv_merge(kv, k, key_of(2 | WEIR_KSTATE_COLLECTION, "list", k), v, sizeof v);
  assert_int_equal(weir__kv_compact(kv, &err), WEIR_OK);
  assert_false(present(kv, 1, "idle"));
  assert_true(present(kv, 1, "fresh"));
  assert_true(present(kv, 1 | WEIR_KSTATE_COLLECTION, "map-entry"));
  assert_true(present(kv, 2 | WEIR_KSTATE_COLLECTION, "list"));
  weir__kv_close(kv, 1);
}

static void test_without_ttl_nothing_is_dropped(void **state) {
  (void)state;
  weir__kv *kv = open_store("no-ttl", 0);
  weir__err err;
  weir__err_clear(&err);
  uint8_t k[64], v[12];
  value_at(0, v);
  weir__kv_put(kv, k, key_of(1, "ancient", k), v, sizeof v);
  assert_int_equal(weir__kv_compact(kv, &err), WEIR_OK);
  assert_true(present(kv, 1, "ancient"));
  weir__kv_close(kv, 1);
}

static void test_list_merge_concatenates(void **state) {
  (void)state;
  weir__kv *kv = open_store("merge", 0);
  weir__err err;
  weir__err_clear(&err);
  uint8_t k[64];
  size_t kl = key_of(2 | WEIR_KSTATE_COLLECTION, "l", k);
  /* Operands in three places: compacted into a file, flushed, in the memtable. */
  weir__kv_merge(kv, k, kl, (const uint8_t *)"ab", 2);
  weir__kv_merge(kv, k, kl, (const uint8_t *)"c", 1);
  assert_int_equal(weir__kv_compact(kv, &err), WEIR_OK);
  weir__kv_merge(kv, k, kl, (const uint8_t *)"de", 2);
  assert_int_equal(weir__kv_compact(kv, &err), WEIR_OK);
  weir__kv_merge(kv, k, kl, (const uint8_t *)"f", 1);
  assert_int_equal(weir__kv_write(kv, &err), WEIR_OK);
  char *v = NULL;
  size_t vl;
  assert_int_equal(weir__kv_get(kv, k, kl, &v, &vl, &err), WEIR_OK);
  assert_int_equal(vl, 6);
  assert_memory_equal(v, "abcdef", 6);
  weir__kv_free_value(v);
  /* A delete ends the list; merges after it start a new one. */
  weir__kv_delete(kv, k, kl);
  weir__kv_merge(kv, k, kl, (const uint8_t *)"g", 1);
  assert_int_equal(weir__kv_compact(kv, &err), WEIR_OK);
  assert_int_equal(weir__kv_get(kv, k, kl, &v, &vl, &err), WEIR_OK);
  assert_int_equal(vl, 1);
  assert_memory_equal(v, "g", 1);
  weir__kv_free_value(v);
  weir__kv_close(kv, 1);
}

static int setup(void **state) {
  (void)state;
  return tu_setup_dir("kvstore");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ttl_filter_drops_only_expired_values),
      cmocka_unit_test(test_without_ttl_nothing_is_dropped),
      cmocka_unit_test(test_list_merge_concatenates),
  };
  return cmocka_run_group_tests(tests, setup, tu_teardown_dir);
}

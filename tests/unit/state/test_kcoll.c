/*
 * test_kcoll.c -- keyed map and list state on both backends, checked
 * against a model: random puts, removes, clears, appends and reads (every
 * read sees every earlier write, also through RocksDB's batch and merge
 * operator); tombstones give their memory back; canonical snapshots move
 * state hashmap -> rocksdb split over two subtasks -> hashmap (streamed
 * out of the stores), a native store imports into hashmap by key group,
 * and damaged list bytes are reported, not loaded.
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

enum { NK = 64, NU = 24, MAXPAR = 128, MAXL = 40, VMAX = 24 };
enum { SID_MAP = 1, SID_LIST = 2 };

/* ---- the model -------------------------------------------------------------------------- */

typedef struct model {
  int present[NK][NU];
  char val[NK][NU][VMAX];
  int vlen[NK][NU];
  int nl[NK];
  char el[NK][MAXL][VMAX];
  int ellen[NK][MAXL];
} model;

static uint64_t rng = 88172645463325252ULL;
static uint32_t next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)rng;
}

static int key_of(int k, char *buf) { return sprintf(buf, "key-%d", k); }
static int uk_of(int u, char *buf) { return sprintf(buf, "u%d", u); }
static int value_of(char *buf) { /* 0 to 20 bytes, sometimes empty */
  int n = (int)(next_rand() % 21);
  for (int i = 0; i < n; i++) buf[i] = (char)('a' + next_rand() % 26);
  return n;
}

/* ---- backends ----------------------------------------------------------------------------- */

typedef struct side {
  weir__kbackend be;
  weir__kcoll map, list;
} side;

static void open_side(side *s, int rocks, const char *name, int kg_lo, int kg_hi) {
  weir__err err;
  weir__err_clear(&err);
  weir__kv *kv = NULL;
  if (rocks) {
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", tu_dir, name);
    weir__kv_opts o = {2u << 20, 1u << 20, 0, 0};
    assert_int_equal(weir__kv_open(&kv, p, &o, WEIR_KV_FRESH, &err), WEIR_OK);
  }
  assert_int_equal(weir__kbackend_init(&s->be, kv, NULL, MAXPAR, kg_lo, kg_hi, 1u << 20), 0);
  assert_int_equal(weir__kcoll_init(&s->map, &s->be, WEIR_KCOLL_MAP, SID_MAP, 7, &err), WEIR_OK);
  assert_int_equal(weir__kcoll_init(&s->list, &s->be, WEIR_KCOLL_LIST, SID_LIST, 7, &err), WEIR_OK);
}

static void close_side(side *s) {
  weir__kcoll_free(&s->map);
  weir__kcoll_free(&s->list);
  weir__kbackend_free(&s->be);
}

static int owns(const side *s, int k) {
  char key[32];
  int kl = key_of(k, key);
  int kg = (int)weir__kbackend_kg(&s->be, weir__hash64(key, (size_t)kl));
  return kg >= s->be.kg_lo && kg <= s->be.kg_hi;
}

/* ---- checking a side against the model ---------------------------------------------------- */

typedef struct seen {
  const model *m;
  int k, n, bad;
} seen;

static int check_entry(void *arg, const uint8_t *uk, uint32_t ukl, const uint8_t *v, size_t vl) {
  seen *s = arg;
  int u = -1;
  char got[32], want[32];
  if (ukl > 1 && ukl < sizeof got && uk[0] == 'u') {
    memcpy(got, uk, ukl);
    got[ukl] = 0;
    u = atoi(got + 1) % NU;
  }
  if (u < 0 || uk_of(u, want) != (int)ukl || memcmp(want, uk, ukl) || !s->m->present[s->k][u] ||
      (size_t)s->m->vlen[s->k][u] != vl || (vl && memcmp(s->m->val[s->k][u], v, vl)))
    s->bad++;
  s->n++;
  return 0;
}

static int check_element(void *arg, const uint8_t *v, uint32_t vl) {
  seen *s = arg;
  if (s->n >= s->m->nl[s->k] || (uint32_t)s->m->ellen[s->k][s->n] != vl ||
      (vl && memcmp(s->m->el[s->k][s->n], v, vl)))
    s->bad++;
  s->n++;
  return 0;
}

/* Every key the side owns equals the model; the others are empty. */
static void check_side(side *s, const model *m) {
  weir__err err;
  weir__err_clear(&err);
  for (int k = 0; k < NK; k++) {
    char key[32], uk[32];
    int kl = key_of(k, key), mine = owns(s, k), want = 0;
    for (int u = 0; u < NU; u++) {
      const uint8_t *v;
      size_t vl;
      int ul = uk_of(u, uk);
      int rc = weir__kmap_get(&s->map, (uint8_t *)key, (uint32_t)kl, (uint8_t *)uk, (uint32_t)ul,
                              &v, &vl, &err);
      int expect = mine && m->present[k][u];
      want += expect;
      if (!expect) {
        assert_int_equal(rc, WEIR_NOTFOUND);
        continue;
      }
      assert_int_equal(rc, WEIR_OK);
      assert_int_equal(vl, m->vlen[k][u]);
      if (vl) assert_memory_equal(v, m->val[k][u], vl);
    }
    seen sm = {m, k, 0, 0};
    assert_int_equal(
        weir__kmap_iterate(&s->map, (uint8_t *)key, (uint32_t)kl, check_entry, &sm, &err), WEIR_OK);
    assert_int_equal(sm.bad, 0);
    assert_int_equal(sm.n, want);
    seen sl = {m, k, 0, 0};
    assert_int_equal(
        weir__klist_get(&s->list, (uint8_t *)key, (uint32_t)kl, check_element, &sl, &err), WEIR_OK);
    assert_int_equal(sl.bad, 0);
    assert_int_equal(sl.n, mine ? m->nl[k] : 0);
  }
}

/* ---- random operations -------------------------------------------------------------------- */

static void random_ops(side *s, model *m, int nops) {
  weir__err err;
  weir__err_clear(&err);
  for (int i = 0; i < nops; i++) {
    int k = (int)(next_rand() % NK), u = (int)(next_rand() % NU), op = (int)(next_rand() % 100);
    char key[32], uk[32], v[VMAX];
    int kl = key_of(k, key), ul = uk_of(u, uk);
    if (op < 40) {
      int vl = value_of(v);
      assert_int_equal(weir__kmap_put(&s->map, (uint8_t *)key, (uint32_t)kl, (uint8_t *)uk,
                                      (uint32_t)ul, (uint8_t *)v, (size_t)vl, &err),
                       WEIR_OK);
      m->present[k][u] = 1;
      m->vlen[k][u] = vl;
      memcpy(m->val[k][u], v, (size_t)vl);
    } else if (op < 55) {
      assert_int_equal(weir__kmap_remove(&s->map, (uint8_t *)key, (uint32_t)kl, (uint8_t *)uk,
                                         (uint32_t)ul, &err),
                       WEIR_OK);
      m->present[k][u] = 0;
    } else if (op < 57) {
      assert_int_equal(weir__kmap_clear(&s->map, (uint8_t *)key, (uint32_t)kl, &err), WEIR_OK);
      memset(m->present[k], 0, sizeof m->present[k]);
    } else if (op < 85) {
      if (m->nl[k] == MAXL) {
        assert_int_equal(weir__klist_clear(&s->list, (uint8_t *)key, (uint32_t)kl, &err), WEIR_OK);
        m->nl[k] = 0;
        continue;
      }
      int vl = value_of(v);
      assert_int_equal(weir__klist_append(&s->list, (uint8_t *)key, (uint32_t)kl, (uint8_t *)v,
                                          (uint32_t)vl, &err),
                       WEIR_OK);
      memcpy(m->el[k][m->nl[k]], v, (size_t)vl);
      m->ellen[k][m->nl[k]++] = vl;
    } else if (op < 87) {
      assert_int_equal(weir__klist_clear(&s->list, (uint8_t *)key, (uint32_t)kl, &err), WEIR_OK);
      m->nl[k] = 0;
    } else {
      /* A read right after the writes: RocksDB's batch must not hide them. */
      const uint8_t *got;
      size_t gl;
      int rc = weir__kmap_get(&s->map, (uint8_t *)key, (uint32_t)kl, (uint8_t *)uk, (uint32_t)ul,
                              &got, &gl, &err);
      assert_int_equal(rc, m->present[k][u] ? WEIR_OK : WEIR_NOTFOUND);
      if (rc == WEIR_OK) assert_int_equal(gl, m->vlen[k][u]);
      if (rc == WEIR_OK && gl) assert_memory_equal(got, m->val[k][u], gl);
    }
  }
}

static model *new_model(void) {
  model *m = calloc(1, sizeof *m);
  assert_non_null(m);
  return m;
}

static void model_ops(int rocks) {
  side s;
  model *m = new_model();
  open_side(&s, rocks, rocks ? "model-rocks" : "model-heap", 0, MAXPAR - 1);
  for (int round = 0; round < 20; round++) {
    random_ops(&s, m, 1500);
    check_side(&s, m);
  }
  close_side(&s);
  free(m);
}

static void test_model_hashmap(void **state) {
  (void)state;
  model_ops(0);
}

static void test_model_rocksdb(void **state) {
  (void)state;
  model_ops(1);
}

/* Tombstones: put many user keys, remove them all, and the table is
 * rebuilt small; the state still works after. */
static void test_tombstones_are_rebuilt(void **state) {
  (void)state;
  side s;
  weir__err err;
  weir__err_clear(&err);
  open_side(&s, 0, "unused", 0, MAXPAR - 1);
  char uk[32];
  for (int i = 0; i < 5000; i++) {
    int ul = sprintf(uk, "user-%d", i);
    assert_int_equal(weir__kmap_put(&s.map, (uint8_t *)"k", 1, (uint8_t *)uk, (uint32_t)ul,
                                    (uint8_t *)"v", 1, &err),
                     WEIR_OK);
    assert_int_equal(
        weir__klist_append(&s.list, (uint8_t *)uk, (uint32_t)ul, (uint8_t *)"e", 1, &err), WEIR_OK);
  }
  assert_int_equal(s.map.flat.n, 5000);
  for (int i = 0; i < 5000; i++) {
    int ul = sprintf(uk, "user-%d", i);
    assert_int_equal(
        weir__kmap_remove(&s.map, (uint8_t *)"k", 1, (uint8_t *)uk, (uint32_t)ul, &err), WEIR_OK);
    assert_int_equal(weir__klist_clear(&s.list, (uint8_t *)uk, (uint32_t)ul, &err), WEIR_OK);
  }
  assert_true(s.map.flat.n < 3000);
  assert_true(s.list.kt.n < 3000);
  assert_int_equal(
      weir__kmap_put(&s.map, (uint8_t *)"k", 1, (uint8_t *)"x", 1, (uint8_t *)"yz", 2, &err),
      WEIR_OK);
  const uint8_t *v;
  size_t vl;
  assert_int_equal(weir__kmap_get(&s.map, (uint8_t *)"k", 1, (uint8_t *)"x", 1, &v, &vl, &err),
                   WEIR_OK);
  assert_int_equal(vl, 2);
  assert_int_equal(weir__kmap_get(&s.map, (uint8_t *)"k", 1, (uint8_t *)"user-7", 6, &v, &vl, &err),
                   WEIR_NOTFOUND);
  close_side(&s);
}

/* ---- snapshots ----------------------------------------------------------------------------- */

static void write_file(side *s, const char *name) {
  char p[1024];
  snprintf(p, sizeof p, "%s/%s", tu_dir, name);
  weir__snap_writer w;
  weir__err err;
  weir__err_clear(&err);
  assert_int_equal(weir__snap_open(&w, p, &err), WEIR_OK);
  assert_int_equal(weir__kcoll_write_canonical(&s->map, &w, &err), WEIR_OK);
  assert_int_equal(weir__kcoll_write_canonical(&s->list, &w, &err), WEIR_OK);
  assert_int_equal(weir__snap_commit(&w, &err), WEIR_OK);
}

static void read_file(side *s, const char *name) {
  char p[1024];
  snprintf(p, sizeof p, "%s/%s", tu_dir, name);
  weir__snap_reader r;
  weir__err err;
  weir__err_clear(&err);
  uint64_t n;
  assert_int_equal(weir__snap_load(&r, p, &err), WEIR_OK);
  assert_int_equal(weir__snap_get_u64(&r, &n, &err), WEIR_OK);
  assert_int_equal(weir__kcoll_read_entries(&s->map, &r, n, &err), WEIR_OK);
  assert_int_equal(weir__snap_get_u64(&r, &n, &err), WEIR_OK);
  assert_int_equal(weir__kcoll_read_entries(&s->list, &r, n, &err), WEIR_OK);
  assert_true(weir__snap_at_end(&r));
  weir__snap_close(&r);
}

static void test_canonical_between_backends(void **state) {
  (void)state;
  model *m = new_model();
  side heap, lo, hi, back;
  open_side(&heap, 0, "unused", 0, MAXPAR - 1);
  random_ops(&heap, m, 6000);
  write_file(&heap, "heap.state");
  /* Rescaled into two rocksdb subtasks. */
  open_side(&lo, 1, "lo", 0, MAXPAR / 2 - 1);
  open_side(&hi, 1, "hi", MAXPAR / 2, MAXPAR - 1);
  read_file(&lo, "heap.state");
  read_file(&hi, "heap.state");
  check_side(&lo, m);
  check_side(&hi, m);
  /* And back into one hashmap subtask, streamed out of the stores. */
  write_file(&lo, "lo.state");
  write_file(&hi, "hi.state");
  open_side(&back, 0, "unused", 0, MAXPAR - 1);
  read_file(&back, "lo.state");
  read_file(&back, "hi.state");
  check_side(&back, m);
  /* The restored tables go on from there. */
  random_ops(&back, m, 3000);
  check_side(&back, m);
  close_side(&heap);
  close_side(&lo);
  close_side(&hi);
  close_side(&back);
  free(m);
}

static void *route(void *ctx, uint8_t sid, int64_t ns) {
  side *s = ctx;
  if (ns != 7) return NULL;
  if (sid == (SID_MAP | WEIR_KSTATE_COLLECTION)) return &s->map;
  if (sid == (SID_LIST | WEIR_KSTATE_COLLECTION)) return &s->list;
  return NULL;
}

static void test_native_store_imports_into_hashmap(void **state) {
  (void)state;
  model *m = new_model();
  side rocks, half;
  weir__err err;
  weir__err_clear(&err);
  open_side(&rocks, 1, "native", 0, MAXPAR - 1);
  random_ops(&rocks, m, 6000);
  assert_int_equal(weir__kv_write(rocks.be.kv, &err), WEIR_OK);
  open_side(&half, 0, "unused", 0, MAXPAR / 2 - 1);
  assert_int_equal(weir__kbackend_import(&half.be, rocks.be.kv, route, &half, &err), WEIR_OK);
  check_side(&half, m);
  close_side(&rocks);
  close_side(&half);
  free(m);
}

static void test_damaged_list_is_reported(void **state) {
  (void)state;
  char p[1024];
  snprintf(p, sizeof p, "%s/bad.state", tu_dir);
  weir__err err;
  weir__err_clear(&err);
  weir__snap_writer w;
  char key[32];
  int kl = key_of(3, key);
  side s;
  open_side(&s, 0, "unused", 0, MAXPAR - 1);
  assert_int_equal(weir__snap_open(&w, p, &err), WEIR_OK);
  assert_int_equal(weir__snap_put_u64(&w, WEIR_KSTATE_UNCOUNTED, &err), WEIR_OK);
  assert_int_equal(
      weir__snap_put_u64(&w, weir__kbackend_kg(&s.be, weir__hash64(key, (size_t)kl)), &err),
      WEIR_OK);
  assert_int_equal(weir__snap_put_bytes(&w, key, (uint32_t)kl, &err), WEIR_OK);
  /* An element claims 9 bytes, 3 follow. */
  assert_int_equal(weir__snap_put_bytes(&w,
                                        "\x09\x00\x00\x00"
                                        "abc",
                                        7, &err),
                   WEIR_OK);
  assert_int_equal(weir__snap_put_u64(&w, UINT64_MAX, &err), WEIR_OK);
  assert_int_equal(weir__snap_commit(&w, &err), WEIR_OK);
  weir__snap_reader r;
  uint64_t n;
  assert_int_equal(weir__snap_load(&r, p, &err), WEIR_OK);
  assert_int_equal(weir__snap_get_u64(&r, &n, &err), WEIR_OK);
  assert_int_equal(weir__kcoll_read_entries(&s.list, &r, n, &err), WEIR_CORRUPT);
  assert_non_null(strstr(err.msg, "list"));
  weir__snap_close(&r);
  model *m = new_model();
  check_side(&s, m); /* nothing was loaded */
  free(m);
  close_side(&s);
}

static int setup(void **state) {
  (void)state;
  return tu_setup_dir("kcoll");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_model_hashmap),
      cmocka_unit_test(test_model_rocksdb),
      cmocka_unit_test(test_tombstones_are_rebuilt),
      cmocka_unit_test(test_canonical_between_backends),
      cmocka_unit_test(test_native_store_imports_into_hashmap),
      cmocka_unit_test(test_damaged_list_is_reported),
  };
  return cmocka_run_group_tests(tests, setup, tu_teardown_dir);
}

/*
 * test_snapshot.c -- snapshot files: round trip, and every way a file can
 * be bad (missing, truncated, flipped byte, wrong magic, payload read past
 * its end) is reported and nothing is loaded; a failing disk leaves
 * neither the file nor its temporary behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "state/state.h"

static char dir[256];

static void path_of(char *buf, size_t n, const char *name) { snprintf(buf, n, "%s/%s", dir, name); }

static int exists(const char *p) {
  struct stat st;
  return stat(p, &st) == 0;
}

static void write_sample(const char *path) {
  weir__snap_writer w;
  weir__err err;
  weir__err_clear(&err);
  assert_int_equal(weir__snap_open(&w, path, &err), WEIR_OK);
  assert_int_equal(weir__snap_put_u64(&w, 0x0102030405060708ULL, &err), WEIR_OK);
  assert_int_equal(weir__snap_put_bytes(&w, "key-bytes", 9, &err), WEIR_OK);
  /* More than the writer's buffer, so that it is written in pieces. */
  for (uint64_t i = 0; i < 20000; i++) assert_int_equal(weir__snap_put_u64(&w, i * 7, &err), WEIR_OK);
  assert_int_equal(weir__snap_commit(&w, &err), WEIR_OK);
}

static void test_round_trip(void **state) {
  (void)state;
  char p[512], tmp[520];
  path_of(p, sizeof p, "a.state");
  write_sample(p);
  snprintf(tmp, sizeof tmp, "%s.tmp", p);
  assert_true(exists(p));
  assert_false(exists(tmp));
  weir__snap_reader r;
  weir__err err;
  weir__err_clear(&err);
  assert_int_equal(weir__snap_load(&r, p, &err), WEIR_OK);
  uint64_t v;
  assert_int_equal(weir__snap_get_u64(&r, &v, &err), WEIR_OK);
  assert_true(v == 0x0102030405060708ULL);
  const uint8_t *b;
  uint32_t n;
  assert_int_equal(weir__snap_get_bytes(&r, &b, &n, &err), WEIR_OK);
  assert_int_equal(n, 9);
  assert_memory_equal(b, "key-bytes", 9);
  for (uint64_t i = 0; i < 20000; i++) {
    assert_int_equal(weir__snap_get_u64(&r, &v, &err), WEIR_OK);
    assert_true(v == i * 7);
  }
  assert_true(weir__snap_at_end(&r));
  /* Reading past the end is an error, not garbage. */
  assert_int_equal(weir__snap_get_u64(&r, &v, &err), WEIR_CORRUPT);
  weir__snap_close(&r);
}

/* Damage byte `at` (negative: from the end) or cut the file to `len`. */
static int load_damaged(long at, long len) {
  char p[512];
  path_of(p, sizeof p, "b.state");
  write_sample(p);
  FILE *f = fopen(p, "r+b");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  if (len >= 0) {
    assert_int_equal(ftruncate(fileno(f), len), 0);
  } else {
    long pos = at < 0 ? size + at : at;
    fseek(f, pos, SEEK_SET);
    int c = fgetc(f);
    fseek(f, pos, SEEK_SET);
    fputc(c ^ 0x40, f);
  }
  fclose(f);
  weir__snap_reader r;
  weir__err err;
  weir__err_clear(&err);
  int rc = weir__snap_load(&r, p, &err);
  if (rc == WEIR_CORRUPT) assert_non_null(strstr(err.msg, "corrupt"));
  weir__snap_close(&r);
  return rc;
}

static void test_damaged_files_are_rejected(void **state) {
  (void)state;
  assert_int_equal(load_damaged(100, -1), WEIR_CORRUPT);   /* a payload byte */
  assert_int_equal(load_damaged(-1, -1), WEIR_CORRUPT);    /* the checksum */
  assert_int_equal(load_damaged(0, -1), WEIR_CORRUPT);     /* the magic */
  assert_int_equal(load_damaged(-1, 5000), WEIR_CORRUPT);  /* truncated */
  assert_int_equal(load_damaged(-1, 3), WEIR_CORRUPT);     /* shorter than a header */
  assert_int_equal(load_damaged(-1, 0), WEIR_CORRUPT);     /* empty */
  char p[512];
  path_of(p, sizeof p, "missing.state");
  weir__snap_reader r;
  weir__err err;
  weir__err_clear(&err);
  assert_int_equal(weir__snap_load(&r, p, &err), WEIR_NOTFOUND);
  weir__snap_close(&r);
}

static void test_failing_disk_leaves_nothing(void **state) {
  (void)state;
  char p[512], tmp[520];
  path_of(p, sizeof p, "c.state");
  snprintf(tmp, sizeof tmp, "%s.tmp", p);
  setenv("WEIR_FAIL_WRITE_AFTER", "1", 1);
  weir__snap_writer w;
  weir__err err;
  weir__err_clear(&err);
  int rc = weir__snap_open(&w, p, &err);
  for (uint64_t i = 0; rc == WEIR_OK && i < 20000; i++) rc = weir__snap_put_u64(&w, i, &err);
  if (rc == WEIR_OK) rc = weir__snap_commit(&w, &err);
  unsetenv("WEIR_FAIL_WRITE_AFTER");
  assert_int_equal(rc, WEIR_IOERR);
  assert_non_null(strstr(err.msg, "No space left on device"));
  assert_false(exists(p));
  assert_false(exists(tmp));
}

static void test_abort_leaves_nothing(void **state) {
  (void)state;
  char p[512], tmp[520];
  path_of(p, sizeof p, "d.state");
  snprintf(tmp, sizeof tmp, "%s.tmp", p);
  weir__snap_writer w;
  weir__err err;
  weir__err_clear(&err);
  assert_int_equal(weir__snap_open(&w, p, &err), WEIR_OK);
  assert_int_equal(weir__snap_put_u64(&w, 42, &err), WEIR_OK);
  weir__snap_abort(&w);
  assert_false(exists(tmp));
  assert_false(exists(p));
}

static int setup(void **state) {
  (void)state;
  const char *base = getenv("WEIR_TEST_TMP");
  snprintf(dir, sizeof dir, "%s/snapshot-%d", base ? base : "/tmp", (int)getpid());
  weir__remove_tree(dir);
  return mkdir(dir, 0755);
}

static int teardown(void **state) {
  (void)state;
  return weir__remove_tree(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_damaged_files_are_rejected),
      cmocka_unit_test(test_failing_disk_leaves_nothing),
      cmocka_unit_test(test_abort_leaves_nothing),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

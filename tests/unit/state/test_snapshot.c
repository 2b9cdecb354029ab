/*
 * test_snapshot.c -- snapshot files: round trip, and every way a file can
 * be bad (missing, truncated, flipped byte, wrong magic, payload read past
 * its end) is reported and nothing is loaded; a failing disk leaves
 * neither the file nor its temporary behind.  A spilled writer (state
 * streamed from disk) holds a bounded buffer and makes the same file as
 * one in memory, also across file systems; a large file is mapped and
 * given back behind the reader.
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

static void path_of(char *buf, size_t n, const char *name) { snprintf(buf, n, "%s/%s", tu_dir, name); }

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
  char p[1024], tmp[1040];
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
  char p[1024];
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
  char p[1024];
  path_of(p, sizeof p, "missing.state");
  weir__snap_reader r;
  weir__err err;
  weir__err_clear(&err);
  assert_int_equal(weir__snap_load(&r, p, &err), WEIR_NOTFOUND);
  weir__snap_close(&r);
}

static void test_failing_disk_leaves_nothing(void **state) {
  (void)state;
  char p[1024], tmp[1040];
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
  char p[1024], tmp[1040];
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

enum { BIG = 5 << 20 }; /* u64s: a 40 MB file, over the reader's mapping threshold */

/* The file of BIG values at path, spilled to spill (NULL: in memory),
 * committed into dir (NULL: path as it is).  Returns the largest buffer
 * the writer held. */
static size_t write_big(const char *path, const char *spill, const char *into) {
  weir__snap_writer w;
  weir__err err;
  weir__err_clear(&err);
  size_t most = 0;
  assert_int_equal(weir__snap_open(&w, path, &err), WEIR_OK);
  assert_int_equal(weir__snap_put_u64(&w, 7, &err), WEIR_OK);
  if (spill) assert_int_equal(weir__snap_spill(&w, spill, &err), WEIR_OK);
  for (uint64_t i = 0; i < BIG; i++) {
    assert_int_equal(weir__snap_put_u64(&w, i * 3, &err), WEIR_OK);
    if (w.cap > most) most = w.cap;
  }
  assert_int_equal(weir__snap_commit_at(&w, into, &err), WEIR_OK);
  if (spill) assert_false(exists(spill));
  return most;
}

static int same_files(const char *a, const char *b) {
  FILE *x = fopen(a, "rb"), *y = fopen(b, "rb");
  assert_non_null(x);
  assert_non_null(y);
  int same = 1, c;
  while (same && (c = fgetc(x)) != EOF) same = c == fgetc(y);
  same = same && fgetc(y) == EOF;
  fclose(x);
  fclose(y);
  return same;
}

static void test_spilled_writer_is_bounded_and_equal(void **state) {
  (void)state;
  char mem[1024], spilled[1024], spill[1024];
  path_of(mem, sizeof mem, "mem.state");
  path_of(spilled, sizeof spilled, "spilled.state");
  path_of(spill, sizeof spill, "spilled.spill");
  size_t held_mem = write_big(mem, NULL, NULL);
  size_t held_spill = write_big(spilled, spill, NULL);
  assert_true(held_mem > (size_t)BIG * 8);
  assert_true(held_spill <= (size_t)2 << 20); /* about a megabyte, not 40 */
  assert_true(same_files(mem, spilled));

  /* Read back mapped, the pages behind the reader given back. */
  weir__snap_reader r;
  weir__err err;
  weir__err_clear(&err);
  assert_int_equal(weir__snap_load(&r, spilled, &err), WEIR_OK);
  assert_true(r.mapped > 0);
  uint64_t v;
  assert_int_equal(weir__snap_get_u64(&r, &v, &err), WEIR_OK);
  assert_true(v == 7);
  const uint8_t *first = r.data + r.pos; /* a view from the start stays readable */
  for (uint64_t i = 0; i < BIG; i++) {
    assert_int_equal(weir__snap_get_u64(&r, &v, &err), WEIR_OK);
    if (v != i * 3) fail_msg("value %llu: %llu", (unsigned long long)i, (unsigned long long)v);
  }
  assert_true(r.released > (size_t)BIG * 8 - (4u << 20) - (8u << 20));
  assert_true(weir__snap_at_end(&r));
  assert_true(first[0] == 0);
  weir__snap_close(&r);

  /* A byte flipped in the middle of a mapped file: corrupt. */
  FILE *f = fopen(spilled, "r+b");
  assert_non_null(f);
  fseek(f, 20 << 20, SEEK_SET);
  int c = fgetc(f);
  fseek(f, 20 << 20, SEEK_SET);
  fputc(c ^ 1, f);
  fclose(f);
  assert_int_equal(weir__snap_load(&r, spilled, &err), WEIR_CORRUPT);
  weir__snap_close(&r);
  unlink(mem);
  unlink(spilled);
}

/* The spill file on another file system than the checkpoint (a local
 * state directory on tmpfs): copied into place. */
static void test_spill_across_file_systems(void **state) {
  (void)state;
  struct stat a, b;
  if (stat("/dev/shm", &b) || stat(tu_dir, &a) || a.st_dev == b.st_dev) skip();
  char mem[1024], spill[256], spilled[1024];
  path_of(mem, sizeof mem, "mem2.state");
  snprintf(spill, sizeof spill, "/dev/shm/weir-test-spill-%d", (int)getpid());
  path_of(spilled, sizeof spilled, "far.state");
  write_big(mem, NULL, NULL);
  write_big("far.state", spill, tu_dir);
  assert_true(same_files(mem, spilled));
  unlink(mem);
  unlink(spilled);
}

static void test_spilled_failing_disk_leaves_nothing(void **state) {
  (void)state;
  char p[1024], tmp[1040], spill[1024];
  path_of(p, sizeof p, "e.state");
  path_of(spill, sizeof spill, "e.spill");
  snprintf(tmp, sizeof tmp, "%s.tmp", p);
  weir__snap_writer w;
  weir__err err;
  weir__err_clear(&err);
  assert_int_equal(weir__snap_open(&w, p, &err), WEIR_OK);
  assert_int_equal(weir__snap_spill(&w, spill, &err), WEIR_OK);
  setenv("WEIR_FAIL_WRITE_AFTER", "3", 1);
  int rc = WEIR_OK;
  for (uint64_t i = 0; rc == WEIR_OK && i < BIG; i++) rc = weir__snap_put_u64(&w, i, &err);
  unsetenv("WEIR_FAIL_WRITE_AFTER");
  assert_int_equal(rc, WEIR_IOERR); /* the third megabyte to the spill file */
  assert_non_null(strstr(err.msg, "No space left on device"));
  assert_true(exists(spill));
  weir__snap_abort(&w);
  assert_false(exists(spill));
  assert_false(exists(p));
  assert_false(exists(tmp));
  /* Commit fails the same way, and also leaves nothing. */
  weir__snap_reset_fault_injection();
  assert_int_equal(weir__snap_open(&w, p, &err), WEIR_OK);
  assert_int_equal(weir__snap_spill(&w, spill, &err), WEIR_OK);
  assert_int_equal(weir__snap_put_u64(&w, 1, &err), WEIR_OK);
  setenv("WEIR_FAIL_WRITE_AFTER", "1", 1);
  rc = weir__snap_commit(&w, &err);
  unsetenv("WEIR_FAIL_WRITE_AFTER");
  weir__snap_reset_fault_injection();
  assert_int_equal(rc, WEIR_IOERR);
  assert_false(exists(spill));
  assert_false(exists(p));
  assert_false(exists(tmp));
}

static int setup(void **state) {
  (void)state;
  return tu_setup_dir("snapshot");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_damaged_files_are_rejected),
      cmocka_unit_test(test_failing_disk_leaves_nothing),
      cmocka_unit_test(test_abort_leaves_nothing),
      cmocka_unit_test(test_spilled_writer_is_bounded_and_equal),
      cmocka_unit_test(test_spill_across_file_systems),
      cmocka_unit_test(test_spilled_failing_disk_leaves_nothing),
  };
  return cmocka_run_group_tests(tests, setup, tu_teardown_dir);
}

/*
 * test_checkpoint.c -- periodic checkpoints of a running job: barriers
 * flow from the sources through keyed exchanges (aligned at the window
 * aggregation, which has two inputs at parallelism 2), every task
 * acknowledges, the coordinator writes _metadata last, only the retained
 * checkpoints stay, and results are the same as without checkpoints.
 * Also: checkpoints without a state directory are refused with a clear
 * error, and a disk that fails during a checkpoint fails the job cleanly.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "state/state.h"
#include "weir.h"

static char dir[512];

static const char *setup_sql =
    "SET 'parallelism.default' = '2';"
    "CREATE TABLE bid (auction BIGINT, price BIGINT, date_time TIMESTAMP(3),"
    "  WATERMARK FOR date_time AS date_time - INTERVAL '1' SECOND)"
    "  WITH ('connector' = 'nexmark', 'nexmark.table' = 'bid', 'events' = '40000',"
    "        'nexmark.events-per-second' = '20000', 'nexmark.pace' = 'true');";

static const char *query =
    "SELECT window_start, COUNT(*), SUM(price) FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(date_time), "
    "INTERVAL '200' MILLISECOND)) GROUP BY window_start, window_end";

/* Run `extra` (settings), then the query, and return its rows as text.
 * The source is paced at the wall clock: 2 s per run. */
static char *run(weir *db, const char *extra) {
  char *err = NULL;
  if (extra && weir_exec(db, extra, NULL, NULL, &err) != WEIR_OK) fail_msg("%s", err);
  weir_stmt *st;
  assert_int_equal(weir_prepare(db, query, -1, &st, NULL), WEIR_OK);
  size_t cap = 1 << 16, n = 0;
  char *out = malloc(cap);
  out[0] = 0;
  int rc;
  while ((rc = weir_step(st)) == WEIR_ROW) {
    n += (size_t)snprintf(out + n, cap - n, "%s %lld %lld\n", weir_column_text(st, 0),
                          (long long)weir_column_int64(st, 1), (long long)weir_column_int64(st, 2));
    assert_true(n < cap);
  }
  if (rc != WEIR_DONE) fail_msg("query failed: %s", weir_errmsg(db));
  weir_finalize(st);
  return out;
}

static int count_dirs(const char *path, const char *prefix) {
  DIR *d = opendir(path);
  if (!d) return -1;
  int n = 0;
  struct dirent *de;
  while ((de = readdir(d)))
    if (!strncmp(de->d_name, prefix, strlen(prefix))) n++;
  closedir(d);
  return n;
}

static void test_checkpoints_are_taken_and_results_unchanged(void **state) {
  (void)state;
  weir *db;
  assert_int_equal(weir_open(dir, &db), WEIR_OK);
  char *err = NULL;
  if (weir_exec(db, setup_sql, NULL, NULL, &err) != WEIR_OK) fail_msg("%s", err);
  char *plain = run(db, NULL);
  char *with = run(db,
                   "SET 'execution.checkpointing.interval' = '100 ms';"
                   "SET 'execution.checkpointing.num-retained' = '2';"
                   "SET 'pipeline.name' = 'ck';");
  assert_string_equal(plain, with);
  assert_true(strlen(plain) > 0);
  free(plain);
  free(with);
  weir_close(db);
  /* The SELECT's job is named query-N; find its checkpoint directory. */
  char base[600];
  snprintf(base, sizeof base, "%s/checkpoints", dir);
  DIR *d = opendir(base);
  assert_non_null(d);
  struct dirent *de;
  char job[1024] = "";
  while ((de = readdir(d)))
    if (de->d_name[0] != '.') snprintf(job, sizeof job, "%s/%s", base, de->d_name);
  closedir(d);
  assert_true(job[0]);
  int kept = count_dirs(job, "chk-");
  assert_true(kept >= 1 && kept <= 2);
  /* Every kept checkpoint is complete: its metadata loads and verifies. */
  d = opendir(job);
  int verified = 0;
  while ((de = readdir(d))) {
    if (strncmp(de->d_name, "chk-", 4)) continue;
    char meta[2048];
    snprintf(meta, sizeof meta, "%s/%s/_metadata", job, de->d_name);
    weir__snap_reader r;
    weir__err e;
    weir__err_clear(&e);
    assert_int_equal(weir__snap_load(&r, meta, &e), WEIR_OK);
    uint64_t version, id;
    assert_int_equal(weir__snap_get_u64(&r, &version, &e), WEIR_OK);
    assert_int_equal(weir__snap_get_u64(&r, &id, &e), WEIR_OK);
    assert_int_equal(version, 1);
    assert_int_equal((long long)id, atoll(de->d_name + 4));
    weir__snap_close(&r);
    /* The sources' positions are there, one file per subtask. */
    char src[2048];
    snprintf(src, sizeof src, "%s/%s/op0-1.state", job, de->d_name);
    assert_int_equal(access(src, R_OK), 0);
    verified++;
  }
  closedir(d);
  assert_int_equal(verified, kept);
}

static void test_checkpoints_need_a_place(void **state) {
  (void)state;
  weir *db;
  assert_int_equal(weir_open(NULL, &db), WEIR_OK);
  char *err = NULL;
  if (weir_exec(db, setup_sql, NULL, NULL, &err) != WEIR_OK) fail_msg("%s", err);
  assert_int_equal(weir_exec(db, "SET 'execution.checkpointing.interval' = '1 s'", NULL, NULL, &err),
                   WEIR_OK);
  weir_stmt *st;
  int rc = weir_prepare(db, query, -1, &st, NULL);
  if (rc == WEIR_OK) {
    rc = weir_step(st);
    weir_finalize(st);
  }
  assert_int_not_equal(rc, WEIR_ROW);
  assert_non_null(strstr(weir_errmsg(db), "state directory"));
  weir_close(db);
}

static void test_failing_disk_fails_the_job(void **state) {
  (void)state;
  weir *db;
  assert_int_equal(weir_open(dir, &db), WEIR_OK);
  char *err = NULL;
  if (weir_exec(db, setup_sql, NULL, NULL, &err) != WEIR_OK) fail_msg("%s", err);
  assert_int_equal(weir_exec(db, "SET 'execution.checkpointing.interval' = '50 ms'", NULL, NULL, &err),
                   WEIR_OK);
  setenv("WEIR_FAIL_WRITE_AFTER", "3", 1);
  weir_stmt *st;
  assert_int_equal(weir_prepare(db, query, -1, &st, NULL), WEIR_OK);
  int rc;
  while ((rc = weir_step(st)) == WEIR_ROW) {
  }
  unsetenv("WEIR_FAIL_WRITE_AFTER");
  assert_int_equal(rc, WEIR_IOERR);
  assert_non_null(strstr(weir_errmsg(db), "No space left on device"));
  weir_finalize(st);
  weir_close(db);
}

static int setup(void **state) {
  (void)state;
  const char *base = getenv("WEIR_TEST_TMP");
  snprintf(dir, sizeof dir, "%s/checkpoint-%d", base ? base : "/tmp", (int)getpid());
  weir__remove_tree(dir);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  return weir__remove_tree(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_checkpoints_are_taken_and_results_unchanged),
      cmocka_unit_test(test_checkpoints_need_a_place),
      cmocka_unit_test(test_failing_disk_fails_the_job),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

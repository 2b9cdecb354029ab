/*
 * test_unaligned.c -- unaligned checkpoints ('execution.checkpointing.
 * unaligned' = 'true').  A Nexmark source at full speed feeds a keyed
 * window aggregation that cannot keep up, so the channels between them
 * are full when barriers come: the barriers overtake those chunks, which
 * are kept with the checkpoint as in-flight data.  A job stopped midway
 * and restored -- at the same parallelism, then at another -- ends with
 * the same SQLite table as an uninterrupted run.  Also: unaligned with
 * AT_LEAST_ONCE is refused.
 */
#include <dirent.h>

#include "../testutil.h"

static const char *insert_sql =
    "INSERT INTO out2 SELECT window_start, auction % 8, COUNT(*), SUM(price) FROM "
    "TABLE(TUMBLE(TABLE bid, DESCRIPTOR(date_time), INTERVAL '20' SECOND)) "
    "GROUP BY window_start, window_end, auction % 8";

static const char *select_sql = "SELECT ws, k, n, total FROM w ORDER BY ws, k";

static weir *open_with_sink(const char *db_path, int par) {
  weir *db;
  assert_int_equal(weir_open(NULL, &db), WEIR_OK);
  char sql[2048];
  snprintf(sql, sizeof sql,
           "SET 'state.checkpoints.dir' = '%s/checkpoints';"
           "SET 'parallelism.default' = '%d';"
           "CREATE TABLE bid (auction BIGINT, price BIGINT, date_time TIMESTAMP(3),"
           "  WATERMARK FOR date_time AS date_time - INTERVAL '1' SECOND)"
           "  WITH ('connector' = 'nexmark', 'nexmark.table' = 'bid', 'events' = '20000000');"
           "CREATE TABLE out2 (ws TIMESTAMP(3), k BIGINT, n BIGINT, total BIGINT,"
           "  PRIMARY KEY (ws, k) NOT ENFORCED)"
           "  WITH ('connector' = 'sqlite', 'path' = '%s', 'table-name' = 'w');",
           tu_dir, par, db_path);
  tu_exec_ok(db, sql);
  return db;
}

/* Bytes of the in-flight data files in checkpoint directory ck, less
 * their empty size (magic and checksum); -1 if there is none. */
static long inflight_bytes(const char *ck) {
  DIR *d = opendir(ck);
  assert_non_null(d);
  long n = -1;
  struct dirent *de;
  while ((de = readdir(d))) {
    size_t len = strlen(de->d_name);
    if (len < 9 || strcmp(de->d_name + len - 9, ".inflight")) continue;
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", ck, de->d_name);
    assert_int_equal(stat(path, &st), 0);
    n = (n < 0 ? 0 : n) + (long)st.st_size - 16;
  }
  closedir(d);
  return n;
}

/* Interrupt once the job has completed a checkpoint above `above`, and
 * a second one after it (so it is midway, past its first). */
typedef struct wait_ck {
  const char *name;
  int64_t above;
} wait_ck;

static int has_checkpoints(void *arg) {
  wait_ck *w = arg;
  char ck[2048];
  if (!tu_latest_checkpoint("checkpoints", w->name, w->above, ck, sizeof ck)) return 0;
  const char *p = strrchr(ck, '-');
  return atoll(p + 1) >= w->above + 2;
}

/* Run insert_sql with unaligned checkpoints until two are complete
 * (restoring from `from` first, if set), and return the newest. */
static void run_until_checkpoints(const char *db_path, int par, const char *from, char *ck, size_t n) {
  weir *db = open_with_sink(db_path, par);
  char sql[4096];
  snprintf(sql, sizeof sql,
           "SET 'execution.checkpointing.interval' = '50 ms';"
           "SET 'execution.checkpointing.unaligned' = 'true';"
           "SET 'pipeline.name' = 'ua';"
           "SET 'execution.savepoint.path' = '%s';",
           from ? from : "");
  tu_exec_ok(db, sql);
  char prev[2048];
  int64_t above = 0;
  if (tu_latest_checkpoint("checkpoints", "ua", 0, prev, sizeof prev))
    above = atoll(strrchr(prev, '-') + 1);
  wait_ck w = {"ua", above};
  tu_interrupter it = {db, 0, has_checkpoints, &w, 0};
  tu_interrupt_start(&it);
  char *err = NULL;
  int rc = weir_exec(db, insert_sql, NULL, NULL, &err);
  tu_interrupt_join(&it);
  if (rc != WEIR_INTERRUPT) fail_msg("the job ended before it was stopped (%d): %s", rc, err ? err : "");
  weir_free(err);
  weir_close(db);
  assert_true(tu_latest_checkpoint("checkpoints", "ua", above, ck, n));
}

/* Stopped at parallelism 2, restored at 2 and stopped again, restored at
 * 3 to the end: each restore starts from a checkpoint with in-flight
 * data, and the table equals an uninterrupted run. */
static void test_unaligned_restore_2_2_3(void **state) {
  (void)state;
  char ref[1024], got[1024], ck[2048], ck2[2048];
  snprintf(ref, sizeof ref, "%s/ref.db", tu_dir);
  snprintf(got, sizeof got, "%s/got.db", tu_dir);
  weir *db = open_with_sink(ref, 2);
  tu_exec_ok(db, insert_sql);
  weir_close(db);
  char *want = tu_sqlite_text(ref, select_sql);

  run_until_checkpoints(got, 2, NULL, ck, sizeof ck);
  long b1 = inflight_bytes(ck);
  char *partial = tu_sqlite_text(got, select_sql);
  assert_true(strlen(partial) < strlen(want)); /* it really stopped midway */
  run_until_checkpoints(got, 2, ck, ck2, sizeof ck2);
  long b2 = inflight_bytes(ck2);
  print_message("in-flight data kept: %ld and %ld bytes\n", b1, b2);
  /* The barriers overtook queued chunks: some were kept. */
  assert_true(b1 > 0 && b2 > 0);

  db = open_with_sink(got, 3);
  char sql[4096];
  snprintf(sql, sizeof sql, "SET 'execution.savepoint.path' = '%s';", ck2);
  tu_exec_ok(db, sql);
  tu_exec_ok(db, insert_sql);
  weir_close(db);
  char *final = tu_sqlite_text(got, select_sql);
  assert_string_equal(final, want);
  free(want);
  free(partial);
  free(final);
}

static void test_unaligned_needs_exactly_once(void **state) {
  (void)state;
  char path[1024];
  snprintf(path, sizeof path, "%s/alo.db", tu_dir);
  weir *db = open_with_sink(path, 2);
  tu_exec_ok(db, "SET 'execution.checkpointing.interval' = '50 ms';"
                 "SET 'execution.checkpointing.unaligned' = 'true';"
                 "SET 'execution.checkpointing.mode' = 'AT_LEAST_ONCE';");
  char *err = NULL;
  assert_int_not_equal(weir_exec(db, insert_sql, NULL, NULL, &err), WEIR_OK);
  assert_non_null(strstr(err, "'execution.checkpointing.mode' = 'EXACTLY_ONCE'"));
  weir_free(err);
  err = NULL;
  assert_int_not_equal(weir_exec(db, "SET 'execution.checkpointing.unaligned' = 'maybe'", NULL, NULL, &err),
                       WEIR_OK);
  assert_non_null(err);
  weir_free(err);
  weir_close(db);
}

static int setup(void **state) {
  (void)state;
  return tu_setup_dir("unaligned");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_unaligned_restore_2_2_3),
      cmocka_unit_test(test_unaligned_needs_exactly_once),
  };
  return cmocka_run_group_tests(tests, setup, tu_teardown_dir);
}

/*
 * test_unaligned.c -- unaligned checkpoints ('execution.checkpointing.
 * unaligned' = 'true').  A Nexmark source at full speed feeds a keyed
 * window aggregation that cannot keep up, so the channels between them
 * are full when barriers come: the barriers overtake those chunks, which
 * are kept with the checkpoint as in-flight data.  A job stopped midway
 * and restored ends with the same SQLite table as an uninterrupted run:
 * a window aggregation at the same parallelism (another one is refused
 * with a clear error: its subtasks fired windows at different points),
 * an updating GROUP BY also at another parallelism.  Also: unaligned with
 * AT_LEAST_ONCE is refused.
 */
#include <dirent.h>

#include "../testutil.h"

/* A query, its sink table and how to read that table back in order.
 * Both have enough keys that their keyed operators fall behind the
 * sources, so every checkpoint overtakes queued rows (hundreds of KB). */
typedef struct job_sql {
  const char *sink_ddl, *insert, *select;
} job_sql;

static const job_sql windowed = {
    "CREATE TABLE out2 (ws TIMESTAMP(3), k BIGINT, n BIGINT, total BIGINT,"
    "  PRIMARY KEY (ws, k) NOT ENFORCED)",
    "INSERT INTO out2 SELECT window_start, auction % 1024, COUNT(*), SUM(price) FROM "
    "TABLE(TUMBLE(TABLE bid, DESCRIPTOR(date_time), INTERVAL '20' SECOND)) "
    "GROUP BY window_start, window_end, auction % 1024",
    "SELECT ws, k, n, total FROM w ORDER BY ws, k"};

static const job_sql updating = {
    "CREATE TABLE out2 (k BIGINT, n BIGINT, total BIGINT, PRIMARY KEY (k) NOT ENFORCED)",
    "INSERT INTO out2 SELECT auction % 64, COUNT(*), SUM(price) FROM bid GROUP BY auction % 64",
    "SELECT k, n, total FROM w ORDER BY k"};

static weir *open_with_sink(const job_sql *q, const char *db_path, int par) {
  weir *db;
  assert_int_equal(weir_open(NULL, &db), WEIR_OK);
  char sql[2048];
  snprintf(sql, sizeof sql,
           "SET 'state.checkpoints.dir' = '%s/checkpoints';"
           "SET 'parallelism.default' = '%d';"
           "CREATE TABLE bid (auction BIGINT, price BIGINT, date_time TIMESTAMP(3),"
           "  WATERMARK FOR date_time AS date_time - INTERVAL '1' SECOND)"
           "  WITH ('connector' = 'nexmark', 'nexmark.table' = 'bid', 'events' = '20000000');"
           "%s WITH ('connector' = 'sqlite', 'path' = '%s', 'table-name' = 'w');",
           tu_dir, par, q->sink_ddl, db_path);
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

/* Does checkpoint ck keep in-flight data?  (Whether a barrier found
 * chunks queued depends on timing: on a loaded machine one may not.) */
static int has_inflight(const char *ck) { return inflight_bytes(ck) > 0; }

/* Run q with unaligned checkpoints as job `name` until two more are
 * complete, the newest with in-flight data (restoring from `from` first,
 * if set), and return the newest such checkpoint. */
static void run_until_checkpoints(const job_sql *q, const char *name, const char *db_path, int par,
                                  const char *from, char *ck, size_t n) {
  weir *db = open_with_sink(q, db_path, par);
  char sql[4096];
  snprintf(sql, sizeof sql,
           "SET 'execution.checkpointing.interval' = '50 ms';"
           "SET 'execution.checkpointing.unaligned' = 'true';"
           "SET 'execution.checkpointing.num-retained' = '100';"
           "SET 'pipeline.name' = '%s';"
           "SET 'execution.savepoint.path' = '%s';",
           name, from ? from : "");
  tu_exec_ok(db, sql);
  tu_run_until_checkpoints(db, q->insert, name, 2, has_inflight, ck, n);
}

/* Restore q from checkpoint ck at parallelism par and run it to the end. */
static void restore_to_end(const job_sql *q, const char *db_path, int par, const char *ck) {
  tu_restore_to_end(open_with_sink(q, db_path, par), q->insert, ck);
}

/* q stopped at parallelism 2, restored at 2 and stopped again, restored
 * at `last` to the end: each restore starts from a checkpoint with
 * in-flight data, and the table equals an uninterrupted run.  With
 * `refused` > 0, a restore at that parallelism is refused first. */
static void stop_restore_compare(const job_sql *q, const char *name, int last, int refused) {
  char ref[1024], got[1024], ck[2048], ck2[2048];
  snprintf(ref, sizeof ref, "%s/%s-ref.db", tu_dir, name);
  snprintf(got, sizeof got, "%s/%s-got.db", tu_dir, name);
  weir *db = open_with_sink(q, ref, 2);
  tu_exec_ok(db, q->insert);
  weir_close(db);
  char *want = tu_sqlite_text(ref, q->select);

  run_until_checkpoints(q, name, got, 2, NULL, ck, sizeof ck);
  long b1 = inflight_bytes(ck);
  char *partial = tu_sqlite_text(got, q->select);
  /* It really stopped midway: windows are missing, or counts are lower. */
  if (q == &windowed)
    assert_true(strlen(partial) < strlen(want));
  else
    assert_string_not_equal(partial, want);
  run_until_checkpoints(q, name, got, 2, ck, ck2, sizeof ck2);
  long b2 = inflight_bytes(ck2);
  print_message("%s: in-flight data kept: %ld and %ld bytes\n", name, b1, b2);
  /* The barriers overtook queued chunks: some were kept. */
  assert_true(b1 > 0 && b2 > 0);

  if (refused) {
    weir *db3 = open_with_sink(q, got, refused);
    char sql[4096], *err = NULL;
    snprintf(sql, sizeof sql, "SET 'execution.savepoint.path' = '%s';", ck2);
    tu_exec_ok(db3, sql);
    assert_int_equal(weir_exec(db3, q->insert, NULL, NULL, &err), WEIR_UNSUPPORTED);
    assert_non_null(strstr(err, "restores from an unaligned checkpoint only at the parallelism "
                                "it was taken with (2)"));
    weir_free(err);
    weir_close(db3);
  }
  restore_to_end(q, got, last, ck2);
  char *final = tu_sqlite_text(got, q->select);
  assert_string_equal(final, want);
  free(want);
  free(partial);
  free(final);
}

/* A window aggregation: 2 -> 2 -> 2; at 3 it is refused (its subtasks
 * fired windows at different watermarks). */
static void test_unaligned_window_restore(void **state) {
  (void)state;
  stop_restore_compare(&windowed, "ua-window", 2, 3);
}

/* An updating GROUP BY: 2 -> 2 -> 3, the in-flight rows split by key group. */
static void test_unaligned_rescaled_restore(void **state) {
  (void)state;
  stop_restore_compare(&updating, "ua-group", 3, 0);
}

static void test_unaligned_needs_exactly_once(void **state) {
  (void)state;
  char path[1024];
  snprintf(path, sizeof path, "%s/alo.db", tu_dir);
  weir *db = open_with_sink(&windowed, path, 2);
  tu_exec_ok(db, "SET 'execution.checkpointing.interval' = '50 ms';"
                 "SET 'execution.checkpointing.unaligned' = 'true';"
                 "SET 'execution.checkpointing.mode' = 'AT_LEAST_ONCE';");
  char *err = NULL;
  assert_int_not_equal(weir_exec(db, windowed.insert, NULL, NULL, &err), WEIR_OK);
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
      cmocka_unit_test(test_unaligned_window_restore),
      cmocka_unit_test(test_unaligned_rescaled_restore),
      cmocka_unit_test(test_unaligned_needs_exactly_once),
  };
  return cmocka_run_group_tests(tests, setup, tu_teardown_dir);
}

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
#include <pthread.h>
#include <stdatomic.h>

#include "../testutil.h"

/* An in-memory engine whose checkpoints go to tu_dir/checkpoints (every open
 * starts with an empty catalog; the checkpoints stay). */
static weir *open_engine(void) {
  weir *db;
  assert_int_equal(weir_open(NULL, &db), WEIR_OK);
  char sql[1024];
  snprintf(sql, sizeof sql, "SET 'state.checkpoints.dir' = '%s/checkpoints';", tu_dir);
  tu_exec_ok(db, sql);
  return db;
}

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
  weir *db = open_engine();
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
  snprintf(base, sizeof base, "%s/checkpoints", tu_dir);
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
    assert_int_equal(version, 2);
    assert_int_equal((long long)id, atoll(de->d_name + 4));
    weir__snap_close(&r);
    /* The sources' positions are there, one file per subtask. */
    char src[2048];
    snprintf(src, sizeof src, "%s/%s/NexmarkSource-0.1.state", job, de->d_name);
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
  weir *db = open_engine();
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

/* ---- restore ------------------------------------------------------------------------ */

static const char *insert_sql =
    "INSERT INTO out1 SELECT window_start, COUNT(*), SUM(price), MAX(auction) FROM "
    "TABLE(TUMBLE(TABLE bid, DESCRIPTOR(date_time), INTERVAL '200' MILLISECOND)) "
    "GROUP BY window_start, window_end";

static weir *open_with_sink(const char *db_path, int par) {
  weir *db = open_engine();
  char sql[2048];
  snprintf(sql, sizeof sql,
           "%s SET 'parallelism.default' = '%d';"
           "CREATE TABLE out1 (ws TIMESTAMP(3), n BIGINT, total BIGINT, top BIGINT,"
           "  PRIMARY KEY (ws) NOT ENFORCED)"
           "  WITH ('connector' = 'sqlite', 'path' = '%s', 'table-name' = 'w');",
           setup_sql, par, db_path);
  tu_exec_ok(db, sql);
  return db;
}

/* The sink table as text, ordered. */
static char *table_text(const char *db_path) {
  return tu_sqlite_text(db_path, "SELECT ws, n, total, top FROM w ORDER BY ws");
}

/* Run insert_sql on db, interrupted after ms. */
static void run_interrupted(weir *db, int ms) { tu_run_interrupted(db, insert_sql, ms); }

/* The newest complete checkpoint of job `name` into buf; 0 if none. */
static int latest_checkpoint(const char *name, char *buf, size_t n) {
  return tu_latest_checkpoint("checkpoints", name, 0, buf, n);
}

/* Stop a job midway (it keeps its last checkpoint), restore it at
 * parallelism `to`, and the SQLite sink (upserts by window) ends equal to
 * an uninterrupted run. */
static void restore_at(int from, int to) {
  char ref[1024], got[1024], name[64], ck[2048], sql[4096];
  snprintf(ref, sizeof ref, "%s/ref-%d-%d.db", tu_dir, from, to);
  snprintf(got, sizeof got, "%s/got-%d-%d.db", tu_dir, from, to);
  snprintf(name, sizeof name, "restore-%d-%d", from, to);
  char *err = NULL;
  weir *db = open_with_sink(ref, from);
  if (weir_exec(db, insert_sql, NULL, NULL, &err) != WEIR_OK) fail_msg("%s", err);
  weir_close(db);

  db = open_with_sink(got, from);
  snprintf(sql, sizeof sql,
           "SET 'execution.checkpointing.interval' = '100 ms'; SET 'pipeline.name' = '%s';", name);
  if (weir_exec(db, sql, NULL, NULL, &err) != WEIR_OK) fail_msg("%s", err);
  run_interrupted(db, 1200);
  weir_close(db);
  assert_true(latest_checkpoint(name, ck, sizeof ck));
  char *partial = table_text(got), *want = table_text(ref);
  assert_true(strlen(partial) < strlen(want)); /* it really stopped midway */

  db = open_with_sink(got, to);
  snprintf(sql, sizeof sql, "SET 'execution.savepoint.path' = '%s';", ck);
  if (weir_exec(db, sql, NULL, NULL, &err) != WEIR_OK) fail_msg("%s", err);
  if (weir_exec(db, insert_sql, NULL, NULL, &err) != WEIR_OK) fail_msg("restore: %s", err);
  weir_close(db);
  char *final = table_text(got);
  assert_string_equal(final, want);
  free(partial);
  free(want);
  free(final);
}

/* Stopped at parallelism 1, restored at 2 and stopped again, restored at
 * 4 to the end: the table equals an uninterrupted run. */
static void test_restore_chain_1_2_4(void **state) {
  (void)state;
  char ref[1024], got[1024], ck[2048], sql[4096];
  snprintf(ref, sizeof ref, "%s/chain-ref.db", tu_dir);
  snprintf(got, sizeof got, "%s/chain-got.db", tu_dir);
  char *err = NULL;
  weir *db = open_with_sink(ref, 1);
  if (weir_exec(db, insert_sql, NULL, NULL, &err) != WEIR_OK) fail_msg("%s", err);
  weir_close(db);
  const char *every = "SET 'execution.checkpointing.interval' = '100 ms'; SET 'pipeline.name' = 'chain';";
  db = open_with_sink(got, 1);
  if (weir_exec(db, every, NULL, NULL, &err) != WEIR_OK) fail_msg("%s", err);
  run_interrupted(db, 700);
  weir_close(db);
  assert_true(latest_checkpoint("chain", ck, sizeof ck));
  db = open_with_sink(got, 2);
  snprintf(sql, sizeof sql, "%s SET 'execution.savepoint.path' = '%s';", every, ck);
  if (weir_exec(db, sql, NULL, NULL, &err) != WEIR_OK) fail_msg("%s", err);
  run_interrupted(db, 900);
  weir_close(db);
  char ck2[2048];
  assert_true(latest_checkpoint("chain", ck2, sizeof ck2));
  assert_string_not_equal(ck, ck2); /* the second run took checkpoints of its own */
  db = open_with_sink(got, 4);
  snprintf(sql, sizeof sql, "SET 'execution.savepoint.path' = '%s';", ck2);
  if (weir_exec(db, sql, NULL, NULL, &err) != WEIR_OK) fail_msg("%s", err);
  if (weir_exec(db, insert_sql, NULL, NULL, &err) != WEIR_OK) fail_msg("restore: %s", err);
  weir_close(db);
  char *want = table_text(ref), *final = table_text(got);
  assert_string_equal(final, want);
  free(want);
  free(final);
}

static void test_restore_same_parallelism(void **state) {
  (void)state;
  restore_at(2, 2);
}

static void test_restore_rescaled(void **state) {
  (void)state;
  restore_at(2, 1);
  restore_at(1, 3);
}

/* A damaged checkpoint is reported and not loaded; so is a directory
 * that is not a checkpoint. */
static void test_bad_checkpoints_are_refused(void **state) {
  (void)state;
  char ck[2048], path[4096], sql[4096];
  assert_true(latest_checkpoint("restore-2-2", ck, sizeof ck));
  snprintf(path, sizeof path, "%s/bad.db", tu_dir);
  weir *db = open_with_sink(path, 2);
  char *err = NULL;
  /* Flip a byte of a state file. */
  snprintf(path, sizeof path, "%s/WindowAggregate-0.0.state", ck);
  FILE *f = fopen(path, "r+b");
  assert_non_null(f);
  fseek(f, 9, SEEK_SET);
  int c = fgetc(f);
  fseek(f, 9, SEEK_SET);
  fputc(c ^ 1, f);
  fclose(f);
  snprintf(sql, sizeof sql, "SET 'execution.savepoint.path' = '%s';", ck);
  assert_int_equal(weir_exec(db, sql, NULL, NULL, &err), WEIR_OK);
  assert_int_equal(weir_exec(db, insert_sql, NULL, NULL, &err), WEIR_CORRUPT);
  assert_non_null(strstr(err, "checksum mismatch"));
  weir_free(err);
  err = NULL;
  snprintf(sql, sizeof sql, "SET 'execution.savepoint.path' = '%s';", tu_dir);
  assert_int_equal(weir_exec(db, sql, NULL, NULL, &err), WEIR_OK);
  assert_int_equal(weir_exec(db, insert_sql, NULL, NULL, &err), WEIR_NOTFOUND);
  assert_non_null(strstr(err, "no _metadata"));
  weir_free(err);
  weir_close(db);
}

/* ---- restart strategies ------------------------------------------------------------ */

/* Run insert_sql with checkpoint write number `after` failing, and only
 * it (count 1) or every one from there (count 0); returns weir_exec's
 * result and the sink's text. */
static int run_with_fault(const char *settings, const char *after, int count, const char *db_path,
                          char **table, char **msg) {
  weir *db = open_with_sink(db_path, 2);
  char *err = NULL;
  if (weir_exec(db, settings, NULL, NULL, &err) != WEIR_OK) fail_msg("%s", err);
  weir__snap_reset_fault_injection();
  setenv("WEIR_FAIL_WRITE_AFTER", after, 1);
  if (count) setenv("WEIR_FAIL_WRITE_COUNT", "1", 1);
  int rc = weir_exec(db, insert_sql, NULL, NULL, &err);
  unsetenv("WEIR_FAIL_WRITE_AFTER");
  unsetenv("WEIR_FAIL_WRITE_COUNT");
  *msg = err;
  weir_close(db);
  *table = table_text(db_path);
  return rc;
}

/* A transient disk fault fails the job; it restarts from its newest
 * checkpoint and ends with the same table as a run without the fault. */
static void test_restart_after_a_transient_failure(void **state) {
  (void)state;
  char ref[1024], got[1024], *want, *table, *msg;
  snprintf(ref, sizeof ref, "%s/restart-ref.db", tu_dir);
  snprintf(got, sizeof got, "%s/restart-got.db", tu_dir);
  weir *db = open_with_sink(ref, 2);
  char *err = NULL;
  if (weir_exec(db, insert_sql, NULL, NULL, &err) != WEIR_OK) fail_msg("%s", err);
  weir_close(db);
  want = table_text(ref);
  int rc = run_with_fault("SET 'execution.checkpointing.interval' = '100 ms';"
                          "SET 'restart-strategy.type' = 'fixed-delay';"
                          "SET 'restart-strategy.fixed-delay.attempts' = '2';"
                          "SET 'restart-strategy.fixed-delay.delay' = '50 ms';"
                          "SET 'pipeline.name' = 'restart1';",
                          "16", 1, got, &table, &msg); /* in the third checkpoint */
  if (rc != WEIR_OK) fail_msg("the job did not recover: %s", msg ? msg : "?");
  assert_string_equal(table, want);
  free(want);
  free(table);
}

static void test_restart_strategy_none_fails(void **state) {
  (void)state;
  char got[1024], *table, *msg;
  snprintf(got, sizeof got, "%s/restart-none.db", tu_dir);
  int rc = run_with_fault("SET 'execution.checkpointing.interval' = '100 ms';"
                          "SET 'restart-strategy.type' = 'none'; SET 'pipeline.name' = 'restart2';",
                          "4", 1, got, &table, &msg);
  assert_int_equal(rc, WEIR_IOERR);
  assert_non_null(strstr(msg, "No space left on device"));
  weir_free(msg);
  free(table);
}

/* A fault that stays: the job fails for good after its attempts. */
static void test_restart_attempts_run_out(void **state) {
  (void)state;
  char got[1024], *table, *msg;
  snprintf(got, sizeof got, "%s/restart-out.db", tu_dir);
  int rc = run_with_fault("SET 'execution.checkpointing.interval' = '100 ms';"
                          "SET 'restart-strategy.type' = 'fixed-delay';"
                          "SET 'restart-strategy.fixed-delay.attempts' = '2';"
                          "SET 'restart-strategy.fixed-delay.delay' = '10 ms';"
                          "SET 'pipeline.name' = 'restart3';",
                          "4", 0, got, &table, &msg);
  assert_int_equal(rc, WEIR_IOERR);
  assert_non_null(strstr(msg, "No space left on device"));
  weir_free(msg);
  free(table);
}

/* ---- the sink's database is readable while the job runs ------------------------------ */

typedef struct reader {
  const char *path;
  _Atomic int stop;
  int reads, errors, decreased, partial;
  long long last;
} reader;

static void *read_while_running(void *arg) {
  reader *rd = arg;
  while (!atomic_load(&rd->stop)) {
    usleep(100 * 1000);
    sqlite3 *s;
    if (sqlite3_open_v2(rd->path, &s, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
      sqlite3_close(s);
      continue; /* not created yet */
    }
    sqlite3_busy_timeout(s, 5000);
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(s, "SELECT count(*) FROM w", -1, &q, NULL) == SQLITE_OK) {
      if (sqlite3_step(q) == SQLITE_ROW) {
        long long n = sqlite3_column_int64(q, 0);
        rd->reads++;
        if (n < rd->last) rd->decreased++;
        if (n > 0) rd->partial++;
        rd->last = n;
      } else {
        rd->errors++;
      }
    }
    sqlite3_finalize(q);
    sqlite3_close(s);
  }
  return NULL;
}

/* sqlite3 readers see whole epochs appear while the job runs: they are
 * never blocked or shown a table that shrinks. */
static void test_sink_is_readable_while_running(void **state) {
  (void)state;
  char path[1024];
  snprintf(path, sizeof path, "%s/readable.db", tu_dir);
  weir *db = open_with_sink(path, 2);
  char *err = NULL;
  if (weir_exec(db, "SET 'execution.checkpointing.interval' = '100 ms';", NULL, NULL, &err) != WEIR_OK)
    fail_msg("%s", err);
  reader rd = {.path = path};
  pthread_t th;
  pthread_create(&th, NULL, read_while_running, &rd);
  int rc = weir_exec(db, insert_sql, NULL, NULL, &err);
  atomic_store(&rd.stop, 1);
  pthread_join(th, NULL);
  if (rc != WEIR_OK) fail_msg("%s", err);
  weir_close(db);
  assert_true(rd.reads >= 5);
  assert_int_equal(rd.errors, 0);
  assert_int_equal(rd.decreased, 0);
  assert_true(rd.partial >= 2); /* rows were visible before the job ended */
}

/* ---- EXPLAIN states each sink's guarantee ------------------------------------------- */

static int collect_text(void *arg, int ncol, const char *const *values, const char *const *names,
                        int kind) {
  (void)names;
  (void)kind;
  char *buf = arg;
  for (int i = 0; i < ncol; i++)
    if (values[i] && strlen(buf) + strlen(values[i]) + 2 < 8192) strcat(strcat(buf, values[i]), "\n");
  return 0;
}

static void test_explain_states_the_guarantee(void **state) {
  (void)state;
  char path[1024], plan[8192];
  snprintf(path, sizeof path, "%s/explain.db", tu_dir);
  weir *db = open_with_sink(path, 2);
  char *err = NULL;
  plan[0] = 0;
  assert_int_equal(weir_exec(db, "EXPLAIN INSERT INTO out1 SELECT date_time, 1, price, auction FROM bid",
                             collect_text, plan, &err),
                   WEIR_OK);
  assert_non_null(strstr(plan, "guarantee=at-least-once(no checkpoints)"));
  plan[0] = 0;
  assert_int_equal(weir_exec(db,
                             "SET 'execution.checkpointing.interval' = '1 s';"
                             "EXPLAIN INSERT INTO out1 SELECT date_time, 1, price, auction FROM bid",
                             collect_text, plan, &err),
                   WEIR_OK);
  assert_non_null(strstr(plan, "guarantee=exactly-once"));
  plan[0] = 0;
  assert_int_equal(weir_exec(db,
                             "CREATE TABLE bh (a BIGINT) WITH ('connector' = 'blackhole');"
                             "EXPLAIN INSERT INTO bh SELECT price FROM bid",
                             collect_text, plan, &err),
                   WEIR_OK);
  assert_non_null(strstr(plan, "guarantee=at-least-once(connector)"));
  weir_close(db);
}

static int setup(void **state) {
  (void)state;
  return tu_setup_dir("checkpoint");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_checkpoints_are_taken_and_results_unchanged),
      cmocka_unit_test(test_checkpoints_need_a_place),
      cmocka_unit_test(test_failing_disk_fails_the_job),
      cmocka_unit_test(test_restore_same_parallelism),
      cmocka_unit_test(test_restore_rescaled),
      cmocka_unit_test(test_restore_chain_1_2_4),
      cmocka_unit_test(test_bad_checkpoints_are_refused),
      cmocka_unit_test(test_restart_after_a_transient_failure),
      cmocka_unit_test(test_restart_strategy_none_fails),
      cmocka_unit_test(test_restart_attempts_run_out),
      cmocka_unit_test(test_explain_states_the_guarantee),
      cmocka_unit_test(test_sink_is_readable_while_running),
  };
  return cmocka_run_group_tests(tests, setup, tu_teardown_dir);
}

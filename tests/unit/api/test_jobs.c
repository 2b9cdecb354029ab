/*
 * test_jobs.c -- jobs the engine owns: a detached INSERT returns at once
 * and runs in the background; SHOW JOBS and DESCRIBE JOB show its figures
 * while it runs; SAVEPOINT JOB, STOP JOB ... WITH SAVEPOINT [WITH DRAIN]
 * and CANCEL JOB control it; a savepoint restores at another parallelism
 * (1 -> 2 -> 4) to the table of an uninterrupted run; weir_close of a
 * state directory leaves its jobs to be resumed.  Bad job control is an
 * error with a clear message.
 */
#include <dirent.h>
#include <time.h>

#include "../testutil.h"

/* 40000 Nexmark events paced at 20000 per second: a job of about 2 s. */
static const char *setup_sql =
    "CREATE TABLE bid (auction BIGINT, price BIGINT, date_time TIMESTAMP(3),"
    "  WATERMARK FOR date_time AS date_time - INTERVAL '1' SECOND)"
    "  WITH ('connector' = 'nexmark', 'nexmark.table' = 'bid', 'events' = '40000',"
    "        'nexmark.events-per-second' = '20000', 'nexmark.pace' = 'true');";

static const char *insert_sql =
    "INSERT INTO out1 SELECT window_start, COUNT(*), SUM(price), MAX(auction) FROM "
    "TABLE(TUMBLE(TABLE bid, DESCRIPTOR(date_time), INTERVAL '200' MILLISECOND)) "
    "GROUP BY window_start, window_end";

/* An engine (state_dir NULL: in memory, savepoints under tu_dir) with the
 * bid table and a SQLite sink at db_path, at parallelism par. */
static weir *open_with_sink(const char *state_dir, const char *db_path, int par) {
  weir *db;
  assert_int_equal(weir_open(state_dir, &db), WEIR_OK);
  char sql[4096];
  snprintf(sql, sizeof sql,
           "SET 'state.savepoints.dir' = '%s/savepoints'; SET 'parallelism.default' = '%d';"
           "%s CREATE TABLE out1 (ws TIMESTAMP(3), n BIGINT, total BIGINT, top BIGINT,"
           "  PRIMARY KEY (ws) NOT ENFORCED)"
           "  WITH ('connector' = 'sqlite', 'path' = '%s', 'table-name' = 'w');",
           tu_dir, par, setup_sql, db_path);
  tu_exec_ok(db, sql);
  return db;
}

/* The sink table as text, ordered. */
static char *table_text(const char *db_path) {
  return tu_sqlite_text(db_path, "SELECT ws, n, total, top FROM w ORDER BY ws");
}

static int count_lines(const char *s) {
  int n = 0;
  for (; *s; s++) n += *s == '\n';
  return n;
}

/* The reference: the INSERT run to its end in one go. */
static char *reference(const char *name) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s.db", tu_dir, name);
  weir *db = open_with_sink(NULL, path, 2);
  tu_exec_ok(db, insert_sql);
  weir_close(db);
  return table_text(path);
}

/* The rows of the last query, as "a|b|c\n" lines (NULL empty). */
static const char *out = "";

static void query(weir *db, const char *sql) { out = tu_query(db, sql, ""); }

/* The error message of sql, which must fail with code. */
static void query_fails(weir *db, const char *sql, int code, const char *msg) {
  char *err = NULL;
  int rc = weir_exec(db, sql, NULL, NULL, &err);
  if (rc != code) fail_msg("'%s' returned %d (%s), not %d", sql, rc, err ? err : "", code);
  if (!strstr(err, msg)) fail_msg("'%s' said '%s', not '%s'", sql, err, msg);
  weir_free(err);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(int ms) { usleep((useconds_t)ms * 1000); }

/* A detached INSERT returns at once; SHOW JOBS and DESCRIBE JOB show it
 * running with growing figures and a watermark; it ends FINISHED with
 * the same table as a synchronous run. */
static void test_detached_insert(void **state) {
  (void)state;
  char *want = reference("detached-ref");
  char path[1024];
  snprintf(path, sizeof path, "%s/detached.db", tu_dir);
  weir *db = open_with_sink(NULL, path, 2);
  tu_exec_ok(db, "SET 'table.dml-sync' = 'false'; SET 'pipeline.name' = 'bg';");
  double t0 = now_s();
  query(db, insert_sql);
  assert_true(now_s() - t0 < 1.0);
  assert_string_equal(out, "bg|RUNNING\n");
  assert_int_equal(weir_jobs_running(db), 1);
  sleep_ms(700);
  query(db, "SHOW JOBS");
  /* name|status|started|uptime|last checkpoint|watermark|in|out|late|failure */
  char name[64], status[64], wm[64];
  long long in = 0;
  assert_int_equal(sscanf(out, "%63[^|]|%63[^|]|%*[^|]|%*[^|]||%63[^|]|%lld|", name, status, wm, &in), 4);
  assert_string_equal(name, "bg");
  assert_string_equal(status, "RUNNING");
  assert_true(in > 0 && in < 40000 * 46 / 50);
  assert_true(strlen(wm) >= 19); /* a timestamp */
  query(db, "DESCRIBE JOB bg");
  assert_non_null(strstr(out, "operator 1: Source(bid)|parallelism 2, records in"));
  assert_non_null(strstr(out, "WindowAggregate"));
  assert_non_null(strstr(out, "Sink(out1)"));
  assert_non_null(strstr(out, "watermark "));
  /* The same job cannot start twice. */
  query_fails(db, "CREATE JOB bg AS INSERT INTO out1 SELECT window_start, 1, 1, 1 FROM "
                  "TABLE(TUMBLE(TABLE bid, DESCRIPTOR(date_time), INTERVAL '1' SECOND)) "
                  "GROUP BY window_start, window_end",
              WEIR_ERROR, "a job named 'bg' is running already");
  assert_int_equal(weir_jobs_wait(db), WEIR_OK);
  assert_int_equal(weir_jobs_running(db), 0);
  query(db, "SHOW JOBS");
  assert_non_null(strstr(out, "bg|FINISHED|"));
  assert_non_null(strstr(out, "|36800|")); /* every bid read: 46 of 50 events */
  weir_close(db);
  char *got = table_text(path);
  assert_string_equal(got, want);
  free(got);
  free(want);
}

/* Run the INSERT detached as job `name` for ms, then STOP JOB ... WITH
 * SAVEPOINT: the savepoint's path into sp. */
static void run_and_stop(weir *db, const char *name, int ms, int drain, char *sp, size_t n) {
  char sql[512];
  snprintf(sql, sizeof sql, "SET 'table.dml-sync' = 'false'; SET 'pipeline.name' = '%s';", name);
  tu_exec_ok(db, sql);
  query(db, insert_sql);
  sleep_ms(ms);
  snprintf(sql, sizeof sql, "STOP JOB '%s' WITH SAVEPOINT%s", name, drain ? " WITH DRAIN" : "");
  query(db, sql);
  snprintf(sp, n, "%.*s", (int)strcspn(out, "\n"), out);
  char meta[2048];
  snprintf(meta, sizeof meta, "%s/_metadata", sp);
  assert_int_equal(access(meta, R_OK), 0);
  assert_int_equal(weir_jobs_running(db), 0);
  query(db, "SHOW JOBS");
  snprintf(sql, sizeof sql, "%s|FINISHED|", name);
  assert_non_null(strstr(out, sql));
}

/* Stop with a savepoint at parallelism 1 (with checkpoints: the sink is
 * exactly once), restore at 2 (without: at least once) and stop again,
 * restore at 4 to the end: the table of an uninterrupted run. */
static void test_savepoint_rescale_1_2_4(void **state) {
  (void)state;
  char *want = reference("rescale-ref");
  char path[1024], sp1[2048], sp2[2048], sql[4096];
  snprintf(path, sizeof path, "%s/rescale.db", tu_dir);
  weir *db = open_with_sink(NULL, path, 1);
  snprintf(sql, sizeof sql,
           "SET 'execution.checkpointing.interval' = '100 ms';"
           "SET 'state.checkpoints.dir' = '%s/checkpoints';", tu_dir);
  tu_exec_ok(db, sql);
  run_and_stop(db, "sp", 600, 0, sp1, sizeof sp1);
  query(db, "DESCRIBE JOB sp");
  assert_non_null(strstr(out, sp1));
  weir_close(db);
  char *partial = table_text(path);
  assert_true(count_lines(partial) < count_lines(want));
  db = open_with_sink(NULL, path, 2);
  snprintf(sql, sizeof sql, "SET 'execution.savepoint.path' = '%s';", sp1);
  tu_exec_ok(db, sql);
  run_and_stop(db, "sp", 600, 0, sp2, sizeof sp2);
  assert_string_not_equal(sp1, sp2);
  weir_close(db);
  db = open_with_sink(NULL, path, 4);
  snprintf(sql, sizeof sql, "SET 'execution.savepoint.path' = '%s';", sp2);
  tu_exec_ok(db, sql);
  tu_exec_ok(db, insert_sql);
  weir_close(db);
  char *got = table_text(path);
  assert_string_equal(got, want);
  free(partial);
  free(got);
  free(want);
}

/* SAVEPOINT JOB leaves the job running; restoring from it later (after
 * the job was cancelled) completes the table. */
static void test_intermediate_savepoint(void **state) {
  (void)state;
  char *want = reference("inter-ref");
  char path[1024], sp[2048], sql[4096];
  snprintf(path, sizeof path, "%s/inter.db", tu_dir);
  weir *db = open_with_sink(NULL, path, 2);
  snprintf(sql, sizeof sql,
           "SET 'execution.checkpointing.interval' = '100 ms'; SET 'state.checkpoints.dir' = "
           "'%s/checkpoints'; SET 'table.dml-sync' = 'false'; SET 'pipeline.name' = 'inter';",
           tu_dir);
  tu_exec_ok(db, sql);
  query(db, insert_sql);
  sleep_ms(500);
  query(db, "SAVEPOINT JOB 'inter'");
  snprintf(sp, sizeof sp, "%.*s", (int)strcspn(out, "\n"), out);
  assert_non_null(strstr(sp, "/savepoints/inter/savepoint-"));
  assert_int_equal(weir_jobs_running(db), 1); /* it goes on */
  sleep_ms(400);
  query(db, "CANCEL JOB 'inter'");
  assert_string_equal(out, "inter|CANCELED\n");
  query(db, "SHOW JOBS");
  assert_non_null(strstr(out, "inter|CANCELED|"));
  snprintf(sql, sizeof sql, "SET 'execution.savepoint.path' = '%s'; SET 'table.dml-sync' = 'true';", sp);
  tu_exec_ok(db, sql);
  tu_exec_ok(db, insert_sql);
  weir_close(db);
  char *got = table_text(path);
  assert_string_equal(got, want);
  free(got);
  free(want);
}

/* WITH DRAIN: the maximum watermark goes first, so every window of what
 * was read fires before the job stops, the last one partly filled. */
static void test_stop_with_drain(void **state) {
  (void)state;
  char *want = reference("drain-ref");
  char path[1024], sp[2048];
  snprintf(path, sizeof path, "%s/drain.db", tu_dir);
  weir *db = open_with_sink(NULL, path, 2);
  run_and_stop(db, "drained", 800, 1, sp, sizeof sp);
  weir_close(db);
  char *got = table_text(path);
  int n = count_lines(got);
  assert_true(n >= 2 && n < count_lines(want));
  /* Every window but the last is whole; the last one has what was read. */
  const char *last = got;
  for (int i = 0; i < n - 1; i++) last = strchr(last, '\n') + 1;
  assert_memory_equal(got, want, (size_t)(last - got));
  const char *wl = want + (last - got);
  char gws[64], wws[64];
  long long gn, wn;
  assert_int_equal(sscanf(last, "%63[^ ] %*s %lld", gws, &gn), 2);
  assert_int_equal(sscanf(wl, "%63[^ ] %*s %lld", wws, &wn), 2);
  (void)gws;
  (void)wws;
  assert_true(gn <= wn);
  free(got);
  free(want);
}

/* Job control that cannot work says why. */
static void test_job_control_errors(void **state) {
  (void)state;
  char path[1024];
  snprintf(path, sizeof path, "%s/errors.db", tu_dir);
  weir *db = open_with_sink(NULL, path, 1);
  query_fails(db, "STOP JOB 'nope' WITH SAVEPOINT", WEIR_NOTFOUND, "no job 'nope' is running");
  query_fails(db, "CANCEL JOB nope", WEIR_NOTFOUND, "no job 'nope' is running");
  query_fails(db, "SAVEPOINT JOB 'nope'", WEIR_NOTFOUND, "no job 'nope' is running");
  query_fails(db, "STOP JOB", WEIR_ERROR, "syntax error");
  /* No place for savepoints (an in-memory engine, no 'state.savepoints.dir'). */
  tu_exec_ok(db, "SET 'table.dml-sync' = 'false'; SET 'pipeline.name' = 'e';"
              "RESET 'state.savepoints.dir';");
  query(db, insert_sql);
  query_fails(db, "STOP JOB 'e' WITH DRAIN", WEIR_ERROR, "WITH DRAIN needs WITH SAVEPOINT");
  query_fails(db, "SAVEPOINT JOB e", WEIR_ERROR, "savepoints need a place to live");
  query_fails(db, "STOP JOB e WITH SAVEPOINT", WEIR_ERROR, "savepoints need a place to live");
  assert_int_equal(weir_jobs_running(db), 1); /* a failed stop leaves it running */
  /* A savepoint directory that cannot be made. */
  tu_exec_ok(db, "SET 'state.savepoints.dir' = '/proc/no/such/place';");
  query_fails(db, "SAVEPOINT JOB e", WEIR_IOERR, "cannot create directory");
  query(db, "STOP JOB e");
  assert_string_equal(out, "e|CANCELED\n");
  query_fails(db, "STOP JOB e", WEIR_NOTFOUND, "no job 'e' is running");
  weir_close(db);
}

/* weir_close of a state directory stops its jobs, which stay RUNNING in
 * the catalog; reopening and weir_resume finish them from their newest
 * checkpoint. */
static void test_close_and_resume(void **state) {
  (void)state;
  char *want = reference("resume-ref");
  char sd[1024], path[1024];
  snprintf(sd, sizeof sd, "%s/state", tu_dir);
  snprintf(path, sizeof path, "%s/resume.db", tu_dir);
  weir *db = open_with_sink(sd, path, 2);
  tu_exec_ok(db, "SET 'execution.checkpointing.interval' = '100 ms'; SET 'table.dml-sync' = 'false';"
              "SET 'pipeline.name' = 'suspended';");
  query(db, insert_sql);
  sleep_ms(800);
  weir_close(db);
  char *partial = table_text(path);
  assert_true(count_lines(partial) < count_lines(want));
  assert_int_equal(weir_open(sd, &db), WEIR_OK);
  query(db, "SHOW JOBS");
  assert_non_null(strstr(out, "suspended|RUNNING|"));
  char *err = NULL;
  assert_int_equal(weir_resume(db, &err), WEIR_OK);
  assert_int_equal(weir_jobs_wait(db), WEIR_OK);
  query(db, "SHOW JOBS");
  assert_non_null(strstr(out, "suspended|FINISHED|"));
  weir_close(db);
  char *got = table_text(path);
  assert_string_equal(got, want);
  free(partial);
  free(got);
  free(want);
}

static int setup(void **state) {
  (void)state;
  return tu_setup_dir("jobs");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_detached_insert),
      cmocka_unit_test(test_savepoint_rescale_1_2_4),
      cmocka_unit_test(test_intermediate_savepoint),
      cmocka_unit_test(test_stop_with_drain),
      cmocka_unit_test(test_job_control_errors),
      cmocka_unit_test(test_close_and_resume),
  };
  return cmocka_run_group_tests(tests, setup, tu_teardown_dir);
}

/*
 * test_catalog.c -- the catalog in a state directory: tables survive
 * reopening (and DROP TABLE does too), SHOW JOBS lists every INSERT job
 * (CREATE JOB names one) with its status, figures and failure, a job left RUNNING by a dead process is
 * resumed by weir_resume, and a catalog statement that no longer runs
 * makes weir_open fail with a message naming it.
 */
#include "../testutil.h"

/* The rows of the last exec_out, as "a|b|c\n" lines (NULL as NULL). */
static const char *out = "";

static void exec_out(weir *db, const char *sql) { out = tu_query(db, sql, "NULL"); }

/* Change the catalog of the closed engine at tu_dir behind its back
 * (what a crash, or an older weir, leaves there). */
static void catalog_exec(const char *sql) {
  char cat[1024];
  snprintf(cat, sizeof cat, "%s/catalog.db", tu_dir);
  sqlite3 *s;
  assert_int_equal(sqlite3_open(cat, &s), SQLITE_OK);
  assert_int_equal(sqlite3_exec(s, sql, NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(s);
}

static void test_tables_survive_reopening(void **state) {
  (void)state;
  weir *db;
  assert_int_equal(weir_open(tu_dir, &db), WEIR_OK);
  exec_out(db, "CREATE TABLE a (x BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '10');"
              "CREATE TABLE b (x BIGINT) WITH ('connector' = 'blackhole');"
              "CREATE TABLE gone (x BIGINT) WITH ('connector' = 'blackhole');"
              "DROP TABLE gone;");
  weir_close(db);
  assert_int_equal(weir_open(tu_dir, &db), WEIR_OK);
  exec_out(db, "SHOW TABLES");
  assert_string_equal(out, "a\nb\n");
  /* Creating a table again is an error, as in the first session. */
  char *err = NULL;
  assert_int_not_equal(weir_exec(db, "CREATE TABLE a (y INT) WITH ('connector' = 'blackhole')", NULL,
                                 NULL, &err),
                       WEIR_OK);
  weir_free(err);
  weir_close(db);
}

static void test_show_jobs(void **state) {
  (void)state;
  weir *db;
  assert_int_equal(weir_open(tu_dir, &db), WEIR_OK);
  exec_out(db, "CREATE JOB copy AS INSERT INTO b SELECT x FROM a;");
  char *err = NULL;
  /* A job that fails: its sink cannot be opened. */
  assert_int_equal(weir_exec(db,
                             "CREATE TABLE bad (x BIGINT) WITH ('connector' = 'sqlite', 'path' = "
                             "'/nonexistent-dir/x.db'); SET 'pipeline.name' = 'broken';"
                             "INSERT INTO bad SELECT x FROM a;",
                             NULL, NULL, &err),
                   WEIR_IOERR);
  weir_free(err);
  exec_out(db, "SHOW JOBS");
  assert_non_null(strstr(out, "copy|FINISHED|"));
  assert_non_null(strstr(out, "|10|10|0|NULL\n")); /* records in, out, late; no failure */
  assert_non_null(strstr(out, "broken|FAILED|"));
  assert_non_null(strstr(out, "cannot open"));
  weir_close(db);
  /* And after reopening; DESCRIBE JOB gives one job's record. */
  assert_int_equal(weir_open(tu_dir, &db), WEIR_OK);
  exec_out(db, "SHOW JOBS");
  assert_non_null(strstr(out, "copy|FINISHED|"));
  exec_out(db, "DESCRIBE JOB broken");
  assert_non_null(strstr(out, "status|FAILED\n"));
  assert_non_null(strstr(out, "statement|INSERT INTO bad SELECT x FROM a\n"));
  assert_non_null(strstr(out, "failure|"));
  assert_non_null(strstr(out, "cannot open"));
  assert_int_equal(weir_exec(db, "DESCRIBE JOB nope", NULL, NULL, &err), WEIR_NOTFOUND);
  assert_non_null(strstr(err, "unknown job 'nope'"));
  weir_free(err);
  weir_close(db);
}

/* A job that a dead process left RUNNING runs again, with the options it
 * started with, and ends FINISHED. */
static void test_resume_runs_crashed_jobs(void **state) {
  (void)state;
  char path[1024], sql[2048];
  snprintf(path, sizeof path, "%s/resumed.db", tu_dir);
  weir *db;
  assert_int_equal(weir_open(tu_dir, &db), WEIR_OK);
  snprintf(sql, sizeof sql,
           "CREATE TABLE r (x BIGINT) WITH ('connector' = 'sqlite', 'path' = '%s');", path);
  exec_out(db, sql);
  weir_close(db);
  /* What a crash mid-job leaves behind: the job RUNNING in the catalog. */
  catalog_exec("INSERT INTO jobs (name, sql, config, status) VALUES ('again', "
               "'INSERT INTO r SELECT x FROM a', 'parallelism.default=1\n', 'RUNNING')");
  assert_int_equal(weir_open(tu_dir, &db), WEIR_OK);
  char *err = NULL;
  assert_int_equal(weir_resume(db, &err), WEIR_OK);
  /* It runs in the background. */
  assert_int_equal(weir_jobs_wait(db), WEIR_OK);
  assert_int_equal(weir_jobs_running(db), 0);
  exec_out(db, "SHOW JOBS");
  assert_non_null(strstr(out, "again|FINISHED|"));
  /* Nothing left to resume. */
  assert_int_equal(weir_resume(db, &err), WEIR_OK);
  weir_close(db);
  char *n = tu_sqlite_text(path, "SELECT count(*) FROM r");
  assert_string_equal(n, "10\n");
  free(n);
}

/* One process (one engine) per state directory at a time. */
static void test_state_dir_is_locked(void **state) {
  (void)state;
  weir *a, *b;
  assert_int_equal(weir_open(tu_dir, &a), WEIR_OK);
  assert_int_equal(weir_open(tu_dir, &b), WEIR_IOERR);
  assert_non_null(strstr(weir_errmsg(b), "in use by another weir process"));
  weir_close(b);
  weir_close(a);
  assert_int_equal(weir_open(tu_dir, &b), WEIR_OK); /* free again */
  weir_close(b);
}

/* Default job names do not repeat across sessions; a crashed job that can
 * no longer run is marked FAILED, and the other ones still resume. */
static void test_names_and_failed_resumes(void **state) {
  (void)state;
  weir *db;
  for (int i = 0; i < 2; i++) {
    assert_int_equal(weir_open(tu_dir, &db), WEIR_OK);
    exec_out(db, "INSERT INTO b SELECT x FROM a;");
    weir_close(db);
  }
  assert_int_equal(weir_open(tu_dir, &db), WEIR_OK);
  exec_out(db, "SHOW JOBS");
  assert_non_null(strstr(out, "insert-1|FINISHED|"));
  assert_non_null(strstr(out, "insert-2|FINISHED|"));
  weir_close(db);
  catalog_exec("INSERT INTO jobs (name, sql, config, status) VALUES "
               "('lost', 'INSERT INTO nowhere SELECT x FROM a', '', 'RUNNING'),"
               "('fine', 'INSERT INTO b SELECT x FROM a', '', 'RUNNING')");
  assert_int_equal(weir_open(tu_dir, &db), WEIR_OK);
  char *err = NULL;
  assert_int_not_equal(weir_resume(db, &err), WEIR_OK);
  assert_non_null(strstr(err, "job 'lost'"));
  weir_free(err);
  assert_int_equal(weir_jobs_wait(db), WEIR_OK);
  exec_out(db, "SHOW JOBS");
  assert_non_null(strstr(out, "lost|FAILED|"));
  assert_non_null(strstr(out, "fine|FINISHED|"));
  assert_int_equal(weir_resume(db, &err), WEIR_OK); /* nothing left */
  weir_close(db);
}

/* A recorded statement that no longer runs: weir_open says which. */
static void test_broken_catalog_is_reported(void **state) {
  (void)state;
  catalog_exec("INSERT INTO ddl (sql) VALUES ('CREATE TABLE broken (x NOTATYPE)')");
  weir *db;
  assert_int_not_equal(weir_open(tu_dir, &db), WEIR_OK);
  assert_non_null(strstr(weir_errmsg(db), "cannot restore the catalog"));
  assert_non_null(strstr(weir_errmsg(db), "CREATE TABLE broken"));
  weir_close(db);
}

static int setup(void **state) {
  (void)state;
  return tu_setup_dir("catalog");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tables_survive_reopening),
      cmocka_unit_test(test_show_jobs),
      cmocka_unit_test(test_resume_runs_crashed_jobs),
      cmocka_unit_test(test_state_dir_is_locked),
      cmocka_unit_test(test_names_and_failed_resumes),
      cmocka_unit_test(test_broken_catalog_is_reported),
  };
  return cmocka_run_group_tests(tests, setup, tu_teardown_dir);
}

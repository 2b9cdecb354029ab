/*
 * test_api.c -- the public C API (include/weir.h): statements, typed
 * column access, errors with offsets, weir_exec, interrupting and
 * finalizing a running query.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "weir.h"

static const char *flights(void) {
  static char path[4096];
  const char *src = getenv("WEIR_SOURCE_DIR");
  snprintf(path, sizeof path, "%s/examples/data/flights-2001-01-01_03.csv", src ? src : ".");
  return path;
}

static weir *open_db(void) {
  weir *db = NULL;
  assert_int_equal(weir_open(NULL, &db), WEIR_OK);
  assert_non_null(db);
  return db;
}

static void create_flights(weir *db) {
  char sql[8192];
  snprintf(sql, sizeof sql,
           "CREATE TABLE flights (ts TIMESTAMP(3), delay INT, distance INT, origin VARCHAR, "
           "destination VARCHAR, WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE) WITH "
           "('connector' = 'file', 'path' = '%s', 'format' = 'csv', 'csv.header' = 'true');",
           flights());
  char *err = NULL;
  assert_int_equal(weir_exec(db, sql, NULL, NULL, &err), WEIR_OK);
  assert_null(err);
}

static void test_typed_columns(void **state) {
  (void)state;
  weir *db = open_db();
  weir_stmt *st;
  assert_int_equal(weir_prepare(db,
                                "SELECT TRUE AS b, 42 AS i, 9000000000 AS big, 2.5 AS d, 'héllo' AS s, "
                                "TIMESTAMP '2001-01-01 10:20:30.456' AS ts, DATE '2001-02-03' AS dt, "
                                "INTERVAL '90' SECOND AS iv, CAST(NULL AS INT) AS n",
                                -1, &st, NULL),
                   WEIR_OK);
  assert_int_equal(weir_column_count(st), 9);
  assert_string_equal(weir_column_name(st, 4), "s");
  assert_null(weir_column_name(st, 9));
  int types[] = {WEIR_TYPE_BOOLEAN, WEIR_TYPE_INT,       WEIR_TYPE_BIGINT,
                 WEIR_TYPE_DOUBLE,  WEIR_TYPE_VARCHAR,   WEIR_TYPE_TIMESTAMP,
                 WEIR_TYPE_DATE,    WEIR_TYPE_INTERVAL,  WEIR_TYPE_INT};
  for (int i = 0; i < 9; i++) assert_int_equal(weir_column_type(st, i), types[i]);
  assert_int_equal(weir_column_type(st, 99), -1);
  assert_int_equal(weir_stmt_is_updating(st), 0);
  assert_int_equal(weir_step(st), WEIR_ROW);
  assert_int_equal(weir_row_kind(st), WEIR_INSERT);
  assert_int_equal(weir_column_int64(st, 0), 1);
  assert_string_equal(weir_column_text(st, 0), "TRUE");
  assert_int_equal(weir_column_int64(st, 1), 42);
  assert_int_equal(weir_column_int64(st, 2), 9000000000LL);
  assert_true(weir_column_double(st, 3) == 2.5);
  assert_string_equal(weir_column_text(st, 3), "2.5");
  assert_string_equal(weir_column_text(st, 4), "héllo");
  assert_string_equal(weir_column_text(st, 5), "2001-01-01 10:20:30.456");
  assert_int_equal(weir_column_int64(st, 5), 978344430456LL);
  assert_string_equal(weir_column_text(st, 6), "2001-02-03");
  assert_int_equal(weir_column_int64(st, 7), 90000);
  assert_true(weir_column_is_null(st, 8));
  assert_null(weir_column_text(st, 8));
  assert_int_equal(weir_column_int64(st, 8), 0);
  assert_false(weir_column_is_null(st, 1));
  assert_int_equal(weir_step(st), WEIR_DONE);
  assert_int_equal(weir_step(st), WEIR_DONE);
  assert_int_equal(weir_finalize(st), WEIR_OK);
  weir_close(db);
}

static void test_errors_and_offsets(void **state) {
  (void)state;
  weir *db = open_db();
  weir_stmt *st = (weir_stmt *)1;
  const char *sql = "SELECT 1;\nSELECT nope FROM nowhere;";
  const char *tail = NULL;
  assert_int_equal(weir_prepare(db, sql, -1, &st, &tail), WEIR_OK);
  assert_non_null(st);
  assert_ptr_equal(tail, sql + 9);
  weir_finalize(st);
  /* The second statement, through weir_prepare_from: offsets and lines
   * refer to the whole text. */
  int next = -1;
  assert_int_equal(weir_prepare_from(db, sql, -1, 9, &st, &next), WEIR_NOTFOUND);
  assert_null(st);
  assert_int_equal(weir_errcode(db), WEIR_NOTFOUND);
  assert_int_equal(weir_error_offset(db), (int)(strstr(sql, "nowhere") - sql));
  assert_non_null(strstr(weir_errmsg(db), "unknown table 'nowhere' at line 2, column 18"));
  /* Syntax errors. */
  assert_int_equal(weir_prepare(db, "SELECT 1 +* 2", -1, &st, NULL), WEIR_ERROR);
  assert_int_equal(weir_error_offset(db), 10);
  assert_string_equal(weir_errmsg(db), "near \"*\": syntax error at line 1, column 11");
  /* Only a comment: no statement, no error. */
  st = (weir_stmt *)1;
  assert_int_equal(weir_prepare(db, "  -- nothing\n /* here */ ", -1, &st, &tail), WEIR_OK);
  assert_null(st);
  assert_string_equal(weir_errmsg(db), "not an error");
  assert_int_equal(weir_error_offset(db), -1);
  /* A runtime error is returned by weir_step. */
  assert_int_equal(weir_prepare(db, "SELECT 10 / (2 - 2)", -1, &st, NULL), WEIR_OK);
  assert_int_equal(weir_step(st), WEIR_RANGE);
  assert_non_null(strstr(weir_errmsg(db), "division by zero"));
  assert_int_equal(weir_step(st), WEIR_RANGE);
  weir_finalize(st);
  /* Misuse. */
  assert_int_equal(weir_prepare(db, NULL, -1, &st, NULL), WEIR_MISUSE);
  assert_int_equal(weir_open(NULL, NULL), WEIR_MISUSE);
  assert_int_equal(weir_step(NULL), WEIR_MISUSE);
  assert_int_equal(weir_finalize(NULL), WEIR_OK);
  assert_int_equal(weir_close(NULL), WEIR_OK);
  assert_string_equal(weir_errstr(WEIR_NOMEM), "out of memory");
  assert_string_equal(weir_errstr(WEIR_DONE), "statement has finished");
  assert_string_equal(weir_errstr(12345), "unknown error");
  weir_close(db);
}

static void test_state_dir(void **state) {
  (void)state;
  char dir[4096];
  const char *tmp = getenv("WEIR_TEST_TMP");
  snprintf(dir, sizeof dir, "%s/api_state_%d", tmp ? tmp : "/tmp", (int)getpid());
  weir *db = NULL;
  assert_int_equal(weir_open(dir, &db), WEIR_OK);
  assert_int_equal(access(dir, F_OK), 0);
  weir_close(db);
  rmdir(dir);
  /* A file where the directory should be. */
  char file[4200];
  snprintf(file, sizeof file, "%s.file", dir);
  FILE *f = fopen(file, "w");
  assert_non_null(f);
  fclose(f);
  assert_int_equal(weir_open(file, &db), WEIR_IOERR);
  assert_non_null(strstr(weir_errmsg(db), "is not a directory"));
  weir_close(db);
  unlink(file);
}

typedef struct collected {
  int rows;
  int ncol;
  char first[128];
  int kinds[4];
  int stop_after;
} collected;

static int collect(void *arg, int ncol, const char *const *values, const char *const *names,
                   int kind) {
  collected *c = arg;
  if (c->rows == 0) snprintf(c->first, sizeof c->first, "%s=%s", names[0], values[0]);
  c->rows++;
  c->ncol = ncol;
  c->kinds[kind & 3]++;
  return c->stop_after && c->rows >= c->stop_after;
}

static void test_exec(void **state) {
  (void)state;
  weir *db = open_db();
  create_flights(db);
  collected c;
  memset(&c, 0, sizeof c);
  char *err = NULL;
  assert_int_equal(weir_exec(db,
                             "SELECT origin, COUNT(*) AS n FROM flights WHERE origin = 'SFO' "
                             "GROUP BY origin; SELECT 'x' AS y;",
                             collect, &c, &err),
                   WEIR_OK);
  assert_null(err);
  /* The updating result: +I once, then -U/+U pairs, then the last row. */
  assert_int_equal(c.kinds[WEIR_INSERT], 2);
  assert_int_equal(c.kinds[WEIR_UPDATE_BEFORE], c.kinds[WEIR_UPDATE_AFTER]);
  assert_true(c.kinds[WEIR_UPDATE_AFTER] > 0);
  assert_string_equal(c.first, "origin=SFO");
  /* A callback that returns non-zero stops the statement. */
  memset(&c, 0, sizeof c);
  c.stop_after = 5;
  assert_int_equal(weir_exec(db, "SELECT * FROM flights;", collect, &c, &err), WEIR_INTERRUPT);
  assert_int_equal(c.rows, 5);
  assert_non_null(err);
  weir_free(err);
  /* An error in a later statement stops weir_exec there. */
  memset(&c, 0, sizeof c);
  assert_int_equal(weir_exec(db, "SELECT 1 AS a; SELECT b; SELECT 3 AS c;", collect, &c, &err),
                   WEIR_ERROR);
  assert_int_equal(c.rows, 1);
  assert_non_null(strstr(err, "unknown column 'b'"));
  assert_non_null(strstr(err, "column 23"));
  weir_free(err);
  weir_close(db);
}

static void test_interrupt_and_finalize_running(void **state) {
  (void)state;
  weir *db = open_db();
  create_flights(db);
  weir_stmt *st;
  /* Finalize a query in the middle of its input: everything is freed
   * (LeakSanitizer checks). */
  assert_int_equal(weir_prepare(db, "SELECT origin, delay FROM flights", -1, &st, NULL), WEIR_OK);
  for (int i = 0; i < 3000; i++) assert_int_equal(weir_step(st), WEIR_ROW);
  assert_int_equal(weir_finalize(st), WEIR_OK);
  /* weir_interrupt stops the running statement. */
  assert_int_equal(weir_prepare(db, "SELECT origin FROM flights", -1, &st, NULL), WEIR_OK);
  assert_int_equal(weir_step(st), WEIR_ROW);
  weir_interrupt(db);
  int rc;
  int rows = 0;
  while ((rc = weir_step(st)) == WEIR_ROW) rows++;
  assert_int_equal(rc, WEIR_INTERRUPT);
  assert_true(rows < 48626);
  weir_finalize(st);
  /* The next statement runs normally. */
  assert_int_equal(weir_prepare(db, "SELECT COUNT(*) FROM flights WHERE delay > 600", -1, &st,
                                NULL),
                   WEIR_OK);
  int64_t last = -1;
  while (weir_step(st) == WEIR_ROW) last = weir_column_int64(st, 0);
  assert_true(last > 0);
  weir_finalize(st);
  /* weir_close finalizes statements left open. */
  assert_int_equal(weir_prepare(db, "SELECT * FROM flights", -1, &st, NULL), WEIR_OK);
  assert_int_equal(weir_step(st), WEIR_ROW);
  weir_close(db);
}

static void test_insert_summary_and_ddl(void **state) {
  (void)state;
  weir *db = open_db();
  create_flights(db);
  char *err = NULL;
  /* CREATE runs when stepped; a second CREATE fails unless IF NOT EXISTS. */
  assert_int_equal(weir_exec(db, "CREATE TABLE flights (a INT) WITH ('connector' = 'blackhole');",
                             NULL, NULL, &err),
                   WEIR_ERROR);
  assert_non_null(strstr(err, "already exists"));
  weir_free(err);
  assert_int_equal(weir_exec(db,
                             "CREATE TABLE IF NOT EXISTS flights (a INT) WITH ('connector' = "
                             "'blackhole'); CREATE TABLE out1 (o VARCHAR, n BIGINT) WITH "
                             "('connector' = 'blackhole');",
                             NULL, NULL, NULL),
                   WEIR_OK);
  weir_stmt *st;
  assert_int_equal(weir_prepare(db,
                                "INSERT INTO out1 SELECT origin, COUNT(*) FROM TABLE(TUMBLE(TABLE "
                                "flights, DESCRIPTOR(ts), INTERVAL '1' DAY)) GROUP BY origin, "
                                "window_start, window_end",
                                -1, &st, NULL),
                   WEIR_OK);
  assert_int_equal(weir_column_count(st), 5);
  assert_string_equal(weir_column_name(st, 3), "late_rows_dropped");
  assert_int_equal(weir_step(st), WEIR_ROW);
  assert_string_equal(weir_column_text(st, 0), "insert-1");
  assert_int_equal(weir_column_int64(st, 1), 48626);
  assert_true(weir_column_int64(st, 2) > 100);
  assert_int_equal(weir_column_int64(st, 3), 0);
  assert_int_equal(weir_column_int64(st, 4), 0);
  assert_int_equal(weir_step(st), WEIR_DONE);
  weir_finalize(st);
  assert_int_equal(weir_complete("SELECT 1"), 0);
  assert_int_equal(weir_complete("SELECT ';'"), 0);
  assert_int_equal(weir_complete("SELECT 1; -- done"), 1);
  assert_int_equal(weir_complete("/* ; */ SELECT 1;"), 1);
  weir_close(db);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_typed_columns),
      cmocka_unit_test(test_errors_and_offsets),
      cmocka_unit_test(test_state_dir),
      cmocka_unit_test(test_exec),
      cmocka_unit_test(test_interrupt_and_finalize_running),
      cmocka_unit_test(test_insert_summary_and_ddl),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_idle.c -- idle sources ('scan.idle-timeout',
 * 'table.exec.source.idle-timeout').
 *
 * The Nexmark person table at parallelism 2 is a source with a split that
 * never emits: event n is a person when n % 50 == 0, and split 1 of 2
 * generates only odd event numbers.  Paced at the wall clock, that split
 * stays open and silent.  Without idleness its watermark never advances,
 * so no window can fire before the source ends; with an idle timeout it
 * is left out of the minimum watermark and windows fire as split 0's
 * watermark passes them.  The checks use lower bounds of time where the
 * logic forbids an earlier result, and generous upper bounds otherwise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "weir.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static weir *open_db(const char *setup) {
  weir *db;
  assert_int_equal(weir_open(NULL, &db), WEIR_OK);
  char *err = NULL;
  if (weir_exec(db, setup, NULL, NULL, &err) != WEIR_OK) fail_msg("setup failed: %s", err ? err : "?");
  return db;
}

/* Person table: 1000 events per second paced at the wall clock, so 20
 * persons per second, all in split 0; `with` adds options; events = 0 is
 * unbounded. */
static weir *open_person(const char *config, const char *with, int events) {
  char sql[1024];
  snprintf(sql, sizeof sql,
           "SET 'parallelism.default' = '2'; %s"
           "CREATE TABLE person (id BIGINT, date_time TIMESTAMP(3),"
           "  WATERMARK FOR date_time AS date_time)"
           "  WITH ('connector' = 'nexmark', 'nexmark.table' = 'person', 'nexmark.pace' = 'true',"
           "        'nexmark.events-per-second' = '1000', 'events' = '%d' %s);",
           config, events, with);
  return open_db(sql);
}

static const char *first_window =
    "SELECT window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE person, DESCRIPTOR(date_time), "
    "INTERVAL '1' SECOND)) GROUP BY window_start, window_end LIMIT 1";

/* Run first_window; returns the seconds until its row arrived. */
static double time_first_window(weir *db) {
  weir_stmt *st;
  double t0 = now_s();
  assert_int_equal(weir_prepare(db, first_window, -1, &st, NULL), WEIR_OK);
  assert_int_equal(weir_step(st), WEIR_ROW);
  double dt = now_s() - t0;
  assert_string_equal(weir_column_text(st, 0), "2026-01-01 00:00:00.000");
  assert_int_equal(weir_column_int64(st, 1), 20); /* events 0, 50, ..., 950 */
  assert_int_equal(weir_step(st), WEIR_DONE);
  assert_int_equal(weir_finalize(st), WEIR_OK);
  return dt;
}

/* An unbounded source with an idle split: only idleness lets a window fire. */
static void test_idle_split_lets_windows_fire(void **state) {
  (void)state;
  weir *db = open_person("", ", 'scan.idle-timeout' = '100 ms'", 0);
  double dt = time_first_window(db);
  /* Due after 1 s of wall clock (the person at 1.000 s closes the window). */
  assert_true(dt >= 0.9);
  assert_true(dt < 20.0);
  weir_close(db);
}

/* The configuration key is the default of every source. */
static void test_idle_timeout_from_configuration(void **state) {
  (void)state;
  weir *db = open_person("SET 'table.exec.source.idle-timeout' = '100 ms';", "", 0);
  double dt = time_first_window(db);
  assert_true(dt >= 0.9 && dt < 20.0);
  weir_close(db);
}

/* Without idleness the silent split holds the watermark back until it
 * ends: 4000 events at 1000 per second end after 4 s. */
static void test_no_idleness_waits_for_the_end(void **state) {
  (void)state;
  weir *db = open_person("", "", 4000);
  double dt = time_first_window(db);
  assert_true(dt >= 3.5);
  weir_close(db);
}

/* A table's option overrides the configuration ('0 ms' = never idle). */
static void test_table_option_overrides_configuration(void **state) {
  (void)state;
  weir *db = open_person("SET 'table.exec.source.idle-timeout' = '100 ms';",
                         ", 'scan.idle-timeout' = '0 ms'", 3000);
  double dt = time_first_window(db);
  assert_true(dt >= 2.5);
  weir_close(db);
}

static void test_bad_idle_timeout_values(void **state) {
  (void)state;
  weir *db;
  assert_int_equal(weir_open(NULL, &db), WEIR_OK);
  char *err = NULL;
  assert_int_not_equal(
      weir_exec(db,
                "CREATE TABLE t (id BIGINT) WITH ('connector' = 'datagen', "
                "'scan.idle-timeout' = 'soon')",
                NULL, NULL, &err),
      WEIR_OK);
  assert_non_null(err);
  assert_non_null(strstr(err, "scan.idle-timeout"));
  weir_free(err);
  err = NULL;
  assert_int_not_equal(weir_exec(db, "SET 'table.exec.source.idle-timeout' = 'x'", NULL, NULL, &err),
                       WEIR_OK);
  assert_non_null(err);
  assert_non_null(strstr(err, "table.exec.source.idle-timeout"));
  weir_free(err);
  /* A sink has no use for it. */
  err = NULL;
  assert_int_not_equal(weir_exec(db,
                                 "CREATE TABLE s (id BIGINT) WITH ('connector' = 'blackhole', "
                                 "'scan.idle-timeout' = '1 s')",
                                 NULL, NULL, &err),
                       WEIR_OK);
  weir_free(err);
  weir_close(db);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_idle_split_lets_windows_fire),
      cmocka_unit_test(test_idle_timeout_from_configuration),
      cmocka_unit_test(test_no_idleness_waits_for_the_end),
      cmocka_unit_test(test_table_option_overrides_configuration),
      cmocka_unit_test(test_bad_idle_timeout_values),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

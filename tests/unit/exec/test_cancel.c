/*
 * test_cancel.c -- cancelling running parallel jobs: weir_finalize on a
 * statement whose tasks are running, weir_interrupt from another thread,
 * weir_close with a statement open.  Every task thread must be joined (the
 * process's thread count comes back to where it was) and everything freed
 * (LeakSanitizer, in the sanitizer build).  The sources are unbounded
 * Nexmark streams, so only a cancel can end these jobs.
 */
#include <time.h>

#include "../testutil.h"

static void *nothing(void *arg) { return arg; }

/* Threads of this process, from /proc/self/status. */
static int thread_count(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  int n = -1;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "Threads: %d", &n) == 1) break;
  if (f) fclose(f);
  return n;
}

static weir *open_unbounded(int parallelism) {
  weir *db;
  assert_int_equal(weir_open(NULL, &db), WEIR_OK);
  char sql[1024];
  snprintf(sql, sizeof sql,
           "SET 'parallelism.default' = '%d';"
           "CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, "
           "  date_time TIMESTAMP(3), WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND)"
           "  WITH ('connector' = 'nexmark', 'nexmark.table' = 'bid');"
           "CREATE TABLE out1 (auction BIGINT, n BIGINT) WITH ('connector' = 'blackhole');",
           parallelism);
  char *err = NULL;
  int rc = weir_exec(db, sql, NULL, NULL, &err);
  if (rc != WEIR_OK) fail_msg("setup failed: %s", err ? err : "?");
  return db;
}

/* Wait (up to 5 s) for the thread count to fall back to `want`. */
static int settles_to(int want) {
  for (int i = 0; i < 500; i++) {
    if (thread_count() <= want) return thread_count();
    usleep(10000);
  }
  return thread_count();
}

static void test_finalize_running_parallel_query(void **state) {
  (void)state;
  int base = thread_count();
  for (int par = 2; par <= 4; par += 2) {
    weir *db = open_unbounded(par);
    weir_stmt *st;
    /* A keyed HOP aggregation: sources, exchanges and window tasks run. */
    assert_int_equal(weir_prepare(db,
                                  "SELECT auction, COUNT(*) FROM TABLE(HOP(TABLE bid, "
                                  "DESCRIPTOR(date_time), INTERVAL '2' SECOND, INTERVAL '10' "
                                  "SECOND)) GROUP BY auction, window_start, window_end",
                                  -1, &st, NULL),
                     WEIR_OK);
    for (int i = 0; i < 1000; i++) assert_int_equal(weir_step(st), WEIR_ROW);
    assert_true(thread_count() > base);
    assert_int_equal(weir_finalize(st), WEIR_OK);
    assert_int_equal(settles_to(base), base);
    weir_close(db);
  }
}

static void test_interrupt_running_insert(void **state) {
  (void)state;
  int base = thread_count();
  weir *db = open_unbounded(4);
  weir_stmt *st;
  /* Synchronous, although its source never ends. */
  char *e = NULL;
  assert_int_equal(weir_exec(db, "SET 'table.dml-sync' = 'true';", NULL, NULL, &e), WEIR_OK);
  assert_int_equal(weir_prepare(db,
                                "INSERT INTO out1 SELECT auction, COUNT(*) FROM TABLE(TUMBLE("
                                "TABLE bid, DESCRIPTOR(date_time), INTERVAL '10' SECOND)) "
                                "GROUP BY auction, window_start, window_end",
                                -1, &st, NULL),
                   WEIR_OK);
  tu_interrupter it = {db, 300, NULL, NULL, 0};
  tu_interrupt_start(&it);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  /* The INSERT runs until interrupted: its source never ends. */
  assert_int_equal(weir_step(st), WEIR_INTERRUPT);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  tu_interrupt_join(&it);
  double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  assert_true(secs >= 0.25);
  assert_true(secs < 10.0); /* stopping is prompt */
  assert_non_null(strstr(weir_errmsg(db), "interrupt"));
  weir_finalize(st);
  assert_int_equal(settles_to(base), base);
  /* The engine runs the next statement normally. */
  char *err = NULL;
  assert_int_equal(weir_exec(db, "SELECT 1 AS one;", NULL, NULL, &err), WEIR_OK);
  weir_close(db);
}

static void test_close_with_running_statement(void **state) {
  (void)state;
  int base = thread_count();
  weir *db = open_unbounded(4);
  weir_stmt *st, *idle;
  assert_int_equal(weir_prepare(db, "SELECT auction, price FROM bid WHERE price > 1000", -1, &st,
                                NULL),
                   WEIR_OK);
  assert_int_equal(weir_step(st), WEIR_ROW);
  /* A statement prepared but never stepped has no threads; close frees it too. */
  assert_int_equal(weir_prepare(db, "SELECT auction FROM bid", -1, &idle, NULL), WEIR_OK);
  weir_close(db);
  assert_int_equal(settles_to(base), base);
}

int main(void) {
  /* A first thread, created and joined, lets runtimes that start helper
   * threads lazily (ThreadSanitizer's) do so before any baseline is taken. */
  pthread_t t;
  if (pthread_create(&t, NULL, nothing, NULL) == 0) pthread_join(t, NULL);
  usleep(100000);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_finalize_running_parallel_query),
      cmocka_unit_test(test_interrupt_running_insert),
      cmocka_unit_test(test_close_with_running_statement),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

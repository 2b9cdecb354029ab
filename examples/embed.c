/*
 * embed.c -- weir embedded in a C program.
 *
 * Declares a CSV source of flights with an event-time watermark, runs a
 * continuous query counting departures per origin airport in 1-day
 * tumbling windows, and reads the rows as the query produces them through
 * weir_prepare / weir_step.  Usage: embed [flights.csv]
 */
#include <stdio.h>
#include <stdlib.h>

#include "weir.h"

static int fail(weir *db, const char *what) {
  fprintf(stderr, "embed: %s: %s\n", what, weir_errmsg(db));
  weir_close(db);
  return 1;
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "examples/data/flights-2001-01-01_03.csv";
  weir *db;
  if (weir_open(NULL, &db) != WEIR_OK) return fail(db, "open");

  char ddl[1024];
  snprintf(ddl, sizeof ddl,
           "CREATE TABLE flights ("
           "  ts TIMESTAMP(3), delay INT, distance INT, origin VARCHAR, destination VARCHAR,"
           "  WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE"
           ") WITH ('connector' = 'file', 'path' = '%s', 'format' = 'csv',"
           "        'csv.header' = 'true');",
           path);
  char *err = NULL;
  if (weir_exec(db, ddl, NULL, NULL, &err) != WEIR_OK) {
    fprintf(stderr, "embed: %s\n", err);
    weir_free(err);
    weir_close(db);
    return 1;
  }

  const char *query =
      "SELECT origin, window_start, COUNT(*) AS departures, AVG(delay) AS avg_delay "
      "FROM TABLE(TUMBLE(TABLE flights, DESCRIPTOR(ts), INTERVAL '1' DAY)) "
      "WHERE origin IN ('ATL', 'ORD', 'DFW') "
      "GROUP BY origin, window_start, window_end";
  weir_stmt *st;
  if (weir_prepare(db, query, -1, &st, NULL) != WEIR_OK) return fail(db, "prepare");

  /* Each row arrives as soon as the watermark closes its window. */
  int rc, rows = 0;
  while ((rc = weir_step(st)) == WEIR_ROW) {
    printf("%-4s %s %6lld departures, average delay %6.2f min\n", weir_column_text(st, 0),
           weir_column_text(st, 1), (long long)weir_column_int64(st, 2),
           weir_column_double(st, 3));
    rows++;
  }
  if (rc != WEIR_DONE) {
    weir_finalize(st);
    return fail(db, "step");
  }
  weir_finalize(st);
  weir_close(db);
  printf("%d rows\n", rows);
  return rows > 0 ? 0 : 1;
}

/*
 * test_fs_sink.c -- the filesystem sink: part files per subtask in CSV
 * and JSON lines; with checkpoints, a job stopped midway leaves only
 * whole epochs under final names, and a restore (here at another
 * parallelism) publishes what its checkpoint holds, removes unfinished
 * parts and ends with every row exactly once.  A path that is a file is
 * refused.
 */
#include <dirent.h>

#include "../testutil.h"

static const char *setup_sql =
    "CREATE TABLE bid (auction BIGINT, price BIGINT, date_time TIMESTAMP(3),"
    "  WATERMARK FOR date_time AS date_time - INTERVAL '1' SECOND)"
    "  WITH ('connector' = 'nexmark', 'nexmark.table' = 'bid', 'events' = '80000',"
    "        'nexmark.events-per-second' = '20000', 'nexmark.pace' = 'true');";

static const char *insert_sql =
    "INSERT INTO out1 SELECT window_start, auction, COUNT(*) FROM "
    "TABLE(TUMBLE(TABLE bid, DESCRIPTOR(date_time), INTERVAL '200' MILLISECOND)) "
    "GROUP BY auction, window_start, window_end";

static weir *open_with_sink(const char *out, const char *format, int par) {
  weir *db;
  assert_int_equal(weir_open(NULL, &db), WEIR_OK);
  char sql[4096];
  snprintf(sql, sizeof sql,
           "SET 'state.checkpoints.dir' = '%s/checkpoints'; SET 'parallelism.default' = '%d'; %s"
           "CREATE TABLE out1 (ws TIMESTAMP(3), auction BIGINT, n BIGINT)"
           "  WITH ('connector' = 'filesystem', 'path' = '%s', 'format' = '%s',"
           "        'sink.rolling-policy.file-size' = '20000');",
           tu_dir, par, setup_sql, out, format);
  tu_exec_ok(db, sql);
  return db;
}

static int cmp_lines(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines of the final part files under out, sorted, as one text; the
 * number of files whose names start with '.' into *hidden. */
static char *final_lines(const char *out, int *hidden, int *files) {
  DIR *d = opendir(out);
  assert_non_null(d);
  size_t cap = 1 << 22, n = 0;
  char *all = malloc(cap);
  all[0] = 0;
  struct dirent *de;
  *hidden = *files = 0;
  while ((de = readdir(d))) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
    if (de->d_name[0] == '.') {
      (*hidden)++;
      continue;
    }
    (*files)++;
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", out, de->d_name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    n += fread(all + n, 1, cap - 1 - n, f);
    fclose(f);
  }
  closedir(d);
  all[n] = 0;
  /* Sort the lines. */
  size_t nl = 0;
  for (size_t i = 0; i < n; i++) nl += all[i] == '\n';
  char **lines = calloc(nl + 1, sizeof(char *));
  size_t k = 0;
  for (char *p = all; *p; ) {
    char *e = strchr(p, '\n');
    assert_non_null(e);
    *e = 0;
    lines[k++] = p;
    p = e + 1;
  }
  qsort(lines, k, sizeof(char *), cmp_lines);
  char *sorted = malloc(n + 1);
  size_t o = 0;
  for (size_t i = 0; i < k; i++) o += (size_t)sprintf(sorted + o, "%s\n", lines[i]);
  sorted[o] = 0;
  free(lines);
  free(all);
  return sorted;
}

static int is_subset(const char *part, const char *all) {
  for (const char *p = part; *p;) {
    const char *e = strchr(p, '\n');
    char line[256];
    snprintf(line, sizeof line, "%.*s", (int)(e - p + 1), p);
    if (!strstr(all, line)) return 0;
    p = e + 1;
  }
  return 1;
}

/* Stopped midway at parallelism 2, restored at 3: every row once. */
static void test_exactly_once_across_a_restore(void **state) {
  (void)state;
  char ref[1024], got[1024], ck[2048], sql[4096];
  snprintf(ref, sizeof ref, "%s/ref", tu_dir);
  snprintf(got, sizeof got, "%s/got", tu_dir);
  weir *db = open_with_sink(ref, "csv", 2);
  tu_exec_ok(db, insert_sql);
  weir_close(db);
  int hidden, files;
  char *want = final_lines(ref, &hidden, &files);
  assert_int_equal(hidden, 0);
  assert_true(files > 2); /* rolled at 20000 bytes */

  db = open_with_sink(got, "csv", 2);
  tu_exec_ok(db, "SET 'execution.checkpointing.interval' = '100 ms'; SET 'pipeline.name' = 'fs';");
  tu_run_interrupted(db, insert_sql, 2500);
  weir_close(db);
  char *partial = final_lines(got, &hidden, &files);
  assert_true(strlen(partial) > 0 && strlen(partial) < strlen(want));
  assert_true(is_subset(partial, want));
  /* An unfinished part of a run that crashed: the restore removes it. */
  snprintf(sql, sizeof sql, "%s/.part-dead00-0-0.csv.inprogress", got);
  FILE *junk = fopen(sql, "w");
  fputs("2026-01-01 00:00:00.000,1,1\n", junk);
  fclose(junk);
  assert_true(tu_latest_checkpoint("checkpoints", "fs", 0, ck, sizeof ck));

  db = open_with_sink(got, "csv", 3);
  snprintf(sql, sizeof sql, "SET 'execution.savepoint.path' = '%s'; SET 'execution.checkpointing.interval' = '100 ms';", ck);
  tu_exec_ok(db, sql);
  tu_exec_ok(db, insert_sql);
  weir_close(db);
  char *final = final_lines(got, &hidden, &files);
  assert_int_equal(hidden, 0);
  assert_string_equal(final, want);
  free(want);
  free(partial);
  free(final);
}

static void test_json_lines(void **state) {
  (void)state;
  char out[1024];
  snprintf(out, sizeof out, "%s/json", tu_dir);
  weir *db = open_with_sink(out, "json", 1);
  tu_exec_ok(db, "INSERT INTO out1 SELECT TIMESTAMP '2026-01-01 00:00:00', 7, CAST(NULL AS BIGINT);");
  weir_close(db);
  int hidden, files;
  char *lines = final_lines(out, &hidden, &files);
  assert_string_equal(lines, "{\"ws\":\"2026-01-01 00:00:00.000\",\"auction\":7,\"n\":null}\n");
  free(lines);
}

static void test_path_is_a_file(void **state) {
  (void)state;
  char out[1024];
  snprintf(out, sizeof out, "%s/plain-file", tu_dir);
  FILE *f = fopen(out, "w");
  fclose(f);
  weir *db = open_with_sink(out, "csv", 1);
  char *err = NULL;
  assert_int_equal(weir_exec(db, "INSERT INTO out1 SELECT TIMESTAMP '2026-01-01 00:00:00', 1, 1;",
                             NULL, NULL, &err),
                   WEIR_IOERR);
  assert_non_null(strstr(err, "is a file"));
  weir_free(err);
  weir_close(db);
}

static int setup(void **state) {
  (void)state;
  return tu_setup_dir("fs-sink");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_exactly_once_across_a_restore),
      cmocka_unit_test(test_json_lines),
      cmocka_unit_test(test_path_is_a_file),
  };
  return cmocka_run_group_tests(tests, setup, tu_teardown_dir);
}

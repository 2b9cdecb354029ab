/*
 * test_state_backend.c -- the rocksdb state backend against hashmap.
 * Nexmark bids feed an updating GROUP BY (50 000 keys, a string MAX) and
 * a HOP window aggregation.  On rocksdb with 1 MB of managed memory the
 * hot-key caches are evicted to the store again and again; every table
 * must equal hashmap's:
 *   - uninterrupted runs;
 *   - incremental checkpoints: stopped midway at parallelism 2, restored
 *     at 2 (the store adopted) and stopped again, restored at 3 on hashmap
 *     (key groups read out of the old stores);
 *   - a hashmap checkpoint restored on rocksdb, and savepoints taken on
 *     one backend restored on the other;
 *   - a RocksDB write failing as on a full disk: the job fails with the
 *     message, restarts from its last checkpoint and ends right.
 * Also: incremental checkpoints share files and the shared files no
 * retained checkpoint references are deleted; a damaged shared file is
 * reported, not loaded.
 */
#include <dirent.h>
#include <fcntl.h>

#include "../testutil.h"
#include "state/state.h"

typedef struct job_sql {
  const char *sink_ddl, *insert, *select;
} job_sql;

static const job_sql updating = {
    "CREATE TABLE out2 (k BIGINT, n BIGINT, total BIGINT, ch VARCHAR,"
    "  PRIMARY KEY (k) NOT ENFORCED)",
    "INSERT INTO out2 SELECT auction % 50000, COUNT(*), SUM(price), MAX(channel) FROM bid "
    "GROUP BY auction % 50000",
    "SELECT k, n, total, ch FROM w ORDER BY k"};

static const job_sql hopping = {
    "CREATE TABLE out2 (ws TIMESTAMP(3), k BIGINT, n BIGINT, total BIGINT, ch VARCHAR,"
    "  PRIMARY KEY (ws, k) NOT ENFORCED)",
    "INSERT INTO out2 SELECT window_start, auction % 3000, COUNT(*), SUM(price), MAX(channel) "
    "FROM TABLE(HOP(TABLE bid, DESCRIPTOR(date_time), INTERVAL '5' SECOND, INTERVAL '10' SECOND)) "
    "GROUP BY window_start, window_end, auction % 3000",
    "SELECT ws, k, n, total, ch FROM w ORDER BY ws, k"};

/* Extra options of the bid source (pacing). */
static const char *bid_extra = "";
/* Checkpoints kept per job. */
static int retained = 1;

/* An engine with the bid source and q's SQLite sink at db_path, on
 * `backend` at parallelism par. */
static weir *open_with_sink(const job_sql *q, const char *db_path, const char *backend, int par) {
  weir *db;
  assert_int_equal(weir_open(NULL, &db), WEIR_OK);
  char sql[2048];
  snprintf(sql, sizeof sql,
           "SET 'state.checkpoints.dir' = '%s/checkpoints';"
           "SET 'state.savepoints.dir' = '%s/savepoints';"
           "SET 'parallelism.default' = '%d';"
           "SET 'state.backend' = '%s';"
           "SET 'state.backend.rocksdb.memory.managed-size' = '1 mb';"
           "CREATE TABLE bid (auction BIGINT, price BIGINT, channel VARCHAR, date_time TIMESTAMP(3),"
           "  WATERMARK FOR date_time AS date_time - INTERVAL '1' SECOND)"
           "  WITH ('connector' = 'nexmark', 'nexmark.table' = 'bid', 'events' = '6000000'%s);"
           "SET 'execution.checkpointing.num-retained' = '%d';"
           "%s WITH ('connector' = 'sqlite', 'path' = '%s', 'table-name' = 'w');",
           tu_dir, tu_dir, par, backend, bid_extra, retained, q->sink_ddl, db_path);
  tu_exec_ok(db, sql);
  return db;
}

/* The table of an uninterrupted hashmap run of q (malloc'd). */
static char *reference(const job_sql *q, const char *name) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s-ref.db", tu_dir, name);
  weir *db = open_with_sink(q, path, "hashmap", 2);
  tu_exec_ok(db, q->insert);
  weir_close(db);
  return tu_sqlite_text(path, q->select);
}

/* Checkpoints a run waits for. */
static int wanted = 2;

/* Run q as job `name` on `backend` with checkpoints every 50 ms until
 * `wanted` more are complete (restoring from `from` first, if set); the
 * newest into ck. */
static void run_until_checkpoints(const job_sql *q, const char *name, const char *db_path,
                                  const char *backend, int par, const char *from, char *ck,
                                  size_t n) {
  weir *db = open_with_sink(q, db_path, backend, par);
  char sql[4096];
  snprintf(sql, sizeof sql,
           "SET 'execution.checkpointing.interval' = '50 ms';"
           "SET 'pipeline.name' = '%s';"
           "SET 'execution.savepoint.path' = '%s';",
           name, from ? from : "");
  tu_exec_ok(db, sql);
  tu_run_until_checkpoints(db, q->insert, name, wanted, NULL, ck, n);
}

/* Restore q from ck on `backend` at parallelism par and run it to the end. */
static void restore_to_end(const job_sql *q, const char *db_path, const char *backend, int par,
                           const char *ck) {
  tu_restore_to_end(open_with_sink(q, db_path, backend, par), q->insert, ck);
}

/* Does checkpoint directory ck hold a native (shared-file) snapshot? */
static int is_incremental(const char *ck) {
  char path[4096];
  snprintf(path, sizeof path, "%s/_shared", ck);
  return access(path, R_OK) == 0;
}

/* Uninterrupted rocksdb runs with a cache far smaller than the state. */
static void check_uninterrupted(const job_sql *q, const char *name) {
  char *want = reference(q, name);
  char path[1024];
  snprintf(path, sizeof path, "%s/%s-rocks.db", tu_dir, name);
  weir *db = open_with_sink(q, path, "rocksdb", 2);
  tu_exec_ok(db, q->insert);
  weir_close(db);
  char *got = tu_sqlite_text(path, q->select);
  assert_true(strlen(want) > 10000);
  assert_string_equal(got, want);
  free(got);
  free(want);
}

static void test_rocksdb_equals_hashmap(void **state) {
  (void)state;
  check_uninterrupted(&updating, "eq-group");
  check_uninterrupted(&hopping, "eq-hop");
}

/* rocksdb 2 -> rocksdb 2 -> hashmap 3 through incremental checkpoints. */
static void check_incremental_restores(const job_sql *q, const char *name) {
  char *want = reference(q, name);
  char got[1024], ck[2048], ck2[2048];
  snprintf(got, sizeof got, "%s/%s-got.db", tu_dir, name);
  run_until_checkpoints(q, name, got, "rocksdb", 2, NULL, ck, sizeof ck);
  assert_true(is_incremental(ck));
  char *partial = tu_sqlite_text(got, q->select);
  assert_string_not_equal(partial, want);
  run_until_checkpoints(q, name, got, "rocksdb", 2, ck, ck2, sizeof ck2);
  assert_true(is_incremental(ck2));
  restore_to_end(q, got, "hashmap", 3, ck2);
  char *final = tu_sqlite_text(got, q->select);
  assert_string_equal(final, want);
  free(partial);
  free(final);
  free(want);
}

static void test_incremental_restore(void **state) {
  (void)state;
  check_incremental_restores(&updating, "inc-group");
  check_incremental_restores(&hopping, "inc-hop");
}

/* A hashmap checkpoint (canonical) restored on rocksdb at another parallelism. */
static void test_hashmap_checkpoint_on_rocksdb(void **state) {
  (void)state;
  char *want = reference(&updating, "h2r");
  char got[1024], ck[2048];
  snprintf(got, sizeof got, "%s/h2r-got.db", tu_dir);
  run_until_checkpoints(&updating, "h2r", got, "hashmap", 2, NULL, ck, sizeof ck);
  assert_false(is_incremental(ck));
  restore_to_end(&updating, got, "rocksdb", 3, ck);
  char *final = tu_sqlite_text(got, updating.select);
  assert_string_equal(final, want);
  free(final);
  free(want);
}

/* Run q detached as job `name` on `backend` (restoring from `from`), stop
 * it with a savepoint after ms; the savepoint's path into sp. */
static void run_and_savepoint(const job_sql *q, const char *name, const char *db_path,
                              const char *backend, int par, const char *from, int ms, char *sp,
                              size_t n) {
  weir *db = open_with_sink(q, db_path, backend, par);
  char sql[4096];
  snprintf(sql, sizeof sql,
           "SET 'execution.checkpointing.interval' = '100 ms';"
           "SET 'table.dml-sync' = 'false'; SET 'pipeline.name' = '%s';"
           "SET 'execution.savepoint.path' = '%s';",
           name, from ? from : "");
  tu_exec_ok(db, sql);
  tu_exec_ok(db, q->insert);
  usleep((useconds_t)ms * 1000);
  snprintf(sql, sizeof sql, "STOP JOB '%s' WITH SAVEPOINT", name);
  const char *out = tu_query(db, sql, "");
  snprintf(sp, n, "%.*s", (int)strcspn(out, "\n"), out);
  assert_int_equal(weir_jobs_running(db), 0);
  weir_close(db);
  char meta[4096];
  snprintf(meta, sizeof meta, "%s/_metadata", sp);
  assert_int_equal(access(meta, R_OK), 0);
  assert_false(is_incremental(sp)); /* savepoints are canonical */
}

/* Savepoints move between backends: rocksdb -> hashmap -> rocksdb. */
static void test_savepoint_portability(void **state) {
  (void)state;
  char *want = reference(&hopping, "sp");
  char got[1024], sp1[2048], sp2[2048];
  snprintf(got, sizeof got, "%s/sp-got.db", tu_dir);
  run_and_savepoint(&hopping, "sp", got, "rocksdb", 2, NULL, 300, sp1, sizeof sp1);
  run_and_savepoint(&hopping, "sp", got, "hashmap", 1, sp1, 300, sp2, sizeof sp2);
  char *partial = tu_sqlite_text(got, hopping.select);
  assert_true(strlen(partial) < strlen(want));
  restore_to_end(&hopping, got, "rocksdb", 2, sp2);
  char *final = tu_sqlite_text(got, hopping.select);
  assert_string_equal(final, want);
  free(partial);
  free(final);
  free(want);
}

/* The names in checkpoint directory ck's _shared list, and how many bytes
 * it references and added. */
static int shared_list(const char *ck, char names[][256], int max, uint64_t *bytes,
                       uint64_t *added) {
  char path[4096];
  snprintf(path, sizeof path, "%s/_shared", ck);
  weir__snap_reader r;
  weir__err err;
  weir__err_clear(&err);
  assert_int_equal(weir__snap_load(&r, path, &err), WEIR_OK);
  uint64_t n;
  assert_int_equal(weir__snap_get_u64(&r, &n, &err), WEIR_OK);
  *bytes = *added = 0;
  for (uint64_t i = 0; i < n; i++) {
    const uint8_t *p;
    uint32_t len;
    uint64_t size, a;
    assert_int_equal(weir__snap_get_bytes(&r, &p, &len, &err), WEIR_OK);
    assert_int_equal(weir__snap_get_u64(&r, &size, &err), WEIR_OK);
    assert_int_equal(weir__snap_get_u64(&r, &a, &err), WEIR_OK);
    if ((int)i < max) snprintf(names[i], 256, "%.*s", (int)len, (const char *)p);
    *bytes += size;
    if (a) *added += size;
  }
  weir__snap_close(&r);
  return (int)n;
}

/* Incremental checkpoints add only new files; the shared files that no
 * retained checkpoint references are gone.  The second run is slow
 * (paced), so that each checkpoint flushes little: RocksDB compacts
 * after every 4 flushes or so, and between two of three consecutive
 * checkpoints it cannot have rewritten everything. */
static void test_incremental_sharing_and_cleanup(void **state) {
  (void)state;
  char got[1024], ck[2048], ck2[2048], prev[2048];
  snprintf(got, sizeof got, "%s/share.db", tu_dir);
  retained = 2;
  run_until_checkpoints(&updating, "share", got, "rocksdb", 2, NULL, ck, sizeof ck);
  bid_extra = ", 'nexmark.pace' = 'true', 'nexmark.events-per-second' = '5000'";
  wanted = 3;
  run_until_checkpoints(&updating, "share", got, "rocksdb", 2, ck, ck2, sizeof ck2);
  bid_extra = "";
  wanted = 2;
  retained = 1;
  static char names[2][4096][256];
  uint64_t bytes[2], added[2];
  int n[2];
  snprintf(prev, sizeof prev, "%s/checkpoints/share/chk-%lld", tu_dir,
           atoll(strrchr(ck2, '-') + 1) - 1);
  const char *cks[2] = {prev, ck2};
  for (int c = 0; c < 2; c++) {
    n[c] = shared_list(cks[c], names[c], 4096, &bytes[c], &added[c]);
    print_message("share: %s references %d files, %llu bytes, added %llu\n", cks[c], n[c],
                  (unsigned long long)bytes[c], (unsigned long long)added[c]);
    assert_true(n[c] > 0 && n[c] <= 4096);
  }
  /* Files were shared between checkpoints, not stored again. */
  assert_true(added[0] < bytes[0] || added[1] < bytes[1]);
  /* shared/ holds the files of the two retained checkpoints and no other. */
  char shared[4096];
  snprintf(shared, sizeof shared, "%s/checkpoints/share/shared", tu_dir);
  DIR *d = opendir(shared);
  assert_non_null(d);
  struct dirent *de;
  int files = 0;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.') continue;
    files++;
    int found = 0;
    for (int c = 0; c < 2; c++)
      for (int i = 0; i < n[c] && !found; i++) found = strcmp(names[c][i], de->d_name) == 0;
    if (!found) fail_msg("'%s' is in shared storage but no retained checkpoint uses it", de->d_name);
  }
  closedir(d);
  int distinct = n[0];
  for (int i = 0; i < n[1]; i++) {
    int dup = 0;
    for (int j = 0; j < n[0] && !dup; j++) dup = strcmp(names[1][i], names[0][j]) == 0;
    distinct += !dup;
  }
  assert_int_equal(files, distinct);
}

/* A damaged shared file is reported on restore, never loaded. */
static void test_damaged_shared_file(void **state) {
  (void)state;
  char got[1024], ck[2048];
  snprintf(got, sizeof got, "%s/damage.db", tu_dir);
  run_until_checkpoints(&updating, "damage", got, "rocksdb", 2, NULL, ck, sizeof ck);
  static char names[4096][256];
  uint64_t bytes, added;
  int n = shared_list(ck, names, 4096, &bytes, &added);
  assert_true(n > 0 && n <= 4096);
  /* The largest file: overwrite bytes in its middle (size unchanged). */
  char path[4096], biggest[4096] = "";
  off_t best = -1;
  for (int i = 0; i < n; i++) {
    struct stat st;
    if (snprintf(path, sizeof path, "%s/checkpoints/damage/shared/%s", tu_dir, names[i]) >=
        (int)sizeof path)
      fail();
    assert_int_equal(stat(path, &st), 0);
    if (st.st_size > best) {
      best = st.st_size;
      snprintf(biggest, sizeof biggest, "%s", path);
    }
  }
  int fd = open(biggest, O_WRONLY);
  assert_true(fd >= 0);
  char junk[512];
  memset(junk, 0x5a, sizeof junk);
  assert_int_equal(pwrite(fd, junk, sizeof junk, best / 2), (ssize_t)sizeof junk);
  close(fd);
  /* Read into hashmap at another parallelism: every block is read. */
  weir *db = open_with_sink(&updating, got, "hashmap", 3);
  char sql[4096], *err = NULL;
  snprintf(sql, sizeof sql, "SET 'execution.savepoint.path' = '%s';", ck);
  tu_exec_ok(db, sql);
  assert_int_equal(weir_exec(db, updating.insert, NULL, NULL, &err), WEIR_CORRUPT);
  print_message("damaged: %s\n", err);
  assert_non_null(strstr(err, "Corruption"));
  weir_free(err);
  /* A missing one is named. */
  assert_int_equal(unlink(biggest), 0);
  err = NULL;
  assert_int_equal(weir_exec(db, updating.insert, NULL, NULL, &err), WEIR_CORRUPT);
  assert_non_null(strstr(err, "is missing"));
  weir_free(err);
  weir_close(db);
}

/* A RocksDB write fails as on a full disk: without restarts the job fails
 * with the message; with one restart it resumes from its last checkpoint
 * and ends with the right table. */
static void test_store_write_failure(void **state) {
  (void)state;
  char *want = reference(&updating, "full");
  char got[1024], sql[4096];
  snprintf(got, sizeof got, "%s/full-got.db", tu_dir);
  weir *db = open_with_sink(&updating, got, "rocksdb", 2);
  weir__kv_reset_fault_injection();
  setenv("WEIR_FAIL_KV_WRITE_AFTER", "40", 1);
  char *err = NULL;
  tu_exec_ok(db, "SET 'restart-strategy.type' = 'none';");
  assert_int_equal(weir_exec(db, updating.insert, NULL, NULL, &err), WEIR_IOERR);
  assert_non_null(strstr(err, "No space left on device"));
  assert_non_null(strstr(err, "RocksDB state"));
  weir_free(err);
  weir_close(db);

  /* Transient: 3 writes fail, once the job has checkpoints. */
  snprintf(got, sizeof got, "%s/full-got2.db", tu_dir);
  weir__kv_reset_fault_injection();
  setenv("WEIR_FAIL_KV_WRITE_AFTER", "150", 1);
  setenv("WEIR_FAIL_KV_WRITE_COUNT", "3", 1);
  db = open_with_sink(&updating, got, "rocksdb", 2);
  snprintf(sql, sizeof sql,
           "SET 'execution.checkpointing.interval' = '50 ms';"
           "SET 'restart-strategy.type' = 'fixed-delay';"
           "SET 'restart-strategy.fixed-delay.attempts' = '3';"
           "SET 'restart-strategy.fixed-delay.delay' = '10 ms';"
           "SET 'pipeline.name' = 'full';");
  tu_exec_ok(db, sql);
  tu_exec_ok(db, updating.insert);
  /* It restarted from a checkpoint ("restart 1 from .../chk-N" in the
   * log) and finished: the failures were transient. */
  const char *jobs = tu_query(db, "DESCRIBE JOB full", "");
  assert_non_null(strstr(jobs, "status|FINISHED"));
  weir_close(db);
  unsetenv("WEIR_FAIL_KV_WRITE_AFTER");
  unsetenv("WEIR_FAIL_KV_WRITE_COUNT");
  char *final = tu_sqlite_text(got, updating.select);
  assert_string_equal(final, want);
  free(final);
  free(want);
}

static int setup(void **state) {
  (void)state;
  return tu_setup_dir("backend");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rocksdb_equals_hashmap),
      cmocka_unit_test(test_incremental_restore),
      cmocka_unit_test(test_hashmap_checkpoint_on_rocksdb),
      cmocka_unit_test(test_savepoint_portability),
      cmocka_unit_test(test_incremental_sharing_and_cleanup),
      cmocka_unit_test(test_damaged_shared_file),
      cmocka_unit_test(test_store_write_failure),
  };
  return cmocka_run_group_tests(tests, setup, tu_teardown_dir);
}

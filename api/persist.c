/*
 * persist.c -- the engine's catalog in its state directory
 * (STATE_DIR/catalog.db, a SQLite database), so that a reopened engine
 * knows its tables and the jobs that were running (DESIGN section 7).
 *
 * Tables of catalog.db:
 *   ddl (seq, sql)     every CREATE TABLE / DROP TABLE that succeeded, in
 *                      order; replayed when the directory is opened.
 *   jobs (name, sql, config, status, started_at, ended_at, failure)
 *                      every INSERT job: its statement, the session options
 *                      it started with (key=value lines), and RUNNING,
 *                      FINISHED, FAILED or CANCELED.  A job still RUNNING
 *                      when the directory is opened was running when its
 *                      process died: weir_resume starts it again from its
 *                      newest complete checkpoint.
 * An engine without a state directory keeps the same tables in memory,
 * so that SHOW JOBS works the same.
 *
 * Entry points: weir__store_open, weir__store_close, weir__store_ddl,
 * weir__store_job_start, weir__store_job_end, weir__store_jobs,
 * weir__store_crashed_jobs.
 */
#include <stdio.h>

#include <sqlite3.h>

#include "api/store.h"

static int fail(sqlite3 *db, const char *path, const char *what, weir__err *err) {
  return weir__err_set(err, WEIR_IOERR, -1, "catalog '%s': %s: %s", path ? path : ":memory:", what,
                       db ? sqlite3_errmsg(db) : "cannot open");
}

int weir__store_open(weir__store *s, const char *state_dir, weir__err *err) {
  memset(s, 0, sizeof *s);
  /* Recursive: a callback of weir__store_each_* may read it again. */
  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_init(&s->mu, &ma);
  pthread_mutexattr_destroy(&ma);
  s->mu_init = 1;
  char path[4096];
  if (state_dir)
    snprintf(path, sizeof path, "%s/catalog.db", state_dir);
  else
    snprintf(path, sizeof path, ":memory:");
  s->path = weir__strdup(path);
  if (!s->path) return weir__err_nomem(err);
  if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
    return fail(s->db, s->path, "cannot open", err);
  sqlite3_busy_timeout(s->db, 10000);
  const char *schema =
      "PRAGMA journal_mode=WAL;"
      "CREATE TABLE IF NOT EXISTS ddl (seq INTEGER PRIMARY KEY, sql TEXT NOT NULL);"
      "CREATE TABLE IF NOT EXISTS jobs (name TEXT PRIMARY KEY, sql TEXT NOT NULL, config TEXT NOT "
      "NULL, status TEXT NOT NULL, started_at TEXT, ended_at TEXT, failure TEXT, records_in "
      "INTEGER, records_out INTEGER, late_rows INTEGER);";
  if (sqlite3_exec(s->db, schema, NULL, NULL, NULL) != SQLITE_OK)
    return fail(s->db, s->path, "cannot create its tables", err);
  /* A catalog made before the figures were kept: add their columns. */
  static const char *const added[] = {"records_in INTEGER", "records_out INTEGER",
                                      "late_rows INTEGER", "watermark TEXT", "savepoint TEXT"};
  for (int i = 0; i < WEIR_ARRAY_LEN(added); i++) {
    char sql[160];
    sqlite3_stmt *q;
    snprintf(sql, sizeof sql, "SELECT 1 FROM pragma_table_info('jobs') WHERE name = '%.*s'",
             (int)strcspn(added[i], " "), added[i]);
    if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK)
      return fail(s->db, s->path, "cannot read its tables", err);
    int have = sqlite3_step(q) == SQLITE_ROW;
    sqlite3_finalize(q);
    snprintf(sql, sizeof sql, "ALTER TABLE jobs ADD COLUMN %s", added[i]);
    if (!have && sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
      return fail(s->db, s->path, "cannot update its tables", err);
  }
  return WEIR_OK;
}

void weir__store_close(weir__store *s) {
  if (s->db) sqlite3_close(s->db);
  if (s->mu_init) pthread_mutex_destroy(&s->mu);
  weir__free(s->path);
  memset(s, 0, sizeof *s);
}

/* Run sql with text parameters (NULL: SQL NULL); the statement must not
 * return rows. */
static int run(weir__store *s, const char *sql, int n, const char *const *params, weir__err *err) {
  sqlite3_stmt *q;
  pthread_mutex_lock(&s->mu);
  int rc = WEIR_OK;
  if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK) {
    rc = fail(s->db, s->path, "cannot prepare", err);
  } else {
    for (int i = 0; i < n; i++) sqlite3_bind_text(q, i + 1, params[i], -1, SQLITE_TRANSIENT);
    int step = sqlite3_step(q);
    sqlite3_finalize(q);
    if (step != SQLITE_DONE) rc = fail(s->db, s->path, "cannot write", err);
  }
  pthread_mutex_unlock(&s->mu);
  return rc;
}

int weir__store_ddl(weir__store *s, const char *sql, weir__err *err) {
  const char *p[1] = {sql};
  return run(s, "INSERT INTO ddl (sql) VALUES (?1)", 1, p, err);
}

int weir__store_each_ddl(weir__store *s, int (*fn)(void *arg, const char *sql), void *arg,
                         weir__err *err) {
  sqlite3_stmt *q;
  pthread_mutex_lock(&s->mu);
  if (sqlite3_prepare_v2(s->db, "SELECT sql FROM ddl ORDER BY seq", -1, &q, NULL) != SQLITE_OK) {
    int rc = fail(s->db, s->path, "cannot read", err);
    pthread_mutex_unlock(&s->mu);
    return rc;
  }
  int rc = WEIR_OK, step = SQLITE_DONE;
  while (rc == WEIR_OK && (step = sqlite3_step(q)) == SQLITE_ROW)
    rc = fn(arg, (const char *)sqlite3_column_text(q, 0));
  if (rc == WEIR_OK && step != SQLITE_DONE) rc = fail(s->db, s->path, "cannot read", err);
  sqlite3_finalize(q);
  pthread_mutex_unlock(&s->mu);
  return rc;
}

int weir__store_job_start(weir__store *s, const char *name, const char *sql, const char *config,
                          weir__err *err) {
  const char *p[3] = {name, sql, config};
  return run(s,
             "INSERT INTO jobs (name, sql, config, status, started_at) VALUES (?1, ?2, ?3, "
             "'RUNNING', strftime('%Y-%m-%d %H:%M:%f', 'now')) ON CONFLICT (name) DO UPDATE SET "
             "sql = excluded.sql, config = excluded.config, status = 'RUNNING', started_at = "
             "excluded.started_at, ended_at = NULL, failure = NULL, records_in = NULL, "
             "records_out = NULL, late_rows = NULL, watermark = NULL, savepoint = NULL",
             3, p, err);
}

int weir__store_job_exists(weir__store *s, const char *name) {
  sqlite3_stmt *q;
  pthread_mutex_lock(&s->mu);
  int found = 0;
  if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM jobs WHERE name = ?1", -1, &q, NULL) == SQLITE_OK) {
    sqlite3_bind_text(q, 1, name, -1, SQLITE_TRANSIENT);
    found = sqlite3_step(q) == SQLITE_ROW;
    sqlite3_finalize(q);
  }
  pthread_mutex_unlock(&s->mu);
  return found;
}

int weir__store_job_end(weir__store *s, const char *name, const char *status, const char *failure,
                        const int64_t *figures, const char *watermark, const char *savepoint,
                        weir__err *err) {
  char f[3][24];
  for (int i = 0; i < 3; i++) snprintf(f[i], sizeof f[i], "%lld", (long long)(figures ? figures[i] : 0));
  const char *p[8] = {name, status, failure, figures ? f[0] : NULL, figures ? f[1] : NULL,
                      figures ? f[2] : NULL, watermark, savepoint};
  return run(s,
             "UPDATE jobs SET status = ?2, failure = ?3, ended_at = strftime('%Y-%m-%d %H:%M:%f', "
             "'now'), records_in = CAST(?4 AS INTEGER), records_out = CAST(?5 AS INTEGER), "
             "late_rows = CAST(?6 AS INTEGER), watermark = ?7, savepoint = ?8 WHERE name = ?1",
             8, p, err);
}

int weir__store_each_job(weir__store *s, int running_only,
                         int (*fn)(void *arg, const char *const *cols), void *arg, weir__err *err) {
  sqlite3_stmt *q;
  const char *sql =
      running_only
          ? "SELECT name, sql, config, status, started_at, ended_at, failure, records_in, "
            "records_out, late_rows, NULL, watermark, savepoint FROM jobs WHERE status = "
            "'RUNNING' ORDER BY started_at"
          : "SELECT name, sql, config, status, started_at, ended_at, failure, records_in, "
            "records_out, late_rows, printf('%.1f s', (julianday(coalesce(ended_at, "
            "strftime('%Y-%m-%d %H:%M:%f', 'now'))) - julianday(started_at)) * 86400), "
            "watermark, savepoint FROM jobs ORDER BY started_at";
  pthread_mutex_lock(&s->mu);
  if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK) {
    int rc = fail(s->db, s->path, "cannot read", err);
    pthread_mutex_unlock(&s->mu);
    return rc;
  }
  int rc = WEIR_OK, step = SQLITE_DONE;
  while (rc == WEIR_OK && (step = sqlite3_step(q)) == SQLITE_ROW) {
    const char *cols[13];
    for (int i = 0; i < 13; i++) cols[i] = (const char *)sqlite3_column_text(q, i);
    rc = fn(arg, cols);
  }
  if (rc == WEIR_OK && step != SQLITE_DONE) rc = fail(s->db, s->path, "cannot read", err);
  sqlite3_finalize(q);
  pthread_mutex_unlock(&s->mu);
  return rc;
}

/*
 * testutil.h -- what the unit tests of jobs, checkpoints, sinks and state share:
 * a temporary directory per test binary, running SQL that must succeed,
 * interrupting a statement from another thread, and reading a SQLite
 * table back as text.  Included by one test file per binary (its
 * functions are static).
 */
#ifndef WEIR_TESTUTIL_H
#define WEIR_TESTUTIL_H

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "exec/exec.h"
#include "state/state.h"
#include "weir.h"

/* The binary's temporary directory: $WEIR_TEST_TMP/<prefix>-<pid>. */
static char tu_dir[512];

/* Make tu_dir afresh (a cmocka group setup); 0 on success. */
static inline int tu_setup_dir(const char *prefix) {
  const char *base = getenv("WEIR_TEST_TMP");
  snprintf(tu_dir, sizeof tu_dir, "%s/%s-%d", base ? base : "/tmp", prefix, (int)getpid());
  weir__remove_tree(tu_dir);
  return mkdir(tu_dir, 0755);
}

static inline int tu_teardown_dir(void **state) {
  (void)state;
  return weir__remove_tree(tu_dir);
}

/* Run sql, failing the test with weir's message if it fails. */
static inline void tu_exec_ok(weir *db, const char *sql) {
  char *err = NULL;
  if (weir_exec(db, sql, NULL, NULL, &err) != WEIR_OK) fail_msg("%s: %s", sql, err);
}

/* What tu_query collects: the rows, columns separated by '|', one row
 * per line, NULL shown as `null`. */
typedef struct tu_rows {
  char text[1 << 16];
  size_t n;
  const char *null;
} tu_rows;

static inline int tu_collect(void *arg, int ncol, const char *const *values,
                             const char *const *names, int kind) {
  (void)names;
  (void)kind;
  tu_rows *o = arg;
  for (int i = 0; i < ncol; i++)
    o->n += (size_t)snprintf(o->text + o->n, sizeof o->text - o->n, "%s%s", i ? "|" : "",
                             values[i] ? values[i] : o->null);
  o->n += (size_t)snprintf(o->text + o->n, sizeof o->text - o->n, "\n");
  assert_true(o->n < sizeof o->text);
  return 0;
}

/* Run sql, which must succeed; its rows as text (in a buffer that the
 * next call reuses), NULL shown as `null`. */
static inline const char *tu_query(weir *db, const char *sql, const char *null) {
  static tu_rows rows;
  rows.text[0] = 0;
  rows.n = 0;
  rows.null = null;
  char *err = NULL;
  if (weir_exec(db, sql, tu_collect, &rows, &err) != WEIR_OK) fail_msg("%s: %s", sql, err);
  return rows.text;
}

/* Call weir_interrupt(db) from another thread after ms, or once `until`
 * returns nonzero (polled every 5 ms) when it is set. */
typedef struct tu_interrupter {
  weir *db;
  int ms;
  int (*until)(void *arg);
  void *arg;
  pthread_t th;
} tu_interrupter;

static inline void *tu_interrupt_main(void *p) {
  tu_interrupter *it = p;
  if (it->until) {
    while (!it->until(it->arg)) usleep(5000);
  } else {
    usleep((useconds_t)it->ms * 1000);
  }
  weir_interrupt(it->db);
  return NULL;
}

static inline void tu_interrupt_start(tu_interrupter *it) {
  assert_int_equal(pthread_create(&it->th, NULL, tu_interrupt_main, it), 0);
}

static inline void tu_interrupt_join(tu_interrupter *it) { pthread_join(it->th, NULL); }

/* Run sql on db, interrupted after ms: it must end with WEIR_INTERRUPT. */
static inline void tu_run_interrupted(weir *db, const char *sql, int ms) {
  tu_interrupter it = {db, ms, NULL, NULL, 0};
  tu_interrupt_start(&it);
  char *err = NULL;
  int rc = weir_exec(db, sql, NULL, NULL, &err);
  tu_interrupt_join(&it);
  if (rc != WEIR_INTERRUPT) fail_msg("expected an interrupt, got %d: %s", rc, err ? err : "");
  weir_free(err);
}

/* The rows of `select` on the SQLite file db_path as text: columns
 * separated by a space, one row per line (malloc'd).  A table the sink has
 * not created yet reads as no rows. */
static inline char *tu_sqlite_text(const char *db_path, const char *select) {
  sqlite3 *s;
  assert_int_equal(sqlite3_open(db_path, &s), SQLITE_OK);
  sqlite3_stmt *q;
  size_t cap = 1 << 16, n = 0;
  char *out = malloc(cap);
  out[0] = 0;
  if (sqlite3_prepare_v2(s, select, -1, &q, NULL) != SQLITE_OK) {
    if (!strstr(sqlite3_errmsg(s), "no such table")) fail_msg("%s: %s", select, sqlite3_errmsg(s));
    sqlite3_close(s);
    return out;
  }
  while (sqlite3_step(q) == SQLITE_ROW) {
    for (int j = 0; j < sqlite3_column_count(q); j++) {
      const char *v = (const char *)sqlite3_column_text(q, j);
      size_t need = strlen(v ? v : "NULL") + 2;
      if (n + need >= cap) {
        while (n + need >= cap) cap *= 2;
        out = realloc(out, cap);
      }
      n += (size_t)snprintf(out + n, cap - n, "%s%s", j ? " " : "", v ? v : "NULL");
    }
    if (n + 2 >= cap) out = realloc(out, cap *= 2);
    out[n++] = '\n';
    out[n] = 0;
  }
  sqlite3_finalize(q);
  sqlite3_close(s);
  return out;
}

/* The newest complete checkpoint of job `name` under
 * <tu_dir>/<sub>/<name> into buf, with an id above `above`; 0 if none. */
static inline int tu_latest_checkpoint(const char *sub, const char *name, int64_t above, char *buf,
                                       size_t n) {
  char jobdir[1024];
  snprintf(jobdir, sizeof jobdir, "%s/%s/%s", tu_dir, sub, name);
  return weir__checkpoint_latest(jobdir, 0, above, buf, n);
}

/* Job `name`'s checkpoints (under <tu_dir>/checkpoints) to wait for:
 * `more` above `above`, the newest of them accepted by ok (NULL: any). */
typedef struct tu_wait_ck {
  const char *name;
  int64_t above;
  int more;
  int (*ok)(const char *ck);
} tu_wait_ck;

static inline int tu_has_checkpoints(void *arg) {
  tu_wait_ck *w = arg;
  char ck[2048];
  if (!tu_latest_checkpoint("checkpoints", w->name, w->above, ck, sizeof ck)) return 0;
  return atoll(strrchr(ck, '-') + 1) >= w->above + w->more && (!w->ok || w->ok(ck));
}

/* The newest complete checkpoint of job `name` above `above` that ok
 * accepts (NULL: any) into ck: 1, or 0 if there is none. */
static inline int tu_pick_checkpoint(const char *name, int64_t above, int (*ok)(const char *ck),
                                     char *ck, size_t n) {
  char jobdir[1024];
  snprintf(jobdir, sizeof jobdir, "%s/checkpoints/%s", tu_dir, name);
  if (!weir__checkpoint_latest(jobdir, 0, above, ck, n)) return 0;
  for (int64_t id = atoll(strrchr(ck, '-') + 1); id > above; id--) {
    char meta[2048];
    snprintf(ck, n, "%s/chk-%lld", jobdir, (long long)id);
    snprintf(meta, sizeof meta, "%s/_metadata", ck);
    if (access(meta, F_OK) == 0 && (!ok || ok(ck))) return 1;
  }
  return 0;
}

/* Run insert on db (set up as job `name`, with checkpoints) until `more`
 * checkpoints beyond those it already had are complete, the newest
 * accepted by ok (NULL: any), interrupt it (it must not end first), close
 * db, and put the newest checkpoint ok accepts into ck (a later one may
 * have completed meanwhile: keep them with 'num-retained'). */
static inline void tu_run_until_checkpoints(weir *db, const char *insert, const char *name,
                                            int more, int (*ok)(const char *ck), char *ck,
                                            size_t n) {
  char prev[2048];
  int64_t above = 0;
  if (tu_latest_checkpoint("checkpoints", name, 0, prev, sizeof prev))
    above = atoll(strrchr(prev, '-') + 1);
  tu_wait_ck w = {name, above, more, ok};
  tu_interrupter it = {db, 0, tu_has_checkpoints, &w, 0};
  tu_interrupt_start(&it);
  char *err = NULL;
  int rc = weir_exec(db, insert, NULL, NULL, &err);
  tu_interrupt_join(&it);
  if (rc != WEIR_INTERRUPT)
    fail_msg("the job ended before it was stopped (%d): %s", rc, err ? err : "");
  weir_free(err);
  weir_close(db);
  assert_true(tu_pick_checkpoint(name, above, ok, ck, n));
}

/* Restore insert on db from checkpoint or savepoint ck, run it to the
 * end, and close db. */
static inline void tu_restore_to_end(weir *db, const char *insert, const char *ck) {
  char sql[4096];
  snprintf(sql, sizeof sql, "SET 'execution.savepoint.path' = '%s';", ck);
  tu_exec_ok(db, sql);
  tu_exec_ok(db, insert);
  weir_close(db);
}

#endif

/*
 * sqlite.c -- the SQLite sink: writes a job's result into a table of a
 * SQLite database file.
 *
 * The table is created if absent, with the sink's columns (TIMESTAMP and
 * DATE as text, "YYYY-MM-DD HH:MM:SS.sss", so sqlite3 users can read them)
 * and its PRIMARY KEY.  With a primary key the sink upserts: +I and +U
 * rows replace the row with the same key, -D deletes it, -U is ignored (the
 * +U that follows replaces it).  Without one it appends.
 *
 * Without checkpoints (at least once): rows are written in transactions
 * of at most 'sink.buffer-flush.max-rows' rows or
 * 'sink.buffer-flush.interval' of time, and at the end of the input.
 *
 * With checkpoints (exactly once, DESIGN section 8): the changes between
 * barrier n-1 and barrier n are epoch n.  They are staged in memory, kept
 * in checkpoint n's snapshot while pending, and written only when
 * checkpoint n completes, in one transaction together with the row
 * (run, sink, n) of the table _weir_commits in the same database (run:
 * the identity of the job's run that sealed the epoch, kept with the
 * epoch in the checkpoint; the job's name is recorded beside it).  An
 * epoch whose row is already there is not written again, so after a
 * restore the pending epochs of the checkpoint are written exactly when
 * they were not.  The last epoch is sealed by the job's final checkpoint.
 *
 * The database is in WAL mode, so readers see committed transactions
 * (committed epochs) while the job runs.
 */
#include <stdio.h>
#include <time.h>

#include <sqlite3.h>

#include "exec/execInt.h"

static const weir__opt_spec sqlite_opts[] = {
    {"connector", OPT_STRING, 1, NULL, NULL},
    {"path", OPT_STRING, 1, NULL, NULL},
    {"table-name", OPT_STRING, 0, NULL, NULL},
    {"sink.buffer-flush.max-rows", OPT_INT, 0, NULL, "10000"},
    {"sink.buffer-flush.interval", OPT_DURATION, 0, NULL, "1 s"},
    {NULL, 0, 0, NULL, NULL}};

typedef struct sqlite_sink {
  weir__op base;
  sqlite3 *db;
  sqlite3_stmt *ins, *del;
  const char *path, *table;
  int in_txn;
  int64_t pending; /* rows written in the open transaction */
  int64_t max_rows, interval_ms;
  int64_t txn_started_ms;
  char (*text)[48]; /* per column: formatted timestamps */
  /* Exactly once: the epoch being staged, and sealed epochs not yet committed. */
  int exactly_once;
  weir__chunk **staged;
  int nstaged;
  struct epoch {
    int64_t id;
    weir__chunk **rows;
    int n;
  } *sealed;
  int nsealed;
  sqlite3_stmt *seen, *record;
} sqlite_sink;

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int sql_fail(sqlite_sink *s, const char *what) {
  weir__op *op = &s->base;
  int ec = s->db ? sqlite3_errcode(s->db) : SQLITE_CANTOPEN;
  int code = (ec == SQLITE_FULL || ec == SQLITE_IOERR || ec == SQLITE_CANTOPEN ||
              ec == SQLITE_READONLY || ec == SQLITE_BUSY)
                 ? WEIR_IOERR
                 : ec == SQLITE_CONSTRAINT ? WEIR_CONSTRAINT : WEIR_ERROR;
  return weir__op_fail(op, code, "sqlite sink '%s' (table '%s'): %s: %s", s->path, s->table, what,
                       s->db ? sqlite3_errmsg(s->db) : "cannot open");
}

static const char *sqlite_type(int t) {
  switch (t) {
  case WEIR_TYPE_BOOLEAN:
  case WEIR_TYPE_INT:
  case WEIR_TYPE_BIGINT:
  case WEIR_TYPE_INTERVAL: return "INTEGER";
  case WEIR_TYPE_DOUBLE: return "REAL";
  default: return "TEXT";
  }
}

static void quote_ident(weir__sb *sb, const char *s) {
  weir__sb_putc(sb, '"');
  for (; *s; s++) {
    if (*s == '"') weir__sb_putc(sb, '"');
    weir__sb_putc(sb, *s);
  }
  weir__sb_putc(sb, '"');
}

static int exec_sql(sqlite_sink *s, const char *sql) {
  char *msg = NULL;
  if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    sqlite3_free(msg);
    return sql_fail(s, sql);
  }
  return WEIR_OK;
}

/* The commit table and its statements. */
static int prepare_commits(sqlite_sink *s) {
  if (s->seen) return WEIR_OK;
  int rc = exec_sql(s, "CREATE TABLE IF NOT EXISTS _weir_commits (job TEXT NOT NULL, run TEXT NOT "
                       "NULL, sink TEXT NOT NULL, epoch INTEGER NOT NULL, committed_at TEXT NOT "
                       "NULL, PRIMARY KEY (run, sink, epoch))");
  if (rc == WEIR_OK &&
      (sqlite3_prepare_v2(s->db,
                          "SELECT 1 FROM _weir_commits WHERE run = ?1 AND sink = ?2 AND epoch = ?3",
                          -1, &s->seen, NULL) != SQLITE_OK ||
       sqlite3_prepare_v2(s->db,
                          "INSERT INTO _weir_commits (run, sink, epoch, job, committed_at) VALUES "
                          "(?1, ?2, ?3, ?4, strftime('%Y-%m-%d %H:%M:%f', 'now'))",
                          -1, &s->record, NULL) != SQLITE_OK))
    rc = sql_fail(s, "cannot prepare the commit table statements");
  return rc;
}

static int sink_open(weir__op *op) {
  sqlite_sink *s = (sqlite_sink *)op;
  const weir__table *t = op->plan->table;
  s->path = weir__table_option(t, "path");
  s->table = weir__table_option(t, "table-name");
  if (!s->table) s->table = t->name;
  s->max_rows = weir__opt_int(t, sqlite_opts, "sink.buffer-flush.max-rows");
  if (s->max_rows <= 0) s->max_rows = 1;
  s->interval_ms = weir__opt_int(t, sqlite_opts, "sink.buffer-flush.interval");
  s->text = weir__calloc((size_t)t->ncol + 1, sizeof *s->text);
  if (!s->text) return weir__err_nomem(op->err);
  if (sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
      SQLITE_OK)
    return sql_fail(s, "cannot open the database");
  sqlite3_busy_timeout(s->db, 10000);
  int rc;
  if ((rc = exec_sql(s, "PRAGMA journal_mode=WAL"))) return rc;

  /* CREATE TABLE IF NOT EXISTS with the sink's physical columns. */
  weir__sb sb, cols, params, upd, where;
  weir__sb_init(&sb);
  weir__sb_init(&cols);
  weir__sb_init(&params);
  weir__sb_init(&upd);
  weir__sb_init(&where);
  weir__sb_puts(&sb, "CREATE TABLE IF NOT EXISTS ");
  quote_ident(&sb, s->table);
  weir__sb_puts(&sb, " (");
  int k = 0;
  for (int i = 0; i < t->ncol; i++) {
    if (t->cols[i].computed) continue;
    const char *name = t->cols[i].name;
    int is_pk = 0;
    for (int j = 0; j < t->npk; j++) is_pk |= t->pk[j] == i;
    if (k) {
      weir__sb_puts(&sb, ", ");
      weir__sb_puts(&cols, ", ");
      weir__sb_puts(&params, ", ");
    }
    quote_ident(&sb, name);
    weir__sb_printf(&sb, " %s%s", sqlite_type(t->cols[i].type), t->cols[i].not_null ? " NOT NULL" : "");
    quote_ident(&cols, name);
    weir__sb_printf(&params, "?%d", k + 1);
    if (!is_pk) {
      if (upd.n) weir__sb_puts(&upd, ", ");
      quote_ident(&upd, name);
      weir__sb_puts(&upd, " = excluded.");
      quote_ident(&upd, name);
    }
    k++;
  }
  if (t->npk) {
    weir__sb sbpk;
    weir__sb_init(&sbpk);
    for (int j = 0; j < t->npk; j++) {
      if (j) {
        weir__sb_puts(&sbpk, ", ");
        weir__sb_puts(&where, " AND ");
      }
      quote_ident(&sbpk, t->cols[t->pk[j]].name);
      quote_ident(&where, t->cols[t->pk[j]].name);
      /* Parameters are numbered by the column's position among the
       * physical columns. */
      int pos = 0;
      for (int i = 0; i < t->pk[j]; i++) pos += t->cols[i].computed == NULL;
      weir__sb_printf(&where, " IS ?%d", pos + 1);
    }
    weir__sb_printf(&sb, ", PRIMARY KEY (%s)", weir__sb_str(&sbpk));
    weir__sb_puts(&sb, ")");
    rc = sb.oom ? weir__err_nomem(op->err) : exec_sql(s, weir__sb_str(&sb));
    if (rc == WEIR_OK) {
      weir__sb_reset(&sb);
      weir__sb_puts(&sb, "INSERT INTO ");
      quote_ident(&sb, s->table);
      weir__sb_printf(&sb, " (%s) VALUES (%s) ON CONFLICT (%s) DO ", weir__sb_str(&cols),
                      weir__sb_str(&params), weir__sb_str(&sbpk));
      if (upd.n)
        weir__sb_printf(&sb, "UPDATE SET %s", weir__sb_str(&upd));
      else
        weir__sb_puts(&sb, "NOTHING");
    }
    weir__sb_free(&sbpk);
  } else {
    weir__sb_puts(&sb, ")");
    rc = sb.oom ? weir__err_nomem(op->err) : exec_sql(s, weir__sb_str(&sb));
    if (rc == WEIR_OK) {
      weir__sb_reset(&sb);
      weir__sb_puts(&sb, "INSERT INTO ");
      quote_ident(&sb, s->table);
      weir__sb_printf(&sb, " (%s) VALUES (%s)", weir__sb_str(&cols), weir__sb_str(&params));
    }
  }
  if (rc == WEIR_OK && sqlite3_prepare_v2(s->db, weir__sb_str(&sb), -1, &s->ins, NULL) != SQLITE_OK)
    rc = sql_fail(s, "cannot prepare the insert (does the existing table have the same columns "
                     "and primary key?)");
  if (rc == WEIR_OK && t->npk) {
    weir__sb_reset(&sb);
    weir__sb_puts(&sb, "DELETE FROM ");
    quote_ident(&sb, s->table);
    weir__sb_printf(&sb, " WHERE %s", weir__sb_str(&where));
    if (sqlite3_prepare_v2(s->db, weir__sb_str(&sb), -1, &s->del, NULL) != SQLITE_OK)
      rc = sql_fail(s, "cannot prepare the delete");
  }
  weir__sb_free(&sb);
  weir__sb_free(&cols);
  weir__sb_free(&params);
  weir__sb_free(&upd);
  weir__sb_free(&where);
  s->exactly_once = weir__op_checkpointing(op);
  if (rc == WEIR_OK && s->exactly_once) rc = prepare_commits(s);
  return rc;
}

static int commit(sqlite_sink *s) {
  if (!s->in_txn) return WEIR_OK;
  s->in_txn = 0;
  s->pending = 0;
  return exec_sql(s, "COMMIT");
}

static int bind_row(sqlite_sink *s, sqlite3_stmt *st, const weir__chunk *c, int r) {
  for (int j = 0; j < c->ncol; j++) {
    const weir__vec *v = &c->cols[j];
    int rc, p = j + 1;
    if (weir__vec_is_null(v, r)) {
      rc = sqlite3_bind_null(st, p);
    } else {
      switch (v->type) {
      case WEIR_TYPE_DOUBLE: rc = sqlite3_bind_double(st, p, WEIR_VEC_F64(v)[r]); break;
      case WEIR_TYPE_VARCHAR: {
        weir__str str = WEIR_VEC_STR(v)[r];
        rc = sqlite3_bind_text(st, p, str.p, (int)str.n, SQLITE_STATIC);
        break;
      }
      case WEIR_TYPE_TIMESTAMP:
      case WEIR_TYPE_TIMESTAMP_LTZ:
        weir__time_format_ts(WEIR_VEC_I64(v)[r], s->text[j]);
        rc = sqlite3_bind_text(st, p, s->text[j], -1, SQLITE_STATIC);
        break;
      case WEIR_TYPE_DATE:
        weir__time_format_date(WEIR_VEC_I64(v)[r], s->text[j]);
        rc = sqlite3_bind_text(st, p, s->text[j], -1, SQLITE_STATIC);
        break;
      default: rc = sqlite3_bind_int64(st, p, WEIR_VEC_I64(v)[r]); break;
      }
    }
    if (rc != SQLITE_OK) return sql_fail(s, "cannot bind a value");
  }
  return WEIR_OK;
}

/* Write the rows of c into the open transaction. */
static int write_rows(sqlite_sink *s, const weir__chunk *c) {
  weir__op *op = &s->base;
  int rc;
  for (int r = 0; r < c->n; r++) {
    int kind = c->kind ? c->kind[r] : WEIR_INSERT;
    sqlite3_stmt *st;
    if (kind == WEIR_UPDATE_BEFORE) continue;
    if (kind == WEIR_DELETE) {
      if (!s->del) return weir__op_fail(op, WEIR_ERROR, "sqlite sink '%s': a delete needs a PRIMARY KEY", s->path);
      st = s->del;
    } else {
      st = s->ins;
    }
    if ((rc = bind_row(s, st, c, r))) return rc;
    int src = sqlite3_step(st);
    sqlite3_reset(st);
    if (src != SQLITE_DONE) return sql_fail(s, "cannot write a row");
    s->pending++;
  }
  return WEIR_OK;
}

/* Keep a copy of c in the epoch being staged. */
static int stage(sqlite_sink *s, const weir__chunk *c) {
  weir__op *op = &s->base;
  int sel[WEIR_CHUNK_CAP];
  for (int r = 0; r < c->n; r++) sel[r] = r;
  weir__chunk *last = s->nstaged ? s->staged[s->nstaged - 1] : NULL;
  int done = 0;
  while (done < c->n) {
    if (!last || last->n == last->cap) {
      weir__chunk **v = weir__realloc(s->staged, sizeof(weir__chunk *) * (size_t)(s->nstaged + 1));
      if (!v) return weir__err_nomem(op->err);
      s->staged = v;
      if (!(last = weir__chunk_new(op->plan->ncol, op->plan->types, WEIR_CHUNK_CAP)))
        return weir__err_nomem(op->err);
      s->staged[s->nstaged++] = last;
    }
    int k = c->n - done < last->cap - last->n ? c->n - done : last->cap - last->n;
    if (weir__chunk_append_rows(last, c, sel + done, k)) return weir__err_nomem(op->err);
    done += k;
  }
  return WEIR_OK;
}

static int sink_push(weir__op *op, int port, weir__chunk *c) {
  sqlite_sink *s = (sqlite_sink *)op;
  int rc;
  if (s->exactly_once) return stage(s, c);
  if (!s->in_txn) {
    if ((rc = exec_sql(s, "BEGIN"))) return rc;
    s->in_txn = 1;
    s->txn_started_ms = now_ms();
  }
  if ((rc = write_rows(s, c))) return rc;
  if (s->pending >= s->max_rows || now_ms() - s->txn_started_ms >= s->interval_ms) return commit(s);
  return WEIR_OK;
}

static int sink_finish(weir__op *op) {
  sqlite_sink *s = (sqlite_sink *)op;
  /* Exactly once: the last epoch waits for the job's final checkpoint. */
  return s->exactly_once ? WEIR_OK : commit(s);
}

/* ---- exactly once ------------------------------------------------------------------------ */

static void free_rows(weir__chunk **rows, int n) {
  for (int i = 0; i < n; i++) weir__chunk_free(rows[i]);
  weir__free(rows);
}

/* Write epoch e of the job's run lineage `run` (rows[0..n)) and its
 * commit record in one transaction, unless the record says it was written
 * before. */
static int commit_epoch(sqlite_sink *s, const char *run, int64_t e, weir__chunk **rows, int n) {
  const char *job = weir__op_job_name(&s->base);
  int rc = exec_sql(s, "BEGIN IMMEDIATE");
  if (rc) return rc;
  sqlite3_bind_text(s->seen, 1, run, -1, SQLITE_STATIC);
  sqlite3_bind_text(s->seen, 2, s->table, -1, SQLITE_STATIC);
  sqlite3_bind_int64(s->seen, 3, e);
  int step = sqlite3_step(s->seen);
  sqlite3_reset(s->seen);
  if (step != SQLITE_ROW && step != SQLITE_DONE) {
    rc = sql_fail(s, "cannot read the commit table");
  } else if (step == SQLITE_DONE) {
    for (int i = 0; !rc && i < n; i++) rc = write_rows(s, rows[i]);
    if (!rc) {
      sqlite3_bind_text(s->record, 1, run, -1, SQLITE_STATIC);
      sqlite3_bind_text(s->record, 2, s->table, -1, SQLITE_STATIC);
      sqlite3_bind_int64(s->record, 3, e);
      sqlite3_bind_text(s->record, 4, job, -1, SQLITE_STATIC);
      step = sqlite3_step(s->record);
      sqlite3_reset(s->record);
      if (step != SQLITE_DONE) rc = sql_fail(s, "cannot record the epoch in the commit table");
    }
  }
  if (rc) {
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
  }
  s->pending = 0;
  weir__kill_point("sink-before-commit"); /* the epoch's rows written, not committed */
  if ((rc = exec_sql(s, "COMMIT"))) return rc;
  weir__kill_point("sink-after-commit"); /* committed, still pending in memory */
  return WEIR_OK;
}

/* Barrier id: what was staged since the last one is epoch id. */
static int sink_on_barrier(weir__op *op, int64_t id) {
  sqlite_sink *s = (sqlite_sink *)op;
  /* At least once: what came before a savepoint's barrier is written. */
  if (!s->exactly_once) return commit(s);
  struct epoch *v = weir__realloc(s->sealed, sizeof *v * (size_t)(s->nsealed + 1));
  if (!v) return weir__err_nomem(op->err);
  s->sealed = v;
  v[s->nsealed++] = (struct epoch){id, s->staged, s->nstaged};
  s->staged = NULL;
  s->nstaged = 0;
  return WEIR_OK;
}

/* The sealed epochs not yet written, so a restore can write them. */
static int sink_snapshot(weir__op *op, weir__snap_writer *w) {
  sqlite_sink *s = (sqlite_sink *)op;
  int rc = weir__snap_put_u64(w, (uint64_t)s->nsealed, op->err);
  for (int i = 0; !rc && i < s->nsealed; i++) {
    const char *run = weir__op_job_run(op);
    rc = weir__snap_put_bytes(w, run, (uint32_t)strlen(run), op->err);
    if (!rc) rc = weir__snap_put_u64(w, (uint64_t)s->sealed[i].id, op->err);
    if (!rc) rc = weir__snap_put_u64(w, (uint64_t)s->sealed[i].n, op->err);
    for (int k = 0; !rc && k < s->sealed[i].n; k++) rc = weir__rows_write(w, s->sealed[i].rows[k], op->err);
  }
  return rc;
}

/* Checkpoint id is complete: write every epoch up to it, oldest first. */
static int sink_notify_complete(weir__op *op, int64_t id) {
  sqlite_sink *s = (sqlite_sink *)op;
  int done = 0, rc = WEIR_OK;
  while (done < s->nsealed && s->sealed[done].id <= id) {
    struct epoch *e = &s->sealed[done];
    if ((rc = commit_epoch(s, weir__op_job_run(op), e->id, e->rows, e->n))) break;
    free_rows(e->rows, e->n);
    done++;
  }
  if (done) memmove(s->sealed, s->sealed + done, sizeof *s->sealed * (size_t)(s->nsealed - done));
  s->nsealed -= done;
  return rc;
}

/* The checkpoint completed, so its pending epochs are due: write those
 * that the commit table does not have yet. */
static int sink_restore(weir__op *op, const weir__restore *rs) {
  sqlite_sink *s = (sqlite_sink *)op;
  int rc = WEIR_OK;
  for (int sub = 0; !rc && sub < rs->old_parallelism; sub++) {
    weir__snap_reader r;
    uint64_t n = 0;
    rc = weir__restore_open(rs, sub, &r, op->err);
    if (!rc) rc = weir__snap_get_u64(&r, &n, op->err);
    for (uint64_t i = 0; !rc && i < n; i++) {
      uint64_t id, nchunks;
      weir__chunk **rows = NULL;
      int nrows = 0;
      const uint8_t *run;
      uint32_t runlen;
      char runbuf[64];
      rc = weir__snap_get_bytes(&r, &run, &runlen, op->err);
      if (!rc && runlen >= sizeof runbuf)
        rc = weir__err_set(op->err, WEIR_CORRUPT, -1, "checkpoint of %s: bad run id", op->vt->name);
      if (!rc) snprintf(runbuf, sizeof runbuf, "%.*s", (int)runlen, (const char *)run);
      if (!rc) rc = weir__snap_get_u64(&r, &id, op->err);
      if (!rc) rc = weir__snap_get_u64(&r, &nchunks, op->err);
      for (uint64_t k = 0; !rc && k < nchunks; k++)
        rc = weir__rows_read(&r, op->plan->ncol, op->plan->types, &rows, &nrows, op->err);
      /* Due even if this job takes no checkpoints. */
      if (!rc) rc = prepare_commits(s);
      if (!rc) rc = commit_epoch(s, runbuf, (int64_t)id, rows, nrows);
      free_rows(rows, nrows);
    }
    weir__snap_close(&r);
  }
  return rc;
}

static void sink_close(weir__op *op) {
  sqlite_sink *s = (sqlite_sink *)op;
  /* A job that stops early keeps what it wrote, as a flushing sink does
   * (exactly once: only whole epochs were ever written). */
  if (s->db && s->in_txn) sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
  sqlite3_finalize(s->ins);
  sqlite3_finalize(s->del);
  sqlite3_finalize(s->seen);
  sqlite3_finalize(s->record);
  free_rows(s->staged, s->nstaged);
  for (int i = 0; i < s->nsealed; i++) free_rows(s->sealed[i].rows, s->sealed[i].n);
  weir__free(s->sealed);
  if (s->db) sqlite3_close(s->db);
  s->db = NULL;
  weir__free(s->text);
}

static const weir__op_vtab sqlite_sink_vtab = {.name = "SqliteSink",
                                               .size = sizeof(sqlite_sink),
                                               .open = sink_open,
                                               .push = sink_push,
                                               .on_barrier = sink_on_barrier,
                                               .snapshot = sink_snapshot,
                                               .restore = sink_restore,
                                               .notify_complete = sink_notify_complete,
                                               .finish = sink_finish,
                                               .close = sink_close};

const weir__connector weir__connector_sqlite = {
    .name = "sqlite",
    .caps = WEIR_CAP_SINK | WEIR_CAP_SINK_UPDATES | WEIR_CAP_SINK_EXACTLY_ONCE,
    .opts = sqlite_opts,
    .sink = &sqlite_sink_vtab,
};

/*
 * weir.c -- the public C API (include/weir.h): engines, statements and
 * errors.  It drives the pipeline grammar -> planner -> exec for each
 * statement.
 *
 * A statement is compiled by weir_prepare: parsed, and for queries bound
 * and lowered, so that errors carry the offending token's offset as
 * SQLite's do.  DDL and SET take effect when stepped.  A SELECT starts its
 * job on the first weir_step and yields rows as the job produces them; an
 * INSERT runs its job to the end of its bounded input and yields a summary
 * row.  Statements that describe something (SHOW, DESCRIBE, EXPLAIN, SET
 * without arguments) materialize their rows when first stepped.
 *
 * Line and column numbers are added to error messages here, where the
 * whole text is known.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <strings.h>
#include <sys/file.h>
#include <unistd.h>
#include <sys/stat.h>
#include <time.h>

#include "api/apiInt.h"
#include "exec/exec.h"
#include "grammar/ast.h"
#include "planner/planner.h"
#include "util/util.h"

/* ---- errors --------------------------------------------------------------- */

const char *weir_errstr(int code) {
  switch (code) {
#define WEIR_X_(name, value, text) \
  case WEIR_##name:                \
    return text;
    WEIR_RESULT_CODES(WEIR_X_)
#undef WEIR_X_
  }
  return "unknown error";
}

const char *weir_libversion(void) { return WEIR_VERSION; }

void weir_free(void *p) { weir__free(p); }

int weir_complete(const char *sql) { return sql ? weir__grammar_complete(sql) : 0; }

/* Line and column (1-based) of byte off of the statement. */
static void stmt_linecol(const weir_stmt *st, int off, int *line, int *col) {
  int l, c;
  weir__text_linecol(st->sql, off, &l, &c);
  if (l == 1) c += st->base_col - 1;
  *line = l + st->base_line - 1;
  *col = c;
}

/* Record err on db; an offset relative to the statement is turned into
 * one relative to the caller's text and named in the message. */
static int set_error(weir *db, const weir_stmt *st, const weir__err *err) {
  db->err = *err;
  if (err->code == WEIR_OK) return WEIR_OK;
  if (st && err->offset >= 0 && err->offset <= st->len) {
    int line, col;
    stmt_linecol(st, err->offset, &line, &col);
    char loc[64];
    snprintf(loc, sizeof loc, " at line %d, column %d", line, col);
    size_t ml = strlen(db->err.msg);
    if (ml + strlen(loc) < sizeof db->err.msg) memcpy(db->err.msg + ml, loc, strlen(loc) + 1);
    db->err.offset = err->offset + st->base_off;
  } else if (!st) {
    db->err.offset = -1;
  }
  return err->code;
}

static int misuse(weir *db, const char *what) {
  weir__err e;
  weir__err_clear(&e);
  weir__err_set(&e, WEIR_MISUSE, -1, "%s", what);
  if (db) set_error(db, NULL, &e);
  return WEIR_MISUSE;
}

const char *weir_errmsg(weir *db) {
  if (!db) return "out of memory";
  return db->err.code == WEIR_OK ? "not an error" : db->err.msg;
}

int weir_errcode(weir *db) { return db ? db->err.code : WEIR_NOMEM; }

int weir_error_offset(weir *db) { return db && db->err.code != WEIR_OK ? db->err.offset : -1; }

void weir_interrupt(weir *db) {
  if (db) atomic_store_explicit(&db->interrupt, 1, memory_order_relaxed);
}

/* ---- engines -------------------------------------------------------------- */

/* Replay one recorded DDL statement (weir_open). */
static int replay_ddl(void *arg, const char *sql) {
  weir *db = arg;
  char *msg = NULL;
  int rc = weir_exec(db, sql, NULL, NULL, &msg);
  if (rc) snprintf(db->msgbuf, sizeof db->msgbuf, "%s (in: %.200s)", msg ? msg : "?", sql);
  weir_free(msg);
  return rc;
}

int weir_open(const char *state_dir, weir **out) {
  if (!out) return WEIR_MISUSE;
  *out = NULL;
  weir *db = weir__calloc(1, sizeof *db);
  if (!db) return WEIR_NOMEM;
  weir__catalog_init(&db->cat);
  weir__err_clear(&db->err);
  pthread_mutex_init(&db->jobs_mu, NULL);
  db->lock_fd = -1;
  *out = db;
  if (state_dir) {
    db->state_dir = weir__strdup(state_dir);
    if (!db->state_dir) {
      weir__err_nomem(&db->err);
      return WEIR_NOMEM;
    }
    struct stat st;
    if (stat(state_dir, &st) != 0) {
      if (mkdir(state_dir, 0755) != 0) {
        weir__err e;
        weir__err_clear(&e);
        weir__err_set(&e, WEIR_IOERR, -1, "cannot create state directory '%s': %s", state_dir,
                      strerror(errno));
        return set_error(db, NULL, &e);
      }
    } else if (!S_ISDIR(st.st_mode)) {
      weir__err e;
      weir__err_clear(&e);
      weir__err_set(&e, WEIR_IOERR, -1, "state directory '%s' is not a directory", state_dir);
      return set_error(db, NULL, &e);
    }
  }
  weir__err e;
  weir__err_clear(&e);
  if (state_dir) {
    /* One process per state directory: a second one would take the first
     * one's running jobs for crashed ones.  The lock goes with the process,
     * however it ends. */
    char lock[4096];
    snprintf(lock, sizeof lock, "%s/lock", state_dir);
    db->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (db->lock_fd < 0 || flock(db->lock_fd, LOCK_EX | LOCK_NB) != 0) {
      weir__err_set(&e, WEIR_IOERR, -1, "state directory '%s' is in use by another weir process%s%s",
                    state_dir, db->lock_fd < 0 ? ": " : "", db->lock_fd < 0 ? strerror(errno) : "");
      return set_error(db, NULL, &e);
    }
  }
  if (weir__store_open(&db->store, state_dir, &e)) return set_error(db, NULL, &e);
  /* The tables of earlier sessions, in the order they were made. */
  db->replaying = 1;
  int rc = weir__store_each_ddl(&db->store, replay_ddl, db, &e);
  db->replaying = 0;
  if (rc) {
    if (e.code == WEIR_OK)
      weir__err_set(&e, rc, -1, "cannot restore the catalog of '%s': %s", state_dir, db->msgbuf);
    return set_error(db, NULL, &e);
  }
  return WEIR_OK;
}

int weir_close(weir *db) {
  if (!db) return WEIR_OK;
  weir__bgjob_close_all(db);
  while (db->stmts.n) weir_finalize(db->stmts.v[db->stmts.n - 1]);
  weir__ptrvec_free(&db->stmts);
  weir__store_close(&db->store);
  if (db->lock_fd >= 0) close(db->lock_fd); /* releases the lock */
  weir__catalog_free(&db->cat);
  weir__config_free(&db->cfg);
  weir__free(db->state_dir);
  pthread_mutex_destroy(&db->jobs_mu);
  weir__free(db);
  return WEIR_OK;
}

/* ---- result shapes ---------------------------------------------------------- */

static int set_columns(weir_stmt *st, int n, char **names, const int *types) {
  st->ncol = n;
  st->names = weir__arena_alloc(&st->arena, sizeof(char *) * (size_t)(n ? n : 1));
  st->types = weir__arena_alloc(&st->arena, sizeof(int) * (size_t)(n ? n : 1));
  st->text = weir__calloc((size_t)(n ? n : 1), sizeof(weir__sb));
  if (!st->names || !st->types || !st->text) return WEIR_NOMEM;
  for (int i = 0; i < n; i++) {
    st->names[i] = weir__arena_strdup(&st->arena, names[i]);
    st->types[i] = types[i];
    if (!st->names[i]) return WEIR_NOMEM;
  }
  return WEIR_OK;
}

/* Columns of a materialized result: names separated by ',', all VARCHAR
 * unless an 'I' follows a name ("rows:I"). */
static int set_text_columns(weir_stmt *st, const char *spec) {
  char *names[16];
  int types[16], n = 0;
  char *copy = weir__arena_strdup(&st->arena, spec);
  if (!copy) return WEIR_NOMEM;
  for (char *tok = strtok(copy, ","); tok && n < 16; tok = strtok(NULL, ",")) {
    char *colon = strchr(tok, ':');
    types[n] = WEIR_TYPE_VARCHAR;
    if (colon) {
      *colon = 0;
      types[n] = WEIR_TYPE_BIGINT;
    }
    names[n++] = tok;
  }
  int rc = set_columns(st, n, names, types);
  if (rc) return rc;
  st->rows = weir__chunk_new(n, types, 256);
  return st->rows ? WEIR_OK : WEIR_NOMEM;
}

/* Append a row of strings (and integers for BIGINT columns, given as
 * decimal text) to the materialized result, growing it as needed. */
int weir__stmt_add_row(weir_stmt *st, const char *const *vals) {
  weir__chunk *c = st->rows;
  if (c->n == c->cap) {
    weir__chunk *bigger = weir__chunk_new(c->ncol, st->types, c->cap * 2);
    if (!bigger) return WEIR_NOMEM;
    for (int r = 0; r < c->n; r++) {
      if (weir__chunk_append_row(bigger, c, r, WEIR_INSERT)) {
        weir__chunk_free(bigger);
        return WEIR_NOMEM;
      }
    }
    weir__chunk_free(c);
    st->rows = c = bigger;
  }
  int r = c->n;
  for (int j = 0; j < c->ncol; j++) {
    weir__vec *v = &c->cols[j];
    if (!vals[j]) {
      weir__bit_clear(v->valid, r);
      continue;
    }
    weir__bit_set(v->valid, r);
    if (v->type == WEIR_TYPE_BIGINT) {
      int64_t x = 0;
      weir__parse_int64(vals[j], strlen(vals[j]), &x);
      WEIR_VEC_I64(v)[r] = x;
    } else {
      size_t n = strlen(vals[j]);
      const char *p = weir__chunk_strdup(c, vals[j], n);
      if (!p) return WEIR_NOMEM;
      WEIR_VEC_STR(v)[r].p = p;
      WEIR_VEC_STR(v)[r].n = (uint32_t)n;
    }
  }
  c->n++;
  return WEIR_OK;
}

/* Add each line of text as a row of a one-column result. */
static int add_lines(weir_stmt *st, const char *text) {
  const char *p = text;
  while (*p) {
    const char *nl = strchr(p, '\n');
    size_t n = nl ? (size_t)(nl - p) : strlen(p);
    char *line = weir__strndup(p, n);
    if (!line) return WEIR_NOMEM;
    const char *vals[1] = {line};
    int rc = weir__stmt_add_row(st, vals);
    weir__free(line);
    if (rc) return rc;
    p += n + (nl ? 1 : 0);
  }
  return WEIR_OK;
}

/* ---- compiling ----------------------------------------------------------------- */

/* Bind and lower a query or INSERT. */
static int plan_query(weir_stmt *st, weir__ast_stmt *q, weir__err *err) {
  weir *db = st->db;
  if (weir__bind(&db->cat, &db->cfg, q, st->sql, &st->arena, &st->lplan, err)) return err->code;
  if (weir__plan_lower(st->lplan, &db->cfg, &st->plan, err)) return err->code;
  return WEIR_OK;
}

/* Offset of the end of the first statement of sql[0..n) (past its ';'),
 * or -1 if the text was cut short (cut) before one was found. */
static int statement_end(const char *sql, int n, int cut) {
  int end = weir__grammar_statement_end(sql, n);
  if (end < 0) return cut ? -1 : n;
  return end;
}

/* Line and column of text[off], using the engine's cache for scripts
 * prepared statement after statement. */
static void text_linecol(weir *db, const char *text, int off, int *line, int *col) {
  int from = 0, l = 1, c = 1;
  if (db->lc_text == text && db->lc_off <= off) {
    from = db->lc_off;
    l = db->lc_line;
    c = db->lc_col;
  }
  for (int i = from; i < off; i++) {
    if (text[i] == '\n') {
      l++;
      c = 1;
    } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
      c++;
    }
  }
  db->lc_text = text;
  db->lc_off = off;
  db->lc_line = l;
  db->lc_col = c;
  *line = l;
  *col = c;
}

int weir_prepare_from(weir *db, const char *text, int nbyte, int offset, weir_stmt **out,
                      int *next) {
  if (!db || !text || !out) return misuse(db, "weir_prepare: NULL argument");
  *out = NULL;
  if (nbyte < 0) nbyte = (int)strlen(text);
  if (offset < 0 || offset > nbyte) return misuse(db, "weir_prepare: offset out of range");
  if (next) *next = nbyte;
  atomic_store_explicit(&db->interrupt, 0, memory_order_relaxed);
  weir__err err;
  weir__err_clear(&err);
  weir__err_clear(&db->err);

  weir_stmt *st = weir__calloc(1, sizeof *st);
  if (!st) return weir__err_nomem(&db->err);
  st->db = db;
  weir__arena_init(&st->arena, 16384);
  text_linecol(db, text, offset, &st->base_line, &st->base_col);
  st->base_off = offset;

  /* Copy the statement: a window of the text that grows until it holds a
   * whole statement, so a long script is not copied once per
   * statement. */
  int rem = nbyte - offset, w = rem < 4096 ? rem : 4096, end;
  for (;;) {
    weir__free(st->sql);
    st->sql = weir__malloc((size_t)w + 1);
    if (!st->sql) goto nomem;
    memcpy(st->sql, text + offset, (size_t)w);
    st->sql[w] = 0;
    end = statement_end(st->sql, w, w < rem);
    if (end >= 0) break;
    w = rem - w < w * 3 ? rem : w * 4;
  }
  st->sql[end] = 0;
  st->len = end;

  int consumed = 0;
  int rc = weir__grammar_parse_one(&st->arena, st->sql, st->len, &consumed, &st->ast, &err);
  if (next) *next = offset + (rc == WEIR_OK ? consumed : end);
  if (rc != WEIR_OK) goto fail;
  if (!st->ast) {
    /* Only blanks and comments. */
    weir__arena_free(&st->arena);
    weir__free(st->sql);
    weir__free(st);
    return WEIR_OK;
  }
  switch (st->ast->kind) {
  case STMT_SELECT:
    if ((rc = plan_query(st, st->ast, &err))) goto fail;
    if (set_columns(st, st->plan->root->ncol, st->plan->root->names, st->plan->root->types))
      goto nomem;
    break;
  case STMT_INSERT:
    if ((rc = plan_query(st, st->ast, &err))) goto fail;
    st->detached = weir__dml_detached(&db->cfg, st->plan);
    if (st->detached ? set_text_columns(st, "job,status")
                     : set_text_columns(st, "job,rows_read:I,rows_written:I,late_rows_dropped:I,"
                                            "records_skipped:I"))
      goto nomem;
    break;
  case STMT_STOP_JOB:
  case STMT_SAVEPOINT_JOB:
  case STMT_CANCEL_JOB:
    if (st->ast->kind == STMT_CANCEL_JOB || (st->ast->kind == STMT_STOP_JOB && !st->ast->with_savepoint)
            ? set_text_columns(st, "job,status")
            : set_text_columns(st, "savepoint path"))
      goto nomem;
    break;
  case STMT_EXPLAIN:
    if ((rc = plan_query(st, st->ast->inner, &err))) goto fail;
    if (set_text_columns(st, "plan")) goto nomem;
    break;
  case STMT_SHOW_TABLES:
    if (set_text_columns(st, "table name")) goto nomem;
    break;
  case STMT_SHOW_JOBS:
    if (set_text_columns(st, "name,status,started,uptime,last checkpoint,watermark,records in,"
                             "records out,late rows,failure"))
      goto nomem;
    break;
  case STMT_DESCRIBE_JOB:
    if (set_text_columns(st, "property,value")) goto nomem;
    break;
  case STMT_DESCRIBE:
    if (set_text_columns(st, "name,type,null,key,extras,watermark")) goto nomem;
    break;
  case STMT_SET:
    if (!st->ast->key && set_text_columns(st, "key,value")) goto nomem;
    break;
  default: break;
  }
  if (weir__ptrvec_push(&db->stmts, st)) goto nomem;
  *out = st;
  return WEIR_OK;
nomem:
  weir__err_nomem(&err);
  rc = WEIR_NOMEM;
fail:
  set_error(db, st, &err);
  weir__chunk_free(st->rows);
  weir__free(st->text);
  weir__pplan_free(st->plan);
  weir__arena_free(&st->arena);
  weir__free(st->sql);
  weir__free(st);
  return rc;
}

int weir_prepare(weir *db, const char *sql, int nbyte, weir_stmt **out, const char **tail) {
  int next = 0;
  if (!db || !sql || !out) return misuse(db, "weir_prepare: NULL argument");
  int rc = weir_prepare_from(db, sql, nbyte, 0, out, &next);
  if (tail) *tail = sql + next;
  return rc;
}

/* ---- running ---------------------------------------------------------------- */

static void describe_table(weir_stmt *st, weir__table *t, weir__err *err) {
  for (int i = 0; i < t->ncol; i++) {
    weir__column *c = &t->cols[i];
    int is_pk = 0;
    for (int k = 0; k < t->npk; k++) is_pk |= t->pk[k] == i;
    char extras[1100] = "", wm[1100] = "";
    if (c->computed) snprintf(extras, sizeof extras, "AS %s", c->computed);
    if (t->wm_col == i) snprintf(wm, sizeof wm, "%s", t->wm_sql);
    const char *vals[6] = {c->name, weir__type_name(c->type), c->not_null ? "FALSE" : "TRUE",
                           is_pk ? "PRI(" : NULL, extras[0] ? extras : NULL,
                           wm[0] ? wm : NULL};
    char pk[1024];
    if (is_pk) {
      weir__sb sb;
      weir__sb_init(&sb);
      weir__sb_puts(&sb, "PRI(");
      for (int k = 0; k < t->npk; k++)
        weir__sb_printf(&sb, "%s%s", k ? ", " : "", t->cols[t->pk[k]].name);
      weir__sb_putc(&sb, ')');
      snprintf(pk, sizeof pk, "%s", weir__sb_str(&sb));
      weir__sb_free(&sb);
      vals[3] = pk;
    }
    if (weir__stmt_add_row(st, vals)) {
      weir__err_nomem(err);
      return;
    }
  }
}

static int name_cmp(const void *a, const void *b) {
  return weir__stricmp(*(char *const *)a, *(char *const *)b);
}

/* The value of key in a job's recorded options, into buf ("" if absent). */
static void job_option(const char *config, const char *key, char *buf, size_t n) {
  size_t k = strlen(key);
  buf[0] = 0;
  for (const char *p = config; p && *p;) {
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    if (len > k && !strncmp(p, key, k) && p[k] == '=')
      snprintf(buf, n, "%.*s", (int)(len - k - 1), p + k + 1);
    p += len + (nl ? 1 : 0);
  }
}

/* Where a job's checkpoints are: its recorded 'state.checkpoints.dir', else
 * the engine's state directory ("" if it has none). */
static void job_checkpoint_dir(const weir *db, const char *name, const char *config, char *buf,
                               size_t n) {
  char base[4096];
  job_option(config, "state.checkpoints.dir", base, sizeof base);
  if (base[0])
    snprintf(buf, n, "%s/%s", base, name);
  else if (db->state_dir)
    snprintf(buf, n, "%s/checkpoints/%s", db->state_dir, name);
  else
    buf[0] = 0;
}

/* A job's catalog columns, with the figures of a running job of this
 * engine in place of the recorded ones (and its operators' into ops). */
typedef struct job_live {
  const char *cols[13];
  char fig[4][64];
} job_live;

static const char **job_live_columns(weir *db, const char *const *cols, job_live *l, weir__sb *ops) {
  memcpy(l->cols, cols, sizeof l->cols);
  weir__job_stats js;
  if (!cols[3] || strcmp(cols[3], "RUNNING") || !weir__bgjob_figures(db, cols[0], &js, ops))
    return l->cols;
  snprintf(l->fig[0], sizeof l->fig[0], "%lld", (long long)js.rows_read);
  snprintf(l->fig[1], sizeof l->fig[1], "%lld", (long long)js.rows_written);
  snprintf(l->fig[2], sizeof l->fig[2], "%lld", (long long)js.late_dropped);
  weir__format_watermark(js.watermark, l->fig[3], sizeof l->fig[3]);
  l->cols[7] = l->fig[0];
  l->cols[8] = l->fig[1];
  l->cols[9] = l->fig[2];
  l->cols[11] = l->fig[3];
  return l->cols;
}

/* A row of SHOW JOBS. */
static int show_job(void *arg, const char *const *cols) {
  weir_stmt *st = arg;
  char dir[4096], ck[4096];
  const char *last = "";
  job_checkpoint_dir(st->db, cols[0], cols[2], dir, sizeof dir);
  if (dir[0] && weir__checkpoint_latest(dir, 0, 0, ck, sizeof ck)) last = strrchr(ck, '/') + 1;
  /* A job of this engine that runs: its figures now. */
  job_live live;
  const char **c = job_live_columns(st->db, cols, &live, NULL);
  const char *vals[10] = {c[0], c[3], c[4], c[10], last, c[11], c[7], c[8], c[9], c[6]};
  return weir__stmt_add_row(st, vals) ? WEIR_NOMEM : WEIR_OK;
}

/* DESCRIBE JOB: the job's record as property/value rows. */
typedef struct describe_job_arg {
  weir_stmt *st;
  weir__tok name;
  int found;
} describe_job_arg;

static int describe_job(void *arg, const char *const *cols) {
  describe_job_arg *d = arg;
  if (strlen(cols[0]) != (size_t)d->name.n || strncasecmp(cols[0], d->name.p, (size_t)d->name.n))
    return WEIR_OK;
  d->found = 1;
  job_live live;
  weir__sb ops;
  weir__sb_init(&ops);
  cols = job_live_columns(d->st->db, cols, &live, &ops);
  char dir[4096], ck[4096], opts[4096];
  /* The options on one line: "k=v; k=v". */
  size_t o = 0;
  for (const char *p = cols[2]; *p && o + 3 < sizeof opts; p++) {
    if (*p != '\n') {
      opts[o++] = *p;
    } else if (p[1]) {
      opts[o++] = ';';
      opts[o++] = ' ';
    }
  }
  opts[o] = 0;
  const char *last = NULL;
  job_checkpoint_dir(d->st->db, cols[0], cols[2], dir, sizeof dir);
  if (dir[0] && weir__checkpoint_latest(dir, 0, 0, ck, sizeof ck)) last = ck;
  const char *props[][2] = {
      {"name", cols[0]},          {"status", cols[3]},       {"statement", cols[1]},
      {"options", opts},          {"started", cols[4]},      {"ended", cols[5]},
      {"uptime", cols[10]},       {"last checkpoint", last}, {"checkpoint directory", dir[0] ? dir : NULL},
      {"watermark", cols[11]},    {"records in", cols[7]},   {"records out", cols[8]},
      {"late rows", cols[9]},     {"failure", cols[6]},      {"savepoint", cols[12]},
  };
  int rc = ops.oom ? WEIR_NOMEM : WEIR_OK;
  for (int i = 0; !rc && i < WEIR_ARRAY_LEN(props); i++) rc = weir__stmt_add_row(d->st, props[i]) ? WEIR_NOMEM : WEIR_OK;
  /* A running job: one row per operator, in plan order (sources first). */
  const char *line = weir__sb_str(&ops);
  for (int k = 0; !rc && *line; k++) {
    const char *nl = strchr(line, '\n');
    char name[160], val[1024];
    char f[6][128];
    int nf = 0;
    for (const char *p = line; p < nl && nf < 6; nf++) {
      const char *tab = memchr(p, '\t', (size_t)(nl - p));
      const char *end = tab ? tab : nl;
      snprintf(f[nf], sizeof f[nf], "%.*s", (int)(end - p), p);
      p = tab ? tab + 1 : nl;
    }
    snprintf(name, sizeof name, "operator %d: %s", k + 1, nf > 0 ? f[0] : "?");
    snprintf(val, sizeof val, "parallelism %s, records in %s, records out %s, late rows %s%s%s",
             nf > 1 ? f[1] : "", nf > 2 ? f[2] : "", nf > 3 ? f[3] : "", nf > 4 ? f[4] : "",
             nf > 5 && f[5][0] ? ", watermark " : "", nf > 5 ? f[5] : "");
    const char *row[2] = {name, val};
    rc = weir__stmt_add_row(d->st, row) ? WEIR_NOMEM : WEIR_OK;
    line = nl + 1;
  }
  weir__sb_free(&ops);
  return rc;
}

/* Run a statement that does not start a job; fills err on failure. */
static int run_simple(weir_stmt *st, weir__err *err) {
  weir *db = st->db;
  weir__ast_stmt *a = st->ast;
  switch (a->kind) {
  case STMT_CREATE_TABLE: {
    weir__table *t;
    weir__tok n = a->create->name;
    if (weir__catalog_find(&db->cat, n.p, n.n)) {
      if (a->create->if_not_exists) return WEIR_OK;
      return weir__err_set(err, WEIR_ERROR, n.off, "table '%.*s' already exists", n.n, n.p);
    }
    if (weir__catalog_build_table(a->create, st->sql, &t, err)) return err->code;
    t->create_sql = weir__strndup(st->sql + a->off, (size_t)(a->end - a->off));
    if (!t->create_sql) {
      weir__table_free(t);
      return weir__err_nomem(err);
    }
    if (weir__connector_validate(t, err) || weir__catalog_add(&db->cat, t, err)) {
      if (err->offset < 0) err->offset = n.off;
      weir__table_free(t);
      return err->code;
    }
    return WEIR_OK;
  }
  case STMT_DROP_TABLE:
    if (!weir__catalog_drop(&db->cat, a->name.p, a->name.n) && !a->if_exists)
      return weir__err_set(err, WEIR_NOTFOUND, a->name.off, "unknown table '%.*s'", a->name.n,
                           a->name.p);
    return WEIR_OK;
  case STMT_SET:
    if (a->key) {
      if (weir__config_set(&db->cfg, a->key, a->value, err)) {
        err->offset = a->key_off;
        return err->code;
      }
      return WEIR_OK;
    }
    for (int i = 0;; i++) {
      const char *key, *def, *help;
      if (!weir__config_known(i, &key, &def, &help)) break;
      const char *vals[2] = {key, weir__config_get(&db->cfg, key)};
      if (weir__stmt_add_row(st, vals)) return weir__err_nomem(err);
    }
    return WEIR_OK;
  case STMT_RESET:
    if (weir__config_reset(&db->cfg, a->key, err)) {
      err->offset = a->key_off;
      return err->code;
    }
    return WEIR_OK;
  case STMT_DESCRIBE_JOB: {
    describe_job_arg d = {st, a->name, 0};
    int rc = weir__store_each_job(&db->store, 0, describe_job, &d, err);
    if (rc == WEIR_NOMEM && err->code == WEIR_OK) weir__err_nomem(err);
    if (!rc && !d.found)
      rc = weir__err_set(err, WEIR_NOTFOUND, a->name.off, "unknown job '%.*s' (SHOW JOBS lists them)",
                         a->name.n, a->name.p);
    return rc;
  }
  case STMT_STOP_JOB:
  case STMT_CANCEL_JOB:
  case STMT_SAVEPOINT_JOB:
    return weir__job_control(st, err);
  case STMT_SHOW_JOBS: {
    int rc = weir__store_each_job(&db->store, 0, show_job, st, err);
    if (rc == WEIR_NOMEM && err->code == WEIR_OK) weir__err_nomem(err);
    return rc;
  }
  case STMT_SHOW_TABLES: {
    int n = db->cat.tables.n;
    char **names = weir__calloc((size_t)(n ? n : 1), sizeof(char *));
    if (!names) return weir__err_nomem(err);
    for (int i = 0; i < n; i++) names[i] = ((weir__table *)db->cat.tables.v[i])->name;
    qsort(names, (size_t)n, sizeof(char *), name_cmp);
    for (int i = 0; i < n; i++) {
      const char *vals[1] = {names[i]};
      if (weir__stmt_add_row(st, vals)) {
        weir__free(names);
        return weir__err_nomem(err);
      }
    }
    weir__free(names);
    return WEIR_OK;
  }
  case STMT_DESCRIBE: {
    weir__table *t = weir__catalog_find(&db->cat, a->name.p, a->name.n);
    if (!t)
      return weir__err_set(err, WEIR_NOTFOUND, a->name.off, "unknown table '%.*s'", a->name.n,
                           a->name.p);
    describe_table(st, t, err);
    return err->code;
  }
  case STMT_EXPLAIN: {
    weir__sb sb;
    weir__sb_init(&sb);
    weir__sb_puts(&sb, "== Logical Plan ==\n");
    weir__lplan_explain(st->lplan, &sb);
    weir__sb_puts(&sb, "\n== Physical Plan ==\n");
    weir__pplan_explain(st->plan, &sb);
    int rc = sb.oom ? WEIR_NOMEM : add_lines(st, weir__sb_str(&sb));
    weir__sb_free(&sb);
    return rc ? weir__err_nomem(err) : WEIR_OK;
  }
  }
  return weir__err_set(err, WEIR_INTERNAL, a->off, "statement kind %d cannot be run", a->kind);
}

/* Start a SELECT's job (INSERT jobs belong to the engine: jobs.c). */
static int start_query(weir_stmt *st, weir__err *err) {
  weir *db = st->db;
  snprintf(st->job_name, sizeof st->job_name, "query-%d", ++db->job_seq);
  return weir__job_start(st->plan, &db->cfg, st->job_name, db->state_dir, NULL, &db->interrupt,
                         &st->job, err);
}

/* An INSERT: its job runs on the engine's thread for it; a synchronous
 * one waits for the end and yields the figures, a detached one yields
 * the job's name at once. */
static int step_insert(weir_stmt *st, weir__err *err) {
  weir__bgjob *b;
  int rc = weir__bgjob_start(st, st->detached, &b, err);
  if (rc) return rc;
  if (st->detached) {
    const char *vals[2] = {st->job_name, "RUNNING"};
    return weir__stmt_add_row(st, vals) ? weir__err_nomem(err) : WEIR_OK;
  }
  weir__job_stats s;
  rc = weir__bgjob_wait(b, &s, err);
  if (rc == WEIR_INTERRUPT) return weir__err_force(err, WEIR_INTERRUPT, -1, "interrupted");
  if (rc != WEIR_DONE) return rc;
  char v[4][32];
  snprintf(v[0], 32, "%lld", (long long)s.rows_read);
  snprintf(v[1], 32, "%lld", (long long)s.rows_written);
  snprintf(v[2], 32, "%lld", (long long)s.late_dropped);
  snprintf(v[3], 32, "%lld", (long long)s.skipped);
  const char *vals[5] = {st->job_name, v[0], v[1], v[2], v[3]};
  return weir__stmt_add_row(st, vals) ? weir__err_nomem(err) : WEIR_OK;
}

static int step_fail(weir_stmt *st, weir__err *err) {
  st->state = ST_FAILED;
  return set_error(st->db, st, err);
}

int weir_step(weir_stmt *st) {
  if (!st) return WEIR_MISUSE;
  weir *db = st->db;
  weir__err err;
  weir__err_clear(&err);
  st->cur = NULL;
  if (st->state == ST_DONE) return WEIR_DONE;
  if (st->state == ST_FAILED) return db->err.code ? db->err.code : WEIR_ERROR;
  int kind = st->ast->kind;
  if (st->state == ST_READY) {
    st->state = ST_RUNNING;
    weir__err_clear(&db->err);
    if (kind == STMT_SELECT) {
      if (start_query(st, &err)) return step_fail(st, &err);
    } else if (kind == STMT_INSERT) {
      int rc = step_insert(st, &err);
      if (rc == WEIR_INTERRUPT) {
        set_error(db, NULL, &err);
        st->state = ST_DONE;
        return WEIR_INTERRUPT;
      }
      if (rc) return step_fail(st, &err);
    } else if (run_simple(st, &err)) {
      return step_fail(st, &err);
    } else if ((kind == STMT_CREATE_TABLE || kind == STMT_DROP_TABLE) && !db->replaying) {
      /* Remember the catalog change (in the state directory). */
      char *text = weir__strndup(st->sql + st->ast->off, (size_t)(st->ast->end - st->ast->off));
      if (!text) weir__err_nomem(&err);
      int rc = text ? weir__store_ddl(&db->store, text, &err) : WEIR_NOMEM;
      weir__free(text);
      if (rc) return step_fail(st, &err);
    }
  }
  if (kind == STMT_SELECT) {
    int rc = weir__job_run(st->job, &err);
    if (rc == WEIR_ROW) {
      st->cur = weir__job_next_row(st->job, &st->cur_row);
      if (st->cur) return WEIR_ROW;
      rc = WEIR_DONE;
    }
    if (rc == WEIR_DONE) {
      st->state = ST_DONE;
      return WEIR_DONE;
    }
    if (rc == WEIR_INTERRUPT) {
      weir__err_set(&err, WEIR_INTERRUPT, -1, "interrupted");
      set_error(db, NULL, &err);
      return WEIR_INTERRUPT;
    }
    return step_fail(st, &err);
  }
  if (st->rows && st->next_row < st->rows->n) {
    st->cur = st->rows;
    st->cur_row = st->next_row++;
    return WEIR_ROW;
  }
  st->state = ST_DONE;
  return WEIR_DONE;
}

int weir_finalize(weir_stmt *st) {
  if (!st) return WEIR_OK;
  weir__ptrvec_remove(&st->db->stmts, st);
  weir__job_free(st->job);
  weir__pplan_free(st->plan);
  weir__chunk_free(st->rows);
  if (st->text) {
    for (int i = 0; i < st->ncol; i++) weir__sb_free(&st->text[i]);
    weir__free(st->text);
  }
  weir__arena_free(&st->arena);
  weir__free(st->sql);
  weir__free(st);
  return WEIR_OK;
}

/* ---- columns ------------------------------------------------------------------ */

int weir_column_count(weir_stmt *st) { return st ? st->ncol : 0; }

const char *weir_sql(weir_stmt *st) { return st ? st->sql : NULL; }

int weir_stmt_is_updating(weir_stmt *st) {
  return st && st->ast->kind == STMT_SELECT && st->plan && st->plan->root->updating;
}

const char *weir_column_name(weir_stmt *st, int i) {
  return st && i >= 0 && i < st->ncol ? st->names[i] : NULL;
}

int weir_column_type(weir_stmt *st, int i) {
  return st && i >= 0 && i < st->ncol ? st->types[i] : -1;
}

int weir_row_kind(weir_stmt *st) {
  if (!st || !st->cur) return WEIR_INSERT;
  return st->cur->kind ? st->cur->kind[st->cur_row] : WEIR_INSERT;
}

static int get_value(weir_stmt *st, int i, weir__value *v) {
  if (!st || !st->cur || i < 0 || i >= st->ncol) {
    memset(v, 0, sizeof *v);
    v->null = 1;
    return -1;
  }
  weir__chunk_get(st->cur, i, st->cur_row, v);
  return 0;
}

int weir_column_is_null(weir_stmt *st, int i) {
  weir__value v;
  get_value(st, i, &v);
  return v.null;
}

int64_t weir_column_int64(weir_stmt *st, int i) {
  weir__value v;
  if (get_value(st, i, &v) || v.null) return 0;
  switch (weir__type_phys(v.type)) {
  case WEIR_PHYS_F64:
    if (!(v.d > -9.2e18 && v.d < 9.2e18)) return 0;
    return (int64_t)v.d;
  case WEIR_PHYS_STR: {
    int64_t x = 0;
    weir__parse_int64(v.s.p, v.s.n, &x);
    return x;
  }
  default: return v.i;
  }
}

double weir_column_double(weir_stmt *st, int i) {
  weir__value v;
  if (get_value(st, i, &v) || v.null) return 0;
  switch (weir__type_phys(v.type)) {
  case WEIR_PHYS_F64: return v.d;
  case WEIR_PHYS_STR: {
    double d = 0;
    weir__parse_double(v.s.p, v.s.n, &d);
    return d;
  }
  default: return (double)v.i;
  }
}

const char *weir_column_text(weir_stmt *st, int i) {
  weir__value v;
  if (get_value(st, i, &v) || v.null) return NULL;
  weir__sb *sb = &st->text[i];
  weir__sb_reset(sb);
  weir__value_format(&v, sb);
  if (sb->oom) return NULL;
  return weir__sb_str(sb);
}

/* ---- weir_exec ------------------------------------------------------------------ */

/* ---- resuming jobs ----------------------------------------------------------------- */

typedef struct crashed {
  weir__ptrvec rows; /* char*[3]: name, sql, config */
} crashed;

static int collect_crashed(void *arg, const char *const *cols) {
  crashed *c = arg;
  char **row = weir__calloc(3, sizeof(char *));
  if (!row) return WEIR_NOMEM;
  for (int i = 0; i < 3; i++) row[i] = weir__strdup(cols[i] ? cols[i] : "");
  if (!row[0] || !row[1] || !row[2] || weir__ptrvec_push(&c->rows, row)) {
    for (int i = 0; i < 3; i++) weir__free(row[i]);
    weir__free(row);
    return WEIR_NOMEM;
  }
  return WEIR_OK;
}

/* Run one crashed job again: its statement, with the options it started
 * with, from its newest complete checkpoint. */
static int resume_one(weir *db, const char *name, const char *sql, const char *config,
                      weir__err *err) {
  weir__config saved = db->cfg;
  memset(&db->cfg, 0, sizeof db->cfg);
  int rc = WEIR_OK;
  for (const char *p = config; !rc && *p;) {
    const char *nl = strchr(p, '\n'), *eq = strchr(p, '=');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    if (eq && eq < p + len) {
      char *key = weir__strndup(p, (size_t)(eq - p));
      char *val = weir__strndup(eq + 1, len - (size_t)(eq - p) - 1);
      rc = key && val ? weir__config_set(&db->cfg, key, val, err) : weir__err_nomem(err);
      weir__free(key);
      weir__free(val);
    }
    p += len + (nl ? 1 : 0);
  }
  char dir[4096], ck[4096];
  job_checkpoint_dir(db, name, config, dir, sizeof dir);
  int have = dir[0] && weir__checkpoint_latest(dir, 0, 0, ck, sizeof ck);
  if (!rc) rc = weir__config_set(&db->cfg, "pipeline.name", name, err);
  /* In the background, whatever the job's sources. */
  if (!rc) rc = weir__config_set(&db->cfg, "table.dml-sync", "false", err);
  if (!rc && have) rc = weir__config_set(&db->cfg, "execution.savepoint.path", ck, err);
  if (!rc) {
    fprintf(stderr, "[INFO] resuming job '%s' from %s\n", name, have ? ck : "its start");
    char *msg = NULL;
    rc = weir_exec(db, sql, NULL, NULL, &msg);
    if (rc) weir__err_force(err, rc, -1, "job '%s': %s", name, msg ? msg : weir_errstr(rc));
    weir_free(msg);
  }
  if (rc && rc != WEIR_INTERRUPT) {
    /* Failed, perhaps before it could start (an option or a table that is
     * gone): never try it again. */
    weir__err ignored;
    weir__err_clear(&ignored);
    weir__store_job_end(&db->store, name, "FAILED", err->msg, NULL, NULL, NULL, &ignored);
  }
  weir__config_free(&db->cfg);
  db->cfg = saved;
  return rc;
}

int weir_resume(weir *db, char **errmsg) {
  if (errmsg) *errmsg = NULL;
  if (!db) return WEIR_MISUSE;
  weir__err err;
  weir__err_clear(&err);
  crashed c;
  memset(&c, 0, sizeof c);
  int rc = weir__store_each_job(&db->store, 1, collect_crashed, &c, &err);
  if (rc == WEIR_NOMEM && err.code == WEIR_OK) weir__err_nomem(&err);
  /* Every job gets its chance; the first failure is reported. */
  for (int i = 0; i < c.rows.n && rc != WEIR_INTERRUPT; i++) {
    char **row = c.rows.v[i];
    weir__err e;
    weir__err_clear(&e);
    int r = resume_one(db, row[0], row[1], row[2], &e);
    if (r && !rc) {
      rc = r;
      err = e;
    }
  }
  for (int i = 0; i < c.rows.n; i++) {
    char **row = c.rows.v[i];
    for (int k = 0; k < 3; k++) weir__free(row[k]);
    weir__free(row);
  }
  weir__ptrvec_free(&c.rows);
  if (rc) {
    set_error(db, NULL, &err);
    if (errmsg) *errmsg = weir__strdup(err.msg);
  }
  return rc;
}

int weir_exec(weir *db, const char *sql, weir_exec_cb cb, void *arg, char **errmsg) {
  if (errmsg) *errmsg = NULL;
  if (!db || !sql) return misuse(db, "weir_exec: NULL argument");
  int n = (int)strlen(sql), off = 0, rc = WEIR_OK;
  const char **vals = NULL;
  while (off < n) {
    weir_stmt *st = NULL;
    int next;
    rc = weir_prepare_from(db, sql, n, off, &st, &next);
    if (rc != WEIR_OK) break;
    off = next;
    if (!st) continue;
    int ncol = weir_column_count(st);
    weir__free(vals);
    vals = weir__calloc((size_t)(ncol ? ncol : 1), sizeof(char *));
    if (!vals) {
      weir_finalize(st);
      rc = WEIR_NOMEM;
      break;
    }
    while ((rc = weir_step(st)) == WEIR_ROW) {
      if (!cb) continue;
      for (int i = 0; i < ncol; i++) vals[i] = weir_column_text(st, i);
      if (cb(arg, ncol, vals, (const char *const *)st->names, weir_row_kind(st))) {
        weir__err e;
        weir__err_clear(&e);
        weir__err_set(&e, WEIR_INTERRUPT, -1, "callback requested abort");
        set_error(db, NULL, &e);
        rc = WEIR_INTERRUPT;
        break;
      }
    }
    weir_finalize(st);
    if (rc == WEIR_DONE) rc = WEIR_OK;
    if (rc != WEIR_OK) break;
  }
  weir__free(vals);
  if (rc != WEIR_OK && errmsg) *errmsg = weir__strdup(weir_errmsg(db));
  return rc;
}

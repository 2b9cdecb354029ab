/*
 * fs_sink.c -- the filesystem sink ('connector' = 'filesystem' as the
 * target of an INSERT): rows in CSV or JSON lines, in part files under the
 * directory 'path', one series per subtask, as Flink's FileSink writes
 * them (DESIGN section 8).
 *
 * A part file is written as PATH/.part-<run>-<subtask>-<n>.<ext>.inprogress
 * and rolls at 'sink.rolling-policy.file-size' bytes.  Its final name is
 * PATH/part-<run>-<subtask>-<n>.<ext> (run: the job run that wrote it).
 *
 * With checkpoints (exactly once): at barrier n the in-progress file is
 * flushed, fsynced and renamed to ....pending, and the pending files of
 * epoch n are kept in checkpoint n.  When checkpoint n completes they are
 * renamed to their final names.  A restore renames the pending files its
 * checkpoint holds (those not already final) and deletes every other
 * in-progress and pending file in the directory: their rows come again
 * from the replayed input.  Readers that skip names starting with '.'
 * (as Flink's and Hive's do) see every row exactly once.
 *
 * Without checkpoints (at least once): a part file gets its final name
 * when it rolls, at a savepoint's barrier, at the end of input, and when
 * the job stops.
 *
 * Append-only: the planner refuses updating input (no primary key).
 * Values are written as SELECT shows them (timestamps 'YYYY-MM-DD
 * HH:MM:SS.sss'), so the file source reads them back; CSV quotes fields
 * that need it, and NULL is 'csv.null-literal' (default: an empty field).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec/execInt.h"
#include "state/state.h"

typedef struct part {
  int64_t epoch; /* the barrier that sealed it (0: not yet) */
  char *name;    /* final name, without the directory */
} part;

typedef struct fs_sink {
  weir__op base;
  const char *dir;
  int json;
  char delim, quote;
  const char *null_lit;
  int64_t roll_bytes;
  int exactly_once;
  FILE *f;           /* the in-progress part, or NULL */
  char cur[64];      /* its final name */
  int64_t cur_bytes;
  int64_t seq;       /* parts started */
  part *pend;        /* renamed to .pending, waiting for their checkpoint */
  int npend;
  weir__sb line;
  const char **names; /* the table's physical columns (JSON keys) */
  int ncols;
} fs_sink;

static void hidden_path(const fs_sink *s, const char *name, const char *suffix, char *buf, size_t n) {
  snprintf(buf, n, "%s/.%s.%s", s->dir, name, suffix);
}

static int fs_fail(fs_sink *s, const char *what, const char *path) {
  return weir__op_fail(&s->base, WEIR_IOERR, "filesystem sink '%s': cannot %s '%s': %s", s->dir, what,
                       path, strerror(errno));
}

static int fs_open(weir__op *op) {
  fs_sink *s = (fs_sink *)op;
  const weir__table *t = op->plan->table;
  s->dir = weir__table_option(t, "path");
  const char *fmt = weir__table_option(t, "format");
  s->json = fmt && strcmp(fmt, "json") == 0;
  const char *d = weir__table_option(t, "csv.field-delimiter");
  s->delim = d && *d ? *d : ',';
  const char *q = weir__table_option(t, "csv.quote-character");
  s->quote = q && *q ? *q : '"';
  s->null_lit = weir__table_option(t, "csv.null-literal");
  const char *roll = weir__table_option(t, "sink.rolling-policy.file-size");
  s->roll_bytes = roll ? atoll(roll) : 128LL << 20;
  if (s->roll_bytes <= 0) s->roll_bytes = 128LL << 20;
  s->exactly_once = weir__op_checkpointing(op);
  weir__sb_init(&s->line);
  s->names = weir__calloc((size_t)t->ncol + 1, sizeof(char *));
  if (!s->names) return weir__err_nomem(op->err);
  for (int i = 0; i < t->ncol; i++)
    if (!t->cols[i].computed) s->names[s->ncols++] = t->cols[i].name;
  struct stat st;
  if (stat(s->dir, &st) == 0 && !S_ISDIR(st.st_mode))
    return weir__op_fail(op, WEIR_IOERR,
                         "filesystem sink: 'path' = '%s' is a file; the sink writes part files "
                         "into a directory",
                         s->dir);
  if (mkdir(s->dir, 0755) != 0 && errno != EEXIST) return fs_fail(s, "create the directory", s->dir);
  return WEIR_OK;
}

/* ---- rows --------------------------------------------------------------------------- */

static void csv_field(fs_sink *s, const char *p, size_t n) {
  int quote = n == 0;
  for (size_t i = 0; i < n && !quote; i++)
    quote = p[i] == s->delim || p[i] == s->quote || p[i] == '\n' || p[i] == '\r';
  if (!quote) {
    weir__sb_append(&s->line, p, n);
    return;
  }
  weir__sb_putc(&s->line, s->quote);
  for (size_t i = 0; i < n; i++) {
    if (p[i] == s->quote) weir__sb_putc(&s->line, s->quote);
    weir__sb_putc(&s->line, p[i]);
  }
  weir__sb_putc(&s->line, s->quote);
}

static void json_string(weir__sb *sb, const char *p, size_t n) {
  weir__sb_putc(sb, '"');
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)p[i];
    if (c == '"' || c == '\\') {
      weir__sb_putc(sb, '\\');
      weir__sb_putc(sb, (char)c);
    } else if (c < 0x20) {
      weir__sb_printf(sb, "\\u%04x", c);
    } else {
      weir__sb_putc(sb, (char)c);
    }
  }
  weir__sb_putc(sb, '"');
}

static void format_row(fs_sink *s, const weir__chunk *c, int r, weir__sb *tmp) {
  const weir__pop *p = s->base.plan;
  weir__sb_reset(&s->line);
  if (s->json) weir__sb_putc(&s->line, '{');
  for (int j = 0; j < c->ncol; j++) {
    weir__value v;
    weir__chunk_get(c, j, r, &v);
    if (s->json) {
      if (j) weir__sb_putc(&s->line, ',');
      const char *name = j < s->ncols ? s->names[j] : p->names[j];
      json_string(&s->line, name, strlen(name));
      weir__sb_putc(&s->line, ':');
    } else if (j) {
      weir__sb_putc(&s->line, s->delim);
    }
    if (v.null) {
      if (s->json)
        weir__sb_puts(&s->line, "null");
      else if (s->null_lit)
        weir__sb_puts(&s->line, s->null_lit);
      continue;
    }
    weir__sb_reset(tmp);
    weir__value_format(&v, tmp);
    int bare = v.type == WEIR_TYPE_INT || v.type == WEIR_TYPE_BIGINT || v.type == WEIR_TYPE_DOUBLE;
    if (s->json && v.type == WEIR_TYPE_BOOLEAN)
      weir__sb_puts(&s->line, v.i ? "true" : "false");
    else if (s->json && !bare)
      json_string(&s->line, tmp->p, tmp->n);
    else if (s->json)
      weir__sb_append(&s->line, tmp->p, tmp->n);
    else
      csv_field(s, tmp->p, tmp->n);
  }
  if (s->json) weir__sb_putc(&s->line, '}');
  weir__sb_putc(&s->line, '\n');
}

/* ---- part files -------------------------------------------------------------------------- */

static int start_part(fs_sink *s) {
  weir__op *op = &s->base;
  char path[4096];
  char run[7];
  snprintf(run, sizeof run, "%.6s", weir__op_job_run(op));
  snprintf(s->cur, sizeof s->cur, "part-%s-%d-%lld.%s", run, op->subtask, (long long)s->seq++,
           s->json ? "json" : "csv");
  hidden_path(s, s->cur, "inprogress", path, sizeof path);
  s->f = fopen(path, "wb");
  if (!s->f) return fs_fail(s, "create the part file", path);
  s->cur_bytes = 0;
  return WEIR_OK;
}

/* Close the in-progress part: durable, then pending (exactly once) or
 * final (at least once). */
static int close_part(fs_sink *s) {
  if (!s->f) return WEIR_OK;
  char from[4096], to[4096];
  hidden_path(s, s->cur, "inprogress", from, sizeof from);
  int bad = fflush(s->f) != 0 || fsync(fileno(s->f)) != 0;
  bad |= fclose(s->f) != 0;
  s->f = NULL;
  if (bad) return fs_fail(s, "write the part file", from);
  if (s->exactly_once) {
    hidden_path(s, s->cur, "pending", to, sizeof to);
    part *v = weir__realloc(s->pend, sizeof *v * (size_t)(s->npend + 1));
    char *name = weir__strdup(s->cur);
    if (!v || !name) {
      weir__free(name);
      if (v) s->pend = v;
      return weir__err_nomem(s->base.err);
    }
    s->pend = v;
    s->pend[s->npend++] = (part){0, name};
  } else {
    snprintf(to, sizeof to, "%s/%s", s->dir, s->cur);
  }
  if (rename(from, to) != 0) return fs_fail(s, "rename the part file", from);
  weir__err e;
  weir__err_clear(&e);
  if (weir__fsync_dir(s->dir, &e)) return weir__op_fail(&s->base, e.code, "%s", e.msg);
  return WEIR_OK;
}

static int fs_push(weir__op *op, int port, weir__chunk *c) {
  (void)port;
  fs_sink *s = (fs_sink *)op;
  weir__sb tmp;
  weir__sb_init(&tmp);
  int rc = WEIR_OK;
  for (int r = 0; !rc && r < c->n; r++) {
    format_row(s, c, r, &tmp);
    if (s->line.oom || tmp.oom) {
      rc = weir__err_nomem(op->err);
      break;
    }
    if (!s->f && (rc = start_part(s))) break;
    if (fwrite(s->line.p, 1, s->line.n, s->f) != s->line.n) {
      char path[4096];
      hidden_path(s, s->cur, "inprogress", path, sizeof path);
      rc = fs_fail(s, "write the part file", path);
      break;
    }
    s->cur_bytes += (int64_t)s->line.n;
    if (s->cur_bytes >= s->roll_bytes) rc = close_part(s);
  }
  weir__sb_free(&tmp);
  return rc;
}

/* Barrier id: the part in progress closes; the parts closed since the
 * last barrier belong to epoch id. */
static int fs_on_barrier(weir__op *op, int64_t id) {
  fs_sink *s = (fs_sink *)op;
  int rc = close_part(s);
  for (int i = 0; i < s->npend; i++)
    if (!s->pend[i].epoch) s->pend[i].epoch = id;
  return rc;
}

static int fs_finish(weir__op *op) {
  /* Exactly once: the last parts wait for the job's final checkpoint. */
  return close_part((fs_sink *)op);
}

/* Rename pending part name to its final name; done if it is final already. */
static int publish(fs_sink *s, const char *name) {
  char from[4096], to[4096];
  hidden_path(s, name, "pending", from, sizeof from);
  snprintf(to, sizeof to, "%s/%s", s->dir, name);
  if (rename(from, to) == 0) return WEIR_OK;
  if (errno == ENOENT && access(to, F_OK) == 0) return WEIR_OK; /* renamed before a crash */
  if (errno == ENOENT)
    return weir__op_fail(&s->base, WEIR_CORRUPT,
                         "filesystem sink '%s': part file '%s' of a completed checkpoint is gone "
                         "(neither pending nor final)",
                         s->dir, name);
  return fs_fail(s, "rename the part file", from);
}

static int fs_notify_complete(weir__op *op, int64_t id) {
  fs_sink *s = (fs_sink *)op;
  int done = 0, rc = WEIR_OK;
  while (done < s->npend && s->pend[done].epoch && s->pend[done].epoch <= id) {
    if ((rc = publish(s, s->pend[done].name))) break;
    weir__free(s->pend[done].name);
    done++;
  }
  if (done) {
    memmove(s->pend, s->pend + done, sizeof *s->pend * (size_t)(s->npend - done));
    s->npend -= done;
    weir__err e;
    weir__err_clear(&e);
    if (!rc && weir__fsync_dir(s->dir, &e)) rc = weir__op_fail(op, e.code, "%s", e.msg);
  }
  return rc;
}

/* The pending parts, so that a restore can publish them. */
static int fs_snapshot(weir__op *op, weir__snap_writer *w) {
  fs_sink *s = (fs_sink *)op;
  int rc = weir__snap_put_u64(w, (uint64_t)s->npend, op->err);
  for (int i = 0; !rc && i < s->npend; i++) {
    rc = weir__snap_put_u64(w, (uint64_t)s->pend[i].epoch, op->err);
    if (!rc) rc = weir__snap_put_bytes(w, s->pend[i].name, (uint32_t)strlen(s->pend[i].name), op->err);
  }
  return rc;
}

/* The checkpoint completed, so its pending parts are final; every other
 * hidden part in the directory was not (its rows are replayed).  Subtask
 * 0 does it all, for every old subtask, before any task runs. */
static int fs_restore(weir__op *op, const weir__restore *rs) {
  fs_sink *s = (fs_sink *)op;
  if (op->subtask != 0) return WEIR_OK;
  int rc = WEIR_OK;
  for (int sub = 0; !rc && sub < rs->old_parallelism; sub++) {
    weir__snap_reader r;
    uint64_t n = 0;
    rc = weir__restore_open(rs, sub, &r, op->err);
    if (!rc) rc = weir__snap_get_u64(&r, &n, op->err);
    for (uint64_t i = 0; !rc && i < n; i++) {
      uint64_t epoch;
      const uint8_t *name;
      uint32_t len;
      rc = weir__snap_get_u64(&r, &epoch, op->err);
      if (!rc) rc = weir__snap_get_bytes(&r, &name, &len, op->err);
      if (!rc && (len == 0 || len >= 64 || memchr(name, '/', len)))
        rc = weir__err_set(op->err, WEIR_CORRUPT, -1, "checkpoint of %s: bad part file name", op->vt->name);
      char buf[64];
      if (!rc) {
        snprintf(buf, sizeof buf, "%.*s", (int)len, (const char *)name);
        rc = publish(s, buf);
      }
    }
    weir__snap_close(&r);
  }
  if (rc) return rc;
  DIR *d = opendir(s->dir);
  if (!d) return fs_fail(s, "read the directory", s->dir);
  struct dirent *de;
  while ((de = readdir(d))) {
    size_t n = strlen(de->d_name);
    int hidden_part = !strncmp(de->d_name, ".part-", 6) &&
                      ((n > 11 && !strcmp(de->d_name + n - 11, ".inprogress")) ||
                       (n > 8 && !strcmp(de->d_name + n - 8, ".pending")));
    if (!hidden_part) continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", s->dir, de->d_name);
    if (unlink(path) != 0 && errno != ENOENT) {
      closedir(d);
      return fs_fail(s, "remove the unfinished part file", path);
    }
  }
  closedir(d);
  weir__err e;
  weir__err_clear(&e);
  if (weir__fsync_dir(s->dir, &e)) return weir__op_fail(op, e.code, "%s", e.msg);
  return WEIR_OK;
}

static void fs_close(weir__op *op) {
  fs_sink *s = (fs_sink *)op;
  if (s->f) {
    /* At least once: what was written stays (as a flushing sink's
     * rows do).  Exactly once: the in-progress part is left for the next
     * restore to remove. */
    if (!s->exactly_once) {
      close_part(s);
    } else {
      fclose(s->f);
      s->f = NULL;
    }
  }
  for (int i = 0; i < s->npend; i++) weir__free(s->pend[i].name);
  weir__free(s->pend);
  s->pend = NULL;
  s->npend = 0;
  weir__sb_free(&s->line);
  weir__free(s->names);
  s->names = NULL;
}

const weir__op_vtab weir__fs_sink_vtab = {.name = "FileSystemSink",
                                          .size = sizeof(fs_sink),
                                          .open = fs_open,
                                          .push = fs_push,
                                          .on_barrier = fs_on_barrier,
                                          .snapshot = fs_snapshot,
                                          .restore = fs_restore,
                                          .notify_complete = fs_notify_complete,
                                          .finish = fs_finish,
                                          .close = fs_close};

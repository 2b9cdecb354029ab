/*
 * file.c -- the file connector ('file', and 'filesystem' as in Flink): a
 * bounded source that reads one file in CSV or JSON-lines format.
 *
 * The file is read in blocks into a buffer; records are decoded straight
 * into the output chunk, which is pushed downstream before the buffer is
 * refilled, so unescaped strings are views into the buffer.  A record cut
 * by the end of the buffer is moved to its start and completed by the next
 * read; a record longer than the buffer grows it (up to 256 MiB).
 *
 * Parallel reading: with parallelism p the file is cut into p byte
 * ranges, one per subtask.  A subtask starts at the first record that
 * begins in its range and reads every record that begins there, so each
 * record is read exactly once.  Where a CSV record begins is exact even
 * with line breaks inside quoted fields: a line break ends a record only
 * when the number of quote characters before it is even (RFC 4180 quotes
 * come in pairs, doubled ones included), so a subtask counts the quotes
 * before its range.  Each subtask has its own watermark.
 *
 * Malformed records: with 'format.error-policy' = 'fail' (the default)
 * the job fails with "path:line: what was wrong"; with 'skip' the record
 * is dropped and counted (the job's skipped figure).  Nothing else is
 * dropped.
 *
 * Standard input ('connector' = 'stdin') is read the same way, by subtask
 * 0 alone.  It cannot be read again, so it takes no part in restores: a
 * job that reads it is at most once across a failure (as Flink classes
 * its socket source), and is not restarted.
 *
 * Entry points: weir__connector_file, weir__connector_filesystem,
 * weir__connector_stdin.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec/execInt.h"

#define READ_BLOCK (1 << 20)
#define MAX_RECORD (256u << 20)

static const weir__opt_spec file_opts[] = {
    {"connector", OPT_STRING, 1, NULL, NULL},
    {"path", OPT_STRING, 1, NULL, NULL},
    {"format", OPT_ENUM, 1, "csv|json", NULL},
    WEIR_SOURCE_OPTS,
    {"scan.rows-per-second", OPT_INT, 0, NULL, "0"},
    {"format.error-policy", OPT_ENUM, 0, "fail|skip", "fail"},
    /* As a sink ('filesystem'): part files roll at this size (bytes). */
    {"sink.rolling-policy.file-size", OPT_INT, 0, NULL, "134217728"},
    {NULL, 0, 0, NULL, NULL}};

/* Standard input: no path, and no pacing (whoever writes it paces it). */
static const weir__opt_spec stdin_opts[] = {
    {"connector", OPT_STRING, 1, NULL, NULL},
    {"format", OPT_ENUM, 1, "csv|json", NULL},
    WEIR_SOURCE_OPTS,
    {"format.error-policy", OPT_ENUM, 0, "fail|skip", "fail"},
    {NULL, 0, 0, NULL, NULL}};

static const weir__opt_spec csv_opts[] = {
    {"csv.field-delimiter", OPT_CHAR, 0, NULL, ","},
    {"csv.quote-character", OPT_CHAR, 0, NULL, "\""},
    {"csv.header", OPT_BOOL, 0, NULL, "false"},
    {"csv.null-literal", OPT_STRING, 0, NULL, NULL},
    {"csv.ignore-parse-errors", OPT_BOOL, 0, NULL, "false"},
    {NULL, 0, 0, NULL, NULL}};

static const weir__opt_spec json_opts[] = {
    {"json.ignore-parse-errors", OPT_BOOL, 0, NULL, "false"},
    {"json.fail-on-missing-field", OPT_BOOL, 0, NULL, "false"},
    {NULL, 0, 0, NULL, NULL}};

static int is_json(const weir__table *t) {
  const char *f = weir__table_option(t, "format");
  return f && strcmp(f, "json") == 0;
}

static int is_stdin(const weir__table *t) {
  const char *c = weir__table_option(t, "connector");
  return c && strcasecmp(c, "stdin") == 0;
}

static int file_validate(weir__table *t, weir__err *err) {
  const char *fmt = weir__table_option(t, "format");
  const weir__opt_spec *lists[2] = {is_stdin(t) ? stdin_opts : file_opts,
                                    fmt && strcmp(fmt, "json") == 0 ? json_opts : csv_opts};
  const char *conn = weir__table_option(t, "connector");
  char what[96];
  snprintf(what, sizeof what, "connector '%s' with format '%s'", conn, fmt ? fmt : "?");
  if (weir__opt_check(t, what, err, lists, fmt ? 2 : 1)) return err->code;
  int nphys = 0;
  for (int i = 0; i < t->ncol; i++) nphys += t->cols[i].computed == NULL;
  if (is_json(t) && nphys > WEIR_JSON_MAX_COLUMNS)
    return weir__err_set(err, WEIR_UNSUPPORTED, -1, "table '%s': JSON tables may have at most %d columns",
                         t->name, WEIR_JSON_MAX_COLUMNS);
  for (int i = 0; i < t->ncol; i++) {
    if (t->cols[i].computed) continue;
    int ty = t->cols[i].type;
    if (ty == WEIR_TYPE_INTERVAL)
      return weir__err_set(err, WEIR_UNSUPPORTED, -1,
                           "table '%s': column '%s' of type %s cannot be read from a file",
                           t->name, t->cols[i].name, weir__type_name(ty));
  }
  return WEIR_OK;
}

static char opt_char(const weir__table *t, const char *key, char def) {
  const char *v = weir__opt_get(t, csv_opts, key);
  if (!v || !*v) return def;
  if (strcmp(v, "\\t") == 0) return '\t';
  return v[0];
}

/* ---- the source ------------------------------------------------------------ */

typedef struct file_src {
  weir__op base;
  int fd;
  const char *path;
  int json;
  int skip_bad;
  int fail_on_missing;
  int header;      /* CSV: a header line comes first */
  int header_done;
  weir__csv_opts csv;
  weir__field_target *targets;
  int ntargets;
  char *buf;
  size_t cap, len, pos;
  int eof;
  int64_t line;    /* line number of the next record */
  int bom_checked; /* the start of the file was checked for a BOM */
  int64_t split_start; /* offset where this subtask's records begin */
  int64_t remaining; /* bytes of this split not yet read */
  int64_t buf_off;   /* file offset of buf[0] */
  int is_stdin;      /* reads standard input (fd 0, not closed) */
  int no_split;      /* another subtask reads the whole input */
  weir__pacer pace; /* 'scan.rows-per-second' */
  weir__chunk *out;
  int max_rows;
  weir__arena arena; /* header names */
} file_src;

static int set_split(file_src *f, const struct stat *st);

static int read_header(file_src *f);

static int src_open(weir__op *op) {
  file_src *f = (file_src *)op;
  const weir__pop *p = op->plan;
  const weir__table *t = p->table;
  f->fd = -1;
  f->is_stdin = is_stdin(t);
  f->path = f->is_stdin ? "<stdin>" : weir__table_option(t, "path");
  f->json = is_json(t);
  f->skip_bad = strcmp(weir__opt_get(t, stdin_opts, "format.error-policy"), "skip") == 0 ||
                weir__opt_bool(t, f->json ? json_opts : csv_opts,
                               f->json ? "json.ignore-parse-errors" : "csv.ignore-parse-errors");
  f->fail_on_missing = f->json && weir__opt_bool(t, json_opts, "json.fail-on-missing-field");
  f->header = !f->json && weir__opt_bool(t, csv_opts, "csv.header");
  f->csv.delim = opt_char(t, "csv.field-delimiter", ',');
  f->csv.quote = opt_char(t, "csv.quote-character", '"');
  f->csv.null_literal = weir__table_option(t, "csv.null-literal");
  f->line = 1;
  weir__pacer_start(&f->pace, f->is_stdin ? 0 : weir__opt_int(t, file_opts, "scan.rows-per-second"),
                    op->nsubtasks);
  f->max_rows = (int)weir__config_get_int(op->cfg, "table.exec.source.max-rows-per-chunk");
  if (f->max_rows <= 0 || f->max_rows > WEIR_CHUNK_CAP) f->max_rows = WEIR_CHUNK_CAP;
  weir__arena_init(&f->arena, 4096);

  struct stat st;
  f->fd = f->is_stdin ? STDIN_FILENO : open(f->path, O_RDONLY | O_CLOEXEC);
  if (f->fd < 0)
    return weir__op_fail(op, errno == ENOENT ? WEIR_NOTFOUND : WEIR_IOERR,
                         "cannot open '%s' (table '%s'): %s", f->path, t->name, strerror(errno));
  if (fstat(f->fd, &st) == 0 && S_ISDIR(st.st_mode))
    return weir__op_fail(op, WEIR_IOERR, "cannot read '%s' (table '%s'): it is a directory",
                         f->path, t->name);
  f->remaining = INT64_MAX;
  if (f->is_stdin) {
    if (op->subtask > 0) f->no_split = 1; /* one reader: the descriptor is shared */
  } else if (op->nsubtasks > 1) {
    int rc = set_split(f, &st);
    if (rc) return rc;
  }
  f->cap = READ_BLOCK;
  f->buf = weir__malloc(f->cap + 1);
  f->out = weir__chunk_new(p->ncol, p->types, WEIR_CHUNK_CAP);
  /* One target per physical column of the table, in declared order;
   * columns the query does not read are decoded as "ignore". */
  f->targets = weir__calloc((size_t)t->ncol + 1, sizeof(weir__field_target));
  if (!f->buf || !f->out || !f->targets) return weir__err_nomem(op->err);
  for (int i = 0; i < t->ncol; i++) {
    if (t->cols[i].computed) continue;
    weir__field_target *ft = &f->targets[f->ntargets++];
    ft->col = -1;
    ft->type = t->cols[i].type;
    ft->name = t->cols[i].name;
    for (int k = 0; k < p->nproj; k++) {
      if (p->proj[k] == i) ft->col = k;
    }
  }
  if (f->header && f->split_start > 0) return read_header(f);
  return WEIR_OK;
}

/* Where the first record that begins at or after offset starts, and its
 * line number, reading the file before it (quote parity for CSV). */
static int record_boundary(file_src *f, int64_t offset, int64_t size, int64_t *boundary,
                           int64_t *line) {
  weir__op *op = &f->base;
  if (offset <= 0) {
    *boundary = 0;
    *line = 1;
    return WEIR_OK;
  }
  if (offset >= size) {
    *boundary = size;
    *line = 0;
    return WEIR_OK;
  }
  char *blk = weir__malloc(READ_BLOCK);
  if (!blk) return weir__err_nomem(op->err);
  int64_t pos = 0, lines = 1;
  int odd = 0; /* inside quotes */
  char q = f->json ? 0 : f->csv.quote;
  *boundary = size;
  /* A record begins at 0 and after every line break outside quotes. */
  while (pos < size) {
    ssize_t r = pread(f->fd, blk, READ_BLOCK, pos);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      weir__free(blk);
      return weir__op_fail(op, WEIR_IOERR, "read error on '%s': %s", f->path, strerror(errno));
    }
    if (r == 0) break;
    for (ssize_t i = 0; i < r; i++) {
      char c = blk[i];
      if (c == q && q) {
        odd ^= 1;
      } else if (c == '\n') {
        lines++;
        if (!odd && pos + i + 1 >= offset) {
          *boundary = pos + i + 1;
          *line = lines;
          weir__free(blk);
          return WEIR_OK;
        }
      }
    }
    pos += r;
  }
  weir__free(blk);
  *line = lines;
  return WEIR_OK;
}

/* Restrict this subtask to its byte range of the file. */
static int set_split(file_src *f, const struct stat *st) {
  weir__op *op = &f->base;
  if (!S_ISREG(st->st_mode)) {
    /* Not seekable: the first subtask reads it all. */
    if (op->subtask > 0) f->no_split = 1;
    return WEIR_OK;
  }
  int64_t size = st->st_size;
  int64_t lo = size * op->subtask / op->nsubtasks, hi = size * (op->subtask + 1) / op->nsubtasks;
  int64_t b0, b1, l0, l1;
  int rc;
  if ((rc = record_boundary(f, lo, size, &b0, &l0))) return rc;
  if ((rc = record_boundary(f, hi, size, &b1, &l1))) return rc;
  if (op->subtask == op->nsubtasks - 1) b1 = size;
  if (b1 < b0) b1 = b0;
  if (b0 > 0 && lseek(f->fd, b0, SEEK_SET) < 0)
    return weir__op_fail(op, WEIR_IOERR, "cannot seek in '%s': %s", f->path, strerror(errno));
  f->remaining = b1 - b0;
  f->line = l0;
  f->split_start = b0;
  f->buf_off = b0;
  return WEIR_OK;
}

/* Read more input after what is buffered; 0, or an error code. */
static int refill(file_src *f) {
  weir__op *op = &f->base;
  if (f->pos > 0) {
    memmove(f->buf, f->buf + f->pos, f->len - f->pos);
    f->len -= f->pos;
    f->buf_off += (int64_t)f->pos;
    f->pos = 0;
  }
  if (f->len == f->cap) {
    /* One record fills the buffer: grow it. */
    if (f->cap >= MAX_RECORD)
      return weir__op_fail(op, WEIR_CORRUPT, "%s:%lld: record is longer than %u MiB", f->path,
                           (long long)f->line, MAX_RECORD >> 20);
    char *nb = weir__realloc(f->buf, f->cap * 2 + 1);
    if (!nb) return weir__err_nomem(op->err);
    f->buf = nb;
    f->cap *= 2;
  }
  for (;;) {
    size_t want = f->cap - f->len;
    if ((int64_t)want > f->remaining) want = (size_t)f->remaining;
    ssize_t r = want ? read(f->fd, f->buf + f->len, want) : 0;
    if (r < 0 && errno == EINTR) continue;
    if (r < 0)
      return weir__op_fail(op, WEIR_IOERR, "read error on '%s': %s", f->path, strerror(errno));
    if (r == 0) f->eof = 1;
    f->len += (size_t)r;
    f->remaining -= r;
    break;
  }
  f->buf[f->len] = 0;
  /* A UTF-8 byte order mark at the start of the file is not data. */
  if (!f->bom_checked && f->split_start == 0 && (f->len >= 3 || f->eof)) {
    f->bom_checked = 1;
    if (f->len >= 3 && memcmp(f->buf, "\xEF\xBB\xBF", 3) == 0) f->pos = 3;
  }
  return 0;
}

/* Map header names to targets (CSV with csv.header). */
static int apply_header(file_src *f, const char *line, size_t n) {
  weir__op *op = &f->base;
  const weir__table *t = op->plan->table;
  char **names;
  int count = weir__csv_header(line, n, &f->csv, &f->arena, &names);
  if (count < 0) return weir__err_nomem(op->err);
  weir__field_target *nt = weir__calloc((size_t)count + 1, sizeof(weir__field_target));
  if (!nt) return weir__err_nomem(op->err);
  for (int h = 0; h < count; h++) nt[h].col = -1;
  for (int i = 0; i < f->ntargets; i++) {
    int found = -1;
    for (int h = 0; h < count; h++) {
      if (weir__stricmp(names[h], f->targets[i].name) == 0) found = h;
    }
    if (found < 0) {
      weir__free(nt);
      return weir__op_fail(op, WEIR_ERROR,
                           "%s:1: the header has no column '%s' (table '%s'); it has: %.200s",
                           f->path, f->targets[i].name, t->name, line);
    }
    nt[found] = f->targets[i];
  }
  for (int h = 0; h < count; h++) {
    if (!nt[h].name) nt[h].name = names[h];
  }
  weir__free(f->targets);
  f->targets = nt;
  f->ntargets = count;
  return WEIR_OK;
}

/* A subtask that starts past the header reads it from the file's start. */
static int read_header(file_src *f) {
  weir__op *op = &f->base;
  size_t cap = 65536, n = 0;
  char *line = weir__malloc(cap + 1);
  if (!line) return weir__err_nomem(op->err);
  for (;;) {
    ssize_t r = pread(f->fd, line + n, cap - n, (off_t)n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      weir__free(line);
      return weir__op_fail(op, WEIR_IOERR, "read error on '%s': %s", f->path, strerror(errno));
    }
    n += (size_t)r;
    char *nl = memchr(line, '\n', n);
    if (nl || r == 0) {
      size_t len = nl ? (size_t)(nl - line) : n;
      if (len && line[len - 1] == '\r') len--;
      const char *h = line;
      if (len >= 3 && memcmp(h, "\xEF\xBB\xBF", 3) == 0) h += 3, len -= 3;
      int rc = apply_header(f, h, len);
      weir__free(line);
      f->header_done = 1;
      return rc;
    }
    if (n == cap) {
      if (cap >= MAX_RECORD) {
        weir__free(line);
        return weir__op_fail(op, WEIR_CORRUPT, "%s:1: the header is longer than %u MiB", f->path,
                             MAX_RECORD >> 20);
      }
      char *nb = weir__realloc(line, cap * 2 + 1);
      if (!nb) {
        weir__free(line);
        return weir__err_nomem(op->err);
      }
      line = nb;
      cap *= 2;
    }
  }
}

/* Decode the next record into row out->n.  Returns 1 (decoded), 0 (need
 * more input), 2 (skipped: blank or bad under the skip policy), or an
 * error code < 0 as -code. */
static int next_record(file_src *f) {
  weir__op *op = &f->base;
  weir__chunk *out = f->out;
  const char *b = f->buf;
  size_t start = f->pos;
  if (start >= f->len) return 0;
  /* Blank lines are not records. */
  if (b[start] == '\n' || (b[start] == '\r' && start + 1 < f->len && b[start + 1] == '\n')) {
    f->pos = start + (b[start] == '\r' ? 2 : 1);
    f->line++;
    return 2;
  }
  if (b[start] == '\r' && start + 1 >= f->len && !f->eof) return 0;
  weir__decode_err de;
  de.msg[0] = 0;
  int rc, lines = 0;
  if (f->json) {
    const char *nl = memchr(b + start, '\n', f->len - start);
    if (!nl && !f->eof) return 0;
    size_t end = nl ? (size_t)(nl - b) : f->len;
    size_t n = end - start;
    if (n && b[start + n - 1] == '\r') n--;
    rc = weir__json_decode(b + start, n, f->targets, f->ntargets, f->fail_on_missing, out, out->n,
                           &de) == 0
             ? 1
             : -1;
    f->pos = nl ? end + 1 : end;
    lines = 1;
  } else {
    size_t pos = start;
    rc = weir__csv_decode(b, f->len, &pos, f->eof, &f->csv, f->targets, f->ntargets, out, out->n,
                          &lines, &de);
    if (rc == 0) return 0;
    f->pos = pos;
    if (f->pos >= f->len && f->eof && lines == 0) lines = 1;
  }
  int64_t rec_line = f->line;
  f->line += lines;
  if (rc == 1) return 1;
  if (f->skip_bad) {
    op->m.skipped++;
    return 2;
  }
  return -weir__op_fail(op, WEIR_CORRUPT, "%s:%lld: %s", f->path, (long long)rec_line, de.msg);
}

static int src_poll(weir__op *op) {
  file_src *f = (file_src *)op;
  weir__chunk *out = f->out;
  if (f->no_split) return WEIR_DONE;
  weir__chunk_reset(out);
  int max_rows = (int)weir__pacer_due(&f->pace, op, f->max_rows);
  if (!max_rows) return WEIR_OK;
  if (f->header && !f->header_done) {
    /* The header: the first line. */
    for (;;) {
      const char *nl = memchr(f->buf + f->pos, '\n', f->len - f->pos);
      if (nl || f->eof) {
        size_t end = nl ? (size_t)(nl - f->buf) : f->len;
        size_t n = end - f->pos;
        if (n && f->buf[f->pos + n - 1] == '\r') n--;
        if (f->eof && f->len == f->pos)
          return weir__op_fail(op, WEIR_ERROR, "%s: the file is empty but 'csv.header' is true",
                               f->path);
        int rc = apply_header(f, f->buf + f->pos, n);
        if (rc) return rc;
        f->pos = nl ? end + 1 : end;
        f->line = 2;
        f->header_done = 1;
        break;
      }
      int rc = refill(f);
      if (rc) return rc;
    }
  }
  while (out->n < max_rows) {
    int rc = next_record(f);
    if (rc == 1) {
      out->n++;
      continue;
    }
    if (rc == 2) continue;
    if (rc < 0) return -rc;
    /* Need more input.  Push what is decoded first: its strings point
     * into the buffer that refill moves. */
    if (out->n > 0) break;
    if (f->eof) return WEIR_DONE;
    if ((rc = refill(f))) return rc;
  }
  weir__pacer_count(&f->pace, out->n);
  return weir__op_emit(op, out);
}

static void src_close(weir__op *op) {
  file_src *f = (file_src *)op;
  if (f->fd >= 0 && !f->is_stdin) close(f->fd);
  f->fd = -1;
  weir__free(f->buf);
  weir__free(f->targets);
  weir__chunk_free(f->out);
  weir__arena_free(&f->arena);
}

/* The position: the offset of the next record, the end of the split (-1:
 * the end of the file), its line number, whether the header and the byte
 * order mark are behind.  Between polls the buffer always starts at a
 * record. */
static int src_snapshot(weir__op *op, weir__snap_writer *w) {
  file_src *f = (file_src *)op;
  int64_t next = f->buf_off + (int64_t)f->pos;
  int64_t end = f->remaining == INT64_MAX ? -1 : f->buf_off + (int64_t)f->len + f->remaining;
  int rc = weir__snap_put_u64(w, (uint64_t)next, op->err);
  if (!rc) rc = weir__snap_put_u64(w, (uint64_t)end, op->err);
  if (!rc) rc = weir__snap_put_u64(w, (uint64_t)f->line, op->err);
  if (!rc) rc = weir__snap_put_u64(w, (uint64_t)f->header_done, op->err);
  if (!rc) rc = weir__snap_put_u64(w, (uint64_t)f->bom_checked, op->err);
  return rc;
}

static int src_restore(weir__op *op, const weir__restore *rs) {
  file_src *f = (file_src *)op;
  if (rs->old_parallelism != op->nsubtasks)
    return weir__op_fail(op, WEIR_UNSUPPORTED,
                         "table '%s': a file source restores only at the parallelism it was "
                         "checkpointed with (%d), not %d; SET 'parallelism.default' = '%d'",
                         op->plan->table->name, rs->old_parallelism, op->nsubtasks,
                         rs->old_parallelism);
  weir__snap_reader r;
  uint64_t next, end, line, header_done, bom;
  int rc = weir__restore_open(rs, op->subtask, &r, op->err);
  if (!rc) rc = weir__snap_get_u64(&r, &next, op->err);
  if (!rc) rc = weir__snap_get_u64(&r, &end, op->err);
  if (!rc) rc = weir__snap_get_u64(&r, &line, op->err);
  if (!rc) rc = weir__snap_get_u64(&r, &header_done, op->err);
  if (!rc) rc = weir__snap_get_u64(&r, &bom, op->err);
  weir__snap_close(&r);
  if (rc) return rc;
  struct stat st;
  if (fstat(f->fd, &st) == 0 && S_ISREG(st.st_mode) &&
      ((int64_t)next > st.st_size || ((int64_t)end >= 0 && (int64_t)end > st.st_size)))
    return weir__op_fail(op, WEIR_CORRUPT,
                         "table '%s': '%s' is shorter than when the checkpoint was taken", 
                         op->plan->table->name, f->path);
  if (lseek(f->fd, (off_t)next, SEEK_SET) < 0)
    return weir__op_fail(op, WEIR_IOERR, "cannot seek in '%s': %s", f->path, strerror(errno));
  f->buf_off = (int64_t)next;
  f->pos = f->len = 0;
  f->eof = 0;
  f->remaining = (int64_t)end < 0 ? INT64_MAX : (int64_t)end - (int64_t)next;
  f->line = (int64_t)line;
  f->bom_checked = (int)bom || next > 0;
  /* Pacing starts afresh. */
  weir__pacer_start(&f->pace, weir__opt_int(op->plan->table, file_opts, "scan.rows-per-second"),
                    op->nsubtasks);
  if (header_done && !f->header_done) return read_header(f);
  f->header_done = (int)header_done;
  return WEIR_OK;
}

static const weir__op_vtab file_source_vtab = {.name = "FileSource",
                                               .size = sizeof(file_src),
                                               .open = src_open,
                                               .poll = src_poll,
                                               .snapshot = src_snapshot,
                                               .restore = src_restore,
                                               .close = src_close};

const weir__connector weir__connector_file = {
    .name = "file",
    .caps = WEIR_CAP_SOURCE | WEIR_CAP_BOUNDED | WEIR_CAP_SOURCE_REPLAYABLE,
    .opts = file_opts,
    .source = &file_source_vtab,
    .validate = file_validate,
};

/* As Flink's: a source that reads a file, and a sink that writes part
 * files into a directory (fs_sink.c). */
const weir__connector weir__connector_filesystem = {
    .name = "filesystem",
    .caps = WEIR_CAP_SOURCE | WEIR_CAP_BOUNDED | WEIR_CAP_SOURCE_REPLAYABLE | WEIR_CAP_SINK |
            WEIR_CAP_SINK_PARALLEL | WEIR_CAP_SINK_EXACTLY_ONCE,
    .opts = file_opts,
    .source = &file_source_vtab,
    .sink = &weir__fs_sink_vtab,
    .validate = file_validate,
};

/* Not replayable: no snapshot or restore. */
static const weir__op_vtab stdin_source_vtab = {.name = "StdinSource",
                                                .size = sizeof(file_src),
                                                .open = src_open,
                                                .poll = src_poll,
                                                .close = src_close};

const weir__connector weir__connector_stdin = {
    .name = "stdin",
    .caps = WEIR_CAP_SOURCE | WEIR_CAP_BOUNDED,
    .opts = stdin_opts,
    .source = &stdin_source_vtab,
    .validate = file_validate,
};

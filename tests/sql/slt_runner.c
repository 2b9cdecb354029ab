/*
 * slt_runner.c -- runs a streaming sqllogictest file through the public C
 * API (../shared/TESTING.md section 2).
 *
 * Records, separated by blank lines:
 *
 *   statement ok | statement error <substring>
 *   <sql>
 *
 *   query <types> [rowsort|nosort]
 *   <sql>
 *   ----
 *   <rows: values separated by tabs>
 *
 *   changelog <types> [keyorder(c1,c2,...)]
 *   <sql>
 *   ----
 *   <rows: the row kind (+I -U +U -D), then the values, tab-separated>
 *
 *   sink sqlite <path> <table> <types> [rowsort|nosort]
 *   ----
 *   <rows of the SQLite table>
 *
 * `query` compares the result after folding its changelog (an -U or -D
 * removes the row it retracts); `changelog` compares the rows as emitted,
 * and with keyorder only the order of rows with the same key.  NULL is
 * written NULL and the empty string (empty).  <types> has one letter per
 * column (I integer, R real, T text, B boolean).  Files run with
 * 'parallelism.default' = '1', so that changelogs come in one order; a file
 * may SET another parallelism.  ${DATA}, ${EXAMPLES},
 * ${TESTDATA} and ${TMP} are replaced by directories given on the command
 * line.  Lines starting with '#' are comments.
 *
 * usage: slt_runner FILE.slt --data DIR --examples DIR --testdata DIR --tmp DIR
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "weir.h"

typedef struct strlist {
  char **v;
  int n, cap;
} strlist;

static void sl_push(strlist *l, char *s) {
  if (l->n == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 16;
    l->v = realloc(l->v, sizeof(char *) * (size_t)l->cap);
    if (!l->v) abort();
  }
  l->v[l->n++] = s;
}

static void sl_free(strlist *l) {
  for (int i = 0; i < l->n; i++) free(l->v[i]);
  free(l->v);
  memset(l, 0, sizeof *l);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *subst_keys[4] = {"${DATA}", "${EXAMPLES}", "${TESTDATA}", "${TMP}"};
static const char *subst_vals[4];

static char *substitute(const char *s) {
  size_t cap = strlen(s) * 2 + 256, n = 0;
  char *out = malloc(cap);
  while (*s) {
    int hit = -1;
    for (int k = 0; k < 4; k++) {
      if (subst_vals[k] && strncmp(s, subst_keys[k], strlen(subst_keys[k])) == 0) hit = k;
    }
    if (hit >= 0) {
      size_t vl = strlen(subst_vals[hit]);
      if (n + vl + 1 >= cap) out = realloc(out, cap = (n + vl) * 2 + 16);
      memcpy(out + n, subst_vals[hit], vl);
      n += vl;
      s += strlen(subst_keys[hit]);
      continue;
    }
    if (n + 2 >= cap) out = realloc(out, cap *= 2);
    out[n++] = *s++;
  }
  out[n] = 0;
  return out;
}

static const char *path;
static int failures;

static void fail_at(int line, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "%s:%d: ", path, line);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  failures++;
}

/* One value of the current row as the expected-output text. */
static char *value_text(const char *v) {
  if (!v) return strdup("NULL");
  if (!*v) return strdup("(empty)");
  return strdup(v);
}

static char *join_row(char **vals, int n) {
  size_t len = 1;
  for (int i = 0; i < n; i++) len += strlen(vals[i]) + 1;
  char *s = malloc(len);
  s[0] = 0;
  for (int i = 0; i < n; i++) {
    if (i) strcat(s, "\t");
    strcat(s, vals[i]);
  }
  return s;
}

static const char *const kinds[] = {"+I", "-U", "+U", "-D"};

/* Run sql; collect the rows (with kind prefix when with_kind).  Returns
 * the result code of the last step; *ncol receives the column count. */
static int run_query(weir *db, const char *sql, strlist *rows, int with_kind, int *ncol,
                     int line) {
  weir_stmt *st;
  const char *tail;
  int rc = weir_prepare(db, sql, -1, &st, &tail);
  if (rc != WEIR_OK) return rc;
  if (!st) return WEIR_DONE;
  int n = weir_column_count(st);
  *ncol = n;
  char **vals = calloc((size_t)n + 2, sizeof(char *));
  while ((rc = weir_step(st)) == WEIR_ROW) {
    int k = 0;
    if (with_kind) vals[k++] = strdup(kinds[weir_row_kind(st) & 3]);
    for (int i = 0; i < n; i++) vals[k++] = value_text(weir_column_text(st, i));
    char *row = join_row(vals, k);
    for (int i = 0; i < k; i++) free(vals[i]);
    if (!with_kind) {
      int kind = weir_row_kind(st);
      if (kind == WEIR_UPDATE_BEFORE || kind == WEIR_DELETE) {
        int found = -1;
        for (int i = rows->n - 1; i >= 0; i--) {
          if (strcmp(rows->v[i], row) == 0) {
            found = i;
            break;
          }
        }
        if (found < 0) {
          fail_at(line, "retraction of a row that is not in the result: %s", row);
        } else {
          free(rows->v[found]);
          memmove(rows->v + found, rows->v + found + 1,
                  sizeof(char *) * (size_t)(rows->n - found - 1));
          rows->n--;
        }
        free(row);
        continue;
      }
    }
    sl_push(rows, row);
  }
  free(vals);
  weir_finalize(st);
  if (*tail) {
    while (*tail == ' ' || *tail == '\n' || *tail == '\t' || *tail == '\r') tail++;
    if (*tail) fail_at(line, "a record holds one statement; text after it: %.40s", tail);
  }
  return rc;
}

static void compare(int line, strlist *got, strlist *want, const char *sql) {
  int same = got->n == want->n;
  for (int i = 0; same && i < got->n; i++) same = strcmp(got->v[i], want->v[i]) == 0;
  if (same) return;
  fail_at(line, "result differs for:\n%s\n-- expected (%d rows):", sql, want->n);
  for (int i = 0; i < want->n; i++) fprintf(stderr, "  %s\n", want->v[i]);
  fprintf(stderr, "-- got (%d rows):\n", got->n);
  for (int i = 0; i < got->n; i++) fprintf(stderr, "  %s\n", got->v[i]);
}

/* The key of a changelog row: the kind column is 0, values from 1. */
static char *row_key(const char *row, const int *cols, int ncols) {
  char *copy = strdup(row);
  char *fields[256];
  int nf = 0;
  for (char *p = copy, *f = copy;; p++) {
    if (*p == '\t' || !*p) {
      int end = !*p;
      *p = 0;
      if (nf < 256) fields[nf++] = f;
      f = p + 1;
      if (end) break;
    }
  }
  size_t len = 1;
  for (int i = 0; i < ncols; i++) len += (cols[i] < nf ? strlen(fields[cols[i]]) : 0) + 1;
  char *key = malloc(len);
  key[0] = 0;
  for (int i = 0; i < ncols; i++) {
    if (i) strcat(key, "\t");
    if (cols[i] < nf) strcat(key, fields[cols[i]]);
  }
  free(copy);
  return key;
}

/* Compare changelogs, only ordering rows of equal key. */
static void compare_keyorder(int line, strlist *got, strlist *want, const int *cols, int ncols,
                             const char *sql) {
  /* Stable sort both by key, then compare: equal iff same per-key
   * sequences. */
  strlist g = {0}, w = {0};
  for (int pass = 0; pass < 2; pass++) {
    strlist *src = pass ? want : got, *dst = pass ? &w : &g;
    int n = src->n;
    char **keys = calloc((size_t)n + 1, sizeof(char *));
    int *idx = calloc((size_t)n + 1, sizeof(int));
    for (int i = 0; i < n; i++) {
      keys[i] = row_key(src->v[i], cols, ncols);
      idx[i] = i;
    }
    /* insertion sort by key: stable */
    for (int i = 1; i < n; i++) {
      int x = idx[i], j = i - 1;
      while (j >= 0 && strcmp(keys[idx[j]], keys[x]) > 0) {
        idx[j + 1] = idx[j];
        j--;
      }
      idx[j + 1] = x;
    }
    for (int i = 0; i < n; i++) sl_push(dst, strdup(src->v[idx[i]]));
    for (int i = 0; i < n; i++) free(keys[i]);
    free(keys);
    free(idx);
  }
  compare(line, &g, &w, sql);
  sl_free(&g);
  sl_free(&w);
}

static int read_sink(int line, const char *db_path, const char *table, strlist *rows) {
  sqlite3 *db;
  if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
    fail_at(line, "cannot open sink database %s: %s", db_path, sqlite3_errmsg(db));
    sqlite3_close(db);
    return -1;
  }
  char sql[512];
  snprintf(sql, sizeof sql, "SELECT * FROM \"%s\"", table);
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
    fail_at(line, "cannot read sink table %s: %s", table, sqlite3_errmsg(db));
    sqlite3_close(db);
    return -1;
  }
  int n = sqlite3_column_count(st);
  char **vals = calloc((size_t)n + 1, sizeof(char *));
  while (sqlite3_step(st) == SQLITE_ROW) {
    for (int i = 0; i < n; i++) vals[i] = value_text((const char *)sqlite3_column_text(st, i));
    sl_push(rows, join_row(vals, n));
    for (int i = 0; i < n; i++) free(vals[i]);
  }
  free(vals);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

/* Read the lines of a record's body up to a blank line (or "----"). */
static int read_block(char **lines, int nlines, int *i, strlist *out, int stop_at_dashes) {
  while (*i < nlines) {
    char *l = lines[*i];
    if (!*l) break;
    if (stop_at_dashes && strcmp(l, "----") == 0) return 1;
    sl_push(out, strdup(l));
    (*i)++;
  }
  return 0;
}

static char *join_lines(strlist *l) {
  size_t len = 1;
  for (int i = 0; i < l->n; i++) len += strlen(l->v[i]) + 1;
  char *s = malloc(len);
  s[0] = 0;
  for (int i = 0; i < l->n; i++) {
    strcat(s, l->v[i]);
    if (i + 1 < l->n) strcat(s, "\n");
  }
  return s;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: slt_runner FILE.slt [--data DIR] [--examples DIR] [--testdata DIR] "
                    "[--tmp DIR]\n");
    return 2;
  }
  path = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--data") == 0) subst_vals[0] = argv[i + 1];
    if (strcmp(argv[i], "--examples") == 0) subst_vals[1] = argv[i + 1];
    if (strcmp(argv[i], "--testdata") == 0) subst_vals[2] = argv[i + 1];
    if (strcmp(argv[i], "--tmp") == 0) subst_vals[3] = argv[i + 1];
  }
  if (subst_vals[3]) mkdir(subst_vals[3], 0755);
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "%s: %s\n", path, strerror(errno));
    return 2;
  }
  /* Lines, with ${...} substituted and line ends removed. */
  char **lines = NULL;
  int nlines = 0, cap = 0;
  char buf[65536];
  while (fgets(buf, sizeof buf, f)) {
    size_t l = strlen(buf);
    while (l && (buf[l - 1] == '\n' || buf[l - 1] == '\r')) buf[--l] = 0;
    if (nlines == cap) lines = realloc(lines, sizeof(char *) * (size_t)(cap = cap ? cap * 2 : 256));
    lines[nlines++] = substitute(buf);
  }
  fclose(f);

  weir *db;
  if (weir_open(NULL, &db) != WEIR_OK ||
      weir_exec(db, "SET 'parallelism.default' = '1';", NULL, NULL, NULL) != WEIR_OK) {
    fprintf(stderr, "weir_open failed: %s\n", weir_errmsg(db));
    return 2;
  }
  int records = 0;
  int i = 0;
  while (i < nlines) {
    char *l = lines[i];
    if (!*l || l[0] == '#') {
      i++;
      continue;
    }
    int rec_line = i + 1;
    char head[4096];
    snprintf(head, sizeof head, "%s", l);
    i++;
    char *words[16] = {0};
    int nw = 0;
    for (char *t = strtok(head, " \t"); t && nw < 16; t = strtok(NULL, " \t")) words[nw++] = t;
    records++;
    strlist body = {0}, want = {0}, got = {0};
    if (strcmp(words[0], "statement") == 0) {
      read_block(lines, nlines, &i, &body, 0);
      char *sql = join_lines(&body);
      int ncol = 0;
      int rc = run_query(db, sql, &got, 1, &ncol, rec_line);
      int ok = rc == WEIR_DONE || rc == WEIR_OK;
      if (nw >= 2 && strcmp(words[1], "ok") == 0) {
        if (!ok) fail_at(rec_line, "statement failed: %s\n%s", weir_errmsg(db), sql);
      } else if (nw >= 2 && strcmp(words[1], "error") == 0) {
        /* The expected substring is the rest of the header line. */
        const char *want_msg = strstr(lines[rec_line - 1], "error") + 5;
        while (*want_msg == ' ') want_msg++;
        if (ok)
          fail_at(rec_line, "statement succeeded but an error was expected:\n%s", sql);
        else if (*want_msg && !strstr(weir_errmsg(db), want_msg))
          fail_at(rec_line, "error message \"%s\" does not contain \"%s\"", weir_errmsg(db),
                  want_msg);
      } else {
        fail_at(rec_line, "unknown record: %s", lines[rec_line - 1]);
      }
      free(sql);
    } else if (strcmp(words[0], "query") == 0 || strcmp(words[0], "changelog") == 0) {
      int is_changelog = words[0][0] == 'c';
      if (!read_block(lines, nlines, &i, &body, 1)) {
        fail_at(rec_line, "%s record without ----", words[0]);
        sl_free(&body);
        continue;
      }
      i++; /* ---- */
      read_block(lines, nlines, &i, &want, 0);
      char *sql = join_lines(&body);
      const char *types = nw >= 2 ? words[1] : "";
      int ncol = 0;
      int rc = run_query(db, sql, &got, is_changelog, &ncol, rec_line);
      if (rc != WEIR_DONE && rc != WEIR_OK) {
        fail_at(rec_line, "query failed: %s\n%s", weir_errmsg(db), sql);
      } else {
        if ((int)strlen(types) != ncol)
          fail_at(rec_line, "query returns %d columns, the record says %d (%s)", ncol,
                  (int)strlen(types), types);
        const char *mode = nw >= 3 ? words[2] : "nosort";
        if (!is_changelog && strcmp(mode, "rowsort") == 0) {
          if (got.n > 1) qsort(got.v, (size_t)got.n, sizeof(char *), cmp_str);
          if (want.n > 1) qsort(want.v, (size_t)want.n, sizeof(char *), cmp_str);
        }
        if (is_changelog && strncmp(mode, "keyorder(", 9) == 0) {
          int cols[64], nc = 0;
          for (char *p = (char *)mode + 9; *p && *p != ')' && nc < 64;) {
            cols[nc++] = (int)strtol(p, &p, 10);
            if (*p == ',') p++;
          }
          compare_keyorder(rec_line, &got, &want, cols, nc, sql);
        } else {
          compare(rec_line, &got, &want, sql);
        }
      }
      free(sql);
    } else if (strcmp(words[0], "sink") == 0 && nw >= 5 && strcmp(words[1], "sqlite") == 0) {
      if (i < nlines && strcmp(lines[i], "----") == 0) i++;
      read_block(lines, nlines, &i, &want, 0);
      int n = read_sink(rec_line, words[2], words[3], &got);
      if (n >= 0) {
        if ((int)strlen(words[4]) != n)
          fail_at(rec_line, "sink table has %d columns, the record says %d", n,
                  (int)strlen(words[4]));
        if (nw < 6 || strcmp(words[5], "rowsort") == 0) {
          if (got.n > 1) qsort(got.v, (size_t)got.n, sizeof(char *), cmp_str);
          if (want.n > 1) qsort(want.v, (size_t)want.n, sizeof(char *), cmp_str);
        }
        compare(rec_line, &got, &want, words[3]);
      }
    } else if (strcmp(words[0], "control") == 0) {
      fail_at(rec_line, "control records (%s) are not supported by this runner yet",
              nw > 1 ? words[1] : "?");
    } else {
      fail_at(rec_line, "unknown record: %s", lines[rec_line - 1]);
    }
    sl_free(&body);
    sl_free(&want);
    sl_free(&got);
  }
  weir_close(db);
  for (int k = 0; k < nlines; k++) free(lines[k]);
  free(lines);
  if (records == 0) {
    fprintf(stderr, "%s: no records\n", path);
    return 1;
  }
  if (failures) {
    fprintf(stderr, "%s: %d of %d records failed\n", path, failures, records);
    return 1;
  }
  printf("%s: %d records passed\n", path, records);
  return 0;
}

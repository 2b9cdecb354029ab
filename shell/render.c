/*
 * render.c -- prints result rows as they arrive.
 *
 * tableau (the default): a boxed table like Flink's SQL client; the first
 * rows (up to 200, or all of a short result) are buffered to size the
 * columns, later rows keep those widths.  csv: RFC 4180 with a header.
 * list: values separated by '|', as sqlite3 prints them.  Updating results
 * get a first column "op" with the row kind (+I, -U, +U, -D).
 */
#include <stdlib.h>
#include <string.h>

#include "shell/shell.h"

#define BUFFER_ROWS 200

static const char *const kinds[] = {"+I", "-U", "+U", "-D"};

typedef struct table {
  int ncol; /* including the op column */
  int op;   /* has an op column */
  int *width;
  int *right; /* right-align (numbers) */
  char **names;
  char ***rows; /* buffered rows */
  int nrows;
  int printed_header;
  long total;
} table;

/* Width of UTF-8 text in characters. */
static int text_width(const char *s) {
  int w = 0;
  for (; *s; s++) w += ((unsigned char)*s & 0xC0) != 0x80;
  return w;
}

static void pad(FILE *out, int n) {
  for (int i = 0; i < n; i++) fputc(' ', out);
}

static void rule(table *t, FILE *out) {
  fputc('+', out);
  for (int j = 0; j < t->ncol; j++) {
    for (int i = 0; i < t->width[j] + 2; i++) fputc('-', out);
    fputc('+', out);
  }
  fputc('\n', out);
}

static void cells(table *t, char **vals, FILE *out, int header) {
  fputc('|', out);
  for (int j = 0; j < t->ncol; j++) {
    const char *v = vals[j] ? vals[j] : "NULL";
    int w = text_width(v);
    fputc(' ', out);
    if (t->right[j] && !header) pad(out, t->width[j] - w);
    fputs(v, out);
    if (!t->right[j] || header) pad(out, t->width[j] - w);
    fputs(" |", out);
  }
  fputc('\n', out);
}

static void print_header(table *t, FILE *out) {
  for (int r = 0; r < t->nrows; r++) {
    for (int j = 0; j < t->ncol; j++) {
      int w = t->rows[r][j] ? text_width(t->rows[r][j]) : 4;
      if (w > t->width[j]) t->width[j] = w;
    }
  }
  rule(t, out);
  cells(t, t->names, out, 1);
  rule(t, out);
  for (int r = 0; r < t->nrows; r++) {
    cells(t, t->rows[r], out, 0);
    for (int j = 0; j < t->ncol; j++) free(t->rows[r][j]);
    free(t->rows[r]);
  }
  t->nrows = 0;
  t->printed_header = 1;
  fflush(out);
}

static void csv_field(FILE *out, const char *v) {
  if (!v) return;
  if (strpbrk(v, ",\"\n\r")) {
    fputc('"', out);
    for (; *v; v++) {
      if (*v == '"') fputc('"', out);
      fputc(*v, out);
    }
    fputc('"', out);
  } else {
    fputs(v, out);
  }
}

int shell_render(shell *sh, weir_stmt *st, FILE *out) {
  int n = weir_column_count(st);
  int op = weir_stmt_is_updating(st);
  table t;
  memset(&t, 0, sizeof t);
  t.op = op;
  t.ncol = n + op;
  t.width = calloc((size_t)t.ncol + 1, sizeof(int));
  t.right = calloc((size_t)t.ncol + 1, sizeof(int));
  t.names = calloc((size_t)t.ncol + 1, sizeof(char *));
  t.rows = calloc(BUFFER_ROWS, sizeof(char **));
  if (op) t.names[0] = "op";
  for (int j = 0; j < n; j++) {
    t.names[op + j] = (char *)weir_column_name(st, j);
    int ty = weir_column_type(st, j);
    t.right[op + j] = ty == WEIR_TYPE_INT || ty == WEIR_TYPE_BIGINT || ty == WEIR_TYPE_DOUBLE;
  }
  for (int j = 0; j < t.ncol; j++) t.width[j] = text_width(t.names[j]);
  if (sh->mode != MODE_TABLEAU) {
    for (int j = 0; j < t.ncol; j++) {
      if (j) fputc(sh->mode == MODE_CSV ? ',' : '|', out);
      if (sh->mode == MODE_CSV)
        csv_field(out, t.names[j]);
      else
        fputs(t.names[j], out);
    }
    fputc('\n', out);
  }
  int rc;
  char **vals = calloc((size_t)t.ncol + 1, sizeof(char *));
  while ((rc = weir_step(st)) == WEIR_ROW) {
    t.total++;
    if (op) vals[0] = (char *)kinds[weir_row_kind(st) & 3];
    for (int j = 0; j < n; j++) vals[op + j] = (char *)weir_column_text(st, j);
    if (sh->mode == MODE_TABLEAU) {
      if (t.printed_header) {
        cells(&t, vals, out, 0);
        fflush(out);
      } else {
        char **copy = calloc((size_t)t.ncol, sizeof(char *));
        for (int j = 0; j < t.ncol; j++) copy[j] = vals[j] ? strdup(vals[j]) : NULL;
        t.rows[t.nrows++] = copy;
        if (t.nrows == BUFFER_ROWS) print_header(&t, out);
      }
    } else {
      for (int j = 0; j < t.ncol; j++) {
        if (j) fputc(sh->mode == MODE_CSV ? ',' : '|', out);
        if (sh->mode == MODE_CSV)
          csv_field(out, vals[j]);
        else
          fputs(vals[j] ? vals[j] : "NULL", out);
      }
      fputc('\n', out);
      fflush(out);
    }
  }
  if (sh->mode == MODE_TABLEAU) {
    if (t.total > 0 || rc == WEIR_DONE) {
      if (!t.printed_header) print_header(&t, out);
      rule(&t, out);
      fprintf(out, "%ld row%s in set\n", t.total, t.total == 1 ? "" : "s");
    } else if (t.nrows) {
      print_header(&t, out);
    }
  }
  for (int r = 0; r < t.nrows; r++) {
    for (int j = 0; j < t.ncol; j++) free(t.rows[r][j]);
    free(t.rows[r]);
  }
  fflush(out);
  free(vals);
  free(t.rows);
  free(t.names);
  free(t.width);
  free(t.right);
  return rc;
}

int shell_set_mode(shell *sh, const char *name) {
  if (strcmp(name, "tableau") == 0 || strcmp(name, "table") == 0)
    sh->mode = MODE_TABLEAU;
  else if (strcmp(name, "csv") == 0)
    sh->mode = MODE_CSV;
  else if (strcmp(name, "list") == 0)
    sh->mode = MODE_LIST;
  else
    return -1;
  return 0;
}

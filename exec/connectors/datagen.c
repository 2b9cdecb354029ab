/*
 * datagen.c -- the data generator source ('connector' = 'datagen'), after
 * Flink's connector of the same name: rows of random or sequential values,
 * at a given rate, bounded or not.
 *
 * Options: 'rows-per-second' (default 10000, 0 = as fast as possible),
 * 'number-of-rows' (default: unbounded), 'seed' (default 0), and per
 * column 'fields.<col>.kind' = 'random' (default) or 'sequence', with
 * 'fields.<col>.min' / '.max' for random numbers (defaults 0 and 1000000),
 * '.length' for random strings (default 16), and '.start' / '.end' for
 * sequences (both required; the source ends when a sequence is exhausted).
 * Random TIMESTAMP columns hold the wall-clock time of generation, as in
 * Flink; every other value of row i is drawn from a PRNG seeded with
 * (seed, i, column), so a run is reproducible and independent of the
 * parallelism: subtask s of p generates rows s, s + p, s + 2p, ...  The rate
 * is shared between the subtasks; pacing uses the task's resume time, so a
 * waiting source sleeps rather than spins.
 *
 * Entry point: weir__connector_datagen.
 */
#include <stdio.h>
#include <strings.h>
#include <time.h>

#include "exec/execInt.h"

static const weir__opt_spec datagen_opts[] = {{"connector", OPT_STRING, 1, NULL, NULL},
                                              {"rows-per-second", OPT_INT, 0, NULL, "10000"},
                                              {"number-of-rows", OPT_INT, 0, NULL, NULL},
                                              {"seed", OPT_INT, 0, NULL, "0"},
                                              WEIR_SOURCE_OPTS,
                                              {NULL, 0, 0, NULL, NULL}};

static const char *const field_props[] = {"kind", "min", "max", "length", "start", "end"};

/* The column named by "fields.<col>.<prop>", and the property's index; -1 if the key
 * is not of that form or names no column or property. */
static int field_key(const weir__table *t, const char *key, int *prop) {
  if (strncmp(key, "fields.", 7) != 0) return -1;
  const char *name = key + 7, *dot = strrchr(name, '.');
  if (!dot || dot == name) return -1;
  *prop = -1;
  for (int i = 0; i < WEIR_ARRAY_LEN(field_props); i++)
    if (strcmp(dot + 1, field_props[i]) == 0) *prop = i;
  if (*prop < 0) return -1;
  for (int c = 0; c < t->ncol; c++)
    if (!t->cols[c].computed && strlen(t->cols[c].name) == (size_t)(dot - name) &&
        strncasecmp(t->cols[c].name, name, (size_t)(dot - name)) == 0)
      return c;
  return -1;
}

static const char *field_opt(const weir__table *t, int col, const char *prop) {
  char key[300];
  snprintf(key, sizeof key, "fields.%s.%s", t->cols[col].name, prop);
  for (int i = 0; i < t->nopt; i++)
    if (strcasecmp(t->opt_keys[i], key) == 0) return t->opt_values[i];
  return NULL;
}

static int is_sequence(const weir__table *t, int col) {
  const char *k = field_opt(t, col, "kind");
  return k && strcmp(k, "sequence") == 0;
}

static int datagen_validate(weir__table *t, weir__err *err) {
  /* The fixed options, checked on a view of t without the fields.* keys. */
  weir__table view = *t;
  char **keys = weir__calloc((size_t)t->nopt + 1, sizeof(char *));
  char **values = weir__calloc((size_t)t->nopt + 1, sizeof(char *));
  if (!keys || !values) {
    weir__free(keys);
    weir__free(values);
    return weir__err_nomem(err);
  }
  view.nopt = 0;
  int rc = WEIR_OK;
  for (int i = 0; i < t->nopt && !rc; i++) {
    int prop;
    if (strncmp(t->opt_keys[i], "fields.", 7) != 0) {
      keys[view.nopt] = t->opt_keys[i];
      values[view.nopt++] = t->opt_values[i];
      continue;
    }
    int col = field_key(t, t->opt_keys[i], &prop);
    const char *v = t->opt_values[i];
    int64_t x;
    if (col < 0)
      rc = weir__err_set(err, WEIR_ERROR, -1,
                         "table '%s': unsupported option '%s' for connector 'datagen'; per "
                         "column: 'fields.<column>.kind|min|max|length|start|end'",
                         t->name, t->opt_keys[i]);
    else if (prop == 0 && strcmp(v, "random") && strcmp(v, "sequence"))
      rc = weir__err_set(err, WEIR_ERROR, -1,
                         "table '%s': option '%s' must be 'random' or 'sequence', got '%s'",
                         t->name, t->opt_keys[i], v);
    else if (prop > 0 && weir__parse_int64(v, strlen(v), &x))
      rc = weir__err_set(err, WEIR_ERROR, -1, "table '%s': option '%s' needs an integer, got '%s'",
                         t->name, t->opt_keys[i], v);
    else if (prop == 3 && (x < 0 || x > 65536))
      rc = weir__err_set(err, WEIR_ERROR, -1,
                         "table '%s': option '%s' must be between 0 and 65536, got '%s'", t->name,
                         t->opt_keys[i], v);
  }
  view.opt_keys = keys;
  view.opt_values = values;
  const weir__opt_spec *lists[] = {datagen_opts};
  if (!rc) rc = weir__opt_check(&view, "connector 'datagen'", err, lists, 1);
  weir__free(keys);
  weir__free(values);
  if (rc) return err->code;
  for (int c = 0; c < t->ncol && !rc; c++) {
    if (t->cols[c].computed) continue;
    int type = t->cols[c].type;
    int numeric = weir__type_is_integer(type) || type == WEIR_TYPE_DOUBLE;
    if (is_sequence(t, c)) {
      const char *s = field_opt(t, c, "start"), *e = field_opt(t, c, "end");
      int64_t a, b;
      if (!weir__type_is_integer(type) && type != WEIR_TYPE_VARCHAR)
        rc = weir__err_set(err, WEIR_ERROR, -1,
                           "table '%s': column '%s' of type %s cannot be a sequence (integers "
                           "and VARCHAR can)",
                           t->name, t->cols[c].name, weir__type_name(type));
      else if (!s || !e)
        rc = weir__err_set(err, WEIR_ERROR, -1,
                           "table '%s': the sequence column '%s' needs 'fields.%s.start' and "
                           "'fields.%s.end'",
                           t->name, t->cols[c].name, t->cols[c].name, t->cols[c].name);
      else if (weir__parse_int64(s, strlen(s), &a) || weir__parse_int64(e, strlen(e), &b) ||
               a > b)
        rc = weir__err_set(err, WEIR_ERROR, -1,
                           "table '%s': the sequence of column '%s' needs start <= end", t->name,
                           t->cols[c].name);
    } else if (!numeric && type != WEIR_TYPE_VARCHAR && type != WEIR_TYPE_BOOLEAN &&
               !weir__type_is_time(type)) {
      rc = weir__err_set(err, WEIR_ERROR, -1,
                         "table '%s': connector 'datagen' cannot generate column '%s' of type %s",
                         t->name, t->cols[c].name, weir__type_name(type));
    } else {
      const char *lo = field_opt(t, c, "min"), *hi = field_opt(t, c, "max");
      int64_t a = 0, b = 1000000;
      if (lo) weir__parse_int64(lo, strlen(lo), &a);
      if (hi) weir__parse_int64(hi, strlen(hi), &b);
      if (a > b)
        rc = weir__err_set(err, WEIR_ERROR, -1, "table '%s': column '%s' has min > max", t->name,
                           t->cols[c].name);
    }
  }
  return rc;
}

/* ---- the source ------------------------------------------------------------ */

typedef struct gen_col {
  int out;     /* output column */
  int col;     /* table column: names the column's random stream */
  int type;
  int seq;     /* a sequence? */
  int64_t lo, hi, len;
} gen_col;

typedef struct datagen_src {
  weir__op base;
  gen_col *cols;
  int ncols;
  uint64_t seed;
  int64_t rows;     /* total rows of all subtasks; -1 = unbounded */
  int64_t next;     /* next row number of this subtask */
  int64_t step;     /* the parallelism */
  weir__pacer pace;
  weir__chunk *out;
  weir__interleaved restored; /* restored at another parallelism: rows to skip */
} datagen_src;

/* splitmix64: the PRNG of row i, column c. */
static inline uint64_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static int dg_open(weir__op *op) {
  datagen_src *s = (datagen_src *)op;
  const weir__pop *p = op->plan;
  const weir__table *t = p->table;
  s->seed = (uint64_t)weir__opt_int(t, datagen_opts, "seed");
  s->rows = weir__table_option(t, "number-of-rows") ? weir__opt_int(t, datagen_opts, "number-of-rows")
                                                    : -1;
  s->step = op->nsubtasks > 0 ? op->nsubtasks : 1;
  s->next = op->subtask;
  int64_t rps = weir__opt_int(t, datagen_opts, "rows-per-second");
  s->cols = weir__calloc((size_t)p->nproj + 1, sizeof(gen_col));
  s->out = weir__chunk_new(p->ncol, p->types, WEIR_CHUNK_CAP);
  if (!s->cols || !s->out) return weir__err_nomem(op->err);
  s->ncols = p->nproj;
  for (int k = 0; k < p->nproj; k++) {
    int c = p->proj[k];
    gen_col *g = &s->cols[k];
    g->out = k;
    g->col = c;
    g->type = t->cols[c].type;
    g->seq = is_sequence(t, c);
    const char *v;
    g->lo = 0, g->hi = 1000000, g->len = 16;
    if ((v = field_opt(t, c, g->seq ? "start" : "min"))) weir__parse_int64(v, strlen(v), &g->lo);
    if ((v = field_opt(t, c, g->seq ? "end" : "max"))) weir__parse_int64(v, strlen(v), &g->hi);
    if ((v = field_opt(t, c, "length"))) weir__parse_int64(v, strlen(v), &g->len);
    /* A sequence bounds the number of rows. */
    if (g->seq) {
      int64_t n = g->hi - g->lo + 1;
      if (n > 0 && (s->rows < 0 || n < s->rows)) s->rows = n;
    }
  }
  /* Sequences of unread columns bound the rows too. */
  for (int c = 0; c < t->ncol; c++) {
    if (t->cols[c].computed || !is_sequence(t, c)) continue;
    int64_t a = 0, b = 0;
    const char *v;
    if ((v = field_opt(t, c, "start"))) weir__parse_int64(v, strlen(v), &a);
    if ((v = field_opt(t, c, "end"))) weir__parse_int64(v, strlen(v), &b);
    if (b - a + 1 > 0 && (s->rows < 0 || b - a + 1 < s->rows)) s->rows = b - a + 1;
  }
  weir__pacer_start(&s->pace, rps, (int)s->step);
  return WEIR_OK;
}

static void gen_value(datagen_src *s, const gen_col *g, int64_t i, int r, int64_t now_ms) {
  weir__vec *v = &s->out->cols[g->out];
  uint64_t z = mix(s->seed ^ mix((uint64_t)i * 0x9e3779b97f4a7c15ULL + (uint64_t)g->col + 1));
  if (g->type == WEIR_TYPE_VARCHAR) {
    char buf[32];
    int n;
    if (g->seq) {
      n = snprintf(buf, sizeof buf, "%lld", (long long)(g->lo + i));
      WEIR_VEC_STR(v)[r].p = weir__chunk_strdup(s->out, buf, (size_t)n);
      WEIR_VEC_STR(v)[r].n = (uint32_t)n;
      return;
    }
    char *p = weir__arena_alloc(&s->out->arena, (size_t)g->len + 1);
    if (!p) {
      WEIR_VEC_STR(v)[r] = (weir__str){"", 0};
      return;
    }
    static const char alnum[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    for (int64_t k = 0; k < g->len; k++) {
      if (k % 10 == 0) z = mix(z + (uint64_t)k);
      p[k] = alnum[(z >> (6 * (k % 10))) % 62];
    }
    WEIR_VEC_STR(v)[r] = (weir__str){p, (uint32_t)g->len};
    return;
  }
  if (g->type == WEIR_TYPE_DOUBLE) {
    double u = (double)(z >> 11) * 0x1.0p-53;
    WEIR_VEC_F64(v)[r] = (double)g->lo + u * (double)(g->hi - g->lo);
    return;
  }
  int64_t x;
  if (g->seq)
    x = g->lo + i;
  else if (g->type == WEIR_TYPE_BOOLEAN)
    x = (int64_t)(z & 1);
  else if (weir__type_is_time(g->type))
    x = now_ms;
  else
    x = g->lo + (int64_t)(z % (uint64_t)(g->hi - g->lo + 1));
  WEIR_VEC_I64(v)[r] = x;
}

static int dg_poll(weir__op *op) {
  datagen_src *s = (datagen_src *)op;
  weir__chunk *out = s->out;
  weir__chunk_reset(out);
  int64_t limit = weir__pacer_due(&s->pace, op, out->cap);
  if (!limit) return WEIR_OK;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  int64_t now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
  while (out->n < limit) {
    if (s->rows >= 0 && s->next >= s->rows) break;
    if (weir__interleaved_done(&s->restored, s->next)) {
      s->next += s->step;
      continue;
    }
    for (int c = 0; c < s->ncols; c++) gen_value(s, &s->cols[c], s->next, out->n, now_ms);
    out->n++;
    s->next += s->step;
  }
  if (out->n == 0) return WEIR_DONE;
  weir__pacer_count(&s->pace, out->n);
  return weir__op_emit(op, out);
}

static void dg_close(weir__op *op) {
  datagen_src *s = (datagen_src *)op;
  weir__interleaved_free(&s->restored);
  weir__free(s->cols);
  weir__chunk_free(s->out);
}

/* The subtask's position: its next row number. */
static int dg_snapshot(weir__op *op, weir__snap_writer *w) {
  return weir__snap_put_u64(w, (uint64_t)((datagen_src *)op)->next, op->err);
}

static int dg_can_snapshot(weir__op *op) {
  datagen_src *s = (datagen_src *)op;
  return !weir__interleaved_active(&s->restored, s->next);
}

/* Pacing starts afresh from the restored row. */
static int dg_restore(weir__op *op, const weir__restore *rs) {
  datagen_src *s = (datagen_src *)op;
  return weir__interleaved_restore(op, rs, &s->next, &s->restored, op->err);
}

static const weir__op_vtab datagen_vtab = {.name = "DataGenSource",
                                           .size = sizeof(datagen_src),
                                           .open = dg_open,
                                           .poll = dg_poll,
                                           .can_snapshot = dg_can_snapshot,
                                           .snapshot = dg_snapshot,
                                           .restore = dg_restore,
                                           .close = dg_close};

static int datagen_bounded(const weir__table *t) {
  return weir__table_option(t, "number-of-rows") != NULL;
}

const weir__connector weir__connector_datagen = {
    .name = "datagen",
    .caps = WEIR_CAP_SOURCE | WEIR_CAP_BOUNDED | WEIR_CAP_SOURCE_REPLAYABLE,
    .opts = datagen_opts,
    .source = &datagen_vtab,
    .validate = datagen_validate,
    .bounded = datagen_bounded,
};

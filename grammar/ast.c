/*
 * ast.c -- the builders that parse.y's actions call, and the driver that
 * feeds tokens from the lexer into the Lemon parser one statement at a
 * time.
 *
 * Entry point: weir__grammar_parse_one.  Builders allocate from the
 * per-statement arena; on out-of-memory they record WEIR_NOMEM in the
 * parse state's error and return NULL, and every builder accepts NULL
 * inputs, so the driver stops at the next token without crashing.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

#include "grammar/ast.h"
#include "parse.h"

/* Lemon's generated entry points (parse.c). */
void *weir__grammar_parseAlloc(void *(*mallocProc)(size_t), weir__pstate *ps);
void weir__grammar_parseFree(void *p, void (*freeProc)(void *));
void weir__grammar_parse(void *p, int major, weir__tok minor);

static void *palloc(weir__pstate *ps, size_t n) {
  void *p = weir__arena_zalloc(ps->arena, n);
  if (!p) weir__err_nomem(ps->err);
  return p;
}

void weir__text_linecol(const char *text, int off, int *line, int *col) {
  int l = 1, c = 1;
  for (int i = 0; i < off && text[i]; i++) {
    if (text[i] == '\n') {
      l++;
      c = 1;
    } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
      c++; /* count characters, not UTF-8 continuation bytes */
    }
  }
  *line = l;
  *col = c;
}

void weir__ast_syntax_error(weir__pstate *ps, weir__tok tok, int at_end) {
  /* Line and column are added by the API, which knows the whole text. */
  if (at_end || tok.n == 0) {
    weir__err_set(ps->err, WEIR_ERROR, tok.off, "incomplete input: syntax error at end of statement");
  } else {
    weir__err_set(ps->err, WEIR_ERROR, tok.off, "near \"%.*s\": syntax error",
                  tok.n > 40 ? 40 : tok.n, tok.p);
  }
}

/* ---- lists ------------------------------------------------------------- */

weir__alist *weir__alist_add(weir__pstate *ps, weir__alist *l, void *item) {
  if (!l) {
    l = palloc(ps, sizeof *l);
    if (!l) return NULL;
  }
  if (l->n == l->cap) {
    int cap = l->cap ? l->cap * 2 : 4;
    void **v = palloc(ps, (size_t)cap * sizeof(void *));
    if (!v) return l;
    if (l->n) memcpy(v, l->v, (size_t)l->n * sizeof(void *));
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n++] = item;
  return l;
}

weir__alist *weir__alist_new(weir__pstate *ps, void *first) {
  return weir__alist_add(ps, NULL, first);
}

/* ---- identifiers and literals ------------------------------------------ */

weir__tok weir__ast_name(weir__pstate *ps, weir__tok t) {
  if (t.n >= 2 && (t.p[0] == '`' || t.p[0] == '"')) {
    char q = t.p[0];
    weir__tok r = {t.p + 1, t.n - 2, t.off};
    /* Doubled quote characters stand for one. */
    int doubled = 0;
    for (int i = 0; i < r.n; i++) {
      if (r.p[i] == q) doubled = 1;
    }
    if (!doubled) return r;
    char *buf = palloc(ps, (size_t)r.n + 1);
    if (!buf) return r;
    int k = 0;
    for (int i = 0; i < r.n; i++) {
      buf[k++] = r.p[i];
      if (r.p[i] == q) i++;
    }
    buf[k] = 0;
    r.p = buf;
    r.n = k;
    return r;
  }
  return t;
}

char *weir__ast_ident(weir__pstate *ps, weir__tok t) {
  weir__tok n = weir__ast_name(ps, t);
  char *s = weir__arena_strndup(ps->arena, n.p ? n.p : "", (size_t)n.n);
  if (!s) weir__err_nomem(ps->err);
  return s;
}

weir__tok weir__ast_string_tok(weir__pstate *ps, weir__tok t) {
  char *v = weir__ast_string(ps, t);
  weir__tok r = {v ? v : "", v ? (int)strlen(v) : 0, t.off};
  return r;
}

char *weir__ast_string(weir__pstate *ps, weir__tok t) {
  /* t includes the quotes; '' stands for one quote. */
  int n = t.n >= 2 ? t.n - 2 : 0;
  char *buf = palloc(ps, (size_t)n + 1);
  if (!buf) return NULL;
  int k = 0;
  for (int i = 0; i < n; i++) {
    char c = t.p[1 + i];
    buf[k++] = c;
    if (c == '\'') i++;
  }
  buf[k] = 0;
  return buf;
}

weir__tok *weir__ast_tokp(weir__pstate *ps, weir__tok t) {
  weir__tok *p = palloc(ps, sizeof *p);
  if (p) *p = t;
  return p;
}

/* ---- expressions ------------------------------------------------------- */

weir__ast *weir__ast_new(weir__pstate *ps, int kind, int off) {
  weir__ast *a = palloc(ps, sizeof *a);
  if (!a) return NULL;
  a->kind = kind;
  a->off = off;
  a->end = off;
  a->name.off = -1;
  a->qual.off = -1;
  return a;
}

static int tok_end(weir__tok t) { return t.off + t.n; }

/* End offset of an identifier as written: a quoted one ends after its
 * closing quote, which its (unquoted) token does not cover. */
static int name_end(weir__pstate *ps, weir__tok t) {
  if (t.off < 0 || t.off >= ps->sql_len) return tok_end(t);
  char q = ps->sql[t.off];
  if (q != '`' && q != '"') return tok_end(t);
  int i = t.off + 1;
  while (i < ps->sql_len) {
    if (ps->sql[i] == q) {
      if (i + 1 < ps->sql_len && ps->sql[i + 1] == q) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return ps->sql_len;
}

weir__ast *weir__ast_binary(weir__pstate *ps, int op, weir__ast *x, weir__ast *y) {
  if (!x || !y) return NULL;
  weir__ast *a = weir__ast_new(ps, AST_BINARY, x->off);
  if (!a) return NULL;
  a->op = op;
  a->a = x;
  a->b = y;
  a->end = y->end;
  return a;
}

weir__ast *weir__ast_unary(weir__pstate *ps, int op, weir__tok t, weir__ast *x) {
  if (!x) return NULL;
  weir__ast *a = weir__ast_new(ps, AST_UNARY, t.off);
  if (!a) return NULL;
  a->op = op;
  a->a = x;
  a->end = x->end;
  return a;
}

weir__ast *weir__ast_paren(weir__pstate *ps, weir__tok lp, weir__ast *x, weir__tok rp) {
  (void)ps;
  if (!x) return NULL;
  x->off = lp.off;
  x->end = tok_end(rp);
  return x;
}

weir__ast *weir__ast_column(weir__pstate *ps, weir__tok qual, weir__tok name) {
  weir__ast *a = weir__ast_new(ps, AST_COLUMN, qual.n ? qual.off : name.off);
  if (!a) return NULL;
  a->name = name;
  a->qual = qual;
  a->end = name_end(ps, name);
  return a;
}

weir__ast *weir__ast_star(weir__pstate *ps, weir__tok qual, weir__tok star) {
  weir__ast *a = weir__ast_new(ps, AST_STAR, qual.n ? qual.off : star.off);
  if (!a) return NULL;
  a->qual = qual;
  a->end = tok_end(star);
  return a;
}

weir__ast *weir__ast_literal(weir__pstate *ps, int kind, weir__tok t) {
  weir__ast *a = weir__ast_new(ps, kind, t.off);
  if (!a) return NULL;
  a->end = tok_end(t);
  switch (kind) {
  case AST_LIT_BOOL:
    a->ival = (t.p[0] == 't' || t.p[0] == 'T');
    break;
  case AST_LIT_INT:
    if (weir__parse_int64(t.p, (size_t)t.n, &a->ival)) {
      /* Too big for BIGINT: keep it as an approximate number, as SQL
       * engines do for out-of-range integer literals. */
      a->kind = AST_LIT_DOUBLE;
      weir__parse_double(t.p, (size_t)t.n, &a->dval);
    }
    break;
  case AST_LIT_DOUBLE:
    if (weir__parse_double(t.p, (size_t)t.n, &a->dval)) {
      weir__err_set(ps->err, WEIR_ERROR, t.off, "numeric literal %.*s is out of range", t.n, t.p);
    }
    break;
  case AST_LIT_STRING:
    a->sval = weir__ast_string(ps, t);
    a->slen = a->sval ? (int)strlen(a->sval) : 0;
    /* A string literal may contain NUL only through '' tricks, which
     * cannot produce NUL; strlen is exact. */
    break;
  default:
    break;
  }
  return a;
}

/* Units of an interval literal and their length in milliseconds. */
static const struct {
  const char *name;
  int64_t ms;
} interval_units[] = {
    {"MILLISECOND", 1}, {"SECOND", 1000},    {"MINUTE", 60000},
    {"HOUR", 3600000},  {"DAY", 86400000},   {"WEEK", 7 * 86400000LL},
};

weir__ast *weir__ast_interval(weir__pstate *ps, weir__tok kw, weir__tok value, weir__tok unit) {
  weir__ast *a = weir__ast_new(ps, AST_LIT_INTERVAL, kw.off);
  if (!a) return NULL;
  a->end = tok_end(unit);
  char *text = weir__ast_string(ps, value);
  if (!text) return a;
  int64_t ms = -1;
  for (int i = 0; i < WEIR_ARRAY_LEN(interval_units); i++) {
    if (weir__strnicmp_eq(unit.p, (size_t)unit.n, interval_units[i].name)) ms = interval_units[i].ms;
  }
  if (ms < 0) {
    if (weir__strnicmp_eq(unit.p, (size_t)unit.n, "YEAR") ||
        weir__strnicmp_eq(unit.p, (size_t)unit.n, "MONTH")) {
      weir__err_set(ps->err, WEIR_UNSUPPORTED, unit.off,
                    "INTERVAL ... %.*s is not supported yet: only day-time intervals "
                    "(MILLISECOND, SECOND, MINUTE, HOUR, DAY) are",
                    unit.n, unit.p);
    } else {
      weir__err_set(ps->err, WEIR_ERROR, unit.off,
                    "unknown interval unit \"%.*s\": expected SECOND, MINUTE, HOUR or DAY", unit.n,
                    unit.p);
    }
    return a;
  }
  /* The value is an integer, or for SECOND a decimal with up to three
   * fraction digits. */
  int64_t v;
  if (weir__parse_int64(text, strlen(text), &v) == 0) {
    if (v > INT64_MAX / ms || v < INT64_MIN / ms) {
      weir__err_set(ps->err, WEIR_RANGE, value.off, "interval '%s' is out of range", text);
      return a;
    }
    a->ival = v * ms;
    return a;
  }
  double d;
  if (ms >= 1000 && weir__parse_double(text, strlen(text), &d) == 0 && d * ms < 9.2e18 &&
      d * ms > -9.2e18) {
    double total = d * (double)ms;
    if (total == (double)(int64_t)total) {
      a->ival = (int64_t)total;
      return a;
    }
  }
  weir__err_set(ps->err, WEIR_ERROR, value.off, "invalid interval value '%s' for unit %.*s", text,
                unit.n, unit.p);
  return a;
}

weir__ast *weir__ast_typed_literal(weir__pstate *ps, int kind, weir__tok kw, weir__tok value) {
  weir__ast *a = weir__ast_new(ps, kind, kw.off);
  if (!a) return NULL;
  a->end = tok_end(value);
  char *text = weir__ast_string(ps, value);
  if (!text) return a;
  if (kind == AST_LIT_TIMESTAMP) {
    if (weir__time_parse_ts(text, strlen(text), &a->ival)) {
      weir__err_set(ps->err, WEIR_ERROR, value.off,
                    "invalid TIMESTAMP literal '%s': expected 'YYYY-MM-DD HH:MM:SS[.fff]'", text);
    }
  } else {
    if (weir__time_parse_date(text, strlen(text), &a->ival)) {
      weir__err_set(ps->err, WEIR_ERROR, value.off,
                    "invalid DATE literal '%s': expected 'YYYY-MM-DD'", text);
    }
  }
  return a;
}

weir__ast *weir__ast_func(weir__pstate *ps, weir__tok name, weir__alist *args, int flags,
                          weir__tok rp) {
  weir__ast *a = weir__ast_new(ps, AST_FUNC, name.off);
  if (!a) return NULL;
  a->name = name;
  a->list = args;
  a->flags = flags;
  a->end = tok_end(rp);
  return a;
}

weir__ast *weir__ast_func_filter(weir__pstate *ps, weir__ast *f, weir__ast *cond, weir__tok rp) {
  (void)ps;
  if (!f || !cond) return NULL;
  f->filter = cond;
  f->end = tok_end(rp);
  return f;
}

weir__ast *weir__ast_case(weir__pstate *ps, weir__tok kw, weir__ast *operand, weir__alist *whens,
                          weir__ast *els, weir__tok endkw) {
  weir__ast *a = weir__ast_new(ps, AST_CASE, kw.off);
  if (!a) return NULL;
  a->a = operand;
  a->list = whens;
  a->b = els;
  a->end = tok_end(endkw);
  return a;
}

weir__ast *weir__ast_cast(weir__pstate *ps, weir__tok kw, weir__ast *x, weir__typespec t,
                          weir__tok rp, int try_) {
  if (!x) return NULL;
  weir__ast *a = weir__ast_new(ps, AST_CAST, kw.off);
  if (!a) return NULL;
  a->a = x;
  a->tspec = t;
  a->flags = try_ ? AST_F_TRY : 0;
  a->end = tok_end(rp);
  return a;
}

weir__ast *weir__ast_is_null(weir__pstate *ps, weir__ast *x, int not_, weir__tok last) {
  if (!x) return NULL;
  weir__ast *a = weir__ast_new(ps, AST_IS_NULL, x->off);
  if (!a) return NULL;
  a->a = x;
  a->flags = not_ ? AST_F_NOT : 0;
  a->end = tok_end(last);
  return a;
}

weir__ast *weir__ast_between(weir__pstate *ps, weir__ast *x, weir__ast *lo, weir__ast *hi,
                             int not_) {
  if (!x || !lo || !hi) return NULL;
  weir__ast *a = weir__ast_new(ps, AST_BETWEEN, x->off);
  if (!a) return NULL;
  a->a = x;
  a->b = lo;
  a->c = hi;
  a->flags = not_ ? AST_F_NOT : 0;
  a->end = hi->end;
  return a;
}

weir__ast *weir__ast_in(weir__pstate *ps, weir__ast *x, weir__alist *list, int not_,
                        weir__tok rp) {
  if (!x) return NULL;
  weir__ast *a = weir__ast_new(ps, AST_IN, x->off);
  if (!a) return NULL;
  a->a = x;
  a->list = list;
  a->flags = not_ ? AST_F_NOT : 0;
  a->end = tok_end(rp);
  return a;
}

weir__ast *weir__ast_like(weir__pstate *ps, weir__ast *x, weir__ast *pat, weir__ast *esc,
                          int not_) {
  if (!x || !pat) return NULL;
  weir__ast *a = weir__ast_new(ps, AST_LIKE, x->off);
  if (!a) return NULL;
  a->a = x;
  a->b = pat;
  a->c = esc;
  a->flags = not_ ? AST_F_NOT : 0;
  a->end = esc ? esc->end : pat->end;
  return a;
}

/* ---- types ------------------------------------------------------------- */

weir__typespec weir__ast_notype(void) {
  weir__typespec t = {WEIR_TYPE_NULL, 0, 0, -1};
  return t;
}

static int tok_int(weir__tok t) {
  int64_t v;
  if (!t.p || weir__parse_int64(t.p, (size_t)t.n, &v) || v > 1000000000) return -1;
  return (int)v;
}

weir__typespec weir__ast_type(weir__pstate *ps, weir__tok name, weir__tok name2, int nargs,
                              weir__tok arg1, weir__tok arg2, int ltz) {
  weir__typespec t = {WEIR_TYPE_NULL, -1, -1, name.off};
  const char *p = name.p;
  size_t n = (size_t)name.n;
#define IS(s) weir__strnicmp_eq(p, n, s)
  if (name2.n) {
    if (IS("DOUBLE") && weir__strnicmp_eq(name2.p, (size_t)name2.n, "PRECISION")) {
      t.type = WEIR_TYPE_DOUBLE;
      return t;
    }
    weir__err_set(ps->err, WEIR_ERROR, name2.off, "unknown type \"%.*s %.*s\"", name.n, name.p,
                  name2.n, name2.p);
    return t;
  }
  if (nargs >= 1) t.prec = tok_int(arg1);
  if (nargs >= 2) t.scale = tok_int(arg2);
  int max_args = 0;
  if (IS("BOOLEAN") || IS("BOOL")) {
    t.type = WEIR_TYPE_BOOLEAN;
  } else if (IS("INT") || IS("INTEGER") || IS("SMALLINT") || IS("TINYINT")) {
    /* SMALLINT and TINYINT are kept as INT: every value they hold fits. */
    t.type = WEIR_TYPE_INT;
  } else if (IS("BIGINT")) {
    t.type = WEIR_TYPE_BIGINT;
  } else if (IS("DOUBLE") || IS("FLOAT") || IS("REAL")) {
    /* FLOAT is kept in double precision: no value it holds is lost. */
    t.type = WEIR_TYPE_DOUBLE;
  } else if (IS("VARCHAR") || IS("STRING") || IS("CHAR") || IS("TEXT")) {
    t.type = WEIR_TYPE_VARCHAR;
    max_args = 1;
  } else if (IS("DATE")) {
    t.type = WEIR_TYPE_DATE;
  } else if (IS("TIMESTAMP")) {
    t.type = ltz ? WEIR_TYPE_TIMESTAMP_LTZ : WEIR_TYPE_TIMESTAMP;
    max_args = 1;
  } else if (IS("TIMESTAMP_LTZ")) {
    t.type = WEIR_TYPE_TIMESTAMP_LTZ;
    max_args = 1;
  } else if (IS("DECIMAL") || IS("NUMERIC") || IS("DEC")) {
    weir__err_set(ps->err, WEIR_UNSUPPORTED, name.off,
                  "type %.*s is not supported yet; use DOUBLE or BIGINT", name.n, name.p);
    return t;
  } else {
    weir__err_set(ps->err, WEIR_ERROR, name.off, "unknown type \"%.*s\"", name.n, name.p);
    return t;
  }
  if (ltz && t.type != WEIR_TYPE_TIMESTAMP_LTZ) {
    weir__err_set(ps->err, WEIR_ERROR, name.off, "WITH LOCAL TIME ZONE applies to TIMESTAMP only");
  } else if (nargs > max_args) {
    weir__err_set(ps->err, WEIR_ERROR, name.off, "type %.*s takes %s", name.n, name.p,
                  max_args ? "one argument" : "no arguments");
  } else if (nargs >= 1 && t.prec < 0) {
    weir__err_set(ps->err, WEIR_ERROR, arg1.off, "invalid type argument %.*s", arg1.n, arg1.p);
  } else if ((t.type == WEIR_TYPE_TIMESTAMP || t.type == WEIR_TYPE_TIMESTAMP_LTZ) && nargs &&
             t.prec > 9) {
    weir__err_set(ps->err, WEIR_ERROR, arg1.off,
                  "TIMESTAMP precision must be between 0 and 9, got %d", t.prec);
  }
#undef IS
  return t;
}

/* ---- CREATE TABLE ------------------------------------------------------ */

weir__ast_celem weir__ast_celem_column(weir__pstate *ps, weir__tok name, weir__typespec t,
                                       weir__ast *computed, int not_null) {
  weir__ast_celem e;
  memset(&e, 0, sizeof e);
  e.kind = CREATE_ELEM_COLUMN;
  e.off = name.off;
  weir__ast_coldef *c = palloc(ps, sizeof *c);
  if (c) {
    c->name = name;
    c->type = t;
    c->computed = computed;
    c->not_null = not_null;
  }
  e.p = c;
  return e;
}

weir__ast_celem weir__ast_celem_watermark(weir__tok kw, weir__tok col, weir__ast *x) {
  weir__ast_celem e;
  memset(&e, 0, sizeof e);
  e.kind = CREATE_ELEM_WATERMARK;
  e.tok = col;
  e.expr = x;
  e.off = kw.off;
  return e;
}

weir__ast_celem weir__ast_celem_pk(weir__tok kw, weir__alist *cols, int not_enforced) {
  weir__ast_celem e;
  memset(&e, 0, sizeof e);
  e.kind = CREATE_ELEM_PK;
  e.p = cols;
  e.off = kw.off;
  e.enforced_ok = not_enforced;
  return e;
}

weir__ast_option *weir__ast_option_new(weir__pstate *ps, weir__tok k, weir__tok v) {
  weir__ast_option *o = palloc(ps, sizeof *o);
  if (!o) return NULL;
  o->key = weir__ast_string(ps, k);
  o->value = weir__ast_string(ps, v);
  o->key_off = k.off;
  o->value_off = v.off;
  return o;
}

weir__ast_create *weir__ast_create_new(weir__pstate *ps) {
  weir__ast_create *c = palloc(ps, sizeof *c);
  if (c) c->wm_col.off = -1;
  return c;
}

void weir__ast_create_add(weir__pstate *ps, weir__ast_create *c, weir__ast_celem e) {
  if (!c) return;
  switch (e.kind) {
  case CREATE_ELEM_COLUMN:
    if (e.p) c->cols = weir__alist_add(ps, c->cols, e.p);
    break;
  case CREATE_ELEM_WATERMARK:
    if (c->wm_col.n) {
      weir__err_set(ps->err, WEIR_ERROR, e.off, "a table can declare only one WATERMARK");
      return;
    }
    c->wm_col = e.tok;
    c->wm_expr = e.expr;
    break;
  case CREATE_ELEM_PK:
    if (c->pk) {
      weir__err_set(ps->err, WEIR_ERROR, e.off, "a table can declare only one PRIMARY KEY");
      return;
    }
    if (!e.enforced_ok) {
      weir__err_set(ps->err, WEIR_ERROR, e.off,
                    "PRIMARY KEY must be declared NOT ENFORCED: weir does not own the data, "
                    "so it uses the key for upserts but does not check it");
      return;
    }
    c->pk = e.p;
    c->pk_off = e.off;
    break;
  }
}

void weir__ast_create_finish(weir__pstate *ps, weir__ast_stmt *s, weir__ast_create *c,
                             weir__tok name, int if_not_exists, weir__alist *options) {
  (void)ps;
  if (!s || !c) return;
  c->name = name;
  c->if_not_exists = if_not_exists;
  c->options = options;
  s->create = c;
  s->name = name;
}

/* ---- SELECT ------------------------------------------------------------ */

weir__ast_selitem *weir__ast_selitem_new(weir__pstate *ps, weir__ast *x, weir__tok alias) {
  weir__ast_selitem *it = palloc(ps, sizeof *it);
  if (!it) return NULL;
  it->expr = x;
  it->alias = alias;
  return it;
}

weir__ast_from *weir__ast_from_table(weir__pstate *ps, weir__tok name, weir__tok alias) {
  weir__ast_from *f = palloc(ps, sizeof *f);
  if (!f) return NULL;
  f->kind = AST_FROM_TABLE;
  f->table = name;
  f->alias = alias;
  f->off = name.off;
  return f;
}

weir__ast_from *weir__ast_from_tvf(weir__pstate *ps, weir__tok kw, weir__tok fn, weir__tok table,
                                   weir__alist *args, weir__tok alias) {
  weir__ast_from *f = palloc(ps, sizeof *f);
  if (!f) return NULL;
  f->kind = AST_FROM_TVF;
  f->fn = fn;
  f->table = table;
  f->fn_args = args;
  f->alias = alias;
  f->off = kw.off;
  return f;
}

weir__ast_select *weir__ast_select_new(weir__pstate *ps, weir__tok kw, int distinct,
                                       weir__alist *items, weir__ast_from *from, weir__ast *where,
                                       weir__alist *group_by, weir__ast *having, weir__ast *limit,
                                       int order_off) {
  weir__ast_select *s = palloc(ps, sizeof *s);
  if (!s) return NULL;
  s->off = kw.off;
  s->distinct = distinct;
  s->items = items;
  s->from = from;
  s->where = where;
  s->group_by = group_by;
  s->having = having;
  s->limit = limit;
  s->order_off = order_off;
  return s;
}

/* ---- statements -------------------------------------------------------- */

weir__ast_stmt *weir__ast_stmt_new(weir__pstate *ps, int kind, weir__tok kw) {
  weir__ast_stmt *s = palloc(ps, sizeof *s);
  if (!s) return NULL;
  s->kind = kind;
  s->off = kw.off;
  s->name.off = -1;
  s->key_off = s->value_off = -1;
  return s;
}

void weir__ast_stmt_name(weir__ast_stmt *s, weir__tok name, int if_exists) {
  if (!s) return;
  s->name = name;
  s->if_exists = if_exists;
}

weir__ast_stmt *weir__ast_stmt_select(weir__pstate *ps, weir__ast_select *sel) {
  if (!sel) return NULL;
  weir__tok kw = {NULL, 0, sel->off};
  weir__ast_stmt *s = weir__ast_stmt_new(ps, STMT_SELECT, kw);
  if (s) s->select = sel;
  return s;
}

weir__ast_stmt *weir__ast_stmt_insert(weir__pstate *ps, weir__tok kw, weir__tok table,
                                      weir__ast_select *sel) {
  weir__ast_stmt *s = weir__ast_stmt_new(ps, STMT_INSERT, kw);
  if (!s) return NULL;
  s->name = table;
  s->select = sel;
  return s;
}

weir__ast_stmt *weir__ast_stmt_set(weir__pstate *ps, int kind, weir__tok kw, weir__tok key,
                                   weir__tok value) {
  weir__ast_stmt *s = weir__ast_stmt_new(ps, kind, kw);
  if (!s) return NULL;
  if (key.n) {
    s->key = weir__ast_string(ps, key);
    s->key_off = key.off;
  }
  if (value.n) {
    s->value = weir__ast_string(ps, value);
    s->value_off = value.off;
  }
  return s;
}

weir__ast_stmt *weir__ast_stmt_explain(weir__pstate *ps, weir__tok kw, weir__ast_stmt *inner) {
  weir__ast_stmt *s = weir__ast_stmt_new(ps, STMT_EXPLAIN, kw);
  if (!s) return NULL;
  s->inner = inner;
  return s;
}

/* ---- the driver -------------------------------------------------------- */

int weir__grammar_parse_one(weir__arena *arena, const char *sql, int len, int *consumed,
                            weir__ast_stmt **out, weir__err *err) {
  weir__lexer lx = {sql, sql, sql + len};
  weir__pstate ps;
  memset(&ps, 0, sizeof ps);
  ps.arena = arena;
  ps.sql = sql;
  ps.sql_len = len;
  ps.err = err;
  *out = NULL;
  void *parser = NULL;
  int ntok = 0, last_end = 0, first_off = -1;
  weir__tok tok;
  int code;
  for (;;) {
    code = weir__lexer_next(&lx, &tok, err);
    if (code < 0) goto fail;
    if (code == 0 || code == TK_SEMI) break;
    if (!parser) {
      parser = weir__grammar_parseAlloc(weir__malloc, &ps);
      if (!parser) {
        weir__err_nomem(err);
        goto fail;
      }
    }
    if (first_off < 0) first_off = tok.off;
    weir__grammar_parse(parser, code, tok);
    ntok++;
    last_end = tok.off + tok.n;
    if (err->code != WEIR_OK) goto fail;
  }
  *consumed = (int)(lx.cur - sql);
  if (ntok == 0) return WEIR_OK;
  tok.p = sql + last_end;
  tok.n = 0;
  tok.off = last_end;
  weir__grammar_parse(parser, 0, tok);
  if (err->code != WEIR_OK) goto fail;
  weir__grammar_parseFree(parser, weir__free);
  if (!ps.stmt) return weir__err_set(err, WEIR_INTERNAL, -1, "parser produced no statement");
  ps.stmt->off = first_off;
  ps.stmt->end = last_end;
  *out = ps.stmt;
  return WEIR_OK;
fail:
  if (parser) weir__grammar_parseFree(parser, weir__free);
  *consumed = (int)(lx.cur - sql);
  return err->code;
}

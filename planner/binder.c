/*
 * binder.c -- from a SELECT or INSERT syntax tree to a typed logical plan.
 *
 * The binder resolves table and column names against the catalog, gives
 * every expression a type (with the implicit widening INT -> BIGINT ->
 * DOUBLE), and shapes the query into logical operators:
 *
 *   SCAN [-> WINDOW] [-> FILTER where] [-> PROJECT pre -> AGG
 *        [-> FILTER having]] -> PROJECT select [-> LIMIT] [-> SINK]
 *
 * Aggregation: the GROUP BY expressions and the arguments of aggregate
 * calls are computed by a PROJECT below the AGG; the SELECT list and
 * HAVING are then bound "after aggregation", where a subexpression equal
 * to a GROUP BY expression becomes a reference to that key and an
 * aggregate call a reference to its result.  A column left over is the
 * classic "must appear in GROUP BY" error.
 *
 * A GROUP BY over a window TVF that contains both window_start and
 * window_end is a window aggregation (append-only, fires on the
 * watermark); any other GROUP BY is an updating aggregation.
 *
 * Entry points: weir__bind, weir__bind_table, weir__bind_table_expr.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <strings.h>

#include "planner/plannerInt.h"

/* A set of columns visible to expressions. */
typedef struct scope {
  int ncol;
  char **names;
  int *types;
  const char *table;  /* table name for qualified references */
  weir__tok alias;    /* its alias, if any */
  unsigned char *used; /* set when a column is referenced (may be NULL) */
} scope;

/* Binding after aggregation: group keys and aggregate calls. */
typedef struct aggctx {
  scope *pre;          /* scope before aggregation */
  int ngroup;
  weir__expr **groups; /* bound over pre */
  int *group_types;
  weir__ptrvec calls;   /* weir__ast* of every aggregate call written */
  weir__ptrvec slots;   /* for each of calls: its unique aggregate (intptr_t) */
  weir__ptrvec first;   /* weir__ast* of the first call of each unique aggregate */
  weir__ptrvec bound;   /* weir__aggcall* of each unique aggregate */
  weir__ptrvec args;    /* weir__expr* argument of each (or NULL) */
  weir__ptrvec filters; /* weir__expr* filter of each (or NULL) */
} aggctx;

static void aggctx_free(aggctx *ag) {
  weir__ptrvec_free(&ag->calls);
  weir__ptrvec_free(&ag->slots);
  weir__ptrvec_free(&ag->first);
  weir__ptrvec_free(&ag->bound);
  weir__ptrvec_free(&ag->args);
  weir__ptrvec_free(&ag->filters);
}

typedef struct binder {
  weir__catalog *cat;
  const weir__config *cfg;
  const char *sql;
  weir__arena *arena;
  weir__err *err;
  int quiet; /* trial binding: errors are expected and dropped */
} binder;

enum { MODE_PLAIN, MODE_COLLECT_AGGS, MODE_POST_AGG };

typedef struct bctx {
  int mode;
  scope *sc;
  aggctx *agg;
  int in_agg; /* inside an aggregate call's argument */
  const char *clause; /* "WHERE", "GROUP BY", ... for messages */
} bctx;

static weir__expr *bind_expr(binder *b, bctx *cx, weir__ast *a);

/* ---- small helpers ------------------------------------------------------ */

static int berr(binder *b, int code, int off, const char *fmt, ...) WEIR_PRINTF(4, 5);
static int berr(binder *b, int code, int off, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  weir__err_vset(b->err, code, off, fmt, ap);
  va_end(ap);
  return code;
}

static void *balloc(binder *b, size_t n) {
  void *p = weir__arena_zalloc(b->arena, n);
  if (!p) weir__err_nomem(b->err);
  return p;
}

static char *bstrdup(binder *b, const char *p, int n) {
  char *s = weir__arena_strndup(b->arena, p ? p : "", (size_t)n);
  if (!s) weir__err_nomem(b->err);
  return s;
}

static weir__expr *new_expr(binder *b, int op, int type, int off, int nargs) {
  weir__expr *e = balloc(b, sizeof *e);
  if (!e) return NULL;
  e->op = op;
  e->type = type;
  e->off = off;
  e->col = -1;
  e->nargs = nargs;
  if (nargs) {
    e->args = balloc(b, sizeof(weir__expr *) * (size_t)nargs);
    if (!e->args) return NULL;
  }
  return e;
}

static weir__expr *col_expr(binder *b, int col, int type, int off) {
  weir__expr *e = new_expr(b, EXPR_COL, type, off, 0);
  if (e) e->col = col;
  return e;
}

static weir__expr *const_int(binder *b, int type, int64_t v, int off) {
  weir__expr *e = new_expr(b, EXPR_CONST, type, off, 0);
  if (!e) return NULL;
  e->val.type = type;
  e->val.i = v;
  return e;
}

static weir__expr *unary(binder *b, int op, int type, weir__expr *x, int off) {
  if (!x) return NULL;
  weir__expr *e = new_expr(b, op, type, off, 1);
  if (e) e->args[0] = x;
  return e;
}

static weir__expr *binary(binder *b, int op, int type, weir__expr *x, weir__expr *y, int off) {
  if (!x || !y) return NULL;
  weir__expr *e = new_expr(b, op, type, off, 2);
  if (!e) return NULL;
  e->args[0] = x;
  e->args[1] = y;
  return e;
}

static int is_null_lit(const weir__expr *e) {
  return e->op == EXPR_CONST && e->type == WEIR_TYPE_NULL;
}

/* The numeric type both a and b widen to. */
static int wider_numeric(int a, int b) {
  if (a == WEIR_TYPE_DOUBLE || b == WEIR_TYPE_DOUBLE) return WEIR_TYPE_DOUBLE;
  if (a == WEIR_TYPE_BIGINT || b == WEIR_TYPE_BIGINT) return WEIR_TYPE_BIGINT;
  return WEIR_TYPE_INT;
}

/* Wrap e in a CAST to type unless it already has it.  A NULL literal just
 * takes the type. */
static weir__expr *coerce(binder *b, weir__expr *e, int type) {
  if (!e || e->type == type) return e;
  if (is_null_lit(e)) {
    e->type = type;
    e->val.type = type;
    e->val.null = 1;
    return e;
  }
  /* A literal widened to BIGINT or DOUBLE is folded: the value is exact. */
  if (e->op == EXPR_CONST && !e->val.null && weir__type_is_integer(e->type) &&
      (type == WEIR_TYPE_BIGINT || type == WEIR_TYPE_DOUBLE)) {
    if (type == WEIR_TYPE_DOUBLE) e->val.d = (double)e->val.i;
    e->type = e->val.type = type;
    return e;
  }
  return unary(b, EXPR_CAST, type, e, e->off);
}

/* Text of an AST node as written, for column names and messages. */
static char *ast_text(binder *b, weir__ast *a) {
  int n = a->end - a->off;
  if (n < 0) n = 0;
  return bstrdup(b, b->sql + a->off, n);
}

/* A VARCHAR constant compared with a time value is read as a timestamp
 * literal, as in Flink: ts > '2001-01-05 00:00:00'. */
static int fold_string_to_time(binder *b, weir__expr *e, int type) {
  if (e->op != EXPR_CONST || e->type != WEIR_TYPE_VARCHAR || e->val.null) return 0;
  int64_t v;
  if (type == WEIR_TYPE_DATE ? weir__time_parse_date(e->val.s.p, e->val.s.n, &v)
                             : weir__time_parse_ts(e->val.s.p, e->val.s.n, &v)) {
    berr(b, WEIR_ERROR, e->off, "cannot read '%.*s' as %s", (int)e->val.s.n, e->val.s.p,
         weir__type_name(type));
    return -1;
  }
  e->type = type;
  e->val.type = type;
  e->val.i = v;
  return 1;
}

/*
 * The common type of two operands of a comparison, CASE branch, IN list or
 * COALESCE, coercing both to it.  Returns the type, or -1 after recording
 * an error that names what, the operator or construct.
 */
static int unify(binder *b, weir__expr **x, weir__expr **y, const char *what, int off) {
  weir__expr *l = *x, *r = *y;
  if (!l || !r) return -1;
  int lt = l->type, rt = r->type;
  if (lt == rt) return lt;
  if (lt == WEIR_TYPE_NULL) {
    *x = coerce(b, l, rt);
    return rt;
  }
  if (rt == WEIR_TYPE_NULL) {
    *y = coerce(b, r, lt);
    return lt;
  }
  if (weir__type_is_numeric(lt) && weir__type_is_numeric(rt)) {
    int t = wider_numeric(lt, rt);
    *x = coerce(b, l, t);
    *y = coerce(b, r, t);
    return t;
  }
  if (weir__type_is_time(lt) && weir__type_is_time(rt)) return lt;
  if ((weir__type_is_time(lt) || lt == WEIR_TYPE_DATE) && rt == WEIR_TYPE_VARCHAR) {
    int f = fold_string_to_time(b, r, lt);
    if (f < 0) return -1;
    if (f > 0) return lt;
  }
  if ((weir__type_is_time(rt) || rt == WEIR_TYPE_DATE) && lt == WEIR_TYPE_VARCHAR) {
    int f = fold_string_to_time(b, l, rt);
    if (f < 0) return -1;
    if (f > 0) return rt;
  }
  berr(b, WEIR_ERROR, off, "type mismatch: cannot %s %s and %s", what, weir__type_name(lt),
       weir__type_name(rt));
  return -1;
}

/* Is a CAST from one type to another allowed? */
static int cast_allowed(int from, int to) {
  if (from == to || from == WEIR_TYPE_NULL) return 1;
  if (to == WEIR_TYPE_VARCHAR || from == WEIR_TYPE_VARCHAR) return to != WEIR_TYPE_INTERVAL;
  if (weir__type_is_numeric(from) && weir__type_is_numeric(to)) return 1;
  if (from == WEIR_TYPE_BOOLEAN && weir__type_is_integer(to)) return 1;
  if (weir__type_is_integer(from) && to == WEIR_TYPE_BOOLEAN) return 1;
  if (weir__type_is_time(from) && weir__type_is_time(to)) return 1;
  if (weir__type_is_time(from) && to == WEIR_TYPE_DATE) return 1;
  if (from == WEIR_TYPE_DATE && weir__type_is_time(to)) return 1;
  return 0;
}

/* Fold type e into the running common type t of CASE branches or
 * COALESCE arguments; returns the new common type or -1 (error). */
static int common_type(binder *b, int t, const weir__expr *e, const char *what) {
  int et = e->type;
  if (t == WEIR_TYPE_NULL || t == et) return et == WEIR_TYPE_NULL ? t : et;
  if (et == WEIR_TYPE_NULL) return t;
  if (weir__type_is_numeric(t) && weir__type_is_numeric(et)) return wider_numeric(t, et);
  if (weir__type_is_time(t) && weir__type_is_time(et)) return t;
  berr(b, WEIR_ERROR, e->off, "type mismatch: %s mixes %s and %s", what, weir__type_name(t),
       weir__type_name(et));
  return -1;
}

/* ---- column references --------------------------------------------------- */

static int scope_lookup(binder *b, scope *sc, weir__ast *a) {
  if (a->qual.n) {
    int ok = (a->qual.n && weir__strnicmp_eq(a->qual.p, (size_t)a->qual.n, sc->table ? sc->table : "")) ||
             (sc->alias.n && a->qual.n == sc->alias.n &&
              strncasecmp(a->qual.p, sc->alias.p, (size_t)a->qual.n) == 0);
    if (!ok) {
      berr(b, WEIR_ERROR, a->off, "unknown table or alias '%.*s'", a->qual.n, a->qual.p);
      return -1;
    }
  }
  for (int i = 0; i < sc->ncol; i++) {
    if (weir__strnicmp_eq(a->name.p, (size_t)a->name.n, sc->names[i])) {
      if (sc->used) sc->used[i] = 1;
      return i;
    }
  }
  if (sc->ncol == 0) {
    berr(b, WEIR_ERROR, a->off, "unknown column '%.*s': the query has no FROM clause", a->name.n,
         a->name.p);
  } else {
    berr(b, WEIR_ERROR, a->off, "unknown column '%.*s' in %s%s%s", a->name.n, a->name.p,
         sc->table ? "table '" : "the input", sc->table ? sc->table : "", sc->table ? "'" : "");
  }
  return -1;
}

/* ---- functions ----------------------------------------------------------- */

static int agg_kind_of(weir__ast *a) {
  if (a->kind != AST_FUNC) return 0;
  const char *p = a->name.p;
  size_t n = (size_t)a->name.n;
  if (weir__strnicmp_eq(p, n, "COUNT")) return a->flags & AST_F_STAR ? AGG_COUNT_STAR : AGG_COUNT;
  if (weir__strnicmp_eq(p, n, "SUM")) return AGG_SUM;
  if (weir__strnicmp_eq(p, n, "MIN")) return AGG_MIN;
  if (weir__strnicmp_eq(p, n, "MAX")) return AGG_MAX;
  if (weir__strnicmp_eq(p, n, "AVG")) return AGG_AVG;
  return 0;
}

static int ast_has_agg(weir__ast *a) {
  if (!a) return 0;
  if (agg_kind_of(a)) return 1;
  if (ast_has_agg(a->a) || ast_has_agg(a->b) || ast_has_agg(a->c)) return 1;
  if (a->list) {
    for (int i = 0; i < a->list->n; i++) {
      if (ast_has_agg(a->list->v[i])) return 1;
    }
  }
  return 0;
}

static int nargs_of(weir__ast *a) { return a->list ? a->list->n : 0; }

static weir__expr *bind_arg(binder *b, bctx *cx, weir__ast *a, int i) {
  return bind_expr(b, cx, a->list->v[i]);
}

static int check_nargs(binder *b, weir__ast *a, int lo, int hi) {
  int n = nargs_of(a);
  if (n < lo || n > hi) {
    if (lo == hi)
      berr(b, WEIR_ERROR, a->off, "function %.*s takes %d argument%s, got %d", a->name.n,
           a->name.p, lo, lo == 1 ? "" : "s", n);
    else
      berr(b, WEIR_ERROR, a->off, "function %.*s takes %d to %d arguments, got %d", a->name.n,
           a->name.p, lo, hi, n);
    return -1;
  }
  return 0;
}

static int expect_type(binder *b, weir__ast *fn, weir__expr *e, int ok, const char *what) {
  if (!e) return -1;
  if (!ok && e->type != WEIR_TYPE_NULL) {
    berr(b, WEIR_ERROR, e->off, "function %.*s expects %s, got %s", fn->name.n, fn->name.p, what,
         weir__type_name(e->type));
    return -1;
  }
  return 0;
}

/* Bind an aggregate call's argument and filter (MODE_COLLECT_AGGS) and
 * register the call; or, after aggregation, return the reference to its
 * result. */
static weir__expr *bind_agg_call(binder *b, bctx *cx, weir__ast *a, int kind) {
  if (cx->mode == MODE_PLAIN || !cx->agg) {
    berr(b, WEIR_ERROR, a->off, "aggregate function %.*s is not allowed in %s", a->name.n,
         a->name.p, cx->clause ? cx->clause : "this context");
    return NULL;
  }
  if (cx->in_agg) {
    berr(b, WEIR_ERROR, a->off, "aggregate function calls cannot be nested");
    return NULL;
  }
  aggctx *ag = cx->agg;
  /* Calls are identified by their syntax tree node; equal calls written
   * twice (COUNT(*) in SELECT and HAVING) share one aggregate. */
  int idx = -1;
  for (int i = 0; i < ag->calls.n; i++) {
    if (ag->calls.v[i] == a) idx = (int)(intptr_t)ag->slots.v[i];
  }
  if (cx->mode == MODE_POST_AGG) {
    if (idx < 0) {
      berr(b, WEIR_INTERNAL, a->off, "aggregate call was not collected");
      return NULL;
    }
    weir__aggcall *ac = ag->bound.v[idx];
    return col_expr(b, ag->ngroup + idx, ac->type, a->off);
  }
  if (idx >= 0) return NULL;
  if (a->flags & AST_F_DISTINCT) {
    berr(b, WEIR_UNSUPPORTED, a->off, "%.*s(DISTINCT ...) is not supported yet", a->name.n,
         a->name.p);
    return NULL;
  }
  bctx inner = *cx;
  inner.mode = MODE_PLAIN;
  inner.in_agg = 1;
  inner.clause = "an aggregate argument";
  weir__aggcall *ac = balloc(b, sizeof *ac);
  if (!ac) return NULL;
  ac->kind = kind;
  ac->arg = -1;
  ac->filter = -1;
  weir__expr *arg = NULL, *filter = NULL;
  if (kind == AGG_COUNT_STAR) {
    if (nargs_of(a)) {
      berr(b, WEIR_ERROR, a->off, "COUNT(*) takes no arguments");
      return NULL;
    }
    ac->type = WEIR_TYPE_BIGINT;
  } else {
    if (check_nargs(b, a, 1, 1)) return NULL;
    arg = bind_expr(b, &inner, a->list->v[0]);
    if (!arg) return NULL;
    int t = arg->type;
    ac->arg_type = t;
    switch (kind) {
    case AGG_COUNT: ac->type = WEIR_TYPE_BIGINT; break;
    case AGG_SUM:
      if (!weir__type_is_numeric(t) && t != WEIR_TYPE_NULL) {
        berr(b, WEIR_ERROR, arg->off, "SUM needs a numeric argument, got %s", weir__type_name(t));
        return NULL;
      }
      /* Integer sums are BIGINT, so that summing INT values cannot wrap
       * around (Flink keeps INT; most SQL engines widen). */
      ac->type = t == WEIR_TYPE_DOUBLE ? WEIR_TYPE_DOUBLE : WEIR_TYPE_BIGINT;
      if (t == WEIR_TYPE_NULL) arg = coerce(b, arg, WEIR_TYPE_BIGINT);
      ac->arg_type = arg->type;
      break;
    case AGG_AVG:
      if (!weir__type_is_numeric(t) && t != WEIR_TYPE_NULL) {
        berr(b, WEIR_ERROR, arg->off, "AVG needs a numeric argument, got %s", weir__type_name(t));
        return NULL;
      }
      /* AVG is DOUBLE for every numeric input, as in SQLite and DuckDB
       * (Flink truncates the average of integers). */
      ac->type = WEIR_TYPE_DOUBLE;
      if (t == WEIR_TYPE_NULL) arg = coerce(b, arg, WEIR_TYPE_DOUBLE);
      ac->arg_type = arg->type;
      break;
    case AGG_MIN:
    case AGG_MAX:
      if (t == WEIR_TYPE_INTERVAL) {
        berr(b, WEIR_ERROR, arg->off, "%s does not accept INTERVAL values",
             weir__agg_name(kind));
        return NULL;
      }
      if (t == WEIR_TYPE_NULL) arg = coerce(b, arg, WEIR_TYPE_BIGINT);
      ac->type = arg->type;
      ac->arg_type = arg->type;
      break;
    }
  }
  if (a->filter) {
    inner.clause = "FILTER";
    filter = bind_expr(b, &inner, a->filter);
    if (!filter) return NULL;
    if (filter->type != WEIR_TYPE_BOOLEAN && filter->type != WEIR_TYPE_NULL) {
      berr(b, WEIR_ERROR, filter->off, "FILTER (WHERE ...) needs a BOOLEAN condition, got %s",
           weir__type_name(filter->type));
      return NULL;
    }
    filter = coerce(b, filter, WEIR_TYPE_BOOLEAN);
  }
  int slot = -1;
  for (int i = 0; i < ag->bound.n && slot < 0; i++) {
    const weir__aggcall *o = ag->bound.v[i];
    if (o->kind == ac->kind && weir__expr_equal(ag->args.v[i], arg) &&
        weir__expr_equal(ag->filters.v[i], filter))
      slot = i;
  }
  if (slot < 0) {
    slot = ag->bound.n;
    if (weir__ptrvec_push(&ag->first, a) || weir__ptrvec_push(&ag->bound, ac) ||
        weir__ptrvec_push(&ag->args, arg) || weir__ptrvec_push(&ag->filters, filter)) {
      weir__err_nomem(b->err);
      return NULL;
    }
  }
  if (weir__ptrvec_push(&ag->calls, a) || weir__ptrvec_push(&ag->slots, (void *)(intptr_t)slot)) {
    weir__err_nomem(b->err);
    return NULL;
  }
  return NULL; /* collection pass produces no expression */
}

static weir__expr *bind_func(binder *b, bctx *cx, weir__ast *a) {
  int kind = agg_kind_of(a);
  if (kind) return bind_agg_call(b, cx, a, kind);
  if (a->filter) {
    berr(b, WEIR_ERROR, a->off, "FILTER (WHERE ...) applies to aggregate functions only");
    return NULL;
  }
  if (a->flags & (AST_F_STAR | AST_F_DISTINCT)) {
    berr(b, WEIR_ERROR, a->off, "function %.*s does not take %s", a->name.n, a->name.p,
         a->flags & AST_F_STAR ? "*" : "DISTINCT");
    return NULL;
  }
  const char *p = a->name.p;
  size_t n = (size_t)a->name.n;
#define IS(s) weir__strnicmp_eq(p, n, s)
  weir__expr *e, *x, *y;
  if (IS("UPPER") || IS("LOWER") || IS("CHAR_LENGTH") || IS("CHARACTER_LENGTH") || IS("TRIM")) {
    if (check_nargs(b, a, 1, 1)) return NULL;
    x = bind_arg(b, cx, a, 0);
    if (expect_type(b, a, x, x && x->type == WEIR_TYPE_VARCHAR, "VARCHAR")) return NULL;
    x = coerce(b, x, WEIR_TYPE_VARCHAR);
    int op = IS("UPPER")   ? EXPR_FN_UPPER
             : IS("LOWER") ? EXPR_FN_LOWER
             : IS("TRIM")  ? EXPR_FN_TRIM
                           : EXPR_FN_CHAR_LENGTH;
    return unary(b, op, op == EXPR_FN_CHAR_LENGTH ? WEIR_TYPE_INT : WEIR_TYPE_VARCHAR, x, a->off);
  }
  if (IS("SUBSTRING") || IS("SUBSTR")) {
    if (check_nargs(b, a, 2, 3)) return NULL;
    e = new_expr(b, EXPR_FN_SUBSTRING, WEIR_TYPE_VARCHAR, a->off, nargs_of(a));
    if (!e) return NULL;
    for (int i = 0; i < e->nargs; i++) {
      x = bind_arg(b, cx, a, i);
      if (i == 0 && expect_type(b, a, x, x && x->type == WEIR_TYPE_VARCHAR, "VARCHAR"))
        return NULL;
      if (i > 0 && expect_type(b, a, x, x && weir__type_is_integer(x->type), "an integer"))
        return NULL;
      e->args[i] = coerce(b, x, i == 0 ? WEIR_TYPE_VARCHAR : WEIR_TYPE_BIGINT);
    }
    return e;
  }
  if (IS("ABS") || IS("FLOOR") || IS("CEIL") || IS("CEILING")) {
    if (check_nargs(b, a, 1, 1)) return NULL;
    x = bind_arg(b, cx, a, 0);
    if (expect_type(b, a, x, x && weir__type_is_numeric(x->type), "a number")) return NULL;
    if (x->type == WEIR_TYPE_NULL) x = coerce(b, x, WEIR_TYPE_BIGINT);
    int op = IS("ABS") ? EXPR_FN_ABS : IS("FLOOR") ? EXPR_FN_FLOOR : EXPR_FN_CEIL;
    return unary(b, op, x->type, x, a->off);
  }
  if (IS("MOD")) {
    if (check_nargs(b, a, 2, 2)) return NULL;
    x = bind_arg(b, cx, a, 0);
    y = bind_arg(b, cx, a, 1);
    if (expect_type(b, a, x, x && weir__type_is_integer(x->type), "integers") ||
        expect_type(b, a, y, y && weir__type_is_integer(y->type), "integers"))
      return NULL;
    int t = wider_numeric(x->type == WEIR_TYPE_NULL ? WEIR_TYPE_INT : x->type,
                          y->type == WEIR_TYPE_NULL ? WEIR_TYPE_INT : y->type);
    return binary(b, EXPR_MOD, t, coerce(b, x, t), coerce(b, y, t), a->off);
  }
  if (IS("TO_TIMESTAMP_LTZ")) {
    if (check_nargs(b, a, 2, 2)) return NULL;
    x = bind_arg(b, cx, a, 0);
    y = bind_arg(b, cx, a, 1);
    if (expect_type(b, a, x, x && weir__type_is_numeric(x->type), "a number of seconds or "
                                                                  "milliseconds"))
      return NULL;
    if (!y || y->op != EXPR_CONST || !weir__type_is_integer(y->type) ||
        (y->val.i != 0 && y->val.i != 3)) {
      berr(b, WEIR_ERROR, y ? y->off : a->off,
           "TO_TIMESTAMP_LTZ's precision must be the constant 0 (seconds) or 3 (milliseconds)");
      return NULL;
    }
    e = new_expr(b, EXPR_FN_TO_TIMESTAMP_LTZ, WEIR_TYPE_TIMESTAMP_LTZ, a->off, 2);
    if (!e) return NULL;
    e->args[0] = x->type == WEIR_TYPE_DOUBLE ? x : coerce(b, x, WEIR_TYPE_BIGINT);
    e->args[1] = y;
    return e;
  }
  if (IS("TO_TIMESTAMP")) {
    if (check_nargs(b, a, 1, 1)) return NULL;
    x = bind_arg(b, cx, a, 0);
    if (expect_type(b, a, x, x && x->type == WEIR_TYPE_VARCHAR, "VARCHAR")) return NULL;
    return unary(b, EXPR_FN_TO_TIMESTAMP, WEIR_TYPE_TIMESTAMP, coerce(b, x, WEIR_TYPE_VARCHAR),
                 a->off);
  }
  if (IS("COALESCE") || IS("IFNULL")) {
    if (check_nargs(b, a, IS("IFNULL") ? 2 : 1, IS("IFNULL") ? 2 : 64)) return NULL;
    e = new_expr(b, EXPR_COALESCE, WEIR_TYPE_NULL, a->off, nargs_of(a));
    if (!e) return NULL;
    for (int i = 0; i < e->nargs; i++) {
      if (!(e->args[i] = bind_arg(b, cx, a, i))) return NULL;
    }
    int t = WEIR_TYPE_NULL;
    for (int i = 0; i < e->nargs; i++) {
      if ((t = common_type(b, t, e->args[i], "COALESCE")) < 0) return NULL;
    }
    for (int i = 0; i < e->nargs; i++) e->args[i] = coerce(b, e->args[i], t);
    e->type = t;
    return e;
  }
  if (IS("CONCAT")) {
    if (check_nargs(b, a, 1, 64)) return NULL;
    weir__expr *acc = NULL;
    for (int i = 0; i < nargs_of(a); i++) {
      x = bind_arg(b, cx, a, i);
      if (!x) return NULL;
      x = coerce(b, x, WEIR_TYPE_VARCHAR);
      acc = acc ? binary(b, EXPR_CONCAT, WEIR_TYPE_VARCHAR, acc, x, a->off) : x;
    }
    return acc;
  }
  static const struct {
    const char *name;
    int field;
  } time_fns[] = {{"YEAR", WEIR_FIELD_YEAR},      {"MONTH", WEIR_FIELD_MONTH},
                  {"DAYOFMONTH", WEIR_FIELD_DAY}, {"HOUR", WEIR_FIELD_HOUR},
                  {"MINUTE", WEIR_FIELD_MINUTE},  {"SECOND", WEIR_FIELD_SECOND}};
  for (int i = 0; i < WEIR_ARRAY_LEN(time_fns); i++) {
    if (!IS(time_fns[i].name)) continue;
    if (check_nargs(b, a, 1, 1)) return NULL;
    x = bind_arg(b, cx, a, 0);
    if (expect_type(b, a, x,
                    x && (weir__type_is_time(x->type) || x->type == WEIR_TYPE_DATE),
                    "a TIMESTAMP or DATE"))
      return NULL;
    if (x->type == WEIR_TYPE_NULL) x = coerce(b, x, WEIR_TYPE_TIMESTAMP);
    if (x->type == WEIR_TYPE_DATE) x = coerce(b, x, WEIR_TYPE_TIMESTAMP);
    e = unary(b, EXPR_FN_TIME_FIELD, WEIR_TYPE_BIGINT, x, a->off);
    if (e) e->flags = time_fns[i].field;
    return e;
  }
  if (IS("REPLACE") || IS("SPLIT_INDEX") || IS("REGEXP_EXTRACT")) {
    int is_split = IS("SPLIT_INDEX"), is_re = IS("REGEXP_EXTRACT");
    if (check_nargs(b, a, is_re ? 2 : 3, 3)) return NULL;
    int op = is_split ? EXPR_FN_SPLIT_INDEX : is_re ? EXPR_FN_REGEXP_EXTRACT : EXPR_FN_REPLACE;
    e = new_expr(b, op, WEIR_TYPE_VARCHAR, a->off, nargs_of(a));
    if (!e) return NULL;
    for (int i = 0; i < e->nargs; i++) {
      x = bind_arg(b, cx, a, i);
      int want_int = (is_split || is_re) && i == 2;
      if (expect_type(b, a, x,
                      x && (want_int ? weir__type_is_integer(x->type) : x->type == WEIR_TYPE_VARCHAR),
                      want_int ? "an integer" : "VARCHAR"))
        return NULL;
      e->args[i] = coerce(b, x, want_int ? WEIR_TYPE_BIGINT : WEIR_TYPE_VARCHAR);
    }
    if (is_re) {
      weir__expr *pat = e->args[1];
      if (pat->op != EXPR_CONST || pat->val.null) {
        berr(b, WEIR_ERROR, pat->off, "the pattern of REGEXP_EXTRACT must be a constant");
        return NULL;
      }
      /* Check the pattern now, so that a bad one is an error here. */
      int ec;
      PCRE2_SIZE eo;
      pcre2_code *code =
          pcre2_compile((PCRE2_SPTR)pat->val.s.p, pat->val.s.n, PCRE2_UTF, &ec, &eo, NULL);
      if (!code) {
        char msg[256];
        pcre2_get_error_message(ec, (PCRE2_UCHAR *)msg, sizeof msg);
        berr(b, WEIR_ERROR, pat->off, "invalid regular expression '%.*s' at character %zu: %s",
             (int)pat->val.s.n, pat->val.s.p, (size_t)eo, msg);
        return NULL;
      }
      uint32_t ngroups = 0;
      pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &ngroups);
      pcre2_code_free(code);
      if (e->nargs > 2 && e->args[2]->op == EXPR_CONST && !e->args[2]->val.null &&
          (e->args[2]->val.i < 0 || e->args[2]->val.i > (int64_t)ngroups)) {
        berr(b, WEIR_ERROR, e->args[2]->off,
             "REGEXP_EXTRACT: the pattern has %u groups, group %lld does not exist", ngroups,
             (long long)e->args[2]->val.i);
        return NULL;
      }
    }
    return e;
  }
  if (IS("PROCTIME")) {
    if (check_nargs(b, a, 0, 0)) return NULL;
    return new_expr(b, EXPR_FN_PROCTIME, WEIR_TYPE_TIMESTAMP_LTZ, a->off, 0);
  }
  if (IS("DESCRIPTOR")) {
    berr(b, WEIR_ERROR, a->off, "DESCRIPTOR(...) is only valid as an argument of a window "
                                "function such as TUMBLE or HOP");
    return NULL;
  }
#undef IS
  berr(b, WEIR_ERROR, a->off, "unknown function '%.*s'", a->name.n, a->name.p);
  return NULL;
}

/* ---- expressions --------------------------------------------------------- */

static int arith_op(int op) {
  switch (op) {
  case AST_OP_ADD: return EXPR_ADD;
  case AST_OP_SUB: return EXPR_SUB;
  case AST_OP_MUL: return EXPR_MUL;
  case AST_OP_DIV: return EXPR_DIV;
  case AST_OP_MOD: return EXPR_MOD;
  }
  return 0;
}

static int cmp_op(int op) {
  switch (op) {
  case AST_OP_EQ: return EXPR_EQ;
  case AST_OP_NE: return EXPR_NE;
  case AST_OP_LT: return EXPR_LT;
  case AST_OP_LE: return EXPR_LE;
  case AST_OP_GT: return EXPR_GT;
  case AST_OP_GE: return EXPR_GE;
  }
  return 0;
}

static const char *op_text(int op) {
  static const char *t[] = {"", "+", "-", "*", "/", "%", "||", "=", "<>", "<", "<=", ">", ">=",
                            "AND", "OR", "NOT", "-", "+"};
  return op >= 0 && op < WEIR_ARRAY_LEN(t) ? t[op] : "?";
}

static weir__expr *bind_boolean(binder *b, bctx *cx, weir__ast *a, const char *what) {
  weir__expr *e = bind_expr(b, cx, a);
  if (!e) return NULL;
  if (e->type != WEIR_TYPE_BOOLEAN && e->type != WEIR_TYPE_NULL) {
    berr(b, WEIR_ERROR, e->off, "%s needs a BOOLEAN operand, got %s", what,
         weir__type_name(e->type));
    return NULL;
  }
  return coerce(b, e, WEIR_TYPE_BOOLEAN);
}

static weir__expr *bind_comparison(binder *b, int op, weir__expr *x, weir__expr *y, int off) {
  if (!x || !y) return NULL;
  char what[48];
  snprintf(what, sizeof what, "compare with '%s'", op_text(op));
  int expr_op = cmp_op(op);
  int t = unify(b, &x, &y, what, off);
  if (t < 0) return NULL;
  if (t == WEIR_TYPE_INTERVAL && expr_op != EXPR_EQ && expr_op != EXPR_NE) {
    /* intervals are ordered like numbers: allowed */
  }
  return binary(b, expr_op, WEIR_TYPE_BOOLEAN, x, y, off);
}

static weir__expr *bind_binary(binder *b, bctx *cx, weir__ast *a) {
  if (a->op == AST_OP_AND || a->op == AST_OP_OR) {
    weir__expr *x = bind_boolean(b, cx, a->a, a->op == AST_OP_AND ? "AND" : "OR");
    weir__expr *y = x ? bind_boolean(b, cx, a->b, a->op == AST_OP_AND ? "AND" : "OR") : NULL;
    return binary(b, a->op == AST_OP_AND ? EXPR_AND : EXPR_OR, WEIR_TYPE_BOOLEAN, x, y, a->off);
  }
  weir__expr *x = bind_expr(b, cx, a->a);
  if (!x) return NULL;
  weir__expr *y = bind_expr(b, cx, a->b);
  if (!y) return NULL;
  if (cmp_op(a->op)) return bind_comparison(b, a->op, x, y, a->b->off > 0 ? a->off : a->off);
  if (a->op == AST_OP_CONCAT) {
    /* Non-string operands are converted to text. */
    return binary(b, EXPR_CONCAT, WEIR_TYPE_VARCHAR, coerce(b, x, WEIR_TYPE_VARCHAR),
                  coerce(b, y, WEIR_TYPE_VARCHAR), a->off);
  }
  int op = arith_op(a->op);
  int lt = x->type == WEIR_TYPE_NULL ? y->type : x->type;
  int rt = y->type == WEIR_TYPE_NULL ? x->type : y->type;
  if (lt == WEIR_TYPE_NULL) lt = rt = WEIR_TYPE_INT;
  if (weir__type_is_numeric(lt) && weir__type_is_numeric(rt)) {
    if (op == EXPR_MOD && (lt == WEIR_TYPE_DOUBLE || rt == WEIR_TYPE_DOUBLE)) {
      berr(b, WEIR_ERROR, a->off, "operator %% needs integer operands, got %s and %s",
           weir__type_name(lt), weir__type_name(rt));
      return NULL;
    }
    int t = wider_numeric(lt, rt);
    return binary(b, op, t, coerce(b, x, t), coerce(b, y, t), a->off);
  }
  /* Time arithmetic: TIMESTAMP +/- INTERVAL, INTERVAL + TIMESTAMP,
   * INTERVAL +/- INTERVAL. */
  if ((op == EXPR_ADD || op == EXPR_SUB) && weir__type_is_time(lt) && rt == WEIR_TYPE_INTERVAL)
    return binary(b, op, lt, x, coerce(b, y, WEIR_TYPE_INTERVAL), a->off);
  if (op == EXPR_ADD && lt == WEIR_TYPE_INTERVAL && weir__type_is_time(rt))
    return binary(b, op, rt, y, coerce(b, x, WEIR_TYPE_INTERVAL), a->off);
  if ((op == EXPR_ADD || op == EXPR_SUB) && lt == WEIR_TYPE_INTERVAL && rt == WEIR_TYPE_INTERVAL)
    return binary(b, op, WEIR_TYPE_INTERVAL, coerce(b, x, lt), coerce(b, y, rt), a->off);
  berr(b, WEIR_ERROR, a->off, "type mismatch: cannot apply '%s' to %s and %s", op_text(a->op),
       weir__type_name(x->type), weir__type_name(y->type));
  return NULL;
}

static weir__expr *bind_case(binder *b, bctx *cx, weir__ast *a) {
  int npairs = a->list ? a->list->n / 2 : 0;
  int has_else = a->b != NULL;
  weir__expr *e = new_expr(b, EXPR_CASE, WEIR_TYPE_NULL, a->off, npairs * 2 + has_else);
  if (!e) return NULL;
  weir__expr *operand = NULL;
  if (a->a && !(operand = bind_expr(b, cx, a->a))) return NULL;
  for (int i = 0; i < npairs; i++) {
    weir__ast *w = a->list->v[2 * i];
    weir__expr *cond;
    if (operand) {
      /* CASE x WHEN v THEN ... compares x = v; x is evaluated per WHEN. */
      weir__expr *v = bind_expr(b, cx, w);
      cond = bind_comparison(b, AST_OP_EQ, operand, v, w->off);
    } else {
      cond = bind_boolean(b, cx, w, "WHEN");
    }
    if (!cond) return NULL;
    e->args[2 * i] = cond;
    if (!(e->args[2 * i + 1] = bind_expr(b, cx, a->list->v[2 * i + 1]))) return NULL;
  }
  if (has_else && !(e->args[e->nargs - 1] = bind_expr(b, cx, a->b))) return NULL;
  /* The result type: the common type of all branches. */
  int t = WEIR_TYPE_NULL;
  for (int i = 1; i < e->nargs; i += 2) {
    if ((t = common_type(b, t, e->args[i], "CASE")) < 0) return NULL;
  }
  if (has_else && (t = common_type(b, t, e->args[e->nargs - 1], "CASE")) < 0) return NULL;
  if (t == WEIR_TYPE_NULL) t = WEIR_TYPE_VARCHAR;
  for (int i = 1; i < e->nargs; i += 2) e->args[i] = coerce(b, e->args[i], t);
  if (has_else) e->args[e->nargs - 1] = coerce(b, e->args[e->nargs - 1], t);
  e->type = t;
  return e;
}

/* Try to bind a after aggregation as a GROUP BY expression; returns the
 * key reference or NULL (no error recorded). */
static weir__expr *match_group(binder *b, bctx *cx, weir__ast *a) {
  aggctx *ag = cx->agg;
  if (!ag || ag->ngroup == 0 || ast_has_agg(a)) return NULL;
  weir__err saved = *b->err, scratch;
  weir__err_clear(&scratch);
  weir__err *orig = b->err;
  b->err = &scratch;
  bctx plain = *cx;
  plain.mode = MODE_PLAIN;
  plain.sc = ag->pre;
  unsigned char *used = ag->pre->used;
  ag->pre->used = NULL; /* a trial binding marks nothing */
  weir__expr *e = bind_expr(b, &plain, a);
  ag->pre->used = used;
  b->err = orig;
  *b->err = saved;
  if (!e) return NULL;
  for (int i = 0; i < ag->ngroup; i++) {
    if (weir__expr_equal(e, ag->groups[i])) return col_expr(b, i, ag->groups[i]->type, a->off);
  }
  return NULL;
}

static weir__expr *bind_expr(binder *b, bctx *cx, weir__ast *a) {
  if (!a || b->err->code) return NULL;
  if (cx->mode == MODE_POST_AGG && !agg_kind_of(a)) {
    weir__expr *k = match_group(b, cx, a);
    if (k) return k;
    if (b->err->code) return NULL;
  }
  weir__expr *e, *x;
  switch (a->kind) {
  case AST_LIT_NULL: {
    e = new_expr(b, EXPR_CONST, WEIR_TYPE_NULL, a->off, 0);
    if (e) {
      e->val.null = 1;
      e->val.type = WEIR_TYPE_NULL;
    }
    return e;
  }
  case AST_LIT_BOOL: return const_int(b, WEIR_TYPE_BOOLEAN, a->ival, a->off);
  case AST_LIT_INT:
    return const_int(b, a->ival >= INT32_MIN && a->ival <= INT32_MAX ? WEIR_TYPE_INT
                                                                      : WEIR_TYPE_BIGINT,
                     a->ival, a->off);
  case AST_LIT_DOUBLE:
    e = new_expr(b, EXPR_CONST, WEIR_TYPE_DOUBLE, a->off, 0);
    if (e) {
      e->val.type = WEIR_TYPE_DOUBLE;
      e->val.d = a->dval;
    }
    return e;
  case AST_LIT_STRING:
    e = new_expr(b, EXPR_CONST, WEIR_TYPE_VARCHAR, a->off, 0);
    if (e) {
      e->val.type = WEIR_TYPE_VARCHAR;
      e->val.s.p = a->sval ? a->sval : "";
      e->val.s.n = (uint32_t)a->slen;
    }
    return e;
  case AST_LIT_INTERVAL: return const_int(b, WEIR_TYPE_INTERVAL, a->ival, a->off);
  case AST_LIT_TIMESTAMP: return const_int(b, WEIR_TYPE_TIMESTAMP, a->ival, a->off);
  case AST_LIT_DATE: return const_int(b, WEIR_TYPE_DATE, a->ival, a->off);
  case AST_COLUMN: {
    if (cx->mode == MODE_POST_AGG) {
      /* Not a GROUP BY expression (match_group failed). */
      int i = scope_lookup(b, cx->agg->pre, a);
      if (i < 0) return NULL;
      berr(b, WEIR_ERROR, a->off,
           "column '%.*s' must appear in the GROUP BY clause or be used in an aggregate "
           "function",
           a->name.n, a->name.p);
      return NULL;
    }
    int i = scope_lookup(b, cx->sc, a);
    if (i < 0) return NULL;
    return col_expr(b, i, cx->sc->types[i], a->off);
  }
  case AST_STAR:
    berr(b, WEIR_ERROR, a->off, "* is only allowed in the SELECT list or COUNT(*)");
    return NULL;
  case AST_UNARY:
    if (a->op == AST_OP_NOT) {
      x = bind_boolean(b, cx, a->a, "NOT");
      return unary(b, EXPR_NOT, WEIR_TYPE_BOOLEAN, x, a->off);
    }
    x = bind_expr(b, cx, a->a);
    if (!x) return NULL;
    if (!weir__type_is_numeric(x->type) && x->type != WEIR_TYPE_INTERVAL &&
        x->type != WEIR_TYPE_NULL) {
      berr(b, WEIR_ERROR, a->off, "type mismatch: cannot apply unary '%s' to %s",
           a->op == AST_OP_NEG ? "-" : "+", weir__type_name(x->type));
      return NULL;
    }
    if (x->type == WEIR_TYPE_NULL) x = coerce(b, x, WEIR_TYPE_INT);
    if (a->op == AST_OP_PLUS) return x;
    /* Fold the sign of a numeric literal, so that -2147483648 is an INT. */
    if (x->op == EXPR_CONST && !x->val.null) {
      if (x->type == WEIR_TYPE_DOUBLE) {
        x->val.d = -x->val.d;
        x->off = a->off;
        return x;
      }
      if (x->val.i != INT64_MIN) {
        x->val.i = -x->val.i;
        x->off = a->off;
        if (x->type == WEIR_TYPE_BIGINT && x->val.i >= INT32_MIN && x->val.i <= INT32_MAX &&
            a->a->kind == AST_LIT_INT)
          x->type = x->val.type = WEIR_TYPE_INT;
        return x;
      }
    }
    return unary(b, EXPR_NEG, x->type, x, a->off);
  case AST_BINARY: return bind_binary(b, cx, a);
  case AST_FUNC: return bind_func(b, cx, a);
  case AST_CASE: return bind_case(b, cx, a);
  case AST_CAST: {
    x = bind_expr(b, cx, a->a);
    if (!x) return NULL;
    int to = a->tspec.type;
    if (!cast_allowed(x->type, to)) {
      berr(b, WEIR_ERROR, a->off, "cannot cast %s to %s%s", weir__type_name(x->type),
           weir__type_name(to),
           weir__type_is_time(to) && weir__type_is_numeric(x->type)
               ? "; use TO_TIMESTAMP_LTZ(epoch, 3) for epoch milliseconds"
               : "");
      return NULL;
    }
    if (x->type == to) return x;
    if (is_null_lit(x)) return coerce(b, x, to);
    e = unary(b, EXPR_CAST, to, x, a->off);
    if (e && (a->flags & AST_F_TRY)) e->flags |= EXPR_F_TRY;
    return e;
  }
  case AST_IS_NULL:
    x = bind_expr(b, cx, a->a);
    return unary(b, a->flags & AST_F_NOT ? EXPR_IS_NOT_NULL : EXPR_IS_NULL, WEIR_TYPE_BOOLEAN, x,
                 a->off);
  case AST_BETWEEN: {
    /* x BETWEEN lo AND hi  ==  x >= lo AND x <= hi */
    x = bind_expr(b, cx, a->a);
    weir__expr *lo = x ? bind_expr(b, cx, a->b) : NULL;
    weir__expr *hi = lo ? bind_expr(b, cx, a->c) : NULL;
    if (!hi) return NULL;
    weir__expr *ge = bind_comparison(b, AST_OP_GE, x, lo, a->off);
    weir__expr *le = ge ? bind_comparison(b, AST_OP_LE, weir__expr_copy(b->arena, x), hi, a->off)
                        : NULL;
    e = binary(b, EXPR_AND, WEIR_TYPE_BOOLEAN, ge, le, a->off);
    if (e && (a->flags & AST_F_NOT)) e = unary(b, EXPR_NOT, WEIR_TYPE_BOOLEAN, e, a->off);
    return e;
  }
  case AST_IN: {
    int n = a->list ? a->list->n : 0;
    e = new_expr(b, EXPR_IN, WEIR_TYPE_BOOLEAN, a->off, n + 1);
    if (!e || !(e->args[0] = bind_expr(b, cx, a->a))) return NULL;
    for (int i = 0; i < n; i++) {
      if (!(e->args[i + 1] = bind_expr(b, cx, a->list->v[i]))) return NULL;
    }
    /* Bring every element to one type. */
    int t = e->args[0]->type;
    for (int i = 1; i <= n; i++) {
      weir__expr *l = e->args[0];
      t = unify(b, &l, &e->args[i], "compare with IN", e->args[i]->off);
      if (t < 0) return NULL;
      e->args[0] = l;
    }
    for (int i = 0; i <= n; i++) e->args[i] = coerce(b, e->args[i], t);
    if (a->flags & AST_F_NOT) e = unary(b, EXPR_NOT, WEIR_TYPE_BOOLEAN, e, a->off);
    return e;
  }
  case AST_LIKE: {
    e = new_expr(b, EXPR_LIKE, WEIR_TYPE_BOOLEAN, a->off, a->c ? 3 : 2);
    if (!e) return NULL;
    weir__ast *parts[3] = {a->a, a->b, a->c};
    for (int i = 0; i < e->nargs; i++) {
      x = bind_expr(b, cx, parts[i]);
      if (!x) return NULL;
      if (x->type != WEIR_TYPE_VARCHAR && x->type != WEIR_TYPE_NULL) {
        berr(b, WEIR_ERROR, x->off, "LIKE needs VARCHAR operands, got %s",
             weir__type_name(x->type));
        return NULL;
      }
      e->args[i] = coerce(b, x, WEIR_TYPE_VARCHAR);
    }
    if (e->nargs == 3) {
      weir__expr *esc = e->args[2];
      if (esc->op != EXPR_CONST || esc->val.null || esc->val.s.n != 1) {
        berr(b, WEIR_ERROR, esc->off, "the ESCAPE of LIKE must be a one-character constant");
        return NULL;
      }
    }
    if (a->flags & AST_F_NOT) e = unary(b, EXPR_NOT, WEIR_TYPE_BOOLEAN, e, a->off);
    return e;
  }
  }
  berr(b, WEIR_INTERNAL, a->off, "unhandled expression kind %d", a->kind);
  return NULL;
}

/* ---- plans --------------------------------------------------------------- */

static weir__lplan *new_node(binder *b, int kind, weir__lplan *input, int ncol) {
  weir__lplan *p = balloc(b, sizeof *p);
  if (!p) return NULL;
  p->kind = kind;
  p->input = input;
  p->rowtime = -1;
  p->ncol = ncol;
  if (ncol) {
    p->names = balloc(b, sizeof(char *) * (size_t)ncol);
    p->types = balloc(b, sizeof(int) * (size_t)ncol);
    if (!p->names || !p->types) return NULL;
  }
  if (input) p->updating = input->updating;
  return p;
}

/* A node with the same schema as its input. */
static weir__lplan *pass_node(binder *b, int kind, weir__lplan *input) {
  weir__lplan *p = new_node(b, kind, input, 0);
  if (!p) return NULL;
  p->ncol = input->ncol;
  p->names = input->names;
  p->types = input->types;
  p->rowtime = input->rowtime;
  return p;
}

static scope scope_of(weir__lplan *p, const char *table, weir__tok alias, unsigned char *used) {
  scope sc;
  memset(&sc, 0, sizeof sc);
  sc.ncol = p->ncol;
  sc.names = p->names;
  sc.types = p->types;
  sc.table = table;
  sc.alias = alias;
  sc.used = used;
  return sc;
}

static weir__lplan *scan_node(binder *b, weir__table *t, int off) {
  if (!(t->caps & WEIR_CAP_SOURCE)) {
    berr(b, WEIR_ERROR, off, "table '%s' cannot be read from: its connector '%s' is a sink only",
         t->name, weir__table_option(t, "connector") ? weir__table_option(t, "connector") : "?");
    return NULL;
  }
  weir__lplan *p = new_node(b, LOP_SCAN, NULL, t->ncol);
  if (!p) return NULL;
  p->table = t;
  for (int i = 0; i < t->ncol; i++) {
    p->names[i] = t->cols[i].name;
    p->types[i] = t->cols[i].type;
  }
  p->rowtime = t->wm_col;
  return p;
}

/* A constant interval argument of a window function, in ms. */
static int window_interval(binder *b, bctx *cx, weir__ast *a, const char *what, int64_t *ms,
                           int allow_zero) {
  weir__expr *e = bind_expr(b, cx, a);
  if (!e) return -1;
  if (e->op != EXPR_CONST || e->type != WEIR_TYPE_INTERVAL || e->val.null) {
    berr(b, WEIR_ERROR, a->off, "the %s of a window must be an interval literal such as "
                                "INTERVAL '10' SECOND",
         what);
    return -1;
  }
  if (e->val.i < 0 || (e->val.i == 0 && !allow_zero)) {
    berr(b, WEIR_ERROR, a->off, "the %s of a window must be positive", what);
    return -1;
  }
  *ms = e->val.i;
  return 0;
}

/* FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(col), size [, offset])) or
 * HOP(TABLE t, DESCRIPTOR(col), slide, size [, offset]).  Returns the
 * WINDOW node over the scan. */
static weir__lplan *bind_tvf(binder *b, weir__ast_from *f, weir__table *t) {
  weir__lplan *scan = scan_node(b, t, f->table.off);
  if (!scan) return NULL;
  const char *fn = f->fn.p;
  size_t fnl = (size_t)f->fn.n;
  int kind = weir__strnicmp_eq(fn, fnl, "TUMBLE") ? WINDOW_TUMBLE
             : weir__strnicmp_eq(fn, fnl, "HOP")  ? WINDOW_HOP
                                                  : 0;
  if (!kind) {
    if (weir__strnicmp_eq(fn, fnl, "CUMULATE") || weir__strnicmp_eq(fn, fnl, "SESSION"))
      berr(b, WEIR_UNSUPPORTED, f->fn.off, "window function %.*s is not supported yet", f->fn.n,
           f->fn.p);
    else
      berr(b, WEIR_ERROR, f->fn.off,
           "unknown table function '%.*s': expected TUMBLE or HOP", f->fn.n, f->fn.p);
    return NULL;
  }
  int nargs = f->fn_args ? f->fn_args->n : 0;
  int want_lo = kind == WINDOW_TUMBLE ? 2 : 3;
  if (nargs < want_lo || nargs > want_lo + 1) {
    berr(b, WEIR_ERROR, f->fn.off,
         kind == WINDOW_TUMBLE
             ? "TUMBLE takes (TABLE t, DESCRIPTOR(time_col), size [, offset])"
             : "HOP takes (TABLE t, DESCRIPTOR(time_col), slide, size [, offset])");
    return NULL;
  }
  weir__ast *d = f->fn_args->v[0];
  if (d->kind != AST_FUNC || !weir__strnicmp_eq(d->name.p, (size_t)d->name.n, "DESCRIPTOR") ||
      !d->list || d->list->n != 1 || ((weir__ast *)d->list->v[0])->kind != AST_COLUMN) {
    berr(b, WEIR_ERROR, d->off, "the second argument of %.*s must be DESCRIPTOR(time_column)",
         f->fn.n, f->fn.p);
    return NULL;
  }
  weir__ast *dc = d->list->v[0];
  scope sc = scope_of(scan, t->name, f->alias, NULL);
  int tc = scope_lookup(b, &sc, dc);
  if (tc < 0) return NULL;
  if (tc != t->wm_col && !weir__column_is_proctime(&t->cols[tc])) {
    berr(b, WEIR_ERROR, dc->off,
         "column '%s' is not a time attribute of '%s': declare WATERMARK FOR %s AS ... in its "
         "CREATE TABLE, or a processing-time column %s AS PROCTIME()",
         t->cols[tc].name, t->name, t->cols[tc].name, t->cols[tc].name);
    return NULL;
  }
  bctx cx;
  memset(&cx, 0, sizeof cx);
  cx.mode = MODE_PLAIN;
  cx.sc = &sc;
  cx.clause = "a window argument";
  weir__window w;
  memset(&w, 0, sizeof w);
  w.kind = kind;
  w.time_col = tc;
  if (kind == WINDOW_TUMBLE) {
    if (window_interval(b, &cx, f->fn_args->v[1], "size", &w.size, 0)) return NULL;
    w.slide = w.size;
    if (nargs == 3 && window_interval(b, &cx, f->fn_args->v[2], "offset", &w.offset, 1))
      return NULL;
  } else {
    if (window_interval(b, &cx, f->fn_args->v[1], "slide", &w.slide, 0) ||
        window_interval(b, &cx, f->fn_args->v[2], "size", &w.size, 0))
      return NULL;
    if (nargs == 4 && window_interval(b, &cx, f->fn_args->v[3], "offset", &w.offset, 1))
      return NULL;
    if (w.slide > w.size) {
      berr(b, WEIR_ERROR, ((weir__ast *)f->fn_args->v[1])->off,
           "the slide of a HOP window must not be larger than its size");
      return NULL;
    }
  }
  weir__lplan *p = new_node(b, LOP_WINDOW, scan, scan->ncol + 3);
  if (!p) return NULL;
  for (int i = 0; i < scan->ncol; i++) {
    p->names[i] = scan->names[i];
    p->types[i] = scan->types[i];
  }
  p->names[scan->ncol] = "window_start";
  p->names[scan->ncol + 1] = "window_end";
  p->names[scan->ncol + 2] = "window_time";
  p->types[scan->ncol] = WEIR_TYPE_TIMESTAMP;
  p->types[scan->ncol + 1] = WEIR_TYPE_TIMESTAMP;
  p->types[scan->ncol + 2] = scan->types[tc];
  p->window = w;
  p->rowtime = scan->ncol + 2;
  return p;
}

static int select_has_agg(weir__ast_select *sel) {
  for (int i = 0; sel->items && i < sel->items->n; i++) {
    weir__ast_selitem *it = sel->items->v[i];
    if (ast_has_agg(it->expr)) return 1;
  }
  return ast_has_agg(sel->having);
}

/* Collect the aggregate calls of e (MODE_COLLECT_AGGS). */
static int collect_aggs(binder *b, bctx *cx, weir__ast *a) {
  if (!a) return 0;
  int kind = agg_kind_of(a);
  if (kind) {
    bind_agg_call(b, cx, a, kind);
    return b->err->code ? -1 : 0;
  }
  if (collect_aggs(b, cx, a->a) || collect_aggs(b, cx, a->b) || collect_aggs(b, cx, a->c))
    return -1;
  if (a->list) {
    for (int i = 0; i < a->list->n; i++) {
      if (collect_aggs(b, cx, a->list->v[i])) return -1;
    }
  }
  return 0;
}

/* Output name of a select item. */
static char *item_name(binder *b, weir__ast_selitem *it) {
  if (it->alias.n) return bstrdup(b, it->alias.p, it->alias.n);
  if (it->expr->kind == AST_COLUMN) return bstrdup(b, it->expr->name.p, it->expr->name.n);
  return ast_text(b, it->expr);
}

/* Bind the SELECT list over scope cx (or after aggregation) into a
 * PROJECT node over input. */
static weir__lplan *bind_select_list(binder *b, bctx *cx, weir__ast_select *sel,
                                     weir__lplan *input, scope *star_scope) {
  /* Count output columns, expanding stars. */
  int n = 0;
  for (int i = 0; i < sel->items->n; i++) {
    weir__ast_selitem *it = sel->items->v[i];
    if (it->expr->kind == AST_STAR) {
      if (cx->mode == MODE_POST_AGG) {
        berr(b, WEIR_ERROR, it->expr->off, "SELECT * cannot be used with GROUP BY; list the "
                                           "grouped columns");
        return NULL;
      }
      if (it->expr->qual.n) {
        weir__ast probe = *it->expr;
        probe.kind = AST_COLUMN;
        probe.name.p = "";
        probe.name.n = 0;
        /* Check the qualifier names the table. */
        if (!((star_scope->table &&
               weir__strnicmp_eq(probe.qual.p, (size_t)probe.qual.n, star_scope->table)) ||
              (star_scope->alias.n && probe.qual.n == star_scope->alias.n &&
               strncasecmp(probe.qual.p, star_scope->alias.p, (size_t)probe.qual.n) == 0))) {
          berr(b, WEIR_ERROR, it->expr->off, "unknown table or alias '%.*s'", probe.qual.n,
               probe.qual.p);
          return NULL;
        }
      }
      if (star_scope->ncol == 0) {
        berr(b, WEIR_ERROR, it->expr->off, "SELECT * needs a FROM clause");
        return NULL;
      }
      n += star_scope->ncol;
    } else {
      n++;
    }
  }
  weir__lplan *p = new_node(b, LOP_PROJECT, input, n);
  if (!p) return NULL;
  p->exprs = balloc(b, sizeof(weir__expr *) * (size_t)n);
  if (!p->exprs) return NULL;
  int k = 0;
  for (int i = 0; i < sel->items->n; i++) {
    weir__ast_selitem *it = sel->items->v[i];
    if (it->expr->kind == AST_STAR) {
      for (int c = 0; c < star_scope->ncol; c++) {
        if (star_scope->used) star_scope->used[c] = 1;
        p->exprs[k] = col_expr(b, c, star_scope->types[c], it->expr->off);
        p->names[k] = star_scope->names[c];
        p->types[k] = star_scope->types[c];
        if (input->rowtime == c) p->rowtime = k;
        k++;
      }
      continue;
    }
    weir__expr *e = bind_expr(b, cx, it->expr);
    if (!e) return NULL;
    if (e->type == WEIR_TYPE_NULL) e = coerce(b, e, WEIR_TYPE_VARCHAR);
    p->exprs[k] = e;
    p->names[k] = item_name(b, it);
    p->types[k] = e->type;
    if (e->op == EXPR_COL && e->col == input->rowtime && cx->mode != MODE_POST_AGG) p->rowtime = k;
    k++;
  }
  return p;
}

/* Does e use one of the three window columns at the end of a scope of
 * ncol columns? */
static int uses_window_cols(const weir__expr *e, int ncol) {
  if (!e) return 0;
  if (e->op == EXPR_COL && e->col >= ncol - 3) return 1;
  for (int i = 0; i < e->nargs; i++) {
    if (uses_window_cols(e->args[i], ncol)) return 1;
  }
  return 0;
}

static int is_col_named(weir__ast *a, const char *name) {
  return a->kind == AST_COLUMN && weir__strnicmp_eq(a->name.p, (size_t)a->name.n, name);
}

/* Bind a SELECT (without the sink) into a logical plan. */
static weir__lplan *bind_select(binder *b, weir__ast_select *sel) {
  if (sel->order_off >= 0) {
    berr(b, WEIR_UNSUPPORTED, sel->order_off,
         "ORDER BY is not supported on a streaming query (its result never ends)");
    return NULL;
  }
  if (sel->distinct) {
    if (sel->group_by) {
      berr(b, WEIR_UNSUPPORTED, sel->off, "SELECT DISTINCT with GROUP BY is not supported yet");
      return NULL;
    }
  }
  weir__lplan *base;
  weir__table *table = NULL;
  weir__ast_from *f = sel->from;
  if (f) {
    table = weir__catalog_find(b->cat, f->table.p, f->table.n);
    if (!table) {
      berr(b, WEIR_NOTFOUND, f->table.off, "unknown table '%.*s'", f->table.n, f->table.p);
      return NULL;
    }
    base = f->kind == AST_FROM_TVF ? bind_tvf(b, f, table) : scan_node(b, table, f->table.off);
  } else {
    base = new_node(b, LOP_VALUES, NULL, 0);
  }
  if (!base) return NULL;
  weir__tok no_alias = {NULL, 0, -1};
  weir__tok alias = f ? f->alias : no_alias;
  scope sc = scope_of(base, table ? table->name : NULL, alias, NULL);

  int aggregating = sel->group_by != NULL || select_has_agg(sel) || sel->distinct;
  if (!aggregating && sel->having) {
    berr(b, WEIR_ERROR, sel->having->off, "HAVING needs GROUP BY or an aggregate function");
    return NULL;
  }

  /* A window aggregation groups by window_start and window_end of a
   * window TVF. */
  int windowed = 0;
  if (aggregating && base->kind == LOP_WINDOW && sel->group_by) {
    int has_start = 0, has_end = 0;
    for (int i = 0; i < sel->group_by->n; i++) {
      has_start |= is_col_named(sel->group_by->v[i], "window_start");
      has_end |= is_col_named(sel->group_by->v[i], "window_end");
    }
    windowed = has_start && has_end;
  }

  weir__lplan *cur = base;
  bctx cx;
  memset(&cx, 0, sizeof cx);
  cx.mode = MODE_PLAIN;
  cx.sc = &sc;

  /* WHERE.  Under a window aggregation the windows are assigned by the
   * aggregation itself, so the filter runs on the table's rows. */
  weir__lplan *agg_input = NULL;
  scope tsc;
  if (windowed) {
    agg_input = base->input; /* the scan */
    tsc = scope_of(agg_input, table->name, alias, NULL);
  }
  if (sel->where) {
    cx.clause = "WHERE";
    if (ast_has_agg(sel->where)) {
      berr(b, WEIR_ERROR, sel->where->off,
           "aggregate functions are not allowed in WHERE; use HAVING");
      return NULL;
    }
    bctx wcx = cx;
    if (windowed) wcx.sc = &tsc;
    weir__expr *pred = bind_boolean(b, &wcx, sel->where, "WHERE");
    if (!pred) {
      if (windowed && b->err->code == WEIR_ERROR && strstr(b->err->msg, "unknown column") &&
          (strstr(b->err->msg, "window_"))) {
        weir__err_force(b->err, WEIR_UNSUPPORTED, sel->where->off,
                        "WHERE cannot refer to window columns in a window aggregation; use "
                        "HAVING");
      }
      return NULL;
    }
    weir__lplan *fl = pass_node(b, LOP_FILTER, windowed ? agg_input : cur);
    if (!fl) return NULL;
    fl->pred = pred;
    if (windowed)
      agg_input = fl;
    else
      cur = fl;
  }

  if (!aggregating) {
    cx.clause = "the SELECT list";
    weir__lplan *p = bind_select_list(b, &cx, sel, cur, &sc);
    if (!p) return NULL;
    cur = p;
  } else {
    aggctx ag;
    memset(&ag, 0, sizeof ag);
    scope *pre_scope = windowed ? &tsc : &sc;
    ag.pre = &sc;
    /* GROUP BY expressions, bound over the full scope (window columns
     * included, for matching). */
    int ng = sel->group_by ? sel->group_by->n : 0;
    if (sel->distinct) ng = sel->items->n;
    ag.groups = balloc(b, sizeof(weir__expr *) * (size_t)(ng ? ng : 1));
    ag.group_types = balloc(b, sizeof(int) * (size_t)(ng ? ng : 1));
    if (!ag.groups || !ag.group_types) return NULL;
    cx.clause = "GROUP BY";
    for (int i = 0; i < ng; i++) {
      weir__ast *ga;
      if (sel->distinct) {
        weir__ast_selitem *it = sel->items->v[i];
        if (it->expr->kind == AST_STAR) {
          berr(b, WEIR_UNSUPPORTED, it->expr->off, "SELECT DISTINCT * is not supported; list "
                                                   "the columns");
          goto agg_fail;
        }
        ga = it->expr;
      } else {
        ga = sel->group_by->v[i];
      }
      if (ast_has_agg(ga)) {
        berr(b, WEIR_ERROR, ga->off, "aggregate functions are not allowed in GROUP BY");
        goto agg_fail;
      }
      weir__expr *g = bind_expr(b, &cx, ga);
      if (!g) goto agg_fail;
      if (g->type == WEIR_TYPE_NULL) g = coerce(b, g, WEIR_TYPE_VARCHAR);
      ag.groups[i] = g;
      ag.group_types[i] = g->type;
    }
    ag.ngroup = ng;
    /* Aggregate calls of the SELECT list and HAVING. */
    bctx ccx = cx;
    ccx.mode = MODE_COLLECT_AGGS;
    ccx.agg = &ag;
    ccx.clause = "the SELECT list";
    for (int i = 0; i < sel->items->n; i++) {
      weir__ast_selitem *it = sel->items->v[i];
      if (collect_aggs(b, &ccx, it->expr)) goto agg_fail;
    }
    if (collect_aggs(b, &ccx, sel->having)) goto agg_fail;
    int nagg = ag.bound.n;

    /* The PROJECT below the aggregation: keys, then arguments, then
     * filters (and the rowtime for a window aggregation). */
    int nk_real = 0;
    int *keymap = balloc(b, sizeof(int) * (size_t)(ng ? ng : 1));
    if (!keymap) goto agg_fail;
    for (int i = 0; i < ng; i++) {
      weir__expr *g = ag.groups[i];
      int special = 0;
      if (windowed && g->op == EXPR_COL && g->col >= base->ncol - 3) {
        special = g->col - (base->ncol - 3) + 1; /* 1 start, 2 end, 3 time */
      } else if (windowed && uses_window_cols(g, base->ncol)) {
        berr(b, WEIR_UNSUPPORTED, g->off,
             "a GROUP BY expression of a window aggregation cannot use window columns "
             "other than as window_start, window_end or window_time themselves");
        goto agg_fail;
      }
      keymap[i] = special ? -special : nk_real++;
    }
    int npre = nk_real + nagg * 2 + (windowed ? 1 : 0);
    weir__lplan *pre = new_node(b, LOP_PROJECT, windowed ? agg_input : cur, npre);
    if (!pre) goto agg_fail;
    pre->exprs = balloc(b, sizeof(weir__expr *) * (size_t)(npre ? npre : 1));
    if (!pre->exprs) goto agg_fail;
    int k = 0;
    for (int i = 0; i < ng; i++) {
      if (keymap[i] < 0) continue;
      pre->exprs[k] = ag.groups[i];
      weir__sb nm;
      weir__sb_init(&nm);
      weir__expr_format(ag.groups[i], pre_scope->names, &nm);
      pre->names[k] = bstrdup(b, weir__sb_str(&nm), (int)nm.n);
      weir__sb_free(&nm);
      pre->types[k] = ag.groups[i]->type;
      k++;
    }
    weir__aggcall *calls = balloc(b, sizeof(weir__aggcall) * (size_t)(nagg ? nagg : 1));
    if (!calls) goto agg_fail;
    int nproj = k;
    for (int i = 0; i < nagg; i++) {
      calls[i] = *(weir__aggcall *)ag.bound.v[i];
      weir__expr *arg = ag.args.v[i], *flt = ag.filters.v[i];
      if (windowed && (uses_window_cols(arg, base->ncol) || uses_window_cols(flt, base->ncol))) {
        berr(b, WEIR_UNSUPPORTED, ((weir__ast *)ag.first.v[i])->off,
             "an aggregate of a window aggregation cannot use the window columns");
        goto agg_fail;
      }
      if (arg) {
        pre->exprs[nproj] = arg;
        pre->names[nproj] = weir__arena_printf(b->arena, "$arg%d", i);
        pre->types[nproj] = arg->type;
        calls[i].arg = nproj++;
      }
      if (flt) {
        pre->exprs[nproj] = flt;
        pre->names[nproj] = weir__arena_printf(b->arena, "$filter%d", i);
        pre->types[nproj] = WEIR_TYPE_BOOLEAN;
        calls[i].filter = nproj++;
      }
    }
    int time_pos = -1;
    if (windowed) {
      int tc = base->window.time_col;
      pre->exprs[nproj] = col_expr(b, tc, agg_input->types[tc], sel->off);
      pre->names[nproj] = agg_input->names[tc];
      pre->types[nproj] = agg_input->types[tc];
      time_pos = nproj++;
      pre->rowtime = time_pos;
    }
    pre->ncol = nproj;
    /* The aggregation: output = group keys in GROUP BY order, then the
     * aggregate results. */
    weir__lplan *agg = new_node(b, LOP_AGG, pre, ng + nagg);
    if (!agg) goto agg_fail;
    agg->nkeys = ng;
    agg->keys = balloc(b, sizeof(int) * (size_t)(ng ? ng : 1));
    if (!agg->keys) goto agg_fail;
    for (int i = 0; i < ng; i++) {
      agg->keys[i] = keymap[i];
      agg->names[i] = pre->names[keymap[i] >= 0 ? keymap[i] : 0];
      if (ag.groups[i]->op == EXPR_COL) agg->names[i] = sc.names[ag.groups[i]->col];
      agg->types[i] = ag.groups[i]->type;
    }
    agg->nagg = nagg;
    agg->aggs = calls;
    for (int i = 0; i < nagg; i++) {
      agg->names[ng + i] = ast_text(b, ag.first.v[i]);
      agg->types[ng + i] = calls[i].type;
    }
    if (windowed) {
      agg->window = base->window;
      agg->window.time_col = time_pos;
      agg->updating = 0;
    } else {
      if (cur->updating) {
        berr(b, WEIR_UNSUPPORTED, sel->off,
             "aggregating an updating input is not supported yet");
        goto agg_fail;
      }
      agg->updating = 1;
    }
    cur = agg;
    /* After aggregation: HAVING and the SELECT list. */
    bctx pcx = cx;
    pcx.mode = MODE_POST_AGG;
    pcx.agg = &ag;
    if (sel->having) {
      pcx.clause = "HAVING";
      weir__expr *h = bind_boolean(b, &pcx, sel->having, "HAVING");
      if (!h) goto agg_fail;
      weir__lplan *fl = pass_node(b, LOP_FILTER, cur);
      if (!fl) goto agg_fail;
      fl->pred = h;
      cur = fl;
    }
    pcx.clause = "the SELECT list";
    weir__lplan *p = bind_select_list(b, &pcx, sel, cur, &sc);
    if (!p) goto agg_fail;
    cur = p;
    aggctx_free(&ag);
    goto agg_done;
  agg_fail:
    aggctx_free(&ag);
    return NULL;
  agg_done:;
  }

  if (sel->limit) {
    bctx lcx = cx;
    lcx.mode = MODE_PLAIN;
    scope none;
    memset(&none, 0, sizeof none);
    lcx.sc = &none;
    weir__expr *l = bind_expr(b, &lcx, sel->limit);
    if (!l) return NULL;
    if (l->op != EXPR_CONST || !weir__type_is_integer(l->type) || l->val.i < 0) {
      berr(b, WEIR_ERROR, sel->limit->off, "LIMIT needs a non-negative integer constant");
      return NULL;
    }
    if (cur->updating) {
      berr(b, WEIR_UNSUPPORTED, sel->limit->off,
           "LIMIT on an updating result is not supported yet");
      return NULL;
    }
    weir__lplan *lim = pass_node(b, LOP_LIMIT, cur);
    if (!lim) return NULL;
    lim->limit = l->val.i;
    cur = lim;
  }
  return cur;
}

/* May a query column of type from be written to a sink column of type to
 * without an explicit CAST? */
static int assignable(int from, int to) {
  if (from == to || from == WEIR_TYPE_NULL) return 1;
  if (weir__type_is_numeric(from) && weir__type_is_numeric(to))
    return wider_numeric(from, to) == to;
  if (weir__type_is_time(from) && weir__type_is_time(to)) return 1;
  return 0;
}

static weir__lplan *bind_insert(binder *b, weir__ast_stmt *st) {
  weir__table *t = weir__catalog_find(b->cat, st->name.p, st->name.n);
  if (!t) {
    berr(b, WEIR_NOTFOUND, st->name.off, "unknown table '%.*s'", st->name.n, st->name.p);
    return NULL;
  }
  if (!(t->caps & WEIR_CAP_SINK)) {
    berr(b, WEIR_ERROR, st->name.off,
         "table '%s' cannot be written to: its connector '%s' is a source only", t->name,
         weir__table_option(t, "connector") ? weir__table_option(t, "connector") : "?");
    return NULL;
  }
  weir__lplan *q = bind_select(b, st->select);
  if (!q) return NULL;
  /* The sink's physical columns, in order. */
  int nphys = 0;
  for (int i = 0; i < t->ncol; i++) nphys += t->cols[i].computed == NULL;
  if (q->ncol != nphys) {
    weir__sb cols;
    weir__sb_init(&cols);
    for (int i = 0; i < t->ncol; i++) {
      if (!t->cols[i].computed) weir__sb_printf(&cols, "%s%s", cols.n ? ", " : "", t->cols[i].name);
    }
    berr(b, WEIR_ERROR, st->select->off,
         "the query returns %d column%s but table '%s' has %d: (%s)", q->ncol,
         q->ncol == 1 ? "" : "s", t->name, nphys, weir__sb_str(&cols));
    weir__sb_free(&cols);
    return NULL;
  }
  weir__lplan *cast = NULL;
  int k = 0;
  for (int i = 0; i < t->ncol; i++) {
    if (t->cols[i].computed) continue;
    int from = q->types[k], to = t->cols[i].type;
    if (!assignable(from, to)) {
      berr(b, WEIR_ERROR, st->select->off,
           "type mismatch: column %d of the query ('%s') is %s but column '%s' of table '%s' is "
           "%s; add a CAST",
           k + 1, q->names[k], weir__type_name(from), t->cols[i].name, t->name,
           weir__type_name(to));
      return NULL;
    }
    if (from != to && !cast) {
      cast = new_node(b, LOP_PROJECT, q, nphys);
      if (!cast) return NULL;
      cast->exprs = balloc(b, sizeof(weir__expr *) * (size_t)nphys);
      if (!cast->exprs) return NULL;
      for (int j = 0; j < nphys; j++) {
        cast->exprs[j] = col_expr(b, j, q->types[j], st->select->off);
        cast->names[j] = q->names[j];
        cast->types[j] = q->types[j];
      }
    }
    if (cast && from != to) {
      cast->exprs[k] = coerce(b, cast->exprs[k], to);
      cast->types[k] = to;
    }
    k++;
  }
  if (cast) q = cast;
  if (q->updating) {
    if (!(t->caps & WEIR_CAP_SINK_UPDATES)) {
      berr(b, WEIR_ERROR, st->name.off,
           "table '%s' (connector '%s') accepts only append-only input, but the query produces "
           "an updating result (a GROUP BY without a window)",
           t->name, weir__table_option(t, "connector"));
      return NULL;
    }
    if (t->npk == 0) {
      berr(b, WEIR_ERROR, st->name.off,
           "table '%s' has no PRIMARY KEY, but the query produces an updating result (a GROUP "
           "BY without a window); declare PRIMARY KEY (...) NOT ENFORCED on the sink",
           t->name);
      return NULL;
    }
  }
  weir__lplan *s = pass_node(b, LOP_SINK, q);
  if (!s) return NULL;
  s->table = t;
  return s;
}

int weir__bind(weir__catalog *cat, const weir__config *cfg, weir__ast_stmt *stmt,
               const char *sql, weir__arena *arena, weir__lplan **out, weir__err *err) {
  binder b;
  memset(&b, 0, sizeof b);
  b.cat = cat;
  b.cfg = cfg;
  b.sql = sql;
  b.arena = arena;
  b.err = err;
  weir__lplan *p = NULL;
  if (stmt->kind == STMT_INSERT)
    p = bind_insert(&b, stmt);
  else if (stmt->kind == STMT_SELECT)
    p = bind_select(&b, stmt->select);
  else
    return weir__err_set(err, WEIR_INTERNAL, stmt->off, "statement cannot be bound");
  if (!p) {
    if (err->code == WEIR_OK) weir__err_set(err, WEIR_INTERNAL, stmt->off, "binding failed");
    return err->code;
  }
  *out = p;
  return WEIR_OK;
}

/* ---- tables: computed columns and watermarks ------------------------------ */

int weir__bind_table_expr(weir__table *t, const char *text, int err_off, int all_columns,
                          weir__arena *arena, weir__expr **out, weir__err *err) {
  /* Parse "SELECT <text>" and take the one item. */
  weir__sb sb;
  weir__sb_init(&sb);
  weir__sb_puts(&sb, "SELECT ");
  weir__sb_puts(&sb, text);
  if (sb.oom) {
    weir__sb_free(&sb);
    return weir__err_nomem(err);
  }
  char *wrapped = weir__arena_strndup(arena, sb.p, sb.n);
  int len = (int)sb.n;
  weir__sb_free(&sb);
  if (!wrapped) return weir__err_nomem(err);
  weir__err perr;
  weir__err_clear(&perr);
  int consumed;
  weir__ast_stmt *st = NULL;
  if (weir__grammar_parse_one(arena, wrapped, len, &consumed, &st, &perr) || !st ||
      st->kind != STMT_SELECT || st->select->items->n != 1 || st->select->from ||
      consumed != len) {
    int off = perr.offset >= 7 ? perr.offset - 7 + err_off : err_off;
    return weir__err_set(err, WEIR_ERROR, off, "invalid expression '%s'%s%s", text,
                         perr.code ? ": " : "", perr.code ? perr.msg : "");
  }
  weir__ast_selitem *it = st->select->items->v[0];
  /* Physical columns only. */
  int nphys = 0;
  char **names = weir__arena_alloc(arena, sizeof(char *) * (size_t)t->ncol);
  int *types = weir__arena_alloc(arena, sizeof(int) * (size_t)t->ncol);
  if (!names || !types) return weir__err_nomem(err);
  for (int i = 0; i < t->ncol; i++) {
    names[i] = t->cols[i].computed && !all_columns ? "" : t->cols[i].name;
    types[i] = t->cols[i].type;
    nphys += t->cols[i].computed == NULL;
  }
  scope sc;
  memset(&sc, 0, sizeof sc);
  sc.ncol = t->ncol;
  sc.names = names;
  sc.types = types;
  sc.table = t->name;
  binder b;
  memset(&b, 0, sizeof b);
  b.sql = wrapped;
  b.arena = arena;
  weir__err berr_;
  weir__err_clear(&berr_);
  b.err = &berr_;
  bctx cx;
  memset(&cx, 0, sizeof cx);
  cx.mode = MODE_PLAIN;
  cx.sc = &sc;
  cx.clause = "a computed column";
  weir__expr *e = bind_expr(&b, &cx, it->expr);
  if (!e) {
    int off = berr_.offset >= 7 ? berr_.offset - 7 + err_off : err_off;
    return weir__err_set(err, berr_.code ? berr_.code : WEIR_ERROR, off, "%s", berr_.msg);
  }
  if (e->type == WEIR_TYPE_NULL) e = coerce(&b, e, WEIR_TYPE_VARCHAR);
  *out = e;
  return WEIR_OK;
}

int weir__bind_table(weir__table *t, weir__err *err) {
  weir__arena arena;
  weir__arena_init(&arena, 4096);
  int rc = WEIR_OK;
  for (int i = 0; i < t->ncol && rc == WEIR_OK; i++) {
    if (!t->cols[i].computed) continue;
    weir__expr *e;
    rc = weir__bind_table_expr(t, t->cols[i].computed, t->cols[i].computed_off, 0, &arena, &e,
                               err);
    if (rc == WEIR_OK) t->cols[i].type = e->type;
  }
  if (rc == WEIR_OK && t->wm_col >= 0) {
    int wt = t->cols[t->wm_col].type;
    if (!weir__type_is_time(wt)) {
      rc = weir__err_set(err, WEIR_ERROR, t->wm_off,
                         "WATERMARK FOR '%s': the column must be TIMESTAMP(3) or "
                         "TIMESTAMP_LTZ(3), but it is %s",
                         t->cols[t->wm_col].name, weir__type_name(wt));
    } else {
      /* The watermark expression may use every column, computed ones
       * included. */
      weir__expr *e;
      rc = weir__bind_table_expr(t, t->wm_sql, t->wm_off, 1, &arena, &e, err);
      if (rc == WEIR_OK && !weir__type_is_time(e->type)) {
        rc = weir__err_set(err, WEIR_ERROR, t->wm_off,
                           "the WATERMARK expression must return a timestamp like its column, "
                           "but it returns %s",
                           weir__type_name(e->type));
      }
    }
  }
  weir__arena_free(&arena);
  return rc;
}

/* ---- expression utilities ------------------------------------------------ */

void weir__expr_mark_columns(const weir__expr *e, unsigned char *used) {
  if (!e) return;
  if (e->op == EXPR_COL) used[e->col] = 1;
  for (int i = 0; i < e->nargs; i++) weir__expr_mark_columns(e->args[i], used);
}

void weir__expr_remap(weir__expr *e, const int *map) {
  if (!e) return;
  if (e->op == EXPR_COL) e->col = map[e->col];
  for (int i = 0; i < e->nargs; i++) weir__expr_remap(e->args[i], map);
}

/* ---- EXPLAIN of the logical plan ----------------------------------------- */

static void explain_node(const weir__lplan *p, int depth, weir__sb *sb) {
  for (int i = 0; i < depth; i++) weir__sb_puts(sb, i + 1 == depth ? "+- " : "   ");
  char **in = p->input ? p->input->names : NULL;
  switch (p->kind) {
  case LOP_SCAN: weir__sb_printf(sb, "Scan(table=[%s])", p->table->name); break;
  case LOP_VALUES: weir__sb_puts(sb, "Values(one row)"); break;
  case LOP_FILTER:
    weir__sb_puts(sb, "Filter(condition=[");
    weir__expr_format(p->pred, in, sb);
    weir__sb_puts(sb, "])");
    break;
  case LOP_PROJECT:
    weir__sb_puts(sb, "Project(");
    for (int i = 0; i < p->ncol; i++) {
      if (i) weir__sb_puts(sb, ", ");
      weir__sb_printf(sb, "%s=[", p->names[i]);
      weir__expr_format(p->exprs[i], in, sb);
      weir__sb_putc(sb, ']');
    }
    weir__sb_putc(sb, ')');
    break;
  case LOP_WINDOW:
    weir__sb_printf(sb, "WindowTableFunction(%s(%s, size=[%lld ms], slide=[%lld ms]))",
                    p->window.kind == WINDOW_TUMBLE ? "TUMBLE" : "HOP",
                    in ? in[p->window.time_col] : "?", (long long)p->window.size,
                    (long long)p->window.slide);
    break;
  case LOP_AGG:
    if (p->window.kind)
      weir__sb_printf(sb, "WindowAggregate(window=[%s(%s, size=[%lld ms], slide=[%lld ms])], ",
                      p->window.kind == WINDOW_TUMBLE ? "TUMBLE" : "HOP",
                      in ? in[p->window.time_col] : "?", (long long)p->window.size,
                      (long long)p->window.slide);
    else
      weir__sb_puts(sb, "Aggregate(");
    weir__sb_puts(sb, "groupBy=[");
    for (int i = 0; i < p->nkeys; i++) weir__sb_printf(sb, "%s%s", i ? ", " : "", p->names[i]);
    weir__sb_puts(sb, "], select=[");
    for (int i = 0; i < p->nagg; i++)
      weir__sb_printf(sb, "%s%s", i ? ", " : "", p->names[p->nkeys + i]);
    weir__sb_puts(sb, "])");
    break;
  case LOP_LIMIT: weir__sb_printf(sb, "Limit(fetch=[%lld])", (long long)p->limit); break;
  case LOP_SINK: weir__sb_printf(sb, "Sink(table=[%s])", p->table->name); break;
  }
  if (p->updating && p->kind != LOP_SINK) weir__sb_puts(sb, " [updating]");
  weir__sb_putc(sb, '\n');
  if (p->input) explain_node(p->input, depth + 1, sb);
}

void weir__lplan_explain(const weir__lplan *p, weir__sb *sb) { explain_node(p, 0, sb); }

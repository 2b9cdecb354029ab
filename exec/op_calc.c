/*
 * op_calc.c -- CALC: a filter and/or a projection (Flink's Calc).
 *
 * Evaluates the predicate into a selection, compacts the selected rows
 * when some were dropped, evaluates the projection vector by vector and
 * emits a chunk of views (column references are not copied).  Row kinds
 * pass through unchanged.  Watermarks pass through.  No state.
 *
 * Common subexpressions: a subexpression that occurs more than once in
 * the predicate and the projection (as REGEXP_EXTRACT(url, ..) in both
 * WHERE and SELECT, or LOWER(channel) in every WHEN of a CASE) is
 * evaluated once per chunk into an extra column, and the expressions read
 * that column instead.  Only subexpressions that cannot raise an error are
 * shared this way, because a shared one is evaluated for every row, also
 * for rows where the original expression would not have evaluated it
 * (a CASE branch not taken, the right side of an OR already true).  One
 * that occurs in the predicate is evaluated before the filter, any other
 * after it, on the selected rows only.
 */
#include "exec/execInt.h"

typedef struct calc_op {
  weir__op base;
  int sel[WEIR_CHUNK_CAP];
  weir__vec *in_cols;  /* compacted input (and the shared subexpressions) */
  weir__vec *ext_cols; /* input and shared subexpressions, before the filter */
  weir__vec *out_cols; /* projection output */
  /* The expressions, rewritten to read shared subexpressions. */
  weir__expr *pred;
  weir__expr **exprs;
  int nin;           /* input columns */
  int ndef;          /* shared subexpressions: column nin + i is defs[i] */
  weir__expr **defs; /* defs[i] reads only columns < nin and defs j > i */
  char *def_pre;     /* evaluated before the filter */
  weir__arena arena; /* the rewritten expressions */
} calc_op;

/* ---- common subexpressions -------------------------------------------------------------- */

/* Can evaluating e never raise a row error?  (Arithmetic can overflow or
 * divide by zero, CAST can fail, LIKE can meet a bad escape, ...) */
static int cannot_fail(const weir__expr *e) {
  switch (e->op) {
  case EXPR_COL:
  case EXPR_CONST:
  case EXPR_EQ:
  case EXPR_NE:
  case EXPR_LT:
  case EXPR_LE:
  case EXPR_GT:
  case EXPR_GE:
  case EXPR_AND:
  case EXPR_OR:
  case EXPR_NOT:
  case EXPR_IS_NULL:
  case EXPR_IS_NOT_NULL:
  case EXPR_CASE:
  case EXPR_IN:
  case EXPR_COALESCE:
  case EXPR_FN_UPPER:
  case EXPR_FN_LOWER:
  case EXPR_FN_CHAR_LENGTH:
  case EXPR_FN_TRIM:
  case EXPR_FN_TIME_FIELD:
  case EXPR_FN_REPLACE:
  case EXPR_FN_SPLIT_INDEX:
  case EXPR_FN_REGEXP_EXTRACT: break;
  default: return 0;
  }
  for (int i = 0; i < e->nargs; i++)
    if (!cannot_fail(e->args[i])) return 0;
  return 1;
}

static int expr_size(const weir__expr *e) {
  int n = 1;
  for (int i = 0; i < e->nargs; i++) n += expr_size(e->args[i]);
  return n;
}

static int count_in(const weir__expr *e, const weir__expr *t) {
  if (!e) return 0;
  if (weir__expr_equal(e, t)) return 1;
  int n = 0;
  for (int i = 0; i < e->nargs; i++) n += count_in(e->args[i], t);
  return n;
}

/* Every expression of the operator: predicate, projection, shared ones. */
typedef struct roots {
  weir__expr **v[3];
  int n[3];
} roots;

static int count_all(const roots *r, const weir__expr *t) {
  int n = 0;
  for (int k = 0; k < 3; k++)
    for (int i = 0; i < r->n[k]; i++) n += count_in(r->v[k][i], t);
  return n;
}

/* The largest subexpression of e worth sharing (occurring twice or more). */
static void find_shared(const roots *r, const weir__expr *e, int top, const weir__expr **best,
                        int *best_size) {
  if (e->op == EXPR_COL || e->op == EXPR_CONST) return;
  int size = expr_size(e);
  if (size <= *best_size) return; /* nothing inside is larger either */
  if (!top && cannot_fail(e) && count_all(r, e) >= 2) {
    *best = e;
    *best_size = size;
    return;
  }
  for (int i = 0; i < e->nargs; i++) find_shared(r, e->args[i], 0, best, best_size);
}

/* Replace every occurrence of t inside *pe (and *pe itself unless keep_top) by col. */
static void replace_in(weir__expr **pe, const weir__expr *t, weir__expr *col, int keep_top) {
  if (!keep_top && weir__expr_equal(*pe, t)) {
    *pe = col;
    return;
  }
  for (int i = 0; i < (*pe)->nargs; i++) replace_in(&(*pe)->args[i], t, col, 0);
}

static int share_subexpressions(calc_op *c) {
  const weir__pop *p = c->base.plan;
  weir__arena_init(&c->arena, 4096);
  c->nin = p->input->ncol;
  int max_defs = 64;
  c->defs = weir__calloc((size_t)max_defs, sizeof(weir__expr *));
  c->def_pre = weir__calloc((size_t)max_defs, 1);
  if (p->exprs) c->exprs = weir__calloc((size_t)p->ncol + 1, sizeof(weir__expr *));
  if (!c->defs || !c->def_pre || (p->exprs && !c->exprs)) return WEIR_NOMEM;
  if (p->pred && !(c->pred = weir__expr_copy(&c->arena, p->pred))) return WEIR_NOMEM;
  for (int j = 0; p->exprs && j < p->ncol; j++)
    if (!(c->exprs[j] = weir__expr_copy(&c->arena, p->exprs[j]))) return WEIR_NOMEM;
  roots r = {{&c->pred, c->exprs, c->defs}, {c->pred ? 1 : 0, p->exprs ? p->ncol : 0, 0}};
  while (c->ndef < max_defs) {
    const weir__expr *best = NULL;
    int best_size = 1;
    for (int k = 0; k < 3; k++)
      for (int i = 0; i < r.n[k]; i++) find_shared(&r, r.v[k][i], k == 2, &best, &best_size);
    if (!best) break;
    weir__expr *col = weir__arena_zalloc(&c->arena, sizeof *col);
    if (!col) return WEIR_NOMEM;
    col->op = EXPR_COL;
    col->type = best->type;
    col->off = best->off;
    col->col = c->nin + c->ndef;
    weir__expr *def = weir__expr_copy(&c->arena, best);
    if (!def) return WEIR_NOMEM;
    for (int k = 0; k < 3; k++)
      for (int i = 0; i < r.n[k]; i++) replace_in(&r.v[k][i], def, col, k == 2);
    c->defs[c->ndef++] = def;
    r.n[2] = c->ndef;
  }
  /* Before the filter: what the predicate reads, and what those read. */
  for (int i = 0; i < c->ndef; i++) {
    c->def_pre[i] = c->pred && count_in(c->pred, &(weir__expr){.op = EXPR_COL,
                                                               .type = c->defs[i]->type,
                                                               .col = c->nin + i}) > 0;
  }
  for (int i = 0; i < c->ndef; i++) {
    if (!c->def_pre[i]) continue;
    for (int j = i + 1; j < c->ndef; j++) {
      weir__expr cj = {.op = EXPR_COL, .type = c->defs[j]->type, .col = c->nin + j};
      if (count_in(c->defs[i], &cj)) c->def_pre[j] = 1;
    }
  }
  return WEIR_OK;
}

/* Evaluate the shared subexpressions of one phase into columns of ch. */
static int eval_defs(calc_op *c, weir__chunk *ch, int pre) {
  for (int i = c->ndef - 1; i >= 0; i--) {
    if (c->def_pre[i] != pre) continue;
    weir__vec *v = &ch->cols[c->nin + i];
    int rc = weir__eval(c->defs[i], ch, NULL, v, &c->base.ectx);
    if (rc) return rc;
    v->type = c->defs[i]->type;
  }
  return WEIR_OK;
}

static int calc_open(weir__op *op) {
  calc_op *c = (calc_op *)op;
  const weir__pop *p = op->plan;
  if (share_subexpressions(c)) return weir__err_nomem(op->err);
  int next = c->nin + c->ndef;
  c->in_cols = weir__calloc((size_t)next + 1, sizeof(weir__vec));
  c->ext_cols = weir__calloc((size_t)next + 1, sizeof(weir__vec));
  c->out_cols = weir__calloc((size_t)p->ncol + 1, sizeof(weir__vec));
  if (!c->in_cols || !c->ext_cols || !c->out_cols) return weir__err_nomem(op->err);
  return WEIR_OK;
}

static size_t elem(int type) {
  int ph = weir__type_phys(type);
  return ph == WEIR_PHYS_STR ? sizeof(weir__str) : 8;
}

/* Gather rows sel[0..k) of src into views on scratch memory. */
static int gather(calc_op *c, const weir__chunk *src, int k, weir__chunk *dst) {
  weir__op *op = &c->base;
  dst->ncol = src->ncol;
  dst->n = k;
  dst->cap = k;
  dst->cols = c->in_cols;
  dst->kind = NULL;
  for (int j = 0; j < src->ncol; j++) {
    const weir__vec *sv = &src->cols[j];
    weir__vec *dv = &c->in_cols[j];
    dv->type = sv->type;
    if (!sv->data) { /* a shared subexpression not evaluated yet */
      dv->data = NULL;
      dv->valid = NULL;
      continue;
    }
    size_t es = elem(sv->type);
    dv->data = weir__arena_alloc(&op->scratch, es * (size_t)(k ? k : 1));
    if (!dv->data) return weir__err_nomem(op->err);
    if (es == 8) {
      const uint64_t *s = sv->data;
      uint64_t *d = dv->data;
      for (int i = 0; i < k; i++) d[i] = s[c->sel[i]];
    } else {
      const weir__str *s = sv->data;
      weir__str *d = dv->data;
      for (int i = 0; i < k; i++) d[i] = s[c->sel[i]];
    }
    dv->valid = NULL;
    if (sv->valid) {
      dv->valid = weir__arena_zalloc(&op->scratch, (size_t)WEIR_BM_WORDS(k ? k : 1) * 8);
      if (!dv->valid) return weir__err_nomem(op->err);
      for (int i = 0; i < k; i++) {
        if (weir__bit_get(sv->valid, c->sel[i])) weir__bit_set(dv->valid, i);
      }
    }
  }
  if (src->kind) {
    dst->kind = weir__arena_alloc(&op->scratch, (size_t)(k ? k : 1));
    if (!dst->kind) return weir__err_nomem(op->err);
    for (int i = 0; i < k; i++) dst->kind[i] = src->kind[c->sel[i]];
  }
  return WEIR_OK;
}

static int calc_push(weir__op *op, int port, weir__chunk *in) {
  calc_op *c = (calc_op *)op;
  const weir__pop *p = op->plan;
  weir__arena_reset(&op->scratch);
  weir__chunk ext, compact;
  weir__chunk *cur = in;
  int rc;
  if (c->ndef) {
    /* The input with a column per shared subexpression. */
    ext = *in;
    ext.ncol = c->nin + c->ndef;
    ext.cols = c->ext_cols;
    if (c->nin) memcpy(c->ext_cols, in->cols, (size_t)c->nin * sizeof(weir__vec));
    memset(c->ext_cols + c->nin, 0, (size_t)c->ndef * sizeof(weir__vec));
    if ((rc = eval_defs(c, &ext, 1))) return rc;
    cur = &ext;
  }
  if (c->pred) {
    int k;
    if ((rc = weir__eval_filter(c->pred, cur, c->sel, &k, &op->ectx))) return rc;
    if (k == 0) return WEIR_OK;
    if (k < cur->n) {
      memset(&compact, 0, sizeof compact);
      if ((rc = gather(c, cur, k, &compact))) return rc;
      cur = &compact;
    }
  }
  if (c->ndef && (rc = eval_defs(c, cur, 0))) return rc;
  if (!c->exprs) {
    if (cur == &ext) return weir__op_emit(op, in);
    cur->ncol = c->nin; /* without the shared columns */
    return weir__op_emit(op, cur);
  }
  weir__chunk out;
  memset(&out, 0, sizeof out);
  out.ncol = p->ncol;
  out.n = cur->n;
  out.cap = cur->n;
  out.cols = c->out_cols;
  out.kind = cur->kind;
  for (int j = 0; j < p->ncol; j++) {
    if ((rc = weir__eval(c->exprs[j], cur, NULL, &c->out_cols[j], &op->ectx))) return rc;
    c->out_cols[j].type = p->types[j];
  }
  return weir__op_emit(op, &out);
}

static void calc_close(weir__op *op) {
  calc_op *c = (calc_op *)op;
  weir__free(c->in_cols);
  weir__free(c->ext_cols);
  weir__free(c->out_cols);
  weir__free(c->exprs);
  weir__free(c->defs);
  weir__free(c->def_pre);
  weir__arena_free(&c->arena);
}

const weir__op_vtab weir__op_calc_vtab = {.name = "Calc",
                                          .size = sizeof(calc_op),
                                          .open = calc_open,
                                          .push = calc_push,
                                          .close = calc_close};

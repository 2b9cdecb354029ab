/*
 * op_calc.c -- CALC: a filter and/or a projection (Flink's Calc).
 *
 * Evaluates the predicate into a selection, compacts the selected rows
 * when some were dropped, evaluates the projection vector by vector and
 * emits a chunk of views (column references are not copied).  Row kinds
 * pass through unchanged.  Watermarks pass through.  No state.
 */
#include "exec/execInt.h"

typedef struct calc_op {
  weir__op base;
  int sel[WEIR_CHUNK_CAP];
  weir__vec *in_cols;  /* compacted input */
  weir__vec *out_cols; /* projection output */
} calc_op;

static int calc_open(weir__op *op) {
  calc_op *c = (calc_op *)op;
  const weir__pop *p = op->plan;
  c->in_cols = weir__calloc((size_t)p->input->ncol + 1, sizeof(weir__vec));
  c->out_cols = weir__calloc((size_t)p->ncol + 1, sizeof(weir__vec));
  if (!c->in_cols || !c->out_cols) return weir__err_nomem(op->err);
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
  weir__chunk compact;
  weir__chunk *cur = in;
  int rc;
  if (p->pred) {
    int k;
    if ((rc = weir__eval_filter(p->pred, in, c->sel, &k, &op->ectx))) return rc;
    if (k == 0) return WEIR_OK;
    if (k < in->n) {
      memset(&compact, 0, sizeof compact);
      if ((rc = gather(c, in, k, &compact))) return rc;
      cur = &compact;
    }
  }
  if (!p->exprs) return weir__op_emit(op, cur);
  weir__chunk out;
  memset(&out, 0, sizeof out);
  out.ncol = p->ncol;
  out.n = cur->n;
  out.cap = cur->n;
  out.cols = c->out_cols;
  out.kind = cur->kind;
  for (int j = 0; j < p->ncol; j++) {
    if ((rc = weir__eval(p->exprs[j], cur, NULL, &c->out_cols[j], &op->ectx))) return rc;
    c->out_cols[j].type = p->types[j];
  }
  return weir__op_emit(op, &out);
}

static void calc_close(weir__op *op) {
  calc_op *c = (calc_op *)op;
  weir__free(c->in_cols);
  weir__free(c->out_cols);
}

const weir__op_vtab weir__op_calc_vtab = {.name = "Calc",
                                          .size = sizeof(calc_op),
                                          .open = calc_open,
                                          .push = calc_push,
                                          .close = calc_close};

/*
 * op_collect.c -- COLLECT: the end of an ad-hoc SELECT.  Copies the rows
 * it receives (with their row kinds) into chunks it owns, from which the
 * statement hands them out through weir_step.  State: the rows not yet
 * handed out.
 */
#include "exec/execInt.h"

typedef struct collect_op {
  weir__op base;
  weir__ptrvec full;   /* owned chunks in arrival order */
  int head;            /* first chunk not yet consumed */
  int row;             /* next row in full.v[head] */
} collect_op;

static int collect_push(weir__op *op, int port, weir__chunk *c) {
  collect_op *k = (collect_op *)op;
  const weir__pop *p = op->plan;
  weir__chunk *dst = k->full.n > k->head ? k->full.v[k->full.n - 1] : NULL;
  for (int r = 0; r < c->n; r++) {
    if (!dst || dst->n == dst->cap) {
      dst = weir__chunk_new(p->ncol, p->types, WEIR_CHUNK_CAP);
      if (!dst || weir__ptrvec_push(&k->full, dst)) {
        weir__chunk_free(dst);
        return weir__err_nomem(op->err);
      }
    }
    if (weir__chunk_append_row(dst, c, r, c->kind ? c->kind[r] : WEIR_INSERT))
      return weir__err_nomem(op->err);
  }
  return WEIR_OK;
}

int weir__op_collect_pending(weir__op *op) {
  collect_op *k = (collect_op *)op;
  for (int i = k->head; i < k->full.n; i++) {
    weir__chunk *c = k->full.v[i];
    if ((i == k->head ? k->row : 0) < c->n) return 1;
  }
  return 0;
}

const weir__chunk *weir__op_collect_next(weir__op *op, int *row) {
  collect_op *k = (collect_op *)op;
  /* The row handed out by the previous call is no longer needed, so a
   * chunk whose rows have all been handed out can be freed. */
  while (k->head < k->full.n) {
    weir__chunk *c = k->full.v[k->head];
    if (k->row < c->n) {
      *row = k->row++;
      return c;
    }
    weir__chunk_free(c);
    k->head++;
    k->row = 0;
  }
  k->full.n = 0;
  k->head = 0;
  return NULL;
}

static void collect_close(weir__op *op) {
  collect_op *k = (collect_op *)op;
  for (int i = k->head; i < k->full.n; i++) weir__chunk_free(k->full.v[i]);
  weir__ptrvec_free(&k->full);
}

const weir__op_vtab weir__op_collect_vtab = {
    .name = "Collect", .size = sizeof(collect_op), .push = collect_push, .close = collect_close};

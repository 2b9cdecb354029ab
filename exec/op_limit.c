/*
 * op_limit.c -- LIMIT n on an append-only stream: passes the first n rows
 * and then asks the job to stop reading its sources.  State: the count.
 */
#include "exec/execInt.h"

typedef struct limit_op {
  weir__op base;
  int64_t seen;
} limit_op;

static int limit_push(weir__op *op, int port, weir__chunk *c) {
  limit_op *l = (limit_op *)op;
  int64_t left = op->plan->limit - l->seen;
  if (left <= 0) {
    weir__op_request_stop(op);
    return WEIR_OK;
  }
  int n = c->n;
  if (n > left) {
    /* Emit a prefix: a view with a smaller row count. */
    weir__chunk prefix = *c;
    prefix.n = (int)left;
    c = &prefix;
    l->seen += left;
    weir__op_request_stop(op);
    return weir__op_emit(op, c);
  }
  l->seen += n;
  if (l->seen >= op->plan->limit) weir__op_request_stop(op);
  return weir__op_emit(op, c);
}

static int limit_open(weir__op *op) {
  if (op->plan->limit == 0) weir__op_request_stop(op);
  return WEIR_OK;
}

const weir__op_vtab weir__op_limit_vtab = {
    .name = "Limit", .size = sizeof(limit_op), .open = limit_open, .push = limit_push};

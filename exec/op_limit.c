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

/* State: the rows passed so far (LIMIT runs as one subtask). */
static int limit_snapshot(weir__op *op, weir__snap_writer *w) {
  return weir__snap_put_u64(w, (uint64_t)((limit_op *)op)->seen, op->err);
}

static int limit_restore(weir__op *op, const weir__restore *rs) {
  limit_op *l = (limit_op *)op;
  for (int sub = 0; sub < rs->old_parallelism; sub++) {
    uint64_t seen = 0;
    int rc = weir__restore_u64(rs, sub, &seen, op->err);
    if (rc) return rc;
    l->seen += (int64_t)seen;
  }
  if (l->seen >= op->plan->limit) weir__op_request_stop(op);
  return WEIR_OK;
}

const weir__op_vtab weir__op_limit_vtab = {.name = "Limit",
                                           .size = sizeof(limit_op),
                                           .open = limit_open,
                                           .push = limit_push,
                                           .snapshot = limit_snapshot,
                                           .restore = limit_restore};

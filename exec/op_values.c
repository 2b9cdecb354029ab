/*
 * op_values.c -- VALUES: the input of a SELECT without FROM.  Emits one
 * row of no columns and ends.  No watermark rule; no state.
 */
#include "exec/execInt.h"

typedef struct values_op {
  weir__op base;
  int done;
} values_op;

static int values_poll(weir__op *op) {
  values_op *v = (values_op *)op;
  if (v->done) return WEIR_DONE;
  v->done = 1;
  weir__chunk one;
  memset(&one, 0, sizeof one);
  one.n = 1;
  one.cap = 1;
  return weir__op_emit(op, &one);
}

const weir__op_vtab weir__op_values_vtab = {
    .name = "Values", .size = sizeof(values_op), .poll = values_poll};

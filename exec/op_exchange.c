/*
 * op_exchange.c -- the producer end of an exchange, at the end of a chain
 * whose consumer runs in other tasks (a keyed edge, or a change of
 * parallelism).
 *
 * Rows are copied into one buffered chunk per consumer subtask: for a
 * keyed (hash) edge the subtask owning the row's key group, kg = XXH3 of
 * the canonical key bytes mod max-parallelism, subtask = kg * p / max
 * (Flink's assignment); for a global edge subtask 0.  A full chunk is sent
 * at once.  Watermarks are held back and sent, after the buffered rows
 * they follow, when the buffers are flushed: at the buffer timeout
 * ('execution.buffer-timeout'), when the source pauses, and at the end of
 * the input, which also sends end-of-input to every consumer.  No state.
 */
#include "exec/execInt.h"

typedef struct xop {
  weir__op base;
  weir__channel **outs;
  int nouts;
  weir__chunk **buf;
  int64_t pending_wm;
  int64_t sent_wm;
  int maxpar;
  int *targets; /* per row of the chunk being routed */
  int *sel;
} xop;

void weir__op_exchange_set_outputs(weir__op *op, weir__channel **outs, int nouts, int maxpar) {
  xop *x = (xop *)op;
  x->outs = outs;
  x->nouts = nouts;
  x->maxpar = maxpar > 0 ? maxpar : 128;
}

static int x_open(weir__op *op) {
  xop *x = (xop *)op;
  x->pending_wm = x->sent_wm = WEIR_WATERMARK_MIN;
  x->buf = weir__calloc((size_t)x->nouts + 1, sizeof(weir__chunk *));
  x->targets = weir__calloc(WEIR_CHUNK_CAP, sizeof(int));
  x->sel = weir__calloc(WEIR_CHUNK_CAP, sizeof(int));
  if (!x->buf || !x->targets || !x->sel) return weir__err_nomem(op->err);
  return WEIR_OK;
}

/* The chunk to fill for output t. */
static weir__chunk *buffer(xop *x, int t) {
  if (x->buf[t]) return x->buf[t];
  const weir__pop *in = x->base.plan->input;
  weir__chunk *c = weir__channel_reuse(x->outs[t]);
  if (c)
    weir__chunk_reset(c);
  else
    c = weir__chunk_new(in->ncol, in->types, WEIR_CHUNK_CAP);
  x->buf[t] = c;
  return c;
}

static int send_buffer(xop *x, int t) {
  weir__chunk *c = x->buf[t];
  if (!c || c->n == 0) return WEIR_OK;
  x->buf[t] = NULL;
  x->base.m.rows_out += c->n;
  weir__msg m = {MSG_CHUNK, c, 0};
  return weir__task_send(x->base.task, x->outs[t], &m);
}

/* Append rows sel[0..n) of c to output t, sending full chunks. */
static int route(xop *x, int t, const weir__chunk *c, const int *sel, int n) {
  while (n > 0) {
    weir__chunk *b = buffer(x, t);
    if (!b) return weir__err_nomem(x->base.err);
    int room = b->cap - b->n, k = n < room ? n : room;
    if (weir__chunk_append_rows(b, c, sel, k)) return weir__err_nomem(x->base.err);
    sel += k;
    n -= k;
    if (b->n == b->cap) {
      int rc = send_buffer(x, t);
      if (rc) return rc;
    }
  }
  return WEIR_OK;
}

int weir__edge_key_group(const weir__pop *p, const weir__chunk *c, int r, weir__arena *scratch,
                         int maxpar) {
  uint8_t kb[512], *key;
  int len = weir__key_encode_any(c->cols, p->edge_keys, p->nedge_keys, r, kb, 0, (int)sizeof kb,
                                 scratch, &key);
  if (len < 0) return -1;
  return (int)(weir__hash64(key, (size_t)len) % (uint64_t)maxpar);
}

static int x_push(weir__op *op, int port, weir__chunk *c) {
  xop *x = (xop *)op;
  const weir__pop *p = op->plan;
  if (x->nouts == 1 || p->edge != EDGE_HASH) {
    for (int r = 0; r < c->n; r++) x->sel[r] = r;
    return route(x, 0, c, x->sel, c->n);
  }
  int maxpar = x->maxpar;
  weir__arena_reset(&op->scratch); /* long keys of the previous chunk */
  for (int r = 0; r < c->n; r++) {
    int kg = weir__edge_key_group(p, c, r, &op->scratch, maxpar);
    if (kg < 0) return weir__err_nomem(op->err);
    x->targets[r] = (int)((int64_t)kg * x->nouts / maxpar);
  }
  for (int t = 0; t < x->nouts; t++) {
    int n = 0;
    for (int r = 0; r < c->n; r++) {
      if (x->targets[r] == t) x->sel[n++] = r;
    }
    if (n) {
      int rc = route(x, t, c, x->sel, n);
      if (rc) return rc;
    }
  }
  return WEIR_OK;
}

int weir__op_exchange_flush(weir__op *op) {
  xop *x = (xop *)op;
  for (int t = 0; t < x->nouts; t++) {
    int rc = send_buffer(x, t);
    if (rc) return rc;
  }
  if (x->pending_wm > x->sent_wm) {
    x->sent_wm = x->pending_wm;
    for (int t = 0; t < x->nouts; t++) {
      weir__msg m = {MSG_WATERMARK, NULL, x->sent_wm};
      int rc = weir__task_send(op->task, x->outs[t], &m);
      if (rc) return rc;
    }
  }
  return WEIR_OK;
}

int weir__op_exchange_idle(weir__op *op) {
  xop *x = (xop *)op;
  for (int t = 0; t < x->nouts; t++) {
    weir__msg m = {MSG_IDLE, NULL, 0};
    int rc = weir__task_send(op->task, x->outs[t], &m);
    if (rc) return rc;
  }
  return WEIR_OK;
}

static int x_on_watermark(weir__op *op, int64_t wm) {
  xop *x = (xop *)op;
  if (wm > x->pending_wm) x->pending_wm = wm;
  /* The end of event time goes out at once. */
  if (wm == WEIR_WATERMARK_MAX) return weir__op_exchange_flush(op);
  return WEIR_OK;
}

/* The barrier follows everything this subtask sent before it, to every
 * consumer.  An unaligned one overtakes what the channels hold: it is
 * posted at once, ahead of the rows still buffered here, which are then
 * sent as lying before it (the consumer keeps them with its snapshot). */
static int x_on_barrier(weir__op *op, int64_t id) {
  xop *x = (xop *)op;
  if (weir__job_barrier_unaligned(op->task->job, id)) {
    for (int t = 0; t < x->nouts; t++)
      weir__channel_priority_barrier(x->outs[t], id, x->buf[t] && x->buf[t]->n ? 1 : 0);
    for (int t = 0; t < x->nouts; t++) {
      int rc = send_buffer(x, t);
      if (rc) return rc;
    }
    return WEIR_OK;
  }
  int rc = weir__op_exchange_flush(op);
  for (int t = 0; rc == WEIR_OK && t < x->nouts; t++) {
    weir__msg m = {MSG_BARRIER, NULL, id};
    rc = weir__task_send(op->task, x->outs[t], &m);
  }
  return rc;
}

static int x_finish(weir__op *op) {
  xop *x = (xop *)op;
  int rc = weir__op_exchange_flush(op);
  if (rc) return rc;
  for (int t = 0; t < x->nouts; t++) {
    weir__msg m = {MSG_END, NULL, 0};
    if ((rc = weir__task_send(op->task, x->outs[t], &m))) return rc;
  }
  return WEIR_OK;
}

static void x_close(weir__op *op) {
  xop *x = (xop *)op;
  for (int t = 0; x->buf && t < x->nouts; t++) weir__chunk_free(x->buf[t]);
  weir__free(x->buf);
  weir__free(x->outs);
  weir__free(x->targets);
  weir__free(x->sel);
}

const weir__op_vtab weir__op_exchange_vtab = {.name = "Exchange",
                                              .size = sizeof(xop),
                                              .open = x_open,
                                              .push = x_push,
                                              .on_watermark = x_on_watermark,
                                              .on_barrier = x_on_barrier,
                                              .finish = x_finish,
                                              .flush = weir__op_exchange_flush,
                                              .close = x_close};

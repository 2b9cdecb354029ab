/*
 * op_collect.c -- COLLECT: the end of an ad-hoc SELECT.  Copies the rows
 * it receives (with their row kinds) into chunks of its own, which the
 * statement hands out through weir_step on the application's thread.
 *
 * The operator runs in a task thread and the application reads on its
 * own, so the hand-over is a queue under a mutex: the task fills a private
 * chunk and queues it when full or at the end of a push; the reader only
 * touches queued chunks.  The queue is bounded: when the application does
 * not read, the task waits, and backpressure stops the sources.  State:
 * the rows not yet handed out.
 */
#include "exec/execInt.h"

#define MAX_QUEUED 16

typedef struct collect_op {
  weir__op base;
  pthread_mutex_t mu;
  weir__ptrvec queue; /* full chunks, oldest first (under mu) */
  int head;           /* first chunk not yet consumed (under mu) */
  int row;            /* next row in queue.v[head] (reader only) */
  weir__chunk *filling; /* task only */
  weir__doorbell space; /* rung by the reader when it frees a chunk */
  int opened;
} collect_op;

static int collect_open(weir__op *op) {
  collect_op *k = (collect_op *)op;
  pthread_mutex_init(&k->mu, NULL);
  weir__doorbell_init(&k->space);
  k->opened = 1;
  return WEIR_OK;
}

/* Queue the chunk being filled, waiting while the reader lags. */
static int enqueue(collect_op *k) {
  weir__op *op = &k->base;
  if (!k->filling || k->filling->n == 0) return WEIR_OK;
  for (;;) {
    uint64_t seq = weir__doorbell_seq(&k->space);
    pthread_mutex_lock(&k->mu);
    int queued = k->queue.n - k->head;
    if (queued < MAX_QUEUED) {
      int rc = weir__ptrvec_push(&k->queue, k->filling);
      pthread_mutex_unlock(&k->mu);
      if (rc) return weir__err_nomem(op->err);
      k->filling = NULL;
      weir__doorbell_ring(weir__job_api_bell(op->task->job));
      return WEIR_OK;
    }
    pthread_mutex_unlock(&k->mu);
    if (weir__job_cancelled(op->task->job)) return WEIR_INTERRUPT;
    weir__doorbell_wait(&k->space, seq, 100);
  }
}

static int collect_push(weir__op *op, int port, weir__chunk *c) {
  collect_op *k = (collect_op *)op;
  const weir__pop *p = op->plan;
  for (int r = 0; r < c->n; r++) {
    if (!k->filling) {
      k->filling = weir__chunk_new(p->ncol, p->types, WEIR_CHUNK_CAP);
      if (!k->filling) return weir__err_nomem(op->err);
    }
    if (weir__chunk_append_row(k->filling, c, r, c->kind ? c->kind[r] : WEIR_INSERT))
      return weir__err_nomem(op->err);
    if (k->filling->n == k->filling->cap) {
      int rc = enqueue(k);
      if (rc) return rc;
    }
  }
  /* Rows are shown as they are produced: queue what this push made. */
  return enqueue(k);
}

static int collect_finish(weir__op *op) { return enqueue((collect_op *)op); }

int weir__op_collect_pending(weir__op *op) {
  collect_op *k = (collect_op *)op;
  pthread_mutex_lock(&k->mu);
  int pending = 0;
  for (int i = k->head; i < k->queue.n && !pending; i++) {
    weir__chunk *c = k->queue.v[i];
    pending = (i == k->head ? k->row : 0) < c->n;
  }
  pthread_mutex_unlock(&k->mu);
  return pending;
}

const weir__chunk *weir__op_collect_next(weir__op *op, int *row) {
  collect_op *k = (collect_op *)op;
  /* The row handed out by the previous call is no longer needed, so a
   * chunk whose rows have all been handed out can be freed. */
  weir__chunk *done = NULL, *found = NULL;
  pthread_mutex_lock(&k->mu);
  while (k->head < k->queue.n) {
    weir__chunk *c = k->queue.v[k->head];
    if (k->row < c->n) {
      *row = k->row++;
      found = c;
      break;
    }
    weir__chunk_free(done);
    done = c;
    k->head++;
    k->row = 0;
  }
  if (!found && k->head == k->queue.n) {
    k->queue.n = 0;
    k->head = 0;
  } else if (k->head > 64) {
    /* Compact the consumed prefix. */
    memmove(k->queue.v, k->queue.v + k->head, sizeof(void *) * (size_t)(k->queue.n - k->head));
    k->queue.n -= k->head;
    k->head = 0;
  }
  pthread_mutex_unlock(&k->mu);
  if (done) {
    weir__chunk_free(done);
    weir__doorbell_ring(&k->space);
  }
  return found;
}

static void collect_close(weir__op *op) {
  collect_op *k = (collect_op *)op;
  if (!k->opened) return;
  for (int i = k->head; i < k->queue.n; i++) weir__chunk_free(k->queue.v[i]);
  weir__ptrvec_free(&k->queue);
  weir__chunk_free(k->filling);
  k->filling = NULL;
  pthread_mutex_destroy(&k->mu);
  weir__doorbell_destroy(&k->space);
}

const weir__op_vtab weir__op_collect_vtab = {.name = "Collect",
                                             .size = sizeof(collect_op),
                                             .open = collect_open,
                                             .push = collect_push,
                                             .finish = collect_finish,
                                             .close = collect_close};

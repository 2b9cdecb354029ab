/*
 * op_watermark.c -- WATERMARK: assigns event-time progress at the source.
 *
 * For every chunk it evaluates the table's watermark expression (e.g.
 * ts - INTERVAL '5' SECOND), forwards the chunk, and then emits the
 * watermark max(expression) over everything seen so far when it has
 * advanced: bounded out-of-orderness, once per chunk.  A NULL rowtime
 * fails the job, since such a row belongs to no window.  The maximum
 * watermark at the end of a bounded input is passed through.  State: the
 * current watermark.
 */
#include "exec/execInt.h"

typedef struct wm_op {
  weir__op base;
  int64_t current;
  int announce; /* restored: send the restored watermark with the first chunk */
} wm_op;

static int wm_open(weir__op *op) {
  ((wm_op *)op)->current = WEIR_WATERMARK_MIN;
  return WEIR_OK;
}

static int wm_push(weir__op *op, int port, weir__chunk *c) {
  wm_op *w = (wm_op *)op;
  const weir__pop *p = op->plan;
  weir__arena_reset(&op->scratch);
  const weir__vec *rt = &c->cols[p->rowtime];
  if (rt->valid) {
    for (int r = 0; r < c->n; r++) {
      if (!weir__bit_get(rt->valid, r))
        return weir__op_fail(op, WEIR_ERROR,
                             "rowtime column '%s' is NULL; every row needs an event time "
                             "(filter such rows or use COALESCE in a computed column)",
                             p->names[p->rowtime]);
    }
  }
  weir__vec v;
  int rc = weir__eval(p->wm_expr, c, NULL, &v, &op->ectx);
  if (rc) return rc;
  int64_t mx = w->current;
  const int64_t *x = WEIR_VEC_I64(&v);
  for (int r = 0; r < c->n; r++) {
    if (!weir__vec_is_null(&v, r) && x[r] > mx) mx = x[r];
  }
  if ((rc = weir__op_emit(op, c))) return rc;
  if (w->announce) {
    w->announce = 0;
    if (mx <= w->current) return weir__op_emit_watermark(op, w->current);
  }
  if (mx > w->current) {
    w->current = mx;
    return weir__op_emit_watermark(op, mx);
  }
  return WEIR_OK;
}

static int wm_on_watermark(weir__op *op, int64_t wm) {
  /* Upstream watermarks (only the end-of-input maximum) win over ours. */
  wm_op *w = (wm_op *)op;
  if (wm > w->current) w->current = wm;
  return weir__op_emit_watermark(op, wm);
}

/* State: the watermark so far. */
static int wm_snapshot(weir__op *op, weir__snap_writer *sw) {
  return weir__snap_put_u64(sw, (uint64_t)((wm_op *)op)->current, op->err);
}

/* The same subtask's watermark; at another parallelism the smallest of
 * them (a source split may now cover rows behind the others). */
static int wm_restore(weir__op *op, const weir__restore *rs) {
  wm_op *w = (wm_op *)op;
  int64_t wm = WEIR_WATERMARK_MAX;
  for (int sub = 0; sub < rs->old_parallelism; sub++) {
    if (!weir__restore_needs(rs, op, sub)) continue;
    uint64_t v = 0;
    int rc = weir__restore_u64(rs, sub, &v, op->err);
    if (rc) return rc;
    if ((int64_t)v < wm) wm = (int64_t)v;
  }
  w->current = wm;
  w->announce = 1;
  return WEIR_OK;
}

const weir__op_vtab weir__op_watermark_vtab = {.name = "WatermarkAssigner",
                                               .size = sizeof(wm_op),
                                               .open = wm_open,
                                               .push = wm_push,
                                               .on_watermark = wm_on_watermark,
                                               .snapshot = wm_snapshot,
                                               .restore = wm_restore};

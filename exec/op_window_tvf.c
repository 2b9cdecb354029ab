/*
 * op_window_tvf.c -- a window table function (TUMBLE, HOP) used without
 * aggregation: appends window_start, window_end and window_time to every
 * row; under HOP a row appears once per window that contains it.
 * Assignment only: no state, no late-row rule (nothing fires here).
 * Watermarks pass through.
 */
#include "exec/execInt.h"

typedef struct wtvf_op {
  weir__op base;
  weir__vec *cols;
  weir__chunk *out; /* HOP: expanded rows */
} wtvf_op;

static int wtvf_open(weir__op *op) {
  wtvf_op *w = (wtvf_op *)op;
  const weir__pop *p = op->plan;
  w->cols = weir__calloc((size_t)p->ncol, sizeof(weir__vec));
  if (!w->cols) return weir__err_nomem(op->err);
  if (p->window.kind == WINDOW_HOP) {
    w->out = weir__chunk_new(p->ncol, p->types, WEIR_CHUNK_CAP);
    if (!w->out) return weir__err_nomem(op->err);
  }
  return WEIR_OK;
}

static int wtvf_push(weir__op *op, int port, weir__chunk *c) {
  wtvf_op *w = (wtvf_op *)op;
  const weir__pop *p = op->plan;
  const weir__window *win = &p->window;
  const int64_t *ts = WEIR_VEC_I64(&c->cols[win->time_col]);
  int nin = c->ncol;
  weir__arena_reset(&op->scratch);
  if (win->kind == WINDOW_TUMBLE) {
    int64_t *st = weir__arena_alloc(&op->scratch, sizeof(int64_t) * (size_t)c->n * 3 + 8);
    if (!st) return weir__err_nomem(op->err);
    int64_t *en = st + c->n, *tm = en + c->n;
    for (int r = 0; r < c->n; r++) {
      st[r] = weir__window_align(ts[r], win->size, win->offset);
      en[r] = st[r] + win->size;
      tm[r] = en[r] - 1;
    }
    weir__chunk out = *c;
    out.ncol = p->ncol;
    out.cols = w->cols;
    memcpy(w->cols, c->cols, sizeof(weir__vec) * (size_t)nin);
    int64_t *vals[3] = {st, en, tm};
    for (int j = 0; j < 3; j++) {
      w->cols[nin + j].type = p->types[nin + j];
      w->cols[nin + j].data = vals[j];
      w->cols[nin + j].valid = NULL;
    }
    return weir__op_emit(op, &out);
  }
  /* HOP: every window [s, s + size) with s = offset + k * slide that
   * contains ts, earliest first. */
  for (int r = 0; r < c->n; r++) {
    int64_t last = weir__window_last_start(win, ts[r]);
    for (int64_t s = weir__window_first_start(win, ts[r]); s <= last; s += win->slide) {
      weir__chunk *o = w->out;
      int i = o->n;
      /* Copy the input columns, then set the window columns. */
      weir__chunk src = *c;
      src.ncol = nin;
      o->ncol = nin;
      int rc = weir__chunk_append_row(o, &src, r, c->kind ? c->kind[r] : WEIR_INSERT);
      o->ncol = p->ncol;
      if (rc) return weir__err_nomem(op->err);
      WEIR_VEC_I64(&o->cols[nin])[i] = s;
      WEIR_VEC_I64(&o->cols[nin + 1])[i] = s + win->size;
      WEIR_VEC_I64(&o->cols[nin + 2])[i] = s + win->size - 1;
      if (o->n == o->cap) {
        if ((rc = weir__op_emit(op, o))) return rc;
        weir__chunk_reset(o);
      }
    }
  }
  if (w->out->n) {
    int rc = weir__op_emit(op, w->out);
    weir__chunk_reset(w->out);
    return rc;
  }
  return WEIR_OK;
}

static void wtvf_close(weir__op *op) {
  wtvf_op *w = (wtvf_op *)op;
  weir__free(w->cols);
  weir__chunk_free(w->out);
}

const weir__op_vtab weir__op_window_tvf_vtab = {.name = "WindowTableFunction",
                                                .size = sizeof(wtvf_op),
                                                .open = wtvf_open,
                                                .push = wtvf_push,
                                                .close = wtvf_close};

/*
 * op_window_agg.c -- WINDOW_AGG: GROUP BY window_start, window_end, keys
 * over TUMBLE or HOP windows, emitted when the watermark passes a
 * window's end (EMIT ON WINDOW CLOSE).
 *
 * Slicing (as in Flink's slicing window aggregation): time is cut into
 * slices of g = gcd(size, slide) ms aligned to the window offset.  Each
 * row is aggregated once, into the accumulators of its key in its slice;
 * a window [s, s + size) is the union of size / g slices, combined only
 * when the window fires.  For TUMBLE a slice is the window.
 *
 * Watermark rule: a window fires when watermark >= window_end - 1.  A row
 * is late when every window containing it has fired (its last window's
 * end - 1 <= watermark); it is dropped and counted in late_dropped.  A row
 * whose earlier windows have fired still counts in its later ones.
 *
 * State: per slice, a keyed state of accumulators (namespace: the slice's
 * start) in the job's state backend; a slice is dropped when the last
 * window containing it has fired.
 */
#include "exec/execInt.h"

typedef struct slice {
  int64_t start;
  weir__kstate ks; /* state id 1, namespace: the slice's start */
} slice;

typedef struct wagg_op {
  weir__op base;
  weir__acc_codec codec;
  weir__kbackend be;
  int64_t g; /* slice length */
  int nreal; /* real (non-window) keys */
  int *real_cols;
  int *real_types;
  int *real_out; /* output column of each real key */
  size_t payload;
  slice **slices; /* sorted by start */
  int nslices, cap;
  int cached; /* index of the last slice used */
  int has_fired;
  int64_t fired_upto; /* end of the last fired window */
  weir__chunk *out;
  weir__acc **rowacc;
  weir__arena **rowarena;
  int64_t *row_entry;
  slice **row_slice;
} wagg_op;

static int wagg_open(weir__op *op) {
  wagg_op *w = (wagg_op *)op;
  const weir__pop *p = op->plan;
  w->g = weir__window_slice_len(&p->window);
  w->payload = sizeof(weir__acc) * (size_t)(p->nagg ? p->nagg : 1);
  w->real_cols = weir__calloc((size_t)p->nkeys + 1, sizeof(int));
  w->real_types = weir__calloc((size_t)p->nkeys + 1, sizeof(int));
  w->real_out = weir__calloc((size_t)p->nkeys + 1, sizeof(int));
  w->rowacc = weir__calloc(WEIR_CHUNK_CAP, sizeof(weir__acc *));
  w->rowarena = weir__calloc(WEIR_CHUNK_CAP, sizeof(weir__arena *));
  w->row_entry = weir__calloc(WEIR_CHUNK_CAP, sizeof(int64_t));
  w->row_slice = weir__calloc(WEIR_CHUNK_CAP, sizeof(slice *));
  w->out = weir__chunk_new(p->ncol, p->types, WEIR_CHUNK_CAP);
  if (!w->real_cols || !w->real_types || !w->real_out || !w->rowacc || !w->rowarena ||
      !w->row_entry || !w->row_slice || !w->out)
    return weir__err_nomem(op->err);
  weir__acc_codec_init(&w->codec, 0, p->aggs, p->nagg);
  int rc = weir__op_backend_open(op, &w->be, &w->codec.kc, -1);
  if (rc) return rc;
  for (int i = 0; i < p->nkeys; i++) {
    if (p->keys[i] < 0) continue;
    w->real_cols[w->nreal] = p->keys[i];
    w->real_types[w->nreal] = p->input->types[p->keys[i]];
    w->real_out[w->nreal] = i;
    w->nreal++;
  }
  return WEIR_OK;
}

static void slice_free(slice *s) {
  weir__kstate_free(&s->ks);
  weir__free(s);
}

/* A slice no window needs any more: out of the store too. */
static int slice_drop(wagg_op *w, slice *s) {
  int rc = weir__kstate_drop(&s->ks, w->base.err);
  slice_free(s);
  return rc;
}

/* The slice starting at start, created if absent; NULL on out-of-memory. */
static slice *slice_get(wagg_op *w, int64_t start) {
  if (w->cached < w->nslices && w->slices[w->cached]->start == start)
    return w->slices[w->cached];
  int lo = 0, hi = w->nslices;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (w->slices[mid]->start < start)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo < w->nslices && w->slices[lo]->start == start) {
    w->cached = lo;
    return w->slices[lo];
  }
  if (w->nslices == w->cap) {
    int cap = w->cap ? w->cap * 2 : 16;
    slice **v = weir__realloc(w->slices, sizeof(slice *) * (size_t)cap);
    if (!v) return NULL;
    w->slices = v;
    w->cap = cap;
  }
  slice *s = weir__calloc(1, sizeof *s);
  if (!s) return NULL;
  s->start = start;
  if (weir__kstate_init(&s->ks, &w->be, 1, start)) {
    weir__free(s);
    return NULL;
  }
  memmove(w->slices + lo + 1, w->slices + lo, sizeof(slice *) * (size_t)(w->nslices - lo));
  w->slices[lo] = s;
  w->nslices++;
  w->cached = lo;
  return s;
}

/* Encode the real keys of row r; returns the length and sets *key (buf,
 * or scratch memory for very long keys); -1 on out-of-memory. */
static int encode_key(wagg_op *w, const weir__chunk *c, int r, uint8_t *buf, int cap,
                      uint8_t **key) {
  return weir__key_encode_any(c->cols, w->real_cols, w->nreal, r, buf, 0, cap, &w->base.scratch,
                              key);
}

/* The entry of row r's key in the slice starting at start (created if new), or -1 when
 * out of memory; *sl is set to the slice. */
static int64_t slice_entry(wagg_op *w, const weir__chunk *c, int r, int64_t start, slice **sl) {
  uint8_t buf[512], *key;
  slice *s = *sl = slice_get(w, start);
  if (!s) return weir__err_nomem(w->base.err), -1;
  int klen = encode_key(w, c, r, buf, (int)sizeof buf, &key);
  if (klen < 0) return weir__err_nomem(w->base.err), -1;
  int inserted;
  return weir__kstate_upsert(&s->ks, key, (uint32_t)klen, weir__hash64(key, (size_t)klen),
                             &inserted, w->base.err);
}

/* rocksdb: when the slices' caches outgrow their budget, the oldest go
 * back to the store until half of it is left. */
static int wagg_bound_cache(wagg_op *w) {
  if (!w->be.kv) return WEIR_OK;
  size_t total = 0;
  for (int i = 0; i < w->nslices; i++) total += weir__kstate_memory(&w->slices[i]->ks);
  if (total <= w->be.hot_bytes) return WEIR_OK;
  for (int i = 0; i < w->nslices && total > w->be.hot_bytes / 2; i++) {
    size_t m = weir__kstate_memory(&w->slices[i]->ks);
    int rc = weir__kstate_evict(&w->slices[i]->ks, w->base.err);
    if (rc) return rc;
    total -= m - weir__kstate_memory(&w->slices[i]->ks);
  }
  return WEIR_OK;
}

/* Merge partial aggregates from the local halves (two-phase). */
static int wagg_push_partial(wagg_op *w, weir__chunk *c) {
  weir__op *op = &w->base;
  const weir__pop *p = op->plan;
  const weir__window *win = &p->window;
  const int64_t *slices = WEIR_VEC_I64(&c->cols[p->partial_slice]);
  const int64_t *rows = WEIR_VEC_I64(&c->cols[p->partial_rows]);
  weir__acc tmp[64];
  weir__acc *src = p->nagg <= 64 ? tmp : weir__arena_alloc(&op->scratch, sizeof(weir__acc) * (size_t)p->nagg);
  if (!src) return weir__err_nomem(op->err);
  for (int r = 0; r < c->n; r++) {
    int64_t start = slices[r];
    if (weir__window_last_start(win, start) + win->size - 1 <= op->watermark) {
      op->m.late_dropped += rows[r];
      continue;
    }
    slice *s;
    int64_t e = slice_entry(w, c, r, start, &s);
    if (e < 0) return op->err->code;
    for (int j = 0; j < p->nagg; j++) weir__acc_from_partial(&p->aggs[j], c, p->aggs[j].arg, r, &src[j]);
    int rc = weir__acc_merge(p->aggs, p->nagg, weir__ktable_payload(&s->ks.kt, (uint32_t)e), src,
                             &s->ks.kt.keys, op->err);
    if (rc) return rc;
  }
  return wagg_bound_cache(w);
}

static int wagg_push(weir__op *op, int port, weir__chunk *c) {
  wagg_op *w = (wagg_op *)op;
  const weir__pop *p = op->plan;
  const weir__window *win = &p->window;
  weir__arena_reset(&op->scratch);
  if (p->partial) return wagg_push_partial(w, c);
  const weir__vec *tv = &c->cols[win->time_col];
  const int64_t *ts = WEIR_VEC_I64(tv);
  int n = c->n;
  /* Pass 1: find (slice, entry) of every row; inserting may move
   * payloads, so pointers are taken in pass 2. */
  for (int r = 0; r < n; r++) {
    if (weir__vec_is_null(tv, r))
      return weir__op_fail(op, WEIR_ERROR, "NULL rowtime in window aggregation");
    int64_t start = weir__window_align(ts[r], w->g, win->offset);
    int64_t last_win = weir__window_last_start(win, start);
    if (last_win + win->size - 1 <= op->watermark) {
      op->m.late_dropped++;
      w->row_slice[r] = NULL;
      continue;
    }
    slice *s;
    int64_t e = slice_entry(w, c, r, start, &s);
    if (e < 0) return op->err->code;
    w->row_slice[r] = s;
    w->row_entry[r] = e;
  }
  /* Pass 2: accumulator pointers; late rows get throw-away ones. */
  for (int r = 0; r < n; r++) {
    slice *s = w->row_slice[r];
    if (s) {
      w->rowacc[r] = weir__ktable_payload(&s->ks.kt, (uint32_t)w->row_entry[r]);
      w->rowarena[r] = &s->ks.kt.keys;
    } else {
      w->rowacc[r] = weir__arena_zalloc(&op->scratch, w->payload);
      if (!w->rowacc[r]) return weir__err_nomem(op->err);
      w->rowarena[r] = &op->scratch;
    }
  }
  int rc = weir__acc_update(p->aggs, p->nagg, c, n, w->rowacc, w->rowarena, op->err);
  return rc ? rc : wagg_bound_cache(w);
}

/* Emit the entries of table kt as the results of window [start, end),
 * all of them before returning: MIN and MAX over strings point into kt,
 * which the caller frees next (the merged table, dropped slices). */
static int emit_table(wagg_op *w, const weir__ktable *kt, int64_t start, int64_t end) {
  weir__op *op = &w->base;
  const weir__pop *p = op->plan;
  weir__chunk *out = w->out;
  for (uint32_t e = 0; e < kt->n; e++) {
    int r = out->n;
    uint32_t klen;
    const uint8_t *key = weir__ktable_key(kt, e, &klen);
    if (weir__key_decode_into(key, (int)klen, w->real_types, w->nreal, out, w->real_out, r))
      return weir__op_fail(op, WEIR_CORRUPT, "malformed key in window state");
    for (int i = 0; i < p->nkeys; i++) {
      int k = p->keys[i];
      if (k >= 0) continue;
      WEIR_VEC_I64(&out->cols[i])[r] = k == -1 ? start : k == -2 ? end : end - 1;
    }
    const weir__acc *acc = weir__ktable_payload(kt, e);
    for (int j = 0; j < p->nagg; j++) weir__acc_result(&p->aggs[j], &acc[j], out, p->nkeys + j, r);
    out->kind[r] = WEIR_INSERT;
    out->n++;
    if (out->n == out->cap) {
      int rc = weir__op_emit(op, out);
      weir__chunk_reset(out);
      if (rc) return rc;
    }
  }
  int rc = out->n ? weir__op_emit(op, out) : WEIR_OK;
  weir__chunk_reset(out);
  return rc;
}

typedef struct merge_arg {
  wagg_op *w;
  weir__ktable *merged;
} merge_arg;

static int merge_entry(void *arg, const uint8_t *key, uint32_t klen, void *payload) {
  merge_arg *m = arg;
  const weir__pop *p = m->w->base.plan;
  int inserted;
  int64_t e = weir__ktable_upsert(m->merged, key, klen, weir__hash64(key, klen), &inserted);
  if (e < 0) return weir__err_nomem(m->w->base.err);
  return weir__acc_merge(p->aggs, p->nagg, weir__ktable_payload(m->merged, (uint32_t)e), payload,
                         &m->merged->keys, m->w->base.err);
}

/* rocksdb, when some slice of the window is not all in its cache (it was
 * evicted, or restored): write the caches back and combine the window
 * one key group at a time from the store, so that only one key group's
 * results are in memory at once. */
static int fire_from_store(wagg_op *w, int first, int count, int64_t start, int64_t end) {
  weir__op *op = &w->base;
  int rc = WEIR_OK;
  for (int i = first; !rc && i < first + count; i++) rc = weir__kstate_writeback(&w->slices[i]->ks, op->err);
  if (!rc) rc = weir__kbackend_commit(&w->be, op->err);
  weir__ktable merged;
  if (!rc && weir__ktable_init(&merged, w->payload)) rc = weir__err_nomem(op->err);
  if (rc) return rc;
  merge_arg m = {w, &merged};
  for (int kg = w->be.kg_lo; !rc && kg <= w->be.kg_hi; kg++) {
    for (int i = first; !rc && i < first + count; i++)
      rc = weir__kstate_scan(&w->slices[i]->ks, (uint32_t)kg, merge_entry, &m, op->err);
    if (!rc) rc = emit_table(w, &merged, start, end);
    weir__ktable_clear(&merged);
  }
  weir__ktable_free(&merged);
  return rc;
}

/* Fire window [start, start + size): combine its slices and emit. */
static int fire(wagg_op *w, int64_t start) {
  weir__op *op = &w->base;
  const weir__pop *p = op->plan;
  int64_t end = start + p->window.size;
  int first = -1, count = 0;
  for (int i = 0; i < w->nslices && w->slices[i]->start < end; i++) {
    if (w->slices[i]->start < start) continue;
    if (first < 0) first = i;
    count++;
  }
  if (count == 0) return WEIR_OK;
  for (int i = first; i < first + count; i++)
    if (!w->slices[i]->ks.complete) return fire_from_store(w, first, count, start, end);
  if (count == 1) return emit_table(w, &w->slices[first]->ks.kt, start, end);
  weir__ktable merged;
  if (weir__ktable_init(&merged, w->payload)) return weir__err_nomem(op->err);
  int rc = WEIR_OK;
  for (int i = first; rc == WEIR_OK && i < first + count; i++) {
    const weir__ktable *kt = &w->slices[i]->ks.kt;
    for (uint32_t e = 0; e < kt->n; e++) {
      uint32_t klen;
      const uint8_t *key = weir__ktable_key(kt, e, &klen);
      int inserted;
      int64_t me = weir__ktable_upsert(&merged, key, klen, weir__hash64(key, klen), &inserted);
      if (me < 0) {
        rc = weir__err_nomem(op->err);
        break;
      }
      rc = weir__acc_merge(p->aggs, p->nagg, weir__ktable_payload(&merged, (uint32_t)me),
                           weir__ktable_payload(kt, e), &merged.keys, op->err);
      if (rc) break;
    }
  }
  if (rc == WEIR_OK) rc = emit_table(w, &merged, start, end);
  weir__ktable_free(&merged);
  return rc;
}

static int wagg_on_watermark(weir__op *op, int64_t wm) {
  wagg_op *w = (wagg_op *)op;
  const weir__window *win = &op->plan->window;
  int rc;
  while (w->nslices > 0) {
    int64_t s_min = w->slices[0]->start;
    /* The first window that contains the earliest slice... */
    int64_t start = weir__window_first_start(win, s_min);
    /* ...unless it has fired already. */
    if (w->has_fired && start < w->fired_upto - win->size + win->slide)
      start = w->fired_upto - win->size + win->slide;
    if (start + win->size - 1 > wm) break;
    if ((rc = fire(w, start))) return rc;
    w->has_fired = 1;
    w->fired_upto = start + win->size;
    /* Slices before the next window's start belong to no open window. */
    int drop = 0;
    rc = WEIR_OK;
    while (drop < w->nslices && w->slices[drop]->start < start + win->slide) {
      int rc2 = slice_drop(w, w->slices[drop]);
      if (!rc) rc = rc2;
      drop++;
    }
    memmove(w->slices, w->slices + drop, sizeof(slice *) * (size_t)(w->nslices - drop));
    w->nslices -= drop;
    w->cached = 0;
    if (rc) return rc;
  }
  if (w->out->n) {
    rc = weir__op_emit(op, w->out);
    weir__chunk_reset(w->out);
    if (rc) return rc;
  }
  return weir__op_emit_watermark(op, wm);
}

/* State: the watermark, what has fired, and the slices: canonical, per
 * slice its start and entries; native (an incremental rocksdb
 * checkpoint), the slices' starts and the store's files. */
static int wagg_snapshot(weir__op *op, weir__snap_writer *sw) {
  wagg_op *w = (wagg_op *)op;
  int native = weir__op_snapshot_native(op, &w->be);
  int rc = weir__snap_put_u64(sw, (uint64_t)op->watermark, op->err);
  if (!rc) rc = weir__snap_put_u64(sw, (uint64_t)w->has_fired, op->err);
  if (!rc) rc = weir__snap_put_u64(sw, (uint64_t)w->fired_upto, op->err);
  if (!rc && native) rc = weir__snap_put_u64(sw, WEIR_NATIVE_MARK, op->err);
  if (!rc) rc = weir__snap_put_u64(sw, (uint64_t)w->nslices, op->err);
  for (int i = 0; !rc && i < w->nslices; i++) {
    rc = weir__snap_put_u64(sw, (uint64_t)w->slices[i]->start, op->err);
    if (rc) break;
    if (native) rc = weir__kstate_writeback(&w->slices[i]->ks, op->err);
    else rc = weir__kstate_write_canonical(&w->slices[i]->ks, sw, op->err);
  }
  return rc || !native ? rc : weir__backend_write_native(op, &w->be, sw);
}

static void *wagg_route(void *ctx, uint8_t sid, int64_t ns) {
  wagg_op *w = ctx;
  slice *s = sid == 1 ? slice_get(w, ns) : NULL;
  if (sid == 1 && !s) weir__err_nomem(w->base.err);
  return s ? &s->ks : NULL;
}

/* Every old subtask's file: keep the keys this subtask owns.  All
 * subtasks saw the same watermarks before an aligned barrier; what has
 * fired is the furthest any of them fired (one without rows fires
 * nothing). */
static int wagg_restore(weir__op *op, const weir__restore *rs) {
  wagg_op *w = (wagg_op *)op;
  int rc = WEIR_OK, first = 1;
  /* After an unaligned barrier the subtasks had fired up to different
   * watermarks, and what has fired is kept per subtask, not per key
   * group: merged, the keys of one would lose windows or fire twice. */
  if (rs->unaligned && rs->old_parallelism != op->nsubtasks)
    return weir__op_fail(op, WEIR_UNSUPPORTED,
                         "a window aggregation restores from an unaligned checkpoint only at the "
                         "parallelism it was taken with (%d), not %d: SET 'parallelism.default' = "
                         "'%d', or rescale from a savepoint (savepoints are aligned)",
                         rs->old_parallelism, op->nsubtasks, rs->old_parallelism);
  for (int sub = 0; !rc && sub < rs->old_parallelism; sub++) {
    if (!weir__restore_needs(rs, op, sub)) continue;
    weir__snap_reader r;
    if ((rc = weir__restore_open(rs, sub, &r, op->err))) {
      weir__snap_close(&r);
      break;
    }
    uint64_t wm, fired, upto, n;
    rc = weir__snap_get_u64(&r, &wm, op->err);
    if (!rc) rc = weir__snap_get_u64(&r, &fired, op->err);
    if (!rc) rc = weir__snap_get_u64(&r, &upto, op->err);
    if (!rc) rc = weir__snap_get_u64(&r, &n, op->err);
    int native = !rc && n == WEIR_NATIVE_MARK;
    if (native) rc = weir__snap_get_u64(&r, &n, op->err);
    if (!rc) {
      if (first || (int64_t)wm < op->watermark) op->watermark = (int64_t)wm;
      first = 0;
      if (fired && (!w->has_fired || (int64_t)upto > w->fired_upto)) w->fired_upto = (int64_t)upto;
      if (fired) w->has_fired = 1;
    }
    for (uint64_t i = 0; !rc && i < n; i++) {
      uint64_t start, count;
      slice *sl;
      if ((rc = weir__snap_get_u64(&r, &start, op->err))) break;
      if (!(sl = slice_get(w, (int64_t)start))) {
        rc = weir__err_nomem(op->err);
        break;
      }
      if (native) continue;
      rc = weir__snap_get_u64(&r, &count, op->err);
      if (!rc) rc = weir__kstate_read_entries(&sl->ks, &r, count, op->err);
    }
    if (!rc && native) rc = weir__backend_read_native(op, &w->be, rs, &r, wagg_route, w);
    if (!rc && !weir__snap_at_end(&r))
      rc = weir__err_set(op->err, WEIR_CORRUPT, -1, "checkpoint of %s: trailing bytes", op->vt->name);
    weir__snap_close(&r);
  }
  for (int i = 0; i < w->nslices; i++) weir__kstate_restored(&w->slices[i]->ks);
  w->cached = 0;
  return rc;
}

static void wagg_close(weir__op *op) {
  wagg_op *w = (wagg_op *)op;
  for (int i = 0; i < w->nslices; i++) slice_free(w->slices[i]);
  weir__free(w->slices);
  weir__kbackend_free(&w->be);
  weir__free(w->real_cols);
  weir__free(w->real_types);
  weir__free(w->real_out);
  weir__free(w->rowacc);
  weir__free(w->rowarena);
  weir__free(w->row_entry);
  weir__free(w->row_slice);
  weir__chunk_free(w->out);
}

const weir__op_vtab weir__op_window_agg_vtab = {.name = "WindowAggregate",
                                                .size = sizeof(wagg_op),
                                                .open = wagg_open,
                                                .push = wagg_push,
                                                .on_watermark = wagg_on_watermark,
                                                .snapshot = wagg_snapshot,
                                                .restore = wagg_restore,
                                                .close = wagg_close};

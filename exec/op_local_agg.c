/*
 * op_local_agg.c -- LOCAL_AGG: the first half of a two-phase aggregation,
 * chained to its input so that the keyed exchange after it carries partial
 * aggregates instead of rows.
 *
 * It folds rows into accumulators per key (and, for a window aggregation,
 * per slice of time) across chunks, as Flink's mini-batch local
 * aggregation does, and emits one partial row per (slice, key): the keys,
 * the slice start, the number of rows folded and two columns per
 * aggregate.  The global half merges them; it also decides lateness,
 * counting the rows a late partial stands for.
 *
 * The partials go out (flush) when the table holds LOCAL_MAX_ENTRIES
 * entries, when the task's buffer timeout expires or its input goes idle,
 * at the end of the input, and before a watermark that could fire a
 * window containing a buffered slice, so the global half never sees a
 * partial after the watermark that makes it late.  Other watermarks pass
 * straight through.  State: only this buffer, which is empty after every
 * flush.
 */
#include "exec/execInt.h"

/* Entries buffered before a flush: enough to fold several chunks of hot
 * keys into one partial each, small enough to stay in cache. */
#define LOCAL_MAX_ENTRIES 8192

typedef struct local_op {
  weir__op base;
  weir__ktable kt; /* key: slice start (8 bytes, windowed) + key bytes */
  int windowed;
  int64_t g;
  size_t accsize;
  int *key_types;
  int *key_out;
  weir__chunk *out;
  weir__acc **rowacc;
  weir__arena **rowarena;
  int64_t *entry;
  int64_t min_slice; /* windowed: the earliest buffered slice */
} local_op;

static int local_open(weir__op *op) {
  local_op *l = (local_op *)op;
  const weir__pop *p = op->plan;
  l->windowed = p->window.kind != 0;
  if (l->windowed) l->g = weir__window_slice_len(&p->window);
  l->accsize = sizeof(weir__acc) * (size_t)p->nagg;
  l->key_types = weir__calloc((size_t)p->nkeys + 1, sizeof(int));
  l->key_out = weir__calloc((size_t)p->nkeys + 1, sizeof(int));
  l->rowacc = weir__calloc(WEIR_CHUNK_CAP, sizeof(weir__acc *));
  l->rowarena = weir__calloc(WEIR_CHUNK_CAP, sizeof(weir__arena *));
  l->entry = weir__calloc(WEIR_CHUNK_CAP, sizeof(int64_t));
  l->out = weir__chunk_new(p->ncol, p->types, WEIR_CHUNK_CAP);
  if (!l->key_types || !l->key_out || !l->rowacc || !l->rowarena || !l->entry || !l->out ||
      weir__ktable_init(&l->kt, sizeof(int64_t) + l->accsize))
    return weir__err_nomem(op->err);
  l->min_slice = INT64_MAX;
  for (int i = 0; i < p->nkeys; i++) {
    l->key_types[i] = p->input->types[p->keys[i]];
    l->key_out[i] = i;
  }
  return WEIR_OK;
}

/* Emit a partial row per buffered (slice, key) and empty the buffer. */
static int local_flush(weir__op *op) {
  local_op *l = (local_op *)op;
  const weir__pop *p = op->plan;
  weir__chunk *out = l->out;
  weir__chunk_reset(out);
  int rc, base = p->nkeys + (l->windowed ? 1 : 0);
  for (uint32_t e = 0; e < l->kt.n; e++) {
    int r = out->n;
    uint32_t klen;
    const uint8_t *key = weir__ktable_key(&l->kt, e, &klen);
    int off = 0;
    if (l->windowed) {
      int64_t slice;
      memcpy(&slice, key, 8);
      WEIR_VEC_I64(&out->cols[p->nkeys])[r] = slice;
      off = 8;
    }
    if (weir__key_decode_into(key + off, (int)klen - off, l->key_types, p->nkeys, out, l->key_out,
                              r))
      return weir__op_fail(op, WEIR_CORRUPT, "malformed key in local aggregation");
    const int64_t *rows = weir__ktable_payload(&l->kt, e);
    WEIR_VEC_I64(&out->cols[base])[r] = *rows;
    const weir__acc *acc = (const weir__acc *)(rows + 1);
    for (int j = 0; j < p->nagg; j++)
      weir__acc_to_partial(&p->aggs[j], &acc[j], out, base + 1 + 2 * j, r);
    out->n++;
    if (out->n == out->cap) {
      if ((rc = weir__op_emit(op, out))) return rc;
      weir__chunk_reset(out);
    }
  }
  rc = weir__op_emit(op, out);
  weir__chunk_reset(out);
  /* The partials' strings point into the table's key arena: emitted
   * chunks are consumed (copied by the exchange) before this returns. */
  weir__ktable_clear(&l->kt);
  l->min_slice = INT64_MAX;
  return rc;
}

static int local_push(weir__op *op, int port, weir__chunk *c) {
  local_op *l = (local_op *)op;
  const weir__pop *p = op->plan;
  weir__arena_reset(&op->scratch);
  const int64_t *ts = l->windowed ? WEIR_VEC_I64(&c->cols[p->window.time_col]) : NULL;
  uint8_t buf[520];
  for (int r = 0; r < c->n; r++) {
    if (c->kind && c->kind[r] != WEIR_INSERT)
      return weir__op_fail(op, WEIR_UNSUPPORTED, "aggregating an updating input is not supported yet");
    int len = 0;
    uint8_t *key = buf;
    if (l->windowed) {
      int64_t slice = weir__window_align(ts[r], l->g, p->window.offset);
      if (slice < l->min_slice) l->min_slice = slice;
      memcpy(buf, &slice, 8);
      len = 8;
    }
    int klen = weir__key_encode_any(c->cols, p->keys, p->nkeys, r, buf, len, (int)sizeof buf,
                                    &op->scratch, &key);
    if (klen < 0) return weir__err_nomem(op->err);
    int inserted;
    int64_t e = weir__ktable_upsert(&l->kt, key, (uint32_t)klen, weir__hash64(key, (size_t)klen),
                                    &inserted);
    if (e < 0) return weir__err_nomem(op->err);
    l->entry[r] = e;
  }
  for (int r = 0; r < c->n; r++) {
    int64_t *rows = weir__ktable_payload(&l->kt, (uint32_t)l->entry[r]);
    (*rows)++;
    l->rowacc[r] = (weir__acc *)(rows + 1);
    l->rowarena[r] = &l->kt.keys;
  }
  int rc = weir__acc_update(p->aggs, p->nagg, c, c->n, l->rowacc, l->rowarena, op->err);
  if (rc) return rc;
  if (l->kt.n >= LOCAL_MAX_ENTRIES - WEIR_CHUNK_CAP) return local_flush(op);
  return WEIR_OK;
}

static int local_on_watermark(weir__op *op, int64_t wm) {
  local_op *l = (local_op *)op;
  const weir__window *win = &op->plan->window;
  /* The earliest window that holds a buffered slice fires at this
   * watermark: its partials must reach the global half first. */
  if (l->kt.n && (!l->windowed || weir__window_first_start(win, l->min_slice) + win->size - 1 <= wm)) {
    int rc = local_flush(op);
    if (rc) return rc;
  }
  return weir__op_emit_watermark(op, wm);
}

static int local_finish(weir__op *op) { return local_flush(op); }

/* Partials folded before the barrier go out before it: this operator
 * keeps no state in a checkpoint. */
static int local_on_barrier(weir__op *op, int64_t id) {
  (void)id;
  return local_flush(op);
}

static void local_close(weir__op *op) {
  local_op *l = (local_op *)op;
  weir__ktable_free(&l->kt);
  weir__free(l->key_types);
  weir__free(l->key_out);
  weir__free(l->rowacc);
  weir__free(l->rowarena);
  weir__free(l->entry);
  weir__chunk_free(l->out);
}

const weir__op_vtab weir__op_local_agg_vtab = {.name = "LocalAggregate",
                                               .size = sizeof(local_op),
                                               .open = local_open,
                                               .push = local_push,
                                               .on_watermark = local_on_watermark,
                                               .finish = local_finish,
                                               .flush = local_flush,
                                               .on_barrier = local_on_barrier,
                                               .close = local_close};

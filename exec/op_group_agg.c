/*
 * op_group_agg.c -- GROUP_AGG: GROUP BY without a window, an updating
 * aggregation (Flink's GroupAggregate with mini-batches of one chunk).
 *
 * For each chunk it folds the rows into their keys' accumulators and then,
 * once per key the chunk touched, emits the change: +I for a key's first
 * result, -U (the previous result) and +U (the new one) afterwards; a key
 * whose result did not change emits nothing.  Input must be append-only.
 *
 * No watermark rule (watermarks pass through, nothing is late).  State:
 * one entry per key in the job's state backend (state/state.h), kept for
 * the life of the job, or with 'table.exec.state.ttl' until the key has
 * seen no row for that long (processing time, as Flink's state TTL): a
 * row for an expired key starts it afresh (+I), and idle keys are
 * forgotten every TTL/4 (at least 1 s apart), from the store by its
 * compactions.
 */
#include <stddef.h>

#include "exec/execInt.h"

/* Payload of a key: this header, then the accumulators. */
typedef struct gkey {
  int64_t epoch;     /* the chunk that last touched the key */
  int64_t emitted;   /* a result has been emitted */
  int64_t access_ms; /* state TTL: when a row last came (wall clock) */
} gkey;

typedef struct gagg_op {
  weir__op base;
  weir__acc_codec codec;
  weir__kbackend be;
  weir__kstate ks; /* one entry per key (state id 1, no namespace) */
  int64_t epoch;
  int64_t next_expiry; /* state TTL: when idle keys are next forgotten (wall clock) */
  int nreal;
  int *real_cols;
  int *real_types;
  int *out_cols;
  size_t accsize;
  weir__chunk *out;
  weir__acc **rowacc;
  weir__arena **rowarena;
  int64_t *row_entry;
  uint32_t *touched;
  weir__acc *before; /* accumulators of touched keys before this chunk */
} gagg_op;

static int gagg_open(weir__op *op) {
  gagg_op *g = (gagg_op *)op;
  const weir__pop *p = op->plan;
  g->accsize = sizeof(weir__acc) * (size_t)p->nagg;
  g->real_cols = weir__calloc((size_t)p->nkeys + 1, sizeof(int));
  g->real_types = weir__calloc((size_t)p->nkeys + 1, sizeof(int));
  g->out_cols = weir__calloc((size_t)p->nkeys + 1, sizeof(int));
  g->rowacc = weir__calloc(WEIR_CHUNK_CAP, sizeof(weir__acc *));
  g->rowarena = weir__calloc(WEIR_CHUNK_CAP, sizeof(weir__arena *));
  g->row_entry = weir__calloc(WEIR_CHUNK_CAP, sizeof(int64_t));
  g->touched = weir__calloc(WEIR_CHUNK_CAP, sizeof(uint32_t));
  g->before = weir__calloc(WEIR_CHUNK_CAP, g->accsize ? g->accsize : 1);
  g->out = weir__chunk_new(p->ncol, p->types, WEIR_CHUNK_CAP);
  if (!g->real_cols || !g->real_types || !g->out_cols || !g->rowacc || !g->rowarena ||
      !g->row_entry || !g->touched || !g->before || !g->out)
    return weir__err_nomem(op->err);
  weir__acc_codec_init(&g->codec, sizeof(gkey), p->aggs, p->nagg);
  int rc = weir__op_backend_open(op, &g->be, &g->codec.kc, (int)offsetof(gkey, access_ms));
  if (rc) return rc;
  if (weir__kstate_init(&g->ks, &g->be, 1, 0)) return weir__err_nomem(op->err);
  for (int i = 0; i < p->nkeys; i++) {
    g->real_cols[g->nreal] = p->keys[i];
    g->real_types[g->nreal] = p->input->types[p->keys[i]];
    g->out_cols[g->nreal] = i;
    g->nreal++;
  }
  return WEIR_OK;
}

static weir__acc *accs_of(gagg_op *g, uint32_t e) {
  return (weir__acc *)((uint8_t *)weir__ktable_payload(&g->ks.kt, e) + sizeof(gkey));
}

/* Append one result row of entry e with accumulators acc. */
static int emit_row(gagg_op *g, uint32_t e, const weir__acc *acc, int kind) {
  weir__op *op = &g->base;
  const weir__pop *p = op->plan;
  weir__chunk *out = g->out;
  int r = out->n;
  uint32_t klen;
  const uint8_t *key = weir__ktable_key(&g->ks.kt, e, &klen);
  if (weir__key_decode_into(key, (int)klen, g->real_types, g->nreal, out, g->out_cols, r))
    return weir__op_fail(op, WEIR_CORRUPT, "malformed key in aggregation state");
  for (int j = 0; j < p->nagg; j++) weir__acc_result(&p->aggs[j], &acc[j], out, p->nkeys + j, r);
  out->kind[r] = (uint8_t)kind;
  out->n++;
  if (out->n == out->cap) {
    int rc = weir__op_emit(op, out);
    weir__chunk_reset(out);
    return rc;
  }
  return WEIR_OK;
}

/* State TTL: was the key's last row at most ttl ago?  arg: {now, ttl}. */
static int gagg_alive(const void *payload, void *arg) {
  const gkey *h = payload;
  const int64_t *t = arg;
  return t[0] - h->access_ms <= t[1];
}

static int gagg_push(weir__op *op, int port, weir__chunk *c) {
  gagg_op *g = (gagg_op *)op;
  const weir__pop *p = op->plan;
  weir__arena_reset(&op->scratch);
  g->epoch++;
  int64_t ttl = g->be.ttl_ms, now_ms = ttl ? weir__wall_ms() : 0;
  int ntouched = 0;
  uint8_t buf[512];
  for (int r = 0; r < c->n; r++) {
    if (!p->partial && c->kind && c->kind[r] != WEIR_INSERT)
      return weir__op_fail(op, WEIR_UNSUPPORTED, "GROUP BY over an updating input is not "
                                                 "supported yet");
    uint8_t *key;
    int klen = weir__key_encode_any(c->cols, g->real_cols, g->nreal, r, buf, 0, (int)sizeof buf,
                                    &op->scratch, &key);
    if (klen < 0) return weir__err_nomem(op->err);
    int inserted;
    int64_t e = weir__kstate_upsert(&g->ks, key, (uint32_t)klen, weir__hash64(key, (size_t)klen),
                                    &inserted, op->err);
    if (e < 0) return op->err->code;
    gkey *h = weir__ktable_payload(&g->ks.kt, (uint32_t)e);
    if (ttl && h->access_ms != now_ms) {
      if (!inserted && now_ms - h->access_ms > ttl) {
        /* Idle for longer than the TTL: the key starts afresh. */
        memset(h, 0, sizeof(gkey) + g->accsize);
      }
      h->access_ms = now_ms;
    }
    if (h->epoch != g->epoch) {
      h->epoch = g->epoch;
      memcpy((uint8_t *)g->before + (size_t)ntouched * g->accsize, accs_of(g, (uint32_t)e),
             g->accsize);
      g->touched[ntouched++] = (uint32_t)e;
    }
    g->row_entry[r] = e;
  }
  int rc = WEIR_OK;
  if (p->partial) {
    /* Merge the partial aggregates of the local halves. */
    weir__acc tmp[64];
    weir__acc *src = p->nagg <= 64 ? tmp
                                    : weir__arena_alloc(&op->scratch, sizeof(weir__acc) * (size_t)p->nagg);
    if (!src) return weir__err_nomem(op->err);
    for (int r = 0; r < c->n && rc == WEIR_OK; r++) {
      for (int j = 0; j < p->nagg; j++)
        weir__acc_from_partial(&p->aggs[j], c, p->aggs[j].arg, r, &src[j]);
      rc = weir__acc_merge(p->aggs, p->nagg, accs_of(g, (uint32_t)g->row_entry[r]), src,
                           &g->ks.kt.keys, op->err);
    }
  } else {
    for (int r = 0; r < c->n; r++) {
      g->rowacc[r] = accs_of(g, (uint32_t)g->row_entry[r]);
      g->rowarena[r] = &g->ks.kt.keys;
    }
    rc = weir__acc_update(p->aggs, p->nagg, c, c->n, g->rowacc, g->rowarena, op->err);
  }
  if (rc) return rc;
  for (int t = 0; t < ntouched; t++) {
    uint32_t e = g->touched[t];
    gkey *h = weir__ktable_payload(&g->ks.kt, e);
    const weir__acc *old = (const weir__acc *)((uint8_t *)g->before + (size_t)t * g->accsize);
    const weir__acc *now = accs_of(g, e);
    if (h->emitted) {
      if (weir__acc_same_result(p->aggs, p->nagg, old, now)) continue;
      if ((rc = emit_row(g, e, old, WEIR_UPDATE_BEFORE))) return rc;
      if ((rc = emit_row(g, e, now, WEIR_UPDATE_AFTER))) return rc;
    } else {
      h->emitted = 1;
      if ((rc = emit_row(g, e, now, WEIR_INSERT))) return rc;
    }
  }
  if (g->out->n) {
    rc = weir__op_emit(op, g->out);
    weir__chunk_reset(g->out);
  }
  if (!rc && ttl && now_ms >= g->next_expiry) {
    int64_t t[2] = {now_ms, ttl};
    rc = weir__kstate_retain(&g->ks, gagg_alive, t, op->err);
    g->next_expiry = now_ms + (ttl / 4 > 1000 ? ttl / 4 : 1000);
  }
  /* rocksdb: a cache grown past its budget goes back to the store. */
  if (!rc && g->be.kv && weir__kstate_memory(&g->ks) > g->be.hot_bytes)
    rc = weir__kstate_evict(&g->ks, op->err);
  return rc;
}

/* State: the chunk counter and every key's accumulators, canonical or
 * (an incremental rocksdb checkpoint) native. */
static int gagg_snapshot(weir__op *op, weir__snap_writer *w) {
  gagg_op *g = (gagg_op *)op;
  int rc = weir__snap_put_u64(w, (uint64_t)g->epoch, op->err);
  if (rc) return rc;
  if (!weir__op_snapshot_native(op, &g->be)) return weir__kstate_write_canonical(&g->ks, w, op->err);
  rc = weir__kstate_writeback(&g->ks, op->err);
  if (!rc) rc = weir__snap_put_u64(w, WEIR_NATIVE_MARK, op->err);
  return rc ? rc : weir__backend_write_native(op, &g->be, w);
}

static void *gagg_route(void *ctx, uint8_t sid, int64_t ns) {
  gagg_op *g = ctx;
  return sid == 1 && ns == 0 ? &g->ks : NULL;
}

static int gagg_restore(weir__op *op, const weir__restore *rs) {
  gagg_op *g = (gagg_op *)op;
  int rc = WEIR_OK;
  for (int sub = 0; !rc && sub < rs->old_parallelism; sub++) {
    if (!weir__restore_needs(rs, op, sub)) continue;
    weir__snap_reader r;
    uint64_t epoch, n;
    rc = weir__restore_open(rs, sub, &r, op->err);
    if (!rc) rc = weir__snap_get_u64(&r, &epoch, op->err);
    if (!rc && (int64_t)epoch > g->epoch) g->epoch = (int64_t)epoch;
    if (!rc) rc = weir__snap_get_u64(&r, &n, op->err);
    if (!rc && n == WEIR_NATIVE_MARK)
      rc = weir__backend_read_native(op, &g->be, rs, &r, gagg_route, g);
    else if (!rc)
      rc = weir__kstate_read_entries(&g->ks, &r, n, op->err);
    if (!rc && !weir__snap_at_end(&r))
      rc = weir__err_set(op->err, WEIR_CORRUPT, -1, "checkpoint of %s: trailing bytes", op->vt->name);
    weir__snap_close(&r);
  }
  weir__kstate_restored(&g->ks);
  return rc;
}

static void gagg_close(weir__op *op) {
  gagg_op *g = (gagg_op *)op;
  weir__kstate_free(&g->ks);
  weir__kbackend_free(&g->be);
  weir__free(g->real_cols);
  weir__free(g->real_types);
  weir__free(g->out_cols);
  weir__free(g->rowacc);
  weir__free(g->rowarena);
  weir__free(g->row_entry);
  weir__free(g->touched);
  weir__free(g->before);
  weir__chunk_free(g->out);
}

const weir__op_vtab weir__op_group_agg_vtab = {.name = "GroupAggregate",
                                               .size = sizeof(gagg_op),
                                               .open = gagg_open,
                                               .push = gagg_push,
                                               .snapshot = gagg_snapshot,
                                               .restore = gagg_restore,
                                               .close = gagg_close};

/*
 * kstate.c -- keyed state over the two backends (the interface is in
 * state.h): hashmap keeps every entry in key tables; rocksdb keeps them
 * in the store and uses the key tables as a cache of hot keys, so a key
 * costs a RocksDB read only when it comes back after an eviction or a
 * restore, and a write only at a checkpoint or an eviction, however often
 * it changes in between (DESIGN section 7: per-access RocksDB calls cost
 * two orders of magnitude more than a hash update).
 *
 * Entry points: weir__kbackend_*, weir__kstate_*.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "state/state.h"

int weir__kbackend_init(weir__kbackend *be, weir__kv *kv, const weir__kcodec *codec, int maxpar,
                        int kg_lo, int kg_hi, size_t hot_bytes) {
  memset(be, 0, sizeof *be);
  be->kv = kv;
  be->codec = codec;
  be->maxpar = maxpar > 0 ? maxpar : 1;
  be->kg_lo = kg_lo;
  be->kg_hi = kg_hi;
  be->hot_bytes = hot_bytes;
  weir__arena_init(&be->scratch, 4096);
  weir__err err;
  return weir__snap_open(&be->buf, "", &err);
}

void weir__kbackend_free(weir__kbackend *be) {
  weir__kv_close(be->kv, 1);
  weir__snap_abort(&be->buf);
  weir__arena_free(&be->scratch);
  memset(be, 0, sizeof *be);
}

int weir__kbackend_commit(weir__kbackend *be, weir__err *err) {
  return be->kv ? weir__kv_write(be->kv, err) : WEIR_OK;
}

/* ---- RocksDB keys ------------------------------------------------------------------------ */

void weir__kkey_prefix(uint8_t *p, uint32_t kg, uint8_t sid, int64_t ns) {
  uint64_t n = (uint64_t)ns ^ 0x8000000000000000ULL; /* signed order as unsigned bytes */
  p[0] = (uint8_t)(kg >> 8);
  p[1] = (uint8_t)kg;
  p[2] = sid;
  for (int i = 0; i < 8; i++) p[3 + i] = (uint8_t)(n >> (56 - 8 * i));
}

void weir__kkey_parse(const uint8_t *p, uint32_t *kg, uint8_t *sid, int64_t *ns) {
  uint64_t n = 0;
  for (int i = 0; i < 8; i++) n = (n << 8) | p[3 + i];
  *kg = ((uint32_t)p[0] << 8) | p[1];
  *sid = p[2];
  *ns = (int64_t)(n ^ 0x8000000000000000ULL);
}

void weir__kkey_successor(uint8_t *p, size_t n) {
  for (size_t i = n; i-- > 0 && ++p[i] == 0;) {
  }
}

uint32_t weir__kbackend_kg(const weir__kbackend *be, uint64_t hash) {
  return (uint32_t)(hash % (uint64_t)be->maxpar);
}

/* The store key of (kg, state, key) in scratch, which is reset first;
 * NULL when out of memory. */
static uint8_t *store_key(weir__kstate *ks, uint32_t kg, const uint8_t *key, uint32_t klen) {
  weir__arena_reset(&ks->be->scratch);
  uint8_t *p = weir__arena_alloc(&ks->be->scratch, WEIR_KSTATE_PREFIX + (size_t)klen);
  if (!p) return NULL;
  weir__kkey_prefix(p, kg, ks->sid, ks->ns);
  memcpy(p + WEIR_KSTATE_PREFIX, key, klen);
  return p;
}

void weir__kkey_bounds(uint32_t kg, uint8_t sid, int64_t ns, uint8_t lo[WEIR_KSTATE_PREFIX],
                       uint8_t hi[WEIR_KSTATE_PREFIX]) {
  weir__kkey_prefix(lo, kg, sid, ns);
  memcpy(hi, lo, WEIR_KSTATE_PREFIX);
  weir__kkey_successor(hi, WEIR_KSTATE_PREFIX);
}

int weir__kbackend_scan(weir__kbackend *be, uint32_t kg, uint8_t sid, int64_t ns,
                        int (*fn)(void *arg, const uint8_t *k, size_t kl, const uint8_t *v,
                                  size_t vl),
                        void *arg, weir__err *err) {
  uint8_t lo[WEIR_KSTATE_PREFIX], hi[WEIR_KSTATE_PREFIX];
  weir__kkey_bounds(kg, sid, ns, lo, hi);
  weir__kv_iter *it = weir__kv_iter_new(be->kv, lo, sizeof lo, hi, sizeof hi);
  if (!it) return weir__err_nomem(err);
  int rc = WEIR_OK;
  for (; !rc && weir__kv_iter_valid(it); weir__kv_iter_next(it)) {
    size_t kl, vl;
    const uint8_t *k = weir__kv_iter_key(it, &kl), *v = weir__kv_iter_value(it, &vl);
    if (kl < WEIR_KSTATE_PREFIX) continue;
    rc = fn(arg, k + WEIR_KSTATE_PREFIX, kl - WEIR_KSTATE_PREFIX, v, vl);
  }
  int rc2 = weir__kv_iter_free(it, err);
  return rc ? rc : rc2;
}

static int by_kg(const void *a, const void *b) {
  const weir__kg_entry *x = a, *y = b;
  if (x->kg != y->kg) return x->kg < y->kg ? -1 : 1;
  return x->e < y->e ? -1 : x->e > y->e;
}

weir__kg_entry *weir__kbackend_order(const weir__kbackend *be, const weir__ktable *kt,
                                     int (*keep)(const void *payload), uint32_t *n) {
  weir__kg_entry *order = weir__malloc(sizeof *order * (kt->n ? kt->n : 1));
  if (!order) return NULL;
  *n = 0;
  for (uint32_t e = 0; e < kt->n; e++) {
    if (keep && !keep(weir__ktable_payload(kt, e))) continue;
    uint32_t klen;
    const uint8_t *key = weir__ktable_key(kt, e, &klen);
    order[(*n)++] = (weir__kg_entry){weir__kbackend_kg(be, weir__hash64(key, klen)), e};
  }
  qsort(order, *n, sizeof *order, by_kg);
  return order;
}

/* Decode the payload in v[0, n) (a value in the store, or one the codec
 * just wrote) into payload, its strings into strings.  WEIR_CORRUPT when
 * the bytes are not one whole payload. */
static int decode_value(const weir__kstate *ks, const uint8_t *v, size_t n, void *payload,
                        weir__arena *strings, weir__err *err) {
  weir__snap_reader r = {.data = (uint8_t *)v, .n = n, .path = (char *)"a RocksDB value"};
  const weir__kcodec *c = ks->be->codec;
  int rc = c->read(c->ctx, &r, payload, strings, err);
  if (!rc && r.pos != r.n)
    rc = weir__err_set(err, WEIR_CORRUPT, -1, "RocksDB state in '%s': a value has trailing bytes",
                       ks->be->kv ? weir__kv_dir(ks->be->kv) : "memory");
  return rc;
}

/* ---- states ----------------------------------------------------------------------------- */

int weir__kstate_init(weir__kstate *ks, weir__kbackend *be, uint8_t sid, int64_t ns) {
  memset(ks, 0, sizeof *ks);
  ks->be = be;
  ks->sid = sid;
  ks->ns = ns;
  ks->complete = 1;
  return weir__ktable_init(&ks->kt, be->codec->payload_size);
}

void weir__kstate_free(weir__kstate *ks) {
  weir__ktable_free(&ks->kt);
  memset(ks, 0, sizeof *ks);
}

int64_t weir__kstate_upsert(weir__kstate *ks, const uint8_t *key, uint32_t klen, uint64_t hash,
                            int *inserted, weir__err *err) {
  int64_t e = weir__ktable_upsert(&ks->kt, key, klen, hash, inserted);
  if (e < 0) return weir__err_nomem(err), -1;
  if (!*inserted || ks->complete) return e;
  /* A key new to the cache may be in the store. */
  weir__kbackend *be = ks->be;
  uint8_t *sk = store_key(ks, weir__kbackend_kg(be, hash), key, klen);
  if (!sk) return weir__err_nomem(err), -1;
  char *v;
  size_t vl;
  int rc = weir__kv_get(be->kv, sk, WEIR_KSTATE_PREFIX + (size_t)klen, &v, &vl, err);
  if (rc == WEIR_NOTFOUND) return e;
  if (rc) return -1;
  rc = decode_value(ks, (const uint8_t *)v, vl, weir__ktable_payload(&ks->kt, (uint32_t)e),
                    &ks->kt.keys, err);
  weir__kv_free_value(v);
  if (rc) return -1;
  *inserted = 0;
  return e;
}

void weir__kstate_restored(weir__kstate *ks) {
  if (!ks->be->kv) return;
  ks->complete = 0;
  ks->stored = 1;
}

int weir__kstate_writeback(weir__kstate *ks, weir__err *err) {
  weir__kbackend *be = ks->be;
  if (!be->kv) return WEIR_OK;
  const weir__kcodec *c = be->codec;
  for (uint32_t e = 0; e < ks->kt.n; e++) {
    if (!weir__ktable_dirty(&ks->kt, e)) continue;
    uint32_t klen;
    const uint8_t *key = weir__ktable_key(&ks->kt, e, &klen);
    uint8_t *sk = store_key(ks, weir__kbackend_kg(be, weir__hash64(key, klen)), key, klen);
    if (!sk) return weir__err_nomem(err);
    be->buf.len = 0;
    int rc = c->write(c->ctx, weir__ktable_payload(&ks->kt, e), &be->buf, err);
    if (rc) return rc;
    weir__kv_put(be->kv, sk, WEIR_KSTATE_PREFIX + (size_t)klen, be->buf.mem, be->buf.len);
    weir__ktable_set_clean(&ks->kt, e);
    ks->stored = 1;
    if (weir__kv_batch_full(be->kv) && (rc = weir__kv_write(be->kv, err))) return rc;
  }
  return WEIR_OK;
}

int weir__kstate_evict(weir__kstate *ks, weir__err *err) {
  if (!ks->be->kv) return WEIR_OK;
  int rc = weir__kstate_writeback(ks, err);
  if (!rc) rc = weir__kv_write(ks->be->kv, err);
  if (rc) return rc;
  weir__ktable_clear(&ks->kt);
  ks->complete = 0;
  return WEIR_OK;
}

/* Scan the state's entries of key group kg in the store, calling fn on each. */
typedef struct group_scan {
  weir__kstate *ks;
  uint32_t kg;
  int (*fn)(weir__kstate *ks, uint32_t kg, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl,
            void *arg);
  void *arg;
} group_scan;

static int group_entry(void *arg, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl) {
  group_scan *g = arg;
  return g->fn(g->ks, g->kg, k, kl, v, vl, g->arg);
}

static int scan_group(weir__kstate *ks, uint32_t kg,
                      int (*fn)(weir__kstate *ks, uint32_t kg, const uint8_t *k, size_t kl,
                                const uint8_t *v, size_t vl, void *arg),
                      void *arg, weir__err *err) {
  group_scan g = {ks, kg, fn, arg};
  return weir__kbackend_scan(ks->be, kg, ks->sid, ks->ns, group_entry, &g, err);
}

static int load_one(weir__kstate *ks, uint32_t kg, const uint8_t *k, size_t kl, const uint8_t *v,
                    size_t vl, void *arg) {
  weir__err *err = arg;
  int inserted;
  int64_t e = weir__ktable_upsert(&ks->kt, k, (uint32_t)kl, weir__hash64(k, kl), &inserted);
  if (e < 0) return weir__err_nomem(err);
  if (!inserted) return WEIR_OK; /* the cache's copy is as new */
  int rc = decode_value(ks, v, vl, weir__ktable_payload(&ks->kt, (uint32_t)e), &ks->kt.keys, err);
  weir__ktable_set_clean(&ks->kt, (uint32_t)e);
  return rc;
}

typedef struct scan_arg {
  int (*fn)(void *arg, const uint8_t *key, uint32_t klen, void *payload);
  void *arg;
  uint8_t *payload;
  weir__arena strings; /* of the payload */
  weir__err *err;
} scan_arg;

static int scan_one(weir__kstate *ks, uint32_t kg, const uint8_t *k, size_t kl, const uint8_t *v,
                    size_t vl, void *arg) {
  scan_arg *a = arg;
  weir__arena_reset(&a->strings);
  int rc = decode_value(ks, v, vl, a->payload, &a->strings, a->err);
  return rc ? rc : a->fn(a->arg, k, (uint32_t)kl, a->payload);
}

int weir__kstate_scan(weir__kstate *ks, uint32_t kg,
                      int (*fn)(void *arg, const uint8_t *key, uint32_t klen, void *payload),
                      void *arg, weir__err *err) {
  scan_arg a = {fn, arg, weir__malloc(ks->be->codec->payload_size + 1), {0}, err};
  if (!a.payload) return weir__err_nomem(err);
  weir__arena_init(&a.strings, 4096);
  int rc = scan_group(ks, kg, scan_one, &a, err);
  weir__arena_free(&a.strings);
  weir__free(a.payload);
  return rc;
}

int weir__kstate_retain(weir__kstate *ks, int (*keep)(const void *payload, void *ctx), void *ctx,
                        weir__err *err) {
  weir__kbackend *be = ks->be;
  const weir__kcodec *c = be->codec;
  weir__ktable kept;
  if (weir__ktable_init(&kept, c->payload_size)) return weir__err_nomem(err);
  int rc = WEIR_OK;
  for (uint32_t e = 0; !rc && e < ks->kt.n; e++) {
    uint32_t klen;
    const uint8_t *key = weir__ktable_key(&ks->kt, e, &klen);
    const void *payload = weir__ktable_payload(&ks->kt, e);
    uint64_t h = weir__hash64(key, klen);
    if (!keep(payload, ctx)) {
      if (be->kv && ks->stored) {
        uint8_t *sk = store_key(ks, weir__kbackend_kg(be, h), key, klen);
        if (!sk)
          rc = weir__err_nomem(err);
        else
          weir__kv_delete(be->kv, sk, WEIR_KSTATE_PREFIX + (size_t)klen);
      }
      continue;
    }
    int inserted;
    int64_t ne = weir__ktable_upsert(&kept, key, klen, h, &inserted);
    if (ne < 0) {
      rc = weir__err_nomem(err);
      break;
    }
    /* Through the codec, so that strings move into the new table. */
    be->buf.len = 0;
    rc = c->write(c->ctx, payload, &be->buf, err);
    if (!rc)
      rc = decode_value(ks, be->buf.mem, be->buf.len, weir__ktable_payload(&kept, (uint32_t)ne),
                        &kept.keys, err);
    if (!rc && !weir__ktable_dirty(&ks->kt, e)) weir__ktable_set_clean(&kept, (uint32_t)ne);
  }
  if (!rc && be->kv) rc = weir__kv_write(be->kv, err);
  if (rc) {
    weir__ktable_free(&kept);
    return rc;
  }
  weir__ktable_free(&ks->kt);
  ks->kt = kept;
  return WEIR_OK;
}

int weir__kstate_drop(weir__kstate *ks, weir__err *err) {
  weir__kbackend *be = ks->be;
  if (!be->kv || !ks->stored) return WEIR_OK;
  for (int kg = be->kg_lo; kg <= be->kg_hi; kg++) {
    uint8_t lo[WEIR_KSTATE_PREFIX], hi[WEIR_KSTATE_PREFIX];
    weir__kkey_bounds((uint32_t)kg, ks->sid, ks->ns, lo, hi);
    weir__kv_delete_range(be->kv, lo, sizeof lo, hi, sizeof hi);
  }
  return weir__kv_write(be->kv, err);
}

size_t weir__kstate_memory(const weir__kstate *ks) { return weir__ktable_memory(&ks->kt); }

/* ---- canonical snapshots ----------------------------------------------------------------- */

/* Every entry is in the table: write them in key-group order. */
static int write_table(weir__kstate *ks, weir__snap_writer *w, weir__err *err) {
  const weir__ktable *kt = &ks->kt;
  const weir__kcodec *c = ks->be->codec;
  uint32_t n;
  weir__kg_entry *order = weir__kbackend_order(ks->be, kt, NULL, &n);
  if (!order) return weir__err_nomem(err);
  int rc = weir__snap_put_u64(w, n, err);
  for (uint32_t i = 0; !rc && i < n; i++) {
    uint32_t klen;
    const uint8_t *key = weir__ktable_key(kt, order[i].e, &klen);
    rc = weir__snap_put_u64(w, order[i].kg, err);
    if (!rc) rc = weir__snap_put_bytes(w, key, klen, err);
    if (!rc) rc = c->write(c->ctx, weir__ktable_payload(kt, order[i].e), w, err);
  }
  weir__free(order);
  return rc;
}

typedef struct canon_arg {
  weir__snap_writer *w;
  weir__err *err;
  uint64_t n;
} canon_arg;

static int write_one(weir__kstate *ks, uint32_t kg, const uint8_t *k, size_t kl, const uint8_t *v,
                     size_t vl, void *arg) {
  canon_arg *a = arg;
  int rc = weir__snap_put_u64(a->w, kg, a->err);
  if (!rc) rc = weir__snap_put_bytes(a->w, k, (uint32_t)kl, a->err);
  if (!rc) rc = weir__snap_put(a->w, v, vl, a->err); /* a value is the payload by value */
  a->n++;
  return rc;
}

static _Atomic unsigned long spill_seq;

int weir__kbackend_spill(weir__kbackend *be, weir__snap_writer *w, weir__err *err) {
  char spill[4096];
  snprintf(spill, sizeof spill, "%s.snapshot-%lu", weir__kv_dir(be->kv),
           atomic_fetch_add(&spill_seq, 1));
  return weir__snap_spill(w, spill, err);
}

int weir__kstate_write_canonical(weir__kstate *ks, weir__snap_writer *w, weir__err *err) {
  if (ks->complete) return write_table(ks, w, err);
  int rc = weir__kstate_writeback(ks, err);
  if (!rc) rc = weir__kv_write(ks->be->kv, err);
  if (rc) return rc;
  if ((rc = weir__kbackend_spill(ks->be, w, err)) ||
      (rc = weir__snap_put_u64(w, WEIR_KSTATE_UNCOUNTED, err)))
    return rc;
  canon_arg a = {w, err, 0};
  for (int kg = ks->be->kg_lo; !rc && kg <= ks->be->kg_hi; kg++)
    rc = scan_group(ks, (uint32_t)kg, write_one, &a, err);
  return rc ? rc : weir__snap_put_u64(w, UINT64_MAX, err);
}

int weir__kentry_next(const weir__kbackend *be, weir__snap_reader *r, weir__kentry *e,
                      weir__err *err) {
  uint64_t kg;
  int counted = e->n != WEIR_KSTATE_UNCOUNTED;
  if (counted && e->i == e->n) return 0;
  if (weir__snap_get_u64(r, &kg, err)) return -1;
  if (!counted && kg == UINT64_MAX) return 0; /* the end mark */
  if (weir__snap_get_bytes(r, &e->key, &e->klen, err)) return -1;
  e->hash = weir__hash64(e->key, e->klen);
  if (kg >= (uint64_t)be->maxpar || weir__kbackend_kg(be, e->hash) != kg)
    return weir__err_set(err, WEIR_CORRUPT, -1, "'%s': a key in the wrong key group", r->path), -1;
  e->kg = (uint32_t)kg;
  e->own = (int)kg >= be->kg_lo && (int)kg <= be->kg_hi;
  e->i++;
  return 1;
}

int weir__kstate_read_entries(weir__kstate *ks, weir__snap_reader *r, uint64_t n, weir__err *err) {
  weir__kbackend *be = ks->be;
  const weir__kcodec *c = be->codec;
  uint8_t *tmp = weir__malloc(c->payload_size ? c->payload_size : 1);
  if (!tmp) return weir__err_nomem(err);
  int rc = WEIR_OK, more;
  weir__kentry en = {.n = n};
  while (!rc && (more = weir__kentry_next(be, r, &en, err)) != 0) {
    if (more < 0) {
      rc = err->code;
      break;
    }
    size_t vstart = r->pos;
    /* Strings of entries bound for the store, and of those this subtask
     * skips, are only parsed: into scratch (rocksdb), or into the table's
     * arena (hashmap: few, MIN/MAX over text, and freed with it). */
    if (be->kv) weir__arena_reset(&be->scratch);
    if ((rc = c->read(c->ctx, r, tmp, be->kv ? &be->scratch : &ks->kt.keys, err))) break;
    if (!en.own) continue;
    if (be->kv) {
      uint8_t *sk = store_key(ks, en.kg, en.key, en.klen);
      if (!sk) {
        rc = weir__err_nomem(err);
        break;
      }
      weir__kv_put(be->kv, sk, WEIR_KSTATE_PREFIX + (size_t)en.klen, r->data + vstart,
                   r->pos - vstart);
      weir__kstate_restored(ks);
      if (weir__kv_batch_full(be->kv)) rc = weir__kv_write(be->kv, err);
      continue;
    }
    int inserted;
    int64_t e = weir__ktable_upsert(&ks->kt, en.key, en.klen, en.hash, &inserted);
    if (e < 0) {
      rc = weir__err_nomem(err);
      break;
    }
    memcpy(weir__ktable_payload(&ks->kt, (uint32_t)e), tmp, c->payload_size);
  }
  if (!rc && be->kv) rc = weir__kv_write(be->kv, err);
  weir__free(tmp);
  return rc;
}

/* ---- importing a native snapshot --------------------------------------------------------- */

int weir__kbackend_import(weir__kbackend *be, weir__kv *old,
                          void *(*route)(void *ctx, uint8_t sid, int64_t ns), void *ctx,
                          weir__err *err) {
  uint8_t lo[2] = {(uint8_t)(be->kg_lo >> 8), (uint8_t)be->kg_lo};
  uint8_t hi[2] = {(uint8_t)((be->kg_hi + 1) >> 8), (uint8_t)(be->kg_hi + 1)};
  weir__kv_iter *it = weir__kv_iter_new(old, lo, sizeof lo, hi, sizeof hi);
  if (!it) return weir__err_nomem(err);
  int rc = WEIR_OK;
  void *last = NULL;
  uint8_t last_sid = 0;
  int64_t last_ns = 0;
  for (; !rc && weir__kv_iter_valid(it); weir__kv_iter_next(it)) {
    size_t kl, vl;
    const uint8_t *k = weir__kv_iter_key(it, &kl), *v = weir__kv_iter_value(it, &vl);
    if (kl < WEIR_KSTATE_PREFIX) {
      rc = weir__err_set(err, WEIR_CORRUPT, -1, "RocksDB state in '%s': a malformed key",
                         weir__kv_dir(old));
      break;
    }
    uint32_t kg;
    uint8_t sid;
    int64_t ns;
    weir__kkey_parse(k, &kg, &sid, &ns);
    if (!last || sid != last_sid || ns != last_ns) {
      if (!(last = route(ctx, sid, ns))) {
        rc = err->code ? err->code
                       : weir__err_set(err, WEIR_CORRUPT, -1,
                                       "RocksDB state in '%s': state %d of namespace %lld is not "
                                       "this operator's",
                                       weir__kv_dir(old), sid, (long long)ns);
        break;
      }
      last_sid = sid;
      last_ns = ns;
    }
    const uint8_t *sk = k + WEIR_KSTATE_PREFIX;
    size_t skl = kl - WEIR_KSTATE_PREFIX;
    weir__kcoll *coll = sid & WEIR_KSTATE_COLLECTION ? last : NULL;
    if (kg !=
        (coll ? weir__kcoll_kg(coll, sk, skl) : weir__kbackend_kg(be, weir__hash64(sk, skl)))) {
      rc = weir__err_set(err, WEIR_CORRUPT, -1,
                         "RocksDB state in '%s': a key in the wrong key group", weir__kv_dir(old));
      break;
    }
    if (be->kv) {
      weir__kv_put(be->kv, k, kl, v, vl);
      if (!coll) weir__kstate_restored(last);
      if (weir__kv_batch_full(be->kv)) rc = weir__kv_write(be->kv, err);
    } else if (coll) {
      rc = weir__kcoll_load(coll, sk, skl, v, vl, err);
    } else {
      rc = load_one(last, kg, sk, skl, v, vl, err);
    }
  }
  int rc2 = weir__kv_iter_free(it, err);
  if (!rc) rc = rc2;
  if (!rc && be->kv) rc = weir__kv_write(be->kv, err);
  return rc;
}

/*
 * kcoll.c -- keyed map and list state on the hashmap and rocksdb
 * backends.  The layouts and the canonical format are described in
 * state.h (weir__kcoll).
 *
 * Entry points: weir__kcoll_init/_free, weir__kmap_get/_put/_remove/
 * _iterate/_clear, weir__klist_append/_get/_clear,
 * weir__kcoll_write_canonical/_read_entries, weir__kcoll_load/_kg.
 */
#include <stdlib.h>
#include <string.h>

#include "state/state.h"

/* hashmap payloads */
typedef struct mval { /* a map entry in flat */
  uint8_t *v;
  uint32_t vl;
  uint32_t live; /* 0: a tombstone (v freed) */
  uint32_t next; /* the key's next entry + 1 (0: the end of the chain) */
} mval;
typedef struct kmap { /* a key's map in kt */
  uint32_t first;     /* its first entry in flat + 1 */
  uint32_t live;
} kmap;
typedef struct klist { /* a key's list in kt */
  uint8_t *buf;        /* elements: a u32 length (little-endian) and the bytes */
  size_t len, cap;
} klist;

enum { REBUILD_MIN = 1024 }; /* tombstones before the tables are rebuilt */

/* Does a key's entry in kt hold a list or map that is not empty? */
static int list_nonempty(const void *p) { return ((const klist *)p)->len != 0; }
static int map_nonempty(const void *p) { return ((const kmap *)p)->live != 0; }
static int (*nonempty(const weir__kcoll *c))(const void *) {
  return c->kind == WEIR_KCOLL_LIST ? list_nonempty : map_nonempty;
}

static int corrupt(const char *what, weir__err *err) {
  return weir__err_set(err, WEIR_CORRUPT, -1, "map or list state: %s", what);
}

static uint32_t get_be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t get_le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Call fn (if any) on each element of the list bytes p[0, n); WEIR_CORRUPT
 * when they are not whole elements. */
static int walk_list(const uint8_t *p, size_t n,
                     int (*fn)(void *arg, const uint8_t *v, uint32_t vl), void *arg,
                     weir__err *err) {
  size_t at = 0;
  while (at < n) {
    if (n - at < 4) return corrupt("a list ends inside an element's length", err);
    uint32_t l = get_le32(p + at);
    at += 4;
    if (l > n - at) return corrupt("a list ends inside an element", err);
    int rc = fn ? fn(arg, p + at, l) : 0;
    if (rc) return rc;
    at += l;
  }
  return WEIR_OK;
}

int weir__kcoll_init(weir__kcoll *c, weir__kbackend *be, int kind, uint8_t sid, int64_t ns,
                     weir__err *err) {
  memset(c, 0, sizeof *c);
  c->be = be;
  c->kind = kind;
  c->sid = sid | WEIR_KSTATE_COLLECTION;
  c->ns = ns;
  if (weir__ktable_init(&c->kt, kind == WEIR_KCOLL_MAP ? sizeof(kmap) : sizeof(klist)))
    return weir__err_nomem(err);
  if (kind == WEIR_KCOLL_MAP && weir__ktable_init(&c->flat, sizeof(mval))) {
    weir__ktable_free(&c->kt);
    return weir__err_nomem(err);
  }
  return WEIR_OK;
}

void weir__kcoll_free(weir__kcoll *c) {
  if (c->kind == WEIR_KCOLL_MAP) {
    for (uint32_t e = 0; e < c->flat.n; e++)
      weir__free(((mval *)weir__ktable_payload(&c->flat, e))->v);
    weir__ktable_free(&c->flat);
  } else {
    for (uint32_t e = 0; e < c->kt.n; e++)
      weir__free(((klist *)weir__ktable_payload(&c->kt, e))->buf);
  }
  weir__ktable_free(&c->kt);
  if (c->val) weir__kv_free_value(c->val);
  memset(c, 0, sizeof *c);
}

/* ---- RocksDB keys ------------------------------------------------------------------------ */

/* The prefix, then (map) the key's length, the key and the user key, or
 * (list) the key: in the backend's scratch.  *n is its length. */
static uint8_t *store_key(weir__kcoll *c, const uint8_t *key, uint32_t klen, const uint8_t *uk,
                          uint32_t ukl, size_t *n) {
  int map = c->kind == WEIR_KCOLL_MAP;
  weir__arena_reset(&c->be->scratch);
  *n = WEIR_KSTATE_PREFIX + (map ? 4 : 0) + (size_t)klen + (map ? ukl : 0);
  uint8_t *p = weir__arena_alloc(&c->be->scratch, *n), *q = p + WEIR_KSTATE_PREFIX;
  if (!p) return NULL;
  weir__kkey_prefix(p, weir__kbackend_kg(c->be, weir__hash64(key, klen)), c->sid, c->ns);
  if (map) {
    for (int i = 0; i < 4; i++) *q++ = (uint8_t)(klen >> (24 - 8 * i));
  }
  if (klen) memcpy(q, key, klen);
  if (map && ukl) memcpy(q + klen, uk, ukl);
  return p;
}

uint32_t weir__kcoll_kg(const weir__kcoll *c, const uint8_t *k, size_t kl) {
  if (c->kind == WEIR_KCOLL_LIST) return weir__kbackend_kg(c->be, weir__hash64(k, kl));
  if (kl < 4 || get_be32(k) > kl - 4) return UINT32_MAX;
  return weir__kbackend_kg(c->be, weir__hash64(k + 4, get_be32(k)));
}

/* Write the batch out (reads see it) and forget the last value read. */
static int sync_store(weir__kcoll *c, weir__err *err) {
  if (c->val) weir__kv_free_value(c->val);
  c->val = NULL;
  return weir__kv_write(c->be->kv, err);
}

static int maybe_write(weir__kcoll *c, weir__err *err) {
  return weir__kv_batch_full(c->be->kv) ? weir__kv_write(c->be->kv, err) : WEIR_OK;
}

/* ---- hashmap: the tables ----------------------------------------------------------------- */

/* The entry of bytes k[0, n) in kt, created when create (then *made
 * tells whether it is new); -1 when absent, or out of memory (*oom). */
static int64_t entry(weir__ktable *kt, const uint8_t *k, size_t n, int create, int *made,
                     int *oom) {
  int inserted = 0;
  int64_t e = create ? weir__ktable_upsert(kt, k, (uint32_t)n, weir__hash64(k, n), &inserted)
                     : weir__ktable_find(kt, k, (uint32_t)n, weir__hash64(k, n));
  if (made) *made = inserted;
  *oom = create && e < 0;
  return e;
}

/* The flat key of (key, user key) in scratch (the RocksDB key without
 * its prefix). */
static uint8_t *flat_key(weir__kcoll *c, const uint8_t *key, uint32_t klen, const uint8_t *uk,
                         uint32_t ukl, size_t *n) {
  uint8_t *p = store_key(c, key, klen, uk, ukl, n);
  *n -= WEIR_KSTATE_PREFIX;
  return p ? p + WEIR_KSTATE_PREFIX : NULL;
}

/* Rebuild the tables without what was removed, once tombstones outnumber
 * the live entries. */
static int maybe_rebuild(weir__kcoll *c, weir__err *err) {
  weir__ktable *big = c->kind == WEIR_KCOLL_MAP ? &c->flat : &c->kt;
  if (c->dead < REBUILD_MIN || (size_t)c->dead * 2 < big->n) return WEIR_OK;
  weir__ktable kt, flat;
  memset(&flat, 0, sizeof flat); /* freeing a zeroed table is a no-op */
  int oom = weir__ktable_init(&kt, c->kt.payload_size) != 0;
  if (!oom && c->kind == WEIR_KCOLL_MAP) oom = weir__ktable_init(&flat, sizeof(mval)) != 0;
  for (uint32_t e = 0; !oom && e < c->kt.n; e++) {
    uint32_t klen;
    const uint8_t *key = weir__ktable_key(&c->kt, e, &klen);
    void *p = weir__ktable_payload(&c->kt, e);
    if (!nonempty(c)(p)) continue;
    int64_t ne = entry(&kt, key, klen, 1, NULL, &oom);
    if (oom) break;
    if (c->kind == WEIR_KCOLL_LIST) {
      memcpy(weir__ktable_payload(&kt, (uint32_t)ne), p, sizeof(klist));
      continue;
    }
    kmap m = *(kmap *)p, nm = {0, m.live};
    for (uint32_t f = m.first; f && !oom;
         f = ((mval *)weir__ktable_payload(&c->flat, f - 1))->next) {
      mval *mv = weir__ktable_payload(&c->flat, f - 1);
      if (!mv->live) continue;
      uint32_t fl;
      const uint8_t *fk = weir__ktable_key(&c->flat, f - 1, &fl);
      int64_t nf = entry(&flat, fk, fl, 1, NULL, &oom);
      if (oom) break;
      mval *nv = weir__ktable_payload(&flat, (uint32_t)nf);
      *nv = *mv;
      nv->next = nm.first;
      nm.first = (uint32_t)nf + 1;
    }
    *(kmap *)weir__ktable_payload(&kt, (uint32_t)ne) = nm;
  }
  if (oom) { /* the old tables stand; the values were only copied */
    weir__ktable_free(&kt);
    weir__ktable_free(&flat);
    return weir__err_nomem(err);
  }
  weir__ktable_free(&c->kt);
  c->kt = kt;
  if (c->kind == WEIR_KCOLL_MAP) {
    weir__ktable_free(&c->flat);
    c->flat = flat;
  }
  c->dead = 0;
  return WEIR_OK;
}

/* Put into the tables (fk: the flat key, whose bytes after the first
 * four start with the key's klen bytes). */
static int heap_map_put(weir__kcoll *c, const uint8_t *fk, size_t fl, uint32_t klen,
                        const uint8_t *v, size_t vl, weir__err *err) {
  int oom, made;
  int64_t ke = entry(&c->kt, fk + 4, klen, 1, NULL, &oom);
  int64_t fe = oom ? -1 : entry(&c->flat, fk, fl, 1, &made, &oom);
  if (oom) return weir__err_nomem(err);
  mval *mv = weir__ktable_payload(&c->flat, (uint32_t)fe);
  kmap *m = weir__ktable_payload(&c->kt, (uint32_t)ke);
  if (made) { /* every entry of flat is in its key's chain, tombstones too */
    mv->next = m->first;
    m->first = (uint32_t)fe + 1;
    c->dead++; /* a tombstone until it has its value */
  }
  uint8_t *copy = weir__malloc(vl ? vl : 1);
  if (!copy) return weir__err_nomem(err);
  if (vl) memcpy(copy, v, vl);
  weir__free(mv->v);
  mv->v = copy;
  mv->vl = (uint32_t)vl;
  if (!mv->live) {
    c->dead--;
    m->live++;
    mv->live = 1;
  }
  return WEIR_OK;
}

/* Turn flat entry f of map m into a tombstone. */
static void heap_map_kill(weir__kcoll *c, kmap *m, uint32_t f) {
  mval *mv = weir__ktable_payload(&c->flat, f);
  if (!mv->live) return;
  weir__free(mv->v);
  mv->v = NULL;
  mv->vl = 0;
  mv->live = 0;
  m->live--;
  c->dead++;
}

/* The key's map in the tables, or NULL. */
static kmap *heap_map(weir__kcoll *c, const uint8_t *key, uint32_t klen) {
  int oom;
  int64_t e = entry(&c->kt, key, klen, 0, NULL, &oom);
  return e < 0 ? NULL : weir__ktable_payload(&c->kt, (uint32_t)e);
}

/* Append bytes p[0, n) (whole elements) to the key's list in the tables. */
static int heap_list_extend(weir__kcoll *c, const uint8_t *key, uint32_t klen, const uint8_t *hdr,
                            size_t hl, const uint8_t *p, size_t n, weir__err *err) {
  int oom, made;
  int64_t e = entry(&c->kt, key, klen, 1, &made, &oom);
  if (oom) return weir__err_nomem(err);
  klist *l = weir__ktable_payload(&c->kt, (uint32_t)e);
  if (l->len + hl + n > l->cap) {
    size_t cap = l->cap ? l->cap : 64;
    while (cap < l->len + hl + n) cap *= 2;
    uint8_t *b = weir__realloc(l->buf, cap);
    if (!b) return weir__err_nomem(err);
    l->buf = b;
    l->cap = cap;
  }
  if (l->len == 0 && !made && c->dead) c->dead--; /* an emptied list fills again */
  if (hl) memcpy(l->buf + l->len, hdr, hl);
  if (n) memcpy(l->buf + l->len + hl, p, n);
  l->len += hl + n;
  return WEIR_OK;
}

/* ---- map state --------------------------------------------------------------------------- */

int weir__kmap_get(weir__kcoll *c, const uint8_t *key, uint32_t klen, const uint8_t *uk,
                   uint32_t ukl, const uint8_t **v, size_t *vl, weir__err *err) {
  size_t n;
  if (c->be->kv) {
    int rc = sync_store(c, err);
    uint8_t *sk = rc ? NULL : store_key(c, key, klen, uk, ukl, &n);
    if (rc) return rc;
    if (!sk) return weir__err_nomem(err);
    size_t len;
    if ((rc = weir__kv_get(c->be->kv, sk, n, &c->val, &len, err))) return rc;
    *v = (const uint8_t *)c->val;
    *vl = len;
    return WEIR_OK;
  }
  uint8_t *fk = flat_key(c, key, klen, uk, ukl, &n);
  if (!fk) return weir__err_nomem(err);
  int oom;
  int64_t e = entry(&c->flat, fk, n, 0, NULL, &oom);
  mval *mv = e < 0 ? NULL : weir__ktable_payload(&c->flat, (uint32_t)e);
  if (!mv || !mv->live) return WEIR_NOTFOUND;
  *v = mv->v;
  *vl = mv->vl;
  return WEIR_OK;
}

int weir__kmap_put(weir__kcoll *c, const uint8_t *key, uint32_t klen, const uint8_t *uk,
                   uint32_t ukl, const uint8_t *v, size_t vl, weir__err *err) {
  size_t n;
  if (vl > UINT32_MAX) return weir__err_set(err, WEIR_ERROR, -1, "a map state value over 4 GB");
  if (c->be->kv) {
    uint8_t *sk = store_key(c, key, klen, uk, ukl, &n);
    if (!sk) return weir__err_nomem(err);
    weir__kv_put(c->be->kv, sk, n, v, vl);
    return maybe_write(c, err);
  }
  uint8_t *fk = flat_key(c, key, klen, uk, ukl, &n);
  return fk ? heap_map_put(c, fk, n, klen, v, vl, err) : weir__err_nomem(err);
}

int weir__kmap_remove(weir__kcoll *c, const uint8_t *key, uint32_t klen, const uint8_t *uk,
                      uint32_t ukl, weir__err *err) {
  size_t n;
  if (c->be->kv) {
    uint8_t *sk = store_key(c, key, klen, uk, ukl, &n);
    if (!sk) return weir__err_nomem(err);
    weir__kv_delete(c->be->kv, sk, n);
    return maybe_write(c, err);
  }
  uint8_t *fk = flat_key(c, key, klen, uk, ukl, &n);
  if (!fk) return weir__err_nomem(err);
  int oom;
  int64_t e = entry(&c->flat, fk, n, 0, NULL, &oom);
  kmap *m = heap_map(c, key, klen);
  if (e < 0 || !m) return WEIR_OK;
  heap_map_kill(c, m, (uint32_t)e);
  return maybe_rebuild(c, err);
}

/* The range of the key's map entries in the store: [lo, hi), both in
 * scratch, n bytes each. */
static int map_range(weir__kcoll *c, const uint8_t *key, uint32_t klen, uint8_t **lo, uint8_t **hi,
                     size_t *n, weir__err *err) {
  *lo = store_key(c, key, klen, NULL, 0, n);
  *hi = *lo ? weir__arena_alloc(&c->be->scratch, *n) : NULL;
  if (!*hi) return weir__err_nomem(err);
  memcpy(*hi, *lo, *n);
  weir__kkey_successor(*hi, *n);
  return WEIR_OK;
}

int weir__kmap_iterate(weir__kcoll *c, const uint8_t *key, uint32_t klen,
                       int (*fn)(void *arg, const uint8_t *uk, uint32_t ukl, const uint8_t *v,
                                 size_t vl),
                       void *arg, weir__err *err) {
  if (c->be->kv) {
    uint8_t *lo, *hi;
    size_t n;
    int rc = sync_store(c, err);
    if (rc || (rc = map_range(c, key, klen, &lo, &hi, &n, err))) return rc;
    weir__kv_iter *it = weir__kv_iter_new(c->be->kv, lo, n, hi, n);
    if (!it) return weir__err_nomem(err);
    for (; !rc && weir__kv_iter_valid(it); weir__kv_iter_next(it)) {
      size_t kl, vl;
      const uint8_t *k = weir__kv_iter_key(it, &kl), *v = weir__kv_iter_value(it, &vl);
      rc = fn(arg, k + n, (uint32_t)(kl - n), v, vl);
    }
    int rc2 = weir__kv_iter_free(it, err);
    return rc ? rc : rc2;
  }
  kmap *m = heap_map(c, key, klen);
  for (uint32_t f = m ? m->first : 0; f;) {
    mval *mv = weir__ktable_payload(&c->flat, f - 1);
    uint32_t fl, next = mv->next;
    const uint8_t *fk = weir__ktable_key(&c->flat, f - 1, &fl);
    int rc = mv->live ? fn(arg, fk + 4 + klen, fl - 4 - klen, mv->v, mv->vl) : 0;
    if (rc) return rc;
    f = next;
  }
  return WEIR_OK;
}

int weir__kmap_clear(weir__kcoll *c, const uint8_t *key, uint32_t klen, weir__err *err) {
  if (c->be->kv) {
    uint8_t *lo, *hi;
    size_t n;
    int rc = map_range(c, key, klen, &lo, &hi, &n, err);
    if (rc) return rc;
    weir__kv_delete_range(c->be->kv, lo, n, hi, n);
    return maybe_write(c, err);
  }
  kmap *m = heap_map(c, key, klen);
  for (uint32_t f = m ? m->first : 0; f; f = ((mval *)weir__ktable_payload(&c->flat, f - 1))->next)
    heap_map_kill(c, m, f - 1);
  return maybe_rebuild(c, err);
}

/* ---- list state -------------------------------------------------------------------------- */

int weir__klist_append(weir__kcoll *c, const uint8_t *key, uint32_t klen, const uint8_t *v,
                       uint32_t vl, weir__err *err) {
  uint8_t hdr[4] = {(uint8_t)vl, (uint8_t)(vl >> 8), (uint8_t)(vl >> 16), (uint8_t)(vl >> 24)};
  if (!c->be->kv) return heap_list_extend(c, key, klen, hdr, 4, v, vl, err);
  size_t n;
  uint8_t *sk = store_key(c, key, klen, NULL, 0, &n);
  uint8_t *el = sk ? weir__arena_alloc(&c->be->scratch, 4 + (size_t)vl) : NULL;
  if (!el) return weir__err_nomem(err);
  memcpy(el, hdr, 4);
  if (vl) memcpy(el + 4, v, vl);
  weir__kv_merge(c->be->kv, sk, n, el, 4 + (size_t)vl);
  return maybe_write(c, err);
}

int weir__klist_get(weir__kcoll *c, const uint8_t *key, uint32_t klen,
                    int (*fn)(void *arg, const uint8_t *v, uint32_t vl), void *arg,
                    weir__err *err) {
  int oom;
  if (!c->be->kv) {
    int64_t e = entry(&c->kt, key, klen, 0, NULL, &oom);
    if (e < 0) return WEIR_OK;
    klist *l = weir__ktable_payload(&c->kt, (uint32_t)e);
    return walk_list(l->buf, l->len, fn, arg, err);
  }
  size_t n, len;
  int rc = sync_store(c, err);
  uint8_t *sk = rc ? NULL : store_key(c, key, klen, NULL, 0, &n);
  if (rc) return rc;
  if (!sk) return weir__err_nomem(err);
  rc = weir__kv_get(c->be->kv, sk, n, &c->val, &len, err);
  if (rc == WEIR_NOTFOUND) return WEIR_OK;
  return rc ? rc : walk_list((const uint8_t *)c->val, len, fn, arg, err);
}

int weir__klist_clear(weir__kcoll *c, const uint8_t *key, uint32_t klen, weir__err *err) {
  if (c->be->kv) {
    size_t n;
    uint8_t *sk = store_key(c, key, klen, NULL, 0, &n);
    if (!sk) return weir__err_nomem(err);
    weir__kv_delete(c->be->kv, sk, n);
    return maybe_write(c, err);
  }
  int oom;
  int64_t e = entry(&c->kt, key, klen, 0, NULL, &oom);
  klist *l = e < 0 ? NULL : weir__ktable_payload(&c->kt, (uint32_t)e);
  if (!l || l->len == 0) return WEIR_OK;
  weir__free(l->buf);
  memset(l, 0, sizeof *l);
  c->dead++;
  return maybe_rebuild(c, err);
}

/* ---- snapshots --------------------------------------------------------------------------- */

static int put_u8(weir__snap_writer *w, uint8_t b, weir__err *err) {
  return weir__snap_put(w, &b, 1, err);
}

/* One key's entry from the tables. */
static int write_heap_entry(weir__kcoll *c, uint32_t kg, uint32_t e, weir__snap_writer *w,
                            weir__err *err) {
  uint32_t klen;
  const uint8_t *key = weir__ktable_key(&c->kt, e, &klen);
  int rc = weir__snap_put_u64(w, kg, err);
  if (!rc) rc = weir__snap_put_bytes(w, key, klen, err);
  if (c->kind == WEIR_KCOLL_LIST) {
    klist *l = weir__ktable_payload(&c->kt, e);
    if (!rc && l->len > UINT32_MAX)
      return weir__err_set(err, WEIR_ERROR, -1, "a list state's list over 4 GB");
    return rc ? rc : weir__snap_put_bytes(w, l->buf, (uint32_t)l->len, err);
  }
  kmap *m = weir__ktable_payload(&c->kt, e);
  for (uint32_t f = m->first; !rc && f; f = ((mval *)weir__ktable_payload(&c->flat, f - 1))->next) {
    mval *mv = weir__ktable_payload(&c->flat, f - 1);
    uint32_t fl;
    const uint8_t *fk = weir__ktable_key(&c->flat, f - 1, &fl);
    if (!mv->live) continue;
    rc = put_u8(w, 1, err);
    if (!rc) rc = weir__snap_put_bytes(w, fk + 4 + klen, fl - 4 - klen, err);
    if (!rc) rc = weir__snap_put_bytes(w, mv->v, mv->vl, err);
  }
  return rc ? rc : put_u8(w, 0, err);
}

static int write_heap(weir__kcoll *c, weir__snap_writer *w, weir__err *err) {
  uint32_t n;
  weir__kg_entry *order = weir__kbackend_order(c->be, &c->kt, nonempty(c), &n);
  if (!order) return weir__err_nomem(err);
  int rc = WEIR_OK;
  for (uint32_t i = 0; !rc && i < n; i++) rc = write_heap_entry(c, order[i].kg, order[i].e, w, err);
  weir__free(order);
  return rc;
}

/* Writing the store's entries of one key group, in key order: a map's
 * records of one key are adjacent, so a key's entry is closed when the
 * next key (or the end) comes. */
typedef struct store_writer {
  weir__kcoll *c;
  uint32_t kg;
  weir__snap_writer *w;
  weir__err *err;
  uint8_t *cur; /* the open map key (its length and bytes), or NULL */
  size_t curl;
} store_writer;

static int write_store_entry(void *arg, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl) {
  store_writer *s = arg;
  weir__snap_writer *w = s->w;
  weir__err *err = s->err;
  int rc;
  if (s->c->kind == WEIR_KCOLL_LIST) {
    rc = weir__snap_put_u64(w, s->kg, err);
    if (!rc) rc = weir__snap_put_bytes(w, k, (uint32_t)kl, err);
    return rc ? rc : weir__snap_put_bytes(w, v, (uint32_t)vl, err);
  }
  if (weir__kcoll_kg(s->c, k, kl) != s->kg)
    return corrupt("a malformed map entry in the store", err);
  size_t keyl = 4 + (size_t)get_be32(k);
  if (!s->cur || keyl != s->curl || memcmp(s->cur, k, keyl)) {
    if (s->cur && (rc = put_u8(w, 0, err))) return rc;
    weir__free(s->cur);
    if (!(s->cur = weir__malloc(keyl))) return weir__err_nomem(err);
    memcpy(s->cur, k, keyl);
    s->curl = keyl;
    rc = weir__snap_put_u64(w, s->kg, err);
    if (!rc) rc = weir__snap_put_bytes(w, k + 4, (uint32_t)(keyl - 4), err);
    if (rc) return rc;
  }
  rc = put_u8(w, 1, err);
  if (!rc) rc = weir__snap_put_bytes(w, k + keyl, (uint32_t)(kl - keyl), err);
  return rc ? rc : weir__snap_put_bytes(w, v, (uint32_t)vl, err);
}

static int write_store_group(weir__kcoll *c, uint32_t kg, weir__snap_writer *w, weir__err *err) {
  store_writer s = {c, kg, w, err, NULL, 0};
  int rc = weir__kbackend_scan(c->be, kg, c->sid, c->ns, write_store_entry, &s, err);
  if (!rc && s.cur) rc = put_u8(w, 0, err);
  weir__free(s.cur);
  return rc;
}

int weir__kcoll_write_canonical(weir__kcoll *c, weir__snap_writer *w, weir__err *err) {
  int rc = WEIR_OK;
  if (c->be->kv && ((rc = sync_store(c, err)) || (rc = weir__kbackend_spill(c->be, w, err))))
    return rc;
  if ((rc = weir__snap_put_u64(w, WEIR_KSTATE_UNCOUNTED, err))) return rc;
  if (!c->be->kv) rc = write_heap(c, w, err);
  for (int kg = c->be->kg_lo; c->be->kv && !rc && kg <= c->be->kg_hi; kg++)
    rc = write_store_group(c, (uint32_t)kg, w, err);
  return rc ? rc : weir__snap_put_u64(w, UINT64_MAX, err);
}

int weir__kcoll_read_entries(weir__kcoll *c, weir__snap_reader *r, uint64_t n, weir__err *err) {
  weir__kbackend *be = c->be;
  int rc = WEIR_OK, more;
  weir__kentry en = {.n = n};
  while (!rc && (more = weir__kentry_next(be, r, &en, err)) != 0) {
    const uint8_t *key = en.key, *a, *b;
    uint32_t klen = en.klen, al, bl;
    int own = en.own;
    if (more < 0) {
      rc = err->code;
      break;
    }
    if (c->kind == WEIR_KCOLL_LIST) {
      if ((rc = weir__snap_get_bytes(r, &a, &al, err)) || (rc = walk_list(a, al, NULL, NULL, err)))
        break;
      if (own && !be->kv) rc = heap_list_extend(c, key, klen, NULL, 0, a, al, err);
      if (own && be->kv) {
        size_t sl;
        uint8_t *sk = store_key(c, key, klen, NULL, 0, &sl);
        if (!sk)
          rc = weir__err_nomem(err);
        else
          weir__kv_merge(be->kv, sk, sl, a, al);
        if (!rc) rc = maybe_write(c, err);
      }
      continue;
    }
    for (;;) {
      uint8_t marker;
      if ((rc = weir__snap_get(r, &marker, 1, err)) || !marker) break;
      if (marker != 1) {
        rc = corrupt("a map entry's marker is neither 0 nor 1", err);
        break;
      }
      if ((rc = weir__snap_get_bytes(r, &a, &al, err)) ||
          (rc = weir__snap_get_bytes(r, &b, &bl, err)))
        break;
      if (own && (rc = weir__kmap_put(c, key, klen, a, al, b, bl, err))) break;
    }
  }
  if (!rc && be->kv) rc = weir__kv_write(be->kv, err);
  return rc;
}

int weir__kcoll_load(weir__kcoll *c, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl,
                     weir__err *err) {
  if (c->kind == WEIR_KCOLL_LIST) {
    int rc = walk_list(v, vl, NULL, NULL, err);
    return rc ? rc : heap_list_extend(c, k, (uint32_t)kl, NULL, 0, v, vl, err);
  }
  if (kl < 4 || get_be32(k) > kl - 4) return corrupt("a malformed map entry in the store", err);
  return heap_map_put(c, k, kl, get_be32(k), v, vl, err);
}

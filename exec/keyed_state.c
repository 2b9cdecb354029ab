/*
 * keyed_state.c -- keyed state in snapshots: accumulators by value, key
 * tables ordered by key group, and reading a checkpoint back (restore).
 *
 * A key table is written as its entry count, then per entry, in key
 * group order: the key group, the canonical key bytes, the payload's
 * first `raw` bytes as they are, and its accumulators (strings by value).
 * The key group of a key is XXH3(key bytes) mod max-parallelism, as the
 * keyed exchange computes it, so on restore a subtask keeps exactly the
 * entries that the exchange will route to it -- at any parallelism
 * (Flink's key-group redistribution).
 *
 * Entry points: weir__acc_write/_read, weir__keyed_write/_read,
 * weir__restore_open, weir__restore_owns.
 */
#include <stdio.h>
#include <stdlib.h>

#include "exec/execInt.h"

static int is_string_acc(const weir__aggcall *a) {
  return (a->kind == AGG_MIN || a->kind == AGG_MAX) &&
         weir__type_phys(a->arg_type) == WEIR_PHYS_STR;
}

int weir__acc_write(weir__snap_writer *w, const weir__aggcall *aggs, int nagg, const weir__acc *acc,
                    weir__err *err) {
  for (int j = 0; j < nagg; j++) {
    int rc;
    if (is_string_acc(&aggs[j])) {
      if ((rc = weir__snap_put_u64(w, acc[j].s.has, err))) return rc;
      if ((rc = weir__snap_put_bytes(w, acc[j].s.has ? acc[j].s.p : "", acc[j].s.has ? acc[j].s.len : 0,
                                     err)))
        return rc;
    } else {
      uint64_t v;
      memcpy(&v, &acc[j].i.v, 8); /* the bits of an integer or a double */
      if ((rc = weir__snap_put_u64(w, v, err))) return rc;
      if ((rc = weir__snap_put_u64(w, (uint64_t)acc[j].i.n, err))) return rc;
    }
  }
  return WEIR_OK;
}

int weir__acc_read(weir__snap_reader *r, const weir__aggcall *aggs, int nagg, weir__acc *acc,
                   weir__arena *strings, weir__err *err) {
  memset(acc, 0, sizeof(weir__acc) * (size_t)nagg);
  for (int j = 0; j < nagg; j++) {
    int rc;
    uint64_t a, b;
    if (is_string_acc(&aggs[j])) {
      const uint8_t *p;
      uint32_t n;
      if ((rc = weir__snap_get_u64(r, &a, err)) || (rc = weir__snap_get_bytes(r, &p, &n, err)))
        return rc;
      if (a) {
        char *s = weir__arena_alloc(strings, n ? n : 1);
        if (!s) return weir__err_nomem(err);
        memcpy(s, p, n);
        acc[j].s.p = s;
        acc[j].s.len = n;
        acc[j].s.has = 1;
      }
    } else {
      if ((rc = weir__snap_get_u64(r, &a, err)) || (rc = weir__snap_get_u64(r, &b, err))) return rc;
      memcpy(&acc[j].i.v, &a, 8);
      acc[j].i.n = (int64_t)b;
    }
  }
  return WEIR_OK;
}

/* ---- key tables ------------------------------------------------------------------------ */

typedef struct kg_entry {
  uint32_t kg;
  uint32_t e;
} kg_entry;

static int by_kg(const void *a, const void *b) {
  const kg_entry *x = a, *y = b;
  if (x->kg != y->kg) return x->kg < y->kg ? -1 : 1;
  return x->e < y->e ? -1 : x->e > y->e;
}

static uint32_t key_group(const uint8_t *key, uint32_t klen, int maxpar) {
  return (uint32_t)(weir__hash64(key, klen) % (uint64_t)(maxpar > 0 ? maxpar : 1));
}

int weir__keyed_write(weir__snap_writer *w, const weir__ktable *kt, size_t raw,
                      const weir__aggcall *aggs, int nagg, int maxpar, weir__err *err) {
  kg_entry *order = weir__malloc(sizeof(kg_entry) * (kt->n ? kt->n : 1));
  if (!order) return weir__err_nomem(err);
  for (uint32_t e = 0; e < kt->n; e++) {
    uint32_t klen;
    const uint8_t *key = weir__ktable_key(kt, e, &klen);
    order[e] = (kg_entry){key_group(key, klen, maxpar), e};
  }
  qsort(order, kt->n, sizeof *order, by_kg);
  int rc = weir__snap_put_u64(w, kt->n, err);
  for (uint32_t i = 0; !rc && i < kt->n; i++) {
    uint32_t klen;
    const uint8_t *key = weir__ktable_key(kt, order[i].e, &klen);
    const uint8_t *payload = weir__ktable_payload(kt, order[i].e);
    rc = weir__snap_put_u64(w, order[i].kg, err);
    if (!rc) rc = weir__snap_put_bytes(w, key, klen, err);
    if (!rc && raw) rc = weir__snap_put(w, payload, raw, err);
    if (!rc) rc = weir__acc_write(w, aggs, nagg, (const weir__acc *)(payload + raw), err);
  }
  weir__free(order);
  return rc;
}

int weir__restore_owns(const weir__op *op, uint64_t kg, int maxpar) {
  return (int)((int64_t)kg * op->nsubtasks / maxpar) == op->subtask;
}

int weir__keyed_read(weir__snap_reader *r, weir__op *op, weir__ktable *kt, size_t raw,
                     const weir__aggcall *aggs, int nagg, int maxpar, weir__err *err) {
  uint64_t n;
  int rc = weir__snap_get_u64(r, &n, err);
  weir__acc tmp[64];
  weir__acc *acc = nagg <= 64 ? tmp : weir__malloc(sizeof(weir__acc) * (size_t)nagg);
  uint8_t *rawbuf = raw ? weir__malloc(raw) : NULL;
  if ((!acc || (raw && !rawbuf)) && !rc) rc = weir__err_nomem(err);
  for (uint64_t i = 0; !rc && i < n; i++) {
    uint64_t kg;
    const uint8_t *key;
    uint32_t klen;
    if ((rc = weir__snap_get_u64(r, &kg, err)) || (rc = weir__snap_get_bytes(r, &key, &klen, err)))
      break;
    if (raw && (rc = weir__snap_get(r, rawbuf, raw, err))) break;
    /* Strings of entries this subtask skips go into its arena too: they
     * are few (MIN/MAX over text) and freed with the table. */
    if ((rc = weir__acc_read(r, aggs, nagg, acc, &kt->keys, err))) break;
    uint64_t h = weir__hash64(key, klen);
    if (kg >= (uint64_t)maxpar || h % (uint64_t)maxpar != kg) {
      rc = weir__err_set(err, WEIR_CORRUPT, -1, "checkpoint of %s: key in the wrong key group",
                         op->vt->name);
      break;
    }
    if (!weir__restore_owns(op, kg, maxpar)) continue;
    int inserted;
    int64_t e = weir__ktable_upsert(kt, key, klen, h, &inserted);
    if (e < 0) {
      rc = weir__err_nomem(err);
      break;
    }
    uint8_t *payload = weir__ktable_payload(kt, (uint32_t)e);
    if (raw) memcpy(payload, rawbuf, raw);
    memcpy(payload + raw, acc, sizeof(weir__acc) * (size_t)nagg);
  }
  if (acc != tmp) weir__free(acc);
  weir__free(rawbuf);
  return rc;
}

/* ---- reading a checkpoint ----------------------------------------------------------------- */

int weir__restore_open(const weir__restore *rs, int subtask, weir__snap_reader *r, weir__err *err) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.%d.state", rs->dir, rs->uid, subtask);
  return weir__snap_load(r, path, err);
}

int weir__restore_needs(const weir__restore *rs, const weir__op *op, int subtask) {
  return rs->old_parallelism != op->nsubtasks || subtask == op->subtask;
}

int weir__restore_u64(const weir__restore *rs, int subtask, uint64_t *v, weir__err *err) {
  weir__snap_reader r;
  int rc = weir__restore_open(rs, subtask, &r, err);
  if (!rc) rc = weir__snap_get_u64(&r, v, err);
  weir__snap_close(&r);
  return rc;
}

/* ---- interleaved source positions ------------------------------------------------------- */

int weir__interleaved_restore(weir__op *op, const weir__restore *rs, int64_t *next,
                              weir__interleaved *iv, weir__err *err) {
  memset(iv, 0, sizeof *iv);
  int p = rs->old_parallelism;
  int64_t *old = weir__calloc((size_t)p, sizeof(int64_t));
  if (!old) return weir__err_nomem(err);
  int rc = WEIR_OK;
  for (int sub = 0; !rc && sub < p; sub++) {
    uint64_t v = 0;
    rc = weir__restore_u64(rs, sub, &v, err);
    if (!rc && (v % (uint64_t)p) != (uint64_t)sub)
      rc = weir__err_set(err, WEIR_CORRUPT, -1, "checkpoint of %s: position %llu is not split %d's",
                         op->vt->name, (unsigned long long)v, sub);
    old[sub] = (int64_t)v;
  }
  if (rc) {
    weir__free(old);
    return rc;
  }
  if (p == op->nsubtasks) {
    *next = old[op->subtask];
    weir__free(old);
    return WEIR_OK;
  }
  int64_t lo = old[0], hi = old[0];
  for (int i = 1; i < p; i++) {
    if (old[i] < lo) lo = old[i];
    if (old[i] > hi) hi = old[i];
  }
  /* Everything below the smallest position was produced; between it and
   * the largest, item k was iff k < old[k % p]. */
  int np = op->nsubtasks;
  *next = lo + ((op->subtask - lo % np) % np + np) % np;
  iv->old_next = old;
  iv->old_p = p;
  iv->old_max = hi;
  return WEIR_OK;
}

void weir__interleaved_free(weir__interleaved *iv) {
  weir__free(iv->old_next);
  memset(iv, 0, sizeof *iv);
}

/* ---- rows ---------------------------------------------------------------------------------- */

int weir__rows_write(weir__snap_writer *w, const weir__chunk *c, weir__err *err) {
  int rc = weir__snap_put_u64(w, (uint64_t)c->n, err);
  for (int r = 0; !rc && r < c->n; r++) {
    rc = weir__snap_put_u64(w, c->kind ? c->kind[r] : WEIR_INSERT, err);
    for (int j = 0; !rc && j < c->ncol; j++) {
      const weir__vec *v = &c->cols[j];
      int null = weir__vec_is_null(v, r);
      rc = weir__snap_put_u64(w, (uint64_t)null, err);
      if (rc || null) continue;
      if (weir__type_phys(v->type) == WEIR_PHYS_STR) {
        weir__str s = WEIR_VEC_STR(v)[r];
        rc = weir__snap_put_bytes(w, s.p ? s.p : "", s.n, err);
      } else {
        uint64_t x;
        memcpy(&x, &WEIR_VEC_I64(v)[r], 8); /* integer or double bits */
        rc = weir__snap_put_u64(w, x, err);
      }
    }
  }
  return rc;
}

int weir__rows_read(weir__snap_reader *r, int ncol, const int *types, weir__chunk ***out,
                    int *nout, weir__err *err) {
  uint64_t n;
  int rc = weir__snap_get_u64(r, &n, err);
  weir__chunk *c = NULL;
  for (uint64_t i = 0; !rc && i < n; i++) {
    if (!c || c->n == c->cap) {
      weir__chunk **v = weir__realloc(*out, sizeof(weir__chunk *) * (size_t)(*nout + 1));
      if (!v || !(c = weir__chunk_new(ncol, types, WEIR_CHUNK_CAP))) {
        if (v) *out = v;
        return weir__err_nomem(err);
      }
      *out = v;
      v[(*nout)++] = c;
    }
    uint64_t kind;
    if ((rc = weir__snap_get_u64(r, &kind, err))) break;
    int row = c->n;
    c->kind[row] = (uint8_t)kind;
    for (int j = 0; !rc && j < ncol; j++) {
      uint64_t null, x;
      if ((rc = weir__snap_get_u64(r, &null, err))) break;
      if (null) {
        weir__chunk_set_null(c, j, row);
        continue;
      }
      if (weir__type_phys(types[j]) == WEIR_PHYS_STR) {
        const uint8_t *p;
        uint32_t len;
        if ((rc = weir__snap_get_bytes(r, &p, &len, err))) break;
        const char *s = weir__chunk_strdup(c, (const char *)p, len);
        if (!s) return weir__err_nomem(err);
        WEIR_VEC_STR(&c->cols[j])[row] = (weir__str){s, len};
      } else {
        if ((rc = weir__snap_get_u64(r, &x, err))) break;
        memcpy(&WEIR_VEC_I64(&c->cols[j])[row], &x, 8);
      }
    }
    c->n++;
  }
  return rc;
}

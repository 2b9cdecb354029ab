/*
 * keyed_state.c -- keyed state of operators: accumulators by value, the
 * state backend an operator subtask opens ('state.backend'), its native
 * snapshots, and reading a checkpoint back (restore).
 *
 * Canonical format (savepoints, hashmap checkpoints, rocksdb with
 * 'execution.checkpointing.incremental' = 'false'): a keyed state is its
 * entry count, then per entry, in key group order: the key group, the
 * canonical key bytes, the payload's first `raw` bytes as they are, and
 * its accumulators (strings by value).  Native format (rocksdb
 * incremental checkpoints): the store's file list (state/kvstore.c).
 * The key group of a key is XXH3(key bytes) mod max-parallelism, as the
 * keyed exchange computes it, so on restore a subtask keeps exactly the
 * entries that the exchange will route to it -- at any parallelism
 * (Flink's key-group redistribution).
 *
 * Entry points: weir__acc_write/_read, weir__acc_codec_init,
 * weir__op_backend_open, weir__backend_write_native/_read_native,
 * weir__restore_open, weir__restore_owns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

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

/* ---- payload codecs and state backends ----------------------------------------------------- */

static int acc_codec_write(const void *ctx, const void *payload, weir__snap_writer *w,
                           weir__err *err) {
  const weir__acc_codec *c = ctx;
  int rc = c->raw ? weir__snap_put(w, payload, c->raw, err) : WEIR_OK;
  return rc ? rc
            : weir__acc_write(w, c->aggs, c->nagg, (const weir__acc *)((const uint8_t *)payload + c->raw),
                              err);
}

static int acc_codec_read(const void *ctx, weir__snap_reader *r, void *payload, weir__arena *strings,
                          weir__err *err) {
  const weir__acc_codec *c = ctx;
  int rc = c->raw ? weir__snap_get(r, payload, c->raw, err) : WEIR_OK;
  return rc ? rc
            : weir__acc_read(r, c->aggs, c->nagg, (weir__acc *)((uint8_t *)payload + c->raw), strings,
                             err);
}

void weir__acc_codec_init(weir__acc_codec *c, size_t raw, const weir__aggcall *aggs, int nagg) {
  c->raw = raw;
  c->aggs = aggs;
  c->nagg = nagg;
  c->kc = (weir__kcodec){raw + sizeof(weir__acc) * (size_t)(nagg ? nagg : 1), acc_codec_write,
                         acc_codec_read, c};
}

int weir__restore_owns(const weir__op *op, uint64_t kg, int maxpar) {
  return (int)((int64_t)kg * op->nsubtasks / maxpar) == op->subtask;
}

/* The managed size covers every store of the job: each subtask's share
 * goes half to its hot-key cache, a quarter each to memtables and the
 * block cache. */
static weir__kv_opts kv_opts_of(const weir__op *op, int64_t ttl_ms, size_t ttl_offset, size_t *hot) {
  int64_t managed = weir__config_get_int(op->cfg, "state.backend.rocksdb.memory.managed-size");
  int n = weir__op_state_instances(op);
  size_t share = (size_t)managed / (size_t)(n > 0 ? n : 1);
  *hot = share / 2;
  return (weir__kv_opts){share / 4, share / 4, ttl_ms, ttl_offset};
}

int weir__op_backend_open(weir__op *op, weir__kbackend *be, const weir__kcodec *codec,
                          int ttl_offset) {
  int64_t ttl = ttl_offset >= 0 ? weir__config_get_int(op->cfg, "table.exec.state.ttl") : 0;
  int maxpar = weir__op_max_parallelism(op), lo = -1, hi = -2;
  for (int kg = 0; kg < maxpar; kg++) {
    if (!weir__restore_owns(op, (uint64_t)kg, maxpar)) continue;
    if (lo < 0) lo = kg;
    hi = kg;
  }
  const char *kind = weir__config_get(op->cfg, "state.backend");
  weir__kv *kv = NULL;
  size_t hot = 0;
  if (kind && strcasecmp(kind, "rocksdb") == 0) {
    weir__kv_opts o = kv_opts_of(op, ttl, (size_t)(ttl_offset > 0 ? ttl_offset : 0), &hot);
    char dir[4096];
    int rc = weir__op_state_local_dir(op, dir, sizeof dir);
    if (!rc) rc = weir__kv_open(&kv, dir, &o, WEIR_KV_FRESH, op->err);
    if (rc) return rc;
  }
  if (weir__kbackend_init(be, kv, codec, maxpar, lo, hi, hot)) {
    weir__kv_close(kv, 1);
    return weir__err_nomem(op->err);
  }
  be->ttl_ms = ttl;
  be->ttl_offset = (size_t)(ttl_offset > 0 ? ttl_offset : 0);
  return WEIR_OK;
}

int weir__op_snapshot_native(const weir__op *op, const weir__kbackend *be) {
  return be->kv && op->snap_native;
}

int weir__backend_write_native(weir__op *op, weir__kbackend *be, weir__snap_writer *w) {
  char shared[4096], prefix[160], uid[128];
  int rc = weir__kbackend_commit(be, op->err);
  if (rc) return rc;
  if (weir__op_shared_dir(op, shared, sizeof shared))
    return weir__op_fail(op, WEIR_MISUSE, "a native snapshot without a checkpoint directory");
  weir__op_uid(op, uid, sizeof uid);
  snprintf(prefix, sizeof prefix, "%s.%d", uid, op->subtask);
  weir__kv_manifest m;
  if ((rc = weir__kv_snapshot(be->kv, shared, prefix, &m, op->err))) return rc;
  rc = weir__kv_manifest_write(w, &m, op->err);
  if (!rc) rc = weir__op_shared_add(op, &m);
  weir__kv_manifest_free(&m);
  return rc;
}

int weir__backend_read_native(weir__op *op, weir__kbackend *be, const weir__restore *rs,
                              weir__snap_reader *r,
                              void *(*route)(void *ctx, uint8_t sid, int64_t ns), void *ctx) {
  weir__kv_manifest m;
  int rc = weir__kv_manifest_read(r, &m, op->err);
  if (rc) return rc;
  char shared[4096], dir[4096];
  snprintf(shared, sizeof shared, "%s/../shared", rs->dir);
  if (be->kv && rs->old_parallelism == op->nsubtasks) {
    /* The same key groups: the snapshot's store becomes this one. */
    snprintf(dir, sizeof dir, "%s", weir__kv_dir(be->kv));
    weir__kv_close(be->kv, 0);
    be->kv = NULL;
    size_t hot;
    weir__kv_opts o = kv_opts_of(op, be->ttl_ms, be->ttl_offset, &hot);
    rc = weir__kv_materialize(dir, shared, &m, op->err);
    if (!rc) rc = weir__kv_open(&be->kv, dir, &o, WEIR_KV_EXISTING, op->err);
    if (!rc && weir__kv_adopt(be->kv, &m)) rc = weir__err_nomem(op->err);
  } else {
    /* Another parallelism, or the hashmap backend: read this subtask's
     * key groups out of the old store. */
    rc = weir__op_state_local_dir(op, dir, sizeof dir);
    if (!rc) {
      size_t len = strlen(dir);
      snprintf(dir + len, sizeof dir - len, ".import");
      weir__kv *old = NULL;
      weir__kv_opts o = {0, 0, 0, 0};
      rc = weir__kv_materialize(dir, shared, &m, op->err);
      if (!rc) rc = weir__kv_open(&old, dir, &o, WEIR_KV_READ_ONLY, op->err);
      if (!rc) rc = weir__kbackend_import(be, old, route, ctx, op->err);
      weir__kv_close(old, 0);
      weir__remove_tree(dir);
    }
  }
  weir__kv_manifest_free(&m);
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

/*
 * agg.c -- aggregate accumulators shared by the window and group
 * aggregations: initialization, vectorized update, merge (slices into
 * windows; later, partial into global aggregates) and results.
 *
 * Every accumulator is 16 bytes (weir__acc): a value and a count.  COUNT
 * keeps its count; SUM keeps the sum and how many values it saw (none ->
 * NULL); AVG keeps sum and count; MIN/MAX keep the value and whether there
 * is one.  Integer SUM and AVG accumulate in int64 and fail on overflow
 * rather than wrap.
 */
#include "exec/execInt.h"

void weir__acc_init(const weir__aggcall *aggs, int nagg, weir__acc *acc) {
  (void)aggs;
  memset(acc, 0, sizeof(weir__acc) * (size_t)nagg);
}

static int is_true(const weir__vec *f, int r) {
  return !weir__vec_is_null(f, r) && WEIR_VEC_I64(f)[r] != 0;
}

static int overflow(weir__err *err, const weir__aggcall *a) {
  return weir__err_set(err, WEIR_RANGE, -1, "integer overflow in %s: the sum exceeds BIGINT",
                       weir__agg_name(a->kind));
}

static int keep_string(weir__acc *acc, weir__str s, weir__arena *strings) {
  char *p = weir__arena_alloc(strings, s.n ? s.n : 1);
  if (!p) return -1;
  if (s.n) memcpy(p, s.p, s.n);
  acc->s.p = p;
  acc->s.len = s.n;
  acc->s.has = 1;
  return 0;
}

static int str_cmp(const char *a, uint32_t an, const char *b, uint32_t bn) {
  size_t m = an < bn ? an : bn;
  int c = m ? memcmp(a, b, m) : 0;
  if (c) return c;
  return an < bn ? -1 : an > bn;
}

int weir__acc_update(const weir__aggcall *aggs, int nagg, const weir__chunk *c, int n,
                     weir__acc **accs, weir__arena **strings, weir__err *err) {
  for (int j = 0; j < nagg; j++) {
    const weir__aggcall *a = &aggs[j];
    const weir__vec *f = a->filter >= 0 ? &c->cols[a->filter] : NULL;
    if (a->kind == AGG_COUNT_STAR) {
      for (int r = 0; r < n; r++) {
        if (f && !is_true(f, r)) continue;
        accs[r][j].i.v++;
      }
      continue;
    }
    const weir__vec *v = &c->cols[a->arg];
    int phys = weir__type_phys(v->type);
    switch (a->kind) {
    case AGG_COUNT:
      for (int r = 0; r < n; r++) {
        if ((f && !is_true(f, r)) || weir__vec_is_null(v, r)) continue;
        accs[r][j].i.v++;
      }
      break;
    case AGG_SUM:
    case AGG_AVG:
      if (phys == WEIR_PHYS_F64) {
        const double *d = WEIR_VEC_F64(v);
        for (int r = 0; r < n; r++) {
          if ((f && !is_true(f, r)) || weir__vec_is_null(v, r)) continue;
          accs[r][j].d.v += d[r];
          accs[r][j].d.n++;
        }
      } else {
        const int64_t *x = WEIR_VEC_I64(v);
        if (!f && !v->valid) {
          for (int r = 0; r < n; r++) {
            weir__acc *acc = &accs[r][j];
            if (__builtin_add_overflow(acc->i.v, x[r], &acc->i.v)) return overflow(err, a);
            acc->i.n++;
          }
        } else {
          for (int r = 0; r < n; r++) {
            if ((f && !is_true(f, r)) || weir__vec_is_null(v, r)) continue;
            weir__acc *acc = &accs[r][j];
            if (__builtin_add_overflow(acc->i.v, x[r], &acc->i.v)) return overflow(err, a);
            acc->i.n++;
          }
        }
      }
      break;
    case AGG_MIN:
    case AGG_MAX: {
      int is_min = a->kind == AGG_MIN;
      for (int r = 0; r < n; r++) {
        if ((f && !is_true(f, r)) || weir__vec_is_null(v, r)) continue;
        weir__acc *acc = &accs[r][j];
        if (phys == WEIR_PHYS_I64) {
          int64_t x = WEIR_VEC_I64(v)[r];
          if (!acc->i.n || (is_min ? x < acc->i.v : x > acc->i.v)) acc->i.v = x;
          acc->i.n = 1;
        } else if (phys == WEIR_PHYS_F64) {
          double x = WEIR_VEC_F64(v)[r];
          if (!acc->d.n || (is_min ? x < acc->d.v : x > acc->d.v)) acc->d.v = x;
          acc->d.n = 1;
        } else {
          weir__str s = WEIR_VEC_STR(v)[r];
          if (!acc->s.has || (is_min ? str_cmp(s.p, s.n, acc->s.p, acc->s.len) < 0
                                     : str_cmp(s.p, s.n, acc->s.p, acc->s.len) > 0)) {
            if (keep_string(acc, s, strings[r])) return weir__err_nomem(err);
          }
        }
      }
      break;
    }
    }
  }
  return WEIR_OK;
}

int weir__acc_merge(const weir__aggcall *aggs, int nagg, weir__acc *dst, const weir__acc *src,
                    weir__arena *strings, weir__err *err) {
  for (int j = 0; j < nagg; j++) {
    const weir__aggcall *a = &aggs[j];
    weir__acc *d = &dst[j];
    const weir__acc *s = &src[j];
    int phys = a->kind == AGG_COUNT_STAR ? WEIR_PHYS_I64 : weir__type_phys(a->arg_type);
    switch (a->kind) {
    case AGG_COUNT_STAR:
    case AGG_COUNT: d->i.v += s->i.v; break;
    case AGG_SUM:
    case AGG_AVG:
      if (phys == WEIR_PHYS_F64) {
        d->d.v += s->d.v;
        d->d.n += s->d.n;
      } else {
        if (__builtin_add_overflow(d->i.v, s->i.v, &d->i.v)) return overflow(err, a);
        d->i.n += s->i.n;
      }
      break;
    case AGG_MIN:
    case AGG_MAX: {
      int is_min = a->kind == AGG_MIN;
      if (phys == WEIR_PHYS_STR) {
        if (!s->s.has) break;
        if (!d->s.has || (is_min ? str_cmp(s->s.p, s->s.len, d->s.p, d->s.len) < 0
                                 : str_cmp(s->s.p, s->s.len, d->s.p, d->s.len) > 0)) {
          weir__str str = {s->s.p, s->s.len};
          if (keep_string(d, str, strings)) return weir__err_nomem(err);
        }
      } else if (phys == WEIR_PHYS_F64) {
        if (!s->d.n) break;
        if (!d->d.n || (is_min ? s->d.v < d->d.v : s->d.v > d->d.v)) d->d.v = s->d.v;
        d->d.n = 1;
      } else {
        if (!s->i.n) break;
        if (!d->i.n || (is_min ? s->i.v < d->i.v : s->i.v > d->i.v)) d->i.v = s->i.v;
        d->i.n = 1;
      }
      break;
    }
    }
  }
  return WEIR_OK;
}

void weir__acc_result(const weir__aggcall *a, const weir__acc *acc, weir__chunk *out, int col,
                      int r) {
  weir__vec *v = &out->cols[col];
  int arg_phys = a->kind == AGG_COUNT_STAR ? WEIR_PHYS_I64 : weir__type_phys(a->arg_type);
  switch (a->kind) {
  case AGG_COUNT_STAR:
  case AGG_COUNT: WEIR_VEC_I64(v)[r] = acc->i.v; return;
  case AGG_SUM:
    if (arg_phys == WEIR_PHYS_F64) {
      if (!acc->d.n) break;
      WEIR_VEC_F64(v)[r] = acc->d.v;
    } else {
      if (!acc->i.n) break;
      WEIR_VEC_I64(v)[r] = acc->i.v;
    }
    return;
  case AGG_AVG:
    if (arg_phys == WEIR_PHYS_F64) {
      if (!acc->d.n) break;
      WEIR_VEC_F64(v)[r] = acc->d.v / (double)acc->d.n;
    } else {
      if (!acc->i.n) break;
      WEIR_VEC_F64(v)[r] = (double)acc->i.v / (double)acc->i.n;
    }
    return;
  case AGG_MIN:
  case AGG_MAX:
    if (arg_phys == WEIR_PHYS_STR) {
      if (!acc->s.has) break;
      WEIR_VEC_STR(v)[r].p = acc->s.p;
      WEIR_VEC_STR(v)[r].n = acc->s.len;
    } else if (arg_phys == WEIR_PHYS_F64) {
      if (!acc->d.n) break;
      WEIR_VEC_F64(v)[r] = acc->d.v;
    } else {
      if (!acc->i.n) break;
      WEIR_VEC_I64(v)[r] = acc->i.v;
    }
    return;
  }
  weir__bit_clear(v->valid, r);
}

int weir__acc_same_result(const weir__aggcall *aggs, int nagg, const weir__acc *a,
                          const weir__acc *b) {
  for (int j = 0; j < nagg; j++) {
    const weir__aggcall *ag = &aggs[j];
    int phys = ag->kind == AGG_COUNT_STAR ? WEIR_PHYS_I64 : weir__type_phys(ag->arg_type);
    if (ag->kind == AGG_AVG) {
      double x = a[j].i.n ? (phys == WEIR_PHYS_F64 ? a[j].d.v : (double)a[j].i.v) / a[j].i.n : 0;
      double y = b[j].i.n ? (phys == WEIR_PHYS_F64 ? b[j].d.v : (double)b[j].i.v) / b[j].i.n : 0;
      if ((a[j].i.n == 0) != (b[j].i.n == 0) || x != y) return 0;
    } else if ((ag->kind == AGG_MIN || ag->kind == AGG_MAX) && phys == WEIR_PHYS_STR) {
      if (a[j].s.has != b[j].s.has) return 0;
      if (a[j].s.has && str_cmp(a[j].s.p, a[j].s.len, b[j].s.p, b[j].s.len) != 0) return 0;
    } else if (phys == WEIR_PHYS_F64 && ag->kind != AGG_COUNT && ag->kind != AGG_COUNT_STAR) {
      if ((a[j].d.n == 0) != (b[j].d.n == 0) || (a[j].d.n && a[j].d.v != b[j].d.v)) return 0;
    } else if (ag->kind == AGG_COUNT || ag->kind == AGG_COUNT_STAR) {
      if (a[j].i.v != b[j].i.v) return 0;
    } else {
      if ((a[j].i.n == 0) != (b[j].i.n == 0) || (a[j].i.n && a[j].i.v != b[j].i.v)) return 0;
    }
  }
  return 1;
}

int weir__key_decode_into(const uint8_t *key, int klen, const int *types, int nk,
                          weir__chunk *out, const int *cols, int r) {
  int pos = 0;
  for (int k = 0; k < nk; k++) {
    weir__value v;
    if (weir__key_decode(key, klen, &pos, types[k], &v, &out->arena)) return -1;
    weir__vec *dv = &out->cols[cols[k]];
    if (v.null) {
      weir__bit_clear(dv->valid, r);
      continue;
    }
    switch (weir__type_phys(types[k])) {
    case WEIR_PHYS_F64: WEIR_VEC_F64(dv)[r] = v.d; break;
    case WEIR_PHYS_STR: WEIR_VEC_STR(dv)[r] = v.s; break;
    default: WEIR_VEC_I64(dv)[r] = v.i; break;
    }
  }
  return 0;
}

/* ---- partial aggregates: two columns per accumulator ---------------------------- */

void weir__acc_to_partial(const weir__aggcall *a, const weir__acc *acc, weir__chunk *out, int col,
                          int r) {
  weir__vec *v1 = &out->cols[col], *v2 = &out->cols[col + 1];
  weir__bit_set(v1->valid, r);
  weir__bit_set(v2->valid, r);
  switch (weir__type_phys(v1->type)) {
  case WEIR_PHYS_F64:
    WEIR_VEC_F64(v1)[r] = acc->d.v;
    WEIR_VEC_I64(v2)[r] = acc->d.n;
    break;
  case WEIR_PHYS_STR:
    WEIR_VEC_STR(v1)[r].p = acc->s.has ? acc->s.p : "";
    WEIR_VEC_STR(v1)[r].n = acc->s.has ? acc->s.len : 0;
    WEIR_VEC_I64(v2)[r] = acc->s.has;
    break;
  default:
    WEIR_VEC_I64(v1)[r] = acc->i.v;
    WEIR_VEC_I64(v2)[r] = acc->i.n;
    break;
  }
  (void)a;
}

void weir__acc_from_partial(const weir__aggcall *a, const weir__chunk *in, int col, int r,
                            weir__acc *acc) {
  const weir__vec *v1 = &in->cols[col], *v2 = &in->cols[col + 1];
  memset(acc, 0, sizeof *acc);
  switch (weir__type_phys(v1->type)) {
  case WEIR_PHYS_F64:
    acc->d.v = WEIR_VEC_F64(v1)[r];
    acc->d.n = WEIR_VEC_I64(v2)[r];
    break;
  case WEIR_PHYS_STR:
    acc->s.has = (uint32_t)WEIR_VEC_I64(v2)[r];
    acc->s.p = WEIR_VEC_STR(v1)[r].p;
    acc->s.len = WEIR_VEC_STR(v1)[r].n;
    break;
  default:
    acc->i.v = WEIR_VEC_I64(v1)[r];
    acc->i.n = WEIR_VEC_I64(v2)[r];
    break;
  }
  (void)a;
}

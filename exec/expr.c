/*
 * expr.c -- vectorized evaluation of bound expressions over a chunk.
 *
 * An expression is evaluated a vector at a time: each operator node runs
 * one tight loop over the rows, chosen once per vector by operand type,
 * never a function pointer per row.  NULLs live in validity bitmaps; most
 * operators compute every row and AND the operands' bitmaps, AND/OR/CASE
 * implement SQL's three-valued logic.
 *
 * Errors (division by zero, integer overflow, a bad CAST) are raised only
 * for rows in the evaluation mask: CASE evaluates a branch under the mask
 * of the rows that take it, and the right side of AND/OR under the rows
 * the left side does not decide, so `CASE WHEN x = 0 THEN 0 ELSE 10 / x
 * END` never divides by zero.
 *
 * Entry points: weir__eval, weir__eval_filter, weir__eval_const.
 */
#define _GNU_SOURCE /* memmem */
#include <ctype.h>
#include <math.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <time.h>

#include "exec/execInt.h"

typedef weir__evalctx ectx;

/* ---- bitmaps and vectors ----------------------------------------------------- */

static uint64_t *bm_new(ectx *cx, int n, int ones) {
  size_t words = (size_t)WEIR_BM_WORDS(n ? n : 1);
  uint64_t *bm = weir__arena_alloc(cx->scratch, words * 8);
  if (!bm) return NULL;
  memset(bm, ones ? 0xff : 0, words * 8);
  return bm;
}

static int nomem(ectx *cx) { return weir__err_nomem(cx->err); }

static size_t phys_size(int type) {
  switch (weir__type_phys(type)) {
  case WEIR_PHYS_F64: return sizeof(double);
  case WEIR_PHYS_STR: return sizeof(weir__str);
  default: return sizeof(int64_t);
  }
}

/* A fresh vector of n rows, all valid. The values start zeroed, so that a row that
 * ends up NULL holds 0, 0.0 or the empty string, never stale bytes. */
static int vec_new(ectx *cx, weir__vec *v, int type, int n) {
  size_t bytes = phys_size(type) * (size_t)(n ? n : 1);
  v->type = type;
  v->data = weir__arena_alloc(cx->scratch, bytes);
  v->valid = NULL;
  if (!v->data) return nomem(cx);
  memset(v->data, 0, bytes);
  return WEIR_OK;
}

/* out->valid = a->valid AND b->valid (NULL = all valid). */
static int valid_and(ectx *cx, weir__vec *out, const weir__vec *a, const weir__vec *b, int n) {
  if (!a->valid && (!b || !b->valid)) {
    out->valid = NULL;
    return WEIR_OK;
  }
  uint64_t *bm = bm_new(cx, n, 1);
  if (!bm) return nomem(cx);
  int words = WEIR_BM_WORDS(n);
  for (int w = 0; w < words; w++) {
    uint64_t x = a->valid ? a->valid[w] : ~0ULL;
    if (b && b->valid) x &= b->valid[w];
    bm[w] = x;
  }
  out->valid = bm;
  return WEIR_OK;
}

static inline int in_mask(const uint64_t *mask, int r) { return !mask || weir__bit_get(mask, r); }

/* Would row r raise an error: in the mask and not NULL? */
static inline int live(const uint64_t *mask, const weir__vec *v, int r) {
  return in_mask(mask, r) && !weir__vec_is_null(v, r);
}

static int row_error(ectx *cx, int code, const weir__expr *e, const char *fmt, ...)
    WEIR_PRINTF(4, 5);
static int row_error(ectx *cx, int code, const weir__expr *e, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  weir__err_vset(cx->err, code, e->off, fmt, ap);
  va_end(ap);
  return code;
}

/* ---- constants ------------------------------------------------------------ */

static int eval_const(const weir__expr *e, int n, weir__vec *out, ectx *cx) {
  int rc = vec_new(cx, out, e->type, n);
  if (rc) return rc;
  if (e->val.null) {
    out->valid = bm_new(cx, n, 0);
    return out->valid ? WEIR_OK : nomem(cx);
  }
  switch (weir__type_phys(e->type)) {
  case WEIR_PHYS_F64:
    for (int r = 0; r < n; r++) WEIR_VEC_F64(out)[r] = e->val.d;
    break;
  case WEIR_PHYS_STR:
    for (int r = 0; r < n; r++) WEIR_VEC_STR(out)[r] = e->val.s;
    break;
  default:
    for (int r = 0; r < n; r++) WEIR_VEC_I64(out)[r] = e->val.i;
    break;
  }
  return WEIR_OK;
}

/* ---- arithmetic ------------------------------------------------------------ */

static int int_overflow(ectx *cx, const weir__expr *e, int64_t a, int64_t b, const char *op) {
  return row_error(cx, WEIR_RANGE, e, "integer overflow: %lld %s %lld does not fit in %s",
                   (long long)a, op, (long long)b, weir__type_name(e->type));
}

static int eval_arith(const weir__expr *e, const weir__chunk *in, const uint64_t *mask,
                      weir__vec *out, ectx *cx) {
  weir__vec a, b;
  int rc, n = in->n;
  if ((rc = weir__eval(e->args[0], in, mask, &a, cx))) return rc;
  if ((rc = weir__eval(e->args[1], in, mask, &b, cx))) return rc;
  if ((rc = vec_new(cx, out, e->type, n)) || (rc = valid_and(cx, out, &a, &b, n))) return rc;
  int t = e->type;
  if (t == WEIR_TYPE_DOUBLE) {
    const double *x = WEIR_VEC_F64(&a), *y = WEIR_VEC_F64(&b);
    double *z = WEIR_VEC_F64(out);
    switch (e->op) {
    case EXPR_ADD: for (int r = 0; r < n; r++) z[r] = x[r] + y[r]; break;
    case EXPR_SUB: for (int r = 0; r < n; r++) z[r] = x[r] - y[r]; break;
    case EXPR_MUL: for (int r = 0; r < n; r++) z[r] = x[r] * y[r]; break;
    case EXPR_DIV: for (int r = 0; r < n; r++) z[r] = x[r] / y[r]; break;
    default: return row_error(cx, WEIR_INTERNAL, e, "bad double operator");
    }
    return WEIR_OK;
  }
  const int64_t *x = WEIR_VEC_I64(&a), *y = WEIR_VEC_I64(&b);
  int64_t *z = WEIR_VEC_I64(out);
  int is_int = t == WEIR_TYPE_INT;
  switch (e->op) {
  case EXPR_ADD:
    for (int r = 0; r < n; r++) {
      if (__builtin_add_overflow(x[r], y[r], &z[r]) || (is_int && z[r] != (int32_t)z[r])) {
        if (live(mask, out, r)) return int_overflow(cx, e, x[r], y[r], "+");
        z[r] = 0;
      }
    }
    break;
  case EXPR_SUB:
    for (int r = 0; r < n; r++) {
      if (__builtin_sub_overflow(x[r], y[r], &z[r]) || (is_int && z[r] != (int32_t)z[r])) {
        if (live(mask, out, r)) return int_overflow(cx, e, x[r], y[r], "-");
        z[r] = 0;
      }
    }
    break;
  case EXPR_MUL:
    for (int r = 0; r < n; r++) {
      if (__builtin_mul_overflow(x[r], y[r], &z[r]) || (is_int && z[r] != (int32_t)z[r])) {
        if (live(mask, out, r)) return int_overflow(cx, e, x[r], y[r], "*");
        z[r] = 0;
      }
    }
    break;
  case EXPR_DIV:
  case EXPR_MOD:
    for (int r = 0; r < n; r++) {
      if (y[r] == 0) {
        if (live(mask, out, r)) return row_error(cx, WEIR_RANGE, e, "division by zero");
        z[r] = 0;
      } else if (y[r] == -1) {
        /* INT64_MIN / -1 overflows; x % -1 is always 0. */
        if (e->op == EXPR_MOD) {
          z[r] = 0;
        } else if (x[r] == INT64_MIN || (is_int && x[r] == INT32_MIN)) {
          if (live(mask, out, r)) return int_overflow(cx, e, x[r], y[r], "/");
          z[r] = 0;
        } else {
          z[r] = -x[r];
        }
      } else {
        z[r] = e->op == EXPR_DIV ? x[r] / y[r] : x[r] % y[r];
      }
    }
    break;
  default: return row_error(cx, WEIR_INTERNAL, e, "bad integer operator");
  }
  return WEIR_OK;
}

/* ---- comparisons ------------------------------------------------------------- */

static inline int str_cmp(weir__str a, weir__str b) {
  uint32_t m = a.n < b.n ? a.n : b.n;
  int c = m ? memcmp(a.p, b.p, m) : 0;
  if (c) return c;
  return a.n < b.n ? -1 : a.n > b.n;
}

#define CMP_LOOP(X, Y, CMP)                                                                    \
  switch (e->op) {                                                                             \
  case EXPR_EQ: for (int r = 0; r < n; r++) z[r] = CMP(X[r], Y[r]) == 0; break;                \
  case EXPR_NE: for (int r = 0; r < n; r++) z[r] = CMP(X[r], Y[r]) != 0; break;                \
  case EXPR_LT: for (int r = 0; r < n; r++) z[r] = CMP(X[r], Y[r]) < 0; break;                 \
  case EXPR_LE: for (int r = 0; r < n; r++) z[r] = CMP(X[r], Y[r]) <= 0; break;                \
  case EXPR_GT: for (int r = 0; r < n; r++) z[r] = CMP(X[r], Y[r]) > 0; break;                 \
  case EXPR_GE: for (int r = 0; r < n; r++) z[r] = CMP(X[r], Y[r]) >= 0; break;                \
  }

#define NUM_CMP(a, b) (((a) > (b)) - ((a) < (b)))

static int eval_compare(const weir__expr *e, const weir__chunk *in, const uint64_t *mask,
                        weir__vec *out, ectx *cx) {
  weir__vec a, b;
  int rc, n = in->n;
  if ((rc = weir__eval(e->args[0], in, mask, &a, cx))) return rc;
  if ((rc = weir__eval(e->args[1], in, mask, &b, cx))) return rc;
  if ((rc = vec_new(cx, out, WEIR_TYPE_BOOLEAN, n)) || (rc = valid_and(cx, out, &a, &b, n)))
    return rc;
  int64_t *z = WEIR_VEC_I64(out);
  switch (weir__type_phys(a.type)) {
  case WEIR_PHYS_F64: {
    const double *x = WEIR_VEC_F64(&a), *y = WEIR_VEC_F64(&b);
    CMP_LOOP(x, y, NUM_CMP);
    break;
  }
  case WEIR_PHYS_STR: {
    const weir__str *x = WEIR_VEC_STR(&a), *y = WEIR_VEC_STR(&b);
    CMP_LOOP(x, y, str_cmp);
    break;
  }
  default: {
    const int64_t *x = WEIR_VEC_I64(&a), *y = WEIR_VEC_I64(&b);
    CMP_LOOP(x, y, NUM_CMP);
    break;
  }
  }
  return WEIR_OK;
}

/* ---- boolean logic ------------------------------------------------------------ */

/* Rows where v is a definite value equal to want (TRUE=1/FALSE=0). */
static uint64_t *bm_where(ectx *cx, const weir__vec *v, int want, int n) {
  uint64_t *bm = bm_new(cx, n, 0);
  if (!bm) return NULL;
  const int64_t *x = WEIR_VEC_I64(v);
  for (int r = 0; r < n; r++) {
    if (!weir__vec_is_null(v, r) && (x[r] != 0) == want) weir__bit_set(bm, r);
  }
  return bm;
}

static int eval_andor(const weir__expr *e, const weir__chunk *in, const uint64_t *mask,
                      weir__vec *out, ectx *cx) {
  int n = in->n, rc;
  int is_and = e->op == EXPR_AND;
  weir__vec a, b;
  if ((rc = weir__eval(e->args[0], in, mask, &a, cx))) return rc;
  /* The right side matters only where the left side does not decide. */
  uint64_t *decided = bm_where(cx, &a, !is_and, n);
  uint64_t *rmask = bm_new(cx, n, 1);
  if (!decided || !rmask) return nomem(cx);
  for (int w = 0; w < WEIR_BM_WORDS(n); w++)
    rmask[w] = (mask ? mask[w] : ~0ULL) & ~decided[w];
  if ((rc = weir__eval(e->args[1], in, rmask, &b, cx))) return rc;
  if ((rc = vec_new(cx, out, WEIR_TYPE_BOOLEAN, n))) return rc;
  const int64_t *x = WEIR_VEC_I64(&a), *y = WEIR_VEC_I64(&b);
  int64_t *z = WEIR_VEC_I64(out);
  if (!a.valid && !b.valid) {
    if (is_and)
      for (int r = 0; r < n; r++) z[r] = x[r] && y[r];
    else
      for (int r = 0; r < n; r++) z[r] = x[r] || y[r];
    out->valid = NULL;
    return WEIR_OK;
  }
  out->valid = bm_new(cx, n, 1);
  if (!out->valid) return nomem(cx);
  for (int r = 0; r < n; r++) {
    int an = weir__vec_is_null(&a, r), bn = weir__vec_is_null(&b, r);
    int av = !an && x[r], bv = !bn && y[r];
    if (is_and) {
      /* FALSE if either is FALSE; TRUE if both TRUE; else NULL. */
      if ((!an && !av) || (!bn && !bv)) {
        z[r] = 0;
      } else if (!an && !bn) {
        z[r] = 1;
      } else {
        z[r] = 0;
        weir__bit_clear(out->valid, r);
      }
    } else {
      if (av || bv) {
        z[r] = 1;
      } else if (!an && !bn) {
        z[r] = 0;
      } else {
        z[r] = 0;
        weir__bit_clear(out->valid, r);
      }
    }
  }
  return WEIR_OK;
}

static int eval_not(const weir__expr *e, const weir__chunk *in, const uint64_t *mask,
                    weir__vec *out, ectx *cx) {
  weir__vec a;
  int rc, n = in->n;
  if ((rc = weir__eval(e->args[0], in, mask, &a, cx))) return rc;
  if ((rc = vec_new(cx, out, WEIR_TYPE_BOOLEAN, n))) return rc;
  out->valid = a.valid;
  const int64_t *x = WEIR_VEC_I64(&a);
  int64_t *z = WEIR_VEC_I64(out);
  for (int r = 0; r < n; r++) z[r] = !x[r];
  return WEIR_OK;
}

static int eval_is_null(const weir__expr *e, const weir__chunk *in, const uint64_t *mask,
                        weir__vec *out, ectx *cx) {
  weir__vec a;
  int rc, n = in->n;
  if ((rc = weir__eval(e->args[0], in, mask, &a, cx))) return rc;
  if ((rc = vec_new(cx, out, WEIR_TYPE_BOOLEAN, n))) return rc;
  int want_null = e->op == EXPR_IS_NULL;
  int64_t *z = WEIR_VEC_I64(out);
  for (int r = 0; r < n; r++) z[r] = weir__vec_is_null(&a, r) == want_null;
  return WEIR_OK;
}

/* ---- CASE and COALESCE ------------------------------------------------------- */

/* Copy rows of src selected by sel into dst (same type); sets validity. */
static void copy_rows(weir__vec *dst, const weir__vec *src, const uint64_t *sel, int n) {
  int phys = weir__type_phys(dst->type);
  for (int r = 0; r < n; r++) {
    if (!weir__bit_get(sel, r)) continue;
    if (weir__vec_is_null(src, r)) {
      weir__bit_clear(dst->valid, r);
      continue;
    }
    weir__bit_set(dst->valid, r);
    switch (phys) {
    case WEIR_PHYS_F64: WEIR_VEC_F64(dst)[r] = WEIR_VEC_F64(src)[r]; break;
    case WEIR_PHYS_STR: WEIR_VEC_STR(dst)[r] = WEIR_VEC_STR(src)[r]; break;
    default: WEIR_VEC_I64(dst)[r] = WEIR_VEC_I64(src)[r]; break;
    }
  }
}

static int bm_any(const uint64_t *bm, int n) {
  for (int w = 0; w < WEIR_BM_WORDS(n); w++) {
    if (bm[w]) return 1;
  }
  return 0;
}

static int eval_case(const weir__expr *e, const weir__chunk *in, const uint64_t *mask,
                     weir__vec *out, ectx *cx) {
  int n = in->n, rc, words = WEIR_BM_WORDS(n);
  if ((rc = vec_new(cx, out, e->type, n))) return rc;
  memset(out->data, 0, phys_size(e->type) * (size_t)(n ? n : 1));
  out->valid = bm_new(cx, n, 0); /* rows no branch takes are NULL */
  uint64_t *remaining = bm_new(cx, n, 1);
  uint64_t *take = bm_new(cx, n, 0);
  if (!out->valid || !remaining || !take) return nomem(cx);
  if (mask) memcpy(remaining, mask, (size_t)words * 8);
  /* Bits past n stay clear so bm_any looks at real rows only. */
  if (n % 64) remaining[words - 1] &= (1ULL << (n % 64)) - 1;
  int npairs = e->nargs / 2;
  for (int i = 0; i < npairs && bm_any(remaining, n); i++) {
    weir__vec c, v;
    if ((rc = weir__eval(e->args[2 * i], in, remaining, &c, cx))) return rc;
    const int64_t *cv = WEIR_VEC_I64(&c);
    memset(take, 0, (size_t)words * 8);
    for (int r = 0; r < n; r++) {
      if (weir__bit_get(remaining, r) && !weir__vec_is_null(&c, r) && cv[r]) weir__bit_set(take, r);
    }
    if (!bm_any(take, n)) continue;
    if ((rc = weir__eval(e->args[2 * i + 1], in, take, &v, cx))) return rc;
    copy_rows(out, &v, take, n);
    for (int w = 0; w < words; w++) remaining[w] &= ~take[w];
  }
  if ((e->nargs % 2) && bm_any(remaining, n)) {
    weir__vec v;
    if ((rc = weir__eval(e->args[e->nargs - 1], in, remaining, &v, cx))) return rc;
    copy_rows(out, &v, remaining, n);
  }
  return WEIR_OK;
}

static int eval_coalesce(const weir__expr *e, const weir__chunk *in, const uint64_t *mask,
                         weir__vec *out, ectx *cx) {
  int n = in->n, rc, words = WEIR_BM_WORDS(n);
  if ((rc = vec_new(cx, out, e->type, n))) return rc;
  memset(out->data, 0, phys_size(e->type) * (size_t)(n ? n : 1));
  out->valid = bm_new(cx, n, 0);
  uint64_t *remaining = bm_new(cx, n, 1);
  uint64_t *take = bm_new(cx, n, 0);
  if (!out->valid || !remaining || !take) return nomem(cx);
  if (mask) memcpy(remaining, mask, (size_t)words * 8);
  if (n % 64) remaining[words - 1] &= (1ULL << (n % 64)) - 1;
  for (int i = 0; i < e->nargs && bm_any(remaining, n); i++) {
    weir__vec v;
    if ((rc = weir__eval(e->args[i], in, remaining, &v, cx))) return rc;
    for (int w = 0; w < words; w++) take[w] = remaining[w] & (v.valid ? v.valid[w] : ~0ULL);
    copy_rows(out, &v, take, n);
    for (int w = 0; w < words; w++) remaining[w] &= ~take[w];
  }
  return WEIR_OK;
}

/* ---- IN and LIKE ----------------------------------------------------------------- */

static int eval_in(const weir__expr *e, const weir__chunk *in, const uint64_t *mask,
                   weir__vec *out, ectx *cx) {
  int n = in->n, rc;
  weir__vec x;
  if ((rc = weir__eval(e->args[0], in, mask, &x, cx))) return rc;
  if ((rc = vec_new(cx, out, WEIR_TYPE_BOOLEAN, n))) return rc;
  int64_t *z = WEIR_VEC_I64(out);
  memset(z, 0, sizeof(int64_t) * (size_t)n);
  /* saw_null[r]: some list element was NULL (the answer is then NULL
   * instead of FALSE when nothing matches). */
  uint64_t *saw_null = bm_new(cx, n, 0);
  if (!saw_null) return nomem(cx);
  int phys = weir__type_phys(x.type);
  for (int i = 1; i < e->nargs; i++) {
    weir__vec v;
    if ((rc = weir__eval(e->args[i], in, mask, &v, cx))) return rc;
    for (int r = 0; r < n; r++) {
      if (z[r]) continue;
      if (weir__vec_is_null(&v, r)) {
        weir__bit_set(saw_null, r);
        continue;
      }
      switch (phys) {
      case WEIR_PHYS_F64: z[r] = WEIR_VEC_F64(&x)[r] == WEIR_VEC_F64(&v)[r]; break;
      case WEIR_PHYS_STR: z[r] = str_cmp(WEIR_VEC_STR(&x)[r], WEIR_VEC_STR(&v)[r]) == 0; break;
      default: z[r] = WEIR_VEC_I64(&x)[r] == WEIR_VEC_I64(&v)[r]; break;
      }
    }
  }
  out->valid = bm_new(cx, n, 1);
  if (!out->valid) return nomem(cx);
  for (int r = 0; r < n; r++) {
    if (weir__vec_is_null(&x, r) || (!z[r] && weir__bit_get(saw_null, r)))
      weir__bit_clear(out->valid, r);
  }
  return WEIR_OK;
}

/* Length in bytes of the UTF-8 character starting at p (1 for a stray
 * byte, so that invalid text still advances). */
static inline int utf8_len(const unsigned char *p, const unsigned char *end) {
  int l = *p < 0x80 ? 1 : *p >= 0xF0 ? 4 : *p >= 0xE0 ? 3 : *p >= 0xC0 ? 2 : 1;
  return p + l <= end ? l : (int)(end - p);
}

/* SQL LIKE: % any sequence, _ any one character, esc quotes the next
 * pattern character.  Iterative with one backtrack point per %, which is
 * enough for LIKE (no nested structure). */
static int like_match(const unsigned char *s, const unsigned char *se, const unsigned char *p,
                      const unsigned char *pe, int esc) {
  const unsigned char *star_p = NULL, *star_s = NULL;
  while (s < se) {
    if (p < pe && *p == '%') {
      while (p < pe && *p == '%') p++;
      if (p == pe) return 1;
      star_p = p;
      star_s = s;
      continue;
    }
    if (p < pe) {
      int lit = 0;
      const unsigned char *q = p;
      if (esc >= 0 && *q == (unsigned char)esc && q + 1 < pe) {
        q++;
        lit = 1;
      }
      if (!lit && *q == '_') {
        s += utf8_len(s, se);
        p = q + 1;
        continue;
      }
      int pl = utf8_len(q, pe), sl = utf8_len(s, se);
      if (pl == sl && memcmp(q, s, (size_t)pl) == 0) {
        s += sl;
        p = q + pl;
        continue;
      }
    }
    if (!star_p) return 0;
    star_s += utf8_len(star_s, se);
    s = star_s;
    p = star_p;
  }
  while (p < pe && *p == '%') p++;
  return p == pe;
}

static int eval_like(const weir__expr *e, const weir__chunk *in, const uint64_t *mask,
                     weir__vec *out, ectx *cx) {
  int n = in->n, rc;
  weir__vec s, p;
  if ((rc = weir__eval(e->args[0], in, mask, &s, cx))) return rc;
  if ((rc = weir__eval(e->args[1], in, mask, &p, cx))) return rc;
  int esc = e->nargs > 2 ? (unsigned char)e->args[2]->val.s.p[0] : -1;
  if ((rc = vec_new(cx, out, WEIR_TYPE_BOOLEAN, n)) || (rc = valid_and(cx, out, &s, &p, n)))
    return rc;
  int64_t *z = WEIR_VEC_I64(out);
  for (int r = 0; r < n; r++) {
    if (weir__vec_is_null(out, r)) {
      z[r] = 0;
      continue;
    }
    weir__str a = WEIR_VEC_STR(&s)[r], b = WEIR_VEC_STR(&p)[r];
    z[r] = like_match((const unsigned char *)a.p, (const unsigned char *)a.p + a.n,
                      (const unsigned char *)b.p, (const unsigned char *)b.p + b.n, esc);
  }
  return WEIR_OK;
}

/* ---- strings ------------------------------------------------------------------- */

static int eval_concat(const weir__expr *e, const weir__chunk *in, const uint64_t *mask,
                       weir__vec *out, ectx *cx) {
  int n = in->n, rc;
  weir__vec a, b;
  if ((rc = weir__eval(e->args[0], in, mask, &a, cx))) return rc;
  if ((rc = weir__eval(e->args[1], in, mask, &b, cx))) return rc;
  if ((rc = vec_new(cx, out, WEIR_TYPE_VARCHAR, n)) || (rc = valid_and(cx, out, &a, &b, n)))
    return rc;
  weir__str *z = WEIR_VEC_STR(out);
  for (int r = 0; r < n; r++) {
    if (weir__vec_is_null(out, r)) {
      z[r].p = "";
      z[r].n = 0;
      continue;
    }
    weir__str x = WEIR_VEC_STR(&a)[r], y = WEIR_VEC_STR(&b)[r];
    char *buf = weir__arena_alloc(cx->scratch, (size_t)x.n + y.n + 1);
    if (!buf) return nomem(cx);
    memcpy(buf, x.p, x.n);
    memcpy(buf + x.n, y.p, y.n);
    z[r].p = buf;
    z[r].n = x.n + y.n;
  }
  return WEIR_OK;
}

static uint32_t utf8_count(weir__str s) {
  uint32_t c = 0;
  for (uint32_t i = 0; i < s.n; i++) c += ((unsigned char)s.p[i] & 0xC0) != 0x80;
  return c;
}

/* Byte offset of character k (0-based) of s, or s.n. */
static uint32_t utf8_offset(weir__str s, int64_t k) {
  uint32_t i = 0;
  while (k > 0 && i < s.n) {
    i += (uint32_t)utf8_len((const unsigned char *)s.p + i, (const unsigned char *)s.p + s.n);
    k--;
  }
  return i;
}

static int eval_string_fn(const weir__expr *e, const weir__chunk *in, const uint64_t *mask,
                          weir__vec *out, ectx *cx) {
  int n = in->n, rc;
  weir__vec a;
  if ((rc = weir__eval(e->args[0], in, mask, &a, cx))) return rc;
  if ((rc = vec_new(cx, out, e->type, n))) return rc;
  out->valid = a.valid;
  const weir__str *x = WEIR_VEC_STR(&a);
  if (e->op == EXPR_FN_CHAR_LENGTH) {
    int64_t *z = WEIR_VEC_I64(out);
    for (int r = 0; r < n; r++) z[r] = utf8_count(x[r]);
    return WEIR_OK;
  }
  weir__str *z = WEIR_VEC_STR(out);
  if (e->op == EXPR_FN_TRIM) {
    for (int r = 0; r < n; r++) {
      weir__str s = x[r];
      while (s.n && s.p[0] == ' ') s.p++, s.n--;
      while (s.n && s.p[s.n - 1] == ' ') s.n--;
      z[r] = s;
    }
    return WEIR_OK;
  }
  /* UPPER / LOWER: ASCII letters change; other characters are kept. A string with no
   * letter to change is returned as it is, without a copy. */
  unsigned char lo = e->op == EXPR_FN_UPPER ? 'a' : 'A';
  for (int r = 0; r < n; r++) {
    weir__str s = x[r];
    uint32_t i = 0;
    while (i < s.n && (unsigned char)(s.p[i] - lo) >= 26) i++;
    if (i == s.n) {
      z[r] = s;
      continue;
    }
    char *buf = weir__arena_alloc(cx->scratch, s.n);
    if (!buf) return nomem(cx);
    memcpy(buf, s.p, i);
    for (; i < s.n; i++) {
      unsigned char c = (unsigned char)s.p[i];
      buf[i] = (char)((unsigned char)(c - lo) < 26 ? c ^ 0x20 : c);
    }
    z[r].p = buf;
    z[r].n = s.n;
  }
  return WEIR_OK;
}

/* SUBSTRING(s, pos [, len]) with Flink's rules: pos > 0 counts from 1,
 * pos < 0 from the end, 0 is the start; a negative len gives NULL. */
static int eval_substring(const weir__expr *e, const weir__chunk *in, const uint64_t *mask,
                          weir__vec *out, ectx *cx) {
  int n = in->n, rc;
  weir__vec s, p, l;
  if ((rc = weir__eval(e->args[0], in, mask, &s, cx))) return rc;
  if ((rc = weir__eval(e->args[1], in, mask, &p, cx))) return rc;
  if (e->nargs > 2 && (rc = weir__eval(e->args[2], in, mask, &l, cx))) return rc;
  if ((rc = vec_new(cx, out, WEIR_TYPE_VARCHAR, n)) || (rc = valid_and(cx, out, &s, &p, n)))
    return rc;
  if (e->nargs > 2) {
    weir__vec tmp = *out;
    if ((rc = valid_and(cx, out, &tmp, &l, n))) return rc;
  }
  weir__str *z = WEIR_VEC_STR(out);
  for (int r = 0; r < n; r++) {
    z[r].p = "";
    z[r].n = 0;
    if (weir__vec_is_null(out, r)) continue;
    weir__str str = WEIR_VEC_STR(&s)[r];
    int64_t pos = WEIR_VEC_I64(&p)[r];
    int64_t len = e->nargs > 2 ? WEIR_VEC_I64(&l)[r] : INT64_MAX;
    if (len < 0) {
      if (!out->valid) {
        out->valid = bm_new(cx, n, 1);
        if (!out->valid) return nomem(cx);
      }
      weir__bit_clear(out->valid, r);
      continue;
    }
    int64_t nchars = utf8_count(str);
    int64_t start;
    if (pos > 0) {
      start = pos - 1;
      if (start >= nchars) continue;
    } else if (pos < 0) {
      start = nchars + pos;
      if (start < 0) continue;
    } else {
      start = 0;
    }
    int64_t end = nchars - start < len ? nchars : start + len;
    uint32_t b0 = utf8_offset(str, start), b1 = utf8_offset(str, end);
    z[r].p = str.p + b0;
    z[r].n = b1 - b0;
  }
  return WEIR_OK;
}

/* ---- more string functions: REPLACE, SPLIT_INDEX, REGEXP_EXTRACT ------------------ */

/* Evaluates every argument of e into args[] and makes out a VARCHAR vector whose
 * validity is the AND of theirs (a NULL argument gives NULL). */
static int eval_args_strict(const weir__expr *e, const weir__chunk *in, const uint64_t *mask,
                            weir__vec *args, weir__vec *out, ectx *cx) {
  int rc, n = in->n;
  for (int i = 0; i < e->nargs; i++)
    if ((rc = weir__eval(e->args[i], in, mask, &args[i], cx))) return rc;
  if ((rc = vec_new(cx, out, e->type, n))) return rc;
  out->valid = NULL;
  for (int i = 0; i < e->nargs; i++) {
    weir__vec acc = *out;
    if ((rc = valid_and(cx, out, &acc, &args[i], n))) return rc;
  }
  weir__str *z = WEIR_VEC_STR(out);
  for (int r = 0; r < n; r++) z[r] = (weir__str){"", 0};
  return WEIR_OK;
}

static int set_null(ectx *cx, weir__vec *out, int n, int r) {
  if (!out->valid && !(out->valid = bm_new(cx, n, 1))) return nomem(cx);
  weir__bit_clear(out->valid, r);
  return WEIR_OK;
}

static const char *find_bytes(const char *h, uint32_t hn, const char *nd, uint32_t nn) {
  if (nn == 0 || nn > hn) return NULL;
  return memmem(h, hn, nd, nn);
}

/* REPLACE(s, search, replacement): every non-overlapping occurrence, left to right.
 * An empty search string leaves s as it is. */
static int eval_replace(const weir__expr *e, const weir__chunk *in, const uint64_t *mask,
                        weir__vec *out, ectx *cx) {
  weir__vec a[3];
  int rc, n = in->n;
  if ((rc = eval_args_strict(e, in, mask, a, out, cx))) return rc;
  weir__str *z = WEIR_VEC_STR(out);
  for (int r = 0; r < n; r++) {
    if (weir__vec_is_null(out, r)) continue;
    weir__str s = WEIR_VEC_STR(&a[0])[r], f = WEIR_VEC_STR(&a[1])[r],
              t = WEIR_VEC_STR(&a[2])[r];
    const char *hit = find_bytes(s.p, s.n, f.p, f.n);
    if (!hit) {
      z[r] = s;
      continue;
    }
    /* Count first, so that the result is one allocation. */
    size_t count = 0;
    for (const char *p = s.p; (hit = find_bytes(p, (uint32_t)(s.p + s.n - p), f.p, f.n));
         p = hit + f.n)
      count++;
    size_t len = s.n + count * t.n - count * f.n;
    char *buf = weir__arena_alloc(cx->scratch, len ? len : 1), *w = buf;
    if (!buf) return nomem(cx);
    const char *p = s.p;
    while ((hit = find_bytes(p, (uint32_t)(s.p + s.n - p), f.p, f.n))) {
      memcpy(w, p, (size_t)(hit - p));
      w += hit - p;
      memcpy(w, t.p, t.n);
      w += t.n;
      p = hit + f.n;
    }
    memcpy(w, p, (size_t)(s.p + s.n - p));
    z[r] = (weir__str){buf, (uint32_t)len};
  }
  return WEIR_OK;
}

/* SPLIT_INDEX(s, separator, index): the index-th (from 0) piece of s split at every
 * occurrence of separator; NULL when index is negative or past the last piece. */
static int eval_split_index(const weir__expr *e, const weir__chunk *in, const uint64_t *mask,
                            weir__vec *out, ectx *cx) {
  weir__vec a[3];
  int rc, n = in->n;
  if ((rc = eval_args_strict(e, in, mask, a, out, cx))) return rc;
  weir__str *z = WEIR_VEC_STR(out);
  for (int r = 0; r < n; r++) {
    if (weir__vec_is_null(out, r)) continue;
    weir__str s = WEIR_VEC_STR(&a[0])[r], sep = WEIR_VEC_STR(&a[1])[r];
    int64_t k = WEIR_VEC_I64(&a[2])[r];
    const char *p = s.p, *end = s.p + s.n, *hit;
    for (; k > 0; k--) {
      hit = find_bytes(p, (uint32_t)(end - p), sep.p, sep.n);
      if (!hit) break;
      p = hit + sep.n;
    }
    if (k != 0) {
      if ((rc = set_null(cx, out, n, r))) return rc;
      continue;
    }
    hit = find_bytes(p, (uint32_t)(end - p), sep.p, sep.n);
    z[r] = (weir__str){p, (uint32_t)((hit ? hit : end) - p)};
  }
  return WEIR_OK;
}

/* Compiled patterns, one per REGEXP_EXTRACT expression of an evaluation context,
 * JIT-compiled on first use. */
struct weir__regex_cache {
  const weir__expr *e;
  pcre2_code *code;
  pcre2_match_data *md;
  weir__regex_cache *next;
};

void weir__evalctx_release(weir__evalctx *cx) {
  while (cx->regex) {
    weir__regex_cache *c = cx->regex;
    cx->regex = c->next;
    pcre2_match_data_free(c->md);
    pcre2_code_free(c->code);
    weir__free(c);
  }
}

static weir__regex_cache *regex_of(const weir__expr *e, ectx *cx) {
  for (weir__regex_cache *c = cx->regex; c; c = c->next)
    if (c->e == e) return c;
  const weir__str pat = e->args[1]->val.s;
  int ec;
  PCRE2_SIZE eo;
  pcre2_code *code = pcre2_compile((PCRE2_SPTR)pat.p, pat.n, PCRE2_UTF, &ec, &eo, NULL);
  if (!code) {
    row_error(cx, WEIR_ERROR, e, "invalid regular expression '%.*s'", (int)pat.n, pat.p);
    return NULL;
  }
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE); /* without JIT, matching is slower, not wrong */
  weir__regex_cache *c = weir__malloc(sizeof *c);
  pcre2_match_data *md = pcre2_match_data_create_from_pattern(code, NULL);
  if (!c || !md) {
    weir__free(c);
    pcre2_match_data_free(md);
    pcre2_code_free(code);
    nomem(cx);
    return NULL;
  }
  *c = (weir__regex_cache){e, code, md, cx->regex};
  cx->regex = c;
  return c;
}

/* REGEXP_EXTRACT(s, pattern [, group]): group (default 0, the whole match) of the first
 * match of the pattern (Perl-compatible syntax, as Java's that Flink uses, through
 * PCRE2); NULL when nothing matches or the group took no part in the match. The pattern
 * is a constant, checked by the binder. */
static int eval_regexp_extract(const weir__expr *e, const weir__chunk *in, const uint64_t *mask,
                               weir__vec *out, ectx *cx) {
  weir__vec a[3];
  int rc, n = in->n;
  if ((rc = eval_args_strict(e, in, mask, a, out, cx))) return rc;
  weir__regex_cache *rx = regex_of(e, cx);
  if (!rx) return cx->err->code ? cx->err->code : WEIR_ERROR;
  uint32_t ngroups;
  pcre2_pattern_info(rx->code, PCRE2_INFO_CAPTURECOUNT, &ngroups);
  weir__str *z = WEIR_VEC_STR(out);
  for (int r = 0; r < n; r++) {
    if (weir__vec_is_null(out, r)) continue;
    weir__str s = WEIR_VEC_STR(&a[0])[r];
    int64_t g = e->nargs > 2 ? WEIR_VEC_I64(&a[2])[r] : 0;
    int m = g < 0 || g > (int64_t)ngroups
                ? -1
                : pcre2_match(rx->code, (PCRE2_SPTR)(s.n ? s.p : ""), s.n, 0, 0, rx->md, NULL);
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(rx->md);
    if (m < 0 || g >= m || ov[2 * g] == PCRE2_UNSET) {
      /* No match, an unknown group, a group that did not take part, or a subject that is
       * not valid UTF-8: NULL. */
      if ((rc = set_null(cx, out, n, r))) return rc;
      continue;
    }
    z[r] = (weir__str){s.p + ov[2 * g], (uint32_t)(ov[2 * g + 1] - ov[2 * g])};
  }
  return WEIR_OK;
}

/* ---- time fields and processing time ---------------------------------------------- */

/* YEAR(ts), MONTH, DAYOFMONTH, HOUR, MINUTE, SECOND of a TIMESTAMP (UTC). */
static int eval_time_field(const weir__expr *e, const weir__chunk *in, const uint64_t *mask,
                           weir__vec *out, ectx *cx) {
  int rc, n = in->n;
  weir__vec a;
  if ((rc = weir__eval(e->args[0], in, mask, &a, cx))) return rc;
  if ((rc = vec_new(cx, out, WEIR_TYPE_BIGINT, n))) return rc;
  out->valid = a.valid;
  const int64_t *x = WEIR_VEC_I64(&a);
  int64_t *z = WEIR_VEC_I64(out);
  for (int r = 0; r < n; r++) {
    int64_t days = weir__floordiv(x[r], WEIR_MS_PER_DAY);
    int64_t ms = x[r] - days * WEIR_MS_PER_DAY;
    switch (e->flags) {
    case WEIR_FIELD_HOUR: z[r] = ms / 3600000; break;
    case WEIR_FIELD_MINUTE: z[r] = ms / 60000 % 60; break;
    case WEIR_FIELD_SECOND: z[r] = ms / 1000 % 60; break;
    default: {
      int64_t y;
      unsigned mo, d;
      weir__civil_from_days(days, &y, &mo, &d);
      z[r] = e->flags == WEIR_FIELD_YEAR ? y : e->flags == WEIR_FIELD_MONTH ? (int64_t)mo : d;
    }
    }
  }
  return WEIR_OK;
}

/* PROCTIME(): the wall-clock time, in milliseconds since the epoch, when the chunk is
 * evaluated. */
static int eval_proctime(const weir__expr *e, const weir__chunk *in, weir__vec *out, ectx *cx) {
  int rc, n = in->n;
  if ((rc = vec_new(cx, out, e->type, n))) return rc;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
  int64_t *z = WEIR_VEC_I64(out);
  for (int r = 0; r < n; r++) z[r] = now;
  return WEIR_OK;
}

/* ---- numeric functions ----------------------------------------------------------- */

static int eval_numeric_fn(const weir__expr *e, const weir__chunk *in, const uint64_t *mask,
                           weir__vec *out, ectx *cx) {
  int n = in->n, rc;
  weir__vec a;
  if ((rc = weir__eval(e->args[0], in, mask, &a, cx))) return rc;
  if (e->type != WEIR_TYPE_DOUBLE && e->op != EXPR_FN_ABS && e->op != EXPR_NEG) {
    /* FLOOR / CEIL of an integer is the integer. */
    *out = a;
    return WEIR_OK;
  }
  if ((rc = vec_new(cx, out, e->type, n))) return rc;
  out->valid = a.valid;
  if (e->type == WEIR_TYPE_DOUBLE) {
    const double *x = WEIR_VEC_F64(&a);
    double *z = WEIR_VEC_F64(out);
    switch (e->op) {
    case EXPR_FN_ABS: for (int r = 0; r < n; r++) z[r] = fabs(x[r]); break;
    case EXPR_FN_FLOOR: for (int r = 0; r < n; r++) z[r] = floor(x[r]); break;
    case EXPR_FN_CEIL: for (int r = 0; r < n; r++) z[r] = ceil(x[r]); break;
    case EXPR_NEG: for (int r = 0; r < n; r++) z[r] = -x[r]; break;
    }
    return WEIR_OK;
  }
  const int64_t *x = WEIR_VEC_I64(&a);
  int64_t *z = WEIR_VEC_I64(out);
  int64_t lo = e->type == WEIR_TYPE_INT ? INT32_MIN : INT64_MIN;
  for (int r = 0; r < n; r++) {
    if (x[r] == lo) {
      if (live(mask, &a, r))
        return row_error(cx, WEIR_RANGE, e, "integer overflow: %s of %lld does not fit in %s",
                         e->op == EXPR_NEG ? "negation" : "ABS", (long long)x[r],
                         weir__type_name(e->type));
      z[r] = 0;
    } else {
      z[r] = e->op == EXPR_NEG ? -x[r] : x[r] < 0 ? -x[r] : x[r];
    }
  }
  return WEIR_OK;
}

static int eval_time_fn(const weir__expr *e, const weir__chunk *in, const uint64_t *mask,
                        weir__vec *out, ectx *cx) {
  int n = in->n, rc;
  weir__vec a;
  if ((rc = weir__eval(e->args[0], in, mask, &a, cx))) return rc;
  if ((rc = vec_new(cx, out, e->type, n))) return rc;
  int64_t *z = WEIR_VEC_I64(out);
  if (e->op == EXPR_FN_TO_TIMESTAMP) {
    /* Unparsable text gives NULL, as in Flink. */
    out->valid = bm_new(cx, n, 1);
    if (!out->valid) return nomem(cx);
    for (int r = 0; r < n; r++) {
      weir__str s = WEIR_VEC_STR(&a)[r];
      if (weir__vec_is_null(&a, r) || weir__time_parse_ts(s.p, s.n, &z[r])) {
        z[r] = 0;
        weir__bit_clear(out->valid, r);
      }
    }
    return WEIR_OK;
  }
  /* TO_TIMESTAMP_LTZ(epoch, 0 | 3) */
  out->valid = a.valid;
  int64_t scale = e->args[1]->val.i == 0 ? 1000 : 1;
  if (a.type == WEIR_TYPE_DOUBLE) {
    const double *x = WEIR_VEC_F64(&a);
    for (int r = 0; r < n; r++) {
      double v = x[r] * (double)scale;
      if (!(v > -9.2e18 && v < 9.2e18)) {
        if (live(mask, &a, r))
          return row_error(cx, WEIR_RANGE, e, "TO_TIMESTAMP_LTZ: %g is out of range", x[r]);
        v = 0;
      }
      z[r] = (int64_t)floor(v);
    }
    return WEIR_OK;
  }
  const int64_t *x = WEIR_VEC_I64(&a);
  for (int r = 0; r < n; r++) {
    if (__builtin_mul_overflow(x[r], scale, &z[r])) {
      if (live(mask, &a, r))
        return row_error(cx, WEIR_RANGE, e, "TO_TIMESTAMP_LTZ: %lld is out of range",
                         (long long)x[r]);
      z[r] = 0;
    }
  }
  return WEIR_OK;
}

/* Time arithmetic: TIMESTAMP +/- INTERVAL (the interval is args[1]). */
static int eval_time_arith(const weir__expr *e, const weir__chunk *in, const uint64_t *mask,
                           weir__vec *out, ectx *cx) {
  weir__vec a, b;
  int rc, n = in->n;
  if ((rc = weir__eval(e->args[0], in, mask, &a, cx))) return rc;
  if ((rc = weir__eval(e->args[1], in, mask, &b, cx))) return rc;
  if ((rc = vec_new(cx, out, e->type, n)) || (rc = valid_and(cx, out, &a, &b, n))) return rc;
  const int64_t *x = WEIR_VEC_I64(&a), *y = WEIR_VEC_I64(&b);
  int64_t *z = WEIR_VEC_I64(out);
  for (int r = 0; r < n; r++) {
    int ov = e->op == EXPR_ADD ? __builtin_add_overflow(x[r], y[r], &z[r])
                               : __builtin_sub_overflow(x[r], y[r], &z[r]);
    if (ov) {
      if (live(mask, out, r)) return row_error(cx, WEIR_RANGE, e, "timestamp out of range");
      z[r] = 0;
    }
  }
  return WEIR_OK;
}

/* ---- CAST ------------------------------------------------------------------------- */

static int cast_fail(ectx *cx, const weir__expr *e, weir__vec *out, int n, int r,
                     const uint64_t *mask, const weir__vec *src, const char *text, int tlen) {
  if (e->flags & EXPR_F_TRY || !live(mask, src, r)) {
    if (!out->valid) {
      out->valid = bm_new(cx, n, 1);
      if (!out->valid) return nomem(cx);
    }
    weir__bit_clear(out->valid, r);
    return WEIR_OK;
  }
  return row_error(cx, WEIR_ERROR, e, "cannot cast '%.*s' to %s", tlen > 60 ? 60 : tlen, text,
                   weir__type_name(e->type));
}

static int parse_bool(weir__str s, int64_t *out) {
  const char *p = s.p;
  size_t n = s.n;
  while (n && isspace((unsigned char)*p)) p++, n--;
  while (n && isspace((unsigned char)p[n - 1])) n--;
  if (weir__strnicmp_eq(p, n, "true") || weir__strnicmp_eq(p, n, "1")) return *out = 1, 0;
  if (weir__strnicmp_eq(p, n, "false") || weir__strnicmp_eq(p, n, "0")) return *out = 0, 0;
  return -1;
}

static int eval_cast(const weir__expr *e, const weir__chunk *in, const uint64_t *mask,
                     weir__vec *out, ectx *cx) {
  int n = in->n, rc;
  weir__vec a;
  if ((rc = weir__eval(e->args[0], in, mask, &a, cx))) return rc;
  int from = a.type, to = e->type;
  /* Same representation: only the type changes. */
  if ((weir__type_is_time(from) && weir__type_is_time(to)) ||
      (weir__type_is_integer(from) && to == WEIR_TYPE_BIGINT) ||
      (from == WEIR_TYPE_BOOLEAN && weir__type_is_integer(to))) {
    *out = a;
    out->type = to;
    return WEIR_OK;
  }
  if ((rc = vec_new(cx, out, to, n))) return rc;
  if (a.valid) {
    /* Own copy: failed rows of TRY_CAST clear bits. */
    out->valid = bm_new(cx, n, 1);
    if (!out->valid) return nomem(cx);
    memcpy(out->valid, a.valid, (size_t)WEIR_BM_WORDS(n) * 8);
  }
  if (to == WEIR_TYPE_VARCHAR) {
    weir__str *z = WEIR_VEC_STR(out);
    weir__sb sb;
    weir__sb_init(&sb);
    for (int r = 0; r < n; r++) {
      z[r].p = "";
      z[r].n = 0;
      if (weir__vec_is_null(&a, r)) continue;
      weir__value v;
      memset(&v, 0, sizeof v);
      v.type = from;
      switch (weir__type_phys(from)) {
      case WEIR_PHYS_F64: v.d = WEIR_VEC_F64(&a)[r]; break;
      default: v.i = WEIR_VEC_I64(&a)[r]; break;
      }
      weir__sb_reset(&sb);
      weir__value_format(&v, &sb);
      if (sb.oom) {
        weir__sb_free(&sb);
        return nomem(cx);
      }
      char *p = weir__arena_strndup(cx->scratch, weir__sb_str(&sb), sb.n);
      if (!p) {
        weir__sb_free(&sb);
        return nomem(cx);
      }
      z[r].p = p;
      z[r].n = (uint32_t)sb.n;
    }
    weir__sb_free(&sb);
    return WEIR_OK;
  }
  if (from == WEIR_TYPE_VARCHAR) {
    const weir__str *x = WEIR_VEC_STR(&a);
    for (int r = 0; r < n; r++) {
      if (weir__vec_is_null(&a, r)) continue;
      weir__str s = x[r];
      int bad = 0;
      switch (to) {
      case WEIR_TYPE_INT:
      case WEIR_TYPE_BIGINT: {
        int64_t v;
        bad = weir__parse_int64(s.p, s.n, &v) || (to == WEIR_TYPE_INT && v != (int32_t)v);
        WEIR_VEC_I64(out)[r] = bad ? 0 : v;
        break;
      }
      case WEIR_TYPE_DOUBLE: {
        double v;
        bad = weir__parse_double(s.p, s.n, &v);
        WEIR_VEC_F64(out)[r] = bad ? 0 : v;
        break;
      }
      case WEIR_TYPE_BOOLEAN: bad = parse_bool(s, &WEIR_VEC_I64(out)[r]); break;
      case WEIR_TYPE_DATE: bad = weir__time_parse_date(s.p, s.n, &WEIR_VEC_I64(out)[r]); break;
      case WEIR_TYPE_TIMESTAMP:
      case WEIR_TYPE_TIMESTAMP_LTZ:
        bad = weir__time_parse_ts(s.p, s.n, &WEIR_VEC_I64(out)[r]);
        break;
      default: bad = 1; break;
      }
      if (bad && (rc = cast_fail(cx, e, out, n, r, mask, &a, s.p, (int)s.n))) return rc;
    }
    return WEIR_OK;
  }
  /* Numeric, boolean and time conversions. */
  for (int r = 0; r < n; r++) {
    if (weir__vec_is_null(&a, r)) continue;
    char text[64];
    if (from == WEIR_TYPE_DOUBLE) {
      double d = WEIR_VEC_F64(&a)[r];
      if (to == WEIR_TYPE_BOOLEAN) {
        WEIR_VEC_I64(out)[r] = d != 0;
        continue;
      }
      double lim = to == WEIR_TYPE_INT ? 2147483648.0 : 9223372036854775808.0;
      if (!(d > -lim - 1 && d < lim)) {
        int tl = snprintf(text, sizeof text, "%g", d);
        if ((rc = cast_fail(cx, e, out, n, r, mask, &a, text, tl))) return rc;
        continue;
      }
      WEIR_VEC_I64(out)[r] = (int64_t)d; /* truncates toward zero */
      continue;
    }
    int64_t v = WEIR_VEC_I64(&a)[r];
    switch (to) {
    case WEIR_TYPE_DOUBLE: WEIR_VEC_F64(out)[r] = (double)v; break;
    case WEIR_TYPE_BOOLEAN: WEIR_VEC_I64(out)[r] = v != 0; break;
    case WEIR_TYPE_INT:
      if (v != (int32_t)v) {
        int tl = snprintf(text, sizeof text, "%lld", (long long)v);
        if ((rc = cast_fail(cx, e, out, n, r, mask, &a, text, tl))) return rc;
        continue;
      }
      WEIR_VEC_I64(out)[r] = v;
      break;
    case WEIR_TYPE_DATE: WEIR_VEC_I64(out)[r] = weir__floordiv(v, WEIR_MS_PER_DAY); break;
    case WEIR_TYPE_TIMESTAMP:
    case WEIR_TYPE_TIMESTAMP_LTZ:
      if (from == WEIR_TYPE_DATE && __builtin_mul_overflow(v, WEIR_MS_PER_DAY, &v)) v = 0;
      WEIR_VEC_I64(out)[r] = v;
      break;
    default: WEIR_VEC_I64(out)[r] = v; break;
    }
  }
  return WEIR_OK;
}

/* ---- dispatch ------------------------------------------------------------------- */

int weir__eval(const weir__expr *e, const weir__chunk *in, const uint64_t *mask, weir__vec *out,
               weir__evalctx *cx) {
  switch (e->op) {
  case EXPR_COL: *out = in->cols[e->col]; return WEIR_OK;
  case EXPR_CONST: return eval_const(e, in->n, out, cx);
  case EXPR_ADD:
  case EXPR_SUB:
    if (weir__type_is_time(e->type) || e->type == WEIR_TYPE_INTERVAL)
      return eval_time_arith(e, in, mask, out, cx);
    return eval_arith(e, in, mask, out, cx);
  case EXPR_MUL:
  case EXPR_DIV:
  case EXPR_MOD: return eval_arith(e, in, mask, out, cx);
  case EXPR_NEG: return eval_numeric_fn(e, in, mask, out, cx);
  case EXPR_CONCAT: return eval_concat(e, in, mask, out, cx);
  case EXPR_EQ:
  case EXPR_NE:
  case EXPR_LT:
  case EXPR_LE:
  case EXPR_GT:
  case EXPR_GE: return eval_compare(e, in, mask, out, cx);
  case EXPR_AND:
  case EXPR_OR: return eval_andor(e, in, mask, out, cx);
  case EXPR_NOT: return eval_not(e, in, mask, out, cx);
  case EXPR_IS_NULL:
  case EXPR_IS_NOT_NULL: return eval_is_null(e, in, mask, out, cx);
  case EXPR_CASE: return eval_case(e, in, mask, out, cx);
  case EXPR_CAST: return eval_cast(e, in, mask, out, cx);
  case EXPR_IN: return eval_in(e, in, mask, out, cx);
  case EXPR_LIKE: return eval_like(e, in, mask, out, cx);
  case EXPR_COALESCE: return eval_coalesce(e, in, mask, out, cx);
  case EXPR_FN_UPPER:
  case EXPR_FN_LOWER:
  case EXPR_FN_CHAR_LENGTH:
  case EXPR_FN_TRIM: return eval_string_fn(e, in, mask, out, cx);
  case EXPR_FN_SUBSTRING: return eval_substring(e, in, mask, out, cx);
  case EXPR_FN_ABS:
  case EXPR_FN_FLOOR:
  case EXPR_FN_CEIL: return eval_numeric_fn(e, in, mask, out, cx);
  case EXPR_FN_TO_TIMESTAMP_LTZ:
  case EXPR_FN_TO_TIMESTAMP: return eval_time_fn(e, in, mask, out, cx);
  case EXPR_FN_TIME_FIELD: return eval_time_field(e, in, mask, out, cx);
  case EXPR_FN_REPLACE: return eval_replace(e, in, mask, out, cx);
  case EXPR_FN_SPLIT_INDEX: return eval_split_index(e, in, mask, out, cx);
  case EXPR_FN_REGEXP_EXTRACT: return eval_regexp_extract(e, in, mask, out, cx);
  case EXPR_FN_PROCTIME: return eval_proctime(e, in, out, cx);
  }
  return row_error(cx, WEIR_INTERNAL, e, "cannot evaluate expression operator %d", e->op);
}

int weir__eval_filter(const weir__expr *e, const weir__chunk *in, int *sel, int *nsel,
                      weir__evalctx *cx) {
  weir__vec v;
  int rc = weir__eval(e, in, NULL, &v, cx);
  if (rc) return rc;
  const int64_t *x = WEIR_VEC_I64(&v);
  int k = 0;
  if (!v.valid) {
    for (int r = 0; r < in->n; r++) {
      sel[k] = r;
      k += x[r] != 0;
    }
  } else {
    for (int r = 0; r < in->n; r++) {
      sel[k] = r;
      k += x[r] != 0 && weir__bit_get(v.valid, r);
    }
  }
  *nsel = k;
  return WEIR_OK;
}

int weir__eval_const(const weir__expr *e, weir__value *out, weir__arena *scratch,
                     weir__err *err) {
  weir__chunk one;
  memset(&one, 0, sizeof one);
  one.n = 1;
  one.cap = 1;
  weir__evalctx cx = {scratch, err, NULL};
  weir__vec v;
  int rc = weir__eval(e, &one, NULL, &v, &cx);
  weir__evalctx_release(&cx);
  if (rc) return rc;
  weir__chunk_get(&(weir__chunk){.ncol = 1, .n = 1, .cols = &v}, 0, 0, out);
  return WEIR_OK;
}

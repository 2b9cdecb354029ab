/*
 * chunk.c -- columnar chunks: allocation, reset, row copies and value
 * access.  Chunks are the unit of transport between operators (DESIGN
 * section 2): a vector per column plus a row-kind vector.
 */
#include "exec/execInt.h"

static size_t elem_size(int type) {
  switch (weir__type_phys(type)) {
  case WEIR_PHYS_F64: return sizeof(double);
  case WEIR_PHYS_STR: return sizeof(weir__str);
  default: return sizeof(int64_t);
  }
}

weir__chunk *weir__chunk_new(int ncol, const int *types, int cap) {
  weir__chunk *c = weir__calloc(1, sizeof *c);
  if (!c) return NULL;
  size_t words = (size_t)WEIR_BM_WORDS(cap);
  size_t total = sizeof(weir__vec) * (size_t)(ncol ? ncol : 1) + (size_t)cap;
  for (int i = 0; i < ncol; i++) total += elem_size(types[i]) * (size_t)cap + words * 8 + 16;
  char *mem = weir__malloc(total + 64);
  if (!mem) {
    weir__free(c);
    return NULL;
  }
  c->mem = mem;
  c->ncol = ncol;
  c->cap = cap;
  char *p = mem;
  c->cols = (weir__vec *)p;
  p += sizeof(weir__vec) * (size_t)(ncol ? ncol : 1);
  for (int i = 0; i < ncol; i++) {
    p = (char *)(((uintptr_t)p + 15) & ~(uintptr_t)15);
    c->cols[i].type = types[i];
    c->cols[i].data = p;
    p += elem_size(types[i]) * (size_t)cap;
    c->cols[i].valid = (uint64_t *)p;
    p += words * 8;
  }
  c->kind = (uint8_t *)p;
  weir__arena_init(&c->arena, 16384);
  weir__chunk_reset(c);
  return c;
}

void weir__chunk_free(weir__chunk *c) {
  if (!c) return;
  weir__arena_free(&c->arena);
  weir__free(c->mem);
  weir__free(c);
}

void weir__chunk_reset(weir__chunk *c) {
  size_t words = (size_t)WEIR_BM_WORDS(c->cap);
  for (int i = 0; i < c->ncol; i++) memset(c->cols[i].valid, 0xff, words * 8);
  memset(c->kind, WEIR_INSERT, (size_t)c->cap);
  c->n = 0;
  weir__arena_reset(&c->arena);
}

const char *weir__chunk_strdup(weir__chunk *c, const char *s, size_t n) {
  char *p = weir__arena_alloc(&c->arena, n ? n : 1);
  if (!p) return NULL;
  if (n) memcpy(p, s, n);
  return p;
}

void weir__chunk_set_null(weir__chunk *c, int col, int i) { weir__bit_clear(c->cols[col].valid, i); }

int weir__chunk_append_row(weir__chunk *dst, const weir__chunk *src, int r, int kind) {
  int i = dst->n;
  for (int c = 0; c < dst->ncol; c++) {
    const weir__vec *sv = &src->cols[c];
    weir__vec *dv = &dst->cols[c];
    if (weir__vec_is_null(sv, r)) {
      weir__bit_clear(dv->valid, i);
      continue;
    }
    weir__bit_set(dv->valid, i);
    switch (weir__type_phys(dv->type)) {
    case WEIR_PHYS_F64: WEIR_VEC_F64(dv)[i] = WEIR_VEC_F64(sv)[r]; break;
    case WEIR_PHYS_STR: {
      weir__str s = WEIR_VEC_STR(sv)[r];
      const char *p = weir__chunk_strdup(dst, s.p, s.n);
      if (!p) return -1;
      WEIR_VEC_STR(dv)[i].p = p;
      WEIR_VEC_STR(dv)[i].n = s.n;
      break;
    }
    default: WEIR_VEC_I64(dv)[i] = WEIR_VEC_I64(sv)[r]; break;
    }
  }
  dst->kind[i] = (uint8_t)kind;
  dst->n++;
  return 0;
}

void weir__chunk_get(const weir__chunk *c, int col, int row, weir__value *out) {
  const weir__vec *v = &c->cols[col];
  memset(out, 0, sizeof *out);
  out->type = v->type;
  if (weir__vec_is_null(v, row)) {
    out->null = 1;
    return;
  }
  switch (weir__type_phys(v->type)) {
  case WEIR_PHYS_F64: out->d = WEIR_VEC_F64(v)[row]; break;
  case WEIR_PHYS_STR: out->s = WEIR_VEC_STR(v)[row]; break;
  default: out->i = WEIR_VEC_I64(v)[row]; break;
  }
}

int weir__chunk_append_rows(weir__chunk *dst, const weir__chunk *src, const int *sel, int n) {
  int base = dst->n;
  for (int c = 0; c < dst->ncol; c++) {
    const weir__vec *sv = &src->cols[c];
    weir__vec *dv = &dst->cols[c];
    switch (weir__type_phys(dv->type)) {
    case WEIR_PHYS_STR: {
      const weir__str *s = WEIR_VEC_STR(sv);
      weir__str *d = WEIR_VEC_STR(dv) + base;
      /* One arena block for the strings of all rows. */
      size_t total = 0;
      for (int i = 0; i < n; i++) total += s[sel[i]].n;
      char *buf = weir__arena_alloc(&dst->arena, total ? total : 1);
      if (!buf) return -1;
      for (int i = 0; i < n; i++) {
        weir__str x = s[sel[i]];
        if (x.n) memcpy(buf, x.p, x.n);
        d[i].p = buf;
        d[i].n = x.n;
        buf += x.n;
      }
      break;
    }
    default: {
      const uint64_t *s = sv->data;
      uint64_t *d = (uint64_t *)dv->data + base;
      for (int i = 0; i < n; i++) d[i] = s[sel[i]];
      break;
    }
    }
    if (sv->valid) {
      for (int i = 0; i < n; i++) {
        if (!weir__bit_get(sv->valid, sel[i])) weir__bit_clear(dv->valid, base + i);
      }
    }
  }
  for (int i = 0; i < n; i++) dst->kind[base + i] = src->kind ? src->kind[sel[i]] : WEIR_INSERT;
  dst->n += n;
  return 0;
}

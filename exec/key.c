/*
 * key.c -- the canonical binary encoding of keys.
 *
 * Every value is written so that memcmp order equals SQL order, NULL
 * first: a tag byte (0x00 NULL, 0x01 value) followed by
 *   integers, timestamps, dates, booleans: 8 bytes big-endian with the sign
 *     bit flipped;
 *   doubles: the IEEE bits big-endian, all bits flipped for negatives and
 *     only the sign bit for positives (-0.0 is written as 0.0, every NaN
 *     as one NaN, after +Infinity);
 *   strings: the bytes with 0x00 escaped as 0x00 0xFF, ended by 0x00 0x00.
 * The same bytes are hashed for partitioning and stored as state keys.
 */
#include <math.h>

#include "exec/execInt.h"

static inline void put_u64(uint8_t *p, uint64_t v) {
  for (int i = 7; i >= 0; i--) {
    p[i] = (uint8_t)v;
    v >>= 8;
  }
}

static inline uint64_t get_u64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
  return v;
}

static uint64_t double_bits(double d) {
  if (d == 0) d = 0; /* -0.0 -> 0.0 */
  if (isnan(d)) d = NAN;
  uint64_t u;
  memcpy(&u, &d, 8);
  return (u & 0x8000000000000000ULL) ? ~u : u ^ 0x8000000000000000ULL;
}

int weir__key_encode(const weir__vec *cols, const int *idx, int nidx, int r, uint8_t *buf,
                     int len, int cap) {
  for (int k = 0; k < nidx; k++) {
    const weir__vec *v = &cols[idx ? idx[k] : k];
    if (weir__vec_is_null(v, r)) {
      if (len + 1 > cap) return -1;
      buf[len++] = 0;
      continue;
    }
    switch (weir__type_phys(v->type)) {
    case WEIR_PHYS_I64:
      if (len + 9 > cap) return -1;
      buf[len] = 1;
      put_u64(buf + len + 1, (uint64_t)WEIR_VEC_I64(v)[r] ^ 0x8000000000000000ULL);
      len += 9;
      break;
    case WEIR_PHYS_F64:
      if (len + 9 > cap) return -1;
      buf[len] = 1;
      put_u64(buf + len + 1, double_bits(WEIR_VEC_F64(v)[r]));
      len += 9;
      break;
    case WEIR_PHYS_STR: {
      weir__str s = WEIR_VEC_STR(v)[r];
      if (len + 1 + (int)s.n * 2 + 2 > cap) {
        /* Only a string with many NUL bytes could need the full bound;
         * count exactly before giving up. */
        int need = 1 + (int)s.n + 2;
        for (uint32_t i = 0; i < s.n; i++) need += s.p[i] == 0;
        if (len + need > cap) return -1;
      }
      buf[len++] = 1;
      for (uint32_t i = 0; i < s.n; i++) {
        buf[len++] = (uint8_t)s.p[i];
        if (s.p[i] == 0) buf[len++] = 0xFF;
      }
      buf[len++] = 0;
      buf[len++] = 0;
      break;
    }
    }
  }
  return len;
}

int weir__key_encode_any(const weir__vec *cols, const int *idx, int nidx, int r, uint8_t *buf,
                         int len, int cap, weir__arena *arena, uint8_t **key) {
  int n = weir__key_encode(cols, idx, nidx, r, buf, len, cap);
  if (n >= 0) {
    *key = buf;
    return n;
  }
  /* A long key: the worst case of its encoding, then encode it there. */
  int big = len + 16;
  for (int k = 0; k < nidx; k++) {
    const weir__vec *v = &cols[idx ? idx[k] : k];
    big += 10 + (weir__type_phys(v->type) == WEIR_PHYS_STR ? 2 * (int)WEIR_VEC_STR(v)[r].n : 0);
  }
  uint8_t *p = weir__arena_alloc(arena, (size_t)big);
  if (!p) return -1;
  memcpy(p, buf, (size_t)len);
  *key = p;
  return weir__key_encode(cols, idx, nidx, r, p, len, big);
}

int weir__key_decode(const uint8_t *buf, int len, int *pos, int type, weir__value *out,
                     weir__arena *arena) {
  int p = *pos;
  memset(out, 0, sizeof *out);
  out->type = type;
  if (p >= len) return -1;
  if (buf[p] == 0) {
    out->null = 1;
    *pos = p + 1;
    return 0;
  }
  if (buf[p] != 1) return -1;
  p++;
  switch (weir__type_phys(type)) {
  case WEIR_PHYS_I64:
    if (p + 8 > len) return -1;
    out->i = (int64_t)(get_u64(buf + p) ^ 0x8000000000000000ULL);
    p += 8;
    break;
  case WEIR_PHYS_F64: {
    if (p + 8 > len) return -1;
    uint64_t u = get_u64(buf + p);
    u = (u & 0x8000000000000000ULL) ? u ^ 0x8000000000000000ULL : ~u;
    memcpy(&out->d, &u, 8);
    p += 8;
    break;
  }
  case WEIR_PHYS_STR: {
    /* Find the terminator, counting escapes. */
    int q = p, n = 0;
    for (;;) {
      if (q + 1 >= len) return -1;
      if (buf[q] == 0) {
        if (buf[q + 1] == 0) break;
        if (buf[q + 1] != 0xFF) return -1;
        q += 2;
      } else {
        q++;
      }
      n++;
    }
    char *s = weir__arena_alloc(arena, (size_t)n + 1);
    if (!s) return -1;
    int k = 0;
    while (p < q) {
      s[k++] = (char)buf[p];
      p += buf[p] == 0 ? 2 : 1;
    }
    s[k] = 0;
    out->s.p = s;
    out->s.n = (uint32_t)k;
    p = q + 2;
    break;
  }
  }
  *pos = p;
  return 0;
}

/*
 * format_text.c -- decoding one textual field into a typed vector slot,
 * shared by the CSV and JSON formats; and UTF-8 validation.
 *
 * These run once per field of every record, so the common shapes have
 * hand-written fast paths: plain decimal integers and the fixed layout
 * "YYYY-MM-DD HH:MM:SS[.fff]" of timestamps.
 */
#include <stdio.h>

#include "exec/execInt.h"

int weir__utf8_valid(const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s, *end = p + n;
  /* ASCII fast path, eight bytes at a time. */
  while (p + 8 <= end) {
    uint64_t w;
    memcpy(&w, p, 8);
    if (w & 0x8080808080808080ULL) break;
    p += 8;
  }
  while (p < end) {
    unsigned c = *p;
    if (c < 0x80) {
      p++;
      continue;
    }
    int len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return 0;
    }
    if (p + len > end) return 0;
    for (int i = 1; i < len; i++) {
      if ((p[i] & 0xC0) != 0x80) return 0;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    /* Overlong forms, surrogates and values past U+10FFFF. */
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return 0;
    p += len;
  }
  return 1;
}

static void bad_value(weir__decode_err *de, const weir__field_target *t, const char *p, size_t n,
                      const char *why) {
  int show = n > 40 ? 40 : (int)n;
  snprintf(de->msg, sizeof de->msg, "expected %s for column '%s', got \"%.*s%s\"%s%s",
           weir__type_name(t->type), t->name, show, p, n > 40 ? "..." : "", why ? ": " : "",
           why ? why : "");
}

static inline int d2(const char *p) { return (p[0] - '0') * 10 + (p[1] - '0'); }

static inline int all_digits(const char *p, int n) {
  for (int i = 0; i < n; i++) {
    if ((unsigned char)(p[i] - '0') > 9) return 0;
  }
  return 1;
}

/* "YYYY-MM-DD HH:MM:SS" with optional ".f", ".ff" or ".fff". */
static int fast_ts(const char *p, size_t n, int64_t *ms) {
  if (n != 19 && !(n >= 21 && n <= 23 && p[19] == '.')) return -1;
  if (p[4] != '-' || p[7] != '-' || (p[10] != ' ' && p[10] != 'T') || p[13] != ':' ||
      p[16] != ':')
    return -1;
  if (!all_digits(p, 4) || !all_digits(p + 5, 2) || !all_digits(p + 8, 2) ||
      !all_digits(p + 11, 2) || !all_digits(p + 14, 2) || !all_digits(p + 17, 2))
    return -1;
  int y = d2(p) * 100 + d2(p + 2), mo = d2(p + 5), d = d2(p + 8);
  int h = d2(p + 11), mi = d2(p + 14), s = d2(p + 17);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return -1;
  if (d > 28) {
    static const int dm[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > dm[mo - 1] || (mo == 2 && d == 29 && !leap)) return -1;
  }
  int frac = 0;
  if (n > 19) {
    int nd = (int)n - 20;
    if (!all_digits(p + 20, nd)) return -1;
    for (int i = 0; i < 3; i++) frac = frac * 10 + (i < nd ? p[20 + i] - '0' : 0);
  }
  *ms = weir__days_from_civil(y, (unsigned)mo, (unsigned)d) * WEIR_MS_PER_DAY +
        (int64_t)h * WEIR_MS_PER_HOUR + (int64_t)mi * WEIR_MS_PER_MINUTE +
        (int64_t)s * WEIR_MS_PER_SECOND + frac;
  return 0;
}

static int fast_int(const char *p, size_t n, int64_t *out) {
  size_t i = 0;
  int neg = 0;
  if (n && (p[0] == '-' || p[0] == '+')) {
    neg = p[0] == '-';
    i = 1;
  }
  if (i == n || n - i > 18) return weir__parse_int64(p, n, out);
  int64_t v = 0;
  for (; i < n; i++) {
    unsigned c = (unsigned char)p[i] - '0';
    if (c > 9) return -1;
    v = v * 10 + c;
  }
  *out = neg ? -v : v;
  return 0;
}

int weir__decode_text_value(const char *p, size_t n, const weir__field_target *t,
                            weir__chunk *out, int r, weir__decode_err *de) {
  weir__vec *v = &out->cols[t->col];
  weir__bit_set(v->valid, r);
  switch (t->type) {
  case WEIR_TYPE_VARCHAR:
    for (size_t i = 0; i < n; i++) {
      if ((unsigned char)p[i] >= 0x80) {
        if (!weir__utf8_valid(p, n)) {
          snprintf(de->msg, sizeof de->msg, "invalid UTF-8 in column '%s'", t->name);
          return -1;
        }
        break;
      }
    }
    WEIR_VEC_STR(v)[r].p = p;
    WEIR_VEC_STR(v)[r].n = (uint32_t)n;
    return 0;
  case WEIR_TYPE_INT:
  case WEIR_TYPE_BIGINT: {
    int64_t x;
    if (fast_int(p, n, &x)) {
      bad_value(de, t, p, n, NULL);
      return -1;
    }
    if (t->type == WEIR_TYPE_INT && x != (int32_t)x) {
      bad_value(de, t, p, n, "out of range");
      return -1;
    }
    WEIR_VEC_I64(v)[r] = x;
    return 0;
  }
  case WEIR_TYPE_DOUBLE:
    if (weir__parse_double(p, n, &WEIR_VEC_F64(v)[r])) {
      bad_value(de, t, p, n, NULL);
      return -1;
    }
    return 0;
  case WEIR_TYPE_BOOLEAN:
    if (weir__strnicmp_eq(p, n, "true"))
      WEIR_VEC_I64(v)[r] = 1;
    else if (weir__strnicmp_eq(p, n, "false"))
      WEIR_VEC_I64(v)[r] = 0;
    else {
      bad_value(de, t, p, n, NULL);
      return -1;
    }
    return 0;
  case WEIR_TYPE_DATE:
    if (weir__time_parse_date(p, n, &WEIR_VEC_I64(v)[r])) {
      bad_value(de, t, p, n, NULL);
      return -1;
    }
    return 0;
  case WEIR_TYPE_TIMESTAMP:
  case WEIR_TYPE_TIMESTAMP_LTZ:
    if (fast_ts(p, n, &WEIR_VEC_I64(v)[r]) && weir__time_parse_ts(p, n, &WEIR_VEC_I64(v)[r])) {
      bad_value(de, t, p, n, NULL);
      return -1;
    }
    return 0;
  }
  snprintf(de->msg, sizeof de->msg, "column '%s': type %s cannot be read from text", t->name,
           weir__type_name(t->type));
  return -1;
}

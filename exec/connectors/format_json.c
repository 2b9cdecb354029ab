/*
 * format_json.c -- the JSON-lines decoder: one object per line, fields
 * matched to columns by name (case-insensitively).
 *
 * Values convert to the column's type as Flink's JSON format does: numbers
 * to numeric columns (and to VARCHAR as their text), strings to VARCHAR
 * and, parsed, to any other type ("42", "2018-01-31 12:00:00"), true/false
 * to BOOLEAN, null to NULL; a nested object or array into a VARCHAR column
 * keeps its JSON text.  Absent fields are NULL unless fail_on_missing.
 * Strings without escapes are not copied.
 *
 * Entry point: weir__json_decode.
 */
#include <stdio.h>

#include "exec/execInt.h"

typedef struct jp {
  const char *start, *p, *end;
  weir__decode_err *de;
} jp;

static void ws(jp *j) {
  while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n'))
    j->p++;
}

static int fail(jp *j, const char *what) {
  snprintf(j->de->msg, sizeof j->de->msg, "invalid JSON: %s at character %d", what,
           (int)(j->p - j->start) + 1);
  return -1;
}

/* Scan a string whose opening quote is at j->p; returns its raw span
 * (without quotes) and whether it has escapes. */
static int scan_string(jp *j, const char **s, size_t *n, int *escaped) {
  j->p++;
  const char *start = j->p;
  *escaped = 0;
  while (j->p < j->end) {
    unsigned char c = (unsigned char)*j->p;
    if (c == '"') {
      *s = start;
      *n = (size_t)(j->p - start);
      j->p++;
      return 0;
    }
    if (c == '\\') {
      *escaped = 1;
      j->p += 2;
      continue;
    }
    if (c < 0x20) return fail(j, "control character in string");
    j->p++;
  }
  return fail(j, "unterminated string");
}

static int hex4(const char *p, uint32_t *out) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9')
      v |= (uint32_t)(c - '0');
    else if (c >= 'a' && c <= 'f')
      v |= (uint32_t)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      v |= (uint32_t)(c - 'A' + 10);
    else
      return -1;
  }
  *out = v;
  return 0;
}

/* Unescape s[0..n) into dst (at least n bytes); returns the length or -1. */
static int unescape(const char *s, size_t n, char *dst, weir__decode_err *de) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] != '\\') {
      dst[k++] = s[i];
      continue;
    }
    if (++i >= n) break;
    switch (s[i]) {
    case '"': dst[k++] = '"'; break;
    case '\\': dst[k++] = '\\'; break;
    case '/': dst[k++] = '/'; break;
    case 'b': dst[k++] = '\b'; break;
    case 'f': dst[k++] = '\f'; break;
    case 'n': dst[k++] = '\n'; break;
    case 'r': dst[k++] = '\r'; break;
    case 't': dst[k++] = '\t'; break;
    case 'u': {
      uint32_t cp;
      if (i + 4 >= n || hex4(s + i + 1, &cp)) goto bad;
      i += 4;
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        uint32_t lo;
        if (i + 6 >= n || s[i + 1] != '\\' || s[i + 2] != 'u' || hex4(s + i + 3, &lo) ||
            lo < 0xDC00 || lo > 0xDFFF)
          goto bad;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        i += 6;
      } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        goto bad;
      }
      /* A \uXXXX escape takes 6 bytes of input and at most 4 of output. */
      if (cp < 0x80) {
        dst[k++] = (char)cp;
      } else if (cp < 0x800) {
        dst[k++] = (char)(0xC0 | (cp >> 6));
        dst[k++] = (char)(0x80 | (cp & 0x3F));
      } else if (cp < 0x10000) {
        dst[k++] = (char)(0xE0 | (cp >> 12));
        dst[k++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        dst[k++] = (char)(0x80 | (cp & 0x3F));
      } else {
        dst[k++] = (char)(0xF0 | (cp >> 18));
        dst[k++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        dst[k++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        dst[k++] = (char)(0x80 | (cp & 0x3F));
      }
      break;
    }
    default: goto bad;
    }
  }
  return (int)k;
bad:
  snprintf(de->msg, sizeof de->msg, "invalid JSON: bad escape sequence in string");
  return -1;
}

/* Skip a nested object or array starting at j->p. */
static int skip_nested(jp *j) {
  int depth = 0;
  while (j->p < j->end) {
    char c = *j->p;
    if (c == '"') {
      const char *s;
      size_t n;
      int esc;
      if (scan_string(j, &s, &n, &esc)) return -1;
      continue;
    }
    if (c == '{' || c == '[') depth++;
    if (c == '}' || c == ']') {
      if (--depth == 0) {
        j->p++;
        return 0;
      }
    }
    j->p++;
  }
  return fail(j, "unterminated object or array");
}

static int is_num_char(char c) {
  return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

enum { V_STRING, V_NUMBER, V_TRUE, V_FALSE, V_NULL, V_NESTED };

int weir__json_decode(const char *line, size_t n, const weir__field_target *targets,
                      int ntargets, int fail_on_missing, weir__chunk *out, int r,
                      weir__decode_err *de) {
  jp j = {line, line, line + n, de};
  uint64_t seen[WEIR_JSON_MAX_COLUMNS / 64];
  memset(seen, 0, sizeof seen);
  ws(&j);
  if (j.p >= j.end || *j.p != '{') return fail(&j, "expected '{'");
  j.p++;
  ws(&j);
  if (j.p < j.end && *j.p == '}') {
    j.p++;
  } else {
    for (;;) {
      ws(&j);
      if (j.p >= j.end || *j.p != '"') return fail(&j, "expected a field name");
      const char *key;
      size_t klen;
      int kesc;
      if (scan_string(&j, &key, &klen, &kesc)) return -1;
      char kbuf[256];
      if (kesc) {
        if (klen > sizeof kbuf) return fail(&j, "field name too long");
        int k = unescape(key, klen, kbuf, de);
        if (k < 0) return -1;
        key = kbuf;
        klen = (size_t)k;
      }
      ws(&j);
      if (j.p >= j.end || *j.p != ':') return fail(&j, "expected ':'");
      j.p++;
      ws(&j);
      if (j.p >= j.end) return fail(&j, "expected a value");
      /* The value. */
      const char *vp = j.p;
      size_t vn = 0;
      int kind, vesc = 0;
      char c = *j.p;
      if (c == '"') {
        kind = V_STRING;
        if (scan_string(&j, &vp, &vn, &vesc)) return -1;
      } else if (c == '{' || c == '[') {
        kind = V_NESTED;
        if (skip_nested(&j)) return -1;
        vn = (size_t)(j.p - vp);
      } else if (c == 't' && j.end - j.p >= 4 && memcmp(j.p, "true", 4) == 0) {
        kind = V_TRUE;
        j.p += 4;
        vn = 4;
      } else if (c == 'f' && j.end - j.p >= 5 && memcmp(j.p, "false", 5) == 0) {
        kind = V_FALSE;
        j.p += 5;
        vn = 5;
      } else if (c == 'n' && j.end - j.p >= 4 && memcmp(j.p, "null", 4) == 0) {
        kind = V_NULL;
        j.p += 4;
      } else if (c == '-' || (c >= '0' && c <= '9')) {
        kind = V_NUMBER;
        while (j.p < j.end && is_num_char(*j.p)) j.p++;
        vn = (size_t)(j.p - vp);
      } else {
        return fail(&j, "unexpected character");
      }
      /* The column it goes to. */
      int t = -1;
      for (int i = 0; i < ntargets; i++) {
        if (weir__strnicmp_eq(key, klen, targets[i].name)) {
          t = i;
          break;
        }
      }
      if (t >= 0) seen[t >> 6] |= 1ULL << (t & 63);
      if (t >= 0 && targets[t].col >= 0) {
        const weir__field_target *ft = &targets[t];
        weir__vec *v = &out->cols[ft->col];
        if (kind == V_NULL) {
          weir__bit_clear(v->valid, r);
        } else if (kind == V_STRING && vesc) {
          char *buf = weir__arena_alloc(&out->arena, vn ? vn : 1);
          if (!buf) return fail(&j, "out of memory");
          int k = unescape(vp, vn, buf, de);
          if (k < 0) return -1;
          if (weir__decode_text_value(buf, (size_t)k, ft, out, r, de)) return -1;
        } else if (kind == V_NUMBER && ft->type == WEIR_TYPE_BOOLEAN) {
          snprintf(de->msg, sizeof de->msg, "expected BOOLEAN for field '%s', got %.*s", ft->name,
                   (int)(vn > 40 ? 40 : vn), vp);
          return -1;
        } else if ((kind == V_TRUE || kind == V_FALSE) && ft->type != WEIR_TYPE_BOOLEAN &&
                   ft->type != WEIR_TYPE_VARCHAR) {
          snprintf(de->msg, sizeof de->msg, "expected %s for field '%s', got %s",
                   weir__type_name(ft->type), ft->name, kind == V_TRUE ? "true" : "false");
          return -1;
        } else if (kind == V_NESTED && ft->type != WEIR_TYPE_VARCHAR) {
          snprintf(de->msg, sizeof de->msg, "expected %s for field '%s', got a JSON %s",
                   weir__type_name(ft->type), ft->name, *vp == '{' ? "object" : "array");
          return -1;
        } else if (kind == V_NUMBER && weir__type_is_time(ft->type)) {
          snprintf(de->msg, sizeof de->msg,
                   "expected a timestamp string for field '%s', got the number %.*s; declare it "
                   "BIGINT and add a computed column TO_TIMESTAMP_LTZ(%s, 3)",
                   ft->name, (int)(vn > 40 ? 40 : vn), vp, ft->name);
          return -1;
        } else {
          if (weir__decode_text_value(vp, vn, ft, out, r, de)) return -1;
        }
      }
      ws(&j);
      if (j.p < j.end && *j.p == ',') {
        j.p++;
        continue;
      }
      if (j.p < j.end && *j.p == '}') {
        j.p++;
        break;
      }
      return fail(&j, "expected ',' or '}'");
    }
  }
  ws(&j);
  if (j.p != j.end) return fail(&j, "unexpected text after the object");
  for (int i = 0; i < ntargets; i++) {
    if (seen[i >> 6] & (1ULL << (i & 63))) continue;
    if (fail_on_missing) {
      snprintf(de->msg, sizeof de->msg, "field '%s' is missing", targets[i].name);
      return -1;
    }
    if (targets[i].col >= 0) weir__bit_clear(out->cols[targets[i].col].valid, r);
  }
  return 0;
}

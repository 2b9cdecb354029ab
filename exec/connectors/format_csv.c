/*
 * format_csv.c -- the CSV decoder (RFC 4180).
 *
 * Fields are separated by a delimiter and records by LF or CRLF; a field
 * in quotes may contain delimiters, line breaks and doubled quotes.  An
 * empty unquoted field is NULL for every type but VARCHAR (where it is the
 * empty string), as in Flink's CSV format; 'csv.null-literal' names a text
 * that always means NULL.  Decoding goes straight into the output chunk;
 * unquoted strings are not copied (they point into the read buffer, which
 * stays unchanged until the chunk has been pushed).
 *
 * Entry points: weir__csv_decode, weir__csv_header.
 */
#include <stdio.h>

#include "exec/execInt.h"

/* Store one field; returns 0 or -1 (message in de). */
static int store(const char *p, size_t n, int quoted, int unescape, const weir__csv_opts *o,
                 const weir__field_target *t, weir__chunk *out, int r, weir__decode_err *de) {
  weir__vec *v = &out->cols[t->col];
  if (!quoted && o->null_literal && strlen(o->null_literal) == n &&
      memcmp(o->null_literal, p, n) == 0) {
    weir__bit_clear(v->valid, r);
    return 0;
  }
  if (n == 0 && t->type != WEIR_TYPE_VARCHAR) {
    weir__bit_clear(v->valid, r);
    return 0;
  }
  if (unescape) {
    /* Doubled quotes stand for one: copy into the chunk's arena. */
    char *buf = weir__arena_alloc(&out->arena, n ? n : 1);
    if (!buf) {
      snprintf(de->msg, sizeof de->msg, "out of memory");
      return -1;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
      buf[k++] = p[i];
      if (p[i] == o->quote) i++;
    }
    p = buf;
    n = k;
  }
  return weir__decode_text_value(p, n, t, out, r, de);
}

int weir__csv_decode(const char *buf, size_t len, size_t *pos, int at_eof,
                     const weir__csv_opts *o, const weir__field_target *targets, int ntargets,
                     weir__chunk *out, int r, int *lines, weir__decode_err *de) {
  size_t i = *pos;
  int field = 0, nl = 0, bad = 0;
  const char delim = o->delim, quote = o->quote;
  for (;;) {
    const char *fp;
    size_t fn;
    int quoted = 0, unescape = 0;
    if (i < len && buf[i] == quote) {
      quoted = 1;
      size_t start = ++i;
      for (;;) {
        if (i >= len) {
          if (!at_eof) return 0;
          snprintf(de->msg, sizeof de->msg, "unterminated quoted field %d", field + 1);
          *pos = len;
          *lines = nl;
          return -1;
        }
        char c = buf[i];
        if (c == quote) {
          if (i + 1 >= len && !at_eof) return 0;
          if (i + 1 < len && buf[i + 1] == quote) {
            unescape = 1;
            i += 2;
            continue;
          }
          break;
        }
        if (c == '\n') nl++;
        i++;
      }
      fp = buf + start;
      fn = i - start;
      i++; /* the closing quote */
      if (i < len && buf[i] != delim && buf[i] != '\n' && buf[i] != '\r' && !bad) {
        snprintf(de->msg, sizeof de->msg,
                 "unexpected character '%c' after the closing quote of field %d", buf[i],
                 field + 1);
        bad = 1;
      }
      /* Skip to the field's end so the record can still be delimited. */
      while (i < len && buf[i] != delim && buf[i] != '\n' && buf[i] != '\r') i++;
      if (i >= len && !at_eof) return 0;
    } else {
      size_t start = i;
      while (i < len) {
        char c = buf[i];
        if (c == delim || c == '\n' || c == '\r') break;
        i++;
      }
      if (i >= len && !at_eof) return 0;
      fp = buf + start;
      fn = i - start;
    }
    if (!bad && field < ntargets && targets[field].col >= 0) {
      if (store(fp, fn, quoted, unescape, o, &targets[field], out, r, de)) bad = 1;
    }
    field++;
    if (i < len && buf[i] == delim) {
      i++;
      continue;
    }
    /* End of the record. */
    if (i < len && buf[i] == '\r') {
      if (i + 1 >= len && !at_eof) return 0;
      i++;
    }
    if (i < len && buf[i] == '\n') {
      i++;
      nl++;
    }
    break;
  }
  *pos = i;
  *lines = nl;
  if (bad) return -1;
  if (field != ntargets) {
    snprintf(de->msg, sizeof de->msg, "expected %d field%s, got %d", ntargets,
             ntargets == 1 ? "" : "s", field);
    return -1;
  }
  return 1;
}

int weir__csv_header(const char *line, size_t n, const weir__csv_opts *o, weir__arena *a,
                     char ***names) {
  int cap = 16, count = 0;
  char **v = weir__arena_alloc(a, sizeof(char *) * (size_t)cap);
  if (!v) return -1;
  size_t i = 0;
  for (;;) {
    weir__sb sb;
    weir__sb_init(&sb);
    if (i < n && line[i] == o->quote) {
      i++;
      while (i < n) {
        if (line[i] == o->quote) {
          if (i + 1 < n && line[i + 1] == o->quote) {
            weir__sb_putc(&sb, o->quote);
            i += 2;
            continue;
          }
          i++;
          break;
        }
        weir__sb_putc(&sb, line[i++]);
      }
      while (i < n && line[i] != o->delim) i++;
    } else {
      while (i < n && line[i] != o->delim) weir__sb_putc(&sb, line[i++]);
    }
    if (count == cap) {
      char **nv = weir__arena_alloc(a, sizeof(char *) * (size_t)cap * 2);
      if (!nv) {
        weir__sb_free(&sb);
        return -1;
      }
      memcpy(nv, v, sizeof(char *) * (size_t)cap);
      v = nv;
      cap *= 2;
    }
    /* Header names are trimmed of surrounding blanks. */
    const char *s = weir__sb_str(&sb);
    size_t sl = sb.n;
    while (sl && (*s == ' ' || *s == '\t')) s++, sl--;
    while (sl && (s[sl - 1] == ' ' || s[sl - 1] == '\t')) sl--;
    v[count] = weir__arena_strndup(a, s, sl);
    weir__sb_free(&sb);
    if (!v[count]) return -1;
    count++;
    if (i < n && line[i] == o->delim) {
      i++;
      continue;
    }
    break;
  }
  *names = v;
  return count;
}

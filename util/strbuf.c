/*
 * strbuf.c -- growable strings, error records and small text helpers.
 */
#include <ctype.h>
#include <stdio.h>

#include "util.h"

void weir__sb_init(weir__sb *sb) { memset(sb, 0, sizeof *sb); }

void weir__sb_free(weir__sb *sb) {
  weir__free(sb->p);
  memset(sb, 0, sizeof *sb);
}

void weir__sb_reset(weir__sb *sb) {
  sb->n = 0;
  if (sb->p) sb->p[0] = 0;
}

static int sb_reserve(weir__sb *sb, size_t extra) {
  if (sb->oom) return -1;
  if (sb->n + extra + 1 <= sb->cap) return 0;
  size_t cap = sb->cap ? sb->cap : 64;
  while (cap < sb->n + extra + 1) cap *= 2;
  char *p = weir__realloc(sb->p, cap);
  if (!p) {
    sb->oom = 1;
    return -1;
  }
  sb->p = p;
  sb->cap = cap;
  return 0;
}

void weir__sb_append(weir__sb *sb, const char *s, size_t n) {
  if (sb_reserve(sb, n)) return;
  memcpy(sb->p + sb->n, s, n);
  sb->n += n;
  sb->p[sb->n] = 0;
}

void weir__sb_puts(weir__sb *sb, const char *s) { weir__sb_append(sb, s, strlen(s)); }

void weir__sb_putc(weir__sb *sb, char c) { weir__sb_append(sb, &c, 1); }

void weir__sb_vprintf(weir__sb *sb, const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int len = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (len < 0 || sb_reserve(sb, (size_t)len)) return;
  vsnprintf(sb->p + sb->n, (size_t)len + 1, fmt, ap);
  sb->n += (size_t)len;
}

void weir__sb_printf(weir__sb *sb, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  weir__sb_vprintf(sb, fmt, ap);
  va_end(ap);
}

void weir__sb_sqlquote(weir__sb *sb, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '\'') weir__sb_putc(sb, '\'');
    weir__sb_putc(sb, s[i]);
  }
}

char *weir__sb_take(weir__sb *sb) {
  if (sb->oom) {
    weir__sb_free(sb);
    return NULL;
  }
  if (!sb->p && sb_reserve(sb, 0)) return NULL;
  if (sb->n == 0) sb->p[0] = 0;
  char *p = sb->p;
  memset(sb, 0, sizeof *sb);
  return p;
}

const char *weir__sb_str(weir__sb *sb) { return sb->p ? sb->p : ""; }

/* ---- errors ---------------------------------------------------------- */

void weir__err_clear(weir__err *e) {
  e->code = WEIR_OK;
  e->offset = -1;
  e->msg[0] = 0;
}

int weir__err_vset(weir__err *e, int code, int offset, const char *fmt, va_list ap) {
  if (e->code != WEIR_OK) return e->code; /* the first error wins */
  e->code = code;
  e->offset = offset;
  vsnprintf(e->msg, sizeof e->msg, fmt, ap);
  return code;
}

int weir__err_set(weir__err *e, int code, int offset, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = weir__err_vset(e, code, offset, fmt, ap);
  va_end(ap);
  return rc;
}

int weir__err_force(weir__err *e, int code, int offset, const char *fmt, ...) {
  weir__err_clear(e);
  va_list ap;
  va_start(ap, fmt);
  int rc = weir__err_vset(e, code, offset, fmt, ap);
  va_end(ap);
  return rc;
}

int weir__err_nomem(weir__err *e) { return weir__err_set(e, WEIR_NOMEM, -1, "out of memory"); }

/* ---- text helpers ---------------------------------------------------- */

int weir__strnicmp_eq(const char *a, size_t n, const char *b) {
  size_t i;
  for (i = 0; i < n; i++) {
    if (!b[i] || tolower((unsigned char)a[i]) != tolower((unsigned char)b[i])) return 0;
  }
  return b[i] == 0;
}

int weir__stricmp(const char *a, const char *b) {
  for (;; a++, b++) {
    int ca = tolower((unsigned char)*a), cb = tolower((unsigned char)*b);
    if (ca != cb || !ca) return ca - cb;
  }
}

/*
 * mem.c -- heap allocation wrappers, arenas and pointer arrays.
 *
 * Every allocation in weir goes through weir__malloc and friends so that
 * fault-injection tests can fail the Nth allocation in one place.  Arenas
 * give memory a lifetime (statement, job, chunk) and free it in one call.
 */
#include <stdlib.h>

#include "util.h"

void *weir__malloc(size_t n) { return malloc(n ? n : 1); }
void *weir__calloc(size_t n, size_t size) { return calloc(n ? n : 1, size ? size : 1); }
void *weir__realloc(void *p, size_t n) { return realloc(p, n ? n : 1); }
void weir__free(void *p) { free(p); }

char *weir__strndup(const char *s, size_t n) {
  char *p = weir__malloc(n + 1);
  if (!p) return NULL;
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}

char *weir__strdup(const char *s) { return weir__strndup(s, strlen(s)); }

/* ---- arenas ---------------------------------------------------------- */

struct weir__arena_block {
  weir__arena_block *prev;
  size_t size; /* usable bytes after the header */
  size_t pos;  /* next free byte */
  /* data follows, 16-byte aligned */
};

#define BLOCK_HDR ((sizeof(weir__arena_block) + 15) & ~(size_t)15)

void weir__arena_init(weir__arena *a, size_t block_size) {
  a->head = NULL;
  a->block_size = block_size ? block_size : 8192;
  a->used = 0;
}

static weir__arena_block *new_block(size_t size) {
  weir__arena_block *b = weir__malloc(BLOCK_HDR + size);
  if (!b) return NULL;
  b->prev = NULL;
  b->size = size;
  b->pos = 0;
  return b;
}

void *weir__arena_alloc(weir__arena *a, size_t n) {
  n = (n + 15) & ~(size_t)15;
  if (n == 0) n = 16;
  weir__arena_block *b = a->head;
  if (!b || b->size - b->pos < n) {
    if (n > a->block_size / 4) {
      /* A large request gets a block of its own, placed behind the
       * current one so that the current block keeps being filled. */
      weir__arena_block *big = new_block(n);
      if (!big) return NULL;
      big->pos = n;
      if (b) {
        big->prev = b->prev;
        b->prev = big;
      } else {
        a->head = big;
      }
      a->used += n;
      return (char *)big + BLOCK_HDR;
    }
    weir__arena_block *nb = new_block(a->block_size);
    if (!nb) return NULL;
    nb->prev = b;
    a->head = nb;
    b = nb;
  }
  void *p = (char *)b + BLOCK_HDR + b->pos;
  b->pos += n;
  a->used += n;
  return p;
}

void *weir__arena_zalloc(weir__arena *a, size_t n) {
  void *p = weir__arena_alloc(a, n);
  if (p) memset(p, 0, n);
  return p;
}

char *weir__arena_strndup(weir__arena *a, const char *s, size_t n) {
  char *p = weir__arena_alloc(a, n + 1);
  if (!p) return NULL;
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}

char *weir__arena_strdup(weir__arena *a, const char *s) {
  return weir__arena_strndup(a, s, strlen(s));
}

char *weir__arena_printf(weir__arena *a, const char *fmt, ...) {
  weir__sb sb;
  weir__sb_init(&sb);
  va_list ap;
  va_start(ap, fmt);
  weir__sb_vprintf(&sb, fmt, ap);
  va_end(ap);
  char *r = sb.oom ? NULL : weir__arena_strndup(a, sb.p ? sb.p : "", sb.n);
  weir__sb_free(&sb);
  return r;
}

void weir__arena_reset(weir__arena *a) {
  weir__arena_block *b = a->head;
  if (!b) return;
  /* Keep the oldest regular-size block, free the rest. */
  weir__arena_block *keep = NULL;
  while (b) {
    weir__arena_block *prev = b->prev;
    if (!keep && b->size == a->block_size) {
      keep = b;
      keep->prev = NULL;
    } else {
      weir__free(b);
    }
    b = prev;
  }
  if (keep) keep->pos = 0;
  a->head = keep;
  a->used = 0;
}

void weir__arena_free(weir__arena *a) {
  weir__arena_block *b = a->head;
  while (b) {
    weir__arena_block *prev = b->prev;
    weir__free(b);
    b = prev;
  }
  a->head = NULL;
  a->used = 0;
}

/* ---- pointer arrays -------------------------------------------------- */

int weir__ptrvec_push(weir__ptrvec *pv, void *p) {
  if (pv->n == pv->cap) {
    int cap = pv->cap ? pv->cap * 2 : 8;
    void **v = weir__realloc(pv->v, (size_t)cap * sizeof(void *));
    if (!v) return -1;
    pv->v = v;
    pv->cap = cap;
  }
  pv->v[pv->n++] = p;
  return 0;
}

int weir__ptrvec_remove(weir__ptrvec *pv, const void *p) {
  for (int i = 0; i < pv->n; i++) {
    if (pv->v[i] == p) {
      memmove(pv->v + i, pv->v + i + 1, sizeof(void *) * (size_t)(pv->n - i - 1));
      pv->n--;
      return 1;
    }
  }
  return 0;
}

void weir__ptrvec_free(weir__ptrvec *pv) {
  weir__free(pv->v);
  pv->v = NULL;
  pv->n = pv->cap = 0;
}

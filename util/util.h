/*
 * util.h -- the small shared toolbox every subsystem builds on: memory
 * (allocation hooks, arenas), growable strings, error records, time and
 * date conversion, hashing and growable pointer arrays.
 *
 * Entry points: weir__malloc/free, weir__arena_*, weir__sb_*, weir__err_*,
 * weir__time_*, weir__hash64.
 */
#ifndef WEIR_UTIL_H
#define WEIR_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "weir.h"

#if defined(__GNUC__)
#define WEIR_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define WEIR_LIKELY(x) __builtin_expect(!!(x), 1)
#define WEIR_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define WEIR_PRINTF(a, b)
#define WEIR_LIKELY(x) (x)
#define WEIR_UNLIKELY(x) (x)
#endif

#define WEIR_ARRAY_LEN(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---- memory ---------------------------------------------------------- */

/* All heap memory goes through these so that a test can fail the Nth
 * allocation.  They return NULL on failure and never abort. */
void *weir__malloc(size_t n);
void *weir__calloc(size_t n, size_t size);
void *weir__realloc(void *p, size_t n);
void weir__free(void *p);
char *weir__strndup(const char *s, size_t n);
char *weir__strdup(const char *s);

/*
 * An arena hands out memory that is freed all at once: per statement
 * (tokens, AST, plans), per job, per chunk.  Allocation returns NULL on
 * out-of-memory.  Memory is 16-byte aligned.
 */
typedef struct weir__arena_block weir__arena_block;
typedef struct weir__arena {
  weir__arena_block *head; /* current block, linked to older ones */
  size_t block_size;       /* default size of a new block */
  size_t used;             /* bytes handed out (statistics) */
} weir__arena;

void weir__arena_init(weir__arena *a, size_t block_size);
void *weir__arena_alloc(weir__arena *a, size_t n);
void *weir__arena_zalloc(weir__arena *a, size_t n);
char *weir__arena_strndup(weir__arena *a, const char *s, size_t n);
char *weir__arena_strdup(weir__arena *a, const char *s);
char *weir__arena_printf(weir__arena *a, const char *fmt, ...) WEIR_PRINTF(2, 3);
/* Free every block but the first and rewind it: memory is reused. */
void weir__arena_reset(weir__arena *a);
void weir__arena_free(weir__arena *a);

/* ---- growable strings ----------------------------------------------- */

/* A string builder.  On allocation failure it sets oom and keeps what it
 * had; callers check oom once at the end. */
typedef struct weir__sb {
  char *p;
  size_t n, cap;
  int oom;
} weir__sb;

void weir__sb_init(weir__sb *sb);
void weir__sb_free(weir__sb *sb);
void weir__sb_reset(weir__sb *sb);
void weir__sb_append(weir__sb *sb, const char *s, size_t n);
void weir__sb_puts(weir__sb *sb, const char *s);
void weir__sb_putc(weir__sb *sb, char c);
void weir__sb_printf(weir__sb *sb, const char *fmt, ...) WEIR_PRINTF(2, 3);
void weir__sb_vprintf(weir__sb *sb, const char *fmt, va_list ap);
/* Append s as a SQL string literal body: quotes doubled. */
void weir__sb_sqlquote(weir__sb *sb, const char *s, size_t n);
/* Detach the buffer (NUL-terminated; never NULL unless oom). */
char *weir__sb_take(weir__sb *sb);
/* The NUL-terminated contents (valid until the next append). */
const char *weir__sb_str(weir__sb *sb);

/* ---- errors ---------------------------------------------------------- */

#define WEIR_ERRMSG_MAX 1024

/* An error record: result code, message and the byte offset of the token
 * it is about (-1 if none).  Functions that can fail take one and return
 * its code. */
typedef struct weir__err {
  int code;
  int offset;
  char msg[WEIR_ERRMSG_MAX];
} weir__err;

void weir__err_clear(weir__err *e);
/* Record an error; returns code so that `return weir__err_set(...)` works.
 * A second error does not overwrite the first one. */
int weir__err_set(weir__err *e, int code, int offset, const char *fmt, ...)
    WEIR_PRINTF(4, 5);
int weir__err_vset(weir__err *e, int code, int offset, const char *fmt,
                   va_list ap);
/* Overwrite whatever was recorded. */
int weir__err_force(weir__err *e, int code, int offset, const char *fmt, ...)
    WEIR_PRINTF(4, 5);
int weir__err_nomem(weir__err *e);

/* ---- time ------------------------------------------------------------ */

#define WEIR_MS_PER_SECOND 1000LL
#define WEIR_MS_PER_MINUTE 60000LL
#define WEIR_MS_PER_HOUR 3600000LL
#define WEIR_MS_PER_DAY 86400000LL

/* Days since 1970-01-01 of a proleptic Gregorian date, and back
 * (H. Hinnant's civil-calendar algorithms). */
int64_t weir__days_from_civil(int64_t y, unsigned m, unsigned d);
void weir__civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

/*
 * Parse "YYYY-MM-DD[ HH:MM[:SS[.fff...]]]" (a 'T' is accepted in place of
 * the space and a trailing 'Z' is ignored) into milliseconds since the
 * epoch.  Fractions beyond milliseconds are truncated.  Returns 0, or -1
 * if the text is not a valid timestamp (including out-of-range fields).
 */
int weir__time_parse_ts(const char *s, size_t n, int64_t *ms);
/* Parse "YYYY-MM-DD" into days since the epoch; 0 or -1. */
int weir__time_parse_date(const char *s, size_t n, int64_t *days);
/* Format ms as "YYYY-MM-DD HH:MM:SS.sss" into buf (>= 32 bytes); returns
 * the length. */
int weir__time_format_ts(int64_t ms, char *buf);
/* Format days as "YYYY-MM-DD" into buf (>= 16 bytes). */
int weir__time_format_date(int64_t days, char *buf);
/* Format an interval of ms as "+1 02:03:04.005" style text into buf. */
int weir__time_format_interval(int64_t ms, char *buf);
/* floor(a / b) and the matching non-negative remainder, for b > 0. */
static inline int64_t weir__floordiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
  return q;
}
static inline int64_t weir__floormod(int64_t a, int64_t b) {
  int64_t r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}

/* Parse a duration such as "10 s", "500ms", "1 h", "2 min", "1 d" into
 * milliseconds (Flink's duration option syntax).  Returns 0 or -1. */
int weir__parse_duration(const char *s, int64_t *ms);
/* Parse a whole decimal integer with optional sign and surrounding
 * blanks; 0 or -1 (not a number or overflow). */
int weir__parse_int64(const char *s, size_t n, int64_t *out);
/* Parse a double; the whole text must be consumed; 0 or -1. */
int weir__parse_double(const char *s, size_t n, double *out);

/* ---- hashing --------------------------------------------------------- */

/* A named point where the recovery tests may kill the process
 * (WEIR_KILL_AT=name[:N], see util/fault.c). */
void weir__kill_point(const char *name);

/* XXH3 64-bit hash of bytes. */
uint64_t weir__hash64(const void *p, size_t n);

/* ---- pointer arrays -------------------------------------------------- */

/* A growable array of pointers; push returns -1 on out-of-memory. */
typedef struct weir__ptrvec {
  void **v;
  int n, cap;
} weir__ptrvec;

int weir__ptrvec_push(weir__ptrvec *pv, void *p);
void weir__ptrvec_free(weir__ptrvec *pv);
/* Remove p (its first occurrence), keeping the order; 1 if it was there. */
int weir__ptrvec_remove(weir__ptrvec *pv, const void *p);

/* Case-insensitive comparison of a counted string with a C string. */
int weir__strnicmp_eq(const char *a, size_t n, const char *b);
int weir__stricmp(const char *a, const char *b);

#endif /* WEIR_UTIL_H */

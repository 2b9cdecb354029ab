/*
 * time.c -- calendar arithmetic, timestamp/date parsing and formatting,
 * duration and number parsing, and hashing.
 *
 * Timestamps are int64 milliseconds since 1970-01-01 00:00:00 UTC on the
 * proleptic Gregorian calendar.  The civil-date conversions are Howard
 * Hinnant's public-domain algorithms ("chrono-Compatible Low-Level Date
 * Algorithms"), written out here from their description.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <xxhash.h>

#include "util.h"

int64_t weir__days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

void weir__civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t yy = (int64_t)yoe + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yy + (*m <= 2);
}

static int is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static unsigned days_in_month(int64_t y, unsigned m) {
  static const unsigned dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

/* Read exactly `width` digits at s[*i]; -1 if they are not digits. */
static int64_t digits(const char *s, size_t n, size_t *i, int width) {
  int64_t v = 0;
  for (int k = 0; k < width; k++) {
    if (*i >= n || !isdigit((unsigned char)s[*i])) return -1;
    v = v * 10 + (s[*i] - '0');
    (*i)++;
  }
  return v;
}

static int parse_date_part(const char *s, size_t n, size_t *i, int64_t *days) {
  int neg = 0;
  if (*i < n && s[*i] == '-') {
    neg = 1;
    (*i)++;
  }
  int64_t y = digits(s, n, i, 4);
  if (y < 0) return -1;
  if (neg) y = -y;
  if (*i >= n || s[*i] != '-') return -1;
  (*i)++;
  /* Months and days may have one or two digits. */
  int64_t mo = digits(s, n, i, 1);
  if (mo < 0) return -1;
  if (*i < n && isdigit((unsigned char)s[*i])) mo = mo * 10 + (s[(*i)++] - '0');
  if (*i >= n || s[*i] != '-') return -1;
  (*i)++;
  int64_t d = digits(s, n, i, 1);
  if (d < 0) return -1;
  if (*i < n && isdigit((unsigned char)s[*i])) d = d * 10 + (s[(*i)++] - '0');
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, (unsigned)mo)) return -1;
  *days = weir__days_from_civil(y, (unsigned)mo, (unsigned)d);
  return 0;
}

static void trim(const char **s, size_t *n) {
  while (*n && isspace((unsigned char)**s)) (*s)++, (*n)--;
  while (*n && isspace((unsigned char)(*s)[*n - 1])) (*n)--;
}

int weir__time_parse_date(const char *s, size_t n, int64_t *days) {
  trim(&s, &n);
  size_t i = 0;
  if (parse_date_part(s, n, &i, days)) return -1;
  return i == n ? 0 : -1;
}

int weir__time_parse_ts(const char *s, size_t n, int64_t *ms) {
  trim(&s, &n);
  size_t i = 0;
  int64_t days;
  if (parse_date_part(s, n, &i, &days)) return -1;
  int64_t h = 0, mi = 0, sec = 0, frac = 0;
  if (i < n && (s[i] == ' ' || s[i] == 'T')) {
    i++;
    if ((h = digits(s, n, &i, 2)) < 0 || h > 23) return -1;
    if (i >= n || s[i] != ':') return -1;
    i++;
    if ((mi = digits(s, n, &i, 2)) < 0 || mi > 59) return -1;
    if (i < n && s[i] == ':') {
      i++;
      if ((sec = digits(s, n, &i, 2)) < 0 || sec > 59) return -1;
      if (i < n && s[i] == '.') {
        i++;
        int nd = 0;
        while (i < n && isdigit((unsigned char)s[i])) {
          if (nd < 3) frac = frac * 10 + (s[i] - '0');
          nd++;
          i++;
        }
        if (nd == 0) return -1;
        for (; nd < 3; nd++) frac *= 10;
      }
    }
    if (i < n && s[i] == 'Z') i++;
  }
  if (i != n) return -1;
  *ms = days * WEIR_MS_PER_DAY + h * WEIR_MS_PER_HOUR + mi * WEIR_MS_PER_MINUTE +
        sec * WEIR_MS_PER_SECOND + frac;
  return 0;
}

int weir__time_format_date(int64_t days, char *buf) {
  int64_t y;
  unsigned m, d;
  weir__civil_from_days(days, &y, &m, &d);
  return snprintf(buf, 16, "%04lld-%02u-%02u", (long long)y, m, d);
}

int weir__time_format_ts(int64_t ms, char *buf) {
  int64_t days = weir__floordiv(ms, WEIR_MS_PER_DAY);
  int64_t rem = ms - days * WEIR_MS_PER_DAY;
  int64_t y;
  unsigned m, d;
  weir__civil_from_days(days, &y, &m, &d);
  unsigned h = (unsigned)(rem / WEIR_MS_PER_HOUR);
  unsigned mi = (unsigned)(rem / WEIR_MS_PER_MINUTE % 60);
  unsigned s = (unsigned)(rem / 1000 % 60);
  unsigned f = (unsigned)(rem % 1000);
  if (WEIR_LIKELY(y >= 0 && y <= 9999)) {
    /* The common case by hand: snprintf costs more than the whole
     * conversion. */
    char *p = buf;
    unsigned yy = (unsigned)y;
    p[0] = (char)('0' + yy / 1000);
    p[1] = (char)('0' + yy / 100 % 10);
    p[2] = (char)('0' + yy / 10 % 10);
    p[3] = (char)('0' + yy % 10);
    p[4] = '-';
    p[5] = (char)('0' + m / 10);
    p[6] = (char)('0' + m % 10);
    p[7] = '-';
    p[8] = (char)('0' + d / 10);
    p[9] = (char)('0' + d % 10);
    p[10] = ' ';
    p[11] = (char)('0' + h / 10);
    p[12] = (char)('0' + h % 10);
    p[13] = ':';
    p[14] = (char)('0' + mi / 10);
    p[15] = (char)('0' + mi % 10);
    p[16] = ':';
    p[17] = (char)('0' + s / 10);
    p[18] = (char)('0' + s % 10);
    p[19] = '.';
    p[20] = (char)('0' + f / 100);
    p[21] = (char)('0' + f / 10 % 10);
    p[22] = (char)('0' + f % 10);
    p[23] = 0;
    return 23;
  }
  return snprintf(buf, 32, "%04lld-%02u-%02u %02u:%02u:%02u.%03u", (long long)y, m, d, h, mi,
                  s, f);
}

int weir__time_format_interval(int64_t ms, char *buf) {
  char sign = ms < 0 ? '-' : '+';
  uint64_t a = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
  unsigned long long days = a / 86400000ULL;
  a %= 86400000ULL;
  return snprintf(buf, 48, "%c%llu %02u:%02u:%02u.%03u", sign, days, (unsigned)(a / 3600000),
                  (unsigned)(a / 60000 % 60), (unsigned)(a / 1000 % 60), (unsigned)(a % 1000));
}

int weir__parse_int64(const char *s, size_t n, int64_t *out) {
  trim(&s, &n);
  if (n == 0) return -1;
  size_t i = 0;
  int neg = 0;
  if (s[0] == '-' || s[0] == '+') {
    neg = s[0] == '-';
    i = 1;
    if (n == 1) return -1;
  }
  uint64_t v = 0;
  for (; i < n; i++) {
    unsigned c = (unsigned char)s[i] - '0';
    if (c > 9) return -1;
    if (v > (UINT64_MAX - c) / 10) return -1;
    v = v * 10 + c;
  }
  if (neg) {
    if (v > (uint64_t)INT64_MAX + 1) return -1;
    *out = (int64_t)(0 - v);
  } else {
    if (v > (uint64_t)INT64_MAX) return -1;
    *out = (int64_t)v;
  }
  return 0;
}

int weir__parse_double(const char *s, size_t n, double *out) {
  trim(&s, &n);
  if (n == 0 || n > 400) return -1;
  char buf[408];
  memcpy(buf, s, n);
  buf[n] = 0;
  /* strtod accepts hex floats, "inf" and "nan"; SQL text does not mean
   * those, except the spelled-out words Flink also accepts. */
  for (size_t i = 0; i < n; i++) {
    if (buf[i] == 'x' || buf[i] == 'X') return -1;
  }
  char *end;
  errno = 0;
  double v = strtod(buf, &end);
  if (end != buf + n) return -1;
  if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL)) return -1;
  *out = v;
  return 0;
}

int weir__parse_duration(const char *s, int64_t *ms) {
  size_t n = strlen(s);
  size_t i = 0;
  while (i < n && isspace((unsigned char)s[i])) i++;
  size_t ds = i;
  while (i < n && isdigit((unsigned char)s[i])) i++;
  if (i == ds) return -1;
  int64_t v;
  if (weir__parse_int64(s + ds, i - ds, &v)) return -1;
  while (i < n && isspace((unsigned char)s[i])) i++;
  size_t us = i;
  while (i < n && isalpha((unsigned char)s[i])) i++;
  size_t ul = i - us;
  while (i < n && isspace((unsigned char)s[i])) i++;
  if (i != n) return -1;
  static const struct {
    const char *name;
    int64_t ms;
  } units[] = {{"", 1},           {"ms", 1},         {"milli", 1},       {"millis", 1},
               {"millisecond", 1}, {"milliseconds", 1}, {"s", 1000},     {"sec", 1000},
               {"secs", 1000},     {"second", 1000},  {"seconds", 1000}, {"min", 60000},
               {"mins", 60000},    {"minute", 60000}, {"minutes", 60000}, {"h", 3600000},
               {"hour", 3600000},  {"hours", 3600000}, {"d", 86400000},  {"day", 86400000},
               {"days", 86400000}};
  for (int k = 0; k < WEIR_ARRAY_LEN(units); k++) {
    if (weir__strnicmp_eq(s + us, ul, units[k].name)) {
      if (v > INT64_MAX / units[k].ms) return -1;
      *ms = v * units[k].ms;
      return 0;
    }
  }
  return -1;
}

uint64_t weir__hash64(const void *p, size_t n) { return XXH3_64bits(p, n); }

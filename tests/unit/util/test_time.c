/*
 * test_time.c -- unit tests of util/time.c: civil-calendar conversion,
 * timestamp parsing and formatting, durations, integer parsing and the
 * floor division helpers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util/util.h"

/* ---- helpers ---------------------------------------------------------------- */

static int naive_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static unsigned naive_dim(int64_t y, unsigned m) {
  static const unsigned dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && naive_leap(y) ? 29 : dm[m - 1];
}

static int64_t parse_ts_ok(const char *s) {
  int64_t ms = 0x5a5a5a5a;
  int rc = weir__time_parse_ts(s, strlen(s), &ms);
  if (rc != 0) fail_msg("weir__time_parse_ts(\"%s\") failed", s);
  return ms;
}

static void parse_ts_bad(const char *s) {
  int64_t ms = 12345;
  int rc = weir__time_parse_ts(s, strlen(s), &ms);
  if (rc != -1) fail_msg("weir__time_parse_ts(\"%s\") accepted (%lld)", s, (long long)ms);
}

/* ---- days_from_civil / civil_from_days ------------------------------------------ */

static void test_days_known_values(void **state) {
  (void)state;
  assert_int_equal(weir__days_from_civil(1970, 1, 1), 0);
  assert_int_equal(weir__days_from_civil(1970, 1, 2), 1);
  assert_int_equal(weir__days_from_civil(1969, 12, 31), -1);
  assert_int_equal(weir__days_from_civil(2001, 1, 1), 11323);
  assert_int_equal(weir__days_from_civil(2000, 3, 1), 11017);
  assert_int_equal(weir__days_from_civil(2000, 2, 29), 11016);
  assert_int_equal(weir__days_from_civil(0, 3, 1), -719468);
  assert_int_equal(weir__days_from_civil(1, 1, 1), -719162);
  assert_int_equal(weir__days_from_civil(9999, 12, 31), 2932896);

  int64_t y;
  unsigned m, d;
  weir__civil_from_days(0, &y, &m, &d);
  assert_int_equal(y, 1970);
  assert_int_equal(m, 1);
  assert_int_equal(d, 1);
  weir__civil_from_days(-1, &y, &m, &d);
  assert_int_equal(y, 1969);
  assert_int_equal(m, 12);
  assert_int_equal(d, 31);
  weir__civil_from_days(-719468, &y, &m, &d);
  assert_int_equal(y, 0);
  assert_int_equal(m, 3);
  assert_int_equal(d, 1);
  weir__civil_from_days(-719469, &y, &m, &d);
  assert_int_equal(y, 0);
  assert_int_equal(m, 2);
  assert_int_equal(d, 29); /* year 0 is a leap year */
}

static void test_days_leap_rules(void **state) {
  (void)state;
  /* Days between Feb 28 and Mar 1: 2 in leap years, 1 otherwise. */
  static const struct {
    int64_t y;
    int64_t gap;
  } cases[] = {{2000, 2}, {1900, 1}, {2004, 2}, {2001, 1}, {2100, 1}, {2400, 2},
               {0, 2},    {-4, 2},   {-100, 1}, {-400, 2}, {-1, 1},   {-401, 1}};
  for (int i = 0; i < WEIR_ARRAY_LEN(cases); i++) {
    int64_t gap =
        weir__days_from_civil(cases[i].y, 3, 1) - weir__days_from_civil(cases[i].y, 2, 28);
    if (gap != cases[i].gap)
      fail_msg("year %lld: gap %lld, expected %lld", (long long)cases[i].y, (long long)gap,
               (long long)cases[i].gap);
  }
  /* A 400-year cycle has 146097 days, wherever it starts. */
  assert_int_equal(weir__days_from_civil(2000, 1, 1) - weir__days_from_civil(1600, 1, 1), 146097);
  assert_int_equal(weir__days_from_civil(-400, 1, 1) - weir__days_from_civil(-800, 1, 1), 146097);
  assert_int_equal(weir__days_from_civil(1, 1, 1) - weir__days_from_civil(-399, 1, 1), 146097);
}

/* Walk the calendar day by day with a naive counter from year -3000 to
 * 3000 and compare both conversions on every day. */
static void test_days_round_trip_daily(void **state) {
  (void)state;
  int64_t y = -3000;
  unsigned m = 1, d = 1;
  int64_t z = weir__days_from_civil(y, m, d);
  for (int64_t i = 0; y <= 3000; i++, z++) {
    int64_t yy;
    unsigned mm, dd;
    weir__civil_from_days(z, &yy, &mm, &dd);
    if (yy != y || mm != m || dd != d)
      fail_msg("day %lld: got %lld-%u-%u, expected %lld-%u-%u", (long long)z, (long long)yy, mm,
               dd, (long long)y, m, d);
    int64_t back = weir__days_from_civil(y, m, d);
    if (back != z) fail_msg("%lld-%u-%u: %lld, expected %lld", (long long)y, m, d, (long long)back,
                            (long long)z);
    if (++d > naive_dim(y, m)) {
      d = 1;
      if (++m > 12) {
        m = 1;
        y++;
      }
    }
  }
}

/* Sparse round trip over a very wide range of days (about +-2.7 million
 * years). */
static void test_days_round_trip_wide(void **state) {
  (void)state;
  for (int64_t z = -1000000000LL; z <= 1000000000LL; z += 999983) {
    int64_t y;
    unsigned m, d;
    weir__civil_from_days(z, &y, &m, &d);
    assert_true(m >= 1 && m <= 12);
    assert_true(d >= 1 && d <= naive_dim(y, m));
    assert_int_equal(weir__days_from_civil(y, m, d), z);
  }
}

/* ---- timestamps ------------------------------------------------------------------ */

static void test_parse_ts_valid(void **state) {
  (void)state;
  assert_int_equal(parse_ts_ok("1970-01-01 00:00:00"), 0);
  assert_int_equal(parse_ts_ok("2001-01-01 00:00:00"), 978307200000LL);
  assert_int_equal(parse_ts_ok("2001-01-01T12:34:56.789Z"), 978352496789LL);
  assert_int_equal(parse_ts_ok("2001-01-01 12:34:56.789"), 978352496789LL);
  assert_int_equal(parse_ts_ok("1970-01-01 00:00:00.5"), 500);
  assert_int_equal(parse_ts_ok("1970-01-01 00:00:00.12"), 120);
  assert_int_equal(parse_ts_ok("1970-01-01 00:00:00.1239"), 123); /* truncated */
  assert_int_equal(parse_ts_ok("1970-01-01 00:00:00.000999"), 0);
  assert_int_equal(parse_ts_ok("1969-12-31 23:59:59.999"), -1);
  assert_int_equal(parse_ts_ok("1969-12-31 23:59:59"), -1000);
  assert_int_equal(parse_ts_ok("2001-01-01"), 978307200000LL);
  assert_int_equal(parse_ts_ok("2001-01-01 10:20"), 978307200000LL + 10 * 3600000LL + 20 * 60000LL);
  assert_int_equal(parse_ts_ok("  2001-01-01 00:00:01  "), 978307201000LL);
  assert_int_equal(parse_ts_ok("2001-1-5 00:00:00"),
                   weir__days_from_civil(2001, 1, 5) * WEIR_MS_PER_DAY);
  assert_int_equal(parse_ts_ok("2000-02-29 23:59:59.999"),
                   weir__days_from_civil(2000, 3, 1) * WEIR_MS_PER_DAY - 1);
  assert_int_equal(parse_ts_ok("-0001-01-01 00:00:00"),
                   weir__days_from_civil(-1, 1, 1) * WEIR_MS_PER_DAY);
  assert_int_equal(parse_ts_ok("9999-12-31 23:59:59.999"),
                   weir__days_from_civil(10000, 1, 1) * WEIR_MS_PER_DAY - 1);

  /* Only n bytes are read. */
  int64_t ms = 0;
  const char *s = "2001-01-01 00:00:00.123xyz";
  assert_int_equal(weir__time_parse_ts(s, 23, &ms), 0);
  assert_int_equal(ms, 978307200123LL);
  assert_int_equal(weir__time_parse_ts(s, 10, &ms), 0);
  assert_int_equal(ms, 978307200000LL);
  assert_int_equal(weir__time_parse_ts(s, 24, &ms), -1);
}

static void test_parse_ts_invalid(void **state) {
  (void)state;
  parse_ts_bad("");
  parse_ts_bad("   ");
  parse_ts_bad("2001-02-30 00:00:00");
  parse_ts_bad("2001-02-29 00:00:00"); /* 2001 is not a leap year */
  parse_ts_bad("1900-02-29 00:00:00");
  parse_ts_bad("2001-04-31");
  parse_ts_bad("2001-13-01 00:00:00");
  parse_ts_bad("2001-00-10 00:00:00");
  parse_ts_bad("2001-01-00 00:00:00");
  parse_ts_bad("2001-01-32 00:00:00");
  parse_ts_bad("2001-01-01 24:00:00");
  parse_ts_bad("2001-01-01 23:60:00");
  parse_ts_bad("2001-01-01 23:59:60");
  parse_ts_bad("2001-01-01 1:00:00");
  parse_ts_bad("2001-01-01 00:00:00.");
  parse_ts_bad("2001-01-01 00:00:00x");
  parse_ts_bad("2001-01-01 00");
  parse_ts_bad("2001-01-01T");
  parse_ts_bad("01-01-2001 00:00:00");
  parse_ts_bad("2001/01/01 00:00:00");
  parse_ts_bad("20010101");
  parse_ts_bad("201-01-01");
  parse_ts_bad("2001-001-01");
  parse_ts_bad("abcd-01-01");
}

static void test_parse_date(void **state) {
  (void)state;
  int64_t days = 7;
  assert_int_equal(weir__time_parse_date("2001-01-01", 10, &days), 0);
  assert_int_equal(days, 11323);
  assert_int_equal(weir__time_parse_date("1969-12-31", 10, &days), 0);
  assert_int_equal(days, -1);
  assert_int_equal(weir__time_parse_date(" 2001-01-02 ", 12, &days), 0);
  assert_int_equal(days, 11324);
  assert_int_equal(weir__time_parse_date("2001-01-01 00:00:00", 19, &days), -1);
  assert_int_equal(weir__time_parse_date("2001-02-29", 10, &days), -1);
  assert_int_equal(weir__time_parse_date("", 0, &days), -1);
}

static void check_format(int64_t ms, const char *want) {
  char buf[64];
  memset(buf, 'x', sizeof buf);
  int n = weir__time_format_ts(ms, buf);
  assert_string_equal(buf, want);
  assert_int_equal(n, (int)strlen(want));
}

static void test_format_ts(void **state) {
  (void)state;
  check_format(0, "1970-01-01 00:00:00.000");
  check_format(-1, "1969-12-31 23:59:59.999");
  check_format(-1000, "1969-12-31 23:59:59.000");
  check_format(-86400000LL, "1969-12-31 00:00:00.000");
  check_format(978352496789LL, "2001-01-01 12:34:56.789");
  check_format(951782400000LL, "2000-02-29 00:00:00.000");
  check_format(weir__days_from_civil(0, 1, 1) * WEIR_MS_PER_DAY, "0000-01-01 00:00:00.000");
  check_format(weir__days_from_civil(10000, 1, 1) * WEIR_MS_PER_DAY - 1,
               "9999-12-31 23:59:59.999");
  check_format(weir__days_from_civil(10000, 1, 1) * WEIR_MS_PER_DAY,
               "10000-01-01 00:00:00.000");
  check_format(INT64_MAX, "292278994-08-17 07:12:55.807");

  char buf[32];
  assert_int_equal(weir__time_format_date(0, buf), 10);
  assert_string_equal(buf, "1970-01-01");
  weir__time_format_date(-1, buf);
  assert_string_equal(buf, "1969-12-31");
  weir__time_format_date(11016, buf);
  assert_string_equal(buf, "2000-02-29");

  char ib[64];
  weir__time_format_interval(0, ib);
  assert_string_equal(ib, "+0 00:00:00.000");
  weir__time_format_interval(93784005LL, ib);
  assert_string_equal(ib, "+1 02:03:04.005");
  weir__time_format_interval(-5000, ib);
  assert_string_equal(ib, "-0 00:00:05.000");
  weir__time_format_interval(INT64_MIN, ib);
  assert_string_equal(ib, "-106751991167 07:12:55.808");
}

/* format then parse gives back the same milliseconds (years 0..9999). */
static void test_format_parse_round_trip(void **state) {
  (void)state;
  uint64_t x = 88172645463325252ULL;
  int64_t lo = weir__days_from_civil(0, 1, 1) * WEIR_MS_PER_DAY;
  int64_t hi = weir__days_from_civil(10000, 1, 1) * WEIR_MS_PER_DAY;
  for (int i = 0; i < 200000; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    int64_t ms = lo + (int64_t)(x % (uint64_t)(hi - lo));
    if (i < 4) ms = i == 0 ? lo : i == 1 ? hi - 1 : i == 2 ? 0 : -1;
    char buf[32];
    int n = weir__time_format_ts(ms, buf);
    int64_t back = 0;
    if (weir__time_parse_ts(buf, (size_t)n, &back) != 0 || back != ms)
      fail_msg("%lld -> \"%s\" -> %lld", (long long)ms, buf, (long long)back);
  }
}

/* ---- durations and integers -------------------------------------------------------- */

static void test_parse_duration(void **state) {
  (void)state;
  static const struct {
    const char *s;
    int64_t ms;
  } ok[] = {{"10 s", 10000},
            {"500ms", 500},
            {"500 ms", 500},
            {"1 h", 3600000},
            {"2 min", 120000},
            {"1 d", 86400000},
            {"10", 10},
            {" 5 SECONDS ", 5000},
            {"3 Minutes", 180000},
            {"7 millis", 7},
            {"1 day", 86400000},
            {"2 hours", 7200000},
            {"0 s", 0},
            {"9223372036854775807", INT64_MAX},
            {"106751991167 d", 106751991167LL * 86400000LL}};
  for (int i = 0; i < WEIR_ARRAY_LEN(ok); i++) {
    int64_t ms = -42;
    if (weir__parse_duration(ok[i].s, &ms) != 0) fail_msg("\"%s\" rejected", ok[i].s);
    if (ms != ok[i].ms)
      fail_msg("\"%s\": %lld, expected %lld", ok[i].s, (long long)ms, (long long)ok[i].ms);
  }
  static const char *const bad[] = {"",       "ms",   "-1 s",  "1.5 s",
                                    "10 s x", "1 m",  "1 ns",  "s 10",
                                    "1 2 s",  "1 yr", "106751991168 d",
                                    "9223372036854775808", "9223372036854775807 s"};
  for (int i = 0; i < WEIR_ARRAY_LEN(bad); i++) {
    int64_t ms = -42;
    if (weir__parse_duration(bad[i], &ms) != -1) fail_msg("\"%s\" accepted", bad[i]);
  }
}

static void test_parse_int64(void **state) {
  (void)state;
  static const struct {
    const char *s;
    int64_t v;
  } ok[] = {{"0", 0},
            {"-0", 0},
            {"+5", 5},
            {" 42 ", 42},
            {"\t-17\n", -17},
            {"007", 7},
            {"9223372036854775807", INT64_MAX},
            {"-9223372036854775808", INT64_MIN},
            {"-9223372036854775807", -INT64_MAX}};
  for (int i = 0; i < WEIR_ARRAY_LEN(ok); i++) {
    int64_t v = 99;
    if (weir__parse_int64(ok[i].s, strlen(ok[i].s), &v) != 0) fail_msg("\"%s\" rejected", ok[i].s);
    if (v != ok[i].v) fail_msg("\"%s\": %lld", ok[i].s, (long long)v);
  }
  static const char *const bad[] = {"",
                                    " ",
                                    "-",
                                    "+",
                                    "1 2",
                                    "12a",
                                    "0x10",
                                    "1.0",
                                    "--1",
                                    "9223372036854775808",
                                    "-9223372036854775809",
                                    "18446744073709551615",
                                    "18446744073709551616",
                                    "99999999999999999999999"};
  for (int i = 0; i < WEIR_ARRAY_LEN(bad); i++) {
    int64_t v = 99;
    if (weir__parse_int64(bad[i], strlen(bad[i]), &v) != -1) fail_msg("\"%s\" accepted", bad[i]);
  }
  int64_t v = 0;
  assert_int_equal(weir__parse_int64("123456", 3, &v), 0);
  assert_int_equal(v, 123);
}

static void test_parse_double(void **state) {
  (void)state;
  double d = 0;
  assert_int_equal(weir__parse_double("1e3", 3, &d), 0);
  assert_true(d == 1000.0);
  assert_int_equal(weir__parse_double(" -2.5 ", 6, &d), 0);
  assert_true(d == -2.5);
  d = 7;
  assert_int_equal(weir__parse_double("0x10", 4, &d), -1);
  assert_int_equal(weir__parse_double("1e999", 5, &d), -1);
  assert_int_equal(weir__parse_double("1.5x", 4, &d), -1);
  assert_int_equal(weir__parse_double("", 0, &d), -1);
}

static void test_floordiv_floormod(void **state) {
  (void)state;
  static const struct {
    int64_t a, b, q, r;
  } cases[] = {{7, 2, 3, 1},
               {-7, 2, -4, 1},
               {-8, 2, -4, 0},
               {0, 5, 0, 0},
               {-1, 1000, -1, 999},
               {999, 1000, 0, 999},
               {1000, 1000, 1, 0},
               {-1000, 1000, -1, 0},
               {-1001, 1000, -2, 999},
               {INT64_MIN, 1, INT64_MIN, 0},
               {INT64_MAX, 1, INT64_MAX, 0},
               {INT64_MIN, 86400000, -106751991168LL, 60424192},
               {INT64_MAX, INT64_MAX, 1, 0},
               {INT64_MIN, INT64_MAX, -2, INT64_MAX - 1}};
  for (int i = 0; i < WEIR_ARRAY_LEN(cases); i++) {
    int64_t q = weir__floordiv(cases[i].a, cases[i].b);
    int64_t r = weir__floormod(cases[i].a, cases[i].b);
    if (q != cases[i].q || r != cases[i].r)
      fail_msg("%lld / %lld: q=%lld r=%lld, expected q=%lld r=%lld", (long long)cases[i].a,
               (long long)cases[i].b, (long long)q, (long long)r, (long long)cases[i].q,
               (long long)cases[i].r);
  }
  /* The defining identity on a range around zero. */
  for (int64_t a = -5000; a <= 5000; a++) {
    for (int64_t b = 1; b <= 37; b += 6) {
      int64_t q = weir__floordiv(a, b), r = weir__floormod(a, b);
      assert_true(r >= 0 && r < b);
      assert_int_equal(q * b + r, a);
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_days_known_values),
      cmocka_unit_test(test_days_leap_rules),
      cmocka_unit_test(test_days_round_trip_daily),
      cmocka_unit_test(test_days_round_trip_wide),
      cmocka_unit_test(test_parse_ts_valid),
      cmocka_unit_test(test_parse_ts_invalid),
      cmocka_unit_test(test_parse_date),
      cmocka_unit_test(test_format_ts),
      cmocka_unit_test(test_format_parse_round_trip),
      cmocka_unit_test(test_parse_duration),
      cmocka_unit_test(test_parse_int64),
      cmocka_unit_test(test_parse_double),
      cmocka_unit_test(test_floordiv_floormod),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

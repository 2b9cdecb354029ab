/*
 * test_json.c -- unit tests of the JSON-lines decoder
 * (exec/connectors/format_json.c): field matching, type conversions,
 * string escapes including surrogate pairs, nested values into VARCHAR,
 * missing fields, and the messages of malformed input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "exec/execInt.h"

/* ---- helpers ---------------------------------------------------------------- */

/* Columns: a INT, s VARCHAR, d DOUBLE, b BOOLEAN, ts TIMESTAMP, n BIGINT. */
enum { A, S, D, B, TS, N, NCOL };

typedef struct fixture {
  weir__chunk *c;
  weir__field_target t[NCOL];
} fixture;

static int setup(void **state) {
  static fixture fx;
  static const int types[NCOL] = {WEIR_TYPE_INT,     WEIR_TYPE_VARCHAR,   WEIR_TYPE_DOUBLE,
                                  WEIR_TYPE_BOOLEAN, WEIR_TYPE_TIMESTAMP, WEIR_TYPE_BIGINT};
  static const char *const names[NCOL] = {"a", "s", "d", "b", "ts", "n"};
  fx.c = weir__chunk_new(NCOL, types, 8);
  if (!fx.c) return -1;
  for (int i = 0; i < NCOL; i++) {
    fx.t[i].col = i;
    fx.t[i].type = types[i];
    fx.t[i].name = names[i];
  }
  *state = &fx;
  return 0;
}

static int teardown(void **state) {
  fixture *fx = *state;
  weir__chunk_free(fx->c);
  return 0;
}

static int dec(fixture *fx, const char *line, int fail_on_missing, weir__decode_err *de) {
  weir__chunk_reset(fx->c);
  de->msg[0] = 0;
  return weir__json_decode(line, strlen(line), fx->t, NCOL, fail_on_missing, fx->c, 0, de);
}

static void ok(fixture *fx, const char *line) {
  weir__decode_err de;
  if (dec(fx, line, 0, &de) != 0) fail_msg("%s: %s", line, de.msg);
}

static void bad(fixture *fx, const char *line, int fail_on_missing, const char *msg) {
  weir__decode_err de;
  if (dec(fx, line, fail_on_missing, &de) != -1) fail_msg("%s was accepted", line);
  size_t ml = strlen(msg);
  /* A message ending in '*' is a prefix. */
  int same = ml && msg[ml - 1] == '*' ? strncmp(de.msg, msg, ml - 1) == 0 : strcmp(de.msg, msg) == 0;
  if (!same) fail_msg("%s: message \"%s\", expected \"%s\"", line, de.msg, msg);
}

static int is_null(fixture *fx, int col) { return weir__vec_is_null(&fx->c->cols[col], 0); }
static int64_t i64(fixture *fx, int col) { return WEIR_VEC_I64(&fx->c->cols[col])[0]; }
static double f64(fixture *fx, int col) { return WEIR_VEC_F64(&fx->c->cols[col])[0]; }
static weir__str str(fixture *fx, int col) { return WEIR_VEC_STR(&fx->c->cols[col])[0]; }

#define assert_str(s, want, wn)                                                         \
  do {                                                                                 \
    weir__str s_ = (s);                                                                \
    if (s_.n != (wn) || memcmp(s_.p, (want), s_.n) != 0)                               \
      fail_msg("string \"%.*s\" (%u bytes), expected \"%s\"", (int)s_.n, s_.p, s_.n, (want)); \
  } while (0)

/* ---- values ------------------------------------------------------------------------- */

static void test_all_types(void **state) {
  fixture *fx = *state;
  const char *line =
      "{\"a\": 1, \"s\": \"x y\", \"d\": 2.5, \"b\": true, \"ts\": \"2001-01-01 00:00:00.123\", "
      "\"n\": -9223372036854775808}";
  ok(fx, line);
  assert_int_equal(i64(fx, A), 1);
  assert_str(str(fx, S), "x y", 3);
  assert_ptr_equal(str(fx, S).p, strstr(line, "x y")); /* no escapes: not copied */
  assert_true(f64(fx, D) == 2.5);
  assert_int_equal(i64(fx, B), 1);
  assert_int_equal(i64(fx, TS), 978307200123LL);
  assert_int_equal(i64(fx, N), INT64_MIN);
  for (int c = 0; c < NCOL; c++) assert_false(is_null(fx, c));

  /* Blanks everywhere, fields in any order, names case-insensitively. */
  ok(fx, " \t{ \"N\" : 5 ,\"B\":false,\"S\":\"\",\"A\":-3,\"D\":-1e-3,\"Ts\":\"1970-01-01\" } \r\n");
  assert_int_equal(i64(fx, N), 5);
  assert_int_equal(i64(fx, B), 0);
  assert_false(is_null(fx, B));
  assert_int_equal(str(fx, S).n, 0);
  assert_false(is_null(fx, S));
  assert_int_equal(i64(fx, A), -3);
  assert_true(f64(fx, D) == -1e-3);
  assert_int_equal(i64(fx, TS), 0);
}

static void test_nulls_and_missing(void **state) {
  fixture *fx = *state;
  ok(fx, "{\"a\": null, \"s\": null, \"unknown\": 1}");
  for (int c = 0; c < NCOL; c++) assert_true(is_null(fx, c));
  ok(fx, "{}");
  for (int c = 0; c < NCOL; c++) assert_true(is_null(fx, c));
  ok(fx, " { } ");
  assert_true(is_null(fx, A));

  bad(fx, "{\"a\": 1, \"s\": \"x\", \"d\": 1, \"b\": true, \"n\": 2}", 1,
      "field 'ts' is missing");
  bad(fx, "{}", 1, "field 'a' is missing");
  /* A field set to null is present. */
  weir__decode_err de;
  assert_int_equal(
      dec(fx, "{\"a\": null, \"s\": null, \"d\": null, \"b\": null, \"ts\": null, \"n\": null}", 1,
          &de),
      0);
  assert_true(is_null(fx, TS));

  /* Unknown fields are skipped whatever their value. */
  ok(fx, "{\"x\": {\"a\": 99, \"y\": [1, \"}\", {\"z\": null}]}, \"a\": 7, \"w\": [], \"v\": false}");
  assert_int_equal(i64(fx, A), 7);
  assert_true(is_null(fx, S));
}

static void test_conversions(void **state) {
  fixture *fx = *state;
  /* Strings parse into other types. */
  ok(fx, "{\"a\": \"42\", \"d\": \"1.5\", \"b\": \"TRUE\", \"n\": \"-7\"}");
  assert_int_equal(i64(fx, A), 42);
  assert_true(f64(fx, D) == 1.5);
  assert_int_equal(i64(fx, B), 1);
  assert_int_equal(i64(fx, N), -7);
  /* Numbers and booleans into VARCHAR keep their text. */
  ok(fx, "{\"s\": -1.5e3}");
  assert_str(str(fx, S), "-1.5e3", 6);
  ok(fx, "{\"s\": 42}");
  assert_str(str(fx, S), "42", 2);
  ok(fx, "{\"s\": true}");
  assert_str(str(fx, S), "true", 4);
  ok(fx, "{\"s\": false}");
  assert_str(str(fx, S), "false", 5);
  /* An integer into DOUBLE. */
  ok(fx, "{\"d\": 3}");
  assert_true(f64(fx, D) == 3.0);

  bad(fx, "{\"a\": 1.5}", 0, "expected INT for column 'a', got \"1.5\"");
  bad(fx, "{\"a\": 2147483648}", 0, "expected INT for column 'a', got \"2147483648\": out of range");
  bad(fx, "{\"a\": \"x\"}", 0, "expected INT for column 'a', got \"x\"");
  bad(fx, "{\"a\": true}", 0, "expected INT for field 'a', got true");
  bad(fx, "{\"d\": false}", 0, "expected DOUBLE for field 'd', got false");
  bad(fx, "{\"b\": 1}", 0, "expected BOOLEAN for field 'b', got 1");
  bad(fx, "{\"b\": \"yes\"}", 0, "expected BOOLEAN for column 'b', got \"yes\"");
  bad(fx, "{\"ts\": 978307200000}", 0,
      "expected a timestamp string for field 'ts', got the number 978307200000; declare it "
      "BIGINT and add a computed column TO_TIMESTAMP_LTZ(ts, 3)");
  bad(fx, "{\"ts\": \"2001-02-30 00:00:00\"}", 0,
      "expected TIMESTAMP(3) for column 'ts', got \"2001-02-30 00:00:00\"");
  bad(fx, "{\"a\": {\"x\": 1}}", 0, "expected INT for field 'a', got a JSON object");
  bad(fx, "{\"d\": [1]}", 0, "expected DOUBLE for field 'd', got a JSON array");
}

static void test_nested_into_varchar(void **state) {
  fixture *fx = *state;
  const char *line = "{\"s\": {\"x\": [1, {\"y\": \"}]\\\"\"}], \"z\": {}}, \"a\": 1}";
  ok(fx, line);
  const char *want = "{\"x\": [1, {\"y\": \"}]\\\"\"}], \"z\": {}}";
  assert_str(str(fx, S), want, strlen(want));
  assert_int_equal(i64(fx, A), 1);
  ok(fx, "{\"s\":[1,2,[3]]}");
  assert_str(str(fx, S), "[1,2,[3]]", 9);
  ok(fx, "{\"s\": []}");
  assert_str(str(fx, S), "[]", 2);
  bad(fx, "{\"s\": [1, 2", 0, "invalid JSON: unterminated object or array at character 12");
  bad(fx, "{\"s\": [1, 2}", 0, "invalid JSON: *");
  bad(fx, "{\"s\": {\"x\": \"]}", 0, "invalid JSON: unterminated string at character 16");
}

static void test_escapes(void **state) {
  fixture *fx = *state;
  static const struct {
    const char *line;
    const char *want;
    size_t wn;
  } cases[] = {
      {"{\"s\": \"a\\\"b\"}", "a\"b", 3},
      {"{\"s\": \"\\\\\\/\\b\\f\\n\\r\\t\"}", "\\/\b\f\n\r\t", 7},
      {"{\"s\": \"\\u0041\"}", "A", 1},
      {"{\"s\": \"caf\\u00e9\"}", "caf\xc3\xa9", 5},
      {"{\"s\": \"\\u00E9\"}", "\xc3\xa9", 2},
      {"{\"s\": \"\\u20ac\"}", "\xe2\x82\xac", 3},
      {"{\"s\": \"\\u07FF\\u0800\"}", "\xdf\xbf\xe0\xa0\x80", 5},
      {"{\"s\": \"\\ud83d\\ude00\"}", "\xf0\x9f\x98\x80", 4},
      {"{\"s\": \"\\uDBFF\\uDFFF!\"}", "\xf4\x8f\xbf\xbf!", 5},
      {"{\"s\": \"x\\u0000y\"}", "x\0y", 3},
      {"{\"s\": \"\xc3\xa9\\n\"}", "\xc3\xa9\n", 3},
  };
  for (int i = 0; i < WEIR_ARRAY_LEN(cases); i++) {
    ok(fx, cases[i].line);
    weir__str s = str(fx, S);
    if (s.n != cases[i].wn || memcmp(s.p, cases[i].want, s.n) != 0)
      fail_msg("%s: got %u bytes \"%.*s\"", cases[i].line, s.n, (int)s.n, s.p);
    /* Unescaped strings are copied out of the line. */
    assert_true(s.p < cases[i].line || s.p >= cases[i].line + strlen(cases[i].line));
  }
  /* Escapes in a value that is then parsed, and in a field name. */
  ok(fx, "{\"a\": \"\\u0034\\u0032\", \"\\u0062\": true, \"\\\"n\": 1}");
  assert_int_equal(i64(fx, A), 42);
  assert_int_equal(i64(fx, B), 1);
  assert_true(is_null(fx, N)); /* "\"n" is not "n" */

  static const char *const bad_escapes[] = {
      "{\"s\": \"\\ud83d\"}",        /* high surrogate alone */
      "{\"s\": \"\\ud83dx\"}",       /* high surrogate, then text */
      "{\"s\": \"\\ud83d\\u0041\"}", /* high surrogate, then not a low one */
      "{\"s\": \"\\ude00\"}",        /* low surrogate alone */
      "{\"s\": \"\\u12G4\"}",        /* not hex */
      "{\"s\": \"\\u12\"}",          /* too short */
      "{\"s\": \"\\x41\"}",          /* unknown escape */
      "{\"s\": \"\\a\"}",
  };
  for (int i = 0; i < WEIR_ARRAY_LEN(bad_escapes); i++)
    bad(fx, bad_escapes[i], 0, "invalid JSON: bad escape sequence in string");
}

static void test_malformed(void **state) {
  fixture *fx = *state;
  bad(fx, "", 0, "invalid JSON: expected '{' at character 1");
  bad(fx, "   ", 0, "invalid JSON: expected '{' at character 4");
  bad(fx, "[1]", 0, "invalid JSON: expected '{' at character 1");
  bad(fx, "{\"a\":1} x", 0, "invalid JSON: unexpected text after the object at character 9");
  bad(fx, "{\"a\":1}{}", 0, "invalid JSON: unexpected text after the object at character 8");
  bad(fx, "{\"a\" 1}", 0, "invalid JSON: expected ':' at character 6");
  bad(fx, "{\"a\":1 \"b\":2}", 0, "invalid JSON: expected ',' or '}' at character 8");
  bad(fx, "{\"a\":1,}", 0, "invalid JSON: expected a field name at character 8");
  bad(fx, "{a:1}", 0, "invalid JSON: expected a field name at character 2");
  bad(fx, "{\"a\":}", 0, "invalid JSON: unexpected character at character 6");
  bad(fx, "{\"a\":", 0, "invalid JSON: expected a value at character 6");
  bad(fx, "{\"a\":1", 0, "invalid JSON: expected ',' or '}' at character 7");
  bad(fx, "{\"s\":\"abc", 0, "invalid JSON: unterminated string at character 10");
  bad(fx, "{\"s\":\"abc\\", 0, "invalid JSON: unterminated string at character 12");
  bad(fx, "{\"s\":\"a\tb\"}", 0, "invalid JSON: control character in string at character 8");
  bad(fx, "{\"a\":tru}", 0, "invalid JSON: unexpected character at character 6");
  bad(fx, "{\"a\":nul}", 0, "invalid JSON: unexpected character at character 6");
  bad(fx, "{\"b\":truex}", 0, "invalid JSON: expected ',' or '}' at character 10");
  bad(fx, "{\"a\":'1'}", 0, "invalid JSON: unexpected character at character 6");
}

static void test_invalid_utf8(void **state) {
  fixture *fx = *state;
  bad(fx, "{\"s\": \"caf\xe9\"}", 0, "invalid UTF-8 in column 's'");
  bad(fx, "{\"s\": \"\xed\xa0\x80\"}", 0, "invalid UTF-8 in column 's'");
  bad(fx, "{\"s\": \"\xc3\"}", 0, "invalid UTF-8 in column 's'");
  /* Invalid bytes in a field nobody reads do not matter. */
  ok(fx, "{\"other\": \"\xff\", \"s\": \"ok\"}");
  assert_str(str(fx, S), "ok", 2);
}

static void test_ignored_target(void **state) {
  fixture *fx = *state;
  /* A target with column -1 matches its field but stores nothing. */
  weir__field_target t[2] = {{-1, WEIR_TYPE_INT, "skip"}, {0, WEIR_TYPE_INT, "a"}};
  weir__decode_err de;
  weir__chunk_reset(fx->c);
  const char *line = "{\"skip\": \"not an int\", \"a\": 5}";
  assert_int_equal(weir__json_decode(line, strlen(line), t, 2, 1, fx->c, 3, &de), 0);
  assert_int_equal(WEIR_VEC_I64(&fx->c->cols[0])[3], 5);
  /* Only n bytes are read. */
  line = "{\"a\": 6} trailing";
  assert_int_equal(weir__json_decode(line, 8, t + 1, 1, 0, fx->c, 4, &de), 0);
  assert_int_equal(WEIR_VEC_I64(&fx->c->cols[0])[4], 6);
}

int main(void) {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(test_all_types),    T(test_nulls_and_missing), T(test_conversions),
      T(test_nested_into_varchar), T(test_escapes),    T(test_malformed),
      T(test_invalid_utf8), T(test_ignored_target),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

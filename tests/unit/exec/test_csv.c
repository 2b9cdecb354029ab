/*
 * test_csv.c -- unit tests of the CSV decoder (exec/connectors/format_csv.c)
 * and of the shared text-value decoding and UTF-8 validation
 * (format_text.c): RFC 4180 quoting, NULLs, field counts, incomplete
 * records, numbers, booleans, dates and timestamps.
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

static const weir__csv_opts dflt = {',', '"', NULL};

/* A chunk with columns of the given types and one target per column,
 * named a, b, c, ... */
typedef struct fixture {
  weir__chunk *c;
  weir__field_target t[8];
  int n;
} fixture;

static char names[8][2] = {"a", "b", "c", "d", "e", "f", "g", "h"};

static void fx_init(fixture *fx, int n, const int *types) {
  fx->c = weir__chunk_new(n, types, 16);
  assert_non_null(fx->c);
  fx->n = n;
  for (int i = 0; i < n; i++) {
    fx->t[i].col = i;
    fx->t[i].type = types[i];
    fx->t[i].name = names[i];
  }
}

static void fx_free(fixture *fx) { weir__chunk_free(fx->c); }

/* Decode one record of s (whole text) into row r. */
static int decode(fixture *fx, const char *s, size_t len, size_t *pos, int at_eof, int r,
                  int *lines, weir__decode_err *de, const weir__csv_opts *o) {
  de->msg[0] = 0;
  return weir__csv_decode(s, len, pos, at_eof, o ? o : &dflt, fx->t, fx->n, fx->c, r, lines, de);
}

static int is_null(fixture *fx, int col, int r) { return weir__vec_is_null(&fx->c->cols[col], r); }
static int64_t i64(fixture *fx, int col, int r) { return WEIR_VEC_I64(&fx->c->cols[col])[r]; }
static double f64(fixture *fx, int col, int r) { return WEIR_VEC_F64(&fx->c->cols[col])[r]; }
static weir__str str(fixture *fx, int col, int r) { return WEIR_VEC_STR(&fx->c->cols[col])[r]; }

#define assert_str(s, want)                                                            \
  do {                                                                                 \
    weir__str s_ = (s);                                                                \
    const char *w_ = (want);                                                           \
    if (s_.n != strlen(w_) || memcmp(s_.p, w_, s_.n) != 0)                             \
      fail_msg("string \"%.*s\" (%u bytes), expected \"%s\"", (int)s_.n, s_.p, s_.n, w_); \
  } while (0)

/* ---- records ---------------------------------------------------------------------- */

static void test_simple_records(void **state) {
  (void)state;
  fixture fx;
  int types[3] = {WEIR_TYPE_INT, WEIR_TYPE_VARCHAR, WEIR_TYPE_DOUBLE};
  fx_init(&fx, 3, types);
  const char *s = "1,abc,2.5\n-7,,1e3\n";
  size_t len = strlen(s), pos = 0;
  int lines = -1;
  weir__decode_err de;
  assert_int_equal(decode(&fx, s, len, &pos, 0, 0, &lines, &de, NULL), 1);
  assert_int_equal(pos, 10);
  assert_int_equal(lines, 1);
  assert_int_equal(i64(&fx, 0, 0), 1);
  assert_str(str(&fx, 1, 0), "abc");
  assert_ptr_equal(str(&fx, 1, 0).p, s + 2); /* unquoted text is not copied */
  assert_true(f64(&fx, 2, 0) == 2.5);
  assert_false(is_null(&fx, 0, 0) || is_null(&fx, 1, 0) || is_null(&fx, 2, 0));

  assert_int_equal(decode(&fx, s, len, &pos, 0, 1, &lines, &de, NULL), 1);
  assert_int_equal(pos, len);
  assert_int_equal(i64(&fx, 0, 1), -7);
  assert_false(is_null(&fx, 1, 1)); /* empty VARCHAR is '' */
  assert_int_equal(str(&fx, 1, 1).n, 0);
  assert_true(f64(&fx, 2, 1) == 1000.0);
  fx_free(&fx);
}

static void test_quoting(void **state) {
  (void)state;
  fixture fx;
  int types[4] = {WEIR_TYPE_VARCHAR, WEIR_TYPE_VARCHAR, WEIR_TYPE_VARCHAR, WEIR_TYPE_INT};
  fx_init(&fx, 4, types);
  const char *s = "\"a,b\",\"say \"\"hi\"\"\",\"line1\nline2\r\nend\",\"42\"\nnext";
  size_t len = strlen(s), pos = 0;
  int lines = 0;
  weir__decode_err de;
  assert_int_equal(decode(&fx, s, len, &pos, 0, 0, &lines, &de, NULL), 1);
  assert_str(str(&fx, 0, 0), "a,b");
  assert_ptr_equal(str(&fx, 0, 0).p, s + 1); /* no doubled quotes: not copied */
  assert_str(str(&fx, 1, 0), "say \"hi\"");
  assert_str(str(&fx, 2, 0), "line1\nline2\r\nend");
  assert_int_equal(i64(&fx, 3, 0), 42);
  assert_int_equal(lines, 3); /* two inside the quotes and the terminator */
  assert_int_equal(pos, (size_t)(strstr(s, "next") - s));

  /* A quoted field that is only a doubled quote, and empty quotes. */
  s = "\"\"\"\",\"\",x,\"\"\n";
  len = strlen(s);
  pos = 0;
  assert_int_equal(decode(&fx, s, len, &pos, 1, 1, &lines, &de, NULL), 1);
  assert_str(str(&fx, 0, 1), "\"");
  assert_false(is_null(&fx, 1, 1));
  assert_str(str(&fx, 1, 1), "");
  assert_str(str(&fx, 2, 1), "x");
  assert_true(is_null(&fx, 3, 1)); /* "" for INT is NULL */

  /* Text after the closing quote is an error; the record is still
   * skipped as a whole. */
  s = "\"ab\"c,x,y,1\n2,3,4,5\n";
  len = strlen(s);
  pos = 0;
  assert_int_equal(decode(&fx, s, len, &pos, 0, 2, &lines, &de, NULL), -1);
  assert_string_equal(de.msg, "unexpected character 'c' after the closing quote of field 1");
  assert_int_equal(pos, 12);
  assert_int_equal(lines, 1);
  fx_free(&fx);

  /* Another delimiter and quote character. */
  int t2[3] = {WEIR_TYPE_VARCHAR, WEIR_TYPE_BIGINT, WEIR_TYPE_VARCHAR};
  fx_init(&fx, 3, t2);
  weir__csv_opts o = {';', '\'', NULL};
  s = "'a;''b''';12;c,d\n";
  len = strlen(s);
  pos = 0;
  assert_int_equal(decode(&fx, s, len, &pos, 0, 0, &lines, &de, &o), 1);
  assert_str(str(&fx, 0, 0), "a;'b'");
  assert_int_equal(i64(&fx, 1, 0), 12);
  assert_str(str(&fx, 2, 0), "c,d");
  fx_free(&fx);
}

static void test_crlf_and_line_endings(void **state) {
  (void)state;
  fixture fx;
  int types[2] = {WEIR_TYPE_INT, WEIR_TYPE_VARCHAR};
  fx_init(&fx, 2, types);
  const char *s = "1,a\r\n2,\"b\"\r\n3,c";
  size_t len = strlen(s), pos = 0;
  int lines;
  weir__decode_err de;
  assert_int_equal(decode(&fx, s, len, &pos, 0, 0, &lines, &de, NULL), 1);
  assert_int_equal(pos, 5);
  assert_int_equal(lines, 1);
  assert_str(str(&fx, 1, 0), "a"); /* no \r in the value */
  assert_int_equal(decode(&fx, s, len, &pos, 0, 1, &lines, &de, NULL), 1);
  assert_int_equal(pos, 12);
  assert_str(str(&fx, 1, 1), "b");
  /* The last record has no line break: incomplete unless at EOF. */
  size_t save = pos;
  assert_int_equal(decode(&fx, s, len, &pos, 0, 2, &lines, &de, NULL), 0);
  assert_int_equal(pos, save);
  assert_int_equal(decode(&fx, s, len, &pos, 1, 2, &lines, &de, NULL), 1);
  assert_int_equal(pos, len);
  assert_int_equal(lines, 0);
  assert_int_equal(i64(&fx, 0, 2), 3);
  assert_str(str(&fx, 1, 2), "c");
  fx_free(&fx);
}

static void test_incomplete_records(void **state) {
  (void)state;
  fixture fx;
  int types[2] = {WEIR_TYPE_INT, WEIR_TYPE_VARCHAR};
  fx_init(&fx, 2, types);
  weir__decode_err de;
  int lines;
  static const char *const partial[] = {"1,2", "1,\"ab", "1,\"ab\"", "1,\"a\"\"", "1,2\r",
                                        "1,\"x\ny"};
  for (int i = 0; i < WEIR_ARRAY_LEN(partial); i++) {
    size_t pos = 0;
    int rc = decode(&fx, partial[i], strlen(partial[i]), &pos, 0, 0, &lines, &de, NULL);
    if (rc != 0) fail_msg("\"%s\": rc %d, expected 0 (incomplete)", partial[i], rc);
    assert_int_equal(pos, 0);
  }
  /* At EOF the same texts are complete or malformed. */
  size_t pos = 0;
  assert_int_equal(decode(&fx, "1,2", 3, &pos, 1, 0, &lines, &de, NULL), 1);
  assert_int_equal(pos, 3);
  pos = 0;
  assert_int_equal(decode(&fx, "1,\"ab\"", 6, &pos, 1, 0, &lines, &de, NULL), 1);
  assert_str(str(&fx, 1, 0), "ab");
  pos = 0;
  assert_int_equal(decode(&fx, "1,2\r", 4, &pos, 1, 0, &lines, &de, NULL), 1);
  assert_int_equal(pos, 4);
  pos = 0;
  assert_int_equal(decode(&fx, "1,\"ab", 5, &pos, 1, 0, &lines, &de, NULL), -1);
  assert_string_equal(de.msg, "unterminated quoted field 2");
  assert_int_equal(pos, 5);
  pos = 0;
  assert_int_equal(decode(&fx, "1,\"x\ny", 6, &pos, 1, 0, &lines, &de, NULL), -1);
  assert_string_equal(de.msg, "unterminated quoted field 2");
  assert_int_equal(lines, 1);
  /* Starting in the middle of a buffer. */
  const char *s = "skip\n5,x\n6,y";
  pos = 5;
  assert_int_equal(decode(&fx, s, strlen(s), &pos, 0, 0, &lines, &de, NULL), 1);
  assert_int_equal(pos, 9);
  assert_int_equal(i64(&fx, 0, 0), 5);
  assert_int_equal(decode(&fx, s, strlen(s), &pos, 0, 1, &lines, &de, NULL), 0);
  assert_int_equal(pos, 9);
  fx_free(&fx);
}

static void test_nulls(void **state) {
  (void)state;
  fixture fx;
  int types[6] = {WEIR_TYPE_INT,  WEIR_TYPE_VARCHAR, WEIR_TYPE_DOUBLE,
                  WEIR_TYPE_BOOLEAN, WEIR_TYPE_TIMESTAMP, WEIR_TYPE_DATE};
  fx_init(&fx, 6, types);
  weir__decode_err de;
  int lines;
  size_t pos = 0;
  /* Empty unquoted fields: NULL for every type but VARCHAR. */
  assert_int_equal(decode(&fx, ",,,,,\n", 6, &pos, 0, 0, &lines, &de, NULL), 1);
  assert_true(is_null(&fx, 0, 0));
  assert_false(is_null(&fx, 1, 0));
  assert_int_equal(str(&fx, 1, 0).n, 0);
  assert_true(is_null(&fx, 2, 0));
  assert_true(is_null(&fx, 3, 0));
  assert_true(is_null(&fx, 4, 0));
  assert_true(is_null(&fx, 5, 0));

  /* A null literal is NULL for every type, VARCHAR included, unless
   * quoted. */
  weir__csv_opts o = {',', '"', "\\N"};
  const char *s = "\\N,\\N,\\N,\\N,\\N,\\N\n\\N,\"\\N\",,true,,\n";
  pos = 0;
  assert_int_equal(decode(&fx, s, strlen(s), &pos, 0, 1, &lines, &de, &o), 1);
  for (int c = 0; c < 6; c++) assert_true(is_null(&fx, c, 1));
  assert_int_equal(decode(&fx, s, strlen(s), &pos, 0, 2, &lines, &de, &o), 1);
  assert_true(is_null(&fx, 0, 2));
  assert_false(is_null(&fx, 1, 2));
  assert_str(str(&fx, 1, 2), "\\N");
  assert_true(is_null(&fx, 2, 2));
  assert_int_equal(i64(&fx, 3, 2), 1);

  /* The null literal must match exactly. */
  o.null_literal = "NULL";
  s = "NULL,NULLx,nul,false,NULL,NULL\n";
  pos = 0;
  assert_int_equal(decode(&fx, s, strlen(s), &pos, 0, 3, &lines, &de, &o), -1);
  assert_string_equal(de.msg, "expected DOUBLE for column 'c', got \"nul\"");
  s = "NULL,NULLx,1.5,false,NULL,NULL\n";
  pos = 0;
  assert_int_equal(decode(&fx, s, strlen(s), &pos, 0, 3, &lines, &de, &o), 1);
  assert_true(is_null(&fx, 0, 3));
  assert_str(str(&fx, 1, 3), "NULLx");
  assert_int_equal(i64(&fx, 3, 3), 0);
  assert_false(is_null(&fx, 3, 3));
  fx_free(&fx);
}

static void test_field_count_and_bad_values(void **state) {
  (void)state;
  fixture fx;
  int types[3] = {WEIR_TYPE_INT, WEIR_TYPE_BIGINT, WEIR_TYPE_VARCHAR};
  fx_init(&fx, 3, types);
  weir__decode_err de;
  int lines;
  size_t pos = 0;
  const char *s = "1,2\n3,4,x\n";
  assert_int_equal(decode(&fx, s, strlen(s), &pos, 0, 0, &lines, &de, NULL), -1);
  assert_string_equal(de.msg, "expected 3 fields, got 2");
  assert_int_equal(pos, 4); /* past the bad record */
  assert_int_equal(lines, 1);
  assert_int_equal(decode(&fx, s, strlen(s), &pos, 0, 0, &lines, &de, NULL), 1);
  assert_int_equal(i64(&fx, 1, 0), 4);

  pos = 0;
  s = "1,2,3,4\n";
  assert_int_equal(decode(&fx, s, strlen(s), &pos, 0, 0, &lines, &de, NULL), -1);
  assert_string_equal(de.msg, "expected 3 fields, got 4");
  assert_int_equal(pos, 8);

  pos = 0;
  s = "abc,1,x\n";
  assert_int_equal(decode(&fx, s, strlen(s), &pos, 0, 0, &lines, &de, NULL), -1);
  assert_string_equal(de.msg, "expected INT for column 'a', got \"abc\"");
  assert_int_equal(pos, 8);

  pos = 0;
  s = "1,12abc,x\n";
  assert_int_equal(decode(&fx, s, strlen(s), &pos, 0, 0, &lines, &de, NULL), -1);
  assert_string_equal(de.msg, "expected BIGINT for column 'b', got \"12abc\"");

  static const struct {
    const char *rec;
    const char *msg;
  } range[] = {
      {"2147483648,0,x\n", "expected INT for column 'a', got \"2147483648\": out of range"},
      {"-2147483649,0,x\n", "expected INT for column 'a', got \"-2147483649\": out of range"},
      {"0,9223372036854775808,x\n",
       "expected BIGINT for column 'b', got \"9223372036854775808\""},
      {"0,-9223372036854775809,x\n",
       "expected BIGINT for column 'b', got \"-9223372036854775809\""},
      {"1.0,0,x\n", "expected INT for column 'a', got \"1.0\""},
      {"-,0,x\n", "expected INT for column 'a', got \"-\""},
      {"\"\"\"1\",0,x\n", "expected INT for column 'a', got \"\"1\""},
  };
  for (int i = 0; i < WEIR_ARRAY_LEN(range); i++) {
    pos = 0;
    assert_int_equal(decode(&fx, range[i].rec, strlen(range[i].rec), &pos, 0, 0, &lines, &de,
                            NULL),
                     -1);
    assert_string_equal(de.msg, range[i].msg);
    assert_int_equal(pos, strlen(range[i].rec));
  }
  pos = 0;
  s = "2147483647,-9223372036854775808,x\n-2147483648,9223372036854775807,y\n";
  assert_int_equal(decode(&fx, s, strlen(s), &pos, 0, 0, &lines, &de, NULL), 1);
  assert_int_equal(decode(&fx, s, strlen(s), &pos, 0, 1, &lines, &de, NULL), 1);
  assert_int_equal(i64(&fx, 0, 0), INT32_MAX);
  assert_int_equal(i64(&fx, 1, 0), INT64_MIN);
  assert_int_equal(i64(&fx, 0, 1), INT32_MIN);
  assert_int_equal(i64(&fx, 1, 1), INT64_MAX);

  /* A field whose target column is -1 is not decoded at all. */
  fx.t[0].col = -1;
  pos = 0;
  s = "not a number,5,z\n";
  assert_int_equal(decode(&fx, s, strlen(s), &pos, 0, 2, &lines, &de, NULL), 1);
  assert_int_equal(i64(&fx, 1, 2), 5);
  fx_free(&fx);
}

static void test_times_and_booleans(void **state) {
  (void)state;
  fixture fx;
  int types[3] = {WEIR_TYPE_TIMESTAMP, WEIR_TYPE_DATE, WEIR_TYPE_BOOLEAN};
  fx_init(&fx, 3, types);
  weir__decode_err de;
  int lines;
  static const struct {
    const char *rec;
    int64_t ts, date, b;
  } ok[] = {
      {"2001-01-01 00:00:00,2001-01-01,true\n", 978307200000LL, 11323, 1},
      {"2001-01-01 00:00:00.123,1970-01-01,FALSE\n", 978307200123LL, 0, 0},
      {"2001-01-01 00:00:00.5,1969-12-31,True\n", 978307200500LL, -1, 1},
      {"2001-01-01 00:00:00.12,2000-02-29,false\n", 978307200120LL, 11016, 0},
      {"2001-01-01T10:00:00,2001-01-01,true\n", 978343200000LL, 11323, 1},
      {"2001-01-01 00:00:00.1234,2001-01-01,true\n", 978307200123LL, 11323, 1},
      {"2001-01-01 00:00,2001-01-01,true\n", 978307200000LL, 11323, 1},
      {"2001-01-01,2001-01-01,true\n", 978307200000LL, 11323, 1},
      {"2000-02-29 23:59:59.999,2001-01-01,true\n", 951868799999LL, 11323, 1},
      {"1969-12-31 23:59:59.999,2001-01-01,true\n", -1, 11323, 1},
      {"2001-01-01 00:00:00Z,2001-01-01,true\n", 978307200000LL, 11323, 1},
  };
  for (int i = 0; i < WEIR_ARRAY_LEN(ok); i++) {
    size_t pos = 0;
    int rc = decode(&fx, ok[i].rec, strlen(ok[i].rec), &pos, 0, i, &lines, &de, NULL);
    if (rc != 1) fail_msg("\"%s\": rc %d (%s)", ok[i].rec, rc, de.msg);
    if (i64(&fx, 0, i) != ok[i].ts)
      fail_msg("\"%s\": ts %lld", ok[i].rec, (long long)i64(&fx, 0, i));
    assert_int_equal(i64(&fx, 1, i), ok[i].date);
    assert_int_equal(i64(&fx, 2, i), ok[i].b);
  }
  static const struct {
    const char *rec;
    const char *msg;
  } bad[] = {
      {"2001-02-30 00:00:00,2001-01-01,true\n",
       "expected TIMESTAMP(3) for column 'a', got \"2001-02-30 00:00:00\""},
      {"1900-02-29 00:00:00,2001-01-01,true\n",
       "expected TIMESTAMP(3) for column 'a', got \"1900-02-29 00:00:00\""},
      {"2001-01-01 24:00:00,2001-01-01,true\n",
       "expected TIMESTAMP(3) for column 'a', got \"2001-01-01 24:00:00\""},
      {"2001-01-01 00:00:00.,2001-01-01,true\n",
       "expected TIMESTAMP(3) for column 'a', got \"2001-01-01 00:00:00.\""},
      {"2001-13-01 00:00:00,2001-01-01,true\n",
       "expected TIMESTAMP(3) for column 'a', got \"2001-13-01 00:00:00\""},
      {"2001-01-01 00:00:0x,2001-01-01,true\n",
       "expected TIMESTAMP(3) for column 'a', got \"2001-01-01 00:00:0x\""},
      {"2001-01-01 00:00:00,2001-02-30,true\n", "expected DATE for column 'b', got \"2001-02-30\""},
      {"2001-01-01 00:00:00,2001-01-01,yes\n", "expected BOOLEAN for column 'c', got \"yes\""},
      {"2001-01-01 00:00:00,2001-01-01,1\n", "expected BOOLEAN for column 'c', got \"1\""},
  };
  for (int i = 0; i < WEIR_ARRAY_LEN(bad); i++) {
    size_t pos = 0;
    assert_int_equal(decode(&fx, bad[i].rec, strlen(bad[i].rec), &pos, 0, 0, &lines, &de, NULL),
                     -1);
    assert_string_equal(de.msg, bad[i].msg);
  }
  fx_free(&fx);
}

static void test_invalid_utf8_field(void **state) {
  (void)state;
  fixture fx;
  int types[2] = {WEIR_TYPE_VARCHAR, WEIR_TYPE_INT};
  fx_init(&fx, 2, types);
  weir__decode_err de;
  int lines;
  size_t pos = 0;
  const char *s = "caf\xc3\xa9,1\ncaf\xe9,2\n";
  assert_int_equal(decode(&fx, s, strlen(s), &pos, 0, 0, &lines, &de, NULL), 1);
  assert_str(str(&fx, 0, 0), "caf\xc3\xa9");
  assert_int_equal(decode(&fx, s, strlen(s), &pos, 0, 1, &lines, &de, NULL), -1);
  assert_string_equal(de.msg, "invalid UTF-8 in column 'a'");
  assert_int_equal(pos, strlen(s));
  fx_free(&fx);
}

/* ---- header ------------------------------------------------------------------------ */

static void test_header(void **state) {
  (void)state;
  weir__arena a;
  weir__arena_init(&a, 0);
  char **names_out = NULL;
  const char *h = "a,b,c";
  assert_int_equal(weir__csv_header(h, strlen(h), &dflt, &a, &names_out), 3);
  assert_string_equal(names_out[0], "a");
  assert_string_equal(names_out[1], "b");
  assert_string_equal(names_out[2], "c");

  h = "\"x,y\", z ,\"q\"\"r\",\t";
  assert_int_equal(weir__csv_header(h, strlen(h), &dflt, &a, &names_out), 4);
  assert_string_equal(names_out[0], "x,y");
  assert_string_equal(names_out[1], "z");
  assert_string_equal(names_out[2], "q\"r");
  assert_string_equal(names_out[3], "");

  assert_int_equal(weir__csv_header("", 0, &dflt, &a, &names_out), 1);
  assert_string_equal(names_out[0], "");

  /* Only n bytes are read. */
  h = "id,name,extra";
  assert_int_equal(weir__csv_header(h, 7, &dflt, &a, &names_out), 2);
  assert_string_equal(names_out[1], "name");

  /* Many columns. */
  char buf[400];
  buf[0] = 0;
  for (int i = 0; i < 40; i++) sprintf(buf + strlen(buf), "%scol%d", i ? ";" : "", i);
  weir__csv_opts o = {';', '"', NULL};
  assert_int_equal(weir__csv_header(buf, strlen(buf), &o, &a, &names_out), 40);
  assert_string_equal(names_out[0], "col0");
  assert_string_equal(names_out[17], "col17");
  assert_string_equal(names_out[39], "col39");
  weir__arena_free(&a);
}

/* ---- text values and UTF-8 ------------------------------------------------------------- */

static void test_decode_text_value(void **state) {
  (void)state;
  int types[4] = {WEIR_TYPE_BIGINT, WEIR_TYPE_DOUBLE, WEIR_TYPE_INT, WEIR_TYPE_INTERVAL};
  weir__chunk *c = weir__chunk_new(4, types, 4);
  weir__field_target big = {0, WEIR_TYPE_BIGINT, "n"}, dbl = {1, WEIR_TYPE_DOUBLE, "d"},
                     in = {2, WEIR_TYPE_INT, "i"}, iv = {3, WEIR_TYPE_INTERVAL, "iv"};
  weir__decode_err de;
  static const struct {
    const char *s;
    int64_t v;
  } ints[] = {{"0", 0},
              {"-0", 0},
              {"+5", 5},
              {"123456789012345678", 123456789012345678LL},
              {"1234567890123456789", 1234567890123456789LL},
              {"-999999999999999999", -999999999999999999LL},
              {"-9223372036854775808", INT64_MIN},
              {"9223372036854775807", INT64_MAX}};
  for (int i = 0; i < WEIR_ARRAY_LEN(ints); i++) {
    weir__chunk_set_null(c, 0, 1);
    if (weir__decode_text_value(ints[i].s, strlen(ints[i].s), &big, c, 1, &de))
      fail_msg("\"%s\": %s", ints[i].s, de.msg);
    assert_int_equal(WEIR_VEC_I64(&c->cols[0])[1], ints[i].v);
    assert_false(weir__vec_is_null(&c->cols[0], 1)); /* the value makes the row valid */
  }
  static const char *const bad_ints[] = {"", "-", "+", "1e3", "0x1F", "12 ", "１"};
  for (int i = 0; i < WEIR_ARRAY_LEN(bad_ints); i++) {
    if (weir__decode_text_value(bad_ints[i], strlen(bad_ints[i]), &big, c, 0, &de) != -1)
      fail_msg("\"%s\" accepted", bad_ints[i]);
  }
  assert_int_equal(weir__decode_text_value("", 0, &big, c, 0, &de), -1);
  assert_string_equal(de.msg, "expected BIGINT for column 'n', got \"\"");

  /* Long values are cut in the message. */
  const char *longv = "1234567890123456789012345678901234567890123456789";
  assert_int_equal(weir__decode_text_value(longv, strlen(longv), &in, c, 0, &de), -1);
  assert_string_equal(
      de.msg, "expected INT for column 'i', got \"1234567890123456789012345678901234567890...\"");

  assert_int_equal(weir__decode_text_value("-1.5e2", 6, &dbl, c, 0, &de), 0);
  assert_true(WEIR_VEC_F64(&c->cols[1])[0] == -150.0);
  assert_int_equal(weir__decode_text_value(".5", 2, &dbl, c, 0, &de), 0);
  assert_true(WEIR_VEC_F64(&c->cols[1])[0] == 0.5);
  assert_int_equal(weir__decode_text_value("1.5x", 4, &dbl, c, 0, &de), -1);
  assert_string_equal(de.msg, "expected DOUBLE for column 'd', got \"1.5x\"");
  assert_int_equal(weir__decode_text_value("0x10", 4, &dbl, c, 0, &de), -1);
  /* Only n bytes count. */
  assert_int_equal(weir__decode_text_value("42abc", 2, &in, c, 0, &de), 0);
  assert_int_equal(WEIR_VEC_I64(&c->cols[2])[0], 42);

  assert_int_equal(weir__decode_text_value("5", 1, &iv, c, 0, &de), -1);
  assert_string_equal(de.msg,
                      "column 'iv': type INTERVAL DAY TO SECOND cannot be read from text");
  weir__chunk_free(c);
}

static void test_utf8_valid(void **state) {
  (void)state;
  static const struct {
    const char *s;
    size_t n;
    int ok;
  } cases[] = {
      {"", 0, 1},
      {"plain ascii text that is long", 29, 1},
      {"nul\0inside", 10, 1},
      {"caf\xc3\xa9", 5, 1},
      {"\xe2\x82\xac", 3, 1},             /* U+20AC */
      {"\xf0\x9f\x98\x80", 4, 1},         /* U+1F600 */
      {"\xf4\x8f\xbf\xbf", 4, 1},         /* U+10FFFF */
      {"\xef\xbf\xbf", 3, 1},             /* U+FFFF */
      {"\xed\x9f\xbf", 3, 1},             /* U+D7FF */
      {"\xee\x80\x80", 3, 1},             /* U+E000 */
      {"\xc2\x80", 2, 1},                 /* U+0080 */
      {"\xe0\xa0\x80", 3, 1},             /* U+0800 */
      {"\xf0\x90\x80\x80", 4, 1},         /* U+10000 */
      {"\xc0\x80", 2, 0},                 /* overlong NUL */
      {"\xc1\xbf", 2, 0},                 /* overlong */
      {"\xe0\x80\x80", 3, 0},             /* overlong */
      {"\xe0\x9f\xbf", 3, 0},             /* overlong U+07FF */
      {"\xf0\x8f\xbf\xbf", 4, 0},         /* overlong U+FFFF */
      {"\xed\xa0\x80", 3, 0},             /* surrogate U+D800 */
      {"\xed\xbf\xbf", 3, 0},             /* surrogate U+DFFF */
      {"\xf4\x90\x80\x80", 4, 0},         /* U+110000 */
      {"\xf5\x80\x80\x80", 4, 0},
      {"\xff", 1, 0},
      {"\x80", 1, 0},                     /* lone continuation byte */
      {"\xe2\x82", 2, 0},                 /* truncated */
      {"\xe2\x28\xa1", 3, 0},             /* bad continuation */
      {"abcdefgh\xc3", 9, 0},             /* after the 8-byte fast path */
      {"abcdefghijklmnop\xc3\xa9", 18, 1},
      {"abcdefg\xc3\xa9xyzxyzxy", 17, 1}, /* straddles an 8-byte word */
      {"abcdefg\xc3(xyzxyzxy", 17, 0},
  };
  for (int i = 0; i < WEIR_ARRAY_LEN(cases); i++) {
    if (weir__utf8_valid(cases[i].s, cases[i].n) != cases[i].ok)
      fail_msg("case %d: expected %d", i, cases[i].ok);
  }
  /* The length bounds the check. */
  assert_int_equal(weir__utf8_valid("ok\xff", 2), 1);
  assert_int_equal(weir__utf8_valid("\xc3\xa9", 1), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_simple_records),
      cmocka_unit_test(test_quoting),
      cmocka_unit_test(test_crlf_and_line_endings),
      cmocka_unit_test(test_incomplete_records),
      cmocka_unit_test(test_nulls),
      cmocka_unit_test(test_field_count_and_bad_values),
      cmocka_unit_test(test_times_and_booleans),
      cmocka_unit_test(test_invalid_utf8_field),
      cmocka_unit_test(test_header),
      cmocka_unit_test(test_decode_text_value),
      cmocka_unit_test(test_utf8_valid),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

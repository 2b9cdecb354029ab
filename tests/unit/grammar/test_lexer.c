/*
 * test_lexer.c -- unit tests of the re2c tokenizer (grammar/lexer.re):
 * token codes, spans and byte offsets, lexical errors with their offsets
 * and messages, and the statement-completeness helpers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "grammar/ast.h"
#include "parse.h"

/* ---- helpers ---------------------------------------------------------------- */

typedef struct lexed {
  int code;
  int off;
  int n;
} lexed;

#define MAXTOK 64

/* Tokenize text[0..len) (text[len] must be NUL).  Returns the number of
 * tokens before the end or the first error; *last receives the final
 * code (0 or -1) and err the error. */
static int lex_all(const char *text, int len, lexed *out, int *last, weir__err *err) {
  weir__lexer lx = {text, text, text + len};
  weir__err_clear(err);
  int k = 0;
  for (;;) {
    weir__tok t;
    int code = weir__lexer_next(&lx, &t, err);
    if (code <= 0) {
      *last = code;
      if (code == 0) {
        /* The end token is empty and sits at the end of the text. */
        assert_int_equal(t.n, 0);
        assert_int_equal(t.off, len);
      }
      return k;
    }
    assert_true(k < MAXTOK);
    assert_ptr_equal(t.p, text + t.off);
    out[k].code = code;
    out[k].off = t.off;
    out[k].n = t.n;
    k++;
  }
}

/* The single token of s (which must lex to exactly one token). */
static int one_token(const char *s, int *n) {
  lexed t[MAXTOK];
  int last;
  weir__err err;
  int k = lex_all(s, (int)strlen(s), t, &last, &err);
  if (last != 0 || k != 1)
    fail_msg("\"%s\": %d tokens, last code %d (%s)", s, k, last, err.msg);
  if (n) *n = t[0].n;
  return t[0].code;
}

/* Expect a lexical error at offset off with message msg after ntok tokens. */
static void expect_error(const char *text, int len, int ntok, int off, const char *msg) {
  lexed t[MAXTOK];
  int last;
  weir__err err;
  int k = lex_all(text, len, t, &last, &err);
  if (last != -1) fail_msg("\"%s\": no error (%d tokens)", text, k);
  if (k != ntok || err.offset != off)
    fail_msg("\"%s\": error after %d tokens at %d, expected %d at %d", text, k, err.offset, ntok,
             off);
  assert_int_equal(err.code, WEIR_ERROR);
  if (msg) assert_string_equal(err.msg, msg);
}

/* ---- keywords and identifiers -------------------------------------------------- */

static const struct {
  const char *word;
  int code;
} keywords[] = {
    {"ALL", TK_ALL},
    {"AND", TK_AND},
    {"AS", TK_AS},
    {"BETWEEN", TK_BETWEEN},
    {"BY", TK_BY},
    {"CASE", TK_CASE},
    {"CAST", TK_CAST},
    {"CREATE", TK_CREATE},
    {"DATE", TK_DATE},
    {"DESC", TK_DESCRIBE},
    {"DESCRIBE", TK_DESCRIBE},
    {"DISTINCT", TK_DISTINCT},
    {"DROP", TK_DROP},
    {"ELSE", TK_ELSE},
    {"END", TK_END},
    {"ENFORCED", TK_ENFORCED},
    {"ESCAPE", TK_ESCAPE},
    {"EXISTS", TK_EXISTS},
    {"EXPLAIN", TK_EXPLAIN},
    {"FALSE", TK_FALSE},
    {"FILTER", TK_FILTER},
    {"FOR", TK_FOR},
    {"FROM", TK_FROM},
    {"GROUP", TK_GROUP},
    {"HAVING", TK_HAVING},
    {"IF", TK_IF},
    {"IN", TK_IN},
    {"INSERT", TK_INSERT},
    {"INTERVAL", TK_INTERVAL},
    {"INTO", TK_INTO},
    {"IS", TK_IS},
    {"KEY", TK_KEY},
    {"LIKE", TK_LIKE},
    {"LIMIT", TK_LIMIT},
    {"LOCAL", TK_LOCAL},
    {"NOT", TK_NOT},
    {"NULL", TK_NULL},
    {"OR", TK_OR},
    {"ORDER", TK_ORDER},
    {"PLAN", TK_PLAN},
    {"PRIMARY", TK_PRIMARY},
    {"RESET", TK_RESET},
    {"SELECT", TK_SELECT},
    {"SET", TK_SET},
    {"SHOW", TK_SHOW},
    {"SINK", TK_SINK},
    {"SOURCE", TK_SOURCE},
    {"TABLE", TK_TABLE},
    {"TABLES", TK_TABLES},
    {"THEN", TK_THEN},
    {"TIME", TK_TIME},
    {"TIMESTAMP", TK_TIMESTAMP},
    {"TRUE", TK_TRUE},
    {"TRY_CAST", TK_TRY_CAST},
    {"WATERMARK", TK_WATERMARK},
    {"WHEN", TK_WHEN},
    {"WHERE", TK_WHERE},
    {"WITH", TK_WITH},
    {"ZONE", TK_ZONE},
};

static void test_keywords_case_insensitive(void **state) {
  (void)state;
  for (int i = 0; i < WEIR_ARRAY_LEN(keywords); i++) {
    char up[32], low[32], mixed[32];
    size_t n = strlen(keywords[i].word);
    for (size_t k = 0; k <= n; k++) {
      char c = keywords[i].word[k];
      up[k] = c;
      low[k] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
      mixed[k] = k % 2 ? low[k] : up[k];
    }
    int len;
    if (one_token(up, &len) != keywords[i].code) fail_msg("%s: wrong code", up);
    assert_int_equal(len, (int)n);
    if (one_token(low, NULL) != keywords[i].code) fail_msg("%s: wrong code", low);
    if (one_token(mixed, NULL) != keywords[i].code) fail_msg("%s: wrong code", mixed);
  }
}

static void test_identifiers(void **state) {
  (void)state;
  static const char *const ids[] = {
      "abc",      "_x",     "a1$b",    "selects",       "SELECT_", "tumble", "HOP",
      "window_start", "x9",  "descr",   "asc",           "INTERVALS",
      "a_very_long_identifier_name_beyond_sixteen", "SELECTSELECTSELECT",
      "\xc3\xa9t\xc3\xa9" /* été */, "\xe5\x90\x8d"};
  for (int i = 0; i < WEIR_ARRAY_LEN(ids); i++) {
    int n;
    if (one_token(ids[i], &n) != TK_ID) fail_msg("\"%s\" is not an identifier", ids[i]);
    assert_int_equal(n, (int)strlen(ids[i]));
  }
}

static void test_quoted_identifiers(void **state) {
  (void)state;
  int n;
  assert_int_equal(one_token("`a b`", &n), TK_ID);
  assert_int_equal(n, 5);
  assert_int_equal(one_token("`a``b`", &n), TK_ID);
  assert_int_equal(n, 6);
  assert_int_equal(one_token("`select`", &n), TK_ID);
  assert_int_equal(n, 8);
  assert_int_equal(one_token("\"x\"\"y\"", &n), TK_ID);
  assert_int_equal(n, 6);
  assert_int_equal(one_token("\"with space, comma\"", &n), TK_ID);
  assert_int_equal(n, 19);
  assert_int_equal(one_token("`it's`", &n), TK_ID);
  assert_int_equal(n, 6);
  assert_int_equal(one_token("\"a`b\"", &n), TK_ID);
  assert_int_equal(n, 5);

  /* Two adjacent quoted identifiers. */
  lexed t[MAXTOK];
  int last;
  weir__err err;
  const char *s = "`a` \"b\"`c`";
  assert_int_equal(lex_all(s, (int)strlen(s), t, &last, &err), 3);
  assert_int_equal(last, 0);
  assert_int_equal(t[0].off, 0);
  assert_int_equal(t[0].n, 3);
  assert_int_equal(t[1].off, 4);
  assert_int_equal(t[1].n, 3);
  assert_int_equal(t[2].off, 7);
  assert_int_equal(t[2].n, 3);
}

/* ---- numbers and strings ------------------------------------------------------- */

static void test_numbers(void **state) {
  (void)state;
  static const struct {
    const char *s;
    int code;
  } cases[] = {{"42", TK_INTEGER},      {"0", TK_INTEGER},      {"007", TK_INTEGER},
               {"99999999999999999999999", TK_INTEGER},       {"3.14", TK_FLOAT},
               {"1e10", TK_FLOAT},      {"1E-5", TK_FLOAT},     {"2.5e+3", TK_FLOAT},
               {".5", TK_FLOAT},        {"5.", TK_FLOAT},       {"5.e3", TK_FLOAT},
               {".5E2", TK_FLOAT},      {"0.000", TK_FLOAT}};
  for (int i = 0; i < WEIR_ARRAY_LEN(cases); i++) {
    int n;
    if (one_token(cases[i].s, &n) != cases[i].code) fail_msg("\"%s\": wrong code", cases[i].s);
    assert_int_equal(n, (int)strlen(cases[i].s));
  }
  /* A sign is an operator of its own; "1.5.2" is two numbers. */
  lexed t[MAXTOK];
  int last;
  weir__err err;
  assert_int_equal(lex_all("-1", 2, t, &last, &err), 2);
  assert_int_equal(t[0].code, TK_MINUS);
  assert_int_equal(t[1].code, TK_INTEGER);
  assert_int_equal(t[1].off, 1);
  assert_int_equal(lex_all("1.5.2", 5, t, &last, &err), 2);
  assert_int_equal(t[0].code, TK_FLOAT);
  assert_int_equal(t[0].n, 3);
  assert_int_equal(t[1].code, TK_FLOAT);
  assert_int_equal(t[1].off, 3);
  assert_int_equal(t[1].n, 2);
  /* t.col: a qualified name, not a number. */
  assert_int_equal(lex_all("t.col", 5, t, &last, &err), 3);
  assert_int_equal(t[0].code, TK_ID);
  assert_int_equal(t[1].code, TK_DOT);
  assert_int_equal(t[2].code, TK_ID);
}

static void test_strings(void **state) {
  (void)state;
  int n;
  assert_int_equal(one_token("'abc'", &n), TK_STRING);
  assert_int_equal(n, 5);
  assert_int_equal(one_token("'it''s'", &n), TK_STRING);
  assert_int_equal(n, 7);
  assert_int_equal(one_token("''", &n), TK_STRING);
  assert_int_equal(n, 2);
  assert_int_equal(one_token("''''", &n), TK_STRING);
  assert_int_equal(n, 4);
  assert_int_equal(one_token("'a\nb -- not a comment /* nor this'", &n), TK_STRING);
  assert_int_equal(n, 34);
  assert_int_equal(one_token("'\"`;'", &n), TK_STRING);
  assert_int_equal(n, 5);

  /* 'a''b' is one string; 'a' 'b' are two. */
  lexed t[MAXTOK];
  int last;
  weir__err err;
  assert_int_equal(lex_all("'a' 'b'", 7, t, &last, &err), 2);
  assert_int_equal(t[0].code, TK_STRING);
  assert_int_equal(t[1].code, TK_STRING);
  assert_int_equal(t[1].off, 4);
  assert_int_equal(t[1].n, 3);
}

/* ---- comments, operators, offsets --------------------------------------------------- */

static void test_comments(void **state) {
  (void)state;
  lexed t[MAXTOK];
  int last;
  weir__err err;
  const char *s = "SELECT -- comment ; 'x\n 1 /* block\n ; */ + /**/2 -- end";
  int k = lex_all(s, (int)strlen(s), t, &last, &err);
  assert_int_equal(last, 0);
  assert_int_equal(k, 4);
  assert_int_equal(t[0].code, TK_SELECT);
  assert_int_equal(t[0].off, 0);
  assert_int_equal(t[1].code, TK_INTEGER);
  assert_int_equal(t[1].off, 24);
  assert_int_equal(t[2].code, TK_PLUS);
  assert_int_equal(t[2].off, 41);
  assert_int_equal(t[3].code, TK_INTEGER);
  assert_int_equal(t[3].off, 47);

  /* Block comments do not nest: the first close ends it. */
  s = "/* a /* b */ c */";
  k = lex_all(s, (int)strlen(s), t, &last, &err);
  assert_int_equal(last, 0);
  assert_int_equal(k, 3);
  assert_int_equal(t[0].code, TK_ID);
  assert_int_equal(t[0].off, 13);
  assert_int_equal(t[1].code, TK_STAR);
  assert_int_equal(t[2].code, TK_SLASH);

  /* Only comments and blanks: no token at all. */
  s = " -- one\n/* two */\t\r\n-- three";
  assert_int_equal(lex_all(s, (int)strlen(s), t, &last, &err), 0);
  assert_int_equal(last, 0);
  /* "-" "-" with a blank between is two minus signs. */
  assert_int_equal(lex_all("- -1", 4, t, &last, &err), 3);
  assert_int_equal(t[0].code, TK_MINUS);
  assert_int_equal(t[1].code, TK_MINUS);
  /* A star and a slash outside a comment are two operators. */
  assert_int_equal(lex_all("*/", 2, t, &last, &err), 2);
}

static void test_operators_and_offsets(void **state) {
  (void)state;
  const char *s = "<> != <= >= || == = < > + - * / % ( ) , ; .";
  static const int codes[] = {TK_NE,    TK_NE,    TK_LE,  TK_GE,    TK_CONCAT, TK_EQ,
                              TK_EQ,    TK_LT,    TK_GT,  TK_PLUS,  TK_MINUS,  TK_STAR,
                              TK_SLASH, TK_REM,   TK_LP,  TK_RP,    TK_COMMA,  TK_SEMI,
                              TK_DOT};
  static const int offs[] = {0, 3, 6, 9, 12, 15, 18, 20, 22, 24, 26, 28, 30, 32, 34, 36, 38, 40, 42};
  static const int lens[] = {2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  lexed t[MAXTOK];
  int last;
  weir__err err;
  int k = lex_all(s, (int)strlen(s), t, &last, &err);
  assert_int_equal(last, 0);
  assert_int_equal(k, WEIR_ARRAY_LEN(codes));
  for (int i = 0; i < k; i++) {
    if (t[i].code != codes[i] || t[i].off != offs[i] || t[i].n != lens[i])
      fail_msg("token %d: code %d off %d n %d, expected %d %d %d", i, t[i].code, t[i].off,
               t[i].n, codes[i], offs[i], lens[i]);
  }

  /* Longest match without blanks: "<>=" is "<>" then "=", "a<=b". */
  k = lex_all("<>=a<=b||'x'", 12, t, &last, &err);
  assert_int_equal(k, 7);
  assert_int_equal(t[0].code, TK_NE);
  assert_int_equal(t[1].code, TK_EQ);
  assert_int_equal(t[1].off, 2);
  assert_int_equal(t[2].code, TK_ID);
  assert_int_equal(t[3].code, TK_LE);
  assert_int_equal(t[3].off, 4);
  assert_int_equal(t[5].code, TK_CONCAT);
  assert_int_equal(t[6].code, TK_STRING);
  assert_int_equal(t[6].off, 9);

  /* Offsets are bytes, across lines and multi-byte characters. */
  s = "  SELECT\ta,\n \xc3\xa9 FROM t;";
  k = lex_all(s, (int)strlen(s), t, &last, &err);
  assert_int_equal(k, 7);
  static const int offs2[] = {2, 9, 10, 13, 16, 21, 22};
  static const int codes2[] = {TK_SELECT, TK_ID, TK_COMMA, TK_ID, TK_FROM, TK_ID, TK_SEMI};
  for (int i = 0; i < k; i++) {
    if (t[i].code != codes2[i] || t[i].off != offs2[i])
      fail_msg("token %d: code %d off %d", i, t[i].code, t[i].off);
  }
  assert_int_equal(t[3].n, 2);

  /* After the end the lexer keeps returning 0. */
  weir__lexer lx = {"x", "x", "x" + 1};
  weir__tok tok;
  weir__err_clear(&err);
  assert_int_equal(weir__lexer_next(&lx, &tok, &err), TK_ID);
  assert_int_equal(weir__lexer_next(&lx, &tok, &err), 0);
  assert_int_equal(weir__lexer_next(&lx, &tok, &err), 0);
  assert_int_equal(tok.off, 1);
  assert_int_equal(err.code, WEIR_OK);
}

/* ---- errors ------------------------------------------------------------------------ */

static void test_errors(void **state) {
  (void)state;
  expect_error("'abc", 4, 0, 0, "unterminated string literal");
  expect_error("SELECT 'abc", 11, 1, 7, "unterminated string literal");
  /* 'abc'' is the string 'abc' followed by an unterminated one. */
  expect_error("SELECT 'abc''", 13, 2, 12, "unterminated string literal");
  expect_error("SELECT 1 /* abc", 15, 2, 9, "unterminated comment");
  expect_error("/*/", 3, 0, 0, "unterminated comment");
  expect_error("a `abc", 6, 1, 2, "unterminated quoted identifier");
  expect_error("\"abc", 4, 0, 0, "unterminated quoted identifier");
  expect_error("\"ab\"\"", 5, 1, 4, "unterminated quoted identifier");
  expect_error("SELECT @x", 9, 1, 7, "unrecognized token \"@\"");
  expect_error("a ! b", 5, 1, 2, "unrecognized token \"!\"");
  expect_error("a | b", 5, 1, 2, "unrecognized token \"|\"");
  expect_error("a?", 2, 1, 1, "unrecognized token \"?\"");
  expect_error("$x", 2, 0, 0, "unrecognized token \"$\"");
  expect_error("x = 12abc", 9, 2, 4, "malformed number \"12abc\"");
  expect_error("1_000", 5, 0, 0, "malformed number \"1_000\"");
  expect_error("12e", 3, 0, 0, "malformed number \"12e\"");
  expect_error("1e5x", 4, 0, 0, "malformed number \"1e5x\"");

  /* A NUL byte before the end of the text is an error at its offset. */
  static const char nul1[] = "SELECT\0 1";
  expect_error(nul1, (int)sizeof nul1 - 1, 1, 6, "unexpected NUL byte in SQL text");
  static const char nul2[] = "a -- comment\0b";
  expect_error(nul2, (int)sizeof nul2 - 1, 1, 12, "unexpected NUL byte in SQL text");
  static const char nul3[] = "\0";
  expect_error(nul3, 1, 0, 0, "unexpected NUL byte in SQL text");
  /* Inside a string or quoted identifier the NUL ends the token early:
   * still an error, at the token's start. */
  static const char nul4[] = "x 'a\0b'";
  expect_error(nul4, (int)sizeof nul4 - 1, 1, 2, NULL);
  static const char nul5[] = "`a\0b`";
  expect_error(nul5, (int)sizeof nul5 - 1, 0, 0, NULL);

  /* The message is only written when there is an error. */
  lexed t[MAXTOK];
  int last;
  weir__err err;
  lex_all("SELECT 1", 8, t, &last, &err);
  assert_int_equal(err.code, WEIR_OK);
  assert_int_equal(err.offset, -1);
}

/* ---- completeness -------------------------------------------------------------------- */

static void test_grammar_complete(void **state) {
  (void)state;
  static const struct {
    const char *sql;
    int complete;
  } cases[] = {
      {"", 0},
      {"   ", 0},
      {";", 1},
      {"SELECT 1", 0},
      {"SELECT 1;", 1},
      {"SELECT 1;  \n", 1},
      {"SELECT 1; -- done", 1},
      {"SELECT 1; /* done */", 1},
      {"SELECT ';'", 0},
      {"SELECT ';", 0},
      {"SELECT 'it''s';", 1},
      {"SELECT `a;b`", 0},
      {"SELECT \"a;b", 0},
      {"SELECT 1 -- ;", 0},
      {"SELECT 1 /* ; */", 0},
      {"SELECT 1 /* ;", 0},
      {"SELECT 1 /* */;", 1},
      {"SELECT @;", 1},  /* a lexical error other than unterminated: send it */
      {"SELECT 12ab", 1},
      {"SELECT 1; SELECT 2;", 1},
      {"SELECT 1; SELECT 2", 0},
  };
  for (int i = 0; i < WEIR_ARRAY_LEN(cases); i++) {
    int got = weir__grammar_complete(cases[i].sql);
    if (got != cases[i].complete)
      fail_msg("weir__grammar_complete(\"%s\") = %d, expected %d", cases[i].sql, got,
               cases[i].complete);
  }
}

static void test_statement_end(void **state) {
  (void)state;
  static const struct {
    const char *sql;
    int n; /* -1: strlen */
    int end;
  } cases[] = {
      {"SELECT 1; SELECT 2;", -1, 9},
      {";", -1, 1},
      {"  ;", -1, 3},
      {"SELECT ';'; x", -1, 11},
      {"SELECT `;`;", -1, 11},
      {"SELECT \";\";", -1, 11},
      {"SELECT 1 -- ;\n;", -1, 15},
      {"SELECT 1 /* ; */ ;", -1, 18},
      {"SELECT 1", -1, -1},
      {"", -1, -1},
      {"SELECT 'abc;", -1, -1},
      {"SELECT 1 /* ;", -1, -1},
      {"SELECT @ ;", -1, -1},
      {"SELECT 1; SELECT 2;", 8, -1}, /* only the first n bytes are looked at */
  };
  for (int i = 0; i < WEIR_ARRAY_LEN(cases); i++) {
    /* The text must have a NUL at n: copy it. */
    char buf[128];
    int n = cases[i].n < 0 ? (int)strlen(cases[i].sql) : cases[i].n;
    memcpy(buf, cases[i].sql, (size_t)n);
    buf[n] = 0;
    int got = weir__grammar_statement_end(buf, n);
    if (got != cases[i].end)
      fail_msg("weir__grammar_statement_end(\"%s\", %d) = %d, expected %d", buf, n, got,
               cases[i].end);
  }
}

static void test_linecol(void **state) {
  (void)state;
  const char *s = "SELECT\n  a,\n  \xc3\xa9x FROM";
  int line, col;
  weir__text_linecol(s, 0, &line, &col);
  assert_int_equal(line, 1);
  assert_int_equal(col, 1);
  weir__text_linecol(s, 9, &line, &col); /* 'a' */
  assert_int_equal(line, 2);
  assert_int_equal(col, 3);
  weir__text_linecol(s, 16, &line, &col); /* 'x' after a two-byte character */
  assert_int_equal(line, 3);
  assert_int_equal(col, 4);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_keywords_case_insensitive),
      cmocka_unit_test(test_identifiers),
      cmocka_unit_test(test_quoted_identifiers),
      cmocka_unit_test(test_numbers),
      cmocka_unit_test(test_strings),
      cmocka_unit_test(test_comments),
      cmocka_unit_test(test_operators_and_offsets),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_grammar_complete),
      cmocka_unit_test(test_statement_end),
      cmocka_unit_test(test_linecol),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

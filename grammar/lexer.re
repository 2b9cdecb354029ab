/*
 * lexer.re -- the SQL tokenizer (re2c).
 *
 * A reentrant scanner over a NUL-terminated statement text: all of its
 * state is the weir__lexer struct.  Tokens are spans (pointer, length,
 * byte offset) into the text; nothing is copied.  The NUL byte at the end
 * of the text is the sentinel: it is never part of a token, and a NUL
 * byte found before the end is reported as an error.
 *
 * Entry points: weir__lexer_next, weir__grammar_complete.
 */
#include <ctype.h>
#include <stdlib.h>

#include "grammar/ast.h"
#include "parse.h"

/* Keywords, sorted by name for binary search.  Everything else that looks
 * like a word is an identifier; type names, units and function names are
 * resolved by the builders and the binder. */
static const struct {
  const char *name;
  int code;
} keywords[] = {
    {"ALL", TK_ALL},         {"AND", TK_AND},           {"AS", TK_AS},
    {"BETWEEN", TK_BETWEEN}, {"BY", TK_BY},             {"CANCEL", TK_CANCEL},
    {"CASE", TK_CASE},
    {"CAST", TK_CAST},       {"CREATE", TK_CREATE},     {"DATE", TK_DATE},
    {"DESC", TK_DESCRIBE},   {"DESCRIBE", TK_DESCRIBE}, {"DISTINCT", TK_DISTINCT},
    {"DRAIN", TK_DRAIN},
    {"DROP", TK_DROP},       {"ELSE", TK_ELSE},         {"END", TK_END},
    {"ENFORCED", TK_ENFORCED}, {"ESCAPE", TK_ESCAPE},   {"EXISTS", TK_EXISTS},
    {"EXPLAIN", TK_EXPLAIN}, {"FALSE", TK_FALSE},       {"FILTER", TK_FILTER},
    {"FOR", TK_FOR},         {"FROM", TK_FROM},         {"GROUP", TK_GROUP},
    {"HAVING", TK_HAVING},   {"IF", TK_IF},             {"IN", TK_IN},
    {"INSERT", TK_INSERT},   {"INTERVAL", TK_INTERVAL}, {"INTO", TK_INTO},
    {"IS", TK_IS},           {"JOB", TK_JOB},           {"JOBS", TK_JOBS},
    {"KEY", TK_KEY},
    {"LIKE", TK_LIKE},
    {"LIMIT", TK_LIMIT},     {"LOCAL", TK_LOCAL},       {"NOT", TK_NOT},
    {"NULL", TK_NULL},       {"OR", TK_OR},             {"ORDER", TK_ORDER},
    {"PLAN", TK_PLAN},       {"PRIMARY", TK_PRIMARY},   {"RESET", TK_RESET},
    {"SAVEPOINT", TK_SAVEPOINT},
    {"SELECT", TK_SELECT},   {"SET", TK_SET},           {"SHOW", TK_SHOW},
    {"SINK", TK_SINK},       {"SOURCE", TK_SOURCE},     {"STOP", TK_STOP},
    {"TABLE", TK_TABLE},
    {"TABLES", TK_TABLES},   {"THEN", TK_THEN},         {"TIME", TK_TIME},
    {"TIMESTAMP", TK_TIMESTAMP}, {"TRUE", TK_TRUE},     {"TRY_CAST", TK_TRY_CAST},
    {"WATERMARK", TK_WATERMARK}, {"WHEN", TK_WHEN},     {"WHERE", TK_WHERE},
    {"WITH", TK_WITH},       {"ZONE", TK_ZONE},
};

static int keyword_code(const char *p, int n) {
  char up[16];
  if (n >= (int)sizeof up) return TK_ID;
  for (int i = 0; i < n; i++) up[i] = (char)toupper((unsigned char)p[i]);
  up[n] = 0;
  int lo = 0, hi = WEIR_ARRAY_LEN(keywords) - 1;
  while (lo <= hi) {
    int mid = (lo + hi) / 2;
    int c = strcmp(up, keywords[mid].name);
    if (c == 0) return keywords[mid].code;
    if (c < 0)
      hi = mid - 1;
    else
      lo = mid + 1;
  }
  return TK_ID;
}

/* Skip a block comment whose "/" "*" has been read; returns 0, or -1 if it
 * is not closed before the end of the text. */
static int skip_block_comment(weir__lexer *lx) {
  const char *p = lx->cur;
  while (p < lx->limit) {
    if (p[0] == '*' && p + 1 < lx->limit && p[1] == '/') {
      lx->cur = p + 2;
      return 0;
    }
    p++;
  }
  lx->cur = lx->limit;
  return -1;
}

int weir__lexer_next(weir__lexer *lx, weir__tok *tok, weir__err *err) {
  const unsigned char *YYCURSOR, *YYMARKER, *start;
  (void)YYMARKER;
again:
  start = (const unsigned char *)lx->cur;
  YYCURSOR = start;
  tok->p = (const char *)start;
  tok->off = (int)((const char *)start - lx->start);
  tok->n = 0;
#define TOKEN(code)                                                   \
  do {                                                                \
    lx->cur = (const char *)YYCURSOR;                                 \
    tok->n = (int)(YYCURSOR - start);                                 \
    return (code);                                                    \
  } while (0)
  /*!re2c
    re2c:define:YYCTYPE = "unsigned char";
    re2c:yyfill:enable = 0;
    re2c:flags:utf-8 = 0;

    digit = [0-9];
    ident_start = [a-zA-Z_\x80-\xff];
    ident_rest = [a-zA-Z0-9_$\x80-\xff];
    exponent = [eE] [+-]? digit+;

    "\x00" {
      if ((const char *)YYCURSOR - 1 >= lx->limit) {
        lx->cur = lx->limit;
        tok->n = 0;
        return 0;
      }
      weir__err_set(err, WEIR_ERROR, tok->off, "unexpected NUL byte in SQL text");
      return -1;
    }
    [ \t\r\n\f\v]+ { lx->cur = (const char *)YYCURSOR; goto again; }
    "--" [^\n\x00]* { lx->cur = (const char *)YYCURSOR; goto again; }
    "/*" {
      lx->cur = (const char *)YYCURSOR;
      if (skip_block_comment(lx)) {
        weir__err_set(err, WEIR_ERROR, tok->off, "unterminated comment");
        return -1;
      }
      goto again;
    }
    ident_start ident_rest* {
      lx->cur = (const char *)YYCURSOR;
      tok->n = (int)(YYCURSOR - start);
      return keyword_code(tok->p, tok->n);
    }
    "`" ([^`\x00] | "``")* "`" { TOKEN(TK_ID); }
    ["] ([^"\x00] | ["]["])* ["] { TOKEN(TK_ID); }
    "`" | ["] {
      weir__err_set(err, WEIR_ERROR, tok->off, "unterminated quoted identifier");
      return -1;
    }
    ['] ([^'\x00] | [']['])* ['] { TOKEN(TK_STRING); }
    ['] {
      weir__err_set(err, WEIR_ERROR, tok->off, "unterminated string literal");
      return -1;
    }
    digit+ { TOKEN(TK_INTEGER); }
    digit+ "." digit* exponent? | "." digit+ exponent? | digit+ exponent { TOKEN(TK_FLOAT); }
    digit+ ident_start ident_rest* {
      weir__err_set(err, WEIR_ERROR, tok->off, "malformed number \"%.*s\"",
                    (int)(YYCURSOR - start), (const char *)start);
      return -1;
    }
    "(" { TOKEN(TK_LP); }
    ")" { TOKEN(TK_RP); }
    "," { TOKEN(TK_COMMA); }
    ";" { TOKEN(TK_SEMI); }
    "." { TOKEN(TK_DOT); }
    "*" { TOKEN(TK_STAR); }
    "+" { TOKEN(TK_PLUS); }
    "-" { TOKEN(TK_MINUS); }
    "/" { TOKEN(TK_SLASH); }
    "%" { TOKEN(TK_REM); }
    "||" { TOKEN(TK_CONCAT); }
    "=" | "==" { TOKEN(TK_EQ); }
    "<>" | "!=" { TOKEN(TK_NE); }
    "<" { TOKEN(TK_LT); }
    "<=" { TOKEN(TK_LE); }
    ">" { TOKEN(TK_GT); }
    ">=" { TOKEN(TK_GE); }
    * {
      lx->cur = (const char *)YYCURSOR;
      weir__err_set(err, WEIR_ERROR, tok->off, "unrecognized token \"%.*s\"",
                    (int)(YYCURSOR - start), (const char *)start);
      return -1;
    }
  */
#undef TOKEN
}

int weir__grammar_complete(const char *sql) {
  /* Tokenize and look for a top-level ';'.  An unterminated string or
   * comment is incomplete; any other lexical error is "complete" so that
   * the statement is sent and its error reported. */
  weir__lexer lx;
  lx.start = lx.cur = sql;
  lx.limit = sql + strlen(sql);
  weir__err err;
  int seen = 0;
  for (;;) {
    weir__tok t;
    weir__err_clear(&err);
    int code = weir__lexer_next(&lx, &t, &err);
    if (code == 0) return seen;
    if (code < 0) {
      if (strstr(err.msg, "unterminated")) return 0;
      return 1;
    }
    seen = code == TK_SEMI;
  }
}

int weir__grammar_statement_end(const char *sql, int n) {
  weir__lexer lx;
  lx.start = lx.cur = sql;
  lx.limit = sql + n;
  weir__err err;
  for (;;) {
    weir__tok t;
    weir__err_clear(&err);
    int code = weir__lexer_next(&lx, &t, &err);
    if (code <= 0) return -1;
    if (code == TK_SEMI) return t.off + 1;
  }
}

/*
 * test_parser.c -- unit tests of weir__grammar_parse_one (the Lemon
 * grammar and the AST builders of grammar/ast.c): accept and reject
 * tables, the AST each statement kind produces, literal values, and the
 * offsets and messages of errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "grammar/ast.h"

/* ---- helpers ---------------------------------------------------------------- */

static int setup(void **state) {
  weir__arena *a = malloc(sizeof *a);
  if (!a) return -1;
  weir__arena_init(a, 4096);
  *state = a;
  return 0;
}

static int teardown(void **state) {
  weir__arena *a = *state;
  weir__arena_free(a);
  free(a);
  return 0;
}

/* Parse the first statement of sql; it must succeed and yield one. */
static weir__ast_stmt *parse_ok(void **state, const char *sql, int *consumed) {
  weir__err err;
  weir__err_clear(&err);
  weir__ast_stmt *st = (weir__ast_stmt *)1;
  int used = -7;
  int rc = weir__grammar_parse_one(*state, sql, (int)strlen(sql), &used, &st, &err);
  if (rc != WEIR_OK) fail_msg("\"%s\": rc %d at %d: %s", sql, rc, err.offset, err.msg);
  if (!st) fail_msg("\"%s\": no statement", sql);
  assert_int_equal(err.code, WEIR_OK);
  assert_true(used >= 0 && used <= (int)strlen(sql));
  if (consumed) *consumed = used;
  return st;
}

/* Parse sql; it must fail with code at offset off, with message msg
 * (exact) or, when msg ends in '*', a message starting with it. */
static void parse_err(void **state, const char *sql, int code, int off, const char *msg) {
  weir__err err;
  weir__err_clear(&err);
  weir__ast_stmt *st = NULL;
  int used = -7;
  int rc = weir__grammar_parse_one(*state, sql, (int)strlen(sql), &used, &st, &err);
  if (rc == WEIR_OK) fail_msg("\"%s\" was accepted", sql);
  if (rc != code || err.code != code || err.offset != off)
    fail_msg("\"%s\": rc %d code %d at %d (%s), expected code %d at %d", sql, rc, err.code,
             err.offset, err.msg, code, off);
  size_t ml = strlen(msg);
  if (ml && msg[ml - 1] == '*') {
    if (strncmp(err.msg, msg, ml - 1) != 0)
      fail_msg("\"%s\": message \"%s\" does not start with \"%.*s\"", sql, err.msg, (int)ml - 1,
               msg);
  } else if (strcmp(err.msg, msg) != 0) {
    fail_msg("\"%s\": message \"%s\", expected \"%s\"", sql, err.msg, msg);
  }
  assert_null(st);
}

static int tok_is(weir__tok t, const char *s) {
  return t.n == (int)strlen(s) && memcmp(t.p, s, (size_t)t.n) == 0;
}
#define assert_tok(t, s)                                                                   \
  do {                                                                                     \
    if (!tok_is((t), (s))) fail_msg("token \"%.*s\", expected \"%s\"", (t).n, (t).p, (s)); \
  } while (0)

/* The single select item's expression of "SELECT <expr>". */
static weir__ast *select_expr(void **state, const char *sql) {
  weir__ast_stmt *st = parse_ok(state, sql, NULL);
  assert_int_equal(st->kind, STMT_SELECT);
  assert_non_null(st->select->items);
  assert_int_equal(st->select->items->n, 1);
  weir__ast_selitem *it = st->select->items->v[0];
  assert_non_null(it->expr);
  return it->expr;
}

#define ITEM(sel, i) ((weir__ast_selitem *)(sel)->items->v[i])

/* ---- accept / reject tables ----------------------------------------------------- */

static void test_accept_table(void **state) {
  static const struct {
    const char *sql;
    int kind;
  } cases[] = {
      {"CREATE TABLE t (a INT)", STMT_CREATE_TABLE},
      {"create table t (a int) with ('connector' = 'datagen')", STMT_CREATE_TABLE},
      {"CREATE SOURCE t (a INT)", STMT_CREATE_TABLE},
      {"CREATE SINK t (a INT, PRIMARY KEY (a) NOT ENFORCED)", STMT_CREATE_TABLE},
      {"CREATE TABLE IF NOT EXISTS t (a INT NOT NULL)", STMT_CREATE_TABLE},
      {"CREATE TABLE `my table` (`a b` STRING, \"c\" DOUBLE PRECISION)", STMT_CREATE_TABLE},
      {"CREATE TABLE t (ts TIMESTAMP(3) WITH LOCAL TIME ZONE, d DATE, b BOOLEAN)",
       STMT_CREATE_TABLE},
      {"CREATE TABLE source (sink INT, `watermark` INT, key INT, tables INT)", STMT_CREATE_TABLE},
      {"DROP TABLE t", STMT_DROP_TABLE},
      {"DROP TABLE IF EXISTS t", STMT_DROP_TABLE},
      {"INSERT INTO s SELECT * FROM t", STMT_INSERT},
      {"SELECT 1", STMT_SELECT},
      {"SELECT 1;", STMT_SELECT},
      {"select all a from t", STMT_SELECT},
      {"SELECT a FROM t ORDER BY a DESC, b ASC LIMIT 3", STMT_SELECT},
      {"SELECT COUNT(DISTINCT a), SUM(b) FILTER (WHERE b > 0) FROM t", STMT_SELECT},
      {"SELECT SUBSTRING(s FROM 2 FOR 3), SUBSTRING(s FROM 2) FROM t", STMT_SELECT},
      {"SELECT source, sink, watermark, key, tables, plan, zone FROM t", STMT_SELECT},
      {"SELECT a FROM t WHERE NOT a IS NULL AND (b OR c)", STMT_SELECT},
      {"SET 'parallelism.default' = '2'", STMT_SET},
      {"SET", STMT_SET},
      {"RESET 'parallelism.default'", STMT_RESET},
      {"RESET", STMT_RESET},
      {"SHOW TABLES", STMT_SHOW_TABLES},
      {"DESCRIBE t", STMT_DESCRIBE},
      {"DESC t", STMT_DESCRIBE},
      {"EXPLAIN SELECT 1", STMT_EXPLAIN},
      {"EXPLAIN PLAN FOR INSERT INTO s SELECT a FROM t", STMT_EXPLAIN},
  };
  for (int i = 0; i < WEIR_ARRAY_LEN(cases); i++) {
    weir__ast_stmt *st = parse_ok(state, cases[i].sql, NULL);
    if (st->kind != cases[i].kind)
      fail_msg("\"%s\": kind %d, expected %d", cases[i].sql, st->kind, cases[i].kind);
  }
}

static void test_reject_table(void **state) {
  static const struct {
    const char *sql;
    int off;
    const char *msg;
  } cases[] = {
      {"SELECT FROM t", 7, "near \"FROM\": syntax error"},
      {"SELEC 1", 0, "near \"SELEC\": syntax error"},
      {"SELECT a, FROM t", 10, "near \"FROM\": syntax error"},
      {"SELECT 1 2", 9, "near \"2\": syntax error"},
      {"SELECT a FROM t WHERE", 21, "incomplete input: syntax error at end of statement"},
      {"SELECT a FROM", 13, "incomplete input: syntax error at end of statement"},
      {"SELECT a FROM -- nothing", 13, "incomplete input: syntax error at end of statement"},
      {"SELECT (1", 9, "incomplete input: syntax error at end of statement"},
      {"SELECT (1;", 9, "incomplete input: syntax error at end of statement"},
      {"CREATE TABLE t (a INT", 21, "incomplete input: syntax error at end of statement"},
      {"CREATE TABLE t ()", 16, "near \")\": syntax error"},
      {"CREATE TABLE t (a INT) WITH (connector = 'x')", 29,
       "near \"connector\": syntax error"},
      {"CREATE TABLE t (a INT) WITH ('k' = 1)", 35, "near \"1\": syntax error"},
      {"CREATE VIEW v AS SELECT 1", 7, "near \"VIEW\": syntax error"},
      {"DROP TABLE", 10, "incomplete input: syntax error at end of statement"},
      {"DROP t", 5, "near \"t\": syntax error"},
      {"INSERT INTO t VALUES (1)", 14, "near \"VALUES\": syntax error"},
      {"EXPLAIN EXPLAIN SELECT 1", 8, "near \"EXPLAIN\": syntax error"},
      {"EXPLAIN CREATE TABLE t (a INT)", 8, "near \"CREATE\": syntax error"},
      {"SET 'a'", 7, "incomplete input: syntax error at end of statement"},
      {"SET a = 'b'", 4, "near \"a\": syntax error"},
      {"SHOW", 4, "incomplete input: syntax error at end of statement"},
      {"SHOW FUNCTIONS", 5, "near \"FUNCTIONS\": syntax error"},
      {"SELECT a FROM t GROUP a", 22, "near \"a\": syntax error"},
      {"SELECT CASE WHEN a THEN b", 25, "incomplete input: syntax error at end of statement"},
      {"SELECT CAST(a AS)", 16, "near \")\": syntax error"},
      {"SELECT a IN ()", 13, "near \")\": syntax error"},
      {"SELECT a BETWEEN 1", 18, "incomplete input: syntax error at end of statement"},
      {"/* c */ SELECT FROM", 15, "near \"FROM\": syntax error"},
      {"SELECT\n  a\n  FROM t t2 t3", 23, "near \"t3\": syntax error"},
      {"SELECT `weird name` `x` `y`", 24, "near \"`y`\": syntax error"},
      {"SELECT 1 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'", 9,
       "near \"'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\": syntax error"},
  };
  for (int i = 0; i < WEIR_ARRAY_LEN(cases); i++)
    parse_err(state, cases[i].sql, WEIR_ERROR, cases[i].off, cases[i].msg);
}

static void test_lexical_errors_in_parse(void **state) {
  parse_err(state, "SELECT 1 @", WEIR_ERROR, 9, "unrecognized token \"@\"");
  parse_err(state, "SELECT 'abc", WEIR_ERROR, 7, "unterminated string literal");
  parse_err(state, "SELECT 12abc FROM t", WEIR_ERROR, 7, "malformed number \"12abc\"");
  parse_err(state, "SELECT 1 /* x", WEIR_ERROR, 9, "unterminated comment");
  parse_err(state, "SELECT `a", WEIR_ERROR, 7, "unterminated quoted identifier");
  /* A NUL byte inside the given length. */
  static const char nul[] = "SELECT 1\0 + 2";
  weir__err err;
  weir__err_clear(&err);
  weir__ast_stmt *st = NULL;
  int used;
  int rc = weir__grammar_parse_one(*state, nul, (int)sizeof nul - 1, &used, &st, &err);
  assert_int_equal(rc, WEIR_ERROR);
  assert_int_equal(err.offset, 8);
  assert_string_equal(err.msg, "unexpected NUL byte in SQL text");
  assert_null(st);
}

/* ---- CREATE TABLE ----------------------------------------------------------------- */

static void test_create_table_ast(void **state) {
  const char *sql =
      "CREATE TABLE bids (\n"
      "  auction BIGINT,\n"
      "  price DOUBLE NOT NULL,\n"
      "  name VARCHAR(10),\n"
      "  ts TIMESTAMP(3),\n"
      "  ts2 AS ts + INTERVAL '1' SECOND,\n"
      "  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND,\n"
      "  PRIMARY KEY (auction, name) NOT ENFORCED\n"
      ") WITH ('connector' = 'file', 'path' = 'it''s.csv')";
  weir__ast_stmt *st = parse_ok(state, sql, NULL);
  assert_int_equal(st->kind, STMT_CREATE_TABLE);
  assert_int_equal(st->off, 0);
  assert_int_equal(st->end, (int)strlen(sql));
  weir__ast_create *c = st->create;
  assert_non_null(c);
  assert_tok(c->name, "bids");
  assert_tok(st->name, "bids");
  assert_int_equal(c->if_not_exists, 0);
  assert_int_equal(c->cols->n, 5);

  static const struct {
    const char *name;
    int type, prec, not_null;
  } want[] = {{"auction", WEIR_TYPE_BIGINT, -1, 0},
              {"price", WEIR_TYPE_DOUBLE, -1, 1},
              {"name", WEIR_TYPE_VARCHAR, 10, 0},
              {"ts", WEIR_TYPE_TIMESTAMP, 3, 0}};
  for (int i = 0; i < 4; i++) {
    weir__ast_coldef *cd = c->cols->v[i];
    assert_tok(cd->name, want[i].name);
    assert_int_equal(cd->type.type, want[i].type);
    assert_int_equal(cd->type.prec, want[i].prec);
    assert_int_equal(cd->not_null, want[i].not_null);
    assert_null(cd->computed);
  }
  weir__ast_coldef *ts2 = c->cols->v[4];
  assert_tok(ts2->name, "ts2");
  assert_int_equal(ts2->type.type, WEIR_TYPE_NULL);
  assert_non_null(ts2->computed);
  assert_int_equal(ts2->computed->kind, AST_BINARY);
  assert_int_equal(ts2->computed->op, AST_OP_ADD);
  assert_int_equal(ts2->computed->a->kind, AST_COLUMN);
  assert_int_equal(ts2->computed->b->kind, AST_LIT_INTERVAL);
  assert_int_equal(ts2->computed->b->ival, 1000);
  /* The computed expression's span covers "ts + INTERVAL '1' SECOND". */
  const char *cs = strstr(sql, "ts + INTERVAL");
  assert_int_equal(ts2->computed->off, (int)(cs - sql));
  assert_int_equal(ts2->computed->end, (int)(cs - sql) + 24);

  assert_tok(c->wm_col, "ts");
  assert_non_null(c->wm_expr);
  assert_int_equal(c->wm_expr->kind, AST_BINARY);
  assert_int_equal(c->wm_expr->op, AST_OP_SUB);
  assert_int_equal(c->wm_expr->b->ival, 5000);

  assert_non_null(c->pk);
  assert_int_equal(c->pk->n, 2);
  assert_tok(*(weir__tok *)c->pk->v[0], "auction");
  assert_tok(*(weir__tok *)c->pk->v[1], "name");
  assert_int_equal(c->pk_off, (int)(strstr(sql, "PRIMARY") - sql));

  assert_int_equal(c->options->n, 2);
  weir__ast_option *o0 = c->options->v[0], *o1 = c->options->v[1];
  assert_string_equal(o0->key, "connector");
  assert_string_equal(o0->value, "file");
  assert_string_equal(o1->key, "path");
  assert_string_equal(o1->value, "it's.csv");
  assert_int_equal(o0->key_off, (int)(strstr(sql, "'connector'") - sql));
  assert_int_equal(o1->value_off, (int)(strstr(sql, "'it''s.csv'") - sql));
}

static void test_create_table_variants(void **state) {
  weir__ast_stmt *st = parse_ok(state, "CREATE TABLE IF NOT EXISTS t (a INT)", NULL);
  assert_int_equal(st->create->if_not_exists, 1);
  assert_null(st->create->options);
  assert_null(st->create->pk);
  assert_int_equal(st->create->wm_col.n, 0);
  assert_null(st->create->wm_expr);

  st = parse_ok(state,
                "CREATE SINK `my sink` (`a``b` STRING, \"c\" DOUBLE PRECISION, d SMALLINT, "
                "e FLOAT, f TIMESTAMP(3) WITH LOCAL TIME ZONE, g TIMESTAMP_LTZ(3), h BOOL, "
                "i DATE, j TIMESTAMP, k CHAR(1), l TINYINT, m INTEGER, n TEXT, o REAL)",
                NULL);
  assert_tok(st->create->name, "my sink");
  static const struct {
    const char *name;
    int type;
  } want[] = {{"a`b", WEIR_TYPE_VARCHAR},
              {"c", WEIR_TYPE_DOUBLE},
              {"d", WEIR_TYPE_INT},
              {"e", WEIR_TYPE_DOUBLE},
              {"f", WEIR_TYPE_TIMESTAMP_LTZ},
              {"g", WEIR_TYPE_TIMESTAMP_LTZ},
              {"h", WEIR_TYPE_BOOLEAN},
              {"i", WEIR_TYPE_DATE},
              {"j", WEIR_TYPE_TIMESTAMP},
              {"k", WEIR_TYPE_VARCHAR},
              {"l", WEIR_TYPE_INT},
              {"m", WEIR_TYPE_INT},
              {"n", WEIR_TYPE_VARCHAR},
              {"o", WEIR_TYPE_DOUBLE}};
  assert_int_equal(st->create->cols->n, WEIR_ARRAY_LEN(want));
  for (int i = 0; i < WEIR_ARRAY_LEN(want); i++) {
    weir__ast_coldef *cd = st->create->cols->v[i];
    assert_tok(cd->name, want[i].name);
    if (cd->type.type != want[i].type)
      fail_msg("column %s: type %d, expected %d", want[i].name, cd->type.type, want[i].type);
  }
  weir__ast_coldef *f = st->create->cols->v[4];
  assert_int_equal(f->type.prec, 3);

  /* PRIMARY KEY without NOT ENFORCED parses but is rejected. */
  parse_err(state, "CREATE TABLE t (a INT, PRIMARY KEY (a))", WEIR_ERROR, 23,
            "PRIMARY KEY must be declared NOT ENFORCED*");
  parse_err(state,
            "CREATE TABLE t (a INT, PRIMARY KEY (a) NOT ENFORCED, PRIMARY KEY (a) NOT ENFORCED)",
            WEIR_ERROR, 53, "a table can declare only one PRIMARY KEY");
  parse_err(state,
            "CREATE TABLE t (ts TIMESTAMP(3), WATERMARK FOR ts AS ts, WATERMARK FOR ts AS ts)",
            WEIR_ERROR, 57, "a table can declare only one WATERMARK");
  parse_err(state, "CREATE TABLE t (a DECIMAL(10, 2))", WEIR_UNSUPPORTED, 18,
            "type DECIMAL is not supported yet; use DOUBLE or BIGINT");
  parse_err(state, "CREATE TABLE t (a FOO)", WEIR_ERROR, 18, "unknown type \"FOO\"");
  parse_err(state, "CREATE TABLE t (a DOUBLE TROUBLE)", WEIR_ERROR, 25,
            "unknown type \"DOUBLE TROUBLE\"");
  parse_err(state, "CREATE TABLE t (a INT(3))", WEIR_ERROR, 18, "type INT takes no arguments");
  parse_err(state, "CREATE TABLE t (a VARCHAR(1, 2))", WEIR_ERROR, 18,
            "type VARCHAR takes one argument");
  parse_err(state, "CREATE TABLE t (a TIMESTAMP(10))", WEIR_ERROR, 28,
            "TIMESTAMP precision must be between 0 and 9, got 10");
  parse_err(state, "CREATE TABLE t (a INT WITH LOCAL TIME ZONE)", WEIR_ERROR, 18,
            "WITH LOCAL TIME ZONE applies to TIMESTAMP only");
}

/* ---- other statements --------------------------------------------------------------- */

static void test_simple_statements(void **state) {
  weir__ast_stmt *st = parse_ok(state, "DROP TABLE t", NULL);
  assert_int_equal(st->kind, STMT_DROP_TABLE);
  assert_tok(st->name, "t");
  assert_int_equal(st->if_exists, 0);
  st = parse_ok(state, "drop table if exists `x y`", NULL);
  assert_tok(st->name, "x y");
  assert_int_equal(st->if_exists, 1);
  assert_int_equal(st->name.off, 21);

  st = parse_ok(state, "SET 'parallelism.default' = '2'", NULL);
  assert_int_equal(st->kind, STMT_SET);
  assert_string_equal(st->key, "parallelism.default");
  assert_string_equal(st->value, "2");
  assert_int_equal(st->key_off, 4);
  assert_int_equal(st->value_off, 28);
  st = parse_ok(state, "SET 'k''q' = 'it''s'", NULL);
  assert_string_equal(st->key, "k'q");
  assert_string_equal(st->value, "it's");
  st = parse_ok(state, "SET", NULL);
  assert_int_equal(st->kind, STMT_SET);
  assert_null(st->key);
  assert_null(st->value);
  assert_int_equal(st->key_off, -1);
  st = parse_ok(state, "RESET 'a.b'", NULL);
  assert_int_equal(st->kind, STMT_RESET);
  assert_string_equal(st->key, "a.b");
  assert_null(st->value);
  st = parse_ok(state, "reset", NULL);
  assert_int_equal(st->kind, STMT_RESET);
  assert_null(st->key);

  st = parse_ok(state, "SHOW TABLES", NULL);
  assert_int_equal(st->kind, STMT_SHOW_TABLES);
  st = parse_ok(state, "DESCRIBE bids", NULL);
  assert_int_equal(st->kind, STMT_DESCRIBE);
  assert_tok(st->name, "bids");
  st = parse_ok(state, "desc `b c`", NULL);
  assert_int_equal(st->kind, STMT_DESCRIBE);
  assert_tok(st->name, "b c");

  st = parse_ok(state, "EXPLAIN SELECT a FROM t", NULL);
  assert_int_equal(st->kind, STMT_EXPLAIN);
  assert_non_null(st->inner);
  assert_int_equal(st->inner->kind, STMT_SELECT);
  assert_tok(st->inner->select->from->table, "t");
  st = parse_ok(state, "EXPLAIN PLAN FOR INSERT INTO s SELECT a FROM t", NULL);
  assert_int_equal(st->kind, STMT_EXPLAIN);
  assert_int_equal(st->inner->kind, STMT_INSERT);
  assert_tok(st->inner->name, "s");

  st = parse_ok(state, "INSERT INTO sink SELECT a, b FROM src WHERE a > 0", NULL);
  assert_int_equal(st->kind, STMT_INSERT);
  assert_tok(st->name, "sink");
  assert_non_null(st->select);
  assert_int_equal(st->select->items->n, 2);
  assert_tok(st->select->from->table, "src");
  assert_non_null(st->select->where);
}

/* ---- SELECT -------------------------------------------------------------------------- */

static void test_select_clauses(void **state) {
  const char *sql =
      "SELECT DISTINCT a AS x, b y, t.c, *, t.* FROM src AS s WHERE a > 1 AND b IS NOT NULL "
      "GROUP BY a, b HAVING COUNT(*) > 2 LIMIT 10";
  weir__ast_stmt *st = parse_ok(state, sql, NULL);
  weir__ast_select *s = st->select;
  assert_int_equal(s->distinct, 1);
  assert_int_equal(s->off, 0);
  assert_int_equal(s->items->n, 5);
  assert_int_equal(ITEM(s, 0)->expr->kind, AST_COLUMN);
  assert_tok(ITEM(s, 0)->expr->name, "a");
  assert_tok(ITEM(s, 0)->alias, "x");
  assert_tok(ITEM(s, 1)->alias, "y");
  weir__ast *tc = ITEM(s, 2)->expr;
  assert_int_equal(tc->kind, AST_COLUMN);
  assert_tok(tc->qual, "t");
  assert_tok(tc->name, "c");
  assert_int_equal(tc->off, 29);
  assert_int_equal(tc->end, 32);
  assert_int_equal(ITEM(s, 2)->alias.n, 0);
  assert_int_equal(ITEM(s, 3)->expr->kind, AST_STAR);
  assert_int_equal(ITEM(s, 3)->expr->qual.n, 0);
  assert_int_equal(ITEM(s, 4)->expr->kind, AST_STAR);
  assert_tok(ITEM(s, 4)->expr->qual, "t");

  assert_int_equal(s->from->kind, AST_FROM_TABLE);
  assert_tok(s->from->table, "src");
  assert_tok(s->from->alias, "s");
  assert_int_equal(s->where->kind, AST_BINARY);
  assert_int_equal(s->where->op, AST_OP_AND);
  assert_int_equal(s->where->a->op, AST_OP_GT);
  assert_int_equal(s->where->b->kind, AST_IS_NULL);
  assert_int_equal(s->where->b->flags, AST_F_NOT);
  assert_int_equal(s->group_by->n, 2);
  assert_int_equal(((weir__ast *)s->group_by->v[1])->kind, AST_COLUMN);
  assert_int_equal(s->having->op, AST_OP_GT);
  weir__ast *cnt = s->having->a;
  assert_int_equal(cnt->kind, AST_FUNC);
  assert_tok(cnt->name, "COUNT");
  assert_int_equal(cnt->flags, AST_F_STAR);
  assert_null(cnt->list);
  assert_int_equal(s->limit->kind, AST_LIT_INT);
  assert_int_equal(s->limit->ival, 10);
  assert_int_equal(s->order_off, -1);

  /* Without FROM; ORDER BY is parsed (and its offset kept for the
   * binder's error). */
  st = parse_ok(state, "SELECT 1", NULL);
  assert_null(st->select->from);
  assert_null(st->select->where);
  assert_null(st->select->group_by);
  assert_null(st->select->having);
  assert_null(st->select->limit);
  assert_int_equal(st->select->distinct, 0);
  st = parse_ok(state, "SELECT a FROM t ORDER BY a DESC", NULL);
  assert_int_equal(st->select->order_off, 16);

  /* Aggregates with DISTINCT and FILTER. */
  st = parse_ok(state, "SELECT COUNT(DISTINCT a) FILTER (WHERE a > 1) FROM t", NULL);
  weir__ast *f = ITEM(st->select, 0)->expr;
  assert_int_equal(f->kind, AST_FUNC);
  assert_int_equal(f->flags, AST_F_DISTINCT);
  assert_int_equal(f->list->n, 1);
  assert_non_null(f->filter);
  assert_int_equal(f->filter->op, AST_OP_GT);
  assert_int_equal(f->end, 45);

  /* SUBSTRING(s FROM 2 FOR 3) is a call with three arguments. */
  f = select_expr(state, "SELECT SUBSTRING(s FROM 2 FOR 3)");
  assert_int_equal(f->kind, AST_FUNC);
  assert_int_equal(f->list->n, 3);
  assert_int_equal(((weir__ast *)f->list->v[2])->ival, 3);
}

static void test_window_tvf(void **state) {
  const char *sql =
      "SELECT window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), "
      "INTERVAL '1' HOUR)) GROUP BY window_start, window_end";
  weir__ast_stmt *st = parse_ok(state, sql, NULL);
  weir__ast_from *fr = st->select->from;
  assert_int_equal(fr->kind, AST_FROM_TVF);
  assert_tok(fr->fn, "TUMBLE");
  assert_tok(fr->table, "bids");
  assert_int_equal(fr->alias.n, 0);
  assert_int_equal(fr->off, 35);
  assert_int_equal(fr->fn_args->n, 2);
  weir__ast *d = fr->fn_args->v[0];
  assert_int_equal(d->kind, AST_FUNC);
  assert_tok(d->name, "DESCRIPTOR");
  assert_int_equal(d->list->n, 1);
  assert_tok(((weir__ast *)d->list->v[0])->name, "ts");
  weir__ast *iv = fr->fn_args->v[1];
  assert_int_equal(iv->kind, AST_LIT_INTERVAL);
  assert_int_equal(iv->ival, 3600000);

  st = parse_ok(state,
                "select * from table(hop(table bids, descriptor(ts), interval '2' second, "
                "interval '10' second)) as w",
                NULL);
  fr = st->select->from;
  assert_int_equal(fr->kind, AST_FROM_TVF);
  assert_tok(fr->fn, "hop");
  assert_tok(fr->alias, "w");
  assert_int_equal(fr->fn_args->n, 3);
  assert_int_equal(((weir__ast *)fr->fn_args->v[1])->ival, 2000);
  assert_int_equal(((weir__ast *)fr->fn_args->v[2])->ival, 10000);

  /* The TABLE keyword before the table name is required. */
  parse_err(state, "SELECT * FROM TABLE(TUMBLE(bids, DESCRIPTOR(ts), INTERVAL '1' HOUR))",
            WEIR_ERROR, 27, "near \"bids\": syntax error");
}

static void test_expressions(void **state) {
  /* CASE with and without operand. */
  weir__ast *e = select_expr(state,
                             "SELECT CASE WHEN a = 1 THEN 'one' WHEN a = 2 THEN 'two' ELSE "
                             "'many' END");
  assert_int_equal(e->kind, AST_CASE);
  assert_null(e->a);
  assert_int_equal(e->list->n, 4);
  assert_int_equal(((weir__ast *)e->list->v[0])->op, AST_OP_EQ);
  assert_string_equal(((weir__ast *)e->list->v[3])->sval, "two");
  assert_non_null(e->b);
  assert_string_equal(e->b->sval, "many");
  assert_int_equal(e->off, 7);
  assert_int_equal(e->end, 71);
  e = select_expr(state, "SELECT CASE a WHEN 1 THEN 2 END");
  assert_int_equal(e->kind, AST_CASE);
  assert_non_null(e->a);
  assert_int_equal(e->a->kind, AST_COLUMN);
  assert_int_equal(e->list->n, 2);
  assert_null(e->b);

  /* CAST and TRY_CAST. */
  e = select_expr(state, "SELECT CAST(a AS BIGINT)");
  assert_int_equal(e->kind, AST_CAST);
  assert_int_equal(e->tspec.type, WEIR_TYPE_BIGINT);
  assert_int_equal(e->flags, 0);
  assert_int_equal(e->a->kind, AST_COLUMN);
  assert_int_equal(e->end, 24);
  e = select_expr(state, "SELECT TRY_CAST(s AS INT)");
  assert_int_equal(e->kind, AST_CAST);
  assert_int_equal(e->tspec.type, WEIR_TYPE_INT);
  assert_int_equal(e->flags, AST_F_TRY);
  e = select_expr(state, "SELECT CAST(s AS VARCHAR(5))");
  assert_int_equal(e->tspec.type, WEIR_TYPE_VARCHAR);
  assert_int_equal(e->tspec.prec, 5);

  /* BETWEEN, IN, LIKE, IS NULL. */
  e = select_expr(state, "SELECT a BETWEEN 1 AND 10");
  assert_int_equal(e->kind, AST_BETWEEN);
  assert_int_equal(e->flags, 0);
  assert_int_equal(e->b->ival, 1);
  assert_int_equal(e->c->ival, 10);
  e = select_expr(state, "SELECT a NOT BETWEEN 1 AND 10 AND b");
  assert_int_equal(e->kind, AST_BINARY);
  assert_int_equal(e->op, AST_OP_AND);
  assert_int_equal(e->a->kind, AST_BETWEEN);
  assert_int_equal(e->a->flags, AST_F_NOT);
  assert_int_equal(e->b->kind, AST_COLUMN);
  e = select_expr(state, "SELECT a IN (1, 2, NULL)");
  assert_int_equal(e->kind, AST_IN);
  assert_int_equal(e->flags, 0);
  assert_int_equal(e->list->n, 3);
  assert_int_equal(((weir__ast *)e->list->v[2])->kind, AST_LIT_NULL);
  assert_int_equal(e->end, 24);
  e = select_expr(state, "SELECT a NOT IN ('x')");
  assert_int_equal(e->kind, AST_IN);
  assert_int_equal(e->flags, AST_F_NOT);
  e = select_expr(state, "SELECT s LIKE 'a%' ESCAPE '!'");
  assert_int_equal(e->kind, AST_LIKE);
  assert_string_equal(e->b->sval, "a%");
  assert_non_null(e->c);
  assert_string_equal(e->c->sval, "!");
  e = select_expr(state, "SELECT s NOT LIKE '_b'");
  assert_int_equal(e->kind, AST_LIKE);
  assert_int_equal(e->flags, AST_F_NOT);
  assert_null(e->c);
  e = select_expr(state, "SELECT a IS NULL");
  assert_int_equal(e->kind, AST_IS_NULL);
  assert_int_equal(e->flags, 0);
  assert_int_equal(e->end, 16);
}

static void test_precedence(void **state) {
  weir__ast *e = select_expr(state, "SELECT 1 + 2 * 3");
  assert_int_equal(e->op, AST_OP_ADD);
  assert_int_equal(e->a->ival, 1);
  assert_int_equal(e->b->op, AST_OP_MUL);

  e = select_expr(state, "SELECT (1 + 2) * 3");
  assert_int_equal(e->op, AST_OP_MUL);
  assert_int_equal(e->a->op, AST_OP_ADD);
  assert_int_equal(e->a->off, 7); /* the parenthesis */
  assert_int_equal(e->a->end, 14);

  e = select_expr(state, "SELECT 10 - 2 - 3");
  assert_int_equal(e->op, AST_OP_SUB);
  assert_int_equal(e->a->op, AST_OP_SUB); /* left associative */
  assert_int_equal(e->b->ival, 3);

  e = select_expr(state, "SELECT a OR b AND c");
  assert_int_equal(e->op, AST_OP_OR);
  assert_int_equal(e->b->op, AST_OP_AND);

  e = select_expr(state, "SELECT NOT a = b");
  assert_int_equal(e->kind, AST_UNARY);
  assert_int_equal(e->op, AST_OP_NOT);
  assert_int_equal(e->a->op, AST_OP_EQ);

  e = select_expr(state, "SELECT -a * b");
  assert_int_equal(e->op, AST_OP_MUL);
  assert_int_equal(e->a->kind, AST_UNARY);
  assert_int_equal(e->a->op, AST_OP_NEG);

  e = select_expr(state, "SELECT a || b || c");
  assert_int_equal(e->op, AST_OP_CONCAT);
  assert_int_equal(e->a->op, AST_OP_CONCAT);

  e = select_expr(state, "SELECT a < b = TRUE");
  assert_int_equal(e->op, AST_OP_EQ);
  assert_int_equal(e->a->op, AST_OP_LT);

  e = select_expr(state, "SELECT a % 3 <> 0");
  assert_int_equal(e->op, AST_OP_NE);
  assert_int_equal(e->a->op, AST_OP_MOD);

  e = select_expr(state, "SELECT a + 1 BETWEEN 2 AND 3 OR b");
  assert_int_equal(e->op, AST_OP_OR);
  assert_int_equal(e->a->kind, AST_BETWEEN);
  assert_int_equal(e->a->a->op, AST_OP_ADD);
}

/* ---- literals ----------------------------------------------------------------------- */

static void test_literals(void **state) {
  weir__ast *e = select_expr(state, "SELECT 42");
  assert_int_equal(e->kind, AST_LIT_INT);
  assert_int_equal(e->ival, 42);
  e = select_expr(state, "SELECT 9223372036854775807");
  assert_int_equal(e->kind, AST_LIT_INT);
  assert_int_equal(e->ival, INT64_MAX);
  e = select_expr(state, "SELECT 99999999999999999999");
  assert_int_equal(e->kind, AST_LIT_DOUBLE);
  assert_true(e->dval == 1e20);
  e = select_expr(state, "SELECT 3.5");
  assert_int_equal(e->kind, AST_LIT_DOUBLE);
  assert_true(e->dval == 3.5);
  e = select_expr(state, "SELECT 1e-3");
  assert_true(e->dval == 1e-3);
  e = select_expr(state, "SELECT -7");
  assert_int_equal(e->kind, AST_UNARY);
  assert_int_equal(e->op, AST_OP_NEG);
  assert_int_equal(e->a->ival, 7);
  e = select_expr(state, "SELECT 'it''s'");
  assert_int_equal(e->kind, AST_LIT_STRING);
  assert_string_equal(e->sval, "it's");
  assert_int_equal(e->slen, 4);
  assert_int_equal(e->off, 7);
  assert_int_equal(e->end, 14);
  e = select_expr(state, "SELECT ''");
  assert_int_equal(e->kind, AST_LIT_STRING);
  assert_string_equal(e->sval, "");
  assert_int_equal(e->slen, 0);
  e = select_expr(state, "SELECT TRUE");
  assert_int_equal(e->kind, AST_LIT_BOOL);
  assert_int_equal(e->ival, 1);
  e = select_expr(state, "SELECT false");
  assert_int_equal(e->kind, AST_LIT_BOOL);
  assert_int_equal(e->ival, 0);
  e = select_expr(state, "SELECT NULL");
  assert_int_equal(e->kind, AST_LIT_NULL);

  e = select_expr(state, "SELECT TIMESTAMP '2001-01-01 00:00:00'");
  assert_int_equal(e->kind, AST_LIT_TIMESTAMP);
  assert_int_equal(e->ival, 978307200000LL);
  assert_int_equal(e->off, 7);
  assert_int_equal(e->end, 38);
  e = select_expr(state, "SELECT TIMESTAMP '1969-12-31 23:59:59.999'");
  assert_int_equal(e->ival, -1);
  e = select_expr(state, "SELECT timestamp '2001-01-01 12:34:56.789'");
  assert_int_equal(e->ival, 978352496789LL);
  e = select_expr(state, "SELECT DATE '2001-01-01'");
  assert_int_equal(e->kind, AST_LIT_DATE);
  assert_int_equal(e->ival, 11323);

  parse_err(state, "SELECT TIMESTAMP '2001-02-30 00:00:00'", WEIR_ERROR, 17,
            "invalid TIMESTAMP literal '2001-02-30 00:00:00': expected "
            "'YYYY-MM-DD HH:MM:SS[.fff]'");
  parse_err(state, "SELECT DATE 'x'", WEIR_ERROR, 12,
            "invalid DATE literal 'x': expected 'YYYY-MM-DD'");
  parse_err(state, "SELECT 1e999", WEIR_ERROR, 7, "numeric literal 1e999 is out of range");
}

static void test_interval_literals(void **state) {
  static const struct {
    const char *sql;
    int64_t ms;
  } cases[] = {{"SELECT INTERVAL '5' SECOND", 5000},
               {"SELECT INTERVAL '1' HOUR", 3600000},
               {"SELECT INTERVAL '2' DAY", 172800000},
               {"SELECT INTERVAL '1' MINUTE", 60000},
               {"SELECT INTERVAL '250' MILLISECOND", 250},
               {"SELECT INTERVAL '1' WEEK", 604800000},
               {"SELECT interval '10' second", 10000},
               {"SELECT INTERVAL '1.5' SECOND", 1500},
               {"SELECT INTERVAL '0.001' SECOND", 1},
               {"SELECT INTERVAL '1.5' MINUTE", 90000},
               {"SELECT INTERVAL '-3' SECOND", -3000},
               {"SELECT INTERVAL ' 7 ' SECOND", 7000},
               {"SELECT INTERVAL '0' DAY", 0},
               {"SELECT INTERVAL '106751991167' DAY", 106751991167LL * 86400000LL}};
  for (int i = 0; i < WEIR_ARRAY_LEN(cases); i++) {
    weir__ast *e = select_expr(state, cases[i].sql);
    assert_int_equal(e->kind, AST_LIT_INTERVAL);
    if (e->ival != cases[i].ms)
      fail_msg("%s: %lld, expected %lld", cases[i].sql, (long long)e->ival,
               (long long)cases[i].ms);
  }
  weir__ast *e = select_expr(state, "SELECT INTERVAL '5' SECOND");
  assert_int_equal(e->off, 7);
  assert_int_equal(e->end, 26);

  parse_err(state, "SELECT INTERVAL '1' YEAR", WEIR_UNSUPPORTED, 20,
            "INTERVAL ... YEAR is not supported yet*");
  parse_err(state, "SELECT INTERVAL '1' MONTH", WEIR_UNSUPPORTED, 20,
            "INTERVAL ... MONTH is not supported yet*");
  parse_err(state, "SELECT INTERVAL '1' FORTNIGHT", WEIR_ERROR, 20,
            "unknown interval unit \"FORTNIGHT\": expected SECOND, MINUTE, HOUR or DAY");
  parse_err(state, "SELECT INTERVAL 'x' SECOND", WEIR_ERROR, 16,
            "invalid interval value 'x' for unit SECOND");
  parse_err(state, "SELECT INTERVAL '0.0005' SECOND", WEIR_ERROR, 16,
            "invalid interval value '0.0005' for unit SECOND");
  parse_err(state, "SELECT INTERVAL '1.5' MILLISECOND", WEIR_ERROR, 16,
            "invalid interval value '1.5' for unit MILLISECOND");
  parse_err(state, "SELECT INTERVAL '' SECOND", WEIR_ERROR, 16,
            "invalid interval value '' for unit SECOND");
  parse_err(state, "SELECT INTERVAL '106751991168' DAY", WEIR_RANGE, 16,
            "interval '106751991168' is out of range");
  parse_err(state, "SELECT INTERVAL 5 SECOND", WEIR_ERROR, 16, "near \"5\": syntax error");
}

/* ---- identifiers ---------------------------------------------------------------------- */

static void test_quoted_names(void **state) {
  weir__ast_stmt *st = parse_ok(state, "SELECT `my col`, \"a\"\"b\", `x``y` AS `z z` FROM `t 1`",
                                NULL);
  weir__ast_select *s = st->select;
  weir__ast *c0 = ITEM(s, 0)->expr;
  assert_tok(c0->name, "my col");
  assert_int_equal(c0->off, 7);
  assert_int_equal(c0->end, 15); /* past the closing backtick */
  weir__ast *c1 = ITEM(s, 1)->expr;
  assert_tok(c1->name, "a\"b");
  assert_int_equal(c1->off, 17);
  assert_int_equal(c1->end, 23);
  assert_tok(ITEM(s, 2)->expr->name, "x`y");
  assert_tok(ITEM(s, 2)->alias, "z z");
  assert_tok(s->from->table, "t 1");
}

/* ---- the driver: statements, comments, consumed --------------------------------------- */

static void test_only_comments(void **state) {
  static const char *const texts[] = {"", "   \n\t", "-- nothing here",
                                      "  -- nothing\n /* x ; */ ", ";", "  ; SELECT 1"};
  static const int consumed[] = {0, 5, 15, 24, 1, 3};
  for (int i = 0; i < WEIR_ARRAY_LEN(texts); i++) {
    weir__err err;
    weir__err_clear(&err);
    weir__ast_stmt *st = (weir__ast_stmt *)1;
    int used = -1;
    int rc = weir__grammar_parse_one(*state, texts[i], (int)strlen(texts[i]), &used, &st, &err);
    assert_int_equal(rc, WEIR_OK);
    if (st != NULL) fail_msg("\"%s\" gave a statement", texts[i]);
    if (used != consumed[i])
      fail_msg("\"%s\": consumed %d, expected %d", texts[i], used, consumed[i]);
    assert_int_equal(err.code, WEIR_OK);
  }
}

static void test_consumed(void **state) {
  const char *sql = "SELECT 1; SELECT 'a;b' ;  DROP TABLE t";
  int used;
  weir__ast_stmt *st = parse_ok(state, sql, &used);
  assert_int_equal(st->kind, STMT_SELECT);
  assert_int_equal(used, 9);
  assert_int_equal(st->off, 0);
  assert_int_equal(st->end, 8);

  /* The next statement starts where the first one ended; the text still
   * ends with the same NUL. */
  const char *rest = sql + used;
  int used2;
  st = parse_ok(state, rest, &used2);
  assert_int_equal(st->kind, STMT_SELECT);
  assert_int_equal(used2, 15);
  assert_int_equal(st->off, 1);
  assert_int_equal(st->end, 13);
  assert_string_equal(ITEM(st->select, 0)->expr->sval, "a;b");

  rest += used2;
  int used3;
  st = parse_ok(state, rest, &used3);
  assert_int_equal(st->kind, STMT_DROP_TABLE);
  assert_int_equal(used3, (int)strlen(rest));
  assert_int_equal(st->off, 2);

  /* A ';' inside a comment or quoted name does not end the statement. */
  st = parse_ok(state, "SELECT a -- ;\n, `b;` /* ; */ FROM t; SELECT 2", &used);
  assert_int_equal(st->select->items->n, 2);
  assert_int_equal(used, 36);

  /* Only the first len bytes are parsed. */
  weir__err err;
  weir__err_clear(&err);
  char buf[] = "SELECT 1 FROM t";
  buf[8] = 0;
  assert_int_equal(weir__grammar_parse_one(*state, buf, 8, &used, &st, &err), WEIR_OK);
  assert_non_null(st);
  assert_null(st->select->from);
  assert_int_equal(used, 8);
}

/* Deep nesting is an error, not a crash; long flat chains are fine. */
static void test_nesting(void **state) {
  char *sql = malloc(8192);
  assert_non_null(sql);
  strcpy(sql, "SELECT ");
  for (int i = 0; i < 1000; i++) strcat(sql, "(");
  strcat(sql, "1");
  for (int i = 0; i < 1000; i++) strcat(sql, ")");
  parse_err(state, sql, WEIR_ERROR, -1, "statement too deeply nested");

  strcpy(sql, "SELECT ");
  for (int i = 0; i < 50; i++) strcat(sql, "(");
  strcat(sql, "1");
  for (int i = 0; i < 50; i++) strcat(sql, ")");
  weir__ast *e = select_expr(state, sql);
  assert_int_equal(e->kind, AST_LIT_INT);
  assert_int_equal(e->off, 7);
  assert_int_equal(e->end, 7 + 101);

  strcpy(sql, "SELECT 1");
  for (int i = 0; i < 2000; i++) strcat(sql, "+2");
  e = select_expr(state, sql);
  assert_int_equal(e->op, AST_OP_ADD);
  assert_int_equal(e->b->ival, 2);
  assert_int_equal(e->end, (int)strlen(sql));
  free(sql);
}

int main(void) {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(test_accept_table),
      T(test_reject_table),
      T(test_lexical_errors_in_parse),
      T(test_create_table_ast),
      T(test_create_table_variants),
      T(test_simple_statements),
      T(test_select_clauses),
      T(test_window_tvf),
      T(test_expressions),
      T(test_precedence),
      T(test_literals),
      T(test_interval_literals),
      T(test_quoted_names),
      T(test_only_comments),
      T(test_consumed),
      T(test_nesting),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * ast.h -- the syntax tree that grammar/ produces from SQL text, and the
 * one entry point that produces it.
 *
 * Every node lives in the per-statement arena of the weir__pstate it was
 * parsed with; nothing in the tree is freed on its own.  Identifiers and
 * literals keep their byte offset into the statement text so that the
 * binder can report errors at the right place.
 */
#ifndef WEIR_AST_H
#define WEIR_AST_H

#include "util/util.h"

/* A token: pointer into the statement text, length, byte offset. */
typedef struct weir__tok {
  const char *p;
  int n;
  int off;
} weir__tok;

/* A type as written: the type id (enum weir_type), precision, scale, and
 * the offset of the type name. */
typedef struct weir__typespec {
  int type;
  int prec;
  int scale;
  int off;
} weir__typespec;

/* An arena-backed growable list of pointers. */
typedef struct weir__alist {
  int n, cap;
  void **v;
} weir__alist;

typedef enum weir__ast_kind {
  AST_LIT_NULL,
  AST_LIT_BOOL,      /* ival 0/1 */
  AST_LIT_INT,       /* ival */
  AST_LIT_DOUBLE,    /* dval */
  AST_LIT_STRING,    /* sval, slen (quotes removed, '' unescaped) */
  AST_LIT_INTERVAL,  /* ival = milliseconds */
  AST_LIT_TIMESTAMP, /* ival = milliseconds since the epoch */
  AST_LIT_DATE,      /* ival = days since the epoch */
  AST_COLUMN,        /* name, qual (optional) */
  AST_STAR,          /* SELECT *; qual for t.* */
  AST_UNARY,         /* op, a */
  AST_BINARY,        /* op, a, b */
  AST_FUNC,          /* name, list = args, flags AST_F_DISTINCT/STAR */
  AST_CASE,          /* a = operand or NULL, list = WHEN,THEN pairs, b = ELSE */
  AST_CAST,          /* a, tspec; flags AST_F_TRY for TRY_CAST */
  AST_IS_NULL,       /* a; flags AST_F_NOT */
  AST_BETWEEN,       /* a BETWEEN b AND c; flags AST_F_NOT */
  AST_IN,            /* a IN (list); flags AST_F_NOT */
  AST_LIKE           /* a LIKE b [ESCAPE c]; flags AST_F_NOT */
} weir__ast_kind;

typedef enum weir__ast_op {
  AST_OP_ADD = 1,
  AST_OP_SUB,
  AST_OP_MUL,
  AST_OP_DIV,
  AST_OP_MOD,
  AST_OP_CONCAT,
  AST_OP_EQ,
  AST_OP_NE,
  AST_OP_LT,
  AST_OP_LE,
  AST_OP_GT,
  AST_OP_GE,
  AST_OP_AND,
  AST_OP_OR,
  AST_OP_NOT,
  AST_OP_NEG,
  AST_OP_PLUS
} weir__ast_op;

#define AST_F_DISTINCT 1
#define AST_F_STAR 2
#define AST_F_NOT 4
#define AST_F_TRY 8

typedef struct weir__ast weir__ast;
struct weir__ast {
  int kind;
  int op;
  int off; /* byte offset of the node's first token */
  int end; /* byte offset just past its last token */
  int flags;
  weir__tok name;
  weir__tok qual;
  int64_t ival;
  double dval;
  char *sval;
  int slen;
  weir__typespec tspec;
  weir__ast *a, *b, *c;
  weir__alist *list;
  weir__ast *filter; /* aggregate FILTER (WHERE ...) */
};

/* A column of CREATE TABLE: a physical column (type) or a computed one
 * (computed != NULL). */
typedef struct weir__ast_coldef {
  weir__tok name;
  weir__typespec type;
  weir__ast *computed;
  int not_null;
} weir__ast_coldef;

/* 'key' = 'value' of a WITH clause. */
typedef struct weir__ast_option {
  char *key, *value;
  int key_off, value_off;
} weir__ast_option;

typedef struct weir__ast_create {
  weir__tok name;
  int if_not_exists;
  weir__alist *cols;    /* weir__ast_coldef* */
  weir__tok wm_col;     /* WATERMARK FOR wm_col AS wm_expr; n == 0 if none */
  weir__ast *wm_expr;
  weir__alist *pk;      /* weir__tok* ; NULL if no PRIMARY KEY */
  int pk_off;
  weir__alist *options; /* weir__ast_option* */
} weir__ast_create;

/* One item of a SELECT list. */
typedef struct weir__ast_selitem {
  weir__ast *expr;
  weir__tok alias; /* n == 0 if none */
} weir__ast_selitem;

typedef enum weir__ast_from_kind { AST_FROM_TABLE, AST_FROM_TVF } weir__ast_from_kind;

/* FROM t [AS a] or FROM TABLE(fn(TABLE t, DESCRIPTOR(col), args...)). */
typedef struct weir__ast_from {
  int kind;
  weir__tok table;
  weir__tok alias;
  weir__tok fn;         /* TUMBLE, HOP, ... */
  weir__alist *fn_args; /* weir__ast*, after TABLE t */
  int off;
} weir__ast_from;

typedef struct weir__ast_select {
  int distinct;
  int off;
  weir__alist *items; /* weir__ast_selitem* */
  weir__ast_from *from; /* NULL: SELECT without FROM (one row) */
  weir__ast *where;
  weir__alist *group_by; /* weir__ast* */
  weir__ast *having;
  weir__ast *limit;
  int order_off; /* offset of an ORDER BY clause (rejected), or -1 */
} weir__ast_select;

typedef enum weir__stmt_kind {
  STMT_CREATE_TABLE = 1,
  STMT_DROP_TABLE,
  STMT_INSERT,
  STMT_SELECT,
  STMT_SET,   /* key, value; key NULL = list all */
  STMT_RESET, /* key; NULL = all */
  STMT_SHOW_TABLES,
  STMT_SHOW_JOBS,
  STMT_DESCRIBE_JOB,
  STMT_STOP_JOB,      /* name, with_savepoint, with_drain */
  STMT_CANCEL_JOB,    /* name */
  STMT_SAVEPOINT_JOB, /* name */
  STMT_DESCRIBE,
  STMT_EXPLAIN
} weir__stmt_kind;

typedef struct weir__ast_stmt weir__ast_stmt;
struct weir__ast_stmt {
  int kind;
  int off, end; /* byte span of the statement in its text */
  weir__ast_create *create;
  weir__tok name;   /* DROP / DESCRIBE / INSERT target */
  int if_exists;
  weir__ast_select *select; /* SELECT, INSERT */
  char *key, *value;        /* SET / RESET */
  int key_off, value_off;
  weir__ast_stmt *inner;    /* EXPLAIN */
  weir__tok job;            /* CREATE JOB name AS INSERT ...: the job's name */
  int with_savepoint;       /* STOP JOB ... WITH SAVEPOINT */
  int with_drain;           /* STOP JOB ... WITH DRAIN */
};

/* The parse state: Lemon's extra context and the builders' arena. */
typedef struct weir__pstate {
  weir__arena *arena;
  const char *sql; /* NUL-terminated statement text */
  int sql_len;
  weir__err *err;
  weir__ast_stmt *stmt; /* the result */
  int stmt_start;       /* offset of the first token */
} weir__pstate;

/*
 * weir__grammar_parse_one -- parse the first statement of sql[0..len)
 * (which must be followed by a NUL byte at sql[len]).
 *   *consumed: bytes up to and including its ';' (or len).
 *   *out:      the statement in arena, or NULL if there was none (only
 *              white space and comments).
 * Returns WEIR_OK, WEIR_ERROR (syntax error, message and offset in err) or
 * WEIR_NOMEM.
 */
int weir__grammar_parse_one(weir__arena *arena, const char *sql, int len, int *consumed,
                            weir__ast_stmt **out, weir__err *err);

/* 1 if sql holds at least one complete statement ending in ';' outside of
 * strings, quoted identifiers and comments (the REPL's test for "run it"). */
int weir__grammar_complete(const char *sql);

/* Offset just past the first top-level ';' of sql[0..n) (NUL at sql[n]),
 * or -1 if there is none or a token is cut by the end. */
int weir__grammar_statement_end(const char *sql, int n);

/* ---- token stream (lexer.re) ----------------------------------------- */

typedef struct weir__lexer {
  const char *start; /* text, NUL-terminated at limit */
  const char *cur;
  const char *limit;
} weir__lexer;

/* The next token: returns its TK_ code (from parse.h), 0 at the end of the
 * text, or -1 on a lexical error (message in err).  tok receives its
 * span. */
int weir__lexer_next(weir__lexer *lx, weir__tok *tok, weir__err *err);

/* ---- builders (ast.c), called from parse.y actions ------------------ */

weir__alist *weir__alist_new(weir__pstate *ps, void *first);
weir__alist *weir__alist_add(weir__pstate *ps, weir__alist *l, void *item);

weir__ast *weir__ast_new(weir__pstate *ps, int kind, int off);
weir__ast *weir__ast_binary(weir__pstate *ps, int op, weir__ast *a, weir__ast *b);
weir__ast *weir__ast_unary(weir__pstate *ps, int op, weir__tok t, weir__ast *a);
weir__ast *weir__ast_column(weir__pstate *ps, weir__tok qual, weir__tok name);
weir__ast *weir__ast_literal(weir__pstate *ps, int kind, weir__tok t);
weir__ast *weir__ast_interval(weir__pstate *ps, weir__tok kw, weir__tok value, weir__tok unit);
weir__ast *weir__ast_typed_literal(weir__pstate *ps, int kind, weir__tok kw, weir__tok value);
weir__ast *weir__ast_func(weir__pstate *ps, weir__tok name, weir__alist *args, int flags,
                          weir__tok rp);
weir__ast *weir__ast_func_filter(weir__pstate *ps, weir__ast *f, weir__ast *cond, weir__tok rp);
weir__ast *weir__ast_case(weir__pstate *ps, weir__tok kw, weir__ast *operand, weir__alist *whens,
                          weir__ast *els, weir__tok endkw);
weir__ast *weir__ast_cast(weir__pstate *ps, weir__tok kw, weir__ast *a, weir__typespec t,
                          weir__tok rp, int try_);
weir__ast *weir__ast_is_null(weir__pstate *ps, weir__ast *a, int not_, weir__tok last);
weir__ast *weir__ast_between(weir__pstate *ps, weir__ast *a, weir__ast *lo, weir__ast *hi,
                             int not_);
weir__ast *weir__ast_in(weir__pstate *ps, weir__ast *a, weir__alist *list, int not_,
                        weir__tok rp);
weir__ast *weir__ast_like(weir__pstate *ps, weir__ast *a, weir__ast *pat, weir__ast *esc,
                          int not_);
weir__ast *weir__ast_paren(weir__pstate *ps, weir__tok lp, weir__ast *a, weir__tok rp);

weir__typespec weir__ast_type(weir__pstate *ps, weir__tok name, weir__tok name2, int nargs,
                              weir__tok arg1, weir__tok arg2, int ltz);

/* One element of a CREATE TABLE body, before it is added. */
typedef struct weir__ast_celem {
  int kind; /* CREATE_ELEM_* */
  void *p;  /* weir__ast_coldef* or weir__alist* of weir__tok* (PK) */
  weir__tok tok;
  weir__ast *expr;
  int off;
  int enforced_ok; /* PK: NOT ENFORCED was written */
} weir__ast_celem;
#define CREATE_ELEM_COLUMN 1
#define CREATE_ELEM_WATERMARK 2
#define CREATE_ELEM_PK 3

weir__typespec weir__ast_notype(void);
weir__tok *weir__ast_tokp(weir__pstate *ps, weir__tok t);
weir__ast_celem weir__ast_celem_column(weir__pstate *ps, weir__tok name, weir__typespec t,
                                       weir__ast *computed, int not_null);
weir__ast_celem weir__ast_celem_watermark(weir__tok kw, weir__tok col, weir__ast *e);
weir__ast_celem weir__ast_celem_pk(weir__tok kw, weir__alist *cols, int not_enforced);
weir__ast_option *weir__ast_option_new(weir__pstate *ps, weir__tok k, weir__tok v);
weir__ast_create *weir__ast_create_new(weir__pstate *ps);
void weir__ast_create_add(weir__pstate *ps, weir__ast_create *c, weir__ast_celem e);

weir__ast *weir__ast_star(weir__pstate *ps, weir__tok qual, weir__tok star);
weir__ast_selitem *weir__ast_selitem_new(weir__pstate *ps, weir__ast *e, weir__tok alias);
weir__ast_from *weir__ast_from_table(weir__pstate *ps, weir__tok name, weir__tok alias);
weir__ast_from *weir__ast_from_tvf(weir__pstate *ps, weir__tok kw, weir__tok fn,
                                   weir__tok table, weir__alist *args, weir__tok alias);
weir__ast_select *weir__ast_select_new(weir__pstate *ps, weir__tok kw, int distinct,
                                       weir__alist *items, weir__ast_from *from,
                                       weir__ast *where, weir__alist *group_by,
                                       weir__ast *having, weir__ast *limit, int order_off);

weir__ast_stmt *weir__ast_stmt_new(weir__pstate *ps, int kind, weir__tok kw);
void weir__ast_create_finish(weir__pstate *ps, weir__ast_stmt *s, weir__ast_create *c,
                             weir__tok name, int if_not_exists, weir__alist *options);
void weir__ast_stmt_name(weir__ast_stmt *s, weir__tok name, int if_exists);
weir__ast_stmt *weir__ast_stmt_select(weir__pstate *ps, weir__ast_select *sel);
weir__ast_stmt *weir__ast_stmt_insert(weir__pstate *ps, weir__tok kw, weir__tok table,
                                      weir__ast_select *sel);
weir__ast_stmt *weir__ast_stmt_set(weir__pstate *ps, int kind, weir__tok kw, weir__tok key,
                                   weir__tok value);
weir__ast_stmt *weir__ast_stmt_explain(weir__pstate *ps, weir__tok kw, weir__ast_stmt *inner);
char *weir__ast_string(weir__pstate *ps, weir__tok t); /* unquote a '...' token */
/* The same, as a token at t's offset (a name given as a string). */
weir__tok weir__ast_string_tok(weir__pstate *ps, weir__tok t);
char *weir__ast_ident(weir__pstate *ps, weir__tok t);  /* unquote an identifier */
/* The identifier text of a token: quoted identifiers lose their quotes;
 * returns a token whose p/n are the name (arena copy if unescaped). */
weir__tok weir__ast_name(weir__pstate *ps, weir__tok t);

/* Record a syntax error at tok (called from %syntax_error). */
void weir__ast_syntax_error(weir__pstate *ps, weir__tok tok, int at_end);

/* Line and column (1-based) of a byte offset in text. */
void weir__text_linecol(const char *text, int off, int *line, int *col);

#endif /* WEIR_AST_H */

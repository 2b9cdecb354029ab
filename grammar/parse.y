/*
 * parse.y -- the SQL grammar of weir (Lemon).
 *
 * Tokens come from lexer.re, one statement at a time (the driver in ast.c
 * stops at the top-level ';').  Every action is a one-line call into the
 * builders of ast.c.  All nodes live in the per-statement arena, so no
 * %type owns memory of its own and no %destructor is needed.
 *
 * Streaming words (WATERMARK, SOURCE, SINK, ...) are non-reserved: where
 * the grammar cannot use them as keywords they fall back to identifiers.
 * Type names, interval units, TUMBLE/HOP and function names are plain
 * identifiers resolved by the builders and the binder.
 */

%include {
#include <assert.h>
#include <stdlib.h>
#include "grammar/ast.h"

static const weir__tok no_tok = {NULL, 0, -1};
}

%name weir__grammar_parse
%token_prefix TK_
%token_type {weir__tok}
%default_type {weir__tok}
%extra_context {weir__pstate *ps}
%start_symbol input
%stack_size 400

%syntax_error {
  weir__ast_syntax_error(ps, TOKEN, yymajor == 0);
}
%stack_overflow {
  weir__err_set(ps->err, WEIR_ERROR, -1, "statement too deeply nested");
}

%token ID STRING INTEGER FLOAT SEMI.

%fallback ID SOURCE SINK WATERMARK ENFORCED KEY TABLES JOB JOBS PLAN LOCAL ZONE TIME
  TIMESTAMP DATE FILTER RESET SHOW DESCRIBE EXPLAIN IF EXISTS TRY_CAST PRIMARY
  ESCAPE ALL STOP CANCEL SAVEPOINT DRAIN.

%left OR.
%left AND.
%right NOT.
%left IS LIKE BETWEEN IN NE EQ.
%left GT LE LT GE.
%right ESCAPE.
%left PLUS MINUS.
%left STAR SLASH REM.
%left CONCAT.
%right UMINUS.

input ::= cmd(X). { ps->stmt = X; }

%type cmd {weir__ast_stmt*}

/* ---- CREATE TABLE / SOURCE / SINK ------------------------------------ */

cmd(A) ::= CREATE(K) tblkw ifnotexists(E) nm(N) LP celems(B) RP with_opt(O).
  { A = weir__ast_stmt_new(ps, STMT_CREATE_TABLE, K); weir__ast_create_finish(ps, A, B, N, E, O); }

tblkw ::= TABLE.
tblkw ::= SOURCE.
tblkw ::= SINK.

%type ifnotexists {int}
ifnotexists(A) ::= . { A = 0; }
ifnotexists(A) ::= IF NOT EXISTS. { A = 1; }

%type celems {weir__ast_create*}
celems(A) ::= celem(E). { A = weir__ast_create_new(ps); weir__ast_create_add(ps, A, E); }
celems(A) ::= celems(A) COMMA celem(E). { weir__ast_create_add(ps, A, E); }

%type celem {weir__ast_celem}
celem(A) ::= nm(N) typetoken(T) notnull(X).
  { A = weir__ast_celem_column(ps, N, T, NULL, X); }
celem(A) ::= nm(N) AS expr(E).
  { A = weir__ast_celem_column(ps, N, weir__ast_notype(), E, 0); }
celem(A) ::= WATERMARK(K) FOR nm(N) AS expr(E).
  { A = weir__ast_celem_watermark(K, N, E); }
celem(A) ::= PRIMARY(K) KEY LP nmlist(L) RP NOT ENFORCED.
  { A = weir__ast_celem_pk(K, L, 1); }
celem(A) ::= PRIMARY(K) KEY LP nmlist(L) RP.
  { A = weir__ast_celem_pk(K, L, 0); }

%type notnull {int}
notnull(A) ::= . { A = 0; }
notnull(A) ::= NOT NULL. { A = 1; }

%type nmlist {weir__alist*}
nmlist(A) ::= nm(N). { A = weir__alist_new(ps, weir__ast_tokp(ps, N)); }
nmlist(A) ::= nmlist(A) COMMA nm(N). { A = weir__alist_add(ps, A, weir__ast_tokp(ps, N)); }

nm(A) ::= ID(X). { A = weir__ast_name(ps, X); }

%type typetoken {weir__typespec}
typetoken(A) ::= nm(N).
  { A = weir__ast_type(ps, N, no_tok, 0, no_tok, no_tok, 0); }
typetoken(A) ::= nm(N) nm(M).
  { A = weir__ast_type(ps, N, M, 0, no_tok, no_tok, 0); }
typetoken(A) ::= nm(N) LP INTEGER(P) RP.
  { A = weir__ast_type(ps, N, no_tok, 1, P, no_tok, 0); }
typetoken(A) ::= nm(N) LP INTEGER(P) COMMA INTEGER(S) RP.
  { A = weir__ast_type(ps, N, no_tok, 2, P, S, 0); }
typetoken(A) ::= nm(N) LP INTEGER(P) RP WITH LOCAL TIME ZONE.
  { A = weir__ast_type(ps, N, no_tok, 1, P, no_tok, 1); }
typetoken(A) ::= nm(N) WITH LOCAL TIME ZONE.
  { A = weir__ast_type(ps, N, no_tok, 0, no_tok, no_tok, 1); }

%type with_opt {weir__alist*}
with_opt(A) ::= . { A = NULL; }
with_opt(A) ::= WITH LP options(L) RP. { A = L; }

%type options {weir__alist*}
options(A) ::= option(O). { A = weir__alist_new(ps, O); }
options(A) ::= options(A) COMMA option(O). { A = weir__alist_add(ps, A, O); }

%type option {weir__ast_option*}
option(A) ::= STRING(K) EQ STRING(V). { A = weir__ast_option_new(ps, K, V); }

/* ---- other statements ------------------------------------------------- */

cmd(A) ::= DROP(K) TABLE ifexists(E) nm(N).
  { A = weir__ast_stmt_new(ps, STMT_DROP_TABLE, K); weir__ast_stmt_name(A, N, E); }

%type ifexists {int}
ifexists(A) ::= . { A = 0; }
ifexists(A) ::= IF EXISTS. { A = 1; }

cmd(A) ::= query(X). { A = X; }

%type query {weir__ast_stmt*}
query(A) ::= select(S). { A = weir__ast_stmt_select(ps, S); }
query(A) ::= INSERT(K) INTO nm(N) select(S). { A = weir__ast_stmt_insert(ps, K, N, S); }
cmd(A) ::= CREATE(K) JOB nm(J) AS INSERT INTO nm(N) select(S).
  { A = weir__ast_stmt_insert(ps, K, N, S); A->job = J; }

cmd(A) ::= SET(K) STRING(X) EQ STRING(Y). { A = weir__ast_stmt_set(ps, STMT_SET, K, X, Y); }
cmd(A) ::= SET(K). { A = weir__ast_stmt_set(ps, STMT_SET, K, no_tok, no_tok); }
cmd(A) ::= RESET(K) STRING(X). { A = weir__ast_stmt_set(ps, STMT_RESET, K, X, no_tok); }
cmd(A) ::= RESET(K). { A = weir__ast_stmt_set(ps, STMT_RESET, K, no_tok, no_tok); }
cmd(A) ::= SHOW(K) TABLES. { A = weir__ast_stmt_new(ps, STMT_SHOW_TABLES, K); }
cmd(A) ::= SHOW(K) JOBS. { A = weir__ast_stmt_new(ps, STMT_SHOW_JOBS, K); }
cmd(A) ::= DESCRIBE(K) nm(N). { A = weir__ast_stmt_new(ps, STMT_DESCRIBE, K); weir__ast_stmt_name(A, N, 0); }
cmd(A) ::= DESCRIBE(K) JOB jobname(N). { A = weir__ast_stmt_new(ps, STMT_DESCRIBE_JOB, K); weir__ast_stmt_name(A, N, 0); }

/* Job control (Flink SQL's STOP JOB; CANCEL JOB and SAVEPOINT JOB are weir's). */
cmd(A) ::= STOP(K) JOB jobname(N) stopopts(O).
  { A = weir__ast_stmt_new(ps, STMT_STOP_JOB, K); weir__ast_stmt_name(A, N, 0); A->with_savepoint = O & 1; A->with_drain = (O & 2) != 0; }
cmd(A) ::= CANCEL(K) JOB jobname(N). { A = weir__ast_stmt_new(ps, STMT_CANCEL_JOB, K); weir__ast_stmt_name(A, N, 0); }
cmd(A) ::= SAVEPOINT(K) JOB jobname(N). { A = weir__ast_stmt_new(ps, STMT_SAVEPOINT_JOB, K); weir__ast_stmt_name(A, N, 0); }

/* WITH SAVEPOINT (1) and WITH DRAIN (2), in any order. */
%type stopopts {int}
stopopts(A) ::= . { A = 0; }
stopopts(A) ::= stopopts(B) WITH SAVEPOINT. { A = B | 1; }
stopopts(A) ::= stopopts(B) WITH DRAIN. { A = B | 2; }

/* A job's name: an identifier or a string ('insert-1'). */
jobname(A) ::= nm(N). { A = N; }
jobname(A) ::= STRING(S). { A = weir__ast_string_tok(ps, S); }
cmd(A) ::= EXPLAIN(K) query(X). { A = weir__ast_stmt_explain(ps, K, X); }
cmd(A) ::= EXPLAIN(K) PLAN FOR query(X). { A = weir__ast_stmt_explain(ps, K, X); }

/* ---- SELECT ----------------------------------------------------------- */

%type select {weir__ast_select*}
select(A) ::= SELECT(K) distinct(D) selcollist(L) from(F) where_opt(W) groupby_opt(G)
              having_opt(H) orderby_opt(O) limit_opt(Li).
  { A = weir__ast_select_new(ps, K, D, L, F, W, G, H, Li, O); }

%type distinct {int}
distinct(A) ::= . { A = 0; }
distinct(A) ::= DISTINCT. { A = 1; }
distinct(A) ::= ALL. { A = 0; }

%type selcollist {weir__alist*}
%type sclp {weir__alist*}
sclp(A) ::= selcollist(A) COMMA.
sclp(A) ::= . { A = NULL; }
selcollist(A) ::= sclp(A) expr(E) as(N).
  { A = weir__alist_add(ps, A, weir__ast_selitem_new(ps, E, N)); }
selcollist(A) ::= sclp(A) STAR(S).
  { A = weir__alist_add(ps, A, weir__ast_selitem_new(ps, weir__ast_star(ps, no_tok, S), no_tok)); }
selcollist(A) ::= sclp(A) nm(T) DOT STAR(S).
  { A = weir__alist_add(ps, A, weir__ast_selitem_new(ps, weir__ast_star(ps, T, S), no_tok)); }

as(A) ::= AS nm(N). { A = N; }
as(A) ::= ID(N). { A = weir__ast_name(ps, N); }
as(A) ::= . { A = no_tok; }

%type from {weir__ast_from*}
from(A) ::= . { A = NULL; }
from(A) ::= FROM seltab(X). { A = X; }

%type seltab {weir__ast_from*}
seltab(A) ::= nm(N) as(L). { A = weir__ast_from_table(ps, N, L); }
seltab(A) ::= TABLE(K) LP nm(F) LP TABLE nm(T) COMMA exprlist(L) RP RP as(Al).
  { A = weir__ast_from_tvf(ps, K, F, T, L, Al); }

%type where_opt {weir__ast*}
where_opt(A) ::= . { A = NULL; }
where_opt(A) ::= WHERE expr(X). { A = X; }

%type groupby_opt {weir__alist*}
groupby_opt(A) ::= . { A = NULL; }
groupby_opt(A) ::= GROUP BY exprlist(L). { A = L; }

%type having_opt {weir__ast*}
having_opt(A) ::= . { A = NULL; }
having_opt(A) ::= HAVING expr(X). { A = X; }

%type orderby_opt {int}
orderby_opt(A) ::= . { A = -1; }
orderby_opt(A) ::= ORDER(K) BY sortlist. { A = K.off; }
sortlist ::= sortitem.
sortlist ::= sortlist COMMA sortitem.
sortitem ::= expr sortdir.
sortdir ::= .
sortdir ::= DESCRIBE.
sortdir ::= ID.

%type limit_opt {weir__ast*}
limit_opt(A) ::= . { A = NULL; }
limit_opt(A) ::= LIMIT expr(X). { A = X; }

/* ---- expressions ------------------------------------------------------ */

%type expr {weir__ast*}
%type exprlist {weir__alist*}
%type func {weir__ast*}

exprlist(A) ::= expr(E). { A = weir__alist_new(ps, E); }
exprlist(A) ::= exprlist(A) COMMA expr(E). { A = weir__alist_add(ps, A, E); }

expr(A) ::= LP(L) expr(X) RP(R). { A = weir__ast_paren(ps, L, X, R); }
expr(A) ::= nm(N). { A = weir__ast_column(ps, no_tok, N); }
expr(A) ::= nm(Q) DOT nm(N). { A = weir__ast_column(ps, Q, N); }
expr(A) ::= INTEGER(X). { A = weir__ast_literal(ps, AST_LIT_INT, X); }
expr(A) ::= FLOAT(X). { A = weir__ast_literal(ps, AST_LIT_DOUBLE, X); }
expr(A) ::= STRING(X). { A = weir__ast_literal(ps, AST_LIT_STRING, X); }
expr(A) ::= NULL(X). { A = weir__ast_literal(ps, AST_LIT_NULL, X); }
expr(A) ::= TRUE(X). { A = weir__ast_literal(ps, AST_LIT_BOOL, X); }
expr(A) ::= FALSE(X). { A = weir__ast_literal(ps, AST_LIT_BOOL, X); }
expr(A) ::= INTERVAL(K) STRING(V) nm(U). { A = weir__ast_interval(ps, K, V, U); }
expr(A) ::= TIMESTAMP(K) STRING(V). { A = weir__ast_typed_literal(ps, AST_LIT_TIMESTAMP, K, V); }
expr(A) ::= DATE(K) STRING(V). { A = weir__ast_typed_literal(ps, AST_LIT_DATE, K, V); }

expr(A) ::= func(F). { A = F; }
expr(A) ::= func(F) FILTER LP WHERE expr(C) RP(R). { A = weir__ast_func_filter(ps, F, C, R); }
func(A) ::= nm(N) LP RP(R). { A = weir__ast_func(ps, N, NULL, 0, R); }
func(A) ::= nm(N) LP exprlist(L) RP(R). { A = weir__ast_func(ps, N, L, 0, R); }
func(A) ::= nm(N) LP DISTINCT exprlist(L) RP(R). { A = weir__ast_func(ps, N, L, AST_F_DISTINCT, R); }
func(A) ::= nm(N) LP STAR RP(R). { A = weir__ast_func(ps, N, NULL, AST_F_STAR, R); }
func(A) ::= nm(N) LP expr(X) FROM expr(Y) RP(R).
  { A = weir__ast_func(ps, N, weir__alist_add(ps, weir__alist_new(ps, X), Y), 0, R); }
func(A) ::= nm(N) LP expr(X) FROM expr(Y) FOR expr(Z) RP(R).
  { A = weir__ast_func(ps, N, weir__alist_add(ps, weir__alist_add(ps, weir__alist_new(ps, X), Y), Z), 0, R); }

expr(A) ::= expr(X) AND expr(Y). { A = weir__ast_binary(ps, AST_OP_AND, X, Y); }
expr(A) ::= expr(X) OR expr(Y). { A = weir__ast_binary(ps, AST_OP_OR, X, Y); }
expr(A) ::= expr(X) EQ expr(Y). { A = weir__ast_binary(ps, AST_OP_EQ, X, Y); }
expr(A) ::= expr(X) NE expr(Y). { A = weir__ast_binary(ps, AST_OP_NE, X, Y); }
expr(A) ::= expr(X) LT expr(Y). { A = weir__ast_binary(ps, AST_OP_LT, X, Y); }
expr(A) ::= expr(X) LE expr(Y). { A = weir__ast_binary(ps, AST_OP_LE, X, Y); }
expr(A) ::= expr(X) GT expr(Y). { A = weir__ast_binary(ps, AST_OP_GT, X, Y); }
expr(A) ::= expr(X) GE expr(Y). { A = weir__ast_binary(ps, AST_OP_GE, X, Y); }
expr(A) ::= expr(X) PLUS expr(Y). { A = weir__ast_binary(ps, AST_OP_ADD, X, Y); }
expr(A) ::= expr(X) MINUS expr(Y). { A = weir__ast_binary(ps, AST_OP_SUB, X, Y); }
expr(A) ::= expr(X) STAR expr(Y). { A = weir__ast_binary(ps, AST_OP_MUL, X, Y); }
expr(A) ::= expr(X) SLASH expr(Y). { A = weir__ast_binary(ps, AST_OP_DIV, X, Y); }
expr(A) ::= expr(X) REM expr(Y). { A = weir__ast_binary(ps, AST_OP_MOD, X, Y); }
expr(A) ::= expr(X) CONCAT expr(Y). { A = weir__ast_binary(ps, AST_OP_CONCAT, X, Y); }
expr(A) ::= NOT(K) expr(X). { A = weir__ast_unary(ps, AST_OP_NOT, K, X); }
expr(A) ::= MINUS(K) expr(X). [UMINUS] { A = weir__ast_unary(ps, AST_OP_NEG, K, X); }
expr(A) ::= PLUS(K) expr(X). [UMINUS] { A = weir__ast_unary(ps, AST_OP_PLUS, K, X); }

expr(A) ::= expr(X) IS NULL(E). { A = weir__ast_is_null(ps, X, 0, E); }
expr(A) ::= expr(X) IS NOT NULL(E). { A = weir__ast_is_null(ps, X, 1, E); }

%type between_op {int}
between_op(A) ::= BETWEEN. { A = 0; }
between_op(A) ::= NOT BETWEEN. { A = 1; }
expr(A) ::= expr(X) between_op(N) expr(Y) AND expr(Z). [BETWEEN]
  { A = weir__ast_between(ps, X, Y, Z, N); }

%type in_op {int}
in_op(A) ::= IN. { A = 0; }
in_op(A) ::= NOT IN. { A = 1; }
expr(A) ::= expr(X) in_op(N) LP exprlist(L) RP(R). [IN]
  { A = weir__ast_in(ps, X, L, N, R); }

%type like_op {int}
like_op(A) ::= LIKE. { A = 0; }
like_op(A) ::= NOT LIKE. { A = 1; }
expr(A) ::= expr(X) like_op(N) expr(Y). [LIKE] { A = weir__ast_like(ps, X, Y, NULL, N); }
expr(A) ::= expr(X) like_op(N) expr(Y) ESCAPE expr(Z). [LIKE] { A = weir__ast_like(ps, X, Y, Z, N); }

expr(A) ::= CASE(K) case_operand(O) case_whens(L) case_else(E) END(X).
  { A = weir__ast_case(ps, K, O, L, E, X); }
%type case_whens {weir__alist*}
case_whens(A) ::= WHEN expr(Y) THEN expr(Z).
  { A = weir__alist_add(ps, weir__alist_new(ps, Y), Z); }
case_whens(A) ::= case_whens(A) WHEN expr(Y) THEN expr(Z).
  { A = weir__alist_add(ps, weir__alist_add(ps, A, Y), Z); }
%type case_else {weir__ast*}
case_else(A) ::= ELSE expr(X). { A = X; }
case_else(A) ::= . { A = NULL; }
%type case_operand {weir__ast*}
case_operand(A) ::= expr(X). { A = X; }
case_operand(A) ::= . { A = NULL; }

expr(A) ::= CAST(K) LP expr(X) AS typetoken(T) RP(R). { A = weir__ast_cast(ps, K, X, T, R, 0); }
expr(A) ::= TRY_CAST(K) LP expr(X) AS typetoken(T) RP(R). { A = weir__ast_cast(ps, K, X, T, R, 1); }

/*
 * planner.h -- the planner's public face: the catalog, bound (typed)
 * expressions, the logical plan produced by the binder, and the physical
 * operator DAG produced by lowering, which exec/ instantiates.
 *
 * Lifetimes: catalog entries are heap-owned by the catalog; the logical
 * plan lives in the statement's arena; the physical plan owns an arena of
 * its own (weir__pplan_free), so a job can outlive the statement that
 * planned it and be instantiated again (restart, restore) without
 * re-planning.
 */
#ifndef WEIR_PLANNER_H
#define WEIR_PLANNER_H

#include "grammar/ast.h"
#include "util/util.h"

/* ---- types and values ------------------------------------------------ */

const char *weir__type_name(int type);
int weir__type_is_integer(int type); /* BOOLEAN excluded */
int weir__type_is_numeric(int type);
int weir__type_is_time(int type); /* TIMESTAMP or TIMESTAMP_LTZ */
/* The physical class of a type's vector: integers, doubles or strings. */
#define WEIR_PHYS_I64 0
#define WEIR_PHYS_F64 1
#define WEIR_PHYS_STR 2
int weir__type_phys(int type);

/* A string: pointer and length, not NUL-terminated. */
typedef struct weir__str {
  const char *p;
  uint32_t n;
} weir__str;

/* One SQL value (constants, single-row results). */
typedef struct weir__value {
  int type;
  int null;
  int64_t i; /* BOOLEAN, INT, BIGINT, DATE, TIMESTAMP*, INTERVAL */
  double d;  /* DOUBLE */
  weir__str s;
} weir__value;

/* Render a value as text into sb: NULL as "NULL" when null_text is set,
 * else nothing. */
void weir__value_format(const weir__value *v, weir__sb *sb);

/* ---- configuration --------------------------------------------------- */

/* The session's SET options: validated keys with string values. */
typedef struct weir__config {
  int n, cap;
  char **keys, **values;
} weir__config;

/* Set key = value after validating both; returns WEIR_OK or WEIR_ERROR
 * with a message naming the key or the bad value. */
int weir__config_set(weir__config *c, const char *key, const char *value, weir__err *err);
/* Remove key (or everything when key is NULL); unknown keys are errors. */
int weir__config_reset(weir__config *c, const char *key, weir__err *err);
/* The value of key, or its default; never NULL for known keys. */
const char *weir__config_get(const weir__config *c, const char *key);
int64_t weir__config_get_int(const weir__config *c, const char *key);
void weir__config_free(weir__config *c);
/* Known keys in order, with default and description, for SET listings. */
int weir__config_known(int i, const char **key, const char **def, const char **help);

/* ---- catalog ----------------------------------------------------------- */

typedef struct weir__column {
  char *name;
  int type;
  int not_null;
  char *computed; /* SQL text of a computed column's expression, or NULL */
  int computed_off; /* its offset in the CREATE text (error messages) */
} weir__column;

/* What a table's connector can do; filled from exec's connector registry
 * when the table is created. */
#define WEIR_CAP_SOURCE 1
#define WEIR_CAP_SINK 2
#define WEIR_CAP_SINK_UPDATES 4 /* accepts -U/+U/-D (with a primary key) */
#define WEIR_CAP_BOUNDED 8      /* as a source, ends by itself */
#define WEIR_CAP_SINK_PARALLEL 16 /* takes parallel writers (one per subtask) */
#define WEIR_CAP_SINK_EXACTLY_ONCE 32 /* commits per checkpoint (two-phase) */
#define WEIR_CAP_SOURCE_REPLAYABLE 64 /* as a source, resumes from a checkpoint */

typedef struct weir__table {
  char *name;
  int ncol;
  weir__column *cols;
  int wm_col;   /* rowtime column index, -1 if no WATERMARK */
  char *wm_sql; /* SQL text of the watermark expression */
  int wm_off;   /* its offset in the CREATE text */
  int npk;
  int *pk; /* column indices */
  int nopt;
  char **opt_keys, **opt_values;
  char *create_sql; /* the CREATE statement as written */
  int caps;         /* WEIR_CAP_* */
} weir__table;

typedef struct weir__catalog {
  weir__ptrvec tables; /* weir__table* in creation order */
} weir__catalog;

void weir__catalog_init(weir__catalog *cat);
void weir__catalog_free(weir__catalog *cat);
weir__table *weir__catalog_find(weir__catalog *cat, const char *name, int n);
/* Build a table from a CREATE statement (validating columns, watermark,
 * primary key and duplicate options); does not add it.  sql is the text
 * the statement was parsed from. */
int weir__catalog_build_table(weir__ast_create *c, const char *sql, weir__table **out,
                              weir__err *err);
int weir__catalog_add(weir__catalog *cat, weir__table *t, weir__err *err);
int weir__catalog_drop(weir__catalog *cat, const char *name, int n);
void weir__table_free(weir__table *t);
const char *weir__table_option(const weir__table *t, const char *key);
/* Is c a processing-time attribute (a computed column AS PROCTIME())? */
int weir__column_is_proctime(const weir__column *c);

/* ---- bound expressions ------------------------------------------------- */

typedef enum weir__expr_op {
  EXPR_COL = 1,
  EXPR_CONST,
  EXPR_ADD,
  EXPR_SUB,
  EXPR_MUL,
  EXPR_DIV,
  EXPR_MOD,
  EXPR_NEG,
  EXPR_CONCAT,
  EXPR_EQ,
  EXPR_NE,
  EXPR_LT,
  EXPR_LE,
  EXPR_GT,
  EXPR_GE,
  EXPR_AND,
  EXPR_OR,
  EXPR_NOT,
  EXPR_IS_NULL,
  EXPR_IS_NOT_NULL,
  EXPR_CASE,     /* args: when1, then1, ..., [else]; nargs odd => has else */
  EXPR_CAST,     /* args[0]; type = target; flags EXPR_F_TRY */
  EXPR_IN,       /* args[0] IN (args[1..]) */
  EXPR_LIKE,     /* args: string, pattern, [escape] */
  EXPR_COALESCE, /* first non-NULL arg */
  EXPR_FN_UPPER,
  EXPR_FN_LOWER,
  EXPR_FN_SUBSTRING, /* s, start, [length] */
  EXPR_FN_CHAR_LENGTH,
  EXPR_FN_TRIM,
  EXPR_FN_ABS,
  EXPR_FN_FLOOR,
  EXPR_FN_CEIL,
  EXPR_FN_TO_TIMESTAMP_LTZ, /* epoch, precision (0 s, 3 ms) */
  EXPR_FN_TO_TIMESTAMP,     /* string -> TIMESTAMP */
  EXPR_FN_TIME_FIELD,       /* HOUR(ts) ...: flags = the field (WEIR_FIELD_*) */
  EXPR_FN_REPLACE,          /* s, search, replacement */
  EXPR_FN_SPLIT_INDEX,      /* s, separator, index */
  EXPR_FN_REGEXP_EXTRACT,   /* s, pattern (constant), [group] */
  EXPR_FN_PROCTIME          /* the wall-clock time of processing */
} weir__expr_op;

/* Fields of EXPR_FN_TIME_FIELD. */
enum {
  WEIR_FIELD_YEAR = 1,
  WEIR_FIELD_MONTH,
  WEIR_FIELD_DAY,
  WEIR_FIELD_HOUR,
  WEIR_FIELD_MINUTE,
  WEIR_FIELD_SECOND
};

#define EXPR_F_TRY 1 /* TRY_CAST: NULL instead of an error */

typedef struct weir__expr weir__expr;
struct weir__expr {
  int op;
  int type;
  int off; /* byte offset in the statement text, for messages */
  int col; /* EXPR_COL: input column index */
  int flags;
  int nargs;
  weir__expr **args;
  weir__value val; /* EXPR_CONST */
};

/* Deep copy into an arena (strings included); NULL on out-of-memory. */
weir__expr *weir__expr_copy(weir__arena *a, const weir__expr *e);
/* Structural equality. */
int weir__expr_equal(const weir__expr *a, const weir__expr *b);
/* Render as SQL-like text for EXPLAIN, naming columns from names[]. */
void weir__expr_format(const weir__expr *e, char **names, weir__sb *sb);

/* ---- aggregates -------------------------------------------------------- */

typedef enum weir__agg_kind {
  AGG_COUNT_STAR = 1,
  AGG_COUNT,
  AGG_SUM,
  AGG_MIN,
  AGG_MAX,
  AGG_AVG
} weir__agg_kind;

typedef struct weir__aggcall {
  int kind;
  int arg;      /* input column of the argument, -1 for COUNT(*) */
  int arg_type; /* its type */
  int filter;   /* input column of a BOOLEAN FILTER (WHERE ..), or -1 */
  int type;     /* result type */
} weir__aggcall;

const char *weir__agg_name(int kind);

/* ---- windows ----------------------------------------------------------- */

typedef enum weir__window_kind { WINDOW_TUMBLE = 1, WINDOW_HOP } weir__window_kind;

typedef struct weir__window {
  int kind;
  int64_t size;   /* ms */
  int64_t slide;  /* ms; == size for TUMBLE */
  int64_t offset; /* ms; window starts are offset + k*slide */
  int time_col;   /* input column holding the rowtime */
} weir__window;

/* ---- logical plan ------------------------------------------------------ */

typedef enum weir__lop_kind {
  LOP_SCAN = 1,
  LOP_VALUES,
  LOP_FILTER,
  LOP_PROJECT,
  LOP_WINDOW, /* window TVF: adds window_start, window_end, window_time */
  LOP_AGG,    /* GROUP BY; windowed when window != NULL */
  LOP_LIMIT,
  LOP_SINK
} weir__lop_kind;

typedef struct weir__lplan weir__lplan;
struct weir__lplan {
  int kind;
  int ncol;
  char **names;
  int *types;
  int updating; /* output changelog: 0 append-only, 1 updates */
  int rowtime;  /* output column that is the rowtime attribute, or -1 */
  weir__lplan *input;
  weir__table *table;   /* SCAN, SINK */
  weir__expr *pred;     /* FILTER */
  weir__expr **exprs;   /* PROJECT (ncol of them) */
  weir__window window;  /* WINDOW; AGG if windowed (window.kind != 0) */
  int nkeys;            /* AGG: group keys (input columns) */
  int *keys;
  int nagg;
  weir__aggcall *aggs;
  int win_start_key, win_end_key; /* AGG windowed: key positions of them */
  int64_t limit;        /* LIMIT */
};

/* Bind a SELECT or INSERT statement against the catalog into a logical
 * plan in arena.  Errors name the object and carry its offset. */
int weir__bind(weir__catalog *cat, const weir__config *cfg, weir__ast_stmt *stmt,
               const char *sql, weir__arena *arena, weir__lplan **out, weir__err *err);

/* Print the logical plan, one operator per line, indented. */
void weir__lplan_explain(const weir__lplan *p, weir__sb *sb);

/* ---- physical plan ----------------------------------------------------- */

typedef enum weir__pop_kind {
  POP_SOURCE = 1,
  POP_VALUES,
  POP_CALC,
  POP_WATERMARK,
  POP_WINDOW_TVF,
  POP_WINDOW_AGG,
  POP_GROUP_AGG,
  POP_LIMIT,
  POP_SINK,
  POP_COLLECT,
  POP_LOCAL_AGG /* pre-aggregation before a keyed exchange */
} weir__pop_kind;

/* How records travel along an edge into an operator: to the subtask of
 * the same index (chained into one task), by key group of the hash of the
 * key columns, or all to subtask 0. */
typedef enum weir__edge_kind { EDGE_FORWARD = 1, EDGE_HASH, EDGE_GLOBAL } weir__edge_kind;

/* The two columns a partial aggregate travels in (local -> global). */
void weir__agg_partial_types(const weir__aggcall *a, int *t1, int *t2);

typedef struct weir__pop weir__pop;
struct weir__pop {
  int kind;
  int id;
  int ncol;
  char **names;
  int *types;
  int updating;
  int parallelism;
  int stateful;
  weir__pop *input; /* NULL for sources */
  int edge;         /* EDGE_* of the edge from input */
  int nedge_keys;   /* EDGE_HASH: key columns of the input */
  int *edge_keys;
  /* SOURCE */
  weir__table *table; /* a copy owned by the plan */
  int nproj;          /* physical columns read, as table column indices */
  int *proj;
  /* VALUES: one row of constants (exprs over no input) */
  /* CALC */
  weir__expr *pred;
  weir__expr **exprs; /* ncol, or NULL for a pure filter */
  /* WATERMARK */
  int rowtime;
  weir__expr *wm_expr;
  /* WINDOW_TVF, WINDOW_AGG */
  weir__window window;
  /* WINDOW_AGG, GROUP_AGG */
  int nkeys;
  int *keys;
  int nagg;
  weir__aggcall *aggs;
  /* LIMIT */
  int64_t limit;
  /* WINDOW_AGG, GROUP_AGG fed by a LOCAL_AGG: the input rows are partial
   * aggregates: keys, [slice start,] row count, then two columns per
   * aggregate starting at aggs[j].arg. */
  int partial;
  int partial_slice; /* column of the slice start (windowed) or -1 */
  int partial_rows;  /* column of the number of rows aggregated */
};

typedef struct weir__pplan {
  weir__arena arena;
  int nops;
  weir__pop **ops; /* topological order: sources first */
  weir__pop *root; /* the SINK or COLLECT */
  int is_query;    /* ends in COLLECT (ad-hoc SELECT) */
  int max_parallelism; /* number of key groups */
  int checkpointing;   /* 'execution.checkpointing.interval' > 0 */
} weir__pplan;

/* Lower a logical plan to the physical DAG.  Returns WEIR_OK or an
 * error; *out is owned by the caller (weir__pplan_free). */
int weir__plan_lower(const weir__lplan *lp, const weir__config *cfg, weir__pplan **out,
                     weir__err *err);
void weir__pplan_free(weir__pplan *p);
/* The table of the first source that cannot be read again after a
 * failure (stdin), or NULL. */
const weir__table *weir__pplan_unreplayable(const weir__pplan *pp);
void weir__pplan_explain(const weir__pplan *p, weir__sb *sb);
const char *weir__pop_name(int kind);

#endif /* WEIR_PLANNER_H */

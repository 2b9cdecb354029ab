/*
 * types.c -- SQL type helpers, value rendering, and the copy / compare /
 * print functions of bound expressions.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "planner/planner.h"

const char *weir__type_name(int type) {
  switch (type) {
  case WEIR_TYPE_NULL: return "NULL";
  case WEIR_TYPE_BOOLEAN: return "BOOLEAN";
  case WEIR_TYPE_INT: return "INT";
  case WEIR_TYPE_BIGINT: return "BIGINT";
  case WEIR_TYPE_DOUBLE: return "DOUBLE";
  case WEIR_TYPE_VARCHAR: return "VARCHAR";
  case WEIR_TYPE_DATE: return "DATE";
  case WEIR_TYPE_TIMESTAMP: return "TIMESTAMP(3)";
  case WEIR_TYPE_TIMESTAMP_LTZ: return "TIMESTAMP_LTZ(3)";
  case WEIR_TYPE_INTERVAL: return "INTERVAL DAY TO SECOND";
  }
  return "?";
}

int weir__type_is_integer(int t) { return t == WEIR_TYPE_INT || t == WEIR_TYPE_BIGINT; }
int weir__type_is_numeric(int t) { return weir__type_is_integer(t) || t == WEIR_TYPE_DOUBLE; }
int weir__type_is_time(int t) { return t == WEIR_TYPE_TIMESTAMP || t == WEIR_TYPE_TIMESTAMP_LTZ; }

int weir__type_phys(int t) {
  if (t == WEIR_TYPE_DOUBLE) return WEIR_PHYS_F64;
  if (t == WEIR_TYPE_VARCHAR) return WEIR_PHYS_STR;
  return WEIR_PHYS_I64;
}

/* Doubles print with the fewest digits that read back to the same value,
 * so 0.1 prints as 0.1 and results compare equal with other engines. */
static void format_double(double d, weir__sb *sb) {
  char buf[64];
  if (isnan(d)) {
    weir__sb_puts(sb, "NaN");
    return;
  }
  if (isinf(d)) {
    weir__sb_puts(sb, d > 0 ? "Infinity" : "-Infinity");
    return;
  }
  double a = fabs(d);
  int done = 0;
  if (a == 0 || (a >= 1e-4 && a < 1e16)) {
    /* Plain decimal notation with the fewest digits that read back to
     * the same value: 100.0, 0.1, 24.666666666666668. */
    for (int prec = 1; prec <= 24 && !done; prec++) {
      snprintf(buf, sizeof buf, "%.*f", prec, d);
      done = strtod(buf, NULL) == d;
    }
  }
  if (done) {
    /* Trailing zeros beyond the first decimal say nothing. */
    size_t n = strlen(buf);
    while (n > 2 && buf[n - 1] == '0' && buf[n - 2] != '.') buf[--n] = 0;
  } else {
    for (int prec = 1; prec <= 17; prec++) {
      snprintf(buf, sizeof buf, "%.*e", prec - 1, d);
      if (strtod(buf, NULL) == d) break;
    }
  }
  weir__sb_puts(sb, buf);
}

void weir__value_format(const weir__value *v, weir__sb *sb) {
  char buf[64];
  if (v->null) {
    weir__sb_puts(sb, "NULL");
    return;
  }
  switch (v->type) {
  case WEIR_TYPE_BOOLEAN: weir__sb_puts(sb, v->i ? "TRUE" : "FALSE"); break;
  case WEIR_TYPE_INT:
  case WEIR_TYPE_BIGINT: weir__sb_printf(sb, "%lld", (long long)v->i); break;
  case WEIR_TYPE_DOUBLE: format_double(v->d, sb); break;
  case WEIR_TYPE_VARCHAR: weir__sb_append(sb, v->s.p, v->s.n); break;
  case WEIR_TYPE_DATE:
    weir__time_format_date(v->i, buf);
    weir__sb_puts(sb, buf);
    break;
  case WEIR_TYPE_TIMESTAMP:
  case WEIR_TYPE_TIMESTAMP_LTZ:
    weir__time_format_ts(v->i, buf);
    weir__sb_puts(sb, buf);
    break;
  case WEIR_TYPE_INTERVAL:
    weir__time_format_interval(v->i, buf);
    weir__sb_puts(sb, buf);
    break;
  default: weir__sb_puts(sb, "NULL"); break;
  }
}

void weir__agg_partial_types(const weir__aggcall *a, int *t1, int *t2) {
  *t2 = WEIR_TYPE_BIGINT;
  *t1 = WEIR_TYPE_BIGINT;
  if (a->kind == AGG_COUNT || a->kind == AGG_COUNT_STAR) return;
  int ph = weir__type_phys(a->arg_type);
  if (ph == WEIR_PHYS_F64) *t1 = WEIR_TYPE_DOUBLE;
  if (ph == WEIR_PHYS_STR && (a->kind == AGG_MIN || a->kind == AGG_MAX)) *t1 = WEIR_TYPE_VARCHAR;
}

const char *weir__agg_name(int kind) {
  switch (kind) {
  case AGG_COUNT_STAR: return "COUNT(*)";
  case AGG_COUNT: return "COUNT";
  case AGG_SUM: return "SUM";
  case AGG_MIN: return "MIN";
  case AGG_MAX: return "MAX";
  case AGG_AVG: return "AVG";
  }
  return "?";
}

/* ---- expressions ------------------------------------------------------ */

weir__expr *weir__expr_copy(weir__arena *a, const weir__expr *e) {
  if (!e) return NULL;
  weir__expr *c = weir__arena_alloc(a, sizeof *c);
  if (!c) return NULL;
  *c = *e;
  if (e->op == EXPR_CONST && e->val.type == WEIR_TYPE_VARCHAR && !e->val.null) {
    char *s = weir__arena_strndup(a, e->val.s.p ? e->val.s.p : "", e->val.s.n);
    if (!s) return NULL;
    c->val.s.p = s;
  }
  if (e->nargs) {
    c->args = weir__arena_alloc(a, sizeof(weir__expr *) * (size_t)e->nargs);
    if (!c->args) return NULL;
    for (int i = 0; i < e->nargs; i++) {
      c->args[i] = weir__expr_copy(a, e->args[i]);
      if (!c->args[i]) return NULL;
    }
  }
  return c;
}

int weir__expr_equal(const weir__expr *a, const weir__expr *b) {
  if (a == b) return 1;
  if (!a || !b) return 0;
  if (a->op != b->op || a->type != b->type || a->nargs != b->nargs || a->flags != b->flags)
    return 0;
  if (a->op == EXPR_COL && a->col != b->col) return 0;
  if (a->op == EXPR_CONST) {
    if (a->val.null != b->val.null || a->val.type != b->val.type) return 0;
    if (!a->val.null) {
      if (a->val.i != b->val.i) return 0;
      if (a->val.d != b->val.d && !(isnan(a->val.d) && isnan(b->val.d))) return 0;
      if (a->val.s.n != b->val.s.n ||
          (a->val.s.n && memcmp(a->val.s.p, b->val.s.p, a->val.s.n) != 0))
        return 0;
    }
  }
  for (int i = 0; i < a->nargs; i++) {
    if (!weir__expr_equal(a->args[i], b->args[i])) return 0;
  }
  return 1;
}

static const char *op_symbol(int op) {
  switch (op) {
  case EXPR_ADD: return "+";
  case EXPR_SUB: return "-";
  case EXPR_MUL: return "*";
  case EXPR_DIV: return "/";
  case EXPR_MOD: return "%";
  case EXPR_CONCAT: return "||";
  case EXPR_EQ: return "=";
  case EXPR_NE: return "<>";
  case EXPR_LT: return "<";
  case EXPR_LE: return "<=";
  case EXPR_GT: return ">";
  case EXPR_GE: return ">=";
  case EXPR_AND: return "AND";
  case EXPR_OR: return "OR";
  }
  return NULL;
}

static const char *fn_name(int op) {
  switch (op) {
  case EXPR_COALESCE: return "COALESCE";
  case EXPR_FN_UPPER: return "UPPER";
  case EXPR_FN_LOWER: return "LOWER";
  case EXPR_FN_SUBSTRING: return "SUBSTRING";
  case EXPR_FN_CHAR_LENGTH: return "CHAR_LENGTH";
  case EXPR_FN_TRIM: return "TRIM";
  case EXPR_FN_ABS: return "ABS";
  case EXPR_FN_FLOOR: return "FLOOR";
  case EXPR_FN_CEIL: return "CEIL";
  case EXPR_FN_TO_TIMESTAMP_LTZ: return "TO_TIMESTAMP_LTZ";
  case EXPR_FN_TO_TIMESTAMP: return "TO_TIMESTAMP";
  case EXPR_FN_REPLACE: return "REPLACE";
  case EXPR_FN_SPLIT_INDEX: return "SPLIT_INDEX";
  case EXPR_FN_REGEXP_EXTRACT: return "REGEXP_EXTRACT";
  case EXPR_FN_PROCTIME: return "PROCTIME";
  }
  return NULL;
}

static const char *const time_fields[] = {"", "YEAR", "MONTH", "DAYOFMONTH", "HOUR", "MINUTE",
                                          "SECOND"};

void weir__expr_format(const weir__expr *e, char **names, weir__sb *sb) {
  const char *sym;
  switch (e->op) {
  case EXPR_COL:
    if (names)
      weir__sb_puts(sb, names[e->col]);
    else
      weir__sb_printf(sb, "$%d", e->col);
    return;
  case EXPR_CONST:
    if (e->val.null) {
      weir__sb_puts(sb, "NULL");
    } else if (e->val.type == WEIR_TYPE_VARCHAR) {
      weir__sb_putc(sb, '\'');
      weir__sb_sqlquote(sb, e->val.s.p, e->val.s.n);
      weir__sb_putc(sb, '\'');
    } else if (e->val.type == WEIR_TYPE_TIMESTAMP || e->val.type == WEIR_TYPE_TIMESTAMP_LTZ) {
      weir__sb_puts(sb, "TIMESTAMP '");
      weir__value_format(&e->val, sb);
      weir__sb_putc(sb, '\'');
    } else if (e->val.type == WEIR_TYPE_INTERVAL) {
      static const struct {
        const char *name;
        int64_t ms;
      } units[] = {{"DAY", 86400000}, {"HOUR", 3600000}, {"MINUTE", 60000}, {"SECOND", 1000}};
      int u = 0;
      while (u < 4 && (e->val.i == 0 || e->val.i % units[u].ms != 0)) u++;
      if (u < 4)
        weir__sb_printf(sb, "INTERVAL '%lld' %s", (long long)(e->val.i / units[u].ms),
                        units[u].name);
      else
        weir__sb_printf(sb, "INTERVAL '%lld' MILLISECOND", (long long)e->val.i);
    } else {
      weir__value_format(&e->val, sb);
    }
    return;
  case EXPR_NEG:
    weir__sb_puts(sb, "-(");
    weir__expr_format(e->args[0], names, sb);
    weir__sb_putc(sb, ')');
    return;
  case EXPR_NOT:
    weir__sb_puts(sb, "NOT(");
    weir__expr_format(e->args[0], names, sb);
    weir__sb_putc(sb, ')');
    return;
  case EXPR_IS_NULL:
  case EXPR_IS_NOT_NULL:
    weir__sb_putc(sb, '(');
    weir__expr_format(e->args[0], names, sb);
    weir__sb_puts(sb, e->op == EXPR_IS_NULL ? " IS NULL)" : " IS NOT NULL)");
    return;
  case EXPR_CASE:
    weir__sb_puts(sb, "CASE");
    for (int i = 0; i + 1 < e->nargs; i += 2) {
      weir__sb_puts(sb, " WHEN ");
      weir__expr_format(e->args[i], names, sb);
      weir__sb_puts(sb, " THEN ");
      weir__expr_format(e->args[i + 1], names, sb);
    }
    if (e->nargs % 2) {
      weir__sb_puts(sb, " ELSE ");
      weir__expr_format(e->args[e->nargs - 1], names, sb);
    }
    weir__sb_puts(sb, " END");
    return;
  case EXPR_CAST:
    weir__sb_puts(sb, e->flags & EXPR_F_TRY ? "TRY_CAST(" : "CAST(");
    weir__expr_format(e->args[0], names, sb);
    weir__sb_printf(sb, " AS %s)", weir__type_name(e->type));
    return;
  case EXPR_IN:
    weir__sb_putc(sb, '(');
    weir__expr_format(e->args[0], names, sb);
    weir__sb_puts(sb, " IN (");
    for (int i = 1; i < e->nargs; i++) {
      if (i > 1) weir__sb_puts(sb, ", ");
      weir__expr_format(e->args[i], names, sb);
    }
    weir__sb_puts(sb, "))");
    return;
  case EXPR_LIKE:
    weir__sb_putc(sb, '(');
    weir__expr_format(e->args[0], names, sb);
    weir__sb_puts(sb, " LIKE ");
    weir__expr_format(e->args[1], names, sb);
    if (e->nargs > 2) {
      weir__sb_puts(sb, " ESCAPE ");
      weir__expr_format(e->args[2], names, sb);
    }
    weir__sb_putc(sb, ')');
    return;
  }
  if ((sym = op_symbol(e->op)) != NULL) {
    weir__sb_putc(sb, '(');
    weir__expr_format(e->args[0], names, sb);
    weir__sb_printf(sb, " %s ", sym);
    weir__expr_format(e->args[1], names, sb);
    weir__sb_putc(sb, ')');
    return;
  }
  const char *fn = e->op == EXPR_FN_TIME_FIELD && e->flags >= 1 && e->flags <= 6
                       ? time_fields[e->flags]
                       : fn_name(e->op);
  weir__sb_puts(sb, fn ? fn : "?");
  weir__sb_putc(sb, '(');
  for (int i = 0; i < e->nargs; i++) {
    if (i) weir__sb_puts(sb, ", ");
    weir__expr_format(e->args[i], names, sb);
  }
  weir__sb_putc(sb, ')');
}

/*
 * plannerInt.h -- helpers shared by the planner's own files.
 */
#ifndef WEIR_PLANNER_INT_H
#define WEIR_PLANNER_INT_H

#include "planner/planner.h"

/*
 * Bind the computed columns and the watermark of a table being created:
 * resolves their expressions over the physical columns, fills in the
 * computed columns' types and checks the watermark.  err offsets are
 * relative to the CREATE statement text.
 */
int weir__bind_table(weir__table *t, weir__err *err);

/*
 * Parse the SQL text of one expression and bind it over the columns of t
 * (physical columns only, or all of them when all_columns is set), into
 * arena.  err_off is added to error offsets so that they point into the
 * text the expression came from.
 */
int weir__bind_table_expr(weir__table *t, const char *text, int err_off, int all_columns,
                          weir__arena *arena, weir__expr **out, weir__err *err);

/* Column indices referenced by e are set to 1 in used[]. */
void weir__expr_mark_columns(const weir__expr *e, unsigned char *used);
/* Rewrite column indices of e through map[] (old -> new). */
void weir__expr_remap(weir__expr *e, const int *map);

#endif

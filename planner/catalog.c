/*
 * catalog.c -- the tables the session knows: their columns, computed
 * columns, watermark, primary key and connector options.
 *
 * A table is built from a CREATE TABLE statement (weir__catalog_build_table),
 * checked, and then added.  Everything a table holds is heap memory owned
 * by it, independent of the statement that created it.
 */
#include <stdio.h>

#include "planner/plannerInt.h"

void weir__catalog_init(weir__catalog *cat) { memset(cat, 0, sizeof *cat); }

void weir__table_free(weir__table *t) {
  if (!t) return;
  for (int i = 0; i < t->ncol; i++) {
    weir__free(t->cols[i].name);
    weir__free(t->cols[i].computed);
  }
  weir__free(t->cols);
  weir__free(t->wm_sql);
  weir__free(t->pk);
  for (int i = 0; i < t->nopt; i++) {
    weir__free(t->opt_keys[i]);
    weir__free(t->opt_values[i]);
  }
  weir__free(t->opt_keys);
  weir__free(t->opt_values);
  weir__free(t->create_sql);
  weir__free(t->name);
  weir__free(t);
}

void weir__catalog_free(weir__catalog *cat) {
  for (int i = 0; i < cat->tables.n; i++) weir__table_free(cat->tables.v[i]);
  weir__ptrvec_free(&cat->tables);
}

weir__table *weir__catalog_find(weir__catalog *cat, const char *name, int n) {
  if (n < 0) n = (int)strlen(name);
  for (int i = 0; i < cat->tables.n; i++) {
    weir__table *t = cat->tables.v[i];
    if (weir__strnicmp_eq(name, (size_t)n, t->name)) return t;
  }
  return NULL;
}

int weir__column_is_proctime(const weir__column *c) {
  if (!c->computed) return 0;
  /* The expression as written, blanks aside: PROCTIME(). */
  char norm[32];
  int n = 0;
  for (const char *p = c->computed; *p && n < 31; p++) {
    if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') norm[n++] = *p;
  }
  norm[n] = 0;
  return weir__stricmp(norm, "PROCTIME()") == 0;
}

const char *weir__table_option(const weir__table *t, const char *key) {
  for (int i = 0; i < t->nopt; i++) {
    if (strcmp(t->opt_keys[i], key) == 0) return t->opt_values[i];
  }
  return NULL;
}

static int find_col(weir__table *t, const char *p, int n) {
  for (int i = 0; i < t->ncol; i++) {
    if (weir__strnicmp_eq(p, (size_t)n, t->cols[i].name)) return i;
  }
  return -1;
}

int weir__catalog_build_table(weir__ast_create *c, const char *sql, weir__table **out,
                              weir__err *err) {
  *out = NULL;
  weir__table *t = weir__calloc(1, sizeof *t);
  if (!t) return weir__err_nomem(err);
  t->wm_col = -1;
  t->name = weir__strndup(c->name.p, (size_t)c->name.n);
  int ncol = c->cols ? c->cols->n : 0;
  t->cols = weir__calloc((size_t)(ncol ? ncol : 1), sizeof *t->cols);
  if (!t->name || !t->cols) goto nomem;
  if (ncol == 0) {
    weir__err_set(err, WEIR_ERROR, c->name.off, "table '%s' must have at least one column",
                  t->name);
    goto fail;
  }
  for (int i = 0; i < ncol; i++) {
    weir__ast_coldef *cd = c->cols->v[i];
    if (find_col(t, cd->name.p, cd->name.n) >= 0) {
      weir__err_set(err, WEIR_ERROR, cd->name.off, "duplicate column name '%.*s'", cd->name.n,
                    cd->name.p);
      goto fail;
    }
    weir__column *col = &t->cols[t->ncol++];
    col->name = weir__strndup(cd->name.p, (size_t)cd->name.n);
    if (!col->name) goto nomem;
    col->type = cd->type.type;
    col->not_null = cd->not_null;
    if (cd->computed) {
      col->computed = weir__strndup(sql + cd->computed->off,
                                    (size_t)(cd->computed->end - cd->computed->off));
      if (!col->computed) goto nomem;
      /* The type is that of the expression, found by weir__bind_table. */
      col->computed_off = cd->computed->off;
    }
  }
  if (c->wm_col.n) {
    t->wm_col = find_col(t, c->wm_col.p, c->wm_col.n);
    if (t->wm_col < 0) {
      weir__err_set(err, WEIR_ERROR, c->wm_col.off,
                    "WATERMARK FOR '%.*s': no such column in table '%s'", c->wm_col.n,
                    c->wm_col.p, t->name);
      goto fail;
    }
    t->wm_sql = weir__strndup(sql + c->wm_expr->off, (size_t)(c->wm_expr->end - c->wm_expr->off));
    if (!t->wm_sql) goto nomem;
    t->wm_off = c->wm_expr->off;
  }
  if (c->pk) {
    t->pk = weir__calloc((size_t)c->pk->n, sizeof(int));
    if (!t->pk) goto nomem;
    for (int i = 0; i < c->pk->n; i++) {
      weir__tok *k = c->pk->v[i];
      int ci = find_col(t, k->p, k->n);
      if (ci < 0) {
        weir__err_set(err, WEIR_ERROR, k->off, "PRIMARY KEY column '%.*s' is not a column of '%s'",
                      k->n, k->p, t->name);
        goto fail;
      }
      if (t->cols[ci].computed) {
        weir__err_set(err, WEIR_ERROR, k->off,
                      "PRIMARY KEY column '%.*s' is a computed column; use physical columns",
                      k->n, k->p);
        goto fail;
      }
      for (int j = 0; j < t->npk; j++) {
        if (t->pk[j] == ci) {
          weir__err_set(err, WEIR_ERROR, k->off, "column '%.*s' appears twice in the PRIMARY KEY",
                        k->n, k->p);
          goto fail;
        }
      }
      t->pk[t->npk++] = ci;
      t->cols[ci].not_null = 1;
    }
  }
  int nopt = c->options ? c->options->n : 0;
  if (nopt) {
    t->opt_keys = weir__calloc((size_t)nopt, sizeof(char *));
    t->opt_values = weir__calloc((size_t)nopt, sizeof(char *));
    if (!t->opt_keys || !t->opt_values) goto nomem;
    for (int i = 0; i < nopt; i++) {
      weir__ast_option *o = c->options->v[i];
      if (weir__table_option(t, o->key)) {
        weir__err_set(err, WEIR_ERROR, o->key_off, "option '%s' is given twice", o->key);
        goto fail;
      }
      t->opt_keys[t->nopt] = weir__strdup(o->key);
      t->opt_values[t->nopt] = weir__strdup(o->value);
      t->nopt++;
      if (!t->opt_keys[t->nopt - 1] || !t->opt_values[t->nopt - 1]) goto nomem;
    }
  }
  if (weir__bind_table(t, err) != WEIR_OK) goto fail;
  *out = t;
  return WEIR_OK;
nomem:
  weir__err_nomem(err);
fail:
  weir__table_free(t);
  return err->code;
}

int weir__catalog_add(weir__catalog *cat, weir__table *t, weir__err *err) {
  if (weir__catalog_find(cat, t->name, -1))
    return weir__err_set(err, WEIR_ERROR, -1, "table '%s' already exists", t->name);
  if (weir__ptrvec_push(&cat->tables, t)) return weir__err_nomem(err);
  return WEIR_OK;
}

int weir__catalog_drop(weir__catalog *cat, const char *name, int n) {
  for (int i = 0; i < cat->tables.n; i++) {
    weir__table *t = cat->tables.v[i];
    if (weir__strnicmp_eq(name, (size_t)n, t->name)) {
      weir__table_free(t);
      memmove(cat->tables.v + i, cat->tables.v + i + 1,
              sizeof(void *) * (size_t)(cat->tables.n - i - 1));
      cat->tables.n--;
      return 1;
    }
  }
  return 0;
}

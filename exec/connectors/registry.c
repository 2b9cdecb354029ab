/*
 * registry.c -- the one table of connectors, and option checking.
 *
 * A connector declares its options (name, kind, required, default); a
 * table's WITH options are checked against them when the table is created,
 * so a typo is an error at CREATE TABLE, naming the option and listing
 * the valid ones.
 *
 * Entry points: weir__connector_validate, weir__connector_find,
 * weir__opt_get/_bool/_int, weir__opt_check.
 */
#include <stdio.h>
#include <strings.h>

#include "exec/execInt.h"

static const weir__connector *const connectors[] = {
    &weir__connector_file,  &weir__connector_filesystem, &weir__connector_sqlite,
    &weir__connector_print, &weir__connector_blackhole, &weir__connector_nexmark, &weir__connector_datagen,
    &weir__connector_stdin,
};

const weir__connector *weir__connector_find(const char *name) {
  for (int i = 0; i < WEIR_ARRAY_LEN(connectors); i++) {
    if (strcmp(connectors[i]->name, name) == 0) return connectors[i];
  }
  return NULL;
}

static const weir__opt_spec *find_spec(const weir__opt_spec *specs, const char *key) {
  for (const weir__opt_spec *s = specs; s && s->key; s++) {
    if (strcmp(s->key, key) == 0) return s;
  }
  return NULL;
}

const char *weir__opt_get(const weir__table *t, const weir__opt_spec *specs, const char *key) {
  const char *v = weir__table_option(t, key);
  if (v) return v;
  const weir__opt_spec *s = find_spec(specs, key);
  return s ? s->def : NULL;
}

int weir__opt_bool(const weir__table *t, const weir__opt_spec *specs, const char *key) {
  const char *v = weir__opt_get(t, specs, key);
  return v && strcasecmp(v, "true") == 0;
}

int64_t weir__opt_int(const weir__table *t, const weir__opt_spec *specs, const char *key) {
  const char *v = weir__opt_get(t, specs, key);
  int64_t r = 0;
  if (!v) return 0;
  if (find_spec(specs, key) && find_spec(specs, key)->kind == OPT_DURATION)
    weir__parse_duration(v, &r);
  else
    weir__parse_int64(v, strlen(v), &r);
  return r;
}

static int check_value(const weir__table *t, const weir__opt_spec *s, const char *v,
                       weir__err *err) {
  int64_t x;
  switch (s->kind) {
  case OPT_STRING: return WEIR_OK;
  case OPT_INT:
    if (weir__parse_int64(v, strlen(v), &x) || x < 0)
      return weir__err_set(err, WEIR_ERROR, -1,
                           "table '%s': option '%s' needs a non-negative integer, got '%s'",
                           t->name, s->key, v);
    return WEIR_OK;
  case OPT_BOOL:
    if (strcasecmp(v, "true") && strcasecmp(v, "false"))
      return weir__err_set(err, WEIR_ERROR, -1,
                           "table '%s': option '%s' must be 'true' or 'false', got '%s'", t->name,
                           s->key, v);
    return WEIR_OK;
  case OPT_DURATION:
    if (weir__parse_duration(v, &x))
      return weir__err_set(err, WEIR_ERROR, -1,
                           "table '%s': option '%s' needs a duration such as '1 s' or '200 ms', "
                           "got '%s'",
                           t->name, s->key, v);
    return WEIR_OK;
  case OPT_CHAR:
    if (strlen(v) != 1 && strcmp(v, "\\t") != 0)
      return weir__err_set(err, WEIR_ERROR, -1,
                           "table '%s': option '%s' must be a single character, got '%s'",
                           t->name, s->key, v);
    return WEIR_OK;
  case OPT_ENUM: {
    const char *c = s->choices;
    size_t n = strlen(v);
    while (*c) {
      const char *bar = strchr(c, '|');
      size_t len = bar ? (size_t)(bar - c) : strlen(c);
      if (len == n && strncmp(c, v, n) == 0) return WEIR_OK;
      c += len + (bar ? 1 : 0);
    }
    return weir__err_set(err, WEIR_ERROR, -1, "table '%s': option '%s' must be one of %s, got '%s'",
                         t->name, s->key, s->choices, v);
  }
  }
  return WEIR_OK;
}

int weir__opt_check(weir__table *t, const char *what, weir__err *err,
                    const weir__opt_spec *const *lists, int nlists) {
  for (int i = 0; i < t->nopt; i++) {
    const weir__opt_spec *s = NULL;
    for (int l = 0; l < nlists && !s; l++) s = find_spec(lists[l], t->opt_keys[i]);
    if (!s) {
      weir__sb sb;
      weir__sb_init(&sb);
      for (int l = 0; l < nlists; l++) {
        for (const weir__opt_spec *k = lists[l]; k->key; k++)
          weir__sb_printf(&sb, "%s'%s'", sb.n ? ", " : "", k->key);
      }
      weir__err_set(err, WEIR_ERROR, -1, "table '%s': unsupported option '%s' for %s; supported: %s",
                    t->name, t->opt_keys[i], what, weir__sb_str(&sb));
      weir__sb_free(&sb);
      return WEIR_ERROR;
    }
    if (check_value(t, s, t->opt_values[i], err)) return err->code;
  }
  for (int l = 0; l < nlists; l++) {
    for (const weir__opt_spec *k = lists[l]; k->key; k++) {
      if (k->required && !weir__table_option(t, k->key))
        return weir__err_set(err, WEIR_ERROR, -1, "table '%s': option '%s' is required for %s",
                             t->name, k->key, what);
    }
  }
  return WEIR_OK;
}

int weir__connector_validate(weir__table *t, weir__err *err) {
  const char *name = weir__table_option(t, "connector");
  if (!name)
    return weir__err_set(err, WEIR_ERROR, -1,
                         "table '%s' needs a 'connector' option, e.g. WITH ('connector' = "
                         "'file', 'path' = 'data.csv', 'format' = 'csv')",
                         t->name);
  const weir__connector *c = weir__connector_find(name);
  if (!c) {
    weir__sb sb;
    weir__sb_init(&sb);
    for (int i = 0; i < WEIR_ARRAY_LEN(connectors); i++)
      weir__sb_printf(&sb, "%s'%s'", i ? ", " : "", connectors[i]->name);
    weir__err_set(err, WEIR_ERROR, -1, "table '%s': unknown connector '%s'; known connectors: %s",
                  t->name, name, weir__sb_str(&sb));
    weir__sb_free(&sb);
    return WEIR_ERROR;
  }
  char what[64];
  snprintf(what, sizeof what, "connector '%s'", c->name);
  if (!c->validate) {
    const weir__opt_spec *lists[] = {c->opts};
    if (weir__opt_check(t, what, err, lists, 1)) return err->code;
  } else if (c->validate(t, err)) {
    return err->code;
  }
  t->caps = c->caps;
  if (c->bounded && !c->bounded(t)) t->caps &= ~WEIR_CAP_BOUNDED;
  return WEIR_OK;
}

/*
 * lower.c -- from the logical plan to the physical operator DAG, and its
 * EXPLAIN.
 *
 * Lowering walks the logical tree from the sink down, carrying the set of
 * columns the parent needs, so that every operator produces only what is
 * used: a source decodes only the fields a query reads (projection
 * pushdown).  Each lowered node returns a map from its logical columns to
 * the physical operator's columns, through which the parent's expressions
 * are rewritten.
 *
 * A table scan becomes SOURCE (the connector's fields) -> CALC (computed
 * columns, if any are used) -> WATERMARK (if the table declares one).  A
 * filter followed by a projection becomes one CALC.  A window aggregation
 * becomes WINDOW_AGG, an updating GROUP BY becomes GROUP_AGG, both behind
 * a keyed (hash) edge.
 *
 * Entry points: weir__plan_lower, weir__pplan_free, weir__pplan_explain.
 */
#include <stdio.h>

#include "planner/plannerInt.h"

typedef struct lowerer {
  weir__pplan *pp;
  weir__arena *a;
  weir__err *err;
  weir__ptrvec ops;
  const weir__config *cfg;
  int par; /* parallelism.default */
} lowerer;

static void *lalloc(lowerer *L, size_t n) {
  void *p = weir__arena_zalloc(L->a, n ? n : 1);
  if (!p) weir__err_nomem(L->err);
  return p;
}

static char *lstrdup(lowerer *L, const char *s) {
  char *r = weir__arena_strdup(L->a, s ? s : "");
  if (!r) weir__err_nomem(L->err);
  return r;
}

static weir__pop *new_pop(lowerer *L, int kind, weir__pop *input, int ncol) {
  weir__pop *p = lalloc(L, sizeof *p);
  if (!p) return NULL;
  p->kind = kind;
  p->input = input;
  p->edge = input ? EDGE_FORWARD : 0;
  /* Operators run at the parallelism of their input (chained) unless the
   * lowering says otherwise. */
  p->parallelism = input ? input->parallelism : L->par;
  p->rowtime = -1;
  p->ncol = ncol;
  p->names = lalloc(L, sizeof(char *) * (size_t)ncol);
  p->types = lalloc(L, sizeof(int) * (size_t)ncol);
  if (!p->names || !p->types) return NULL;
  if (input) p->updating = input->updating;
  if (weir__ptrvec_push(&L->ops, p)) {
    weir__err_nomem(L->err);
    return NULL;
  }
  p->id = L->ops.n;
  return p;
}

static weir__expr *copy_remap(lowerer *L, const weir__expr *e, const int *map) {
  weir__expr *c = weir__expr_copy(L->a, e);
  if (!c) {
    weir__err_nomem(L->err);
    return NULL;
  }
  if (map) weir__expr_remap(c, map);
  return c;
}

/* A deep copy of a catalog table, owned by the plan. */
static weir__table *copy_table(lowerer *L, const weir__table *t) {
  weir__table *c = lalloc(L, sizeof *c);
  if (!c) return NULL;
  *c = *t;
  c->name = lstrdup(L, t->name);
  c->cols = lalloc(L, sizeof(weir__column) * (size_t)t->ncol);
  c->pk = lalloc(L, sizeof(int) * (size_t)(t->npk ? t->npk : 1));
  c->opt_keys = lalloc(L, sizeof(char *) * (size_t)(t->nopt ? t->nopt : 1));
  c->opt_values = lalloc(L, sizeof(char *) * (size_t)(t->nopt ? t->nopt : 1));
  if (!c->name || !c->cols || !c->pk || !c->opt_keys || !c->opt_values) return NULL;
  for (int i = 0; i < t->ncol; i++) {
    c->cols[i] = t->cols[i];
    c->cols[i].name = lstrdup(L, t->cols[i].name);
    c->cols[i].computed = t->cols[i].computed ? lstrdup(L, t->cols[i].computed) : NULL;
  }
  if (t->npk) memcpy(c->pk, t->pk, sizeof(int) * (size_t)t->npk);
  for (int i = 0; i < t->nopt; i++) {
    c->opt_keys[i] = lstrdup(L, t->opt_keys[i]);
    c->opt_values[i] = lstrdup(L, t->opt_values[i]);
  }
  c->wm_sql = t->wm_sql ? lstrdup(L, t->wm_sql) : NULL;
  c->create_sql = t->create_sql ? lstrdup(L, t->create_sql) : NULL;
  return L->err->code ? NULL : c;
}

static weir__pop *lower(lowerer *L, const weir__lplan *p, const unsigned char *req, int **map_out);

static unsigned char *all_required(lowerer *L, int n) {
  unsigned char *r = lalloc(L, (size_t)n + 1);
  if (r) memset(r, 1, (size_t)n);
  return r;
}

/* SCAN -> SOURCE [-> CALC for computed columns] [-> WATERMARK]. */
static weir__pop *lower_scan(lowerer *L, const weir__lplan *p, const unsigned char *req,
                             int **map_out) {
  weir__table *t = copy_table(L, p->table);
  if (!t) return NULL;
  int n = t->ncol;
  unsigned char *need = lalloc(L, (size_t)n + 1);
  weir__expr **computed = lalloc(L, sizeof(weir__expr *) * (size_t)n);
  if (!need || !computed) return NULL;
  for (int i = 0; i < n; i++) need[i] = req ? req[i] : 1;
  weir__expr *wm = NULL;
  if (t->wm_col >= 0) {
    need[t->wm_col] = 1;
    if (weir__bind_table_expr(t, t->wm_sql, 0, 1, L->a, &wm, L->err)) return NULL;
    weir__expr_mark_columns(wm, need);
  }
  /* Without an event-time attribute, a needed processing-time column (AS PROCTIME())
   * drives the watermark: it is the largest wall-clock time stamped so far. */
  int time_col = t->wm_col;
  if (time_col < 0) {
    for (int i = 0; i < n && !wm; i++) {
      if (!need[i] || !weir__column_is_proctime(&t->cols[i])) continue;
      wm = lalloc(L, sizeof *wm);
      if (!wm) return NULL;
      wm->op = EXPR_COL;
      wm->type = t->cols[i].type;
      wm->col = i;
      time_col = i;
    }
  }
  /* Computed columns that are needed need their inputs. */
  for (int i = 0; i < n; i++) {
    if (!t->cols[i].computed || !need[i]) continue;
    if (weir__bind_table_expr(t, t->cols[i].computed, 0, 0, L->a, &computed[i], L->err))
      return NULL;
    weir__expr_mark_columns(computed[i], need);
  }
  int nproj = 0, ncomp = 0, nout = 0;
  for (int i = 0; i < n; i++) {
    if (!need[i]) continue;
    nout++;
    if (t->cols[i].computed)
      ncomp++;
    else
      nproj++;
  }
  weir__pop *src = new_pop(L, POP_SOURCE, NULL, nproj);
  if (!src) return NULL;
  src->table = t;
  src->nproj = nproj;
  src->proj = lalloc(L, sizeof(int) * (size_t)(nproj ? nproj : 1));
  int *srcpos = lalloc(L, sizeof(int) * (size_t)n); /* table col -> source output */
  int *map = lalloc(L, sizeof(int) * (size_t)n);    /* table col -> final output */
  if (!src->proj || !srcpos || !map) return NULL;
  int k = 0;
  for (int i = 0; i < n; i++) {
    srcpos[i] = -1;
    map[i] = -1;
    if (!need[i] || t->cols[i].computed) continue;
    src->proj[k] = i;
    src->names[k] = t->cols[i].name;
    src->types[k] = t->cols[i].type;
    srcpos[i] = k++;
  }
  weir__pop *cur = src;
  if (ncomp) {
    /* All needed columns in table order: physical ones by reference. */
    weir__pop *calc = new_pop(L, POP_CALC, src, nout);
    if (!calc) return NULL;
    calc->exprs = lalloc(L, sizeof(weir__expr *) * (size_t)nout);
    if (!calc->exprs) return NULL;
    k = 0;
    for (int i = 0; i < n; i++) {
      if (!need[i]) continue;
      weir__expr *e;
      if (t->cols[i].computed) {
        e = copy_remap(L, computed[i], srcpos);
      } else {
        e = lalloc(L, sizeof *e);
        if (e) {
          e->op = EXPR_COL;
          e->type = t->cols[i].type;
          e->col = srcpos[i];
        }
      }
      if (!e) return NULL;
      calc->exprs[k] = e;
      calc->names[k] = t->cols[i].name;
      calc->types[k] = t->cols[i].type;
      map[i] = k++;
    }
    cur = calc;
  } else {
    for (int i = 0; i < n; i++) map[i] = srcpos[i];
  }
  if (wm) {
    weir__pop *w = new_pop(L, POP_WATERMARK, cur, cur->ncol);
    if (!w) return NULL;
    memcpy(w->names, cur->names, sizeof(char *) * (size_t)cur->ncol);
    memcpy(w->types, cur->types, sizeof(int) * (size_t)cur->ncol);
    w->rowtime = map[time_col];
    w->wm_expr = copy_remap(L, wm, map);
    if (!w->wm_expr) return NULL;
    cur = w;
  }
  cur->rowtime = time_col >= 0 ? map[time_col] : -1;
  *map_out = map;
  return cur;
}

/* Copy the schema of the logical node's required columns into pop. */
static void set_schema(weir__pop *pop, const weir__lplan *p, const int *map) {
  for (int i = 0; i < p->ncol; i++) {
    if (map[i] < 0) continue;
    pop->names[map[i]] = p->names[i];
    pop->types[map[i]] = p->types[i];
  }
}

/* Run pop as a single subtask; its input edge funnels into it. */
static void set_single(weir__pop *pop) {
  if (pop->input && pop->input->parallelism != 1) pop->edge = EDGE_GLOBAL;
  pop->parallelism = 1;
}

/* The local half of a two-phase aggregation, chained to its input: it
 * emits partial rows [keys..., slice start (windowed), rows, two columns
 * per aggregate]. */
static weir__pop *lower_local_agg(lowerer *L, const weir__lplan *p, weir__pop *child,
                                  const int *cmap) {
  int windowed = p->window.kind != 0;
  int nreal = 0;
  for (int i = 0; i < p->nkeys; i++) nreal += p->keys[i] >= 0;
  int ncol = nreal + (windowed ? 1 : 0) + 1 + 2 * p->nagg;
  weir__pop *loc = new_pop(L, POP_LOCAL_AGG, child, ncol);
  if (!loc) return NULL;
  loc->nkeys = nreal;
  loc->keys = lalloc(L, sizeof(int) * (size_t)(nreal ? nreal : 1));
  loc->nagg = p->nagg;
  loc->aggs = lalloc(L, sizeof(weir__aggcall) * (size_t)(p->nagg ? p->nagg : 1));
  if (!loc->keys || !loc->aggs) return NULL;
  int k = 0;
  for (int i = 0; i < p->nkeys; i++) {
    if (p->keys[i] < 0) continue;
    loc->keys[k] = cmap[p->keys[i]];
    loc->names[k] = p->names[i];
    loc->types[k] = child->types[loc->keys[k]];
    k++;
  }
  if (windowed) {
    loc->window = p->window;
    loc->window.time_col = cmap[p->window.time_col];
    loc->names[k] = "$slice";
    loc->types[k++] = WEIR_TYPE_BIGINT;
  }
  loc->names[k] = "$rows";
  loc->types[k++] = WEIR_TYPE_BIGINT;
  for (int i = 0; i < p->nagg; i++) {
    loc->aggs[i] = p->aggs[i];
    if (p->aggs[i].arg >= 0) loc->aggs[i].arg = cmap[p->aggs[i].arg];
    if (p->aggs[i].filter >= 0) loc->aggs[i].filter = cmap[p->aggs[i].filter];
    weir__agg_partial_types(&loc->aggs[i], &loc->types[k], &loc->types[k + 1]);
    loc->names[k] = weir__arena_printf(L->a, "$acc%d", i);
    loc->names[k + 1] = weir__arena_printf(L->a, "$cnt%d", i);
    if (!loc->names[k] || !loc->names[k + 1]) return NULL;
    k += 2;
  }
  return loc;
}

static weir__pop *lower(lowerer *L, const weir__lplan *p, const unsigned char *req,
                        int **map_out) {
  if (L->err->code) return NULL;
  int *map = lalloc(L, sizeof(int) * (size_t)(p->ncol + 1));
  if (!map) return NULL;
  for (int i = 0; i < p->ncol; i++) map[i] = -1;
  int *cmap = NULL;
  weir__pop *child, *pop;

  switch (p->kind) {
  case LOP_SCAN: return lower_scan(L, p, req, map_out);

  case LOP_VALUES:
    pop = new_pop(L, POP_VALUES, NULL, 0);
    if (pop) pop->parallelism = 1;
    *map_out = map;
    return pop;

  case LOP_SINK:
  case LOP_LIMIT: {
    unsigned char *all = p->kind == LOP_SINK ? all_required(L, p->ncol) : (unsigned char *)req;
    if (p->kind == LOP_SINK && !all) return NULL;
    child = lower(L, p->input, all, &cmap);
    if (!child) return NULL;
    int n = child->ncol;
    pop = new_pop(L, p->kind == LOP_SINK ? POP_SINK : POP_LIMIT, child, n);
    if (!pop) return NULL;
    memcpy(pop->names, child->names, sizeof(char *) * (size_t)n);
    memcpy(pop->types, child->types, sizeof(int) * (size_t)n);
    pop->rowtime = child->rowtime;
    if (p->kind == LOP_SINK) {
      pop->table = copy_table(L, p->table);
      if (!pop->table) return NULL;
      /* One writer per sink unless the connector takes parallel writers. */
      if (!(p->table->caps & WEIR_CAP_SINK_PARALLEL)) set_single(pop);
    } else {
      pop->limit = p->limit;
      set_single(pop); /* the count is global */
    }
    *map_out = cmap;
    return pop;
  }

  case LOP_FILTER: {
    unsigned char *rin = lalloc(L, (size_t)p->input->ncol + 1);
    if (!rin) return NULL;
    for (int i = 0; i < p->input->ncol; i++) rin[i] = req ? req[i] : 1;
    weir__expr_mark_columns(p->pred, rin);
    child = lower(L, p->input, rin, &cmap);
    if (!child) return NULL;
    pop = new_pop(L, POP_CALC, child, child->ncol);
    if (!pop) return NULL;
    memcpy(pop->names, child->names, sizeof(char *) * (size_t)child->ncol);
    memcpy(pop->types, child->types, sizeof(int) * (size_t)child->ncol);
    pop->rowtime = child->rowtime;
    pop->pred = copy_remap(L, p->pred, cmap);
    *map_out = cmap;
    return pop->pred ? pop : NULL;
  }

  case LOP_PROJECT: {
    unsigned char *rin = lalloc(L, (size_t)p->input->ncol + 1);
    if (!rin) return NULL;
    int nout = 0;
    for (int i = 0; i < p->ncol; i++) {
      if (req && !req[i]) continue;
      weir__expr_mark_columns(p->exprs[i], rin);
      map[i] = nout++;
    }
    child = lower(L, p->input, rin, &cmap);
    if (!child) return NULL;
    /* An identity projection needs no operator. */
    int identity = nout == child->ncol;
    for (int i = 0; identity && i < p->ncol; i++) {
      if (map[i] < 0) continue;
      weir__expr *e = p->exprs[i];
      identity = e->op == EXPR_COL && cmap[e->col] == map[i];
    }
    if (identity) {
      /* Keep the projection's names, which may be aliases. */
      set_schema(child, p, map);
      *map_out = map;
      return child;
    }
    /* A pure filter below is folded into this projection. */
    weir__pop *below = child;
    weir__expr *pred = NULL;
    if (child->kind == POP_CALC && !child->exprs && child->pred &&
        L->ops.v[L->ops.n - 1] == child) {
      pred = child->pred;
      below = child->input;
      L->ops.n--; /* drop the filter operator */
    }
    pop = new_pop(L, POP_CALC, below, nout);
    if (!pop) return NULL;
    pop->pred = pred;
    pop->exprs = lalloc(L, sizeof(weir__expr *) * (size_t)(nout ? nout : 1));
    if (!pop->exprs) return NULL;
    for (int i = 0; i < p->ncol; i++) {
      if (map[i] < 0) continue;
      pop->exprs[map[i]] = copy_remap(L, p->exprs[i], cmap);
      if (!pop->exprs[map[i]]) return NULL;
      if (p->exprs[i]->op == EXPR_COL && p->input->rowtime == p->exprs[i]->col)
        pop->rowtime = map[i];
    }
    set_schema(pop, p, map);
    pop->updating = below->updating;
    *map_out = map;
    return pop;
  }

  case LOP_WINDOW: {
    int nin = p->input->ncol;
    unsigned char *rin = lalloc(L, (size_t)nin + 1);
    if (!rin) return NULL;
    for (int i = 0; i < nin; i++) rin[i] = req ? req[i] : 1;
    rin[p->window.time_col] = 1;
    child = lower(L, p->input, rin, &cmap);
    if (!child) return NULL;
    pop = new_pop(L, POP_WINDOW_TVF, child, child->ncol + 3);
    if (!pop) return NULL;
    memcpy(pop->names, child->names, sizeof(char *) * (size_t)child->ncol);
    memcpy(pop->types, child->types, sizeof(int) * (size_t)child->ncol);
    for (int i = 0; i < nin; i++) map[i] = cmap[i];
    for (int j = 0; j < 3; j++) {
      map[nin + j] = child->ncol + j;
      pop->names[child->ncol + j] = p->names[nin + j];
      pop->types[child->ncol + j] = p->types[nin + j];
    }
    pop->window = p->window;
    pop->window.time_col = cmap[p->window.time_col];
    pop->rowtime = child->ncol + 2;
    *map_out = map;
    return pop;
  }

  case LOP_AGG: {
    unsigned char *all = all_required(L, p->input->ncol);
    if (!all) return NULL;
    child = lower(L, p->input, all, &cmap);
    if (!child) return NULL;
    int windowed = p->window.kind != 0;
    int nreal = 0;
    for (int i = 0; i < p->nkeys; i++) nreal += p->keys[i] >= 0;
    /* Without grouping keys every row meets in one place. */
    int agg_par = nreal ? L->par : 1;
    weir__pop *in = child;
    int two_phase = child->parallelism > 1;
    if (two_phase) {
      /* Pre-aggregate before the exchange, so that it carries partial
       * aggregates rather than rows. */
      in = lower_local_agg(L, p, child, cmap);
      if (!in) return NULL;
    }
    pop = new_pop(L, windowed ? POP_WINDOW_AGG : POP_GROUP_AGG, in, p->ncol);
    if (!pop) return NULL;
    for (int i = 0; i < p->ncol; i++) map[i] = i;
    set_schema(pop, p, map);
    pop->stateful = 1;
    pop->updating = !windowed;
    pop->parallelism = agg_par;
    pop->nkeys = p->nkeys;
    pop->keys = lalloc(L, sizeof(int) * (size_t)(p->nkeys ? p->nkeys : 1));
    pop->nagg = p->nagg;
    pop->aggs = lalloc(L, sizeof(weir__aggcall) * (size_t)(p->nagg ? p->nagg : 1));
    pop->edge_keys = lalloc(L, sizeof(int) * (size_t)(nreal ? nreal : 1));
    if (!pop->keys || !pop->aggs || !pop->edge_keys) return NULL;
    pop->partial_slice = pop->partial_rows = -1;
    int k = 0;
    for (int i = 0; i < p->nkeys; i++) {
      if (p->keys[i] < 0) {
        pop->keys[i] = p->keys[i];
      } else {
        /* A partial row starts with the real keys in order. */
        pop->keys[i] = two_phase ? k : cmap[p->keys[i]];
        pop->edge_keys[k++] = pop->keys[i];
      }
    }
    pop->nedge_keys = nreal;
    if (two_phase) {
      pop->partial = 1;
      pop->partial_slice = windowed ? nreal : -1;
      pop->partial_rows = nreal + (windowed ? 1 : 0);
      for (int i = 0; i < p->nagg; i++) {
        pop->aggs[i] = p->aggs[i];
        pop->aggs[i].arg = pop->partial_rows + 1 + 2 * i;
        pop->aggs[i].filter = -1;
      }
    } else {
      for (int i = 0; i < p->nagg; i++) {
        pop->aggs[i] = p->aggs[i];
        if (p->aggs[i].arg >= 0) pop->aggs[i].arg = cmap[p->aggs[i].arg];
        if (p->aggs[i].filter >= 0) pop->aggs[i].filter = cmap[p->aggs[i].filter];
      }
    }
    if (windowed) {
      pop->window = p->window;
      pop->window.time_col = two_phase ? -1 : cmap[p->window.time_col];
    }
    /* Rows (or partial aggregates) reach the aggregation partitioned by
     * the grouping keys. */
    if (agg_par == 1 && in->parallelism == 1)
      pop->edge = EDGE_FORWARD;
    else
      pop->edge = nreal ? EDGE_HASH : EDGE_GLOBAL;
    *map_out = map;
    return pop;
  }
  }
  weir__err_set(L->err, WEIR_INTERNAL, -1, "cannot lower logical operator %d", p->kind);
  return NULL;
}

int weir__plan_lower(const weir__lplan *lp, const weir__config *cfg, weir__pplan **out,
                     weir__err *err) {
  *out = NULL;
  weir__pplan *pp = weir__calloc(1, sizeof *pp);
  if (!pp) return weir__err_nomem(err);
  weir__arena_init(&pp->arena, 16384);
  lowerer L;
  memset(&L, 0, sizeof L);
  L.pp = pp;
  L.a = &pp->arena;
  L.err = err;
  L.cfg = cfg;
  L.par = (int)weir__config_get_int(cfg, "parallelism.default");
  if (L.par < 1) L.par = 1;
  pp->max_parallelism = (int)weir__config_get_int(cfg, "pipeline.max-parallelism");
  pp->checkpointing = weir__config_get_int(cfg, "execution.checkpointing.interval") > 0;
  if (pp->max_parallelism < L.par) pp->max_parallelism = L.par;
  int *map = NULL;
  weir__pop *root = NULL;
  if (lp->kind == LOP_SINK) {
    root = lower(&L, lp, NULL, &map);
  } else {
    /* An ad-hoc query: its rows are collected for the caller. */
    weir__pop *q = lower(&L, lp, NULL, &map);
    if (q) {
      root = new_pop(&L, POP_COLLECT, q, q->ncol);
      if (root) {
        set_single(root);
        memcpy(root->names, q->names, sizeof(char *) * (size_t)q->ncol);
        memcpy(root->types, q->types, sizeof(int) * (size_t)q->ncol);
        pp->is_query = 1;
      }
    }
  }
  if (!root || err->code) {
    if (err->code == WEIR_OK) weir__err_nomem(err);
    weir__ptrvec_free(&L.ops);
    weir__pplan_free(pp);
    return err->code;
  }
  pp->root = root;
  pp->nops = L.ops.n;
  pp->ops = weir__arena_alloc(&pp->arena, sizeof(weir__pop *) * (size_t)L.ops.n);
  if (!pp->ops) {
    weir__ptrvec_free(&L.ops);
    weir__pplan_free(pp);
    return weir__err_nomem(err);
  }
  /* Renumber: operators were created children first, which is a
   * topological order. */
  for (int i = 0; i < L.ops.n; i++) {
    pp->ops[i] = L.ops.v[i];
    pp->ops[i]->id = i + 1;
  }
  weir__ptrvec_free(&L.ops);
  *out = pp;
  return WEIR_OK;
}

void weir__pplan_free(weir__pplan *p) {
  if (!p) return;
  weir__arena_free(&p->arena);
  weir__free(p);
}

const char *weir__pop_name(int kind) {
  switch (kind) {
  case POP_SOURCE: return "Source";
  case POP_VALUES: return "Values";
  case POP_CALC: return "Calc";
  case POP_WATERMARK: return "WatermarkAssigner";
  case POP_WINDOW_TVF: return "WindowTableFunction";
  case POP_WINDOW_AGG: return "WindowAggregate";
  case POP_GROUP_AGG: return "GroupAggregate";
  case POP_LIMIT: return "Limit";
  case POP_SINK: return "Sink";
  case POP_COLLECT: return "Collect";
  case POP_LOCAL_AGG: return "LocalAggregate";
  }
  return "?";
}

static void explain_window(const weir__window *w, char **names, weir__sb *sb) {
  if (w->kind == WINDOW_TUMBLE)
    weir__sb_printf(sb, "TUMBLE(%s, size=%lld ms", names ? names[w->time_col] : "?",
                    (long long)w->size);
  else
    weir__sb_printf(sb, "HOP(%s, slide=%lld ms, size=%lld ms", names ? names[w->time_col] : "?",
                    (long long)w->slide, (long long)w->size);
  if (w->offset) weir__sb_printf(sb, ", offset=%lld ms", (long long)w->offset);
  weir__sb_putc(sb, ')');
}

static void explain_aggs(const weir__pop *p, weir__sb *sb) {
  char **in = p->input->names;
  weir__sb_puts(sb, " keys=[");
  for (int i = 0; i < p->nkeys; i++) {
    int k = p->keys[i];
    weir__sb_printf(sb, "%s%s", i ? ", " : "",
                    k >= 0 ? in[k] : k == -1 ? "window_start" : k == -2 ? "window_end"
                                                                        : "window_time");
  }
  weir__sb_puts(sb, "] aggs=[");
  for (int i = 0; i < p->nagg; i++) {
    const weir__aggcall *a = &p->aggs[i];
    if (a->kind == AGG_COUNT_STAR)
      weir__sb_printf(sb, "%sCOUNT(*)", i ? ", " : "");
    else
      weir__sb_printf(sb, "%s%s(%s)", i ? ", " : "", weir__agg_name(a->kind), in[a->arg]);
    if (a->filter >= 0) weir__sb_printf(sb, " FILTER(%s)", in[a->filter]);
  }
  weir__sb_putc(sb, ']');
}

const weir__table *weir__pplan_unreplayable(const weir__pplan *pp) {
  for (int i = 0; i < pp->nops; i++) {
    const weir__pop *o = pp->ops[i];
    if (o->kind == POP_SOURCE && !(o->table->caps & WEIR_CAP_SOURCE_REPLAYABLE)) return o->table;
  }
  return NULL;
}

/* What a sink delivers (DESIGN section 8): exactly once needs
 * checkpoints, replayable sources and a sink that commits per checkpoint.
 * What a source that cannot be read again (stdin) has handed on is lost
 * with a failure: at most once, as Flink classes its socket source. */
static const char *sink_guarantee(const weir__pplan *pp, const weir__pop *sink) {
  if (weir__pplan_unreplayable(pp)) return "at-most-once(source not replayable)";
  if (!pp->checkpointing) return "at-least-once(no checkpoints)";
  if (!(sink->table->caps & WEIR_CAP_SINK_EXACTLY_ONCE)) return "at-least-once(connector)";
  return "exactly-once";
}

void weir__pplan_explain(const weir__pplan *pp, weir__sb *sb) {
  for (int i = 0; i < pp->nops; i++) {
    const weir__pop *p = pp->ops[i];
    char **in = p->input ? p->input->names : NULL;
    weir__sb_printf(sb, "[%d] %s", p->id, weir__pop_name(p->kind));
    switch (p->kind) {
    case POP_SOURCE: {
      const char *conn = weir__table_option(p->table, "connector");
      weir__sb_printf(sb, " table=%s connector=%s fields=[", p->table->name, conn ? conn : "?");
      for (int c = 0; c < p->ncol; c++) weir__sb_printf(sb, "%s%s", c ? ", " : "", p->names[c]);
      weir__sb_putc(sb, ']');
      break;
    }
    case POP_CALC:
      if (p->pred) {
        weir__sb_puts(sb, " where=[");
        weir__expr_format(p->pred, in, sb);
        weir__sb_putc(sb, ']');
      }
      if (p->exprs) {
        weir__sb_puts(sb, " select=[");
        for (int c = 0; c < p->ncol; c++) {
          if (c) weir__sb_puts(sb, ", ");
          weir__expr_format(p->exprs[c], in, sb);
          if (p->exprs[c]->op != EXPR_COL || strcmp(in[p->exprs[c]->col], p->names[c]) != 0)
            weir__sb_printf(sb, " AS %s", p->names[c]);
        }
        weir__sb_putc(sb, ']');
      }
      break;
    case POP_WATERMARK:
      weir__sb_printf(sb, " rowtime=%s watermark=[", p->names[p->rowtime]);
      weir__expr_format(p->wm_expr, p->names, sb);
      weir__sb_putc(sb, ']');
      break;
    case POP_WINDOW_TVF:
      weir__sb_putc(sb, ' ');
      explain_window(&p->window, in, sb);
      break;
    case POP_WINDOW_AGG:
      weir__sb_putc(sb, ' ');
      if (p->partial) {
        weir__window w = p->window;
        w.time_col = p->partial_slice;
        explain_window(&w, in, sb);
      } else {
        explain_window(&p->window, in, sb);
      }
      explain_aggs(p, sb);
      weir__sb_puts(sb, " emit=on-window-close");
      break;
    case POP_GROUP_AGG: explain_aggs(p, sb); break;
    case POP_LOCAL_AGG:
      if (p->window.kind) {
        weir__sb_putc(sb, ' ');
        explain_window(&p->window, in, sb);
      }
      weir__sb_puts(sb, " keys=[");
      for (int k = 0; k < p->nkeys; k++)
        weir__sb_printf(sb, "%s%s", k ? ", " : "", in[p->keys[k]]);
      weir__sb_puts(sb, "] partial=[");
      for (int k = 0; k < p->nagg; k++) {
        const weir__aggcall *a = &p->aggs[k];
        if (a->kind == AGG_COUNT_STAR)
          weir__sb_printf(sb, "%sCOUNT(*)", k ? ", " : "");
        else
          weir__sb_printf(sb, "%s%s(%s)", k ? ", " : "", weir__agg_name(a->kind), in[a->arg]);
      }
      weir__sb_putc(sb, ']');
      break;
    case POP_LIMIT: weir__sb_printf(sb, " fetch=%lld", (long long)p->limit); break;
    case POP_SINK: {
      const char *conn = weir__table_option(p->table, "connector");
      weir__sb_printf(sb, " table=%s connector=%s", p->table->name, conn ? conn : "?");
      if (p->table->npk) {
        weir__sb_puts(sb, " upsert-key=[");
        for (int k = 0; k < p->table->npk; k++)
          weir__sb_printf(sb, "%s%s", k ? ", " : "", p->table->cols[p->table->pk[k]].name);
        weir__sb_putc(sb, ']');
      }
      weir__sb_printf(sb, " guarantee=%s", sink_guarantee(pp, p));
      break;
    }
    default: break;
    }
    weir__sb_printf(sb, " parallelism=%d changelog=%s", p->parallelism,
                    p->updating ? "retract" : "append-only");
    if (p->stateful) weir__sb_puts(sb, " stateful");
    if (p->input) {
      weir__sb_printf(sb, " <- [%d] ", p->input->id);
      if (p->edge == EDGE_GLOBAL) {
        weir__sb_puts(sb, "global");
      } else if (p->edge == EDGE_HASH) {
        weir__sb_puts(sb, "hash[");
        for (int k = 0; k < p->nedge_keys; k++)
          weir__sb_printf(sb, "%s%s", k ? ", " : "", in[p->edge_keys[k]]);
        weir__sb_putc(sb, ']');
      } else {
        weir__sb_puts(sb, "forward");
      }
    }
    weir__sb_putc(sb, '\n');
  }
}

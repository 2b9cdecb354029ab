/*
 * job.c -- a running job: operator instances, tasks (chains), and the loop
 * that drives them.
 *
 * A job instantiates one operator per physical operator and subtask (one
 * subtask each for now), links every operator to its downstream consumer
 * and groups forward-connected operators of equal parallelism into
 * chains; each chain is a task headed by a source.  weir__job_run polls
 * the sources; each poll pushes one chunk through the chain.  At the end
 * of a bounded input the source's chain receives the maximum watermark
 * (every window fires) and then finish(), head to tail, so sinks flush.
 *
 * Entry points: weir__job_start, weir__job_run, weir__job_next_row,
 * weir__job_stats_get, weir__job_free; weir__op_emit and friends for
 * operators.
 */
#include <stdio.h>

#include "exec/execInt.h"

enum { JOB_RUNNING, JOB_FINISHED, JOB_FAILED };

struct weir__job {
  const weir__pplan *plan;
  const weir__config *cfg;
  char *name;
  weir__err err;
  int nops;
  weir__op **ops; /* by plan operator index */
  int ntasks;
  weir__task *tasks;
  weir__op *collect;
  volatile int *interrupt;
  int stop_requested;
  int state;
  int nopened; /* operators [0, nopened) were opened */
};

/* ---- operator plumbing ------------------------------------------------------ */

int weir__op_emit(weir__op *op, weir__chunk *c) {
  if (c->n == 0) return WEIR_OK;
  op->m.rows_out += c->n;
  weir__op *next = op->next;
  if (!next) return WEIR_OK;
  next->m.rows_in += c->n;
  return next->vt->push(next, 0, c);
}

int weir__op_emit_watermark(weir__op *op, int64_t wm) {
  weir__op *next = op->next;
  if (!next || wm <= next->watermark) return WEIR_OK;
  next->watermark = wm;
  if (next->vt->on_watermark) return next->vt->on_watermark(next, wm);
  return weir__op_emit_watermark(next, wm);
}

int weir__op_fail(weir__op *op, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  weir__err_vset(op->err, code, -1, fmt, ap);
  va_end(ap);
  return op->err->code;
}

void weir__op_request_stop(weir__op *op) { op->task->job->stop_requested = 1; }

/* ---- construction --------------------------------------------------------------- */

static const weir__op_vtab *vtab_for(const weir__pop *p, weir__err *err) {
  switch (p->kind) {
  case POP_VALUES: return &weir__op_values_vtab;
  case POP_CALC: return &weir__op_calc_vtab;
  case POP_WATERMARK: return &weir__op_watermark_vtab;
  case POP_WINDOW_TVF: return &weir__op_window_tvf_vtab;
  case POP_WINDOW_AGG: return &weir__op_window_agg_vtab;
  case POP_GROUP_AGG: return &weir__op_group_agg_vtab;
  case POP_LIMIT: return &weir__op_limit_vtab;
  case POP_COLLECT: return &weir__op_collect_vtab;
  case POP_SOURCE:
  case POP_SINK: {
    const char *name = weir__table_option(p->table, "connector");
    const weir__connector *c = name ? weir__connector_find(name) : NULL;
    const weir__op_vtab *vt = c ? (p->kind == POP_SOURCE ? c->source : c->sink) : NULL;
    if (!vt)
      weir__err_set(err, WEIR_ERROR, -1, "connector '%s' of table '%s' cannot be used as a %s",
                    name ? name : "?", p->table->name, p->kind == POP_SOURCE ? "source" : "sink");
    return vt;
  }
  }
  weir__err_set(err, WEIR_INTERNAL, -1, "no operator for %s", weir__pop_name(p->kind));
  return NULL;
}

static void job_close(weir__job *job) {
  for (int i = 0; i < job->nopened; i++) {
    weir__op *op = job->ops[i];
    if (op->vt->close) op->vt->close(op);
  }
  job->nopened = 0;
}

void weir__job_free(weir__job *job) {
  if (!job) return;
  job_close(job);
  for (int i = 0; i < job->nops; i++) {
    if (job->ops[i]) {
      weir__arena_free(&job->ops[i]->scratch);
      weir__free(job->ops[i]);
    }
  }
  for (int i = 0; i < job->ntasks; i++) weir__free(job->tasks[i].chain);
  weir__free(job->tasks);
  weir__free(job->ops);
  weir__free(job->name);
  weir__free(job);
}

int weir__job_start(const weir__pplan *plan, const weir__config *cfg, const char *name,
                    volatile int *interrupt, weir__job **out, weir__err *err) {
  *out = NULL;
  weir__job *job = weir__calloc(1, sizeof *job);
  if (!job) return weir__err_nomem(err);
  weir__err_clear(&job->err);
  job->plan = plan;
  job->cfg = cfg;
  job->interrupt = interrupt;
  job->name = weir__strdup(name ? name : "job");
  job->nops = plan->nops;
  job->ops = weir__calloc((size_t)plan->nops, sizeof(weir__op *));
  if (!job->name || !job->ops) goto nomem;
  for (int i = 0; i < plan->nops; i++) {
    const weir__pop *p = plan->ops[i];
    const weir__op_vtab *vt = vtab_for(p, err);
    if (!vt) goto fail;
    weir__op *op = weir__calloc(1, vt->size);
    if (!op) goto nomem;
    op->vt = vt;
    op->plan = p;
    op->cfg = cfg;
    op->err = &job->err;
    op->watermark = WEIR_WATERMARK_MIN;
    op->subtask = 0;
    op->nsubtasks = 1;
    weir__arena_init(&op->scratch, 65536);
    op->ectx.scratch = &op->scratch;
    op->ectx.err = &job->err;
    job->ops[i] = op;
    if (p->kind == POP_COLLECT) job->collect = op;
  }
  /* Link each operator to its consumer.  Operators are in topological
   * order and each has at most one consumer in today's plans. */
  for (int i = 0; i < plan->nops; i++) {
    const weir__pop *p = plan->ops[i];
    if (!p->input) continue;
    for (int j = 0; j < i; j++) {
      if (plan->ops[j] == p->input) job->ops[j]->next = job->ops[i];
    }
  }
  /* Chains: from every source along its consumers.  With one subtask
   * per operator, keyed edges connect operators of equal parallelism and
   * are chained like forward ones; exchanges come with parallelism. */
  for (int i = 0; i < plan->nops; i++) {
    if (plan->ops[i]->input) continue;
    weir__task *tasks = weir__realloc(job->tasks, sizeof(weir__task) * (size_t)(job->ntasks + 1));
    if (!tasks) goto nomem;
    job->tasks = tasks;
    weir__task *t = &job->tasks[job->ntasks];
    memset(t, 0, sizeof *t);
    t->id = job->ntasks++;
    t->job = job;
    int n = 0;
    for (weir__op *op = job->ops[i]; op; op = op->next) n++;
    t->chain = weir__calloc((size_t)n, sizeof(weir__op *));
    if (!t->chain) goto nomem;
    for (weir__op *op = job->ops[i]; op; op = op->next) {
      op->task = t;
      t->chain[t->nops++] = op;
    }
  }
  if (job->ntasks != 1) {
    weir__err_set(err, WEIR_UNSUPPORTED, -1, "jobs with %d sources are not supported yet",
                  job->ntasks);
    goto fail;
  }
  /* Open in plan order, sources first: a missing input file fails
   * before any sink creates its output. */
  for (int i = 0; i < job->nops; i++) {
    weir__op *op = job->ops[i];
    int rc = op->vt->open ? op->vt->open(op) : WEIR_OK;
    job->nopened = i + 1;
    if (rc != WEIR_OK) {
      if (job->err.code == WEIR_OK) weir__err_set(&job->err, rc, -1, "cannot open %s", op->vt->name);
      *err = job->err;
      goto fail;
    }
  }
  *out = job;
  return WEIR_OK;
nomem:
  weir__err_nomem(err);
fail:
  weir__job_free(job);
  return err->code ? err->code : WEIR_ERROR;
}

/* ---- running -------------------------------------------------------------------- */

static int job_failed(weir__job *job, int rc, weir__err *err) {
  job->state = JOB_FAILED;
  if (job->err.code == WEIR_OK) weir__err_set(&job->err, rc, -1, "job failed (%s)", weir_errstr(rc));
  *err = job->err;
  return job->err.code;
}

static int job_finish(weir__job *job, weir__task *t, weir__err *err) {
  weir__op *src = t->chain[0];
  int rc = WEIR_OK;
  /* Bounded input is complete: event time is over, every window fires.
   * A job stopped by LIMIT ends without it. */
  if (!job->stop_requested) rc = weir__op_emit_watermark(src, WEIR_WATERMARK_MAX);
  for (int i = 0; rc == WEIR_OK && i < t->nops; i++) {
    weir__op *op = t->chain[i];
    if (op->vt->finish) rc = op->vt->finish(op);
  }
  if (rc != WEIR_OK) return job_failed(job, rc, err);
  job->state = JOB_FINISHED;
  return WEIR_OK;
}

int weir__job_run(weir__job *job, weir__err *err) {
  if (job->state == JOB_FAILED) {
    *err = job->err;
    return job->err.code;
  }
  if (job->collect && weir__op_collect_pending(job->collect)) return WEIR_ROW;
  if (job->state == JOB_FINISHED) return WEIR_DONE;
  weir__task *t = &job->tasks[0];
  weir__op *src = t->chain[0];
  for (;;) {
    if (job->interrupt && *job->interrupt) return WEIR_INTERRUPT;
    int rc = job->stop_requested ? WEIR_DONE : src->vt->poll(src);
    if (rc == WEIR_DONE) {
      if ((rc = job_finish(job, t, err)) != WEIR_OK) return rc;
      if (job->collect && weir__op_collect_pending(job->collect)) return WEIR_ROW;
      return WEIR_DONE;
    }
    if (rc != WEIR_OK || job->err.code != WEIR_OK) return job_failed(job, rc ? rc : job->err.code, err);
    if (job->collect && weir__op_collect_pending(job->collect)) return WEIR_ROW;
  }
}

const weir__chunk *weir__job_next_row(weir__job *job, int *row) {
  if (!job->collect) return NULL;
  return weir__op_collect_next(job->collect, row);
}

void weir__job_stats_get(const weir__job *job, weir__job_stats *st) {
  memset(st, 0, sizeof *st);
  for (int i = 0; i < job->nops; i++) {
    const weir__op *op = job->ops[i];
    if (!op) continue;
    st->late_dropped += op->m.late_dropped;
    st->skipped += op->m.skipped;
    if (op->plan->kind == POP_SOURCE || op->plan->kind == POP_VALUES) st->rows_read += op->m.rows_out;
    if (op->plan->kind == POP_SINK) st->rows_written += op->m.rows_in;
  }
}

const char *weir__job_name(const weir__job *job) { return job->name; }

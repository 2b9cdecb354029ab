/*
 * jobs.c -- the engine's jobs (DESIGN sections 5 and 7): every INSERT runs
 * as a job that the engine owns, on a thread of its own, with its own copy
 * of the plan and of the options it started with.
 *
 * A synchronous INSERT ('table.dml-sync' true, or auto with bounded
 * sources) waits for its job and returns its figures; weir_interrupt
 * cancels it.  A detached one returns as soon as the job runs, and the job
 * goes on while the application (or the shell) does other things: SHOW
 * JOBS and DESCRIBE JOB show its live figures, STOP JOB / CANCEL JOB /
 * SAVEPOINT JOB control it, weir_jobs_wait waits for it.  weir_close stops
 * every job; in a state directory they stay RUNNING in the catalog and the
 * next weir_resume resumes them from their newest checkpoint, as after a
 * crash.
 *
 * A failed job restarts from its newest complete checkpoint as
 * 'restart-strategy.type' allows (Flink's restart strategies).  Each
 * job's end is recorded in the catalog: FINISHED (also after STOP JOB ...
 * WITH SAVEPOINT, with the savepoint's path), CANCELED or FAILED with the
 * cause.
 *
 * Threads: the job's thread owns b->st->job; b->mu guards that pointer
 * against the API thread (savepoints, live figures) while a restart
 * replaces it.  db->jobs_mu guards the list of jobs.  Neither lock is
 * held while the catalog is written.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <time.h>

#include "api/apiInt.h"

struct weir__bgjob {
  weir *db;
  char name[256];
  weir_stmt *st;     /* its own statement: plan and job; not in db->stmts */
  weir__config cfg;  /* the options it started with */
  int detached;
  int recorded;      /* in the catalog */
  _Atomic int cancel; /* CANCEL JOB, weir_close, an interrupted synchronous INSERT */
  _Atomic int suspend; /* weir_close in a state directory: stays RUNNING */
  pthread_t th;
  int started;
  pthread_mutex_t mu; /* st->job (replaced on restart), done, rc, err, fig, savepoint */
  pthread_cond_t cv;
  int done, rc;
  weir__err err;
  weir__job_stats fig;
  char savepoint[4096]; /* stopped with this savepoint */
};

/* ---- naming and starting ------------------------------------------------------- */

int weir__dml_detached(const weir__config *cfg, const weir__pplan *plan) {
  const char *v = weir__config_get(cfg, "table.dml-sync");
  if (v && strcasecmp(v, "true") == 0) return 0;
  if (v && strcasecmp(v, "false") == 0) return 1;
  for (int i = 0; i < plan->nops; i++) {
    const weir__pop *p = plan->ops[i];
    if (p->kind == POP_SOURCE && !(p->table->caps & WEIR_CAP_BOUNDED)) return 1;
  }
  return 0;
}

/* The running (not yet ended) job called name, under jobs_mu; NULL if none. */
static weir__bgjob *find_running(weir *db, const char *name, size_t n) {
  for (int i = 0; i < db->jobs.n; i++) {
    weir__bgjob *b = db->jobs.v[i];
    if (strlen(b->name) == n && strncasecmp(b->name, name, n) == 0) {
      pthread_mutex_lock(&b->mu);
      int done = b->done;
      pthread_mutex_unlock(&b->mu);
      if (!done) return b;
    }
  }
  return NULL;
}

static void bg_free(weir__bgjob *b) {
  if (b->started) pthread_join(b->th, NULL);
  if (b->st) weir_finalize(b->st); /* frees its job and plan */
  weir__config_free(&b->cfg);
  pthread_mutex_destroy(&b->mu);
  pthread_cond_destroy(&b->cv);
  weir__free(b);
}

/* Forget detached jobs that have ended (their record is in the catalog). */
static void reap(weir *db) {
  pthread_mutex_lock(&db->jobs_mu);
  for (int i = 0; i < db->jobs.n;) {
    weir__bgjob *b = db->jobs.v[i];
    pthread_mutex_lock(&b->mu);
    int done = b->done && b->detached;
    pthread_mutex_unlock(&b->mu);
    if (!done) {
      i++;
      continue;
    }
    weir__ptrvec_remove(&db->jobs, b);
    bg_free(b);
  }
  pthread_mutex_unlock(&db->jobs_mu);
}

static void unlist(weir *db, weir__bgjob *b) {
  pthread_mutex_lock(&db->jobs_mu);
  weir__ptrvec_remove(&db->jobs, b);
  pthread_mutex_unlock(&db->jobs_mu);
}

/* The session's options as "key=value" lines (a job's record). */
static char *config_text(const weir__config *cfg) {
  weir__sb sb;
  weir__sb_init(&sb);
  for (int i = 0;; i++) {
    const char *key, *def, *help;
    if (!weir__config_known(i, &key, &def, &help)) break;
    const char *v = weir__config_get(cfg, key);
    if (v && *v && strcmp(v, def)) weir__sb_printf(&sb, "%s=%s\n", key, v);
  }
  char *text = sb.oom ? NULL : weir__strdup(weir__sb_str(&sb));
  weir__sb_free(&sb);
  return text;
}

static int copy_config(weir__config *dst, const weir__config *src, weir__err *err) {
  memset(dst, 0, sizeof *dst);
  for (int i = 0; i < src->n; i++) {
    if (weir__config_set(dst, src->keys[i], src->values[i], err)) return err->code;
  }
  return WEIR_OK;
}

/* ---- the job's thread ------------------------------------------------------------ */

/* Restart strategies (Flink's restart-strategy.*): may the job start again
 * after its `attempt`-th failure, and after how many ms?  Without a
 * setting, a job with checkpoints restarts with exponential delay and one
 * without does not. */
static int restart_allowed(const weir__config *c, int checkpointing, int attempt, int64_t *delay_ms) {
  const char *type = weir__config_get(c, "restart-strategy.type");
  if (!type || !*type) type = checkpointing ? "exponential-delay" : "none";
  if (strcasecmp(type, "fixed-delay") == 0) {
    *delay_ms = weir__config_get_int(c, "restart-strategy.fixed-delay.delay");
    return attempt <= weir__config_get_int(c, "restart-strategy.fixed-delay.attempts");
  }
  if (strcasecmp(type, "exponential-delay") == 0) {
    double d = (double)weir__config_get_int(c, "restart-strategy.exponential-delay.initial-backoff");
    double m = strtod(weir__config_get(c, "restart-strategy.exponential-delay.backoff-multiplier"), NULL);
    double max = (double)weir__config_get_int(c, "restart-strategy.exponential-delay.max-backoff");
    for (int i = 1; i < attempt && d < max; i++) d *= m;
    *delay_ms = (int64_t)(d < max ? d : max);
    return attempt <= weir__config_get_int(
                          c, "restart-strategy.exponential-delay.attempts-before-reset-backoff");
  }
  return 0;
}

/* Sleep ms, waking early when the job is cancelled; 0 if it was. */
static int restart_wait(weir__bgjob *b, int64_t ms) {
  for (int64_t waited = 0; waited < ms; waited += 20) {
    if (atomic_load(&b->cancel)) return 0;
    struct timespec ts = {0, 20 * 1000000};
    nanosleep(&ts, NULL);
  }
  return !atomic_load(&b->cancel);
}

/* Run the job to its end; on a failure, restart it from its newest
 * checkpoint as the restart strategy allows, keeping the cause. */
static int run_with_restarts(weir__bgjob *b, weir__err *err) {
  weir *db = b->db;
  weir_stmt *st = b->st;
  const weir__table *once = weir__pplan_unreplayable(st->plan);
  if (once && weir__job_checkpointing(st->job))
    fprintf(stderr,
            "[WARN] job '%s': table '%s' reads a source that cannot be read again, so the job is "
            "at most once: after a failure it is not restarted, and the rows read since its last "
            "checkpoint are not written\n",
            b->name, once->name);
  for (int attempt = 1;; attempt++) {
    int rc = weir__job_run(st->job, err);
    if (rc == WEIR_DONE || rc == WEIR_INTERRUPT) return rc;
    int64_t delay = 0;
    if (!restart_allowed(&b->cfg, weir__job_checkpointing(st->job), attempt, &delay)) return rc;
    if (once) {
      /* A restart would go on from wherever the input is now: rows lost
       * without a word.  Failing says so. */
      fprintf(stderr, "[WARN] job '%s' failed and is not restarted: table '%s' cannot be read again\n",
              b->name, once->name);
      return rc;
    }
    char from[4096];
    int have = weir__job_latest_checkpoint(st->job, from, sizeof from);
    fprintf(stderr, "[WARN] job '%s' failed: %s; restart %d from %s in %lld ms\n", b->name, err->msg,
            attempt, have ? from : "the start", (long long)delay);
    /* Keep the figures so far: DESCRIBE JOB goes on showing them. */
    pthread_mutex_lock(&b->mu);
    weir__job_stats_get(st->job, &b->fig);
    weir__job_free(st->job);
    st->job = NULL;
    pthread_mutex_unlock(&b->mu);
    if (!restart_wait(b, delay)) return weir__err_force(err, WEIR_INTERRUPT, -1, "interrupted");
    weir__err last = *err;
    weir__err_clear(err);
    weir__job *job = NULL;
    if (weir__job_start(st->plan, &b->cfg, b->name, db->state_dir, have ? from : NULL, &b->cancel,
                        &job, err)) {
      /* It cannot even start again: report that, and why it stopped. */
      weir__err now = *err;
      weir__err_force(err, now.code, -1, "%s (restarting after: %s)", now.msg, last.msg);
      return err->code;
    }
    pthread_mutex_lock(&b->mu);
    st->job = job;
    pthread_mutex_unlock(&b->mu);
  }
}

void weir__format_watermark(int64_t wm, char *buf, size_t n) {
  char ts[64];
  if (wm == INT64_MIN || wm == INT64_MAX || weir__time_format_ts(wm, ts) < 0)
    snprintf(buf, n, "%s", wm == INT64_MAX ? "end of time" : "");
  else
    snprintf(buf, n, "%s", ts);
}

static void *bg_main(void *arg) {
  weir__bgjob *b = arg;
  weir *db = b->db;
  weir__err err;
  weir__err_clear(&err);
  int rc = run_with_restarts(b, &err);
  weir__job_stats fig = b->fig;
  int stopped = 0;
  if (b->st->job) {
    weir__job_stats_get(b->st->job, &fig);
    stopped = weir__job_stopped(b->st->job);
  }
  int suspended = rc == WEIR_INTERRUPT && atomic_load(&b->suspend);
  const char *status = rc == WEIR_DONE ? "FINISHED" : rc == WEIR_INTERRUPT ? "CANCELED" : "FAILED";
  /* Its end, in the catalog (a crash or a suspended job stays RUNNING). */
  if (b->recorded && !suspended) {
    weir__err serr;
    weir__err_clear(&serr);
    int64_t f[3] = {fig.rows_read, fig.rows_written, fig.late_dropped};
    char wm[64];
    weir__format_watermark(fig.watermark, wm, sizeof wm);
    pthread_mutex_lock(&b->mu);
    char sp[4096];
    snprintf(sp, sizeof sp, "%s", b->savepoint);
    pthread_mutex_unlock(&b->mu);
    if (weir__store_job_end(&db->store, b->name, status,
                            rc == WEIR_DONE || rc == WEIR_INTERRUPT ? NULL : err.msg, f, wm,
                            stopped && sp[0] ? sp : NULL, &serr) &&
        rc == WEIR_DONE) {
      err = serr;
      rc = serr.code;
    }
  }
  if (b->detached && !suspended) {
    if (rc == WEIR_DONE)
      fprintf(stderr,
              "[INFO] job '%s' %s: %lld rows read, %lld rows written, %lld late rows dropped\n",
              b->name, stopped ? "stopped" : "finished", (long long)fig.rows_read,
              (long long)fig.rows_written, (long long)fig.late_dropped);
    else if (rc != WEIR_INTERRUPT)
      fprintf(stderr, "[ERROR] job '%s' failed: %s\n", b->name, err.msg);
  }
  pthread_mutex_lock(&b->mu);
  /* Free the running parts now; the plan stays for the statement. */
  weir__job_free(b->st->job);
  b->st->job = NULL;
  b->fig = fig;
  b->rc = rc;
  b->err = err;
  b->done = 1;
  pthread_cond_broadcast(&b->cv);
  pthread_mutex_unlock(&b->mu);
  return NULL;
}

int weir__bgjob_start(weir_stmt *st, int detached, weir__bgjob **out, weir__err *err) {
  weir *db = st->db;
  *out = NULL;
  reap(db);
  weir__bgjob *b = weir__calloc(1, sizeof *b);
  if (!b) return weir__err_nomem(err);
  b->db = db;
  b->detached = detached;
  pthread_mutex_init(&b->mu, NULL);
  pthread_cond_init(&b->cv, NULL);
  weir__err_clear(&b->err);
  /* Its name: CREATE JOB name, 'pipeline.name', or insert-N, the first N
   * that no job in the catalog has (earlier sessions' included). */
  const char *pn = weir__config_get(&db->cfg, "pipeline.name");
  if (st->ast->job.n > 0)
    snprintf(b->name, sizeof b->name, "%.*s", st->ast->job.n, st->ast->job.p);
  else if (pn && *pn)
    snprintf(b->name, sizeof b->name, "%s", pn);
  else
    do
      snprintf(b->name, sizeof b->name, "insert-%d", ++db->job_seq);
    while (weir__store_job_exists(&db->store, b->name));
  snprintf(st->job_name, sizeof st->job_name, "%s", b->name);
  int rc;
  pthread_mutex_lock(&db->jobs_mu);
  int busy = find_running(db, b->name, strlen(b->name)) != NULL;
  pthread_mutex_unlock(&db->jobs_mu);
  if (busy) {
    rc = weir__err_set(err, WEIR_ERROR, st->ast->job.n > 0 ? st->ast->job.off : st->ast->off,
                       "a job named '%s' is running already (STOP JOB '%s' first, or give this "
                       "one another name)",
                       b->name, b->name);
    goto fail;
  }
  /* Its own statement (the caller's may be finalized at once) and options. */
  if ((rc = copy_config(&b->cfg, &db->cfg, err))) goto fail;
  int next;
  if ((rc = weir_prepare_from(db, st->sql, st->len, 0, &b->st, &next))) {
    *err = db->err;
    goto fail;
  }
  weir__ptrvec_remove(&db->stmts, b->st);
  b->st->state = ST_RUNNING;
  snprintf(b->st->job_name, sizeof b->st->job_name, "%s", b->name);
  /* The job in the catalog: what it runs and with which options. */
  char *sql = weir__strndup(st->sql + st->ast->off, (size_t)(st->ast->end - st->ast->off));
  char *conf = config_text(&db->cfg);
  rc = sql && conf ? weir__store_job_start(&db->store, b->name, sql, conf, err) : weir__err_nomem(err);
  weir__free(sql);
  weir__free(conf);
  if (rc) goto fail;
  b->recorded = 1;
  if ((rc = weir__job_start(b->st->plan, &b->cfg, b->name, db->state_dir, NULL, &b->cancel,
                            &b->st->job, err)))
    goto fail;
  pthread_mutex_lock(&db->jobs_mu);
  rc = weir__ptrvec_push(&db->jobs, b) ? weir__err_nomem(err) : WEIR_OK;
  pthread_mutex_unlock(&db->jobs_mu);
  if (rc) goto fail;
  if (pthread_create(&b->th, NULL, bg_main, b) != 0) {
    unlist(db, b);
    rc = weir__err_set(err, WEIR_ERROR, -1, "cannot start the thread of job '%s'", b->name);
    goto fail;
  }
  b->started = 1;
  *out = b;
  return WEIR_OK;
fail:
  if (b->recorded) {
    weir__err ignored;
    weir__err_clear(&ignored);
    weir__store_job_end(&db->store, b->name, "FAILED", err->msg, NULL, NULL, NULL, &ignored);
  }
  bg_free(b);
  return rc;
}

int weir__bgjob_wait(weir__bgjob *b, weir__job_stats *fig, weir__err *err) {
  weir *db = b->db;
  pthread_mutex_lock(&b->mu);
  while (!b->done) {
    if (atomic_load(&db->interrupt)) atomic_store(&b->cancel, 1);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 50 * 1000000;
    if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
    pthread_cond_timedwait(&b->cv, &b->mu, &ts);
  }
  int rc = b->rc;
  *fig = b->fig;
  if (rc != WEIR_DONE) *err = b->err;
  pthread_mutex_unlock(&b->mu);
  unlist(db, b);
  bg_free(b);
  return rc;
}

/* ---- control ----------------------------------------------------------------------- */

/* Wait for a job to end (after a cancel or a stop). */
static void wait_done(weir__bgjob *b) {
  pthread_mutex_lock(&b->mu);
  while (!b->done) pthread_cond_wait(&b->cv, &b->mu);
  pthread_mutex_unlock(&b->mu);
}

/* Where savepoints go: the session's 'state.savepoints.dir', the job's,
 * else STATE_DIR/savepoints ("" if none). */
static void savepoint_base(const weir__bgjob *b, char *buf, size_t n) {
  const char *v = weir__config_get(&b->db->cfg, "state.savepoints.dir");
  if (!v || !*v) v = weir__config_get(&b->cfg, "state.savepoints.dir");
  if (v && *v)
    snprintf(buf, n, "%s", v);
  else if (b->db->state_dir)
    snprintf(buf, n, "%s/savepoints", b->db->state_dir);
  else
    buf[0] = 0;
}

int weir__job_control(weir_stmt *st, weir__err *err) {
  weir *db = st->db;
  weir__ast_stmt *a = st->ast;
  reap(db);
  pthread_mutex_lock(&db->jobs_mu);
  weir__bgjob *b = find_running(db, a->name.p, (size_t)a->name.n);
  pthread_mutex_unlock(&db->jobs_mu);
  if (!b) {
    char name[256];
    snprintf(name, sizeof name, "%.*s", a->name.n, a->name.p);
    return weir__err_set(err, WEIR_NOTFOUND, a->name.off,
                         "no job '%s' is running in this engine (SHOW JOBS lists the jobs)", name);
  }
  if (a->kind == STMT_STOP_JOB && a->with_drain && !a->with_savepoint)
    return weir__err_set(err, WEIR_ERROR, a->off, "STOP JOB ... WITH DRAIN needs WITH SAVEPOINT");
  /* (The list may reap only ended jobs, and this one runs until it is
   * cancelled or stopped here, on this thread.) */
  if (a->kind == STMT_CANCEL_JOB || (a->kind == STMT_STOP_JOB && !a->with_savepoint)) {
    atomic_store(&b->cancel, 1);
    wait_done(b);
    const char *vals[2] = {b->name, "CANCELED"};
    return weir__stmt_add_row(st, vals) ? weir__err_nomem(err) : WEIR_OK;
  }
  char base[4096], path[4096];
  savepoint_base(b, base, sizeof base);
  int stop = a->kind == STMT_STOP_JOB;
  pthread_mutex_lock(&b->mu);
  int rc;
  if (!b->st->job || b->done)
    rc = weir__err_set(err, WEIR_ERROR, a->name.off, "job '%s' is %s; try again", b->name,
                       b->done ? "ending" : "restarting");
  else
    rc = weir__job_savepoint(b->st->job, base, stop, a->with_drain, path, sizeof path, err);
  if (!rc && stop) snprintf(b->savepoint, sizeof b->savepoint, "%s", path);
  pthread_mutex_unlock(&b->mu);
  if (rc) return rc;
  if (stop) wait_done(b);
  const char *vals[1] = {path};
  return weir__stmt_add_row(st, vals) ? weir__err_nomem(err) : WEIR_OK;
}

/* ---- figures --------------------------------------------------------------------------- */

int weir__bgjob_figures(weir *db, const char *name, weir__job_stats *fig, weir__sb *ops) {
  pthread_mutex_lock(&db->jobs_mu);
  weir__bgjob *b = find_running(db, name, strlen(name));
  int found = 0;
  if (b) {
    pthread_mutex_lock(&b->mu);
    *fig = b->fig;
    if (b->st->job) {
      found = 1;
      weir__job_stats_get(b->st->job, fig);
      const weir__pplan *plan = weir__job_plan(b->st->job);
      for (int i = 0; ops && i < plan->nops; i++) {
        const weir__pop *p = plan->ops[i];
        weir__op_stats os;
        weir__job_op_stats(b->st->job, i, &os);
        char wm[64];
        weir__format_watermark(os.watermark, wm, sizeof wm);
        weir__sb_printf(ops, "%s%s%s%s\t%d\t%lld\t%lld\t%lld\t%s\n", weir__pop_name(p->kind),
                        p->table ? "(" : "", p->table ? p->table->name : "", p->table ? ")" : "",
                        os.parallelism, (long long)os.rows_in, (long long)os.rows_out,
                        (long long)os.late_dropped, wm);
      }
    }
    pthread_mutex_unlock(&b->mu);
  }
  pthread_mutex_unlock(&db->jobs_mu);
  return found;
}

void weir__bgjob_close_all(weir *db) {
  pthread_mutex_lock(&db->jobs_mu);
  weir__ptrvec jobs = db->jobs;
  memset(&db->jobs, 0, sizeof db->jobs);
  pthread_mutex_unlock(&db->jobs_mu);
  for (int i = 0; i < jobs.n; i++) {
    weir__bgjob *b = jobs.v[i];
    /* In a state directory the job resumes when the directory is opened
     * again (weir_resume), from its newest checkpoint. */
    if (db->state_dir) atomic_store(&b->suspend, 1);
    atomic_store(&b->cancel, 1);
  }
  for (int i = 0; i < jobs.n; i++) {
    weir__bgjob *b = jobs.v[i];
    wait_done(b);
    if (atomic_load(&b->suspend) && b->rc == WEIR_INTERRUPT)
      fprintf(stderr, "[INFO] job '%s' stopped with the engine; it resumes when '%s' is opened again\n",
              b->name, db->state_dir);
    bg_free(b);
  }
  weir__ptrvec_free(&jobs);
}

int weir_jobs_wait(weir *db) {
  if (!db) return WEIR_MISUSE;
  for (;;) {
    reap(db);
    if (!weir_jobs_running(db)) return WEIR_OK;
    if (atomic_load(&db->interrupt)) return WEIR_INTERRUPT;
    struct timespec ts = {0, 20 * 1000000};
    nanosleep(&ts, NULL);
  }
}

int weir_jobs_running(weir *db) {
  if (!db) return 0;
  pthread_mutex_lock(&db->jobs_mu);
  int running = 0;
  for (int i = 0; i < db->jobs.n; i++) {
    weir__bgjob *b = db->jobs.v[i];
    pthread_mutex_lock(&b->mu);
    running += !b->done;
    pthread_mutex_unlock(&b->mu);
  }
  pthread_mutex_unlock(&db->jobs_mu);
  return running;
}

/*
 * job.c -- a running job: operator instances, tasks on threads, and the
 * exchanges between them (DESIGN section 5).
 *
 * A job instantiates every physical operator once per subtask (its
 * parallelism).  An operator whose input edge is forward with the same
 * parallelism is chained to its input: both run in one task, and chunks
 * pass by function call.  Any other edge is an exchange: the producer's
 * chain ends in an exchange operator that partitions rows (by key group
 * for keyed edges, all to subtask 0 for global ones) into bounded
 * channels, one per consumer subtask.  A task is a chain of operators run
 * by one thread: a source task polls its source, any other task receives
 * from its input channels.
 *
 * Watermarks: a task with several inputs delivers the minimum of their
 * watermarks, leaving out inputs that have ended or declared themselves
 * idle.  At the end of a bounded input a source sends the maximum
 * watermark, so every window fires, and then end-of-input; a task whose
 * inputs have all ended finishes its chain and ends its outputs.
 *
 * Failure and cancel: the first error is kept, every task is told to stop
 * (each wakes from any wait), and the threads are joined before the
 * operators are closed; nothing outlives weir__job_free.
 *
 * Entry points: weir__job_start, weir__job_run, weir__job_next_row,
 * weir__job_stats_get, weir__job_free; weir__op_emit and friends for
 * operators.
 */
#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "exec/execInt.h"

enum { JOB_RUNNING, JOB_FINISHED, JOB_FAILED };

/* A snapshot file serialized by a task, waiting to be written. */
typedef struct pending_write {
  int64_t id;
  weir__snap_writer w; /* its path is the file's name in the checkpoint directory */
  struct pending_write *next;
} pending_write;

typedef struct task_ext {
  weir__task t;
  weir__err err;             /* the operators' errors in this task */
  _Atomic int64_t ckpt_acked; /* the last checkpoint whose snapshot it finished */
  _Atomic int64_t notified;   /* the last completed checkpoint its operators were told of */
  _Atomic int finished;       /* its chain has finished (or failed) */
  _Atomic int64_t inflight_id; /* the last checkpoint it queued in-flight data for */
} task_ext;

struct weir__job {
  const weir__pplan *plan;
  const weir__config *cfg;
  char *name;
  pthread_mutex_t mu; /* err */
  weir__err err;
  weir__op ***inst;      /* inst[i][s]: operator i, subtask s */
  weir__ptrvec all_ops;  /* every instance, exchanges included */
  weir__ptrvec tasks;    /* task_ext* */
  weir__ptrvec channels; /* weir__channel* */
  weir__op *collect;
  _Atomic int *interrupt;
  _Atomic int cancel;
  _Atomic int stop_requested;
  _Atomic int running;
  int state;
  int started;
  weir__doorbell api_bell;
  int64_t buffer_timeout_ms;
  /* Checkpoints (ckpt_dir NULL: none). */
  char *ckpt_dir; /* <checkpoints>/<job name> */
  int64_t ckpt_interval_ms, ckpt_timeout_ms;
  int ckpt_retained, ckpt_aligned;
  int ckpt_unaligned; /* barriers overtake queued chunks (savepoints excepted) */
  _Atomic int64_t ckpt_inflight_rows; /* in-flight rows kept by completed tasks' snapshots */
  int64_t ckpt_first_id;   /* the restored checkpoint's id (0: a fresh start) */
  int64_t ckpt_base;       /* the highest checkpoint id already in the directory */
  /* Asynchronous snapshots: files serialized by the tasks, written by the
   * coordinator while the tasks go on. */
  pthread_mutex_t wq_mu;
  struct pending_write *wq;
  /* Figures of the completed checkpoints (coordinator thread). */
  int64_t ckpt_count, ckpt_ms_total, ckpt_ms_max, ckpt_bytes_total, ckpt_bytes_last;
  /* This run's identity, new for every start of the job (fresh, restored
   * or restarted).  Sinks key the commit records of the epochs they seal
   * by it, and keep it with each epoch they hold in a checkpoint, so no
   * run mistakes its epochs for another run's. */
  char run_id[40];
  int64_t restore_start_ns; /* restored: when the restore began (for the log) */
  _Atomic int restore_logged;
  _Atomic int64_t ckpt_trigger;  /* the latest checkpoint the sources are to start */
  _Atomic int64_t ckpt_complete; /* the latest completed checkpoint */
  /* One checkpoint or savepoint at a time: the coordinator's and those
   * an API thread takes (weir__job_savepoint) take turns. */
  pthread_mutex_t ckpt_mu;
  int64_t ckpt_last_id;          /* the last id given out (under ckpt_mu) */
  _Atomic int64_t savepoint_id;  /* the latest savepoint's id: always aligned */
  _Atomic int64_t stop_id;       /* stop with savepoint: its id (0: none) */
  _Atomic int stop_drain;        /* ... with the maximum watermark first */
  _Atomic int stopped;           /* stopped with a savepoint (not cancelled) */
  weir__doorbell coord_bell;
  pthread_t coord;
  int coord_started;
  /* Keyed state: the job's directory for RocksDB stores (NULL until the
   * first asks), and the shared files each checkpoint in progress
   * references (rocksdb incremental checkpoints; under sh_mu). */
  char *local_dir;
  const char *state_dir;
  int ckpt_incremental;
  pthread_mutex_t sh_mu;
  struct shared_ref *sh;
  int nsh, shcap;
  int64_t ckpt_shared_added; /* bytes the last checkpoint added to shared storage */
};

typedef struct shared_ref {
  int64_t id;
  char *name;
  uint64_t size;
  int added;
} shared_ref;

static int plan_index(const weir__pplan *plan, const weir__pop *p);
static void *coord_main(void *arg);
static void sweep_shared(weir__job *job);
static int checkpoint_setup(weir__job *job, const char *state_dir, weir__err *err);
static int restore_job(weir__job *job, const char *path, weir__err *err);
static void op_uid(const weir__job *job, const weir__op *op, char *buf, size_t n);
static void publish_figures(weir__task *t);

/* The id of a checkpoint directory's name "chk-<id>"; 0 for any other name. */
static long long checkpoint_id(const char *name) {
  return strncmp(name, "chk-", 4) ? 0 : atoll(name + 4);
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t weir__mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t now_ns(void) { return weir__mono_ns(); }

void weir__pacer_start(weir__pacer *p, int64_t rows_per_second, int nsubtasks) {
  p->ns_per_row = rows_per_second > 0 ? 1e9 * (double)(nsubtasks > 0 ? nsubtasks : 1) /
                                            (double)rows_per_second
                                      : 0;
  p->start_ns = weir__mono_ns();
  p->emitted = 0;
}

int64_t weir__pacer_due(weir__pacer *p, weir__op *op, int64_t limit) {
  if (p->ns_per_row <= 0) return limit;
  /* Only the rows due by now; then sleep until the next one is. */
  int64_t due = (int64_t)((double)(weir__mono_ns() - p->start_ns) / p->ns_per_row) + 1 - p->emitted;
  if (due <= 0) {
    op->resume_ns = p->start_ns + (int64_t)((double)p->emitted * p->ns_per_row);
    return 0;
  }
  return due < limit ? due : limit;
}

/* ---- operator plumbing ----------------------------------------------------------- */

int weir__op_emit(weir__op *op, weir__chunk *c) {
  if (c->n == 0) return WEIR_OK;
  op->m.rows_out += c->n;
  weir__op *next = op->next;
  if (!next) return WEIR_OK;
  next->m.rows_in += c->n;
  return next->vt->push(next, 0, c);
}

int weir__op_deliver_watermark(weir__op *op, int64_t wm) {
  if (wm <= op->watermark) return WEIR_OK;
  op->watermark = wm;
  if (op->vt->on_watermark) return op->vt->on_watermark(op, wm);
  return weir__op_emit_watermark(op, wm);
}

int weir__op_emit_watermark(weir__op *op, int64_t wm) {
  return op->next ? weir__op_deliver_watermark(op->next, wm) : WEIR_OK;
}

/* Flush op and the operators after it in its chain, in order, so that
 * what one sends on reaches the next before that flushes. */
static int flush_from(weir__op *op) {
  for (weir__op *o = op; o; o = o->next) {
    if (o->vt->flush) {
      int rc = o->vt->flush(o);
      if (rc) return rc;
    }
  }
  return WEIR_OK;
}

int weir__op_emit_idle(weir__op *op) {
  int rc = flush_from(op);
  if (rc) return rc;
  for (weir__op *o = op; o; o = o->next) {
    if (o->vt == &weir__op_exchange_vtab) return weir__op_exchange_idle(o);
  }
  return WEIR_OK;
}

int weir__op_fail(weir__op *op, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  weir__err_vset(op->err, code, -1, fmt, ap);
  va_end(ap);
  return op->err->code;
}

void weir__op_request_stop(weir__op *op) { atomic_store(&op->task->job->stop_requested, 1); }

int weir__job_cancelled(const weir__job *job) { return atomic_load(&job->cancel); }

weir__doorbell *weir__job_api_bell(weir__job *job) { return &job->api_bell; }

int64_t weir__job_buffer_timeout(const weir__job *job) { return job->buffer_timeout_ms; }

int weir__task_send(weir__task *t, weir__channel *ch, const weir__msg *m) {
  for (;;) {
    if (weir__channel_try_send(ch, m)) return WEIR_OK;
    uint64_t seq = weir__doorbell_seq(&t->bell);
    if (weir__channel_try_send(ch, m)) return WEIR_OK;
    if (atomic_load(&t->job->cancel)) {
      if (m->kind == MSG_CHUNK) weir__chunk_free(m->chunk);
      return WEIR_INTERRUPT;
    }
    /* Backpressure: sleep until the consumer makes room. */
    weir__doorbell_wait(&t->bell, seq, 200);
  }
}

/* ---- failure and cancel ------------------------------------------------------------- */

static void ring_all(weir__job *job) {
  for (int i = 0; i < job->tasks.n; i++) weir__doorbell_ring(&((task_ext *)job->tasks.v[i])->t.bell);
  weir__doorbell_ring(&job->api_bell);
}

static void job_cancel(weir__job *job) {
  atomic_store(&job->cancel, 1);
  ring_all(job);
}

/* Keep the first error and stop everything. */
static void job_fail(weir__job *job, const weir__err *e, int rc) {
  pthread_mutex_lock(&job->mu);
  if (job->err.code == WEIR_OK) {
    if (e && e->code != WEIR_OK)
      job->err = *e;
    else
      weir__err_set(&job->err, rc, -1, "job failed (%s)", weir_errstr(rc));
  }
  pthread_mutex_unlock(&job->mu);
  job_cancel(job);
}

static int job_has_failed(weir__job *job) {
  pthread_mutex_lock(&job->mu);
  int f = job->err.code != WEIR_OK;
  pthread_mutex_unlock(&job->mu);
  return f;
}

/* ---- tasks --------------------------------------------------------------------------- */

/* Flush a chain's buffers (buffer timeout, paused source). */
static int flush_chain(weir__task *t) {
  publish_figures(t);
  return flush_from(t->chain[0]);
}

/* The chain's input has ended: finish every operator, head to tail (the
 * exchange at the end sends what is buffered and end-of-input). */
static int finish_chain(weir__task *t) {
  for (int i = 0; i < t->nops; i++) {
    weir__op *op = t->chain[i];
    if (op->vt->finish) {
      int rc = op->vt->finish(op);
      if (rc) return rc;
    }
  }
  return WEIR_OK;
}

/* ---- checkpoints: the task side ---------------------------------------------------- */

/* Hand the file of checkpoint id serialized in w to the coordinator. */
static int queue_write(weir__job *job, int64_t id, weir__snap_writer *w, weir__err *err) {
  pending_write *pw = weir__calloc(1, sizeof *pw);
  if (!pw) {
    weir__snap_abort(w);
    return weir__err_nomem(err);
  }
  pw->id = id;
  pw->w = *w; /* the writer moves to the coordinator */
  memset(w, 0, sizeof *w);
  pthread_mutex_lock(&job->wq_mu);
  pw->next = job->wq;
  job->wq = pw;
  pthread_mutex_unlock(&job->wq_mu);
  return WEIR_OK;
}

/* Op's state for checkpoint id: serialized now; written now (sync) or
 * queued for the coordinator to write (async), so that the task goes on
 * processing while the bytes reach the disk. */
static int snapshot_op(weir__job *job, weir__op *op, int64_t id, const char *dir) {
  char path[4096], uid[128];
  op_uid(job, op, uid, sizeof uid);
  /* Queued files carry only their name: the coordinator knows where
   * checkpoint id goes. */
  snprintf(path, sizeof path, "%s%s%s.%d.state", dir ? dir : "", dir ? "/" : "", uid, op->subtask);
  weir__snap_writer w;
  int rc = weir__snap_open(&w, path, op->err);
  if (rc) return rc;
  op->snap_id = id;
  op->snap_native = job->ckpt_incremental && id != atomic_load(&job->savepoint_id);
  if ((rc = op->vt->snapshot(op, &w))) {
    weir__snap_abort(&w);
    return rc;
  }
  if (dir) return weir__snap_commit(&w, op->err);
  return queue_write(job, id, &w, op->err);
}

/* The coordinator writes the queued files of checkpoint id (and drops
 * those of abandoned ones). */
static int drain_writes(weir__job *job, int64_t id, const char *dir, weir__err *err) {
  pthread_mutex_lock(&job->wq_mu);
  pending_write *pw = job->wq;
  job->wq = NULL;
  pthread_mutex_unlock(&job->wq_mu);
  int rc = WEIR_OK;
  while (pw) {
    pending_write *next = pw->next;
    if (!rc && pw->id == id) rc = weir__snap_commit_at(&pw->w, dir, err);
    weir__snap_abort(&pw->w); /* closed by the commit; dropped otherwise */
    weir__free(pw);
    pw = next;
  }
  return rc;
}

/* Barrier id has reached this task (from its source, aligned on every
 * input, or -- unaligned -- on its first input): each operator of the
 * chain, head to tail, sends on what it buffers and serializes its state;
 * the exchange at the end passes the barrier on. */
static int chain_snapshot(weir__task *t, int64_t id) {
  for (int k = 0; k < t->nops; k++) {
    weir__op *op = t->chain[k];
    int rc;
    if (op->vt->on_barrier && (rc = op->vt->on_barrier(op, id))) return rc;
    if (op->vt->snapshot && (rc = snapshot_op(t->job, op, id, NULL))) return rc;
  }
  return WEIR_OK;
}

/* The task's part of checkpoint id is queued: acknowledge it. */
static void task_ack(weir__task *t, int64_t id) {
  t->ckpt_done = id;
  atomic_store(&((task_ext *)t)->ckpt_acked, id);
  weir__doorbell_ring(&t->job->coord_bell);
}

static int chain_checkpoint(weir__task *t, int64_t id) {
  int rc = chain_snapshot(t, id);
  if (!rc) task_ack(t, id);
  return rc;
}

/* Tell the chain's operators of a newly completed checkpoint (sinks commit). */
static int notify_checkpoints(weir__task *t) {
  int64_t done = atomic_load(&t->job->ckpt_complete);
  if (done <= t->ckpt_notified) return WEIR_OK;
  t->ckpt_notified = done;
  for (int k = 0; k < t->nops; k++) {
    weir__op *op = t->chain[k];
    int rc;
    if (op->vt->notify_complete && (rc = op->vt->notify_complete(op, done))) return rc;
  }
  atomic_store(&((task_ext *)t)->notified, done);
  weir__doorbell_ring(&t->job->coord_bell);
  return WEIR_OK;
}

/* Publish the chain's figures for readers outside the task. */
static void publish_figures(weir__task *t) {
  for (int k = 0; k < t->nops; k++) {
    weir__op *op = t->chain[k];
    atomic_store_explicit(&op->pub.rows_in, op->m.rows_in, memory_order_relaxed);
    atomic_store_explicit(&op->pub.rows_out, op->m.rows_out, memory_order_relaxed);
    atomic_store_explicit(&op->pub.late_dropped, op->m.late_dropped, memory_order_relaxed);
    atomic_store_explicit(&op->pub.skipped, op->m.skipped, memory_order_relaxed);
    atomic_store_explicit(&op->pub.watermark, op->watermark, memory_order_relaxed);
  }
}

static void uc_abandon(weir__task *t);

/* No barrier is being aligned: every input held for one is released. */
static void alignment_end(weir__task *t) {
  t->ckpt_pending = 0;
  for (int i = 0; i < t->ninputs; i++) t->inputs[i]->barrier = 0;
}

/* Barrier id arrived on input ch.  The task aligns on the newest barrier
 * it has seen: an older one (of a checkpoint abandoned or overtaken) is
 * dropped, a newer one replaces the one being aligned and releases the
 * inputs held for it (their rows up to the newer barrier belong before
 * it).  With every live input at that barrier (in EXACTLY_ONCE mode the
 * inputs that delivered it are not read meanwhile), the task takes part
 * in the checkpoint. */
static int barrier_arrived(weir__task *t, weir__channel *ch, int64_t id) {
  if (ch) {
    if (id <= t->ckpt_done || id < t->ckpt_pending || id <= t->uc_id) return WEIR_OK;
    uc_abandon(t); /* an unaligned checkpoint overtaken by a savepoint */
    if (id > t->ckpt_pending) {
      alignment_end(t);
      t->ckpt_pending = id;
    }
    ch->barrier = id;
  }
  if (!t->ckpt_pending) return WEIR_OK;
  for (int i = 0; i < t->ninputs; i++) {
    weir__channel *in = t->inputs[i];
    if (!in->ended && in->barrier != t->ckpt_pending) return WEIR_OK; /* not aligned yet */
  }
  id = t->ckpt_pending;
  alignment_end(t);
  return chain_checkpoint(t, id);
}

/* ---- unaligned checkpoints: the consumer side -----------------------------------------
 *
 * As Flink's unaligned checkpoints (FLIP-76): a producer posts the barrier
 * ahead of what its channels hold (weir__channel_priority_barrier), and
 * the consumer takes its snapshot as soon as the first input shows it,
 * without waiting for the others.  The chunks that lie before the barrier
 * on some input but are processed after the snapshot -- those queued
 * ahead of it, and everything from inputs whose barrier has not come yet
 * -- are the checkpoint's in-flight data: the task writes them, as rows,
 * into <head>.<subtask>.inflight, and acknowledges once every input has
 * passed its barrier (or ended).  A restore pushes them into the chain
 * before anything else.  Savepoints stay aligned. */

static void uc_abandon(weir__task *t) {
  if (!t->uc_id) return;
  weir__snap_abort(&t->uc_w);
  t->uc_id = 0;
}

/* Unaligned barrier id shows on an input: snapshot now, record from now. */
static int uc_start(weir__task *t, int64_t id) {
  uc_abandon(t);
  alignment_end(t); /* an older aligned barrier (of an abandoned savepoint) is overtaken */
  weir__op *head = t->chain[0];
  char uid[128], path[256];
  op_uid(t->job, head, uid, sizeof uid);
  snprintf(path, sizeof path, "%s.%d.inflight", uid, head->subtask);
  int rc = weir__snap_open(&t->uc_w, path, head->err);
  if (rc) return rc;
  t->uc_id = id;
  t->uc_rows = 0;
  return chain_snapshot(t, id);
}

/* Read input ch's priority barrier; a newer one than any this task knows
 * starts an unaligned checkpoint. */
static int uc_poll(weir__task *t, weir__channel *ch) {
  int64_t id = weir__channel_poll_priority(ch);
  if (id > t->ckpt_done && id > t->uc_id && id > t->ckpt_pending) return uc_start(t, id);
  return WEIR_OK;
}

/* Does the message at ring index idx of ch lie before the barrier being
 * taken (or has that barrier not shown on ch yet)? */
static int uc_before(const weir__task *t, const weir__channel *ch, uint32_t idx) {
  return ch->ub_id < t->uc_id || (int32_t)(idx - ch->ub_pos) < 0;
}

/* Message m came from ch at ring index idx: keep it if it lies before
 * the barrier being taken (which may have just shown). */
static int uc_message(weir__task *t, weir__channel *ch, uint32_t idx, const weir__msg *m) {
  int rc = uc_poll(t, ch);
  if (rc || !t->uc_id || m->kind != MSG_CHUNK || m->chunk->n == 0) return rc;
  if (uc_before(t, ch, idx)) {
    t->uc_rows += m->chunk->n;
    return weir__rows_write(&t->uc_w, m->chunk, t->chain[0]->err);
  }
  return WEIR_OK;
}

/* Every input past the barrier (or ended): queue the in-flight data and
 * acknowledge. */
static int uc_maybe_complete(weir__task *t) {
  if (!t->uc_id) return WEIR_OK;
  for (int i = 0; i < t->ninputs; i++) {
    weir__channel *ch = t->inputs[i];
    if (!ch->ended && uc_before(t, ch, weir__channel_head(ch))) return WEIR_OK;
  }
  int64_t id = t->uc_id;
  t->uc_id = 0;
  task_ext *te = (task_ext *)t;
  int rc = queue_write(t->job, id, &t->uc_w, &te->err);
  if (rc) return rc;
  atomic_store(&te->inflight_id, id);
  atomic_fetch_add(&t->job->ckpt_inflight_rows, t->uc_rows);
  task_ack(t, id);
  return WEIR_OK;
}

int weir__job_barrier_unaligned(const weir__job *job, int64_t id) {
  return job->ckpt_unaligned && id != atomic_load(&job->savepoint_id);
}

/* The source's idle timeout in ms: the table's 'scan.idle-timeout', else
 * the configuration's 'table.exec.source.idle-timeout'; 0 = never idle. */
static int64_t source_idle_timeout(const weir__job *job, const weir__op *src) {
  const weir__table *tab = src->plan->table;
  const char *v = tab ? weir__table_option(tab, "scan.idle-timeout") : NULL;
  int64_t ms = 0;
  if (!v || weir__parse_duration(v, &ms))
    ms = weir__config_get_int(job->cfg, "table.exec.source.idle-timeout");
  return ms > 0 ? ms : 0;
}

static int run_source_task(weir__task *t) {
  weir__job *job = t->job;
  weir__op *src = t->chain[0];
  int64_t last_flush = now_ms();
  /* Idleness (as Flink's WatermarkStrategy.withIdleness): a source
   * subtask that emits no row for the idle timeout declares itself idle,
   * and its consumers leave it out of their minimum watermark until it
   * sends again. */
  int64_t idle_ms = source_idle_timeout(job, src);
  int64_t last_active = last_flush, seen_rows = 0;
  int idle = 0;
  for (;;) {
    if (atomic_load(&job->cancel)) return WEIR_INTERRUPT;
    if (atomic_load(&job->stop_requested)) return finish_chain(t);
    int rc;
    int64_t want = atomic_load(&job->ckpt_trigger);
    if (want > t->ckpt_done && (!src->vt->can_snapshot || src->vt->can_snapshot(src))) {
      /* Stop with drain: event time ends before the savepoint, so every
       * window fires into it (Flink's stop --drain). */
      if (want == atomic_load(&job->stop_id) && atomic_load(&job->stop_drain) &&
          (rc = weir__op_emit_watermark(src, WEIR_WATERMARK_MAX)))
        return rc;
      if ((rc = chain_checkpoint(t, want))) return rc;
    }
    if ((rc = notify_checkpoints(t))) return rc;
    int64_t stop = atomic_load(&job->stop_id);
    if (stop && t->ckpt_done >= stop) {
      /* Stopping with a savepoint: nothing after its barrier, until the
       * job is cancelled (or the savepoint fails and it goes on). */
      uint64_t seq = weir__doorbell_seq(&t->bell);
      publish_figures(t);
      weir__doorbell_wait(&t->bell, seq, 50);
      continue;
    }
    rc = src->vt->poll(src);
    if (rc == WEIR_DONE) {
      /* Bounded input is complete: event time is over. */
      rc = weir__op_emit_watermark(src, WEIR_WATERMARK_MAX);
      return rc ? rc : finish_chain(t);
    }
    if (rc != WEIR_OK) return rc;
    int64_t now = now_ms();
    if (job->restore_start_ns && src->m.rows_out && !atomic_exchange(&job->restore_logged, 1))
      fprintf(stderr, "[INFO] job '%s': first record %.1f ms after the restore began\n", job->name,
              (double)(now_ns() - job->restore_start_ns) / 1e6);
    if (src->m.rows_out != seen_rows) {
      seen_rows = src->m.rows_out;
      last_active = now;
      idle = 0;
    } else if (idle_ms && !idle && now - last_active >= idle_ms) {
      if ((rc = weir__op_emit_idle(src))) return rc;
      idle = 1;
    }
    if (src->resume_ns) {
      /* Nothing due yet (a paced source): send what waits, then sleep. */
      if ((rc = flush_chain(t))) return rc;
      last_flush = now;
      /* Rounded up: a wait under 1 ms must sleep, not spin. */
      int64_t wait_ms = (src->resume_ns - now_ns() + 999999) / 1000000;
      /* Wake in time to declare idleness. */
      if (idle_ms && !idle && wait_ms > last_active + idle_ms - now)
        wait_ms = last_active + idle_ms - now;
      if (wait_ms > 0) {
        uint64_t seq = weir__doorbell_seq(&t->bell);
        weir__doorbell_wait(&t->bell, seq, wait_ms);
      }
      src->resume_ns = 0;
    } else if (now - last_flush >= job->buffer_timeout_ms) {
      if ((rc = flush_chain(t))) return rc;
      last_flush = now;
    }
  }
}

/* Deliver the minimum watermark of the live inputs into the chain. */
static int advance_watermark(weir__task *t) {
  int64_t wm = WEIR_WATERMARK_MAX;
  int live = 0, idle = 0;
  for (int i = 0; i < t->ninputs; i++) {
    weir__channel *ch = t->inputs[i];
    if (ch->ended) continue;
    if (ch->idle) {
      idle++;
      continue;
    }
    live++;
    if (ch->wm < wm) wm = ch->wm;
  }
  if (!live) {
    /* Every input that has not ended is idle: so is this task's output. */
    if (idle && !t->idle_out) {
      t->idle_out = 1;
      return weir__op_emit_idle(t->chain[0]);
    }
    return WEIR_OK;
  }
  t->idle_out = 0;
  if (wm > t->input_wm) {
    t->input_wm = wm;
    return weir__op_deliver_watermark(t->chain[0], wm);
  }
  return WEIR_OK;
}

static int run_consumer_task(weir__task *t) {
  weir__job *job = t->job;
  weir__op *head = t->chain[0];
  int ended = 0, start = 0;
  int64_t last_flush = now_ms();
  /* In-flight data of the checkpoint restored from comes first. */
  for (int i = 0; i < t->nreplay; i++) {
    weir__chunk *c = t->replay[i];
    t->replay[i] = NULL;
    head->m.rows_in += c->n;
    int rc = head->vt->push(head, 0, c);
    weir__chunk_free(c);
    if (rc) return rc;
  }
  for (;;) {
    if (atomic_load(&job->cancel)) return WEIR_INTERRUPT;
    uint64_t seq = weir__doorbell_seq(&t->bell);
    int got = 0, rc = WEIR_OK;
    if (job->ckpt_unaligned) {
      for (int k = 0; k < t->ninputs; k++)
        if ((rc = uc_poll(t, t->inputs[k]))) return rc;
      if ((rc = uc_maybe_complete(t))) return rc;
    }
    for (int k = 0; k < t->ninputs; k++) {
      weir__channel *ch = t->inputs[(start + k) % t->ninputs];
      weir__msg m;
      /* A few messages per input in turn, so that no input starves; an
       * input held at a barrier waits for the others (alignment). */
      for (int budget = 4; budget > 0 &&
                           !(ch->barrier && (job->ckpt_aligned ||
                                             ch->barrier == atomic_load(&job->savepoint_id))) &&
                           weir__channel_try_recv(ch, &m);
           budget--) {
        got++;
        if (job->ckpt_unaligned && (rc = uc_message(t, ch, weir__channel_head(ch) - 1, &m))) {
          if (m.kind == MSG_CHUNK) weir__channel_recycle(ch, m.chunk);
          return rc;
        }
        switch (m.kind) {
        case MSG_CHUNK:
          ch->idle = 0;
          head->m.rows_in += m.chunk->n;
          rc = head->vt->push(head, 0, m.chunk);
          weir__channel_recycle(ch, m.chunk);
          break;
        case MSG_WATERMARK:
          ch->idle = 0;
          if (m.wm > ch->wm) ch->wm = m.wm;
          rc = advance_watermark(t);
          break;
        case MSG_IDLE:
          ch->idle = 1;
          rc = advance_watermark(t);
          break;
        case MSG_END:
          ch->ended = 1;
          ended++;
          rc = advance_watermark(t);
          if (!rc) rc = barrier_arrived(t, NULL, 0);
          break;
        case MSG_BARRIER:
          rc = barrier_arrived(t, ch, m.wm);
          break;
        }
        if (!rc && t->uc_id) rc = uc_maybe_complete(t);
        if (rc) return rc;
      }
    }
    start++;
    if (ended == t->ninputs) return finish_chain(t);
    if ((rc = notify_checkpoints(t))) return rc;
    int64_t now = now_ms();
    if (now - last_flush >= job->buffer_timeout_ms) {
      if ((rc = flush_chain(t))) return rc;
      last_flush = now;
    }
    if (!got) weir__doorbell_wait(&t->bell, seq, job->buffer_timeout_ms > 0 ? job->buffer_timeout_ms : 1);
  }
}

static void *task_main(void *arg) {
  task_ext *te = arg;
  weir__task *t = &te->t;
  weir__job *job = t->job;
  int rc = t->ninputs == 0 ? run_source_task(t) : run_consumer_task(t);
  uc_abandon(t);
  publish_figures(t);
  if (rc == WEIR_OK && te->err.code != WEIR_OK) rc = te->err.code;
  if (rc != WEIR_OK && rc != WEIR_INTERRUPT) job_fail(job, &te->err, rc);
  if (rc == WEIR_INTERRUPT && te->err.code != WEIR_OK && te->err.code != WEIR_INTERRUPT)
    job_fail(job, &te->err, te->err.code);
  atomic_store(&te->finished, 1);
  weir__doorbell_ring(&job->coord_bell);
  atomic_fetch_sub(&job->running, 1);
  weir__doorbell_ring(&job->api_bell);
  return NULL;
}

/* ---- construction ---------------------------------------------------------------------- */

static const weir__op_vtab *vtab_for(const weir__pop *p, weir__err *err) {
  switch (p->kind) {
  case POP_VALUES: return &weir__op_values_vtab;
  case POP_CALC: return &weir__op_calc_vtab;
  case POP_WATERMARK: return &weir__op_watermark_vtab;
  case POP_WINDOW_TVF: return &weir__op_window_tvf_vtab;
  case POP_WINDOW_AGG: return &weir__op_window_agg_vtab;
  case POP_GROUP_AGG: return &weir__op_group_agg_vtab;
  case POP_LOCAL_AGG: return &weir__op_local_agg_vtab;
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

static weir__op *new_op(weir__job *job, const weir__op_vtab *vt, const weir__pop *p, int s,
                        int n) {
  weir__op *op = weir__calloc(1, vt->size);
  if (!op) return NULL;
  op->vt = vt;
  op->plan = p;
  op->cfg = job->cfg;
  op->subtask = s;
  op->nsubtasks = n;
  op->watermark = WEIR_WATERMARK_MIN;
  atomic_store(&op->pub.watermark, WEIR_WATERMARK_MIN);
  weir__arena_init(&op->scratch, 65536);
  op->ectx.scratch = &op->scratch;
  if (weir__ptrvec_push(&job->all_ops, op)) {
    weir__evalctx_release(&op->ectx);
    weir__arena_free(&op->scratch);
    weir__free(op);
    return NULL;
  }
  return op;
}

/* Is operator p chained to its input (same task)? */
static int chained(const weir__pop *p) {
  const weir__pop *in = p->input;
  if (!in) return 0;
  if (p->parallelism == 1 && in->parallelism == 1) return 1;
  return p->edge == EDGE_FORWARD && p->parallelism == in->parallelism;
}

static int plan_index(const weir__pplan *plan, const weir__pop *p) {
  for (int i = 0; i < plan->nops; i++) {
    if (plan->ops[i] == p) return i;
  }
  return -1;
}

/* An operator's name in checkpoints: its kind and its ordinal among the
 * plan's operators of that kind ("WindowAggregate-0").  It does not
 * depend on the operators without state, so a job restores at another
 * parallelism, where the planner adds or leaves out a local aggregation. */
static void op_uid(const weir__job *job, const weir__op *op, char *buf, size_t n) {
  int idx = plan_index(job->plan, op->plan), ord = 0;
  for (int j = 0; j < idx; j++) ord += job->inst[j][0]->vt == op->vt;
  snprintf(buf, n, "%s-%d", op->vt->name, ord);
}

static task_ext *task_of(weir__job *job, weir__op *op) {
  for (int i = 0; i < job->tasks.n; i++) {
    task_ext *te = job->tasks.v[i];
    for (int k = 0; k < te->t.nops; k++) {
      if (te->t.chain[k] == op) return te;
    }
  }
  return NULL;
}

static void job_close_ops(weir__job *job) {
  for (int i = 0; i < job->all_ops.n; i++) {
    weir__op *op = job->all_ops.v[i];
    if (op->vt->close) op->vt->close(op);
  }
}

static void join_all(weir__job *job) {
  if (job->coord_started) {
    weir__doorbell_ring(&job->coord_bell);
    pthread_join(job->coord, NULL);
    job->coord_started = 0;
  }
  if (!job->started) return;
  for (int i = 0; i < job->tasks.n; i++) {
    task_ext *te = job->tasks.v[i];
    if (te->t.started) {
      pthread_join(te->t.thread, NULL);
      te->t.started = 0;
    }
  }
  job->started = 0;
}

void weir__job_free(weir__job *job) {
  if (!job) return;
  job_cancel(job);
  join_all(job);
  job_close_ops(job);
  /* A checkpoint cut short by the end of the job may have shared files. */
  if (job->ckpt_dir) sweep_shared(job);
  for (int i = 0; i < job->all_ops.n; i++) {
    weir__op *op = job->all_ops.v[i];
    weir__evalctx_release(&op->ectx);
    weir__arena_free(&op->scratch);
    weir__free(op);
  }
  weir__ptrvec_free(&job->all_ops);
  for (int i = 0; i < job->channels.n; i++) weir__channel_free(job->channels.v[i]);
  weir__ptrvec_free(&job->channels);
  for (int i = 0; i < job->tasks.n; i++) {
    task_ext *te = job->tasks.v[i];
    weir__free(te->t.chain);
    weir__free(te->t.inputs);
    for (int k = 0; k < te->t.nreplay; k++) weir__chunk_free(te->t.replay[k]);
    weir__free(te->t.replay);
    weir__doorbell_destroy(&te->t.bell);
    weir__free(te);
  }
  weir__ptrvec_free(&job->tasks);
  if (job->inst) {
    for (int i = 0; i < job->plan->nops; i++) weir__free(job->inst[i]);
    weir__free(job->inst);
  }
  weir__doorbell_destroy(&job->api_bell);
  weir__doorbell_destroy(&job->coord_bell);
  drain_writes(job, -1, "", &job->err); /* drops what is left */
  pthread_mutex_destroy(&job->wq_mu);
  pthread_mutex_destroy(&job->ckpt_mu);
  weir__free(job->ckpt_dir);
  if (job->local_dir) {
    weir__remove_tree(job->local_dir);
    weir__free(job->local_dir);
  }
  for (int i = 0; i < job->nsh; i++) weir__free(job->sh[i].name);
  weir__free(job->sh);
  pthread_mutex_destroy(&job->sh_mu);
  pthread_mutex_destroy(&job->mu);
  weir__free(job->name);
  weir__free(job);
}

int weir__job_start(const weir__pplan *plan, const weir__config *cfg, const char *name,
                    const char *state_dir, const char *restore_from, _Atomic int *interrupt,
                    weir__job **out, weir__err *err) {
  *out = NULL;
  weir__job *job = weir__calloc(1, sizeof *job);
  if (!job) return weir__err_nomem(err);
  pthread_mutex_init(&job->mu, NULL);
  weir__doorbell_init(&job->api_bell);
  weir__doorbell_init(&job->coord_bell);
  pthread_mutex_init(&job->wq_mu, NULL);
  pthread_mutex_init(&job->ckpt_mu, NULL);
  pthread_mutex_init(&job->sh_mu, NULL);
  job->state_dir = state_dir;
  weir__err_clear(&job->err);
  job->plan = plan;
  job->cfg = cfg;
  job->interrupt = interrupt;
  job->buffer_timeout_ms = weir__config_get_int(cfg, "execution.buffer-timeout");
  if (job->buffer_timeout_ms < 0) job->buffer_timeout_ms = 0;
  job->name = weir__strdup(name ? name : "job");
  {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t x = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
    x ^= (uint64_t)getpid() << 40 ^ (uint64_t)(uintptr_t)job;
    snprintf(job->run_id, sizeof job->run_id, "%016llx", (unsigned long long)weir__hash64(&x, sizeof x));
  }
  job->inst = weir__calloc((size_t)plan->nops, sizeof(weir__op **));
  if (!job->name || !job->inst) goto nomem;
  if (checkpoint_setup(job, state_dir, err)) goto fail;

  /* Instances: one per operator and subtask. */
  for (int i = 0; i < plan->nops; i++) {
    const weir__pop *p = plan->ops[i];
    const weir__op_vtab *vt = vtab_for(p, err);
    if (!vt) goto fail;
    job->inst[i] = weir__calloc((size_t)p->parallelism, sizeof(weir__op *));
    if (!job->inst[i]) goto nomem;
    for (int s = 0; s < p->parallelism; s++) {
      if (!(job->inst[i][s] = new_op(job, vt, p, s, p->parallelism))) goto nomem;
    }
    if (p->kind == POP_COLLECT) job->collect = job->inst[i][0];
  }
  /* Chains, and exchanges at the end of the producers of other edges. */
  for (int i = 0; i < plan->nops; i++) {
    const weir__pop *p = plan->ops[i];
    if (!p->input) continue;
    int in = plan_index(plan, p->input);
    for (int s = 0; s < p->input->parallelism; s++) {
      weir__op *prod = job->inst[in][s];
      if (chained(p)) {
        prod->next = job->inst[i][s];
      } else {
        weir__op *x = new_op(job, &weir__op_exchange_vtab, p, s, p->input->parallelism);
        if (!x) goto nomem;
        prod->next = x;
      }
    }
  }
  /* Tasks: one per chain head and subtask. */
  for (int i = 0; i < plan->nops; i++) {
    const weir__pop *p = plan->ops[i];
    if (chained(p)) continue;
    for (int s = 0; s < p->parallelism; s++) {
      task_ext *te = weir__calloc(1, sizeof *te);
      if (!te) goto nomem;
      if (weir__ptrvec_push(&job->tasks, te)) {
        weir__free(te);
        goto nomem;
      }
      weir__err_clear(&te->err);
      weir__task *t = &te->t;
      t->id = job->tasks.n - 1;
      t->job = job;
      t->input_wm = WEIR_WATERMARK_MIN;
      weir__doorbell_init(&t->bell);
      int n = 0;
      for (weir__op *op = job->inst[i][s]; op; op = op->next) n++;
      t->chain = weir__calloc((size_t)n, sizeof(weir__op *));
      if (!t->chain) goto nomem;
      for (weir__op *op = job->inst[i][s]; op; op = op->next) {
        op->task = t;
        op->err = &te->err;
        op->ectx.err = &te->err;
        t->chain[t->nops++] = op;
      }
      if (p->input) {
        t->ninputs = p->input->parallelism;
        t->inputs = weir__calloc((size_t)t->ninputs, sizeof(weir__channel *));
        if (!t->inputs) goto nomem;
      }
    }
  }
  /* Channels: from every producer subtask's exchange to every consumer
   * subtask of the edge. */
  for (int i = 0; i < plan->nops; i++) {
    const weir__pop *p = plan->ops[i];
    if (!p->input || chained(p)) continue;
    int in = plan_index(plan, p->input);
    for (int s = 0; s < p->input->parallelism; s++) {
      weir__op *x = job->inst[in][s]->next;
      weir__channel **outs = weir__calloc((size_t)p->parallelism, sizeof(weir__channel *));
      if (!outs) goto nomem;
      task_ext *prod = task_of(job, x);
      for (int c = 0; c < p->parallelism; c++) {
        task_ext *cons = task_of(job, job->inst[i][c]);
        weir__channel *ch = weir__channel_new(&cons->t.bell, &prod->t.bell);
        if (!ch || weir__ptrvec_push(&job->channels, ch)) {
          weir__channel_free(ch);
          weir__free(outs);
          goto nomem;
        }
        cons->t.inputs[s] = ch;
        outs[c] = ch;
      }
      weir__op_exchange_set_outputs(x, outs, p->parallelism, plan->max_parallelism);
    }
  }
  /* Open every instance here, before any thread runs, sources first: a
   * missing input file fails before any sink creates its output. */
  for (int i = 0; i < job->all_ops.n; i++) {
    weir__op *op = job->all_ops.v[i];
    int rc = op->vt->open ? op->vt->open(op) : WEIR_OK;
    if (rc != WEIR_OK) {
      if (op->err->code == WEIR_OK) weir__err_set(op->err, rc, -1, "cannot open %s", op->vt->name);
      *err = *op->err;
      goto fail;
    }
  }
  /* Restore ('execution.savepoint.path': a savepoint or a retained checkpoint). */
  const char *from = restore_from ? restore_from : weir__config_get(cfg, "execution.savepoint.path");
  if (from && *from) {
    job->restore_start_ns = now_ns();
    weir__kill_point("restore");
    if (restore_job(job, from, err)) goto fail;
    fprintf(stderr, "[INFO] job '%s' restored from '%s' (checkpoint %lld) in %.1f ms\n", job->name,
            from, (long long)job->ckpt_first_id, (double)(now_ns() - job->restore_start_ns) / 1e6);
  }
  /* New ids follow every id in the directory (an older run's included),
   * so no checkpoint directory is ever reused. */
  job->ckpt_last_id = job->ckpt_base > job->ckpt_first_id ? job->ckpt_base : job->ckpt_first_id;
  /* Run. */
  job->started = 1;
  atomic_store(&job->running, job->tasks.n);
  for (int i = 0; i < job->tasks.n; i++) {
    task_ext *te = job->tasks.v[i];
    if (pthread_create(&te->t.thread, NULL, task_main, te) != 0) {
      atomic_fetch_sub(&job->running, job->tasks.n - i);
      weir__err_set(err, WEIR_ERROR, -1, "cannot start a task thread");
      goto fail;
    }
    te->t.started = 1;
  }
  if (job->ckpt_dir) {
    if (pthread_create(&job->coord, NULL, coord_main, job) != 0) {
      weir__err_set(err, WEIR_ERROR, -1, "cannot start the checkpoint coordinator thread");
      goto fail;
    }
    job->coord_started = 1;
  }
  *out = job;
  return WEIR_OK;
nomem:
  weir__err_nomem(err);
fail:
  weir__job_free(job);
  return err->code ? err->code : WEIR_ERROR;
}

/* ---- checkpoints: the coordinator --------------------------------------------------- */

/* Wait on the coordinator's doorbell until `until_ms` or the job stops;
 * returns 0 if the job is stopping. */
static int coord_sleep(weir__job *job, int64_t until_ms) {
  for (;;) {
    if (atomic_load(&job->cancel) || atomic_load(&job->running) == 0) return 0;
    int64_t left = until_ms - now_ms();
    if (left <= 0) return 1;
    uint64_t seq = weir__doorbell_seq(&job->coord_bell);
    weir__doorbell_wait(&job->coord_bell, seq, left < 50 ? left : 50);
  }
}

/* Has every task acknowledged checkpoint id (or finished)? */
static int all_acked(weir__job *job, int64_t id) {
  for (int i = 0; i < job->tasks.n; i++) {
    task_ext *te = job->tasks.v[i];
    if (atomic_load(&te->ckpt_acked) < id && !atomic_load(&te->finished)) return 0;
  }
  return 1;
}

/* The checkpoint's metadata, written last and renamed into place: format
 * version, id, time, job name, run, key groups, and per stateful operator
 * instance its name (op_uid) and subtask; its state is in
 * <name>.<subtask>.state.  Version 2 adds the files of in-flight data
 * (<name>.<subtask>.inflight).  A checkpoint directory without _metadata
 * is partial. */
static int write_metadata(weir__job *job, int64_t id, const char *dir, weir__err *err) {
  char path[4096];
  snprintf(path, sizeof path, "%s/_metadata", dir);
  weir__snap_writer w;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  int rc = weir__snap_open(&w, path, err);
  if (rc) return rc;
  rc = weir__snap_put_u64(&w, 2, err); /* format version */
  if (!rc) rc = weir__snap_put_u64(&w, (uint64_t)id, err);
  if (!rc) rc = weir__snap_put_u64(&w, (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000, err);
  if (!rc) rc = weir__snap_put_bytes(&w, job->name, (uint32_t)strlen(job->name), err);
  if (!rc) rc = weir__snap_put_bytes(&w, job->run_id, (uint32_t)strlen(job->run_id), err);
  if (!rc) rc = weir__snap_put_u64(&w, (uint64_t)job->plan->max_parallelism, err);
  /* The operators with state, by name and subtask. */
  int n = 0;
  for (int i = 0; i < job->plan->nops; i++)
    if (job->inst[i][0]->vt->snapshot) n += job->plan->ops[i]->parallelism;
  if (!rc) rc = weir__snap_put_u64(&w, (uint64_t)n, err);
  for (int i = 0; !rc && i < job->plan->nops; i++) {
    for (int sub = 0; !rc && sub < job->plan->ops[i]->parallelism; sub++) {
      const weir__op *op = job->inst[i][sub];
      if (!op->vt->snapshot) break;
      char uid[128];
      op_uid(job, op, uid, sizeof uid);
      rc = weir__snap_put_bytes(&w, uid, (uint32_t)strlen(uid), err);
      if (!rc) rc = weir__snap_put_u64(&w, (uint64_t)sub, err);
    }
  }
  /* The in-flight data of an unaligned checkpoint: per file the head
   * operator of the task that kept it, its subtask and parallelism. */
  int nin = 0;
  for (int i = 0; i < job->tasks.n; i++)
    nin += atomic_load(&((task_ext *)job->tasks.v[i])->inflight_id) == id;
  if (!rc) rc = weir__snap_put_u64(&w, (uint64_t)nin, err);
  for (int i = 0; !rc && i < job->tasks.n; i++) {
    task_ext *te = job->tasks.v[i];
    if (atomic_load(&te->inflight_id) != id) continue;
    const weir__op *head = te->t.chain[0];
    char uid[128];
    op_uid(job, head, uid, sizeof uid);
    rc = weir__snap_put_bytes(&w, uid, (uint32_t)strlen(uid), err);
    if (!rc) rc = weir__snap_put_u64(&w, (uint64_t)head->subtask, err);
    if (!rc) rc = weir__snap_put_u64(&w, (uint64_t)head->nsubtasks, err);
  }
  if (rc) {
    weir__snap_abort(&w);
    return rc;
  }
  return weir__snap_commit(&w, err);
}

/* Tasks that finished before barrier id reached them: their operators
 * no longer change, so the coordinator writes their state itself. */
static int snapshot_finished(weir__job *job, int64_t id, const char *dir, weir__err *err) {
  for (int i = 0; i < job->tasks.n; i++) {
    task_ext *te = job->tasks.v[i];
    if (atomic_load(&te->ckpt_acked) >= id) continue;
    for (int k = 0; k < te->t.nops; k++) {
      weir__op *op = te->t.chain[k];
      if (op->vt->snapshot && snapshot_op(job, op, id, dir)) {
        *err = *op->err;
        return err->code;
      }
    }
  }
  return WEIR_OK;
}

/* The shared files checkpoint id references (rocksdb incremental
 * checkpoints) into <dir>/_shared: their count, then per file its name,
 * size and whether this checkpoint added it.  Nothing when it has none.
 * References of older, abandoned checkpoints are dropped. */
static int write_shared(weir__job *job, int64_t id, const char *dir, weir__err *err) {
  pthread_mutex_lock(&job->sh_mu);
  int n = 0, keep = 0, rc = WEIR_OK;
  job->ckpt_shared_added = 0;
  for (int i = 0; i < job->nsh; i++) n += job->sh[i].id == id;
  if (n) {
    char path[4096];
    snprintf(path, sizeof path, "%s/_shared", dir);
    weir__snap_writer w;
    rc = weir__snap_open(&w, path, err);
    if (!rc) rc = weir__snap_put_u64(&w, (uint64_t)n, err);
    for (int i = 0; !rc && i < job->nsh; i++) {
      const shared_ref *r = &job->sh[i];
      if (r->id != id) continue;
      rc = weir__snap_put_bytes(&w, r->name, (uint32_t)strlen(r->name), err);
      if (!rc) rc = weir__snap_put_u64(&w, r->size, err);
      if (!rc) rc = weir__snap_put_u64(&w, (uint64_t)r->added, err);
      if (r->added) job->ckpt_shared_added += (int64_t)r->size;
    }
    rc = rc ? (weir__snap_abort(&w), rc) : weir__snap_commit(&w, err);
  }
  for (int i = 0; i < job->nsh; i++) {
    if (job->sh[i].id > id) job->sh[keep++] = job->sh[i];
    else weir__free(job->sh[i].name);
  }
  job->nsh = keep;
  pthread_mutex_unlock(&job->sh_mu);
  return rc;
}

int weir__op_shared_add(weir__op *op, const weir__kv_manifest *m) {
  weir__job *job = op->task->job;
  pthread_mutex_lock(&job->sh_mu);
  int rc = WEIR_OK;
  for (int i = 0; !rc && i < m->nsst; i++) {
    if (job->nsh == job->shcap) {
      int cap = job->shcap ? job->shcap * 2 : 64;
      shared_ref *v = weir__realloc(job->sh, sizeof *v * (size_t)cap);
      if (!v) {
        rc = weir__err_nomem(op->err);
        break;
      }
      job->sh = v;
      job->shcap = cap;
    }
    char *name = weir__strdup(m->sst[i].shared);
    if (!name) {
      rc = weir__err_nomem(op->err);
      break;
    }
    job->sh[job->nsh++] = (shared_ref){op->snap_id, name, m->sst[i].size, m->sst[i].added};
  }
  pthread_mutex_unlock(&job->sh_mu);
  return rc;
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Delete the files in shared storage that no retained checkpoint
 * references (mark and sweep over their _shared lists).  Runs between
 * checkpoints (under ckpt_mu), so no checkpoint in progress has added
 * files yet.  When a list cannot be read nothing is deleted. */
static void sweep_shared(weir__job *job) {
  char shared[4096], path[4096];
  snprintf(shared, sizeof shared, "%s/shared", job->ckpt_dir);
  DIR *d = opendir(shared);
  if (!d) return;
  weir__ptrvec names;
  memset(&names, 0, sizeof names);
  DIR *c = opendir(job->ckpt_dir);
  struct dirent *de;
  int ok = c != NULL;
  while (ok && (de = readdir(c))) {
    if (checkpoint_id(de->d_name) <= 0) continue;
    snprintf(path, sizeof path, "%s/%s/_shared", job->ckpt_dir, de->d_name);
    weir__snap_reader r;
    weir__err err;
    weir__err_clear(&err);
    int rc = weir__snap_load(&r, path, &err);
    if (rc == WEIR_NOTFOUND) {
      weir__snap_close(&r);
      continue;
    }
    uint64_t n = 0;
    if (!rc) rc = weir__snap_get_u64(&r, &n, &err);
    for (uint64_t i = 0; !rc && i < n; i++) {
      const uint8_t *p;
      uint32_t len;
      uint64_t size, added;
      if ((rc = weir__snap_get_bytes(&r, &p, &len, &err)) || (rc = weir__snap_get_u64(&r, &size, &err)) ||
          (rc = weir__snap_get_u64(&r, &added, &err)))
        break;
      char *name = weir__strndup((const char *)p, len);
      if (!name || weir__ptrvec_push(&names, name)) {
        weir__free(name);
        rc = WEIR_NOMEM;
      }
    }
    weir__snap_close(&r);
    ok = rc == WEIR_OK;
  }
  if (c) closedir(c);
  if (ok) {
    if (names.n) qsort(names.v, (size_t)names.n, sizeof(void *), by_name);
    int removed = 0;
    while ((de = readdir(d))) {
      const char *key = de->d_name;
      if (key[0] == '.') continue;
      if (names.n && bsearch(&key, names.v, (size_t)names.n, sizeof(void *), by_name)) continue;
      removed += unlinkat(dirfd(d), de->d_name, 0) == 0;
    }
    weir__err err;
    if (removed) weir__fsync_dir(shared, &err);
  }
  closedir(d);
  for (int i = 0; i < names.n; i++) weir__free(names.v[i]);
  weir__ptrvec_free(&names);
}

/* Keep the last num-retained checkpoints up to id: remove every chk-k
 * with k <= id - num-retained (gaps left by abandoned ones included). */
static void retain(weir__job *job, int64_t id) {
  DIR *d = opendir(job->ckpt_dir);
  if (!d) return;
  struct dirent *de;
  char dir[4096];
  while ((de = readdir(d))) {
    long long k = checkpoint_id(de->d_name);
    if (k <= 0 || k > id - job->ckpt_retained) continue;
    snprintf(dir, sizeof dir, "%s/chk-%lld", job->ckpt_dir, k);
    weir__remove_tree(dir);
  }
  closedir(d);
}

static int make_checkpoint_dir(weir__job *job, int64_t id, char *dir, size_t n, weir__err *err) {
  snprintf(dir, n, "%s/chk-%lld", job->ckpt_dir, (long long)id);
  if (mkdir(dir, 0755) && errno != EEXIST)
    return weir__err_set(err, WEIR_IOERR, -1, "cannot create checkpoint directory '%s': %s", dir,
                         strerror(errno));
  return weir__fsync_dir(job->ckpt_dir, err); /* the new entry survives a power cut */
}

/* Every task has finished: a final checkpoint seals what the sinks
 * staged since the last one, and its completion lets them write it (as
 * Flink's final checkpoint of a bounded job).  The operators no longer
 * change, so the coordinator does it all on its own thread. */
static int final_checkpoint(weir__job *job, int64_t id, weir__err *err) {
  char dir[4096];
  int rc = make_checkpoint_dir(job, id, dir, sizeof dir, err);
  for (int i = 0; !rc && i < job->tasks.n; i++) {
    task_ext *te = job->tasks.v[i];
    for (int k = 0; !rc && k < te->t.nops; k++) {
      weir__op *op = te->t.chain[k];
      /* Only sinks seal an epoch; the rest has emitted everything. */
      if (op->vt->notify_complete && op->vt->on_barrier && (rc = op->vt->on_barrier(op, id)))
        *err = *op->err;
    }
  }
  if (!rc) rc = snapshot_finished(job, id, dir, err);
  if (!rc) rc = write_shared(job, id, dir, err);
  if (!rc) rc = write_metadata(job, id, dir, err);
  if (rc) return rc;
  atomic_store(&job->ckpt_complete, id);
  for (int i = 0; !rc && i < job->tasks.n; i++) {
    task_ext *te = job->tasks.v[i];
    for (int k = 0; !rc && k < te->t.nops; k++) {
      weir__op *op = te->t.chain[k];
      if (op->vt->notify_complete && (rc = op->vt->notify_complete(op, id))) *err = *op->err;
    }
  }
  if (!rc) retain(job, id);
  if (!rc) sweep_shared(job);
  return rc;
}

/* Bytes of the files in dir. */
static int64_t dir_bytes(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return 0;
  int64_t n = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    struct stat st;
    if (de->d_name[0] != '.' && fstatat(dirfd(d), de->d_name, &st, 0) == 0 && S_ISREG(st.st_mode))
      n += st.st_size;
  }
  closedir(d);
  return n;
}

static void count_checkpoint(weir__job *job, const char *dir, int64_t started_ms) {
  int64_t ms = now_ms() - started_ms, bytes = dir_bytes(dir) + job->ckpt_shared_added;
  job->ckpt_count++;
  job->ckpt_ms_total += ms;
  if (ms > job->ckpt_ms_max) job->ckpt_ms_max = ms;
  job->ckpt_bytes_total += bytes;
  job->ckpt_bytes_last = bytes;
}

/* How a checkpoint round ended (other than WEIR_OK, complete). */
enum { ROUND_TIMEOUT = -1, ROUND_ENDED = -2, ROUND_STOPPED = -3 };

/* One checkpoint or savepoint, files into dir (which exists): the sources
 * inject barrier id, the coordinator writes the snapshots the tasks queue
 * while it waits for every acknowledgement, then the state of tasks that
 * had finished, then _metadata.  WEIR_OK when complete; ROUND_TIMEOUT,
 * ROUND_ENDED (the job's tasks ended first) or ROUND_STOPPED (cancelled or
 * failed) when abandoned; or an error (err set).  Under ckpt_mu. */
static int checkpoint_round(weir__job *job, int64_t id, const char *dir, weir__err *err) {
  atomic_store(&job->ckpt_trigger, id);
  ring_all(job);
  int64_t deadline = now_ms() + job->ckpt_timeout_ms;
  while (!all_acked(job, id) && now_ms() < deadline) {
    if (drain_writes(job, id, dir, err)) return err->code;
    if (!coord_sleep(job, now_ms() + 50) && !all_acked(job, id)) break;
  }
  if (atomic_load(&job->cancel)) return ROUND_STOPPED;
  int every = 1, finished = 1;
  for (int i = 0; i < job->tasks.n; i++) {
    task_ext *te = job->tasks.v[i];
    every &= atomic_load(&te->ckpt_acked) >= id;
    finished &= atomic_load(&te->finished);
  }
  if (!every && (finished || atomic_load(&job->running) == 0)) return ROUND_ENDED;
  if (!all_acked(job, id)) return ROUND_TIMEOUT;
  if (drain_writes(job, id, dir, err)) return err->code;
  /* A task that failed counts as finished: never complete such a
   * checkpoint with its half-done state. */
  if (atomic_load(&job->cancel) || job_has_failed(job)) return ROUND_STOPPED;
  if (snapshot_finished(job, id, dir, err)) return err->code;
  if (write_shared(job, id, dir, err)) return err->code;
  weir__kill_point("checkpoint-before-metadata"); /* data written, not yet a checkpoint */
  if (write_metadata(job, id, dir, err)) return err->code;
  weir__kill_point("checkpoint-after-metadata"); /* complete, sinks not told yet */
  return WEIR_OK;
}

static void *coord_main(void *arg) {
  weir__job *job = arg;
  weir__err err;
  weir__err_clear(&err);
  char dir[4096];
  while (coord_sleep(job, now_ms() + job->ckpt_interval_ms)) {
    pthread_mutex_lock(&job->ckpt_mu);
    if (atomic_load(&job->stop_id) || atomic_load(&job->cancel)) {
      pthread_mutex_unlock(&job->ckpt_mu);
      break; /* stopped with a savepoint meanwhile */
    }
    int64_t id = ++job->ckpt_last_id;
    if (make_checkpoint_dir(job, id, dir, sizeof dir, &err)) {
      pthread_mutex_unlock(&job->ckpt_mu);
      job_fail(job, &err, WEIR_IOERR);
      return NULL;
    }
    int64_t started = now_ms();
    int rc = checkpoint_round(job, id, dir, &err);
    if (rc == WEIR_OK) {
      atomic_store(&job->ckpt_complete, id);
      ring_all(job);
      count_checkpoint(job, dir, started);
      retain(job, id);
      sweep_shared(job);
    } else {
      weir__remove_tree(dir); /* never completed */
      sweep_shared(job);      /* and the files it shared */
      if (rc == ROUND_TIMEOUT)
        fprintf(stderr, "[WARN] job '%s': checkpoint %lld abandoned after %lld ms\n", job->name,
                (long long)id, (long long)job->ckpt_timeout_ms);
    }
    pthread_mutex_unlock(&job->ckpt_mu);
    if (rc > 0) {
      job_fail(job, &err, err.code);
      return NULL;
    }
    if (rc == ROUND_STOPPED) return NULL;
    if (rc == ROUND_ENDED) break; /* the final checkpoint follows */
  }
  pthread_mutex_lock(&job->ckpt_mu);
  int64_t last = ++job->ckpt_last_id;
  if (!atomic_load(&job->cancel) && !job_has_failed(job) && !atomic_load(&job->stop_id) &&
      final_checkpoint(job, last, &err))
    job_fail(job, &err, err.code ? err.code : WEIR_IOERR);
  pthread_mutex_unlock(&job->ckpt_mu);
  char inflight[64] = "";
  if (job->ckpt_unaligned)
    snprintf(inflight, sizeof inflight, ", unaligned: %lld in-flight rows kept",
             (long long)atomic_load(&job->ckpt_inflight_rows));
  if (job->ckpt_count)
    fprintf(stderr,
            "[INFO] job '%s': %lld checkpoints, mean %.0f ms (max %lld ms), mean size %.1f MB "
            "(last %.1f MB)%s\n",
            job->name, (long long)job->ckpt_count, (double)job->ckpt_ms_total / (double)job->ckpt_count,
            (long long)job->ckpt_ms_max, (double)job->ckpt_bytes_total / (double)job->ckpt_count / 1e6,
            (double)job->ckpt_bytes_last / 1e6, inflight);
  return NULL;
}

/* Create path and its parents. */
static int mkdirs(const char *path, weir__err *err) {
  char buf[4096];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *p = buf + 1;; p++) {
    if (*p != '/' && *p) continue;
    char c = *p;
    *p = 0;
    if (mkdir(buf, 0755) && errno != EEXIST)
      return weir__err_set(err, WEIR_IOERR, -1, "cannot create directory '%s': %s", buf,
                           strerror(errno));
    *p = c;
    if (!c) return WEIR_OK;
  }
}

/* Has every task told its operators of checkpoint id (or ended)? */
static int all_notified(weir__job *job, int64_t id) {
  for (int i = 0; i < job->tasks.n; i++) {
    task_ext *te = job->tasks.v[i];
    if (atomic_load(&te->notified) < id && !atomic_load(&te->finished)) return 0;
  }
  return 1;
}

int weir__job_savepoint(weir__job *job, const char *base, int stop, int drain, char *path,
                        size_t n, weir__err *err) {
  char dir[4096];
  if (!base || !*base)
    return weir__err_set(err, WEIR_ERROR, -1,
                         "savepoints need a place to live: open weir on a state directory "
                         "(weir STATE_DIR, weir_open(dir)) or SET 'state.savepoints.dir'");
  snprintf(dir, sizeof dir, "%s/%s", base, job->name);
  if (mkdirs(dir, err)) return err->code;
  pthread_mutex_lock(&job->ckpt_mu);
  int rc;
  if (atomic_load(&job->cancel) || atomic_load(&job->running) == 0 || atomic_load(&job->stop_id)) {
    pthread_mutex_unlock(&job->ckpt_mu);
    return weir__err_set(err, WEIR_ERROR, -1, "job '%s' is not running", job->name);
  }
  int64_t id = ++job->ckpt_last_id;
  snprintf(dir, sizeof dir, "%s/%s/savepoint-%lld-%.6s", base, job->name, (long long)id,
           job->run_id);
  if (mkdir(dir, 0755) && errno != EEXIST) {
    pthread_mutex_unlock(&job->ckpt_mu);
    return weir__err_set(err, WEIR_IOERR, -1, "cannot create savepoint directory '%s': %s", dir,
                         strerror(errno));
  }
  atomic_store(&job->savepoint_id, id);
  if (stop) {
    atomic_store(&job->stop_drain, drain);
    atomic_store(&job->stop_id, id);
  }
  rc = checkpoint_round(job, id, dir, err);
  if (rc == WEIR_OK && stop) {
    /* The sinks commit what came before the savepoint's barrier, then
     * the job ends. */
    /* The sinks are about to commit what the savepoint holds: a restart
     * (after a crash right now) must start from the savepoint, not from
     * an older checkpoint whose replay would write it again.  So the
     * savepoint joins the job's checkpoints as chk-<id>, a link (as
     * Flink adds a stop-with-savepoint to the checkpoint store). */
    char target[PATH_MAX], link[4096];
    if (job->ckpt_dir && realpath(dir, target)) {
      snprintf(link, sizeof link, "%s/chk-%lld", job->ckpt_dir, (long long)id);
      if (symlink(target, link) != 0 || weir__fsync_dir(job->ckpt_dir, err))
        rc = err->code ? err->code
                       : weir__err_set(err, WEIR_IOERR, -1, "cannot link savepoint '%s' as '%s': %s",
                                       dir, link, strerror(errno));
    }
  }
  if (rc == WEIR_OK && stop) {
    weir__kill_point("savepoint-before-commit");
    atomic_store(&job->ckpt_complete, id);
    ring_all(job);
    while (!all_notified(job, id) && !job_has_failed(job) && !atomic_load(&job->cancel)) {
      uint64_t seq = weir__doorbell_seq(&job->coord_bell);
      if (all_notified(job, id)) break;
      weir__doorbell_wait(&job->coord_bell, seq, 50);
    }
    if (job_has_failed(job)) {
      pthread_mutex_lock(&job->mu);
      *err = job->err;
      pthread_mutex_unlock(&job->mu);
      rc = err->code;
    } else {
      atomic_store(&job->stopped, 1);
      job_cancel(job);
    }
  }
  if (rc != WEIR_OK) {
    if (rc < 0) weir__remove_tree(dir);
    if (rc == ROUND_TIMEOUT)
      weir__err_set(err, WEIR_ERROR, -1, "savepoint of job '%s' timed out after %lld ms", job->name,
                    (long long)job->ckpt_timeout_ms);
    else if (rc < 0)
      weir__err_set(err, WEIR_ERROR, -1, "job '%s' ended before its savepoint was complete",
                    job->name);
    if (stop && !atomic_load(&job->stopped)) {
      if (drain) {
        /* Event time has ended: the job cannot go on. */
        job_fail(job, err, err->code);
      } else {
        atomic_store(&job->stop_id, 0); /* the sources go on */
        ring_all(job);
      }
    }
    pthread_mutex_unlock(&job->ckpt_mu);
    return err->code ? err->code : WEIR_ERROR;
  }
  pthread_mutex_unlock(&job->ckpt_mu);
  snprintf(path, n, "%s", dir);
  return WEIR_OK;
}

int weir__job_stopped(const weir__job *job) { return atomic_load(&job->stopped); }

/* Checkpoint settings of the job; creates <dir>/<job name>.  No interval
 * means no checkpoints. */
static int checkpoint_setup(weir__job *job, const char *state_dir, weir__err *err) {
  job->ckpt_interval_ms = weir__config_get_int(job->cfg, "execution.checkpointing.interval");
  job->ckpt_timeout_ms = weir__config_get_int(job->cfg, "execution.checkpointing.timeout");
  if (job->ckpt_interval_ms <= 0) return WEIR_OK;
  job->ckpt_retained = (int)weir__config_get_int(job->cfg, "execution.checkpointing.num-retained");
  const char *backend = weir__config_get(job->cfg, "state.backend");
  const char *inc = weir__config_get(job->cfg, "execution.checkpointing.incremental");
  job->ckpt_incremental = backend && strcasecmp(backend, "rocksdb") == 0 &&
                          !(inc && strcasecmp(inc, "false") == 0);
  const char *mode = weir__config_get(job->cfg, "execution.checkpointing.mode");
  job->ckpt_aligned = !mode || strcasecmp(mode, "AT_LEAST_ONCE") != 0;
  const char *ua = weir__config_get(job->cfg, "execution.checkpointing.unaligned");
  job->ckpt_unaligned = ua && strcasecmp(ua, "true") == 0;
  if (job->ckpt_unaligned && !job->ckpt_aligned)
    return weir__err_set(err, WEIR_ERROR, -1,
                         "'execution.checkpointing.unaligned' = 'true' needs "
                         "'execution.checkpointing.mode' = 'EXACTLY_ONCE' (an AT_LEAST_ONCE "
                         "checkpoint does not align barriers, so there is nothing to overtake)");
  const char *base = weir__config_get(job->cfg, "state.checkpoints.dir");
  char dir[4096];
  if (base && *base)
    snprintf(dir, sizeof dir, "%s", base);
  else if (state_dir)
    snprintf(dir, sizeof dir, "%s/checkpoints", state_dir);
  else
    return weir__err_set(err, WEIR_ERROR, -1,
                         "checkpoints need a place to live: open weir on a state directory "
                         "(weir STATE_DIR, weir_open(dir)) or SET 'state.checkpoints.dir'");
  if (mkdir(dir, 0755) && errno != EEXIST)
    return weir__err_set(err, WEIR_IOERR, -1, "cannot create checkpoint directory '%s': %s", dir,
                         strerror(errno));
  size_t n = strlen(dir) + strlen(job->name) + 2;
  if (!(job->ckpt_dir = weir__malloc(n))) return weir__err_nomem(err);
  snprintf(job->ckpt_dir, n, "%s/%s", dir, job->name);
  if (mkdir(job->ckpt_dir, 0755) && errno != EEXIST)
    return weir__err_set(err, WEIR_IOERR, -1, "cannot create checkpoint directory '%s': %s",
                         job->ckpt_dir, strerror(errno));
  DIR *d = opendir(job->ckpt_dir);
  struct dirent *de;
  while (d && (de = readdir(d))) {
    long long k = checkpoint_id(de->d_name);
    if (k > job->ckpt_base) job->ckpt_base = k;
  }
  if (d) closedir(d);
  return WEIR_OK;
}

/* ---- restore ------------------------------------------------------------------------------ */

typedef struct restore_arg {
  weir__op *op;
  weir__restore rs;
  pthread_t th;
  int started, rc;
} restore_arg;

static void *restore_main(void *arg) {
  restore_arg *ra = arg;
  ra->rc = ra->op->vt->restore(ra->op, &ra->rs);
  return NULL;
}

/* A file of in-flight data named in a checkpoint's metadata. */
typedef struct inflight_file {
  char uid[128];
  int sub, par;
} inflight_file;

/* Of the restored chunks t->replay[first..], keep the rows whose key
 * group is the task's (a restore at another parallelism). */
static int keep_own_rows(weir__task *t, int first, weir__err *err) {
  weir__op *head = t->chain[0];
  const weir__pop *in = head->plan->input;
  int maxpar = t->job->plan->max_parallelism, n = first;
  int *sel = weir__malloc(sizeof(int) * WEIR_CHUNK_CAP);
  if (!sel) return weir__err_nomem(err);
  int rc = WEIR_OK;
  for (int i = first; i < t->nreplay; i++) {
    weir__chunk *c = t->replay[i], *mine = NULL;
    t->replay[i] = NULL;
    int k = 0;
    weir__arena_reset(&head->scratch);
    for (int r = 0; !rc && r < c->n; r++) {
      int kg = weir__edge_key_group(head->plan, c, r, &head->scratch, maxpar);
      if (kg < 0) rc = weir__err_nomem(err);
      else if (weir__restore_owns(head, (uint64_t)kg, maxpar)) sel[k++] = r;
    }
    if (!rc && k == c->n) {
      mine = c;
      c = NULL;
    } else if (!rc && k) {
      if (!(mine = weir__chunk_new(in->ncol, in->types, WEIR_CHUNK_CAP)) ||
          weir__chunk_append_rows(mine, c, sel, k))
        rc = weir__err_nomem(err);
    }
    weir__chunk_free(c);
    if (mine && !rc) t->replay[n++] = mine;
    else weir__chunk_free(mine);
  }
  t->nreplay = n;
  weir__free(sel);
  return rc;
}

/* The in-flight data of an unaligned checkpoint goes to the tasks whose
 * head took it: at the parallelism it was taken, each its own file; at
 * another, each task reads every file of its operator and keeps the rows
 * of its key groups (a keyed edge), or subtask 0 takes all (the others
 * send everything to subtask 0 too). */
static int restore_inflight(weir__job *job, const char *path, const inflight_file *f, int nf,
                            weir__err *err) {
  int rc = WEIR_OK;
  for (int j = 0; !rc && j < nf; j++) {
    int found = 0;
    for (int i = 0; !found && i < job->tasks.n; i++) {
      weir__task *t = job->tasks.v[i];
      char uid[128];
      if (!t->ninputs) continue;
      op_uid(job, t->chain[0], uid, sizeof uid);
      found = strcmp(uid, f[j].uid) == 0;
    }
    if (!found)
      rc = weir__err_set(err, WEIR_ERROR, -1,
                         "cannot restore from '%s': it holds in-flight data of %s, which this "
                         "query does not have (it was taken from a different query)",
                         path, f[j].uid);
  }
  for (int i = 0; !rc && i < job->tasks.n; i++) {
    weir__task *t = job->tasks.v[i];
    if (!t->ninputs) continue;
    weir__op *head = t->chain[0];
    const weir__pop *in = head->plan->input;
    char uid[128];
    op_uid(job, head, uid, sizeof uid);
    for (int j = 0; !rc && j < nf; j++) {
      if (strcmp(uid, f[j].uid)) continue;
      int same = f[j].par == head->nsubtasks, keyed = head->plan->edge == EDGE_HASH;
      if (same ? f[j].sub != head->subtask : !keyed && head->subtask != 0) continue;
      char file[4096];
      snprintf(file, sizeof file, "%s/%s.%d.inflight", path, uid, f[j].sub);
      weir__snap_reader r;
      int first = t->nreplay;
      rc = weir__snap_load(&r, file, err);
      if (rc) break;
      while (!rc && !weir__snap_at_end(&r))
        rc = weir__rows_read(&r, in->ncol, in->types, &t->replay, &t->nreplay, err);
      weir__snap_close(&r);
      if (!rc && !same && keyed) rc = keep_own_rows(t, first, err);
    }
  }
  return rc;
}

/* Restore every operator from the checkpoint or savepoint at path (a
 * chk-<n> directory): check its metadata against this job's plan (the
 * same stateful operators, the same number of key groups), then let each
 * stateful operator load its state at whatever parallelism it was taken. */
static int restore_job(weir__job *job, const char *path, weir__err *err) {
  char meta[4096];
  snprintf(meta, sizeof meta, "%s/_metadata", path);
  weir__snap_reader r;
  int rc = weir__snap_load(&r, meta, err);
  if (rc == WEIR_NOTFOUND) {
    weir__err_force(err, WEIR_NOTFOUND, -1,
                    "cannot restore from '%s': no _metadata there (not a checkpoint or savepoint, "
                    "or one that was never completed)",
                    path);
  }
  uint64_t version = 0, id, when, maxpar, n;
  const uint8_t *name;
  uint32_t nlen;
  if (!rc) rc = weir__snap_get_u64(&r, &version, err);
  if (!rc && version != 1 && version != 2)
    rc = weir__err_set(err, WEIR_UNSUPPORTED, -1, "'%s': unknown checkpoint format version %llu",
                       path, (unsigned long long)version);
  if (!rc) rc = weir__snap_get_u64(&r, &id, err);
  if (!rc) rc = weir__snap_get_u64(&r, &when, err);
  const uint8_t *run;
  uint32_t runlen;
  if (!rc) rc = weir__snap_get_bytes(&r, &name, &nlen, err);
  if (!rc) rc = weir__snap_get_bytes(&r, &run, &runlen, err);
  (void)run;
  if (!rc) rc = weir__snap_get_u64(&r, &maxpar, err);
  if (!rc && maxpar != (uint64_t)job->plan->max_parallelism)
    rc = weir__err_set(err, WEIR_ERROR, -1,
                       "cannot restore from '%s': it has %llu key groups, this job %d "
                       "('pipeline.max-parallelism' must stay the same)",
                       path, (unsigned long long)maxpar, job->plan->max_parallelism);
  if (!rc) rc = weir__snap_get_u64(&r, &n, err);
  int nops = job->plan->nops;
  int *old_par = weir__calloc((size_t)nops + 1, sizeof(int));
  if (!old_par && !rc) rc = weir__err_nomem(err);
  for (uint64_t i = 0; !rc && i < n; i++) {
    uint64_t sub;
    const uint8_t *uid;
    uint32_t ulen;
    if ((rc = weir__snap_get_bytes(&r, &uid, &ulen, err)) || (rc = weir__snap_get_u64(&r, &sub, err)))
      break;
    int found = -1;
    for (int k = 0; k < nops && found < 0; k++) {
      char mine[128];
      if (!job->inst[k][0]->vt->restore) continue;
      op_uid(job, job->inst[k][0], mine, sizeof mine);
      if (strlen(mine) == ulen && !memcmp(mine, uid, ulen)) found = k;
    }
    if (found < 0) {
      rc = weir__err_set(err, WEIR_ERROR, -1,
                         "cannot restore from '%s': it holds state of %.*s, which this query does "
                         "not have (it was taken from a different query)",
                         path, (int)ulen, (const char *)uid);
      break;
    }
    old_par[found]++;
  }
  inflight_file *files = NULL;
  uint64_t nfiles = 0;
  if (!rc && version >= 2) rc = weir__snap_get_u64(&r, &nfiles, err);
  if (!rc && nfiles > 1u << 20)
    rc = weir__err_set(err, WEIR_CORRUPT, -1, "'%s': implausible metadata", meta);
  if (!rc && nfiles && !(files = weir__calloc(nfiles, sizeof *files))) rc = weir__err_nomem(err);
  for (uint64_t i = 0; !rc && i < nfiles; i++) {
    const uint8_t *uid;
    uint32_t ulen;
    uint64_t sub, par;
    if ((rc = weir__snap_get_bytes(&r, &uid, &ulen, err)) || (rc = weir__snap_get_u64(&r, &sub, err)) ||
        (rc = weir__snap_get_u64(&r, &par, err)))
      break;
    snprintf(files[i].uid, sizeof files[i].uid, "%.*s", (int)ulen, (const char *)uid);
    files[i].sub = (int)sub;
    files[i].par = (int)par;
  }
  /* The checkpoint's job name outlives the reader: the sinks' commit
   * records of its pending epochs carry it. */
  (void)name;
  (void)nlen;
  if (!rc) job->ckpt_first_id = (int64_t)id;
  weir__snap_close(&r);
  for (int i = 0; !rc && i < nops; i++) {
    weir__op *op0 = job->inst[i][0];
    if (op0->vt->poll && !op0->vt->restore) {
      /* A source that cannot resume would replay from its start. */
      rc = weir__err_set(err, WEIR_UNSUPPORTED, -1,
                         "cannot restore from '%s': the source %s cannot resume from a checkpoint",
                         path, op0->vt->name);
      break;
    }
    if (!op0->vt->restore) continue;
    char uid[128];
    op_uid(job, op0, uid, sizeof uid);
    if (old_par[i] == 0) {
      rc = weir__err_set(err, WEIR_ERROR, -1,
                         "cannot restore from '%s': it has no state of %s (it was taken from a "
                         "different query)",
                         path, uid);
      break;
    }
    /* The subtasks load their state side by side, one thread each. */
    int par = job->plan->ops[i]->parallelism;
    restore_arg *ra = weir__calloc((size_t)par, sizeof *ra);
    if (!ra) {
      rc = weir__err_nomem(err);
      break;
    }
    for (int sub = 0; sub < par; sub++) {
      ra[sub].op = job->inst[i][sub];
      ra[sub].rs = (weir__restore){path, uid, old_par[i], job->plan->max_parallelism, nfiles > 0};
      ra[sub].started = par > 1 && pthread_create(&ra[sub].th, NULL, restore_main, &ra[sub]) == 0;
      if (!ra[sub].started) restore_main(&ra[sub]);
    }
    for (int sub = 0; sub < par; sub++) {
      if (ra[sub].started) pthread_join(ra[sub].th, NULL);
      if (!rc && ra[sub].rc) {
        rc = ra[sub].rc;
        *err = *ra[sub].op->err;
      }
    }
    weir__free(ra);
  }
  if (!rc) rc = restore_inflight(job, path, files, (int)nfiles, err);
  weir__free(files);
  weir__free(old_par);
  return rc;
}

void weir__op_uid(const weir__op *op, char *buf, size_t n) { op_uid(op->task->job, op, buf, n); }

int weir__op_state_instances(const weir__op *op) {
  const weir__pplan *plan = op->task->job->plan;
  int n = 0;
  for (int i = 0; i < plan->nops; i++)
    if (plan->ops[i]->kind == POP_GROUP_AGG || plan->ops[i]->kind == POP_WINDOW_AGG)
      n += plan->ops[i]->parallelism;
  return n;
}

int weir__op_shared_dir(const weir__op *op, char *buf, size_t n) {
  const weir__job *job = op->task->job;
  if (!job->ckpt_dir) return -1;
  snprintf(buf, n, "%s/shared", job->ckpt_dir);
  return 0;
}

/* The job's RocksDB directory: 'state.backend.rocksdb.localdir', else
 * rocksdb/ in the state directory, else weir-rocksdb-<pid> in $TMPDIR;
 * then <job name>.<run>.  Under a state directory, what earlier runs of
 * the job left there (a crash) is removed first. */
int weir__op_state_local_dir(weir__op *op, char *buf, size_t n) {
  weir__job *job = op->task->job;
  char uid[128];
  op_uid(job, op, uid, sizeof uid);
  pthread_mutex_lock(&job->mu);
  if (!job->local_dir) {
    const char *base = weir__config_get(job->cfg, "state.backend.rocksdb.localdir");
    char root[4096], dir[4096 + 512];
    const char *tmp = getenv("TMPDIR");
    if (base && *base) snprintf(root, sizeof root, "%s", base);
    else if (job->state_dir) snprintf(root, sizeof root, "%s/rocksdb", job->state_dir);
    else snprintf(root, sizeof root, "%s/weir-rocksdb-%d", tmp && *tmp ? tmp : "/tmp", (int)getpid());
    if (job->state_dir || (base && *base)) {
      DIR *d = opendir(root);
      struct dirent *de;
      size_t len = strlen(job->name);
      while (d && (de = readdir(d))) {
        if (strncmp(de->d_name, job->name, len) || de->d_name[len] != '.') continue;
        snprintf(dir, sizeof dir, "%s/%s", root, de->d_name);
        weir__remove_tree(dir);
      }
      if (d) closedir(d);
    }
    snprintf(dir, sizeof dir, "%s/%s.%.8s", root, job->name, job->run_id);
    int rc = mkdirs(dir, op->err);
    if (rc) {
      pthread_mutex_unlock(&job->mu);
      return rc;
    }
    job->local_dir = weir__strdup(dir);
  }
  pthread_mutex_unlock(&job->mu);
  if (!job->local_dir) return weir__err_nomem(op->err);
  snprintf(buf, n, "%s/%s.%d", job->local_dir, uid, op->subtask);
  return WEIR_OK;
}

int weir__op_checkpointing(const weir__op *op) { return op->task && op->task->job->ckpt_dir != NULL; }

const char *weir__op_job_name(const weir__op *op) { return op->task ? op->task->job->name : "job"; }

const char *weir__op_job_run(const weir__op *op) { return op->task ? op->task->job->run_id : "run"; }

int weir__op_max_parallelism(const weir__op *op) { return op->plan ? op->task->job->plan->max_parallelism : 1; }

/* ---- the API side ------------------------------------------------------------------------ */

int weir__job_run(weir__job *job, weir__err *err) {
  for (;;) {
    if (job->state == JOB_FAILED) {
      *err = job->err;
      return job->err.code;
    }
    /* An interrupt wins over rows still waiting to be read, so that it
     * stops a query whose rows keep coming. */
    if (job->state != JOB_FINISHED && job->interrupt &&
        atomic_load_explicit(job->interrupt, memory_order_relaxed)) {
      job_cancel(job);
      join_all(job);
      return WEIR_INTERRUPT;
    }
    if (job->collect && weir__op_collect_pending(job->collect)) return WEIR_ROW;
    if (job->state == JOB_FINISHED) return WEIR_DONE;
    uint64_t seq = weir__doorbell_seq(&job->api_bell);
    if (job_has_failed(job)) {
      join_all(job);
      job->state = JOB_FAILED;
      continue;
    }
    if (atomic_load(&job->running) == 0) {
      join_all(job);
      job->state = job_has_failed(job) ? JOB_FAILED : JOB_FINISHED;
      continue;
    }
    if (job->interrupt && atomic_load_explicit(job->interrupt, memory_order_relaxed)) {
      job_cancel(job);
      join_all(job);
      return WEIR_INTERRUPT;
    }
    if (job->collect && weir__op_collect_pending(job->collect)) return WEIR_ROW;
    /* Wake for results, the end, or (polled) an interrupt. */
    weir__doorbell_wait(&job->api_bell, seq, 50);
  }
}

const weir__chunk *weir__job_next_row(weir__job *job, int *row) {
  if (!job->collect) return NULL;
  return weir__op_collect_next(job->collect, row);
}

#define PUB(op, f) atomic_load_explicit(&(op)->pub.f, memory_order_relaxed)

/* The figures as the tasks last published them (at every flush, at
 * least once per buffer timeout, and when they end). */
void weir__job_stats_get(const weir__job *job, weir__job_stats *st) {
  memset(st, 0, sizeof *st);
  for (int i = 0; i < job->all_ops.n; i++) {
    weir__op *op = job->all_ops.v[i];
    if (op->vt == &weir__op_exchange_vtab) continue;
    st->late_dropped += PUB(op, late_dropped);
    st->skipped += PUB(op, skipped);
    if (op->plan->kind == POP_SOURCE || op->plan->kind == POP_VALUES) st->rows_read += PUB(op, rows_out);
    if (op->plan->kind == POP_SINK) st->rows_written += PUB(op, rows_in);
  }
  weir__op_stats root;
  weir__job_op_stats(job, plan_index(job->plan, job->plan->root), &root);
  st->watermark = root.watermark;
}

void weir__job_op_stats(const weir__job *job, int i, weir__op_stats *st) {
  memset(st, 0, sizeof *st);
  const weir__pop *p = job->plan->ops[i];
  st->parallelism = p->parallelism;
  st->watermark = WEIR_WATERMARK_MAX;
  for (int s = 0; s < p->parallelism; s++) {
    weir__op *op = job->inst[i][s];
    st->rows_in += PUB(op, rows_in);
    st->rows_out += PUB(op, rows_out);
    st->late_dropped += PUB(op, late_dropped);
    st->skipped += PUB(op, skipped);
    int64_t wm = PUB(op, watermark);
    if (wm < st->watermark) st->watermark = wm;
  }
}

const weir__pplan *weir__job_plan(const weir__job *job) { return job->plan; }

const char *weir__job_name(const weir__job *job) { return job->name; }

int weir__job_checkpointing(const weir__job *job) { return job->ckpt_dir != NULL; }

int weir__checkpoint_latest(const char *jobdir, int64_t only, int64_t above, char *buf, size_t n) {
  DIR *d = opendir(jobdir);
  if (!d) return 0;
  long long best = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    char meta[4096];
    long long k = checkpoint_id(de->d_name);
    if (k <= 0 || (k != only && k <= above)) continue;
    snprintf(meta, sizeof meta, "%s/%s/_metadata", jobdir, de->d_name);
    if (k > best && access(meta, F_OK) == 0) best = k;
  }
  closedir(d);
  if (!best) return 0;
  snprintf(buf, n, "%s/chk-%lld", jobdir, best);
  return 1;
}

int weir__job_latest_checkpoint(const weir__job *job, char *buf, size_t n) {
  /* Only this job's own: the one it was restored from, or one it took
   * (ids above every id that was there when it started). */
  return job->ckpt_dir &&
         weir__checkpoint_latest(job->ckpt_dir, job->ckpt_first_id, job->ckpt_base, buf, n);
}

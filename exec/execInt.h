/*
 * execInt.h -- what the runtime's own files share: the operator interface
 * (DESIGN section 4), tasks and jobs, aggregate accumulators and the
 * connector registry.
 *
 * Operators never call each other.  An operator hands its output to
 * weir__op_emit / weir__op_emit_watermark, and the task it runs in routes
 * it: to the next operator of the chain, or (with several tasks) into the
 * channel of an exchange.  Chunks passed to push() are borrowed for the
 * duration of the call.
 */
#ifndef WEIR_EXEC_INT_H
#define WEIR_EXEC_INT_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>

#include "exec/exec.h"
#include "state/state.h"

#define WEIR_WATERMARK_MIN INT64_MIN
#define WEIR_WATERMARK_MAX INT64_MAX

typedef struct weir__op weir__op;
typedef struct weir__task weir__task;

/* Per-operator figures; a job's figures are their sums. */
typedef struct weir__op_metrics {
  int64_t rows_in;
  int64_t rows_out;
  int64_t late_dropped;
  int64_t skipped;
} weir__op_metrics;

typedef struct weir__restore weir__restore;

typedef struct weir__op_vtab {
  const char *name;
  size_t size; /* size of the operator's struct, which starts with weir__op */
  /* Allocate state; the plan, job and config are set on op already. */
  int (*open)(weir__op *op);
  /* Sources only: produce output (emit chunks and watermarks).  Returns
   * WEIR_OK, WEIR_DONE when the input is exhausted, or an error. */
  int (*poll)(weir__op *op);
  /* Sources only: can its position be written now (0: not yet, go on
   * polling and ask again)?  NULL: always. */
  int (*can_snapshot)(weir__op *op);
  /* Consume a chunk arriving on input port `port`. */
  int (*push)(weir__op *op, int port, weir__chunk *c);
  /* Event time has advanced to wm: fire what is due, then forward it
   * (NULL: just forward). */
  int (*on_watermark)(weir__op *op, int64_t wm);
  /* Barrier id reaches this operator: send on whatever it buffers, so
   * that it lies before the barrier downstream (exchanges also pass the
   * barrier on to every consumer).  NULL: nothing buffered. */
  int (*on_barrier)(weir__op *op, int64_t id);
  /* Write the operator's state for the checkpoint in progress, after
   * on_barrier (NULL: stateless). */
  int (*snapshot)(weir__op *op, weir__snap_writer *w);
  /* Load the state written by snapshot (after open, before the job runs);
   * rs says where, and at which parallelism it was written. */
  int (*restore)(weir__op *op, const weir__restore *rs);
  /* Checkpoint id is durable everywhere; sinks commit (NULL: nothing). */
  int (*notify_complete)(weir__op *op, int64_t id);
  /* All input has arrived (after the final watermark): emit what is
   * left and flush (NULL: nothing). */
  int (*finish)(weir__op *op);
  /* Send on what is buffered: the buffer timeout expired or the input is
   * idle (NULL: nothing buffered). */
  int (*flush)(weir__op *op);
  /* Free everything; called once, after finish or on cancel/failure. */
  void (*close)(weir__op *op);
} weir__op_vtab;

struct weir__op {
  const weir__op_vtab *vt;
  const weir__pop *plan;
  const weir__config *cfg;
  weir__task *task;
  weir__op *next; /* downstream in the chain; NULL at its end */
  weir__err *err; /* the job's error record */
  weir__op_metrics m;
  int subtask;          /* index of this instance among the operator's */
  int nsubtasks;        /* the operator's parallelism */
  int64_t resume_ns;    /* sources: poll again no earlier than this
                           (CLOCK_MONOTONIC ns); 0 = at once */
  int64_t watermark;    /* last watermark received */
  /* The figures and watermark as of the task's last flush, for readers
   * outside the task (SHOW JOBS, DESCRIBE JOB while the job runs). */
  struct {
    _Atomic int64_t rows_in, rows_out, late_dropped, skipped, watermark;
  } pub;
  weir__arena scratch;  /* per-chunk scratch memory */
  weir__evalctx ectx;   /* evaluation context over scratch and err */
  /* The snapshot being taken: its checkpoint id, and whether it may be
   * in the backend's native format (an incremental checkpoint). */
  int64_t snap_id;
  int snap_native;
};

/* Route output to the next operator of the chain.  c is borrowed. */
int weir__op_emit(weir__op *op, weir__chunk *c);
int weir__op_emit_watermark(weir__op *op, int64_t wm);
/* Record an error on the job (first one wins) and return its code. */
int weir__op_fail(weir__op *op, int code, const char *fmt, ...) WEIR_PRINTF(3, 4);
/* Ask the job to stop reading its sources (LIMIT reached). */
void weir__op_request_stop(weir__op *op);

/* ---- doorbells and channels (channel.c) ------------------------------------ */

/* What a sleeping thread waits on: whoever gives it work rings. */
typedef struct weir__doorbell {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  _Atomic uint64_t seq;
} weir__doorbell;

void weir__doorbell_init(weir__doorbell *d);
void weir__doorbell_destroy(weir__doorbell *d);
void weir__doorbell_ring(weir__doorbell *d);
/* The current sequence number: read it, look for work, then wait with it
 * so that a ring in between is not lost. */
uint64_t weir__doorbell_seq(weir__doorbell *d);
/* Sleep until rung after `seen` (or timeout_ms, -1 = none); returns 0 on
 * timeout. */
int weir__doorbell_wait(weir__doorbell *d, uint64_t seen, int64_t timeout_ms);

/* MSG_BARRIER carries its checkpoint id in wm. */
typedef enum weir__msg_kind {
  MSG_CHUNK = 1,
  MSG_WATERMARK,
  MSG_IDLE,
  MSG_END,
  MSG_BARRIER
} weir__msg_kind;

typedef struct weir__msg {
  int kind;
  weir__chunk *chunk; /* MSG_CHUNK: owned by the message */
  int64_t wm;         /* MSG_WATERMARK */
} weir__msg;

#define WEIR_CHANNEL_CAP 8 /* messages in flight per channel (power of 2) */

/* A bounded single-producer single-consumer channel between two tasks. */
typedef struct weir__channel {
  _Atomic uint32_t head, tail;
  weir__msg ring[WEIR_CHANNEL_CAP];
  _Atomic uint32_t fhead, ftail; /* consumed chunks going back */
  weir__chunk *free_ring[WEIR_CHANNEL_CAP * 2];
  weir__doorbell *consumer, *producer;
  /* consumer-side state */
  int64_t wm;
  int idle;
  int ended;
  int64_t barrier; /* a barrier received and not yet aligned, else 0 */
  /* Unaligned checkpoints: the producer's latest priority barrier, which
   * overtakes whatever the ring holds: (id << 32) | position, where
   * position is the ring index of the first message after the barrier.
   * Set by the producer without waiting for room; 0: none yet. */
  _Atomic uint64_t prio;
  int64_t ub_id;   /* consumer side: the priority barrier last read ... */
  uint32_t ub_pos; /* ... and its position */
} weir__channel;

weir__channel *weir__channel_new(weir__doorbell *consumer, weir__doorbell *producer);
void weir__channel_free(weir__channel *ch);
/* Non-blocking; 1 if sent/received.  Sending rings the consumer, and
 * receiving from a full channel rings the producer. */
int weir__channel_try_send(weir__channel *ch, const weir__msg *m);
int weir__channel_try_recv(weir__channel *ch, weir__msg *m);
/* Give a consumed chunk back to the producer / take one for reuse. */
void weir__channel_recycle(weir__channel *ch, weir__chunk *c);
weir__chunk *weir__channel_reuse(weir__channel *ch);
/* Producer: barrier id overtakes the ring; the `before` messages the
 * producer sends next still lie before it.  Rings the consumer. */
void weir__channel_priority_barrier(weir__channel *ch, int64_t id, uint32_t before);
/* Consumer: read the latest priority barrier into ub_id/ub_pos; returns
 * ub_id. */
int64_t weir__channel_poll_priority(weir__channel *ch);
/* Consumer: the ring index of the next message it will receive. */
static inline uint32_t weir__channel_head(weir__channel *ch) {
  return atomic_load_explicit(&ch->head, memory_order_relaxed);
}

/* ---- tasks and jobs (job.c) ------------------------------------------------ */

/* A task: a chain of operators run by one thread, head first.  A task
 * headed by a source polls it; any other task receives messages from the
 * channels of its inputs. */
struct weir__task {
  int id;
  int nops;
  weir__op **chain;
  weir__job *job;
  int ninputs;
  weir__channel **inputs;
  weir__doorbell bell;
  pthread_t thread;
  int started;
  int64_t input_wm; /* watermark delivered into the chain */
  int idle_out;     /* every live input is idle, and so the output was declared */
  int64_t ckpt_done;     /* the last checkpoint this task took part in */
  int64_t ckpt_pending;  /* the barrier being aligned (0: none) */
  int64_t ckpt_notified; /* the last completed checkpoint its operators were told of */
  /* Unaligned checkpoints: the one whose in-flight data this task is
   * recording (0: none), into uc_w, uc_rows rows so far. */
  int64_t uc_id;
  weir__snap_writer uc_w;
  int64_t uc_rows;
  /* Restored in-flight data, pushed before anything is received. */
  weir__chunk **replay;
  int nreplay;
};

/* Send a message from a task, blocking while the channel is full; returns
 * WEIR_OK or WEIR_INTERRUPT when the job is being cancelled. */
int weir__task_send(weir__task *t, weir__channel *ch, const weir__msg *m);
/* Is the job stopping (cancel, failure or LIMIT reached)? */
int weir__job_cancelled(const weir__job *job);
/* Deliver watermark wm into op itself (the head of a chain). */
int weir__op_deliver_watermark(weir__op *op, int64_t wm);
/* Propagate "this input is idle" down the chain to exchanges. */
int weir__op_emit_idle(weir__op *op);
/* The job's doorbell for the API thread waiting on results. */
weir__doorbell *weir__job_api_bell(weir__job *job);
/* Does barrier id overtake queued chunks ('execution.checkpointing.
 * unaligned'; savepoints are always aligned)? */
int weir__job_barrier_unaligned(const weir__job *job, int64_t id);
/* The job's configuration value of 'execution.buffer-timeout' in ms. */
int64_t weir__job_buffer_timeout(const weir__job *job);

/* Operator vtabs by physical operator kind (sources and sinks come from
 * the connector registry). */
extern const weir__op_vtab weir__op_values_vtab;
extern const weir__op_vtab weir__op_calc_vtab;
extern const weir__op_vtab weir__op_watermark_vtab;
extern const weir__op_vtab weir__op_window_tvf_vtab;
extern const weir__op_vtab weir__op_window_agg_vtab;
extern const weir__op_vtab weir__op_group_agg_vtab;
extern const weir__op_vtab weir__op_limit_vtab;
extern const weir__op_vtab weir__op_collect_vtab;
extern const weir__op_vtab weir__op_local_agg_vtab;
extern const weir__op_vtab weir__op_exchange_vtab;

/* The exchange at the end of a producer chain: its output channels, one
 * per consumer subtask. */
void weir__op_exchange_set_outputs(weir__op *op, weir__channel **outs, int nouts, int maxpar);
/* Send whatever is buffered, then the latest watermark (buffer timeout,
 * idle input). */
int weir__op_exchange_flush(weir__op *op);
/* The key group of row r of c on the keyed edge into p (its edge keys);
 * -1 when out of memory.  Long keys go into scratch. */
int weir__edge_key_group(const weir__pop *p, const weir__chunk *c, int r, weir__arena *scratch,
                         int maxpar);
/* Tell every consumer that this producer is idle. */
int weir__op_exchange_idle(weir__op *op);

/* The collect operator's buffered rows (queries). */
const weir__chunk *weir__op_collect_next(weir__op *op, int *row);
int weir__op_collect_pending(weir__op *op);

/* ---- window assignment (window.c) ------------------------------------------ */

/* Length of the slices a window aggregation cuts time into:
 * gcd(size, slide). */
int64_t weir__window_slice_len(const weir__window *w);
/* Start of the interval of length len (aligned to offset) holding ts. */
int64_t weir__window_align(int64_t ts, int64_t len, int64_t offset);
/* Start of the latest window that contains ts. */
int64_t weir__window_last_start(const weir__window *w, int64_t ts);
/* Start of the earliest window that contains ts. */
int64_t weir__window_first_start(const weir__window *w, int64_t ts);

/* ---- aggregate accumulators (agg.c) --------------------------------------- */

/* One accumulator: 16 bytes whatever the function. */
typedef union weir__acc {
  struct {
    int64_t v;
    int64_t n;
  } i;
  struct {
    double v;
    int64_t n;
  } d;
  struct {
    const char *p;
    uint32_t len;
    uint32_t has;
  } s;
} weir__acc;

/* Initialize nagg accumulators. */
void weir__acc_init(const weir__aggcall *aggs, int nagg, weir__acc *acc);
/*
 * Fold rows into accumulators: for row r of chunk c, accs[r] points to
 * the row's accumulator array.  Strings kept by MIN/MAX are copied into
 * strings[r] (the arena of the state the row's accumulators live in).
 * Returns WEIR_OK, or an error (integer overflow of SUM).
 */
int weir__acc_update(const weir__aggcall *aggs, int nagg, const weir__chunk *c, int n,
                     weir__acc **accs, weir__arena **strings, weir__err *err);
/* Merge accumulators src into dst (both nagg long). */
int weir__acc_merge(const weir__aggcall *aggs, int nagg, weir__acc *dst, const weir__acc *src,
                    weir__arena *strings, weir__err *err);
/* The result of aggregate i into row r of column v of an owned chunk. */
void weir__acc_result(const weir__aggcall *a, const weir__acc *acc, weir__chunk *out, int col,
                      int r);
/* An accumulator as the two columns of a partial aggregate (col, col+1)
 * of row r, and back.  Strings are not copied. */
void weir__acc_to_partial(const weir__aggcall *a, const weir__acc *acc, weir__chunk *out, int col,
                          int r);
void weir__acc_from_partial(const weir__aggcall *a, const weir__chunk *in, int col, int r,
                            weir__acc *acc);
/* Do two accumulator arrays give the same results? */
int weir__acc_same_result(const weir__aggcall *aggs, int nagg, const weir__acc *a,
                          const weir__acc *b);

/* ---- keyed state in checkpoints (keyed_state.c) ---------------------------- */

/* Where an operator's state is restored from. */
struct weir__restore {
  const char *dir;     /* the checkpoint or savepoint directory */
  const char *uid;     /* the operator's name in the checkpoint (files <uid>.<subtask>.state) */
  int old_parallelism; /* how many subtasks wrote state */
  int max_parallelism; /* key groups, the same then and now */
  int unaligned;       /* an unaligned checkpoint: its subtasks took their
                          snapshots at different points of event time */
};

/* Accumulators by value (strings included). */
int weir__acc_write(weir__snap_writer *w, const weir__aggcall *aggs, int nagg, const weir__acc *acc,
                    weir__err *err);
int weir__acc_read(weir__snap_reader *r, const weir__aggcall *aggs, int nagg, weir__acc *acc,
                   weir__arena *strings, weir__err *err);
/* The payload codec of keyed states whose payloads are `raw` plain bytes
 * and then nagg accumulators. */
typedef struct weir__acc_codec {
  weir__kcodec kc;
  size_t raw;
  const weir__aggcall *aggs;
  int nagg;
} weir__acc_codec;
void weir__acc_codec_init(weir__acc_codec *c, size_t raw, const weir__aggcall *aggs, int nagg);
/* Open op's state backend as the job's 'state.backend' says: hashmap, or
 * a RocksDB store in the job's local state directory, with memory from
 * 'state.backend.rocksdb.memory.managed-size'.  ttl_offset >= 0: the
 * operator honours 'table.exec.state.ttl' and its payloads keep their
 * last-access time (wall-clock ms) at that offset; -1: no TTL.  WEIR_OK
 * or an error (on op). */
int weir__op_backend_open(weir__op *op, weir__kbackend *be, const weir__kcodec *codec,
                          int ttl_offset);
/* Does the snapshot in progress take the native format (rocksdb and an
 * incremental checkpoint, not a savepoint)? */
int weir__op_snapshot_native(const weir__op *op, const weir__kbackend *be);
/* The store's native snapshot into w, its new files into the job's shared
 * storage (the caller wrote its states back first). */
int weir__backend_write_native(weir__op *op, weir__kbackend *be, weir__snap_writer *w);
/* Read a native snapshot written by old subtask rs/r: adopt its store (the
 * same parallelism on rocksdb) or import this subtask's key groups from
 * it, routing entries to states by route (hashmap). */
int weir__backend_read_native(weir__op *op, weir__kbackend *be, const weir__restore *rs,
                              weir__snap_reader *r,
                              void *(*route)(void *ctx, uint8_t sid, int64_t ns), void *ctx);
/* The marker, in place of an entry count, of a native snapshot. */
#define WEIR_NATIVE_MARK UINT64_MAX
/* op's directory for its RocksDB store: <local dir>/<job>/<uid>.<subtask>
 * (parents created).  WEIR_OK or WEIR_IOERR (on op). */
int weir__op_state_local_dir(weir__op *op, char *buf, size_t n);
/* The job's shared checkpoint storage, <checkpoints>/<job>/shared; -1
 * when the job takes no checkpoints. */
int weir__op_shared_dir(const weir__op *op, char *buf, size_t n);
/* Record that checkpoint op->snap_id references m's shared files. */
int weir__op_shared_add(weir__op *op, const weir__kv_manifest *m);
/* op's name in checkpoints. */
void weir__op_uid(const weir__op *op, char *buf, size_t n);
/* Subtasks of the job's operators that keep keyed state (each opens a
 * store on rocksdb). */
int weir__op_state_instances(const weir__op *op);
/* Does key group kg belong to op's subtask? */
int weir__restore_owns(const weir__op *op, uint64_t kg, int maxpar);
/* Load the file that old subtask `subtask` wrote. */
int weir__restore_open(const weir__restore *rs, int subtask, weir__snap_reader *r, weir__err *err);
/* Does op need old subtask `subtask`'s file?  At the same parallelism only
 * its own: its key groups are all there. */
int weir__restore_needs(const weir__restore *rs, const weir__op *op, int subtask);
/* The first u64 of old subtask `subtask`'s file (a position, a count). */
int weir__restore_u64(const weir__restore *rs, int subtask, uint64_t *v, weir__err *err);
/* Sources whose split i of p produces items i, i + p, i + 2p, ... (the
 * Nexmark and datagen generators): restore this subtask's next item, and,
 * at another parallelism, the old positions to skip what was produced. */
typedef struct weir__interleaved {
  int64_t *old_next; /* NULL: nothing to skip */
  int old_p;
  int64_t old_max;
} weir__interleaved;
int weir__interleaved_restore(weir__op *op, const weir__restore *rs, int64_t *next,
                              weir__interleaved *iv, weir__err *err);
static inline int weir__interleaved_done(const weir__interleaved *iv, int64_t k) {
  return iv->old_next && k < iv->old_max && k < iv->old_next[k % iv->old_p];
}
void weir__interleaved_free(weir__interleaved *iv);
/* Is a restored split still among the old splits' items?  Its position
 * alone would not say which of them were produced, so it takes part in
 * checkpoints only past them (a chunk or so after a rescaled restore). */
static inline int weir__interleaved_active(const weir__interleaved *iv, int64_t next) {
  return iv->old_next && next < iv->old_max;
}
/* Rows (kinds and values, strings by value) into a snapshot, and back
 * into owned chunks appended to *out (*nout of them). */
int weir__rows_write(weir__snap_writer *w, const weir__chunk *c, weir__err *err);
int weir__rows_read(weir__snap_reader *r, int ncol, const int *types, weir__chunk ***out,
                    int *nout, weir__err *err);
/* Does the job take checkpoints?  Its name (for sinks' commit records). */
int weir__op_checkpointing(const weir__op *op);
const char *weir__op_job_name(const weir__op *op);
/* The job's run lineage (new per fresh start, kept across restores). */
const char *weir__op_job_run(const weir__op *op);
/* Rows-per-second pacing of a source subtask (datagen, 'scan.rows-per-
 * second' of file): the rate of all subtasks together, shared evenly. */
typedef struct weir__pacer {
  double ns_per_row; /* of this subtask; 0 = unpaced */
  int64_t start_ns, emitted;
} weir__pacer;
/* Start pacing now (again, after a restore); rows_per_second 0 = unpaced. */
void weir__pacer_start(weir__pacer *p, int64_t rows_per_second, int nsubtasks);
/* How many rows op may emit now, at most limit; 0 when none is due yet,
 * with op->resume_ns set to when the next one is.  count: rows emitted. */
int64_t weir__pacer_due(weir__pacer *p, weir__op *op, int64_t limit);
static inline void weir__pacer_count(weir__pacer *p, int n) { p->emitted += n; }
/* CLOCK_MONOTONIC in ns. */
int64_t weir__mono_ns(void);
/* The job's number of key groups (pipeline.max-parallelism). */
int weir__op_max_parallelism(const weir__op *op);

/* Write decoded key values into row r of out, columns cols[0..nk). */
int weir__key_decode_into(const uint8_t *key, int klen, const int *types, int nk,
                          weir__chunk *out, const int *cols, int r);

/* ---- connectors (connectors/registry.c) ------------------------------------- */

typedef enum weir__opt_kind {
  OPT_STRING = 1,
  OPT_INT,      /* a non-negative integer */
  OPT_BOOL,     /* true / false */
  OPT_DURATION, /* '10 s', '500 ms' */
  OPT_ENUM,     /* one of choices, '|'-separated */
  OPT_CHAR      /* one character ('\t' accepted) */
} weir__opt_kind;

typedef struct weir__opt_spec {
  const char *key;
  int kind;
  int required;
  const char *choices;
  const char *def;
} weir__opt_spec;

/* Options every source connector accepts (read by the runtime, job.c). */
#define WEIR_SOURCE_OPTS {"scan.idle-timeout", OPT_DURATION, 0, NULL, NULL}

typedef struct weir__connector {
  const char *name;
  int caps;
  const weir__opt_spec *opts; /* ends with key == NULL */
  const weir__op_vtab *source;
  const weir__op_vtab *sink;
  /* Extra checks on a table (formats, column types); may be NULL. */
  int (*validate)(weir__table *t, weir__err *err);
  /* With WEIR_CAP_BOUNDED: does this table's source end by itself (its
   * options may make it endless)?  NULL: always. */
  int (*bounded)(const weir__table *t);
} weir__connector;

const weir__connector *weir__connector_find(const char *name);
/* An option's value or its default from the spec list (NULL if none). */
const char *weir__opt_get(const weir__table *t, const weir__opt_spec *specs, const char *key);
int weir__opt_bool(const weir__table *t, const weir__opt_spec *specs, const char *key);
int64_t weir__opt_int(const weir__table *t, const weir__opt_spec *specs, const char *key);
/* Check t's options against specs (and extra spec lists); NULL-terminated
 * varargs of const weir__opt_spec*. */
int weir__opt_check(weir__table *t, const char *what, weir__err *err,
                    const weir__opt_spec *const *lists, int nlists);

extern const weir__connector weir__connector_file;
extern const weir__connector weir__connector_filesystem;
extern const weir__op_vtab weir__fs_sink_vtab;
extern const weir__connector weir__connector_sqlite;
extern const weir__connector weir__connector_print;
extern const weir__connector weir__connector_blackhole;
extern const weir__connector weir__connector_nexmark;
extern const weir__connector weir__connector_datagen;
extern const weir__connector weir__connector_stdin;

/* ---- record decoding (connectors/format_*.c) -------------------------------- */

/* Where a decoded field goes: output column and its type. */
typedef struct weir__field_target {
  int col;  /* output column, -1 = ignore the field */
  int type; /* its SQL type */
  const char *name;
} weir__field_target;

/* A decoder's error: what was wrong, for "path:line: <msg>". */
typedef struct weir__decode_err {
  char msg[512];
} weir__decode_err;

/*
 * Decode one text value into row r of column col of out (an owned chunk):
 * parses numbers, booleans, dates and timestamps; strings point into text
 * (not copied).  Returns 0, or -1 with a message naming the column.
 */
int weir__decode_text_value(const char *p, size_t n, const weir__field_target *t,
                            weir__chunk *out, int r, weir__decode_err *de);
/* 1 if p[0..n) is valid UTF-8. */
int weir__utf8_valid(const char *p, size_t n);

typedef struct weir__csv_opts {
  char delim;
  char quote;
  const char *null_literal; /* NULL: none */
} weir__csv_opts;

/*
 * Decode one CSV record of buf[0..len) starting at *pos (RFC 4180: quoted
 * fields may hold delimiters, doubled quotes and line breaks).  Fields are
 * written to row r of out through targets[0..ntargets).  On return *pos is
 * just past the record's line break and *lines the number of line breaks
 * consumed.  Returns 1 (record decoded), 0 (the record is incomplete: more
 * input is needed; nothing consumed), or -1 (malformed; *pos is past the
 * record, message in de).  at_eof: buf ends the input, so a last record
 * without a line break is complete.
 */
int weir__csv_decode(const char *buf, size_t len, size_t *pos, int at_eof,
                     const weir__csv_opts *o, const weir__field_target *targets, int ntargets,
                     weir__chunk *out, int r, int *lines, weir__decode_err *de);

/* Split a CSV header line into names (arena copies); returns the count or
 * -1. */
int weir__csv_header(const char *line, size_t n, const weir__csv_opts *o, weir__arena *a,
                     char ***names);

/* The most columns a JSON-format table may have. */
#define WEIR_JSON_MAX_COLUMNS 1024

/*
 * Decode one JSON object (one line of text, without its line break) into
 * row r of out: fields matched to targets by name, case-insensitively;
 * absent fields are NULL (or an error when fail_on_missing).  Strings that
 * need no unescaping point into line; others are copied into out's arena.
 * Returns 0 or -1 with a message.
 */
int weir__json_decode(const char *line, size_t n, const weir__field_target *targets,
                      int ntargets, int fail_on_missing, weir__chunk *out, int r,
                      weir__decode_err *de);

#endif /* WEIR_EXEC_INT_H */

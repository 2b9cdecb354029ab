/*
 * exec.h -- the runtime's public face: chunks and vectors, vectorized
 * expression evaluation, canonical key encoding, the connector registry
 * (for validating CREATE TABLE options) and jobs.
 *
 * A job is instantiated from an immutable physical plan (planner.h); it
 * owns one operator instance per (operator, subtask), grouped into tasks
 * (chains of operators).  The caller drives it with weir__job_run.
 */
#ifndef WEIR_EXEC_H
#define WEIR_EXEC_H

#include "planner/planner.h"

#define WEIR_CHUNK_CAP 1024

/* ---- vectors and chunks -------------------------------------------------- */

/*
 * A column of a chunk: a view on values and a validity bitmap.  The data
 * pointer's element type follows the physical class of the type:
 * int64_t (BOOLEAN 0/1, INT, BIGINT, DATE, TIMESTAMP*, INTERVAL), double
 * or weir__str.  valid == NULL means no value is NULL; otherwise bit i of
 * valid[i / 64] is set when row i is not NULL.
 */
typedef struct weir__vec {
  int type;
  void *data;
  uint64_t *valid;
} weir__vec;

#define WEIR_VEC_I64(v) ((int64_t *)(v)->data)
#define WEIR_VEC_F64(v) ((double *)(v)->data)
#define WEIR_VEC_STR(v) ((weir__str *)(v)->data)

static inline int weir__bit_get(const uint64_t *bm, int i) {
  return (int)((bm[i >> 6] >> (i & 63)) & 1);
}
static inline void weir__bit_set(uint64_t *bm, int i) { bm[i >> 6] |= (uint64_t)1 << (i & 63); }
static inline void weir__bit_clear(uint64_t *bm, int i) {
  bm[i >> 6] &= ~((uint64_t)1 << (i & 63));
}
static inline int weir__vec_is_null(const weir__vec *v, int i) {
  return v->valid && !weir__bit_get(v->valid, i);
}
#define WEIR_BM_WORDS(n) (((n) + 63) / 64)

/*
 * A chunk: up to cap rows in columns, each with a row kind (enum
 * weir_row_kind; kind == NULL means every row is +I).  A chunk made by
 * weir__chunk_new owns its column buffers and an arena for strings;
 * operators may also assemble chunks whose vectors point into other
 * chunks (views), valid for the duration of one push.
 */
typedef struct weir__chunk {
  int ncol;
  int n;
  int cap;
  weir__vec *cols;
  uint8_t *kind;
  weir__arena arena; /* string bytes of owned chunks */
  void *mem;         /* the owned buffers */
} weir__chunk;

/* A chunk with owned buffers for ncol columns of the given types and cap
 * rows (validity bitmaps included, all valid).  NULL on out-of-memory. */
weir__chunk *weir__chunk_new(int ncol, const int *types, int cap);
void weir__chunk_free(weir__chunk *c);
/* Empty an owned chunk for reuse: n = 0, bitmaps all valid, kinds +I,
 * strings freed. */
void weir__chunk_reset(weir__chunk *c);
/* Copy row r of src into the next row of owned chunk dst (same column
 * types), strings included; returns -1 on out-of-memory. */
int weir__chunk_append_row(weir__chunk *dst, const weir__chunk *src, int r, int kind);
/* Append rows sel[0..n) of src (all columns, row kinds kept) to dst, which
 * must have room for them; strings are copied.  -1 on out-of-memory. */
int weir__chunk_append_rows(weir__chunk *dst, const weir__chunk *src, const int *sel, int n);
/* Read one value. */
void weir__chunk_get(const weir__chunk *c, int col, int row, weir__value *out);
/* Copy a string into an owned chunk's arena; NULL on out-of-memory. */
const char *weir__chunk_strdup(weir__chunk *c, const char *s, size_t n);
/* Set value i of column col of an owned chunk to NULL. */
void weir__chunk_set_null(weir__chunk *c, int col, int i);

/* ---- expressions ----------------------------------------------------------- */

/* Scratch memory and error target of one evaluation. */
typedef struct weir__regex_cache weir__regex_cache;
typedef struct weir__evalctx {
  weir__arena *scratch;      /* reset by the caller per chunk */
  weir__err *err;
  weir__regex_cache *regex;  /* compiled patterns of this context (owned) */
} weir__evalctx;

/* Free what evaluation cached in cx (compiled regular expressions). */
void weir__evalctx_release(weir__evalctx *cx);

/*
 * Evaluate e over the n rows of in into out.  out's data may point into
 * in (a column reference) or into ctx->scratch.  mask (may be NULL =
 * all rows) selects the rows whose errors count: a row outside it (one a
 * CASE branch or AND does not reach) never raises an error.  Returns
 * WEIR_OK or an error code (division by zero, an invalid CAST) with the
 * message in ctx->err.
 */
int weir__eval(const weir__expr *e, const weir__chunk *in, const uint64_t *mask, weir__vec *out,
               weir__evalctx *ctx);

/* Evaluate a BOOLEAN predicate into a selection: sel[0..*nsel) receives
 * the rows where it is TRUE (not FALSE or NULL). */
int weir__eval_filter(const weir__expr *e, const weir__chunk *in, int *sel, int *nsel,
                      weir__evalctx *ctx);

/* Evaluate an expression over no input rows (a constant expression). */
int weir__eval_const(const weir__expr *e, weir__value *out, weir__arena *scratch,
                     weir__err *err);

/* ---- canonical keys ----------------------------------------------------------- */

/*
 * Append the canonical encoding of row r of the given columns to buf: a
 * byte string whose memcmp order is the SQL order of the values (NULLs
 * first), the same bytes used for hashing, state keys and savepoints.
 * Returns the new length, or -1 if it would exceed cap.
 */
int weir__key_encode(const weir__vec *cols, const int *idx, int nidx, int r, uint8_t *buf,
                     int len, int cap);
/*
 * The same, for a key of any length: appends to the len bytes already in
 * buf (cap bytes) if the key fits there, else copies those bytes and the
 * key into memory from arena.  *key is set to where the whole key is.
 * Returns its length, or -1 when out of memory.
 */
int weir__key_encode_any(const weir__vec *cols, const int *idx, int nidx, int r, uint8_t *buf,
                         int len, int cap, weir__arena *arena, uint8_t **key);
/* Decode one value of the given type from key bytes at *pos; string bytes
 * are copied into arena.  Returns 0, or -1 if the bytes are malformed. */
int weir__key_decode(const uint8_t *buf, int len, int *pos, int type, weir__value *out,
                     weir__arena *arena);

/* ---- connectors ------------------------------------------------------------- */

/*
 * Validate a table's connector options when it is created: the connector
 * and format exist, every option is known, required ones are present and
 * values parse.  On success sets t->caps.  Errors name the option.
 */
int weir__connector_validate(weir__table *t, weir__err *err);

/* ---- jobs ----------------------------------------------------------------- */

typedef struct weir__job weir__job;

/* Figures of a job, summed over its operators. */
typedef struct weir__job_stats {
  int64_t rows_read;    /* records produced by sources */
  int64_t rows_written; /* rows accepted by sinks */
  int64_t late_dropped; /* rows dropped because their window had fired */
  int64_t skipped;      /* malformed records skipped by error policy */
  int64_t watermark;    /* what the sink has received (min over subtasks; ms) */
} weir__job_stats;

/* Figures of one operator of the plan, summed over its subtasks. */
typedef struct weir__op_stats {
  int parallelism;
  int64_t rows_in, rows_out, late_dropped, skipped;
  int64_t watermark; /* the minimum over subtasks (WEIR_WATERMARK_MIN: none yet) */
} weir__op_stats;

/*
 * Instantiate and open a job for plan (which must outlive the job).
 * state_dir: the engine's state directory, where checkpoints go unless
 * 'state.checkpoints.dir' says otherwise; may be NULL.
 * restore_from: a checkpoint or savepoint to start from (NULL: the
 * configuration's 'execution.savepoint.path', if set).
 * interrupt: a flag the job polls (weir_interrupt); may be NULL.  Errors
 * (missing file, SQLite cannot open, checkpoints without a directory)
 * leave *out NULL.
 */
int weir__job_start(const weir__pplan *plan, const weir__config *cfg, const char *name,
                    const char *state_dir, const char *restore_from, _Atomic int *interrupt,
                    weir__job **out, weir__err *err);
/* Does the job take checkpoints?  Its newest complete checkpoint's
 * directory into buf (1), or 0 if there is none. */
int weir__job_checkpointing(const weir__job *job);
int weir__job_latest_checkpoint(const weir__job *job, char *buf, size_t n);
/* The newest complete checkpoint (chk-<k> with a _metadata) in a job's
 * checkpoint directory, with k == only or k > above, into buf: 1, or 0 if
 * there is none. */
int weir__checkpoint_latest(const char *jobdir, int64_t only, int64_t above, char *buf, size_t n);

/*
 * Run the job.  For a query (plan->is_query) it returns WEIR_ROW as soon
 * as collected rows are available; otherwise it runs until the sources
 * end.  Returns WEIR_DONE when finished, WEIR_INTERRUPT, or an error.
 */
int weir__job_run(weir__job *job, weir__err *err);

/* The next collected row of a query job, or NULL when none is buffered.
 * The chunk and row index are valid until the next call. */
const weir__chunk *weir__job_next_row(weir__job *job, int *row);

/* A job's figures, also while it runs (as of its tasks' last flush,
 * at most a buffer timeout old), from any thread. */
void weir__job_stats_get(const weir__job *job, weir__job_stats *st);
/* The figures of plan operator i (job->plan->ops[i]), from any thread. */
void weir__job_op_stats(const weir__job *job, int i, weir__op_stats *st);
const weir__pplan *weir__job_plan(const weir__job *job);
/*
 * Take a savepoint of a running job, from a thread other than its
 * tasks' (DESIGN section 7): an aligned checkpoint, also in AT_LEAST_ONCE
 * mode or without checkpoints, into base/<job>/savepoint-<id>-<run>, whose
 * directory goes into path.  It blocks until the savepoint is complete
 * or has failed ('execution.checkpointing.timeout').  Sinks do not commit
 * on an intermediate savepoint (their staged epoch is kept in it and
 * committed by the next checkpoint, as in Flink since 1.15).
 * stop: stop the job with it (the sources stop at its barrier, the sinks
 * commit, the job is cancelled and weir__job_stopped says so); drain: the
 * sources send the maximum watermark first, so every window fires.
 * Errors: no base; the job is not running; timeout; I/O errors.  A failed
 * stop leaves the job running, except with drain, which fails it.
 */
int weir__job_savepoint(weir__job *job, const char *base, int stop, int drain, char *path,
                        size_t n, weir__err *err);
int weir__job_stopped(const weir__job *job);
const char *weir__job_name(const weir__job *job);
/* Stop (if running) and free everything. */
void weir__job_free(weir__job *job);

#endif /* WEIR_EXEC_H */

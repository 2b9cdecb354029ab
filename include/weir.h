/*
 * weir.h -- the public C API of weir, an embeddable streaming SQL engine.
 *
 * The shape follows SQLite's: opaque handles, prepare/step/finalize,
 * integer result codes, and the message and byte offset of the last error
 * kept on the engine handle.  This is the only header an application (and
 * the weir shell) includes.
 *
 * Threading: one weir handle and the statements prepared on it must be used
 * from one thread at a time.  weir_interrupt() is the exception: it may be
 * called from any thread or from a signal handler.
 *
 * Strings passed in are UTF-8 and are copied where weir keeps them; strings
 * returned are owned by weir unless a function says otherwise.
 */
#ifndef WEIR_H
#define WEIR_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define WEIR_API __attribute__((visibility("default")))
#else
#define WEIR_API
#endif

#define WEIR_VERSION "0.1.0"

/*
 * Result codes.  One table generates the enum and weir_errstr():
 * X(name, value, description).  WEIR_ROW and WEIR_DONE are not errors; they
 * are what weir_step() returns while a statement produces rows.
 */
#define WEIR_RESULT_CODES(X)                                                   \
  X(OK, 0, "not an error")                                                     \
  X(ERROR, 1, "SQL error or job failure")                                      \
  X(INTERNAL, 2, "internal error")                                             \
  X(NOMEM, 3, "out of memory")                                                 \
  X(MISUSE, 4, "API called incorrectly")                                       \
  X(IOERR, 5, "disk or file I/O error")                                        \
  X(CORRUPT, 6, "malformed record or corrupt data")                            \
  X(CONSTRAINT, 7, "constraint violated")                                      \
  X(NOTFOUND, 8, "object not found")                                           \
  X(RANGE, 9, "value out of range")                                            \
  X(INTERRUPT, 10, "interrupted")                                              \
  X(UNSUPPORTED, 11, "not supported")                                          \
  X(ROW, 100, "another row is ready")                                          \
  X(DONE, 101, "statement has finished")

enum weir_result {
#define WEIR_X_(name, value, text) WEIR_##name = value,
  WEIR_RESULT_CODES(WEIR_X_)
#undef WEIR_X_
};

/* Row kinds of a changelog, as in Flink's dynamic tables. */
enum weir_row_kind {
  WEIR_INSERT = 0,        /* +I */
  WEIR_UPDATE_BEFORE = 1, /* -U: retracts a row emitted before */
  WEIR_UPDATE_AFTER = 2,  /* +U: the new version of that row */
  WEIR_DELETE = 3         /* -D */
};

/* SQL types of result columns, as returned by weir_column_type(). */
enum weir_type {
  WEIR_TYPE_NULL = 0, /* only for an untyped NULL literal */
  WEIR_TYPE_BOOLEAN = 1,
  WEIR_TYPE_INT = 2,           /* 32-bit signed */
  WEIR_TYPE_BIGINT = 3,        /* 64-bit signed */
  WEIR_TYPE_DOUBLE = 4,        /* IEEE 754 binary64 */
  WEIR_TYPE_VARCHAR = 5,       /* UTF-8 text */
  WEIR_TYPE_DATE = 6,          /* days since 1970-01-01 */
  WEIR_TYPE_TIMESTAMP = 7,     /* TIMESTAMP(3): ms since the epoch */
  WEIR_TYPE_TIMESTAMP_LTZ = 8, /* TIMESTAMP_LTZ(3): ms since the epoch, UTC */
  WEIR_TYPE_INTERVAL = 9       /* INTERVAL DAY TO SECOND: milliseconds */
};

typedef struct weir weir;           /* an engine */
typedef struct weir_stmt weir_stmt; /* a prepared statement */

/*
 * weir_open -- open an engine.
 *   state_dir: directory for the engine's state (created if missing), or
 *              NULL for a purely in-memory engine.  The string is copied.
 *              Its catalog (STATE_DIR/catalog.db) keeps the tables created
 *              and the INSERT jobs run there; opening it again restores
 *              the tables (SHOW TABLES, SHOW JOBS).  Jobs that were running
 *              when a process died are restarted by weir_resume, not here.
 *   out:       receives the new handle; set to NULL on failure except for
 *              errors after allocation, where a handle carrying the error
 *              message is returned and must still be closed.
 * Returns WEIR_OK, WEIR_NOMEM, WEIR_IOERR (state_dir cannot be created, its
 * catalog cannot be opened, or another engine -- in this or another
 * process -- has it open: one engine per state directory), an error of a recorded statement that no
 * longer runs (the message names it), or WEIR_MISUSE (out is NULL).
 */
WEIR_API int weir_open(const char *state_dir, weir **out);

/*
 * weir_resume -- start again the INSERT jobs that were running when the
 * last engine on this state directory stopped (they are RUNNING in its
 * catalog: the process died, or weir_close stopped them): each with the
 * statement and the session options it was started with, from its newest
 * complete checkpoint (STATE_DIR/checkpoints/<job>/chk-<n> with a
 * _metadata file), or from its start if it has none.  They run in the
 * background, as detached INSERTs do ('table.dml-sync'), and
 * weir_resume returns once they run; weir_jobs_wait waits for their end.
 * Each job's end is recorded in the catalog, as for any INSERT.  With
 * exactly-once sinks and replayable sources the results are as if the
 * process had never died (DESIGN section 8).
 *   errmsg: if not NULL, receives the first failure's message (free with
 *           weir_free), or NULL.
 * A job that cannot start (a table it reads is gone, a damaged
 * checkpoint) is marked FAILED and not tried again; the others still
 * start.  Returns WEIR_OK (also when there is nothing to resume), the first
 * failing job's error code, or WEIR_MISUSE (db is NULL).  An engine
 * without a state directory has nothing to resume.
 */
WEIR_API int weir_resume(weir *db, char **errmsg);

/*
 * weir_close -- stop the engine's running jobs, finalize any statements
 * still open on db, and free the engine.  A job of an engine with a state
 * directory stays RUNNING in its catalog and resumes from its newest
 * checkpoint when weir_resume is next called on the directory (as after
 * a crash); one of an in-memory engine is cancelled.  Passing NULL is a
 * no-op.  Returns WEIR_OK.
 */
WEIR_API int weir_close(weir *db);

/*
 * weir_jobs_wait -- wait until every job of the engine that runs in the
 * background (detached INSERTs, resumed jobs) has ended: finished,
 * failed, stopped or cancelled; see SHOW JOBS for how.  A job that never
 * ends (an unbounded source) keeps the caller until STOP JOB / CANCEL JOB
 * from another thread, or weir_interrupt, which makes this return
 * WEIR_INTERRUPT and leaves the jobs running.
 * Returns WEIR_OK, WEIR_INTERRUPT or WEIR_MISUSE (db is NULL).
 */
WEIR_API int weir_jobs_wait(weir *db);

/* weir_jobs_running -- how many of the engine's jobs run now (0 if db is NULL). */
WEIR_API int weir_jobs_running(weir *db);

/*
 * Callback of weir_exec(), called once per result row.
 *   ncol:   number of columns.
 *   values: ncol values rendered as text (NULL pointer for SQL NULL);
 *           TIMESTAMP values as "YYYY-MM-DD HH:MM:SS.sss".
 *   names:  ncol column names.
 *   kind:   the row kind (enum weir_row_kind).
 * Both arrays are valid only during the call.  Returning non-zero stops the
 * statement; weir_exec() then returns WEIR_INTERRUPT.
 */
typedef int (*weir_exec_cb)(void *arg, int ncol, const char *const *values,
                            const char *const *names, int kind);

/*
 * weir_exec -- run every statement in sql (UTF-8, NUL-terminated) in turn.
 *   cb:     called per result row; may be NULL.
 *   errmsg: if not NULL, receives a copy of the error message on failure
 *           (free it with weir_free), or NULL on success.
 * Stops at the first failing statement and returns its code; the message
 * and offset are also kept on db (weir_errmsg, weir_error_offset).
 */
WEIR_API int weir_exec(weir *db, const char *sql, weir_exec_cb cb, void *arg,
                       char **errmsg);

/*
 * weir_prepare -- compile the first statement of sql.
 *   sql, nbyte: the text; nbyte < 0 means NUL-terminated.  The text is
 *               copied; the caller keeps ownership.
 *   out:        receives the statement, or NULL if the text holds only
 *               white space and comments.
 *   tail:       if not NULL, receives a pointer into sql just past the
 *               statement's terminating ';' (or the end).
 * DDL and SET statements take effect when stepped, not when prepared.
 * Returns WEIR_OK, WEIR_ERROR (syntax or semantic error; weir_error_offset
 * gives the byte offset into sql), WEIR_NOMEM or WEIR_MISUSE.
 */
WEIR_API int weir_prepare(weir *db, const char *sql, int nbyte,
                          weir_stmt **out, const char **tail);

/*
 * weir_prepare_from -- like weir_prepare, for running a script statement
 * by statement: compiles the statement that starts at byte offset
 * `offset` of text[0..nbyte) (nbyte < 0: NUL-terminated).  Error offsets
 * (weir_error_offset) and the line and column numbers in error messages
 * refer to text as a whole.  *next receives the offset just past the
 * statement, where the next one starts.  Returns as weir_prepare.
 */
WEIR_API int weir_prepare_from(weir *db, const char *text, int nbyte, int offset,
                               weir_stmt **out, int *next);

/*
 * weir_complete -- 1 if sql (NUL-terminated) ends with a complete
 * statement: a ';' outside of strings, quoted names and comments.  For
 * interactive input, to decide whether to run it or read another line.
 */
WEIR_API int weir_complete(const char *sql);

/*
 * weir_step -- advance a statement.
 * Returns WEIR_ROW when a row is available through weir_column_*, WEIR_DONE
 * when the statement has finished, WEIR_INTERRUPT after weir_interrupt(),
 * or an error code (the job failed; the message is on the engine handle).
 * A continuous SELECT yields its changelog rows as they are produced and
 * finishes when all of its sources are bounded and exhausted.  An INSERT
 * starts a job that the engine owns.  With 'table.dml-sync' true (or
 * 'auto', the default, and only bounded sources) it waits for the job's
 * end and yields one summary row: job, rows_read, rows_written,
 * late_rows_dropped, records_skipped; weir_interrupt cancels the job.
 * Otherwise (an unbounded source, or 'false') it yields one row (job,
 * status RUNNING) as soon as the job runs, and the job goes on in the
 * background: SHOW JOBS, DESCRIBE JOB, STOP JOB, CANCEL JOB, SAVEPOINT
 * JOB and weir_jobs_wait work with it.  STOP JOB ... WITH SAVEPOINT and
 * SAVEPOINT JOB yield the savepoint's directory (column "savepoint
 * path"); CANCEL JOB and STOP JOB without a savepoint yield (job,
 * status).
 */
WEIR_API int weir_step(weir_stmt *stmt);

/* weir_sql -- the text of the statement (as sqlite3_sql): owned by the
 * statement, valid until weir_finalize; NULL if stmt is NULL. */
WEIR_API const char *weir_sql(weir_stmt *stmt);

/* weir_row_kind -- the row kind of the current row (enum weir_row_kind). */
WEIR_API int weir_row_kind(weir_stmt *stmt);

/*
 * weir_stmt_is_updating -- 1 if the statement's result is an updating
 * changelog (rows of kind -U, +U or -D may come, e.g. a GROUP BY without a
 * window), 0 if it is append-only (only +I rows).
 */
WEIR_API int weir_stmt_is_updating(weir_stmt *stmt);

/* weir_column_count -- number of result columns (0 for statements that
 * return none). */
WEIR_API int weir_column_count(weir_stmt *stmt);

/* weir_column_name -- name of result column i (0-based), owned by stmt;
 * NULL if i is out of range. */
WEIR_API const char *weir_column_name(weir_stmt *stmt, int i);

/* weir_column_type -- the SQL type of result column i (enum weir_type), or
 * -1 if i is out of range. */
WEIR_API int weir_column_type(weir_stmt *stmt, int i);

/* weir_column_is_null -- 1 if column i of the current row is SQL NULL. */
WEIR_API int weir_column_is_null(weir_stmt *stmt, int i);

/*
 * weir_column_int64 -- column i of the current row as an integer:
 * BOOLEAN as 0/1, INT and BIGINT as is, TIMESTAMP as milliseconds since
 * the epoch, DATE as days, INTERVAL as milliseconds, DOUBLE truncated
 * toward zero, VARCHAR parsed (0 if not a number), NULL as 0.
 */
WEIR_API int64_t weir_column_int64(weir_stmt *stmt, int i);

/* weir_column_double -- column i as a double (NULL as 0.0). */
WEIR_API double weir_column_double(weir_stmt *stmt, int i);

/*
 * weir_column_text -- column i as UTF-8 text, or NULL for SQL NULL.  The
 * pointer is owned by stmt and valid until the next weir_step or
 * weir_finalize on it.
 */
WEIR_API const char *weir_column_text(weir_stmt *stmt, int i);

/*
 * weir_finalize -- stop the statement's job if it is running, join its
 * work and free everything it holds.  Passing NULL is a no-op.  Returns
 * WEIR_OK.
 */
WEIR_API int weir_finalize(weir_stmt *stmt);

/*
 * weir_interrupt -- ask the statement running on db to stop; its weir_step
 * returns WEIR_INTERRUPT soon after.  Safe from a signal handler.
 */
WEIR_API void weir_interrupt(weir *db);

/* weir_errmsg -- message of the last error on db ("not an error" if none);
 * owned by db, valid until the next call on db. */
WEIR_API const char *weir_errmsg(weir *db);

/* weir_errcode -- code of the last error on db. */
WEIR_API int weir_errcode(weir *db);

/* weir_error_offset -- byte offset into the statement text of the token the
 * last error is about, or -1 when it is not about a token. */
WEIR_API int weir_error_offset(weir *db);

/* weir_errstr -- English description of a result code; static storage. */
WEIR_API const char *weir_errstr(int code);

/* weir_free -- free memory that weir returned to the caller (errmsg). */
WEIR_API void weir_free(void *p);

/* weir_libversion -- the library's version string, e.g. "0.1.0". */
WEIR_API const char *weir_libversion(void);

#ifdef __cplusplus
}
#endif
#endif /* WEIR_H */

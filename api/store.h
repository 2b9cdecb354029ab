/*
 * store.h -- the engine's persistent catalog (api/persist.c).
 */
#ifndef WEIR_API_STORE_H
#define WEIR_API_STORE_H

#include <pthread.h>

#include "util/util.h"

typedef struct sqlite3 sqlite3;

/* The catalog is written by the engine's job threads too: every use of
 * the connection holds mu (the functions below take it). */
typedef struct weir__store {
  sqlite3 *db;
  char *path;
  pthread_mutex_t mu;
  int mu_init;
} weir__store;

/* Open STATE_DIR/catalog.db (created if absent), or an in-memory one when
 * state_dir is NULL.  WEIR_OK, WEIR_NOMEM or WEIR_IOERR. */
int weir__store_open(weir__store *s, const char *state_dir, weir__err *err);
void weir__store_close(weir__store *s);
/* Record a CREATE TABLE or DROP TABLE that succeeded. */
int weir__store_ddl(weir__store *s, const char *sql, weir__err *err);
/* Call fn with every recorded DDL statement in order; stops at the first
 * non-zero return, which it returns. */
int weir__store_each_ddl(weir__store *s, int (*fn)(void *arg, const char *sql), void *arg,
                         weir__err *err);
/* An INSERT job starts (status RUNNING), or ends with status FINISHED,
 * FAILED (failure: the message) or CANCELED. */
int weir__store_job_start(weir__store *s, const char *name, const char *sql, const char *config,
                          weir__err *err);
/* Is there a job of that name (in any status)? */
int weir__store_job_exists(weir__store *s, const char *name);
int weir__store_job_end(weir__store *s, const char *name, const char *status, const char *failure,
                        const int64_t *figures /* records in, out, late; or NULL */,
                        const char *watermark, const char *savepoint /* or NULL */,
                        weir__err *err);
/* Call fn with the columns name, sql, config, status, started_at,
 * ended_at, failure, records_in, records_out, late_rows, uptime,
 * watermark, savepoint of every job (running_only: of the RUNNING ones).
 * fn must not use the store. */
int weir__store_each_job(weir__store *s, int running_only,
                         int (*fn)(void *arg, const char *const *cols), void *arg, weir__err *err);

#endif

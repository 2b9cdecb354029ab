/*
 * apiInt.h -- what the files of api/ share: the engine and statement
 * handles, and the engine's jobs (jobs.c).
 */
#ifndef WEIR_API_INT_H
#define WEIR_API_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "api/store.h"
#include "exec/exec.h"
#include "grammar/ast.h"
#include "planner/planner.h"
#include "util/util.h"

struct weir {
  char *state_dir;
  weir__store store; /* the catalog (in the state directory, or in memory) */
  int replaying;     /* replaying the catalog: do not record again */
  int lock_fd;       /* holds the state directory's lock (-1: none) */
  weir__catalog cat;
  weir__config cfg;
  weir__err err;
  char msgbuf[WEIR_ERRMSG_MAX + 64];
  _Atomic int interrupt; /* set by weir_interrupt, from any thread or a signal handler */
  weir__ptrvec stmts; /* statements not yet finalized */
  int job_seq;
  /* The engine's INSERT jobs that have not been reaped (jobs.c). */
  pthread_mutex_t jobs_mu;
  weir__ptrvec jobs; /* weir__bgjob* */
  /* Where the last statement of a script started: line/column cache. */
  const char *lc_text;
  int lc_off, lc_line, lc_col;
};

enum { ST_READY, ST_RUNNING, ST_DONE, ST_FAILED };

struct weir_stmt {
  weir *db;
  char *sql; /* the statement's text, NUL-terminated */
  int len;
  int base_off, base_line, base_col; /* where it starts in the caller's text */
  weir__arena arena;                /* AST and logical plan */
  weir__ast_stmt *ast;
  int state;
  int ncol;
  char **names;
  int *types;
  /* results materialized at the first step */
  weir__chunk *rows;
  int next_row;
  /* queries and inserts */
  weir__lplan *lplan;
  weir__pplan *plan;
  weir__job *job;
  char job_name[256];
  int detached; /* an INSERT whose job runs on after the statement ('table.dml-sync') */
  /* the current row */
  const weir__chunk *cur;
  int cur_row;
  weir__sb *text; /* per column, for weir_column_text */
};

/* ---- jobs (jobs.c) ---------------------------------------------------------- */

typedef struct weir__bgjob weir__bgjob;

/* Start the job of an INSERT statement that was stepped: its name, its
 * record in the catalog, its own copy of the plan and options, and a
 * thread that runs it (restarting it as the restart strategy says).
 * detached: the statement returns now; else weir__bgjob_wait follows.
 * Errors that keep it from starting (bad name, a file that is missing)
 * are returned here. */
int weir__bgjob_start(weir_stmt *st, int detached, weir__bgjob **out, weir__err *err);
/* Wait for a job started synchronously; weir_interrupt cancels it.  Its
 * figures into fig; WEIR_DONE, WEIR_INTERRUPT or its error.  Frees it. */
int weir__bgjob_wait(weir__bgjob *b, weir__job_stats *fig, weir__err *err);
/* Would an INSERT of this plan run detached ('table.dml-sync')? */
int weir__dml_detached(const weir__config *cfg, const weir__pplan *plan);
/* STOP JOB, CANCEL JOB, SAVEPOINT JOB: a row (the savepoint's path, or
 * the job's end status) into st. */
int weir__job_control(weir_stmt *st, weir__err *err);
/* The live figures of a running job named name into fig: 1, or 0 if no
 * job of that name runs.  ops: when not NULL, a description of each
 * operator appended (for DESCRIBE JOB). */
int weir__bgjob_figures(weir *db, const char *name, weir__job_stats *fig, weir__sb *ops);
/* weir_close: stop every job (those of a state directory stay RUNNING in
 * the catalog, to be resumed) and free them. */
void weir__bgjob_close_all(weir *db);
/* Format a watermark (ms) as a timestamp into buf; "" for none. */
void weir__format_watermark(int64_t wm, char *buf, size_t n);
/* Add a row of text values to a statement's materialized rows. */
int weir__stmt_add_row(weir_stmt *st, const char *const *vals);

#endif

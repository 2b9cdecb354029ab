/*
 * shell.h -- the weir program: script runner, REPL and result rendering.
 * The shell uses only the public API (weir.h).
 */
#ifndef WEIR_SHELL_H
#define WEIR_SHELL_H

#include <signal.h>
#include <stdio.h>

#include "weir.h"

typedef enum { MODE_TABLEAU, MODE_CSV, MODE_LIST } shell_mode;

typedef struct shell {
  weir *db;
  shell_mode mode;
  int interactive;
  const char *source; /* file name for messages, or NULL */
} shell;

/* The engine the SIGINT handler interrupts. */
extern weir *volatile shell_running_db;
extern volatile sig_atomic_t shell_sigint;

/* Run every statement of text[0..n); returns 0, or 1 after printing the
 * first error (stop_on_error) / the number of failed statements. */
int shell_run_text(shell *sh, const char *text, int n, int stop_on_error);

/* Render the rows of a prepared statement as they come; returns the
 * result of the last weir_step (WEIR_DONE on success). */
int shell_render(shell *sh, weir_stmt *st, FILE *out);

/* The interactive loop; returns the exit status. */
int shell_repl(shell *sh, const char *state_dir);

int shell_set_mode(shell *sh, const char *name);
void shell_install_sigint(int during_input);

#endif

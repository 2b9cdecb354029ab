/*
 * main.c -- the weir program.
 *
 *   weir [STATE_DIR]            interactive shell (REPL)
 *   weir -f script.sql [DIR]    run a script; stop at the first error
 *   weir -c "SQL" [DIR]         run statements given on the command line
 *
 * Query results go to standard output; job summaries, errors and notices
 * to standard error.  Exit status: 0 on success, 1 if a statement failed,
 * 2 for bad usage, 130 when interrupted.
 */
#include <errno.h>
#include <stdlib.h>
#include <malloc.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "shell/shell.h"

weir *volatile shell_running_db = NULL;
volatile sig_atomic_t shell_sigint = 0;

static void on_sigint(int sig) {
  (void)sig;
  shell_sigint = 1;
  weir *db = shell_running_db;
  if (db) weir_interrupt(db);
}

void shell_install_sigint(int during_input) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  /* While reading a line, no SA_RESTART: the read returns EINTR and the
   * line being typed is dropped. */
  sa.sa_flags = during_input ? 0 : SA_RESTART;
  sigaction(SIGINT, &sa, NULL);
}

static void usage(FILE *out) {
  fprintf(out,
          "usage: weir [OPTIONS] [STATE_DIR]\n"
          "\n"
          "  weir                     interactive shell (in-memory engine)\n"
          "  weir STATE_DIR           interactive shell on a state directory; jobs that\n"
          "                           were running when weir last died there are\n"
          "                           resumed from their newest checkpoint first\n"
          "  weir -f FILE [STATE_DIR] run the SQL script FILE and exit\n"
          "  weir -c SQL [STATE_DIR]  run the SQL statements and exit\n"
          "\n"
          "options:\n"
          "  -f FILE        run a script ('-' reads standard input)\n"
          "  -c SQL         run statements given as an argument\n"
          "  -m MODE        result format: tableau (default), csv, list\n"
          "  -h, --help     show this help\n"
          "  --version      print the version\n");
}

/* Print a job summary for an INSERT. */
static void report_insert(weir_stmt *st) {
  fprintf(stderr,
          "[INFO] job '%s' finished: %s rows read, %s rows written, %s late rows dropped, "
          "%s malformed records skipped\n",
          weir_column_text(st, 0), weir_column_text(st, 1), weir_column_text(st, 2),
          weir_column_text(st, 3), weir_column_text(st, 4));
}

static int is_insert(weir_stmt *st) {
  return weir_column_count(st) == 5 && strcmp(weir_column_name(st, 0), "job") == 0 &&
         strcmp(weir_column_name(st, 1), "rows_read") == 0;
}

/* An INSERT whose job goes on in the background. */
static int is_detached_insert(weir_stmt *st) {
  const char *sql = weir_sql(st);
  while (sql && (*sql == ' ' || *sql == '\t' || *sql == '\n' || *sql == '\r')) sql++;
  return weir_column_count(st) == 2 && strcmp(weir_column_name(st, 0), "job") == 0 &&
         strcmp(weir_column_name(st, 1), "status") == 0 && sql &&
         (strncasecmp(sql, "INSERT", 6) == 0 || strncasecmp(sql, "CREATE", 6) == 0);
}

static void print_error(shell *sh, weir *db) {
  if (sh->source)
    fprintf(stderr, "Error in %s: %s\n", sh->source, weir_errmsg(db));
  else
    fprintf(stderr, "Error: %s\n", weir_errmsg(db));
}

int shell_run_text(shell *sh, const char *text, int n, int stop_on_error) {
  int off = 0, failures = 0;
  while (off < n) {
    weir_stmt *st = NULL;
    int next;
    int rc = weir_prepare_from(sh->db, text, n, off, &st, &next);
    if (rc != WEIR_OK) {
      print_error(sh, sh->db);
      failures++;
      if (stop_on_error) return 1;
      off = next;
      continue;
    }
    off = next;
    if (!st) continue;
    shell_sigint = 0;
    shell_running_db = sh->db;
    if (is_insert(st)) {
      rc = weir_step(st);
      if (rc == WEIR_ROW) {
        report_insert(st);
        rc = WEIR_DONE;
      }
    } else if (is_detached_insert(st)) {
      rc = weir_step(st);
      if (rc == WEIR_ROW) {
        fprintf(stderr,
                "[INFO] job '%s' is running in the background: SHOW JOBS, DESCRIBE JOB '%s', "
                "STOP JOB '%s' [WITH SAVEPOINT]\n",
                weir_column_text(st, 0), weir_column_text(st, 0), weir_column_text(st, 0));
        rc = WEIR_DONE;
      }
    } else if (weir_column_count(st) > 0) {
      rc = shell_render(sh, st, stdout);
    } else {
      rc = weir_step(st);
    }
    shell_running_db = NULL;
    if (fflush(stdout) != 0 || ferror(stdout)) {
      fprintf(stderr, "Error: cannot write the results to standard output: %s\n",
              strerror(errno));
      weir_finalize(st);
      return 1;
    }
    if (rc == WEIR_INTERRUPT) {
      fprintf(stderr, "[INFO] statement interrupted\n");
      weir_finalize(st);
      if (!sh->interactive) return 130;
      continue;
    }
    if (rc != WEIR_DONE) {
      print_error(sh, sh->db);
      weir_finalize(st);
      failures++;
      if (stop_on_error) return 1;
      continue;
    }
    weir_finalize(st);
  }
  return failures ? 1 : 0;
}

static char *read_all(FILE *f, size_t *len) {
  size_t cap = 65536, n = 0;
  char *buf = malloc(cap + 1);
  if (!buf) return NULL;
  for (;;) {
    size_t r = fread(buf + n, 1, cap - n, f);
    n += r;
    if (n < cap) {
      if (ferror(f)) {
        free(buf);
        return NULL;
      }
      if (feof(f)) break;
      continue;
    }
    cap *= 2;
    char *nb = realloc(buf, cap + 1);
    if (!nb) {
      free(buf);
      return NULL;
    }
    buf = nb;
  }
  buf[n] = 0;
  *len = n;
  return buf;
}

int main(int argc, char **argv) {
  /* glibc grows the malloc arenas of the task threads in small steps, each
   * an mprotect that interrupts every CPU running the process (a TLB
   * shootdown, costly on virtual machines).  Growing by 64 MiB at a time
   * removes most of them: Nexmark q5 at parallelism 2 spends a third less
   * system time.  Padding that is never touched costs no memory.  This is
   * the program's choice; embedders keep their own malloc settings. */
  mallopt(M_TOP_PAD, 64 << 20);
  const char *file = NULL, *command = NULL, *state_dir = NULL, *mode = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      usage(stdout);
      return 0;
    } else if (strcmp(a, "--version") == 0) {
      printf("weir %s\n", weir_libversion());
      return 0;
    } else if ((strcmp(a, "-f") == 0 || strcmp(a, "-c") == 0 || strcmp(a, "-m") == 0)) {
      if (i + 1 >= argc) {
        fprintf(stderr, "weir: option %s needs an argument\n", a);
        usage(stderr);
        return 2;
      }
      if (a[1] == 'f') file = argv[++i];
      else if (a[1] == 'c') command = argv[++i];
      else mode = argv[++i];
    } else if (a[0] == '-' && a[1]) {
      fprintf(stderr, "weir: unknown option '%s'\n", a);
      usage(stderr);
      return 2;
    } else if (!state_dir) {
      state_dir = a;
    } else {
      fprintf(stderr, "weir: unexpected argument '%s'\n", a);
      usage(stderr);
      return 2;
    }
  }
  if (file && command) {
    fprintf(stderr, "weir: use either -f or -c, not both\n");
    return 2;
  }
  shell sh;
  memset(&sh, 0, sizeof sh);
  if (mode && shell_set_mode(&sh, mode)) {
    fprintf(stderr, "weir: unknown mode '%s' (tableau, csv, list)\n", mode);
    return 2;
  }
  if (weir_open(state_dir, &sh.db) != WEIR_OK) {
    fprintf(stderr, "weir: %s\n", weir_errmsg(sh.db));
    weir_close(sh.db);
    return 1;
  }
  int status;
  if (state_dir) {
    /* Jobs that were running when the last engine stopped go on, in the
     * background. */
    shell_install_sigint(0);
    char *msg = NULL;
    int rc = weir_resume(sh.db, &msg);
    if (rc == WEIR_INTERRUPT) {
      weir_close(sh.db);
      return 130;
    }
    /* A job that cannot be resumed is marked FAILED (SHOW JOBS); the
     * session goes on. */
    if (rc != WEIR_OK) fprintf(stderr, "[WARN] %s\n", msg ? msg : weir_errstr(rc));
    weir_free(msg);
  }
  if (file || command) {
    shell_install_sigint(0);
    char *text = NULL;
    size_t len = 0;
    if (file) {
      FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
      if (!f) {
        fprintf(stderr, "weir: cannot open '%s': %s\n", file, strerror(errno));
        weir_close(sh.db);
        return 1;
      }
      text = read_all(f, &len);
      if (f != stdin) fclose(f);
      if (!text) {
        fprintf(stderr, "weir: cannot read '%s'\n", file);
        weir_close(sh.db);
        return 1;
      }
      sh.source = strcmp(file, "-") == 0 ? "<stdin>" : file;
    } else {
      text = strdup(command);
      len = strlen(text);
    }
    status = shell_run_text(&sh, text, (int)len, 1);
    free(text);
    /* A script's background jobs (unbounded sources, resumed jobs) run
     * until they end; Ctrl-C stops waiting, and a state directory's jobs
     * resume when it is opened again. */
    int running = weir_jobs_running(sh.db);
    if (running && status != 130) {
      fprintf(stderr, "[INFO] waiting for %d running job%s to end (Ctrl-C to stop)\n", running,
              running == 1 ? "" : "s");
      shell_sigint = 0;
      shell_running_db = sh.db;
      if (weir_jobs_wait(sh.db) == WEIR_INTERRUPT) status = 130;
      shell_running_db = NULL;
    }
  } else {
    status = shell_repl(&sh, state_dir);
  }
  weir_close(sh.db);
  return status;
}

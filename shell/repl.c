/*
 * repl.c -- the interactive shell: libedit line editing and history
 * (~/.weir_history), multi-line statements that run when they end with
 * ';', dot commands, and Ctrl-C to stop a running query (or drop the
 * line being typed).  Without a terminal it reads statements from
 * standard input silently, as sqlite3 does.
 */
#include <errno.h>
#include <histedit.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shell/shell.h"

static const char *const help_text =
    "Enter SQL statements ending with ';'.  A statement may span lines.\n"
    "\n"
    ".help            this text\n"
    ".quit, .exit     leave (Ctrl-D also)\n"
    ".tables          list tables (SHOW TABLES)\n"
    ".mode MODE       result format: tableau, csv, list\n"
    ".read FILE       run the statements in FILE\n"
    "\n"
    "Ctrl-C stops a running query.  Examples:\n"
    "  CREATE TABLE t (...) WITH ('connector' = 'file', 'path' = 'x.csv', 'format' = 'csv');\n"
    "  SELECT * FROM t LIMIT 10;\n"
    "  EXPLAIN SELECT ...;\n";

static int continuation;

static char *prompt_fn(EditLine *el) {
  (void)el;
  return continuation ? "   ...> " : "weir> ";
}

/* Run a dot command; returns 1 to quit. */
static int dot_command(shell *sh, char *line) {
  char *cmd = strtok(line, " \t\r\n");
  char *arg = strtok(NULL, " \t\r\n");
  if (!cmd) return 0;
  if (strcmp(cmd, ".quit") == 0 || strcmp(cmd, ".exit") == 0 || strcmp(cmd, ".q") == 0) return 1;
  if (strcmp(cmd, ".help") == 0) {
    fputs(help_text, stdout);
  } else if (strcmp(cmd, ".tables") == 0) {
    shell_run_text(sh, "SHOW TABLES;", 12, 0);
  } else if (strcmp(cmd, ".mode") == 0) {
    if (!arg)
      printf("current mode: %s\n", sh->mode == MODE_TABLEAU ? "tableau"
                                   : sh->mode == MODE_CSV   ? "csv"
                                                            : "list");
    else if (shell_set_mode(sh, arg))
      fprintf(stderr, "Error: unknown mode '%s' (tableau, csv, list)\n", arg);
  } else if (strcmp(cmd, ".read") == 0) {
    if (!arg) {
      fprintf(stderr, "Error: .read needs a file name\n");
      return 0;
    }
    FILE *f = fopen(arg, "rb");
    if (!f) {
      fprintf(stderr, "Error: cannot open '%s': %s\n", arg, strerror(errno));
      return 0;
    }
    char *text = NULL;
    size_t cap = 0, n = 0;
    char chunk[65536];
    size_t r;
    while ((r = fread(chunk, 1, sizeof chunk, f)) > 0) {
      if (n + r + 1 > cap) {
        cap = (n + r + 1) * 2;
        char *nt = realloc(text, cap);
        if (!nt) break;
        text = nt;
      }
      memcpy(text + n, chunk, r);
      n += r;
    }
    fclose(f);
    if (text) {
      const char *saved = sh->source;
      sh->source = arg;
      shell_run_text(sh, text, (int)n, 1);
      sh->source = saved;
      free(text);
    }
  } else {
    fprintf(stderr, "Error: unknown command '%s'; try .help\n", cmd);
  }
  return 0;
}

static void append(char **buf, size_t *len, size_t *cap, const char *s) {
  size_t n = strlen(s);
  if (*len + n + 2 > *cap) {
    *cap = (*len + n + 2) * 2;
    char *nb = realloc(*buf, *cap);
    if (!nb) return;
    *buf = nb;
  }
  memcpy(*buf + *len, s, n);
  *len += n;
  (*buf)[*len] = 0;
}

/* Is the text only blanks? */
static int blank(const char *s) {
  for (; *s; s++) {
    if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n') return 0;
  }
  return 1;
}

int shell_repl(shell *sh, const char *state_dir) {
  sh->interactive = isatty(0) && isatty(1);
  EditLine *el = NULL;
  History *hist = NULL;
  HistEvent ev;
  char histfile[4096] = "";
  if (sh->interactive) {
    el = el_init("weir", stdin, stdout, stderr);
    hist = history_init();
    history(hist, &ev, H_SETSIZE, 1000);
    history(hist, &ev, H_SETUNIQUE, 1);
    el_set(el, EL_PROMPT, prompt_fn);
    el_set(el, EL_EDITOR, "emacs");
    el_set(el, EL_HIST, history, hist);
    const char *home = getenv("HOME");
    if (home) {
      snprintf(histfile, sizeof histfile, "%s/.weir_history", home);
      history(hist, &ev, H_LOAD, histfile);
    }
    printf("weir %s -- streaming SQL.  Enter .help for help, .quit to leave.\n",
           weir_libversion());
    if (state_dir) printf("State directory: %s\n", state_dir);
  }
  char *buf = NULL;
  size_t len = 0, cap = 0;
  int status = 0;
  char line_buf[65536];
  for (;;) {
    continuation = len > 0 && !blank(buf);
    const char *line;
    if (sh->interactive) {
      shell_install_sigint(1);
      shell_sigint = 0;
      int count = 0;
      line = el_gets(el, &count);
      if (!line && count < 0 && shell_sigint) {
        /* Ctrl-C while typing: drop the statement being entered. */
        fputs("^C\n", stdout);
        len = 0;
        if (buf) buf[0] = 0;
        el_reset(el);
        continue;
      }
      shell_install_sigint(0);
    } else {
      line = fgets(line_buf, sizeof line_buf, stdin);
    }
    if (!line) break;
    if (!continuation) {
      const char *p = line;
      while (*p == ' ' || *p == '\t') p++;
      if (*p == '.') {
        char *copy = strdup(p);
        copy[strcspn(copy, "\r\n")] = 0;
        if (sh->interactive) history(hist, &ev, H_ENTER, copy);
        int quit = dot_command(sh, copy);
        free(copy);
        if (quit) break;
        continue;
      }
    }
    append(&buf, &len, &cap, line);
    if (!buf) break;
    if (weir_complete(buf)) {
      if (sh->interactive) {
        /* History keeps the statement as one line. */
        char *h = strdup(buf);
        for (char *q = h; *q; q++)
          if (*q == '\n') *q = ' ';
        size_t hl = strlen(h);
        while (hl && (h[hl - 1] == ' ')) h[--hl] = 0;
        history(hist, &ev, H_ENTER, h);
        free(h);
      }
      if (shell_run_text(sh, buf, (int)len, 0)) status = 1;
      len = 0;
      buf[0] = 0;
    }
  }
  if (buf && !blank(buf)) {
    if (shell_run_text(sh, buf, (int)len, 0)) status = 1;
  }
  free(buf);
  if (sh->interactive) {
    if (histfile[0]) history(hist, &ev, H_SAVE, histfile);
    history_end(hist);
    el_end(el);
    fputc('\n', stdout);
  }
  /* In a pipe, the exit status tells whether every statement succeeded. */
  return sh->interactive ? 0 : status;
}

/*
 * print.c -- the print sink: writes every row with its row kind to
 * standard output (or standard error), as Flink's print connector does:
 * "+I[LAS, 2001-01-01 00:00:00.000, 12]", prefixed by 'print-identifier'.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "exec/execInt.h"

static const weir__opt_spec print_opts[] = {{"connector", OPT_STRING, 1, NULL, NULL},
                                            {"print-identifier", OPT_STRING, 0, NULL, NULL},
                                            {"standard-error", OPT_BOOL, 0, NULL, "false"},
                                            {NULL, 0, 0, NULL, NULL}};

static const char *const kind_names[] = {"+I", "-U", "+U", "-D"};

typedef struct print_sink {
  weir__op base;
  FILE *out;
  const char *ident;
  weir__sb line;
} print_sink;

static int print_open(weir__op *op) {
  print_sink *p = (print_sink *)op;
  const weir__table *t = op->plan->table;
  p->out = weir__opt_bool(t, print_opts, "standard-error") ? stderr : stdout;
  p->ident = weir__table_option(t, "print-identifier");
  weir__sb_init(&p->line);
  return WEIR_OK;
}

static int print_push(weir__op *op, int port, weir__chunk *c) {
  print_sink *p = (print_sink *)op;
  for (int r = 0; r < c->n; r++) {
    weir__sb_reset(&p->line);
    if (p->ident) weir__sb_printf(&p->line, "%s> ", p->ident);
    weir__sb_puts(&p->line, kind_names[c->kind ? c->kind[r] & 3 : 0]);
    weir__sb_putc(&p->line, '[');
    for (int j = 0; j < c->ncol; j++) {
      weir__value v;
      weir__chunk_get(c, j, r, &v);
      if (j) weir__sb_puts(&p->line, ", ");
      weir__value_format(&v, &p->line);
    }
    weir__sb_puts(&p->line, "]\n");
    if (p->line.oom) return weir__err_nomem(op->err);
    if (fwrite(p->line.p, 1, p->line.n, p->out) != p->line.n)
      return weir__op_fail(op, WEIR_IOERR, "print sink: cannot write to %s",
                           p->out == stderr ? "standard error" : "standard output");
  }
  if (fflush(p->out) != 0)
    return weir__op_fail(op, WEIR_IOERR, "print sink: cannot write to %s: %s",
                         p->out == stderr ? "standard error" : "standard output", strerror(errno));
  return WEIR_OK;
}

static void print_close(weir__op *op) {
  print_sink *p = (print_sink *)op;
  if (p->out) fflush(p->out);
  weir__sb_free(&p->line);
}

static const weir__op_vtab print_vtab = {.name = "PrintSink",
                                         .size = sizeof(print_sink),
                                         .open = print_open,
                                         .push = print_push,
                                         .close = print_close};

const weir__connector weir__connector_print = {
    .name = "print",
    .caps = WEIR_CAP_SINK | WEIR_CAP_SINK_UPDATES,
    .opts = print_opts,
    .sink = &print_vtab,
};

/*
 * blackhole.c -- the blackhole sink: accepts and discards every row (the
 * runtime counts them), the sink for measuring the engine alone.
 */
#include "exec/execInt.h"

static const weir__opt_spec blackhole_opts[] = {{"connector", OPT_STRING, 1, NULL, NULL},
                                                {NULL, 0, 0, NULL, NULL}};

static int blackhole_push(weir__op *op, int port, weir__chunk *c) { return WEIR_OK; }

static const weir__op_vtab blackhole_vtab = {
    .name = "BlackholeSink", .size = sizeof(weir__op), .push = blackhole_push};

const weir__connector weir__connector_blackhole = {
    .name = "blackhole",
    .caps = WEIR_CAP_SINK | WEIR_CAP_SINK_UPDATES | WEIR_CAP_SINK_PARALLEL,
    .opts = blackhole_opts,
    .sink = &blackhole_vtab,
};

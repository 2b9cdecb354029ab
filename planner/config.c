/*
 * config.c -- the session's configuration: the keys SET accepts, their
 * defaults and validation.  Unknown keys are rejected so that a typo in a
 * SET statement is reported instead of silently ignored.
 */
#include <stdlib.h>
#include <strings.h>
#include <unistd.h>

#include "planner/planner.h"

typedef enum { V_STRING, V_INT_POS, V_DURATION, V_ENUM, V_NUMBER, V_SIZE } value_kind;

static const struct {
  const char *key;
  value_kind kind;
  const char *def;
  const char *choices; /* V_ENUM: '|'-separated */
  const char *help;
} known[] = {
    {"parallelism.default", V_INT_POS, "", NULL,
     "subtasks per operator (default: the number of CPUs)"},
    {"pipeline.max-parallelism", V_INT_POS, "128", NULL,
     "number of key groups, the most subtasks a keyed operator can have"},
    {"execution.buffer-timeout", V_DURATION, "10 ms", NULL,
     "longest time a partly filled chunk waits before it is sent on"},
    {"execution.checkpointing.interval", V_DURATION, "0 ms", NULL,
     "time between checkpoints of a job (0: no checkpoints)"},
    {"execution.checkpointing.mode", V_ENUM, "EXACTLY_ONCE", "EXACTLY_ONCE|AT_LEAST_ONCE",
     "EXACTLY_ONCE aligns barriers at operators with several inputs; AT_LEAST_ONCE does not"},
    {"execution.checkpointing.unaligned", V_ENUM, "false", "true|false",
     "true: barriers overtake the chunks queued between tasks, which are kept with the "
     "checkpoint (savepoints stay aligned)"},
    {"execution.checkpointing.timeout", V_DURATION, "10 min", NULL,
     "a checkpoint not complete after this long is abandoned"},
    {"execution.checkpointing.num-retained", V_INT_POS, "1", NULL,
     "completed checkpoints kept per job"},
    {"restart-strategy.type", V_ENUM, "", "none|fixed-delay|exponential-delay",
     "what a failed job does (default: exponential-delay with checkpoints, else none)"},
    {"restart-strategy.fixed-delay.attempts", V_INT_POS, "1", NULL,
     "restarts before a fixed-delay job fails for good"},
    {"restart-strategy.fixed-delay.delay", V_DURATION, "1 s", NULL, "wait before each restart"},
    {"restart-strategy.exponential-delay.initial-backoff", V_DURATION, "1 s", NULL,
     "wait before the first restart"},
    {"restart-strategy.exponential-delay.max-backoff", V_DURATION, "1 min", NULL,
     "longest wait between restarts"},
    {"restart-strategy.exponential-delay.backoff-multiplier", V_NUMBER, "2", NULL,
     "each wait is this many times the one before"},
    {"restart-strategy.exponential-delay.attempts-before-reset-backoff", V_INT_POS, "10", NULL,
     "restarts before an exponential-delay job fails for good"},
    {"execution.savepoint.path", V_STRING, "", NULL,
     "a savepoint or completed checkpoint (its chk-<n> directory) that the next jobs start from"},
    {"state.checkpoints.dir", V_STRING, "", NULL,
     "directory of checkpoints (default: 'checkpoints' in the engine's state directory)"},
    {"state.savepoints.dir", V_STRING, "", NULL,
     "directory of savepoints (default: 'savepoints' in the engine's state directory)"},
    {"table.dml-sync", V_ENUM, "auto", "auto|true|false",
     "true: INSERT returns when its job ends; false: it returns once the job runs (in the "
     "background, SHOW JOBS, STOP JOB); auto: true when every source is bounded"},
    {"pipeline.name", V_STRING, "", NULL,
     "name of the job started by the next INSERT (default: insert-N)"},
    {"table.exec.source.idle-timeout", V_DURATION, "0 ms", NULL,
     "a source subtask that emits nothing for this long is idle and left out of the "
     "watermark (0: never); a table's 'scan.idle-timeout' overrides it"},
    {"table.exec.source.max-rows-per-chunk", V_INT_POS, "1024", NULL,
     "most rows a source puts in one chunk (1..1024)"},
    {"state.backend", V_ENUM, "hashmap", "hashmap|rocksdb",
     "where keyed state lives: hashmap (memory) or rocksdb (disk, with a cache of hot keys; "
     "state larger than memory)"},
    {"state.backend.rocksdb.memory.managed-size", V_SIZE, "256 mb", NULL,
     "memory of a job's RocksDB state: half for the hot-key caches, a quarter each for "
     "memtables and the block cache"},
    {"state.backend.rocksdb.localdir", V_STRING, "", NULL,
     "directory of the RocksDB working files (default: 'rocksdb' in the engine's state "
     "directory, else $TMPDIR)"},
    {"execution.checkpointing.incremental", V_ENUM, "true", "true|false",
     "rocksdb: a checkpoint stores only the files new since the last one (false: every "
     "checkpoint is a full copy in the canonical format)"},
    {"table.exec.state.ttl", V_DURATION, "0 ms", NULL,
     "a key of a GROUP BY without a window that sees no row for this long is forgotten "
     "(0: never)"},
};

/* A size such as '64 mb', '1gb', '4096' (bytes) in bytes; -1 if malformed. */
static int64_t parse_size(const char *s) {
  char *end;
  double v = strtod(s, &end);
  if (end == s || !(v >= 0)) return -1;
  while (*end == ' ') end++;
  double mult = 1;
  if (!*end || !strcasecmp(end, "b") || !strcasecmp(end, "bytes")) mult = 1;
  else if (!strcasecmp(end, "kb") || !strcasecmp(end, "k")) mult = 1024.0;
  else if (!strcasecmp(end, "mb") || !strcasecmp(end, "m")) mult = 1024.0 * 1024;
  else if (!strcasecmp(end, "gb") || !strcasecmp(end, "g")) mult = 1024.0 * 1024 * 1024;
  else return -1;
  v *= mult;
  return v > 9.0e18 ? -1 : (int64_t)v;
}

int weir__config_known(int i, const char **key, const char **def, const char **help) {
  if (i < 0 || i >= WEIR_ARRAY_LEN(known)) return 0;
  *key = known[i].key;
  *def = known[i].def;
  *help = known[i].help;
  return 1;
}

static int find_known(const char *key) {
  for (int i = 0; i < WEIR_ARRAY_LEN(known); i++) {
    if (strcmp(known[i].key, key) == 0) return i;
  }
  return -1;
}

static int validate(int k, const char *value, weir__err *err) {
  int64_t v;
  switch (known[k].kind) {
  case V_STRING: return WEIR_OK;
  case V_INT_POS:
    if (weir__parse_int64(value, strlen(value), &v) || v < 1)
      return weir__err_set(err, WEIR_ERROR, -1, "option '%s' needs a positive integer, got '%s'",
                           known[k].key, value);
    if (strcmp(known[k].key, "table.exec.source.max-rows-per-chunk") == 0 && v > 1024)
      return weir__err_set(err, WEIR_ERROR, -1, "option '%s' must be at most 1024, got '%s'",
                           known[k].key, value);
    if (strcmp(known[k].key, "parallelism.default") == 0 && v > 256)
      return weir__err_set(err, WEIR_ERROR, -1, "option '%s' must be at most 256, got '%s'",
                           known[k].key, value);
    if (strcmp(known[k].key, "pipeline.max-parallelism") == 0 && v > 32768)
      return weir__err_set(err, WEIR_ERROR, -1, "option '%s' must be at most 32768, got '%s'",
                           known[k].key, value);
    return WEIR_OK;
  case V_DURATION:
    if (weir__parse_duration(value, &v))
      return weir__err_set(err, WEIR_ERROR, -1,
                           "option '%s' needs a duration such as '10 s' or '200 ms', got '%s'",
                           known[k].key, value);
    return WEIR_OK;
  case V_SIZE:
    v = parse_size(value);
    if (v < (1 << 20))
      return weir__err_set(err, WEIR_ERROR, -1,
                           "option '%s' needs a size of at least 1 mb such as '64 mb' or '1 gb', "
                           "got '%s'",
                           known[k].key, value);
    return WEIR_OK;
  case V_NUMBER: {
    char *end;
    double d = strtod(value, &end);
    if (end == value || *end || !(d >= 1.0))
      return weir__err_set(err, WEIR_ERROR, -1, "option '%s' needs a number of at least 1, got '%s'",
                           known[k].key, value);
    return WEIR_OK;
  }
  case V_ENUM: {
    const char *c = known[k].choices;
    size_t n = strlen(value);
    while (*c) {
      const char *bar = strchr(c, '|');
      size_t len = bar ? (size_t)(bar - c) : strlen(c);
      if (len == n && strncasecmp(c, value, n) == 0) return WEIR_OK;
      c += len + (bar ? 1 : 0);
    }
    return weir__err_set(err, WEIR_ERROR, -1, "option '%s' must be one of %s, got '%s'",
                         known[k].key, known[k].choices, value);
  }
  }
  return WEIR_OK;
}

int weir__config_set(weir__config *c, const char *key, const char *value, weir__err *err) {
  int k = find_known(key);
  if (k < 0) {
    weir__sb sb;
    weir__sb_init(&sb);
    for (int i = 0; i < WEIR_ARRAY_LEN(known); i++) {
      weir__sb_printf(&sb, "%s'%s'", i ? ", " : "", known[i].key);
    }
    weir__err_set(err, WEIR_ERROR, -1, "unknown configuration option '%s'; known options: %s", key,
                  weir__sb_str(&sb));
    weir__sb_free(&sb);
    return WEIR_ERROR;
  }
  if (validate(k, value, err)) return err->code;
  for (int i = 0; i < c->n; i++) {
    if (strcmp(c->keys[i], key) == 0) {
      char *v = weir__strdup(value);
      if (!v) return weir__err_nomem(err);
      weir__free(c->values[i]);
      c->values[i] = v;
      return WEIR_OK;
    }
  }
  if (c->n == c->cap) {
    int cap = c->cap ? c->cap * 2 : 8;
    char **nk = weir__realloc(c->keys, sizeof(char *) * (size_t)cap);
    if (!nk) return weir__err_nomem(err);
    c->keys = nk;
    char **nv = weir__realloc(c->values, sizeof(char *) * (size_t)cap);
    if (!nv) return weir__err_nomem(err);
    c->values = nv;
    c->cap = cap;
  }
  char *k2 = weir__strdup(key), *v2 = weir__strdup(value);
  if (!k2 || !v2) {
    weir__free(k2);
    weir__free(v2);
    return weir__err_nomem(err);
  }
  c->keys[c->n] = k2;
  c->values[c->n] = v2;
  c->n++;
  return WEIR_OK;
}

int weir__config_reset(weir__config *c, const char *key, weir__err *err) {
  if (!key) {
    for (int i = 0; i < c->n; i++) {
      weir__free(c->keys[i]);
      weir__free(c->values[i]);
    }
    c->n = 0;
    return WEIR_OK;
  }
  if (find_known(key) < 0)
    return weir__err_set(err, WEIR_ERROR, -1, "unknown configuration option '%s'", key);
  for (int i = 0; i < c->n; i++) {
    if (strcmp(c->keys[i], key) == 0) {
      weir__free(c->keys[i]);
      weir__free(c->values[i]);
      memmove(c->keys + i, c->keys + i + 1, sizeof(char *) * (size_t)(c->n - i - 1));
      memmove(c->values + i, c->values + i + 1, sizeof(char *) * (size_t)(c->n - i - 1));
      c->n--;
      break;
    }
  }
  return WEIR_OK;
}

const char *weir__config_get(const weir__config *c, const char *key) {
  for (int i = 0; c && i < c->n; i++) {
    if (strcmp(c->keys[i], key) == 0) return c->values[i];
  }
  if (strcmp(key, "parallelism.default") == 0) {
    /* The number of CPUs, as text that lives as long as the program. */
    static const char *const small[] = {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10",
                                        "11", "12", "13", "14", "15", "16"};
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1) n = 1;
    if (n > 16) n = 16;
    return small[n - 1];
  }
  int k = find_known(key);
  return k >= 0 ? known[k].def : NULL;
}

int64_t weir__config_get_int(const weir__config *c, const char *key) {
  const char *v = weir__config_get(c, key);
  int64_t r = 0;
  int k = find_known(key);
  if (v && k >= 0 && known[k].kind == V_DURATION)
    weir__parse_duration(v, &r);
  else if (v && k >= 0 && known[k].kind == V_SIZE)
    r = parse_size(v);
  else if (v)
    weir__parse_int64(v, strlen(v), &r);
  return r;
}

void weir__config_free(weir__config *c) {
  weir__config_reset(c, NULL, NULL);
  weir__free(c->keys);
  weir__free(c->values);
  memset(c, 0, sizeof *c);
}

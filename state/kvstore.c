/*
 * kvstore.c -- the RocksDB store under the `rocksdb` state backend: one
 * database per operator subtask in a local working directory, written in
 * batches with the write-ahead log off (a checkpoint, not the log, makes
 * state durable), memory bounded by a block cache and memtable sizes the
 * caller gives.
 *
 * Native snapshots (incremental checkpoints, as Flink's RocksDB backend):
 * RocksDB's checkpoint flushes the memtables and hard-links the live SST
 * files into a new directory.  SST files never change once written, so a
 * snapshot moves each one into the shared directory the first time it
 * appears (a hard link; a copy across file systems) and afterwards only
 * names it: a checkpoint stores just the SST files that are new since the
 * one before.  The small mutable files (MANIFEST, CURRENT, OPTIONS) go
 * into the snapshot itself.  Restoring links the shared files back under
 * their local names.
 *
 * Entry points: weir__kv_open/_close, _get, _put, _delete_range, _write,
 * weir__kv_iter_*, weir__kv_snapshot, weir__kv_manifest_*,
 * weir__kv_materialize.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rocksdb/c.h>

#include "state/state.h"

/* Local SST name -> shared name, of files already in shared storage. */
typedef struct sst_map {
  char *local, *shared;
} sst_map;

struct weir__kv {
  rocksdb_t *db;
  rocksdb_options_t *opts;
  rocksdb_block_based_table_options_t *topts;
  rocksdb_cache_t *cache;
  rocksdb_filterpolicy_t *filter;
  rocksdb_readoptions_t *ropts;
  rocksdb_writeoptions_t *wopts;
  rocksdb_writebatch_t *batch;
  rocksdb_compactionfilter_t *ttl_filter;
  int64_t ttl_ms;
  size_t ttl_offset;
  size_t batch_limit; /* bytes: a batch is written once it holds this many */
  char *dir;
  char id[17]; /* random, names this instance's files in shared storage */
  sst_map *map;
  int nmap, mapcap;
};

/* ---- errors and fault injection ------------------------------------------------------ */

/* RocksDB's message as a weir error: "Corruption: ..." is WEIR_CORRUPT,
 * the rest (I/O errors, a full disk) WEIR_IOERR.  Frees msg. */
static int kv_error(weir__err *err, char *msg, const char *what, const char *dir) {
  int code = strncmp(msg, "Corruption", 10) == 0 ? WEIR_CORRUPT : WEIR_IOERR;
  weir__err_set(err, code, -1, "RocksDB state in '%s': %s: %s", dir, what, msg);
  rocksdb_free(msg);
  return code;
}

static _Atomic long kv_writes;

/* WEIR_FAIL_KV_WRITE_AFTER = N > 0: the N-th batch write of the process
 * and every later one fail as a full disk would; with
 * WEIR_FAIL_KV_WRITE_COUNT = K only K of them (a transient fault). */
static int kv_injected_failure(void) {
  return weir__fault_injected("WEIR_FAIL_KV_WRITE_AFTER", "WEIR_FAIL_KV_WRITE_COUNT", &kv_writes);
}

void weir__kv_reset_fault_injection(void) { atomic_store(&kv_writes, 0); }

/* ---- open and close ------------------------------------------------------------------ */

static void random_id(char out[17]) {
  uint64_t v = 0;
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0 || read(fd, &v, sizeof v) != (ssize_t)sizeof v)
    v = (uint64_t)getpid() * 0x9E3779B97F4A7C15ULL ^ (uint64_t)(uintptr_t)out;
  if (fd >= 0) close(fd);
  snprintf(out, 17, "%016llx", (unsigned long long)v);
}

/* State TTL: compactions drop values whose last-access time (wall clock,
 * ms, little-endian at ttl_offset) is older than the TTL, as Flink's
 * RocksDB TTL compaction filter does.  Reads check the time themselves:
 * an expired value not yet compacted away is never used. */
static unsigned char ttl_filter(void *state, int level, const char *key, size_t key_length,
                                const char *value, size_t value_length, char **new_value,
                                size_t *new_value_length, unsigned char *value_changed) {
  const weir__kv *kv = state;
  /* Map and list state has no access time. */
  if (key_length > 2 && ((uint8_t)key[2] & WEIR_KSTATE_COLLECTION)) return 0;
  if (value_length < kv->ttl_offset + 8) return 0;
  int64_t t = 0;
  for (int i = 7; i >= 0; i--) t = (t << 8) | (uint8_t)value[kv->ttl_offset + (size_t)i];
  return weir__wall_ms() - t > kv->ttl_ms;
}

static const char *ttl_filter_name(void *state) { return "weir.ttl"; }

/* List state: a list is its elements' bytes back to back, so appending is
 * concatenating (RocksDB merges the operands of a key on reads and in
 * compactions, as Flink's list state does with a string-append operator). */
static char *concat(const char *first, size_t first_len, const char *const *ops,
                    const size_t *op_lens, int nops, unsigned char *success, size_t *len) {
  size_t n = first_len;
  for (int i = 0; i < nops; i++) n += op_lens[i];
  char *out = malloc(n ? n : 1);
  *success = out != NULL;
  if (!out) return NULL;
  if (first_len) memcpy(out, first, first_len);
  for (int i = 0; i < nops; i++) {
    memcpy(out + first_len, ops[i], op_lens[i]);
    first_len += op_lens[i];
  }
  *len = n;
  return out;
}

static char *list_full_merge(void *state, const char *key, size_t key_length, const char *existing,
                             size_t existing_length, const char *const *ops, const size_t *op_lens,
                             int nops, unsigned char *success, size_t *len) {
  return concat(existing, existing ? existing_length : 0, ops, op_lens, nops, success, len);
}

static char *list_partial_merge(void *state, const char *key, size_t key_length,
                                const char *const *ops, const size_t *op_lens, int nops,
                                unsigned char *success, size_t *len) {
  return concat(NULL, 0, ops, op_lens, nops, success, len);
}

static void list_merge_free(void *state, const char *value, size_t value_length) {
  free((void *)value);
}

static const char *list_merge_name(void *state) { return "weir.list-append"; }

static void list_merge_destroy(void *state) {}

static void ttl_filter_destroy(void *state) {} /* the state is the store, freed by kv_free */

int64_t weir__wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void kv_free(weir__kv *kv) {
  if (kv->db) rocksdb_close(kv->db);
  if (kv->ttl_filter) rocksdb_compactionfilter_destroy(kv->ttl_filter);
  if (kv->batch) rocksdb_writebatch_destroy(kv->batch);
  if (kv->ropts) rocksdb_readoptions_destroy(kv->ropts);
  if (kv->wopts) rocksdb_writeoptions_destroy(kv->wopts);
  if (kv->opts) rocksdb_options_destroy(kv->opts);
  if (kv->topts) rocksdb_block_based_options_destroy(kv->topts); /* owns the filter */
  if (kv->cache) rocksdb_cache_destroy(kv->cache);
  for (int i = 0; i < kv->nmap; i++) {
    weir__free(kv->map[i].local);
    weir__free(kv->map[i].shared);
  }
  weir__free(kv->map);
  weir__free(kv->dir);
  weir__free(kv);
}

int weir__kv_open(weir__kv **out, const char *dir, const weir__kv_opts *o, int mode,
                  weir__err *err) {
  *out = NULL;
  weir__kv *kv = weir__calloc(1, sizeof *kv);
  if (!kv || !(kv->dir = weir__strdup(dir))) {
    weir__free(kv);
    return weir__err_nomem(err);
  }
  random_id(kv->id);
  if (mode == WEIR_KV_FRESH && weir__remove_tree(dir) != 0)
    return kv_free(kv),
           weir__err_set(err, WEIR_IOERR, -1, "cannot clear '%s': %s", dir, strerror(errno));
  kv->opts = rocksdb_options_create();
  kv->topts = rocksdb_block_based_options_create();
  kv->ropts = rocksdb_readoptions_create();
  kv->wopts = rocksdb_writeoptions_create();
  kv->batch = rocksdb_writebatch_create();
  size_t cache = o->block_cache_bytes ? o->block_cache_bytes : 8u << 20;
  kv->cache = rocksdb_cache_create_lru(cache);
  /* Index and filter blocks live in the block cache, so the cache's size
   * bounds them too; a Bloom filter makes a lookup of an absent key
   * (every key the first time it is seen) cost no disk read.  Both are
   * partitioned (a two-level index): a lookup loads one small partition,
   * not a file's whole filter, which a small cache would evict and read
   * again on every lookup.  The top levels stay pinned. */
  rocksdb_block_based_options_set_block_cache(kv->topts, kv->cache);
  rocksdb_block_based_options_set_cache_index_and_filter_blocks(kv->topts, 1);
  rocksdb_block_based_options_set_cache_index_and_filter_blocks_with_high_priority(kv->topts, 1);
  rocksdb_block_based_options_set_pin_l0_filter_and_index_blocks_in_cache(kv->topts, 1);
  rocksdb_block_based_options_set_pin_top_level_index_and_filter(kv->topts, 1);
  rocksdb_block_based_options_set_index_type(
      kv->topts, rocksdb_block_based_table_index_type_two_level_index_search);
  rocksdb_block_based_options_set_partition_filters(kv->topts, 1);
  rocksdb_block_based_options_set_metadata_block_size(kv->topts, 4096);
  kv->filter = rocksdb_filterpolicy_create_bloom_full(10);
  rocksdb_block_based_options_set_filter_policy(kv->topts, kv->filter);
  rocksdb_options_set_block_based_table_factory(kv->opts, kv->topts);
  size_t mem = o->memtable_bytes ? o->memtable_bytes : 16u << 20;
  if (mem < (2u << 20)) mem = 2u << 20;
  rocksdb_options_set_write_buffer_size(kv->opts, mem / 2);
  kv->batch_limit = mem / 8 < (64u << 10) ? 64u << 10 : mem / 8 > (4u << 20) ? 4u << 20 : mem / 8;
  rocksdb_options_set_max_write_buffer_number(kv->opts, 2);
  rocksdb_options_set_db_write_buffer_size(kv->opts, mem);
  rocksdb_options_set_create_if_missing(kv->opts, mode != WEIR_KV_READ_ONLY);
  rocksdb_options_set_compression(kv->opts, rocksdb_lz4_compression);
  rocksdb_options_set_max_background_jobs(kv->opts, 2);
  rocksdb_options_set_max_open_files(kv->opts, 256);
  rocksdb_options_set_level_compaction_dynamic_level_bytes(kv->opts, 1);
  rocksdb_options_set_info_log_level(kv->opts, 4); /* errors only, in its LOG file */
  rocksdb_options_set_keep_log_file_num(kv->opts, 1);
  /* Every snapshot carries the MANIFEST by value: roll it over at 4 MB
   * (RocksDB's default lets it grow to 1 GB). */
  rocksdb_options_set_max_manifest_file_size(kv->opts, 4u << 20);
  rocksdb_writeoptions_disable_WAL(kv->wopts, 1);
  /* Owned by the options from here. */
  rocksdb_options_set_merge_operator(
      kv->opts, rocksdb_mergeoperator_create(NULL, list_merge_destroy, list_full_merge,
                                             list_partial_merge, list_merge_free, list_merge_name));
  if (o->ttl_ms > 0) {
    kv->ttl_ms = o->ttl_ms;
    kv->ttl_offset = o->ttl_offset;
    kv->ttl_filter =
        rocksdb_compactionfilter_create(kv, ttl_filter_destroy, ttl_filter, ttl_filter_name);
    rocksdb_options_set_compaction_filter(kv->opts, kv->ttl_filter);
  }
  char *e = NULL;
  if (mode == WEIR_KV_READ_ONLY)
    kv->db = rocksdb_open_for_read_only(kv->opts, dir, 0, &e);
  else
    kv->db = rocksdb_open(kv->opts, dir, &e);
  if (e) {
    int rc = kv_error(err, e, "cannot open", dir);
    kv->db = NULL;
    kv_free(kv);
    return rc;
  }
  *out = kv;
  return WEIR_OK;
}

int weir__kv_compact(weir__kv *kv, weir__err *err) {
  int rc = weir__kv_write(kv, err);
  if (rc) return rc;
  char *e = NULL;
  rocksdb_flushoptions_t *fo = rocksdb_flushoptions_create();
  rocksdb_flushoptions_set_wait(fo, 1);
  rocksdb_flush(kv->db, fo, &e);
  rocksdb_flushoptions_destroy(fo);
  if (e) return kv_error(err, e, "flush failed", kv->dir);
  rocksdb_compact_range(kv->db, NULL, 0, NULL, 0);
  return WEIR_OK;
}

void weir__kv_close(weir__kv *kv, int remove_dir) {
  if (!kv) return;
  char *dir = remove_dir ? weir__strdup(kv->dir) : NULL;
  kv_free(kv);
  if (dir) weir__remove_tree(dir);
  weir__free(dir);
}

const char *weir__kv_dir(const weir__kv *kv) { return kv->dir; }

/* ---- reads and writes ---------------------------------------------------------------- */

int weir__kv_get(weir__kv *kv, const uint8_t *k, size_t kl, char **v, size_t *vl, weir__err *err) {
  char *e = NULL;
  *v = rocksdb_get(kv->db, kv->ropts, (const char *)k, kl, vl, &e);
  if (e) return kv_error(err, e, "read failed", kv->dir);
  return *v ? WEIR_OK : WEIR_NOTFOUND;
}

void weir__kv_free_value(char *v) { rocksdb_free(v); }

void weir__kv_put(weir__kv *kv, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl) {
  rocksdb_writebatch_put(kv->batch, (const char *)k, kl, (const char *)v, vl);
}

void weir__kv_merge(weir__kv *kv, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl) {
  rocksdb_writebatch_merge(kv->batch, (const char *)k, kl, (const char *)v, vl);
}

void weir__kv_delete(weir__kv *kv, const uint8_t *k, size_t kl) {
  rocksdb_writebatch_delete(kv->batch, (const char *)k, kl);
}

void weir__kv_delete_range(weir__kv *kv, const uint8_t *lo, size_t lol, const uint8_t *hi,
                           size_t hil) {
  rocksdb_writebatch_delete_range(kv->batch, (const char *)lo, lol, (const char *)hi, hil);
}

int weir__kv_batch_full(weir__kv *kv) {
  size_t n;
  rocksdb_writebatch_data(kv->batch, &n);
  return n >= kv->batch_limit;
}

int weir__kv_write(weir__kv *kv, weir__err *err) {
  if (rocksdb_writebatch_count(kv->batch) == 0) return WEIR_OK;
  char *e = NULL;
  if (kv_injected_failure())
    e = strdup("IO error: No space left on device (injected by WEIR_FAIL_KV_WRITE_AFTER)");
  else
    rocksdb_write(kv->db, kv->wopts, kv->batch, &e);
  rocksdb_writebatch_clear(kv->batch);
  return e ? kv_error(err, e, "write failed", kv->dir) : WEIR_OK;
}

/* ---- scans --------------------------------------------------------------------------- */

struct weir__kv_iter {
  rocksdb_iterator_t *it;
  rocksdb_readoptions_t *ro;
  weir__kv *kv;
  uint8_t *lo, *hi;
};

weir__kv_iter *weir__kv_iter_new(weir__kv *kv, const uint8_t *lo, size_t lol, const uint8_t *hi,
                                 size_t hil) {
  weir__kv_iter *it = weir__calloc(1, sizeof *it);
  if (!it) return NULL;
  it->kv = kv;
  it->lo = weir__malloc(lol ? lol : 1);
  it->hi = weir__malloc(hil ? hil : 1);
  if (!it->lo || !it->hi) {
    weir__free(it->lo);
    weir__free(it->hi);
    weir__free(it);
    return NULL;
  }
  memcpy(it->lo, lo, lol);
  memcpy(it->hi, hi, hil);
  it->ro = rocksdb_readoptions_create();
  /* A scan reads every block once: keep it from flushing the cache. */
  rocksdb_readoptions_set_fill_cache(it->ro, 0);
  rocksdb_readoptions_set_iterate_upper_bound(it->ro, (const char *)it->hi, hil);
  it->it = rocksdb_create_iterator(kv->db, it->ro);
  rocksdb_iter_seek(it->it, (const char *)it->lo, lol);
  return it;
}

int weir__kv_iter_valid(weir__kv_iter *it) { return rocksdb_iter_valid(it->it); }
void weir__kv_iter_next(weir__kv_iter *it) { rocksdb_iter_next(it->it); }
const uint8_t *weir__kv_iter_key(weir__kv_iter *it, size_t *n) {
  return (const uint8_t *)rocksdb_iter_key(it->it, n);
}
const uint8_t *weir__kv_iter_value(weir__kv_iter *it, size_t *n) {
  return (const uint8_t *)rocksdb_iter_value(it->it, n);
}

int weir__kv_iter_free(weir__kv_iter *it, weir__err *err) {
  if (!it) return WEIR_OK;
  char *e = NULL;
  rocksdb_iter_get_error(it->it, &e);
  int rc = e ? kv_error(err, e, "scan failed", it->kv->dir) : WEIR_OK;
  rocksdb_iter_destroy(it->it);
  rocksdb_readoptions_destroy(it->ro);
  weir__free(it->lo);
  weir__free(it->hi);
  weir__free(it);
  return rc;
}

/* ---- native snapshots ---------------------------------------------------------------- */

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* A hard link from -> to, or a copy when they are on different file
 * systems.  0 or -1 (errno). */
static int link_or_copy(const char *from, const char *to) {
  if (link(from, to) == 0) return 0;
  if (errno != EXDEV && errno != EPERM && errno != EMLINK) return -1;
  return weir__copy_file(from, to);
}

static const char *map_find(const weir__kv *kv, const char *local) {
  for (int i = 0; i < kv->nmap; i++)
    if (strcmp(kv->map[i].local, local) == 0) return kv->map[i].shared;
  return NULL;
}

static int map_add(weir__kv *kv, const char *local, const char *shared) {
  if (kv->nmap == kv->mapcap) {
    int cap = kv->mapcap ? kv->mapcap * 2 : 16;
    sst_map *m = weir__realloc(kv->map, sizeof *m * (size_t)cap);
    if (!m) return -1;
    kv->map = m;
    kv->mapcap = cap;
  }
  char *l = weir__strdup(local), *s = weir__strdup(shared);
  if (!l || !s) {
    weir__free(l);
    weir__free(s);
    return -1;
  }
  kv->map[kv->nmap++] = (sst_map){l, s};
  return 0;
}

/* Drop map entries of SST files RocksDB no longer has (compacted away). */
static void map_prune(weir__kv *kv, const weir__kv_manifest *m) {
  int n = 0;
  for (int i = 0; i < kv->nmap; i++) {
    int live = 0;
    for (int j = 0; j < m->nsst && !live; j++)
      live = strcmp(m->sst[j].local, kv->map[i].local) == 0;
    if (live) {
      kv->map[n++] = kv->map[i];
    } else {
      weir__free(kv->map[i].local);
      weir__free(kv->map[i].shared);
    }
  }
  kv->nmap = n;
}

void weir__kv_manifest_free(weir__kv_manifest *m) {
  for (int i = 0; i < m->nsst; i++) {
    weir__free(m->sst[i].local);
    weir__free(m->sst[i].shared);
  }
  for (int i = 0; i < m->nfile; i++) {
    weir__free(m->file[i].name);
    weir__free(m->file[i].data);
  }
  weir__free(m->sst);
  weir__free(m->file);
  memset(m, 0, sizeof *m);
}

static int read_whole(const char *path, uint8_t **data, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  size_t cap = 4096, n = 0;
  uint8_t *p = weir__malloc(cap);
  size_t k;
  while (p && (k = fread(p + n, 1, cap - n, f)) > 0) {
    n += k;
    if (n == cap) {
      uint8_t *q = weir__realloc(p, cap *= 2);
      if (!q) weir__free(p);
      p = q;
    }
  }
  int bad = ferror(f) || !p;
  fclose(f);
  if (bad) {
    weir__free(p);
    errno = errno ? errno : ENOMEM;
    return -1;
  }
  *data = p;
  *len = n;
  return 0;
}

int weir__kv_snapshot(weir__kv *kv, const char *shared_dir, const char *prefix,
                      weir__kv_manifest *m, weir__err *err) {
  memset(m, 0, sizeof *m);
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.snapshot", kv->dir);
  weir__remove_tree(tmp);
  if (mkdir(shared_dir, 0755) && errno != EEXIST)
    return weir__err_set(err, WEIR_IOERR, -1, "cannot create '%s': %s", shared_dir,
                         strerror(errno));
  char *e = NULL;
  rocksdb_checkpoint_t *cp = rocksdb_checkpoint_object_create(kv->db, &e);
  if (!e) rocksdb_checkpoint_create(cp, tmp, 0, &e); /* 0: flush the memtables first */
  if (cp) rocksdb_checkpoint_object_destroy(cp);
  if (e) {
    weir__remove_tree(tmp);
    return kv_error(err, e, "checkpoint failed", kv->dir);
  }
  DIR *d = opendir(tmp);
  if (!d) {
    int rc = weir__err_set(err, WEIR_IOERR, -1, "cannot read '%s': %s", tmp, strerror(errno));
    weir__remove_tree(tmp);
    return rc;
  }
  int rc = WEIR_OK, capsst = 0, capfile = 0;
  struct dirent *de;
  while (!rc && (de = readdir(d))) {
    const char *name = de->d_name;
    if (name[0] == '.') continue;
    char from[4096 + 512];
    snprintf(from, sizeof from, "%s/%s", tmp, name);
    struct stat st;
    if (stat(from, &st) != 0) {
      rc = weir__err_set(err, WEIR_IOERR, -1, "cannot stat '%s': %s", from, strerror(errno));
      break;
    }
    if (ends_with(name, ".sst")) {
      if (m->nsst == capsst) {
        capsst = capsst ? capsst * 2 : 16;
        void *v = weir__realloc(m->sst, sizeof *m->sst * (size_t)capsst);
        if (!v) {
          rc = weir__err_nomem(err);
          break;
        }
        m->sst = v;
      }
      weir__kv_sst *s = &m->sst[m->nsst];
      memset(s, 0, sizeof *s);
      s->size = (uint64_t)st.st_size;
      char path[4096];
      const char *known = map_find(kv, name);
      if (known) {
        snprintf(path, sizeof path, "%s/%s", shared_dir, known);
        struct stat st2;
        if (stat(path, &st2) != 0) known = NULL; /* swept: share it again */
      }
      char fresh[512];
      if (!known) {
        snprintf(fresh, sizeof fresh, "%s-%s-%s", prefix, kv->id, name);
        snprintf(path, sizeof path, "%s/%s", shared_dir, fresh);
        if (link_or_copy(from, path) != 0 && errno != EEXIST) {
          rc = weir__err_set(err, WEIR_IOERR, -1, "cannot store '%s' in '%s': %s", name, shared_dir,
                             strerror(errno));
          break;
        }
        if (map_add(kv, name, fresh)) {
          rc = weir__err_nomem(err);
          break;
        }
        s->added = 1;
      }
      s->local = weir__strdup(name);
      s->shared = weir__strdup(known ? known : fresh);
      m->nsst++;
      if (!s->local || !s->shared) rc = weir__err_nomem(err);
    } else {
      if (m->nfile == capfile) {
        capfile = capfile ? capfile * 2 : 8;
        void *v = weir__realloc(m->file, sizeof *m->file * (size_t)capfile);
        if (!v) {
          rc = weir__err_nomem(err);
          break;
        }
        m->file = v;
      }
      weir__kv_file *f = &m->file[m->nfile];
      memset(f, 0, sizeof *f);
      if (!(f->name = weir__strdup(name))) {
        rc = weir__err_nomem(err);
        break;
      }
      m->nfile++;
      if (read_whole(from, &f->data, &f->len) != 0)
        rc = weir__err_set(err, WEIR_IOERR, -1, "cannot read '%s': %s", from, strerror(errno));
    }
  }
  closedir(d);
  weir__remove_tree(tmp);
  if (!rc) rc = weir__fsync_dir(shared_dir, err);
  if (!rc) map_prune(kv, m);
  if (rc) weir__kv_manifest_free(m);
  return rc;
}

int weir__kv_manifest_write(weir__snap_writer *w, const weir__kv_manifest *m, weir__err *err) {
  int rc = weir__snap_put_u64(w, (uint64_t)m->nsst, err);
  for (int i = 0; !rc && i < m->nsst; i++) {
    rc = weir__snap_put_bytes(w, m->sst[i].local, (uint32_t)strlen(m->sst[i].local), err);
    if (!rc)
      rc = weir__snap_put_bytes(w, m->sst[i].shared, (uint32_t)strlen(m->sst[i].shared), err);
    if (!rc) rc = weir__snap_put_u64(w, m->sst[i].size, err);
  }
  if (!rc) rc = weir__snap_put_u64(w, (uint64_t)m->nfile, err);
  for (int i = 0; !rc && i < m->nfile; i++) {
    rc = weir__snap_put_bytes(w, m->file[i].name, (uint32_t)strlen(m->file[i].name), err);
    if (!rc) rc = weir__snap_put_bytes(w, m->file[i].data, (uint32_t)m->file[i].len, err);
  }
  return rc;
}

/* A file name from a snapshot: no path separators, not empty. */
static char *safe_name(const uint8_t *p, uint32_t n) {
  if (n == 0 || n > 255 || memchr(p, '/', n) || memchr(p, '\0', n) || (n <= 2 && p[0] == '.'))
    return NULL;
  return weir__strndup((const char *)p, n);
}

int weir__kv_manifest_read(weir__snap_reader *r, weir__kv_manifest *m, weir__err *err) {
  memset(m, 0, sizeof *m);
  uint64_t n;
  int rc = weir__snap_get_u64(r, &n, err);
  if (!rc && n > (1u << 20))
    rc = weir__err_set(err, WEIR_CORRUPT, -1, "'%s': implausible file list", r->path);
  if (!rc && n && !(m->sst = weir__calloc(n, sizeof *m->sst))) rc = weir__err_nomem(err);
  for (uint64_t i = 0; !rc && i < n; i++) {
    const uint8_t *a, *b;
    uint32_t al, bl;
    weir__kv_sst *s = &m->sst[i];
    if ((rc = weir__snap_get_bytes(r, &a, &al, err)) ||
        (rc = weir__snap_get_bytes(r, &b, &bl, err)) || (rc = weir__snap_get_u64(r, &s->size, err)))
      break;
    m->nsst++;
    if (!(s->local = safe_name(a, al)) || !(s->shared = safe_name(b, bl)))
      rc = weir__err_set(err, WEIR_CORRUPT, -1, "'%s': bad file name in the file list", r->path);
  }
  if (!rc) rc = weir__snap_get_u64(r, &n, err);
  if (!rc && n > 1024)
    rc = weir__err_set(err, WEIR_CORRUPT, -1, "'%s': implausible file list", r->path);
  if (!rc && n && !(m->file = weir__calloc(n, sizeof *m->file))) rc = weir__err_nomem(err);
  for (uint64_t i = 0; !rc && i < n; i++) {
    const uint8_t *a, *b;
    uint32_t al, bl;
    weir__kv_file *f = &m->file[i];
    if ((rc = weir__snap_get_bytes(r, &a, &al, err)) ||
        (rc = weir__snap_get_bytes(r, &b, &bl, err)))
      break;
    m->nfile++;
    if (!(f->name = safe_name(a, al))) {
      rc = weir__err_set(err, WEIR_CORRUPT, -1, "'%s': bad file name in the file list", r->path);
      break;
    }
    if (!(f->data = weir__malloc(bl ? bl : 1))) {
      rc = weir__err_nomem(err);
      break;
    }
    memcpy(f->data, b, bl);
    f->len = bl;
  }
  if (rc) weir__kv_manifest_free(m);
  return rc;
}

int weir__kv_materialize(const char *dir, const char *shared_dir, const weir__kv_manifest *m,
                         weir__err *err) {
  weir__remove_tree(dir);
  if (mkdir(dir, 0755) != 0)
    return weir__err_set(err, WEIR_IOERR, -1, "cannot create '%s': %s", dir, strerror(errno));
  char from[4096], to[4096];
  for (int i = 0; i < m->nsst; i++) {
    snprintf(from, sizeof from, "%s/%s", shared_dir, m->sst[i].shared);
    snprintf(to, sizeof to, "%s/%s", dir, m->sst[i].local);
    struct stat st;
    if (stat(from, &st) != 0)
      return weir__err_set(err, errno == ENOENT ? WEIR_CORRUPT : WEIR_IOERR, -1,
                           "checkpoint file '%s' is missing: %s", from, strerror(errno));
    if ((uint64_t)st.st_size != m->sst[i].size)
      return weir__err_set(err, WEIR_CORRUPT, -1,
                           "checkpoint file '%s' has %lld bytes, the checkpoint says %llu", from,
                           (long long)st.st_size, (unsigned long long)m->sst[i].size);
    if (link_or_copy(from, to) != 0)
      return weir__err_set(err, WEIR_IOERR, -1, "cannot restore '%s' into '%s': %s", from, dir,
                           strerror(errno));
  }
  for (int i = 0; i < m->nfile; i++) {
    snprintf(to, sizeof to, "%s/%s", dir, m->file[i].name);
    FILE *f = fopen(to, "wb");
    int ok = f && fwrite(m->file[i].data, 1, m->file[i].len, f) == m->file[i].len;
    if (f && fclose(f) != 0) ok = 0;
    if (!ok)
      return weir__err_set(err, WEIR_IOERR, -1, "cannot write '%s': %s", to, strerror(errno));
  }
  return WEIR_OK;
}

int weir__kv_adopt(weir__kv *kv, const weir__kv_manifest *m) {
  for (int i = 0; i < m->nsst; i++)
    if (map_add(kv, m->sst[i].local, m->sst[i].shared)) return -1;
  return 0;
}

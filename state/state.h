/*
 * state.h -- keyed state (DESIGN section 7): the in-memory key table, the
 * RocksDB store, the keyed-state interface over both (weir__kstate: the
 * `hashmap` and `rocksdb` backends) and snapshot files.
 */
#ifndef WEIR_STATE_H
#define WEIR_STATE_H

#include "util/util.h"

/*
 * An open-addressing hash table (linear probing) from canonical key bytes
 * to fixed-size payloads.  Keys are copied into the table's arena; entries
 * are numbered 0..n-1 in insertion order and never move in that order, so
 * iteration is deterministic.  Payload pointers stay valid until the next
 * insertion (the entry array may grow); entry numbers stay valid until the
 * table is cleared.
 */
typedef struct weir__ktable {
  uint64_t *slots;  /* (hash tag << 32) | (entry + 1); 0 = empty */
  uint32_t mask;    /* slot count - 1 */
  uint32_t n;       /* entries */
  uint32_t rec_cap; /* entries allocated */
  uint32_t rec_size;
  uint8_t *recs; /* entry records: header + payload */
  size_t payload_size;
  weir__arena keys; /* key bytes and strings owned by payloads */
} weir__ktable;

int weir__ktable_init(weir__ktable *kt, size_t payload_size);
void weir__ktable_free(weir__ktable *kt);
/* Find key, inserting it (payload zeroed) if absent.  *inserted tells
 * which.  Returns the entry number, or -1 on out-of-memory. */
int64_t weir__ktable_upsert(weir__ktable *kt, const uint8_t *key, uint32_t klen, uint64_t hash,
                            int *inserted);
/* Entry number of key, or -1. */
int64_t weir__ktable_find(const weir__ktable *kt, const uint8_t *key, uint32_t klen, uint64_t hash);
void *weir__ktable_payload(const weir__ktable *kt, uint32_t entry);
const uint8_t *weir__ktable_key(const weir__ktable *kt, uint32_t entry, uint32_t *klen);
/* Remove every entry, keeping the memory for reuse. */
void weir__ktable_clear(weir__ktable *kt);
/* Entries changed since their dirty flag was cleared: upsert sets it. */
int weir__ktable_dirty(const weir__ktable *kt, uint32_t entry);
void weir__ktable_set_clean(weir__ktable *kt, uint32_t entry);
/* Bytes of memory the table holds (for figures). */
size_t weir__ktable_memory(const weir__ktable *kt);

/*
 * Snapshot files (checkpoints and savepoints, DESIGN section 7).
 *
 * Layout: the magic "WEIRSNP1", the payload, then the XXH3-64 of every
 * preceding byte (8 bytes, little-endian).  Integers in the payload are
 * little-endian.  A writer writes PATH.tmp (or its spill file) and, on
 * commit, appends the checksum, fsyncs, renames it to PATH and fsyncs the
 * directory, so PATH either does not exist or is whole.  A reader checks
 * magic, length and checksum before anything is parsed: a truncated,
 * partial or corrupted file is reported (WEIR_CORRUPT), never loaded.
 *
 * Memory: a writer keeps the file in memory until commit, unless it was
 * told to spill (weir__snap_spill): then at most about a megabyte is held
 * and the rest goes to the spill file as it is written, so a snapshot of
 * state kept on disk (the rocksdb backend) needs no memory of its size.
 * A reader maps a large file (over 16 MB) rather than reading it, and
 * gives the pages behind its position back as it goes, so the file never
 * becomes resident as a whole; a view it returned stays valid until
 * close (a page given back is read again from the file if touched).
 *
 * Fault injection for tests: when the environment variable
 * WEIR_FAIL_WRITE_AFTER is N > 0, the N-th snapshot write (of up to 1 MB)
 * of the process and every later one fail with ENOSPC, as a full disk
 * would; with WEIR_FAIL_WRITE_COUNT = K only K writes fail (a transient
 * fault).  weir__snap_reset_fault_injection restarts the count.
 */
void weir__snap_reset_fault_injection(void);
/* Fault injection's rule, for snapshot writes and RocksDB batch writes
 * alike: with the environment variable after_var = N > 0, the N-th call
 * (counted in *done) and every later one say "fail"; with count_var = K
 * only K of them (a transient fault).  Read on every call, so a test can
 * set them between jobs. */
int weir__fault_injected(const char *after_var, const char *count_var, _Atomic long *done);
typedef struct weir__snap_writer {
  char *path;
  uint8_t *mem; /* the file's bytes so far (after the spilled ones) */
  size_t len, cap;
  char *spill; /* spilling: the file the first bytes went to */
  int fd;      /* its descriptor, when spill is set */
  void *xx;    /* the XXH3 state of the spilled bytes */
} weir__snap_writer;

/* Start the snapshot file PATH (serialized in memory until commit,
 * unless spilled).  WEIR_OK or WEIR_NOMEM (err set). */
int weir__snap_open(weir__snap_writer *w, const char *path, weir__err *err);
int weir__snap_put(weir__snap_writer *w, const void *p, size_t n, weir__err *err);
int weir__snap_put_u64(weir__snap_writer *w, uint64_t v, weir__err *err);
/* A length (u32) and the bytes. */
int weir__snap_put_bytes(weir__snap_writer *w, const void *p, uint32_t n, weir__err *err);
/* From now on keep at most about 1 MB in memory and write the rest to
 * SPILL_PATH (created; deleted by commit, which renames it into place, or
 * by abort).  Nothing written so far may be patched afterwards.  Spilling
 * already: nothing happens.  WEIR_OK, WEIR_IOERR or WEIR_NOMEM; an error
 * leaves the writer as it was (in memory). */
int weir__snap_spill(weir__snap_writer *w, const char *spill_path, weir__err *err);
/* Checksum, write the file to DIR/PATH (PATH when dir is NULL) through a
 * temporary file, fsync, rename into place, fsync the directory.  A
 * spilled file is renamed into place (copied when DIR is on another file
 * system).  The writer is closed either way, so a writer can be handed to
 * another thread and committed there (asynchronous snapshots).  WEIR_OK,
 * WEIR_IOERR or WEIR_NOMEM. */
int weir__snap_commit_at(weir__snap_writer *w, const char *dir, weir__err *err);
int weir__snap_commit(weir__snap_writer *w, weir__err *err);
/* Drop what was written (and the spill file). */
void weir__snap_abort(weir__snap_writer *w);

typedef struct weir__snap_reader {
  uint8_t *data;
  size_t n;   /* payload end (before the checksum) */
  size_t pos; /* next byte to read */
  char *path;
  size_t mapped;   /* the mapping's length, 0 when data was read into memory */
  size_t released; /* the pages before this offset were given back */
} weir__snap_reader;

/* Load and verify PATH.  WEIR_OK, WEIR_NOTFOUND, WEIR_IOERR, WEIR_CORRUPT or WEIR_NOMEM. */
int weir__snap_load(weir__snap_reader *r, const char *path, weir__err *err);
/* Read the next n bytes / u64 / length-prefixed bytes (a view into the
 * loaded data, valid until close).  WEIR_CORRUPT when the payload ends early. */
int weir__snap_get(weir__snap_reader *r, void *p, size_t n, weir__err *err);
int weir__snap_get_u64(weir__snap_reader *r, uint64_t *v, weir__err *err);
int weir__snap_get_bytes(weir__snap_reader *r, const uint8_t **p, uint32_t *n, weir__err *err);
int weir__snap_at_end(const weir__snap_reader *r);
void weir__snap_close(weir__snap_reader *r);

/* ---- the RocksDB store (kvstore.c) ---------------------------------------- */

typedef struct weir__kv weir__kv;
typedef struct weir__kv_iter weir__kv_iter;

typedef struct weir__kv_opts {
  size_t memtable_bytes;    /* memtables together (0: 16 MB) */
  size_t block_cache_bytes; /* block cache, index and filter blocks included (0: 8 MB) */
  int64_t ttl_ms;           /* > 0: compactions drop values not accessed for this long ... */
  size_t ttl_offset;        /* ... by the wall-clock ms (int64, little-endian) at this offset */
} weir__kv_opts;

/* Wall-clock time in ms (state TTL). */
int64_t weir__wall_ms(void);

enum { WEIR_KV_FRESH = 1, WEIR_KV_EXISTING, WEIR_KV_READ_ONLY };

/* Open the store in dir: WEIR_KV_FRESH removes what dir held first,
 * WEIR_KV_EXISTING opens restored files, WEIR_KV_READ_ONLY reads them.
 * WEIR_OK, or WEIR_IOERR / WEIR_CORRUPT with RocksDB's message. */
int weir__kv_open(weir__kv **kv, const char *dir, const weir__kv_opts *o, int mode, weir__err *err);
/* Close; remove_dir: delete its directory too. */
void weir__kv_close(weir__kv *kv, int remove_dir);
/* Write the batch, flush the memtables and compact the whole store (the
 * TTL filter runs over every value).  WEIR_OK or the store's error. */
int weir__kv_compact(weir__kv *kv, weir__err *err);
const char *weir__kv_dir(const weir__kv *kv);
/* The value of key k (free it with weir__kv_free_value): WEIR_OK,
 * WEIR_NOTFOUND, or an error. */
int weir__kv_get(weir__kv *kv, const uint8_t *k, size_t kl, char **v, size_t *vl, weir__err *err);
void weir__kv_free_value(char *v);
/* Writes go into a batch until weir__kv_write. */
void weir__kv_put(weir__kv *kv, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl);
/* Append v to k's value (list state: the merge operator concatenates). */
void weir__kv_merge(weir__kv *kv, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl);
void weir__kv_delete(weir__kv *kv, const uint8_t *k, size_t kl);
void weir__kv_delete_range(weir__kv *kv, const uint8_t *lo, size_t lol, const uint8_t *hi,
                           size_t hil);
/* Is the batch due to be written?  Its limit is a quarter of a memtable
 * (64 KB to 4 MB): a batch goes into one memtable whole, so a larger one
 * would overrun the memory the memtables were given. */
int weir__kv_batch_full(weir__kv *kv);
/* Write the batch.  With WEIR_FAIL_KV_WRITE_AFTER = N set, the N-th write
 * of the process and all later ones (WEIR_FAIL_KV_WRITE_COUNT = K: K of
 * them) fail as on a full disk (tests). */
int weir__kv_write(weir__kv *kv, weir__err *err);
void weir__kv_reset_fault_injection(void);
/* The keys in [lo, hi), in order; NULL when out of memory.  Errors show
 * at weir__kv_iter_free. */
weir__kv_iter *weir__kv_iter_new(weir__kv *kv, const uint8_t *lo, size_t lol, const uint8_t *hi,
                                 size_t hil);
int weir__kv_iter_valid(weir__kv_iter *it);
void weir__kv_iter_next(weir__kv_iter *it);
const uint8_t *weir__kv_iter_key(weir__kv_iter *it, size_t *n);
const uint8_t *weir__kv_iter_value(weir__kv_iter *it, size_t *n);
int weir__kv_iter_free(weir__kv_iter *it, weir__err *err);

/* A native snapshot: the SST files (in shared storage) and the small
 * private files by value. */
typedef struct weir__kv_sst {
  char *local;   /* its name in the store's directory */
  char *shared;  /* its name in shared storage */
  uint64_t size; /* bytes */
  int added;     /* this snapshot put it into shared storage */
} weir__kv_sst;
typedef struct weir__kv_file {
  char *name;
  uint8_t *data;
  size_t len;
} weir__kv_file;
typedef struct weir__kv_manifest {
  weir__kv_sst *sst;
  int nsst;
  weir__kv_file *file;
  int nfile;
} weir__kv_manifest;

/* Flush and snapshot the store: SST files not yet in shared_dir are
 * linked (or copied) there as "<prefix>-<instance>-<name>", the others
 * referenced.  Errors: WEIR_IOERR, WEIR_CORRUPT, WEIR_NOMEM. */
int weir__kv_snapshot(weir__kv *kv, const char *shared_dir, const char *prefix,
                      weir__kv_manifest *m, weir__err *err);
int weir__kv_manifest_write(weir__snap_writer *w, const weir__kv_manifest *m, weir__err *err);
int weir__kv_manifest_read(weir__snap_reader *r, weir__kv_manifest *m, weir__err *err);
void weir__kv_manifest_free(weir__kv_manifest *m);
/* Recreate a snapshot's store in dir (removed first) from shared_dir;
 * a missing or wrong-sized shared file is WEIR_CORRUPT. */
int weir__kv_materialize(const char *dir, const char *shared_dir, const weir__kv_manifest *m,
                         weir__err *err);
/* The store was opened on m's files: they are in shared storage already. */
int weir__kv_adopt(weir__kv *kv, const weir__kv_manifest *m);

/* ---- keyed state: the backend interface (kstate.c) ------------------------ */

/*
 * How an operator's payloads are written and read by value: in snapshots
 * (the canonical format) and as RocksDB values, which are the same bytes.
 */
typedef struct weir__kcodec {
  size_t payload_size;
  int (*write)(const void *ctx, const void *payload, weir__snap_writer *w, weir__err *err);
  /* Strings the payload keeps go into `strings`. */
  int (*read)(const void *ctx, weir__snap_reader *r, void *payload, weir__arena *strings,
              weir__err *err);
  const void *ctx;
} weir__kcodec;

/*
 * The state backend of one operator subtask.  hashmap (kv NULL): every
 * entry lives in the key tables of its states.  rocksdb: the key tables
 * are a cache of hot keys in front of the store; changed entries are
 * written back at a checkpoint or when the cache outgrows hot_bytes
 * (evicted), and a key missing from a table is looked up in the store.
 *
 * RocksDB keys: key group (2 bytes, big-endian), state id (1 byte),
 * namespace (8 bytes, big-endian with the sign bit flipped), then the
 * canonical key bytes.  A key-group range is one contiguous scan, and so
 * are one namespace's keys within a key group.  (The namespace comes
 * before the key, not after as in Flink: a window fires by scanning its
 * slice, where Flink visits keys by timers.)
 */
typedef struct weir__kbackend {
  weir__kv *kv;
  const weir__kcodec *codec;
  int maxpar;
  int kg_lo, kg_hi;  /* the key groups this subtask owns, inclusive */
  size_t hot_bytes;  /* rocksdb: the cache's budget */
  int64_t ttl_ms;    /* table.exec.state.ttl (0: none) */
  size_t ttl_offset; /* where a payload keeps its last-access time (wall-clock ms) */
  weir__snap_writer buf;
  weir__arena scratch;
} weir__kbackend;

typedef struct weir__kstate {
  weir__ktable kt;
  weir__kbackend *be;
  uint8_t sid;
  int64_t ns;
  int complete; /* kt holds every entry: a miss is a new key */
  int stored;   /* some entries may be in the store */
} weir__kstate;

#define WEIR_KSTATE_PREFIX 11 /* key group, state id, namespace */

/* kv: NULL (hashmap) or an open store, owned from now on. */
int weir__kbackend_init(weir__kbackend *be, weir__kv *kv, const weir__kcodec *codec, int maxpar,
                        int kg_lo, int kg_hi, size_t hot_bytes);
void weir__kbackend_free(weir__kbackend *be);
/* Write what was written back (WEIR_OK or the store's error). */
int weir__kbackend_commit(weir__kbackend *be, weir__err *err);

int weir__kstate_init(weir__kstate *ks, weir__kbackend *be, uint8_t sid, int64_t ns);
void weir__kstate_free(weir__kstate *ks);
/* The entry of key (hash = weir__hash64 of it), created when new: its
 * payload zeroed, or loaded from the store (then *inserted is 0).  -1
 * with err set: out of memory or a store error. */
int64_t weir__kstate_upsert(weir__kstate *ks, const uint8_t *key, uint32_t klen, uint64_t hash,
                            int *inserted, weir__err *err);
/* After a restore into a store: the entries are there, not in the table
 * (rocksdb; nothing for hashmap, which restores into the table). */
void weir__kstate_restored(weir__kstate *ks);
/* Put changed entries into the store's batch (rocksdb; nothing for hashmap). */
int weir__kstate_writeback(weir__kstate *ks, weir__err *err);
/* Write back and empty the table (rocksdb). */
int weir__kstate_evict(weir__kstate *ks, weir__err *err);
/* Keep the entries for which keep(payload, ctx) is nonzero, and forget
 * the others, in the table and the store (state TTL). */
int weir__kstate_retain(weir__kstate *ks, int (*keep)(const void *payload, void *ctx), void *ctx,
                        weir__err *err);
/* Call fn on each of the state's entries of key group kg in the store
 * (write back first), its payload decoded into memory valid until fn
 * returns.  rocksdb only. */
int weir__kstate_scan(weir__kstate *ks, uint32_t kg,
                      int (*fn)(void *arg, const uint8_t *key, uint32_t klen, void *payload),
                      void *arg, weir__err *err);
/* Delete the state's entries from the store (before freeing it). */
int weir__kstate_drop(weir__kstate *ks, weir__err *err);
size_t weir__kstate_memory(const weir__kstate *ks);
/* Canonical format: the entry count, then per entry in key-group order
 * its key group, key bytes and payload by value.  Entries in a store
 * (rocksdb) are streamed: the writer spills to a file beside the store,
 * the count is WEIR_KSTATE_UNCOUNTED and the entries end with a key
 * group of UINT64_MAX, so that the state never has to fit in memory. */
#define WEIR_KSTATE_UNCOUNTED (UINT64_MAX - 1)
int weir__kstate_write_canonical(weir__kstate *ks, weir__snap_writer *w, weir__err *err);
/* Reading canonical entries: the head of each (its key group and key),
 * checked against the key's hash.  n is the count the caller read
 * (WEIR_KSTATE_UNCOUNTED: up to the end mark); start with {.n = n}. */
typedef struct weir__kentry {
  uint64_t n, i; /* the count, and the entries read */
  uint32_t kg;
  const uint8_t *key; /* a view into the reader */
  uint32_t klen;
  uint64_t hash; /* of the key */
  int own;       /* the subtask owns the key group */
} weir__kentry;
/* The next entry's head into e (its payload follows in r): 1, or 0 after
 * the last entry, or -1 with err set (WEIR_CORRUPT). */
int weir__kentry_next(const weir__kbackend *be, weir__snap_reader *r, weir__kentry *e,
                      weir__err *err);
/* Read n canonical entries (the count was read by the caller; for
 * WEIR_KSTATE_UNCOUNTED up to the end mark), keeping
 * those of the subtask's key groups: into the table (hashmap) or the
 * store (rocksdb). */
int weir__kstate_read_entries(weir__kstate *ks, weir__snap_reader *r, uint64_t n, weir__err *err);
/* Copy the entries of this subtask's key groups from old, the store of
 * a native snapshot: into be's store as they are, or (hashmap) into the
 * state route returns for their state id and namespace: a weir__kstate,
 * or a weir__kcoll for a state id with WEIR_KSTATE_COLLECTION set. */
int weir__kbackend_import(weir__kbackend *be, weir__kv *old,
                          void *(*route)(void *ctx, uint8_t sid, int64_t ns), void *ctx,
                          weir__err *err);

/* A canonical snapshot of state in be's store is about to be written to
 * w: make w spill to a file beside the store (weir__snap_spill). */
int weir__kbackend_spill(weir__kbackend *be, weir__snap_writer *w, weir__err *err);

/* RocksDB keys, shared by value, map and list state. */
void weir__kkey_prefix(uint8_t *p, uint32_t kg, uint8_t sid, int64_t ns);
void weir__kkey_parse(const uint8_t *p, uint32_t *kg, uint8_t *sid, int64_t *ns);
/* The smallest byte string of length n above every string starting with p[0, n). */
void weir__kkey_successor(uint8_t *p, size_t n);
/* The key group of a key's hash. */
uint32_t weir__kbackend_kg(const weir__kbackend *be, uint64_t hash);
/* The bounds [lo, hi) of state (sid, ns)'s keys in key group kg. */
void weir__kkey_bounds(uint32_t kg, uint8_t sid, int64_t ns, uint8_t lo[WEIR_KSTATE_PREFIX],
                       uint8_t hi[WEIR_KSTATE_PREFIX]);
/* Call fn on each entry of state (sid, ns) in key group kg of be's store,
 * with its key after the prefix; a nonzero return of fn stops the scan
 * and is returned.  Otherwise WEIR_OK, WEIR_NOMEM or the store's error. */
int weir__kbackend_scan(weir__kbackend *be, uint32_t kg, uint8_t sid, int64_t ns,
                        int (*fn)(void *arg, const uint8_t *k, size_t kl, const uint8_t *v,
                                  size_t vl),
                        void *arg, weir__err *err);
/* An entry of a key table and its key's key group. */
typedef struct weir__kg_entry {
  uint32_t kg, e;
} weir__kg_entry;
/* The entries of kt for which keep(payload) holds (keep NULL: all), in
 * key-group order (snapshots are written so): an array the caller frees
 * with weir__free, *n long; NULL when out of memory. */
weir__kg_entry *weir__kbackend_order(const weir__kbackend *be, const weir__ktable *kt,
                                     int (*keep)(const void *payload), uint32_t *n);

/* ---- keyed map and list state (kcoll.c) ------------------------------------ */

/*
 * A map state holds, per key, a map from user keys to values; a list
 * state, per key, a list of values (Flink's MapState and ListState, for
 * joins and OVER windows).  User keys and values are byte strings, the
 * caller's encoding.  Both live in the operator subtask's backend:
 *
 * - hashmap: a key table maps each key to its list (one buffer of
 *   length-prefixed elements) or to its map's entries, which live in one
 *   table for the whole state, chained per key.
 * - rocksdb: a map entry is one RocksDB entry whose key is the prefix
 *   (key group, state id, namespace), the key's length (4 bytes,
 *   big-endian), the key and the user key, so a key's map is one range
 *   and a lookup is one Get, as Flink's RocksDBMapState.  A list is one
 *   value appended to by RocksDB's merge (the operator "weir.list-append"
 *   concatenates), as Flink's RocksDBListState.  Nothing is cached: each
 *   access is a store access, and reads write the batch out first, so
 *   they see every earlier change.
 *
 * Their state ids carry WEIR_KSTATE_COLLECTION (added by init), which
 * keeps them apart from value states and out of the TTL compaction
 * filter.  Canonical snapshot entries (the count is always
 * WEIR_KSTATE_UNCOUNTED, the entries end with a key group of UINT64_MAX):
 * a map entry is the key group, the key's bytes, then per user key a 1,
 * its bytes and the value's bytes, and a 0; a list entry is the key group,
 * the key's bytes and the list's bytes (each element a u32 length and its
 * bytes).  Keys in key-group order; rocksdb streams them.
 */
#define WEIR_KSTATE_COLLECTION 0x80
enum { WEIR_KCOLL_MAP = 1, WEIR_KCOLL_LIST };

typedef struct weir__kcoll {
  weir__kbackend *be;
  int kind;    /* WEIR_KCOLL_MAP or WEIR_KCOLL_LIST */
  uint8_t sid; /* WEIR_KSTATE_COLLECTION set */
  int64_t ns;
  /* hashmap: kt maps a key to its list, or to the chain of its map's
   * entries in flat, whose keys are those of the RocksDB layout (the
   * key's length, the key, the user key).  Removed entries stay as
   * tombstones until dead outgrows the live ones and the tables are
   * rebuilt. */
  weir__ktable kt, flat;
  uint32_t dead; /* tombstones in flat, or emptied lists in kt */
  char *val;     /* rocksdb: the value the last get returned */
} weir__kcoll;

/* sid < WEIR_KSTATE_COLLECTION, unique among the operator's states.
 * WEIR_OK or WEIR_NOMEM. */
int weir__kcoll_init(weir__kcoll *c, weir__kbackend *be, int kind, uint8_t sid, int64_t ns,
                     weir__err *err);
void weir__kcoll_free(weir__kcoll *c);

/* Map state.  get: *v views the value (valid until the next call on c):
 * WEIR_OK, WEIR_NOTFOUND, or a store error.  put replaces the value;
 * remove of a missing user key is no error.  iterate calls fn on each
 * user key of key (in user-key byte order on rocksdb, in no order on
 * hashmap); the views are valid while fn runs, and fn must not change c;
 * a nonzero return of fn stops the iteration and is returned.  clear
 * removes key's whole map.  Errors: WEIR_NOMEM, the store's
 * (WEIR_IOERR, WEIR_CORRUPT). */
int weir__kmap_get(weir__kcoll *c, const uint8_t *key, uint32_t klen, const uint8_t *uk,
                   uint32_t ukl, const uint8_t **v, size_t *vl, weir__err *err);
int weir__kmap_put(weir__kcoll *c, const uint8_t *key, uint32_t klen, const uint8_t *uk,
                   uint32_t ukl, const uint8_t *v, size_t vl, weir__err *err);
int weir__kmap_remove(weir__kcoll *c, const uint8_t *key, uint32_t klen, const uint8_t *uk,
                      uint32_t ukl, weir__err *err);
int weir__kmap_iterate(weir__kcoll *c, const uint8_t *key, uint32_t klen,
                       int (*fn)(void *arg, const uint8_t *uk, uint32_t ukl, const uint8_t *v,
                                 size_t vl),
                       void *arg, weir__err *err);
int weir__kmap_clear(weir__kcoll *c, const uint8_t *key, uint32_t klen, weir__err *err);

/* List state.  append adds v at the end of key's list; get calls fn on
 * each element in order (views valid while fn runs; fn must not change
 * c; a nonzero return stops and is returned), nothing for an empty or
 * missing list; clear empties it.  Errors as for map state. */
int weir__klist_append(weir__kcoll *c, const uint8_t *key, uint32_t klen, const uint8_t *v,
                       uint32_t vl, weir__err *err);
int weir__klist_get(weir__kcoll *c, const uint8_t *key, uint32_t klen,
                    int (*fn)(void *arg, const uint8_t *v, uint32_t vl), void *arg, weir__err *err);
int weir__klist_clear(weir__kcoll *c, const uint8_t *key, uint32_t klen, weir__err *err);

/* The canonical format (above); read_entries as weir__kstate_read_entries
 * (n is the count read by the caller). */
int weir__kcoll_write_canonical(weir__kcoll *c, weir__snap_writer *w, weir__err *err);
int weir__kcoll_read_entries(weir__kcoll *c, weir__snap_reader *r, uint64_t n, weir__err *err);
/* One RocksDB entry of c's (its key after the prefix, its value) from a
 * native snapshot, into c's tables (hashmap).  WEIR_CORRUPT when malformed. */
int weir__kcoll_load(weir__kcoll *c, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl,
                     weir__err *err);
/* The key group of the key in a RocksDB key of c's (after the prefix);
 * UINT32_MAX when malformed. */
uint32_t weir__kcoll_kg(const weir__kcoll *c, const uint8_t *k, size_t kl);

/* Copy file from into to (created, or truncated), fsynced; on failure
 * to is removed.  0 or -1 (errno). */
int weir__copy_file(const char *from, const char *to);
/* fsync the directory dir (after a rename or unlink in it). */
int weir__fsync_dir(const char *dir, weir__err *err);
/* Remove dir and everything below it; missing is fine.  0 or -1 (errno). */
int weir__remove_tree(const char *dir);

#endif

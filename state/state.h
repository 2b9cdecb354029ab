/*
 * state.h -- keyed state.  Today: the in-memory key table that window and
 * group aggregations keep their accumulators in (the core of the
 * `hashmap` backend).  The backend interface of DESIGN section 7 (keyed
 * value/map/list state by key group, state id and namespace) grows here.
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
  uint8_t *recs;    /* entry records: header + payload */
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
int64_t weir__ktable_find(const weir__ktable *kt, const uint8_t *key, uint32_t klen,
                          uint64_t hash);
void *weir__ktable_payload(const weir__ktable *kt, uint32_t entry);
const uint8_t *weir__ktable_key(const weir__ktable *kt, uint32_t entry, uint32_t *klen);
/* Remove every entry, keeping the memory for reuse. */
void weir__ktable_clear(weir__ktable *kt);
/* Bytes of memory the table holds (for figures). */
size_t weir__ktable_memory(const weir__ktable *kt);

/*
 * Snapshot files (checkpoints and savepoints, DESIGN section 7).
 *
 * Layout: the magic "WEIRSNP1", the payload, then the XXH3-64 of every
 * preceding byte (8 bytes, little-endian).  Integers in the payload are
 * little-endian.  A writer writes PATH.tmp and, on commit, appends the
 * checksum, fsyncs, renames it to PATH and fsyncs the directory, so PATH
 * either does not exist or is whole.  A reader loads the file and checks
 * magic, length and checksum before anything is parsed: a truncated,
 * partial or corrupted file is reported (WEIR_CORRUPT), never loaded.
 *
 * Fault injection for tests: when the environment variable
 * WEIR_FAIL_WRITE_AFTER is N > 0, the N-th snapshot write of the process
 * and every later one fail with ENOSPC, as a full disk would; with
 * WEIR_FAIL_WRITE_COUNT = K only K writes fail (a transient fault).
 * weir__snap_reset_fault_injection restarts the count.
 */
void weir__snap_reset_fault_injection(void);
typedef struct weir__snap_writer {
  char *path;
  uint8_t *mem; /* the file's bytes so far */
  size_t len, cap;
} weir__snap_writer;

/* Start the snapshot file PATH (serialized in memory until commit or
 * detach).  WEIR_OK or WEIR_NOMEM (err set). */
int weir__snap_open(weir__snap_writer *w, const char *path, weir__err *err);
int weir__snap_put(weir__snap_writer *w, const void *p, size_t n, weir__err *err);
int weir__snap_put_u64(weir__snap_writer *w, uint64_t v, weir__err *err);
/* A length (u32) and the bytes. */
int weir__snap_put_bytes(weir__snap_writer *w, const void *p, uint32_t n, weir__err *err);
/* Checksum, write PATH.tmp, fsync, rename into place, fsync the
 * directory.  The writer is closed either way.  WEIR_OK or WEIR_IOERR. */
int weir__snap_commit(weir__snap_writer *w, weir__err *err);
/* Checksum and hand the path and the file's bytes to the caller (who
 * frees both), to be written by weir__snap_write_file on another thread. */
int weir__snap_detach(weir__snap_writer *w, char **path, uint8_t **data, size_t *len);
int weir__snap_write_file(const char *path, const uint8_t *data, size_t len, weir__err *err);
/* Drop what was written. */
void weir__snap_abort(weir__snap_writer *w);

typedef struct weir__snap_reader {
  uint8_t *data;
  size_t n;   /* payload end (before the checksum) */
  size_t pos; /* next byte to read */
  char *path;
} weir__snap_reader;

/* Load and verify PATH.  WEIR_OK, WEIR_NOTFOUND, WEIR_IOERR, WEIR_CORRUPT or WEIR_NOMEM. */
int weir__snap_load(weir__snap_reader *r, const char *path, weir__err *err);
/* Read the next n bytes / u64 / length-prefixed bytes (a view into the
 * loaded data).  WEIR_CORRUPT when the payload ends early. */
int weir__snap_get(weir__snap_reader *r, void *p, size_t n, weir__err *err);
int weir__snap_get_u64(weir__snap_reader *r, uint64_t *v, weir__err *err);
int weir__snap_get_bytes(weir__snap_reader *r, const uint8_t **p, uint32_t *n, weir__err *err);
int weir__snap_at_end(const weir__snap_reader *r);
void weir__snap_close(weir__snap_reader *r);

/* fsync the directory dir (after a rename or unlink in it). */
int weir__fsync_dir(const char *dir, weir__err *err);
/* Remove dir and everything below it; missing is fine.  0 or -1 (errno). */
int weir__remove_tree(const char *dir);

#endif

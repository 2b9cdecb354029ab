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

#endif

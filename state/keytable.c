/*
 * keytable.c -- the in-memory key table: open addressing with linear
 * probing over 64-bit slots that hold a 32-bit hash tag and the entry
 * number, so most mismatches are rejected without touching the key.
 * Grows at a load factor of 1/2; entries live in one array in insertion
 * order.
 */
#include "state/state.h"

typedef struct rec_hdr {
  const uint8_t *key;
  uint64_t hash;
  uint32_t klen;
  uint32_t flags; /* 1: dirty (changed since written back) */
} rec_hdr;

#define HDR ((uint32_t)sizeof(rec_hdr))

static inline rec_hdr *rec(const weir__ktable *kt, uint32_t e) {
  return (rec_hdr *)(kt->recs + (size_t)e * kt->rec_size);
}

int weir__ktable_init(weir__ktable *kt, size_t payload_size) {
  memset(kt, 0, sizeof *kt);
  kt->payload_size = payload_size;
  kt->rec_size = (uint32_t)((HDR + payload_size + 7) & ~(size_t)7);
  uint32_t cap = 64;
  kt->slots = weir__calloc(cap, sizeof(uint64_t));
  if (!kt->slots) return -1;
  kt->mask = cap - 1;
  weir__arena_init(&kt->keys, 32768);
  return 0;
}

void weir__ktable_free(weir__ktable *kt) {
  weir__free(kt->slots);
  weir__free(kt->recs);
  weir__arena_free(&kt->keys);
  memset(kt, 0, sizeof *kt);
}

static int grow_slots(weir__ktable *kt) {
  uint32_t cap = (kt->mask + 1) * 2;
  /* malloc + memset, not calloc: calloc's fresh pages map the shared zero
   * page, and the probes below would read them before writing, so each
   * page would fault twice, the second time with a copy and a TLB
   * shootdown across every CPU running this process. */
  uint64_t *slots = weir__malloc((size_t)cap * sizeof(uint64_t));
  if (!slots) return -1;
  memset(slots, 0, (size_t)cap * sizeof(uint64_t));
  uint32_t mask = cap - 1;
  for (uint32_t e = 0; e < kt->n; e++) {
    uint64_t h = rec(kt, e)->hash;
    uint32_t i = (uint32_t)h & mask;
    while (slots[i]) i = (i + 1) & mask;
    slots[i] = ((h >> 32) << 32) | (uint64_t)(e + 1);
  }
  weir__free(kt->slots);
  kt->slots = slots;
  kt->mask = mask;
  return 0;
}

int64_t weir__ktable_find(const weir__ktable *kt, const uint8_t *key, uint32_t klen,
                          uint64_t hash) {
  uint32_t i = (uint32_t)hash & kt->mask;
  uint64_t tag = (hash >> 32) << 32;
  for (;;) {
    uint64_t s = kt->slots[i];
    if (!s) return -1;
    if ((s & 0xFFFFFFFF00000000ULL) == tag) {
      uint32_t e = (uint32_t)s - 1;
      rec_hdr *r = rec(kt, e);
      if (r->klen == klen && memcmp(r->key, key, klen) == 0) return e;
    }
    i = (i + 1) & kt->mask;
  }
}

int64_t weir__ktable_upsert(weir__ktable *kt, const uint8_t *key, uint32_t klen, uint64_t hash,
                            int *inserted) {
  /* Keep the load factor at most 1/2, growing before a probe can need
   * the room, so a probe always ends at an empty slot. */
  if ((uint64_t)(kt->n + 1) * 2 > (uint64_t)kt->mask + 1 && grow_slots(kt)) return -1;
  uint32_t i = (uint32_t)hash & kt->mask;
  uint64_t tag = (hash >> 32) << 32;
  for (;;) {
    uint64_t s = kt->slots[i];
    if (!s) break;
    if ((s & 0xFFFFFFFF00000000ULL) == tag) {
      uint32_t e = (uint32_t)s - 1;
      rec_hdr *r = rec(kt, e);
      if (r->klen == klen && memcmp(r->key, key, klen) == 0) {
        r->flags = 1;
        *inserted = 0;
        return e;
      }
    }
    i = (i + 1) & kt->mask;
  }
  /* Insert. */
  if (kt->n == UINT32_MAX - 1) return -1;
  if (kt->n == kt->rec_cap) {
    uint32_t cap = kt->rec_cap ? kt->rec_cap * 2 : 64;
    uint8_t *recs = weir__realloc(kt->recs, (size_t)cap * kt->rec_size);
    if (!recs) return -1;
    kt->recs = recs;
    kt->rec_cap = cap;
  }
  uint8_t *kcopy = weir__arena_alloc(&kt->keys, klen ? klen : 1);
  if (!kcopy) return -1;
  memcpy(kcopy, key, klen);
  uint32_t e = kt->n++;
  rec_hdr *r = rec(kt, e);
  r->key = kcopy;
  r->hash = hash;
  r->klen = klen;
  r->flags = 1;
  memset((uint8_t *)r + HDR, 0, kt->payload_size);
  kt->slots[i] = tag | (uint64_t)(e + 1);
  *inserted = 1;
  return e;
}

void *weir__ktable_payload(const weir__ktable *kt, uint32_t e) {
  return (uint8_t *)rec(kt, e) + HDR;
}

const uint8_t *weir__ktable_key(const weir__ktable *kt, uint32_t e, uint32_t *klen) {
  rec_hdr *r = rec(kt, e);
  *klen = r->klen;
  return r->key;
}

size_t weir__ktable_memory(const weir__ktable *kt) {
  return (size_t)(kt->mask + 1) * 8 + (size_t)kt->rec_cap * kt->rec_size + kt->keys.used;
}

void weir__ktable_clear(weir__ktable *kt) {
  memset(kt->slots, 0, sizeof(uint64_t) * ((size_t)kt->mask + 1));
  kt->n = 0;
  weir__arena_reset(&kt->keys);
}

int weir__ktable_dirty(const weir__ktable *kt, uint32_t e) { return rec(kt, e)->flags & 1; }

void weir__ktable_set_clean(weir__ktable *kt, uint32_t e) { rec(kt, e)->flags = 0; }

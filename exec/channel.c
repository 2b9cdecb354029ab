/*
 * channel.c -- the bounded single-producer single-consumer channels that
 * connect tasks, and the doorbells tasks sleep on.
 *
 * A channel is a ring of messages (chunks, watermarks, idleness, end of
 * input) written by one producer thread and read by one consumer thread,
 * with acquire/release indices and no lock on the fast path.  A full
 * channel blocks its producer: that is backpressure.  Next to it runs a
 * second ring in the other direction that returns consumed chunks to the
 * producer for reuse, so chunks are not allocated per message.
 *
 * Nobody spins: a thread with nothing to do sleeps on its doorbell (a
 * mutex, a condition variable and a sequence number), and whoever gives it
 * something to do -- a message, or room in a full channel -- rings it.
 *
 * For unaligned checkpoints a producer can also post a priority barrier
 * beside the ring, which the consumer sees before the messages queued
 * ahead of it (weir__channel_priority_barrier).
 *
 * Entry points: weir__doorbell_*, weir__channel_*.
 */
#include <errno.h>
#include <time.h>

#include "exec/execInt.h"

/* ---- doorbells ------------------------------------------------------------------ */

void weir__doorbell_init(weir__doorbell *d) {
  pthread_mutex_init(&d->mu, NULL);
  pthread_cond_init(&d->cv, NULL);
  atomic_store(&d->seq, 0);
}

void weir__doorbell_destroy(weir__doorbell *d) {
  pthread_mutex_destroy(&d->mu);
  pthread_cond_destroy(&d->cv);
}

void weir__doorbell_ring(weir__doorbell *d) {
  pthread_mutex_lock(&d->mu);
  atomic_fetch_add_explicit(&d->seq, 1, memory_order_release);
  pthread_cond_broadcast(&d->cv);
  pthread_mutex_unlock(&d->mu);
}

uint64_t weir__doorbell_seq(weir__doorbell *d) {
  return atomic_load_explicit(&d->seq, memory_order_acquire);
}

int weir__doorbell_wait(weir__doorbell *d, uint64_t seen, int64_t timeout_ms) {
  int rang = 1;
  pthread_mutex_lock(&d->mu);
  if (atomic_load_explicit(&d->seq, memory_order_acquire) == seen) {
    if (timeout_ms < 0) {
      pthread_cond_wait(&d->cv, &d->mu);
    } else {
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      ts.tv_sec += timeout_ms / 1000;
      ts.tv_nsec += (timeout_ms % 1000) * 1000000;
      if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
      }
      if (pthread_cond_timedwait(&d->cv, &d->mu, &ts) == ETIMEDOUT) rang = 0;
    }
  }
  pthread_mutex_unlock(&d->mu);
  return rang;
}

/* ---- channels ---------------------------------------------------------------------- */

weir__channel *weir__channel_new(weir__doorbell *consumer, weir__doorbell *producer) {
  weir__channel *ch = weir__calloc(1, sizeof *ch);
  if (!ch) return NULL;
  ch->consumer = consumer;
  ch->producer = producer;
  ch->wm = WEIR_WATERMARK_MIN;
  return ch;
}

void weir__channel_free(weir__channel *ch) {
  if (!ch) return;
  /* Chunks still in flight or waiting for reuse. */
  uint32_t h = atomic_load(&ch->head), t = atomic_load(&ch->tail);
  for (; h != t; h++) weir__chunk_free(ch->ring[h & (WEIR_CHANNEL_CAP - 1)].chunk);
  h = atomic_load(&ch->fhead);
  t = atomic_load(&ch->ftail);
  for (; h != t; h++) weir__chunk_free(ch->free_ring[h & (WEIR_CHANNEL_CAP * 2 - 1)]);
  weir__free(ch);
}

int weir__channel_try_send(weir__channel *ch, const weir__msg *m) {
  uint32_t t = atomic_load_explicit(&ch->tail, memory_order_relaxed);
  uint32_t h = atomic_load_explicit(&ch->head, memory_order_acquire);
  if (t - h == WEIR_CHANNEL_CAP) return 0;
  ch->ring[t & (WEIR_CHANNEL_CAP - 1)] = *m;
  atomic_store_explicit(&ch->tail, t + 1, memory_order_release);
  weir__doorbell_ring(ch->consumer);
  return 1;
}

int weir__channel_try_recv(weir__channel *ch, weir__msg *m) {
  uint32_t h = atomic_load_explicit(&ch->head, memory_order_relaxed);
  uint32_t t = atomic_load_explicit(&ch->tail, memory_order_acquire);
  if (h == t) return 0;
  *m = ch->ring[h & (WEIR_CHANNEL_CAP - 1)];
  atomic_store_explicit(&ch->head, h + 1, memory_order_release);
  /* The producer may be waiting for room. */
  if (t - h == WEIR_CHANNEL_CAP) weir__doorbell_ring(ch->producer);
  return 1;
}

void weir__channel_recycle(weir__channel *ch, weir__chunk *c) {
  uint32_t t = atomic_load_explicit(&ch->ftail, memory_order_relaxed);
  uint32_t h = atomic_load_explicit(&ch->fhead, memory_order_acquire);
  if (t - h == WEIR_CHANNEL_CAP * 2) {
    weir__chunk_free(c);
    return;
  }
  ch->free_ring[t & (WEIR_CHANNEL_CAP * 2 - 1)] = c;
  atomic_store_explicit(&ch->ftail, t + 1, memory_order_release);
}

weir__chunk *weir__channel_reuse(weir__channel *ch) {
  uint32_t h = atomic_load_explicit(&ch->fhead, memory_order_relaxed);
  uint32_t t = atomic_load_explicit(&ch->ftail, memory_order_acquire);
  if (h == t) return NULL;
  weir__chunk *c = ch->free_ring[h & (WEIR_CHANNEL_CAP * 2 - 1)];
  atomic_store_explicit(&ch->fhead, h + 1, memory_order_release);
  return c;
}

/* The pair is one atomic word, so the consumer never reads the id of one
 * barrier with the position of another.  The store precedes the sends of
 * the messages after the barrier (release on tail), so a consumer that
 * has received such a message and then polls sees the barrier. */
void weir__channel_priority_barrier(weir__channel *ch, int64_t id, uint32_t before) {
  uint32_t pos = atomic_load_explicit(&ch->tail, memory_order_relaxed) + before;
  atomic_store_explicit(&ch->prio, (uint64_t)id << 32 | pos, memory_order_release);
  weir__doorbell_ring(ch->consumer);
}

int64_t weir__channel_poll_priority(weir__channel *ch) {
  uint64_t p = atomic_load_explicit(&ch->prio, memory_order_acquire);
  int64_t id = (int64_t)(p >> 32);
  if (id > ch->ub_id) {
    ch->ub_id = id;
    ch->ub_pos = (uint32_t)p;
  }
  return ch->ub_id;
}

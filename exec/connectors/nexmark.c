/*
 * nexmark.c -- the built-in Nexmark source ('connector' = 'nexmark'),
 * implementing ../shared/NEXMARK.md: an online auction where people
 * register, open auctions and bid, exposed as three tables through
 * 'nexmark.table' = 'person' | 'auction' | 'bid'.
 *
 * Determinism: every value of event e is drawn from a PRNG seeded with
 * hash(seed, e, field), one stream per field, so an event's values do not
 * depend on which other fields a query reads (projection), on which split
 * generates it, or on anything generated before it.  Split i of p
 * generates the events numbered i, i + p, i + 2p, ... of the
 * single-generator sequence, so the union of the splits is the same stream
 * whatever the parallelism.  The position of a split is its event count,
 * which makes the source replayable.
 *
 * Speed: a bid costs a handful of PRNG draws; its text fields are views
 * into tables built once at open (channel names and URLs) or into a 1 MiB
 * pool of random letters (extra), never copied.
 *
 * Entry point: weir__connector_nexmark.
 */
#include <math.h>
#include <stdio.h>
#include <strings.h>
#include <time.h>

#include "exec/execInt.h"

static const weir__opt_spec nexmark_opts[] = {
    {"connector", OPT_STRING, 1, NULL, NULL},
    {"nexmark.table", OPT_ENUM, 1, "person|auction|bid", NULL},
    {"events", OPT_INT, 0, NULL, "0"},
    WEIR_SOURCE_OPTS,
    {"nexmark.events-per-second", OPT_INT, 0, NULL, "10000"},
    {"nexmark.seed", OPT_INT, 0, NULL, "0"},
    {"nexmark.out-of-order-group-size", OPT_INT, 0, NULL, "1"},
    {"nexmark.base-time", OPT_STRING, 0, NULL, "2026-01-01 00:00:00"},
    {"nexmark.pace", OPT_BOOL, 0, NULL, "false"},
    {"nexmark.pace.speedup", OPT_INT, 0, NULL, "1"},
    {"nexmark.hot-auction-ratio", OPT_INT, 0, NULL, "2"},
    {"nexmark.hot-sellers-ratio", OPT_INT, 0, NULL, "4"},
    {"nexmark.hot-bidders-ratio", OPT_INT, 0, NULL, "4"},
    {"nexmark.active-people", OPT_INT, 0, NULL, "1000"},
    {"nexmark.in-flight-auctions", OPT_INT, 0, NULL, "100"},
    {NULL, 0, 0, NULL, NULL}};

/* ---- the tables' fields ------------------------------------------------------- */

enum table_kind { T_PERSON, T_AUCTION, T_BID };

typedef struct field_def {
  const char *name;
  int type;
} field_def;

/* Field numbers double as PRNG stream numbers. */
enum {
  P_ID, P_NAME, P_EMAIL, P_CREDIT_CARD, P_CITY, P_STATE, P_DATE_TIME, P_EXTRA, P_NFIELDS
};
enum {
  A_ID, A_ITEM_NAME, A_DESCRIPTION, A_INITIAL_BID, A_RESERVE, A_DATE_TIME, A_EXPIRES, A_SELLER,
  A_CATEGORY, A_EXTRA, A_NFIELDS
};
enum { B_AUCTION, B_BIDDER, B_PRICE, B_CHANNEL, B_URL, B_DATE_TIME, B_EXTRA, B_NFIELDS };

static const field_def person_fields[] = {
    {"id", WEIR_TYPE_BIGINT},         {"name", WEIR_TYPE_VARCHAR},
    {"email_address", WEIR_TYPE_VARCHAR}, {"credit_card", WEIR_TYPE_VARCHAR},
    {"city", WEIR_TYPE_VARCHAR},      {"state", WEIR_TYPE_VARCHAR},
    {"date_time", WEIR_TYPE_TIMESTAMP}, {"extra", WEIR_TYPE_VARCHAR}};
static const field_def auction_fields[] = {
    {"id", WEIR_TYPE_BIGINT},         {"item_name", WEIR_TYPE_VARCHAR},
    {"description", WEIR_TYPE_VARCHAR}, {"initial_bid", WEIR_TYPE_BIGINT},
    {"reserve", WEIR_TYPE_BIGINT},    {"date_time", WEIR_TYPE_TIMESTAMP},
    {"expires", WEIR_TYPE_TIMESTAMP}, {"seller", WEIR_TYPE_BIGINT},
    {"category", WEIR_TYPE_BIGINT},   {"extra", WEIR_TYPE_VARCHAR}};
static const field_def bid_fields[] = {
    {"auction", WEIR_TYPE_BIGINT},  {"bidder", WEIR_TYPE_BIGINT},
    {"price", WEIR_TYPE_BIGINT},    {"channel", WEIR_TYPE_VARCHAR},
    {"url", WEIR_TYPE_VARCHAR},     {"date_time", WEIR_TYPE_TIMESTAMP},
    {"extra", WEIR_TYPE_VARCHAR}};

static int table_kind(const weir__table *t) {
  const char *v = weir__table_option(t, "nexmark.table");
  if (v && strcmp(v, "person") == 0) return T_PERSON;
  if (v && strcmp(v, "auction") == 0) return T_AUCTION;
  return T_BID;
}

static const field_def *fields_of(int kind, int *n) {
  switch (kind) {
  case T_PERSON: *n = WEIR_ARRAY_LEN(person_fields); return person_fields;
  case T_AUCTION: *n = WEIR_ARRAY_LEN(auction_fields); return auction_fields;
  default: *n = WEIR_ARRAY_LEN(bid_fields); return bid_fields;
  }
}

static int find_field(int kind, const char *name) {
  int n;
  const field_def *f = fields_of(kind, &n);
  for (int i = 0; i < n; i++) {
    if (weir__stricmp(f[i].name, name) == 0) return i;
  }
  return -1;
}

static int nexmark_validate(weir__table *t, weir__err *err) {
  const weir__opt_spec *lists[] = {nexmark_opts};
  if (weir__opt_check(t, "connector 'nexmark'", err, lists, 1)) return err->code;
  int64_t ms;
  const char *bt = weir__opt_get(t, nexmark_opts, "nexmark.base-time");
  if (weir__time_parse_ts(bt, strlen(bt), &ms))
    return weir__err_set(err, WEIR_ERROR, -1,
                         "table '%s': option 'nexmark.base-time' must be a timestamp "
                         "'YYYY-MM-DD HH:MM:SS', got '%s'",
                         t->name, bt);
  if (weir__opt_int(t, nexmark_opts, "nexmark.events-per-second") <= 0)
    return weir__err_set(err, WEIR_ERROR, -1,
                         "table '%s': 'nexmark.events-per-second' must be positive", t->name);
  static const char *const ratios[] = {"nexmark.hot-auction-ratio", "nexmark.hot-sellers-ratio",
                                       "nexmark.hot-bidders-ratio", "nexmark.active-people",
                                       "nexmark.out-of-order-group-size"};
  for (int i = 0; i < WEIR_ARRAY_LEN(ratios); i++) {
    if (weir__opt_int(t, nexmark_opts, ratios[i]) <= 0)
      return weir__err_set(err, WEIR_ERROR, -1, "table '%s': '%s' must be positive", t->name,
                           ratios[i]);
  }
  int kind = table_kind(t);
  for (int i = 0; i < t->ncol; i++) {
    if (t->cols[i].computed) continue;
    int f = find_field(kind, t->cols[i].name);
    int n;
    const field_def *fd = fields_of(kind, &n);
    if (f < 0) {
      weir__sb sb;
      weir__sb_init(&sb);
      for (int k = 0; k < n; k++) weir__sb_printf(&sb, "%s%s", k ? ", " : "", fd[k].name);
      weir__err_set(err, WEIR_ERROR, -1,
                    "table '%s': column '%s' is not a field of the Nexmark %s table (%s)",
                    t->name, t->cols[i].name, weir__table_option(t, "nexmark.table"),
                    weir__sb_str(&sb));
      weir__sb_free(&sb);
      return WEIR_ERROR;
    }
    int want = fd[f].type, got = t->cols[i].type;
    if (want != got && !(want == WEIR_TYPE_TIMESTAMP && got == WEIR_TYPE_TIMESTAMP_LTZ))
      return weir__err_set(err, WEIR_ERROR, -1,
                           "table '%s': Nexmark field '%s' is %s, but the column is declared %s",
                           t->name, fd[f].name, weir__type_name(want), weir__type_name(got));
  }
  return WEIR_OK;
}

/* ---- random numbers ------------------------------------------------------------- */

/* splitmix64's finalizer: a good 64-bit mix. */
static inline uint64_t mix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

typedef struct rng {
  uint64_t s;
} rng;

/* The stream of field f of event e. */
static inline rng stream(uint64_t seed, int64_t e, int f) {
  rng r = {mix64(seed ^ mix64((uint64_t)e * 64 + (uint64_t)f))};
  return r;
}

static inline uint64_t next64(rng *r) {
  r->s += 0x9e3779b97f4a7c15ULL;
  uint64_t z = r->s;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* Uniform in [0, n) (Lemire's multiply-shift; the bias is below 2^-40 for
 * the ranges used here). */
static inline int64_t uniform(rng *r, int64_t n) {
  return (int64_t)(((unsigned __int128)next64(r) * (uint64_t)n) >> 64);
}

static inline double unit(rng *r) { return (double)(next64(r) >> 11) * 0x1.0p-53; }

/* ---- the source ----------------------------------------------------------------- */

#define POOL_SIZE (1 << 20)
#define NCHANNELS 10000

static const char *const first_names[] = {"Peter", "Paul",  "Luke",  "John",   "Saul",  "Vicky",
                                          "Kate",  "Julie", "Sarah", "Deiter", "Walter"};
static const char *const last_names[] = {"Shultz", "Abrams", "Spencer", "White", "Bartels",
                                         "Walton", "Smith",  "Jones",   "Noris"};
static const char *const cities[] = {"Phoenix", "Los Angeles", "San Francisco", "Boise",
                                     "Portland", "Bend",       "Redmond",       "Seattle",
                                     "Kent",     "Cheyenne"};
static const char *const states[] = {"AZ", "CA", "ID", "OR", "WA", "WY"};
static const char *const hot_channels[] = {"Google", "Facebook", "Baidu", "Apple"};
static const char *const hot_urls[] = {
    "https://www.nexmark.com/google/item.htm?query=1&channel_id=1",
    "https://www.nexmark.com/facebook/item.htm?query=1&channel_id=2",
    "https://www.nexmark.com/baidu/item.htm?query=1&channel_id=3",
    "https://www.nexmark.com/apple/item.htm?query=1&channel_id=4"};

typedef struct nexmark_src {
  weir__op base;
  int kind;
  uint64_t seed;
  int64_t events;     /* bound on event numbers (0: none) */
  int64_t next_k;     /* next event number of this split */
  weir__interleaved restored; /* restored at another parallelism: events to skip */
  int split, nsplits; /* this split generates k = split + j * nsplits */
  int64_t group;      /* out-of-order group size */
  int64_t base_ms;
  double delay_us; /* event-time microseconds between events */
  int pace;
  int64_t pace_start_ns;
  int64_t speedup; /* paced: event-time ms per wall-clock ms */
  int64_t hot_auction, hot_seller, hot_bidder, active_people, in_flight;
  int *out_of_field; /* field -> output column or -1 */
  int nfields;
  char *pool;
  weir__str channel_names[NCHANNELS];
  weir__str channel_urls[NCHANNELS];
  char *channel_text;
  weir__chunk *out;
} nexmark_src;

static int64_t event_time(const nexmark_src *s, int64_t n) {
  return s->base_ms + (int64_t)floor((double)n * s->delay_us) / 1000;
}

/* Adjusted number of event counter k (out-of-order groups). */
static inline int64_t adjusted(const nexmark_src *s, int64_t k) {
  if (s->group == 1) return k;
  return (k / s->group) * s->group + (k * 953) % s->group;
}

static int64_t now_ns(void) { return weir__mono_ns(); }

/* next_string(max) into arena: length uniform in [3, max - 1]; a space
 * with probability 1/13, else a-z; ends trimmed. */
static weir__str next_string(rng *r, int max, weir__arena *a) {
  weir__str s = {"", 0};
  int len = 3 + (int)uniform(r, max - 3);
  char *buf = weir__arena_alloc(a, (size_t)len + 1);
  if (!buf) return s;
  for (int i = 0; i < len; i++) {
    int64_t c = uniform(r, 13 * 26);
    buf[i] = c < 26 ? ' ' : (char)('a' + c % 26);
  }
  int b = 0, e = len;
  while (b < e && buf[b] == ' ') b++;
  while (e > b && buf[e - 1] == ' ') e--;
  s.p = buf + b;
  s.n = (uint32_t)(e - b);
  return s;
}

/* next_extra(current, avg): a view into the pool. */
static weir__str next_extra(const nexmark_src *s, rng *r, int current, int avg) {
  weir__str x = {"", 0};
  if (current > avg) return x;
  int d = avg - current;
  int delta = (int)lround(0.2 * d);
  int lo = d - delta, width = 2 * delta;
  int len = width > 0 ? lo + (int)uniform(r, width) : lo;
  if (len <= 0) return x;
  x.p = s->pool + uniform(r, POOL_SIZE - len);
  x.n = (uint32_t)len;
  return x;
}

static int64_t price(rng *r) { return (int64_t)llround(pow(10.0, unit(r) * 6) * 100); }

static int64_t active_person(const nexmark_src *s, rng *r, int64_t last_person) {
  int64_t n = last_person + 1;
  int64_t active = n < s->active_people ? n : s->active_people;
  return n - active + uniform(r, active + 10);
}

static int64_t in_flight_auction(const nexmark_src *s, rng *r, int64_t last_auction) {
  int64_t hi = last_auction, lo = hi - s->in_flight > 0 ? hi - s->in_flight : 0;
  return lo + uniform(r, hi + 10 - lo + 1);
}

static int src_open(weir__op *op) {
  nexmark_src *s = (nexmark_src *)op;
  const weir__pop *p = op->plan;
  const weir__table *t = p->table;
  s->kind = table_kind(t);
  s->seed = (uint64_t)weir__opt_int(t, nexmark_opts, "nexmark.seed");
  s->events = weir__opt_int(t, nexmark_opts, "events");
  s->group = weir__opt_int(t, nexmark_opts, "nexmark.out-of-order-group-size");
  s->delay_us = 1e6 / (double)weir__opt_int(t, nexmark_opts, "nexmark.events-per-second");
  const char *bt = weir__opt_get(t, nexmark_opts, "nexmark.base-time");
  weir__time_parse_ts(bt, strlen(bt), &s->base_ms);
  s->pace = weir__opt_bool(t, nexmark_opts, "nexmark.pace");
  s->speedup = weir__opt_int(t, nexmark_opts, "nexmark.pace.speedup");
  if (s->speedup < 1) s->speedup = 1;
  s->hot_auction = weir__opt_int(t, nexmark_opts, "nexmark.hot-auction-ratio");
  s->hot_seller = weir__opt_int(t, nexmark_opts, "nexmark.hot-sellers-ratio");
  s->hot_bidder = weir__opt_int(t, nexmark_opts, "nexmark.hot-bidders-ratio");
  s->active_people = weir__opt_int(t, nexmark_opts, "nexmark.active-people");
  s->in_flight = weir__opt_int(t, nexmark_opts, "nexmark.in-flight-auctions");
  s->split = op->subtask;
  s->nsplits = op->nsubtasks > 0 ? op->nsubtasks : 1;
  s->next_k = s->split;
  fields_of(s->kind, &s->nfields);
  s->out_of_field = weir__calloc((size_t)s->nfields, sizeof(int));
  s->out = weir__chunk_new(p->ncol, p->types, WEIR_CHUNK_CAP);
  s->pool = weir__malloc(POOL_SIZE);
  if (!s->out_of_field || !s->out || !s->pool) return weir__err_nomem(op->err);
  for (int f = 0; f < s->nfields; f++) s->out_of_field[f] = -1;
  for (int k = 0; k < p->nproj; k++) {
    int f = find_field(s->kind, t->cols[p->proj[k]].name);
    if (f >= 0) s->out_of_field[f] = k;
  }
  /* The pool of letters for extra, and the cold channels' names and URLs,
   * all derived from the seed. */
  rng r = {mix64(s->seed ^ 0x5eed)};
  for (int i = 0; i < POOL_SIZE; i++) s->pool[i] = (char)('a' + uniform(&r, 26));
  weir__sb sb;
  weir__sb_init(&sb);
  size_t *offs = weir__malloc(sizeof(size_t) * NCHANNELS * 2);
  if (!offs) return weir__err_nomem(op->err);
  weir__arena scratch;
  weir__arena_init(&scratch, 4096);
  for (int i = 0; i < NCHANNELS; i++) {
    offs[2 * i] = sb.n;
    weir__sb_printf(&sb, "channel-%d", i);
    offs[2 * i + 1] = sb.n;
    rng cr = {mix64(s->seed ^ mix64(0xc4a77e1ULL + (uint64_t)i))};
    weir__sb_puts(&sb, "https://www.nexmark.com/");
    for (int part = 0; part < 3; part++) {
      weir__str w = next_string(&cr, 5 + 1, &scratch);
      for (uint32_t c = 0; c < w.n; c++) weir__sb_putc(&sb, w.p[c] == ' ' ? '_' : w.p[c]);
      weir__sb_putc(&sb, '/');
    }
    weir__sb_puts(&sb, "item.htm?query=1");
    /* 90 % of the cold channels name themselves in the URL. */
    if (uniform(&cr, 10) != 0) weir__sb_printf(&sb, "&channel_id=%d", i);
  }
  weir__arena_free(&scratch);
  size_t total = sb.n;
  s->channel_text = weir__sb_take(&sb);
  if (!s->channel_text) {
    weir__free(offs);
    return weir__err_nomem(op->err);
  }
  for (int i = 0; i < NCHANNELS; i++) {
    size_t a = offs[2 * i], b = offs[2 * i + 1];
    size_t c = i + 1 < NCHANNELS ? offs[2 * i + 2] : total;
    s->channel_names[i].p = s->channel_text + a;
    s->channel_names[i].n = (uint32_t)(b - a);
    s->channel_urls[i].p = s->channel_text + b;
    s->channel_urls[i].n = (uint32_t)(c - b);
  }
  weir__free(offs);
  s->pace_start_ns = now_ns();
  return WEIR_OK;
}

static inline void put_i64(nexmark_src *s, int f, int r, int64_t v) {
  int c = s->out_of_field[f];
  if (c >= 0) WEIR_VEC_I64(&s->out->cols[c])[r] = v;
}

static inline void put_str(nexmark_src *s, int f, int r, weir__str v) {
  int c = s->out_of_field[f];
  if (c >= 0) WEIR_VEC_STR(&s->out->cols[c])[r] = v;
}

static inline int wants(const nexmark_src *s, int f) { return s->out_of_field[f] >= 0; }

static void gen_bid(nexmark_src *s, int64_t e, int64_t epoch, int64_t ts, int r) {
  int64_t last_person = epoch, last_auction = epoch * 3 + 2;
  if (wants(s, B_AUCTION)) {
    rng g = stream(s->seed, e, B_AUCTION);
    int64_t a = uniform(&g, s->hot_auction) > 0 ? (last_auction / 100) * 100
                                                 : in_flight_auction(s, &g, last_auction);
    put_i64(s, B_AUCTION, r, a + 1000);
  }
  if (wants(s, B_BIDDER)) {
    rng g = stream(s->seed, e, B_BIDDER);
    int64_t b = uniform(&g, s->hot_bidder) > 0 ? (last_person / 100) * 100 + 1
                                                : active_person(s, &g, last_person);
    put_i64(s, B_BIDDER, r, b + 1000);
  }
  if (wants(s, B_PRICE)) {
    rng g = stream(s->seed, e, B_PRICE);
    put_i64(s, B_PRICE, r, price(&g));
  }
  if (wants(s, B_CHANNEL) || wants(s, B_URL)) {
    /* Channel and URL share one stream: they go together. */
    rng g = stream(s->seed, e, B_CHANNEL);
    if (uniform(&g, 2) == 0) {
      int h = (int)uniform(&g, 4);
      weir__str n = {hot_channels[h], (uint32_t)strlen(hot_channels[h])};
      weir__str u = {hot_urls[h], (uint32_t)strlen(hot_urls[h])};
      put_str(s, B_CHANNEL, r, n);
      put_str(s, B_URL, r, u);
    } else {
      int i = (int)uniform(&g, NCHANNELS);
      put_str(s, B_CHANNEL, r, s->channel_names[i]);
      put_str(s, B_URL, r, s->channel_urls[i]);
    }
  }
  put_i64(s, B_DATE_TIME, r, ts);
  if (wants(s, B_EXTRA)) {
    rng g = stream(s->seed, e, B_EXTRA);
    put_str(s, B_EXTRA, r, next_extra(s, &g, 32, 100));
  }
}

static void gen_person(nexmark_src *s, int64_t e, int64_t epoch, int64_t ts, int r) {
  weir__arena *a = &s->out->arena;
  put_i64(s, P_ID, r, epoch + 1000);
  rng g = stream(s->seed, e, P_NAME);
  const char *fn = first_names[uniform(&g, WEIR_ARRAY_LEN(first_names))];
  const char *ln = last_names[uniform(&g, WEIR_ARRAY_LEN(last_names))];
  char *name = weir__arena_printf(a, "%s %s", fn, ln);
  weir__str nm = {name ? name : "", name ? (uint32_t)strlen(name) : 0};
  g = stream(s->seed, e, P_EMAIL);
  weir__str u = next_string(&g, 7, a), d = next_string(&g, 5, a);
  char *email = weir__arena_printf(a, "%.*s@%.*s.com", (int)u.n, u.p, (int)d.n, d.p);
  weir__str em = {email ? email : "", email ? (uint32_t)strlen(email) : 0};
  g = stream(s->seed, e, P_CREDIT_CARD);
  char *cc = weir__arena_alloc(a, 20);
  weir__str ccs = {"", 0};
  if (cc) {
    for (int i = 0; i < 4; i++)
      snprintf(cc + 5 * i, 6, "%04d%s", (int)uniform(&g, 10000), i < 3 ? " " : "");
    ccs.p = cc;
    ccs.n = 19;
  }
  g = stream(s->seed, e, P_CITY);
  const char *city = cities[uniform(&g, WEIR_ARRAY_LEN(cities))];
  g = stream(s->seed, e, P_STATE);
  const char *state = states[uniform(&g, WEIR_ARRAY_LEN(states))];
  weir__str cs = {city, (uint32_t)strlen(city)}, ss = {state, (uint32_t)strlen(state)};
  put_str(s, P_NAME, r, nm);
  put_str(s, P_EMAIL, r, em);
  put_str(s, P_CREDIT_CARD, r, ccs);
  put_str(s, P_CITY, r, cs);
  put_str(s, P_STATE, r, ss);
  put_i64(s, P_DATE_TIME, r, ts);
  if (wants(s, P_EXTRA)) {
    int size = 8 + (int)(nm.n + em.n + ccs.n + cs.n + ss.n);
    g = stream(s->seed, e, P_EXTRA);
    put_str(s, P_EXTRA, r, next_extra(s, &g, size, 200));
  }
}

static void gen_auction(nexmark_src *s, int64_t e, int64_t n, int64_t epoch, int64_t offset,
                        int64_t ts, int r) {
  weir__arena *a = &s->out->arena;
  int64_t last_person = epoch, last_auction = epoch * 3 + offset - 1;
  put_i64(s, A_ID, r, last_auction + 1000);
  rng g = stream(s->seed, e, A_ITEM_NAME);
  weir__str item = next_string(&g, 20, a);
  g = stream(s->seed, e, A_DESCRIPTION);
  weir__str desc = next_string(&g, 100, a);
  g = stream(s->seed, e, A_INITIAL_BID);
  int64_t initial = price(&g);
  g = stream(s->seed, e, A_RESERVE);
  int64_t reserve = initial + price(&g);
  g = stream(s->seed, e, A_EXPIRES);
  int64_t h = event_time(s, n + 1666) - event_time(s, n);
  int64_t expires = ts + 1 + (h > 0 ? uniform(&g, 2 * h) : 0);
  g = stream(s->seed, e, A_SELLER);
  int64_t seller = uniform(&g, s->hot_seller) > 0 ? (last_person / 100) * 100
                                                  : active_person(s, &g, last_person);
  g = stream(s->seed, e, A_CATEGORY);
  int64_t category = 10 + uniform(&g, 5);
  put_str(s, A_ITEM_NAME, r, item);
  put_str(s, A_DESCRIPTION, r, desc);
  put_i64(s, A_INITIAL_BID, r, initial);
  put_i64(s, A_RESERVE, r, reserve);
  put_i64(s, A_DATE_TIME, r, ts);
  put_i64(s, A_EXPIRES, r, expires);
  put_i64(s, A_SELLER, r, seller + 1000);
  put_i64(s, A_CATEGORY, r, category);
  if (wants(s, A_EXTRA)) {
    int size = 8 + (int)(item.n + desc.n) + 8 * 6;
    g = stream(s->seed, e, A_EXTRA);
    put_str(s, A_EXTRA, r, next_extra(s, &g, size, 500));
  }
}

static int src_poll(weir__op *op) {
  nexmark_src *s = (nexmark_src *)op;
  weir__chunk *out = s->out;
  weir__chunk_reset(out);
  int want_kind = s->kind;
  int64_t step = s->nsplits;
  /* Paced: only the events whose time has come on the wall clock. */
  int64_t now_ev =
      s->pace ? s->base_ms + (now_ns() - s->pace_start_ns) * s->speedup / 1000000 : INT64_MAX;
  while (out->n < out->cap) {
    int64_t k = s->next_k;
    if (s->events > 0 && k >= s->events) break;
    if (weir__interleaved_done(&s->restored, k)) {
      s->next_k += step;
      continue;
    }
    int64_t n = adjusted(s, k);
    int64_t ts = event_time(s, n);
    if (ts > now_ev) {
      /* Not due yet: come back when it is (the task sleeps meanwhile). */
      op->resume_ns = s->pace_start_ns + (ts - s->base_ms) * 1000000 / s->speedup;
      if (out->n == 0) return WEIR_OK;
      break;
    }
    s->next_k += step;
    int64_t e = n; /* first event id 0 */
    int64_t epoch = e / 50, offset = e % 50;
    int kind = offset == 0 ? T_PERSON : offset <= 3 ? T_AUCTION : T_BID;
    if (kind != want_kind) continue;
    int r = out->n;
    switch (kind) {
    case T_BID: gen_bid(s, e, epoch, ts, r); break;
    case T_PERSON: gen_person(s, e, epoch, ts, r); break;
    default: gen_auction(s, e, n, epoch, offset, ts, r); break;
    }
    out->n++;
  }
  if (out->n == 0) return WEIR_DONE;
  return weir__op_emit(op, out);
}

static void src_close(weir__op *op) {
  nexmark_src *s = (nexmark_src *)op;
  weir__interleaved_free(&s->restored);
  weir__free(s->out_of_field);
  weir__chunk_free(s->out);
  weir__free(s->pool);
  weir__free(s->channel_text);
}

/* The split's position: the next event number (replay regenerates the
 * same events from there). */
static int src_snapshot(weir__op *op, weir__snap_writer *w) {
  nexmark_src *s = (nexmark_src *)op;
  return weir__snap_put_u64(w, (uint64_t)s->next_k, op->err);
}

static int src_can_snapshot(weir__op *op) {
  nexmark_src *s = (nexmark_src *)op;
  return !weir__interleaved_active(&s->restored, s->next_k);
}

static int src_restore(weir__op *op, const weir__restore *rs) {
  nexmark_src *s = (nexmark_src *)op;
  int rc = weir__interleaved_restore(op, rs, &s->next_k, &s->restored, op->err);
  /* Paced: the clock resumes where the events resume, not at their start. */
  if (!rc && s->pace)
    s->pace_start_ns =
        now_ns() - (event_time(s, adjusted(s, s->next_k)) - s->base_ms) * 1000000 / s->speedup;
  return rc;
}

static const weir__op_vtab nexmark_vtab = {.name = "NexmarkSource",
                                           .size = sizeof(nexmark_src),
                                           .open = src_open,
                                           .poll = src_poll,
                                           .can_snapshot = src_can_snapshot,
                                           .snapshot = src_snapshot,
                                           .restore = src_restore,
                                           .close = src_close};

static int nexmark_bounded(const weir__table *t) {
  return weir__opt_int(t, nexmark_opts, "events") > 0;
}

const weir__connector weir__connector_nexmark = {
    .name = "nexmark",
    .caps = WEIR_CAP_SOURCE | WEIR_CAP_BOUNDED | WEIR_CAP_SOURCE_REPLAYABLE,
    .opts = nexmark_opts,
    .source = &nexmark_vtab,
    .validate = nexmark_validate,
    .bounded = nexmark_bounded,
};

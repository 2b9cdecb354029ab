/*
 * snapshot.c -- snapshot files: checksummed, written through a temporary
 * file and renamed into place, verified whole before they are read (the
 * format is in state.h).  Checkpoints, savepoints and their metadata are
 * made of these files.
 *
 * Entry points: weir__snap_open/_put/_spill/_commit_at/_abort,
 * weir__snap_load/_get/_close, weir__fault_injected, weir__copy_file,
 * weir__fsync_dir, weir__remove_tree.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "state/state.h"

static const char MAGIC[8] = {'W', 'E', 'I', 'R', 'S', 'N', 'P', '1'};

/* ---- fault injection ---------------------------------------------------------------- */

static _Atomic long writes_done;

int weir__fault_injected(const char *after_var, const char *count_var, _Atomic long *done) {
  const char *v = getenv(after_var), *c = getenv(count_var);
  long n = v ? atol(v) : 0, count = c ? atol(c) : 0;
  if (n <= 0) return 0;
  long k = atomic_fetch_add(done, 1) + 1;
  return k >= n && (count <= 0 || k < n + count);
}

/* Does this write fail by WEIR_FAIL_WRITE_AFTER / _COUNT? */
static int injected_failure(void) {
  return weir__fault_injected("WEIR_FAIL_WRITE_AFTER", "WEIR_FAIL_WRITE_COUNT", &writes_done);
}

void weir__snap_reset_fault_injection(void) { atomic_store(&writes_done, 0); }

static int write_all(int fd, const uint8_t *p, size_t n) {
  if (injected_failure()) {
    errno = ENOSPC;
    return -1;
  }
  while (n > 0) {
    ssize_t k = write(fd, p, n);
    if (k < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += k;
    n -= (size_t)k;
  }
  return 0;
}

/* ---- writer ----------------------------------------------------------------------------- */

/* Writing is two steps, so that a task can hand the slow one to another
 * thread (asynchronous snapshots): the writer serializes (into memory, or
 * through a bounded buffer into its spill file), and weir__snap_commit_at
 * makes the bytes durable under their name. */

enum { SPILL_BLOCK = 1 << 20 };

int weir__snap_open(weir__snap_writer *w, const char *path, weir__err *err) {
  memset(w, 0, sizeof *w);
  w->fd = -1;
  w->path = weir__strdup(path);
  w->cap = 1 << 16;
  w->mem = weir__malloc(w->cap);
  if (!w->path || !w->mem) {
    weir__snap_abort(w);
    return weir__err_nomem(err);
  }
  return weir__snap_put(w, MAGIC, sizeof MAGIC, err);
}

static int io_error(const char *path, const char *what, weir__err *err) {
  return weir__err_set(err, WEIR_IOERR, -1, "checkpoint file '%s': %s: %s", path, what,
                       strerror(errno));
}

/* Move the buffered bytes to the spill file. */
static int spill_out(weir__snap_writer *w, weir__err *err) {
  XXH3_64bits_update(w->xx, w->mem, w->len);
  if (write_all(w->fd, w->mem, w->len)) return io_error(w->spill, "cannot write", err);
  w->len = 0;
  return WEIR_OK;
}

int weir__snap_put(weir__snap_writer *w, const void *p, size_t n, weir__err *err) {
  if (!w->mem) return weir__err_set(err, WEIR_MISUSE, -1, "snapshot writer is closed");
  if (w->len + n + 8 > w->cap) {
    size_t cap = w->cap;
    while (w->len + n + 8 > cap) cap *= 2;
    uint8_t *m = weir__realloc(w->mem, cap);
    if (!m) return weir__err_nomem(err);
    w->mem = m;
    w->cap = cap;
  }
  memcpy(w->mem + w->len, p, n);
  w->len += n;
  return w->spill && w->len >= SPILL_BLOCK ? spill_out(w, err) : WEIR_OK;
}

int weir__snap_put_u64(weir__snap_writer *w, uint64_t v, weir__err *err) {
  uint8_t b[8];
  for (int i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (8 * i));
  return weir__snap_put(w, b, 8, err);
}

int weir__snap_put_bytes(weir__snap_writer *w, const void *p, uint32_t n, weir__err *err) {
  uint8_t b[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24)};
  if (weir__snap_put(w, b, 4, err)) return err->code;
  return weir__snap_put(w, p, n, err);
}

int weir__snap_spill(weir__snap_writer *w, const char *spill_path, weir__err *err) {
  if (w->spill) return WEIR_OK;
  if (!w->mem) return weir__err_set(err, WEIR_MISUSE, -1, "snapshot writer is closed");
  char *spill = weir__strdup(spill_path);
  XXH3_state_t *xx = XXH3_createState();
  if (!spill || !xx) {
    weir__free(spill);
    XXH3_freeState(xx);
    return weir__err_nomem(err);
  }
  int fd = open(spill, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    int rc = io_error(spill, "cannot create", err);
    weir__free(spill);
    XXH3_freeState(xx);
    return rc;
  }
  XXH3_64bits_reset(xx);
  w->spill = spill;
  w->fd = fd;
  w->xx = xx;
  return spill_out(w, err);
}

static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? weir__strndup(path, (size_t)(slash - path ? slash - path : 1)) : weir__strdup(".");
}

/* Finish the spill file (the buffered bytes and the checksum, fsync) and
 * put it at tmp's place: a rename, or a copy across file systems. */
static int finish_spill(weir__snap_writer *w, const char *tmp, weir__err *err) {
  uint8_t sum[8];
  XXH3_64bits_update(w->xx, w->mem, w->len);
  uint64_t h = XXH3_64bits_digest(w->xx);
  for (int i = 0; i < 8; i++) sum[i] = (uint8_t)(h >> (8 * i));
  if (write_all(w->fd, w->mem, w->len) || write_all(w->fd, sum, 8))
    return io_error(w->spill, "cannot write", err);
  if (fsync(w->fd)) return io_error(w->spill, "cannot fsync", err);
  if (rename(w->spill, tmp) == 0) return WEIR_OK;
  if (errno != EXDEV || weir__copy_file(w->spill, tmp))
    return io_error(tmp, "cannot move the spilled snapshot into place", err);
  return WEIR_OK;
}

int weir__snap_commit_at(weir__snap_writer *w, const char *dir, weir__err *err) {
  if (!w->mem) return weir__err_set(err, WEIR_MISUSE, -1, "snapshot writer is closed");
  size_t n = (dir ? strlen(dir) + 1 : 0) + strlen(w->path);
  char *path = weir__malloc(n + 1), *tmp = weir__malloc(n + 5), *pdir = NULL;
  if (path) snprintf(path, n + 1, "%s%s%s", dir ? dir : "", dir ? "/" : "", w->path);
  if (path && tmp) snprintf(tmp, n + 5, "%s.tmp", path);
  if (path && tmp) pdir = dir_of(path);
  int rc = WEIR_OK;
  if (!pdir) {
    rc = weir__err_nomem(err);
  } else if (w->spill) {
    rc = finish_spill(w, tmp, err);
  } else {
    uint64_t h = XXH3_64bits(w->mem, w->len);
    for (int i = 0; i < 8; i++) w->mem[w->len++] = (uint8_t)(h >> (8 * i)); /* room kept by put */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) rc = io_error(tmp, "cannot create", err);
    for (size_t off = 0; !rc && off < w->len; off += SPILL_BLOCK) {
      size_t k = w->len - off < SPILL_BLOCK ? w->len - off : SPILL_BLOCK;
      if (write_all(fd, w->mem + off, k)) rc = io_error(tmp, "cannot write", err);
    }
    if (!rc && fsync(fd)) rc = io_error(tmp, "cannot fsync", err);
    if (fd >= 0 && close(fd) && !rc) rc = io_error(tmp, "cannot close", err);
  }
  if (!rc && rename(tmp, path)) rc = io_error(path, "cannot rename into place", err);
  if (rc && tmp) unlink(tmp);
  if (!rc) rc = weir__fsync_dir(pdir, err);
  weir__free(path);
  weir__free(tmp);
  weir__free(pdir);
  weir__snap_abort(w);
  return rc;
}

int weir__snap_commit(weir__snap_writer *w, weir__err *err) {
  return weir__snap_commit_at(w, NULL, err);
}

void weir__snap_abort(weir__snap_writer *w) {
  if (w->spill) {
    close(w->fd);
    unlink(w->spill); /* gone already when it was moved into place */
    weir__free(w->spill);
    XXH3_freeState(w->xx);
  }
  weir__free(w->path);
  weir__free(w->mem);
  memset(w, 0, sizeof *w);
  w->fd = -1;
}

/* ---- reader ----------------------------------------------------------------------------- */

static int corrupt(weir__snap_reader *r, const char *what, weir__err *err) {
  return weir__err_set(err, WEIR_CORRUPT, -1, "checkpoint file '%s' is corrupt: %s",
                       r->path ? r->path : "?", what);
}

/* Files over MAP_MIN are mapped; the pages behind the reader are given
 * back RELEASE_STEP at a time, keeping the last KEEP_BEHIND bytes. */
enum { MAP_MIN = 16 << 20, RELEASE_STEP = 2 << 20, KEEP_BEHIND = 256 << 10 };

/* Give back the mapped pages before offset upto (rounded down to a page). */
static void release_to(weir__snap_reader *r, size_t upto) {
  upto &= ~((size_t)sysconf(_SC_PAGESIZE) - 1);
  if (!r->mapped || upto <= r->released) return;
  madvise(r->data + r->released, upto - r->released, MADV_DONTNEED);
  r->released = upto;
}

/* The file's bytes: read into memory, or (a large one) mapped. */
static int load_bytes(weir__snap_reader *r, int fd, size_t size, weir__err *err) {
  if (size >= MAP_MIN) {
    void *m = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
    if (m != MAP_FAILED) {
      madvise(m, size, MADV_SEQUENTIAL);
      r->data = m;
      r->mapped = size;
      return WEIR_OK;
    }
  }
  r->data = weir__malloc(size ? size : 1);
  if (!r->data) return weir__err_nomem(err);
  size_t got = 0;
  while (got < size) {
    ssize_t k = read(fd, r->data + got, size - got);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) break;
    got += (size_t)k;
  }
  if (got != size) return weir__err_set(err, WEIR_IOERR, -1, "cannot read '%s'", r->path);
  return WEIR_OK;
}

/* The XXH3 of data[0, n), giving back the pages it has passed. */
static uint64_t checksum(weir__snap_reader *r, size_t n) {
  if (!r->mapped) return XXH3_64bits(r->data, n);
  XXH3_state_t *xx = XXH3_createState();
  if (!xx) return XXH3_64bits(r->data, n); /* the same sum, with the file resident */
  XXH3_64bits_reset(xx);
  for (size_t off = 0; off < n; off += RELEASE_STEP) {
    size_t k = n - off < RELEASE_STEP ? n - off : RELEASE_STEP;
    XXH3_64bits_update(xx, r->data + off, k);
    release_to(r, off + k);
  }
  uint64_t h = XXH3_64bits_digest(xx);
  XXH3_freeState(xx);
  r->released = 0; /* read again from the start */
  return h;
}

int weir__snap_load(weir__snap_reader *r, const char *path, weir__err *err) {
  memset(r, 0, sizeof *r);
  r->path = weir__strdup(path);
  if (!r->path) return weir__err_nomem(err);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    return weir__err_set(err, e == ENOENT ? WEIR_NOTFOUND : WEIR_IOERR, -1,
                         "cannot open checkpoint file '%s': %s", path, strerror(e));
  }
  struct stat st;
  if (fstat(fd, &st)) {
    int e = errno;
    close(fd);
    return weir__err_set(err, WEIR_IOERR, -1, "cannot stat '%s': %s", path, strerror(e));
  }
  size_t size = (size_t)st.st_size;
  int rc = load_bytes(r, fd, size, err);
  close(fd);
  if (rc) return rc;
  if (size < sizeof MAGIC + 8) return corrupt(r, "too short", err);
  if (memcmp(r->data, MAGIC, sizeof MAGIC)) return corrupt(r, "not a weir snapshot file", err);
  uint64_t want = 0;
  for (int i = 0; i < 8; i++) want |= (uint64_t)r->data[size - 8 + i] << (8 * i);
  if (checksum(r, size - 8) != want) return corrupt(r, "checksum mismatch", err);
  r->n = size - 8;
  r->pos = sizeof MAGIC;
  return WEIR_OK;
}

/* The reader has moved on: give back what lies well behind it. */
static inline void advance(weir__snap_reader *r, size_t n) {
  r->pos += n;
  if (r->mapped && r->pos - r->released > RELEASE_STEP + KEEP_BEHIND)
    release_to(r, r->pos - KEEP_BEHIND);
}

int weir__snap_get(weir__snap_reader *r, void *p, size_t n, weir__err *err) {
  if (n > r->n - r->pos) return corrupt(r, "ends early", err);
  memcpy(p, r->data + r->pos, n);
  advance(r, n);
  return WEIR_OK;
}

int weir__snap_get_u64(weir__snap_reader *r, uint64_t *v, weir__err *err) {
  uint8_t b[8] = {0};
  if (weir__snap_get(r, b, 8, err)) return err->code;
  *v = 0;
  for (int i = 0; i < 8; i++) *v |= (uint64_t)b[i] << (8 * i);
  return WEIR_OK;
}

int weir__snap_get_bytes(weir__snap_reader *r, const uint8_t **p, uint32_t *n, weir__err *err) {
  uint8_t b[4] = {0};
  if (weir__snap_get(r, b, 4, err)) return err->code;
  *n = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
  if (*n > r->n - r->pos) return corrupt(r, "ends early", err);
  *p = r->data + r->pos;
  advance(r, *n);
  return WEIR_OK;
}

int weir__snap_at_end(const weir__snap_reader *r) { return r->pos == r->n; }

void weir__snap_close(weir__snap_reader *r) {
  if (r->mapped)
    munmap(r->data, r->mapped);
  else
    weir__free(r->data);
  weir__free(r->path);
  memset(r, 0, sizeof *r);
}

/* ---- files and directories
 * ------------------------------------------------------------------------ */

int weir__copy_file(const char *from, const char *to) {
  int in = open(from, O_RDONLY | O_CLOEXEC);
  if (in < 0) return -1;
  int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) {
    int e = errno;
    close(in);
    errno = e;
    return -1;
  }
  char buf[1 << 16];
  ssize_t k;
  int rc = 0;
  while ((k = read(in, buf, sizeof buf)) > 0) {
    for (ssize_t off = 0; off < k;) {
      ssize_t w = write(out, buf + off, (size_t)(k - off));
      if (w < 0) {
        if (errno == EINTR) continue;
        rc = -1;
        break;
      }
      off += w;
    }
    if (rc) break;
  }
  if (k < 0) rc = -1;
  int e = errno;
  if (!rc && fsync(out) != 0) rc = -1, e = errno;
  close(in);
  close(out);
  if (rc) unlink(to);
  errno = e;
  return rc;
}

int weir__fsync_dir(const char *dir, weir__err *err) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || fsync(fd)) {
    int e = errno;
    if (fd >= 0) close(fd);
    return weir__err_set(err, WEIR_IOERR, -1, "cannot fsync directory '%s': %s", dir, strerror(e));
  }
  close(fd);
  return WEIR_OK;
}

int weir__remove_tree(const char *dir) {
  struct stat self;
  /* A link (a checkpoint that stands for a savepoint) goes, not what it
   * points to. */
  if (lstat(dir, &self) == 0 && S_ISLNK(self.st_mode)) return unlink(dir) ? -1 : 0;
  DIR *d = opendir(dir);
  if (!d) return errno == ENOENT ? 0 : (errno == ENOTDIR ? unlink(dir) : -1);
  struct dirent *de;
  int rc = 0;
  while ((de = readdir(d))) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
    char *p = weir__malloc(strlen(dir) + strlen(de->d_name) + 2);
    if (!p) {
      rc = -1;
      break;
    }
    sprintf(p, "%s/%s", dir, de->d_name);
    struct stat st;
    if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
      rc |= weir__remove_tree(p);
    else if (unlink(p) && errno != ENOENT)
      rc = -1;
    weir__free(p);
  }
  closedir(d);
  if (rmdir(dir) && errno != ENOENT) rc = -1;
  return rc;
}

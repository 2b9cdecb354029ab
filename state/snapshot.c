/*
 * snapshot.c -- snapshot files: checksummed, written through a temporary
 * file and renamed into place, verified whole before they are read (the
 * format is in state.h).  Checkpoints, savepoints and their metadata are
 * made of these files.
 *
 * Entry points: weir__snap_open/_put/_commit/_abort, weir__snap_load/_get/
 * _close, weir__fsync_dir, weir__remove_tree.
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
#include <unistd.h>
#include <xxhash.h>

#include "state/state.h"

static const char MAGIC[8] = {'W', 'E', 'I', 'R', 'S', 'N', 'P', '1'};

/* ---- fault injection ---------------------------------------------------------------- */

static _Atomic long writes_done;

/* Does this write fail by WEIR_FAIL_WRITE_AFTER (and, if set,
 * WEIR_FAIL_WRITE_COUNT: only that many from there, a transient fault)?
 * Read on every call, so a test can set them between jobs. */
static int injected_failure(void) {
  const char *v = getenv("WEIR_FAIL_WRITE_AFTER"), *c = getenv("WEIR_FAIL_WRITE_COUNT");
  long n = v ? atol(v) : 0, count = c ? atol(c) : 0;
  if (n <= 0) return 0;
  long k = atomic_fetch_add(&writes_done, 1) + 1;
  return k >= n && (count <= 0 || k < n + count);
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
 * thread (asynchronous snapshots): the writer serializes into memory, and
 * weir__snap_write_file makes the bytes durable under their name. */

int weir__snap_open(weir__snap_writer *w, const char *path, weir__err *err) {
  memset(w, 0, sizeof *w);
  w->path = weir__strdup(path);
  w->cap = 1 << 16;
  w->mem = weir__malloc(w->cap);
  if (!w->path || !w->mem) {
    weir__snap_abort(w);
    return weir__err_nomem(err);
  }
  return weir__snap_put(w, MAGIC, sizeof MAGIC, err);
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
  return WEIR_OK;
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

int weir__snap_detach(weir__snap_writer *w, char **path, uint8_t **data, size_t *len) {
  uint64_t sum = XXH3_64bits(w->mem, w->len);
  for (int i = 0; i < 8; i++) w->mem[w->len++] = (uint8_t)(sum >> (8 * i)); /* room kept by put */
  *path = w->path;
  *data = w->mem;
  *len = w->len;
  w->path = NULL;
  w->mem = NULL;
  return WEIR_OK;
}

static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? weir__strndup(path, (size_t)(slash - path ? slash - path : 1))
               : weir__strdup(".");
}

int weir__snap_write_file(const char *path, const uint8_t *data, size_t len, weir__err *err) {
  size_t n = strlen(path);
  char *tmp = weir__malloc(n + 5);
  char *dir = dir_of(path);
  if (!tmp || !dir) {
    weir__free(tmp);
    weir__free(dir);
    return weir__err_nomem(err);
  }
  memcpy(tmp, path, n);
  memcpy(tmp + n, ".tmp", 5);
  const char *what = NULL;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    what = "cannot create";
  } else {
    for (size_t off = 0; off < len && !what; off += 1 << 20) {
      size_t k = len - off < (size_t)1 << 20 ? len - off : (size_t)1 << 20;
      if (write_all(fd, data + off, k)) what = "cannot write";
    }
    if (!what && fsync(fd)) what = "cannot fsync";
    if (close(fd) && !what) what = "cannot close";
    if (!what && rename(tmp, path)) what = "cannot rename into place";
  }
  int rc = WEIR_OK;
  if (what) {
    int e = errno;
    unlink(tmp);
    rc = weir__err_set(err, WEIR_IOERR, -1, "checkpoint file '%s': %s: %s", path, what, strerror(e));
  } else {
    rc = weir__fsync_dir(dir, err);
  }
  weir__free(tmp);
  weir__free(dir);
  return rc;
}

int weir__snap_commit(weir__snap_writer *w, weir__err *err) {
  char *path;
  uint8_t *data;
  size_t len;
  weir__snap_detach(w, &path, &data, &len);
  int rc = weir__snap_write_file(path, data, len, err);
  weir__free(path);
  weir__free(data);
  return rc;
}

void weir__snap_abort(weir__snap_writer *w) {
  weir__free(w->path);
  weir__free(w->mem);
  w->path = NULL;
  w->mem = NULL;
}

/* ---- reader ----------------------------------------------------------------------------- */

static int corrupt(weir__snap_reader *r, const char *what, weir__err *err) {
  return weir__err_set(err, WEIR_CORRUPT, -1, "checkpoint file '%s' is corrupt: %s",
                       r->path ? r->path : "?", what);
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
  r->data = weir__malloc(size ? size : 1);
  if (!r->data) {
    close(fd);
    return weir__err_nomem(err);
  }
  size_t got = 0;
  while (got < size) {
    ssize_t k = read(fd, r->data + got, size - got);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) break;
    got += (size_t)k;
  }
  close(fd);
  if (got != size) return weir__err_set(err, WEIR_IOERR, -1, "cannot read '%s'", path);
  if (size < sizeof MAGIC + 8) return corrupt(r, "too short", err);
  if (memcmp(r->data, MAGIC, sizeof MAGIC)) return corrupt(r, "not a weir snapshot file", err);
  uint64_t want = 0;
  for (int i = 0; i < 8; i++) want |= (uint64_t)r->data[size - 8 + i] << (8 * i);
  if (XXH3_64bits(r->data, size - 8) != want) return corrupt(r, "checksum mismatch", err);
  r->n = size - 8;
  r->pos = sizeof MAGIC;
  return WEIR_OK;
}

int weir__snap_get(weir__snap_reader *r, void *p, size_t n, weir__err *err) {
  if (n > r->n - r->pos) return corrupt(r, "ends early", err);
  memcpy(p, r->data + r->pos, n);
  r->pos += n;
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
  r->pos += *n;
  return WEIR_OK;
}

int weir__snap_at_end(const weir__snap_reader *r) { return r->pos == r->n; }

void weir__snap_close(weir__snap_reader *r) {
  weir__free(r->data);
  weir__free(r->path);
  memset(r, 0, sizeof *r);
}

/* ---- directories ------------------------------------------------------------------------ */

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

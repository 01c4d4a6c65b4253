/*
 * skiff-untar: applies one layer tar (stdin; gzip-compressed with --gzip) into a snapshot
 * directory, with the semantics of src/snapshot/apply-layer.ts, in one process: the tar is
 * parsed, inflated and hashed here and each file's content is written straight from the read
 * buffer, so a layer costs a handful of syscalls per entry instead of libuv round trips.
 *
 *   skiff-untar [--gzip] [--overlay OPAQUE_XATTR] [--lower DIR]... [--tar-split PATH] DIR
 *
 * --overlay: whiteouts become char 0:0 nodes and opaque directories get OPAQUE_XATTR=y;
 *   without it whiteouts are applied as deletions (vfs).
 * --lower: lower layers' directories, top first: hardlink targets not in this layer are copied
 *   from there.
 * --tar-split: writes a gzip file of records from which the exact tar can be rebuilt with the
 *   unpacked files: 'R' u32le N + N raw tar bytes; 'F' u64le S u32le P + P bytes of path
 *   (relative to DIR): "the next S tar bytes are that file's content".
 *
 * Confinement is the kernel's: DIR is opened once; every entry's parent directory is opened
 * with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS) and everything
 * else is an *at() call on one name relative to it. An entry that goes through a symlink is
 * refused.
 *
 * Output: one JSON line {"diffId":"sha256:...","size":N,"splitComplete":bool} on stdout.
 * stderr: lines starting with "note: " (skipped device nodes and xattrs), then on failure one
 * message line. Exit status: 0 ok, 1 system error (the message starts with the errno name),
 * 2 refused or broken archive, 3 a hardlink target is missing (MissingLinkTargetError), 64 usage.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

enum { EXIT_SYS = 1, EXIT_INVALID = 2, EXIT_MISSING_LINK = 3, EXIT_USAGE = 64 };

#define BUFSZ (1u << 20)
#define INBUFSZ (256u << 10)
#define RAWMAX (1u << 20)
#define MAX_LONG_HEADER (1u << 20)

static void fail(int code, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
static void fail(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  exit(code);
}

static void sysfail(int err, const char *what, const char *rel) __attribute__((noreturn));
static void sysfail(int err, const char *what, const char *rel) {
  const char *name = strerrorname_np(err);
  fail(EXIT_SYS, "%s: %s \"%s\": %s", name ? name : "EIO", what, rel, strerror(err));
}

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) fail(EXIT_SYS, "ENOMEM: out of memory");
  return p;
}

static char *xstrndup(const char *s, size_t n) {
  char *p = xmalloc(n + 1);
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

/* ---------- input: stdin, optionally inflated; hashed and counted as produced ---------- */

static unsigned char *buf;
static size_t bpos, blen;
static bool gz, in_eof, z_done;
static unsigned char *inbuf;
static z_stream zs;
static EVP_MD_CTX *md;
static uint64_t total;

static size_t read_stdin(unsigned char *dst, size_t room) {
  for (;;) {
    ssize_t r = read(STDIN_FILENO, dst, room);
    if (r >= 0) return (size_t)r;
    if (errno != EINTR) sysfail(errno, "read", "stdin");
  }
}

static size_t produce(unsigned char *dst, size_t room) {
  if (!gz) return read_stdin(dst, room);
  if (z_done) return 0;
  zs.next_out = dst;
  zs.avail_out = (uInt)room;
  while (zs.avail_out == room) {
    if (zs.avail_in == 0 && !in_eof) {
      size_t n = read_stdin(inbuf, INBUFSZ);
      if (n == 0) in_eof = true;
      zs.next_in = inbuf;
      zs.avail_in = (uInt)n;
    }
    int ret = inflate(&zs, Z_NO_FLUSH);
    if (ret == Z_STREAM_END) {
      /* Another gzip member may follow (as Node's gunzip reads them); anything else ends it. */
      if (zs.avail_in == 0 && !in_eof) {
        size_t n = read_stdin(inbuf, INBUFSZ);
        if (n == 0) in_eof = true;
        zs.next_in = inbuf;
        zs.avail_in = (uInt)n;
      }
      if (zs.avail_in > 0 && zs.next_in[0] == 0x1f) {
        inflateReset(&zs);
        continue;
      }
      z_done = true;
      break;
    }
    if (ret == Z_BUF_ERROR && zs.avail_in == 0 && in_eof)
      fail(EXIT_INVALID, "invalid compressed archive: unexpected end of file");
    if (ret != Z_OK && ret != Z_BUF_ERROR)
      fail(EXIT_INVALID, "invalid compressed archive: %s", zs.msg ? zs.msg : "corrupt data");
  }
  return room - zs.avail_out;
}

/* Reads more into buf (compacting it first when needed); 0 at the end of input. */
static size_t fill(void) {
  if (bpos == blen) bpos = blen = 0;
  else if (blen == BUFSZ || bpos > BUFSZ / 2) {
    memmove(buf, buf + bpos, blen - bpos);
    blen -= bpos;
    bpos = 0;
  }
  size_t n = produce(buf + blen, BUFSZ - blen);
  if (n > 0) {
    EVP_DigestUpdate(md, buf + blen, n);
    total += n;
    blen += n;
  }
  return n;
}

/* At least n (<= BUFSZ/2) contiguous bytes at buf+bpos; false at the end of input. */
static bool ensure(size_t n) {
  while (blen - bpos < n)
    if (fill() == 0) return false;
  return true;
}

/* ---------- tar-split records ---------- */

static gzFile split;
static unsigned char *raw;
static size_t rawlen;

static void split_write(const void *p, size_t n) {
  if (n > 0 && gzwrite(split, p, (unsigned)n) != (int)n) fail(EXIT_SYS, "EIO: writing the tar-split failed");
}

static void raw_flush(void) {
  if (!split || rawlen == 0) return;
  unsigned char h[5] = {'R', (unsigned char)rawlen, (unsigned char)(rawlen >> 8),
                        (unsigned char)(rawlen >> 16), (unsigned char)(rawlen >> 24)};
  split_write(h, 5);
  split_write(raw, rawlen);
  rawlen = 0;
}

static void raw_add(const unsigned char *p, size_t n) {
  if (!split) return;
  while (n > 0) {
    size_t k = RAWMAX - rawlen < n ? RAWMAX - rawlen : n;
    memcpy(raw + rawlen, p, k);
    rawlen += k;
    p += k;
    n -= k;
    if (rawlen == RAWMAX) raw_flush();
  }
}

static void file_record(uint64_t size, const char *rel) {
  if (!split) return;
  raw_flush();
  size_t p = strlen(rel);
  unsigned char h[13];
  h[0] = 'F';
  for (int i = 0; i < 8; i++) h[1 + i] = (unsigned char)(size >> (8 * i));
  for (int i = 0; i < 4; i++) h[9 + i] = (unsigned char)(p >> (8 * i));
  split_write(h, 13);
  split_write(rel, p);
}

static void unexpected_end(void) __attribute__((noreturn));
static void unexpected_end(void) { fail(EXIT_INVALID, "invalid tar archive: Unexpected end of data"); }

/* Consumes n tar bytes: into dst (if given), the tar-split's raw bytes, or file fd. */
static void take(uint64_t n, unsigned char *dst, int fd, const char *rel) {
  while (n > 0) {
    if (bpos == blen && fill() == 0) unexpected_end();
    size_t k = blen - bpos;
    if (k > n) k = (size_t)n;
    if (fd >= 0) {
      for (size_t off = 0; off < k;) {
        ssize_t w = write(fd, buf + bpos + off, k - off);
        if (w < 0) {
          if (errno == EINTR) continue;
          sysfail(errno, "write", rel);
        }
        off += (size_t)w;
      }
    } else {
      if (dst) {
        memcpy(dst, buf + bpos, k);
        dst += k;
      }
      raw_add(buf + bpos, k);
    }
    bpos += k;
    n -= k;
  }
}

static void take_padding(uint64_t size) { take((512 - size % 512) % 512, NULL, -1, NULL); }

/* ---------- a string set (paths this layer created / wrote) ---------- */

struct strset {
  char **slot;
  size_t cap, n;
};

static uint64_t hash_str(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

static bool set_has(const struct strset *s, const char *k) {
  if (s->cap == 0) return false;
  for (size_t i = hash_str(k) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
    if (!s->slot[i]) return false;
    if (strcmp(s->slot[i], k) == 0) return true;
  }
}

static void set_add(struct strset *s, const char *k);
static void set_grow(struct strset *s) {
  struct strset next = {.cap = s->cap ? s->cap * 2 : 1024};
  next.slot = calloc(next.cap, sizeof(char *));
  if (!next.slot) fail(EXIT_SYS, "ENOMEM: out of memory");
  for (size_t i = 0; i < s->cap; i++)
    if (s->slot[i]) {
      size_t j = hash_str(s->slot[i]) & (next.cap - 1);
      while (next.slot[j]) j = (j + 1) & (next.cap - 1);
      next.slot[j] = s->slot[i];
      next.n++;
    }
  free(s->slot);
  *s = next;
}

static void set_add(struct strset *s, const char *k) {
  if ((s->n + 1) * 2 > s->cap) set_grow(s);
  size_t i = hash_str(k) & (s->cap - 1);
  for (; s->slot[i]; i = (i + 1) & (s->cap - 1))
    if (strcmp(s->slot[i], k) == 0) return;
  s->slot[i] = xstrndup(k, strlen(k));
  s->n++;
}

/* True when k is in the set, or (under) something below k/. */
static bool set_has_at_or_under(const struct strset *s, const char *k) {
  if (set_has(s, k)) return true;
  size_t n = strlen(k);
  for (size_t i = 0; i < s->cap; i++)
    if (s->slot[i] && (n == 0 || (strncmp(s->slot[i], k, n) == 0 && s->slot[i][n] == '/')))
      return true;
  return false;
}

/* ---------- state ---------- */

static int rootfd;
static bool overlay;
static const char *opaque_xattr;
static const char **lowers;
static int nlowers;
static struct strset created, written;
static bool split_complete = true;

struct dirmeta {
  char *rel;
  uid_t uid;
  gid_t gid;
  mode_t mode;
  int64_t mtime;
};
static struct dirmeta *dirmetas;
static size_t ndirmetas, capdirmetas;

/* The last parent directory opened: most entries of a layer follow their siblings. */
static char *cached_rel;
static int cached_fd = -1;

static void invalidate_cache(void) {
  if (cached_fd >= 0) close(cached_fd);
  cached_fd = -1;
  free(cached_rel);
  cached_rel = NULL;
}

static int openat2_in_root(int base, const char *rel, int flags) {
  struct open_how how = {
      .flags = (uint64_t)(flags | O_CLOEXEC),
      .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
  };
  return (int)syscall(SYS_openat2, base, rel, &how, sizeof how);
}

enum walk { WALK_CREATE, WALK_LOOKUP };

/*
 * The directory holding `rel` (its first `plen` bytes are the parent's path), opened inside
 * the layer. WALK_CREATE makes missing parents and refuses a symlink or non-directory on the
 * way with apply-layer.ts's messages (`what`: the path they name); WALK_LOOKUP answers -1.
 * The result is owned by the cache (never close it).
 */
static int parent_fd(const char *rel, size_t plen, enum walk mode, const char *what) {
  if (plen == 0) return rootfd;
  if (cached_rel && strlen(cached_rel) == plen && memcmp(cached_rel, rel, plen) == 0) return cached_fd;
  char *prel = xstrndup(rel, plen);
  int fd = openat2_in_root(rootfd, prel, O_RDONLY | O_DIRECTORY);
  if (fd < 0 && errno != ENOENT && errno != ELOOP && errno != ENOTDIR && errno != EXDEV)
    sysfail(errno, "open", prel);
  if (fd < 0) {
    /* Slow path: one name at a time, to create what is missing or say what is in the way. */
    int cur = dup(rootfd);
    if (cur < 0) sysfail(errno, "dup", prel);
    for (char *p = prel;;) {
      char *slash = strchr(p, '/');
      if (slash) *slash = '\0';
      struct stat st;
      bool exists = fstatat(cur, p, &st, AT_SYMLINK_NOFOLLOW) == 0;
      if (!exists && errno != ENOENT) sysfail(errno, "stat", prel);
      if (!exists) {
        if (mode == WALK_LOOKUP) {
          close(cur);
          free(prel);
          return -1;
        }
        if (mkdirat(cur, p, 0755) < 0) sysfail(errno, "mkdir", prel);
        set_add(&created, prel);
      } else if (!S_ISDIR(st.st_mode)) {
        if (mode == WALK_LOOKUP) {
          close(cur);
          free(prel);
          return -1;
        }
        fail(EXIT_INVALID,
             S_ISLNK(st.st_mode) ? "refusing layer entry \"%s\": it goes through the symlink \"%s\""
                                 : "refusing layer entry \"%s\": \"%s\" is not a directory",
             what, prel);
      }
      int next = openat(cur, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (next < 0) sysfail(errno, "open", prel);
      close(cur);
      cur = next;
      if (!slash) break;
      *slash = '/';
      p = slash + 1;
    }
    fd = cur;
  }
  invalidate_cache();
  cached_rel = prel;
  cached_fd = fd;
  return fd;
}

static void remove_children(int dfd, const char *rel);

/* rm -rf of one name in dfd (nothing there: nothing done). */
static bool remove_name(int dfd, const char *name, const char *rel) {
  struct stat st;
  if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT) return false;
    sysfail(errno, "stat", rel);
  }
  if (S_ISDIR(st.st_mode)) {
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) sysfail(errno, "open", rel);
    remove_children(fd, rel);
    close(fd);
    if (unlinkat(dfd, name, AT_REMOVEDIR) < 0) sysfail(errno, "remove", rel);
  } else if (unlinkat(dfd, name, 0) < 0)
    sysfail(errno, "remove", rel);
  return true;
}

static void remove_children(int dfd, const char *rel) {
  int fd = dup(dfd);
  if (fd < 0) sysfail(errno, "dup", rel);
  DIR *d = fdopendir(fd);
  if (!d) sysfail(errno, "opendir", rel);
  struct dirent *e;
  /* Removing while reading may skip names: read again until the directory is empty. */
  for (bool again = true; again;) {
    again = false;
    rewinddir(d);
    while ((e = readdir(d))) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
      remove_name(dfd, e->d_name, rel);
      again = true;
    }
  }
  closedir(d);
}

/* Forgets queued directory metadata of rel and below. */
static void forget_dirmeta(const char *rel) {
  size_t n = strlen(rel), out = 0;
  for (size_t i = 0; i < ndirmetas; i++) {
    const char *r = dirmetas[i].rel;
    if (strcmp(r, rel) == 0 || (n == 0 || (strncmp(r, rel, n) == 0 && r[n] == '/'))) {
      free(dirmetas[i].rel);
      continue;
    }
    dirmetas[out++] = dirmetas[i];
  }
  ndirmetas = out;
}

/* Removes what is at rel (the name `base` in pfd), keeping the bookkeeping right. */
static void remove_rel(int pfd, const char *base, const char *rel) {
  if (rel[0] == '\0') fail(EXIT_INVALID, "refusing to remove or replace the layer root");
  /* pfd may be the cache's: keep it open while removing below it. */
  int keep = dup(pfd);
  if (keep < 0) sysfail(errno, "dup", rel);
  invalidate_cache();
  if (remove_name(keep, base, rel)) {
    if (split_complete && set_has_at_or_under(&written, rel)) split_complete = false;
    forget_dirmeta(rel);
  }
  close(keep);
}

/* ---------- metadata ---------- */

struct xattr {
  char *name;
  unsigned char *value;
  size_t len;
};

struct entry {
  char *name;     /* as in the tar (after pax / GNU long names) */
  char *linkname; /* NULL when none */
  char type;
  uint64_t size;
  uid_t uid;
  gid_t gid;
  mode_t mode;
  int64_t mtime;
  unsigned major, minor;
  struct xattr *xattrs;
  size_t nxattrs;
};

static void chown_failed(int err, const char *rel, uid_t uid, gid_t gid) __attribute__((noreturn));
static void chown_failed(int err, const char *rel, uid_t uid, gid_t gid) {
  if (err == EINVAL)
    fail(EXIT_INVALID,
         "applying layer failed: container ID %u:%u of \"%s\" cannot be mapped to a host ID: the "
         "user namespace maps 0-65535",
         (unsigned)uid, (unsigned)gid, rel[0] ? rel : "/");
  fail(EXIT_INVALID, "applying layer failed: %s: lchown %u:%u: %s", rel, (unsigned)uid, (unsigned)gid,
       strerror(err));
}

static void times_of(int64_t mtime, struct timespec ts[2]) {
  ts[0].tv_sec = ts[1].tv_sec = (time_t)mtime;
  ts[0].tv_nsec = ts[1].tv_nsec = 0;
}

static bool skip_xattr(const char *rel, const char *name) {
  if (strncmp(name, "security.", 9) == 0 || strncmp(name, "trusted.", 8) == 0) {
    fprintf(stderr, "note: %s: xattr %s skipped: not settable in a user namespace\n", rel, name);
    return true;
  }
  return false;
}

static void xattr_failed(const char *rel, const char *name) {
  fprintf(stderr, "note: %s: setxattr %s: %s\n", rel, name, strerror(errno));
}

/* Ownership, then mode (chown clears set-id bits), then xattrs (chown clears capabilities), then mtime. */
static void meta_fd(int fd, const char *rel, const struct entry *e) {
  if (fchown(fd, e->uid, e->gid) < 0) chown_failed(errno, rel, e->uid, e->gid);
  if (fchmod(fd, e->mode & 07777) < 0) fail(EXIT_INVALID, "applying layer failed: %s: chmod: %s", rel, strerror(errno));
  for (size_t i = 0; i < e->nxattrs; i++)
    if (!skip_xattr(rel, e->xattrs[i].name) &&
        fsetxattr(fd, e->xattrs[i].name, e->xattrs[i].value, e->xattrs[i].len, 0) < 0)
      xattr_failed(rel, e->xattrs[i].name);
  struct timespec ts[2];
  times_of(e->mtime, ts);
  (void)futimens(fd, ts);
}

/* The same for a name that cannot be opened for it (symlinks, fifos, device nodes, hardlinks). */
static void meta_name(int pfd, const char *base, const char *rel, const struct entry *e) {
  struct stat st;
  if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) sysfail(errno, "stat", rel);
  if (fchownat(pfd, base, e->uid, e->gid, AT_SYMLINK_NOFOLLOW) < 0) chown_failed(errno, rel, e->uid, e->gid);
  if (!S_ISLNK(st.st_mode) && fchmodat(pfd, base, e->mode & 07777, 0) < 0)
    fail(EXIT_INVALID, "applying layer failed: %s: chmod: %s", rel, strerror(errno));
  if (e->nxattrs > 0) {
    char path[64 + 256];
    snprintf(path, sizeof path, "/proc/self/fd/%d/%s", pfd, base);
    for (size_t i = 0; i < e->nxattrs; i++)
      if (!skip_xattr(rel, e->xattrs[i].name) &&
          lsetxattr(path, e->xattrs[i].name, e->xattrs[i].value, e->xattrs[i].len, 0) < 0)
        xattr_failed(rel, e->xattrs[i].name);
  }
  struct timespec ts[2];
  times_of(e->mtime, ts);
  (void)utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW);
}

static void queue_dirmeta(const char *rel, const struct entry *e) {
  if (ndirmetas == capdirmetas) {
    capdirmetas = capdirmetas ? capdirmetas * 2 : 256;
    dirmetas = realloc(dirmetas, capdirmetas * sizeof *dirmetas);
    if (!dirmetas) fail(EXIT_SYS, "ENOMEM: out of memory");
  }
  dirmetas[ndirmetas++] = (struct dirmeta){xstrndup(rel, strlen(rel)), e->uid, e->gid, e->mode, e->mtime};
}

/* Directories last: creating a child changes a directory's mtime. */
static void apply_dirmetas(void) {
  for (size_t i = 0; i < ndirmetas; i++) {
    const struct dirmeta *d = &dirmetas[i];
    int fd = d->rel[0] ? openat2_in_root(rootfd, d->rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) : dup(rootfd);
    if (fd < 0) {
      if (errno == ENOENT) continue;
      sysfail(errno, "open", d->rel);
    }
    if (fchown(fd, d->uid, d->gid) < 0) chown_failed(errno, d->rel, d->uid, d->gid);
    if (fchmod(fd, d->mode & 07777) < 0)
      fail(EXIT_INVALID, "applying layer failed: %s: chmod: %s", d->rel, strerror(errno));
    struct timespec ts[2];
    times_of(d->mtime, ts);
    (void)futimens(fd, ts);
    close(fd);
  }
}

/* ---------- tar headers ---------- */

static uint64_t num_field(const unsigned char *p, size_t n) {
  if (p[0] & 0x80) { /* base-256 (GNU), positive values only */
    uint64_t v = p[0] & 0x7f;
    for (size_t i = 1; i < n; i++) v = v << 8 | p[i];
    return v;
  }
  size_t i = 0;
  while (i < n && p[i] == ' ') i++;
  uint64_t v = 0;
  for (; i < n && p[i] >= '0' && p[i] <= '7'; i++) v = v * 8 + (uint64_t)(p[i] - '0');
  return v;
}

static char *str_field(const unsigned char *p, size_t n) {
  const unsigned char *z = memchr(p, 0, n);
  return xstrndup((const char *)p, z ? (size_t)(z - p) : n);
}

/* "./a/b/" → "a/b"; "" for the root; NULL when a ".." would leave the layer. */
static char *normalize(const char *name) {
  size_t n = strlen(name);
  char *out = xmalloc(n + 1);
  size_t o = 0;
  for (const char *p = name; *p;) {
    const char *s = strchr(p, '/');
    size_t len = s ? (size_t)(s - p) : strlen(p);
    if (len == 2 && p[0] == '.' && p[1] == '.') {
      free(out);
      return NULL;
    }
    if (len > 0 && !(len == 1 && p[0] == '.')) {
      if (o > 0) out[o++] = '/';
      memcpy(out + o, p, len);
      o += len;
    }
    p += len;
    if (*p == '/') p++;
  }
  out[o] = '\0';
  return out;
}

static char *normalize_or_refuse(const char *name) {
  char *rel = normalize(name);
  if (!rel) fail(EXIT_INVALID, "refusing layer entry \"%s\": it would leave the layer", name);
  return rel;
}

struct pax {
  char *path, *linkpath;
  bool has_size;
  uint64_t size;
  struct xattr *xattrs;
  size_t nxattrs;
};

static void parse_pax(struct pax *px, const unsigned char *d, size_t n) {
  size_t i = 0;
  while (i < n) {
    size_t len = 0, j = i;
    while (j < n && d[j] >= '0' && d[j] <= '9') len = len * 10 + (size_t)(d[j++] - '0');
    if (j >= n || d[j] != ' ' || len == 0 || i + len > n) break;
    const unsigned char *kv = d + j + 1, *end = d + i + len;
    if (end > kv && end[-1] == '\n') end--;
    const unsigned char *eq = memchr(kv, '=', (size_t)(end - kv));
    if (eq) {
      size_t klen = (size_t)(eq - kv), vlen = (size_t)(end - eq - 1);
      const char *k = (const char *)kv;
      const char *v = (const char *)eq + 1;
      if (klen == 4 && memcmp(k, "path", 4) == 0) {
        free(px->path);
        px->path = vlen ? xstrndup(v, vlen) : NULL;
      } else if (klen == 8 && memcmp(k, "linkpath", 8) == 0) {
        free(px->linkpath);
        px->linkpath = vlen ? xstrndup(v, vlen) : NULL;
      } else if (klen == 4 && memcmp(k, "size", 4) == 0 && vlen) {
        px->has_size = true;
        px->size = strtoull(xstrndup(v, vlen), NULL, 10);
      } else if (klen > 13 && memcmp(k, "SCHILY.xattr.", 13) == 0) {
        px->xattrs = realloc(px->xattrs, (px->nxattrs + 1) * sizeof *px->xattrs);
        if (!px->xattrs) fail(EXIT_SYS, "ENOMEM: out of memory");
        px->xattrs[px->nxattrs].name = xstrndup(k + 13, klen - 13);
        px->xattrs[px->nxattrs].value = (unsigned char *)xstrndup(v, vlen);
        px->xattrs[px->nxattrs].len = vlen;
        px->nxattrs++;
      }
    }
    i += len;
  }
}

/* ---------- entries ---------- */

static void copy_from_lower(const char *target, int pfd, const char *base, const char *rel) {
  for (int i = 0; i < nlowers; i++) {
    int lfd = open(lowers[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (lfd < 0) continue;
    int src = openat2_in_root(lfd, target, O_RDONLY | O_NOFOLLOW);
    close(lfd);
    if (src < 0) continue;
    struct stat st;
    if (fstat(src, &st) < 0 || !S_ISREG(st.st_mode)) {
      close(src);
      continue;
    }
    int dst = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st.st_mode & 07777);
    if (dst < 0) sysfail(errno, "create", rel);
    for (off_t left = st.st_size; left > 0;) {
      ssize_t n = copy_file_range(src, NULL, dst, NULL, (size_t)left, 0);
      if (n < 0) sysfail(errno, "copy", rel);
      if (n == 0) break;
      left -= n;
    }
    close(src);
    close(dst);
    return;
  }
  fail(EXIT_MISSING_LINK, "hardlink target \"%s\" not found in the layer or below", target);
}

static void hardlink(const struct entry *e, int pfd, const char *base, const char *rel) {
  char *target = normalize_or_refuse(e->linkname ? e->linkname : "");
  const char *slash = strrchr(target, '/');
  size_t tplen = slash ? (size_t)(slash - target) : 0;
  const char *tbase = slash ? slash + 1 : target;
  /* pfd may be the cache's, which the target's lookup replaces: hold our own. */
  int own = dup(pfd);
  if (own < 0) sysfail(errno, "dup", rel);
  if (target[0] == '\0') fail(EXIT_INVALID, "hardlink target \"%s\" is a directory", target);
  int tfd = parent_fd(target, tplen, WALK_LOOKUP, target);
  struct stat st;
  if (tfd >= 0 && fstatat(tfd, tbase, &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISDIR(st.st_mode)) fail(EXIT_INVALID, "hardlink target \"%s\" is a directory", target);
    if (linkat(tfd, tbase, own, base, 0) < 0) sysfail(errno, "link", rel);
  } else {
    /* In a lower layer: this layer gets its own copy (overlay copy-up semantics). */
    copy_from_lower(target, own, base, rel);
  }
  close(own);
  free(target);
}

static void opaque_dir(const char *dirrel) {
  int fd = dirrel[0] ? openat2_in_root(rootfd, dirrel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) : dup(rootfd);
  if (fd < 0) sysfail(errno, "open", dirrel);
  if (overlay) {
    if (fsetxattr(fd, opaque_xattr, "y", 1, 0) < 0)
      fprintf(stderr, "note: %s: setxattr %s: %s\n", dirrel, opaque_xattr, strerror(errno));
    close(fd);
    return;
  }
  /* vfs: what the lower layers had in this directory goes; what this layer made stays. */
  DIR *d = fdopendir(dup(fd));
  if (!d) sysfail(errno, "opendir", dirrel);
  char **names = NULL;
  size_t n = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
    names = realloc(names, (n + 1) * sizeof *names);
    if (!names) fail(EXIT_SYS, "ENOMEM: out of memory");
    names[n++] = xstrndup(de->d_name, strlen(de->d_name));
  }
  closedir(d);
  for (size_t i = 0; i < n; i++) {
    size_t len = strlen(dirrel) + strlen(names[i]) + 2;
    char *child = xmalloc(len);
    snprintf(child, len, dirrel[0] ? "%s/%s" : "%s%s", dirrel, names[i]);
    if (!set_has(&created, child)) remove_rel(fd, names[i], child);
    free(child);
    free(names[i]);
  }
  free(names);
  close(fd);
}

static void whiteout(const char *rel, const char *base) {
  const char *wbase = base + 4;
  if (wbase[0] == '\0' || strcmp(wbase, ".") == 0 || strcmp(wbase, "..") == 0)
    fail(EXIT_INVALID, "invalid whiteout entry \"%s\"", rel);
  size_t plen = (size_t)(base - rel);
  if (plen > 0) plen--; /* the slash */
  char *path = xmalloc(strlen(rel) + 1);
  if (plen > 0) snprintf(path, strlen(rel) + 1, "%.*s/%s", (int)plen, rel, wbase);
  else strcpy(path, wbase);
  int pfd = parent_fd(path, plen, WALK_CREATE, path);
  int own = dup(pfd);
  if (own < 0) sysfail(errno, "dup", path);
  remove_rel(own, wbase, path);
  if (overlay && mknodat(own, wbase, S_IFCHR | 0, makedev(0, 0)) < 0)
    fail(EXIT_INVALID, "applying layer failed: %s: whiteout: %s", path, strerror(errno));
  close(own);
  free(path);
}

static void apply_entry(struct entry *e) {
  char *rel = normalize_or_refuse(e->name);
  const char *slash = strrchr(rel, '/');
  const char *base = slash ? slash + 1 : rel;
  size_t plen = slash ? (size_t)(slash - rel) : 0;

  if (strcmp(base, ".wh..wh..opq") == 0) {
    char *dirrel = xstrndup(rel, plen);
    size_t len = plen + 3;
    char *probe = xmalloc(len);
    snprintf(probe, len, "%s/x", dirrel);
    (void)parent_fd(probe, strlen(probe) - 2, WALK_CREATE, probe);
    opaque_dir(dirrel);
    free(probe);
    free(dirrel);
    take(e->type == '5' ? 0 : e->size, NULL, -1, NULL);
    free(rel);
    return;
  }
  if (strncmp(base, ".wh.", 4) == 0) {
    whiteout(rel, base);
    take(e->type == '5' ? 0 : e->size, NULL, -1, NULL);
    free(rel);
    return;
  }
  if (rel[0] == '\0' && e->type != '5')
    fail(EXIT_INVALID, "refusing layer entry \"%s\": it names the layer root, which only a directory may", e->name);
  if (rel[0] == '\0') {
    queue_dirmeta("", e);
    free(rel);
    return;
  }
  int pfd = parent_fd(rel, plen, WALK_CREATE, rel);
  set_add(&created, rel);
  switch (e->type) {
  case '5': {
    if (mkdirat(pfd, base, 0700) < 0) {
      struct stat st;
      if (errno != EEXIST) sysfail(errno, "mkdir", rel);
      if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) sysfail(errno, "stat", rel);
      if (!S_ISDIR(st.st_mode)) {
        int own = dup(pfd);
        remove_rel(own, base, rel);
        if (mkdirat(own, base, 0700) < 0) sysfail(errno, "mkdir", rel);
        close(own);
      }
    }
    if (e->nxattrs > 0) {
      int fd = openat(parent_fd(rel, plen, WALK_CREATE, rel), base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) sysfail(errno, "open", rel);
      for (size_t i = 0; i < e->nxattrs; i++)
        if (!skip_xattr(rel, e->xattrs[i].name) &&
            fsetxattr(fd, e->xattrs[i].name, e->xattrs[i].value, e->xattrs[i].len, 0) < 0)
          xattr_failed(rel, e->xattrs[i].name);
      close(fd);
    }
    queue_dirmeta(rel, e);
    break;
  }
  case '0':
  case '7': {
    int fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST) {
      int own = dup(pfd);
      remove_rel(own, base, rel);
      fd = openat(own, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      close(own);
    }
    if (fd < 0) sysfail(errno, "create", rel);
    if (e->size > 0) {
      file_record(e->size, rel);
      if (split) set_add(&written, rel);
    }
    take(e->size, NULL, fd, rel);
    meta_fd(fd, rel, e);
    if (close(fd) < 0) sysfail(errno, "close", rel);
    break;
  }
  case '2':
  case '1':
  case '3':
  case '4':
  case '6': {
    int own = dup(pfd);
    if (own < 0) sysfail(errno, "dup", rel);
    struct stat st;
    if (fstatat(own, base, &st, AT_SYMLINK_NOFOLLOW) == 0) remove_rel(own, base, rel);
    else if (errno != ENOENT) sysfail(errno, "stat", rel);
    bool made = true;
    if (e->type == '2') {
      if (symlinkat(e->linkname ? e->linkname : "", own, base) < 0) sysfail(errno, "symlink", rel);
    } else if (e->type == '1') {
      hardlink(e, own, base, rel);
    } else {
      mode_t t = e->type == '6' ? S_IFIFO : e->type == '3' ? S_IFCHR : S_IFBLK;
      if (mknodat(own, base, t | (e->mode & 07777), makedev(e->major, e->minor)) < 0) {
        if (errno != EPERM) sysfail(errno, "mknod", rel);
        fprintf(stderr, "note: %s: device node skipped: a user namespace cannot create it\n", rel);
        made = false;
      }
    }
    if (made) meta_name(own, base, rel, e);
    close(own);
    take(e->size, NULL, -1, NULL);
    break;
  }
  default:
    take(e->size, NULL, -1, NULL);
    break;
  }
  free(rel);
}

static void free_entry_xattrs(struct xattr *x, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(x[i].name);
    free(x[i].value);
  }
  free(x);
}

static void run(void) {
  struct pax px = {0};
  char *longname = NULL, *longlink = NULL;
  unsigned char h[512];
  for (;;) {
    if (!ensure(512)) {
      if (blen - bpos == 0) break;
      unexpected_end();
    }
    memcpy(h, buf + bpos, 512);
    take(512, NULL, -1, NULL);
    unsigned sum = 8 * ' ';
    for (int i = 0; i < 512; i++)
      if (i < 148 || i >= 156) sum += h[i];
    if (sum == 8 * ' ') continue; /* an empty block (end of archive) */
    if (sum != num_field(h + 148, 8))
      fail(EXIT_INVALID, "invalid tar archive: Invalid tar header. Maybe the tar is corrupted or it needs to be gunzipped?");
    bool ustar = memcmp(h + 257, "ustar\0", 6) == 0;
    bool gnu = memcmp(h + 257, "ustar ", 6) == 0 && memcmp(h + 263, " \0", 2) == 0;
    if (!ustar && !gnu) fail(EXIT_INVALID, "invalid tar archive: Invalid tar header: unknown format.");
    char type = h[156] == 0 ? '0' : (char)h[156];
    uint64_t size = num_field(h + 124, 12);
    if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
      if (size > MAX_LONG_HEADER) fail(EXIT_INVALID, "invalid tar archive: Header exceeds max size");
      unsigned char *d = xmalloc((size_t)size + 1);
      take(size, d, -1, NULL);
      d[size] = 0;
      take_padding(size);
      if (type == 'x') parse_pax(&px, d, (size_t)size);
      else if (type == 'L') {
        free(longname);
        longname = xstrndup((char *)d, strlen((char *)d));
      } else if (type == 'K') {
        free(longlink);
        longlink = xstrndup((char *)d, strlen((char *)d));
      }
      free(d);
      continue;
    }
    struct entry e = {0};
    e.name = str_field(h, 100);
    if (ustar && h[345]) {
      char *prefix = str_field(h + 345, 155);
      size_t n = strlen(prefix) + strlen(e.name) + 2;
      char *full = xmalloc(n);
      snprintf(full, n, "%s/%s", prefix, e.name);
      free(prefix);
      free(e.name);
      e.name = full;
    }
    e.linkname = h[157] ? str_field(h + 157, 100) : NULL;
    /* No old-style "name/" directories: tar-stream, which apply-layer.ts uses, reads them as
     * files (it computes the type before that rule), and both must agree. */
    if (longname) {
      free(e.name);
      e.name = longname;
      longname = NULL;
    }
    if (longlink) {
      free(e.linkname);
      e.linkname = longlink;
      longlink = NULL;
    }
    if (px.path) {
      free(e.name);
      e.name = px.path;
    }
    if (px.linkpath) {
      free(e.linkname);
      e.linkname = px.linkpath;
    }
    if (px.has_size) size = px.size;
    e.type = type;
    e.size = type == '5' ? 0 : size;
    e.mode = (mode_t)num_field(h + 100, 8);
    e.uid = (uid_t)num_field(h + 108, 8);
    e.gid = (gid_t)num_field(h + 116, 8);
    e.mtime = (int64_t)num_field(h + 136, 12);
    e.major = (unsigned)num_field(h + 329, 8);
    e.minor = (unsigned)num_field(h + 337, 8);
    e.xattrs = px.xattrs;
    e.nxattrs = px.nxattrs;
    px = (struct pax){0};
    apply_entry(&e);
    take_padding(e.size);
    free(e.name);
    free(e.linkname);
    free_entry_xattrs(e.xattrs, e.nxattrs);
  }
}

int main(int argc, char **argv) {
  const char *dir = NULL, *split_path = NULL;
  lowers = xmalloc((size_t)argc * sizeof *lowers);
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--gzip") == 0) gz = true;
    else if (strcmp(argv[i], "--overlay") == 0 && i + 1 < argc) {
      overlay = true;
      opaque_xattr = argv[++i];
    } else if (strcmp(argv[i], "--lower") == 0 && i + 1 < argc) lowers[nlowers++] = argv[++i];
    else if (strcmp(argv[i], "--tar-split") == 0 && i + 1 < argc) split_path = argv[++i];
    else if (argv[i][0] != '-' && !dir) dir = argv[i];
    else fail(EXIT_USAGE, "usage: skiff-untar [--gzip] [--overlay XATTR] [--lower DIR]... [--tar-split PATH] DIR");
  }
  if (!dir) fail(EXIT_USAGE, "usage: skiff-untar [--gzip] [--overlay XATTR] [--lower DIR]... [--tar-split PATH] DIR");
  umask(0);
  rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) sysfail(errno, "open", dir);
  /* Bigger pipe reads: fewer wake-ups. Not fatal when the limit is lower. */
  (void)fcntl(STDIN_FILENO, F_SETPIPE_SZ, 1 << 20);
  buf = xmalloc(BUFSZ);
  md = EVP_MD_CTX_new();
  if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) fail(EXIT_SYS, "EIO: sha256 unavailable");
  if (gz) {
    inbuf = xmalloc(INBUFSZ);
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) fail(EXIT_SYS, "ENOMEM: inflateInit failed");
  }
  if (split_path) {
    int fd = open(split_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) sysfail(errno, "create", split_path);
    split = gzdopen(fd, "wb6");
    if (!split) fail(EXIT_SYS, "ENOMEM: gzdopen failed");
    gzbuffer(split, 256 << 10);
    raw = xmalloc(RAWMAX);
  }
  run();
  /* Whatever follows the last gzip member is not the tar's: read it so the writer never blocks. */
  if (gz)
    while (read_stdin(inbuf, INBUFSZ) > 0) {
    }
  apply_dirmetas();
  if (split) {
    raw_flush();
    if (gzclose(split) != Z_OK) fail(EXIT_SYS, "EIO: closing the tar-split failed");
  }
  unsigned char digest[32];
  unsigned dlen = 0;
  EVP_DigestFinal_ex(md, digest, &dlen);
  printf("{\"diffId\":\"sha256:");
  for (unsigned i = 0; i < dlen; i++) printf("%02x", digest[i]);
  printf("\",\"size\":%llu,\"splitComplete\":%s}\n", (unsigned long long)total,
         split && split_complete ? "true" : "false");
  if (fflush(stdout) != 0) sysfail(errno, "write", "stdout");
  return 0;
}

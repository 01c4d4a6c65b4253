/*
 * skiff-fsops: the few filesystem calls Node has no API for, batched: one process per layer
 * instead of one per file. Reads NUL-separated records on stdin:
 *
 *   "W" path        create an overlay whiteout (character device 0:0) at path
 *   "X" path name hexvalue   lsetxattr(path, name, value)  (e.g. user.overlay.opaque=y, security.capability)
 *   "N" path mode major minor   mknod (block/char device or fifo); EPERM is reported, not fatal
 *
 * Each failure prints "path: message" on stderr and continues; the exit status is 0 when every
 * record succeeded, 1 otherwise. Paths are used as given: the caller has already checked that
 * they lie inside the layer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

static char *next_field(char **cur, char *end) {
  if (*cur >= end) return NULL;
  char *start = *cur;
  char *nul = memchr(start, '\0', (size_t)(end - start));
  if (!nul) return NULL;
  *cur = nul + 1;
  return start;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int main(void) {
  size_t cap = 1 << 20, len = 0;
  char *data = malloc(cap);
  if (!data) return 2;
  for (;;) {
    if (len == cap) {
      cap *= 2;
      data = realloc(data, cap);
      if (!data) return 2;
    }
    ssize_t r = read(STDIN_FILENO, data + len, cap - len);
    if (r < 0) {
      if (errno == EINTR) continue;
      return 2;
    }
    if (r == 0) break;
    len += (size_t)r;
  }
  int failed = 0;
  char *cur = data, *end = data + len;
  for (;;) {
    char *op = next_field(&cur, end);
    if (!op) break;
    char *path = next_field(&cur, end);
    if (!path) return 2;
    if (strcmp(op, "W") == 0) {
      if (mknod(path, S_IFCHR | 0000, makedev(0, 0)) < 0) {
        fprintf(stderr, "%s: whiteout: %s\n", path, strerror(errno));
        failed = 1;
      }
    } else if (strcmp(op, "X") == 0) {
      char *name = next_field(&cur, end);
      char *hex = next_field(&cur, end);
      if (!name || !hex) return 2;
      size_t n = strlen(hex) / 2;
      unsigned char *val = malloc(n + 1);
      for (size_t i = 0; i < n; i++) val[i] = (unsigned char)(hexval(hex[2 * i]) << 4 | hexval(hex[2 * i + 1]));
      if (lsetxattr(path, name, val, n, 0) < 0) {
        fprintf(stderr, "%s: setxattr %s: %s\n", path, name, strerror(errno));
        failed = 1;
      }
      free(val);
    } else if (strcmp(op, "N") == 0) {
      char *mode = next_field(&cur, end);
      char *major = next_field(&cur, end);
      char *minor = next_field(&cur, end);
      if (!mode || !major || !minor) return 2;
      if (mknod(path, (mode_t)strtoul(mode, NULL, 8), makedev(strtoul(major, NULL, 10), strtoul(minor, NULL, 10))) < 0) {
        fprintf(stderr, "%s: mknod: %s\n", path, strerror(errno));
        failed = 1;
      }
    } else {
      fprintf(stderr, "unknown op %s\n", op);
      return 2;
    }
  }
  return failed;
}

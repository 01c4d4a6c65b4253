/*
 * skiff-fsops: the few filesystem calls Node has no API for, batched: one process per layer
 * instead of one per file. Reads NUL-separated records on stdin:
 *
 *   "W" path        create an overlay whiteout (character device 0:0) at path
 *   "X" path name hexvalue   lsetxattr(path, name, value)  (e.g. user.overlay.opaque=y, security.capability)
 *   "N" path mode major minor   mknod (block/char device or fifo); EPERM is reported, not fatal
 *   "T" path                  set ext4's FS_TOPDIR_FL on a directory, so that the allocator
 *                             spreads its subdirectories over block groups (a filesystem
 *                             without the flag answers ENOTTY/EOPNOTSUPP: reported)
 *   "M" path uid gid mode sec nsec   lchown, then chmod (mode "-" for a symlink: none), then
 *                                    utimensat of atime and mtime, never following a symlink;
 *                                    a path that does not exist (a device node mknod could not
 *                                    make) is skipped; a failed utimensat is not reported
 *
 * Each failure prints "path: message" on stderr and continues; the exit status is 0 when every
 * record succeeded, 1 otherwise. Paths are used as given: the caller has already checked that
 * they lie inside the layer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <time.h>
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
    } else if (strcmp(op, "T") == 0) {
      int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      int flags = 0;
      if (fd < 0 || ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0 ||
          (!(flags & FS_TOPDIR_FL) && (flags |= FS_TOPDIR_FL, ioctl(fd, FS_IOC_SETFLAGS, &flags) < 0))) {
        fprintf(stderr, "%s: topdir: %s\n", path, strerror(errno));
        failed = 1;
      }
      if (fd >= 0) close(fd);
    } else if (strcmp(op, "M") == 0) {
      char *uid = next_field(&cur, end);
      char *gid = next_field(&cur, end);
      char *mode = next_field(&cur, end);
      char *sec = next_field(&cur, end);
      char *nsec = next_field(&cur, end);
      if (!uid || !gid || !mode || !sec || !nsec) return 2;
      if (lchown(path, (uid_t)strtoul(uid, NULL, 10), (gid_t)strtoul(gid, NULL, 10)) < 0) {
        if (errno == ENOENT) continue;
        fprintf(stderr, "%s: lchown %s:%s: %s\n", path, uid, gid, strerror(errno));
        failed = 1;
        continue;
      }
      struct stat st;
      /* chmod follows symlinks: never let it (the caller never asks, this makes sure). */
      if (strcmp(mode, "-") != 0 && lstat(path, &st) == 0 && !S_ISLNK(st.st_mode) &&
          chmod(path, (mode_t)strtoul(mode, NULL, 8)) < 0) {
        fprintf(stderr, "%s: chmod: %s\n", path, strerror(errno));
        failed = 1;
      }
      struct timespec ts[2];
      ts[0].tv_sec = ts[1].tv_sec = (time_t)strtoll(sec, NULL, 10);
      ts[0].tv_nsec = ts[1].tv_nsec = strtol(nsec, NULL, 10);
      (void)utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW);
    } else {
      fprintf(stderr, "unknown op %s\n", op);
      return 2;
    }
  }
  return failed;
}

/*
 * skiff-confine: a Node addon (N-API) with the descriptor-relative file calls that keep skiffd
 * inside a container's root filesystem. skiffd is root in the user namespace and sees the
 * user's whole home; a path that a container or an image controls must be resolved by the
 * kernel, never by a check followed by a path-string call (a container can swap a directory
 * for a symlink between the two). So every call here works on a directory descriptor and a
 * single name, or on openat2() with RESOLVE_IN_ROOT / RESOLVE_BENEATH, and never follows a
 * symlink in the last component unless asked.
 *
 * All calls are synchronous: each is one or a few syscalls on local metadata. Failures throw an
 * Error whose `code` is the errno name (ENOENT, ELOOP, EXDEV, ...), as Node's fs does.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <node_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

#define MAX_NAME 4096

static napi_value throw_errno(napi_env env, int err, const char *call, const char *what) {
  char msg[MAX_NAME + 256];
  const char *name = strerrorname_np(err);
  snprintf(msg, sizeof msg, "%s: %s, %s '%s'", name ? name : "EIO", strerror(err), call,
           what ? what : "");
  napi_throw_error(env, name ? name : "EIO", msg);
  return NULL;
}

static napi_value throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, NULL, msg);
  return NULL;
}

/* Reads up to `want` arguments; returns 0 when fewer were given. */
static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  return argc >= want;
}

static int get_int(napi_env env, napi_value v, int64_t *out) {
  return napi_get_value_int64(env, v, out) == napi_ok;
}

static int get_str(napi_env env, napi_value v, char *buf, size_t cap) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, buf, cap, &len) != napi_ok) return 0;
  return len < cap - 1;
}

static napi_value num(napi_env env, double d) {
  napi_value v;
  napi_create_double(env, d, &v);
  return v;
}

static napi_value undef(napi_env env) {
  napi_value v;
  napi_get_undefined(env, &v);
  return v;
}

/* openat2(dirfd, path, flags, mode, resolve) -> fd */
static napi_value js_openat2(napi_env env, napi_callback_info info) {
  napi_value a[5];
  int64_t dirfd, flags, mode, resolve;
  char path[MAX_NAME];
  if (!get_args(env, info, 5, a) || !get_int(env, a[0], &dirfd) ||
      !get_str(env, a[1], path, sizeof path) || !get_int(env, a[2], &flags) ||
      !get_int(env, a[3], &mode) || !get_int(env, a[4], &resolve))
    return throw_type(env, "openat2(dirfd, path, flags, mode, resolve)");
  struct open_how how = {0};
  how.flags = (uint64_t)flags | O_CLOEXEC;
  how.mode = (flags & (O_CREAT | O_TMPFILE)) ? (uint64_t)mode : 0;
  how.resolve = (uint64_t)resolve;
  long fd;
  do fd = syscall(SYS_openat2, (int)dirfd, path[0] ? path : ".", &how, sizeof how);
  while (fd < 0 && errno == EAGAIN);
  if (fd < 0) return throw_errno(env, errno, "openat2", path);
  return num(env, (double)fd);
}

/* openat(dirfd, name, flags, mode) -> fd; O_NOFOLLOW is always added. */
static napi_value js_openat(napi_env env, napi_callback_info info) {
  napi_value a[4];
  int64_t dirfd, flags, mode;
  char name[MAX_NAME];
  if (!get_args(env, info, 4, a) || !get_int(env, a[0], &dirfd) ||
      !get_str(env, a[1], name, sizeof name) || !get_int(env, a[2], &flags) ||
      !get_int(env, a[3], &mode))
    return throw_type(env, "openat(dirfd, name, flags, mode)");
  int fd = openat((int)dirfd, name, (int)flags | O_NOFOLLOW | O_CLOEXEC, (mode_t)mode);
  if (fd < 0) return throw_errno(env, errno, "openat", name);
  return num(env, fd);
}

/* mkdirat(dirfd, name, mode) */
static napi_value js_mkdirat(napi_env env, napi_callback_info info) {
  napi_value a[3];
  int64_t dirfd, mode;
  char name[MAX_NAME];
  if (!get_args(env, info, 3, a) || !get_int(env, a[0], &dirfd) ||
      !get_str(env, a[1], name, sizeof name) || !get_int(env, a[2], &mode))
    return throw_type(env, "mkdirat(dirfd, name, mode)");
  if (mkdirat((int)dirfd, name, (mode_t)mode) != 0) return throw_errno(env, errno, "mkdir", name);
  return undef(env);
}

/* symlinkat(target, dirfd, name) */
static napi_value js_symlinkat(napi_env env, napi_callback_info info) {
  napi_value a[3];
  int64_t dirfd;
  char target[MAX_NAME], name[MAX_NAME];
  if (!get_args(env, info, 3, a) || !get_str(env, a[0], target, sizeof target) ||
      !get_int(env, a[1], &dirfd) || !get_str(env, a[2], name, sizeof name))
    return throw_type(env, "symlinkat(target, dirfd, name)");
  if (symlinkat(target, (int)dirfd, name) != 0) return throw_errno(env, errno, "symlink", name);
  return undef(env);
}

/*
 * linkFd(fd, dirfd, name): a hard link to the file open as `fd`. linkat(AT_EMPTY_PATH) needs
 * CAP_DAC_READ_SEARCH in the initial namespace; following our own /proc/self/fd magic link
 * names exactly the inode we hold, so nothing can be swapped in between.
 */
static napi_value js_link_fd(napi_env env, napi_callback_info info) {
  napi_value a[3];
  int64_t fd, dirfd;
  char name[MAX_NAME], proc[64];
  if (!get_args(env, info, 3, a) || !get_int(env, a[0], &fd) || !get_int(env, a[1], &dirfd) ||
      !get_str(env, a[2], name, sizeof name))
    return throw_type(env, "linkFd(fd, dirfd, name)");
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", (int)fd);
  if (linkat(AT_FDCWD, proc, (int)dirfd, name, AT_SYMLINK_FOLLOW) != 0)
    return throw_errno(env, errno, "link", name);
  return undef(env);
}

/* Removes name under dirfd and, for a directory, everything below it, never following a link. */
static int remove_tree(int dirfd, const char *name, int depth) {
  if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT) return 0;
  if (errno != EISDIR && errno != EPERM) return -1;
  if (depth > 512) {
    errno = ELOOP;
    return -1;
  }
  int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return -1;
  DIR *d = fdopendir(fd);
  if (!d) {
    close(fd);
    return -1;
  }
  int rc = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    if (remove_tree(fd, e->d_name, depth + 1) != 0) {
      rc = -1;
      break;
    }
  }
  int saved = errno;
  closedir(d);
  if (rc != 0) {
    errno = saved;
    return -1;
  }
  if (unlinkat(dirfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT) return -1;
  return 0;
}

/* removeTree(dirfd, name) */
static napi_value js_remove_tree(napi_env env, napi_callback_info info) {
  napi_value a[2];
  int64_t dirfd;
  char name[MAX_NAME];
  if (!get_args(env, info, 2, a) || !get_int(env, a[0], &dirfd) ||
      !get_str(env, a[1], name, sizeof name))
    return throw_type(env, "removeTree(dirfd, name)");
  if (remove_tree((int)dirfd, name, 0) != 0) return throw_errno(env, errno, "remove", name);
  return undef(env);
}

static napi_value stat_object(napi_env env, const struct stat *st) {
  napi_value o;
  napi_create_object(env, &o);
  napi_set_named_property(env, o, "mode", num(env, st->st_mode));
  napi_set_named_property(env, o, "uid", num(env, st->st_uid));
  napi_set_named_property(env, o, "gid", num(env, st->st_gid));
  napi_set_named_property(env, o, "size", num(env, (double)st->st_size));
  napi_set_named_property(env, o, "nlink", num(env, (double)st->st_nlink));
  napi_set_named_property(env, o, "ino", num(env, (double)st->st_ino));
  napi_set_named_property(env, o, "dev", num(env, (double)st->st_dev));
  napi_set_named_property(env, o, "rdev", num(env, (double)st->st_rdev));
  napi_set_named_property(env, o, "mtimeSec", num(env, (double)st->st_mtim.tv_sec));
  napi_set_named_property(env, o, "mtimeNsec", num(env, (double)st->st_mtim.tv_nsec));
  return o;
}

/* fstatat(dirfd, name) -> stat, never following a symlink; name "" stats dirfd itself. */
static napi_value js_lstatat(napi_env env, napi_callback_info info) {
  napi_value a[2];
  int64_t dirfd;
  char name[MAX_NAME];
  if (!get_args(env, info, 2, a) || !get_int(env, a[0], &dirfd) ||
      !get_str(env, a[1], name, sizeof name))
    return throw_type(env, "lstatat(dirfd, name)");
  struct stat st;
  int flags = AT_SYMLINK_NOFOLLOW | (name[0] ? 0 : AT_EMPTY_PATH);
  if (fstatat((int)dirfd, name, &st, flags) != 0) return throw_errno(env, errno, "lstat", name);
  return stat_object(env, &st);
}

/* readlinkat(dirfd, name) -> string; name "" reads the link open as an O_PATH dirfd. */
static napi_value js_readlinkat(napi_env env, napi_callback_info info) {
  napi_value a[2];
  int64_t dirfd;
  char name[MAX_NAME], buf[MAX_NAME];
  if (!get_args(env, info, 2, a) || !get_int(env, a[0], &dirfd) ||
      !get_str(env, a[1], name, sizeof name))
    return throw_type(env, "readlinkat(dirfd, name)");
  ssize_t n = readlinkat((int)dirfd, name, buf, sizeof buf - 1);
  if (n < 0) return throw_errno(env, errno, "readlink", name);
  napi_value s;
  napi_create_string_utf8(env, buf, (size_t)n, &s);
  return s;
}

/* readdir(dirfd) -> names (without . and ..); dirfd's own offset is not used. */
static napi_value js_readdir(napi_env env, napi_callback_info info) {
  napi_value a[1];
  int64_t dirfd;
  if (!get_args(env, info, 1, a) || !get_int(env, a[0], &dirfd))
    return throw_type(env, "readdir(dirfd)");
  int fd = openat((int)dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return throw_errno(env, errno, "opendir", ".");
  DIR *d = fdopendir(fd);
  if (!d) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "opendir", ".");
  }
  napi_value arr;
  napi_create_array(env, &arr);
  uint32_t i = 0;
  struct dirent *e;
  errno = 0;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    napi_value s;
    napi_create_string_utf8(env, e->d_name, NAPI_AUTO_LENGTH, &s);
    napi_set_element(env, arr, i++, s);
  }
  int err = errno;
  closedir(d);
  if (err != 0) return throw_errno(env, err, "readdir", ".");
  return arr;
}

/* lchownat(dirfd, name, uid, gid): name "" changes dirfd itself (an O_PATH fd works too). */
static napi_value js_lchownat(napi_env env, napi_callback_info info) {
  napi_value a[4];
  int64_t dirfd, uid, gid;
  char name[MAX_NAME];
  if (!get_args(env, info, 4, a) || !get_int(env, a[0], &dirfd) ||
      !get_str(env, a[1], name, sizeof name) || !get_int(env, a[2], &uid) ||
      !get_int(env, a[3], &gid))
    return throw_type(env, "lchownat(dirfd, name, uid, gid)");
  int flags = AT_SYMLINK_NOFOLLOW | (name[0] ? 0 : AT_EMPTY_PATH);
  if (fchownat((int)dirfd, name, (uid_t)uid, (gid_t)gid, flags) != 0)
    return throw_errno(env, errno, "lchown", name);
  return undef(env);
}

/* lutimesat(dirfd, name, sec, nsec): atime and mtime, never following a symlink. */
static napi_value js_lutimesat(napi_env env, napi_callback_info info) {
  napi_value a[4];
  int64_t dirfd, sec, nsec;
  char name[MAX_NAME];
  if (!get_args(env, info, 4, a) || !get_int(env, a[0], &dirfd) ||
      !get_str(env, a[1], name, sizeof name) || !get_int(env, a[2], &sec) ||
      !get_int(env, a[3], &nsec))
    return throw_type(env, "lutimesat(dirfd, name, sec, nsec)");
  struct timespec ts[2] = {{(time_t)sec, (long)nsec}, {(time_t)sec, (long)nsec}};
  int rc = name[0] ? utimensat((int)dirfd, name, ts, AT_SYMLINK_NOFOLLOW)
                   : futimens((int)dirfd, ts); /* "" : the descriptor itself (not O_PATH) */
  if (rc != 0) return throw_errno(env, errno, "utimes", name);
  return undef(env);
}

/*
 * dirXattrAt(dirfd, name, attr): the value of xattr `attr` of the directory `name` below dirfd
 * (never following a symlink), or undefined when it has none. For overlay's opaque marker.
 */
static napi_value js_dir_xattr_at(napi_env env, napi_callback_info info) {
  napi_value a[3];
  int64_t dirfd;
  char name[MAX_NAME];
  char attr[256];
  if (!get_args(env, info, 3, a) || !get_int(env, a[0], &dirfd) ||
      !get_str(env, a[1], name, sizeof name) || !get_str(env, a[2], attr, sizeof attr))
    return throw_type(env, "dirXattrAt(dirfd, name, attr)");
  int fd = openat((int)dirfd, name[0] ? name : ".",
                  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return throw_errno(env, errno, "open", name);
  char val[256];
  ssize_t n = fgetxattr(fd, attr, val, sizeof val);
  int err = errno;
  close(fd);
  if (n < 0) {
    if (err == ENODATA || err == ENOTSUP) return undef(env);
    return throw_errno(env, err, "getxattr", name);
  }
  napi_value s;
  napi_create_string_utf8(env, val, (size_t)n, &s);
  return s;
}

/*
 * Not a file call, but skiffd's one other need for libc: glibc keeps the memory that Buffers,
 * zlib and the HTTP parser freed in its heap (a 100 MB pull left skiffd ~35 MiB larger, a heap
 * snapshot showed 11 MiB of live JS). malloc_trim(0) gives the free pages back to the kernel,
 * holes in the middle of the heap included. Returns whether memory was released; false where
 * the C library has no malloc_trim.
 */
static napi_value js_malloc_trim(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value v;
#ifdef __GLIBC__
  napi_get_boolean(env, malloc_trim(0) == 1, &v);
#else
  napi_get_boolean(env, false, &v);
#endif
  return v;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"openat2", NULL, js_openat2, NULL, NULL, NULL, napi_enumerable, NULL},
      {"openat", NULL, js_openat, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mkdirat", NULL, js_mkdirat, NULL, NULL, NULL, napi_enumerable, NULL},
      {"symlinkat", NULL, js_symlinkat, NULL, NULL, NULL, napi_enumerable, NULL},
      {"linkFd", NULL, js_link_fd, NULL, NULL, NULL, napi_enumerable, NULL},
      {"removeTree", NULL, js_remove_tree, NULL, NULL, NULL, napi_enumerable, NULL},
      {"lstatat", NULL, js_lstatat, NULL, NULL, NULL, napi_enumerable, NULL},
      {"readlinkat", NULL, js_readlinkat, NULL, NULL, NULL, napi_enumerable, NULL},
      {"readdir", NULL, js_readdir, NULL, NULL, NULL, napi_enumerable, NULL},
      {"lchownat", NULL, js_lchownat, NULL, NULL, NULL, napi_enumerable, NULL},
      {"lutimesat", NULL, js_lutimesat, NULL, NULL, NULL, napi_enumerable, NULL},
      {"dirXattrAt", NULL, js_dir_xattr_at, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mallocTrim", NULL, js_malloc_trim, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)

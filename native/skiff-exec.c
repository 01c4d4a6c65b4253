/*
 * skiff-exec: a Node addon with one call, execve(2). Node 20 cannot replace its own process
 * image; `skiff daemon` does so once the namespaces exist, handing its pid, stdio and signals to
 * native/skiff-supervise (a few hundred KiB instead of a second Node heap). On success it does
 * not return; on failure it throws an Error whose `code` is the errno name.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *dup_string(napi_env env, napi_value v) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char *s = malloc(len + 1);
  if (!s) return NULL;
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  return s;
}

/* A NULL-terminated copy of a JS string array; NULL when it is not one. */
static char **string_array(napi_env env, napi_value arr) {
  bool is_array = false;
  uint32_t n = 0;
  if (napi_is_array(env, arr, &is_array) != napi_ok || !is_array) return NULL;
  napi_get_array_length(env, arr, &n);
  char **out = calloc((size_t)n + 1, sizeof(char *));
  if (!out) return NULL;
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    napi_get_element(env, arr, i, &el);
    out[i] = dup_string(env, el);
    if (!out[i]) return NULL;
  }
  return out;
}

static napi_value js_execve(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value a[3];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  if (argc < 3) {
    napi_throw_type_error(env, NULL, "execve(path, argv, env)");
    return NULL;
  }
  char *path = dup_string(env, a[0]);
  char **argv = string_array(env, a[1]);
  char **envp = string_array(env, a[2]);
  if (!path || !argv || !envp) {
    napi_throw_type_error(env, NULL, "execve(path: string, argv: string[], env: string[])");
    return NULL;
  }
  /* libuv marks the stdio descriptors close-on-exec and non-blocking; the new program needs
     them inherited and blocking, as any process started from a shell has them. */
  for (int fd = 0; fd <= 2; fd++) {
    fcntl(fd, F_SETFD, 0);
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  }
  execve(path, argv, envp);
  int err = errno;
  const char *name = strerrorname_np(err);
  napi_throw_error(env, name ? name : "EIO", strerror(err));
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor p = {"execve", NULL, js_execve, NULL, NULL, NULL, napi_enumerable,
                                NULL};
  napi_define_properties(env, exports, 1, &p);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)

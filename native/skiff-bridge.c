/*
 * skiff-bridge: connects to conmon's attach socket (SOCK_SEQPACKET, which Node cannot open)
 * and bridges it to stdio, in a process of its own so that nothing an attach does can crash the
 * daemon.
 *
 *   skiff-bridge ATTACH_SOCKET_PATH
 *
 * conmon -> stdout: each SEQPACKET message starts with one byte naming the pipe (conmon's
 *   stdpipe_t: 2 stdout, 3 stderr); we write it as a frame: [stream byte][3 zero bytes]
 *   [uint32 big-endian length][payload], i.e. Docker's stdcopy header (1 stdout, 2 stderr), so
 *   skiffd can forward or demultiplex it as is.
 * stdin -> conmon: read in chunks of at most 8192 bytes (conmon's buffer) and sent one message
 *   each; EOF on stdin becomes shutdown(SHUT_WR), which makes conmon close the container's stdin.
 * Exits 0 when conmon closes the socket (the container's output is over), once every message
 * conmon wrote before closing is out (a close that resets the connection included).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define BUF 65536
#define CONMON_STDIN_BUF 8192

static int write_all(int fd, const void *p, size_t n) {
  const char *c = p;
  while (n > 0) {
    ssize_t w = write(fd, c, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    c += w;
    n -= (size_t)w;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: skiff-bridge ATTACH_SOCKET\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    perror("skiff-bridge: socket");
    return 1;
  }
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(argv[1]) >= sizeof(addr.sun_path)) {
    fprintf(stderr, "skiff-bridge: socket path too long: %s\n", argv[1]);
    return 1;
  }
  strcpy(addr.sun_path, argv[1]);
  if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
    fprintf(stderr, "skiff-bridge: connect %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  /* Tell the parent we are connected: nothing the container writes from now on is lost. */
  static const char ready[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  if (write_all(STDOUT_FILENO, ready, sizeof(ready)) < 0) return 1;

  static char buf[BUF + 8];
  int stdin_open = 1;
  int reset = 0;
  for (;;) {
    struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = STDIN_FILENO, .events = POLLIN}};
    int n = poll(p, stdin_open ? 2 : 1, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t r = recv(fd, buf + 7, BUF + 1, 0);
      if (r < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        /* conmon closed its end while a message we sent it (stdin) was still unread: the
         * kernel then reports ECONNRESET once, ahead of the messages conmon wrote before it
         * closed (a short-lived TTY process's whole output), which the next recv returns. */
        if (errno == ECONNRESET && !reset) {
          reset = 1;
          continue;
        }
        return 0;
      }
      if (r == 0) return 0;
      if (r > 1) {
        uint32_t len = (uint32_t)(r - 1);
        /* conmon: STDOUT_PIPE = 2, STDERR_PIPE = 3; stdcopy: 1 stdout, 2 stderr. */
        char stream = buf[7] == 3 ? 2 : 1;
        buf[0] = stream;
        buf[1] = buf[2] = buf[3] = 0;
        buf[4] = (char)(len >> 24);
        buf[5] = (char)(len >> 16);
        buf[6] = (char)(len >> 8);
        buf[7] = (char)len;
        if (write_all(STDOUT_FILENO, buf, 8 + len) < 0) return 0;
      }
    }
    if (stdin_open && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      char in[CONMON_STDIN_BUF];
      ssize_t r = read(STDIN_FILENO, in, sizeof(in));
      if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (r <= 0) {
        stdin_open = 0;
        shutdown(fd, SHUT_WR);
        continue;
      }
      if (send(fd, in, (size_t)r, MSG_NOSIGNAL) < 0) {
        stdin_open = 0;
      }
    }
  }
}

/*
 * skiff-supervise: what `skiff daemon` becomes once the namespaces exist. The Node side checks
 * the prerequisites and starts (or joins) rootlesskit's holder, then execve()s into this program,
 * so that the process that only waits for skiffd and restarts it costs a few hundred KiB instead
 * of a second Node heap (issue 12: ~50 MiB). Same pid, same stdio, same exit codes.
 *
 *   skiff-supervise --pid-file F --holder PID --state-dir D [--live-restore] [--quiet]
 *                   --reexec N ARG1..ARGN -- SKIFFD-ARGV...
 *
 * - Runs SKIFFD-ARGV (nsenter into the holder, then node skiffd), writes its pid to F.
 * - skiffd exits 0 or 78 (bad configuration: do not restart), or we were told to stop: tear down
 *   and exit with its code. Otherwise restart it after 0.5 s, doubling up to 30 s (reset after a
 *   minute of uptime).
 * - The holder is gone (rootlesskit died): execv(ARG1..ARGN), the original `skiff daemon`
 *   command, which makes new namespaces and comes back here.
 * - SIGTERM/SIGINT: forwarded to skiffd as SIGTERM; SIGHUP is forwarded as is.
 * - Teardown: the pid file goes; unless --live-restore, rootlesskit (the holder's parent) is
 *   sent SIGTERM and its child_pid file removed, which ends the namespaces and the containers.
 * Log lines are pino's JSON, as the rest of skiff writes them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXIT_FATAL_CONFIG 78

static volatile sig_atomic_t stopping = 0;
static volatile sig_atomic_t pending_hup = 0;
static volatile pid_t child = 0;
static int quiet = 0;

static void log_line(int level, const char *msg, const char *key, long value) {
  if (quiet && level < 40) return;
  struct timeval tv;
  gettimeofday(&tv, NULL);
  long long ms = (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
  if (key)
    fprintf(stderr,
            "{\"level\":%d,\"time\":%lld,\"pid\":%d,\"component\":\"supervisor\",\"%s\":%ld,"
            "\"msg\":\"%s\"}\n",
            level, ms, (int)getpid(), key, value, msg);
  else
    fprintf(stderr,
            "{\"level\":%d,\"time\":%lld,\"pid\":%d,\"component\":\"supervisor\",\"msg\":\"%s\"}\n",
            level, ms, (int)getpid(), msg);
}

static void on_stop(int sig) {
  (void)sig;
  stopping = 1;
  if (child > 0) kill(child, SIGTERM);
}

static void on_hup(int sig) {
  (void)sig;
  pending_hup = 1;
  if (child > 0) kill(child, SIGHUP);
}

static int alive(pid_t pid) { return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM); }

static pid_t parent_of(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  char *end = strrchr(buf, ')');
  if (!end) return 0;
  char state;
  int ppid;
  if (sscanf(end + 2, "%c %d", &state, &ppid) != 2) return 0;
  return ppid;
}

static void write_pid_file(const char *path, pid_t pid) {
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return;
  dprintf(fd, "%d\n", (int)pid);
  close(fd);
  rename(tmp, path);
}

/* Sleeps ms, returning early when told to stop. */
static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (!stopping && nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static void teardown(const char *pid_file, pid_t holder, const char *state_dir, int live_restore) {
  unlink(pid_file);
  if (live_restore) {
    log_line(30, "live-restore: leaving the namespaces and containers running", "holder",
             holder);
    return;
  }
  pid_t rk = parent_of(holder);
  if (rk > 1) {
    kill(rk, SIGTERM);
    for (int i = 0; i < 100 && alive(rk); i++) sleep_ms(20);
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/child_pid", state_dir);
  unlink(path);
}

static void usage(void) {
  fprintf(stderr, "usage: skiff-supervise --pid-file F --holder PID --state-dir D "
                  "[--live-restore] [--quiet] --reexec N ARGS... -- SKIFFD-ARGV...\n");
  exit(2);
}

int main(int argc, char **argv) {
  const char *pid_file = NULL, *state_dir = NULL;
  pid_t holder = 0;
  int live_restore = 0, reexec_n = -1, reexec_at = 0, child_at = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--pid-file") == 0 && i + 1 < argc) pid_file = argv[++i];
    else if (strcmp(argv[i], "--state-dir") == 0 && i + 1 < argc) state_dir = argv[++i];
    else if (strcmp(argv[i], "--holder") == 0 && i + 1 < argc) holder = atoi(argv[++i]);
    else if (strcmp(argv[i], "--live-restore") == 0) live_restore = 1;
    else if (strcmp(argv[i], "--quiet") == 0) quiet = 1;
    else if (strcmp(argv[i], "--reexec") == 0 && i + 1 < argc) {
      reexec_n = atoi(argv[++i]);
      reexec_at = i + 1;
      i += reexec_n;
    } else if (strcmp(argv[i], "--") == 0) {
      child_at = i + 1;
      break;
    } else usage();
  }
  if (!pid_file || !state_dir || holder <= 1 || reexec_n <= 0 || child_at == 0 ||
      child_at >= argc || reexec_at + reexec_n >= child_at)
    usage();

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop; /* no SA_RESTART: waitpid and nanosleep return on a signal */
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sa.sa_handler = on_hup;
  sigaction(SIGHUP, &sa, NULL);

  int restarts = 0;
  for (;;) {
    time_t started = time(NULL);
    pid_t pid = fork();
    if (pid < 0) {
      log_line(50, "cannot fork skiffd", "errno", errno);
      teardown(pid_file, holder, state_dir, live_restore);
      return 1;
    }
    if (pid == 0) {
      signal(SIGTERM, SIG_DFL);
      signal(SIGINT, SIG_DFL);
      signal(SIGHUP, SIG_DFL);
      execv(argv[child_at], &argv[child_at]);
      fprintf(stderr, "skiff-supervise: cannot run %s: %s\n", argv[child_at], strerror(errno));
      _exit(127);
    }
    child = pid;
    write_pid_file(pid_file, pid);
    if (stopping) kill(pid, SIGTERM);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    child = 0;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
    if (stopping || (WIFEXITED(status) && (code == 0 || code == EXIT_FATAL_CONFIG))) {
      if (!stopping && code != 0) log_line(50, "skiffd refused to start; not restarting", "code", code);
      teardown(pid_file, holder, state_dir, live_restore);
      return stopping && !WIFEXITED(status) ? 0 : code;
    }
    if (time(NULL) - started > 60) restarts = 0;
    long delay = 500L << (restarts < 6 ? restarts : 6);
    if (delay > 30000) delay = 30000;
    restarts++;
    log_line(40, "skiffd died unexpectedly; restarting it",
             WIFSIGNALED(status) ? "signal" : "code",
             WIFSIGNALED(status) ? WTERMSIG(status) : code);
    sleep_ms(delay);
    if (stopping) {
      teardown(pid_file, holder, state_dir, live_restore);
      return 0;
    }
    if (!alive(holder)) {
      log_line(50, "the holder is gone (rootlesskit died): starting new namespaces", "holder",
               holder);
      unlink(pid_file);
      char **again = calloc((size_t)reexec_n + 1, sizeof(char *));
      if (!again) return 1;
      for (int i = 0; i < reexec_n; i++) again[i] = argv[reexec_at + i];
      execv(again[0], again);
      log_line(50, "cannot run skiff daemon again", "errno", errno);
      return 1;
    }
  }
}

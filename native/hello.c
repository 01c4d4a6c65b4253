/*
 * skiff's embedded hello-world: a static binary with no libc, so that the image it goes into
 * is a few kilobytes and a fresh install can run a real container with no registry in reach.
 * Built by scripts/build-native.mjs; packed into an image by src/image/embedded-hello.ts.
 */
static const char message[] =
    "\n"
    "Hello from skiff!\n"
    "This message shows that your installation appears to be working correctly.\n"
    "\n"
    "To generate this message, skiff took the following steps:\n"
    " 1. The docker client contacted the skiff daemon on $XDG_RUNTIME_DIR/docker.sock.\n"
    " 2. skiffd found the \"hello-world\" image in its store (it ships one; no network needed).\n"
    " 3. skiffd created a new container from that image, inside your user namespace,\n"
    "    with no root rights on the host, and ran this program in it.\n"
    " 4. skiffd streamed this output to the docker client, which sent it to your terminal.\n"
    "\n"
    "Try something more ambitious: docker run -it busybox sh (after pushing one to a registry).\n"
    "\n";

#if defined(__x86_64__)
static long sys3(long n, long a, long b, long c) {
  long ret;
  __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return ret;
}
#define SYS_WRITE 1
#define SYS_EXIT 60
#elif defined(__aarch64__)
static long sys3(long n, long a, long b, long c) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
  return x0;
}
#define SYS_WRITE 64
#define SYS_EXIT 93
#else
#error "hello.c: add the syscall convention of this architecture"
#endif

void _start(void) {
  sys3(SYS_WRITE, 1, (long)message, sizeof(message) - 1);
  sys3(SYS_EXIT, 0, 0, 0);
  for (;;) {
  }
}

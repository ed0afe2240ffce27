/*
 * seccomp-probe: runs raw syscalls, each in a fresh child, and prints how each
 * ended, so that the same list can be run under a filter berth compiled and
 * under runc with the same profile, and the outputs compared.
 *
 *   seccomp-probe [-f PROGRAM] [-F FLAGS] CASE...
 *
 * PROGRAM is a struct sock_filter[] file; with it each child installs the
 * filter (no_new_privs, seccomp(2) with FLAGS) right before its syscall.
 * Without it the process is assumed to run under someone else's filter (runc).
 * CASE is [i386:|x32:]NR[,ARG...] (numbers in C syntax; i386 calls go through
 * int $0x80 with up to five arguments, x32 adds __X32_SYSCALL_BIT).
 * Output per case: "CASE ok", "CASE errno N" or "CASE signal N".
 * With SECCOMP_FILTER_FLAG_NEW_LISTENER the child becomes the listener for a
 * grandchild that makes the call and answers every notification with -EXDEV.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

static struct sock_fprog prog;
static unsigned long flags;

static void die(const char *what) {
  perror(what);
  exit(125);
}

static void load_program(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die(path);
  static struct sock_filter buf[4096];
  ssize_t n = read(fd, buf, sizeof(buf));
  if (n <= 0 || n % sizeof(struct sock_filter) != 0) die("read program");
  close(fd);
  prog.len = (unsigned short)(n / sizeof(struct sock_filter));
  prog.filter = buf;
}

/* Returns the raw kernel result: >= 0 or -errno. */
static long call(const char *spec) {
  int i386 = 0;
  long x32 = 0;
  if (strncmp(spec, "i386:", 5) == 0) {
    i386 = 1;
    spec += 5;
  } else if (strncmp(spec, "x32:", 4) == 0) {
    x32 = 0x40000000;
    spec += 4;
  }
  unsigned long v[7] = {0};
  char *end;
  for (int i = 0; i < 7; i++) {
    v[i] = strtoull(spec, &end, 0);
    if (*end != ',') break;
    spec = end + 1;
  }
  if (i386) {
    long ret;
    __asm__ volatile("int $0x80"
                     : "=a"(ret)
                     : "a"(v[0]), "b"(v[1]), "c"(v[2]), "d"(v[3]), "S"(v[4]), "D"(v[5])
                     : "memory", "r8", "r9", "r10", "r11");
    return (int)ret; /* a 32-bit result */
  }
  long r = syscall(v[0] | x32, v[1], v[2], v[3], v[4], v[5], v[6]);
  return r == -1 ? -errno : r;
}

static int install(void) {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("no_new_privs");
  int fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
  if (fd < 0) die("seccomp");
  return fd;
}

/* The child's exit code: 0 for success, else the errno (tests keep them < 128). */
static int encode(long r) { return r < 0 ? (int)(-r & 0x7f) : 0; }

/* Answers every notification with -EXDEV until the caller exits; returns its wait status. */
static int listen_for(pid_t caller, int listener) {
  int pidfd = (int)syscall(SYS_pidfd_open, caller, 0);
  if (pidfd < 0) die("pidfd_open");
  for (;;) {
    struct pollfd p[2] = {{.fd = listener, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
    if (poll(p, 2, -1) < 0) die("poll");
    if (p[0].revents & POLLIN) {
      struct seccomp_notif req;
      struct seccomp_notif_resp resp;
      memset(&req, 0, sizeof(req));
      if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) == 0) {
        memset(&resp, 0, sizeof(resp));
        resp.id = req.id;
        resp.error = -EXDEV;
        ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
      }
    }
    if (p[1].revents & POLLIN) {
      int status;
      if (waitpid(caller, &status, 0) < 0) die("waitpid");
      return status;
    }
  }
}

static void child(const char *spec) {
  if (prog.len == 0) _exit(encode(call(spec)));
  int listener = install();
  if (!(flags & SECCOMP_FILTER_FLAG_NEW_LISTENER)) _exit(encode(call(spec)));
  pid_t caller = fork();
  if (caller < 0) die("fork");
  if (caller == 0) _exit(encode(call(spec)));
  int status = listen_for(caller, listener);
  if (WIFSIGNALED(status)) {
    /* Die the same way so the parent sees the caller's fate. */
    signal(WTERMSIG(status), SIG_DFL);
    kill(getpid(), WTERMSIG(status));
  }
  _exit(WEXITSTATUS(status));
}

int main(int argc, char **argv) {
  int opt;
  while ((opt = getopt(argc, argv, "+f:F:")) != -1) {
    if (opt == 'f') load_program(optarg);
    else if (opt == 'F') flags = strtoul(optarg, NULL, 0);
    else return 125;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (int i = optind; i < argc; i++) {
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) child(argv[i]);
    int status;
    if (waitpid(pid, &status, 0) < 0) die("waitpid");
    if (WIFSIGNALED(status)) printf("%s signal %d\n", argv[i], WTERMSIG(status));
    else if (WEXITSTATUS(status) == 0) printf("%s ok\n", argv[i]);
    else printf("%s errno %d\n", argv[i], WEXITSTATUS(status));
  }
  return 0;
}

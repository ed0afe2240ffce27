/*
 * berth-init main: read the plan, join namespaces, clone the container's
 * first process into the new ones, report its pid, and either exit (create)
 * or wait and pass its exit status on (foreground run).
 *
 * Protocol on the sync socket (argv[1]), one line per message:
 *   -> runtime:  "pid <host pid>", "ready", "error <step>: <ERRNO>"
 *   <- runtime:  "g" after "pid", when the plan has "waitgo"
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "init.h"

int sync_fd = -1;
static int early_state_dir_fd = -1;
extern char **environ;

void send_line(const char *fmt, ...) {
  char line[4096];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (n > (int)sizeof line - 2) n = (int)sizeof line - 2;
  for (int i = 0; i < n; i++)
    if (line[i] == '\n') line[i] = ' ';
  line[n++] = '\n';
  if (sync_fd >= 0) {
    ssize_t r;
    do r = write(sync_fd, line, (size_t)n);  /* one write: lines never interleave */
    while (r < 0 && errno == EINTR);
  } else {
    (void)!write(2, line, (size_t)n);
  }
}

void die(int err, const char *fmt, ...) {
  char step[3000];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(step, sizeof step, fmt, ap);
  va_end(ap);
  const char *name = strerrorname_np(err);
  send_line("error %s: %s", step, name ? name : "EUNKNOWN");
  _exit(1);
}

void die_msg(const char *fmt, ...) {
  char msg[3000];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  send_line("error %s", msg);
  _exit(1);
}

/*
 * CVE-2019-5736: a container must never be able to open this binary for
 * writing through /proc/<pid>/exe. Run from a sealed, anonymous memfd copy,
 * as runc does: the host file is never the executable of a process the
 * container can see.
 */
static void reexec_sealed(char **argv) {
  const int want = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
  int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (self < 0) die(errno, "open /proc/self/exe");
  int seals = fcntl(self, F_GET_SEALS);
  if (seals >= 0 && (seals & want) == want) {
    close(self);
    return;
  }
  struct stat st;
  if (fstat(self, &st) < 0) die(errno, "stat /proc/self/exe");
  int mfd = memfd_create("berth-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0) die(errno, "memfd_create");
  for (off_t left = st.st_size; left > 0;) {
    ssize_t n = sendfile(mfd, self, NULL, (size_t)left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) die(n < 0 ? errno : EIO, "copy /proc/self/exe to memfd");
    left -= n;
  }
  close(self);
  if (fcntl(mfd, F_ADD_SEALS, want) < 0) die(errno, "seal memfd");
  fexecve(mfd, argv, environ);
  die(errno, "execute sealed memfd");
}

static char *read_plan(size_t *len) {
  unsigned char hdr[4];
  size_t got = 0;
  while (got < 4) {
    ssize_t n = read(sync_fd, hdr + got, 4 - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) die(n < 0 ? errno : EPIPE, "read plan header");
    got += (size_t)n;
  }
  *len = (size_t)hdr[0] | (size_t)hdr[1] << 8 | (size_t)hdr[2] << 16 | (size_t)hdr[3] << 24;
  if (*len > (16u << 20)) die_msg("plan: %zu bytes is too large", *len);
  char *buf = malloc(*len + 1);
  if (!buf) die(ENOMEM, "read plan");
  for (got = 0; got < *len;) {
    ssize_t n = read(sync_fd, buf + got, *len - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) die(n < 0 ? errno : EPIPE, "read plan");
    got += (size_t)n;
  }
  buf[*len] = 0;
  return buf;
}

static void reset_signals(void) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
}

/* The container's first process: set everything up, then wait for start. */
static void child(const struct plan *p, int new_cgroup_ns, int userns) __attribute__((noreturn));
static void child(const struct plan *p, int new_cgroup_ns, int userns) {
  int state_dir_fd = early_state_dir_fd;
  reset_signals();
  if (p->wait_go) {
    /* The runtime moves us into the container's cgroups first; a new cgroup
     * namespace is made only then, so that its root is that cgroup. */
    char go = 0;
    ssize_t n;
    do n = read(sync_fd, &go, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1 || go != 'g') die(n < 0 ? errno : EPIPE, "wait for the runtime");
    if (new_cgroup_ns && unshare(CLONE_NEWCGROUP) < 0) die(errno, "unshare cgroup namespace");
  }
  if (userns) {
    /* In a user namespace (made and mapped by the runtime, or joined): become its root,
     * so what setup creates is owned by a mapped id. */
    if (setresgid(0, 0, 0) < 0) die(errno, "setgid 0 in the user namespace");
    if (setresuid(0, 0, 0) < 0) die(errno, "setuid 0 in the user namespace");
  }
  if (!p->exec_mode) {
    setup_rootfs(p, &state_dir_fd);
    setup_system(p);
    finalize_rootfs(p);
  }
  setup_console(p);
  const char *exe = find_executable(p);
  setup_process(p);
  wait_and_exec(p, state_dir_fd, exe);
}

static int in_userns(const struct plan *p) {
  for (int i = 0; i < p->n_ns; i++)
    if (p->ns[i].type == CLONE_NEWUSER) return 1;
  return 0;
}

/* Connected before joining any namespace: the listener path is the host's. */
static int connect_listener(const char *path) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof addr.sun_path) die_msg("seccomp listenerPath %s is too long", path);
  strcpy(addr.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die(errno, "socket");
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) die(errno, "connect to seccomp listenerPath %s", path);
  return fd;
}

/*
 * Opens every namespace to join first (their paths may be under a /proc that
 * joining a mount namespace hides), joins the user namespace before the
 * others (it owns them), and returns the CLONE_NEW* flags of the new ones.
 */
static int join_namespaces(const struct plan *p) {
  int fds[10], flags = 0;
  for (int i = 0; i < p->n_ns; i++) {
    fds[i] = -1;
    if (!p->ns[i].path) {
      flags |= p->ns[i].type;
      continue;
    }
    fds[i] = open(p->ns[i].path, O_RDONLY | O_CLOEXEC);
    if (fds[i] < 0) die(errno, "open namespace %s", p->ns[i].path);
  }
  for (int pass = 0; pass < 2; pass++)
    for (int i = 0; i < p->n_ns; i++) {
      if (fds[i] < 0 || (p->ns[i].type == CLONE_NEWUSER) != (pass == 0)) continue;
      if (setns(fds[i], p->ns[i].type) < 0) die(errno, "join namespace %s", p->ns[i].path);
      close(fds[i]);
    }
  return flags;
}

static void set_time_offsets(const struct plan *p) {
  char buf[256];
  int len = 0;
  for (int i = 0; i < p->n_time_offsets; i++)
    len += snprintf(buf + len, sizeof buf - (size_t)len, "%d %lld %u\n", p->time_offsets[i].clock,
                    (long long)p->time_offsets[i].secs, p->time_offsets[i].nsecs);
  if (!len) return;
  int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
  if (fd < 0) die(errno, "open /proc/self/timens_offsets");
  if (write(fd, buf, (size_t)len) != len) die(errno, "write time namespace offsets");
  close(fd);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "berth-init: internal to berth-runtime; usage: berth-init SYNC_FD\n");
    return 2;
  }
  sync_fd = atoi(argv[1]);
  if (fcntl(sync_fd, F_GETFD) < 0) {
    sync_fd = -1;
    die(errno, "sync fd %s", argv[1]);
  }
  reexec_sealed(argv);
  fcntl(sync_fd, F_SETFD, FD_CLOEXEC);

  size_t len;
  char *buf = read_plan(&len);
  static struct plan plan;
  parse_plan(buf, len, &plan);

  if (plan.seccomp_listener) seccomp_listener_fd = connect_listener(plan.seccomp_listener);
  prepare_idmapped_mounts(&plan);
  /* Opened as the caller, before any namespace: a container root that is an
   * unprivileged host id might not be able to reach the state dir itself. */
  if (plan.state_dir) {
    early_state_dir_fd = open(plan.state_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (early_state_dir_fd < 0) die(errno, "open state dir %s", plan.state_dir);
  }
  int clone_flags = join_namespaces(&plan);
  if (clone_flags & CLONE_NEWTIME) {
    /* 0x80 is inside clone()'s exit-signal bits: unshare, set the offsets
     * while the namespace has no member yet, and the child is born in it. */
    clone_flags &= ~CLONE_NEWTIME;
    if (unshare(CLONE_NEWTIME) < 0) die(errno, "unshare time namespace");
    set_time_offsets(&plan);
  }

  if ((clone_flags & CLONE_NEWUSER) && !plan.wait_go) die_msg("plan: a new user namespace needs waitgo (the runtime writes its id maps)");
  /* The child learns its host pid (for the seccomp state) from this pipe. */
  int pid_pipe[2];
  if (pipe2(pid_pipe, O_CLOEXEC) < 0) die(errno, "pipe");
  int late_cgroup_ns = plan.wait_go && (clone_flags & CLONE_NEWCGROUP);
  if (late_cgroup_ns) clone_flags &= ~CLONE_NEWCGROUP;
  /* Without CLONE_VM, clone behaves as fork: the child gets a copy of the plan. */
  pid_t pid = (pid_t)syscall(SYS_clone, (unsigned long)clone_flags | SIGCHLD, NULL, NULL, NULL, NULL);
  if (pid < 0) die(errno, "clone");
  if (pid == 0) {
    close(pid_pipe[1]);
    if (read(pid_pipe[0], &host_pid, sizeof host_pid) != sizeof host_pid) die(errno ? errno : EPIPE, "read own pid");
    close(pid_pipe[0]);
    child(&plan, late_cgroup_ns, in_userns(&plan));
  }
  close(pid_pipe[0]);
  if (write(pid_pipe[1], &pid, sizeof pid) != sizeof pid) die(errno, "send the child its pid");
  close(pid_pipe[1]);
  if (seccomp_listener_fd >= 0) close(seccomp_listener_fd);
  if (early_state_dir_fd >= 0) close(early_state_dir_fd);

  send_line("pid %d", (int)pid);
  if (!plan.wait) return 0;

  /* Foreground run: signals are forwarded by the runtime to the container. */
  signal(SIGINT, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  close(sync_fd);
  sync_fd = -1;
  if (plan.console_fd >= 0) close(plan.console_fd);
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return 255;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

/*
 * The container's process: hostname, sysctls, rlimits, console, user,
 * capabilities, no_new_privs, cwd, inherited fds, the exec fifo, execve.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <linux/filter.h>
#include <linux/keyctl.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>
#include "init.h"

static void write_file(const char *path, const char *value) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) die(errno, "open %s", path);
  size_t len = strlen(value);
  if (write(fd, value, len) != (ssize_t)len) die(errno, "write %s", path);
  close(fd);
}

/* runc's wire format for the console: the master fd in SCM_RIGHTS, with its name as data. */
static void send_fd(int sock, int fd, const char *name, const char *what) {
  struct iovec iov = {.iov_base = (void *)name, .iov_len = strlen(name)};
  union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
  memset(&u, 0, sizeof u);
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  ssize_t r;
  do r = sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r < 0) die(errno, "send %s", what);
}

void setup_console(const struct plan *p) {
  if (p->console_fd < 0) {
    return;
  }
  int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) die(errno, "open /dev/ptmx");
  int unlock = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0) die(errno, "unlock pty");
  int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
  if (slave < 0) die(errno, "open pty slave");
  if (p->win_rows || p->win_cols) {
    struct winsize ws = {.ws_row = p->win_rows, .ws_col = p->win_cols};
    if (ioctl(master, TIOCSWINSZ, &ws) < 0) die(errno, "set console size");
  }
  if (setsid() < 0) die(errno, "setsid");
  if (ioctl(slave, TIOCSCTTY, 0) < 0) die(errno, "set controlling terminal");
  for (int i = 0; i < 3; i++)
    if (dup2(slave, i) < 0) die(errno, "dup pty slave to fd %d", i);
  if (slave > 2) close(slave);
  send_fd(p->console_fd, master, "/dev/ptmx", "pty master to console socket");
  close(master);
  close(p->console_fd);
}

static const char *env_get(const struct plan *p, const char *name) {
  size_t n = strlen(name);
  for (int i = 0; i < p->n_env; i++)
    if (!strncmp(p->env[i], name, n) && p->env[i][n] == '=') return p->env[i] + n + 1;
  return NULL;
}

static int is_executable(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* Looks args[0] up in the container's PATH now, so a typo fails `create`. */
const char *find_executable(const struct plan *p) {
  const char *name = p->args[0];
  if (strchr(name, '/')) {
    if (!is_executable(name)) die(errno ? errno : EACCES, "exec %s", name);
    return name;
  }
  const char *path = env_get(p, "PATH");
  if (!path) path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  static char found[4096];
  for (const char *dir = path; dir;) {
    const char *colon = strchr(dir, ':');
    int len = colon ? (int)(colon - dir) : (int)strlen(dir);
    snprintf(found, sizeof found, "%.*s/%s", len, len ? dir : ".", name);
    if (is_executable(found)) return found;
    dir = colon ? colon + 1 : NULL;
  }
  die_msg("exec: \"%s\": executable file not found in $PATH", name);
}

static void set_caps(const struct plan *p) {
  int last = 40;
  FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
  if (f) {
    if (fscanf(f, "%d", &last) != 1) last = 40;
    fclose(f);
  }
  for (int cap = 0; cap <= last; cap++)
    if (!(p->cap_bounding >> cap & 1) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) die(errno, "drop bounding capability %d", cap);
}

static void set_cap_sets(const struct plan *p) {
  struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct data[2];
  for (int i = 0; i < 2; i++) {
    data[i].effective = (uint32_t)(p->cap_effective >> (32 * i));
    data[i].permitted = (uint32_t)(p->cap_permitted >> (32 * i));
    data[i].inheritable = (uint32_t)(p->cap_inheritable >> (32 * i));
  }
  if (syscall(SYS_capset, &hdr, data) < 0) die(errno, "capset");
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) die(errno, "clear ambient capabilities");
  for (int cap = 0; cap < 64; cap++)
    if ((p->cap_ambient >> cap & 1) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
      die(errno, "raise ambient capability %d", cap);
}

/* Kernel settings of the new namespaces: before /proc/sys becomes read-only. */
void setup_system(const struct plan *p) {
  char path[512];
  for (int i = 0; i < p->n_sysctls; i++) {
    snprintf(path, sizeof path, "/proc/sys/%s", p->sysctls[i].key);
    for (char *c = path + 10; *c; c++)
      if (*c == '.') *c = '/';
    write_file(path, p->sysctls[i].value);
  }
  if (p->hostname && sethostname(p->hostname, strlen(p->hostname)) < 0) die(errno, "sethostname %s", p->hostname);
  if (p->domainname && setdomainname(p->domainname, strlen(p->domainname)) < 0)
    die(errno, "setdomainname %s", p->domainname);
}

int seccomp_listener_fd = -1;
pid_t host_pid;

/* The runtime-spec "seccomp state" with @PID@ (quoted in the plan) replaced by our host pid. */
static char *seccomp_state(const struct plan *p) {
  static char out[65536];
  char pid[32];
  snprintf(pid, sizeof pid, "%d", (int)host_pid);
  size_t n = 0;
  for (const char *s = p->seccomp_state; *s;) {
    const char *hit = strstr(s, "\"@PID@\"");
    size_t chunk = hit ? (size_t)(hit - s) : strlen(s);
    const char *rep = hit ? pid : "";
    if (n + chunk + strlen(rep) + 1 > sizeof out) die_msg("seccomp state is too large");
    memcpy(out + n, s, chunk), n += chunk;
    memcpy(out + n, rep, strlen(rep)), n += strlen(rep);
    s = hit ? hit + 7 : s + chunk;
  }
  out[n] = 0;
  return out;
}

void load_seccomp(const struct plan *p) {
  if (!p->seccomp) return;
  struct sock_fprog prog = {.len = p->seccomp_len, .filter = p->seccomp};
  long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->seccomp_flags, &prog);
  if (fd < 0) die(errno, "load seccomp filter");
  if (p->seccomp_flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) {
    /* As the runtime-spec says: the state as the payload, the listener fd in SCM_RIGHTS. */
    send_fd(seccomp_listener_fd, (int)fd, seccomp_state(p), "seccomp listener fd to its socket");
    close((int)fd);
    close(seccomp_listener_fd);
    seccomp_listener_fd = -1;
  }
}

/* A session keyring of its own, so the container cannot see the host's keys (as runc). */
static void join_keyring(const struct plan *p) {
  long key = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, p->keyring);
  if (key < 0) {
    if (errno == ENOSYS) return; /* a kernel without keys */
    die(errno, "join session keyring %s", p->keyring);
  }
  char desc[512];
  long n = syscall(SYS_keyctl, KEYCTL_DESCRIBE, key, desc, sizeof desc - 1);
  if (n < 0) die(errno, "describe session keyring %s", p->keyring);
  desc[n < (long)sizeof desc ? n : (long)sizeof desc - 1] = 0;
  /* "type;uid;gid;perm;description" */
  char *perm = desc;
  for (int i = 0; i < 3 && perm; i++) perm = strchr(perm, ';') ? strchr(perm, ';') + 1 : NULL;
  if (!perm) die_msg("describe session keyring %s: unexpected answer %s", p->keyring, desc);
  unsigned long bits = strtoul(perm, NULL, 16) | p->keyring_perm_bits;
  if (syscall(SYS_keyctl, KEYCTL_SETPERM, key, bits) < 0) die(errno, "set permissions of session keyring %s", p->keyring);
}

/* personality, scheduler, I/O priority and memory policy: while we still have every capability. */

/* Whether /proc/self/setgroups says "deny" (an unprivileged runtime wrote the id maps). */
static int setgroups_denied(void) {
  char buf[16] = {0};
  int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  return n > 0 && strncmp(buf, "deny", 4) == 0;
}

static void set_scheduling(const struct plan *p) {
  if (p->has_personality && personality(p->personality) < 0) die(errno, "personality 0x%lx", p->personality);
  if (p->has_sched) {
    /* struct sched_attr, SCHED_ATTR_SIZE_VER0 (glibc has no wrapper) */
    struct {
      uint32_t size, policy;
      uint64_t flags;
      int32_t nice;
      uint32_t priority;
      uint64_t runtime, deadline, period;
    } attr = {48, p->sched_policy, p->sched_flags, p->sched_nice, p->sched_priority, p->sched_runtime, p->sched_deadline, p->sched_period};
    if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0) die(errno, "sched_setattr policy %u", p->sched_policy);
  }
  if (p->has_ioprio && syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, p->ioprio) < 0) die(errno, "ioprio_set 0x%x", p->ioprio);
  if (p->has_mempolicy) {
    int mode = p->mempolicy_mode & 0xff;
    /* MPOL_DEFAULT and MPOL_LOCAL take no nodes */
    int empty = mode == 0 || mode == 4;
    if (syscall(SYS_set_mempolicy, p->mempolicy_mode, empty ? NULL : p->mempolicy_nodes, empty ? 0UL : 1024UL + 1) < 0)
      die(errno, "set_mempolicy mode 0x%x", p->mempolicy_mode);
  }
}

void setup_process(const struct plan *p) {
  if (p->keyring) join_keyring(p);
  for (int i = 0; i < p->n_rlimits; i++) {
    struct rlimit rl = {.rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard};
    if (setrlimit(p->rlimits[i].resource, &rl) < 0) die(errno, "setrlimit %d", p->rlimits[i].resource);
  }
  if (p->has_oom) {
    char v[32];
    snprintf(v, sizeof v, "%d", p->oom_score_adj);
    write_file("/proc/self/oom_score_adj", v);
  }
  if (p->cwd && chdir(p->cwd) < 0) die(errno, "chdir %s", p->cwd);
  set_scheduling(p);

  if (!p->no_new_privs) load_seccomp(p);
  if (p->has_caps) {
    set_caps(p);
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) die(errno, "keep capabilities");
  }
  if (setgroups((size_t)p->n_groups, p->groups) < 0) {
    /* A user namespace mapped by an unprivileged runtime has setgroups denied
     * (user_namespaces(7)); runc then leaves the groups as they are, and refuses
     * only when the process asks for additional groups. */
    if (errno != EPERM || !setgroups_denied()) die(errno, "setgroups");
    if (p->n_groups > 0) die(EPERM, "cannot set %zu additional group(s): setgroups is denied in this user namespace (rootless)", (size_t)p->n_groups);
  }
  if (setresgid(p->gid, p->gid, p->gid) < 0) die(errno, "setgid %u", (unsigned)p->gid);
  if (setresuid(p->uid, p->uid, p->uid) < 0) die(errno, "setuid %u", (unsigned)p->uid);
  if (p->has_caps) {
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) die(errno, "keep capabilities");
    set_cap_sets(p);
  }
  if (p->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die(errno, "no_new_privs");
  umask(p->has_umask ? p->umask : 022);
}

void wait_and_exec(const struct plan *p, int state_dir_fd, const char *exe) {
  /* The stdio may be shared with a Node parent that made it non-blocking. */
  for (int fd = 0; fd < 3; fd++) {
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0 && (fl & O_NONBLOCK)) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  }
  /* Every fd past stdio and the preserved ones goes at execve. */
  if (syscall(SYS_close_range, 3 + p->preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC) < 0) die(errno, "close_range");
  /* With a listener, as runc: the agent gets its fd during create, before the fifo wait. */
  if (p->no_new_privs && p->seccomp_listener) load_seccomp(p);
  send_line("ready");
  close(sync_fd);
  sync_fd = -1;
  int fifo = -1;
  if (state_dir_fd >= 0) {
    /* Blocks until `start` opens the fifo for reading. */
    fifo = openat(state_dir_fd, "exec.fifo", O_WRONLY | O_CLOEXEC);
    if (fifo < 0) die(errno, "open exec fifo");
    if (write(fifo, "0", 1) != 1) die(errno, "write exec fifo");
    close(state_dir_fd);
  }
  /* The fifo stays open until execve closes it: `start` reads it to the end,
   * so it returns once the process runs, or learns why it did not. */
  run_start_hooks(fifo);
  /* With no_new_privs, as late as possible: the filter then only sees the container's syscalls. */
  if (p->no_new_privs && !p->seccomp_listener) load_seccomp(p);
  execve(exe, (char *const *)p->args, (char *const *)p->env);
  fprintf(stderr, "berth-init: exec %s: %s\n", exe, strerror(errno));
  _exit(127);
}

/*
 * Starting a helper process without node:child_process: loading it (and the
 * net module under it) and libuv's fork/exec of a large Node process cost more
 * than berth-init's own setup. The child is cloned with CLONE_VM|CLONE_VFORK,
 * as posix_spawn does: no page tables are copied and the parent thread resumes
 * once the child has exec'd (or failed to).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>
#include "common.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define MAX_ARGS 64
#define MAX_FDS 1024
#define CHILD_STACK (64 * 1024)

extern char **environ;

struct spawn_job {
  int exec_fd;      /* executed with execveat(AT_EMPTY_PATH) when >= 0 */
  const char *path; /* else this path */
  char **argv;
  const int *fds; /* the child's fd i is fds[i] */
  int nfds;
  int err; /* set by the child when it fails before or at exec */
  const char *step;
};

/* Runs on its own stack in the parent's memory until execve: syscalls only. */
static int spawn_child(void *p) {
  struct spawn_job *j = p;
  /* As libuv's children: default dispositions (Node ignores SIGPIPE; an
   * ignored signal would stay ignored across exec), then an empty mask. */
  for (int sig = 1; sig < 32; sig++)
    if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
  for (int i = 0; i < j->nfds; i++) {
    int r = j->fds[i] == i ? fcntl(i, F_SETFD, 0) : dup2(j->fds[i], i);
    if (r < 0) {
      j->err = errno;
      j->step = "dup2";
      _exit(127);
    }
  }
  /* Only what the child was given crosses exec, whoever forgot O_CLOEXEC. */
  syscall(SYS_close_range, (unsigned)j->nfds, ~0U, CLOSE_RANGE_CLOEXEC);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  if (j->exec_fd >= 0)
    syscall(SYS_execveat, j->exec_fd, "", j->argv, environ, AT_EMPTY_PATH);
  else
    execve(j->path, j->argv, environ);
  j->err = errno;
  j->step = "execve";
  _exit(127);
}

/* Moves fd above the child's fd range (close-on-exec), so no dup2 of the child clobbers it. */
static int lift(int fd, int nfds, int *owned, int *n_owned) {
  if (fd < nfds && fd >= 0) {
    int up = fcntl(fd, F_DUPFD_CLOEXEC, nfds);
    if (up < 0) return -1;
    owned[(*n_owned)++] = up;
    return up;
  }
  return fd;
}

/*
 * spawn(exec, argv, fds) -> { pid, pidfd }: exec is a path or an fd to execute
 * (sealedExecutable's); the child gets fds[i] as its fd i and no other fd.
 * Nothing of ours is left open in it. The caller reaps it (watchExit).
 */
napi_value js_spawn(napi_env env, napi_callback_info info) {
  ARGS(3);
  char path[MAX_STR];
  int64_t exec_fd = -1;
  napi_valuetype t;
  napi_typeof(env, argv[0], &t);
  if (t == napi_number) {
    if (get_i64(env, argv[0], &exec_fd) || exec_fd < 0) return throw_type(env, "spawn(exec, argv, fds): bad exec fd");
    snprintf(path, sizeof path, "fd %d", (int)exec_fd);
  } else if (get_str(env, argv[0], path, sizeof path, NULL)) {
    return throw_type(env, "spawn(exec, argv, fds): bad exec");
  }
  uint32_t argc_js, nfds;
  if (napi_get_array_length(env, argv[1], &argc_js) != napi_ok || argc_js < 1 || argc_js >= MAX_ARGS)
    return throw_type(env, "spawn(exec, argv, fds): argv must be an array of 1 to 63 strings");
  if (napi_get_array_length(env, argv[2], &nfds) != napi_ok || nfds > MAX_FDS)
    return throw_type(env, "spawn(exec, argv, fds): fds must be an array of at most 1024 fds");

  char *args[MAX_ARGS] = {0};
  int *fds = calloc(nfds ? nfds : 1, sizeof *fds);
  int owned[MAX_FDS + 1], n_owned = 0;
  napi_value result = NULL;
  if (!fds) return throw_errno(env, ENOMEM, "spawn", path);
  for (uint32_t i = 0; i < argc_js; i++) {
    napi_value v;
    size_t len;
    napi_get_element(env, argv[1], i, &v);
    if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok || len >= MAX_STR) {
      throw_type(env, "spawn(exec, argv, fds): argv must be strings");
      goto out;
    }
    args[i] = malloc(len + 1);
    if (!args[i]) {
      throw_errno(env, ENOMEM, "spawn", path);
      goto out;
    }
    napi_get_value_string_utf8(env, v, args[i], len + 1, NULL);
  }
  for (uint32_t i = 0; i < nfds; i++) {
    napi_value v;
    int64_t fd;
    napi_get_element(env, argv[2], i, &v);
    if (get_i64(env, v, &fd) || fd < 0 || fd > INT32_MAX) {
      throw_type(env, "spawn(exec, argv, fds): fds must be open fds");
      goto out;
    }
    fds[i] = (int)fd;
  }
  for (uint32_t i = 0; i < nfds; i++) {
    if (fds[i] == (int)i) continue;
    if ((fds[i] = lift(fds[i], (int)nfds, owned, &n_owned)) < 0) {
      throw_errno(env, errno, "fcntl F_DUPFD_CLOEXEC", path);
      goto out;
    }
  }
  if (exec_fd >= 0 && (exec_fd = lift((int)exec_fd, (int)nfds, owned, &n_owned)) < 0) {
    throw_errno(env, errno, "fcntl F_DUPFD_CLOEXEC", path);
    goto out;
  }

  struct spawn_job job = {.exec_fd = (int)exec_fd, .path = path, .argv = args, .fds = fds, .nfds = (int)nfds};
  void *stack = mmap(NULL, CHILD_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) {
    throw_errno(env, errno, "mmap", path);
    goto out;
  }
  /* No handler of ours may run in the child before it resets them. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid = clone(spawn_child, (char *)stack + CHILD_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, &job);
  int clone_err = errno;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  munmap(stack, CHILD_STACK);
  if (pid < 0) {
    throw_errno(env, clone_err, "clone", path);
    goto out;
  }
  if (job.err) {
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
    }
    throw_errno(env, job.err, job.step, path);
    goto out;
  }
  /* Our own unreaped child: its pid cannot have been reused. */
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pidfd < 0) {
    int err = errno;
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
    }
    throw_errno(env, err, "pidfd_open", path);
    goto out;
  }
  napi_create_object(env, &result);
  napi_set_named_property(env, result, "pid", num(env, pid));
  napi_set_named_property(env, result, "pidfd", num(env, pidfd));
out:
  for (int i = 0; i < n_owned; i++) close(owned[i]);
  for (int i = 0; i < MAX_ARGS; i++) free(args[i]);
  free(fds);
  return result;
}

/* socketPair() -> [a, b]: a connected SOCK_STREAM pair, both close-on-exec. */
napi_value js_socket_pair(napi_env env, napi_callback_info info) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) return throw_errno(env, errno, "socketpair", NULL);
  napi_value arr;
  napi_create_array_with_length(env, 2, &arr);
  napi_set_element(env, arr, 0, num(env, sv[0]));
  napi_set_element(env, arr, 1, num(env, sv[1]));
  return arr;
}

/*
 * sealedExecutable(path) -> fd: a sealed memfd copy of the file (close-on-exec),
 * to spawn from: a process run from it has no host file as /proc/<pid>/exe that
 * a container could open for writing (CVE-2019-5736), and berth-init, finding
 * itself sealed, need not copy and re-exec itself.
 */
napi_value js_sealed_executable(napi_env env, napi_callback_info info) {
  ARGS(1);
  char path[MAX_STR];
  if (get_str(env, argv[0], path, sizeof path, NULL)) return throw_type(env, "sealedExecutable(path): bad argument");
  int src = open(path, O_RDONLY | O_CLOEXEC);
  if (src < 0) return throw_errno(env, errno, "open", path);
  struct stat st;
  int err = 0;
  const char *step = "fstat";
  int mfd = -1;
  if (fstat(src, &st) < 0) goto fail;
  step = "memfd_create";
  const char *base = strrchr(path, '/');
  mfd = memfd_create(base ? base + 1 : path, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0) goto fail;
  step = "sendfile";
  for (off_t left = st.st_size; left > 0;) {
    ssize_t n = sendfile(mfd, src, NULL, (size_t)left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;
      goto fail;
    }
    left -= n;
  }
  step = "seal";
  if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) goto fail;
  close(src);
  return num(env, mfd);
fail:
  err = errno;
  close(src);
  if (mfd >= 0) close(mfd);
  return throw_errno(env, err, step, path);
}

/* watchExit: a uv poll on the pidfd (no worker thread held while the process lives). */
typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_async_context context;
  int pidfd;
} exit_watch;

static void exit_closed(uv_handle_t *h) {
  free(h->data);
}

static void exit_ready(uv_poll_t *h, int status, int events) {
  exit_watch *w = h->data;
  siginfo_t si;
  memset(&si, 0, sizeof si);
  int r;
  do r = waitid(P_PIDFD, (id_t)w->pidfd, &si, WEXITED | WNOHANG);
  while (r < 0 && errno == EINTR);
  if (r == 0 && si.si_pid == 0) return; /* not yet */
  int err = r < 0 ? errno : 0;
  uv_poll_stop(h);
  close(w->pidfd);
  napi_env env = w->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value cb, recv, args[3], nul;
  napi_get_reference_value(env, w->callback, &cb);
  napi_get_global(env, &recv);
  napi_get_null(env, &nul);
  int exited = si.si_code == CLD_EXITED;
  args[0] = !err && exited ? num(env, si.si_status) : nul;
  args[1] = !err && !exited ? num(env, si.si_status) : nul;
  args[2] = nul;
  if (err) {
    const char *name = strerrorname_np(err);
    napi_create_string_utf8(env, name ? name : "EUNKNOWN", NAPI_AUTO_LENGTH, &args[2]);
  }
  /* make_callback: the promise it settles runs its reactions (microtasks) now. */
  napi_make_callback(env, w->context, recv, cb, 3, args, NULL);
  napi_close_handle_scope(env, scope);
  napi_delete_reference(env, w->callback);
  napi_async_destroy(env, w->context);
  uv_close((uv_handle_t *)h, exit_closed);
}

/*
 * watchExit(pidfd, cb): reaps the child when it exits and calls cb(code, signal,
 * error): code when it exited, signal when killed, error (an errno name) when
 * waitid failed. Takes the pidfd. Keeps the event loop alive until then, as a
 * ChildProcess does.
 */
napi_value js_watch_exit(napi_env env, napi_callback_info info) {
  ARGS(2);
  int64_t pidfd;
  napi_valuetype t;
  napi_typeof(env, argv[1], &t);
  if (get_i64(env, argv[0], &pidfd) || pidfd < 0 || t != napi_function) return throw_type(env, "watchExit(pidfd, callback): bad argument");
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return throw_type(env, "watchExit: no event loop");
  exit_watch *w = calloc(1, sizeof *w);
  if (!w) return throw_errno(env, ENOMEM, "watchExit", NULL);
  w->env = env;
  w->pidfd = (int)pidfd;
  w->poll.data = w;
  int r = uv_poll_init(loop, &w->poll, w->pidfd);
  if (r < 0) {
    free(w);
    return throw_errno(env, -r, "uv_poll_init", NULL);
  }
  napi_value name;
  napi_create_string_utf8(env, "berth.watchExit", NAPI_AUTO_LENGTH, &name);
  napi_create_reference(env, argv[1], 1, &w->callback);
  napi_async_init(env, NULL, name, &w->context);
  r = uv_poll_start(&w->poll, UV_READABLE, exit_ready);
  if (r < 0) {
    napi_delete_reference(env, w->callback);
    napi_async_destroy(env, w->context);
    uv_close((uv_handle_t *)&w->poll, exit_closed);
    return throw_errno(env, -r, "uv_poll_start", NULL);
  }
  return undef(env);
}

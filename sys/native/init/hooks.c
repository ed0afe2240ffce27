/*
 * OCI hooks that must run in the container's namespaces, which the runtime
 * (Node, multi-threaded) cannot enter: createContainer (after the mounts,
 * before pivot_root, cwd the rootfs, as runc) and startContainer (after
 * `start`, right before execve, with the process's user and capabilities).
 * Also the sync step at which the runtime runs prestart and createRuntime.
 *
 * Plan records (see plan.c for the framing):
 *   hooksync                       report "hooks" before createContainer, wait for "r"
 *   hookstate STAGE PRE POST       the state JSON is PRE + getpid() + POST
 *   hook STAGE PATH TIMEOUT        a hook (TIMEOUT seconds, 0: none), then its
 *   hookarg ARG / hookenv K=V      argv (argv[0] first; none: PATH) and env
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "init.h"

struct hook {
  const char *path;
  int timeout;
  const char **argv; int n_args;
  const char **envp; int n_env;
};

static const char *const STAGES[HOOK_STAGES] = {"createContainer", "startContainer"};

static struct {
  struct hook *items; int n;
  const char *state_pre, *state_post;
} sets[HOOK_STAGES];
static int hook_sync, last_stage = -1;

static int stage_of(const char *name) {
  for (int i = 0; i < HOOK_STAGES; i++)
    if (!strcmp(STAGES[i], name)) return i;
  die_msg("plan: unknown hook stage %s", name);
}

static const char **push(const char **arr, int *n, const char *value) {
  arr = realloc(arr, sizeof *arr * (size_t)(*n + 2));
  if (!arr) die_msg("plan: hooks: out of memory");
  arr[(*n)++] = value;
  arr[*n] = NULL;
  return arr;
}

int parse_hook_record(const char *op, const char *const *s) {
  if (!strcmp(op, "hooksync")) {
    hook_sync = 1;
  } else if (!strcmp(op, "hookstate")) {
    int st = stage_of(s[0]);
    sets[st].state_pre = s[1];
    sets[st].state_post = s[2];
  } else if (!strcmp(op, "hook")) {
    int st = stage_of(s[0]);
    char *end;
    long timeout = strtol(s[2], &end, 10);
    if (!*s[2] || *end || timeout < 0 || timeout > 86400 * 365) die_msg("plan: hook %s: bad timeout %s", s[1], s[2]);
    sets[st].items = realloc(sets[st].items, sizeof(struct hook) * (size_t)(sets[st].n + 1));
    if (!sets[st].items) die_msg("plan: hooks: out of memory");
    sets[st].items[sets[st].n++] = (struct hook){.path = s[1], .timeout = (int)timeout};
    last_stage = st;
  } else if (!strcmp(op, "hookarg") || !strcmp(op, "hookenv")) {
    if (last_stage < 0) die_msg("plan: %s before any hook", op);
    struct hook *h = &sets[last_stage].items[sets[last_stage].n - 1];
    if (op[4] == 'a') h->argv = push(h->argv, &h->n_args, s[0]);
    else h->envp = push(h->envp, &h->n_env, s[0]);
  } else {
    return 0;
  }
  return 1;
}

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Keeps the last bytes a hook wrote, for the error message. */
struct tail { char buf[512]; size_t len; };

static void drain(int *fd, struct tail *t) {
  char chunk[4096];
  for (;;) {
    ssize_t n = read(*fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      close(*fd);
      *fd = -1;
      return;
    }
    size_t keep = (size_t)n < sizeof t->buf ? (size_t)n : sizeof t->buf;
    if (t->len + keep > sizeof t->buf) {
      size_t drop = t->len + keep - sizeof t->buf;
      memmove(t->buf, t->buf + drop, t->len - drop);
      t->len -= drop;
    }
    memcpy(t->buf + t->len, chunk + (size_t)n - keep, keep);
    t->len += keep;
  }
}

static void trim(struct tail *t) {
  while (t->len && (t->buf[t->len - 1] == '\n' || t->buf[t->len - 1] == ' ')) t->len--;
}

/*
 * Runs one hook: the state on its stdin, stdout and stderr kept for the
 * message, killed when its timeout passes. Returns 0, or -1 with `err` set.
 * The wait ends when the hook exits, not when its output closes: a daemon
 * it leaves behind cannot hold the container up.
 */
static int run_one(int stage, int index, const struct hook *h, const char *state, char *err, size_t errlen) {
  const char *prefix = STAGES[stage];
  int in[2], out[2], errp[2];
  if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) die(errno, "pipe for %s hook", prefix);
  pid_t pid = fork();
  if (pid < 0) die(errno, "fork %s hook %s", prefix, h->path);
  if (pid == 0) {
    signal(SIGPIPE, SIG_DFL);
    if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(errp[1], 2) < 0) _exit(126);
    syscall(SYS_close_range, 3, ~0U, 0);
    const char *argv0[] = {h->path, NULL};
    const char *noenv[] = {NULL};
    execve(h->path, (char *const *)(h->n_args ? h->argv : argv0), (char *const *)(h->n_env ? h->envp : noenv));
    dprintf(2, "exec %s: %s", h->path, strerror(errno));
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(errp[1]);
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pidfd < 0) die(errno, "pidfd_open for %s hook %s", prefix, h->path);
  fcntl(in[1], F_SETFL, O_NONBLOCK);
  fcntl(out[0], F_SETFL, O_NONBLOCK);
  fcntl(errp[0], F_SETFL, O_NONBLOCK);
  struct tail so = {.len = 0}, se = {.len = 0};
  size_t left = strlen(state);
  long deadline = h->timeout ? now_ms() + h->timeout * 1000L : 0;
  int exited = 0, timed_out = 0;
  while (!exited) {
    struct pollfd fds[4] = {{pidfd, POLLIN, 0}, {out[0], POLLIN, 0}, {errp[0], POLLIN, 0}, {in[1], POLLOUT, 0}};
    int wait = -1;
    if (deadline) {
      long rest = deadline - now_ms();
      if (rest <= 0) {
        timed_out = 1;
        break;
      }
      wait = (int)rest;
    }
    int r = poll(fds, 4, wait);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) die(errno, "poll %s hook %s", prefix, h->path);
    if (fds[3].revents) {
      ssize_t n = write(in[1], state, left);
      if (n > 0) state += n, left -= (size_t)n;
      if ((n < 0 && errno != EAGAIN && errno != EINTR) || left == 0) {
        close(in[1]); /* all written, or the hook closed its stdin (EPIPE) */
        in[1] = -1;
      }
    }
    if (fds[1].revents) drain(&out[0], &so);
    if (fds[2].revents) drain(&errp[0], &se);
    if (fds[0].revents) exited = 1;
  }
  if (timed_out) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  close(pidfd);
  if (in[1] >= 0) close(in[1]);
  if (out[0] >= 0) drain(&out[0], &so);
  if (errp[0] >= 0) drain(&errp[0], &se);
  if (out[0] >= 0) close(out[0]);
  if (errp[0] >= 0) close(errp[0]);
  if (timed_out) {
    snprintf(err, errlen, "%s hook #%d %s: ran past its timeout of %ds and was killed", prefix, index, h->path, h->timeout);
    return -1;
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
  trim(&so);
  trim(&se);
  char how[64];
  if (WIFEXITED(status)) snprintf(how, sizeof how, "exit status %d", WEXITSTATUS(status));
  else snprintf(how, sizeof how, "killed by signal %d", WTERMSIG(status));
  snprintf(err, errlen, "%s hook #%d %s: %s, stdout: %.*s, stderr: %.*s", prefix, index, h->path, how, (int)so.len, so.buf,
           (int)se.len, se.buf);
  return -1;
}

/* Runs a stage's hooks in order; the first failure stops it. Returns 0 or -1 with `err`. */
static int run_stage(int stage, char *err, size_t errlen) {
  if (!sets[stage].n) return 0;
  char *state = NULL;
  if (asprintf(&state, "%s%d%s", sets[stage].state_pre ? sets[stage].state_pre : "{\"pid\":",
               (int)getpid(), sets[stage].state_post ? sets[stage].state_post : "}") < 0)
    die(ENOMEM, "%s hook state", STAGES[stage]);
  /* A hook that exits without reading its stdin must not kill us with SIGPIPE. */
  struct sigaction ign = {.sa_handler = SIG_IGN}, old;
  sigaction(SIGPIPE, &ign, &old);
  int rc = 0;
  for (int i = 0; i < sets[stage].n && rc == 0; i++) rc = run_one(stage, i, &sets[stage].items[i], state, err, errlen);
  sigaction(SIGPIPE, &old, NULL);
  free(state);
  return rc;
}

void run_create_hooks(void) {
  if (hook_sync) {
    /* The runtime runs prestart and createRuntime now, in its own namespaces. */
    send_line("hooks");
    char go = 0;
    ssize_t n;
    do n = read(sync_fd, &go, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1 || go != 'r') die(n < 0 ? errno : EPIPE, "wait for the runtime's createRuntime hooks");
  }
  char err[2048];
  if (run_stage(HOOK_CREATE_CONTAINER, err, sizeof err) < 0) die_msg("%s", err);
}

void run_start_hooks(int fifo) {
  char err[2048];
  if (run_stage(HOOK_START_CONTAINER, err, sizeof err) == 0) return;
  /* `start` reads the fifo to its end: what follows the "0" is why the process did not run. */
  if (fifo >= 0) (void)!write(fifo, err, strlen(err));
  die_msg("%s", err);
}

/*
 * berth's N-API addon: the Linux syscalls Node has no binding for.
 * Every function is a thin wrapper: argument conversion, one syscall, and on
 * failure a JS Error whose `code` is the errno name (EPERM...), with
 * `syscall` and `path` properties. Policy lives in TypeScript (sys/src/).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <termios.h>
#include <unistd.h>
#include <node_api.h>
#include "common.h"

/* Throw a JS Error for `err` and return NULL from the calling napi callback. */
napi_value throw_errno(napi_env env, int err, const char *syscall_name, const char *path) {
  char msg[MAX_STR + 256];
  const char *name = strerrorname_np(err);
  if (!name) name = "EUNKNOWN";
  if (path)
    snprintf(msg, sizeof msg, "%s %s: %s (%s)", syscall_name, path, strerror(err), name);
  else
    snprintf(msg, sizeof msg, "%s: %s (%s)", syscall_name, strerror(err), name);
  napi_value code, message, error, value;
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &error);
  napi_create_int32(env, err, &value);
  napi_set_named_property(env, error, "errno", value);
  napi_create_string_utf8(env, syscall_name, NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, error, "syscall", value);
  if (path) {
    napi_create_string_utf8(env, path, NAPI_AUTO_LENGTH, &value);
    napi_set_named_property(env, error, "path", value);
  }
  napi_throw(env, error);
  return NULL;
}

napi_value throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
  return NULL;
}

/* Reads argument i as a string into buf; a JS null/undefined gives *is_null. */
int get_str(napi_env env, napi_value v, char *buf, size_t size, int *is_null) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (is_null) *is_null = 0;
  if (t == napi_null || t == napi_undefined) {
    if (!is_null) return -1;
    *is_null = 1;
    buf[0] = 0;
    return 0;
  }
  if (t != napi_string) return -1;
  size_t len;
  if (napi_get_value_string_utf8(env, v, buf, size, &len) != napi_ok) return -1;
  if (len >= size - 1) return -1; /* too long: refuse rather than truncate a path */
  return 0;
}

int get_i64(napi_env env, napi_value v, int64_t *out) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t != napi_number) return -1;
  return napi_get_value_int64(env, v, out) == napi_ok ? 0 : -1;
}

napi_value num(napi_env env, double d) {
  napi_value v;
  napi_create_double(env, d, &v);
  return v;
}

napi_value undef(napi_env env) {
  napi_value v;
  napi_get_undefined(env, &v);
  return v;
}

/* mount(source|null, target, fstype|null, flags, data|null) */
static napi_value js_mount(napi_env env, napi_callback_info info) {
  ARGS(5);
  char src[MAX_STR], tgt[MAX_STR], type[256], data[MAX_STR];
  int src_null, type_null, data_null;
  int64_t flags;
  if (get_str(env, argv[0], src, sizeof src, &src_null) || get_str(env, argv[1], tgt, sizeof tgt, NULL) ||
      get_str(env, argv[2], type, sizeof type, &type_null) || get_i64(env, argv[3], &flags) ||
      get_str(env, argv[4], data, sizeof data, &data_null))
    return throw_type(env, "mount(source, target, fstype, flags, data): bad argument");
  if (mount(src_null ? NULL : src, tgt, type_null ? NULL : type, (unsigned long)flags, data_null ? NULL : data) < 0)
    return throw_errno(env, errno, "mount", tgt);
  return undef(env);
}

/* umount2(target, flags) */
static napi_value js_umount2(napi_env env, napi_callback_info info) {
  ARGS(2);
  char tgt[MAX_STR];
  int64_t flags;
  if (get_str(env, argv[0], tgt, sizeof tgt, NULL) || get_i64(env, argv[1], &flags))
    return throw_type(env, "umount2(target, flags): bad argument");
  if (umount2(tgt, (int)flags) < 0) return throw_errno(env, errno, "umount2", tgt);
  return undef(env);
}

/* mknod(path, mode, major, minor): mode includes the file type bits. */
static napi_value js_mknod(napi_env env, napi_callback_info info) {
  ARGS(4);
  char path[MAX_STR];
  int64_t mode, major_, minor_;
  if (get_str(env, argv[0], path, sizeof path, NULL) || get_i64(env, argv[1], &mode) ||
      get_i64(env, argv[2], &major_) || get_i64(env, argv[3], &minor_))
    return throw_type(env, "mknod(path, mode, major, minor): bad argument");
  if (mknod(path, (mode_t)mode, makedev((unsigned)major_, (unsigned)minor_)) < 0)
    return throw_errno(env, errno, "mknod", path);
  return undef(env);
}

/* lsetxattr(path, name, value: Buffer, flags): never follows a final symlink. */
static napi_value js_lsetxattr(napi_env env, napi_callback_info info) {
  ARGS(4);
  char path[MAX_STR], name[256];
  void *buf;
  size_t len;
  int64_t flags;
  bool is_buf;
  napi_is_buffer(env, argv[2], &is_buf);
  if (get_str(env, argv[0], path, sizeof path, NULL) || get_str(env, argv[1], name, sizeof name, NULL) || !is_buf ||
      get_i64(env, argv[3], &flags))
    return throw_type(env, "lsetxattr(path, name, value, flags): bad argument");
  napi_get_buffer_info(env, argv[2], &buf, &len);
  if (lsetxattr(path, name, buf, len, (int)flags) < 0) return throw_errno(env, errno, "lsetxattr", path);
  return undef(env);
}

/* lgetxattr(path, name) -> Buffer */
static napi_value js_lgetxattr(napi_env env, napi_callback_info info) {
  ARGS(2);
  char path[MAX_STR], name[256];
  if (get_str(env, argv[0], path, sizeof path, NULL) || get_str(env, argv[1], name, sizeof name, NULL))
    return throw_type(env, "lgetxattr(path, name): bad argument");
  for (;;) {
    ssize_t size = lgetxattr(path, name, NULL, 0);
    if (size < 0) return throw_errno(env, errno, "lgetxattr", path);
    void *data;
    napi_value out;
    napi_create_buffer(env, (size_t)size, &data, &out);
    ssize_t got = lgetxattr(path, name, data, (size_t)size);
    if (got < 0 && errno == ERANGE) continue; /* grew in between: retry */
    if (got < 0) return throw_errno(env, errno, "lgetxattr", path);
    if (got == size) return out;
    napi_value slice;
    void *d2;
    napi_create_buffer_copy(env, (size_t)got, data, &d2, &slice);
    return slice;
  }
}

/* llistxattr(path) -> string[] */
static napi_value js_llistxattr(napi_env env, napi_callback_info info) {
  ARGS(1);
  char path[MAX_STR];
  if (get_str(env, argv[0], path, sizeof path, NULL)) return throw_type(env, "llistxattr(path): bad argument");
  for (;;) {
    ssize_t size = llistxattr(path, NULL, 0);
    if (size < 0) return throw_errno(env, errno, "llistxattr", path);
    char *names = malloc((size_t)size + 1);
    if (!names) return throw_errno(env, ENOMEM, "llistxattr", path);
    ssize_t got = llistxattr(path, names, (size_t)size);
    if (got < 0) {
      int err = errno;
      free(names);
      if (err == ERANGE) continue;
      return throw_errno(env, err, "llistxattr", path);
    }
    napi_value arr;
    napi_create_array(env, &arr);
    uint32_t i = 0;
    for (ssize_t off = 0; off < got; off += (ssize_t)strlen(names + off) + 1) {
      napi_value s;
      napi_create_string_utf8(env, names + off, NAPI_AUTO_LENGTH, &s);
      napi_set_element(env, arr, i++, s);
    }
    free(names);
    return arr;
  }
}

/* lremovexattr(path, name) */
static napi_value js_lremovexattr(napi_env env, napi_callback_info info) {
  ARGS(2);
  char path[MAX_STR], name[256];
  if (get_str(env, argv[0], path, sizeof path, NULL) || get_str(env, argv[1], name, sizeof name, NULL))
    return throw_type(env, "lremovexattr(path, name): bad argument");
  if (lremovexattr(path, name) < 0) return throw_errno(env, errno, "lremovexattr", path);
  return undef(env);
}

/* setns(fd, nstype) */
static napi_value js_setns(napi_env env, napi_callback_info info) {
  ARGS(2);
  int64_t fd, type;
  if (get_i64(env, argv[0], &fd) || get_i64(env, argv[1], &type)) return throw_type(env, "setns(fd, nstype): bad argument");
  if (setns((int)fd, (int)type) < 0) return throw_errno(env, errno, "setns", NULL);
  return undef(env);
}

/* prctl(option, arg2) -> number (only options with integer arguments) */
static napi_value js_prctl(napi_env env, napi_callback_info info) {
  ARGS(2);
  int64_t opt, arg2;
  if (get_i64(env, argv[0], &opt) || get_i64(env, argv[1], &arg2)) return throw_type(env, "prctl(option, arg2): bad argument");
  int r = prctl((int)opt, (unsigned long)arg2, 0UL, 0UL, 0UL);
  if (r < 0) return throw_errno(env, errno, "prctl", NULL);
  return num(env, r);
}

/* pidfd_open(pid) -> fd */
static napi_value js_pidfd_open(napi_env env, napi_callback_info info) {
  ARGS(1);
  int64_t pid;
  if (get_i64(env, argv[0], &pid)) return throw_type(env, "pidfdOpen(pid): bad argument");
  long fd = syscall(SYS_pidfd_open, (pid_t)pid, 0);
  if (fd < 0) return throw_errno(env, errno, "pidfd_open", NULL);
  fcntl((int)fd, F_SETFD, FD_CLOEXEC);
  return num(env, (double)fd);
}

/* pidfd_send_signal(pidfd, signal) */
static napi_value js_pidfd_send_signal(napi_env env, napi_callback_info info) {
  ARGS(2);
  int64_t fd, sig;
  if (get_i64(env, argv[0], &fd) || get_i64(env, argv[1], &sig)) return throw_type(env, "pidfdSendSignal(fd, signal): bad argument");
  if (syscall(SYS_pidfd_send_signal, (int)fd, (int)sig, NULL, 0) < 0) return throw_errno(env, errno, "pidfd_send_signal", NULL);
  return undef(env);
}

/* pollReadable(fd, timeoutMs) -> boolean: blocks the caller (short waits only). */
static napi_value js_poll_readable(napi_env env, napi_callback_info info) {
  ARGS(2);
  int64_t fd, timeout;
  if (get_i64(env, argv[0], &fd) || get_i64(env, argv[1], &timeout)) return throw_type(env, "pollReadable(fd, timeoutMs): bad argument");
  struct pollfd p = {.fd = (int)fd, .events = POLLIN};
  int r;
  do r = poll(&p, 1, (int)timeout);
  while (r < 0 && errno == EINTR);
  if (r < 0) return throw_errno(env, errno, "poll", NULL);
  napi_value b;
  napi_get_boolean(env, r > 0, &b);
  return b;
}

/* openpty() -> { master, slave, path }: both fds close-on-exec. */
static napi_value js_openpty(napi_env env, napi_callback_info info) {
  (void)info;
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return throw_errno(env, errno, "posix_openpt", "/dev/ptmx");
  if (grantpt(master) < 0 || unlockpt(master) < 0) {
    int err = errno;
    close(master);
    return throw_errno(env, err, "unlockpt", "/dev/ptmx");
  }
  char name[128];
  if (ptsname_r(master, name, sizeof name) != 0) {
    int err = errno;
    close(master);
    return throw_errno(env, err, "ptsname", "/dev/ptmx");
  }
  int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) {
    int err = errno;
    close(master);
    return throw_errno(env, err, "open", name);
  }
  napi_value obj, s;
  napi_create_object(env, &obj);
  napi_set_named_property(env, obj, "master", num(env, master));
  napi_set_named_property(env, obj, "slave", num(env, slave));
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &s);
  napi_set_named_property(env, obj, "path", s);
  return obj;
}

static int fill_sockaddr(struct sockaddr_un *sa, const char *path) {
  memset(sa, 0, sizeof *sa);
  sa->sun_family = AF_UNIX;
  if (strlen(path) >= sizeof sa->sun_path) return -1;
  strcpy(sa->sun_path, path);
  return 0;
}

/* unixConnect(path) -> fd of a connected SOCK_STREAM socket (close-on-exec). */
static napi_value js_unix_connect(napi_env env, napi_callback_info info) {
  ARGS(1);
  char path[MAX_STR];
  struct sockaddr_un sa;
  if (get_str(env, argv[0], path, sizeof path, NULL)) return throw_type(env, "unixConnect(path): bad argument");
  if (fill_sockaddr(&sa, path) < 0) return throw_errno(env, ENAMETOOLONG, "connect", path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket", path);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "connect", path);
  }
  return num(env, fd);
}

/* unixListen(path) -> fd of a listening SOCK_STREAM socket (close-on-exec). */
static napi_value js_unix_listen(napi_env env, napi_callback_info info) {
  ARGS(1);
  char path[MAX_STR];
  struct sockaddr_un sa;
  if (get_str(env, argv[0], path, sizeof path, NULL)) return throw_type(env, "unixListen(path): bad argument");
  if (fill_sockaddr(&sa, path) < 0) return throw_errno(env, ENAMETOOLONG, "bind", path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket", path);
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 16) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "bind", path);
  }
  return num(env, fd);
}

/* sendFd(socketFd, fd, data): one byte-stream message with SCM_RIGHTS, as runc sends a pty master. */
static napi_value js_send_fd(napi_env env, napi_callback_info info) {
  ARGS(3);
  int64_t sock, fd;
  char data[MAX_STR];
  if (get_i64(env, argv[0], &sock) || get_i64(env, argv[1], &fd) || get_str(env, argv[2], data, sizeof data, NULL))
    return throw_type(env, "sendFd(socketFd, fd, data): bad argument");
  size_t len = strlen(data);
  char dummy = 0;
  struct iovec iov = {.iov_base = len ? data : &dummy, .iov_len = len ? len : 1};
  union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
  memset(&u, 0, sizeof u);
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  int ifd = (int)fd;
  memcpy(CMSG_DATA(c), &ifd, sizeof ifd);
  ssize_t r;
  do r = sendmsg((int)sock, &msg, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r < 0) return throw_errno(env, errno, "sendmsg", NULL);
  return undef(env);
}

/* Receives one message with one SCM_RIGHTS fd; returns -errno on failure. */
static int recv_fd(int sock, int *out_fd, char *data, size_t size) {
  struct iovec iov = {.iov_base = data, .iov_len = size - 1};
  union { char buf[CMSG_SPACE(sizeof(int) * 4)]; struct cmsghdr align; } u;
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  ssize_t r;
  do r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0) return -errno;
  data[r] = 0;
  *out_fd = -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
      int fds[4];
      memcpy(fds, CMSG_DATA(c), sizeof(int) * (size_t)(n > 4 ? 4 : n));
      for (int i = 0; i < n && i < 4; i++) {
        if (*out_fd < 0) *out_fd = fds[i];
        else close(fds[i]); /* only one fd is expected: do not leak extras */
      }
    }
  }
  if (*out_fd < 0) return r == 0 ? -ECONNRESET : -EBADMSG;
  return 0;
}

/* recvFd(socketFd) -> { fd, data } (blocking). */
static napi_value js_recv_fd(napi_env env, napi_callback_info info) {
  ARGS(1);
  int64_t sock;
  if (get_i64(env, argv[0], &sock)) return throw_type(env, "recvFd(socketFd): bad argument");
  char data[MAX_STR];
  int fd;
  int r = recv_fd((int)sock, &fd, data, sizeof data);
  if (r < 0) return throw_errno(env, -r, "recvmsg", NULL);
  napi_value obj, s;
  napi_create_object(env, &obj);
  napi_set_named_property(env, obj, "fd", num(env, fd));
  napi_create_string_utf8(env, data, NAPI_AUTO_LENGTH, &s);
  napi_set_named_property(env, obj, "data", s);
  return obj;
}

/* acceptRecvFd(listenFd) -> Promise<{ fd, data }>: accept one connection and
 * receive one fd from it, on a worker thread (the console-socket receiver). */
typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  int listen_fd, fd, err;
  const char *step;
  char data[MAX_STR];
} accept_job;

static void accept_execute(napi_env env, void *p) {
  (void)env;
  accept_job *j = p;
  int conn;
  do conn = accept4(j->listen_fd, NULL, NULL, SOCK_CLOEXEC);
  while (conn < 0 && errno == EINTR);
  if (conn < 0) {
    j->err = errno;
    j->step = "accept";
    return;
  }
  int r = recv_fd(conn, &j->fd, j->data, sizeof j->data);
  close(conn);
  if (r < 0) {
    j->err = -r;
    j->step = "recvmsg";
  }
}

static void accept_complete(napi_env env, napi_status status, void *p) {
  accept_job *j = p;
  napi_value result;
  if (status != napi_ok) j->err = ECANCELED, j->step = "accept";
  if (j->err) {
    throw_errno(env, j->err, j->step, NULL);
    napi_value exc;
    napi_get_and_clear_last_exception(env, &exc);
    napi_reject_deferred(env, j->deferred, exc);
  } else {
    napi_value s;
    napi_create_object(env, &result);
    napi_set_named_property(env, result, "fd", num(env, j->fd));
    napi_create_string_utf8(env, j->data, NAPI_AUTO_LENGTH, &s);
    napi_set_named_property(env, result, "data", s);
    napi_resolve_deferred(env, j->deferred, result);
  }
  napi_delete_async_work(env, j->work);
  free(j);
}

static napi_value js_accept_recv_fd(napi_env env, napi_callback_info info) {
  ARGS(1);
  int64_t fd;
  if (get_i64(env, argv[0], &fd)) return throw_type(env, "acceptRecvFd(listenFd): bad argument");
  accept_job *j = calloc(1, sizeof *j);
  if (!j) return throw_errno(env, ENOMEM, "acceptRecvFd", NULL);
  j->listen_fd = (int)fd;
  napi_value promise, name;
  napi_create_promise(env, &j->deferred, &promise);
  napi_create_string_utf8(env, "berth.acceptRecvFd", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, accept_execute, accept_complete, j, &j->work);
  napi_queue_async_work(env, j->work);
  return promise;
}

/* waitPid(pid) -> Promise<{ code, signal }>: waits for a child of this process on a worker thread. */
typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  pid_t pid;
  int err;
  siginfo_t si;
} wait_job;

static void wait_execute(napi_env env, void *p) {
  (void)env;
  wait_job *j = p;
  int r;
  memset(&j->si, 0, sizeof j->si);
  do r = waitid(P_PID, (id_t)j->pid, &j->si, WEXITED);
  while (r < 0 && errno == EINTR);
  if (r < 0) j->err = errno;
}

static void wait_complete(napi_env env, napi_status status, void *p) {
  wait_job *j = p;
  if (status != napi_ok) j->err = ECANCELED;
  if (j->err) {
    throw_errno(env, j->err, "waitid", NULL);
    napi_value exc;
    napi_get_and_clear_last_exception(env, &exc);
    napi_reject_deferred(env, j->deferred, exc);
  } else {
    napi_value result, nul;
    napi_create_object(env, &result);
    napi_get_null(env, &nul);
    int exited = j->si.si_code == CLD_EXITED;
    napi_set_named_property(env, result, "code", exited ? num(env, j->si.si_status) : nul);
    napi_set_named_property(env, result, "signal", exited ? nul : num(env, j->si.si_status));
    napi_resolve_deferred(env, j->deferred, result);
  }
  napi_delete_async_work(env, j->work);
  free(j);
}

static napi_value js_wait_pid(napi_env env, napi_callback_info info) {
  ARGS(1);
  int64_t pid;
  if (get_i64(env, argv[0], &pid)) return throw_type(env, "waitPid(pid): bad argument");
  wait_job *j = calloc(1, sizeof *j);
  if (!j) return throw_errno(env, ENOMEM, "waitPid", NULL);
  j->pid = (pid_t)pid;
  napi_value promise, name;
  napi_create_promise(env, &j->deferred, &promise);
  napi_create_string_utf8(env, "berth.waitPid", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, wait_execute, wait_complete, j, &j->work);
  napi_queue_async_work(env, j->work);
  return promise;
}

/* close(fd): for fds this addon returned. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  ARGS(1);
  int64_t fd;
  if (get_i64(env, argv[0], &fd)) return throw_type(env, "close(fd): bad argument");
  if (close((int)fd) < 0 && errno != EINTR) return throw_errno(env, errno, "close", NULL);
  return undef(env);
}

/* flock(fd, operation) -> boolean: flock(2), retried on EINTR; false when LOCK_NB finds it held.
   Blocks the caller without LOCK_NB. */
static napi_value js_flock(napi_env env, napi_callback_info info) {
  ARGS(2);
  int64_t fd, op;
  if (get_i64(env, argv[0], &fd) || get_i64(env, argv[1], &op)) return throw_type(env, "flock(fd, operation): bad argument");
  int r;
  do r = flock((int)fd, (int)op);
  while (r < 0 && errno == EINTR);
  if (r < 0 && errno != EWOULDBLOCK) return throw_errno(env, errno, "flock", NULL);
  napi_value b;
  napi_get_boolean(env, r == 0, &b);
  return b;
}

/* getWinsize(fd) -> { rows, cols }: the terminal's window size (TIOCGWINSZ). */
static napi_value js_get_winsize(napi_env env, napi_callback_info info) {
  ARGS(1);
  int64_t fd;
  if (get_i64(env, argv[0], &fd)) return throw_type(env, "getWinsize(fd): bad argument");
  struct winsize ws;
  if (ioctl((int)fd, TIOCGWINSZ, &ws) < 0) return throw_errno(env, errno, "ioctl TIOCGWINSZ", NULL);
  napi_value obj;
  napi_create_object(env, &obj);
  napi_set_named_property(env, obj, "rows", num(env, ws.ws_row));
  napi_set_named_property(env, obj, "cols", num(env, ws.ws_col));
  return obj;
}

/* setWinsize(fd, rows, cols): sets a pty's window size (TIOCSWINSZ); the kernel sends SIGWINCH
   to the pty's foreground process group. */
static napi_value js_set_winsize(napi_env env, napi_callback_info info) {
  ARGS(3);
  int64_t fd, rows, cols;
  if (get_i64(env, argv[0], &fd) || get_i64(env, argv[1], &rows) || get_i64(env, argv[2], &cols) || rows < 0 || rows > 65535 ||
      cols < 0 || cols > 65535)
    return throw_type(env, "setWinsize(fd, rows, cols): bad argument");
  struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
  if (ioctl((int)fd, TIOCSWINSZ, &ws) < 0) return throw_errno(env, errno, "ioctl TIOCSWINSZ", NULL);
  return undef(env);
}

/* makeRaw(fd): cfmakeraw(3) on a terminal, as runc (containerd/console SetRaw) sets the
   terminal it proxies: unlike libuv's raw mode it also clears OPOST, so the container's pty
   alone turns "\n" into "\r\n". Restoring is the caller's (libuv keeps the original). */
static napi_value js_make_raw(napi_env env, napi_callback_info info) {
  ARGS(1);
  int64_t fd;
  if (get_i64(env, argv[0], &fd)) return throw_type(env, "makeRaw(fd): bad argument");
  struct termios t;
  if (tcgetattr((int)fd, &t) < 0) return throw_errno(env, errno, "tcgetattr", NULL);
  cfmakeraw(&t);
  t.c_cc[VMIN] = 1;
  t.c_cc[VTIME] = 0;
  if (tcsetattr((int)fd, TCSANOW, &t) < 0) return throw_errno(env, errno, "tcsetattr", NULL);
  return undef(env);
}

/* clearCloexec(fd): lets a spawned child inherit fd. */
static napi_value js_clear_cloexec(napi_env env, napi_callback_info info) {
  ARGS(1);
  int64_t fd;
  if (get_i64(env, argv[0], &fd)) return throw_type(env, "clearCloexec(fd): bad argument");
  int flags = fcntl((int)fd, F_GETFD);
  if (flags < 0 || fcntl((int)fd, F_SETFD, flags & ~FD_CLOEXEC) < 0) return throw_errno(env, errno, "fcntl", NULL);
  return undef(env);
}

#define EXPORT(name, fn)                                           \
  do {                                                             \
    napi_value f;                                                  \
    napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, NULL, &f); \
    napi_set_named_property(env, exports, name, f);                \
  } while (0)

static napi_value init(napi_env env, napi_value exports) {
  EXPORT("mount", js_mount);
  EXPORT("umount2", js_umount2);
  EXPORT("mknod", js_mknod);
  EXPORT("lsetxattr", js_lsetxattr);
  EXPORT("lgetxattr", js_lgetxattr);
  EXPORT("llistxattr", js_llistxattr);
  EXPORT("lremovexattr", js_lremovexattr);
  EXPORT("setns", js_setns);
  EXPORT("prctl", js_prctl);
  EXPORT("pidfdOpen", js_pidfd_open);
  EXPORT("pidfdSendSignal", js_pidfd_send_signal);
  EXPORT("pollReadable", js_poll_readable);
  EXPORT("openpty", js_openpty);
  EXPORT("unixConnect", js_unix_connect);
  EXPORT("unixListen", js_unix_listen);
  EXPORT("sendFd", js_send_fd);
  EXPORT("recvFd", js_recv_fd);
  EXPORT("acceptRecvFd", js_accept_recv_fd);
  EXPORT("waitPid", js_wait_pid);
  EXPORT("close", js_close);
  EXPORT("clearCloexec", js_clear_cloexec);
  EXPORT("flock", js_flock);
  EXPORT("getWinsize", js_get_winsize);
  EXPORT("setWinsize", js_set_winsize);
  EXPORT("makeRaw", js_make_raw);
  EXPORT("bpfProgLoad", js_bpf_prog_load);
  EXPORT("bpfProgQuery", js_bpf_prog_query);
  EXPORT("bpfProgGetFdById", js_bpf_prog_get_fd_by_id);
  EXPORT("bpfProgAttach", js_bpf_prog_attach);
  EXPORT("bpfProgDetach", js_bpf_prog_detach);
  EXPORT("spawn", js_spawn);
  EXPORT("socketPair", js_socket_pair);
  EXPORT("sealedExecutable", js_sealed_executable);
  EXPORT("watchExit", js_watch_exit);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)

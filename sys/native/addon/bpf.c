/*
 * bpf(2) for the cgroup v2 device filter: load a program, query, attach
 * (with BPF_F_REPLACE), detach. Arguments are converted here; what to load
 * and when is decided in TypeScript (runtime/src/cgroups/devices).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <node_api.h>
#include "common.h"

static long sys_bpf(int cmd, union bpf_attr *attr) {
  long r;
  do r = syscall(SYS_bpf, cmd, attr, sizeof *attr);
  while (r < 0 && errno == EINTR);
  return r;
}

/* bpfProgLoad(progType, insns: Buffer, license) -> fd; a verifier failure carries its log. */
napi_value js_bpf_prog_load(napi_env env, napi_callback_info info) {
  ARGS(3);
  int64_t type;
  char license[64];
  bool is_buf;
  napi_is_buffer(env, argv[1], &is_buf);
  if (get_i64(env, argv[0], &type) || !is_buf || get_str(env, argv[2], license, sizeof license, NULL))
    return throw_type(env, "bpfProgLoad(progType, insns, license): bad argument");
  void *insns;
  size_t len;
  napi_get_buffer_info(env, argv[1], &insns, &len);
  if (len == 0 || len % 8) return throw_type(env, "bpfProgLoad: insns must be whole 8-byte instructions");
  static char log[65536];
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.prog_type = (unsigned)type;
  attr.insns = (uint64_t)(uintptr_t)insns;
  attr.insn_cnt = (unsigned)(len / 8);
  attr.license = (uint64_t)(uintptr_t)license;
  attr.log_buf = (uint64_t)(uintptr_t)log;
  attr.log_size = sizeof log;
  attr.log_level = 1;
  log[0] = 0;
  long fd = sys_bpf(BPF_PROG_LOAD, &attr);
  if (fd < 0) {
    int err = errno;
    char what[256];
    snprintf(what, sizeof what, "BPF_PROG_LOAD%s%.200s", log[0] ? ": verifier: " : "", log);
    return throw_errno(env, err, "bpf", what);
  }
  return num(env, (double)fd);
}

/* bpfProgQuery(targetFd, attachType) -> ids */
napi_value js_bpf_prog_query(napi_env env, napi_callback_info info) {
  ARGS(2);
  int64_t target, type;
  if (get_i64(env, argv[0], &target) || get_i64(env, argv[1], &type)) return throw_type(env, "bpfProgQuery(targetFd, attachType): bad argument");
  uint32_t ids[64];
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.query.target_fd = (unsigned)target;
  attr.query.attach_type = (unsigned)type;
  attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
  attr.query.prog_cnt = 64;
  if (sys_bpf(BPF_PROG_QUERY, &attr) < 0) return throw_errno(env, errno, "bpf", "BPF_PROG_QUERY");
  napi_value arr;
  napi_create_array(env, &arr);
  for (uint32_t i = 0; i < attr.query.prog_cnt && i < 64; i++) napi_set_element(env, arr, i, num(env, ids[i]));
  return arr;
}

/* bpfProgGetFdById(id) -> fd */
napi_value js_bpf_prog_get_fd_by_id(napi_env env, napi_callback_info info) {
  ARGS(1);
  int64_t id;
  if (get_i64(env, argv[0], &id)) return throw_type(env, "bpfProgGetFdById(id): bad argument");
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.prog_id = (unsigned)id;
  long fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
  if (fd < 0) return throw_errno(env, errno, "bpf", "BPF_PROG_GET_FD_BY_ID");
  return num(env, (double)fd);
}

/* bpfProgAttach(targetFd, progFd, attachType, flags, replaceFd?) */
napi_value js_bpf_prog_attach(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int64_t target, prog, type, flags, replace = -1;
  if (argc < 4 || get_i64(env, argv[0], &target) || get_i64(env, argv[1], &prog) || get_i64(env, argv[2], &type) ||
      get_i64(env, argv[3], &flags))
    return throw_type(env, "bpfProgAttach(targetFd, progFd, attachType, flags, replaceFd?): bad argument");
  if (argc >= 5) {
    napi_valuetype t;
    napi_typeof(env, argv[4], &t);
    if (t != napi_undefined && get_i64(env, argv[4], &replace)) return throw_type(env, "bpfProgAttach: bad replaceFd");
  }
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.target_fd = (unsigned)target;
  attr.attach_bpf_fd = (unsigned)prog;
  attr.attach_type = (unsigned)type;
  attr.attach_flags = (unsigned)flags;
  if (replace >= 0) attr.replace_bpf_fd = (unsigned)replace;
  if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0) return throw_errno(env, errno, "bpf", "BPF_PROG_ATTACH");
  return undef(env);
}

/* bpfProgDetach(targetFd, progFd, attachType) */
napi_value js_bpf_prog_detach(napi_env env, napi_callback_info info) {
  ARGS(3);
  int64_t target, prog, type;
  if (get_i64(env, argv[0], &target) || get_i64(env, argv[1], &prog) || get_i64(env, argv[2], &type))
    return throw_type(env, "bpfProgDetach(targetFd, progFd, attachType): bad argument");
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.target_fd = (unsigned)target;
  attr.attach_bpf_fd = (unsigned)prog;
  attr.attach_type = (unsigned)type;
  if (sys_bpf(BPF_PROG_DETACH, &attr) < 0) return throw_errno(env, errno, "bpf", "BPF_PROG_DETACH");
  return undef(env);
}

/* Helpers shared by the addon's source files (defined in addon.c). */
#ifndef BERTH_ADDON_COMMON_H
#define BERTH_ADDON_COMMON_H
#include <stdint.h>
#include <node_api.h>

#define MAX_STR 4096

/* Throws a JS Error for `err` (code = errno name) and returns NULL. */
napi_value throw_errno(napi_env env, int err, const char *syscall_name, const char *path);
napi_value throw_type(napi_env env, const char *msg);
/* Reads a string (null/undefined allowed when is_null is given); -1 if not a string or too long. */
int get_str(napi_env env, napi_value v, char *buf, size_t size, int *is_null);
int get_i64(napi_env env, napi_value v, int64_t *out);
napi_value num(napi_env env, double d);
napi_value undef(napi_env env);

#define ARGS(n)                                              \
  size_t argc = n;                                           \
  napi_value argv[n];                                        \
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);      \
  if (argc < n) return throw_type(env, "expected " #n " arguments")

napi_value js_bpf_prog_load(napi_env env, napi_callback_info info);
napi_value js_bpf_prog_query(napi_env env, napi_callback_info info);
napi_value js_bpf_prog_get_fd_by_id(napi_env env, napi_callback_info info);
napi_value js_bpf_prog_attach(napi_env env, napi_callback_info info);
napi_value js_bpf_prog_detach(napi_env env, napi_callback_info info);
napi_value js_spawn(napi_env env, napi_callback_info info);
napi_value js_socket_pair(napi_env env, napi_callback_info info);
napi_value js_sealed_executable(napi_env env, napi_callback_info info);
napi_value js_watch_exit(napi_env env, napi_callback_info info);

#endif

/*
 * The plan's wire format (written by sys/src/plan.ts):
 *
 *   u32 little-endian N, then N bytes: a sequence of NUL-terminated strings.
 *   The strings form records: an opcode followed by a fixed number of
 *   arguments (ARITY below). Numbers are decimal, capability sets are hex,
 *   flags are the kernel's numeric MS_* values. No string may contain NUL,
 *   which is also true of every path, env entry and argv entry execve takes.
 *
 * Records are applied in the order init needs them, not in plan order,
 * except mounts, devices, links and mkdirs, which keep their order.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include "init.h"

static const struct { const char *op; int arity; } ARITY[] = {
    {"ns", 2},       {"rootfs", 1},   {"propagation", 1}, {"mount", 7},     {"device", 7},
    {"symlink", 2},  {"nopivot", 0},  {"readonly", 0},    {"mask", 1},      {"ropath", 1},
    {"hostname", 1}, {"domainname", 1}, {"sysctl", 2},    {"rlimit", 3},    {"caps", 5},
    {"nnp", 0},      {"oom", 1},      {"user", 2},        {"group", 1},     {"umask", 1},
    {"cwd", 1},      {"env", 1},      {"arg", 1},         {"statedir", 1},  {"console", 1},
    {"winsize", 2},  {"preserve", 1}, {"wait", 0},     {"mkdir", 1},     {"seccomp", 2},   {"keyring", 2},   {"waitgo", 0},
    {"exec", 0},     {"timeoffset", 3}, {"seclistener", 2},
    {"personality", 1}, {"ioprio", 1}, {"sched", 7}, {"mempolicy", 2},
    {"idmap", 3},    {"rootprop", 1},
    {"hooksync", 0}, {"hookstate", 3}, {"hook", 3},        {"hookarg", 1},   {"hookenv", 1},
};

static uint64_t num(const char *op, const char *s, int base) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, base);
  if (errno || !*s || *end) die_msg("plan: %s: bad number %s", op, s);
  return v;
}

static int ns_type(const char *name) {
  static const struct { const char *name; int flag; } T[] = {
      {"pid", CLONE_NEWPID}, {"mount", CLONE_NEWNS}, {"uts", CLONE_NEWUTS},
      {"ipc", CLONE_NEWIPC}, {"network", CLONE_NEWNET}, {"cgroup", CLONE_NEWCGROUP},
      {"user", CLONE_NEWUSER}, {"time", CLONE_NEWTIME},
  };
  for (size_t i = 0; i < sizeof T / sizeof T[0]; i++)
    if (!strcmp(T[i].name, name)) return T[i].flag;
  die_msg("plan: unknown namespace %s", name);
}

#define PUSH(arr, n, max, what) \
  if ((n) >= (max)) die_msg("plan: too many %s", what); \
  arr[(n)++]

int parse_plan(char *buf, size_t len, struct plan *p) {
  const char *s[MAX_ITEMS];
  memset(p, 0, sizeof *p);
  p->console_fd = -1;
  p->root_propagation = 0;
  size_t off = 0;
  while (off < len) {
    const char *op = buf + off;
    char *nul = memchr(buf + off, 0, len - off);
    if (!nul) die_msg("plan: unterminated string at byte %zu", off);
    off = (size_t)(nul - buf) + 1;
    int arity = -1;
    for (size_t i = 0; i < sizeof ARITY / sizeof ARITY[0]; i++)
      if (!strcmp(ARITY[i].op, op)) arity = ARITY[i].arity;
    if (arity < 0) die_msg("plan: unknown record %s", op);
    for (int i = 0; i < arity; i++) {
      if (off >= len) die_msg("plan: record %s is missing arguments", op);
      s[i] = buf + off;
      nul = memchr(buf + off, 0, len - off);
      if (!nul) die_msg("plan: unterminated string at byte %zu", off);
      off = (size_t)(nul - buf) + 1;
    }
    if (!strcmp(op, "ns")) {
      if (p->n_ns >= 10) die_msg("plan: too many namespaces");
      p->ns[p->n_ns].type = ns_type(s[0]);
      p->ns[p->n_ns++].path = *s[1] ? s[1] : NULL;
    } else if (!strcmp(op, "rootfs")) p->rootfs = s[0];
    else if (!strcmp(op, "propagation")) p->root_propagation = num(op, s[0], 10);
    else if (!strcmp(op, "rootprop")) p->root_propagation_after = num(op, s[0], 10);
    else if (!strcmp(op, "mount")) {
      struct mount_entry m = {*s[0] ? s[0] : NULL, s[1], *s[2] ? s[2] : NULL, *s[5] ? s[5] : NULL,
                              num(op, s[3], 10), num(op, s[4], 10), !strcmp(s[6], "f")};
      PUSH(p->mounts, p->n_mounts, MAX_ITEMS, "mounts") = m;
    } else if (!strcmp(op, "device")) {
      struct device_entry d = {s[0], s[1][0], (unsigned)num(op, s[2], 10), (unsigned)num(op, s[3], 10),
                               (mode_t)num(op, s[4], 8), (uid_t)num(op, s[5], 10), (gid_t)num(op, s[6], 10)};
      PUSH(p->devices, p->n_devices, MAX_ITEMS, "devices") = d;
    } else if (!strcmp(op, "symlink")) {
      struct link_entry l = {s[0], s[1]};
      PUSH(p->links, p->n_links, MAX_ITEMS, "symlinks") = l;
    } else if (!strcmp(op, "mkdir")) {
      PUSH(p->mkdirs, p->n_mkdirs, 16, "mkdirs") = s[0];
    } else if (!strcmp(op, "nopivot")) p->no_pivot = 1;
    else if (!strcmp(op, "readonly")) p->readonly_root = 1;
    else if (!strcmp(op, "mask")) { PUSH(p->masked, p->n_masked, MAX_ITEMS, "masked paths") = s[0]; }
    else if (!strcmp(op, "ropath")) { PUSH(p->ro_paths, p->n_ro_paths, MAX_ITEMS, "readonly paths") = s[0]; }
    else if (!strcmp(op, "hostname")) p->hostname = s[0];
    else if (!strcmp(op, "domainname")) p->domainname = s[0];
    else if (!strcmp(op, "sysctl")) {
      struct sysctl_entry e = {s[0], s[1]};
      PUSH(p->sysctls, p->n_sysctls, MAX_ITEMS, "sysctls") = e;
    } else if (!strcmp(op, "rlimit")) {
      struct rlimit_entry r = {(int)num(op, s[0], 10), num(op, s[1], 10), num(op, s[2], 10)};
      PUSH(p->rlimits, p->n_rlimits, 64, "rlimits") = r;
    } else if (!strcmp(op, "caps")) {
      p->has_caps = 1;
      p->cap_bounding = num(op, s[0], 16);
      p->cap_effective = num(op, s[1], 16);
      p->cap_permitted = num(op, s[2], 16);
      p->cap_inheritable = num(op, s[3], 16);
      p->cap_ambient = num(op, s[4], 16);
    } else if (!strcmp(op, "nnp")) p->no_new_privs = 1;
    else if (!strcmp(op, "oom")) {
      p->has_oom = 1;
      p->oom_score_adj = atoi(s[0]);
    } else if (!strcmp(op, "user")) {
      p->uid = (uid_t)num(op, s[0], 10);
      p->gid = (gid_t)num(op, s[1], 10);
    } else if (!strcmp(op, "group")) { PUSH(p->groups, p->n_groups, MAX_ITEMS, "groups") = (gid_t)num(op, s[0], 10); }
    else if (!strcmp(op, "umask")) {
      p->has_umask = 1;
      p->umask = (mode_t)num(op, s[0], 8);
    } else if (!strcmp(op, "cwd")) p->cwd = s[0];
    else if (!strcmp(op, "env")) { PUSH(p->env, p->n_env, MAX_ITEMS * 2, "env entries") = s[0]; }
    else if (!strcmp(op, "arg")) { PUSH(p->args, p->n_args, MAX_ITEMS * 2, "args") = s[0]; }
    else if (!strcmp(op, "statedir")) p->state_dir = s[0];
    else if (!strcmp(op, "console")) p->console_fd = (int)num(op, s[0], 10);
    else if (!strcmp(op, "winsize")) {
      p->win_rows = (unsigned short)num(op, s[0], 10);
      p->win_cols = (unsigned short)num(op, s[1], 10);
    } else if (!strcmp(op, "preserve")) p->preserve_fds = (int)num(op, s[0], 10);
    else if (!strcmp(op, "wait")) p->wait = 1;
    else if (!strcmp(op, "waitgo")) p->wait_go = 1;
    else if (!strcmp(op, "exec")) p->exec_mode = 1;
    else if (!strcmp(op, "timeoffset")) {
      /* clock (CLOCK_MONOTONIC or CLOCK_BOOTTIME), signed seconds, nanoseconds */
      if (p->n_time_offsets >= 2) die_msg("plan: too many time offsets");
      char *end;
      errno = 0;
      long long secs = strtoll(s[1], &end, 10);
      if (errno || !*s[1] || *end) die_msg("plan: timeoffset: bad number %s", s[1]);
      p->time_offsets[p->n_time_offsets].clock = (int)num(op, s[0], 10);
      p->time_offsets[p->n_time_offsets].secs = secs;
      p->time_offsets[p->n_time_offsets++].nsecs = (uint32_t)num(op, s[2], 10);
    } else if (!strcmp(op, "idmap")) {
      /* applies to the mount before it: uid_map text, gid_map text, "r" for recursive */
      if (!p->n_mounts) die_msg("plan: idmap before any mount");
      struct mount_entry *m = &p->mounts[p->n_mounts - 1];
      m->idmap_uid = s[0];
      m->idmap_gid = s[1];
      m->idmap_rec = !strcmp(s[2], "r");
    } else if (!strcmp(op, "personality")) {
      p->has_personality = 1;
      p->personality = (unsigned long)num(op, s[0], 10);
    } else if (!strcmp(op, "ioprio")) {
      p->has_ioprio = 1;
      p->ioprio = (int)num(op, s[0], 10);
    } else if (!strcmp(op, "sched")) {
      /* policy, flags, nice (signed), priority, runtime, deadline, period */
      p->has_sched = 1;
      p->sched_policy = (uint32_t)num(op, s[0], 10);
      p->sched_flags = num(op, s[1], 10);
      p->sched_nice = (int32_t)atoi(s[2]);
      p->sched_priority = (uint32_t)num(op, s[3], 10);
      p->sched_runtime = num(op, s[4], 10);
      p->sched_deadline = num(op, s[5], 10);
      p->sched_period = num(op, s[6], 10);
    } else if (!strcmp(op, "mempolicy")) {
      /* mode with its flags, then the node mask as hex words, lowest first, comma-separated */
      p->has_mempolicy = 1;
      p->mempolicy_mode = (int)num(op, s[0], 10);
      int w = 0;
      for (char *word = (char *)s[1]; *word && w < 16; w++) {
        char *comma = strchr(word, ',');
        if (comma) *comma = 0;
        p->mempolicy_nodes[w] = num(op, word, 16);
        word = comma ? comma + 1 : word + strlen(word);
      }
    } else if (!strcmp(op, "seclistener")) {
      p->seccomp_listener = s[0];
      p->seccomp_state = s[1];
    }
    else if (!strcmp(op, "keyring")) {
      p->keyring = s[0];
      p->keyring_perm_bits = (unsigned)num(op, s[1], 16);
    }
    else if (!strcmp(op, "seccomp")) {
      /* flags, then the program as hex: 8 bytes per instruction */
      size_t hex = strlen(s[1]);
      if (hex == 0 || hex % 16 || hex / 16 > 65535) die_msg("plan: seccomp program of %zu hex digits", hex);
      unsigned char *prog = malloc(hex / 2);
      if (!prog) die_msg("plan: seccomp program: out of memory");
      for (size_t i = 0; i < hex / 2; i++) {
        char byte[3] = {s[1][2 * i], s[1][2 * i + 1], 0};
        prog[i] = (unsigned char)num(op, byte, 16);
      }
      p->seccomp = prog;
      p->seccomp_len = (unsigned short)(hex / 16);
      p->seccomp_flags = (unsigned)num(op, s[0], 10);
    }
    else if (parse_hook_record(op, s)) {}
    else die_msg("plan: record %s is not handled", op);
  }
  p->env[p->n_env] = NULL;
  p->args[p->n_args] = NULL;
  if (!p->rootfs) die_msg("plan: no rootfs");
  if (!p->n_args) die_msg("plan: no args");
  return 0;
}

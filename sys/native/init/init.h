/*
 * berth-init: the stage between clone() and execve(). It executes a launch
 * plan that TypeScript resolved and validated (sys/src/plan.ts) and nothing
 * else: no defaults, no policy, no JSON. See plan.c for the wire format.
 */
#ifndef BERTH_INIT_H
#define BERTH_INIT_H

#include <stdint.h>
#include <sys/types.h>

#define MAX_ITEMS 512

struct ns_entry { int type; const char *path; }; /* path NULL or "" = new namespace */

struct mount_entry {
  const char *source, *target, *fstype, *data;
  unsigned long flags, pflags;
  int is_file; /* create the target as a file (bind of a file), else a directory */
  const char *idmap_uid, *idmap_gid; /* an idmapped bind: uid_map/gid_map text, or NULL */
  int idmap_rec; /* the idmap applies to the whole bound tree */
  int idmap_fd; /* with idmap_uid: the detached idmapped tree made before clone */
};

struct device_entry { const char *path; char type; unsigned major, minor; mode_t mode; uid_t uid; gid_t gid; };
struct link_entry { const char *target, *path; };
struct rlimit_entry { int resource; uint64_t soft, hard; };
struct sysctl_entry { const char *key, *value; };

struct plan {
  struct ns_entry ns[10]; int n_ns;
  const char *rootfs;
  unsigned long root_propagation;
  unsigned long root_propagation_after; /* applied to the new / after pivot_root */
  struct mount_entry mounts[MAX_ITEMS]; int n_mounts;
  struct device_entry devices[MAX_ITEMS]; int n_devices;
  struct link_entry links[MAX_ITEMS]; int n_links;
  const char *mkdirs[16]; int n_mkdirs; /* created after mounts (e.g. a missing cwd) */
  int no_pivot, readonly_root;
  const char *masked[MAX_ITEMS]; int n_masked;
  const char *ro_paths[MAX_ITEMS]; int n_ro_paths;
  const char *hostname, *domainname;
  const char *keyring; /* join a new session keyring with this name, or NULL */
  unsigned keyring_perm_bits; /* then add these permission bits to it */
  struct sysctl_entry sysctls[MAX_ITEMS]; int n_sysctls;
  struct rlimit_entry rlimits[64]; int n_rlimits;
  int has_caps; uint64_t cap_bounding, cap_effective, cap_permitted, cap_inheritable, cap_ambient;
  int no_new_privs;
  int has_oom; int oom_score_adj;
  uid_t uid; gid_t gid;
  gid_t groups[MAX_ITEMS]; int n_groups;
  mode_t umask; int has_umask;
  const char *cwd;
  const char *env[MAX_ITEMS * 2 + 1]; int n_env;
  const char *args[MAX_ITEMS * 2 + 1]; int n_args;
  const char *state_dir; /* holds exec.fifo; NULL: start at once (no create/start split) */
  int console_fd; /* -1: no terminal */
  unsigned short win_rows, win_cols;
  int preserve_fds;
  int wait; /* stay as the parent and exit with the container's status */
  int wait_go; /* after "pid", block until the runtime sends "g" (it places the process in cgroups) */
  void *seccomp; unsigned short seccomp_len; unsigned seccomp_flags; /* struct sock_filter[], or NULL */
  int exec_mode; /* exec: join a running container; no rootfs or system setup */
  struct { int clock; int64_t secs; uint32_t nsecs; } time_offsets[2]; int n_time_offsets;
  const char *seccomp_listener; /* with seccomp: send the NEW_LISTENER fd and state here */
  const char *seccomp_state; /* the runtime-spec "seccomp state" JSON sent with the fd */
  int has_personality; unsigned long personality;
  int has_ioprio; int ioprio; /* IOPRIO_PRIO_VALUE(class, level) */
  int has_sched; uint32_t sched_policy; uint64_t sched_flags; int32_t sched_nice; uint32_t sched_priority;
  uint64_t sched_runtime, sched_deadline, sched_period;
  int has_mempolicy; int mempolicy_mode; /* mode | MPOL_F_* flags */
  uint64_t mempolicy_nodes[16]; /* up to 1024 nodes */
};

extern int sync_fd;
extern int seccomp_listener_fd; /* connected to the plan's seccomp listener path, or -1 */
extern pid_t host_pid; /* the container process's pid as the runtime sees it (in the child) */

/* Reports "error <step>: <ERRNO>" to the runtime and exits. */
void die(int err, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
/* Reports "error <message>" (no errno) and exits. */
void die_msg(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void send_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int parse_plan(char *buf, size_t len, struct plan *p); /* 0, or -1 after die_msg */
void setup_rootfs(const struct plan *p, int *state_dir_fd);
void prepare_idmapped_mounts(struct plan *p);
void finalize_rootfs(const struct plan *p);
void setup_system(const struct plan *p);
void setup_process(const struct plan *p);
void setup_console(const struct plan *p);
const char *find_executable(const struct plan *p);
void load_seccomp(const struct plan *p);
/* hooks.c: the OCI hooks that run in the container's namespaces. */
enum { HOOK_CREATE_CONTAINER, HOOK_START_CONTAINER, HOOK_STAGES };
int parse_hook_record(const char *op, const char *const *s); /* 1 if `op` is a hook record */
void run_create_hooks(void);    /* the runtime's createRuntime sync, then createContainer: before pivot_root */
void run_start_hooks(int fifo); /* startContainer, right before execve; on failure reports on the fifo, dies */
void wait_and_exec(const struct plan *p, int state_dir_fd, const char *exe) __attribute__((noreturn));

#endif

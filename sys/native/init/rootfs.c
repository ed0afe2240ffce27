/*
 * The container's filesystem view: propagation, the rootfs bound on itself,
 * the spec's mounts in order, devices and links, pivot_root (or MS_MOVE +
 * chroot), read-only paths, masked paths, read-only root.
 *
 * Mount targets are resolved with openat2(RESOLVE_IN_ROOT), so a symlink
 * in the rootfs can never point a mount outside it; the mount is then made
 * on the resolved /proc/self/fd/N, as runc does.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "init.h"

static int open_in_root(int rootfd, const char *path, int flags) {
  struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC), .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
  int fd;
  do fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
  while (fd < 0 && errno == EINTR);
  return fd;
}

/* Opens `path` inside the root as O_PATH, creating missing directories (and
 * the last component as an empty file when is_file). A dangling symlink on
 * the way is followed inside the root and its target created, as runc's
 * securejoin + MkdirAll do. Dies on failure. */
static int mkpath_depth(int rootfd, const char *path, int is_file, int depth);

static int mkpath_in_root(int rootfd, const char *path, int is_file) { return mkpath_depth(rootfd, path, is_file, 0); }

static int mkpath_depth(int rootfd, const char *path, int is_file, int depth) {
  if (depth > 40) die(ELOOP, "resolve %s in rootfs", path);
  int fd = open_in_root(rootfd, path, O_PATH);
  if (fd >= 0 || errno != ENOENT) {
    if (fd < 0) die(errno, "resolve %s in rootfs", path);
    return fd;
  }
  char buf[4096];
  if (strlen(path) >= sizeof buf) die(ENAMETOOLONG, "resolve %s in rootfs", path);
  strcpy(buf, path);
  /* Walk prefixes; each is resolved from the root so symlinks stay inside. */
  for (char *end = buf;;) {
    while (*end == '/') end++;
    if (!*end) break;
    char *slash = strchr(end, '/');
    int last = !slash || !slash[strspn(slash, "/")];
    if (slash) *slash = 0;
    int cur = open_in_root(rootfd, buf, O_PATH);
    if (cur < 0 && errno == ENOENT) {
      char *name = strrchr(buf, '/');
      int parent;
      if (name && name != buf) {
        *name = 0;
        parent = open_in_root(rootfd, buf, O_PATH | O_DIRECTORY);
        *name = '/';
        name++;
      } else {
        parent = open_in_root(rootfd, "/", O_PATH | O_DIRECTORY);
        name = name ? name + 1 : buf;
      }
      if (parent < 0) die(errno, "resolve parent of %s in rootfs", buf);
      char target[4096];
      ssize_t n = readlinkat(parent, name, target, sizeof target - 1);
      if (n > 0) {
        /* A dangling symlink: create what it points at, inside the root. */
        target[n] = 0;
        char next[8192];
        size_t dirlen = (size_t)(name - buf);
        int w = target[0] == '/'
                    ? snprintf(next, sizeof next, "%s%s%s", target, slash ? "/" : "", slash ? slash + 1 : "")
                    : snprintf(next, sizeof next, "%.*s%s%s%s", (int)dirlen, buf, target, slash ? "/" : "", slash ? slash + 1 : "");
        close(parent);
        if (w < 0 || (size_t)w >= sizeof next) die(ENAMETOOLONG, "resolve %s in rootfs", path);
        return mkpath_depth(rootfd, next, is_file, depth + 1);
      }
      if (last && is_file) {
        int f = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (f < 0 && errno != EEXIST) die(errno, "create %s in rootfs", buf);
        if (f >= 0) close(f);
      } else if (mkdirat(parent, name, 0755) < 0 && errno != EEXIST) {
        die(errno, "mkdir %s in rootfs", buf);
      }
      close(parent);
      cur = open_in_root(rootfd, buf, O_PATH);
    }
    if (cur < 0) die(errno, "resolve %s in rootfs", buf);
    close(cur);
    if (!slash) break;
    *slash = '/';
    end = slash;
  }
  fd = open_in_root(rootfd, path, O_PATH);
  if (fd < 0) die(errno, "resolve %s in rootfs", path);
  return fd;
}

static void fdpath(char *buf, size_t size, int fd) { snprintf(buf, size, "/proc/self/fd/%d", fd); }

static void do_mount(int rootfd, const struct mount_entry *m) {
  char target[64];
  const char *type = m->fstype ? m->fstype : "none";
  int fd = mkpath_in_root(rootfd, m->target, m->is_file);
  fdpath(target, sizeof target, fd);
  if (m->flags & MS_BIND) {
    if (m->idmap_uid) {
      if (move_mount(m->idmap_fd, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        die(errno, "attach idmapped mount of %s on %s", m->source ? m->source : "", m->target);
      close(m->idmap_fd);
    } else if (mount(m->source, target, NULL, MS_BIND | (m->flags & MS_REC), NULL) < 0)
      die(errno, "bind mount %s on %s", m->source ? m->source : "", m->target);
    unsigned long rest = m->flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
    if (rest) {
      /* The fd still names the covered directory: reopen to reach the new mount. */
      close(fd);
      fd = open_in_root(rootfd, m->target, O_PATH);
      if (fd < 0) die(errno, "resolve %s in rootfs", m->target);
      fdpath(target, sizeof target, fd);
      if (mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | rest, NULL) < 0)
        die(errno, "remount %s with flags 0x%lx", m->target, rest);
    }
  } else if (mount(m->source, target, m->fstype, m->flags, m->data) < 0) {
    die(errno, "mount %s on %s", type, m->target);
  }
  if (m->pflags) {
    close(fd);
    fd = open_in_root(rootfd, m->target, O_PATH);
    if (fd < 0) die(errno, "resolve %s in rootfs", m->target);
    fdpath(target, sizeof target, fd);
    if (mount(NULL, target, NULL, m->pflags, NULL) < 0) die(errno, "set propagation of %s", m->target);
  }
  close(fd);
}

/* Splits "a/b/c" into the O_PATH fd of "a/b" (created) and "c". */
static int parent_in_root(int rootfd, const char *path, char *name, size_t size) {
  char dir[4096];
  const char *slash = strrchr(path, '/');
  if (!slash || strlen(path) >= sizeof dir || strlen(slash + 1) >= size || !slash[1]) die(EINVAL, "path %s", path);
  memcpy(dir, path, (size_t)(slash - path));
  dir[slash - path] = 0;
  strcpy(name, slash + 1);
  return mkpath_in_root(rootfd, *dir ? dir : "/", 0);
}

static void make_device(int rootfd, const struct device_entry *d) {
  char name[256];
  int dir = parent_in_root(rootfd, d->path, name, sizeof name);
  mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
  if (mknodat(dir, name, type | (d->mode & 07777), makedev(d->major, d->minor)) < 0) {
    if (errno == EEXIST) {
      /* already there (e.g. the rootfs ships it): keep it */
    } else if (errno == EPERM && d->type != 'p') {
      /* No CAP_MKNOD (a user namespace, a restricted caller): bind the host's node, as runc. */
      int f = openat(dir, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0);
      if (f < 0 && errno != EEXIST) die(errno, "create %s for a device bind", d->path);
      if (f >= 0) close(f);
      int node = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (node < 0) die(errno, "open %s for a device bind", d->path);
      char target[64];
      fdpath(target, sizeof target, node);
      if (mount(d->path, target, NULL, MS_BIND, NULL) < 0) die(errno, "bind device %s", d->path);
      close(node);
      close(dir);
      return;
    } else {
      die(errno, "mknod %s", d->path);
    }
  }
  if (fchownat(dir, name, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0) die(errno, "chown %s", d->path);
  if (fchmodat(dir, name, d->mode & 07777, 0) < 0) die(errno, "chmod %s", d->path);
  close(dir);
}

static void make_link(int rootfd, const struct link_entry *l) {
  char name[256];
  int dir = parent_in_root(rootfd, l->path, name, sizeof name);
  if (symlinkat(l->target, dir, name) < 0 && errno != EEXIST) die(errno, "symlink %s -> %s", l->path, l->target);
  close(dir);
}

/* Flags that a bind remount must keep (ST_* equal MS_* for these). */
static unsigned long kept_flags(const char *path) {
  struct statvfs sv;
  if (statvfs(path, &sv) < 0) die(errno, "statvfs %s", path);
  return sv.f_flag & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME);
}

static void readonly_path(const char *path) {
  if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0) {
    if (errno == ENOENT) return;
    die(errno, "bind %s read-only", path);
  }
  if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | kept_flags(path), NULL) < 0)
    die(errno, "remount %s read-only", path);
}

static void mask_path(const char *path) {
  if (mount("/dev/null", path, NULL, MS_BIND, NULL) == 0 || errno == ENOENT) return;
  if (errno != ENOTDIR) die(errno, "mask %s", path);
  if (mount("tmpfs", path, "tmpfs", MS_RDONLY, NULL) < 0) die(errno, "mask %s", path);
}

static void write_map(pid_t pid, const char *file, const char *text) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) die(errno, "open %s", path);
  size_t len = strlen(text);
  if (write(fd, text, len) != (ssize_t)len) die(errno, "write %s", path);
  close(fd);
}

/* A user namespace with these maps, held by an fd: a child is cloned into
 * it, mapped, its namespace opened, and the child killed (as runc does). */
static int userns_fd(const char *uid_map, const char *gid_map) {
  pid_t pid = (pid_t)syscall(SYS_clone, (unsigned long)CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);
  if (pid < 0) die(errno, "clone a user namespace for an idmapped mount");
  if (pid == 0) {
    for (;;) pause();
  }
  write_map(pid, "uid_map", uid_map);
  write_map(pid, "gid_map", gid_map);
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  int err = errno;
  kill(pid, SIGKILL);
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
  if (fd < 0) die(err, "open %s", path);
  return fd;
}

/*
 * Idmapped binds are made here, as the caller (privileged over the source
 * filesystem), as detached trees; the container's process attaches them
 * where the plan says (runc does the same from its parent).
 */
void prepare_idmapped_mounts(struct plan *p) {
  for (int i = 0; i < p->n_mounts; i++) {
    struct mount_entry *m = &p->mounts[i];
    if (!m->idmap_uid) continue;
    unsigned rec = (m->flags & MS_REC) ? AT_RECURSIVE : 0;
    int tree = open_tree(AT_FDCWD, m->source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | rec);
    if (tree < 0) die(errno, "open_tree %s for an idmapped mount", m->source);
    int ns = userns_fd(m->idmap_uid, m->idmap_gid);
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)ns};
    if (mount_setattr(tree, "", AT_EMPTY_PATH | (m->idmap_rec ? AT_RECURSIVE : 0), &attr, sizeof attr) < 0)
      die(errno, "idmap the mount of %s (mount_setattr)", m->source);
    close(ns);
    m->idmap_fd = tree;
  }
}

/* Decodes mountinfo's octal escapes (\040 and the like) in place. */
static void unescape_mountinfo(char *s) {
  char *w = s;
  for (char *r = s; *r; r++) {
    if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
      *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
      r += 3;
    } else {
      *w++ = *r;
    }
  }
  *w = 0;
}

/* runc's rootfsParentMountPrivate: the mount the rootfs lives on (the longest mount point
 * that contains it) is made private if it is shared, so pivot_root accepts the new root
 * (it refuses a shared parent) and the rootfs bind does not propagate out. */
static void rootfs_parent_private(const char *rootfs) {
  char real[4096];
  if (!realpath(rootfs, real)) die(errno, "resolve rootfs %s", rootfs);
  FILE *f = fopen("/proc/self/mountinfo", "re");
  if (!f) die(errno, "open /proc/self/mountinfo");
  char line[8192], best[4096] = "";
  int best_shared = 0;
  size_t best_len = 0;
  while (fgets(line, sizeof line, f)) {
    /* id parent major:minor root mountpoint options [optional fields...] - fstype ... */
    char *save = NULL, *field = strtok_r(line, " ", &save);
    char *mp = NULL;
    int shared = 0;
    for (int i = 0; field; i++, field = strtok_r(NULL, " ", &save)) {
      if (i == 4) mp = field;
      else if (i >= 6 && !strcmp(field, "-")) break;
      else if (i >= 6 && !strncmp(field, "shared:", 7)) shared = 1;
    }
    if (!mp) continue;
    unescape_mountinfo(mp);
    size_t n = strlen(mp);
    int contains = !strcmp(mp, "/") || (!strncmp(real, mp, n) && (real[n] == '/' || real[n] == 0));
    if (contains && n >= best_len && n < sizeof best) {
      memcpy(best, mp, n + 1);
      best_len = n;
      best_shared = shared; /* the last of stacked mounts on one point is the visible one */
    }
  }
  fclose(f);
  if (best_shared && mount(NULL, best, NULL, MS_PRIVATE, NULL) < 0) die(errno, "make %s (parent of the rootfs) private", best);
}

void setup_rootfs(const struct plan *p, int *state_dir_fd) {
  umask(0);
  if (p->root_propagation && mount(NULL, "/", NULL, p->root_propagation, NULL) < 0)
    die(errno, "set propagation of /");
  rootfs_parent_private(p->rootfs);
  if (mount(p->rootfs, p->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0) die(errno, "bind rootfs %s on itself", p->rootfs);
  int rootfd = open(p->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) die(errno, "open rootfs %s", p->rootfs);

  for (int i = 0; i < p->n_mounts; i++) do_mount(rootfd, &p->mounts[i]);
  for (int i = 0; i < p->n_devices; i++) make_device(rootfd, &p->devices[i]);
  for (int i = 0; i < p->n_links; i++) make_link(rootfd, &p->links[i]);
  for (int i = 0; i < p->n_mkdirs; i++) close(mkpath_in_root(rootfd, p->mkdirs[i], 0));

  if (p->state_dir && *state_dir_fd < 0) {
    /* Kept (close-on-exec) to open the exec fifo after the host is out of view. */
    *state_dir_fd = open(p->state_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (*state_dir_fd < 0) die(errno, "open state dir %s", p->state_dir);
    int high = fcntl(*state_dir_fd, F_DUPFD_CLOEXEC, 1000);
    if (high >= 0) close(*state_dir_fd), *state_dir_fd = high;
  }

  if (fchdir(rootfd) < 0) die(errno, "chdir %s", p->rootfs);
  run_create_hooks(); /* the old root is still in view: hooks may work on the mounts */
  if (p->no_pivot) {
    if (mount(".", "/", NULL, MS_MOVE, NULL) < 0) die(errno, "move rootfs to /");
    if (chroot(".") < 0) die(errno, "chroot");
  } else {
    if (syscall(SYS_pivot_root, ".", ".") < 0) die(errno, "pivot_root %s", p->rootfs);
    /* The old root is stacked under the new one: detach it without
     * propagating the unmount back to the host. */
    if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0) die(errno, "make old root rslave");
    if (umount2(".", MNT_DETACH) < 0) die(errno, "unmount old root");
  }
  if (chdir("/") < 0) die(errno, "chdir /");
  close(rootfd);
}

/* After sysctls are written: read-only and masked paths, then the read-only root. */
void finalize_rootfs(const struct plan *p) {
  for (int i = 0; i < p->n_ro_paths; i++) readonly_path(p->ro_paths[i]);
  for (int i = 0; i < p->n_masked; i++) mask_path(p->masked[i]);
  if (p->readonly_root && mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | kept_flags("/"), NULL) < 0)
    die(errno, "remount / read-only");
  /* As runc (>= 1.2.x, runc#4724): rootfsPropagation applies to the new root itself, which could
   * be neither shared (pivot_root) nor unbindable (the rootfs bind) before; last, as the read-only
   * and masked paths are binds, which an unbindable tree would refuse. */
  if (p->root_propagation_after && mount(NULL, "/", NULL, p->root_propagation_after, NULL) < 0)
    die(errno, "set propagation of the new /");
}

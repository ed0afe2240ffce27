#!/bin/bash
# Stage 2, in the guest on the overlay root: the mounts a host has, cgroup2
# alone at /sys/fs/cgroup with every controller on for the children, then jest.
# The result line BERTH-VM-EXIT <n> is what run.sh returns.
set -u
source /.berth-vm/args
finish() {
  echo "BERTH-VM-EXIT $1"
  sync
  # reboot(2) at once: no init to ask, and nothing may read the 9p root after it.
  exec busybox poweroff -f
}
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /dev/mqueue
# What udev/systemd would add: bash's <(...) needs /dev/fd.
ln -sfn /proc/self/fd /dev/fd
ln -sfn /proc/self/fd/0 /dev/stdin; ln -sfn /proc/self/fd/1 /dev/stdout; ln -sfn /proc/self/fd/2 /dev/stderr
mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t mqueue mqueue /dev/mqueue
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=755 tmpfs /run
mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup || { echo "cannot mount cgroup2"; finish 3; }
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
for c in $(cat /sys/fs/cgroup/cgroup.controllers); do
  echo "+$c" > /sys/fs/cgroup/cgroup.subtree_control || echo "cannot enable $c"
done
ip link set lo up 2>/dev/null || busybox ip link set lo up
hostname berth-v2-vm
export HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin TERM=dumb CI=1 FORCE_COLOR=0
echo "guest: $(uname -r); cmdline: $(cat /proc/cmdline)"
echo "guest: cgroup mounts: $(grep cgroup /proc/mounts | tr '\n' ';')"
echo "guest: controllers: $(cat /sys/fs/cgroup/cgroup.controllers); subtree_control: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
cd "$REPO" || finish 3
if [ -n "$BERTH_VM_SHELL" ]; then
  setsid -c bash -i </dev/ttyS0 >/dev/ttyS0 2>&1
  finish $?
fi
start=$(date +%s)
if [ -n "$BERTH_VM_CMD" ]; then
  bash -c "$BERTH_VM_CMD"
else
  timeout_arg=(--testTimeout="$TEST_TIMEOUT")
  case " ${JEST_ARGS[*]} " in *" --testTimeout"*) timeout_arg=() ;; esac  # the caller's wins
  npx jest --ci "${timeout_arg[@]}" "${JEST_ARGS[@]}"
fi
rc=$?
echo "guest: exited $rc after $(( $(date +%s) - start ))s"
finish "$rc"

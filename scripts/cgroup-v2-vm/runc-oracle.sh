#!/bin/bash
# berth-runtime against runc on the guest's pure cgroup v2 hierarchy, with one
# config.json: limits in the unified files, the eBPF device program, pause and
# resume through cgroup.freeze, kill --all through cgroup.kill, events --stats.
# Prints both sides and exits 1 when they differ. Runs inside the VM:
#   BERTH_VM_CMD=scripts/cgroup-v2-vm/runc-oracle.sh scripts/cgroup-v2-vm/run.sh
# berth runs from the TypeScript sources (runtime/test/helpers/cli-entry.js),
# as the suites do, so no build is needed.
set -u
repo=$(cd "$(dirname "$0")/../.." && pwd)
command -v runc >/dev/null || { echo "runc-oracle: no runc"; exit 2; }
[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] || { echo "runc-oracle: /sys/fs/cgroup is not cgroup2"; exit 2; }
work=$(mktemp -d /tmp/runc-oracle.XXXXXX)
mkdir -p "$work/rootfs/bin" "$work/rootfs/dev" "$work/rootfs/proc" "$work/rootfs/sys" "$work/rootfs/tmp"
cp "$(command -v busybox)" "$work/rootfs/bin/busybox"
for a in sh cat echo sleep head tail; do ln -s busybox "$work/rootfs/bin/$a"; done

# runc's default spec, plus limits and device rules: deny reading /dev/kmsg
# (bind-mounted in, so only the cgroup can refuse it) and writing /dev/zero.
(cd "$work" && runc spec)
jq '.process.terminal = false
  | .process.args = ["sh", "-c", "cat /sys/fs/cgroup/memory.max; head -c 1 /dev/kmsg >/dev/null && echo kmsg-read-ok; echo x > /dev/zero && echo zero-write-ok; echo x > /dev/null && echo null-write-ok; head -c 1 /dev/zero >/dev/null && echo zero-read-ok; exec sleep 1000"]
  | .root = {path: "rootfs", readonly: true}
  | .mounts += [{destination: "/dev/kmsg", type: "bind", source: "/dev/kmsg", options: ["bind"]}]
  | .linux.resources = {
      memory: {limit: 50331648, reservation: 16777216},
      pids: {limit: 20},
      cpu: {shares: 512, quota: 50000, period: 100000},
      devices: [{allow: false, access: "rwm"}, {allow: false, type: "c", major: 1, minor: 5, access: "w"}]
    }' "$work/config.json" > "$work/config.tmp"

berth() { node "$repo/runtime/test/helpers/cli-entry.js" --root "$work/state-berth" "$@"; }
runc_() { runc --root "$work/state-runc" "$@"; }
knobs="memory.max memory.low pids.max cpu.max cpu.weight cgroup.type"

side() {  # $1: berth|runc -> report on stdout
  local rt=$1 id=oracle-$1 run
  [ "$rt" = berth ] && run=berth || run=runc_
  local cg=/sys/fs/cgroup/oracle/$rt
  mkdir -p "$work/$rt"
  jq --arg p "/oracle/$rt" '.linux.cgroupsPath = $p' "$work/config.tmp" > "$work/$rt/config.json"
  cp -a "$work/rootfs" "$work/$rt/rootfs"  # runc refuses a symlinked rootfs
  if ! $run create --bundle "$work/$rt" --pid-file "$work/$rt.pid" "$id" < /dev/null > "$work/$rt.out" 2>&1; then
    echo "create failed: $(cat "$work/$rt.out")"
    return
  fi
  for k in $knobs; do echo "$k: $(cat "$cg/$k" 2>&1)"; done
  $run start "$id"
  local pid; pid=$(cat "$work/$rt.pid")
  for _ in $(seq 600); do grep -q '^sleep' "/proc/$pid/cmdline" 2>/dev/null && break; sleep 0.1; done
  echo "inside:"; sed 's/^/  /' "$work/$rt.out"
  $run pause "$id"; echo "paused: freeze=$(cat "$cg/cgroup.freeze") $(grep frozen "$cg/cgroup.events") status=$($run state "$id" | jq -r .status)"
  $run resume "$id"; echo "resumed: freeze=$(cat "$cg/cgroup.freeze") $(grep frozen "$cg/cgroup.events") status=$($run state "$id" | jq -r .status)"
  $run update --memory 64m --pids-limit 9 "$id"; echo "after update: memory.max=$(cat "$cg/memory.max") pids.max=$(cat "$cg/pids.max")"
  echo "events --stats: $($run events --stats "$id" | jq -c '.type, {memory: .data.memory.usage.limit, pids: .data.pids, cpuTotalPositive: (.data.cpu.usage.total > 0), keys: (.data | keys)}')"
  $run kill --all "$id" KILL
  for _ in $(seq 300); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
  echo "after kill --all: procs=[$(cat "$cg/cgroup.procs" | tr '\n' ' ')] status=$($run state "$id" | jq -r .status)"
  $run delete "$id"; echo "after delete: cgroup left=$([ -d "$cg" ] && echo yes || echo no)"
}

side runc > "$work/runc.report" 2>&1
side berth > "$work/berth.report" 2>&1
echo "=== runc $(runc --version | head -n 1)"; cat "$work/runc.report"
echo "=== berth"; cat "$work/berth.report"
# cpu.weight from cpu.shares: berth uses the quadratic mapping of runc >= 1.3.1
# (1024 -> 100); older runc (Debian 12 has 1.1.5) the linear one (512 -> 20).
# Shown above, not compared.
if diff -u <(grep -v '^cpu.weight:' "$work/runc.report") <(grep -v '^cpu.weight:' "$work/berth.report"); then echo "runc-oracle: same"; rc=0; else echo "runc-oracle: DIFFERENT"; rc=1; fi
rmdir /sys/fs/cgroup/oracle 2>/dev/null
rm -rf "$work"
exit "$rc"

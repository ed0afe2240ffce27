#!/bin/bash
# Runs berth's cgroup v2 suites inside a qemu VM whose kernel has only the
# unified cgroup2 hierarchy (cgroup_no_v1=all, every controller enabled), for
# hosts that are hybrid or v1. The guest sees this host's root read-only over
# 9p with a tmpfs overlay on top, so it runs this checkout's Node, node_modules
# and built addon; nothing it writes reaches the host.
#
#   scripts/cgroup-v2-vm/run.sh [jest args]    (root; exits with jest's status)
#
# With no args it runs the default v2 suites (see DEFAULT_SUITES). Under TCG a
# Node start takes seconds, so jest runs with --testTimeout=$BERTH_VM_TEST_TIMEOUT
# (ms, 600000; the suites themselves are unchanged). BERTH_VM_CMD='...' runs
# that bash command in the checkout instead of jest (e.g. runc checks by hand);
# BERTH_VM_SHELL=1 drops to an interactive shell on the console.
# Needs: qemu-system-x86 linux-image-amd64 busybox-static (Debian 12). Uses KVM
# when /dev/kvm exists, TCG (slow: minutes) otherwise.
# Env: BERTH_VM_KERNEL (a version in /lib/modules; default: newest *-amd64),
# BERTH_VM_MEM (4G), BERTH_VM_SMP (2), BERTH_VM_TIMEOUT (seconds, 5400).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
DEFAULT_SUITES=(
  runtime/test/cgroups/containers-v2.test.ts
  runtime/test/cgroups/real-v2.test.ts
  runtime/test/cgroups/v2-files.test.ts
  runtime/test/cgroups/device-filter.test.ts
  runtime/test/cgroups/bpf-attach.test.ts
  runtime/test/cgroups/path-detect.test.ts
  runtime/test/cgroups/cli-input.test.ts
  runtime/test/resources.test.ts
)

die() { echo "cgroup-v2-vm: $*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "run as root (qemu exports / over 9p with the host's file owners)"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing: apt-get install -y qemu-system-x86"
bb=$(command -v busybox || true)
{ [ -n "$bb" ] && file -L "$bb" | grep -q 'statically linked'; } || die "a static busybox is needed: apt-get install -y busybox-static"

kver=${BERTH_VM_KERNEL:-$(ls /lib/modules 2>/dev/null | grep -- '-amd64$' | sort -V | tail -n 1)}
kernel=/boot/vmlinuz-$kver
[ -n "$kver" ] && [ -r "$kernel" ] || die "no Debian kernel found (${kernel:-/boot/vmlinuz-*-amd64}): apt-get install -y linux-image-amd64"

work=$(mktemp -d /tmp/berth-cgroup-v2-vm.XXXXXX)
trap 'rm -rf "$work"' EXIT
init=$work/initramfs
mkdir -p "$init"/{bin,dev,proc,sys,lower,rw,newroot,mods}
cp "$bb" "$init/bin/busybox"
for a in sh mount umount mkdir cp insmod switch_root cat echo poweroff sleep; do ln -s busybox "$init/bin/$a"; done

# The modules for a 9p root with an overlay (built-in on some kernels: then
# modprobe prints "builtin" and there is nothing to load), in load order.
: > "$init/modules"
for m in virtio_pci 9pnet_virtio 9p overlay; do
  modprobe -S "$kver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }' | while read -r ko; do
    grep -qxF "/mods/${ko##*/}" "$init/modules" && continue
    case $ko in
      *.ko) cp "$ko" "$init/mods/" ;;
      *.ko.xz) xz -dc "$ko" > "$init/mods/$(basename "$ko" .xz)"; ko=${ko%.xz} ;;
      *.ko.zst) zstd -qdc "$ko" > "$init/mods/$(basename "$ko" .zst)"; ko=${ko%.zst} ;;
    esac
    echo "/mods/${ko##*/}" >> "$init/modules"
  done
done

# What the guest runs: the jest command line, quoted for bash.
if [ $# -eq 0 ]; then set -- "${DEFAULT_SUITES[@]}"; fi
{
  printf 'REPO=%q\n' "$repo"
  printf 'BERTH_VM_SHELL=%q\n' "${BERTH_VM_SHELL:-}"
  printf 'BERTH_VM_CMD=%q\n' "${BERTH_VM_CMD:-}"
  printf 'TEST_TIMEOUT=%q\n' "${BERTH_VM_TEST_TIMEOUT:-600000}"
  printf 'JEST_ARGS=('; printf '%q ' "$@"; printf ')\n'
} > "$init/args"
cp "$here/stage2.sh" "$init/stage2.sh"

cat > "$init/init" <<'INIT'
#!/bin/sh
# Stage 1 (busybox): the host's root over 9p, read-only, under a tmpfs overlay.
mount -t proc proc /proc
mount -t devtmpfs devtmpfs /dev
while read -r m; do insmod "$m" || echo "insmod $m failed"; done < /modules
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose hostroot /lower || { echo "cannot mount the host root over 9p"; poweroff -f; }
mount -t tmpfs -o size=2g,mode=755 rw /rw
mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot || { echo "cannot mount the overlay root"; poweroff -f; }
mkdir -p /newroot/.berth-vm
cp /stage2.sh /args /newroot/.berth-vm/
umount /dev /proc
exec switch_root /newroot /bin/bash /.berth-vm/stage2.sh
INIT
chmod +x "$init/init" "$init/stage2.sh"
(cd "$init" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 > "$work/initrd"

accel=tcg
if [ -w /dev/kvm ]; then accel=kvm; fi
echo "cgroup-v2-vm: kernel $kver, accel $accel, jest $*" >&2
log=$work/console.log
set +e
timeout --foreground "${BERTH_VM_TIMEOUT:-5400}" qemu-system-x86_64 \
  -accel "$accel" -cpu max -smp "${BERTH_VM_SMP:-2}" -m "${BERTH_VM_MEM:-4G}" \
  -nographic -no-reboot -nodefaults -serial mon:stdio \
  -kernel "$kernel" -initrd "$work/initrd" \
  -append "console=ttyS0 loglevel=4 panic=-1 cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1 rdinit=/init" \
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
  | tee "$log"
qemu_rc=${PIPESTATUS[0]}
set -e
status=$(tr -d '\r' < "$log" | sed -n 's/^BERTH-VM-EXIT \([0-9][0-9]*\)$/\1/p' | tail -n 1)
if [ -z "$status" ]; then
  echo "cgroup-v2-vm: the guest did not report a result (qemu exit $qemu_rc; 124 is the timeout)" >&2
  exit 3
fi
exit "$status"

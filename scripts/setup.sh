#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine (as root) to build, run and test berth:
# the Debian packages the tests use as real components and oracles, the npm
# dependencies (which also build the native addon in sys/), and the TypeScript build.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential python3 git ca-certificates
  busybox-static   # fixture images are built from it
  runc skopeo umoci docker.io tini # reference tools, the drop-in test with dockerd + containerd, berth run --init
  golang-github-docker-docker-dev # moby's default seccomp profile (berth run's, drift test)
  docker-registry apache2-utils openssl # the distribution registry on loopback, htpasswd, test CA
  zstd tar           # zstd layers (Node 20 has no zstd)
  libc6-dev libseccomp-dev # seccomp tests: a static probe, and libseccomp as an oracle
  linux-libc-dev linux-libc-dev-arm64-cross linux-libc-dev-armhf-cross # syscall tables' sources (drift test)
  procps iptables iproute2 uidmap
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# The Debian service would hold port 5000; tests start their own registries.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active -q docker-registry 2>/dev/null; then
  systemctl disable --now docker-registry >/dev/null 2>&1 || true
fi

command -v node >/dev/null || { echo "setup: Node.js 20 is required (node not found)" >&2; exit 1; }
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' ||
  { echo "setup: Node.js >= 20 is required, found $(node --version)" >&2; exit 1; }

npm ci --no-audit --no-fund
npm run build

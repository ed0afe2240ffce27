#!/usr/bin/env bash
# The main job: what berth does today, end to end, on this machine and on loopback only.
# An image made from Debian's busybox-static is loaded into a fresh store, pushed to a real
# distribution registry on 127.0.0.1, removed, pulled back; the registry then serves as the
# docker.io mirror, so `berth pull busybox` and `berth run --rm busybox ...` work offline.
# A bundle is run under berth-runtime; then Dockerfiles are checked. Everything is undone at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
BERTH="node $PWD/engine/bin/berth.js"
RUNTIME="node $PWD/runtime/bin/berth-runtime.js"
work=$(mktemp -d /tmp/berth-demo.XXXXXX)
registry_pid=
cleanup() {
  set +e
  [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null && wait "$registry_pid" 2>/dev/null
  $RUNTIME --root "$work/run" delete --force demo >/dev/null 2>&1 || true
  # berth run unmounts its container's root itself; this catches a run killed midway.
  awk -v w="$work/" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
export BERTH_ROOT="$work/store" DOCKER_CONFIG="$work/docker"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "a busybox image as a docker save tarball (@berth/test fixtures), loaded into a fresh store"
node -e 'require("./test/dist").makeDockerSaveTarball(process.argv[1], { repository: "busybox", tag: "demo" })' "$work/busybox.tar"
$BERTH load -i "$work/busybox.tar"
$BERTH images

step "a real distribution registry on 127.0.0.1 (Debian's docker-registry)"
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
cat > "$work/registry.yml" <<YML
version: 0.1
storage: { filesystem: { rootdirectory: $work/registry } }
http: { addr: 127.0.0.1:$port }
log: { level: error }
YML
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 100); do node -e 'require("net").connect(process.argv[1],"127.0.0.1").on("connect",()=>process.exit(0)).on("error",()=>process.exit(1))' "$port" && break; sleep 0.1; done
echo "listening on 127.0.0.1:$port"

step "berth tag + push, rmi, pull back by tag"
ref="127.0.0.1:$port/demo/busybox:1"
$BERTH tag busybox:demo "$ref"
$BERTH push "$ref"
$BERTH rmi busybox:demo "$ref"
$BERTH pull "$ref"
$BERTH images --digests
$BERTH image inspect --format '{{.Id}} {{.Os}}/{{.Architecture}} Cmd={{json .Config.Cmd}}' "$ref"

step "the registry as a docker.io mirror: berth pull busybox, berth run --rm busybox"
# Seeded like a mirror of Docker Hub: library/busybox, so the short name resolves through it.
$BERTH tag "$ref" "127.0.0.1:$port/library/busybox:latest"
$BERTH push "127.0.0.1:$port/library/busybox:latest"
$BERTH rmi "$ref" "127.0.0.1:$port/library/busybox:latest"
export BERTH_REGISTRY_MIRRORS="http://127.0.0.1:$port"
$BERTH pull busybox
$BERTH run --rm --name demo-run -h berth-demo busybox \
  sh -c 'echo "hello from $(hostname) in a berth container: $(uname -s), pid $$, uid $(id -u)"'
$BERTH run --rm busybox sh -c 'exit 7' || echo "exit status passed through: $?"

step "berth-runtime (a runc drop-in) runs a busybox bundle: new pid/mount/uts/ipc/net namespaces, pivot_root"
mkdir -p "$work/bundle"
node -e 'require("./test/dist").makeBusyboxRootfs(process.argv[1])' "$work/bundle/rootfs"
(cd "$work/bundle" && $RUNTIME spec)
node -e '
const fs = require("fs"); const f = process.argv[1]; const c = JSON.parse(fs.readFileSync(f));
c.process.terminal = false;
c.process.args = ["sh", "-c", "echo \"hello from $(hostname): pid $$, $(ls /proc | grep -c \"^[0-9]\") processes visible\"; exit 3"];
fs.writeFileSync(f, JSON.stringify(c, null, 2));' "$work/bundle/config.json"
set +e
$RUNTIME --root "$work/run" run --bundle "$work/bundle" demo
echo "exit status passed through: $?"
set -e

step "berth build --check on BuildKit's corpus Dockerfiles"
$BERTH build --check ../shared/dockerfile-corpus/parser/testfiles/nginx
printf 'FROM busybox\nFORM busybox\nCOPY --from=builder /a /b\nFROM busybox AS builder\n' > "$work/Dockerfile"
$BERTH build --check "$work" || echo "(exit status $?, as docker build --check)"

step "OCI documents checked against the official schemas (@berth/spec)"
node -e '
const spec = require("./spec/dist"); const fs = require("fs"); const dir = process.argv[1];
for (const name of fs.readdirSync(dir)) {
  try { spec.runtimeConfig.parse(fs.readFileSync(`${dir}/${name}`), name); }
  catch (err) { console.log(`  refused ${name}: ${err.problems.join("; ")}`); }
}' ../shared/oci-schemas/runtime-spec-v1.3.0/test/config/bad

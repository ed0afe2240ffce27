#!/usr/bin/env bash
# The main job, for now: show what berth can do today. Grows with each piece that lands.
set -euo pipefail
cd "$(dirname "$0")/.."
SCHEMAS=../shared/oci-schemas/runtime-spec-v1.3.0/test/config

echo "== @berth/spec: OCI documents checked against the official schemas"
node -e '
const spec = require("./spec/dist");
const fs = require("node:fs");
for (const verdict of ["good", "bad"]) {
  for (const name of fs.readdirSync(`${process.argv[1]}/${verdict}`)) {
    const file = `${process.argv[1]}/${verdict}/${name}`;
    try { spec.runtimeConfig.parse(fs.readFileSync(file), name); console.log(`  ok       ${verdict}/${name}`); }
    catch (err) { console.log(`  refused  ${verdict}/${name}: ${err.problems.join("; ")}`); }
  }
}' "$SCHEMAS"

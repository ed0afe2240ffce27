// node crash-child.js ingest|unpack ROOT FILE: starts writing FILE (a blob, or a
// layer tar to unpack as a snapshot) into the store at ROOT, prints READY once
// half of it is in, and then hangs, so the test can kill -9 it mid-write.
'use strict';
const fs = require('node:fs');
const { Store } = require('./register');
const { digestOf } = require('@berth/spec');

const [mode, root, file] = process.argv.slice(2);
const data = fs.readFileSync(file);
async function* halfThenHang() {
  yield data.subarray(0, data.length >> 1);
  // the consumer asks for more only after it has written the first half
  process.stdout.write('READY\n');
  // A pending promise alone does not keep Node running: with nothing else queued the
  // process would exit 0 before the test's SIGKILL lands. A timer holds it until killed.
  setInterval(() => undefined, 60_000);
  await new Promise(() => undefined);
}
const store = new Store({ root });
const digest = digestOf(data);
const work =
  mode === 'ingest'
    ? store.content.ingest(halfThenHang(), { digest })
    : store.snapshots.ensure({ chainId: digest, diffId: digest, parent: null, layer: 'crash', open: async () => halfThenHang() });
work.catch((err) => {
  console.error(err);
  process.exit(1);
});

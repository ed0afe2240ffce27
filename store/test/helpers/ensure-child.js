// node ensure-child.js ROOT FILE: unpacks the layer tar FILE as a base snapshot in the store at ROOT.
'use strict';
const fs = require('node:fs');
const { Readable } = require('node:stream');
const { Store } = require('./register');
const { digestOf } = require('@berth/spec');

const [root, file] = process.argv.slice(2);
const data = fs.readFileSync(file);
const digest = digestOf(data);
new Store({ root }).snapshots
  .ensure({ chainId: digest, diffId: digest, parent: null, layer: file, open: async () => Readable.from([data]) })
  .then(
    (r) => {
      process.stdout.write(r.unpacked ? 'unpacked\n' : 'reused\n');
      process.exit(0);
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );

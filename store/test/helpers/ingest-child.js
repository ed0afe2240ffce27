// node ingest-child.js ROOT FILE DIGEST: ingests FILE into the store at ROOT.
'use strict';
const fs = require('node:fs');
const { ContentStore, StoreLayout } = require('./register');

const [root, file, digest] = process.argv.slice(2);
new ContentStore(new StoreLayout(root))
  .ingest(fs.createReadStream(file, { highWaterMark: 64 * 1024 }), { digest })
  .then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );

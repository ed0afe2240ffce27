// node lock-child.js LOCK COUNTER N: N times, under the lock, reads COUNTER,
// yields to the event loop, and writes it back plus one. Without mutual
// exclusion between processes, increments get lost.
'use strict';
const fs = require('node:fs/promises');
const { withLock } = require('./register');

const [lock, counter, n] = process.argv.slice(2);
(async () => {
  for (let i = 0; i < Number(n); i++) {
    await withLock(lock, async () => {
      const value = Number(await fs.readFile(counter, 'utf8'));
      await new Promise((resolve) => setImmediate(resolve));
      await fs.writeFile(counter, String(value + 1));
    });
  }
})().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

/*
 * Start-up cost guard: `berth run` imports the store (snapshots → unpack → decompress, sync)
 * but never decompresses zstd or syncs a tree, so node:child_process (and node:net under it,
 * ~7-10 ms to load here) must not load with those modules. The mock throws on load.
 */
jest.mock('node:child_process', () => {
  throw new Error('node:child_process loaded');
});

test('the store index, decompress and sync load without node:child_process', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const decompress = require('../src/decompress') as typeof import('../src/decompress');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sync = require('../src/sync') as typeof import('../src/sync');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const store = require('../src') as typeof import('../src');
  expect(typeof decompress.gunzipStream).toBe('function');
  expect(typeof sync.syncTrees).toBe('function');
  expect(typeof store.Store).toBe('function');
});

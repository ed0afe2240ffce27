/*
 * Start-up cost guard: `berth run` with the in-process runtime starts its container through
 * the addon, so node:child_process (and node:net under it, ~7-10 ms to load here) must not
 * load with the modules on that path; only --runtime runc, a volume with image content to
 * copy and an OCI hook need it, and they load it when used. The mock throws on load.
 */
jest.mock('node:child_process', () => {
  throw new Error('node:child_process loaded');
});

test('the run executors, image volumes and the runtime hooks load without node:child_process', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const exec = require('../../src/run/exec') as typeof import('../../src/run/exec');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const volumes = require('../../src/run/volumes') as typeof import('../../src/run/volumes');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const hooks = require('../../../runtime/src/hooks') as typeof import('../../../runtime/src/hooks');
  expect(typeof exec.inProcessExecutor).toBe('function');
  expect(typeof volumes.prepareImageVolumes).toBe('function');
  expect(typeof hooks.runHooks).toBe('function');
  // the mock is live: the runc executor loads it when made
  expect(() => exec.binaryExecutor('runc', '/nonexistent', '/nonexistent/log')).toThrow('node:child_process loaded');
});

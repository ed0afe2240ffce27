import * as fs from 'node:fs';
import type { RuntimeTypes } from '@berth/spec';
import { detectLayout, type CgroupLayout } from '../../src/cgroups/detect';
import { removeContainerCgroup } from '../../src/cgroups/cleanup';
import { planContainerCgroup } from '../../src/cgroups/container';
import { leftovers, removeParent, testParent } from './real-helpers';

/*
 * Start-up cost guard for the in-process runtime of `berth run`: on a v1 or hybrid
 * host, creating, limiting and removing a container's cgroup loads none of the
 * cgroup2 modules (unless the config sets cgroup2 limits) and no stats code.
 * The mocks throw if anything requires them.
 */
jest.mock('../../src/cgroups/v2/create', () => {
  throw new Error('v2/create loaded');
});
jest.mock('../../src/cgroups/v2/set', () => {
  throw new Error('v2/set loaded');
});
jest.mock('../../src/cgroups/v2/stats', () => {
  throw new Error('v2/stats loaded');
});
jest.mock('../../src/cgroups/v1/stats', () => {
  throw new Error('v1/stats loaded');
});

const layout: CgroupLayout | undefined = (() => {
  try {
    return detectLayout();
  } catch {
    return undefined;
  }
})();
const skip = process.getuid?.() !== 0 ? 'not root' : layout === undefined || layout.mode === 'v2' ? 'no cgroup v1 hierarchies' : undefined;
const parent = testParent();

afterAll(() => {
  if (skip === undefined && layout !== undefined) removeParent(layout, parent);
});

test('a container cgroup on a v1/hybrid host is created, limited and removed without the cgroup2 or stats modules', async () => {
  if (skip !== undefined || layout === undefined) {
    console.log(`skipped: ${skip}`);
    return;
  }
  const config = {
    ociVersion: '1.0.2',
    linux: { cgroupsPath: `${parent}/lazy`, resources: { memory: { limit: 64 << 20 }, pids: { limit: 50 } } },
  } as RuntimeTypes.Spec;
  const m = await planContainerCgroup(config, { id: 'lazy' }).setUp();
  const paths = m.paths();
  expect(fs.readFileSync(`${paths.memory as string}/memory.limit_in_bytes`, 'utf8').trim()).toBe(String(64 << 20));
  expect(fs.readFileSync(`${paths.pids as string}/pids.max`, 'utf8').trim()).toBe('50');
  // the mocks are live: stats would load them
  expect(() => m.stats()).toThrow(/v1\/stats loaded/);
  await removeContainerCgroup(paths);
  for (const dir of Object.values(paths)) expect(fs.existsSync(dir)).toBe(false);
  removeParent(layout, parent);
  expect(leftovers(layout, parent)).toEqual([]);
});

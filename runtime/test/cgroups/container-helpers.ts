import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Spec } from '@berth/spec';
import { detectLayout, type CgroupLayout } from '../../src/cgroups';
import { Scratch, berth } from '../helpers/bundle';
import { removeParent, testParent } from './real-helpers';

/*
 * For the suites that run real containers with cgroup limits: every test
 * container goes below one parent cgroup that afterAll removes.
 */

export const layout: CgroupLayout | undefined = (() => {
  try {
    return detectLayout();
  } catch {
    return undefined;
  }
})();

/** Why the v1 container suites cannot run here, or undefined. */
export const v1Skip: string | undefined =
  process.getuid?.() !== 0 ? 'not root' :
  layout === undefined || layout.mode === 'v2' ? `this host has no cgroup v1 controllers (${layout?.mode ?? 'no cgroups'})` :
  !['memory', 'pids', 'freezer', 'cpu', 'devices'].every((c) => layout.v1.has(c)) ? 'memory, pids, freezer, cpu or devices controller not mounted' :
  undefined;

export class TestCgroups {
  readonly parent = testParent();

  /** Sets the bundle's cgroupsPath below the test parent. */
  place(spec: Spec, id: string): void {
    spec.linux = { ...spec.linux, cgroupsPath: `${this.parent}/${id}` };
  }

  /** The container's directory in a v1 hierarchy (by controller), or in cgroup2 with "". */
  dir(controller: string, id: string): string {
    const mount = controller === '' ? layout?.unified : layout?.v1.get(controller);
    if (mount === undefined) throw new Error(`no ${controller || 'cgroup2'} hierarchy`);
    return path.join(mount, this.parent, id);
  }

  /** Every directory of the container's cgroup that still exists (none after delete). */
  left(id: string): string[] {
    if (layout === undefined) return [];
    const mounts = new Set([...layout.v1.values(), ...(layout.unified === undefined ? [] : [layout.unified])]);
    return [...mounts].map((m) => path.join(m, this.parent, id)).filter((d) => fs.existsSync(d));
  }

  read(controller: string, id: string, file: string): string {
    return fs.readFileSync(path.join(this.dir(controller, id), file), 'utf8').trim();
  }

  remove(): void {
    if (layout !== undefined) removeParent(layout, this.parent);
  }
}

/** Adds resources to a bundle's spec (keeping the default device rules). */
export function withResources(spec: Spec, resources: NonNullable<NonNullable<Spec['linux']>['resources']>): void {
  spec.linux = { ...spec.linux, resources: { ...spec.linux?.resources, ...resources } };
}

export const MiB = 1024 * 1024;

/**
 * The set-up the v1 container suites share: a scratch dir and state root, containers
 * force-deleted after each test, the test cgroups and scratch removed at the end.
 * `ready` receives the scratch once it exists. Returns the describe to use (skipped,
 * with the reason printed, where v1 controllers are missing) and the test cgroups.
 */
export function v1ContainerSuite(name: string, ready: (s: Scratch) => void): { describeV1: jest.Describe; cg: TestCgroups } {
  if (v1Skip !== undefined) console.log(`${name} suite skipped: ${v1Skip}`);
  const cg = new TestCgroups();
  let scratch: Scratch | undefined;
  beforeAll(async () => {
    scratch = await Scratch.create();
    ready(scratch);
  });
  afterEach(async () => {
    const root = scratch?.stateRoot;
    for (const id of root && fs.existsSync(root) ? fs.readdirSync(root) : []) await berth(root!, ['delete', '--force', id]);
  });
  afterAll(() => {
    cg.remove();
    scratch?.remove();
  });
  return { describeV1: v1Skip === undefined ? describe : describe.skip, cg };
}

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Scratch, berth, runc } from './helpers/bundle';

/*
 * linux.rootfsPropagation (the schema's four values and the r-forms runc and Docker use): / is
 * made rslave, or as asked, before the rootfs is bound; the rootfs's parent mount is made
 * private if shared (pivot_root refuses a shared parent); the asked propagation is applied to
 * the new root once it is set up. Compared with runc through findmnt's PROPAGATION column of
 * the running container. The installed runc (1.1.5) still has runc#1755: it leaves the root
 * private for shared/rshared and fails for unbindable/runbindable, which runc >= 1.2.x (#4724)
 * fixed as berth does; for those values berth's table is checked on its own.
 */

let s: Scratch;
beforeAll(async () => {
  s = await Scratch.create();
});
afterAll(() => s.remove());

type Tool = 'runc' | 'berth';
const call = (tool: Tool, args: string[]) => (tool === 'runc' ? runc(path.join(s.dir, 'runc-state'), args) : berth(s.stateRoot, args));

/** Runs `args` detached under `tool` with the given propagation; returns the init pid and the id. */
async function started(tool: Tool, id: string, propagation: string, args: string[], caps: string[] = []): Promise<number> {
  const bundle = s.bundle(args, (spec) => {
    spec.linux!.rootfsPropagation = propagation as NonNullable<typeof spec.linux>['rootfsPropagation'];
    const c = spec.process!.capabilities!;
    for (const set of ['bounding', 'effective', 'permitted'] as const) c[set] = [...(c[set] ?? []), ...caps];
  });
  const r = await call(tool, ['run', '-d', '--bundle', bundle, id]);
  if (r.code !== 0) throw new Error(`${tool} run ${id}: ${r.stderr}`);
  const state = JSON.parse((await call(tool, ['state', id])).stdout) as { pid: number };
  return state.pid;
}

/** findmnt's TARGET -> PROPAGATION for every mount the process sees. */
function propagationTable(pid: number): Record<string, string> {
  const out = execFileSync('findmnt', ['-N', String(pid), '-n', '-l', '-o', 'TARGET,PROPAGATION'], { encoding: 'utf8' });
  return Object.fromEntries(out.trim().split('\n').map((l) => l.trim().split(/\s+/) as [string, string]));
}

async function tableUnder(tool: Tool, propagation: string): Promise<Record<string, string>> {
  const id = `prop-${propagation}-${tool}-${process.pid}`;
  try {
    return propagationTable(await started(tool, id, propagation, ['sleep', '1000']));
  } finally {
    await call(tool, ['delete', '--force', id]);
  }
}

/** The entries of `t` for the mount points both tables have (berth and runc mount the same spec). */
const common = (t: Record<string, string>, other: Record<string, string>) => Object.fromEntries(Object.entries(t).filter(([k]) => k in other));

describe('rootfsPropagation: findmnt inside the container', () => {
  test.each(['private', 'rprivate', 'slave', 'rslave'])('%s: the same table as runc', async (propagation) => {
    const want = await tableUnder('runc', propagation);
    const got = await tableUnder('berth', propagation);
    expect(Object.keys(common(got, want)).length).toBeGreaterThan(5);
    expect(common(got, want)).toEqual(common(want, got));
    expect(got['/']).toBe(want['/']);
  });

  test.each([
    ['shared', 'shared', false],
    ['rshared', 'shared', true],
    ['unbindable', 'private,unbindable', false],
    ['runbindable', 'private,unbindable', true],
  ])('%s: the new root is %s (recursive: %s), as runc >= 1.2.x', async (propagation, rootWant, recursive) => {
    const got = await tableUnder('berth', propagation);
    expect(got['/']).toBe(rootWant);
    expect(got['/proc']).toBe(recursive ? rootWant : 'private');
    for (const [target, p] of Object.entries(got)) if (recursive) expect(`${target} ${p}`).toBe(`${target} ${rootWant}`);
  });

  test('an unknown value names the field', async () => {
    const bundle = s.bundle(['true'], (spec) => {
      (spec.linux as Record<string, unknown>).rootfsPropagation = 'rsideways';
    });
    const r = await berth(s.stateRoot, ['run', '--bundle', bundle, `prop-bad-${process.pid}`]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('$.linux.rootfsPropagation');
  });
});

/**
 * A second mount namespace fed by the container's: a process in the container unshares its
 * mount namespace with slave propagation (the copy of a shared mount becomes its slave; busybox's
 * "unchanged" is broken). A tmpfs mounted on /tmp in the container's own namespace then shows in
 * the other one only if / is shared.
 */
async function peerSees(tool: Tool, propagation: string): Promise<boolean> {
  const id = `peer-${propagation}-${tool}-${process.pid}`;
  try {
    const init = await started(tool, id, propagation,
      ['sh', '-c', 'unshare -m --propagation slave sleep 1000 & exec sleep 1000'], ['CAP_SYS_ADMIN']);
    const ownNs = fs.readlinkSync(`/proc/${init}/ns/mnt`);
    // The peer: the container's process in another mount namespace (polled: it starts in the background).
    let peer: number | undefined;
    for (let i = 0; i < 500 && peer === undefined; i++) {
      for (const child of fs.readFileSync(`/proc/${init}/task/${init}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)) {
        try {
          if (fs.readlinkSync(`/proc/${child}/ns/mnt`) !== ownNs && fs.readFileSync(`/proc/${child}/comm`, 'utf8').trim() === 'sleep') peer = child;
        } catch {
          // not there yet
        }
      }
      if (peer === undefined) await new Promise((r) => setTimeout(r, 10));
    }
    if (peer === undefined) throw new Error(`${tool}: the peer never unshared its mount namespace`);
    execFileSync('nsenter', ['-t', String(init), '-m', '--', '/bin/busybox', 'mount', '-t', 'tmpfs', 'peer-probe', '/tmp']);
    return fs.readFileSync(`/proc/${peer}/mountinfo`, 'utf8').includes(' peer-probe ');
  } finally {
    await call(tool, ['delete', '--force', id]);
  }
}

describe('rootfsPropagation: a mount in the container reaches a namespace that receives from it', () => {
  test('shared: seen; private and rslave: not seen, as runc', async () => {
    expect(await peerSees('berth', 'shared')).toBe(true);
    expect(await peerSees('berth', 'rshared')).toBe(true);
    for (const p of ['private', 'rslave']) expect(`${p} ${await peerSees('berth', p)}`).toBe(`${p} ${await peerSees('runc', p)}`);
    expect(await peerSees('berth', 'private')).toBe(false);
  });
});

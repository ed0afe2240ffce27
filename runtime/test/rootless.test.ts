import { spawnSync } from 'node:child_process';
import type { Spec } from '@berth/spec';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI_ENTRY, Scratch, exec, uniqueId, waitExit, type Result } from './helpers/bundle';

/*
 * A `spec --rootless` bundle run by an unprivileged user, as runc runs it: the
 * test runs as root and spawns the CLI as `nobody`, with XDG_RUNTIME_DIR set
 * and no --root (the default is then $XDG_RUNTIME_DIR/berth-runtime).
 */

const USER = spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' });
const UID = Number(USER.stdout.trim());
const GID = Number(spawnSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).stdout.trim());
const HAVE_RUNC = spawnSync('runc', ['--version']).status === 0;

let s: Scratch;
/** Owned by the user: bundles, XDG_RUNTIME_DIR, TMPDIR (the CLI entry's swc cache). */
let home: string;
let xdg: string;
let n = 0;

beforeAll(async () => {
  s = await Scratch.create();
  // The user must reach the rootfs (read-only) and own everything it writes.
  fs.chmodSync(s.dir, 0o711);
  home = path.join(s.dir, 'home');
  xdg = path.join(home, 'xdg');
  for (const d of [home, xdg, path.join(home, 'tmp')]) {
    fs.mkdirSync(d, { mode: 0o700 });
    fs.chownSync(d, UID, GID);
  }
});
afterAll(() => s.remove());

const env = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, XDG_RUNTIME_DIR: xdg, TMPDIR: path.join(home, 'tmp'), HOME: home });

/** berth-runtime (from source) as the user, without --root unless given. */
function berthAs(args: string[], cwd: string): Promise<Result> {
  return exec(process.execPath, [CLI_ENTRY, ...args], { uid: UID, gid: GID, env: env(), cwd });
}

function runcAs(args: string[], cwd: string): Promise<Result> {
  return exec('runc', ['--root', path.join(xdg, 'runc'), ...args], { uid: UID, gid: GID, env: env(), cwd });
}

/** A user-owned bundle dir with `spec --rootless`'s config, pointed at the shared rootfs and running `args`. */
async function rootlessBundle(spec: (args: string[], cwd: string) => Promise<Result>, args: string[], edit: (c: Spec) => void = () => undefined): Promise<string> {
  const dir = path.join(home, `bundle-${++n}`);
  fs.mkdirSync(dir);
  fs.chownSync(dir, UID, GID);
  const r = await spec(['spec', '--rootless'], dir);
  expect(r).toMatchObject({ code: 0, stderr: '' });
  const file = path.join(dir, 'config.json');
  const config = JSON.parse(fs.readFileSync(file, 'utf8')) as Spec;
  config.root!.path = s.rootfs;
  config.process!.terminal = false;
  config.process!.args = args;
  edit(config);
  fs.writeFileSync(file, JSON.stringify(config));
  return dir;
}

/** The cgroup dirs a container `id` would have under /berth on each mounted hierarchy. */
function cgroupDirsOf(id: string): string[] {
  return fs.readdirSync('/sys/fs/cgroup').map((c) => path.join('/sys/fs/cgroup', c, 'berth', id)).filter((d) => fs.existsSync(d));
}

describe('rootless (a non-root caller)', () => {
  beforeAll(() => expect(UID).toBeGreaterThan(0));

  test('spec --rootless + run: root in its user namespace, exit status passed on, no cgroup and no state left', async () => {
    const bundle = await rootlessBundle(berthAs, ['sh', '-c', 'id; exit 3']);
    const id = uniqueId('rootless-run');
    const r = await berthAs(['run', id], bundle);
    // No supplementary groups: setgroups is denied in a namespace an unprivileged runtime maps.
    expect(r.stdout).toMatch(/^uid=0\(root\) gid=0\(root\)/);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/level=warning msg="rootless: cannot create cgroup .*permission denied/);
    expect(fs.readdirSync(path.join(xdg, 'berth-runtime'))).toEqual([]);
    expect(cgroupDirsOf(id)).toEqual([]);
    if (HAVE_RUNC) {
      const rc = await runcAs(['run', uniqueId('rootless-runc')], await rootlessBundle(runcAs, ['sh', '-c', 'id; exit 3']));
      expect({ code: rc.code, stdout: rc.stdout }).toEqual({ code: r.code, stdout: r.stdout });
    }
  }, 120_000);

  test('create/start/state/kill/delete under $XDG_RUNTIME_DIR/berth-runtime leave nothing behind', async () => {
    const bundle = await rootlessBundle(berthAs, ['sleep', '1000']);
    const id = uniqueId('rootless-life');
    const stateRoot = path.join(xdg, 'berth-runtime');
    expect((await berthAs(['create', id], bundle)).code).toBe(0);
    expect(fs.statSync(path.join(stateRoot, id)).uid).toBe(UID);
    const created = JSON.parse((await berthAs(['state', id], bundle)).stdout);
    expect(created).toMatchObject({ id, status: 'created', bundle });
    const pid = created.pid as number;
    // The init runs as the user on the host, root in its own user namespace.
    expect(/^Uid:\s*(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]).toBe(String(UID));
    expect(fs.readFileSync(`/proc/${pid}/uid_map`, 'utf8').trim().split(/\s+/)).toEqual(['0', String(UID), '1']);
    expect((await berthAs(['start', id], bundle)).code).toBe(0);
    expect(JSON.parse((await berthAs(['state', id], bundle)).stdout).status).toBe('running');
    // list names the owner of the state dir, as runc's does.
    expect(JSON.parse((await berthAs(['list', '-f', 'json'], bundle)).stdout)).toEqual([expect.objectContaining({ id, status: 'running', owner: 'nobody' })]);
    expect((await berthAs(['kill', id, 'KILL'], bundle)).code).toBe(0);
    // delete --force waits for the init to be gone; a plain delete of a running one is refused.
    const del = await berthAs(['delete', '--force', id], bundle);
    expect(del).toMatchObject({ code: 0, stderr: '' });
    expect(waitExit(pid)).toBe(true);
    expect(fs.readdirSync(stateRoot)).toEqual([]);
    expect(cgroupDirsOf(id)).toEqual([]);
  }, 120_000);

  test('with limits set, a cgroup it cannot create is an error naming it, and nothing is left', async () => {
    const bundle = await rootlessBundle(berthAs, ['true'], (c) => {
      c.linux!.resources = { pids: { limit: 10 } };
    });
    const id = uniqueId('rootless-limits');
    const r = await berthAs(['run', id], bundle);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`cannot create cgroup /sys/fs/cgroup/[^ ]*/berth/${id}: EACCES`));
    expect(fs.readdirSync(path.join(xdg, 'berth-runtime'))).toEqual([]);
    expect(cgroupDirsOf(id)).toEqual([]);
  }, 120_000);
});

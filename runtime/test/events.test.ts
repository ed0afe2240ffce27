import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI_ENTRY, Scratch, berth, runc } from './helpers/bundle';
import { MiB, TestCgroups, v1Skip, withResources } from './cgroups/container-helpers';

/* `events`: runc's JSON lines, stats and OOM kills. */

const describeV1 = v1Skip === undefined ? describe : describe.skip;
if (v1Skip !== undefined) console.log(`events suite skipped: ${v1Skip}`);
const haveRunc = fs.existsSync('/usr/sbin/runc') || fs.existsSync('/usr/bin/runc');

let s: Scratch;
let root: string;
let runcRoot: string;
const cg = new TestCgroups();

beforeAll(async () => {
  s = await Scratch.create();
  root = s.stateRoot;
  runcRoot = path.join(s.dir, 'runc-state');
});
afterEach(async () => {
  for (const id of fs.existsSync(root) ? fs.readdirSync(root) : []) await berth(root, ['delete', '--force', id]);
  for (const id of fs.existsSync(runcRoot) ? fs.readdirSync(runcRoot) : []) await runc(runcRoot, ['delete', '--force', id]);
});
afterAll(() => {
  cg.remove();
  s.remove();
});

/** Every key path of a JSON value ("data.memory.usage.limit"); memory.raw's keys are the kernel's memory.stat. */
function keyPaths(v: unknown, at = ''): string[] {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return [];
  return Object.entries(v).flatMap(([k, x]) => [`${at}${k}`, ...keyPaths(x, `${at}${k}.`)]).sort();
}

describeV1('events', () => {
  (haveRunc ? test : test.skip)('--stats prints one line with the keys runc prints for the same bundle', async () => {
    const bundle = s.bundle(['sleep', '1000'], (spec) => {
      cg.place(spec, 'st');
      withResources(spec, { memory: { limit: 48 * MiB }, pids: { limit: 20 } });
    });
    expect((await berth(root, ['run', '-d', '--bundle', bundle, 'st'])).code).toBe(0);
    // runc gets its own cgroup next to ours.
    const config = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8')) as { linux: { cgroupsPath: string } };
    config.linux.cgroupsPath = `${cg.parent}/st-runc`;
    const runcBundle = path.join(s.dir, 'runc-bundle');
    fs.mkdirSync(runcBundle);
    fs.writeFileSync(path.join(runcBundle, 'config.json'), JSON.stringify(config));
    expect((await runc(runcRoot, ['run', '-d', '--bundle', runcBundle, 'st'])).code).toBe(0);

    const ours = await berth(root, ['events', '--stats', 'st']);
    const theirs = await runc(runcRoot, ['events', '--stats', 'st']);
    expect(ours.code).toBe(0);
    const lines = ours.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const a = JSON.parse(lines[0] as string) as { type: string; id: string; data: { memory: { usage: { limit: number } }; pids: { current: number } } };
    const b = JSON.parse(theirs.stdout) as typeof a;
    expect(a).toMatchObject({ type: 'stats', id: 'st', data: { memory: { usage: { limit: 48 * MiB } }, pids: { current: 1 } } });
    expect(b.data.memory.usage.limit).toBe(48 * MiB);
    // Counters differ between two processes; the shape may only differ where runc omits zero values.
    const zeroOmitted = /^data\.cpu\.throttling\./;
    expect(keyPaths(a).filter((k) => !zeroOmitted.test(k))).toEqual(keyPaths(b).filter((k) => !zeroOmitted.test(k)));
  });

  test('an OOM kill is reported as an "oom" line after the first stats line; events ends when the container stops', async () => {
    const bundle = s.bundle(['tail', '/dev/zero'], (spec) => {
      cg.place(spec, 'oom');
      withResources(spec, { memory: { limit: 16 * MiB } });
    });
    expect((await berth(root, ['create', '--bundle', bundle, 'oom'])).code).toBe(0);
    const events = spawn(process.execPath, [CLI_ENTRY, '--root', root, 'events', '--interval', '50ms', 'oom'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    events.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => events.on('exit', (code) => resolve(code)));
    // Its first stats line says events is watching: only then may the container run.
    await new Promise<void>((resolve) => events.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('\n')) resolve();
    }));
    expect((await berth(root, ['start', 'oom'])).code).toBe(0);
    const code = await exited;
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; id: string });
    expect(lines).toContainEqual({ type: 'oom', id: 'oom' });
    expect(lines[0]).toMatchObject({ type: 'stats', id: 'oom' });
    expect(cg.read('memory', 'oom', 'memory.oom_control')).toMatch(/oom_kill 1/);
    const stopped = await berth(root, ['events', '--stats', 'oom']);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toContain('container with id oom is not running');
  });

  test('a bad --interval is refused naming the flag', async () => {
    const bundle = s.bundle(['sleep', '1000'], (spec) => cg.place(spec, 'iv'));
    expect((await berth(root, ['create', '--bundle', bundle, 'iv'])).code).toBe(0);
    const r = await berth(root, ['events', '--interval', '5 seconds', 'iv']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--interval: invalid duration');
  });
});

/**
 * OCI hooks on real busybox containers: the order of the six stages, the
 * mount namespace each runs in, the state on stdin (compared with runc's for
 * the same bundle), args and env, timeouts and each failure semantic.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Spec } from '@berth/spec';
import { Scratch, berth, runc, uniqueId, waitExit, type Result } from './helpers/bundle';

type Hook = NonNullable<NonNullable<Spec['hooks']>['prestart']>[number];

let s: Scratch;
let hookScript: string;
const HOST_MNT = fs.readlinkSync('/proc/self/ns/mnt');
const cleanups: (() => Promise<unknown>)[] = [];

/*
 * One line per call: stage|mount ns|cwd|$0|args|env (sorted, without the PWD the shell adds)|
 * whether the container's /dev (a tmpfs only its mount namespace has) is in view.
 * The state on stdin goes to OUT/<stage>.json.
 */
const RECORD = `stage=$1 out=$2 rootfs=$3
cat > "$out/$stage.json"
dev=no; [ -c "$rootfs/dev/null" ] && dev=yes
echo "$stage|$(readlink /proc/self/ns/mnt)|$(pwd)|$0|$*|$(env | grep -v '^PWD=' | sort | tr '\\n' ' ')|$dev" >> "$out/order"
`;

beforeAll(async () => {
  s = await Scratch.create();
  hookScript = path.join(s.dir, 'record-hook');
  fs.writeFileSync(hookScript, `#!/bin/sh\n${RECORD}`, { mode: 0o755 });
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(() => s.remove());

let outs = 0;
function outDir(): string {
  const dir = path.join(s.dir, `out-${++outs}`);
  fs.mkdirSync(dir);
  return dir;
}

/** A host hook that records itself (see RECORD). */
function recordHook(stage: string, out: string): Hook {
  return { path: hookScript, args: ['record-hook', stage, out, s.rootfs, 'two words'], env: ['HOOK_ENV=yes'] };
}

/** startContainer resolves in the container: busybox sh records into the bind-mounted /out. */
function containerRecordHook(stage: string): Hook {
  return { path: '/bin/sh', args: ['sh', '-c', RECORD, 'sh', stage, '/out', '/'], env: ['HOOK_ENV=yes'] };
}

/** A bundle whose process waits, with /out bound to `out` and every stage recording itself. */
function allStagesBundle(out: string, edit: (spec: Spec) => void = () => undefined): string {
  return s.bundle(['sh', '-c', 'echo "user|$(readlink /proc/self/ns/mnt)" >> /out/order; exec sleep 1000'], (spec) => {
    spec.mounts!.push({ destination: '/out', type: 'bind', source: out, options: ['rbind', 'rw'] });
    spec.annotations = { 'org.example.hooks': 'yes', 'org.example.n': '2' };
    spec.hooks = {
      prestart: [recordHook('prestart', out)],
      createRuntime: [recordHook('createRuntime', out)],
      createContainer: [recordHook('createContainer', out)],
      startContainer: [containerRecordHook('startContainer')],
      poststart: [recordHook('poststart', out)],
      poststop: [recordHook('poststop', out)],
    };
    edit(spec);
  });
}

interface Line {
  stage: string;
  mnt: string;
  cwd: string;
  argv0: string;
  args: string;
  env: string;
  dev: string;
}

function lines(out: string): Line[] {
  if (!fs.existsSync(path.join(out, 'order'))) return [];
  return fs
    .readFileSync(path.join(out, 'order'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const [stage, mnt, cwd, argv0, args, env, dev] = l.split('|');
      return { stage, mnt, cwd, argv0, args, env: env?.trim(), dev };
    });
}

function stateOf(out: string, stage: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(out, `${stage}.json`), 'utf8')) as Record<string, unknown>;
}

type Tool = (root: string, args: string[]) => Promise<Result>;

/** create, start, kill, delete with one tool; returns the container's host pid. */
async function lifecycle(tool: Tool, root: string, id: string, bundle: string): Promise<number> {
  const pidFile = path.join(s.dir, `${id}-${path.basename(root)}.pid`);
  const created = await tool(root, ['create', '--bundle', bundle, '--pid-file', pidFile, id]);
  expect(created.stderr).toBe('');
  expect(created.code).toBe(0);
  const pid = Number(fs.readFileSync(pidFile, 'utf8'));
  expect((await tool(root, ['start', id])).code).toBe(0);
  expect((await tool(root, ['kill', id, 'KILL'])).code).toBe(0);
  expect(waitExit(pid)).toBe(true);
  const deleted = await tool(root, ['delete', id]);
  expect(deleted.stderr).toBe('');
  expect(deleted.code).toBe(0);
  return pid;
}

/** Pids whose command line contains `text`. */
function processesWith(text: string): number[] {
  return fs.readdirSync('/proc').filter((name) => {
    if (!/^\d+$/.test(name)) return false;
    try {
      return fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(text);
    } catch {
      return false;
    }
  }).map(Number);
}

function track(root: string, id: string, tool: Tool = berth): void {
  cleanups.push(() => tool(root, ['delete', '--force', id]));
}

describe('hooks', () => {
  test('all six stages run in order, each in the namespace the spec gives, with the state on stdin, args and env', async () => {
    const id = uniqueId('h1');
    const out = outDir();
    const argvHook = (stage: string): Hook => ({ path: '/bin/sh', args: ['my-argv0', '-c', `echo "$0 $1" > ${out}/argv-${stage}`] });
    const bundle = allStagesBundle(out, (spec) => {
      spec.hooks!.prestart!.push(argvHook('prestart'));
      spec.hooks!.createContainer!.push(argvHook('createContainer'));
    });
    const root = path.join(s.dir, 'state-order');
    track(root, id);
    const pidFile = path.join(s.dir, 'h1.pid');
    const created = await berth(root, ['create', '--bundle', bundle, '--pid-file', pidFile, id]);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    const containerMnt = fs.readlinkSync(`/proc/${pid}/ns/mnt`);
    expect(containerMnt).not.toBe(HOST_MNT);
    expect(lines(out).map((l) => l.stage)).toEqual(['prestart', 'createRuntime', 'createContainer']);

    expect((await berth(root, ['start', id])).code).toBe(0);
    // poststart has run when start returns: after the user process was started
    const afterStart = lines(out).map((l) => l.stage);
    expect(afterStart.slice(0, 4)).toEqual(['prestart', 'createRuntime', 'createContainer', 'startContainer']);
    expect(afterStart).toContain('poststart');
    expect(lines(out).find((l) => l.stage.startsWith('user'))).toBeDefined();

    expect((await berth(root, ['kill', id, 'KILL'])).code).toBe(0);
    expect(waitExit(pid)).toBe(true);
    expect(fs.existsSync(path.join(out, 'poststop.json'))).toBe(false);
    const deleted = await berth(root, ['delete', id]);
    expect(deleted.code).toBe(0);
    expect(lines(out).at(-1)?.stage).toBe('poststop');

    const byStage = Object.fromEntries(lines(out).map((l) => [l.stage, l]));
    // the runtime's namespace: prestart, createRuntime, poststart, poststop; cwd the runtime's, as
    // runc (which is in the bundle during create)
    for (const stage of ['prestart', 'createRuntime', 'poststart', 'poststop']) {
      expect(byStage[stage]).toMatchObject({ mnt: HOST_MNT, cwd: ['prestart', 'createRuntime'].includes(stage) ? bundle : process.cwd(), dev: 'no' });
    }
    // createContainer: the container's mount namespace before pivot_root, cwd the rootfs
    expect(byStage.createContainer).toMatchObject({ mnt: containerMnt, cwd: s.rootfs, dev: 'yes' });
    // startContainer: inside the container, after pivot_root, in the process's cwd
    expect(byStage.startContainer).toMatchObject({ mnt: containerMnt, cwd: '/' });
    for (const stage of ['prestart', 'createRuntime', 'createContainer', 'poststart', 'poststop']) {
      expect(byStage[stage]).toMatchObject({ argv0: hookScript, args: `${stage} ${out} ${s.rootfs} two words`, env: 'HOOK_ENV=yes' });
    }
    // exactly the hook's env (busybox sh adds only its own SHLVL and PATH default)
    expect(byStage.startContainer.env.split(' ')).toContain('HOOK_ENV=yes');
    expect(byStage.startContainer.env).not.toContain('HOME=');

    const base = { ociVersion: '1.3.0', id, bundle, annotations: { 'org.example.hooks': 'yes', 'org.example.n': '2' } };
    expect(stateOf(out, 'prestart')).toEqual({ ...base, status: 'creating', pid });
    expect(stateOf(out, 'createRuntime')).toEqual({ ...base, status: 'creating', pid });
    // in the container's pid namespace, the process is pid 1 (what runc sends these two stages)
    expect(stateOf(out, 'createContainer')).toEqual({ ...base, status: 'creating', pid: 1 });
    expect(stateOf(out, 'startContainer')).toEqual({ ...base, status: 'created', pid: 1 });
    expect(stateOf(out, 'poststart')).toEqual({ ...base, status: 'running', pid });
    expect(stateOf(out, 'poststop')).toEqual({ ...base, status: 'stopped' });
    // argv[0] is the hook's args[0], in the runtime and in berth-init (sh -c without a name: $0 is argv[0])
    expect(fs.readFileSync(path.join(out, 'argv-prestart'), 'utf8')).toBe('my-argv0 \n');
    expect(fs.readFileSync(path.join(out, 'argv-createContainer'), 'utf8')).toBe('my-argv0 \n');
  });

  test('differential: runc and berth-runtime give the hooks the same order, namespaces, args, env and state', async () => {
    // Host pids, bundle and output paths differ between the two runs; namespaces are named by role.
    const normalise = (out: string, pid: number, bundle: string) => {
      const ls = lines(out).filter((l) => !l.stage.startsWith('user'));
      const containerMnt = ls.find((l) => l.stage === 'createContainer')?.mnt;
      const order = ls.map((l) => ({
        ...l,
        mnt: l.mnt === HOST_MNT ? 'host' : l.mnt === containerMnt ? 'container' : l.mnt,
        cwd: l.cwd === bundle ? 'BUNDLE' : l.cwd,
        args: l.args.replace(out, 'OUT'),
      }));
      const states = Object.fromEntries(
        order.map((l) => {
          const st = stateOf(out, l.stage);
          return [l.stage, { ...st, ociVersion: 'any', bundle: st.bundle === bundle ? 'BUNDLE' : st.bundle, ...(st.pid === pid ? { pid: 'host pid' } : {}) }];
        }),
      );
      return { order, states };
    };
    const runOnce = async (tool: Tool, name: string) => {
      const out = outDir();
      const root = path.join(s.dir, `state-diff-${name}`);
      const id = uniqueId('hd'); // the same for both tools: the hooks' states are compared
      track(root, id, tool);
      const bundle = allStagesBundle(out);
      const pid = await lifecycle(tool, root, id, bundle);
      return normalise(out, pid, bundle);
    };
    const ours = await runOnce(berth, 'berth');
    const theirs = await runOnce(runc, 'runc');

    // runc 1.1 runs poststart at the end of create (status "created"); runtime-spec v1.3.0
    // runs it after the user process started, before start returns: berth does that.
    const withoutPoststart = (r: typeof ours) => ({ order: r.order.filter((l) => l.stage !== 'poststart'), states: { ...r.states, poststart: undefined } });
    expect(withoutPoststart(ours)).toEqual(withoutPoststart(theirs));
    expect(theirs.states.poststart).toMatchObject({ status: 'created', pid: 'host pid' });
    expect(ours.states.poststart).toMatchObject({ status: 'running', pid: 'host pid' });
    const poststartLine = (r: typeof ours) => ({ ...r.order.find((l) => l.stage === 'poststart'), cwd: undefined });
    expect(poststartLine(ours)).toEqual(poststartLine(theirs));
  });

  test.each([
    ['createContainer', 'in berth-init'],
    ['createRuntime', 'in the runtime'],
  ])('a %s hook past its timeout is killed and create fails naming it (%s), leaving nothing behind', async (stage) => {
    const id = uniqueId('ht');
    const out = outDir();
    // a unique argument finds the hook's process, whichever pid namespace it ran in
    const tag = `100.${process.pid}${Date.now() % 100000}`;
    const bundle = s.bundle(['true'], (spec) => {
      spec.hooks = {
        [stage]: [{ path: '/bin/sh', args: ['sh', '-c', `exec sleep ${tag}`], timeout: 1 }],
        poststop: [recordHook('poststop', out)],
      };
    });
    const root = path.join(s.dir, `state-timeout-${stage}`);
    track(root, id);
    const t0 = Date.now();
    const r = await berth(root, ['create', '--bundle', bundle, id]);
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${stage} hook #0 /bin/sh: ran past its timeout of 1s and was killed`);
    // the hook was killed, not left behind, and the failed create cleaned up and ran poststop
    expect(processesWith(tag)).toEqual([]);
    expect(fs.existsSync(path.join(root, id))).toBe(false);
    expect(stateOf(out, 'poststop')).toMatchObject({ id, status: 'stopped' });
  });

  test.each(['prestart', 'createRuntime', 'createContainer'])(
    'a failing %s hook fails create with its status and output, stops the container and runs poststop',
    async (stage) => {
      const id = uniqueId('hf');
      const out = outDir();
      const bundle = s.bundle(['true'], (spec) => {
        spec.hooks = {
          prestart: [recordHook('prestart', out)],
          [stage]: [
            ...(stage === 'prestart' ? [recordHook('prestart', out)] : []),
            { path: '/bin/sh', args: ['sh', '-c', 'echo so; echo oops >&2; exit 3'] },
            recordHook('never', out),
          ],
          poststop: [recordHook('poststop', out)],
        };
      });
      const root = path.join(s.dir, `state-fail-${stage}`);
      track(root, id);
      const r = await berth(root, ['create', '--bundle', bundle, id]);
      expect(r.code).toBe(1);
      const index = stage === 'prestart' ? 1 : 0;
      expect(r.stderr).toContain(`${stage} hook #${index} /bin/sh: exit status 3, stdout: so, stderr: oops`);
      // the hooks after the failing one do not run; poststop does
      expect(lines(out).map((l) => l.stage)).toEqual(['prestart', 'poststop']);
      const { pid } = stateOf(out, 'prestart') as { pid: number };
      expect(waitExit(pid, 2000)).toBe(true);
      expect(fs.existsSync(path.join(root, id))).toBe(false);
      expect((await berth(root, ['state', id])).code).toBe(1);
    },
  );

  test('a failing startContainer hook: start fails naming it, the process never runs, the container is stopped', async () => {
    const id = uniqueId('hs');
    const out = outDir();
    const bundle = allStagesBundle(out, (spec) => {
      spec.hooks!.startContainer = [{ path: '/bin/sh', args: ['sh', '-c', 'echo not today >&2; exit 4'] }];
    });
    const root = path.join(s.dir, 'state-start-fail');
    track(root, id);
    expect((await berth(root, ['create', '--bundle', bundle, id])).code).toBe(0);
    const r = await berth(root, ['start', id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('startContainer hook #0 /bin/sh: exit status 4, stdout: , stderr: not today');
    const st = await berth(root, ['state', id]);
    expect(JSON.parse(st.stdout)).toMatchObject({ status: 'stopped' });
    const stages = lines(out).map((l) => l.stage);
    expect(stages).toEqual(['prestart', 'createRuntime', 'createContainer']); // no user process, no poststart
    expect((await berth(root, ['delete', id])).code).toBe(0);
    expect(lines(out).at(-1)?.stage).toBe('poststop');
  });

  test('a failing poststart hook stops the container and fails start', async () => {
    const id = uniqueId('hp');
    const out = outDir();
    const bundle = allStagesBundle(out, (spec) => {
      spec.hooks!.poststart = [{ path: '/bin/false' }, recordHook('never', out)];
    });
    const root = path.join(s.dir, 'state-poststart-fail');
    track(root, id);
    const pidFile = path.join(s.dir, 'hp.pid');
    expect((await berth(root, ['create', '--bundle', bundle, '--pid-file', pidFile, id])).code).toBe(0);
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    const r = await berth(root, ['start', id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('poststart hook #0 /bin/false: exit status 1');
    expect(waitExit(pid, 2000)).toBe(true);
    expect(JSON.parse((await berth(root, ['state', id])).stdout)).toMatchObject({ status: 'stopped' });
    expect(lines(out).map((l) => l.stage)).not.toContain('never');
  });

  test('poststop failures are warnings: the other poststop hooks run and delete succeeds', async () => {
    const id = uniqueId('hq');
    const out = outDir();
    const bundle = s.bundle(['true'], (spec) => {
      spec.hooks = { poststop: [{ path: '/bin/sh', args: ['sh', '-c', 'echo cleanup failed >&2; exit 2'] }, recordHook('poststop', out)] };
    });
    const root = path.join(s.dir, 'state-poststop');
    track(root, id);
    expect((await berth(root, ['create', '--bundle', bundle, id])).code).toBe(0);
    const r = await berth(root, ['delete', '--force', id]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/level=warning msg=".*poststop hook #0 \/bin\/sh: exit status 2, stdout: , stderr: cleanup failed/);
    expect(stateOf(out, 'poststop')).toMatchObject({ id, status: 'stopped' });
    expect(fs.existsSync(path.join(root, id))).toBe(false);
  });

  test('run in the foreground runs every stage and poststop after the process exits', async () => {
    const id = uniqueId('hr');
    const out = outDir();
    const bundle = allStagesBundle(out, (spec) => {
      spec.process!.args = ['sh', '-c', 'echo "user|" >> /out/order; exit 7'];
    });
    const root = path.join(s.dir, 'state-run');
    track(root, id);
    const r = await berth(root, ['run', '--bundle', bundle, id]);
    expect(r.code).toBe(7);
    const stages = lines(out).map((l) => l.stage);
    expect(stages.slice(0, 4)).toEqual(['prestart', 'createRuntime', 'createContainer', 'startContainer']);
    expect(stages).toContain('poststart');
    expect(stages.at(-1)).toBe('poststop');
  });

  test('a relative hook path is refused before anything is created', async () => {
    const id = uniqueId('hb');
    const bundle = s.bundle(['true'], (spec) => {
      spec.hooks = { createRuntime: [{ path: 'bin/true' }] };
    });
    const root = path.join(s.dir, 'state-bad');
    const r = await berth(root, ['create', '--bundle', bundle, id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('$.hooks.createRuntime[0].path: \\"bin/true\\" is not an absolute path');
    expect(fs.existsSync(path.join(root, id))).toBe(false);
  });

  test('features lists the six hooks', async () => {
    const r = await berth(path.join(s.dir, 'state-features'), ['features']);
    expect((JSON.parse(r.stdout) as { hooks: string[] }).hooks).toEqual(['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']);
  });
});

import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildPlan } from '../src/config/plan';
import { loadBundle } from '../src/config/load';
import { launch } from '../src/launch';
import { Scratch } from './helpers/bundle';

let s: Scratch;
let out: string;
const cgroup = `/sys/fs/cgroup/pids/berth-launch-${process.pid}`;

beforeAll(async () => {
  s = await Scratch.create();
  out = path.join(s.dir, 'out');
  fs.mkdirSync(out);
  fs.mkdirSync(cgroup);
});
afterAll(() => {
  fs.rmdirSync(cgroup);
  s.remove();
});

function plan(script: string) {
  const bundle = s.bundle(['sh', '-c', script], (c) => {
    c.linux!.namespaces!.push({ type: 'cgroup' });
    c.mounts!.push({ destination: '/out', type: 'bind', source: out, options: ['rbind'] });
  });
  return buildPlan(loadBundle(bundle), { noPivot: false, preserveFds: 0, wait: true }).plan;
}

describe('launch hooks', () => {
  test('onPid runs before the process sets up; a new cgroup namespace is rooted at the cgroup it was moved to', async () => {
    let seen = '';
    let host = '';
    const launched = await launch(plan('grep pids /proc/self/cgroup > /out/cgroup'), undefined, {
      onPid: (pid) => {
        seen = fs.readFileSync(`/proc/${pid}/mountinfo`, 'utf8');
        host = fs.readFileSync('/proc/self/mountinfo', 'utf8'); // at once: other work on the host mounts too
        fs.writeFileSync(path.join(cgroup, 'cgroup.procs'), String(pid));
      },
    });
    expect(await launched.exited).toBe(0);
    // Nothing was mounted yet when the hook ran: the process still saw the host's mount points.
    const points = (mountinfo: string) => mountinfo.split('\n').map((l) => l.split(' ')[4]).sort();
    expect(points(seen)).toEqual(points(host));
    // Without the wait, the namespace root would be the old cgroup and this would read /berth-launch-*.
    expect(fs.readFileSync(path.join(out, 'cgroup'), 'utf8')).toMatch(/^\d+:pids:\/\n$/);
    expect(fs.readFileSync(path.join(cgroup, 'cgroup.procs'), 'utf8')).toBe('');
  });

  test('a failing onPid aborts the launch and kills the process', async () => {
    let pid = 0;
    await expect(
      launch(plan('echo ran > /out/ran'), undefined, {
        onPid: (p) => {
          pid = p;
          throw new Error('cgroup setup failed');
        },
      }),
    ).rejects.toThrow('cgroup setup failed');
    expect(fs.existsSync(`/proc/${pid}`)).toBe(false);
    expect(fs.existsSync(path.join(out, 'ran'))).toBe(false);
  });
});

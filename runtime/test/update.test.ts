import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI_ENTRY, Scratch, berth, waitExit } from './helpers/bundle';
import { MiB, v1ContainerSuite, withResources } from './cgroups/container-helpers';

/* `update` changes the limits of a live container, as `runc update` does. */

let s: Scratch;
let root: string;
const { describeV1, cg } = v1ContainerSuite('update', (scratch) => {
  s = scratch;
  root = scratch.stateRoot;
});

async function running(id: string): Promise<number> {
  const bundle = s.bundle(['sleep', '1000'], (spec) => {
    cg.place(spec, id);
    withResources(spec, { memory: { limit: 64 * MiB }, pids: { limit: 10 }, cpu: { shares: 1024 } });
  });
  const pidFile = path.join(s.dir, `${id}.pid`);
  expect((await berth(root, ['create', '--bundle', bundle, '--pid-file', pidFile, id])).code).toBe(0);
  expect((await berth(root, ['start', id])).code).toBe(0);
  return Number(fs.readFileSync(pidFile, 'utf8'));
}

describeV1('update', () => {
  test('flags change the live limits (runc\'s names and byte units)', async () => {
    await running('u1');
    const r = await berth(root, [
      'update', '--memory', '128m', '--memory-reservation', '32M', '--pids-limit', '7', '--cpu-share', '256',
      '--cpu-quota', '20000', '--cpu-period', '100000', '--cpuset-cpus', '0', 'u1',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(cg.read('memory', 'u1', 'memory.limit_in_bytes')).toBe(String(128 * MiB));
    expect(cg.read('memory', 'u1', 'memory.soft_limit_in_bytes')).toBe(String(32 * MiB));
    expect(cg.read('pids', 'u1', 'pids.max')).toBe('7');
    expect(cg.read('cpu', 'u1', 'cpu.shares')).toBe('256');
    expect(cg.read('cpu', 'u1', 'cpu.cfs_quota_us')).toBe('20000');
    expect(cg.read('cpuset', 'u1', 'cpuset.cpus')).toBe('0');
    // -1 lifts a limit (as a separate argument, as runc takes it); the alias --cpu-shares works too.
    const lift = await berth(root, ['update', '--pids-limit', '-1', '--memory-swap', '-1', '--cpu-shares', '512', 'u1']);
    expect(lift.stderr).toBe('');
    expect(cg.read('pids', 'u1', 'pids.max')).toBe('max');
    expect(BigInt(cg.read('memory', 'u1', 'memory.memsw.limit_in_bytes'))).toBeGreaterThan(1n << 60n);
    expect(cg.read('cpu', 'u1', 'cpu.shares')).toBe('512');
  });

  test('--resources FILE and - (stdin) take linux.resources JSON; other flags are then ignored', async () => {
    await running('u2');
    const file = path.join(s.dir, 'res.json');
    fs.writeFileSync(file, JSON.stringify({ memory: { limit: 96 * MiB }, pids: { limit: 5 } }));
    expect((await berth(root, ['update', '--resources', file, '--pids-limit', '99', 'u2'])).code).toBe(0);
    expect(cg.read('memory', 'u2', 'memory.limit_in_bytes')).toBe(String(96 * MiB));
    expect(cg.read('pids', 'u2', 'pids.max')).toBe('5');

    const stdin = spawnSync(process.execPath, [CLI_ENTRY, '--root', root, 'update', '-r', '-', 'u2'], {
      input: JSON.stringify({ cpu: { shares: 300, quota: 30_000 } }),
      encoding: 'utf8',
    });
    expect(stdin.stderr).toBe('');
    expect(stdin.status).toBe(0);
    expect(cg.read('cpu', 'u2', 'cpu.shares')).toBe('300');
    expect(cg.read('cpu', 'u2', 'cpu.cfs_quota_us')).toBe('30000');
  });

  test('bad values name the flag or field; a stopped container is refused', async () => {
    const pid = await running('u3');
    let r = await berth(root, ['update', '--memory', '12q', 'u3']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--memory: invalid size \\"12q\\"');
    const file = path.join(s.dir, 'bad.json');
    fs.writeFileSync(file, JSON.stringify({ blockIO: { weight: 5000 } }));
    r = await berth(root, ['update', '-r', file, 'u3']);
    expect(r.stderr).toContain('linux.resources.blockIO.weight: blkio weight 5000 is out of range 10-1000');
    r = await berth(root, ['update', '--cpu-share', '99999999', 'u3']);
    expect(r.stderr).toMatch(/linux\.resources\.cpu\.shares: the maximum allowed cpu-shares is \d+/);
    // The limits stay as they were.
    expect(cg.read('memory', 'u3', 'memory.limit_in_bytes')).toBe(String(64 * MiB));

    expect((await berth(root, ['kill', 'u3', 'KILL'])).code).toBe(0);
    expect(waitExit(pid)).toBe(true);
    r = await berth(root, ['update', '--memory', '1g', 'u3']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('container not running');
  });
});

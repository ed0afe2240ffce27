import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseDuration } from '../../src/cgroups/duration';
import { isFrozen } from '../../src/cgroups/frozen';
import { parseBytes, resourcesFromFlags, resourcesFromJson, updateRequest } from '../../src/cgroups/update';
import { joinNegativeValues } from '../../src/cli/commands/update';

/* The pure parts of update, events and state: input parsing and the freezer read. */

describe('update input', () => {
  test('sizes as runc reads them: bytes, binary k/m/g/t units, -1', () => {
    expect(parseBytes('1024', '--memory')).toBe(1024);
    expect(parseBytes('64m', '--memory')).toBe(64 * 1024 * 1024);
    expect(parseBytes('1.5GiB', '--memory')).toBe(1.5 * 1024 ** 3);
    expect(parseBytes('512 kb', '--memory')).toBe(512 * 1024);
    expect(parseBytes('-1', '--memory-swap')).toBe(-1);
    expect(() => parseBytes('12q', '--memory')).toThrow('--memory: invalid size "12q"');
    expect(() => parseBytes('99999999p', '--memory')).toThrow('too large');
  });

  test('flags become linux.resources with only what was given', () => {
    expect(resourcesFromFlags({ memory: '64m', pidsLimit: '-1', cpuShares: '256', cpusetCpus: '0-1' })).toEqual({
      memory: { limit: 64 << 20 }, cpu: { shares: 256, cpus: '0-1' }, pids: { limit: -1 },
    });
    expect(resourcesFromFlags({})).toEqual({});
    expect(() => resourcesFromFlags({ cpuQuota: '1.5' })).toThrow('--cpu-quota: invalid number "1.5"');
  });

  test('--resources JSON is checked field by field; device rules are left to create, with a warning', () => {
    expect(() => resourcesFromJson('{', 'stdin')).toThrow(/^stdin: not valid JSON/);
    expect(() => resourcesFromJson('[1]', 'f.json')).toThrow('f.json: expected a JSON object');
    const { resources, warnings } = updateRequest(resourcesFromJson('{"memory":{"limit":1048576},"devices":[{"allow":false,"access":"rwm"}]}', 'stdin'));
    expect(resources.memory).toBe(1048576);
    expect(resources.devices).toBeUndefined();
    expect(warnings).toEqual([expect.stringContaining('linux.resources.devices: update does not change device rules')]);
    expect(() => updateRequest({ pids: { limit: 1.5 } })).toThrow('linux.resources.pids.limit');
  });

  test('negative values after a flag are joined to it for clipanion', () => {
    expect(joinNegativeValues(['update', '--memory-swap', '-1', '--pids-limit', '-1', 'c1'])).toEqual(['update', '--memory-swap=-1', '--pids-limit=-1', 'c1']);
    expect(joinNegativeValues(['update', '-r', '-', 'c1'])).toEqual(['update', '-r', '-', 'c1']);
  });
});

describe('events --interval', () => {
  test('Go durations', () => {
    expect(parseDuration('5s', '--interval')).toBe(5000);
    expect(parseDuration('100ms', '--interval')).toBe(100);
    expect(parseDuration('1m30s', '--interval')).toBe(90_000);
    expect(parseDuration('1.5s', '--interval')).toBe(1500);
    expect(() => parseDuration('5', '--interval')).toThrow('--interval: invalid duration "5"');
    expect(() => parseDuration('', '--interval')).toThrow('invalid duration');
  });
});

describe('paused state from the freezer files', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-frozen-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('v1 freezer.state FROZEN, v2 cgroup.freeze 1; anything else (or nothing) is not paused', () => {
    const v1 = path.join(dir, 'freezer');
    const v2 = path.join(dir, 'unified');
    fs.mkdirSync(v1);
    fs.mkdirSync(v2);
    fs.writeFileSync(path.join(v1, 'freezer.state'), 'FROZEN\n');
    fs.writeFileSync(path.join(v2, 'cgroup.freeze'), '1\n');
    expect(isFrozen({ freezer: v1, '': v2 })).toBe(true);
    expect(isFrozen({ '': v2 })).toBe(true);
    fs.writeFileSync(path.join(v1, 'freezer.state'), 'FREEZING\n');
    expect(isFrozen({ freezer: v1, '': v2 })).toBe(false); // hybrid: the v1 freezer decides
    fs.writeFileSync(path.join(v2, 'cgroup.freeze'), '0\n');
    expect(isFrozen({ '': v2 })).toBe(false);
    expect(isFrozen({ freezer: path.join(dir, 'gone') })).toBe(false);
    expect(isFrozen({ memory: v1 })).toBe(false);
  });
});

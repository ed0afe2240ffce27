import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Store, type LeaseFile } from '../src';

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'berth-lease-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const digest = (i: number): string => `sha256:${i.toString(16).padStart(64, '0')}`;

test('concurrent protects all end up in the lease file, and repeats wait for the write that lists them', async () => {
  const store = new Store({ root });
  await store.withLease(async (lease) => {
    await Promise.all(Array.from({ length: 12 }, (_, i) => lease.protect(digest(i))));
    const first = lease.protect(digest(20), digest(21));
    // Already in the set: resolves only once the file names them.
    await lease.protect(digest(21));
    const doc = JSON.parse(readFileSync(lease.file, 'utf8')) as LeaseFile;
    expect(doc.digests).toEqual([...Array.from({ length: 12 }, (_, i) => digest(i)), digest(20), digest(21)].sort());
    expect(doc.holder).toMatch(new RegExp(`^${process.pid} \\d+$`));
    await first;
    // No temp file is left next to it.
    expect(readdirSync(path.dirname(lease.file))).toEqual([path.basename(lease.file)]);
  });
  expect(readdirSync(path.join(root, 'leases'))).toEqual([]);
});

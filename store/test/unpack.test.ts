import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { DigestMismatchError, digestOf } from '@berth/spec';
import { getXattr } from '@berth/sys';
import { BreakoutError, LayerError, unpackLayer } from '@berth/store';
import { useTempDir } from './helpers/tmp';
import { describeTree, layerTar, type LayerEntry } from './helpers/layers';

const tmp = useTempDir();

async function unpack(tar: Buffer, name = 'layer'): Promise<string> {
  const dest = path.join(tmp.dir, name);
  mkdirSync(dest);
  await unpackLayer(Readable.from([tar]), dest, { layer: name, diffId: digestOf(tar) });
  return dest;
}

// security.capability v2 for cap_net_bind_service+ep: binary, with bytes >= 0x80 and NULs
const CAP = Buffer.from('0000000202040000000000000000000000000000', 'hex');
CAP[4] = 0x00;
CAP.writeUInt32LE(0x02000001, 0);
CAP.writeUInt32LE(1 << 10, 4);

const RICH: LayerEntry[] = [
  { type: 'dir', name: 'bin', mode: 0o755 },
  { type: 'file', name: 'bin/ping', mode: 0o4755, uid: 0, gid: 0, data: 'suid', xattrs: new Map([['security.capability', CAP]]) },
  { type: 'file', name: 'bin/sg', mode: 0o2711, uid: 0, gid: 42, data: 'sgid' },
  { type: 'dir', name: 'tmp', mode: 0o1777 },
  { type: 'dir', name: 'home/user', mode: 0o700, uid: 1000, gid: 1000, mtime: 1_600_000_000 },
  { type: 'file', name: 'home/user/notes', mode: 0o600, uid: 1000, gid: 1000, data: 'x'.repeat(70_000), mtime: 1_500_000_000 },
  { type: 'hardlink', name: 'home/user/notes.hard', linkname: 'home/user/notes' },
  { type: 'symlink', name: 'home/user/link', linkname: '/etc/passwd', uid: 1000, gid: 1000 },
  { type: 'char', name: 'dev/null', mode: 0o666, devmajor: 1, devminor: 3 },
  { type: 'block', name: 'dev/loop0', mode: 0o660, gid: 6, devmajor: 7, devminor: 0 },
  { type: 'fifo', name: 'run/fifo', mode: 0o620 },
  { type: 'file', name: 'etc/user.attr', data: 'attr', xattrs: new Map([['user.berth', Buffer.from([0, 0xff, 0x80, 1])]]) },
  { type: 'file', name: `deep/${'d'.repeat(120)}/${'f'.repeat(120)}`, data: 'long name' },
  { type: 'symlink', name: 'long-link', linkname: `/${'t'.repeat(200)}` },
  { type: 'file', name: 'big-uid', uid: 3_000_000, gid: 3_000_001, data: '' },
];

describe('unpackLayer', () => {
  test('keeps modes (setuid, setgid, sticky), owners, mtimes, xattrs, hard links, symlinks, devices, fifos', async () => {
    const dest = await unpack(layerTar(RICH));
    const tree = describeTree(dest, { mtime: true });
    expect(tree['bin/ping']).toMatchObject({ type: 'file', mode: '4755', uid: 0, xattrs: { 'security.capability': CAP.toString('hex') } });
    expect(tree['bin/sg']).toMatchObject({ mode: '2711', gid: 42 });
    expect(tree.tmp).toMatchObject({ type: 'dir', mode: '1777' });
    expect(tree['home/user']).toMatchObject({ mode: '700', uid: 1000, gid: 1000, mtime: 1_600_000_000 });
    expect(tree['home/user/notes']).toMatchObject({ size: 70_000, mode: '600', uid: 1000, mtime: 1_500_000_000 });
    expect(statSync(path.join(dest, 'home/user/notes.hard')).ino).toBe(statSync(path.join(dest, 'home/user/notes')).ino);
    expect(tree['home/user/link']).toMatchObject({ type: 'symlink', target: '/etc/passwd', uid: 1000 });
    expect(tree['dev/null']).toMatchObject({ type: 'char', rdev: '1:3', mode: '666' });
    expect(tree['dev/loop0']).toMatchObject({ type: 'block', rdev: '7:0', gid: 6 });
    expect(tree['run/fifo']).toMatchObject({ type: 'fifo', mode: '620' });
    expect(tree['etc/user.attr'].xattrs).toEqual({ 'user.berth': '00ff8001' });
    expect(readFileSync(path.join(dest, 'deep', 'd'.repeat(120), 'f'.repeat(120)), 'utf8')).toBe('long name');
    expect(readlinkSync(path.join(dest, 'long-link'))).toBe(`/${'t'.repeat(200)}`);
    expect(tree['big-uid']).toMatchObject({ uid: 3_000_000, gid: 3_000_001 });
    // parents that the layer did not list are made 0755
    expect(tree.dev).toMatchObject({ type: 'dir', mode: '755' });
  });

  test('OCI whiteouts become overlay whiteouts and opaque directories', async () => {
    const dest = await unpack(
      layerTar([
        { type: 'dir', name: 'etc' },
        { type: 'file', name: 'etc/.wh.motd' },
        { type: 'dir', name: 'var/cache' },
        { type: 'file', name: 'var/cache/.wh..wh..opq' },
        { type: 'file', name: 'var/cache/kept', data: 'new' },
        { type: 'file', name: '.wh..wh.plnk' },
      ]),
    );
    const wh = lstatSync(path.join(dest, 'etc/motd'));
    expect(wh.isCharacterDevice()).toBe(true);
    expect(wh.rdev).toBe(0);
    expect(getXattr(path.join(dest, 'var/cache'), 'trusted.overlay.opaque').toString()).toBe('y');
    expect(readdirSync(path.join(dest, 'var/cache'))).toEqual(['kept']);
    expect(readdirSync(dest).sort()).toEqual(['etc', 'var']);
  });

  test('gzip, zstd and plain tar give the same tree and diff ID', async () => {
    const tar = layerTar(RICH.slice(0, 8));
    const zst = spawnSync('zstd', ['-q', '-c'], { input: tar });
    expect(zst.status).toBe(0);
    const trees = [];
    for (const [name, blob] of [['plain', tar], ['gzip', gzipSync(tar)], ['zstd', zst.stdout]] as const) {
      const dest = path.join(tmp.dir, name);
      mkdirSync(dest);
      const result = await unpackLayer(Readable.from([blob]), dest, { layer: name, diffId: digestOf(tar) });
      expect(result.compression).toBe(name === 'plain' ? 'none' : name);
      expect(result.diffId).toBe(digestOf(tar));
      // mtimes of listed entries are checked above; implied parents get the time of unpacking
      trees.push(describeTree(dest));
    }
    expect(trees[1]).toEqual(trees[0]);
    expect(trees[2]).toEqual(trees[0]);
  });

  test('a wrong diff ID is refused', async () => {
    const tar = layerTar([{ type: 'file', name: 'a', data: 'a' }]);
    const dest = path.join(tmp.dir, 'x');
    mkdirSync(dest);
    await expect(unpackLayer(Readable.from([tar]), dest, { layer: 'L', diffId: digestOf('other') })).rejects.toBeInstanceOf(
      DigestMismatchError,
    );
  });

  test('truncated and corrupt archives are LayerErrors', async () => {
    const tar = layerTar([{ type: 'file', name: 'a', data: 'x'.repeat(2000) }]);
    for (const [what, blob] of [
      ['truncated data', tar.subarray(0, 1024)],
      ['bad checksum', Buffer.concat([Buffer.from('garbage'), tar.subarray(7)])],
      ['corrupt gzip', gzipSync(tar).subarray(0, 40)],
      ['corrupt zstd', spawnSync('zstd', ['-q', '-c'], { input: tar }).stdout.subarray(0, 30)],
    ] as const) {
      const dest = path.join(tmp.dir, what.replace(/ /g, '-'));
      mkdirSync(dest);
      await expect(unpackLayer(Readable.from([blob]), dest, { layer: what })).rejects.toBeInstanceOf(LayerError);
    }
  });

  test('a later entry replaces an earlier one of the same name', async () => {
    const dest = await unpack(
      layerTar([
        { type: 'dir', name: 'a' },
        { type: 'file', name: 'a/inner', data: '1' },
        { type: 'file', name: 'a', data: 'now a file' },
        { type: 'file', name: 'b', data: 'old' },
        { type: 'file', name: 'b', data: 'new' },
      ]),
    );
    expect(readFileSync(path.join(dest, 'a'), 'utf8')).toBe('now a file');
    expect(readFileSync(path.join(dest, 'b'), 'utf8')).toBe('new');
  });
});

describe('unpackLayer refuses entries that would land outside the snapshot', () => {
  const outside = (): string => path.join(tmp.dir, 'outside');
  const cases: [string, LayerEntry[], RegExp][] = [
    ['dot-dot file', [{ type: 'file', name: '../outside/evil', data: 'x' }], /"\.\.\/outside\/evil" has a "\.\." path component/],
    ['dot-dot in the middle', [{ type: 'file', name: 'a/../../outside/evil', data: 'x' }], /"a\/\.\.\/\.\.\/outside\/evil"/],
    ['absolute path', [{ type: 'file', name: '/tmp/evil', data: 'x' }], /"\/tmp\/evil" has an absolute path/],
    [
      'file through a symlinked parent',
      [
        { type: 'symlink', name: 'up', linkname: '../outside' },
        { type: 'file', name: 'up/evil', data: 'x' },
      ],
      /"up\/evil" has a parent "up" that is a symlink/,
    ],
    [
      'directory through an absolute symlink',
      [
        { type: 'symlink', name: 'etc', linkname: '/etc' },
        { type: 'dir', name: 'etc/cron.d' },
      ],
      /"etc\/cron.d\/" has a parent "etc" that is a symlink/,
    ],
    [
      'symlink replacing a directory, then a file through it',
      [
        { type: 'dir', name: 'd' },
        { type: 'symlink', name: 'd', linkname: '/' },
        { type: 'file', name: 'd/evil', data: 'x' },
      ],
      /"d\/evil" has a parent "d" that is a symlink/,
    ],
    ['hard link to an absolute path', [{ type: 'hardlink', name: 'shadow', linkname: '/etc/shadow' }], /"shadow" has an absolute path/],
    ['hard link with dot-dot', [{ type: 'hardlink', name: 'h', linkname: '../outside/secret' }], /"h" has a "\.\." path component/],
    [
      'hard link through a symlink',
      [
        { type: 'symlink', name: 's', linkname: '../outside' },
        { type: 'hardlink', name: 'h', linkname: 's/secret' },
      ],
      /"h" is a hard link through "s", which is a symlink/,
    ],
    ['hard link to something not in the layer', [{ type: 'hardlink', name: 'h', linkname: 'etc/passwd' }], /not in this layer/],
    ['whiteout of ..', [{ type: 'file', name: 'a/.wh...' }], /"a\/\.wh\.\.\." is a whiteout of an invalid name/],
    [
      'whiteout through a symlinked parent',
      [
        { type: 'symlink', name: 'x', linkname: '../outside' },
        { type: 'file', name: 'x/.wh.secret' },
      ],
      /"x\/\.wh\.secret" has a parent "x" that is a symlink/,
    ],
  ];

  test.each(cases)('%s', async (_name, entries, message) => {
    mkdirSync(outside());
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path.join(outside(), 'secret'), 'keep');
    const before = describeTree(tmp.dir, { mtime: true });
    const dest = path.join(tmp.dir, 'snap');
    mkdirSync(dest);
    const tar = layerTar(entries);
    const err = await unpackLayer(Readable.from([tar]), dest, { layer: 'sha256:evil' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BreakoutError);
    expect((err as Error).message).toMatch(message);
    expect((err as BreakoutError).code).toBe('ERR_BERTH_STORE_BREAKOUT');
    // nothing outside the snapshot changed (the snapshot itself is discarded by the caller)
    const after = describeTree(tmp.dir, { mtime: true });
    for (const key of Object.keys(after)) if (key === 'snap' || key.startsWith('snap/')) delete after[key];
    expect(after).toEqual(before);
    expect(existsSync('/tmp/evil')).toBe(false);
  });
});

import { arch } from 'node:os';
import {
  InvalidPlatformError,
  PlatformMatcher,
  compatiblePlatforms,
  formatPlatform,
  hostPlatform,
  normalizeArch,
  normalizePlatform,
  parsePlatform,
  samePlatform,
  selectPlatformEntries,
  type ImagePlatform,
} from '@berth/spec';

describe('parsePlatform', () => {
  test.each([
    ['linux/amd64', { os: 'linux', architecture: 'amd64' }],
    ['linux/x86_64', { os: 'linux', architecture: 'amd64' }],
    ['linux/x86-64', { os: 'linux', architecture: 'amd64' }],
    ['Linux/AMD64', { os: 'linux', architecture: 'amd64' }],
    ['linux/amd64/v3', { os: 'linux', architecture: 'amd64', variant: 'v3' }],
    ['linux/i386', { os: 'linux', architecture: '386' }],
    ['linux/arm64', { os: 'linux', architecture: 'arm64' }],
    ['linux/aarch64', { os: 'linux', architecture: 'arm64' }],
    ['linux/arm64/v8', { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    ['linux/aarch64/8', { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    ['linux/arm64/v9.0', { os: 'linux', architecture: 'arm64', variant: 'v9' }],
    ['linux/arm', { os: 'linux', architecture: 'arm' }],
    ['linux/arm/v7', { os: 'linux', architecture: 'arm', variant: 'v7' }],
    ['linux/arm/6', { os: 'linux', architecture: 'arm', variant: 'v6' }],
    // containerd drops arm's default variant when parsing os/arch
    ['linux/armhf', { os: 'linux', architecture: 'arm' }],
    ['linux/armel', { os: 'linux', architecture: 'arm', variant: 'v6' }],
    ['macos/arm64', { os: 'darwin', architecture: 'arm64' }],
    ['windows/amd64', { os: 'windows', architecture: 'amd64' }],
    ['linux/s390x', { os: 'linux', architecture: 's390x' }],
  ])('%s', (input, expected) => {
    expect(parsePlatform(input)).toEqual(expected);
  });

  test('a lone OS or architecture is completed from the host', () => {
    const host = hostPlatform();
    expect(parsePlatform('linux')).toEqual({ ...host, os: 'linux' });
    expect(parsePlatform('arm64')).toEqual({ os: host.os, architecture: 'arm64' });
    expect(parsePlatform('aarch64')).toEqual({ os: host.os, architecture: 'arm64' });
  });

  test.each([
    ['', 'invalid platform "": "" must be letters, digits, "_", "." or "-"'],
    ['linux/', 'invalid platform "linux/": "" must be letters, digits, "_", "." or "-"'],
    ['linux/amd64/v2/x', 'invalid platform "linux/amd64/v2/x": expected os[/architecture[/variant]]'],
    ['linux/*', 'invalid platform "linux/*": wildcards are not supported'],
    ['linux/am d64', 'invalid platform "linux/am d64": "am d64" must be letters, digits, "_", "." or "-"'],
    ['beos', 'invalid platform "beos": unknown operating system or architecture'],
  ])('rejects %j', (input, message) => {
    expect(() => parsePlatform(input)).toThrow(message);
    expect(() => parsePlatform(input)).toThrow(InvalidPlatformError);
  });

  test('formatPlatform is the inverse for canonical forms', () => {
    for (const s of ['linux/amd64', 'linux/arm64/v8', 'linux/arm/v6', 'windows/amd64']) {
      expect(formatPlatform(parsePlatform(s))).toBe(s);
    }
    expect(formatPlatform({ os: '', architecture: 'amd64' })).toBe('unknown/amd64');
  });
});

describe('normalisation', () => {
  test('arch aliases and default variants follow containerd', () => {
    expect(normalizeArch('arm')).toEqual({ architecture: 'arm', variant: 'v7' });
    expect(normalizeArch('arm64', 'v8')).toEqual({ architecture: 'arm64', variant: '' });
    expect(normalizeArch('amd64', 'v1')).toEqual({ architecture: 'amd64', variant: '' });
    expect(normalizeArch('i386', 'v5')).toEqual({ architecture: '386', variant: '' });
    expect(normalizePlatform({ os: 'Linux', architecture: 'aarch64', variant: 'v8' })).toEqual({
      os: 'linux',
      architecture: 'arm64',
    });
  });

  test('samePlatform compares normalised forms', () => {
    expect(samePlatform({ os: 'linux', architecture: 'arm64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' })).toBe(true);
    expect(samePlatform({ os: 'linux', architecture: 'arm' }, { os: 'linux', architecture: 'arm', variant: 'v7' })).toBe(true);
    expect(samePlatform({ os: 'linux', architecture: 'arm', variant: 'v6' }, { os: 'linux', architecture: 'arm' })).toBe(false);
    expect(samePlatform({ os: 'linux', architecture: 'amd64' }, { os: 'windows', architecture: 'amd64' })).toBe(false);
  });

  test('hostPlatform reports this machine in OCI names', () => {
    const expected = { x64: 'amd64', arm64: 'arm64' }[arch() as 'x64' | 'arm64'];
    expect(hostPlatform()).toMatchObject({ os: 'linux', architecture: expected });
  });
});

describe('matching index entries', () => {
  const entry = (platform: string | undefined, digest: string): { digest: string; platform?: ImagePlatform } =>
    platform === undefined ? { digest } : { digest, platform: parsePlatform(platform) };

  test('compatible platforms, best first', () => {
    expect(compatiblePlatforms(parsePlatform('linux/arm64')).map(formatPlatform)).toEqual([
      'linux/arm64',
      'linux/arm/v8',
      'linux/arm/v7',
      'linux/arm/v6',
      'linux/arm/v5',
    ]);
    expect(compatiblePlatforms(parsePlatform('linux/amd64/v3')).map(formatPlatform)).toEqual([
      'linux/amd64/v3',
      'linux/amd64/v2',
      'linux/amd64',
      'linux/386',
    ]);
    expect(compatiblePlatforms(parsePlatform('linux/arm/v6')).map(formatPlatform)).toEqual(['linux/arm/v6', 'linux/arm/v5']);
  });

  test('the matcher ranks exact matches before fallbacks and rejects others', () => {
    const m = new PlatformMatcher(parsePlatform('linux/arm/v7'));
    expect(m.rank({ os: 'linux', architecture: 'arm' })).toBe(0);
    expect(m.rank({ os: 'linux', architecture: 'arm', variant: 'v5' })).toBe(2);
    expect(m.match({ os: 'linux', architecture: 'arm', variant: 'v8' })).toBe(false);
    expect(m.match({ os: 'linux', architecture: 'arm64' })).toBe(false);
  });

  test('selects and orders the entries of a multi-platform index', () => {
    const entries = [
      entry('linux/386', 'a'),
      entry('linux/arm/v6', 'b'),
      entry(undefined, 'c'),
      entry('linux/arm64/v8', 'd'),
      entry('linux/amd64', 'e'),
      entry('linux/arm/v7', 'f'),
      entry('windows/amd64', 'g'),
    ];
    const pick = (wanted: string): string[] => selectPlatformEntries(entries, parsePlatform(wanted)).map((e) => e.digest);
    expect(pick('linux/arm64')).toEqual(['d', 'f', 'b', 'c']);
    expect(pick('linux/arm/v7')).toEqual(['f', 'b', 'c']);
    expect(pick('linux/amd64')).toEqual(['e', 'a', 'c']);
    expect(pick('windows/amd64')).toEqual(['g', 'c']);
    expect(pick('linux/s390x')).toEqual(['c']);
  });

  test('defaults to the host platform', () => {
    const host = hostPlatform();
    const entries = [entry('linux/riscv64', 'x'), { digest: 'h', platform: host }];
    expect(selectPlatformEntries(entries).map((e) => e.digest)).toEqual(['h']);
  });
});

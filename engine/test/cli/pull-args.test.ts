/**
 * The hot path's parser of `berth pull` arguments (pull-action.ts): plain command lines are
 * taken; anything it is unsure of is left to clipanion (undefined), which reports usage errors.
 */
import { parsePullArgs } from '../../src/cli/pull-action';

test('takes -q/--quiet, --platform P / --platform=P and one reference, in any order', () => {
  expect(parsePullArgs(['busybox'])).toEqual({ reference: 'busybox', platform: undefined, quiet: false });
  expect(parsePullArgs(['-q', 'busybox:1.36'])).toEqual({ reference: 'busybox:1.36', platform: undefined, quiet: true });
  expect(parsePullArgs(['r/x@sha256:ab', '--quiet'])).toEqual({ reference: 'r/x@sha256:ab', platform: undefined, quiet: true });
  expect(parsePullArgs(['--platform', 'linux/arm64', 'x'])).toEqual({ reference: 'x', platform: 'linux/arm64', quiet: false });
  expect(parsePullArgs(['x', '--platform=linux/amd64', '-q'])).toEqual({ reference: 'x', platform: 'linux/amd64', quiet: true });
});

test('leaves help, unknown flags, missing values, repeats and extra words to clipanion', () => {
  for (const args of [
    [],
    ['-h'],
    ['--help'],
    ['x', '--help'],
    ['--bogus', 'x'],
    ['-qq', 'x'],
    ['--', 'x'],
    ['x', 'y'],
    [''],
    ['--platform'],
    ['--platform', '-q', 'x'],
    ['--platform=', 'x'],
    ['--platform', 'a', '--platform', 'b', 'x'],
    ['-q', '-q', 'x'],
    ['--quiet=true', 'x'],
  ]) {
    expect([args, parsePullArgs(args)]).toEqual([args, undefined]);
  }
});

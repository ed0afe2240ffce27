import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const BIN = path.join(ROOT, 'engine/bin/berth.js');
const CORPUS = path.resolve(ROOT, '../shared/dockerfile-corpus/parser');

function berth(args: string[], input?: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', input, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Corpus cases that are not valid Dockerfiles, and the line of their first error. */
const FAILING: Record<string, number> = {
  'testfiles/env': 12, // ENV name='a\'b': unterminated single quote when expanded
  'testfiles/flags': 3, // COPY --user=me: unknown flag
  'testfiles/health': 4, // HEALTHCHECK with no arguments
  'testfiles/jeztah-invalid-json-json-inside-string': 1, // CMD before any FROM
  'testfiles/jeztah-invalid-json-json-inside-string-double': 1,
  'testfiles/jeztah-invalid-json-single-quotes': 1,
  'testfiles/jeztah-invalid-json-unterminated-bracket': 1,
  'testfiles/jeztah-invalid-json-unterminated-string': 1,
  'testfiles/json': 1,
  'testfiles-negative/empty_dockerfile': 1,
  'testfiles-negative/env_no_value': 3,
  'testfiles-negative/only_comments': 3,
  'testfiles-negative/shykes-nested-json': 1,
};

const corpus = ['testfiles', 'testfiles-negative'].flatMap((d) => readdirSync(path.join(CORPUS, d)).map((c) => `${d}/${c}`)).sort();

/** Same as berth(), without blocking, so the corpus runs a few processes at a time. */
function berthAsync(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const results = new Map<string, { code: number; stdout: string; stderr: string }>();

beforeAll(async () => {
  execFileSync('npx', ['tsc', '-b', 'engine'], { cwd: ROOT, stdio: 'inherit' });
  const queue = [...corpus];
  const worker = async (): Promise<void> => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      const dir = path.join(CORPUS, name);
      results.set(name, await berthAsync(['build', '--check', '-f', path.join(dir, 'Dockerfile'), dir]));
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}, 120_000);

describe('berth', () => {
  it('--version', () => {
    expect(berth(['--version'])).toEqual({ code: 0, stdout: expect.stringMatching(/^berth version \d+\.\d+\.\d+\n$/), stderr: '' });
  });

  it('does not load the builder until a build command runs (start-up stays small)', () => {
    const script = `require(${JSON.stringify(path.join(ROOT, 'engine/dist/cli/cli.js'))});` +
      'process.stdout.write(JSON.stringify(Object.keys(require.cache)))';
    const loaded = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as string[];
    expect(loaded.some((f) => f.includes(`${path.sep}clipanion${path.sep}`))).toBe(true);
    expect(loaded.filter((f) => f.includes(`${path.sep}builder${path.sep}`))).toEqual([]);
  });

  it('a command line it cannot parse exits 125, as docker does', () => {
    const r = berth(['build', '--bogus']);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain('--bogus');
    expect(berth(['frobnicate']).code).toBe(125);
  });

  it('with no arguments prints the usage and succeeds', () => {
    const r = berth([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('berth build');
  });

  it('--help lists build', () => {
    const r = berth(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('berth build [--check]');
  });
});

describe('berth build --check on the BuildKit corpus', () => {
  it('covers all 37 corpus Dockerfiles', () => {
    expect(corpus).toHaveLength(37);
  });

  it.each(corpus)('%s', (name) => {
    const r = results.get(name)!;
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[lines.length - 1]).toMatch(/^Check complete, /);
    for (const line of lines.slice(0, -1)) expect(line).toMatch(/^Dockerfile:\d+: /);
    expect(r.stderr).toBe('');
    const firstErrorLine = FAILING[name];
    if (firstErrorLine === undefined) {
      expect(r.code).toBe(0);
      expect(lines.slice(0, -1).every((l) => / warning: /.test(l))).toBe(true);
    } else {
      expect(r.code).toBe(1);
      expect(lines.find((l) => !/ warning: /.test(l))).toMatch(new RegExp(`^Dockerfile:${firstErrorLine}: `));
    }
  });
});

describe('berth build', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'berth-build-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads CONTEXT/Dockerfile by default and names -f files by their base name', () => {
    writeFileSync(path.join(dir, 'Dockerfile'), 'FROM a\nFORM b\n');
    expect(berth(['build', '--check', dir])).toMatchObject({
      code: 1, stdout: 'Dockerfile:2: unknown instruction: FORM (did you mean FROM?)\nCheck complete, 1 error has been found!\n',
    });
    writeFileSync(path.join(dir, 'prod.Dockerfile'), 'FROM a\nMAINTAINER me\n');
    expect(berth(['build', '--check', '-f', path.join(dir, 'prod.Dockerfile'), dir])).toMatchObject({
      code: 0,
      stdout: 'prod.Dockerfile:2: warning: MaintainerDeprecated: Maintainer instruction is deprecated in favor of using label\n' +
        'Check complete, 1 warning has been found!\n',
    });
  });

  it('reads the Dockerfile from stdin with -f -', () => {
    expect(berth(['build', '--check', '-f', '-', dir], 'FROM a\nCOPY --from=later x y\nFROM b AS later\n')).toMatchObject({
      code: 1, stdout: expect.stringContaining('Dockerfile:2: COPY --from refers to stage "later" which is defined later (line 3)\n'),
    });
  });

  it('--target and --build-arg are checked', () => {
    writeFileSync(path.join(dir, 'Dockerfile'), 'ARG BASE\nFROM ${BASE:?required} AS app\n');
    expect(berth(['build', '--check', dir]).stdout).toContain('Dockerfile:2: failed to process "${BASE:?required}": BASE: required');
    expect(berth(['build', '--check', '--build-arg', 'BASE=alpine', dir]).code).toBe(0);
    expect(berth(['build', '--check', '--build-arg', 'BASE=alpine', '--target', 'nope', dir])).toMatchObject({
      code: 1, stdout: expect.stringContaining('target stage "nope" could not be found (stages: app)'),
    });
  });

  it('a missing context or Dockerfile is a one-line error, not a stack trace', () => {
    const missing = berth(['build', '--check', path.join(dir, 'nope')]);
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr).toBe(`berth: unable to prepare context: path "${path.join(dir, 'nope')}" not found\n`);
    const noFile = berth(['build', '--check', dir]);
    expect(noFile.code).toBe(1);
    expect(noFile.stderr).toMatch(/^berth: failed to read dockerfile: ENOENT: no such file or directory, open '.*Dockerfile'\n$/);
  });

  it('plain build (without --check) says it is not implemented yet', () => {
    expect(berth(['build', dir])).toEqual({
      code: 1, stdout: '', stderr: 'berth: building images is not implemented yet; use --check to check a Dockerfile\n',
    });
  });
});

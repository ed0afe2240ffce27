// BuildKit's own shell-lexer tables, read from ../shared/dockerfile-corpus (never copied here).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ShellLex } from '../../src/shell';

const corpus = path.resolve(__dirname, '../../../../shared/dockerfile-corpus/shell');

interface EnvVarCase {
  line: number;
  input: string;
  expected: string;
}

/** `A|U|W | input | expected`: A runs everywhere, U on Unix (us), W on Windows only. */
function envVarCases(): EnvVarCase[] {
  const cases: EnvVarCase[] = [];
  readFileSync(path.join(corpus, 'envVarTest'), 'utf8')
    .split('\n')
    .forEach((raw, i) => {
      if (raw.startsWith('#')) return;
      const line = raw.trim();
      if (line === '') return;
      const fields = line.split('|');
      if (fields.length !== 3) throw new Error(`envVarTest:${i + 1}: expected 3 fields`);
      const [platform, input, expected] = fields.map((f) => f.trim());
      if (!['A', 'U', 'W'].includes(platform)) throw new Error(`envVarTest:${i + 1}: bad platform ${platform}`);
      if (platform !== 'W') cases.push({ line: i + 1, input, expected });
    });
  return cases;
}

interface WordsCase {
  line: number;
  input: string;
  expected: string[];
  env: string[];
}

/** `input | w1,w2`; `ENV k=v` lines add to the environment of the lines after them. */
function wordsCases(): WordsCase[] {
  const cases: WordsCase[] = [];
  const env: string[] = [];
  readFileSync(path.join(corpus, 'wordsTest'), 'utf8')
    .replace(/\n$/, '')
    .split('\n')
    .forEach((line, i) => {
      if (line.startsWith('#')) return;
      if (line.startsWith('ENV ')) {
        env.push(line.slice(3).replace(/^ +/, ''));
        return;
      }
      const fields = line.split('|');
      if (fields.length !== 2) throw new Error(`wordsTest:${i + 1}: expected exactly one |`);
      cases.push({
        line: i + 1,
        input: fields[0].trim(),
        expected: fields[1].replace(/^ +/, '').split(','),
        env: [...env],
      });
    });
  return cases;
}

/** BuildKit's BuildEnvs: `k=v`, or a bare `k` meaning empty; later entries win. */
function buildEnvs(list: readonly string[]): Map<string, string> {
  const env = new Map<string, string>();
  for (const e of list) {
    const i = e.indexOf('=');
    if (i < 0) env.set(e, '');
    else env.set(e.slice(0, i), e.slice(i + 1));
  }
  return env;
}

describe('envVarTest (BuildKit corpus)', () => {
  const env = buildEnvs(['PWD=/home', 'SHELL=bash', 'KOREAN=한국어', 'NULL=']);
  const record = Object.fromEntries(env);
  const cases = envVarCases();
  const lex = new ShellLex('\\');

  it('reads every A and U line of the table', () => {
    const text = readFileSync(path.join(corpus, 'envVarTest'), 'utf8');
    expect(cases.length).toBe(text.match(/^[AU]\|/gm)?.length);
    expect(cases.length).toBeGreaterThan(200);
  });

  it.each(cases.map((c) => [c.line, c.input, c.expected] as const))('line %i: %s -> %s', (_line, input, expected) => {
    for (const e of [env, record]) {
      if (expected === 'error') {
        expect(() => lex.processWord(input, e)).toThrow(/failed to process/);
      } else {
        expect(lex.processWord(input, e)).toBe(expected);
      }
    }
  });
});

describe('wordsTest (BuildKit corpus)', () => {
  const cases = wordsCases();
  const lex = new ShellLex('\\');

  it('reads every case of the table', () => {
    const text = readFileSync(path.join(corpus, 'wordsTest'), 'utf8');
    expect(cases.length).toBe(text.match(/^[^#\n].*\|/gm)?.length);
    expect(cases.length).toBeGreaterThan(20);
  });

  it.each(cases.map((c) => [c.line, c.input, c] as const))('line %i: %s', (_line, _input, c) => {
    let words: string[];
    try {
      words = lex.processWords(c.input, buildEnvs(c.env));
    } catch {
      words = ['error'];
    }
    expect(words).toEqual(c.expected);
  });
});

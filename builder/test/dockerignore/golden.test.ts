// Differential check against the real Go code: golden/patternmatcher.jsonl holds
// random ignore files and paths with the answers of BuildKit's ReadAll plus
// moby/patternmatcher (recorded by golden/generate.js, which builds oracle.go).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDockerignore, PatternMatcher } from '../../src/dockerignore';

type Golden = [ignore: string, paths: string[], answer: boolean[] | 'error'];

const cases: Golden[] = readFileSync(path.join(__dirname, 'golden', 'patternmatcher.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as Golden);

function decide(ignore: string, paths: readonly string[]): boolean[] | 'error' {
  let m: PatternMatcher;
  try {
    m = new PatternMatcher(parseDockerignore(ignore));
  } catch {
    return 'error';
  }
  return paths.map((p) => m.matches(p));
}

describe('agreement with moby/patternmatcher', () => {
  it('has the recorded cases, with both outcomes and errors', () => {
    expect(cases.length).toBe(500);
    const answers = cases.flatMap(([, , a]) => (a === 'error' ? [] : a));
    expect(answers.filter((a) => a).length).toBeGreaterThan(300);
    expect(cases.filter(([, , a]) => a === 'error').length).toBeGreaterThan(10);
  });

  it('decides every recorded path as Docker does', () => {
    const mismatches = cases
      .map(([ignore, paths, want]) => ({ ignore, paths, want, got: decide(ignore, paths) }))
      .filter((c) => JSON.stringify(c.got) !== JSON.stringify(c.want));
    expect(mismatches).toEqual([]);
  });

  it('never lets canSkipDir hide a path that is sent', () => {
    const violations: string[] = [];
    for (const [ignore, paths, want] of cases) {
      if (want === 'error') continue;
      const m = new PatternMatcher(parseDockerignore(ignore));
      const all = new Set(paths.flatMap((p) => p.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'))));
      for (const dir of all) {
        if (!m.canSkipDir(dir)) continue;
        for (const p of all) if (p.startsWith(`${dir}/`) && !m.matches(p)) violations.push(`${JSON.stringify(ignore)}: ${dir} hides ${p}`);
      }
    }
    expect(violations).toEqual([]);
  });
});

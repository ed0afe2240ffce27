import { cleanPath } from './clean';
import { compileLine, type Pattern } from './matcher';

/**
 * Parses a .dockerignore as Docker reads one (moby/patternmatcher/ignorefile):
 * a UTF-8 BOM dropped, lines whose first character is `#` skipped, the rest
 * trimmed, blank lines skipped, each pattern cleaned like a path with a
 * leading `/` removed (`/a/b`, `./a/b` and `a/b/` all mean `a/b`), and a `!`
 * prefix marking an exception. Every pattern is checked; a bad one throws a
 * DockerignoreError naming `file` and the line.
 */
export function parseDockerignore(text: string, file = '.dockerignore'): Pattern[] {
  const patterns: Pattern[] = [];
  const lines = text.split('\n');
  // A final newline ends the last line rather than starting an empty one.
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, index) => {
    let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (index === 0 && line.startsWith('\uFEFF')) line = line.slice(1);
    // Only a `#` in the very first column starts a comment: ` #x` is a pattern.
    if (line.startsWith('#')) return;
    let p = line.trim();
    if (p === '') return;
    const exclusion = p.startsWith('!');
    if (exclusion) p = p.slice(1).trim();
    if (p !== '') {
      p = cleanPath(p);
      if (p.length > 1 && p.startsWith('/')) p = p.slice(1);
    }
    const compiled = compileLine(exclusion ? `!${p}` : p, index + 1, file);
    if (compiled) patterns.push({ pattern: compiled.pattern, exclusion: compiled.exclusion, line: compiled.line });
  });
  return patterns;
}

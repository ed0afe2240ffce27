/**
 * `-e` and `--env-file` as the docker CLI reads them (opts/env.go,
 * opts/envfile.go): `K=V` taken as is; a bare `K` takes the value from
 * berth's own environment, and is dropped when unset there.
 */
// Synchronous: node:fs/promises (and node:readline, which it loads) would load on every run for a
// flag that is rarely given, and `berth run` has nothing else to do while a small file is read.
import { readFileSync } from 'node:fs';
import { RunUsageError } from './errors';

export function parseEnvFlag(entry: string, env: NodeJS.ProcessEnv, where = '-e'): string | undefined {
  const eq = entry.indexOf('=');
  const key = eq < 0 ? entry : entry.slice(0, eq);
  if (key === '') throw new RunUsageError(`invalid environment variable: ${entry} (${where})`);
  if (/\s/.test(key)) throw new RunUsageError(`variable '${key}' contains whitespaces (${where})`);
  if (eq >= 0) return entry;
  const value = env[key];
  return value === undefined ? undefined : `${key}=${value}`;
}

/** One file's entries: `#` comments and blank lines skipped, leading whitespace of a line ignored. */
export function parseEnvFile(text: string, file: string, env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  for (const [i, raw] of lines.entries()) {
    const line = raw.replace(/\r$/, '').replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) continue;
    const entry = parseEnvFlag(line, env, `${file} line ${i + 1}`);
    if (entry !== undefined) out.push(entry);
  }
  return out;
}

/** `--env-file` entries first, then `-e`, as the docker CLI merges them. */
export async function collectEnv(flags: readonly string[], files: readonly string[], env: NodeJS.ProcessEnv): Promise<string[]> {
  const out: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new RunUsageError(`open ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
    }
    out.push(...parseEnvFile(text, file, env));
  }
  for (const f of flags) {
    const entry = parseEnvFlag(f, env);
    if (entry !== undefined) out.push(entry);
  }
  return out;
}

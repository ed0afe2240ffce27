import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** BuildKit's Dockerfile corpus, beside the repository (never copied into it). */
export const CORPUS = path.resolve(__dirname, '../../../../shared/dockerfile-corpus');

export function corpusCases(dir: string): string[] {
  const root = path.join(CORPUS, dir);
  if (!existsSync(root)) throw new Error(`Dockerfile corpus not found at ${root}: clone shared/ beside the repository`);
  return readdirSync(root).sort();
}

export function readCorpus(...parts: string[]): string {
  return readFileSync(path.join(CORPUS, ...parts), 'utf8');
}

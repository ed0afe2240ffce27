import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** engine/package.json's version, found from src/ (tests) or dist/ (built). */
export function berthVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

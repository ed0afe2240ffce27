import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** A fresh temp directory per test, removed afterwards. */
export function useTempDir(prefix = 'berth-store-'): { readonly dir: string } {
  const state = { dir: '' };
  beforeEach(() => {
    state.dir = mkdtempSync(path.join(tmpdir(), prefix));
  });
  afterEach(() => {
    rmSync(state.dir, { recursive: true, force: true });
  });
  return state;
}

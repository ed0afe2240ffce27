/*
 * Start-up cost guard: `--env-file` is read synchronously, so the run path's env module does
 * not load node:fs/promises (nor node:readline, which that loads). The mock throws on load.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

jest.mock('node:fs/promises', () => {
  throw new Error('node:fs/promises loaded');
});

test('--env-file entries are read without node:fs/promises; a missing file still names itself', async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { collectEnv } = require('../../src/run/env') as typeof import('../../src/run/env');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `berth-envfile-${process.pid}-`));
  try {
    const file = path.join(dir, 'env.list');
    fs.writeFileSync(file, '# comment\nA=1\n  B\nC=x=y\r\n');
    await expect(collectEnv(['A=2'], [file], { B: 'from-env' })).resolves.toEqual(['A=1', 'B=from-env', 'C=x=y', 'A=2']);
    await expect(collectEnv([], [path.join(dir, 'missing.list')], {})).rejects.toThrow(`open ${path.join(dir, 'missing.list')}: no such file or directory`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  // the mock is live
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  expect(() => require('node:fs/promises')).toThrow('node:fs/promises loaded');
});

import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const BIN = path.resolve(__dirname, '../bin/berth-runtime.js');

function run(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(BIN, args, (err, stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, output: stdout + stderr }));
  });
}

describe('berth-runtime bin', () => {
  test("the bin compiles its bundle's loader with a code cache named by the file's inode, mtime and size (npm run build first)", async () => {
    const bundleDir = path.resolve(__dirname, '../dist/bundle');
    if (!fs.existsSync(path.join(bundleDir, 'cli.js'))) throw new Error('no runtime bundle: run `npm run build` first');
    const st = fs.statSync(path.join(bundleDir, 'cli.js'));
    const cache = path.join(bundleDir, `cli.js.${st.ino}-${Math.trunc(st.mtimeMs)}-${st.size}-${process.version}.v8`);
    fs.rmSync(cache, { force: true });
    const first = await run(['--version']);
    expect(fs.statSync(cache).size).toBeGreaterThan(0);
    const second = await run(['--version']);
    expect(second).toEqual(first);
    expect(first.output).toMatch(/^berth-runtime version /);
  });


  test('arguments meant for the command (e.g. an exec argv with --env-file) never reach Node itself', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bin-'));
    try {
      // Node 20 would exit 9 with "node: /nonexistent: not found" without the shebang's `--`.
      const r = await run(['--root', root, 'state', 'nosuch', '--env-file', '/nonexistent']);
      expect(r.output).not.toMatch(/^node:/m);
      expect(r.code).not.toBe(9);
      // berth-runtime's own parser saw the flag (and refuses it for `state`, as runc does).
      expect(r.output).toMatch(/Unsupported option name \("--env-file"\)/);
      expect(r.code).toBe(1);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

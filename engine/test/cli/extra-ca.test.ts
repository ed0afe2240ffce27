/**
 * The `berth` bin keeps NODE_EXTRA_CA_CERTS from Node's start-up (which parses
 * the bundle every time) and hands the file to the registry client instead.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { BIN, buildCli, rmrf, tempDir, type Result } from '../helpers';

let root: string;
beforeAll(() => {
  buildCli();
  root = tempDir('berth-extra-ca-');
});
afterAll(() => rmrf(root));

/** The bin run as a user runs it: through its shebang. */
function bin(args: string[], env: NodeJS.ProcessEnv): Result {
  const r = spawnSync(BIN, args, { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', BERTH_ROOT: root, ...env } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const NODE_WARNING = /Ignoring extra certs/;

test('Node does not load NODE_EXTRA_CA_CERTS at start-up (it would warn about a missing file)', () => {
  const missing = path.join(root, 'missing-ca.crt');
  // the premise: plain `node` reads the file at start-up and warns
  const direct = spawnSync(process.execPath, ['-e', '0'], { encoding: 'utf8', env: { ...process.env, NODE_EXTRA_CA_CERTS: missing } });
  expect(direct.stderr).toMatch(NODE_WARNING);
  const r = bin(['--version'], { NODE_EXTRA_CA_CERTS: missing });
  expect(r).toMatchObject({ code: 0, stdout: expect.stringMatching(/^berth version /) });
  expect(r.stderr).not.toMatch(NODE_WARNING);
});

test('the registry client reads the NODE_EXTRA_CA_CERTS file when it connects', () => {
  const missing = path.join(root, 'missing-ca.crt');
  const r = bin(['pull', '127.0.0.1:1/extra-ca/none:1'], { NODE_EXTRA_CA_CERTS: missing });
  expect(r.code).toBe(1);
  expect(r.stderr).toContain(`${missing}: cannot read extra CA certificates: ENOENT`);
  expect(r.stderr).not.toMatch(NODE_WARNING);
});

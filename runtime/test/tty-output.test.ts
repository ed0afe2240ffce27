/**
 * `run` in the foreground with terminal: true on a real pty: the container's newlines reach the
 * user's terminal as the container's pty wrote them ("\r\n"), byte for byte as under runc, which
 * makes its terminal raw with cfmakeraw (OPOST off; libuv's raw mode alone kept ONLCR: "\r\r\n").
 */
import { Scratch } from './helpers/bundle';
import { runOnPty, type Tool } from './helpers/pty';

let s: Scratch;

beforeAll(async () => {
  s = await Scratch.create();
});
afterAll(() => s.remove());

/** The bytes `tool run` writes to its terminal (a pty we hold the master of) until the container ends. */
async function outputOnPty(tool: Tool, id: string): Promise<{ bytes: string; code: number | null }> {
  const chunks: Buffer[] = [];
  const { code } = await runOnPty(s, tool, id, ['sh', '-c', 'echo one; echo two; printf "x\\ty\\n"'], (chunk) => chunks.push(chunk));
  return { bytes: Buffer.concat(chunks).toString('latin1'), code };
}

test('newlines arrive as "\\r\\n" (not "\\r\\r\\n"), as runc', async () => {
  const want = await outputOnPty('runc', `ttyout-runc-${process.pid}`);
  const got = await outputOnPty('berth', `ttyout-berth-${process.pid}`);
  expect(want).toEqual({ bytes: 'one\r\ntwo\r\nx\ty\r\n', code: 0 });
  expect(got).toEqual(want);
});

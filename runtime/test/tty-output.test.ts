/**
 * `run` in the foreground with terminal: true on a real pty: the container's newlines reach the
 * user's terminal as the container's pty wrote them ("\r\n"), byte for byte as under runc, which
 * makes its terminal raw with cfmakeraw (OPOST off; libuv's raw mode alone kept ONLCR: "\r\r\n").
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { closeFd, openpty } from '@berth/sys';
import { CLI_ENTRY, Scratch, berth, runc } from './helpers/bundle';

let s: Scratch;

beforeAll(async () => {
  s = await Scratch.create();
});
afterAll(() => s.remove());

/** The bytes `tool run` writes to its terminal (a pty we hold the master of) until the container ends. */
async function outputOnPty(tool: 'runc' | 'berth', id: string): Promise<{ bytes: string; code: number | null }> {
  const bundle = s.bundle(['sh', '-c', 'echo one; echo two; printf "x\\ty\\n"'], (c) => (c.process!.terminal = true));
  const stateRoot = path.join(s.dir, `${tool}-state`);
  const tty = openpty();
  const [cmd, args] = tool === 'runc' ? ['runc', ['--root', stateRoot]] : [process.execPath, [CLI_ENTRY, '--root', stateRoot]];
  const child = spawn(cmd, [...args, 'run', '--bundle', bundle, id], { stdio: [tty.slave, tty.slave, tty.slave] });
  closeFd(tty.slave);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const chunks: Buffer[] = [];
  const output = fs.createReadStream('', { fd: tty.master }); // closes the master when done
  let guard: NodeJS.Timeout | undefined;
  try {
    const ended = await new Promise<boolean>((resolve) => {
      guard = setTimeout(() => resolve(false), 30_000); // a hung runtime: stop waiting, clean up below
      output.on('data', (chunk) => chunks.push(Buffer.from(chunk)));
      output.on('error', () => resolve(true)); // EIO: the last holder of the slave is gone
      output.on('end', () => resolve(true));
    });
    if (!ended) child.kill('SIGKILL');
    return { bytes: Buffer.concat(chunks).toString('latin1'), code: await exited };
  } finally {
    clearTimeout(guard);
    child.kill('SIGKILL');
    await exited;
    output.destroy();
    await (tool === 'runc' ? runc : berth)(stateRoot, ['delete', '--force', id]);
  }
}

test('newlines arrive as "\\r\\n" (not "\\r\\r\\n"), as runc', async () => {
  const want = await outputOnPty('runc', `ttyout-runc-${process.pid}`);
  const got = await outputOnPty('berth', `ttyout-berth-${process.pid}`);
  expect(want).toEqual({ bytes: 'one\r\ntwo\r\nx\ty\r\n', code: 0 });
  expect(got).toEqual(want);
});

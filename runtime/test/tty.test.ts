/**
 * `run` in the foreground with terminal: true, on a real pty as a user's terminal: the
 * container's pty gets our window size at once and again after SIGWINCH, as under runc.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { closeFd, openpty, setWinsize } from '@berth/sys';
import { CLI_ENTRY, Scratch, berth, runc, uniqueId } from './helpers/bundle';

let s: Scratch;

beforeAll(async () => {
  s = await Scratch.create();
});
afterAll(() => s.remove());

/**
 * Runs `tool run` with a pty as its stdio, sized 40x120. The container prints `stty size`
 * for every line it reads; once it has printed the first size we resize our terminal to
 * 30x100 and send the runtime SIGWINCH (as a terminal emulator does), then press Enter until
 * the new size shows (the signal and the keystroke race inside the runtime), then Ctrl-D.
 * The runtime is killed and the container deleted on every path.
 */
async function sizesSeen(tool: 'runc' | 'berth', id: string): Promise<{ sizes: string[]; code: number | null }> {
  const bundle = s.bundle(['sh', '-c', 'stty size; while read x; do stty size; done'], (c) => (c.process!.terminal = true));
  const stateRoot = path.join(s.dir, `${tool}-state`);
  const tty = openpty();
  setWinsize(tty.master, 40, 120);
  const [cmd, args] =
    tool === 'runc' ? ['runc', ['--root', stateRoot]] : [process.execPath, [CLI_ENTRY, '--root', stateRoot]];
  const child = spawn(cmd, [...args, 'run', '--bundle', bundle, id], { stdio: [tty.slave, tty.slave, tty.slave] });
  closeFd(tty.slave);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const sizes: string[] = [];
  let text = '';
  const output = fs.createReadStream('', { fd: tty.master }); // closes the master when done
  const press = (keys: string) => fs.writeSync(tty.master, keys);
  let tries = 0;
  let guard: NodeJS.Timeout | undefined;
  try {
    const ended = await new Promise<boolean>((resolve) => {
      guard = setTimeout(() => resolve(false), 30_000); // a hung runtime: stop waiting, clean up below
      output.on('data', (chunk) => {
        text += chunk.toString();
        for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n')) {
          // The container's pty turns \n into \r\n (ONLCR); our side is made raw with cfmakeraw as runc
          // does (OPOST off), so it passes through unchanged (tty-output.test.ts checks the bytes).
          const line = text.slice(0, nl).replace(/\r$/, '');
          text = text.slice(nl + 1);
          if (!/^\d+ \d+$/.test(line)) continue; // the echo of our Enter
          sizes.push(line);
          if (line === '30 100' || ++tries > 50) {
            press('\x04'); // EOF: the loop ends, so does the container
          } else {
            setWinsize(tty.master, 30, 100);
            child.kill('SIGWINCH');
            press('\n');
          }
        }
      });
      output.on('error', () => resolve(true)); // EIO: the last holder of the slave is gone
      output.on('end', () => resolve(true));
    });
    if (!ended) child.kill('SIGKILL');
    return { sizes: [sizes[0], sizes[sizes.length - 1]], code: await exited };
  } finally {
    clearTimeout(guard);
    child.kill('SIGKILL');
    await exited;
    output.destroy();
    await (tool === 'runc' ? runc : berth)(stateRoot, ['delete', '--force', id]);
  }
}

test('the pty gets the terminal size at start and after SIGWINCH, as runc', async () => {
  const want = await sizesSeen('runc', uniqueId('winch-runc'));
  const got = await sizesSeen('berth', uniqueId('winch-berth'));
  expect(want).toEqual({ sizes: ['40 120', '30 100'], code: 0 });
  expect(got).toEqual(want);
});

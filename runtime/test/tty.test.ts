/**
 * `run` in the foreground with terminal: true, on a real pty as a user's terminal: the
 * container's pty gets our window size at once and again after SIGWINCH, as under runc.
 */
import * as fs from 'node:fs';
import { setWinsize } from '@berth/sys';
import { Scratch, uniqueId } from './helpers/bundle';
import { runOnPty, type Tool } from './helpers/pty';

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
async function sizesSeen(tool: Tool, id: string): Promise<{ sizes: string[]; code: number | null }> {
  const sizes: string[] = [];
  let text = '';
  let tries = 0;
  const { code } = await runOnPty(
    s,
    tool,
    id,
    ['sh', '-c', 'stty size; while read x; do stty size; done'],
    (chunk, master, runtime) => {
      const press = (keys: string) => fs.writeSync(master, keys);
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
          setWinsize(master, 30, 100);
          runtime.kill('SIGWINCH');
          press('\n');
        }
      }
    },
    { rows: 40, cols: 120 },
  );
  return { sizes: [sizes[0], sizes[sizes.length - 1]], code };
}

test('the pty gets the terminal size at start and after SIGWINCH, as runc', async () => {
  const want = await sizesSeen('runc', uniqueId('winch-runc'));
  const got = await sizesSeen('berth', uniqueId('winch-berth'));
  expect(want).toEqual({ sizes: ['40 120', '30 100'], code: 0 });
  expect(got).toEqual(want);
});

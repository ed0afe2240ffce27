import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { closeFd, openpty, setWinsize } from '@berth/sys';
import { CLI_ENTRY, Scratch, berth, runc } from './bundle';

export type Tool = 'runc' | 'berth';

export interface PtyRun {
  /** The runtime's exit status (null when killed). */
  code: number | null;
}

/**
 * Runs `tool run` in the foreground with a real pty as its stdio (as a user's terminal), the
 * bundle's process with `terminal: true`. `onData` gets what the runtime writes to the terminal,
 * the master's fd (to type on or resize) and the runtime's process (to signal). Waits until the last holder of the slave is gone (EIO or end),
 * at most 30 s; the runtime is killed and the container deleted on every path.
 */
export async function runOnPty(
  s: Scratch,
  tool: Tool,
  id: string,
  args: string[],
  onData: (chunk: Buffer, master: number, runtime: ChildProcess) => void,
  size?: { rows: number; cols: number },
): Promise<PtyRun> {
  const bundle = s.bundle(args, (c) => (c.process!.terminal = true));
  const stateRoot = path.join(s.dir, `${tool}-state`);
  const tty = openpty();
  if (size) setWinsize(tty.master, size.rows, size.cols);
  const [cmd, prefix] =
    tool === 'runc' ? ['runc', ['--root', stateRoot]] : [process.execPath, [CLI_ENTRY, '--root', stateRoot]];
  const child = spawn(cmd, [...prefix, 'run', '--bundle', bundle, id], { stdio: [tty.slave, tty.slave, tty.slave] });
  closeFd(tty.slave);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const output = fs.createReadStream('', { fd: tty.master }); // closes the master when done
  let guard: NodeJS.Timeout | undefined;
  try {
    const ended = await new Promise<boolean>((resolve) => {
      guard = setTimeout(() => resolve(false), 30_000); // a hung runtime: stop waiting, clean up below
      output.on('data', (chunk) => onData(Buffer.from(chunk), tty.master, child));
      output.on('error', () => resolve(true)); // EIO: the last holder of the slave is gone
      output.on('end', () => resolve(true));
    });
    if (!ended) child.kill('SIGKILL');
    return { code: await exited };
  } finally {
    clearTimeout(guard);
    child.kill('SIGKILL');
    await exited;
    output.destroy();
    await (tool === 'runc' ? runc : berth)(stateRoot, ['delete', '--force', id]);
  }
}

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { acceptRecvFd, closeFd, getWinsize, makeRaw, setWinsize, unixListen } from '@berth/sys';

/**
 * `run` in the foreground with terminal: true and no --console-socket: as
 * runc, receive the pty master ourselves, copy it to and from our stdio, and
 * give it our terminal's window size, at once and on every SIGWINCH.
 */
export class TtyProxy {
  private master = -1;
  private done: Promise<void> = Promise.resolve();
  private restoreRaw = false;
  private readsStdin = false;
  private readonly onResize = (): void => this.resize();

  private constructor(
    readonly socketPath: string,
    private readonly dir: string,
    private readonly listenFd: number,
    private readonly received: Promise<{ fd: number; data: string }>,
  ) {}

  static listen(): TtyProxy {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-tty-'));
    const socketPath = path.join(dir, 'console.sock');
    const listenFd = unixListen(socketPath);
    return new TtyProxy(socketPath, dir, listenFd, acceptRecvFd(listenFd));
  }

  /**
   * Call once the container is created: the master has been sent by then.
   * Without `stdin` (docker run -t without -i) our stdin is neither read nor made raw.
   */
  async attach(options: { stdin: boolean } = { stdin: true }): Promise<void> {
    const { fd } = await this.received;
    this.master = fd;
    this.resize();
    process.on('SIGWINCH', this.onResize);
    if (options.stdin && process.stdin.isTTY) {
      process.stdin.setRawMode(true);
      // As runc (cfmakeraw): libuv's raw mode keeps ONLCR, which would print the pty's "\r\n" as "\r\r\n".
      makeRaw(0);
      this.restoreRaw = true;
    }
    const output = fs.createReadStream('', { fd, autoClose: false });
    this.done = new Promise<void>((resolve) => {
      output.on('data', (chunk) => process.stdout.write(chunk));
      // EIO once the last holder of the pty slave is gone: the output is complete
      output.on('error', () => resolve());
      output.on('end', () => resolve());
    });
    this.readsStdin = options.stdin;
    if (!options.stdin) return;
    process.stdin.on('data', (chunk: Buffer) => {
      try {
        fs.writeSync(fd, chunk);
      } catch {
        // the container is gone
      }
    });
  }

  /** Copies our terminal's size (the first of stdin, stdout, stderr that is one, as runc) to the pty. */
  private resize(): void {
    if (this.master < 0) return;
    for (const fd of [0, 1, 2]) {
      let size: { rows: number; cols: number };
      try {
        size = getWinsize(fd);
      } catch {
        continue; // not a terminal
      }
      try {
        setWinsize(this.master, size.rows, size.cols);
      } catch {
        // the container is gone
      }
      return;
    }
  }

  /** Waits for the remaining output, then releases everything. */
  async close(): Promise<void> {
    await this.done;
    process.removeListener('SIGWINCH', this.onResize);
    if (this.restoreRaw) process.stdin.setRawMode(false);
    if (this.readsStdin) {
      process.stdin.pause();
      process.stdin.destroy();
    }
    if (this.master >= 0) closeFd(this.master);
    closeFd(this.listenFd);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

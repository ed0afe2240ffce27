import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { acceptRecvFd, closeFd, unixListen } from '@berth/sys';

/**
 * `run` in the foreground with terminal: true and no --console-socket: as
 * runc, receive the pty master ourselves and copy it to and from our stdio.
 */
export class TtyProxy {
  private master = -1;
  private done: Promise<void> = Promise.resolve();
  private restoreRaw = false;

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

  /** Call once the container is created: the master has been sent by then. */
  async attach(): Promise<void> {
    const { fd } = await this.received;
    this.master = fd;
    if (process.stdin.isTTY) {
      process.stdin.setRawMode(true);
      this.restoreRaw = true;
    }
    const output = fs.createReadStream('', { fd, autoClose: false });
    this.done = new Promise<void>((resolve) => {
      output.on('data', (chunk) => process.stdout.write(chunk));
      // EIO once the last holder of the pty slave is gone: the output is complete
      output.on('error', () => resolve());
      output.on('end', () => resolve());
    });
    process.stdin.on('data', (chunk: Buffer) => {
      try {
        fs.writeSync(fd, chunk);
      } catch {
        // the container is gone
      }
    });
  }

  /** Waits for the remaining output, then releases everything. */
  async close(): Promise<void> {
    await this.done;
    if (this.restoreRaw) process.stdin.setRawMode(false);
    process.stdin.pause();
    process.stdin.destroy();
    if (this.master >= 0) closeFd(this.master);
    closeFd(this.listenFd);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

import * as fs from 'node:fs';

export type LogFormat = 'text' | 'json';
export type LogLevel = 'debug' | 'info' | 'warning' | 'error';

/**
 * runc's logging contract: with --log, lines go to that file (json lines
 * with level, msg, time: containerd reads the last error from it) and a
 * fatal error is also printed plainly on stderr; without --log, logrus-style
 * text lines go to stderr.
 */
export class Logger {
  constructor(
    readonly file: string | undefined = undefined,
    readonly format: LogFormat = 'text',
    readonly debugEnabled = false,
  ) {}

  debug(msg: string): void {
    if (this.debugEnabled) this.write('debug', msg);
  }

  info(msg: string): void {
    this.write('info', msg);
  }

  warn(msg: string): void {
    this.write('warning', msg);
  }

  /** Logs a command's failure the way runc does. */
  fatal(msg: string): void {
    this.write('error', msg);
    if (this.file) process.stderr.write(`${msg}\n`);
  }

  private write(level: LogLevel, msg: string): void {
    const time = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const line =
      this.format === 'json'
        ? JSON.stringify({ level, msg, time })
        : `time="${time}" level=${level} msg=${JSON.stringify(msg)}`;
    if (this.file) {
      try {
        fs.appendFileSync(this.file, `${line}\n`);
        return;
      } catch {
        // an unwritable log must not hide the error: fall through to stderr
      }
    }
    process.stderr.write(`${line}\n`);
  }
}

import { spawn, type SpawnOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultSpec } from '@berth/runtime';
import type { Spec } from '@berth/spec';
import { closeFd, pidfdOpen, pollReadable } from '@berth/sys';
import { makeBusyboxRootfs } from '@berth/test';

export const CLI_ENTRY = path.join(__dirname, 'cli-entry.js');

// Once per test file (jest gives each file its own module registry): files run in one worker share its pid.
const RUN_TAG = `${process.pid}${Math.random().toString(36).slice(2, 5)}`;

/**
 * `name` made unique to this test file's run. A container id names its default cgroup
 * (/berth/<id>; runc's too is named by the id), which is host-wide: suites run side by
 * side, or a crashed run's leftovers, must not meet the same cgroup.
 */
export function uniqueId(name: string): string {
  return `${name}-${RUN_TAG}`;
}

/** A scratch directory with a busybox rootfs and a state root; remove() cleans all of it. */
export class Scratch {
  readonly dir: string;
  readonly rootfs: string;
  readonly stateRoot: string;
  private n = 0;

  private constructor(dir: string) {
    this.dir = dir;
    this.rootfs = path.join(dir, 'rootfs');
    this.stateRoot = path.join(dir, 'state');
  }

  static async create(): Promise<Scratch> {
    const s = new Scratch(fs.mkdtempSync(path.join(os.tmpdir(), 'berth-rt-')));
    await makeBusyboxRootfs(s.rootfs);
    return s;
  }

  /** A bundle using the shared rootfs, with runc's default config (no terminal) changed by `edit`. */
  bundle(args: string[], edit: (spec: Spec) => void = () => undefined): string {
    const dir = path.join(this.dir, `bundle-${++this.n}`);
    fs.mkdirSync(dir);
    const spec = defaultSpec();
    spec.process!.terminal = false;
    spec.process!.args = args;
    spec.root = { path: this.rootfs, readonly: true };
    edit(spec);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(spec, null, 2));
    return dir;
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

let outputs = 0;

/**
 * Runs a command to completion, collecting its output. stdout and stderr go
 * to temp files, not pipes: a created container inherits them and keeps
 * them open long after the runtime has exited. `extraFds` become fds 3, 4, ...
 */
export function exec(cmd: string, args: string[], opts: SpawnOptions & { extraFds?: number[] } = {}): Promise<Result> {
  const base = path.join(os.tmpdir(), `berth-rt-out-${process.pid}-${++outputs}`);
  const outFd = fs.openSync(`${base}.out`, 'w+');
  const errFd = fs.openSync(`${base}.err`, 'w+');
  const read = (file: string) => {
    const text = fs.readFileSync(file, 'utf8');
    fs.rmSync(file, { force: true });
    return text;
  };
  return new Promise<Result>((resolve, reject) => {
    const { extraFds = [], ...rest } = opts;
    const child = spawn(cmd, args, { ...rest, stdio: ['ignore', outFd, errFd, ...extraFds] });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, stdout: read(`${base}.out`), stderr: read(`${base}.err`) }));
  }).finally(() => {
    fs.closeSync(outFd);
    fs.closeSync(errFd);
  });
}

/** berth-runtime from source, with --root set. */
export function berth(root: string, args: string[], opts: SpawnOptions = {}): Promise<Result> {
  return exec(process.execPath, [CLI_ENTRY, '--root', root, ...args], opts);
}

export function runc(root: string, args: string[], opts: SpawnOptions = {}): Promise<Result> {
  return exec('runc', ['--root', root, ...args], opts);
}

/** Blocks until `pid` has exited (a pidfd becomes readable), at most `ms`. */
export function waitExit(pid: number, ms = 10_000): boolean {
  let fd: number;
  try {
    fd = pidfdOpen(pid);
  } catch {
    return true;
  }
  try {
    return pollReadable(fd, ms);
  } finally {
    closeFd(fd);
  }
}

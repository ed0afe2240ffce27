/**
 * `berth run` in the foreground: image (pulled if missing) → container
 * record → overlay root filesystem → config.json → the runtime → exit
 * status. Every path out (normal exit, error, SIGINT/SIGTERM) unmounts the
 * root filesystem and removes the runtime state; `--rm` also removes the
 * upper dir, the bundle and the record.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Writable } from 'node:stream';
import { removeTree, type Store } from '@berth/store';
import { CancelledError, RunUsageError } from './errors';
import { writeEtcFiles } from './etc-files';
import { checkCommandPath } from './exec-check';
import { binaryExecutor, inProcessExecutor, type Executor } from './exec';
import { findOrPullImage } from './image';
import { findInitBinary } from './init';
import { NAME_PATTERN, newContainerId } from './names';
import { containerDir, createRecord, readRecord, writeRecord, type ContainerRecord } from './record';
import { processStart, reapOrphans } from './reap';
import { mkdirInRoot } from './rootfs-path';
import type { SeccompChoice } from './seccomp';
import { buildSpec, containerArgs, DOCKER_DEFAULT_CAPS, type NetworkMode } from './spec';
import { resolveUserInRoot } from './user';
import { prepareImageVolumes, volumePaths } from './volumes';

export interface RunRequest {
  image: string;
  args: readonly string[];
  /** Entries already parsed (`K=V`), --env-file first. */
  env: readonly string[];
  entrypoint?: string;
  name?: string;
  workdir?: string;
  user?: string;
  hostname?: string;
  readOnly: boolean;
  interactive: boolean;
  tty: boolean;
  remove: boolean;
  network: NetworkMode;
  /** `berth-runtime` (in-process) or a runc-compatible binary. */
  runtime: string;
  platform?: string;
  /** `--init`: tini as pid 1. */
  init?: boolean;
  /** `--security-opt` values: `seccomp=unconfined|FILE` so far. */
  securityOpt?: readonly string[];
}

export interface RunIo {
  stderr: Writable;
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

/**
 * berth's own handling of SIGINT/SIGTERM/SIGHUP/SIGQUIT for the whole run:
 * before the container starts, a signal cancels (and cleans up); while it
 * runs, the signal goes to the container and a second one kills it.
 */
class SignalGuard {
  received: NodeJS.Signals | undefined;
  private count = 0;
  executor: Executor | undefined;
  id: string | undefined;

  private readonly handler = (sig: NodeJS.Signals): void => {
    this.count++;
    this.received ??= sig;
    if (!this.executor || this.id === undefined) return;
    if (this.count >= 2) this.executor.killHard(this.id);
    else this.executor.forward(sig);
  };

  install(): void {
    for (const s of SIGNALS) process.on(s, this.handler);
  }

  remove(): void {
    for (const s of SIGNALS) process.removeListener(s, this.handler);
  }

  check(): void {
    if (this.received) throw new CancelledError(this.received, 128 + os.constants.signals[this.received]);
  }
}

/** Docker's `--security-opt` forms berth knows: `seccomp=unconfined`, `seccomp=FILE` (`:` accepted as Docker does). */
export function parseSecurityOpts(opts: readonly string[]): { seccomp: SeccompChoice } {
  let seccomp: SeccompChoice = { kind: 'default' };
  for (const opt of opts) {
    const m = /^([a-z-]+)(?:[=:](.*))?$/s.exec(opt);
    if (!m) throw new RunUsageError(`invalid --security-opt: ${JSON.stringify(opt)}`);
    const [, key, value] = m as unknown as [string, string, string | undefined];
    if (key !== 'seccomp') throw new RunUsageError(`--security-opt ${key} is not supported yet: only seccomp=unconfined or seccomp=FILE`);
    if (!value) throw new RunUsageError(`invalid --security-opt: ${JSON.stringify(opt)}`);
    seccomp = value === 'unconfined' ? { kind: 'unconfined' } : { kind: 'file', path: value };
  }
  return { seccomp };
}

export function validateRequest(req: RunRequest): void {
  if (req.name !== undefined && !NAME_PATTERN.test(req.name)) {
    throw new RunUsageError(`Invalid container name (${req.name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  if (req.workdir !== undefined && !req.workdir.startsWith('/')) {
    throw new RunUsageError(`the working directory '${req.workdir}' is invalid, it needs to be an absolute path`);
  }
  if (req.hostname !== undefined && !/^[a-zA-Z0-9]([a-zA-Z0-9.-]{0,62})$/.test(req.hostname)) {
    throw new RunUsageError(`invalid hostname format: ${req.hostname}`);
  }
}

function cgroupV2(): boolean {
  return existsSync('/sys/fs/cgroup/cgroup.controllers');
}

/** Runs the container; resolves to its exit status, or throws a RunError carrying berth's. */
export async function runContainer(store: Store, req: RunRequest, io: RunIo): Promise<number> {
  validateRequest(req);
  const security = parseSecurityOpts(req.securityOpt ?? []);
  // a bad profile file and a missing init fail before anything is created
  const seccomp = seccompModule().seccompFor(security.seccomp, DOCKER_DEFAULT_CAPS);
  const init = req.init ? findInitBinary() : undefined;
  const guard = new SignalGuard();
  guard.install();
  const id = newContainerId();
  let record: ContainerRecord | undefined;
  let mounted = false;
  let executor: Executor | undefined;
  let status: number | undefined;
  try {
    await reapOrphans(store, (r) => deleteRuntimeState(store, r));
    guard.check();
    const image = await findOrPullImage(store, req.image, io.stderr, req.platform);
    guard.check();
    const config = (await store.config(image.config)).config;
    const hostname = req.hostname ?? id.slice(0, 12);
    const args = containerArgs(config, req.entrypoint, req.args);
    record = await createRecord(
      store,
      {
        id,
        image: req.image,
        imageDigest: image.digest,
        imageId: image.config,
        created: new Date().toISOString(),
        args,
        hostname,
        runtime: req.runtime,
        owner: { pid: process.pid, start: processStart(process.pid) },
        autoRemove: req.remove,
        state: 'created',
      },
      req.name,
    );
    const dir = containerDir(store, id);
    mounted = true;
    const rootfs = await prepareRootfs(store, id, image.digest, req.remove);
    guard.check();
    const user = await resolveUserInRoot(rootfs.merged, req.user ?? config?.User ?? '');
    const cwd = req.workdir ?? (config?.WorkingDir || '/');
    await mkdirInRoot(rootfs.merged, cwd);
    await checkCommandPath(rootfs.merged, cwd, args[0]);
    const etcFiles = await writeEtcFiles(dir, hostname, req.network);
    const volumes = await prepareImageVolumes(rootfs.merged, path.join(dir, 'volumes'), volumePaths(config?.Volumes ?? undefined));
    const spec = buildSpec({
      image: config,
      rootfs: rootfs.merged,
      entrypoint: req.entrypoint,
      args: req.args,
      env: req.env,
      user,
      cwd,
      hostname,
      tty: req.tty,
      readOnly: req.readOnly,
      network: req.network,
      etcFiles,
      cgroupV2: cgroupV2(),
      seccomp,
      init,
      volumes,
    });
    const bundle = path.join(dir, 'bundle');
    mkdirSync(bundle, { mode: 0o700 });
    writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(spec));
    executor = await executorFor(store, req.runtime, id);
    guard.check();
    guard.executor = executor;
    guard.id = id;
    record = { ...record, state: 'running' };
    await writeRecord(store, record);
    // -t without -i: the pty gets no input (as Docker); fd 0 is left alone then, since the tty
    // proxy's process.stdin may be a libuv pipe handle that aborts once fd 0 is /dev/null.
    status = await executor.run(id, bundle, { stdin: req.interactive, tty: req.tty });
    return status;
  } finally {
    guard.remove();
    await cleanup(store, id, { record, mounted, executor, status, remove: req.remove }, io.stderr);
  }
}

/**
 * The image's layers unpacked and the overlay mounted, as `Store.prepareRootfs`,
 * but a `--rm` container's overlay is volatile: its upper dir is deleted at exit,
 * so syncing it is wasted time (the sync at unmount was ~90 ms of a run), as podman does;
 * nor is its meta.json fsynced.
 */
async function prepareRootfs(store: Store, id: string, manifestDigest: string, throwaway: boolean): Promise<{ merged: string }> {
  const snapshots = await store.unpackImage(manifestDigest);
  await store.rootfs.create(id, snapshots.map((s) => s.chainId), { throwaway });
  try {
    return await store.rootfs.mount(id, { volatile: throwaway });
  } catch (err) {
    await store.rootfs.remove(id);
    throw err;
  }
}

function seccompModule(): typeof import('./seccomp') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when a container starts, without the ESM loader
  return require('./seccomp') as typeof import('./seccomp');
}

function executorFor(store: Store, runtime: string, id: string): Promise<Executor> {
  if (runtime === 'berth-runtime') return inProcessExecutor(path.join(store.root, 'runtime'), path.join(store.root, 'cache', 'seccomp'));
  return Promise.resolve(binaryExecutor(runtime, path.join(store.root, path.basename(runtime)), path.join(containerDir(store, id), 'runtime.log')));
}

/** What a killed `berth run` left in the runtime: the container (killed) and its state. */
async function deleteRuntimeState(store: Store, r: ContainerRecord): Promise<void> {
  await (await executorFor(store, r.runtime, r.id)).cleanup(r.id);
}

async function cleanup(
  store: Store,
  id: string,
  s: { record: ContainerRecord | undefined; mounted: boolean; executor: Executor | undefined; status: number | undefined; remove: boolean },
  stderr: Writable,
): Promise<void> {
  // Every step runs even when an earlier one fails; failures are reported, and the
  // container's status (or the error that stopped the run) stays what berth exits with.
  const step = async (fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      stderr.write(`berth: cleaning up container ${id}: ${(err as Error).message}\n`);
    }
  };
  if (s.executor) await step(() => s.executor!.cleanup(id));
  if (s.mounted) await step(() => (s.remove ? store.rootfs.remove(id) : store.rootfs.unmount(id)));
  if (s.record) {
    if (s.remove) {
      // synchronously: a handful of small files, each a thread-pool round trip with fs.rm
      await step(async () => removeTree(containerDir(store, id)));
    } else {
      await step(async () => {
        const { owner: _done, ...current } = (await readRecord(store, id)) ?? s.record!;
        const done = s.status === undefined ? { state: 'created' as const } : { state: 'exited' as const, exitCode: s.status, finished: new Date().toISOString() };
        await writeRecord(store, { ...current, ...done });
      });
    }
  }
}

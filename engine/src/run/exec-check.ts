/**
 * A command given as a path (`/etc`, `./x`) checked in the root filesystem
 * before the container starts, so that a directory or a file without any
 * execute bit is Docker's 126 with runc's words (`permission denied`). Names looked up in PATH
 * are left to the runtime, which reports a missing one as 127.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXIT_CANNOT_EXECUTE, ExecError } from './errors';
import { resolveInRoot } from './rootfs-path';

export async function checkCommandPath(rootfs: string, cwd: string, command: string): Promise<void> {
  if (!command.includes('/')) return;
  const inner = path.posix.resolve(cwd, command);
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(await resolveInRoot(rootfs, inner));
  } catch {
    st = undefined;
  }
  if (!st) return; // the runtime reports it missing (127)
  // runc's (and so docker's) words for both: execve(2) says EACCES for a directory too
  if (!st.isFile() || (st.mode & 0o111) === 0) throw new ExecError(`exec: ${JSON.stringify(command)}: permission denied`, EXIT_CANNOT_EXECUTE);
}

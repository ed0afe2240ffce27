// Builds and runs probe/seccomp-probe.c (see its header).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { CompiledSeccomp } from '../../src/seccomp';

const run = promisify(execFile);

/** Compiles the probe statically (it also runs inside an empty container rootfs). */
export async function buildProbe(dir: string): Promise<string> {
  const out = path.join(dir, 'seccomp-probe');
  await run('gcc', ['-static', '-O1', '-Wall', '-Werror', '-o', out, path.join(__dirname, 'probe', 'seccomp-probe.c')]);
  return out;
}

/** Runs the cases with `compiled` installed by the probe itself; one output line per case. */
export async function probeWith(probe: string, dir: string, compiled: CompiledSeccomp | undefined, cases: string[]): Promise<string[]> {
  const args: string[] = [];
  if (compiled) {
    const file = path.join(dir, `program-${process.hrtime.bigint()}.bpf`);
    fs.writeFileSync(file, compiled.program);
    args.push('-f', file, '-F', String(compiled.flags));
  }
  const { stdout } = await run(probe, [...args, ...cases]);
  return stdout.trimEnd().split('\n');
}

/**
 * Compiling a large profile (Docker's default: ~500 instructions) costs
 * 50-100 ms, and create builds the plan twice. The compiled program is kept
 * per section object in this process and, given a directory, on disk under
 * the hash of the section, this host's arch and the compiler's own files (a
 * changed compiler never reads an old program); a hit does not load the
 * compiler at all. Entries are written to a temp file and renamed.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { endianness } from 'node:os';
import * as path from 'node:path';
import type { RuntimeTypes } from '@berth/spec';
import type { CompiledSeccomp } from './compile';

const memo = new WeakMap<RuntimeTypes.Seccomp, CompiledSeccomp>();
let compilerPrint: string | null | undefined;

/**
 * Names, sizes and mtimes of the compiler's files (this directory and its tables); null when
 * they cannot be listed (a bundle without them next to it): then nothing is cached on disk.
 */
function compilerFingerprint(): string | null {
  if (compilerPrint === undefined) {
    try {
      const parts: string[] = [];
      for (const dir of [__dirname, path.join(__dirname, 'tables')]) {
        for (const name of fs.readdirSync(dir).sort()) {
          const st = fs.statSync(path.join(dir, name));
          if (st.isFile()) parts.push(`${name}:${st.size}:${st.mtimeMs}`);
        }
      }
      compilerPrint = parts.join('\n');
    } catch {
      compilerPrint = null;
    }
  }
  return compilerPrint;
}

interface Entry {
  program: string;
  flags: number;
  listenerPath?: string;
  unknownNames: string[];
}

function readEntry(file: string): CompiledSeccomp | undefined {
  try {
    const e = JSON.parse(fs.readFileSync(file, 'utf8')) as Entry;
    const program = Buffer.from(e.program, 'hex');
    if (program.length === 0 || program.length % 8 !== 0 || typeof e.flags !== 'number' || !Array.isArray(e.unknownNames)) return undefined;
    return { program, flags: e.flags, unknownNames: e.unknownNames, ...(e.listenerPath !== undefined ? { listenerPath: e.listenerPath } : {}) };
  } catch {
    return undefined; // missing or unreadable: compile again
  }
}

function writeEntry(file: string, c: CompiledSeccomp): void {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const entry: Entry = { program: c.program.toString('hex'), flags: c.flags, unknownNames: [...c.unknownNames], ...(c.listenerPath !== undefined ? { listenerPath: c.listenerPath } : {}) };
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(tmp, JSON.stringify(entry), { mode: 0o600 });
    fs.renameSync(tmp, file);
  } catch {
    fs.rmSync(tmp, { force: true }); // a cache that cannot be written only costs time
  }
}

/** compileSeccomp for this host, through the in-process memo and, with `cacheDir`, the disk cache. */
export function compileSeccompCached(seccomp: RuntimeTypes.Seccomp, cacheDir?: string): CompiledSeccomp {
  const known = memo.get(seccomp);
  if (known) return known;
  let file: string | undefined;
  const print = cacheDir === undefined ? null : compilerFingerprint();
  if (cacheDir !== undefined && print !== null) {
    const key = createHash('sha256').update(`${print}\0${process.arch}\0${endianness()}\0${JSON.stringify(seccomp)}`).digest('hex');
    file = path.join(cacheDir, `${key}.json`);
    const hit = readEntry(file);
    if (hit) {
      memo.set(seccomp, hit);
      return hit;
    }
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the compiler and its tables load on a miss only
  const { compileSeccomp } = require('./compile') as typeof import('./compile');
  const compiled = compileSeccomp(seccomp);
  memo.set(seccomp, compiled);
  if (file !== undefined) writeEntry(file, compiled);
  return compiled;
}

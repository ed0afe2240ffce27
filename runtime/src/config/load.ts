import * as fs from 'node:fs';
import * as path from 'node:path';
import { runtimeConfig, type Spec } from '@berth/spec';
import { ConfigError } from '../errors';

/** A bundle whose config.json parsed and matched the runtime-spec schema. */
export interface Bundle {
  /** Absolute bundle directory. */
  dir: string;
  config: Spec;
  /** Absolute rootfs path. */
  rootfs: string;
}

/** Reads BUNDLE/config.json, checks it against the schema, and checks the rootfs exists. */
export function loadBundle(bundleDir: string): Bundle {
  const dir = path.resolve(bundleDir);
  const file = path.join(dir, 'config.json');
  let text: Buffer;
  try {
    text = fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ConfigError(`JSON specification file ${file} not found`);
    throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const config = parseConfig(text, file);
  if (!config.root?.path) throw new ConfigError(`${file}: $.root.path is required`);
  if (!config.process) throw new ConfigError(`${file}: $.process is required`);
  const rootfs = path.resolve(dir, config.root.path);
  let st: fs.Stats;
  try {
    st = fs.statSync(rootfs);
  } catch {
    throw new ConfigError(`rootfs ${rootfs} ($.root.path) does not exist`);
  }
  if (!st.isDirectory()) throw new ConfigError(`rootfs ${rootfs} ($.root.path) is not a directory`);
  return { dir, config, rootfs };
}

/** rootfsPropagation values runc accepts beyond the schema's (Docker sends rslave and rshared). */
const RECURSIVE_PROPAGATION = new Set(['rprivate', 'rslave', 'rshared', 'runbindable']);

/** The schema-checked config; an r-form rootfsPropagation is checked as its plain form and kept. */
function parseConfig(text: Buffer, file: string): Spec {
  const propagation = /"rootfsPropagation"\s*:\s*"(r[a-z]+)"/.exec(text.toString('utf8'))?.[1];
  if (propagation === undefined || !RECURSIVE_PROPAGATION.has(propagation)) return runtimeConfig.parse(text, file);
  const value = JSON.parse(text.toString('utf8')) as { linux?: { rootfsPropagation?: string } };
  if (value.linux?.rootfsPropagation !== propagation) return runtimeConfig.parse(text, file);
  value.linux.rootfsPropagation = propagation.slice(1);
  const config = runtimeConfig.check(value, file);
  if (config.linux) config.linux.rootfsPropagation = propagation as NonNullable<Spec['linux']>['rootfsPropagation'];
  return config;
}

/**
 * berth's settings file, in the shape of dockerd's daemon.json for the keys
 * it shares: `registry-mirrors` (docker.io mirrors, tried in order) and
 * `insecure-registries` (hosts reached over plain HTTP; loopback ones need
 * no entry). `BERTH_CONFIG` names the file; default /etc/berth/config.json.
 * `BERTH_REGISTRY_MIRRORS` (comma-separated) replaces the file's mirrors.
 */
import { readFileSync } from 'node:fs';
import { BerthError } from '@berth/spec';

export const DEFAULT_CONFIG_FILE = '/etc/berth/config.json';

export class ConfigError extends BerthError {
  constructor(message: string) {
    super('ERR_BERTH_CONFIG', message);
  }
}

export interface BerthSettings {
  registryMirrors: string[];
  insecureRegistries: string[];
}

function stringList(doc: Record<string, unknown>, key: string, file: string): string[] {
  const v = doc[key];
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw new ConfigError(`${file}: "${key}" must be an array of strings`);
  }
  return v as string[];
}

export function loadSettings(env: NodeJS.ProcessEnv = process.env): BerthSettings {
  const file = env['BERTH_CONFIG'] || DEFAULT_CONFIG_FILE;
  let doc: Record<string, unknown> = {};
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    // No file is no settings, unless the user named one.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || env['BERTH_CONFIG']) {
      throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`);
    }
  }
  if (text !== undefined) {
    try {
      doc = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`${file} is not valid JSON: ${(err as Error).message}`);
    }
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(`${file}: expected a JSON object`);
  }
  const fromEnv = env['BERTH_REGISTRY_MIRRORS'];
  const registryMirrors =
    fromEnv !== undefined && fromEnv.trim() !== ''
      ? fromEnv
          .split(',')
          .map((m) => m.trim())
          .filter((m) => m !== '')
      : stringList(doc, 'registry-mirrors', file);
  return { registryMirrors, insecureRegistries: stringList(doc, 'insecure-registries', file) };
}

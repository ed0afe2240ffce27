/** `RUN --mount=type=...,key=value` (BuildKit's runmount), with BuildKit's defaults. */
import { suggest } from './suggest';
import type { RunMount } from './types';

const TYPES = ['bind', 'cache', 'tmpfs', 'secret', 'ssh'] as const;
const KEYS = ['type', 'from', 'source', 'src', 'target', 'dst', 'destination', 'readonly', 'ro', 'readwrite', 'rw',
  'required', 'size', 'id', 'sharing', 'mode', 'uid', 'gid', 'env'];

/** One CSV record, as Go's encoding/csv reads it (quotes group, `""` is a quote). */
function csvFields(text: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      fields.push(field);
      field = '';
    } else field += ch;
  }
  if (quoted) throw new Error(`unterminated quote in mount ${JSON.stringify(text)}`);
  fields.push(field);
  return fields;
}

/** strconv.ParseBool */
function parseBool(key: string, value: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  throw new Error(`invalid value for ${key}: ${value}`);
}

function parseId(key: string, value: string, base: number): number {
  const re = base === 8 ? /^[0-7]+$/ : /^\d+$/;
  const n = re.test(value) ? parseInt(value, base) : NaN;
  if (!Number.isSafeInteger(n) || n > 0xffffffff) throw new Error(`invalid value ${value} for ${key}`);
  return n;
}

/** docker/go-units RAMInBytes: `64m`, `1g`, `512` (binary multiples). */
function parseSize(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(?:i?b)?$/i.exec(value.trim());
  if (!m) throw new Error(`invalid size: '${value}'`);
  const power = ' kmgtp'.indexOf((m[2] as string).toLowerCase() || ' ');
  return Math.floor(Number(m[1]) * 1024 ** power);
}

/** Parses one --mount value; throws Error with BuildKit's message. `index` numbers ssh sockets. */
export function parseMount(text: string, sshIndex: number): RunMount {
  let type: (typeof TYPES)[number] = 'bind';
  let readOnly: boolean | undefined;
  let required = false;
  let from: string | undefined;
  let source = '';
  let target = '';
  let id = '';
  let sharing: string | undefined;
  let mode: number | undefined;
  let uid: number | undefined;
  let gid: number | undefined;
  let size: number | undefined;
  let env: string | undefined;

  for (const field of csvFields(text)) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    const value = eq < 0 ? undefined : field.slice(eq + 1);
    if (value === undefined) {
      if (key === 'readonly' || key === 'ro') readOnly = true;
      else if (key === 'readwrite' || key === 'rw') readOnly = false;
      else if (key === 'required' && (type === 'secret' || type === 'ssh')) required = true;
      else if (key === 'required') throw new Error(`unexpected key '${key}' for mount type '${type}'`);
      else throw new Error(`invalid field '${field}' must be a key=value pair`);
      continue;
    }
    switch (key) {
      case 'type': {
        const t = value.toLowerCase();
        if (!(TYPES as readonly string[]).includes(t)) {
          const hint = suggest(t, TYPES);
          throw new Error(`unsupported mount type ${JSON.stringify(value)}${hint ? ` (did you mean ${hint}?)` : ''}`);
        }
        type = t as (typeof TYPES)[number];
        break;
      }
      case 'from': from = value; break;
      case 'source': case 'src': source = value; break;
      case 'target': case 'dst': case 'destination': target = value; break;
      case 'readonly': case 'ro': readOnly = parseBool(key, value); break;
      case 'readwrite': case 'rw': readOnly = !parseBool(key, value); break;
      case 'required':
        if (type !== 'secret' && type !== 'ssh') throw new Error(`unexpected key '${key}' for mount type '${type}'`);
        required = parseBool(key, value);
        break;
      case 'size':
        if (type !== 'tmpfs') throw new Error(`unexpected key '${key}' for mount type '${type}'`);
        size = parseSize(value);
        break;
      case 'id': id = value; break;
      case 'sharing':
        if (!['shared', 'private', 'locked'].includes(value.toLowerCase())) throw new Error(`unsupported sharing value ${JSON.stringify(value)}`);
        sharing = value.toLowerCase();
        break;
      case 'mode': mode = parseId(key, value, 8); break;
      case 'uid': uid = parseId(key, value, 10); break;
      case 'gid': gid = parseId(key, value, 10); break;
      case 'env': env = value; break;
      default: {
        const hint = suggest(key, KEYS);
        throw new Error(`unexpected key '${key}' in '${field}'${hint ? ` (did you mean ${hint}?)` : ''}`);
      }
    }
  }

  if (type !== 'secret' && type !== 'ssh' && type !== 'cache') {
    for (const [k, v] of [['mode', mode], ['uid', uid], ['gid', gid]] as const) {
      if (v !== undefined) throw new Error(`${k} not allowed for ${JSON.stringify(type)} type mounts`);
    }
  }
  if (sharing !== undefined && type !== 'cache') throw new Error(`invalid cache sharing set for ${type} mount`);
  if (env !== undefined && type !== 'secret') throw new Error(`unexpected key 'env' for mount type '${type}'`);
  if (from !== undefined && type !== 'bind' && type !== 'cache') throw new Error(`${type} mount should not have a from`);

  switch (type) {
    case 'bind':
    case 'tmpfs':
    case 'cache':
      if (target === '') throw new Error(`mount type=${type} requires a target`);
  }
  switch (type) {
    case 'bind':
      return { type, target, source, readOnly: readOnly ?? true, ...(from !== undefined ? { from } : {}) };
    case 'tmpfs':
      return { type, target, ...(size !== undefined ? { size } : {}) };
    case 'cache':
      return {
        type, target, id: id || target, source, readOnly: readOnly ?? false,
        sharing: (sharing ?? 'shared') as 'shared' | 'private' | 'locked',
        mode: mode ?? 0o755, uid: uid ?? 0, gid: gid ?? 0, ...(from !== undefined ? { from } : {}),
      };
    case 'secret': {
      if (source !== '' && id !== '') throw new Error("both source and id can't be set");
      const secretId = id || source || (target !== '' ? target.slice(target.lastIndexOf('/') + 1) : env ?? '');
      if (secretId === '') throw new Error('invalid secret mount. one of source, target required');
      const file = target !== '' ? target : env !== undefined ? undefined : `/run/secrets/${secretId}`;
      return {
        type, id: secretId, required, mode: mode ?? 0o400, uid: uid ?? 0, gid: gid ?? 0,
        ...(file !== undefined ? { target: file } : {}), ...(env !== undefined ? { env } : {}),
      };
    }
    case 'ssh':
      return {
        type, id: id || 'default', target: target || `/run/buildkit/ssh_agent.${sshIndex}`, required,
        mode: mode ?? 0o600, uid: uid ?? 0, gid: gid ?? 0,
      };
  }
}

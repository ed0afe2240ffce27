import { CgroupError } from '../errors';
import { DeviceRule, DeviceType, WILDCARD, cgroupString } from './rules';

type Node = 'c' | 'b';
const key = (t: Node, major: number, minor: number) => `${t} ${major} ${minor}`;

interface Exception {
  readonly type: Node;
  readonly major: number;
  readonly minor: number;
  access: string;
}

/**
 * The v1 devices cgroup semantics in memory (runc's devices emulator): a
 * default (allow-all "blacklist" or deny-all "whitelist") plus exceptions. It
 * gives the minimal transition between two states for v1, and the clean rule
 * set the v2 eBPF program is generated from, so both versions agree.
 */
export class DeviceEmulator {
  defaultAllow: boolean;
  private readonly exceptions = new Map<string, Exception>();

  constructor(defaultAllow = true) {
    this.defaultAllow = defaultAllow;
  }

  /** Applies rules to a deny-all start, as runc does: a list without an "a" rule is an allow list. */
  static fromRules(rules: readonly DeviceRule[]): DeviceEmulator {
    const e = new DeviceEmulator(false);
    for (const r of rules) e.apply(r);
    return e;
  }

  /** Parses devices.list: "a *:* rwm" alone means allow-all; anything else lists the allowed exceptions. */
  static fromList(text: string): DeviceEmulator {
    const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
    const e = new DeviceEmulator(false);
    for (const line of lines) {
      const m = /^([abc]) (\*|\d+):(\*|\d+) ([rwm]+)$/.exec(line);
      if (m === null) throw new CgroupError(`malformed devices.list line ${JSON.stringify(line)}`);
      const [, t, maj, min, access] = m as unknown as [string, DeviceType, string, string, string];
      if (t === 'a') {
        if (maj !== '*' || min !== '*' || access !== 'rwm') throw new CgroupError(`unexpected devices.list line ${JSON.stringify(line)}`);
        if (lines.length !== 1) throw new CgroupError('devices.list has an "a *:* rwm" entry among others');
        return new DeviceEmulator(true);
      }
      e.addException(t, num(maj), num(min), access);
    }
    return e;
  }

  get isBlacklist(): boolean {
    return this.defaultAllow;
  }

  apply(rule: DeviceRule): void {
    if (rule.type === 'a') {
      // The kernel treats any "a" rule as "a *:* rwm": it resets everything.
      this.defaultAllow = rule.allow;
      this.exceptions.clear();
      return;
    }
    // An allow in allow-all mode (or a deny in deny-all mode) removes an exception;
    // the opposite adds one.
    if (rule.allow === this.defaultAllow) this.removeException(rule.type, rule.major, rule.minor, rule.access);
    else this.addException(rule.type, rule.major, rule.minor, rule.access);
  }

  /** The state as rules: the wildcard default first, then the exceptions sorted. */
  rules(): DeviceRule[] {
    const out: DeviceRule[] = [{ type: 'a', major: WILDCARD, minor: WILDCARD, access: 'rwm', allow: this.defaultAllow }];
    for (const e of this.sortedExceptions()) out.push({ type: e.type, major: e.major, minor: e.minor, access: e.access, allow: !this.defaultAllow });
    return out;
  }

  /**
   * The rules to write to go from this state to `target`. Leaving or entering
   * allow-all needs a disruptive "a" rule first; since devices.list cannot show
   * the deny exceptions of an allow-all cgroup, that case always starts over too.
   */
  transition(target: DeviceEmulator): DeviceRule[] {
    const out: DeviceRule[] = [];
    let old: Map<string, Exception> = this.exceptions;
    if (this.defaultAllow || this.defaultAllow !== target.defaultAllow) {
      out.push({ type: 'a', major: WILDCARD, minor: WILDCARD, access: 'rwm', allow: target.defaultAllow });
      old = new Map();
    }
    for (const e of sortExceptions([...old.values()])) {
      const dropped = minus(e.access, target.exceptions.get(key(e.type, e.major, e.minor))?.access ?? '');
      if (dropped !== '') out.push({ type: e.type, major: e.major, minor: e.minor, access: dropped, allow: target.defaultAllow });
    }
    for (const e of target.sortedExceptions()) {
      const gained = minus(e.access, old.get(key(e.type, e.major, e.minor))?.access ?? '');
      if (gained !== '') out.push({ type: e.type, major: e.major, minor: e.minor, access: gained, allow: !target.defaultAllow });
    }
    return out;
  }

  equals(other: DeviceEmulator): boolean {
    return this.defaultAllow === other.defaultAllow && this.rules().map(cgroupString).join('\n') === other.rules().map(cgroupString).join('\n');
  }

  private sortedExceptions(): Exception[] {
    return sortExceptions([...this.exceptions.values()]);
  }

  private addException(type: Node, major: number, minor: number, access: string): void {
    const k = key(type, major, minor);
    const cur = this.exceptions.get(k);
    if (cur === undefined) this.exceptions.set(k, { type, major, minor, access: union(access, '') });
    else cur.access = union(cur.access, access);
  }

  private removeException(type: Node, major: number, minor: number, access: string): void {
    // cgroup v1 silently ignores removing part of a wildcard exception; runc
    // refuses, because the container would get access the config took away.
    for (const [wMaj, wMin] of [[WILDCARD, minor], [major, WILDCARD], [WILDCARD, WILDCARD]] as const) {
      if (wMaj === major && wMin === minor) continue;
      const w = this.exceptions.get(key(type, wMaj, wMin));
      if (w !== undefined && intersect(w.access, access) !== '') {
        throw new CgroupError(
          `device rule ${cgroupString({ type, major, minor, access })} cannot be applied: it would punch a hole in the wildcard rule ` +
            `${cgroupString({ type, major: wMaj, minor: wMin, access: w.access })}, which cgroup v1 does not support`,
        );
      }
    }
    const k = key(type, major, minor);
    const cur = this.exceptions.get(k);
    if (cur === undefined) return;
    const rest = minus(cur.access, access);
    if (rest === '') this.exceptions.delete(k);
    else cur.access = rest;
  }
}

function num(s: string): number {
  return s === '*' ? WILDCARD : Number(s);
}

const ORDER = 'rwm';
function union(a: string, b: string): string {
  return [...ORDER].filter((c) => a.includes(c) || b.includes(c)).join('');
}
function minus(a: string, b: string): string {
  return [...ORDER].filter((c) => a.includes(c) && !b.includes(c)).join('');
}
function intersect(a: string, b: string): string {
  return [...ORDER].filter((c) => a.includes(c) && b.includes(c)).join('');
}

function sortExceptions(list: Exception[]): Exception[] {
  // runc orders by (major, minor, type), the wildcard -1 first; the kernel
  // lists v1 exceptions in the order they were written.
  return list.sort((x, y) => x.major - y.major || x.minor - y.minor || (x.type === y.type ? 0 : x.type < y.type ? -1 : 1));
}

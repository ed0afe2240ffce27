import { suggest } from './suggest';

type FlagKind = 'string' | 'strings' | 'bool';

/**
 * The `--name=value` flags of one instruction (BuildKit's BFlags): each
 * instruction declares what it accepts, then parsing reports unknown,
 * repeated and malformed flags in BuildKit's words.
 */
export class InstructionFlags {
  private readonly kinds = new Map<string, FlagKind>();
  private readonly values = new Map<string, string[]>();

  constructor(private readonly raw: readonly string[]) {}

  declare(name: string, kind: FlagKind): this {
    this.kinds.set(name, kind);
    return this;
  }

  /** Returns the problem as a message, or undefined when all flags are fine. */
  parse(): string | undefined {
    for (const arg of this.raw) {
      if (!arg.startsWith('--')) return `arg should start with -- : ${arg}`;
      const body = arg.slice(2);
      const eq = body.indexOf('=');
      const name = eq < 0 ? body : body.slice(0, eq);
      const value = eq < 0 ? undefined : body.slice(eq + 1);
      const kind = this.kinds.get(name);
      if (kind === undefined) {
        const hint = suggest(name, [...this.kinds.keys()]);
        return `unknown flag: ${name}${hint ? ` (did you mean ${hint}?)` : ''}`;
      }
      const seen = this.values.get(name);
      if (seen && kind !== 'strings') return `duplicate flag specified: ${name}`;
      if (kind === 'bool') {
        if (value === '') return `missing a value on flag: ${name}`;
        const v = (value ?? 'true').toLowerCase();
        if (v !== 'true' && v !== 'false') return `expecting boolean value for flag ${name}, not: ${value}`;
        this.values.set(name, [v]);
      } else {
        if (value === undefined) return `missing a value on flag: ${name}`;
        this.values.set(name, [...(seen ?? []), value]);
      }
    }
    return undefined;
  }

  string(name: string): string | undefined {
    return this.values.get(name)?.[0];
  }

  strings(name: string): string[] {
    return this.values.get(name) ?? [];
  }

  bool(name: string): boolean | undefined {
    const v = this.values.get(name)?.[0];
    return v === undefined ? undefined : v === 'true';
  }

  /** Names of the flags given, for lints and for dispatching. */
  used(): string[] {
    return [...this.values.keys()];
  }
}

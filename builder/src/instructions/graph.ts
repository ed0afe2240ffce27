/**
 * ARG scoping and the stage graph: what FROM lines resolve to, which stages
 * a stage needs (FROM <stage>, COPY --from, RUN --mount from=), and so which
 * stages a `--target` build runs.
 */
import { BerthError } from '@berth/spec';
import type { DockerfileAst } from '../parser/node';
import { ShellLex } from '../shell/lexer';
import { InstructionError, StageGraphError } from './errors';
import { parseInstructions, type Stage } from './stages';
import type { Instruction } from './types';

/** ARGs Docker defines without an ARG instruction: usable once passed with --build-arg. */
export const PROXY_ARGS: readonly string[] = [
  'HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy',
  'ALL_PROXY', 'all_proxy',
];

export interface PlatformArgs {
  /** `os/arch[/variant]`, e.g. linux/arm64/v8. */
  readonly targetPlatform: string;
  readonly buildPlatform: string;
}

/** TARGETPLATFORM, TARGETOS, ... BUILDVARIANT, set in the global scope of every build. */
export function platformArgs(p: PlatformArgs): Map<string, string> {
  const out = new Map<string, string>();
  for (const [prefix, value] of [['TARGET', p.targetPlatform], ['BUILD', p.buildPlatform]] as const) {
    const [os = '', arch = '', variant = ''] = value.split('/');
    out.set(`${prefix}PLATFORM`, value);
    out.set(`${prefix}OS`, os);
    out.set(`${prefix}ARCH`, arch);
    out.set(`${prefix}VARIANT`, variant);
  }
  return out;
}

export interface StageGraphOptions {
  /** `--build-arg` values; override ARG defaults. */
  readonly buildArgs?: Readonly<Record<string, string>>;
  /** Defaults to linux/amd64 for both. */
  readonly platforms?: PlatformArgs;
  /**
   * Called for a FROM that expands to nothing (`ARG BASE` without a default,
   * no --build-arg) instead of failing; `build --check` reports it as a warning.
   */
  readonly onBlankBase?: (stage: Stage) => void;
}

/** What a stage is built on. */
export type StageBase =
  | { readonly kind: 'scratch' }
  | { readonly kind: 'stage'; readonly index: number }
  | { readonly kind: 'image'; readonly ref: string };

export interface ResolvedStage extends Stage {
  /** FROM's image or stage with ARGs expanded. */
  readonly baseName: string;
  readonly platform?: string;
  readonly base: StageBase;
  /** Earlier stages this one needs (FROM, COPY --from, RUN --mount from=), ascending. */
  readonly dependsOn: readonly number[];
  /** Images used by COPY --from / --mount from= (not stages). */
  readonly images: readonly string[];
}

export class TargetNotFoundError extends BerthError {
  constructor(target: string, names: readonly string[]) {
    const known = names.length > 0 ? ` (stages: ${names.join(', ')})` : ' (no stage has a name)';
    super('ERR_BERTH_DOCKERFILE_TARGET', `target stage ${JSON.stringify(target)} could not be found${known}`);
  }
}

export interface StageGraph {
  readonly stages: readonly ResolvedStage[];
  /** Global ARG values (meta ARGs and platform ARGs), as FROM lines see them. */
  readonly globalArgs: ReadonlyMap<string, string>;
  /** Index of the stage a target names (`name` or index); the last stage when omitted. */
  stageIndex(target?: string): number;
  /** Indexes of the stages a build of `target` runs, in order. */
  stagesFor(target?: string): number[];
}

/** Resolves FROM lines and stage references. Throws StageGraphError / InstructionError at the offending line. */
export function buildStageGraph(ast: DockerfileAst, options: StageGraphOptions = {}): StageGraph {
  const { metaArgs, stages } = parseInstructions(ast);
  const buildArgs = options.buildArgs ?? {};
  const lex = new ShellLex(ast.escapeToken);
  const globalArgs = platformArgs(options.platforms ?? { targetPlatform: 'linux/amd64', buildPlatform: 'linux/amd64' });
  const expand = (word: string, env: ReadonlyMap<string, string>, ins: Instruction): string => {
    try {
      return lex.processWord(word, env);
    } catch (err) {
      throw new InstructionError((err as Error).message, { file: ast.file, startLine: ins.line, endLine: ins.node.endLine });
    }
  };
  for (const arg of metaArgs) {
    for (const { key, value } of arg.args) {
      const v = buildArgs[key] ?? (value !== undefined ? expand(value, globalArgs, arg) : undefined);
      if (v !== undefined) globalArgs.set(key, v);
    }
  }

  const byName = new Map<string, number>();
  for (const s of stages) if (s.name && !byName.has(s.name)) byName.set(s.name, s.index);

  const resolved: ResolvedStage[] = [];
  for (const stage of stages) {
    const where = (ins: Instruction) => ({ file: ast.file, startLine: ins.line, endLine: ins.node.endLine });
    const baseName = expand(stage.from.baseName, globalArgs, stage.from);
    if (baseName === '') {
      if (!options.onBlankBase) throw new InstructionError(`base name (${stage.from.baseName}) should not be blank`, where(stage.from));
      options.onBlankBase(stage);
    }
    const platform = stage.from.platform !== undefined ? expand(stage.from.platform, globalArgs, stage.from) : undefined;
    const deps = new Set<number>();
    const images = new Set<string>();
    let base: StageBase;
    const earlier = byName.get(baseName.toLowerCase());
    if (earlier !== undefined && earlier < stage.index) {
      base = { kind: 'stage', index: earlier };
      deps.add(earlier);
    } else if (baseName.toLowerCase() === 'scratch') base = { kind: 'scratch' };
    else base = { kind: 'image', ref: baseName };

    // The stage's own scope: ARGs it declares (re-importing global values), ENV, proxy build-args.
    const scope = new Map<string, string>();
    for (const p of PROXY_ARGS) if (buildArgs[p] !== undefined) scope.set(p, buildArgs[p] as string);
    const refer = (what: string, raw: string, ins: Instruction): void => {
      const ref = expand(raw, scope, ins);
      if (ref === '') throw new InstructionError(`${what}=${raw} is empty after expansion (is the ARG declared in this stage?)`, where(ins));
      const lower = ref.toLowerCase();
      const index = /^\d+$/.test(ref) ? Number(ref) : byName.get(lower);
      if (index === undefined) {
        images.add(ref);
        return;
      }
      const label = /^\d+$/.test(ref) ? `stage ${index}` : `stage ${JSON.stringify(lower)}`;
      if (index === stage.index) throw new StageGraphError(`${what} refers to ${label}, the stage it is in`, where(ins));
      if (index >= stages.length) {
        throw new StageGraphError(`${what} refers to ${label}, but the Dockerfile has only ${stages.length} stage${stages.length === 1 ? '' : 's'} (0 to ${stages.length - 1})`, where(ins));
      }
      if (index > stage.index) {
        throw new StageGraphError(`${what} refers to ${label} which is defined later (line ${(stages[index] as Stage).from.line})`, where(ins));
      }
      deps.add(index);
    };
    for (const ins of stage.instructions) {
      if (ins.kind === 'arg') {
        for (const { key, value } of ins.args) {
          const v = buildArgs[key] ?? (value !== undefined ? expand(value, scope, ins) : globalArgs.get(key));
          if (v !== undefined) scope.set(key, v);
        }
      } else if (ins.kind === 'env') {
        const snapshot = new Map(scope);
        for (const { key, value } of ins.env) scope.set(key, expand(value, snapshot, ins));
      } else if (ins.kind === 'copy' && ins.from !== undefined) {
        refer('COPY --from', ins.from, ins);
      } else if (ins.kind === 'run') {
        for (const m of ins.mounts) if ((m.type === 'bind' || m.type === 'cache') && m.from !== undefined) refer('RUN --mount from', m.from, ins);
      }
    }
    resolved.push({
      ...stage, baseName, base, dependsOn: [...deps].sort((a, b) => a - b), images: [...images],
      ...(platform !== undefined ? { platform } : {}),
    });
  }

  const stageIndex = (target?: string): number => {
    if (target === undefined || target === '') return resolved.length - 1;
    const index = byName.get(target.toLowerCase());
    if (index === undefined) throw new TargetNotFoundError(target, [...byName.keys()]);
    return index;
  };
  const stagesFor = (target?: string): number[] => {
    const needed = new Set<number>();
    const visit = (i: number): void => {
      if (needed.has(i)) return;
      needed.add(i);
      for (const d of (resolved[i] as ResolvedStage).dependsOn) visit(d);
    };
    visit(stageIndex(target));
    return [...needed].sort((a, b) => a - b);
  };
  return { stages: resolved, globalArgs, stageIndex, stagesFor };
}

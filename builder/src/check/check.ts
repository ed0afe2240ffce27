/**
 * `build --check`: parse, type and resolve a Dockerfile without building
 * it, and report errors and lint warnings with their lines.
 */
import { DockerfileError } from '../parser/errors';
import { parse } from '../parser/parse';
import { buildStageGraph, type StageGraphOptions } from '../instructions/graph';
import { collectInstructions } from '../instructions/stages';
import { BerthError } from '@berth/spec';
import type { Diagnostic } from './diagnostics';
import { lint } from './rules';

export interface CheckOptions extends StageGraphOptions {
  /** Name used in messages; default `Dockerfile`. */
  readonly file?: string;
  /** `--target`: also check that this stage exists. */
  readonly target?: string;
}

export interface CheckResult {
  /** In line order. */
  readonly diagnostics: readonly Diagnostic[];
  /** True when there are errors (or warnings under `# check=error=true`): exit 1. */
  readonly failed: boolean;
}

/** `# check=skip=A,B;error=true` (or skip=all). */
function checkDirective(value: string | undefined): { skip: Set<string>; all: boolean; error: boolean } {
  const out = { skip: new Set<string>(), all: false, error: false };
  for (const part of (value ?? '').split(';')) {
    const [k = '', v = ''] = part.split('=', 2).map((s) => s.trim());
    if (k.toLowerCase() === 'skip') {
      for (const r of v.split(',')) {
        if (r.trim().toLowerCase() === 'all') out.all = true;
        else if (r.trim() !== '') out.skip.add(r.trim().toLowerCase());
      }
    } else if (k.toLowerCase() === 'error') {
      out.error = v.toLowerCase() === 'true';
    }
  }
  return out;
}

function fromError(err: DockerfileError): Diagnostic {
  return { severity: 'error', message: err.detail, file: err.location.file, line: err.location.startLine };
}

export function checkDockerfile(text: string, options: CheckOptions = {}): CheckResult {
  const file = options.file ?? 'Dockerfile';
  const diagnostics: Diagnostic[] = [];
  let ast;
  try {
    ast = parse(text, { file });
  } catch (err) {
    if (err instanceof DockerfileError) return { diagnostics: [fromError(err)], failed: true };
    throw err;
  }
  const directive = checkDirective(ast.directives.find((d) => d.name === 'check')?.value);
  const warn = (d: Diagnostic): void => {
    if (directive.all || (d.rule && directive.skip.has(d.rule.toLowerCase()))) return;
    diagnostics.push(directive.error ? { ...d, severity: 'error' } : d);
  };
  for (const w of ast.warnings) {
    warn({ severity: 'warning', rule: w.rule, message: w.message, file, line: w.line, ...(w.url ? { url: w.url } : {}) });
  }
  const collected = collectInstructions(ast);
  diagnostics.push(...collected.errors.map(fromError));
  if (collected.errors.length === 0) {
    try {
      const graph = buildStageGraph(ast, {
        ...options,
        onBlankBase: (stage) => warn({
          severity: 'warning', rule: 'InvalidDefaultArgInFrom', file, line: stage.from.line,
          message: `Default value for ARG ${stage.from.baseName} results in empty or invalid base image name`,
          url: 'https://docs.docker.com/go/dockerfile/rule/invalid-default-arg-in-from/',
        }),
      });
      if (options.target !== undefined) graph.stagesFor(options.target);
    } catch (err) {
      if (err instanceof DockerfileError) diagnostics.push(fromError(err));
      else if (err instanceof BerthError) diagnostics.push({ severity: 'error', message: err.message, file, line: 1 });
      else throw err;
    }
  }
  lint(ast, collected, warn);
  diagnostics.sort((a, b) => a.line - b.line);
  return { diagnostics, failed: diagnostics.some((d) => d.severity === 'error') };
}

/**
 * Parser nodes to typed instructions, checked as BuildKit's
 * `instructions.Parse` checks them (same messages). Nothing is expanded
 * here: `$vars` are resolved per stage when the build runs.
 */
import type { SourceRange } from '../parser/errors';
import { mustParseHeredocWord } from '../parser/heredoc';
import type { InstructionNode } from '../parser/node';
import { parseGoDuration } from './duration';
import { InstructionError, UnknownInstructionError } from './errors';
import { InstructionFlags } from './flags';
import { parseMount } from './mounts';
import { suggest } from './suggest';
import { chmodProblem, isSignal, portProblem } from './values';
import {
  heredocFile, INSTRUCTION_NAMES, type AddInstruction, type CommandLine, type CopyInstruction, type InlineFile,
  type Instruction, type KeyValue, type RunMount,
} from './types';

/** What the instruction parsers get: the node, its flags, and a way to fail at its line. */
class Request {
  readonly flags: InstructionFlags;
  readonly name: string;

  constructor(
    readonly node: InstructionNode,
    readonly where: SourceRange,
  ) {
    this.flags = new InstructionFlags(node.flags);
    this.name = node.keyword.toUpperCase();
  }

  get args(): readonly string[] {
    return this.node.args;
  }

  fail(detail: string): never {
    throw new InstructionError(detail, this.where);
  }

  /** Declared flags parsed; an unknown or malformed one fails. */
  parseFlags(): InstructionFlags {
    const problem = this.flags.parse();
    if (problem !== undefined) this.fail(problem);
    return this.flags;
  }

  exactlyOne(): string {
    if (this.args.length !== 1) this.fail(`${this.name} requires exactly one argument`);
    return this.args[0] as string;
  }

  atLeastOne(): void {
    if (this.args.length === 0) this.fail(`${this.name} requires at least one argument`);
  }

  base(): { node: InstructionNode; line: number } {
    return { node: this.node, line: this.node.startLine };
  }
}

function keyValues(req: Request): KeyValue[] {
  req.parseFlags();
  req.atLeastOne();
  if (req.args.length % 3 !== 0) req.fail(`Bad input to ${req.name}, too many arguments`);
  const pairs: KeyValue[] = [];
  for (let i = 0; i < req.args.length; i += 3) {
    const key = req.args[i] as string;
    if (key === '') req.fail(`${req.name} names can not be blank`);
    pairs.push({ key, value: req.args[i + 1] as string });
  }
  return pairs;
}

function commandLine(req: Request): CommandLine {
  const files = req.node.heredocs.map(heredocFile);
  const command = req.node.json ? [...req.args] : req.args.length > 0 ? [req.args.join(' ')] : [];
  return { command, prependShell: !req.node.json, files };
}

/** Sources, heredoc sources and destination of COPY/ADD. */
function sourcesAndDest(req: Request): { sources: string[]; contents: InlineFile[]; dest: string } {
  const dest = req.args[req.args.length - 1] as string;
  if (mustParseHeredocWord(dest)) req.fail(`${req.name} cannot accept a heredoc as a destination`);
  const byName = new Map(req.node.heredocs.map((h) => [h.name, h]));
  const sources: string[] = [];
  const contents: InlineFile[] = [];
  for (const src of req.args.slice(0, -1)) {
    const doc = req.node.json ? null : mustParseHeredocWord(src);
    if (doc) {
      const body = byName.get(doc.name);
      contents.push({ ...heredocFile({ ...doc, content: body?.content ?? '' }) });
    } else {
      sources.push(src);
    }
  }
  return { sources, contents, dest };
}

function parseCopyLike(req: Request, add: boolean): CopyInstruction | AddInstruction {
  // Checked before the flags, as BuildKit does, so the same error wins.
  if (req.args.length < 2) {
    req.fail(`${req.name} requires at least two arguments, but only one was provided. Destination could not be determined`);
  }
  const f = req.flags.declare('chown', 'string').declare('chmod', 'string').declare('link', 'bool')
    .declare('exclude', 'strings');
  if (add) f.declare('checksum', 'string').declare('keep-git-dir', 'bool').declare('unpack', 'bool');
  else f.declare('from', 'string').declare('parents', 'bool');
  req.parseFlags();
  const { sources, contents, dest } = sourcesAndDest(req);
  const chown = f.string('chown');
  const chmod = f.string('chmod');
  const chmodError = chmod === undefined ? undefined : chmodProblem(chmod);
  if (chmodError) req.fail(chmodError);
  const common = {
    ...req.base(), sources, contents, dest, link: f.bool('link') ?? false, exclude: f.strings('exclude'),
    ...(chown !== undefined ? { chown } : {}), ...(chmod !== undefined ? { chmod } : {}),
  };
  if (!add) {
    const from = f.string('from');
    if (from === '') req.fail('COPY --from requires a stage name, stage index or image');
    return { kind: 'copy', ...common, parents: f.bool('parents') ?? false, ...(from !== undefined ? { from } : {}) };
  }
  const checksum = f.string('checksum');
  const unpack = f.bool('unpack');
  return {
    kind: 'add', ...common, parents: false, keepGitDir: f.bool('keep-git-dir') ?? false,
    ...(checksum !== undefined ? { checksum } : {}), ...(unpack !== undefined ? { unpack } : {}),
  };
}

const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;

function parseFrom(req: Request): Instruction {
  const f = req.flags.declare('platform', 'string');
  const args = req.args;
  let stageName: string | undefined;
  if (args.length === 3 && (args[1] as string).toLowerCase() === 'as') {
    stageName = (args[2] as string).toLowerCase();
    if (!STAGE_NAME.test(stageName)) {
      req.fail(`invalid name for build stage: ${JSON.stringify(args[2])}, name can't start with a number or contain symbols`);
    }
  } else if (args.length !== 1) {
    req.fail('FROM requires either one or three arguments');
  }
  req.parseFlags();
  const platform = f.string('platform');
  return {
    kind: 'from', ...req.base(), baseName: args[0] as string,
    ...(stageName !== undefined ? { stageName } : {}), ...(platform !== undefined ? { platform } : {}),
  };
}

function parseRun(req: Request): Instruction {
  const f = req.flags.declare('mount', 'strings').declare('network', 'string').declare('security', 'string');
  req.parseFlags();
  const mounts: RunMount[] = [];
  let ssh = 0;
  for (const text of f.strings('mount')) {
    try {
      const m = parseMount(text, ssh);
      if (m.type === 'ssh') ssh++;
      mounts.push(m);
    } catch (err) {
      req.fail(`--mount=${text}: ${(err as Error).message}`);
    }
  }
  const network = f.string('network') ?? 'default';
  if (network !== 'default' && network !== 'none' && network !== 'host') req.fail(`unsupported network mode ${JSON.stringify(network)} (use default, none or host)`);
  const security = f.string('security') ?? 'sandbox';
  if (security !== 'sandbox' && security !== 'insecure') req.fail(`unsupported security mode ${JSON.stringify(security)} (use sandbox or insecure)`);
  return { kind: 'run', ...req.base(), ...commandLine(req), mounts, network, security };
}

const MIN_HEALTH_DURATION_MS = 1;

function parseHealthcheck(req: Request): Instruction {
  req.atLeastOne();
  const type = (req.args[0] as string).toUpperCase();
  const rest = req.args.slice(1);
  if (type === 'NONE') {
    if (rest.length !== 0) req.fail('HEALTHCHECK NONE takes no arguments');
    return { kind: 'healthcheck', ...req.base(), test: ['NONE'] };
  }
  const f = req.flags.declare('interval', 'string').declare('timeout', 'string').declare('start-period', 'string')
    .declare('start-interval', 'string').declare('retries', 'string');
  req.parseFlags();
  if (type !== 'CMD') req.fail(`Unknown type ${JSON.stringify(type)} in HEALTHCHECK (try CMD)`);
  const cmd = req.node.json ? rest : rest.length > 0 ? [rest.join(' ')] : [];
  if (cmd.length === 0) req.fail('Missing command after HEALTHCHECK CMD');
  const test = [req.node.json ? 'CMD' : 'CMD-SHELL', ...cmd];
  const duration = (name: string): number | undefined => {
    const text = f.string(name);
    if (text === undefined || text === '') return undefined;
    const ms = parseGoDuration(text);
    if (ms === undefined) req.fail(`time: invalid duration ${JSON.stringify(text)} in --${name}`);
    if (ms === 0) return 0;
    if (ms < MIN_HEALTH_DURATION_MS) req.fail(`Interval ${JSON.stringify(name)} cannot be less than 1ms`);
    return ms;
  };
  const out = {
    interval: duration('interval'), timeout: duration('timeout'), startPeriod: duration('start-period'),
    startInterval: duration('start-interval'), retries: undefined as number | undefined,
  };
  const retries = f.string('retries');
  if (retries !== undefined && retries !== '') {
    if (!/^[-+]?\d+$/.test(retries) || Math.abs(Number(retries)) > 2 ** 31 - 1) req.fail(`--retries: invalid number ${JSON.stringify(retries)}`);
    const n = Number(retries);
    if (n < 0) req.fail(`--retries cannot be negative (${n})`);
    out.retries = n;
  }
  const defined = Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined));
  return { kind: 'healthcheck', ...req.base(), test, ...defined };
}

function parseOnbuild(req: Request, file: string): Instruction {
  req.parseFlags();
  const trigger = req.node.sub;
  if (!trigger) return req.fail('ONBUILD requires at least one argument');
  const keyword = trigger.keyword.toUpperCase();
  if (keyword === 'ONBUILD') req.fail('Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
  if (keyword === 'FROM' || keyword === 'MAINTAINER') req.fail(`${keyword} isn't allowed as an ONBUILD trigger`);
  // Check the trigger now: a child build would only fail much later.
  parseInstruction(trigger, file);
  let expression = req.node.original.replace(/^\s*ONBUILD\s*/i, '');
  for (const h of req.node.heredocs) expression += '\n' + h.content + h.name;
  return { kind: 'onbuild', ...req.base(), expression, trigger };
}

/** Types and checks one instruction. Throws UnknownInstructionError or InstructionError. */
export function parseInstruction(node: InstructionNode, file = 'Dockerfile'): Instruction {
  const where: SourceRange = { file, startLine: node.startLine, endLine: node.endLine };
  const req = new Request(node, where);
  switch (node.keyword.toLowerCase()) {
    case 'from':
      return parseFrom(req);
    case 'run':
      return parseRun(req);
    case 'cmd':
      req.parseFlags();
      return { kind: 'cmd', ...req.base(), ...commandLine(req) };
    case 'entrypoint':
      req.parseFlags();
      return { kind: 'entrypoint', ...req.base(), ...commandLine(req) };
    case 'copy':
      return parseCopyLike(req, false);
    case 'add':
      return parseCopyLike(req, true);
    case 'env':
      return { kind: 'env', ...req.base(), env: keyValues(req) };
    case 'label':
      return { kind: 'label', ...req.base(), labels: keyValues(req) };
    case 'arg': {
      req.parseFlags();
      req.atLeastOne();
      const args = req.args.map((a) => {
        const eq = a.indexOf('=');
        const key = eq < 0 ? a : a.slice(0, eq);
        if (key === '') req.fail(`ARG names can not be blank: ${JSON.stringify(a)}`);
        return eq < 0 ? { key } : { key, value: a.slice(eq + 1) };
      });
      return { kind: 'arg', ...req.base(), args };
    }
    case 'workdir': {
      const path = req.exactlyOne();
      req.parseFlags();
      return { kind: 'workdir', ...req.base(), path };
    }
    case 'user': {
      const user = req.exactlyOne();
      req.parseFlags();
      return { kind: 'user', ...req.base(), user };
    }
    case 'maintainer': {
      const maintainer = req.exactlyOne();
      req.parseFlags();
      return { kind: 'maintainer', ...req.base(), maintainer };
    }
    case 'stopsignal': {
      const signal = req.exactlyOne();
      req.parseFlags();
      if (!signal.includes('$') && !isSignal(signal)) req.fail(`Invalid signal: ${signal}`);
      return { kind: 'stopsignal', ...req.base(), signal };
    }
    case 'expose': {
      req.atLeastOne();
      req.parseFlags();
      for (const port of req.args) {
        if (port.includes('$')) continue; // expanded, then checked, when the build runs
        const problem = portProblem(port);
        if (problem) req.fail(problem);
      }
      return { kind: 'expose', ...req.base(), ports: [...req.args] };
    }
    case 'volume': {
      req.atLeastOne();
      req.parseFlags();
      for (const v of req.args) if (v.trim() === '') req.fail('VOLUME specified can not be an empty string');
      return { kind: 'volume', ...req.base(), volumes: [...req.args] };
    }
    case 'shell': {
      req.parseFlags();
      if (!node.json) req.fail('SHELL requires the arguments to be in JSON form');
      req.atLeastOne();
      return { kind: 'shell', ...req.base(), shell: [...req.args] };
    }
    case 'healthcheck':
      return parseHealthcheck(req);
    case 'onbuild':
      return parseOnbuild(req, file);
  }
  throw new UnknownInstructionError(node.keyword, suggest(node.keyword, INSTRUCTION_NAMES), where);
}

/**
 * The part of Go's text/template that `docker ... --format` users write:
 * `{{.Field}}`, `{{.A.B}}`, `{{json .}}`, pipelines (`{{.X | json}}`),
 * `{{if}}/{{else}}/{{range}}/{{end}}`, `{{-` trim markers, string
 * literals, and Docker's functions (json, join, upper, lower, title, split,
 * truncate, pad, println). A format starting with `table ` is a table:
 * tab-separated cells aligned as Docker's tabwriter does, with a header row.
 */
import { BerthError } from '@berth/spec';

export class TemplateError extends BerthError {
  constructor(message: string) {
    super('ERR_BERTH_TEMPLATE', `template: ${message}`);
  }
}

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipe: Command[]; src: string }
  | { kind: 'if'; pipe: Command[]; then: Node[]; else: Node[] }
  | { kind: 'range'; pipe: Command[]; body: Node[]; else: Node[] };

type Arg = { kind: 'field'; path: string[]; root: boolean } | { kind: 'string'; value: string } | { kind: 'number'; value: number } | { kind: 'ident'; name: string };
type Command = { args: Arg[] };

/** Objects whose fields a template may name; anything else (maps) yields `<no value>` for missing keys. */
export const STRICT = Symbol('berth.template.strict');

export interface Template {
  /** The text for one value. */
  execute(data: unknown): string;
}

export function parseTemplate(source: string): Template {
  const nodes = parseNodes(tokenize(source));
  return { execute: (data) => run(nodes, data, data) };
}

type Token = { kind: 'text'; text: string } | { kind: 'action'; body: string };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    if (open < 0) {
      out.push({ kind: 'text', text: src.slice(i) });
      break;
    }
    let text = src.slice(i, open);
    const close = src.indexOf('}}', open + 2);
    if (close < 0) throw new TemplateError(`unclosed action in ${JSON.stringify(src)}`);
    let body = src.slice(open + 2, close);
    let next = close + 2;
    if (body.startsWith('- ')) {
      text = text.replace(/\s+$/, '');
      body = body.slice(1);
    }
    if (body.endsWith(' -')) {
      body = body.slice(0, -1);
      while (next < src.length && /\s/.test(src[next])) next++;
    }
    if (text) out.push({ kind: 'text', text });
    out.push({ kind: 'action', body: body.trim() });
    i = next;
  }
  return out;
}

function parseNodes(tokens: Token[]): Node[] {
  let pos = 0;
  const block = (stops: string[]): { nodes: Node[]; stop: string } => {
    const nodes: Node[] = [];
    while (pos < tokens.length) {
      const t = tokens[pos++];
      if (t.kind === 'text') {
        nodes.push({ kind: 'text', text: t.text });
        continue;
      }
      const word = t.body.split(/\s+/, 1)[0];
      if (stops.includes(word)) return { nodes, stop: word };
      if (word === 'if' || word === 'range') {
        const pipe = parsePipe(t.body.slice(word.length));
        const first = block(['else', 'end']);
        const rest = first.stop === 'else' ? block(['end']).nodes : [];
        if (word === 'if') nodes.push({ kind: 'if', pipe, then: first.nodes, else: rest });
        else nodes.push({ kind: 'range', pipe, body: first.nodes, else: rest });
        continue;
      }
      if (word === 'end' || word === 'else') throw new TemplateError(`unexpected {{${word}}}`);
      if (t.body.startsWith('/*')) continue;
      nodes.push({ kind: 'action', pipe: parsePipe(t.body), src: t.body });
    }
    if (stops.length) throw new TemplateError(`unexpected EOF: missing {{end}}`);
    return { nodes, stop: '' };
  };
  return block([]).nodes;
}

function parsePipe(src: string): Command[] {
  const cmds: Command[] = [{ args: [] }];
  const re = /\s*(?:(\|)|"((?:[^"\\]|\\.)*)"|`([^`]*)`|(-?\d+(?:\.\d+)?)(?![\w.])|(\.[\w.]*|\$[\w.]*)|([A-Za-z_]\w*))/y;
  let m: RegExpExecArray | null;
  let rest = src.trim();
  re.lastIndex = 0;
  while (rest.length && (m = re.exec(rest))) {
    const cur = cmds[cmds.length - 1];
    if (m[1]) cmds.push({ args: [] });
    else if (m[2] !== undefined) cur.args.push({ kind: 'string', value: JSON.parse(`"${m[2]}"`) as string });
    else if (m[3] !== undefined) cur.args.push({ kind: 'string', value: m[3] });
    else if (m[4] !== undefined) cur.args.push({ kind: 'number', value: Number(m[4]) });
    else if (m[5] !== undefined) cur.args.push({ kind: 'field', root: m[5].startsWith('$'), path: m[5].split('.').slice(1).filter((p) => p !== '') });
    else if (m[6] !== undefined) cur.args.push({ kind: 'ident', name: m[6] });
    if (re.lastIndex >= rest.length) {
      rest = '';
      break;
    }
  }
  if (rest.length && re.lastIndex < rest.length) throw new TemplateError(`cannot parse ${JSON.stringify(src.trim())}`);
  if (cmds.some((c) => c.args.length === 0)) throw new TemplateError(`missing value in ${JSON.stringify(src.trim())}`);
  return cmds;
}

const FUNCS: Record<string, (...args: unknown[]) => unknown> = {
  json: (v) => goJson(v),
  join: (list, sep) => (Array.isArray(list) ? list.map(goPrint).join(String(sep)) : goPrint(list)),
  upper: (s) => String(s).toUpperCase(),
  lower: (s) => String(s).toLowerCase(),
  title: (s) => String(s).replace(/\b\w/g, (c) => c.toUpperCase()),
  split: (s, sep) => String(s).split(String(sep)),
  truncate: (s, n) => [...String(s)].slice(0, Number(n)).join(''),
  pad: (s, l, r) => ' '.repeat(Number(l)) + String(s) + ' '.repeat(Number(r)),
  println: (...a) => `${a.map(goPrint).join(' ')}\n`,
  len: (v) => (Array.isArray(v) || typeof v === 'string' ? v.length : v && typeof v === 'object' ? Object.keys(v).length : 0),
  index: (v, k) => (v as Record<string, unknown> | undefined)?.[String(k)],
};

function field(value: unknown, path: string[], src: string): unknown {
  let cur = value;
  for (const name of path) {
    if (cur === null || cur === undefined) throw new TemplateError(`executing at <.${path.join('.')}>: nil pointer evaluating .${name} (${src})`);
    if (typeof cur !== 'object') throw new TemplateError(`executing at <.${path.join('.')}>: can't evaluate field ${name} in ${typeof cur}`);
    const obj = cur as Record<string | symbol, unknown>;
    if (!(name in obj) && obj[STRICT]) throw new TemplateError(`executing at <.${path.join('.')}>: can't evaluate field ${name}`);
    cur = obj[name];
  }
  return cur;
}

function evalPipe(pipe: Command[], dot: unknown, root: unknown, src: string): unknown {
  let prev: unknown;
  let havePrev = false;
  for (const cmd of pipe) {
    const args = cmd.args;
    const head = args[0];
    const value = (a: Arg): unknown =>
      a.kind === 'string' || a.kind === 'number' ? a.value : a.kind === 'field' ? field(a.root ? root : dot, a.path, src) : call(a.name, []);
    const call = (name: string, vals: unknown[]): unknown => {
      const fn = FUNCS[name];
      if (!fn) throw new TemplateError(`function "${name}" not defined`);
      return fn(...vals);
    };
    if (head.kind === 'ident') {
      const vals = args.slice(1).map(value);
      if (havePrev) vals.push(prev);
      prev = call(head.name, vals);
    } else {
      if (args.length > 1 || havePrev) throw new TemplateError(`can't give argument to non-function in ${JSON.stringify(src)}`);
      prev = value(head);
    }
    havePrev = true;
  }
  return prev;
}

function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (v && typeof v === 'object') return Object.keys(v).length > 0;
  return Boolean(v);
}

function run(nodes: Node[], dot: unknown, root: unknown): string {
  let out = '';
  for (const n of nodes) {
    if (n.kind === 'text') out += n.text;
    else if (n.kind === 'action') out += goPrint(evalPipe(n.pipe, dot, root, n.src));
    else if (n.kind === 'if') out += run(truthy(evalPipe(n.pipe, dot, root, 'if')) ? n.then : n.else, dot, root);
    else {
      const v = evalPipe(n.pipe, dot, root, 'range');
      const items = Array.isArray(v) ? v : v && typeof v === 'object' ? Object.keys(v).sort().map((k) => (v as Record<string, unknown>)[k]) : [];
      if (items.length === 0) out += run(n.else, dot, root);
      for (const item of items) out += run(n.body, item, root);
    }
  }
  return out;
}

/** A value as Go's fmt prints it with %v. */
export function goPrint(v: unknown): string {
  if (v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return `[${v.map(goPrint).join(' ')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const body = Object.keys(o)
      .sort()
      .map((k) => `${k}:${goPrint(o[k])}`)
      .join(' ');
    if ((v as Record<symbol, unknown>)[STRICT]) return `{${Object.values(o).map(goPrint).join(' ')}}`;
    return `map[${body}]`;
  }
  return String(v);
}

/** Go's json.Marshal: compact, with <, > and & escaped. */
export function goJson(v: unknown): string {
  return (JSON.stringify(v ?? null) ?? 'null').replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}

/** Docker's `table` formats: header names per field, cells aligned by a tabwriter (min width 10, padding 3). */
export function renderFormat(format: string, rows: readonly unknown[], headers: Readonly<Record<string, string>>): string {
  const isTable = format.startsWith('table');
  let body = isTable ? format.slice('table'.length) : format;
  body = body.trim().replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  const tpl = parseTemplate(body);
  if (!isTable) return rows.map((r) => `${tpl.execute(r)}\n`).join('');
  const headerRow = parseTemplate(body.replace(/\{\{-?\s*\.(\w+)\s*-?\}\}/g, (_m, name: string) => headers[name] ?? name.toUpperCase())).execute({});
  return tabwrite([headerRow, ...rows.map((r) => tpl.execute(r))]);
}

/** Go's text/tabwriter with Docker's settings (minwidth 10, tabwidth 1, padding 3, spaces). */
export function tabwrite(lines: readonly string[]): string {
  const cells = lines.flatMap((l) => l.split('\n')).map((l) => l.split('\t'));
  const widths: number[] = [];
  for (const row of cells) {
    row.slice(0, -1).forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, [...c].length + 3, 10);
    });
  }
  return cells.map((row) => row.map((c, i) => (i < row.length - 1 ? c.padEnd(widths[i]) : c)).join('').trimEnd() + '\n').join('');
}

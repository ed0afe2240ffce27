/** Checks of instruction values that Docker validates: ports, signals, permissions. */

const CHMOD_OCTAL = /^[0-7]{1,4}$/;
const CHMOD_SYMBOLIC = /^[ugoa]*(?:[-+=](?:[rwxXst]*|[ugo]))+(?:,[ugoa]*(?:[-+=](?:[rwxXst]*|[ugo]))+)*$/;

/** COPY/ADD --chmod: octal (0755) or symbolic (u+x,g-w); a value with `$` is checked once expanded. */
export function chmodProblem(chmod: string): string | undefined {
  if (chmod.includes('$') || CHMOD_OCTAL.test(chmod) || CHMOD_SYMBOLIC.test(chmod)) return undefined;
  return `invalid chmod parameter ${JSON.stringify(chmod)}: use octal (0755) or symbolic (u+x,g-w) permissions`;
}

/** EXPOSE accepts what Docker's nat.ParsePortSpecs does: [ip:[hostPort]:]port[-end][/proto]. */
export function portProblem(spec: string): string | undefined {
  const slash = spec.lastIndexOf('/');
  const proto = slash < 0 ? 'tcp' : spec.slice(slash + 1).toLowerCase();
  if (!['tcp', 'udp', 'sctp'].includes(proto)) return `invalid proto: ${spec.slice(slash + 1)}`;
  const ports = slash < 0 ? spec : spec.slice(0, slash);
  const container = ports.slice(ports.lastIndexOf(':') + 1);
  const m = /^(\d+)(?:-(\d+))?$/.exec(container);
  if (!m || Number(m[1]) > 65535 || Number(m[2] ?? 0) > 65535 || (m[2] !== undefined && Number(m[2]) < Number(m[1]))) {
    return `invalid containerPort: ${container || spec}`;
  }
  return undefined;
}

const SIGNALS = new Set(['ABRT', 'ALRM', 'BUS', 'CHLD', 'CLD', 'CONT', 'FPE', 'HUP', 'ILL', 'INT', 'IO', 'IOT', 'KILL', 'PIPE',
  'POLL', 'PROF', 'PWR', 'QUIT', 'SEGV', 'STKFLT', 'STOP', 'SYS', 'TERM', 'TRAP', 'TSTP', 'TTIN', 'TTOU', 'URG', 'USR1',
  'USR2', 'VTALRM', 'WINCH', 'XCPU', 'XFSZ', 'RTMIN', 'RTMAX']);

/** Docker's signal.ParseSignal for Linux: a number, or a name with or without SIG, any case. */
export function isSignal(raw: string): boolean {
  if (/^\d+$/.test(raw)) return Number(raw) >= 1 && Number(raw) <= 64;
  const name = raw.toUpperCase().replace(/^SIG/, '');
  return SIGNALS.has(name) || /^RTMIN\+(?:[1-9]|1[0-5])$|^RTMAX-(?:[1-9]|1[0-4])$/.test(name);
}

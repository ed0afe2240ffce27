/** What `build --check` reports: one located finding. */
export interface Diagnostic {
  readonly severity: 'error' | 'warning';
  /** The lint rule (BuildKit's names), for warnings and `# check=skip=`. */
  readonly rule?: string;
  readonly message: string;
  readonly file: string;
  readonly line: number;
  readonly url?: string;
}

/**
 * `Dockerfile:7: unknown instruction: FORM (did you mean FROM?)` or
 * `Dockerfile:3: warning: Rule: text`; a rule made an error by
 * `# check=error=true` keeps its rule name.
 */
export function formatDiagnostic(d: Diagnostic): string {
  const rule = d.rule ? `${d.rule}: ` : '';
  return `${d.file}:${d.line}: ${d.severity === 'warning' ? 'warning: ' : ''}${rule}${d.message}`;
}

/** The closing line, worded as `docker build --check` words it. */
export function summarize(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  if (diagnostics.length === 0) return 'Check complete, no warnings found.';
  const parts: string[] = [];
  if (warnings > 0) parts.push(`${warnings} warning${warnings === 1 ? '' : 's'}`);
  if (errors > 0) parts.push(`${errors} error${errors === 1 ? '' : 's'}`);
  return `Check complete, ${parts.join(' and ')} ${diagnostics.length === 1 ? 'has' : 'have'} been found!`;
}

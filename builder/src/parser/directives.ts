import type { Directive } from './node';

const DIRECTIVE = /^#[\t\n\f\r ]*([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*([^\n]+?)[\t\n\f\r ]*$/;
const KNOWN = new Set(['syntax', 'escape', 'check']);

/**
 * Parser directives: `# key=value` lines at the very top. The first line
 * that is not one (an instruction, a blank line, any other comment, or an
 * unknown key) ends the directives for good; a key given twice is an error.
 */
export class DirectiveScanner {
  private done = false;
  private readonly seen = new Set<string>();
  readonly found: Directive[] = [];

  /** Looks at one line (newline removed); returns the directive it is, if any. */
  scan(line: string, lineNumber: number): Directive | { error: string } | null {
    if (this.done) return null;
    const m = DIRECTIVE.exec(line);
    const key = m ? (m[1] as string).toLowerCase() : '';
    if (!m || !KNOWN.has(key)) {
      this.done = true;
      return null;
    }
    if (this.seen.has(key)) return { error: `only one ${key} parser directive can be used` };
    this.seen.add(key);
    const directive: Directive = { name: key as Directive['name'], value: m[2] as string, line: lineNumber };
    this.found.push(directive);
    return directive;
  }
}

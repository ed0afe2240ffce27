export { ShellLex } from './lexer';
export type { EscapeToken, ExpandResult, ShellEnv, ShellLexOptions } from './lexer';
export { RequiredVariableError, ShellSyntaxError } from './errors';

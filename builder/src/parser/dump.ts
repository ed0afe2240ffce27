import { goQuote, goQuoteSlice, trimSpace } from './go-text';
import type { DockerfileAst, InstructionNode } from './node';

/** One instruction as BuildKit's `Node.Dump()` prints it: `(copy ["--from=a"] "x" "/")`. */
export function dumpInstruction(node: InstructionNode): string {
  let s = node.keyword.toLowerCase();
  if (node.flags.length > 0) s += ' ' + goQuoteSlice(node.flags);
  for (const arg of node.args) s += ' ' + goQuote(arg);
  if (node.sub) s += ' (' + dumpInstruction(node.sub) + ')';
  return trimSpace(s);
}

/** The whole file in BuildKit's dump format: one s-expression per line, no final newline. */
export function dump(ast: DockerfileAst): string {
  return ast.instructions.map((n) => '(' + dumpInstruction(n) + ')').join('\n');
}

import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { Command, Option } from 'clipanion';
import type { BerthContext } from '../context';

/** `berth build`: for now only `--check` (parse and check a Dockerfile without building). */
export class BuildCommand extends Command<BerthContext> {
  static override paths = [['build']];
  static override usage = Command.Usage({
    description: 'Build an image from a Dockerfile',
    details: `
      With \`--check\`, parses the Dockerfile, checks every instruction, the stages and the lint rules, prints what
      it finds as \`Dockerfile:LINE: message\`, and exits 1 when there are errors (or warnings under
      \`# check=error=true\`), as \`docker build --check\` does. Nothing is built.
    `,
    examples: [
      ['Check ./Dockerfile', 'berth build --check .'],
      ['Check another file', 'berth build --check -f build/Dockerfile.prod .'],
    ],
  });

  check = Option.Boolean('--check', false, { description: 'Check the build configuration without building' });
  file = Option.String('-f,--file', { description: 'Name of the Dockerfile (default: CONTEXT/Dockerfile; - for stdin)' });
  target = Option.String('--target', { description: 'Set the target build stage to build' });
  buildArgs = Option.Array('--build-arg', [], { description: 'Set build-time variables (NAME=value)' });
  contextDir = Option.String({ required: false, name: 'CONTEXT' });

  async execute(): Promise<number> {
    const err = (message: string): number => {
      this.context.stderr.write(`berth: ${message}\n`);
      return 1;
    };
    if (!this.check) return err('building images is not implemented yet; use --check to check a Dockerfile');

    const contextDir = this.contextDir ?? '.';
    if (!statSync(contextDir, { throwIfNoEntry: false })?.isDirectory()) {
      return err(`unable to prepare context: path ${JSON.stringify(contextDir)} not found`);
    }
    const file = this.file ?? path.join(contextDir, 'Dockerfile');
    let text: string;
    try {
      text = readFileSync(file === '-' ? 0 : file, 'utf8');
    } catch (e) {
      return err(`failed to read dockerfile: ${(e as Error).message}`);
    }
    const buildArgs: Record<string, string> = {};
    for (const a of this.buildArgs) {
      const eq = a.indexOf('=');
      // `--build-arg NAME` takes the value from the environment, as Docker does.
      const value = eq < 0 ? process.env[a] : a.slice(eq + 1);
      if (value !== undefined) buildArgs[eq < 0 ? a : a.slice(0, eq)] = value;
    }

    // Loaded here, not at the top: `berth --help` should not pay for the builder.
    const { checkDockerfile, formatDiagnostic, summarize } = await import('@berth/builder');
    let result: ReturnType<typeof checkDockerfile>;
    try {
      result = checkDockerfile(text, {
        file: file === '-' ? 'Dockerfile' : path.basename(file),
        buildArgs,
        ...(this.target !== undefined ? { target: this.target } : {}),
      });
    } catch (e) {
      // Dockerfile problems are diagnostics; anything else is a bug, reported in one line.
      if (process.env['BERTH_DEBUG']) throw e;
      return err(`internal error while checking: ${(e as Error).message} (set BERTH_DEBUG=1 for details)`);
    }
    for (const d of result.diagnostics) this.context.stdout.write(formatDiagnostic(d) + '\n');
    this.context.stdout.write(summarize(result.diagnostics) + '\n');
    return result.failed ? 1 : 0;
  }
}

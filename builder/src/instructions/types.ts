import type { Heredoc, InstructionNode } from '../parser/node';

/** What every typed instruction carries: where it came from. */
export interface InstructionBase {
  /** The parsed node (keyword as written, flags, arguments, lines). */
  readonly node: InstructionNode;
  readonly line: number;
}

export interface KeyValue {
  readonly key: string;
  readonly value: string;
}

/** A heredoc used as a file: COPY/ADD `<<EOF` sources, RUN bodies. */
export interface InlineFile {
  readonly name: string;
  readonly data: string;
  /** Expand `$vars` in `data` (the delimiter was not quoted). */
  readonly expand: boolean;
  readonly chomp: boolean;
  readonly fileDescriptor: number;
}

/** RUN/CMD/ENTRYPOINT command line: exec form, or shell form run through SHELL. */
export interface CommandLine {
  readonly command: readonly string[];
  /** Shell form: run `command[0]` with the stage's SHELL. */
  readonly prependShell: boolean;
  readonly files: readonly InlineFile[];
}

export interface BindMount {
  readonly type: 'bind';
  readonly target: string;
  readonly source: string;
  readonly from?: string;
  readonly readOnly: boolean;
}
export interface CacheMount {
  readonly type: 'cache';
  readonly target: string;
  readonly id: string;
  readonly source: string;
  readonly from?: string;
  readonly readOnly: boolean;
  readonly sharing: 'shared' | 'private' | 'locked';
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}
export interface TmpfsMount {
  readonly type: 'tmpfs';
  readonly target: string;
  /** Bytes; undefined means the kernel default. */
  readonly size?: number;
}
export interface SecretMount {
  readonly type: 'secret';
  readonly id: string;
  /** File path; undefined when the secret is exposed only as `env`. */
  readonly target?: string;
  readonly env?: string;
  readonly required: boolean;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}
export interface SshMount {
  readonly type: 'ssh';
  readonly id: string;
  readonly target: string;
  readonly required: boolean;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}
export type RunMount = BindMount | CacheMount | TmpfsMount | SecretMount | SshMount;

export interface FromInstruction extends InstructionBase {
  readonly kind: 'from';
  /** The image or stage, unexpanded (`${BASE}` possible). */
  readonly baseName: string;
  /** `AS name`, lower-cased. */
  readonly stageName?: string;
  readonly platform?: string;
}
export interface RunInstruction extends InstructionBase, CommandLine {
  readonly kind: 'run';
  readonly mounts: readonly RunMount[];
  readonly network: 'default' | 'none' | 'host';
  readonly security: 'sandbox' | 'insecure';
}
export interface CmdInstruction extends InstructionBase, CommandLine {
  readonly kind: 'cmd';
}
export interface EntrypointInstruction extends InstructionBase, CommandLine {
  readonly kind: 'entrypoint';
}
export interface CopyInstruction extends InstructionBase {
  readonly kind: 'copy';
  readonly sources: readonly string[];
  /** Heredoc sources (`COPY <<EOF /dest`). */
  readonly contents: readonly InlineFile[];
  readonly dest: string;
  readonly from?: string;
  readonly chown?: string;
  readonly chmod?: string;
  readonly link: boolean;
  readonly parents: boolean;
  readonly exclude: readonly string[];
}
export interface AddInstruction extends Omit<CopyInstruction, 'kind' | 'from'> {
  readonly kind: 'add';
  readonly checksum?: string;
  readonly keepGitDir: boolean;
  /** undefined: unpack local archives, not remote ones (the default). */
  readonly unpack?: boolean;
}
export interface EnvInstruction extends InstructionBase {
  readonly kind: 'env';
  readonly env: readonly KeyValue[];
}
export interface LabelInstruction extends InstructionBase {
  readonly kind: 'label';
  readonly labels: readonly KeyValue[];
}
export interface ArgInstruction extends InstructionBase {
  readonly kind: 'arg';
  /** `ARG a=1 b`: `b` has no default (value undefined). */
  readonly args: readonly { readonly key: string; readonly value?: string }[];
}
export interface WorkdirInstruction extends InstructionBase {
  readonly kind: 'workdir';
  readonly path: string;
}
export interface UserInstruction extends InstructionBase {
  readonly kind: 'user';
  readonly user: string;
}
export interface ExposeInstruction extends InstructionBase {
  readonly kind: 'expose';
  readonly ports: readonly string[];
}
export interface VolumeInstruction extends InstructionBase {
  readonly kind: 'volume';
  readonly volumes: readonly string[];
}
export interface ShellInstruction extends InstructionBase {
  readonly kind: 'shell';
  readonly shell: readonly string[];
}
export interface StopSignalInstruction extends InstructionBase {
  readonly kind: 'stopsignal';
  readonly signal: string;
}
export interface HealthcheckInstruction extends InstructionBase {
  readonly kind: 'healthcheck';
  /** `["NONE"]`, `["CMD", ...argv]` or `["CMD-SHELL", "cmd"]`, as in the image config. */
  readonly test: readonly string[];
  /** Milliseconds; undefined means the default. */
  readonly interval?: number;
  readonly timeout?: number;
  readonly startPeriod?: number;
  readonly startInterval?: number;
  readonly retries?: number;
}
export interface OnbuildInstruction extends InstructionBase {
  readonly kind: 'onbuild';
  /** The trigger as text, stored in the image config and run by child builds. */
  readonly expression: string;
  readonly trigger: InstructionNode;
}
export interface MaintainerInstruction extends InstructionBase {
  readonly kind: 'maintainer';
  readonly maintainer: string;
}

export type Instruction =
  | FromInstruction | RunInstruction | CmdInstruction | EntrypointInstruction | CopyInstruction | AddInstruction
  | EnvInstruction | LabelInstruction | ArgInstruction | WorkdirInstruction | UserInstruction | ExposeInstruction
  | VolumeInstruction | ShellInstruction | StopSignalInstruction | HealthcheckInstruction | OnbuildInstruction
  | MaintainerInstruction;

export type InstructionKind = Instruction['kind'];

/** The instructions by keyword, as `docker build` spells them. */
export const INSTRUCTION_NAMES: readonly string[] = [
  'ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL', 'MAINTAINER',
  'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
];

export function heredocFile(h: Heredoc): InlineFile {
  return { name: h.name, data: h.content, expand: h.expand, chomp: h.chomp, fileDescriptor: h.fileDescriptor };
}

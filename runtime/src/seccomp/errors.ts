import { BerthError } from '@berth/spec';

/** A seccomp profile that cannot be compiled; the message names the field (`syscalls[3].args[0].op`). */
export class SeccompError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_BERTH_SECCOMP', message, options);
  }
}

/** The compiled program exceeds the kernel's BPF_MAXINSNS. */
export class SeccompTooLargeError extends BerthError {
  readonly instructions: number;

  constructor(instructions: number, limit: number) {
    super(
      'ERR_BERTH_SECCOMP_TOO_LARGE',
      `seccomp profile compiles to ${instructions} BPF instructions, more than the kernel's limit of ${limit}`,
    );
    this.instructions = instructions;
  }
}

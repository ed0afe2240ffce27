// The seccomp compiler: OCI `linux.seccomp` -> a classic-BPF program the init installs.
export { compileSeccomp, type CompileOptions, type CompiledSeccomp } from './compile';
export { evaluate, seccompData, type SeccompData } from './evaluate';
export { evaluatePolicy } from './reference';
export { decode as decodeProgram, type Instruction } from './bpf';
export { SeccompError, SeccompTooLargeError } from './errors';
export { ARCHES, archFromScmp, type ArchName } from './arch';
export { AUDIT_ARCH, SECCOMP_FILTER_FLAG, SECCOMP_RET, X32_SYSCALL_BIT } from './constants';

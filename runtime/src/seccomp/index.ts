// The seccomp compiler: OCI `linux.seccomp` -> a classic-BPF program that the
// init installs with seccomp(SECCOMP_SET_MODE_FILTER, flags, program), no libseccomp.
//
// Semantics are runc 1.1's with libseccomp 2.5 (held against runc in
// test/seccomp/runc.test.ts): the native ABI is always covered, other ABIs come
// from `architectures`, calls from any other ABI get KILL_THREAD; names unknown
// to an ABI's table are skipped; a rule whose action equals the default is
// dropped; conditions on one argument twice become ORed rules; an unconditional
// rule beats conditional ones; overlapping conditional rules are tested in
// libseccomp's order; 32-bit ABIs (i386, x32, arm) compare the low argument
// word only; runc's stub returns ENOSYS for syscall numbers above any the
// profile names (default action not ALLOW/LOG/TRACE, ABIs listed in
// `architectures`); i386 socket and SysV IPC calls are also matched through
// socketcall(2)/ipc(2); MASKED_EQ compares with valueTwo & mask. Where
// libseccomp 2.5.4 mis-compiles a rule set (see test/seccomp/libseccomp.test.ts)
// berth keeps the plain semantics. SCMP_ACT_NOTIFY sets SECCOMP_FILTER_FLAG_NEW_LISTENER.
export { compileSeccomp, type CompileOptions, type CompiledSeccomp } from './compile';
export { seccompFeatures, type SeccompFeatures } from './features';
export { disassemble } from './disassemble';
export { evaluate, seccompData, type SeccompData } from './evaluate';
export { evaluatePolicy } from './reference';
export { decode as decodeProgram, type Instruction } from './bpf';
export { SeccompError, SeccompTooLargeError } from './errors';
export { ARCHES, archFromScmp, syscallTable, type ArchName } from './arch';
export { AUDIT_ARCH, SECCOMP_FILTER_FLAG, SECCOMP_RET, X32_SYSCALL_BIT } from './constants';

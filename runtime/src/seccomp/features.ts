// What `berth-runtime features` reports under linux.seccomp.
import { release } from 'node:os';
import type { RuntimeTypes } from '@berth/spec';
import { ARCHES } from './arch';

export interface SeccompFeatures {
  enabled: boolean;
  actions: RuntimeTypes.SeccompAction[];
  operators: RuntimeTypes.SeccompOperators[];
  archs: RuntimeTypes.SeccompArch[];
  knownFlags: RuntimeTypes.SeccompFlag[];
  supportedFlags: RuntimeTypes.SeccompFlag[];
}

/** Kernel release in which each flag appeared. */
const FLAG_SINCE: ReadonlyArray<[RuntimeTypes.SeccompFlag, number, number]> = [
  ['SECCOMP_FILTER_FLAG_TSYNC', 3, 17],
  ['SECCOMP_FILTER_FLAG_LOG', 4, 14],
  ['SECCOMP_FILTER_FLAG_SPEC_ALLOW', 4, 17],
  ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV', 5, 19],
];

/** The compiler's capabilities; supportedFlags from the kernel release (`uname -r`). */
export function seccompFeatures(kernelRelease: string = release()): SeccompFeatures {
  const m = /^(\d+)\.(\d+)/.exec(kernelRelease);
  const [major, minor] = m ? [Number(m[1]), Number(m[2])] : [0, 0];
  return {
    enabled: true,
    actions: [
      'SCMP_ACT_KILL',
      'SCMP_ACT_KILL_PROCESS',
      'SCMP_ACT_KILL_THREAD',
      'SCMP_ACT_TRAP',
      'SCMP_ACT_ERRNO',
      'SCMP_ACT_TRACE',
      'SCMP_ACT_ALLOW',
      'SCMP_ACT_LOG',
      'SCMP_ACT_NOTIFY',
    ],
    operators: ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'],
    archs: Object.values(ARCHES).map((a) => a.scmp as RuntimeTypes.SeccompArch),
    knownFlags: FLAG_SINCE.map(([f]) => f),
    supportedFlags: FLAG_SINCE.filter(([, maj, min]) => major > maj || (major === maj && minor >= min)).map(([f]) => f),
  };
}

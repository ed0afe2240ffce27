export { SysError, AddonNotBuiltError, native, buildDir } from './native';
export type { NativeAddon } from './native';
export { MS, MNT, mount, umount2 } from './mount';
export { S_IF, XATTR, mknod, setXattr, getXattr, listXattrs, removeXattr } from './files';
export { unixConnect, unixListen, sendFd, recvFd, acceptRecvFd, openpty, closeFd, clearCloexec, getWinsize, setWinsize, makeRaw, flock, LOCK } from './fds';
export { CLONE_NEW, PR, setns, prctl, pidfdOpen, pidfdSendSignal, pollReadable, waitPid } from './proc';
export { encodePlan, initPath, PlanEncodeError } from './plan';
export type { LaunchPlan, IdMapping, PlanMount, PlanDevice, PlanRlimit, PlanCapabilities, NamespaceType } from './plan';
export { BPF, bpf } from './bpf';

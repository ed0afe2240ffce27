// Generated with quicktype by spec/scripts/generate.js from the OCI schemas (Apache-2.0): runtime-spec-v1.3.0/config-schema.json, runtime-spec-v1.3.0/state-schema.json. Do not edit: run `npm run generate -w @berth/spec`.

/**
 * Open Container Initiative Runtime Specification Container Configuration Schema
 */
export interface Spec {
    annotations?: { [key: string]: unknown };
    domainname?:  string;
    freebsd?:     Freebsd;
    hooks?:       Hooks;
    hostname?:    string;
    linux?:       Linux;
    mounts?:      Mount[];
    ociVersion:   string;
    process?:     Process;
    /**
     * Configures the container's root filesystem.
     */
    root?:    Root;
    solaris?: Solaris;
    vm?:      VM;
    windows?: Windows;
    zos?:     Zos;
    [property: string]: unknown;
}

/**
 * FreeBSD platform-specific configurations
 */
export interface Freebsd {
    devices?: FreebsdDevice[];
    jail?:    Jail;
    [property: string]: unknown;
}

export interface FreebsdDevice {
    mode?: number;
    path?: string;
    [property: string]: unknown;
}

export interface Jail {
    allow?:          Allow;
    enforceStatfs?:  number;
    host?:           SharingModeNoDisable;
    interface?:      string;
    ip4?:            SharingMode;
    ip4Addr?:        string[];
    ip6?:            SharingMode;
    ip6Addr?:        string[];
    parent?:         string;
    sysvmsg?:        SharingMode;
    sysvsem?:        SharingMode;
    sysvshm?:        SharingMode;
    vnet?:           SharingModeNoDisable;
    vnetInterfaces?: string[];
    [property: string]: unknown;
}

export interface Allow {
    chflags?:       boolean;
    mlock?:         boolean;
    mount?:         string[];
    quotas?:        boolean;
    rawSockets?:    boolean;
    reservedPorts?: boolean;
    setHostname?:   boolean;
    socketAf?:      boolean;
    suser?:         boolean;
    [property: string]: unknown;
}

export type SharingModeNoDisable = "new" | "inherit";

export type SharingMode = "disable" | "new" | "inherit";

export interface Hooks {
    createContainer?: Hook[];
    createRuntime?:   Hook[];
    poststart?:       Hook[];
    poststop?:        Hook[];
    prestart?:        Hook[];
    startContainer?:  Hook[];
    [property: string]: unknown;
}

export interface Hook {
    args?:    string[];
    env?:     string[];
    path:     string;
    timeout?: number;
    [property: string]: unknown;
}

/**
 * Linux platform-specific configurations
 */
export interface Linux {
    cgroupsPath?:       string;
    devices?:           LinuxDevice[];
    gidMappings?:       IDMapping[];
    intelRdt?:          IntelRdt;
    maskedPaths?:       string[];
    memoryPolicy?:      MemoryPolicy;
    mountLabel?:        string;
    namespaces?:        LinuxNamespace[];
    netDevices?:        { [key: string]: NetDevice };
    personality?:       Personality;
    readonlyPaths?:     string[];
    resources?:         LinuxResources;
    rootfsPropagation?: RootfsPropagation;
    seccomp?:           Seccomp;
    sysctl?:            { [key: string]: unknown };
    timeOffsets?:       TimeOffsets;
    uidMappings?:       IDMapping[];
    [property: string]: unknown;
}

export interface LinuxDevice {
    fileMode?: number;
    gid?:      number;
    major?:    number;
    minor?:    number;
    path:      string;
    type:      string;
    uid?:      number;
    [property: string]: unknown;
}

export interface IDMapping {
    containerID: number;
    hostID:      number;
    size:        number;
    [property: string]: unknown;
}

export interface IntelRdt {
    closID?:           string;
    enableMonitoring?: boolean;
    l3CacheSchema?:    string;
    memBwSchema?:      string;
    schemata?:         string[];
    [property: string]: unknown;
}

export interface MemoryPolicy {
    flags?: MemoryPolicyFlag[];
    mode?:  MemoryPolicyMode;
    nodes?: string;
    [property: string]: unknown;
}

export type MemoryPolicyFlag = "MPOL_F_NUMA_BALANCING" | "MPOL_F_RELATIVE_NODES" | "MPOL_F_STATIC_NODES";

export type MemoryPolicyMode = "MPOL_DEFAULT" | "MPOL_BIND" | "MPOL_INTERLEAVE" | "MPOL_WEIGHTED_INTERLEAVE" | "MPOL_PREFERRED" | "MPOL_PREFERRED_MANY" | "MPOL_LOCAL";

export interface LinuxNamespace {
    path?: string;
    type:  LinuxNamespaceType;
    [property: string]: unknown;
}

export type LinuxNamespaceType = "mount" | "pid" | "network" | "uts" | "ipc" | "user" | "cgroup" | "time";

export interface NetDevice {
    name?: string;
    [property: string]: unknown;
}

export interface Personality {
    domain?: PersonalityDomain;
    flags?:  string[];
    [property: string]: unknown;
}

export type PersonalityDomain = "LINUX" | "LINUX32";

export interface LinuxResources {
    blockIO?:        BlockIO;
    cpu?:            LinuxCPU;
    devices?:        DeviceCgroup[];
    hugepageLimits?: HugepageLimit[];
    memory?:         LinuxMemory;
    network?:        ResourcesNetwork;
    pids?:           Pids;
    rdma?:           { [key: string]: Rdma };
    unified?:        { [key: string]: unknown };
    [property: string]: unknown;
}

export interface BlockIO {
    leafWeight?:              number;
    throttleReadBpsDevice?:   BlockIODeviceThrottle[];
    throttleReadIOPSDevice?:  BlockIODeviceThrottle[];
    throttleWriteBpsDevice?:  BlockIODeviceThrottle[];
    throttleWriteIOPSDevice?: BlockIODeviceThrottle[];
    weight?:                  number;
    weightDevice?:            BlockIODeviceWeight[];
    [property: string]: unknown;
}

export interface BlockIODeviceThrottle {
    major: number;
    minor: number;
    rate?: number;
    [property: string]: unknown;
}

export interface BlockIODeviceWeight {
    major:       number;
    minor:       number;
    leafWeight?: number;
    weight?:     number;
    [property: string]: unknown;
}

export interface LinuxCPU {
    burst?:           number;
    cpus?:            string;
    idle?:            number;
    mems?:            string;
    period?:          number;
    quota?:           number;
    realtimePeriod?:  number;
    realtimeRuntime?: number;
    shares?:          number;
    [property: string]: unknown;
}

export interface DeviceCgroup {
    access?: string;
    allow:   boolean;
    major?:  number;
    minor?:  number;
    type?:   string;
    [property: string]: unknown;
}

export interface HugepageLimit {
    limit:    number;
    pageSize: string;
    [property: string]: unknown;
}

export interface LinuxMemory {
    checkBeforeUpdate?: boolean;
    disableOOMKiller?:  boolean;
    kernel?:            number;
    kernelTCP?:         number;
    limit?:             number;
    reservation?:       number;
    swap?:              number;
    swappiness?:        number;
    useHierarchy?:      boolean;
    [property: string]: unknown;
}

export interface ResourcesNetwork {
    classID?:    number;
    priorities?: NetworkInterfacePriority[];
    [property: string]: unknown;
}

export interface NetworkInterfacePriority {
    name:     string;
    priority: number;
    [property: string]: unknown;
}

export interface Pids {
    limit: number;
    [property: string]: unknown;
}

export interface Rdma {
    hcaHandles?: number;
    hcaObjects?: number;
    [property: string]: unknown;
}

export type RootfsPropagation = "private" | "shared" | "slave" | "unbindable";

export interface Seccomp {
    architectures?:    SeccompArch[];
    defaultAction:     SeccompAction;
    defaultErrnoRet?:  number;
    flags?:            SeccompFlag[];
    listenerMetadata?: string;
    listenerPath?:     string;
    syscalls?:         Syscall[];
    [property: string]: unknown;
}

export type SeccompArch = "SCMP_ARCH_X86" | "SCMP_ARCH_X86_64" | "SCMP_ARCH_X32" | "SCMP_ARCH_ARM" | "SCMP_ARCH_AARCH64" | "SCMP_ARCH_LOONGARCH64" | "SCMP_ARCH_M68K" | "SCMP_ARCH_MIPS" | "SCMP_ARCH_MIPS64" | "SCMP_ARCH_MIPS64N32" | "SCMP_ARCH_MIPSEL" | "SCMP_ARCH_MIPSEL64" | "SCMP_ARCH_MIPSEL64N32" | "SCMP_ARCH_PPC" | "SCMP_ARCH_PPC64" | "SCMP_ARCH_PPC64LE" | "SCMP_ARCH_S390" | "SCMP_ARCH_S390X" | "SCMP_ARCH_SH" | "SCMP_ARCH_SHEB" | "SCMP_ARCH_PARISC" | "SCMP_ARCH_PARISC64" | "SCMP_ARCH_RISCV64";

export type SeccompAction = "SCMP_ACT_KILL" | "SCMP_ACT_KILL_PROCESS" | "SCMP_ACT_KILL_THREAD" | "SCMP_ACT_TRAP" | "SCMP_ACT_ERRNO" | "SCMP_ACT_TRACE" | "SCMP_ACT_ALLOW" | "SCMP_ACT_LOG" | "SCMP_ACT_NOTIFY";

export type SeccompFlag = "SECCOMP_FILTER_FLAG_TSYNC" | "SECCOMP_FILTER_FLAG_LOG" | "SECCOMP_FILTER_FLAG_SPEC_ALLOW" | "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV";

export interface Syscall {
    action:    SeccompAction;
    args?:     SyscallArg[];
    errnoRet?: number;
    names:     [string, ...string[]];
    [property: string]: unknown;
}

export interface SyscallArg {
    index:     number;
    op:        SeccompOperators;
    value:     number;
    valueTwo?: number;
    [property: string]: unknown;
}

export type SeccompOperators = "SCMP_CMP_NE" | "SCMP_CMP_LT" | "SCMP_CMP_LE" | "SCMP_CMP_EQ" | "SCMP_CMP_GE" | "SCMP_CMP_GT" | "SCMP_CMP_MASKED_EQ";

export interface TimeOffsets {
    boottime?:  BoottimeObject;
    monotonic?: BoottimeObject;
    [property: string]: unknown;
}

export interface BoottimeObject {
    nanosecs?: number;
    secs?:     number;
    [property: string]: unknown;
}

export interface Mount {
    destination:  string;
    gidMappings?: IDMapping[];
    options?:     string[];
    source?:      string;
    type?:        string;
    uidMappings?: IDMapping[];
    [property: string]: unknown;
}

export interface Process {
    apparmorProfile?: string;
    args?:            string[];
    capabilities?:    Capabilities;
    commandLine?:     string;
    consoleSize?:     ConsoleSize;
    cwd:              string;
    env?:             string[];
    execCPUAffinity?: ExecCPUAffinity;
    ioPriority?:      IoPriority;
    noNewPrivileges?: boolean;
    oomScoreAdj?:     number;
    rlimits?:         Rlimit[];
    scheduler?:       Scheduler;
    selinuxLabel?:    string;
    terminal?:        boolean;
    user?:            User;
    [property: string]: unknown;
}

export interface Capabilities {
    ambient?:     string[];
    bounding?:    string[];
    effective?:   string[];
    inheritable?: string[];
    permitted?:   string[];
    [property: string]: unknown;
}

export interface ConsoleSize {
    height: number;
    width:  number;
    [property: string]: unknown;
}

export interface ExecCPUAffinity {
    final?:   string;
    initial?: string;
    [property: string]: unknown;
}

export interface IoPriority {
    class:     Class;
    priority?: number;
    [property: string]: unknown;
}

export type Class = "IOPRIO_CLASS_RT" | "IOPRIO_CLASS_BE" | "IOPRIO_CLASS_IDLE";

export interface Rlimit {
    hard: number;
    soft: number;
    type: string;
    [property: string]: unknown;
}

export interface Scheduler {
    deadline?: number;
    flags?:    SchedulerFlag[];
    nice?:     number;
    period?:   number;
    policy:    SchedulerPolicy;
    priority?: number;
    runtime?:  number;
    [property: string]: unknown;
}

export type SchedulerFlag = "SCHED_FLAG_RESET_ON_FORK" | "SCHED_FLAG_RECLAIM" | "SCHED_FLAG_DL_OVERRUN" | "SCHED_FLAG_KEEP_POLICY" | "SCHED_FLAG_KEEP_PARAMS" | "SCHED_FLAG_UTIL_CLAMP_MIN" | "SCHED_FLAG_UTIL_CLAMP_MAX";

export type SchedulerPolicy = "SCHED_OTHER" | "SCHED_FIFO" | "SCHED_RR" | "SCHED_BATCH" | "SCHED_ISO" | "SCHED_IDLE" | "SCHED_DEADLINE";

export interface User {
    additionalGids?: number[];
    gid?:            number;
    uid?:            number;
    umask?:          number;
    username?:       string;
    [property: string]: unknown;
}

/**
 * Configures the container's root filesystem.
 */
export interface Root {
    path:      string;
    readonly?: boolean;
    [property: string]: unknown;
}

/**
 * Solaris platform-specific configurations
 */
export interface Solaris {
    anet?:         Anet[];
    cappedCPU?:    CappedCPU;
    cappedMemory?: CappedMemory;
    limitpriv?:    string;
    maxShmMemory?: string;
    milestone?:    string;
    [property: string]: unknown;
}

export interface Anet {
    allowedAddress?:          string;
    configureAllowedAddress?: string;
    defrouter?:               string;
    linkname?:                string;
    linkProtection?:          string;
    lowerLink?:               string;
    macAddress?:              string;
    [property: string]: unknown;
}

export interface CappedCPU {
    ncpus?: string;
    [property: string]: unknown;
}

export interface CappedMemory {
    physical?: string;
    swap?:     string;
    [property: string]: unknown;
}

/**
 * configuration for virtual-machine-based containers
 */
export interface VM {
    /**
     * hardware configuration for the VM image
     */
    hwConfig?: HwConfig;
    /**
     * hypervisor config used by VM-based containers
     */
    hypervisor?: Hypervisor;
    /**
     * root image config used by VM-based containers
     */
    image?: Image;
    /**
     * kernel config used by VM-based containers
     */
    kernel: Kernel;
    [property: string]: unknown;
}

/**
 * hardware configuration for the VM image
 */
export interface HwConfig {
    deviceTree?: string;
    dtdevs?:     string[];
    iomems?:     IOMemEntryFormat[];
    irqs?:       number[];
    memory?:     number;
    vcpus?:      number;
    [property: string]: unknown;
}

export interface IOMemEntryFormat {
    firstGFN?: number;
    firstMFN:  number;
    nrMFNs:    number;
    [property: string]: unknown;
}

/**
 * hypervisor config used by VM-based containers
 */
export interface Hypervisor {
    parameters?: string[];
    path:        string;
    [property: string]: unknown;
}

/**
 * root image config used by VM-based containers
 */
export interface Image {
    format: RootImageFormat;
    path:   string;
    [property: string]: unknown;
}

export type RootImageFormat = "raw" | "qcow2" | "vdi" | "vmdk" | "vhd";

/**
 * kernel config used by VM-based containers
 */
export interface Kernel {
    initrd?:     string;
    parameters?: string[];
    path:        string;
    [property: string]: unknown;
}

/**
 * Windows platform-specific configurations
 */
export interface Windows {
    credentialSpec?:          { [key: string]: unknown };
    devices?:                 WindowsDevice[];
    hyperv?:                  Hyperv;
    ignoreFlushesDuringBoot?: boolean;
    layerFolders:             [string, ...string[]];
    network?:                 WindowsNetwork;
    resources?:               WindowsResources;
    servicing?:               boolean;
    [property: string]: unknown;
}

export interface WindowsDevice {
    id:     string;
    idType: IDType;
    [property: string]: unknown;
}

export type IDType = "class";

export interface Hyperv {
    utilityVMPath?: string;
    [property: string]: unknown;
}

export interface WindowsNetwork {
    allowUnqualifiedDNSQuery?:   boolean;
    DNSSearchList?:              string[];
    endpointList?:               string[];
    networkNamespace?:           string;
    networkSharedContainerName?: string;
    [property: string]: unknown;
}

export interface WindowsResources {
    cpu?:     WindowsCPU;
    memory?:  WindowsMemory;
    storage?: Storage;
    [property: string]: unknown;
}

export interface WindowsCPU {
    affinity?: Affinity;
    count?:    number;
    maximum?:  number;
    shares?:   number;
    [property: string]: unknown;
}

export interface Affinity {
    group?: number;
    mask?:  number;
    [property: string]: unknown;
}

export interface WindowsMemory {
    limit?: number;
    [property: string]: unknown;
}

export interface Storage {
    bps?:         number;
    iops?:        number;
    sandboxSize?: number;
    [property: string]: unknown;
}

/**
 * z/OS platform-specific configurations
 */
export interface Zos {
    namespaces?: ZosNamespace[];
    [property: string]: unknown;
}

export interface ZosNamespace {
    path?: string;
    type:  ZosNamespaceType;
    [property: string]: unknown;
}

export type ZosNamespaceType = "mount" | "pid" | "uts" | "ipc";

/**
 * Open Container Runtime State Schema
 */
export interface State {
    annotations?: { [key: string]: unknown };
    bundle:       string;
    /**
     * the container's ID
     */
    id:         string;
    ociVersion: string;
    pid?:       number;
    status:     Status;
    [property: string]: unknown;
}

export type Status = "creating" | "created" | "running" | "stopped";


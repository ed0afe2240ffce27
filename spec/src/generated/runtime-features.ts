// Generated with quicktype by spec/scripts/generate.js from the OCI schemas (Apache-2.0): runtime-spec-v1.3.0/features-schema.json. Do not edit: run `npm run generate -w @berth/spec`.

/**
 * Open Container Initiative Runtime Specification Runtime Features Schema
 */
export interface Features {
    annotations?:                        { [key: string]: unknown };
    hooks?:                              string[];
    linux?:                              Linux;
    mountOptions?:                       string[];
    ociVersionMax:                       string;
    ociVersionMin:                       string;
    potentiallyUnsafeConfigAnnotations?: string[];
    [property: string]: unknown;
}

/**
 * Linux platform-specific features
 */
export interface Linux {
    apparmor?:        Apparmor;
    capabilities?:    string[];
    cgroup?:          Cgroup;
    intelRdt?:        IntelRdt;
    mountExtensions?: MountExtensions;
    namespaces?:      LinuxNamespaceType[];
    netDevices?:      NetDevices;
    seccomp?:         Seccomp;
    selinux?:         Selinux;
    [property: string]: unknown;
}

export interface Apparmor {
    enabled?: boolean;
    [property: string]: unknown;
}

export interface Cgroup {
    rdma?:        boolean;
    systemd?:     boolean;
    systemdUser?: boolean;
    v1?:          boolean;
    v2?:          boolean;
    [property: string]: unknown;
}

export interface IntelRdt {
    enabled?: boolean;
    [property: string]: unknown;
}

export interface MountExtensions {
    idmap?: Idmap;
    [property: string]: unknown;
}

export interface Idmap {
    enabled?: boolean;
    [property: string]: unknown;
}

export type LinuxNamespaceType = "mount" | "pid" | "network" | "uts" | "ipc" | "user" | "cgroup" | "time";

export interface NetDevices {
    enabled?: boolean;
    [property: string]: unknown;
}

export interface Seccomp {
    actions?:        SeccompAction[];
    archs?:          SeccompArch[];
    enabled?:        boolean;
    knownFlags?:     SeccompFlag[];
    operators?:      SeccompOperators[];
    supportedFlags?: SeccompFlag[];
    [property: string]: unknown;
}

export type SeccompAction = "SCMP_ACT_KILL" | "SCMP_ACT_KILL_PROCESS" | "SCMP_ACT_KILL_THREAD" | "SCMP_ACT_TRAP" | "SCMP_ACT_ERRNO" | "SCMP_ACT_TRACE" | "SCMP_ACT_ALLOW" | "SCMP_ACT_LOG" | "SCMP_ACT_NOTIFY";

export type SeccompArch = "SCMP_ARCH_X86" | "SCMP_ARCH_X86_64" | "SCMP_ARCH_X32" | "SCMP_ARCH_ARM" | "SCMP_ARCH_AARCH64" | "SCMP_ARCH_LOONGARCH64" | "SCMP_ARCH_M68K" | "SCMP_ARCH_MIPS" | "SCMP_ARCH_MIPS64" | "SCMP_ARCH_MIPS64N32" | "SCMP_ARCH_MIPSEL" | "SCMP_ARCH_MIPSEL64" | "SCMP_ARCH_MIPSEL64N32" | "SCMP_ARCH_PPC" | "SCMP_ARCH_PPC64" | "SCMP_ARCH_PPC64LE" | "SCMP_ARCH_S390" | "SCMP_ARCH_S390X" | "SCMP_ARCH_SH" | "SCMP_ARCH_SHEB" | "SCMP_ARCH_PARISC" | "SCMP_ARCH_PARISC64" | "SCMP_ARCH_RISCV64";

export type SeccompFlag = "SECCOMP_FILTER_FLAG_TSYNC" | "SECCOMP_FILTER_FLAG_LOG" | "SECCOMP_FILTER_FLAG_SPEC_ALLOW" | "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV";

export type SeccompOperators = "SCMP_CMP_NE" | "SCMP_CMP_LT" | "SCMP_CMP_LE" | "SCMP_CMP_EQ" | "SCMP_CMP_GE" | "SCMP_CMP_GT" | "SCMP_CMP_MASKED_EQ";

export interface Selinux {
    enabled?: boolean;
    [property: string]: unknown;
}


/**
 * The seccomp policy as one readable table: which system calls a sandboxed script may not make, and why.
 * seccomp-bpf.ts compiles it to the classic BPF program bwrap installs (`--seccomp FD`); docs, tests and
 * `scriptbox doctor` list it from here. Everything not in the table is allowed.
 *
 * Arguments: every argument a rule looks at is a 32-bit `int`/`unsigned int` in the kernel (socket's
 * domain, ioctl's request, personality's persona) or is cut to its low 32 bits by the kernel before use
 * (clone's flags; unshare refuses any high bit with EINVAL). So the filter compares only the low word of
 * the 64-bit `seccomp_data.args[i]` and ignores the high word, exactly as the kernel does: a value with
 * high bits set behaves like its low word in both places.
 */

/** What a rule makes the call return. (A foreign ABI kills the process: see SECCOMP_ABI_RULES.) */
export type SeccompAction = 'EPERM' | 'ENOSYS';

/** The profiles: `run` for every process that runs script code, `supervisor` for a session's resident runner. */
export type SeccompProfile = 'run' | 'supervisor';

/** When a conditional rule applies, on the low 32 bits of argument `arg` (see the file comment). */
export type ArgCondition =
  /** Some bit of `mask` is set. */
  | { arg: number; anyBitOf: number }
  /** The value is one of `values`. */
  | { arg: number; oneOf: readonly number[] }
  /** The value is none of `values`. */
  | { arg: number; noneOf: readonly number[] };

export interface SeccompRule {
  syscall: string;
  action: SeccompAction;
  /** Plain-words condition; absent means every call is refused. */
  when?: string;
  reason: string;
}

/** A rule with what the compiler needs: its condition, and how the supervisor profile differs. */
export interface SeccompTableRow extends SeccompRule {
  condition?: ArgCondition;
  /** Supervisor profile: `allow` (no rule), or a different condition (with its own `when`). */
  supervisor?: 'allow' | { condition: ArgCondition; when: string };
}

const CLONE_NEWTIME = 0x00000080;
const CLONE_NEWNS = 0x00020000;
const CLONE_NEWCGROUP = 0x02000000;
const CLONE_NEWUTS = 0x04000000;
const CLONE_NEWIPC = 0x08000000;
const CLONE_NEWUSER = 0x10000000;
const CLONE_NEWPID = 0x20000000;
const CLONE_NEWNET = 0x40000000;
/**
 * Every namespace flag. CLONE_NEWTIME shares its bit with clone()'s exit signal byte, which a valid signal
 * (1..64) never sets, so testing it for clone only turns the kernel's EINVAL into EPERM.
 */
const NEW_NAMESPACES =
  CLONE_NEWNS |
  CLONE_NEWCGROUP |
  CLONE_NEWUTS |
  CLONE_NEWIPC |
  CLONE_NEWUSER |
  CLONE_NEWPID |
  CLONE_NEWNET |
  CLONE_NEWTIME;
/** The namespaces a session's supervisor creates for each run: a fresh pid and mount namespace. */
const SUPERVISOR_NAMESPACES = CLONE_NEWPID | CLONE_NEWNS;

export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;
const TIOCSTI = 0x5412;
const TIOCLINUX = 0x541c;
const PERSONA_LINUX = 0;
const PERSONA_QUERY = 0xffffffff;

const deny = (syscall: string, reason: string): SeccompTableRow => ({ syscall, action: 'EPERM', reason });
const MOUNT_API = 'the mount API: a script never changes its mounts (bwrap has set them up before it starts)';
const NEW_NS_SUPERVISOR = {
  condition: { arg: 0, anyBitOf: NEW_NAMESPACES & ~SUPERVISOR_NAMESPACES },
  when: 'a namespace flag other than CLONE_NEWPID or CLONE_NEWNS',
};

export const SECCOMP_TABLE: readonly SeccompTableRow[] = [
  // ptrace-class: reading or changing another process's memory, fds or state
  deny('ptrace', 'debugs and rewrites other processes (a way into anything with the same uid)'),
  deny('process_vm_readv', "reads another process's memory"),
  deny('process_vm_writev', "writes another process's memory"),
  deny('pidfd_getfd', "copies a file descriptor out of another process (a session supervisor's, say)"),
  deny('kcmp', "compares kernel objects of two processes, probing another process's fds and memory"),
  deny('process_madvise', "gives memory advice on another process's address space"),
  // kernel attack surface a script never needs
  deny('perf_event_open', 'performance counters: a large kernel interface and a side channel'),
  deny('bpf', 'loads eBPF programs: a large in-kernel attack surface'),
  deny('userfaultfd', 'lets a process stall kernel code on its page faults, a common exploit primitive'),
  deny(
    'io_uring_setup',
    'io_uring: a large kernel interface with a long exploit history; runtimes fall back',
  ),
  deny('io_uring_enter', 'io_uring (see io_uring_setup)'),
  deny('io_uring_register', 'io_uring (see io_uring_setup)'),
  deny('keyctl', 'kernel keyrings: per-uid state shared across sandboxes'),
  deny('add_key', 'kernel keyrings (see keyctl)'),
  deny('request_key', 'kernel keyrings (see keyctl)'),
  deny('kexec_load', 'loads a new kernel'),
  deny('kexec_file_load', 'loads a new kernel'),
  deny('init_module', 'loads a kernel module'),
  deny('finit_module', 'loads a kernel module'),
  deny('delete_module', 'unloads a kernel module'),
  // the mount API
  { ...deny('mount', MOUNT_API), supervisor: 'allow' },
  { ...deny('umount2', MOUNT_API), supervisor: 'allow' },
  deny('pivot_root', MOUNT_API),
  deny('open_tree', MOUNT_API),
  deny('open_tree_attr', MOUNT_API),
  deny('move_mount', MOUNT_API),
  deny('fsopen', MOUNT_API),
  deny('fsconfig', MOUNT_API),
  deny('fsmount', MOUNT_API),
  deny('fspick', MOUNT_API),
  deny('mount_setattr', MOUNT_API),
  deny('chroot', 'changes the root directory; only useful to break out of one'),
  // new namespaces
  {
    ...deny('unshare', 'new namespaces reach kernel code written for privileged users'),
    supervisor: NEW_NS_SUPERVISOR,
  },
  {
    ...deny('clone', 'new namespaces (see unshare); plain fork and thread creation stay allowed'),
    condition: { arg: 0, anyBitOf: NEW_NAMESPACES },
    when: 'any CLONE_NEW* namespace flag',
    supervisor: NEW_NS_SUPERVISOR,
  },
  {
    syscall: 'clone3',
    action: 'ENOSYS',
    reason:
      'its flags are in memory a seccomp filter cannot read; on ENOSYS glibc falls back to clone, ' +
      'whose flags the filter checks',
  },
  { ...deny('setns', 'joins another namespace'), supervisor: 'allow' },
  // files by handle, host-wide state and hardware
  deny('open_by_handle_at', 'opens files by handle, bypassing the path (the "shocker" container escape)'),
  deny('name_to_handle_at', 'file handles (see open_by_handle_at)'),
  deny('acct', 'process accounting, host-wide'),
  deny('swapon', 'host swap'),
  deny('swapoff', 'host swap'),
  deny('reboot', 'reboots the host'),
  deny('syslog', 'the kernel log: kernel addresses and other tenants'),
  deny('iopl', 'raw I/O port access'),
  deny('ioperm', 'raw I/O port access'),
  deny('settimeofday', 'the host clock'),
  deny('clock_settime', 'the host clock'),
  deny('clock_adjtime', 'the host clock'),
  deny('adjtimex', 'the host clock'),
  deny('quotactl', 'file system quotas'),
  deny('quotactl_fd', 'file system quotas'),
  deny('lookup_dcookie', 'kernel profiling internals'),
  deny('uselib', 'an obsolete loader interface'),
  deny('fanotify_init', 'file system wide access notification'),
  deny('vhangup', 'hangs up the terminal'),
  {
    ...deny('personality', 'other personas change the address space (READ_IMPLIES_EXEC, no ASLR)'),
    condition: { arg: 0, noneOf: [PERSONA_LINUX, PERSONA_QUERY] },
    when: 'a persona other than 0 (Linux) or 0xffffffff (query)',
  },
  // sockets and the terminal
  {
    ...deny(
      'socket',
      'only unix, IPv4 and IPv6 sockets: AF_VSOCK crosses network namespaces; netlink, packet and ' +
        'crypto sockets are kernel attack surface',
    ),
    condition: { arg: 0, noneOf: [AF_UNIX, AF_INET, AF_INET6] },
    when: 'domain other than AF_UNIX, AF_INET or AF_INET6',
  },
  {
    ...deny('socketpair', 'only unix, IPv4 and IPv6 sockets (see socket)'),
    condition: { arg: 0, noneOf: [AF_UNIX, AF_INET, AF_INET6] },
    when: 'domain other than AF_UNIX, AF_INET or AF_INET6',
  },
  {
    ...deny('ioctl', 'types input into a terminal, or drives the console'),
    condition: { arg: 1, oneOf: [TIOCSTI, TIOCLINUX] },
    when: 'request TIOCSTI or TIOCLINUX',
  },
];

/** What the filter does before it looks at the call: only the native ABI gets through. */
export const SECCOMP_ABI_RULES: readonly { when: string; action: 'KILL_PROCESS'; reason: string }[] = [
  {
    when: 'the call uses another architecture (int 0x80 on x86_64, 32-bit ARM on aarch64)',
    action: 'KILL_PROCESS',
    reason: 'its system call numbers differ, so the table would not apply',
  },
  {
    when: 'x86_64 only: the call number has the x32 bit (0x40000000) set (so has -1)',
    action: 'KILL_PROCESS',
    reason: 'the x32 ABI reaches the same calls under other numbers',
  },
];

/** The architectures the filter is built for: process.arch, its AUDIT_ARCH value, its call numbers. */
export type SeccompArch = 'x64' | 'arm64';

export const AUDIT_ARCH: Record<SeccompArch, number> = {
  x64: 0xc000003e, // EM_X86_64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE
  arm64: 0xc00000b7, // EM_AARCH64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE
};

/** x86_64 has an x32 ABI: its calls carry this bit in their number. */
export const X32_SYSCALL_BIT = 0x40000000;

/** Calls added since Linux 5.1 have one number on every architecture (the unified syscall table). */
const UNIFIED_SYSCALLS = {
  io_uring_setup: 425,
  io_uring_enter: 426,
  io_uring_register: 427,
  open_tree: 428,
  move_mount: 429,
  fsopen: 430,
  fsconfig: 431,
  fsmount: 432,
  fspick: 433,
  clone3: 435,
  pidfd_getfd: 438,
  process_madvise: 440,
  mount_setattr: 442,
  quotactl_fd: 443,
  open_tree_attr: 467,
} as const;

/** System call numbers (linux asm/unistd_64.h and asm-generic/unistd.h); a missing name is not on that arch. */
export const SYSCALL_NUMBERS: Record<SeccompArch, Readonly<Record<string, number>>> = {
  x64: {
    ioctl: 16,
    getpid: 39,
    socket: 41,
    socketpair: 53,
    clone: 56,
    ptrace: 101,
    syslog: 103,
    uselib: 134,
    personality: 135,
    vhangup: 153,
    pivot_root: 155,
    adjtimex: 159,
    chroot: 161,
    acct: 163,
    settimeofday: 164,
    mount: 165,
    umount2: 166,
    swapon: 167,
    swapoff: 168,
    reboot: 169,
    iopl: 172,
    ioperm: 173,
    init_module: 175,
    delete_module: 176,
    quotactl: 179,
    lookup_dcookie: 212,
    clock_settime: 227,
    kexec_load: 246,
    add_key: 248,
    request_key: 249,
    keyctl: 250,
    unshare: 272,
    perf_event_open: 298,
    fanotify_init: 300,
    name_to_handle_at: 303,
    open_by_handle_at: 304,
    clock_adjtime: 305,
    setns: 308,
    process_vm_readv: 310,
    process_vm_writev: 311,
    kcmp: 312,
    finit_module: 313,
    kexec_file_load: 320,
    bpf: 321,
    userfaultfd: 323,
    ...UNIFIED_SYSCALLS,
  },
  arm64: {
    lookup_dcookie: 18,
    ioctl: 29,
    umount2: 39,
    mount: 40,
    pivot_root: 41,
    chroot: 51,
    vhangup: 58,
    quotactl: 60,
    acct: 89,
    personality: 92,
    unshare: 97,
    kexec_load: 104,
    init_module: 105,
    delete_module: 106,
    clock_settime: 112,
    syslog: 116,
    ptrace: 117,
    reboot: 142,
    settimeofday: 170,
    adjtimex: 171,
    getpid: 172,
    socket: 198,
    socketpair: 199,
    add_key: 217,
    request_key: 218,
    keyctl: 219,
    clone: 220,
    swapon: 224,
    swapoff: 225,
    perf_event_open: 241,
    fanotify_init: 262,
    name_to_handle_at: 264,
    open_by_handle_at: 265,
    clock_adjtime: 266,
    setns: 268,
    process_vm_readv: 270,
    process_vm_writev: 271,
    kcmp: 272,
    finit_module: 273,
    bpf: 280,
    userfaultfd: 282,
    kexec_file_load: 294,
    ...UNIFIED_SYSCALLS,
  },
};

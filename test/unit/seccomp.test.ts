/**
 * The seccomp filter without a kernel: the bytes' shape, and a small classic-BPF interpreter that runs the
 * filter on synthetic seccomp_data, so a broken table or assembler fails here first.
 */
import { describe, expect, it } from 'vitest';
import { SandboxUnavailableError } from '../../src/errors.js';
import { buildBwrapArgs, FD } from '../../src/sandbox/bwrap.js';
import {
  buildSeccompFilter,
  seccompArch,
  seccompRules,
  SECCOMP_RULES,
  syscallNumber,
  type SeccompArch,
  type SeccompProfile,
} from '../../src/sandbox/seccomp.js';
import { AUDIT_ARCH, SYSCALL_NUMBERS } from '../../src/sandbox/seccomp-table.js';

const KILL = 0x80000000;
const ALLOW = 0x7fff0000;
const EPERM = 0x00050001;
const ENOSYS = 0x00050026;
const AUDIT_ARCH_I386 = 0x40000003;
const AUDIT_ARCH_ARM = 0x40000028;

interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

function decode(bytes: Uint8Array): Insn[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Insn[] = [];
  for (let at = 0; at < bytes.length; at += 8) {
    out.push({
      code: view.getUint16(at, true),
      jt: view.getUint8(at + 2),
      jf: view.getUint8(at + 3),
      k: view.getUint32(at + 4, true),
    });
  }
  return out;
}

interface Call {
  nr: number;
  arch: number;
  args?: Array<number | bigint>;
}

/** struct seccomp_data: int nr, u32 arch, u64 instruction_pointer, u64 args[6] (little endian). */
function seccompData({ nr, arch, args = [] }: Call): DataView {
  const view = new DataView(new ArrayBuffer(64));
  view.setInt32(0, nr, true);
  view.setUint32(4, arch, true);
  view.setBigUint64(8, 0x401000n, true);
  args.forEach((arg, i) => view.setBigUint64(16 + 8 * i, BigInt.asUintN(64, BigInt(arg)), true));
  return view;
}

/** Classic BPF as the kernel's seccomp checker accepts it: only the opcodes our assembler may emit. */
function evaluate(program: Insn[], call: Call): number {
  const data = seccompData(call);
  let acc = 0;
  for (let pc = 0, steps = 0; pc < program.length; pc++, steps++) {
    if (steps > program.length) throw new Error('loop');
    const insn = program[pc];
    if (insn === undefined) break;
    switch (insn.code) {
      case 0x20: // ld w abs
        if (insn.k % 4 !== 0 || insn.k > 60) throw new Error(`bad load offset ${insn.k}`);
        acc = data.getUint32(insn.k, true);
        break;
      case 0x15: // jeq k
        pc += acc === insn.k ? insn.jt : insn.jf;
        break;
      case 0x45: // jset k
        pc += (acc & insn.k) !== 0 ? insn.jt : insn.jf;
        break;
      case 0x06: // ret k
        return insn.k;
      default:
        throw new Error(`unexpected opcode 0x${insn.code.toString(16)} at ${pc}`);
    }
  }
  throw new Error('fell off the end of the program');
}

const PROFILES: SeccompProfile[] = ['run', 'supervisor'];
const ARCHES: SeccompArch[] = ['x64', 'arm64'];

describe.each(ARCHES)('seccomp filter shape (%s)', (arch) => {
  it.each(PROFILES)('%s: whole instructions, in-range forward jumps, arch checked first', (profile) => {
    const bytes = buildSeccompFilter(profile, arch);
    expect(bytes.length % 8).toBe(0);
    const program = decode(bytes);
    expect(program.length).toBeGreaterThan(50);
    expect(program.length).toBeLessThan(4096); // BPF_MAXINSNS
    // ld [4] (arch); jeq AUDIT_ARCH; ret KILL_PROCESS
    expect(program[0]).toEqual({ code: 0x20, jt: 0, jf: 0, k: 4 });
    expect(program[1]).toMatchObject({ code: 0x15, k: AUDIT_ARCH[arch], jt: 1, jf: 0 });
    expect(program[2]).toEqual({ code: 0x06, jt: 0, jf: 0, k: KILL });
    program.forEach((insn, pc) => {
      if (insn.code === 0x15 || insn.code === 0x45) {
        expect(pc + 1 + insn.jt).toBeLessThan(program.length);
        expect(pc + 1 + insn.jf).toBeLessThan(program.length);
      }
    });
    expect(program[program.length - 1]).toEqual({ code: 0x06, jt: 0, jf: 0, k: ALLOW });
  });

  it('is built once per profile and process', () => {
    expect(buildSeccompFilter('run', arch)).toBe(buildSeccompFilter('run', arch));
    expect(buildSeccompFilter('run', arch)).not.toEqual(buildSeccompFilter('supervisor', arch));
  });
});

describe.each(ARCHES)('seccomp filter decisions (%s)', (arch) => {
  const nr = (name: string): number => syscallNumber(name, arch);
  const native = AUDIT_ARCH[arch];
  const verdict = (profile: SeccompProfile, call: Omit<Call, 'arch'> & { arch?: number }): number =>
    evaluate(decode(buildSeccompFilter(profile, arch)), { arch: native, ...call });

  it.each(PROFILES)('%s: every unconditional rule refuses, with its errno', (profile) => {
    for (const rule of seccompRules(profile, arch).filter((r) => r.when === undefined)) {
      expect(verdict(profile, { nr: nr(rule.syscall) }), rule.syscall).toBe(
        rule.action === 'ENOSYS' ? ENOSYS : EPERM,
      );
    }
  });

  it.each(PROFILES)('%s: ordinary calls are allowed', (profile) => {
    for (const name of ['getpid', 'ioctl', 'clone', 'personality'])
      expect(verdict(profile, { nr: nr(name) }), name).toBe(ALLOW);
    for (const other of [0, 1, 2, 3, 60, 231, 500]) {
      if (Object.values(SYSCALL_NUMBERS[arch]).includes(other)) continue;
      expect(verdict(profile, { nr: other })).toBe(ALLOW);
    }
  });

  it('run: ptrace-class, io_uring, bpf, keyrings, modules and the mount API are refused', () => {
    for (const name of [
      'ptrace',
      'process_vm_readv',
      'pidfd_getfd',
      'kcmp',
      'io_uring_setup',
      'bpf',
      'userfaultfd',
      'perf_event_open',
      'add_key',
      'keyctl',
      'init_module',
      'kexec_load',
      'mount',
      'umount2',
      'open_tree',
      'fsopen',
      'move_mount',
      'unshare',
      'setns',
    ]) {
      expect(verdict('run', { nr: nr(name) }), name).toBe(EPERM);
    }
    expect(verdict('run', { nr: nr('clone3') })).toBe(ENOSYS);
  });

  it('a foreign architecture is killed whatever the call', () => {
    for (const profile of PROFILES) {
      for (const foreign of [AUDIT_ARCH_I386, AUDIT_ARCH_ARM, AUDIT_ARCH[arch === 'x64' ? 'arm64' : 'x64']]) {
        expect(verdict(profile, { arch: foreign, nr: 20 })).toBe(KILL);
        expect(verdict(profile, { arch: foreign, nr: nr('getpid') })).toBe(KILL);
      }
    }
  });

  it('x32 call numbers are killed on x86_64 only', () => {
    const x32Getpid = 0x40000000 + 39;
    expect(verdict('run', { nr: x32Getpid })).toBe(arch === 'x64' ? KILL : ALLOW);
    expect(verdict('supervisor', { nr: 0x40000000 + 272 })).toBe(arch === 'x64' ? KILL : ALLOW);
    expect(verdict('run', { nr: -1 })).toBe(arch === 'x64' ? KILL : ALLOW);
  });

  it('socket and socketpair: only AF_UNIX, AF_INET and AF_INET6', () => {
    for (const profile of PROFILES) {
      for (const name of ['socket', 'socketpair']) {
        for (const family of [1, 2, 10])
          expect(verdict(profile, { nr: nr(name), args: [family, 1, 0] })).toBe(ALLOW);
        for (const family of [0, 16, 17, 38, 40, 3, 44, 0xffff])
          expect(verdict(profile, { nr: nr(name), args: [family, 1, 0] }), `${name} ${family}`).toBe(EPERM);
        // the kernel reads the domain as an int: a high word changes nothing either way
        expect(verdict(profile, { nr: nr(name), args: [(1n << 32n) | 2n, 1, 0] })).toBe(ALLOW);
        expect(verdict(profile, { nr: nr(name), args: [(1n << 32n) | 40n, 1, 0] })).toBe(EPERM);
      }
    }
  });

  it('clone: plain fork and threads pass; namespace flags are refused (supervisor: NEWPID/NEWNS pass)', () => {
    const SIGCHLD = 17;
    const THREAD = 0x003d0f00; // glibc pthread_create's flags
    const [NEWNS, NEWUSER, NEWPID, NEWNET, NEWCGROUP] = [
      0x20000, 0x10000000, 0x20000000, 0x40000000, 0x2000000,
    ];
    const clone = (profile: SeccompProfile, flags: number | bigint): number =>
      verdict(profile, { nr: nr('clone'), args: [flags, 0, 0, 0, 0] });
    for (const profile of PROFILES) {
      expect(clone(profile, SIGCHLD)).toBe(ALLOW);
      expect(clone(profile, THREAD)).toBe(ALLOW);
      expect(clone(profile, 0x01200000 | SIGCHLD)).toBe(ALLOW); // glibc fork
      for (const flag of [NEWUSER, NEWNET, NEWCGROUP, NEWUSER | NEWPID])
        expect(clone(profile, flag | SIGCHLD), flag.toString(16)).toBe(EPERM);
      // flags above bit 31 are dropped by the kernel; the low word still decides
      expect(clone(profile, (1n << 40n) | BigInt(NEWNET))).toBe(EPERM);
    }
    for (const flag of [NEWPID, NEWNS, NEWPID | NEWNS]) {
      expect(clone('run', flag | SIGCHLD)).toBe(EPERM);
      expect(clone('supervisor', flag | SIGCHLD)).toBe(ALLOW);
    }
  });

  it('unshare, mount, umount2 and setns: refused in run, allowed in supervisor as the table says', () => {
    const unshare = (profile: SeccompProfile, flags: number): number =>
      verdict(profile, { nr: nr('unshare'), args: [flags] });
    for (const flags of [0x20000, 0x20000000, 0x20020000, 0x200]) expect(unshare('run', flags)).toBe(EPERM);
    for (const flags of [0x20000, 0x20000000, 0x20020000, 0x200])
      expect(unshare('supervisor', flags)).toBe(ALLOW);
    for (const flags of [0x10000000, 0x40000000, 0x80, 0x20000 | 0x10000000])
      expect(unshare('supervisor', flags)).toBe(EPERM);
    for (const name of ['mount', 'umount2', 'setns']) {
      expect(verdict('run', { nr: nr(name) })).toBe(EPERM);
      expect(verdict('supervisor', { nr: nr(name) })).toBe(ALLOW);
    }
    for (const name of ['pivot_root', 'open_tree', 'fsopen', 'move_mount', 'ptrace', 'bpf'])
      expect(verdict('supervisor', { nr: nr(name) }), name).toBe(EPERM);
    expect(verdict('supervisor', { nr: nr('clone3') })).toBe(ENOSYS);
  });

  it('ioctl: TIOCSTI and TIOCLINUX refused on the low 32 bits of the request, others pass', () => {
    for (const profile of PROFILES) {
      for (const request of [0x5412, 0x541c, (0xffffffffn << 32n) | 0x5412n])
        expect(verdict(profile, { nr: nr('ioctl'), args: [0, request, 0] })).toBe(EPERM);
      for (const request of [0x5401, 0x5413, 0x541b, 0x80045430, 0x5412_0000])
        expect(verdict(profile, { nr: nr('ioctl'), args: [1, request, 0] })).toBe(ALLOW);
    }
  });

  it('personality: only the Linux persona and the query', () => {
    for (const persona of [0, 0xffffffff])
      expect(verdict('run', { nr: nr('personality'), args: [persona] })).toBe(ALLOW);
    for (const persona of [0x0040000, 0x0400000, 8])
      // ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC, PER_LINUX32
      expect(verdict('run', { nr: nr('personality'), args: [persona] })).toBe(EPERM);
  });
});

describe('seccomp table', () => {
  it('names every required call, each with a reason, and has numbers for x86_64 for all of them', () => {
    const names = SECCOMP_RULES.map((rule) => rule.syscall);
    expect(new Set(names).size).toBe(names.length);
    for (const required of [
      'ptrace',
      'io_uring_setup',
      'bpf',
      'keyctl',
      'mount',
      'unshare',
      'clone3',
      'socket',
    ])
      expect(names).toContain(required);
    for (const rule of SECCOMP_RULES) {
      expect(rule.reason.length, rule.syscall).toBeGreaterThan(5);
      expect(SYSCALL_NUMBERS.x64[rule.syscall], rule.syscall).toBeTypeOf('number');
    }
  });

  it('skips calls an architecture does not have (aarch64: iopl, ioperm, uselib)', () => {
    const arm = seccompRules('run', 'arm64').map((rule) => rule.syscall);
    expect(arm).not.toContain('iopl');
    expect(arm).toContain('ptrace');
    expect(seccompRules('run', 'x64').map((rule) => rule.syscall)).toContain('iopl');
  });

  it('refuses an architecture it has no numbers for', () => {
    expect(() => seccompArch('ia32')).toThrow(SandboxUnavailableError);
    expect(() => seccompArch('riscv64')).toThrow(/not built for the riscv64 architecture/);
    expect(seccompArch('x64')).toBe('x64');
  });
});

describe('bwrap arguments for the filter', () => {
  const layout = { diskBytes: 1_048_576, extraMounts: [], dataFiles: [], env: {}, command: ['/bin/true'] };

  it('passes the filter fd with --seccomp and adds capabilities only after --cap-drop ALL', () => {
    const args = buildBwrapArgs({ ...layout, seccompFd: FD.firstData + 3, capAdd: ['CAP_SYS_ADMIN'] });
    expect(args.slice(args.indexOf('--seccomp'), args.indexOf('--seccomp') + 2)).toEqual([
      '--seccomp',
      String(FD.firstData + 3),
    ]);
    expect(args.indexOf('--seccomp')).toBeLessThan(args.indexOf('--'));
    const drop = args.indexOf('--cap-drop');
    expect(args.slice(drop, drop + 4)).toEqual(['--cap-drop', 'ALL', '--cap-add', 'CAP_SYS_ADMIN']);
  });

  it('adds neither without them', () => {
    const args = buildBwrapArgs(layout);
    expect(args).not.toContain('--seccomp');
    expect(args).not.toContain('--cap-add');
  });
});

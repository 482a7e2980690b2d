/**
 * A small classic-BPF assembler and the compiler from the seccomp table (seccomp-table.ts) to the bytes
 * of a `struct sock_filter[]` (what bwrap's `--seccomp FD` reads and hands to the kernel).
 *
 * Program layout (every jump goes forward and stays within one small block, so no 8-bit offset can
 * overflow however long the table grows):
 *
 *   ld  arch;  jeq NATIVE ? next : KILL_PROCESS
 *   ld  nr;    (x86_64) jset X32_BIT ? KILL_PROCESS : next
 *   per rule:  jeq NR ? its block : skip the block
 *              block: `ret ERRNO` or (load the argument's low word, compare, `ret ERRNO` / `ret ALLOW`)
 *   ret ALLOW
 *
 * Each call number appears in at most one rule, so a rule's block can end in `ret`; blocks with
 * argument checks reload nothing afterwards.
 */
import type { ArgCondition, SeccompAction } from './seccomp-table.js';

// linux/bpf_common.h
const BPF_LD = 0x00;
const BPF_W = 0x00;
const BPF_ABS = 0x20;
const BPF_JMP = 0x05;
const BPF_JEQ = 0x10;
const BPF_JSET = 0x40;
const BPF_K = 0x00;
const BPF_RET = 0x06;

export const OP = {
  LD_ABS: BPF_LD | BPF_W | BPF_ABS,
  JEQ: BPF_JMP | BPF_JEQ | BPF_K,
  JSET: BPF_JMP | BPF_JSET | BPF_K,
  RET: BPF_RET | BPF_K,
} as const;

// linux/seccomp.h
export const SECCOMP_RET_KILL_PROCESS = 0x80000000;
export const SECCOMP_RET_ERRNO = 0x00050000;
export const SECCOMP_RET_ALLOW = 0x7fff0000;
export const ERRNO: Record<SeccompAction, number> = { EPERM: 1, ENOSYS: 38 };

/** Offsets in `struct seccomp_data`; args are u64, little endian on every supported arch. */
export const DATA = {
  nr: 0,
  arch: 4,
  argLow: (arg: number): number => 16 + 8 * arg,
} as const;

/** One `struct sock_filter`. */
export interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/** A jump target: an index in the program, known once the label is placed. */
export class Label {
  at: number | null = null;
}

type Pending = Insn & { jtLabel?: Label; jfLabel?: Label };

/** Builds a program with forward jumps to labels; resolve() checks every offset fits in 8 bits. */
export class Assembler {
  private readonly insns: Pending[] = [];

  get length(): number {
    return this.insns.length;
  }

  place(label: Label): void {
    label.at = this.insns.length;
  }

  load(offset: number): void {
    this.insns.push({ code: OP.LD_ABS, jt: 0, jf: 0, k: offset });
  }

  ret(value: number): void {
    this.insns.push({ code: OP.RET, jt: 0, jf: 0, k: value >>> 0 });
  }

  /** `if (A op k) goto yes else goto no`; a null label means the next instruction. */
  jump(op: 'eq' | 'set', k: number, yes: Label | null, no: Label | null): void {
    this.insns.push({
      code: op === 'eq' ? OP.JEQ : OP.JSET,
      jt: 0,
      jf: 0,
      k: k >>> 0,
      ...(yes ? { jtLabel: yes } : {}),
      ...(no ? { jfLabel: no } : {}),
    });
  }

  resolve(): Insn[] {
    return this.insns.map((insn, index) => ({
      code: insn.code,
      k: insn.k,
      jt: offsetTo(insn.jtLabel, index),
      jf: offsetTo(insn.jfLabel, index),
    }));
  }
}

function offsetTo(label: Label | undefined, from: number): number {
  if (label === undefined) return 0;
  if (label.at === null) throw new Error('seccomp: jump to a label that was never placed');
  const offset = label.at - from - 1;
  if (offset < 0 || offset > 255) throw new Error(`seccomp: jump offset ${offset} does not fit in 8 bits`);
  return offset;
}

/** What one call number compiles to. */
export interface CompiledRule {
  nr: number;
  action: SeccompAction;
  condition?: ArgCondition;
}

export interface FilterSpec {
  auditArch: number;
  /** x86_64: kill calls with this bit set in their number (the x32 ABI). */
  killNrBit?: number;
  rules: readonly CompiledRule[];
}

export function compileFilter(spec: FilterSpec): Insn[] {
  const seen = new Set<number>();
  for (const rule of spec.rules) {
    if (seen.has(rule.nr)) throw new Error(`seccomp: call number ${rule.nr} has two rules`);
    seen.add(rule.nr);
  }
  const asm = new Assembler();
  const archOk = new Label();
  asm.load(DATA.arch);
  asm.jump('eq', spec.auditArch, archOk, null);
  asm.ret(SECCOMP_RET_KILL_PROCESS);
  asm.place(archOk);
  asm.load(DATA.nr);
  if (spec.killNrBit !== undefined) {
    const nativeNr = new Label();
    asm.jump('set', spec.killNrBit, null, nativeNr);
    asm.ret(SECCOMP_RET_KILL_PROCESS);
    asm.place(nativeNr);
  }
  for (const rule of spec.rules) {
    const next = new Label();
    asm.jump('eq', rule.nr, null, next);
    emitRuleBlock(asm, rule);
    asm.place(next);
  }
  asm.ret(SECCOMP_RET_ALLOW);
  return asm.resolve();
}

/** The block run for a matching call number; every path through it ends in `ret`. */
function emitRuleBlock(asm: Assembler, rule: CompiledRule): void {
  const refuse = SECCOMP_RET_ERRNO | ERRNO[rule.action];
  const condition = rule.condition;
  if (condition === undefined) {
    asm.ret(refuse);
    return;
  }
  const target = new Label();
  asm.load(DATA.argLow(condition.arg));
  if ('noneOf' in condition) {
    // a listed value jumps to `allow`; falling off the list refuses
    for (const value of condition.noneOf) asm.jump('eq', value, target, null);
    asm.ret(refuse);
    asm.place(target);
    asm.ret(SECCOMP_RET_ALLOW);
    return;
  }
  // a set bit or a listed value jumps to `refuse`; falling through allows
  if ('anyBitOf' in condition) asm.jump('set', condition.anyBitOf, target, null);
  else for (const value of condition.oneOf) asm.jump('eq', value, target, null);
  asm.ret(SECCOMP_RET_ALLOW);
  asm.place(target);
  asm.ret(refuse);
}

/** The bytes of `struct sock_filter[]`: u16 code, u8 jt, u8 jf, u32 k, little endian. */
export function encodeFilter(program: readonly Insn[]): Uint8Array {
  const bytes = new Uint8Array(program.length * 8);
  const view = new DataView(bytes.buffer);
  program.forEach((insn, i) => {
    view.setUint16(i * 8, insn.code, true);
    view.setUint8(i * 8 + 2, insn.jt);
    view.setUint8(i * 8 + 3, insn.jf);
    view.setUint32(i * 8 + 4, insn.k, true);
  });
  return bytes;
}

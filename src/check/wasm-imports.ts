/**
 * Renames imports in a WebAssembly binary. Needed for tree-sitter-wasms' bash grammar: its scanner imports
 * libc's `isalpha`, which web-tree-sitter 0.22's runtime does not export, so parsing any `case` statement
 * throws "_ is not a function". Pointing the import at `iswalpha` (exported; identical for ASCII) fixes it
 * without touching node_modules. Only the import section changes; every other byte is kept.
 */

const IMPORT_SECTION = 2;

class Reader {
  pos: number;
  constructor(
    readonly bytes: Uint8Array,
    start: number,
  ) {
    this.pos = start;
  }

  byte(): number {
    const value = this.bytes[this.pos++];
    if (value === undefined) throw new Error('truncated wasm binary');
    return value;
  }

  u32(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
    }
    throw new Error('bad LEB128 in wasm binary');
  }

  name(): string {
    const length = this.u32();
    const text = new TextDecoder().decode(this.bytes.subarray(this.pos, this.pos + length));
    this.pos += length;
    return text;
  }

  limits(): void {
    const flags = this.byte();
    this.u32();
    if (flags & 1) this.u32();
  }
}

function u32Bytes(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  do {
    const low = rest % 128;
    rest = Math.floor(rest / 128);
    out.push(rest > 0 ? low | 0x80 : low);
  } while (rest > 0);
  return out;
}

function nameBytes(name: string): number[] {
  const encoded = new TextEncoder().encode(name);
  return [...u32Bytes(encoded.length), ...encoded];
}

/** Skips one import's descriptor (func, table, memory, global or tag). */
function skipDescriptor(reader: Reader): void {
  const kind = reader.byte();
  if (kind === 0) reader.u32();
  else if (kind === 1) {
    reader.byte();
    reader.limits();
  } else if (kind === 2) reader.limits();
  else if (kind === 3) {
    reader.byte();
    reader.byte();
  } else if (kind === 4) {
    reader.byte();
    reader.u32();
  } else throw new Error(`unknown wasm import kind ${kind}`);
}

function renameInSection(bytes: Uint8Array, start: number, renames: ReadonlyMap<string, string>): number[] {
  const reader = new Reader(bytes, start);
  const count = reader.u32();
  const out = u32Bytes(count);
  for (let i = 0; i < count; i++) {
    const module = reader.name();
    const field = reader.name();
    const descriptorStart = reader.pos;
    skipDescriptor(reader);
    const renamed = module === 'env' ? (renames.get(field) ?? field) : field;
    out.push(...nameBytes(module), ...nameBytes(renamed), ...bytes.subarray(descriptorStart, reader.pos));
  }
  return out;
}

/** A copy of `wasm` with imports `env.<from>` renamed to `env.<to>`; unchanged when none match. */
export function renameImports(wasm: Uint8Array, renames: ReadonlyMap<string, string>): Uint8Array {
  const reader = new Reader(wasm, 8); // magic + version
  while (reader.pos < wasm.length) {
    const sectionStart = reader.pos;
    const id = reader.byte();
    const size = reader.u32();
    const payloadStart = reader.pos;
    if (id === IMPORT_SECTION) {
      const payload = renameInSection(wasm, payloadStart, renames);
      const section = [id, ...u32Bytes(payload.length), ...payload];
      const out = new Uint8Array(sectionStart + section.length + wasm.length - (payloadStart + size));
      out.set(wasm.subarray(0, sectionStart), 0);
      out.set(section, sectionStart);
      out.set(wasm.subarray(payloadStart + size), sectionStart + section.length);
      return out;
    }
    reader.pos = payloadStart + size;
  }
  return wasm;
}

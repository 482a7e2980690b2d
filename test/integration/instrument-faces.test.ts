/**
 * The instrumentation faces over a real sandbox, a real library cache and a real service guard: POST
 * /v1/instrument with a tar.gz of a small Python tree (raw, JSON and `Accept: application/gzip`) and a
 * zip, whose answers hold the instrumented files, the telemetry runtime and the manifest and run with
 * balanced events; refusals (traversal, symlink, bomb, too large, not an archive, bad options, an archive
 * type on another route) are 4xx with messages saying what to change; the MCP tool instrument_archive,
 * metered and audited.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard } from '../../src/access/guard.js';
import { createServer } from '../../src/faces/http/server.js';
import { createMcpServer } from '../../src/faces/mcp/server.js';
import { createTemplateRegistry } from '../../src/generate/registry.js';
import { createEngine, type Engine } from '../../src/index.js';
import { openLibrary, type Library } from '../../src/library/index.js';
import { createToolbox } from '../../src/tools/index.js';
import {
  extractArchive,
  MANIFEST_NAME,
  type InstrumentArchiveAnswer,
} from '../../src/workflows/instrument/index.js';
import { writeTar } from '../../src/workflows/instrument/archive/tar.js';
import { writeZip } from '../../src/workflows/instrument/archive/zip.js';

let dir: string;
let engine: Engine;
let library: Library;
let app: FastifyInstance;
let small: FastifyInstance;

const CART = `"""A tiny shop."""


class Cart:
    def __init__(self):
        self.items = []

    def add(self, name, price):
        if price < 0:
            raise ValueError("negative")
        self.items.append((name, price))
        return len(self.items)

    def total(self):
        return sum(price for _, price in self.items)
`;
const MAIN = `from shop.cart import Cart


def main():
    cart = Cart()
    cart.add("tea", 3)
    cart.add("cake", 4)
    try:
        cart.add("refund", -1)
    except ValueError:
        pass
    print(cart.total())


if __name__ == "__main__":
    main()
`;
const GREET = `export function greet(name) {\n  return \`hello \${name}\`;\n}\n`;

const entry = (path: string, text: string) => ({
  path,
  dir: false,
  data: Buffer.from(text),
  mode: 0o644,
  mtime: 1_700_000_000,
});
const TREE = [
  entry('main.py', MAIN),
  entry('shop/__init__.py', ''),
  entry('shop/cart.py', CART),
  entry('web/greet.mjs', GREET),
];

/** A tar.gz made by the system's tar from a real directory. */
function systemTarGz(): Buffer {
  const src = join(dir, 'src');
  mkdirSync(join(src, 'shop'), { recursive: true });
  mkdirSync(join(src, 'web'), { recursive: true });
  for (const file of TREE) writeFileSync(join(src, file.path), file.data);
  const out = join(dir, 'tree.tar.gz');
  expect(spawnSync('tar', ['-czf', out, '-C', src, '.']).status).toBe(0);
  return readFileSync(out);
}

/** Unpacks an answer's archive and runs main.py with telemetry on: stdout and the events. */
async function runInstrumented(archive: Buffer, name: string) {
  const out = join(dir, name);
  mkdirSync(out);
  await extractArchive(archive, out);
  const telemetry = join(dir, `${name}.jsonl`);
  const run = spawnSync('python3', ['main.py'], {
    cwd: out,
    encoding: 'utf8',
    env: { ...process.env, SCRIPTBOX_TELEMETRY_FILE: telemetry },
  });
  const events = readFileSync(telemetry, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { event: string; function: string; file: string });
  return { out, run, events };
}

type ErrorAnswer = { error: { code: string; message: string } };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scriptbox-instrument-faces-'));
  engine = await createEngine({ pool: { size: 0 } });
  library = openLibrary({ home: join(dir, 'home') });
  const guard = createGuard({ library });
  app = await createServer({ engine, library, guard });
  small = await createServer({ engine, library, guard, limits: { bodyBytes: 2048 } });
}, 60_000);

afterAll(async () => {
  await small?.close();
  await app?.close(); // closes the engine and the library
  rmSync(dir, { recursive: true, force: true });
});

describe('POST /v1/instrument', () => {
  it('instruments a tar.gz (raw upload, JSON answer): instrumented files, runtime, manifest, balanced events', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/instrument?languages=python,javascript',
      payload: systemTarGz(),
      headers: { 'content-type': 'application/gzip' },
    });
    expect(res.statusCode, res.body).toBe(200);
    const answer = res.json<InstrumentArchiveAnswer>();
    expect(answer.report.upload).toMatchObject({ format: 'tar.gz', files: 4 });
    expect(answer.report.files.instrumented.sort()).toEqual(['main.py', 'shop/cart.py', 'web/greet.mjs']);
    expect(answer.report.functions).toMatchObject({ found: 5, instrumented: 5 });
    expect(answer.report.byLanguage['python']).toMatchObject({ files: 3, instrumented: 4 });
    expect(answer.report.runtimeFiles.length).toBeGreaterThanOrEqual(2);
    expect(answer.report.cpuMs).toBeGreaterThan(0);
    expect(JSON.stringify(answer.report)).not.toContain(tmpdir());
    expect(answer.archive).toMatchObject({ format: 'tar.gz', mediaType: 'application/gzip' });
    const archive = Buffer.from(answer.archive.base64, 'base64');
    expect(archive.length).toBe(answer.archive.bytes);

    const { out, run, events } = await runInstrumented(archive, 'tgz');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toBe('7\n');
    expect(readFileSync(join(out, 'shop/cart.py'), 'utf8')).toContain('@__sbx__.trace("Cart.add"');
    expect(readFileSync(join(out, 'web/greet.mjs'), 'utf8')).not.toBe(GREET);
    for (const runtime of answer.report.runtimeFiles)
      expect(readFileSync(join(out, runtime)).length).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(join(out, MANIFEST_NAME), 'utf8'))).toMatchObject({ version: 1 });
    const add = events.filter((e) => e.function === 'Cart.add');
    expect(add.map((e) => e.event)).toEqual(['enter', 'exit', 'enter', 'exit', 'enter', 'error']);
    expect(events.filter((e) => e.event === 'enter').length).toBe(
      events.filter((e) => e.event !== 'enter').length,
    );
    expect(new Set(events.map((e) => e.function))).toEqual(
      new Set(['main', 'Cart.__init__', 'Cart.add', 'Cart.total']),
    );

    // Charged and audited like a run; the insertion scripts went to the library's cache.
    const audit = library.audit().filter((e) => e.action === 'instrument');
    expect(audit.at(-1)?.details).toMatchObject({ ok: true, functions: { instrumented: 5 } });
  }, 120_000);

  it('answers the archive itself with Accept: application/gzip, the report summed up in a header', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/instrument',
      payload: { archive: systemTarGz().toString('base64'), languages: ['python'] },
      headers: { accept: 'application/gzip' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('application/gzip');
    expect(res.headers['content-disposition']).toBe('attachment; filename="instrumented.tar.gz"');
    const summary = JSON.parse(String(res.headers['x-scriptbox-report'])) as Record<string, unknown>;
    // Cached now: the second upload of the same functions asks for no new insertion script.
    expect(summary).toMatchObject({ functions: { found: 4, instrumented: 4 }, cache: { misses: 0 } });
    const { run, events } = await runInstrumented(res.rawPayload, 'raw');
    expect(run.stdout).toBe('7\n');
    expect(events.length).toBeGreaterThan(0);
  }, 120_000);

  it('answers a zip with a zip', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/instrument',
      payload: await writeZip(TREE),
      headers: { 'content-type': 'application/zip' },
    });
    expect(res.statusCode, res.body).toBe(200);
    const answer = res.json<InstrumentArchiveAnswer>();
    expect(answer.report.upload.format).toBe('zip');
    expect(answer.archive).toMatchObject({ format: 'zip', mediaType: 'application/zip' });
    const zip = join(dir, 'answer.zip');
    writeFileSync(zip, Buffer.from(answer.archive.base64, 'base64'));
    const listed = spawnSync('unzip', ['-l', zip], { encoding: 'utf8' });
    for (const name of [
      'main.py',
      'shop/cart.py',
      'web/greet.mjs',
      MANIFEST_NAME,
      ...answer.report.runtimeFiles,
    ])
      expect(listed.stdout).toContain(name);
    const { run } = await runInstrumented(Buffer.from(answer.archive.base64, 'base64'), 'zip');
    expect(run.stdout).toBe('7\n');
  }, 120_000);

  it('refuses bad archives and options with a 4xx saying what to change', async () => {
    const post = (payload: Buffer | string | object, type: string, url = '/v1/instrument', server = app) =>
      server.inject({ method: 'POST', url, payload, headers: { 'content-type': type } });
    const header = (name: string, type: string) => {
      const block = Buffer.alloc(512);
      block.write(name, 0);
      block.write('0000644\0', 100);
      block.write('00000000001\0', 124);
      block.write(type, 156);
      block.write('/etc/passwd', 157);
      block.write('ustar\0', 257);
      block.fill(0x20, 148, 156);
      let sum = 0;
      for (const byte of block) sum += byte;
      block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
      return Buffer.concat([block, Buffer.from('x'), Buffer.alloc(511 + 1024)]);
    };
    const cases: Array<[string, Promise<{ statusCode: number; json: <T>() => T }>, number, RegExp]> = [
      [
        'traversal',
        post(gzipSync(header('../../etc/cron.d/x', '0')), 'application/gzip'),
        400,
        /leaves the archive's directory/,
      ],
      ['absolute', post(gzipSync(header('/etc/x', '0')), 'application/x-tar'), 400, /absolute path/],
      ['symlink', post(gzipSync(header('link.py', '2')), 'application/octet-stream'), 400, /symbolic link/],
      [
        'zip bomb',
        post(await writeZip([entry('zeros.py', '\0'.repeat(6 * 1_048_576))]), 'application/zip'),
        413,
        /decompression bomb/,
      ],
      [
        'not an archive',
        post(Buffer.from('just text'), 'application/octet-stream'),
        400,
        /not a tar, tar.gz or zip/,
      ],
      [
        'body limit',
        post(gzipSync(writeTar(TREE), { level: 0 }), 'application/gzip', '/v1/instrument', small),
        413,
        /limits.bodyBytes/,
      ],
      [
        'language',
        post(gzipSync(writeTar(TREE)), 'application/gzip', '/v1/instrument?languages=cobol'),
        400,
        /languages/,
      ],
      ['bad base64', post({ archive: 'not base64!' }, 'application/json'), 400, /base64/],
      [
        'wrong route',
        post(gzipSync(writeTar(TREE)), 'application/gzip', '/v1/runs'),
        415,
        /POST \/v1\/instrument/,
      ],
    ];
    for (const [name, pending, status, message] of cases) {
      const res = await pending;
      expect(res.statusCode, name).toBe(status);
      expect(res.json<ErrorAnswer>().error.message, name).toMatch(message);
    }
    const refused = library.audit().filter((e) => e.action === 'instrument' && e.details['ok'] === false);
    expect(refused.length).toBeGreaterThanOrEqual(4);
  }, 60_000);
});

describe('the MCP tool instrument_archive', () => {
  it('takes the archive as base64 and answers the report and the archive, metered and audited', async () => {
    const box = createToolbox({ engine, library });
    const guard = createGuard({ library });
    const mcp = createMcpServer({
      registry: box.registry,
      library,
      templates: createTemplateRegistry(),
      guard,
      principal: { tokenId: null, name: 'mcp-tester' },
    });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: 'test', version: '1' });
    try {
      await mcp.connect(serverSide);
      await client.connect(clientSide);
      const listed = (await client.listTools()).tools.find((tool) => tool.name === 'instrument_archive');
      expect(listed?.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
      const result = await client.callTool({
        name: 'instrument_archive',
        arguments: { archive: (await writeZip(TREE)).toString('base64'), format: 'tar.gz' },
      });
      expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
      const answer = result.structuredContent as InstrumentArchiveAnswer;
      expect(answer.report.functions.instrumented).toBe(5);
      expect(answer.archive.format).toBe('tar.gz');
      const text = (result.content as Array<{ text: string }>)[0]?.text ?? '';
      expect(text).toMatch(/^5 functions instrumented of 5 found, in 3 files of 4 scanned/);
      expect(text).toContain('archive.base64');
      const { run } = await runInstrumented(Buffer.from(answer.archive.base64, 'base64'), 'mcp');
      expect(run.stdout).toBe('7\n');
      const audit = library.audit().filter((e) => e.action === 'mcp.instrument_archive');
      expect(audit.at(-1)?.details).toMatchObject({ ok: true, cached: false });
      expect(audit.at(-1)?.details['cpuMs']).toBeGreaterThan(0);

      const bad = await client.callTool({
        name: 'instrument_archive',
        arguments: { archive: gzipSync(Buffer.from('no tar')).toString('base64') },
      });
      expect(bad.isError).toBe(true);
      expect((bad.content as Array<{ text: string }>)[0]?.text).toMatch(/^INVALID_OPTIONS: archive: /);
    } finally {
      await client.close();
      await mcp.close();
      await box.close();
    }
  }, 120_000);
});

/**
 * The Ruby module's analysis and insertion requests, without Ruby (ruby-build.test.ts runs the results):
 * names as Ruby writes them, spans in the one range model, skip reasons, the wrapper texts on existing
 * lines, and (when ruby is installed) that the instrumented text still parses with `ruby -c`.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parse } from '../../../src/check/parsers.js';
import type { FileContext } from '../../../src/workflows/instrument/language.js';
import { BRACE_BLOCK_SKIP } from '../../../src/workflows/instrument/languages/ruby-analysis.js';
import { RUBY_RUNTIME } from '../../../src/workflows/instrument/languages/ruby-runtime.js';
import { isRubyTestFile, support } from '../../../src/workflows/instrument/languages/ruby.js';

const hasRuby = spawnSync('ruby', ['--version'], { stdio: 'ignore' }).status === 0;
const NO_RUBY = 'ruby missing: run scripts/setup.sh';

async function context(source: string, relPath = 'lib/a/b.rb'): Promise<FileContext> {
  const parsed = await parse('ruby', source);
  if (!parsed.ok) throw new Error(parsed.message);
  expect(parsed.root.hasError).toBe(false);
  return { relPath, source, analysis: support.analyze(parsed.root, source, relPath), treeRoot: '/tmp/out' };
}

/** Applies every function's insertion edits (bottom-up, bytes, anchors checked) as the core does. */
function instrument(file: FileContext): string {
  let bytes = Buffer.from(file.source, 'utf8');
  const edits = file.analysis.functions.flatMap((fn) => {
    const request = support.insertion(fn, file);
    if ('skip' in request) return [];
    return request.edits.map((edit, order) => {
      const at = fn.span.start.byte + edit.at;
      expect(bytes.subarray(at, at + Buffer.byteLength(edit.expect)).toString('utf8')).toBe(edit.expect);
      return { ...edit, at, order };
    });
  });
  for (const edit of edits.sort((a, b) => b.at - a.at || b.order - a.order))
    bytes = Buffer.concat([
      bytes.subarray(0, edit.at),
      Buffer.from(edit.insert),
      bytes.subarray(edit.at + edit.delete),
    ]);
  return bytes.toString('utf8');
}

const SOURCE = `# ünïcode in a comment shifts bytes against UTF-16 indices
module Geo
  class Shape < Base
    def initialize(name, size = 1, *rest, key:, opt: 2, **kw, &blk)
      @name = name
    rescue ArgumentError => e
      retry
    else
      :ok
    ensure
      cleanup
    end

    def self.build(x) = new(x)
    def area = 0
    def Shape.named; end
    def ===(other) true end
    def []=(k, v)
      yield k
      return 3 if v
      raise "bad"
    end

    class << self
      def registry; @r ||= {}; end
    end

    define_method(:kind) { :shape }
    %i[a b].each do |m|
      define_method(m) do |x| x end
    end
  end
end

Point = Struct.new(:x) do
  def norm
    x.abs
  end
end

def top(a) = a * 2
def loop_it(xs)
  xs.each do |x|
    [x].map { |y| y + 1 }
    go = ->(z) do z end
    go.call(x)
  end
  while false do end
end
`;

describe('ruby analysis', () => {
  it('names methods, singleton methods, blocks and lambdas as Ruby writes them', async () => {
    const { analysis } = await context(SOURCE);
    expect(analysis.functions.map((fn) => `${fn.kind}:${fn.qualifiedName}`)).toEqual([
      'constructor:Geo::Shape#initialize',
      'method:Geo::Shape.build',
      'method:Geo::Shape#area',
      'method:Geo::Shape.named',
      'method:Geo::Shape#===',
      'method:Geo::Shape#[]=',
      'method:Geo::Shape.registry',
      'method:Geo::Shape#kind',
      'closure:Geo::Shape.block1',
      'closure:Geo::Shape.block1.block1',
      'closure:<main>.block1',
      'method:Point#norm',
      'function:top',
      'function:loop_it',
      'closure:loop_it.block1',
      'closure:loop_it.block1.block1',
      'lambda:loop_it.block1.lambda1',
    ]);
    const init = analysis.functions[0];
    expect(init?.params).toEqual(['name', 'size', 'rest', 'key', 'opt', 'kw', 'blk']);
    const setter = analysis.functions.find((fn) => fn.name === '[]=');
    expect(setter?.exits.map((exit) => exit.kind)).toEqual(['return', 'throw', 'implicit']);
    expect(analysis.functions.find((fn) => fn.name === 'lambda1')?.params).toEqual(['z']);
    expect(analysis.loops.map((loop) => loop.kind)).toEqual(['while']);
    expect(analysis.variables.map((v) => v.name)).toEqual(['go']);
  });

  it('uses the one range model and skips brace blocks of ordinary methods, with the reason', async () => {
    const { analysis } = await context(SOURCE);
    const bytes = Buffer.from(SOURCE, 'utf8');
    const init = analysis.functions[0]!;
    expect(init.span.start.line).toBe(4);
    expect(bytes.subarray(init.span.start.byte, init.span.end.byte).toString()).toMatch(
      /^def initialize[^]*end$/,
    );
    expect(SOURCE.indexOf('def initialize')).toBeLessThan(init.span.start.byte); // non-ASCII above
    const skipped = analysis.functions
      .filter((fn) => fn.skip !== null)
      .map((fn) => [fn.qualifiedName, fn.skip]);
    expect(skipped).toEqual([['loop_it.block1.block1', BRACE_BLOCK_SKIP]]);
  });

  it('wraps each body on its own lines: same line count, nested begin for rescue clauses', async () => {
    const file = await context(SOURCE);
    const out = instrument(file);
    const lines = out.split('\n');
    expect(lines).toHaveLength(SOURCE.split('\n').length);
    const enter = (q: string, line: number): string =>
      `($__sbx_rt ||= (require_relative('../../scriptbox_telemetry'); ::ScriptboxTelemetry))` +
      `.enter(:'${q}', :'lib/a/b.rb', ${line})`;
    expect(lines[3]).toBe(
      `    def initialize(name, size = 1, *rest, key:, opt: 2, **kw, &blk); __sbx_t = ${enter('Geo::Shape#initialize', 4)}; begin; begin;`,
    );
    expect(lines[11]).toBe(
      '    ; end; rescue ::Exception; __sbx_t.error; ::Kernel.raise; ensure; __sbx_t.exit; end; end',
    );
    expect(lines[14]).toBe(
      `    def area = (__sbx_t = ${enter('Geo::Shape#area', 15)}; begin; 0; rescue ::Exception; __sbx_t.error; ::Kernel.raise; ensure; __sbx_t.exit; end)`,
    );
    // Blocks get a variable per nesting level (they share their scope's locals).
    expect(lines[28]).toContain(`do |m|; __sbx_b1 = ${enter('Geo::Shape.block1', 29)}; begin;`);
    expect(lines[29]).toContain(
      `do |x|; __sbx_b2 = ${enter('Geo::Shape.block1.block1', 30)}; begin; x ; rescue`,
    );
    expect(lines[43]).toBe('    [x].map { |y| y + 1 }'); // skipped
    expect(lines[44]).toContain('->(z) do; __sbx_b2 = ');
  });

  it.skipIf(!hasRuby)(
    `the instrumented text is valid Ruby (ruby -c)${hasRuby ? '' : ` — skipped: ${NO_RUBY}`}`,
    async () => {
      const out = instrument(await context(SOURCE));
      const check = spawnSync('ruby', ['-wc'], { input: out, encoding: 'utf8' });
      expect(check.stdout.trim()).toBe('Syntax OK');
      const runtime = spawnSync('ruby', ['-wc'], { input: RUBY_RUNTIME, encoding: 'utf8' });
      expect(runtime.stdout.trim() + runtime.stderr).toBe('Syntax OK');
    },
  );

  it('loads the runtime by a path relative to each file, and knows test files', async () => {
    const file = await context('def f\nend\n', 'a.rb');
    expect(instrument(file)).toContain("require_relative('scriptbox_telemetry')");
    expect(support.runtimeFiles([file])).toEqual([{ path: 'scriptbox_telemetry.rb', content: RUBY_RUNTIME }]);
    expect(support.prelude(file, file.analysis.functions)).toEqual([]);
    expect(RUBY_RUNTIME).toContain(support.marker);
    for (const path of [
      'test/a.rb',
      'spec/x/y.rb',
      'lib/a_test.rb',
      'a_spec.rb',
      'test_a.rb',
      'x/tests/z.rb',
    ])
      expect(isRubyTestFile(path), path).toBe(true);
    for (const path of ['lib/testing.rb', 'lib/contest.rb', 'app/spectrum.rb'])
      expect(isRubyTestFile(path), path).toBe(false);
  });
});

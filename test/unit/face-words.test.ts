/**
 * One mistake, each face's words (engine/face-words.ts): a limit named by the knob of the face the caller
 * is on (`--timeout`, `run_timeout`, `limits.timeoutMs`), and where to look said as that face's command,
 * route or tool. The code stays the same on every face.
 */
import { describe, expect, it } from 'vitest';
import { LimitAboveCeilingError } from '../../src/engine/ceilings.js';
import { ENGINE_WORDS, inFaceWords } from '../../src/engine/face-words.js';
import { RunOptsSchema } from '../../src/engine/options.js';
import { ScriptboxError } from '../../src/errors.js';
import { CLI_WORDS } from '../../src/faces/cli/run-options.js';
import { HTTP_WORDS } from '../../src/faces/http/errors.js';
import { PISTON_WORDS } from '../../src/faces/http/piston.js';
import { MCP_WORDS, toMcpError, toolErrorText } from '../../src/faces/mcp/errors.js';
import { createTemplateRegistry } from '../../src/generate/registry.js';
import { noSuchScript } from '../../src/library/errors.js';
import { parseOptions } from '../../src/parse-options.js';
import { thrownScriptboxError } from '../support/errors.js';

const FACES = { cli: CLI_WORDS, http: HTTP_WORDS, piston: PISTON_WORDS, mcp: MCP_WORDS } as const;

function everyFace(err: ScriptboxError): Record<keyof typeof FACES, string> {
  const said = (face: keyof typeof FACES): string => inFaceWords(err, FACES[face]).message;
  return { cli: said('cli'), http: said('http'), piston: said('piston'), mcp: said('mcp') };
}

describe("limits in each face's words", () => {
  const invalid = (limits: Record<string, unknown>): ScriptboxError =>
    thrownScriptboxError(() =>
      parseOptions(RunOptsSchema, { language: 'python', source: '', limits }, 'run options'),
    );

  it('a timeout of 0 names --timeout, run_timeout, limits.timeoutMs', () => {
    const err = invalid({ timeoutMs: 0 });
    expect(err.code).toBe('INVALID_OPTIONS');
    expect(everyFace(err)).toEqual({
      cli: 'invalid run options:\n  --timeout: Too small: expected number to be >=1',
      http: 'invalid run options:\n  limits.timeoutMs: Too small: expected number to be >=1',
      piston: 'invalid run options:\n  run_timeout: Too small: expected number to be >=1',
      mcp: 'invalid run options:\n  limits.timeoutMs: Too small: expected number to be >=1',
    });
    expect(inFaceWords(err, CLI_WORDS).issues).toEqual(['--timeout: Too small: expected number to be >=1']);
  });

  it("Piston's memory is in bytes: its issue says it is checked in MiB; limits a face has no knob for stay", () => {
    const err = invalid({ memoryMb: 1, diskMb: 0 });
    const piston = inFaceWords(err, PISTON_WORDS).issues;
    expect(piston).toEqual([
      'run_memory_limit: Too small: expected number to be >=8 (checked in MiB: the bytes asked for, rounded up)',
      'limits.diskMb: Too small: expected number to be >=1',
    ]);
    expect(inFaceWords(err, CLI_WORDS).issues).toEqual([
      '--memory: Too small: expected number to be >=8',
      'limits.diskMb: Too small: expected number to be >=1',
    ]);
  });

  it('only a top-level limits path is a knob; other errors pass unchanged', () => {
    const nested = new ScriptboxError('INVALID_OPTIONS', 'x', {
      data: { issues: ['items.0.limits.timeoutMs: bad'] },
    });
    expect(inFaceWords(nested, CLI_WORDS)).toEqual({
      message: 'x',
      issues: ['items.0.limits.timeoutMs: bad'],
    });
    const other = new ScriptboxError('UNKNOWN_RUNTIME', 'unknown language "cobol"');
    expect(everyFace(other).cli).toBe('unknown language "cobol"');
    expect(inFaceWords(other, ENGINE_WORDS)).toEqual({ message: 'unknown language "cobol"' });
  });

  it('a limit above its ceiling: each face its own sentence', () => {
    const err = new LimitAboveCeilingError({ limit: 'timeoutMs', requested: 700_000, ceiling: 600_000 });
    const said = everyFace(err);
    expect(said.cli).toMatch(/^--timeout 700000 is above the ceiling of 600000 ms; pass at most --timeout/);
    expect(said.piston).toMatch(/^run_timeout cannot exceed the configured limit of 600000/);
    expect(said.http).toMatch(/^limits\.timeoutMs: 700000 ms is above the server's ceiling/);
    expect(said.mcp).toBe(said.http);
  });
});

describe("where to look, in each face's words", () => {
  const registry = createTemplateRegistry();

  it('an unknown template: TEMPLATE_NOT_FOUND everywhere, each face naming its own list', () => {
    const err = thrownScriptboxError(() => registry.show('stats/nope'));
    expect(err.code).toBe('TEMPLATE_NOT_FOUND');
    const said = everyFace(err);
    expect(said.cli).toMatch(
      /^no template "stats\/nope" \(in pack stats: .*\); see `scriptbox templates list`$/,
    );
    expect(said.http).toMatch(/; see GET \/v1\/templates$/);
    expect(said.mcp).toMatch(/; see the list_templates tool$/);
    expect(toolErrorText(err)).toMatch(/^TEMPLATE_NOT_FOUND: no template "stats\/nope"/);
  });

  it('invalid parameters: the issues, then where the parameters are listed', () => {
    const err = thrownScriptboxError(() => registry.resolveParams('stats/regression', { bogus: 1 }));
    expect(err.code).toBe('INVALID_OPTIONS');
    const said = everyFace(err);
    expect(said.cli).toMatch(/^invalid parameters for stats\/regression:\n {2}bogus: unknown parameter/);
    expect(said.cli).toMatch(/\nsee `scriptbox templates show stats\/regression`$/);
    expect(said.http).toMatch(/\nsee GET \/v1\/templates\/stats\/regression$/);
    expect(said.mcp).toMatch(/\nsee the resource scriptbox:\/\/templates\/stats\/regression$/);
    // No face names another face's command.
    for (const text of [said.http, said.mcp]) expect(text).not.toMatch(/`scriptbox /);
  });

  it('a script not in the library: LIBRARY_NOT_FOUND, and MCP answers resource reads with -32002', () => {
    const err = noSuchScript('math_nope_001.py');
    expect(everyFace(err)).toMatchObject({
      cli: 'no script named math_nope_001.py; see `scriptbox scripts list`',
      http: 'no script named math_nope_001.py; see GET /v1/scripts',
      mcp: 'no script named math_nope_001.py; see the search_scripts tool',
    });
    expect(err.message).toBe('no script named math_nope_001.py');
    const rpc = toMcpError(err);
    expect([rpc.code, rpc.data]).toEqual([
      -32002,
      { code: 'LIBRARY_NOT_FOUND', name: 'math_nope_001.py', see: { what: 'scripts' } },
    ]);
    expect(toMcpError(new Error('boom')).code).toBe(-32603);
  });
});

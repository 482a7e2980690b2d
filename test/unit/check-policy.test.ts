import { describe, expect, it } from 'vitest';
import {
  CHECK_LANGUAGES,
  checkSource,
  formatFinding,
  isCheckLanguage,
  RULES,
  ruleInfo,
  type CheckLanguage,
} from '../../src/check/index.js';
import { InvalidOptionsError } from '../../src/errors.js';
import { renameImports } from '../../src/check/wasm-imports.js';

const HOSTILE = 'import os\nos.system("id")\nimport multiprocessing\n';
const WARNING_ONLY = 'import multiprocessing\nprint(1)\n';

describe('policies', () => {
  it('strict: errors block', async () => {
    const report = await checkSource({ language: 'python', source: HOSTILE, policy: 'strict' });
    expect(report.policy).toBe('strict');
    expect(report.blocked).toBe(true);
    expect(report.findings.map((f) => [f.rule, f.line, f.column])).toEqual([
      ['py/process-spawn', 2, 1],
      ['py/multiprocessing', 3, 8],
    ]);
  });

  it('strict: warnings alone do not block', async () => {
    const report = await checkSource({ language: 'python', source: WARNING_ONLY, policy: 'strict' });
    expect(report).toMatchObject({
      blocked: false,
      findings: [{ rule: 'py/multiprocessing', severity: 'warning' }],
    });
  });

  it('warn: the same findings, never blocked', async () => {
    const strict = await checkSource({ language: 'python', source: HOSTILE, policy: 'strict' });
    const warn = await checkSource({ language: 'python', source: HOSTILE, policy: 'warn' });
    expect(warn).toEqual({ policy: 'warn', blocked: false, findings: strict.findings });
  });

  it('off: nothing is parsed or reported, not even a syntax error', async () => {
    for (const language of CHECK_LANGUAGES) {
      const report = await checkSource({ language, source: 'eval(( curl | ', policy: 'off' });
      expect(report).toEqual({ policy: 'off', blocked: false, findings: [] });
    }
  });

  it('a syntax error is an error finding in every language', async () => {
    const broken: Record<CheckLanguage, [string, string]> = {
      python: ['def f(:\n', 'py/syntax'],
      javascript: ['let = ;', 'js/syntax'],
      typescript: ['const a: = 1;', 'js/syntax'],
      bash: ['if then fi', 'sh/syntax'],
    };
    for (const language of CHECK_LANGUAGES) {
      const [source, rule] = broken[language];
      const report = await checkSource({ language, source, policy: 'strict' });
      expect(report.blocked, language).toBe(true);
      expect(report.findings[0], language).toMatchObject({ rule, severity: 'error', line: 1 });
    }
  });

  it('clean scripts pass in every language', async () => {
    const clean: Record<CheckLanguage, string> = {
      python: 'import json, os\nprint(json.dumps({"n": len(os.listdir("."))}))',
      javascript: 'const fs = require("node:fs");\nconsole.log(JSON.stringify(fs.readdirSync(".")));',
      typescript: 'const xs: number[] = [1, 2];\nconsole.log(xs.reduce((a, b) => a + b, 0));',
      bash: 'set -euo pipefail\nfor f in *.csv; do wc -l "$f"; done | sort -n > out/counts.txt',
    };
    for (const language of CHECK_LANGUAGES) {
      expect(await checkSource({ language, source: clean[language], policy: 'strict' }), language).toEqual({
        policy: 'strict',
        blocked: false,
        findings: [],
      });
    }
  });

  it('rejects options it does not understand', async () => {
    const language = 'ruby' as unknown as CheckLanguage;
    await expect(checkSource({ language, source: '', policy: 'strict' })).rejects.toBeInstanceOf(
      InvalidOptionsError,
    );
  });
});

describe('helpers for callers', () => {
  it('formats a finding as file:line:col  severity  rule  message and knows the languages', () => {
    const finding = { rule: 'sh/daemon', severity: 'warning' as const, message: 'why', line: 3, column: 5 };
    expect(formatFinding(finding, 'x.sh')).toBe('x.sh:3:5  warning  sh/daemon  why');
    expect(CHECK_LANGUAGES.every(isCheckLanguage)).toBe(true);
    expect(isCheckLanguage('ruby')).toBe(false);
  });
});

describe('rule catalogue', () => {
  it('has unique, stable-looking ids with a severity, languages and a description', () => {
    const ids = RULES.map((rule) => rule.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of RULES) {
      expect(rule.id).toMatch(/^(py|js|sh)\/[a-z]+(-[a-z]+)*$/);
      expect(['error', 'warning']).toContain(rule.severity);
      expect(rule.languages.length).toBeGreaterThan(0);
      if (!rule.id.endsWith('/syntax'))
        expect(rule.description).toContain('the sandbox would contain it anyway');
      expect(ruleInfo(rule.id)).toBe(rule);
    }
  });

  it('marks exactly the network rules as not applying to runs with network', () => {
    const network = RULES.filter((rule) => rule.onlyWithoutNetwork).map((rule) => rule.id);
    expect(network.sort()).toEqual(
      ['js/network', 'js/network-url', 'py/network', 'py/network-url', 'sh/dev-tcp', 'sh/network'].sort(),
    );
  });
});

describe('parsers', () => {
  it('loads each grammar once, also under concurrent checks', async () => {
    const runs = CHECK_LANGUAGES.flatMap((language) =>
      [1, 2, 3].map(() => checkSource({ language, source: 'x', policy: 'warn' })),
    );
    expect((await Promise.all(runs)).every((report) => !report.blocked)).toBe(true);
  });

  it('parses bash case statements (the bash grammar needs its isalpha import renamed)', async () => {
    const source = 'case "$1" in\n  a) curl x ;;\nesac';
    const report = await checkSource({ language: 'bash', source, policy: 'warn' });
    expect(report.findings.map((f) => [f.rule, f.line])).toEqual([['sh/network', 2]]);
  });

  it('renames a wasm import, re-encoding the import section and keeping every other byte', () => {
    const name = (text: string): number[] => [text.length, ...new TextEncoder().encode(text)];
    const header = [0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0];
    const types = [0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f]; // type section: (i32) -> i32
    const custom = [0x00, 0x04, ...name('abc')]; // a trailing custom section
    const section = (imported: string): number[] => {
      const payload = [0x01, ...name('env'), ...name(imported), 0x00, 0x00]; // one function import
      return [0x02, payload.length, ...payload];
    };
    const module = new Uint8Array([...header, ...types, ...section('isalpha'), ...custom]);
    const renamed = renameImports(module, new Map([['isalpha', 'iswalpha']]));
    expect([...renamed]).toEqual([...header, ...types, ...section('iswalpha'), ...custom]);
    expect(renameImports(module, new Map([['other', 'x']]))).toEqual(module);
  });
});

/** A realistic script of at least 300 lines in each language: a header, then a block repeated. */
function script(language: CheckLanguage): string {
  const parts: Record<CheckLanguage, [string, string]> = {
    python: [
      'import json\nimport math\n',
      '\ndef stats(values):\n    n = len(values)\n    mean = sum(values) / n\n' +
        '    var = sum((v - mean) ** 2 for v in values) / n\n    return {"n": n, "mean": mean, "sd": math.sqrt(var)}\n\n' +
        'rows = [float(x) for x in open("data.csv").read().split() if x]\nprint(json.dumps(stats(rows)))\n',
    ],
    javascript: [
      'const fs = require("node:fs");\n',
      '{\n  function stats(values) {\n    const n = values.length;\n' +
        '    const mean = values.reduce((a, b) => a + b, 0) / n;\n    return { n, mean };\n  }\n' +
        '  const rows = fs.readFileSync("data.csv", "utf8").split(/\\s+/).filter(Boolean).map(Number);\n' +
        '  console.log(JSON.stringify(stats(rows)));\n}\n',
    ],
    typescript: [
      'import { readFileSync } from "node:fs";\n',
      '{\n  interface Stats { n: number; mean: number }\n  const stats = (values: number[]): Stats => {\n' +
        '    const n = values.length;\n    return { n, mean: values.reduce((a, b) => a + b, 0) / n };\n  };\n' +
        '  const rows = readFileSync("data.csv", "utf8").split(/\\s+/).map(Number);\n' +
        '  console.log(JSON.stringify(stats(rows)));\n}\n',
    ],
    bash: [
      'set -euo pipefail\ncount=0\n',
      'for f in *.csv; do\n  lines=$(wc -l < "$f")\n  count=$((count + lines))\n' +
        '  echo "$f: $lines" >> out/report.txt\ndone\nif [ "$count" -gt 10 ]; then\n  echo big\nfi\n' +
        'sort -n out/report.txt | head -n 3\n',
    ],
  };
  const [header, block] = parts[language];
  return header + block.repeat(Math.ceil(300 / (block.split('\n').length - 1)));
}

describe('long scripts', () => {
  // Speed is the benchmarks' business; this checks that a long, clean script yields no findings.
  it.each(CHECK_LANGUAGES)('a clean 300-line %s script has no findings', async (language) => {
    const source = script(language);
    expect(source.split('\n').length).toBeGreaterThanOrEqual(300);
    const report = await checkSource({ language, source, policy: 'strict' });
    expect(report).toEqual({ policy: 'strict', blocked: false, findings: [] });
  });
});

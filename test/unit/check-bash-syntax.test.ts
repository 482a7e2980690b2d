/**
 * Valid bash is never a syntax error: tree-sitter's bash grammar lacks some constructs bash accepts
 * (`exec 3<>file`), and then bash's own verdict (`bash -n`, as the runtime checks before it runs) decides.
 * Scripts bash rejects are still syntax errors, and the other rules still apply to a script the grammar
 * could not fully parse.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { checkSource } from '../../src/check/index.js';
import { bashAccepts } from '../../src/check/bash-syntax.js';
import { lines, findingsIn } from './check-rule-cases.js';

const hasBash = spawnSync('/bin/bash', ['-c', 'exit 0']).status === 0;

/** [what, a script `bash -n` accepts] */
const VALID: Array<[string, string]> = [
  ['exec with a read-write redirection', 'exec 3<>/tmp/x\necho hi >&3\nexec 3>&-'],
  ['a read-write redirection to a named fd', 'exec {fd}<>/tmp/y\necho hi >&"$fd"\nexec {fd}>&-'],
  ['read-write on a command', 'cat 0<>/tmp/z'],
  ['a here-string', 'read -r a b <<< "one two"\necho "$a $b"'],
  ['process substitution', 'diff <(sort a.txt) <(sort b.txt)\nwhile read -r l; do echo "$l"; done < <(ls)'],
  ['[[ ]] with a regex and patterns', '[[ -f x && $a =~ ^[0-9]+$ ]] && echo y\n[[ $a == b* || ! -d /x ]]'],
  [
    'indexed and associative arrays',
    'a=(1 2 3)\na+=(4)\necho "${a[@]}" "${#a[@]}" "${a[1]:0:1}"\ndeclare -A m=([k]=v)\necho "${!m[@]}"',
  ],
  ['coproc', 'coproc cat\necho hi >&"${COPROC[1]}"\ncoproc NAME { cat; }\nread -r l <&"${NAME[0]}"'],
  ['case with ;& and ;;&', 'case "$1" in\n  a) echo a ;&\n  b) echo b ;;&\n  *) echo c ;;\nesac'],
  ['arithmetic', '(( a = 1 << 3 ))\nfor ((;;)); do break; done\necho $((16#ff))'],
];

/** [what, a script bash rejects, the line the error is reported on] */
const INVALID: Array<[string, string, number]> = [
  ['if without a condition', 'echo ok\nif then fi', 2],
  ['an unclosed command substitution', 'echo $(', 1],
  ['a read-write redirection with nothing after it', 'exec 3<>\necho $(', 1],
];

describe.skipIf(!hasBash)('bash syntax: bash decides when the grammar cannot (needs /bin/bash)', () => {
  it.each(VALID)('%s is no syntax error', async (_what, source) => {
    expect(await bashAccepts(source)).toBe(true);
    const report = await checkSource({ language: 'bash', source, policy: 'strict' });
    expect(report.findings.filter((finding) => finding.rule === 'sh/syntax')).toEqual([]);
    expect(report.blocked).toBe(false);
  });

  it.each(INVALID)('%s is still a syntax error', async (_what, source, line) => {
    expect(await bashAccepts(source)).toBe(false);
    expect(lines(await findingsIn('bash', source), 'sh/syntax')).toEqual([line]);
  });

  it('the rules still see a script the grammar could not fully parse', async () => {
    const found = await findingsIn('bash', 'exec 3<>/tmp/x\ncurl -s https://example.com >&3');
    expect(lines(found, 'sh/syntax')).toEqual([]);
    expect(lines(found, 'sh/network')).toEqual([2]);
  });
});

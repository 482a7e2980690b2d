import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/check/index.js';
import { findingsIn, lines, ruleCaseTests, type CleanCase, type FlaggedCase } from './check-rule-cases.js';

const findings = (source: string, network = false): Promise<Finding[]> => findingsIn('bash', source, network);

/** [rule, source, a line it must be reported on] */
const POSITIVE: FlaggedCase[] = [
  ['sh/syntax', 'echo ok\nif then fi', 2],
  ['sh/network', 'echo start\ncurl -s https://example.com', 2],
  ['sh/network', 'wget -q x; nc host 80; ssh user@host; scp a b:c', 1],
  ['sh/dev-tcp', 'echo hi > /dev/tcp/10.0.0.1/80', 1],
  ['sh/dev-tcp', 'cat < /dev/udp/10.0.0.1/53', 1],
  ['sh/eval', 'cmd="ls"\neval "$cmd"', 2],
  ['sh/source-computed', 'source "$dir/lib.sh"', 1],
  ['sh/source-computed', '. <(cat x)', 1],
  ['sh/shell-c', 'bash -c "$cmd"', 1],
  ['sh/shell-c', 'cat payload | sh', 1],
  ['sh/shell-c', 'python3 -c "$code"', 1],
  ['sh/shell-c', 'sh <<< "$payload"', 1],
  ['sh/shell-c', 'bash <<EOF\n$payload\nEOF', 2],
  ['sh/computed-command', '"$tool" --version', 1],
  ['sh/system-path-write', 'echo x > /etc/hosts', 1],
  ['sh/system-path-write', 'echo x >> /root/.bashrc', 1],
  ['sh/system-path-write', 'cp a.sh /usr/local/bin/a', 1],
  ['sh/system-path-write', 'echo x | tee /home/u/.profile', 1],
  ['sh/system-path-write', 'dd if=/dev/zero of=/dev/sda', 1],
  ['sh/privilege', 'sudo ls', 1],
  ['sh/privilege', 'chmod 4755 ./f', 1],
  ['sh/privilege', 'chmod u+s ./f', 1],
  ['sh/privilege', 'unshare -r bash', 1],
  ['sh/daemon', 'nohup sleep 100 &', 1],
  ['sh/daemon', 'sleep 9 &\ndisown', 2],
  ['sh/daemon', 'setsid worker.sh', 1],
];

/** [rule, harmless source that must not trigger it] */
const NEGATIVE: CleanCase[] = [
  [
    'sh/syntax',
    'case "$1" in\n  a|b) echo 1 ;;\n  *) echo 2 ;;\nesac\nfor ((i = 0; i < 3; i++)); do echo "$i"; done',
  ],
  ['sh/network', 'echo "use curl to download"\ngrep curl notes.txt\n# curl https://x'],
  ['sh/dev-tcp', 'echo hi > /dev/null\necho "/dev/tcp is refused"'],
  ['sh/eval', 'echo eval\nevaluate_model x'],
  ['sh/source-computed', 'source ./lib.sh\n. /etc/os-release'],
  ['sh/shell-c', 'bash -c "echo hi"\nbash script.sh\ncat x | grep y\npython3 - <<\'EOF\'\nprint(1)\nEOF'],
  ['sh/shell-c', "trap 'rm -f tmp.txt' EXIT\ntrap - INT"],
  ['sh/computed-command', 'tool=jq\n$tool . in.json\nfor t in sort uniq; do $t f; done'],
  [
    'sh/system-path-write',
    'echo x > out/result.txt\necho y > /tmp/y\necho z 2>/dev/null\ncat /etc/os-release',
  ],
  ['sh/system-path-write', 'cp /usr/share/dict/words ./words\necho x > /work/out/x'],
  ['sh/privilege', 'chmod 755 f\nchmod +x g\necho sudo'],
  ['sh/daemon', 'sleep 1 &\nwait'],
];

/** Renaming, quoting and wrapping tricks that must still be flagged: [rule, source, line]. */
const EVASIONS: FlaggedCase[] = [
  ['sh/network', 'c=curl\n$c https://x', 2],
  ['sh/network', "'cu''rl' https://x", 1],
  ['sh/network', 'cu\\rl https://x', 1],
  ['sh/network', "$'\\x63url' https://x", 1],
  ['sh/network', '"c"ur\'l\' https://x', 1],
  ['sh/network', "alias g='wget -q'\ng https://x", 2],
  ['sh/network', 'timeout 5 curl https://x', 1],
  ['sh/network', 'env A=1 nice -n 5 curl https://x', 1],
  ['sh/network', '/usr/bin/curl https://x', 1],
  ['sh/network', 'echo hi\n\\curl https://x', 2],
  ['sh/network', 'for t in wget; do\n  $t https://x\ndone', 2],
  ['sh/network', '$(which curl) https://x', 1],
  ['sh/network', 'echo u | xargs -I{} curl {}', 1],
  ['sh/network', "bash -c 'curl https://x'", 1],
  ['sh/network', 'sh -c \'bash -c "curl https://x"\'', 1],
  ['sh/eval', 'command eval "$x"', 1],
  ['sh/privilege', 'timeout 5 sudo id', 1],
  ['py/process-spawn', 'python3 -c "import os; os.system(\'id\')"', 1],
  ['py/network', "python3 - <<'EOF'\nimport json\nimport socket\nEOF", 3],
  ['py/network', "python3 - <<-'EOF'\n\tif True:\n\t    import socket\n\tEOF", 3],
  ['js/process-spawn', "node -e \"require('child_process').execSync('id')\"", 1],
  ['sh/network', "trap 'curl https://x' EXIT", 1],
  ['sh/shell-c', 'trap "$handler" INT', 1],
  ['sh/source-computed', 'source /dev/stdin <<< "$code"', 1],
  ['sh/network', 'busybox wget https://x', 1],
  ['sh/network', '/bin/bash -lc "curl https://x"', 1],
];

describe('bash rules', () => {
  ruleCaseTests('bash', { positive: POSITIVE, negative: NEGATIVE, evasions: EVASIONS });

  it('reports findings in embedded code at their place in the script', async () => {
    const [finding] = await findings("echo start\nbash -c 'echo ok; curl https://x'");
    expect(finding).toMatchObject({ rule: 'sh/network', line: 2, column: 19 });
    expect(finding?.message).toMatch(/^in the bash code given to bash -c: `curl`/);
    const heredoc = await findings("cat <<'X'\nx\nX\npython3 - <<'EOF'\nimport json\nprint(eval('1'))\nEOF");
    expect(heredoc).toMatchObject([{ rule: 'py/dynamic-code', line: 6, column: 7 }]);
  });

  it('treats daemons and computed command names as warnings', async () => {
    const found = await findings('nohup x &\n"$cmd"');
    expect(found.map((f) => [f.rule, f.severity])).toEqual([
      ['sh/daemon', 'warning'],
      ['sh/computed-command', 'warning'],
    ]);
  });

  it('drops the network rules when the run has network', async () => {
    const source = 'curl https://example.com\nexec 3>/dev/tcp/example.com/80';
    expect(lines(await findings(source), 'sh/network')).toEqual([1]);
    expect(await findings(source, true)).toEqual([]);
  });
});

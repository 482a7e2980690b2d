/**
 * The scripts `scriptbox demo` runs: everyday jobs in each language, then scripts that try to get out
 * and are stopped by the sandbox. Each says what it expects, so the demo can tell whether the walls held.
 */
import type { PartialLimits } from '../../engine/options.js';
import type { ErrorKind } from '../../engine/result.js';
import { plural } from '../../text.js';

/** What the host prepares for the demos: a TCP listener on its own loopback that nothing may reach. */
export interface DemoHost {
  port: number;
  connections(): number;
}

export interface DemoScript {
  title: string;
  language: string;
  source: string | ((host: DemoHost) => string);
  files?: Array<{ name: string; content: string }>;
  limits?: PartialLimits;
  /** The error kind the run must end with; null when the script must succeed. */
  expectKind: ErrorKind | null;
  /** Text the script's stdout must contain. */
  expectStdout?: string[];
  /** Text the script's stdout must not contain (what a breach would print). */
  forbidStdout?: string[];
  /** A problem seen from the host after the run, or null. */
  hostCheck?: (host: DemoHost) => string | null;
}

const SALES_CSV = `region,product,units,revenue
north,widget,12,240.0
south,widget,7,140.0
north,gadget,3,297.0
east,widget,15,300.0
south,gadget,5,495.0
east,gizmo,9,134.1
north,gizmo,4,59.6
west,widget,11,220.0
`;

export const DEMO_SCRIPTS: readonly DemoScript[] = [
  {
    title: 'Python + pandas: describe() a CSV given as an input file',
    language: 'python',
    files: [{ name: 'sales.csv', content: SALES_CSV }],
    source: `import pandas as pd

df = pd.read_csv('sales.csv')
print(df.describe().round(2).to_string())
print()
print(df.groupby('region')['revenue'].sum().sort_values(ascending=False).round(2).to_string())
`,
    limits: { timeoutMs: 30_000, cpuMs: 30_000, memoryMb: 512 },
    expectKind: null,
    expectStdout: ['count', 'mean', 'revenue'],
  },
  {
    title: 'JavaScript: count words',
    language: 'javascript',
    source: `const text = 'the quick brown fox jumps over the lazy dog and the fox naps';
const counts = new Map();
for (const word of text.split(' ')) counts.set(word, (counts.get(word) ?? 0) + 1);
const top = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 3);
for (const [word, n] of top) console.log(\`\${word}: \${n}\`);
`,
    expectKind: null,
    expectStdout: ['the: 3', 'fox: 2'],
  },
  {
    title: 'TypeScript: types are stripped, then it runs on node',
    language: 'typescript',
    source: `interface Point { x: number; y: number }
const dist = (a: Point, b: Point): number => Math.hypot(a.x - b.x, a.y - b.y);
const path: Point[] = [{ x: 0, y: 0 }, { x: 3, y: 4 }, { x: 6, y: 8 }];
let total: number = 0;
for (let i = 1; i < path.length; i++) total += dist(path[i - 1]!, path[i]!);
console.log(\`path length: \${total}\`);
`,
    expectKind: null,
    expectStdout: ['path length: 10'],
  },
  {
    title: 'bash: a pipeline',
    language: 'bash',
    source: `printf '%s\\n' apple banana apple cherry banana apple | sort | uniq -c | sort -rn | head -n 2
echo "running as $(id -un), in $(pwd)"
`,
    expectKind: null,
    expectStdout: ['3 apple', '2 banana', 'running as sandbox'],
  },
  {
    title: 'Wall: an infinite loop is stopped by the 1 s timeout',
    language: 'python',
    source: `while True:
    pass
`,
    limits: { timeoutMs: 1_000 },
    expectKind: 'timeout',
  },
  {
    title: "Wall: the host's files are out of reach",
    language: 'python',
    source: `for path, mode in [('/etc/shadow', 'r'), ('/root/.bashrc', 'r'), ('/usr/bin/pwned', 'w')]:
    try:
        with open(path, mode) as f:
            f.read() if mode == 'r' else f.write('x')
        print(f'{mode} {path}: ALLOWED')
    except OSError as err:
        print(f'{mode} {path}: blocked ({err.strerror})')
`,
    expectKind: null,
    expectStdout: ['r /etc/shadow: blocked', 'r /root/.bashrc: blocked', 'w /usr/bin/pwned: blocked'],
    forbidStdout: ['ALLOWED'],
  },
  {
    title: "Wall: no network, not even the host's loopback",
    language: 'python',
    source: (host) => `import socket

for address in [('127.0.0.1', ${host.port}), ('1.1.1.1', 443)]:
    try:
        socket.create_connection(address, timeout=2).close()
        print(f'tcp {address[0]}:{address[1]}: CONNECTED')
    except OSError as err:
        print(f'tcp {address[0]}:{address[1]}: blocked ({err.strerror or err})')
`,
    expectKind: null,
    expectStdout: ['tcp 1.1.1.1:443: blocked'],
    forbidStdout: ['CONNECTED'],
    hostCheck: (host) =>
      host.connections() === 0
        ? null
        : `the host listener received ${plural(host.connections(), 'connection')}`,
  },
];

/**
 * `doctor`'s end-to-end check of granted network: a sandboxed Python script fetches a page from a server
 * this check starts on 127.0.0.1, through the in-sandbox relay and the host egress proxy, under a name the
 * proxy resolves by override; a name off the allowlist must be refused in the same run. Nothing leaves the
 * machine.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { check, messageOf, type SelfTestCheck } from '../sandbox/self-test-check.js';
import { createEngine } from './engine.js';

const NAME = 'doctor.scriptbox.test';
const OFF_LIST = 'elsewhere.scriptbox.test';
const FIX =
  'granted network goes through the egress proxy: check that /usr/bin/python3 runs inside the sandbox ' +
  'and that the temporary directory (TMPDIR) is writable; report this with `scriptbox doctor --json`';

/** The check: `network-egress`, not required (runs without network work whatever it says). */
export async function networkCheck(): Promise<SelfTestCheck> {
  const token = randomBytes(8).toString('hex');
  const server = createServer((_req, res) => res.end(`scriptbox-doctor ${token}`));
  try {
    const port = await listen(server);
    const engine = await createEngine({
      pool: { size: 0 },
      network: { allow: [`${NAME}:${port}`], allowPrivate: true, resolve: [`${NAME}:127.0.0.1`] },
    });
    try {
      const result = await engine.run({
        language: 'python',
        source: probeScript(port),
        network: { allow: [`${NAME}:${port}`] },
        limits: { timeoutMs: 20_000 },
      });
      const lines = result.stdout.trim().split('\n');
      const fetched = lines[0] === `scriptbox-doctor ${token}`;
      const refused = lines[1] === 'refused' && (result.network?.refused.length ?? 0) > 0;
      const ok = result.ok && fetched && refused;
      const detail = ok
        ? `a sandboxed script fetched a page through the egress proxy (${result.usage.wallMs} ms), and a ` +
          'name off the allowlist was refused'
        : `the probe did not get through as expected: ${describe(result.error?.message, result.stdout, result.stderr)}`;
      return check('network-egress', ok, detail, FIX, false);
    } finally {
      await engine.close();
    }
  } catch (err) {
    return check('network-egress', false, messageOf(err), FIX, false);
  } finally {
    server.close();
  }
}

function probeScript(port: number): string {
  return [
    'import urllib.request',
    `print(urllib.request.urlopen("http://${NAME}:${port}/", timeout=10).read().decode())`,
    'try:',
    `    urllib.request.urlopen("http://${OFF_LIST}:${port}/", timeout=10)`,
    '    print("reached")',
    'except Exception:',
    '    print("refused")',
  ].join('\n');
}

function describe(error: string | undefined, stdout: string, stderr: string): string {
  const text = [error, stdout.trim(), stderr.trim().split('\n').slice(-3).join(' ')].filter(Boolean);
  return text.join(' · ').slice(0, 500) || 'no output';
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/**
 * Why a source failed, from its run: the engine's error kind mapped to an extraction's (timeout, syntax,
 * network, runtime, output, cancelled, sandbox), and a hint saying what to do. A run that failed on a
 * connection error (refused, reset, unresolvable, a gateway error from the proxy) is `network` even when
 * the proxy refused nothing: the source itself could not be reached.
 */
import type { RunResult } from '../../engine/result.js';
import type { ExtractError, SourceMetadata } from './result.js';

/** What scripts print when a connection fails, in Python, Node, curl and wget. */
const CONNECTION_FAILURE =
  /URLError|ConnectionError|ConnectionRefused|ConnectionReset|RemoteDisconnected|ProxyError|ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|fetch failed|Connection refused|Tunnel connection failed|HTTP Error 50[234]\b|\b50[234] (Bad Gateway|Service Unavailable|Gateway Timeout)|Could not resolve|curl: \((5|6|7|28|35|56)\)|Name or service not known/;

export interface FailureContext {
  run: RunResult;
  /** What the source's run was granted. */
  allow: readonly string[];
  metadata: SourceMetadata;
  /** The network limit the run hit, if any. */
  networkLimit: { which: string; message: string } | null;
}

const RUN_ALONE =
  'run the script on this source alone to see it fail (its JSON on stdin, network allowed to its host)';

/** The error of a source whose run failed (run.ok false). */
export function runFailure(ctx: FailureContext): ExtractError {
  const { run, metadata } = ctx;
  const runKind = run.error?.kind ?? 'runtime';
  const message = run.error?.message ?? `the script exited with code ${String(run.exitCode)}`;
  const base = { message, runKind };
  switch (runKind) {
    case 'timeout':
    case 'cpu':
      return {
        ...base,
        kind: 'timeout',
        hint:
          'the source may be slow or the script may wait forever: raise the time limit (CLI --timeout, ' +
          'limits.timeoutMs), or fetch less; give each request a timeout of its own',
      };
    case 'syntax':
    case 'rejected':
      return {
        ...base,
        kind: 'syntax',
        ...(run.error?.line !== undefined ? { line: run.error.line } : {}),
        hint: `fix the script${run.error?.line !== undefined ? ` at line ${run.error.line}` : ''}: it does not parse, so no source can succeed`,
      };
    case 'network':
      return { ...base, kind: 'network', hint: networkHint(ctx) };
    case 'output_limit':
      return {
        ...base,
        kind: 'output',
        hint: 'print only the records (diagnostics to stderr), or raise the output limit (CLI --max-output)',
      };
    case 'cancelled':
      return { ...base, kind: 'cancelled', hint: 'run the extraction again to get this source' };
    case 'sandbox':
      return { ...base, kind: 'sandbox', hint: 'the sandbox failed, not the script: run `scriptbox doctor`' };
    default:
      break;
  }
  if (CONNECTION_FAILURE.test(`${message}\n${run.stderr.slice(-4000)}`)) {
    return { ...base, kind: 'network', hint: networkHint(ctx) };
  }
  if (runKind !== 'runtime') {
    return {
      ...base,
      kind: 'runtime',
      hint: `the run hit its ${runKind} limit: raise it (limits), or make the script use less`,
    };
  }
  const failed = metadata.statuses.filter((status) => status >= 400);
  const answered =
    failed.length > 0
      ? `the source answered HTTP ${[...new Set(failed)].join(', ')}; check the URL, or `
      : '';
  return { ...base, kind: 'runtime', hint: `${answered}${RUN_ALONE}` };
}

function networkHint({ metadata, allow, networkLimit }: FailureContext): string {
  if (networkLimit) {
    return `${networkLimit.message}: raise the network limit ${networkLimit.which} (networkLimits), or fetch less`;
  }
  const refused = metadata.refused;
  const first = refused[0];
  if (first) {
    const host = first.destination.replace(/:(80|443)$/, '');
    const granted = allow.some((entry) => entry === host || entry === first.destination);
    return granted
      ? `the proxy refused ${first.destination} (${first.reason}); an operator may have to allow its ` +
          'address (private ranges need --allow-private-net)'
      : `the script reached for ${first.destination}, which is not granted: add it to the extra allow ` +
          `entries (CLI --allow-net ${host}) if the script needs it`;
  }
  return (
    'the source could not be reached (connection refused, reset or timed out): check the URL and that ' +
    'the server is up, then run again'
  );
}

/** The error of a source whose run succeeded but whose output is not records. */
export function outputFailure(message: string): ExtractError {
  return {
    kind: 'output',
    message,
    hint: 'print a JSON array of objects, or one JSON object per line, on stdout; write diagnostics to stderr',
    runKind: null,
  };
}

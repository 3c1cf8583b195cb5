/**
 * Query strings of the kubelet's endpoints → typed requests, pure. Booleans accept "1" (what
 * kube-apiserver sends the kubelet) and "true" (what kubectl sends, passed through by k8ts's API
 * server). Bad values are the caller's mistake: QueryError, answered 400.
 */
import { parseTimestamp } from '../../api/printers/human-duration.js';
import type { AttachRequest, ExecRequest } from '../../gen/cri/runtime/v1/api.js';
import type { LogRequest } from './types.js';

/** QueryError is a malformed query parameter. */
export class QueryError extends Error {
  override name = 'QueryError';
}

function flag(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v === '1' || v === 'true';
}

function integer(q: URLSearchParams, name: string, min: number): number | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (!/^-?\d+$/.test(v) || Number(v) < min) {
    throw new QueryError(`${name}: must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  }
  return Number(v);
}

interface StreamFlags {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** streamFlags reads stdin/stdout/stderr/tty; stderr is dropped with a tty (it is merged). */
function streamFlags(q: URLSearchParams): StreamFlags {
  const tty = flag(q, 'tty');
  const out = {
    stdin: flag(q, 'stdin'), stdout: flag(q, 'stdout'), stderr: flag(q, 'stderr') && !tty, tty,
  };
  if (!out.stdin && !out.stdout && !out.stderr) {
    throw new QueryError('you must specify at least 1 of stdin, stdout, stderr');
  }
  return out;
}

/** execRequest maps /exec's query (command repeated once per argv element) to the CRI call. */
export function execRequest(q: URLSearchParams, containerId: string): ExecRequest {
  const cmd = q.getAll('command');
  if (cmd.length === 0) {
    throw new QueryError('you must specify at least one command for the container');
  }
  return { containerId, cmd, ...streamFlags(q) };
}

/** attachRequest maps /attach's query to the CRI call. */
export function attachRequest(q: URLSearchParams, containerId: string): AttachRequest {
  return { containerId, ...streamFlags(q) };
}

/** portForwardPorts reads the optional repeated `port` parameter (kubectl ≥1.31 sends none). */
export function portForwardPorts(q: URLSearchParams): number[] {
  return q.getAll('port').map((p) => {
    const n = Number(p);
    if (!/^\d+$/.test(p) || n < 1 || n > 65535) {
      throw new QueryError(`invalid port ${JSON.stringify(p)}`);
    }
    return n;
  });
}

/** logRequest maps /containerLogs' query (upstream's PodLogOptions) to a LogRequest. */
export function logRequest(
  q: URLSearchParams,
  target: { namespace: string; pod: string; container: string },
  wallMs: number,
): LogRequest {
  const tailLines = integer(q, 'tailLines', 0);
  const limitBytes = integer(q, 'limitBytes', 1);
  const sinceSeconds = integer(q, 'sinceSeconds', 1);
  const sinceTime = q.get('sinceTime');
  if (sinceSeconds !== undefined && sinceTime !== null) {
    throw new QueryError('at most one of `sinceTime` or `sinceSeconds` may be specified');
  }
  let sinceWallMs: number | undefined;
  if (sinceSeconds !== undefined) sinceWallMs = wallMs - sinceSeconds * 1000;
  if (sinceTime !== null) {
    sinceWallMs = parseTimestamp(sinceTime);
    if (sinceWallMs === undefined) {
      throw new QueryError(`sinceTime: not RFC3339: ${JSON.stringify(sinceTime)}`);
    }
  }
  return {
    ...target,
    follow: flag(q, 'follow'),
    previous: flag(q, 'previous'),
    timestamps: flag(q, 'timestamps'),
    ...(tailLines !== undefined ? { tailLines } : {}),
    ...(limitBytes !== undefined ? { limitBytes } : {}),
    ...(sinceWallMs !== undefined ? { sinceWallMs } : {}),
  };
}

/**
 * The I/O half of probes and lifecycle hooks: one run of an exec, httpGet or tcpSocket handler
 * against a running container, bounded by a timeout from the injected clock. HTTP succeeds on
 * 2xx and 3xx (redirects are not followed, a 3xx already proves the server answers), as
 * upstream's prober; TCP succeeds when a connection opens; exec succeeds on exit code 0 of an
 * ExecSync through the CRI. Failure messages follow upstream's wording, since `kubectl
 * describe` shows them in Unhealthy events.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Container, ProbeHandler } from '../../api/core/v1/pod-types.js';
import type { Clock } from '../../base/clock.js';
import { CriCode, CriError } from '../cri/errors.js';
import type { CriRuntime } from '../cri/types.js';

/** HandlerTarget is the container a handler runs against. */
export interface HandlerTarget {
  cri: CriRuntime;
  clock: Clock;
  containerId: string;
  container: Container;
  /** Where httpGet and tcpSocket connect unless the handler names a host: the pod IP. */
  podIp: string;
}

/** HandlerOutcome is one run's outcome and its output (the failure reason or command output). */
export interface HandlerOutcome {
  ok: boolean;
  output: string;
}

/** Body bytes an HTTP probe reads at most (upstream: 10 KiB); the rest is discarded. */
const HTTP_BODY_MAX_BYTES = 10 * 1024;
/** Output bytes of an exec probe kept for messages. */
const EXEC_OUTPUT_MAX_BYTES = 10 * 1024;

/** resolvePort turns a port number or a container port name into a number. */
export function resolvePort(port: number | string, c: Container): number | undefined {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return c.ports?.find((p) => p.name === port)?.containerPort;
}

/** runHandler runs one exec, httpGet or tcpSocket handler within timeoutMs. */
export async function runHandler(
  handler: ProbeHandler,
  target: HandlerTarget,
  timeoutMs: number,
): Promise<HandlerOutcome> {
  if (handler.exec !== undefined) return runExec(handler.exec.command ?? [], target, timeoutMs);
  if (handler.httpGet !== undefined) return runHttp(handler.httpGet, target, timeoutMs);
  if (handler.tcpSocket !== undefined) return runTcp(handler.tcpSocket, target, timeoutMs);
  if (handler.grpc !== undefined) return { ok: false, output: 'grpc probes are not supported' };
  return { ok: false, output: 'missing probe handler' };
}

/** runExec runs the command through CRI ExecSync. */
async function runExec(cmd: string[], t: HandlerTarget, timeoutMs: number) {
  const timeoutS = Math.max(1, Math.ceil(timeoutMs / 1000));
  try {
    const res = await t.cri.execSync({
      containerId: t.containerId,
      cmd,
      timeout: BigInt(timeoutS),
    });
    const output = Buffer.concat([res.stdout, res.stderr])
      .subarray(0, EXEC_OUTPUT_MAX_BYTES)
      .toString('utf8');
    return { ok: res.exitCode === 0, output: res.exitCode === 0 ? output : output ||
      `command ${JSON.stringify(cmd)} exited with ${res.exitCode}` };
  } catch (err) {
    if (err instanceof CriError && err.code === CriCode.DEADLINE_EXCEEDED) {
      return { ok: false, output: `command ${JSON.stringify(cmd)} timed out` };
    }
    return { ok: false, output: err instanceof Error ? err.message : String(err) };
  }
}

/** withTimeout settles with the fallback when the clock's timeout passes first. */
function withTimeout<T>(
  clock: Clock,
  timeoutMs: number,
  run: (done: (v: T) => void) => () => void,
  onTimeout: T,
): Promise<T> {
  return new Promise((resolve) => {
    let settled = false;
    let cleanup = (): void => {};
    const finish = (v: T) => {
      if (settled) return;
      settled = true;
      timer.cancel();
      cleanup();
      resolve(v);
    };
    const timer = clock.setTimeout(() => finish(onTimeout), timeoutMs);
    cleanup = run(finish);
    if (settled) cleanup();
  });
}

/** runHttp does one GET. */
function runHttp(
  get: NonNullable<ProbeHandler['httpGet']>,
  t: HandlerTarget,
  timeoutMs: number,
): Promise<HandlerOutcome> {
  const port = resolvePort(get.port, t.container);
  const scheme = (get.scheme ?? 'HTTP').toLowerCase();
  const host = get.host || t.podIp;
  const path = get.path === undefined || get.path === '' ? '/' : get.path;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const url = `${scheme}://${hostPart}:${port}${path.startsWith('/') ? '' : '/'}${path}`;
  if (port === undefined) return Promise.resolve({ ok: false, output: `unknown port ${get.port}` });
  const headers: Record<string, string> = { 'User-Agent': 'kube-probe/1.31', Accept: '*/*' };
  for (const h of get.httpHeaders ?? []) headers[h.name] = h.value;
  return withTimeout<HandlerOutcome>(t.clock, timeoutMs, (done) => {
    const lib = scheme === 'https' ? https : http;
    const req = lib.get(url, { headers, rejectUnauthorized: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        if (body.length < HTTP_BODY_MAX_BYTES) body += chunk.toString('utf8');
      });
      res.on('error', () => {});
      res.on('end', () => {
        const code = res.statusCode ?? 0;
        const ok = code >= 200 && code < 400;
        done({ ok, output: ok ? body.slice(0, HTTP_BODY_MAX_BYTES)
          : `HTTP probe failed with statuscode: ${code}` });
      });
    });
    req.on('error', (err) => done({ ok: false, output: `Get "${url}": ${err.message}` }));
    return () => req.destroy();
  }, {
    ok: false,
    output: `Get "${url}": context deadline exceeded ` +
      '(Client.Timeout exceeded while awaiting headers)',
  });
}

/** runTcp opens and closes one connection. */
function runTcp(
  tcp: NonNullable<ProbeHandler['tcpSocket']>,
  t: HandlerTarget,
  timeoutMs: number,
): Promise<HandlerOutcome> {
  const port = resolvePort(tcp.port, t.container);
  const host = tcp.host || t.podIp;
  if (port === undefined) return Promise.resolve({ ok: false, output: `unknown port ${tcp.port}` });
  const addr = `${host}:${port}`;
  return withTimeout<HandlerOutcome>(t.clock, timeoutMs, (done) => {
    const sock = net.connect({ host, port });
    sock.on('connect', () => done({ ok: true, output: '' }));
    sock.on('error', (err) => done({ ok: false, output: `dial tcp ${addr}: ${err.message}` }));
    return () => sock.destroy();
  }, { ok: false, output: `dial tcp ${addr}: i/o timeout` });
}

/**
 * connectCri: the kubelet's CRI client. One CriRuntime over a runtime's unix socket (containerd's
 * or an in-house runtime's served by src/runtime/cri-server.ts), so the kubelet and the CRI
 * conformance suite use any runtime through the same interface. Calls go over the lean HTTP/2
 * path (h2Unary on an H2Channel dialling the unix socket), not grpc-js: about half the client CPU
 * per call. Every call has a deadline; a failure is a CriError carrying the gRPC status code
 * the runtime answered with (UNAVAILABLE when the socket cannot be reached).
 */
import { status, type ServiceError } from '@grpc/grpc-js';
import { assert } from '../../base/assert.js';
import { ImageServiceService, RuntimeServiceService } from '../../gen/cri/runtime/v1/api.js';
import { h2Unary, type H2Method } from '../../rpc/h2-client-call.js';
import { H2Channel } from '../../rpc/h2-client.js';
import { CriError } from './errors.js';
import { CRI_IMAGE_METHODS, CRI_RUNTIME_METHODS, type CriRuntime } from './types.js';

/** Default deadline of one CRI call: the kubelet's --runtime-request-timeout default (2 min).
 *  Sandbox creation (network setup) and container start can legitimately take seconds. */
export const CRI_DEFAULT_DEADLINE_MS = 120_000;

/** PullImage gets at least this long: a pull is bounded by image size, not by the runtime. */
export const CRI_PULL_DEADLINE_MS = 600_000;

/** Options of connectCri. */
export interface ConnectCriOptions {
  /** Deadline of each call; StopContainer and ExecSync get their own timeout on top. */
  deadlineMs?: number;
}

/** A connected CRI endpoint: the runtime's methods plus close(). */
export type CriClient = CriRuntime & { close(): void };

/** connectCri returns a client for the CRI endpoint at socketPath (absolute path, or an
 *  endpoint already written as unix://path). It connects lazily: the first call connects, and a
 *  runtime that is not (yet) listening fails that call with UNAVAILABLE. */
export function connectCri(socketPath: string, o: ConnectCriOptions = {}): CriClient {
  const deadlineMs = o.deadlineMs ?? CRI_DEFAULT_DEADLINE_MS;
  assert(deadlineMs > 0, `connectCri: deadlineMs must be > 0, got ${deadlineMs}`);
  // No keepalive pings on the local socket (a dead peer closes it), as before under grpc-js.
  const path = socketPath.replace(/^unix:(\/\/)?/, '');
  const ch = new H2Channel({ target: `unix:${path}`, transport: 'local-socket' });
  const out: Record<string, unknown> = {};
  const services = RuntimeServiceService as unknown as Record<string, H2Method<unknown, unknown>>;
  const images = ImageServiceService as unknown as Record<string, H2Method<unknown, unknown>>;
  for (const name of CRI_RUNTIME_METHODS) out[name] = caller(ch, services, name, deadlineMs);
  for (const name of CRI_IMAGE_METHODS) out[name] = caller(ch, images, name, deadlineMs);
  out.close = () => ch.close();
  return out as unknown as CriClient;
}

/** callDeadlineMs adds the runtime-side wait a request asks for (StopContainer's grace period,
 *  ExecSync's timeout, a pull's transfer) to the base deadline, as the kubelet does. */
export function callDeadlineMs(name: string, req: unknown, baseMs: number): number {
  if (name === 'pullImage') return Math.max(baseMs, CRI_PULL_DEADLINE_MS);
  if (name === 'stopContainer' || name === 'execSync') {
    const timeout = (req as { timeout?: bigint | number }).timeout ?? 0;
    return baseMs + Number(timeout) * 1_000;
  }
  return baseMs;
}

/** caller makes one method of a service a (req) => Promise<res> with a deadline. */
function caller(ch: H2Channel, service: Record<string, H2Method<unknown, unknown>>,
  name: string, baseMs: number) {
  const method = service[name];
  assert(method !== undefined, `connectCri: generated service lacks ${name}`);
  return async (req: unknown): Promise<unknown> => {
    const timeoutMs = callDeadlineMs(name, req, baseMs);
    try {
      await ch.ready(timeoutMs);
    } catch (e) {
      throw new CriError(status.UNAVAILABLE, (e as Error).message, { cause: e });
    }
    return new Promise((resolve, reject) => {
      h2Unary(ch, method, req, undefined, timeoutMs, (err, res) => {
        if (err) reject(fromCriStatus(err));
        else resolve(res);
      });
    });
  };
}

/** fromCriStatus turns a gRPC failure into a CriError with the same code and the runtime's
 *  message (the original error is the cause). */
export function fromCriStatus(err: ServiceError): CriError {
  const code = typeof err.code === 'number' ? err.code : status.UNKNOWN;
  return new CriError(code, err.details || err.message, { cause: err });
}

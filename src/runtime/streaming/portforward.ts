/**
 * Port-forward over SPDY (plain or tunnelled in a WebSocket): each local connection of kubectl
 * opens an `error` and a `data` stream with the same `requestid` and a `port`; once both exist
 * the data stream is handed to the runtime, and a failure is written as text on the error stream
 * (kubectl prints it). Facts: reference/kubectl-wire.md §8.5.
 */
import { firstHeader } from './spdy-headers.js';
import type { SpdySession, SpdyStream } from './spdy-session.js';
import type { StreamingRuntime } from './types.js';

/** Unpaired requests kept at most; beyond, new streams are reset. */
const MAX_PENDING_PAIRS = 512;

interface Pair {
  error?: SpdyStream;
  data?: SpdyStream;
}

/** pairKey is the request a stream belongs to; old clients without requestid pair by stream id. */
function pairKey(s: SpdyStream, type: string): string {
  const id = firstHeader(s.headers, 'requestid');
  if (id !== undefined) return id;
  return String(type === 'data' ? s.id - 2 : s.id);
}

/** parsePort validates the port header: an integer in 1..65535. */
export function parsePort(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : undefined;
}

/** servePortForward handles every stream of session until it closes. */
export function servePortForward(
  session: SpdySession,
  onStream: (handler: (s: SpdyStream) => void) => void,
  podSandboxId: string,
  runtime: StreamingRuntime,
): void {
  const pending = new Map<string, Pair>();
  onStream((s) => {
    const type = firstHeader(s.headers, 'streamtype');
    if (type !== 'error' && type !== 'data') {
      s.reset();
      return;
    }
    const key = pairKey(s, type);
    const pair = pending.get(key) ?? {};
    if (pair[type] || (!pending.has(key) && pending.size >= MAX_PENDING_PAIRS)) {
      s.reset();
      return;
    }
    pair[type] = s;
    pending.set(key, pair);
    if (pair.error && pair.data) {
      pending.delete(key);
      void forward(pair.error, pair.data, podSandboxId, runtime);
    }
  });
  session.on('close', () => pending.clear());
}

async function forward(
  error: SpdyStream, data: SpdyStream, sandbox: string, runtime: StreamingRuntime,
): Promise<void> {
  const portText = firstHeader(data.headers, 'port');
  const port = parsePort(portText);
  try {
    if (port === undefined) throw new Error(`invalid port ${JSON.stringify(portText ?? '')}`);
    await runtime.portForward(sandbox, port, data);
    if (!data.writableEnded) data.end();
    error.end();
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    error.end(`error forwarding port ${portText ?? ''} to pod ${sandbox}: ${why}`);
    if (!data.writableEnded) data.end();
  }
}

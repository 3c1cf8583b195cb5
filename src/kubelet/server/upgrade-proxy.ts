/**
 * An HTTP upgrade reverse proxy: kubectl's upgrade request (WebSocket or SPDY) goes to the
 * runtime's streaming URL with its headers; a 101 is relayed and then both directions byte for
 * byte; any other answer is relayed too, so kubectl can read it and fall back (WebSocket → SPDY).
 */
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { refuseUpgrade } from '../../runtime/streaming/http-reply.js';
import { splice } from '../../base/splice.js';

/** Hop-by-hop headers the proxy must not forward (except the upgrade pair, which it needs). */
const DROPPED = new Set([
  'host', 'content-length', 'transfer-encoding', 'keep-alive', 'proxy-connection',
]);

/** forwardHeaders copies a client's headers for the next hop. */
export function forwardHeaders(
  headers: IncomingHttpHeaders, host: string,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = { host };
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !DROPPED.has(k)) out[k] = v;
  return out;
}

/** responseHead rebuilds a response's status line and headers exactly as received. */
export function responseHead(res: IncomingMessage): Buffer {
  const lines = [`HTTP/1.1 ${res.statusCode ?? 502} ${res.statusMessage ?? ''}`];
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
    lines.push(`${res.rawHeaders[i] ?? ''}: ${res.rawHeaders[i + 1] ?? ''}`);
  }
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
}

/** Bytes of a refusal's body relayed at most (a Status or a line of text). */
const MAX_REFUSAL_BYTES = 64 * 1024;

/**
 * relayRefusal answers the client with a non-101 response: same status and content type, the
 * body re-framed with a Content-Length (the upstream's chunking is not ours to copy).
 */
export function relayRefusal(res: IncomingMessage, socket: Duplex): void {
  const chunks: Buffer[] = [];
  let size = 0;
  res.on('data', (c: Buffer) => {
    if (size < MAX_REFUSAL_BYTES) chunks.push(c.subarray(0, MAX_REFUSAL_BYTES - size));
    size += c.length;
  });
  res.on('end', () => {
    const body = Buffer.concat(chunks);
    const head = [
      `HTTP/1.1 ${res.statusCode ?? 502} ${res.statusMessage ?? ''}`,
      `Content-Type: ${res.headers['content-type'] ?? 'text/plain'}`,
      `Content-Length: ${body.length}`,
      'Connection: close',
    ].join('\r\n');
    socket.end(Buffer.concat([Buffer.from(head + '\r\n\r\n', 'latin1'), body]));
  });
  res.on('error', () => socket.destroy());
}


/**
 * proxyUpgrade sends req (whose socket and read-ahead bytes the 'upgrade' event gave) to target
 * and relays the outcome. unreachable names the target in the 502 kubectl sees if it is down.
 */
export function proxyUpgrade(
  req: IncomingMessage, socket: Duplex, head: Buffer, target: URL,
): void {
  const out = httpRequest({
    host: target.hostname.replace(/^\[|\]$/g, ''),
    port: target.port,
    method: req.method ?? 'GET',
    path: target.pathname + target.search,
    headers: forwardHeaders(req.headers, target.host),
    agent: false,
  });
  out.on('upgrade', (res, upstream, upstreamHead) => {
    socket.write(responseHead(res));
    if (upstreamHead.length > 0) socket.write(upstreamHead);
    if (head.length > 0) upstream.write(head);
    splice(socket, upstream);
  });
  out.on('response', (res) => relayRefusal(res, socket));
  out.on('error', (err) => {
    const why = `error dialing the runtime's streaming server: ${err.message}`;
    if (!socket.destroyed) refuseUpgrade(socket, 502, why);
  });
  socket.on('error', () => out.destroy());
  out.end();
}

/**
 * The server side of the WebSocket opening handshake (RFC 6455 §4.2), by hand: libraries refuse
 * kubectl's port-forward subprotocol `SPDY/3.1+portforward.k8s.io` because '/' is not a token
 * character (reference/kubectl-wire.md §8.5, §9 item 9), so we validate only what matters.
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** acceptKey is Sec-WebSocket-Accept for a client's Sec-WebSocket-Key. */
export function acceptKey(key: string): string {
  return createHash('sha1').update(key + WS_GUID).digest('base64');
}

/** offeredProtocols lists Sec-WebSocket-Protocol values in the client's order. */
export function offeredProtocols(headers: IncomingHttpHeaders): string[] {
  const raw = headers['sec-websocket-protocol'];
  const joined = Array.isArray(raw) ? raw.join(',') : (raw ?? '');
  return joined.split(',').map((p) => p.trim()).filter((p) => p !== '');
}

/** isWebSocketUpgrade tells a WebSocket handshake from SPDY and plain requests. */
export function isWebSocketUpgrade(headers: IncomingHttpHeaders): boolean {
  return (headers.upgrade ?? '').toLowerCase() === 'websocket';
}

/** WsHandshake is the outcome: a 101 to write, or a refusal with its HTTP status. */
export type WsHandshake =
  | { ok: true; protocol: string | undefined; response: string }
  | { ok: false; code: number; message: string };

/**
 * wsHandshake checks a client's handshake and picks the first offered subprotocol we support
 * (the client's preference wins, as upstream's negotiation does). No offer at all = no protocol.
 */
export function wsHandshake(
  headers: IncomingHttpHeaders, supported: readonly string[],
): WsHandshake {
  const key = headers['sec-websocket-key'];
  if (typeof key !== 'string' || Buffer.from(key, 'base64').length !== 16) {
    return { ok: false, code: 400, message: 'missing or invalid Sec-WebSocket-Key' };
  }
  if (headers['sec-websocket-version'] !== '13') {
    return { ok: false, code: 400, message: 'unsupported Sec-WebSocket-Version (want 13)' };
  }
  const offered = offeredProtocols(headers);
  const protocol = offered.find((p) => supported.includes(p));
  if (offered.length > 0 && protocol === undefined) {
    return {
      ok: false, code: 400,
      message: `none of the subprotocols ${JSON.stringify(offered)} is supported; supported: ` +
        JSON.stringify(supported),
    };
  }
  const lines = [
    'HTTP/1.1 101 Switching Protocols',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Accept: ${acceptKey(key)}`,
    ...(protocol !== undefined ? [`Sec-WebSocket-Protocol: ${protocol}`] : []),
  ];
  return { ok: true, protocol, response: lines.join('\r\n') + '\r\n\r\n' };
}

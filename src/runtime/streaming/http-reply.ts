/**
 * Answers on a raw upgraded socket, where node:http's ServerResponse no longer exists: refusals
 * are ordinary HTTP responses, so a client (kubectl) reads the status and can fall back.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/** refuseUpgrade writes a plain-text HTTP response and closes the socket. */
export function refuseUpgrade(socket: Duplex, code: number, message: string): void {
  const body = Buffer.from(message + '\n', 'utf8');
  const head = [
    `HTTP/1.1 ${code} ${STATUS_CODES[code] ?? 'Error'}`,
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${body.length}`,
    'Connection: close',
  ].join('\r\n');
  socket.end(Buffer.concat([Buffer.from(head + '\r\n\r\n', 'latin1'), body]));
}

/** switchingProtocols is the 101 head for a non-WebSocket upgrade (SPDY). */
export function switchingProtocols(upgrade: string, headers: Record<string, string>): string {
  const lines = ['HTTP/1.1 101 Switching Protocols', 'Connection: Upgrade', `Upgrade: ${upgrade}`];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  return lines.join('\r\n') + '\r\n\r\n';
}

/** headerValues flattens a repeated or comma-joined request header into its values. */
export function headerValues(raw: string | string[] | undefined): string[] {
  const all = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return all.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}

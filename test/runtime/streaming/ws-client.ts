/**
 * A minimal WebSocket client for tests, built on our own codec (clients mask, servers do not):
 * enough to speak the channel protocols kubectl does not use (v4, base64) and to send pings.
 */
import { request } from 'node:http';
import type { Socket } from 'node:net';
import {
  encodeWsFrame,
  WsFrameParser,
  WsOpcode,
  type WsFrame,
} from '../../../src/runtime/streaming/ws-frame.js';

const MASK = Buffer.from([9, 8, 7, 6]);

export interface WsTestClient {
  protocol: string | undefined;
  send(opcode: number, payload: Buffer): void;
  /** Every frame until the server closed the TCP connection. */
  frames(): Promise<WsFrame[]>;
  /** Resolves with the next frame of opcode. */
  next(opcode: number): Promise<WsFrame>;
  socket: Socket;
}

/** wsConnect performs the handshake; rejects with the HTTP status on a refusal. */
export function wsConnect(url: string, protocols: string[]): Promise<WsTestClient> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      headers: {
        Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': Buffer.alloc(16, 1).toString('base64'),
        ...(protocols.length > 0 ? { 'Sec-WebSocket-Protocol': protocols.join(', ') } : {}),
      },
    });
    req.on('response', (res) => reject(new Error(`HTTP ${res.statusCode ?? 0}`)));
    req.on('error', reject);
    req.on('upgrade', (res, socket: Socket, head: Buffer) => {
      const parser = new WsFrameParser({ maxFrameBytes: 1 << 24, requireMask: false });
      const got: WsFrame[] = [];
      const waiters: (() => void)[] = [];
      const onBytes = (b: Buffer): void => {
        got.push(...parser.push(b));
        for (const w of waiters.splice(0)) w();
      };
      onBytes(head);
      socket.on('data', onBytes);
      const ended = new Promise<void>((r) => socket.on('close', () => {
        r();
        for (const w of waiters.splice(0)) w();
      }));
      const raw = res.headers['sec-websocket-protocol'];
      resolve({
        protocol: typeof raw === 'string' ? raw : undefined,
        socket,
        send: (opcode, payload) => socket.write(encodeWsFrame(opcode, payload, { mask: MASK })),
        frames: async () => {
          await ended;
          return got;
        },
        next: async (opcode) => {
          for (;;) {
            const i = got.findIndex((f) => f.opcode === opcode);
            if (i >= 0) return got.splice(i, 1)[0] as WsFrame;
            if (socket.destroyed) throw new Error('connection closed');
            await new Promise<void>((r) => waiters.push(r));
          }
        },
      });
    });
    req.end();
  });
}

export { WsOpcode };

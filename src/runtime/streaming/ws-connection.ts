/**
 * WsConnection: the server end of one WebSocket over an upgraded socket — message reassembly
 * (fragmentation), automatic pong, the close handshake, bounded messages. Framing is ws-frame.ts.
 * wsByteStream views a connection as a byte stream, which is how kubectl tunnels SPDY in it.
 */
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import {
  closePayload, encodeWsFrame, parseClosePayload, WsClose, WsFrameParser, WsOpcode,
  WsProtocolError, type WsFrame,
} from './ws-frame.js';

/** WsMessage is one complete data message. */
export interface WsMessage {
  binary: boolean;
  data: Buffer;
}

/** Events of a WsConnection. */
export interface WsConnectionEvents {
  message: [WsMessage];
  close: [code: number, reason: string];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * WsConnection speaks RFC 6455 over socket, already past the 101 (bytes the HTTP parser read
 * ahead must be unshift()ed back into the socket first).
 */
export class WsConnection extends EventEmitter<WsConnectionEvents> {
  private readonly parser: WsFrameParser;
  private fragments: Buffer[] = [];
  private fragmentBytes = 0;
  private fragmentOpcode = 0;
  private closeSent = false;
  private closed = false;

  constructor(
    private readonly socket: Duplex,
    private readonly maxMessageBytes = 16 * 1024 * 1024,
  ) {
    super();
    this.parser = new WsFrameParser({ maxFrameBytes: maxMessageBytes, requireMask: true });
    socket.on('data', (chunk: Buffer) => this.onBytes(chunk));
    socket.on('end', () => this.finish(1006, 'connection ended without a close frame'));
    socket.on('close', () => this.finish(1006, 'connection closed'));
    socket.on('error', () => this.finish(1006, 'connection error'));
  }

  /** send writes one unfragmented message; false = the socket wants a 'drain' first. */
  send(data: Buffer, binary = true): boolean {
    if (this.closeSent || this.closed) return true;
    return this.socket.write(encodeWsFrame(binary ? WsOpcode.binary : WsOpcode.text, data));
  }

  /** whenDrained resolves once the socket accepts writes again (or is gone). */
  whenDrained(): Promise<void> {
    if (!this.socket.writableNeedDrain || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  /** close starts the close handshake; the socket ends after our close frame. */
  close(code: number = WsClose.normal, reason = ''): void {
    if (this.closeSent || this.closed) return;
    this.closeSent = true;
    this.socket.end(encodeWsFrame(WsOpcode.close, closePayload(code, reason)));
  }

  /** pause stops reading from the socket (the consumer is full). */
  pause(): void {
    this.socket.pause();
  }

  /** resume reads again. */
  resume(): void {
    this.socket.resume();
  }

  /** destroy drops the connection without a handshake. */
  destroy(): void {
    this.socket.destroy();
    this.finish(1006, 'destroyed');
  }

  private onBytes(chunk: Buffer): void {
    if (this.closed) return;
    try {
      for (const f of this.parser.push(chunk)) this.onFrame(f);
    } catch (err) {
      const e = err instanceof WsProtocolError
        ? err
        : new WsProtocolError(WsClose.internalError, String(err));
      this.close(e.closeCode, e.message);
      this.finish(e.closeCode, e.message);
    }
  }

  private onFrame(f: WsFrame): void {
    switch (f.opcode) {
      case WsOpcode.ping:
        if (!this.closeSent) this.socket.write(encodeWsFrame(WsOpcode.pong, f.payload));
        return;
      case WsOpcode.pong:
        return;
      case WsOpcode.close: {
        const { code, reason } = parseClosePayload(f.payload);
        this.close(code === 1005 ? WsClose.normal : code);
        this.finish(code, reason);
        return;
      }
      default:
        this.onDataFrame(f);
    }
  }

  private onDataFrame(f: WsFrame): void {
    const starts = f.opcode !== WsOpcode.continuation;
    const inMessage = this.fragments.length > 0;
    if (starts === inMessage) {
      throw new WsProtocolError(WsClose.protocolError, 'unexpected continuation state');
    }
    if (starts) this.fragmentOpcode = f.opcode;
    this.fragmentBytes += f.payload.length;
    if (this.fragmentBytes > this.maxMessageBytes) {
      throw new WsProtocolError(WsClose.tooBig, `message over ${this.maxMessageBytes} bytes`);
    }
    this.fragments.push(f.payload);
    if (!f.fin) return;
    const data = Buffer.concat(this.fragments);
    const binary = this.fragmentOpcode === WsOpcode.binary;
    this.fragments = [];
    this.fragmentBytes = 0;
    this.fragmentOpcode = 0;
    if (!binary) {
      try {
        utf8.decode(data);
      } catch {
        throw new WsProtocolError(WsClose.invalidData, 'text message is not UTF-8');
      }
    }
    this.emit('message', { binary, data });
  }

  private finish(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.socket.destroyed && this.closeSent) this.socket.end();
    else if (!this.socket.destroyed) this.socket.destroy();
    this.emit('close', code, reason);
  }
}

/**
 * wsByteStream presents conn as a Duplex of bytes: message boundaries carry no meaning (kubectl
 * tunnels a SPDY session in binary messages, reference/kubectl-wire.md §8.5). Ending the writable
 * side closes the WebSocket normally.
 */
export function wsByteStream(conn: WsConnection): Duplex {
  let paused = false;
  const stream = new Duplex({
    read() {
      if (paused) {
        paused = false;
        conn.resume();
      }
    },
    write(chunk: Buffer, _enc, cb) {
      if (conn.send(chunk, true)) cb();
      else void conn.whenDrained().then(() => cb());
    },
    final(cb) {
      conn.close(WsClose.normal);
      cb();
    },
    destroy(err, cb) {
      conn.destroy();
      cb(err);
    },
  });
  conn.on('message', (m) => {
    if (!stream.push(m.data) && !paused) {
      paused = true;
      conn.pause();
    }
  });
  conn.on('close', () => stream.push(null));
  return stream;
}

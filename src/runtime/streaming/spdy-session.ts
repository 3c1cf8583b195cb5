/**
 * SpdySession: the server end of a SPDY/3.1 connection over any byte stream (an upgraded socket,
 * or a WebSocket tunnel). The peer opens streams (kubectl only ever does); each becomes a
 * SpdyStream, a Duplex of its DATA. Flow control is not enforced: Go's spdystream never sends
 * WINDOW_UPDATE, so a server honouring the 64 KiB window stalls (reference/kubectl-wire.md §8.4).
 * Backpressure instead pauses the whole transport while any stream's reader is full.
 */
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import {
  encodeData, encodeGoAway, encodePing, encodeRstStream, encodeSynReply, RstStatus,
  SpdyFrameParser, type SpdyFrame,
} from './spdy-frame.js';
import {
  encodeHeaderBlock, HeaderDeflater, HeaderInflater, type SpdyHeaders,
} from './spdy-headers.js';

/** DATA frames we send carry at most this much (Go reads frames whole into memory). */
const MAX_DATA_FRAME_BYTES = 32 * 1024;
/** Frames queued behind a header block being inflated before the transport pauses. */
const MAX_BACKLOG_FRAMES = 256;

/** SpdySessionOptions: what to do with a new stream, and the concurrent-stream bound. */
export interface SpdySessionOptions {
  /** Called once per stream the peer opens, after its SYN_REPLY is sent. */
  onStream(stream: SpdyStream): void;
  maxStreams?: number;
}

/** Events of a SpdySession. */
export interface SpdySessionEvents {
  close: [];
}

/** SpdySession runs until the transport ends or close() is called. */
export class SpdySession extends EventEmitter<SpdySessionEvents> {
  private readonly parser = new SpdyFrameParser();
  private readonly inflater = new HeaderInflater();
  private readonly deflater = new HeaderDeflater();
  private readonly streams = new Map<number, SpdyStream>();
  private readonly backlog: SpdyFrame[] = [];
  private readonly fullReaders = new Set<number>();
  private inflating = false;
  private lastStreamId = 0;
  private ended = false;

  constructor(
    private readonly transport: Duplex,
    private readonly o: SpdySessionOptions,
  ) {
    super();
    transport.on('data', (chunk: Buffer) => this.onBytes(chunk));
    transport.on('end', () => this.shutdown());
    transport.on('close', () => this.shutdown());
    transport.on('error', () => this.shutdown());
  }

  /** close says GOAWAY, ends the transport once queued bytes are out, and resets streams. */
  close(): void {
    if (this.ended) return;
    this.transport.end(encodeGoAway(this.lastStreamId, 0));
    this.shutdown();
  }

  /** write queues raw frame bytes; false = the transport wants a 'drain'. */
  write(bytes: Buffer): boolean {
    if (this.ended || this.transport.writableEnded) return true;
    return this.transport.write(bytes);
  }

  /** whenDrained resolves once the transport takes writes again. */
  whenDrained(): Promise<void> {
    if (!this.transport.writableNeedDrain || this.ended) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.transport.off('drain', done);
        this.off('close', done);
        resolve();
      };
      this.transport.on('drain', done);
      this.on('close', done);
    });
  }

  /** readerFull/readerReady pause and resume the transport for one stream's reader. */
  readerFull(id: number): void {
    this.fullReaders.add(id);
    this.transport.pause();
  }

  readerReady(id: number): void {
    this.fullReaders.delete(id);
    const idle = this.fullReaders.size === 0 && this.backlog.length < MAX_BACKLOG_FRAMES;
    if (idle && !this.ended) this.transport.resume();
  }

  /** forget drops a stream that both sides finished. */
  forget(id: number): void {
    this.streams.delete(id);
    this.readerReady(id);
  }

  private onBytes(chunk: Buffer): void {
    let frames: SpdyFrame[];
    try {
      frames = this.parser.push(chunk);
    } catch {
      this.write(encodeGoAway(this.lastStreamId, 1));
      this.close();
      return;
    }
    for (const f of frames) {
      if (this.inflating) this.backlog.push(f);
      else this.dispatch(f);
    }
    if (this.backlog.length >= MAX_BACKLOG_FRAMES) this.transport.pause();
  }

  private dispatch(f: SpdyFrame): void {
    if (f.kind === 'synStream' || f.kind === 'synReply' || f.kind === 'headers') {
      this.inflating = true;
      this.inflater.inflate(f.headerBlock).then(
        (headers) => {
          this.inflating = false;
          if (f.kind === 'synStream') this.openStream(f.streamId, headers, f.fin);
          else if (f.fin) this.streams.get(f.streamId)?.remoteFinished();
          this.drainBacklog();
        },
        () => this.close(),
      );
      return;
    }
    this.onFrame(f);
  }

  private drainBacklog(): void {
    while (!this.inflating && this.backlog.length > 0) {
      const f = this.backlog.shift();
      if (f) this.dispatch(f);
    }
    if (!this.ended && this.fullReaders.size === 0 && this.backlog.length < MAX_BACKLOG_FRAMES) {
      this.transport.resume();
    }
  }

  private onFrame(f: SpdyFrame): void {
    switch (f.kind) {
      case 'data': {
        const s = this.streams.get(f.streamId);
        if (!s) {
          this.write(encodeRstStream(f.streamId, RstStatus.invalidStream));
          return;
        }
        if (f.data.length > 0) s.remoteData(f.data);
        if (f.fin) s.remoteFinished();
        return;
      }
      case 'rstStream':
        this.streams.get(f.streamId)?.destroy();
        this.forget(f.streamId);
        return;
      case 'ping':
        this.write(encodePing(f.id));
        return;
      case 'goAway':
        this.close();
        return;
      default:
        return;
    }
  }

  private openStream(id: number, headers: SpdyHeaders, fin: boolean): void {
    if (this.ended) return;
    if (this.streams.has(id) || id <= this.lastStreamId || id % 2 === 0) {
      this.write(encodeRstStream(id, RstStatus.protocolError));
      return;
    }
    this.lastStreamId = id;
    if (this.streams.size >= (this.o.maxStreams ?? 1000)) {
      this.write(encodeRstStream(id, RstStatus.refusedStream));
      return;
    }
    const stream = new SpdyStream(this, id, headers);
    this.streams.set(id, stream);
    this.write(encodeSynReply(id, this.deflater.compress(encodeHeaderBlock({}))));
    if (fin) stream.remoteFinished();
    this.o.onStream(stream);
  }

  private shutdown(): void {
    if (this.ended) return;
    this.ended = true;
    this.inflater.close();
    for (const s of this.streams.values()) s.destroy();
    this.streams.clear();
    this.backlog.length = 0;
    if (!this.transport.writableEnded) this.transport.end();
    this.emit('close');
  }
}

/**
 * SpdyStream is one stream: readable = the peer's DATA (ends at the peer's FIN), writable = our
 * DATA (end() sends FIN). headers are the SYN_STREAM's (streamtype, port, requestid...).
 */
export class SpdyStream extends Duplex {
  private localDone = false;
  private remoteDone = false;

  constructor(
    private readonly session: SpdySession,
    readonly id: number,
    readonly headers: SpdyHeaders,
  ) {
    super({ allowHalfOpen: true });
    this.on('finish', () => this.settle('local'));
  }

  /** remoteData delivers the peer's bytes. */
  remoteData(data: Buffer): void {
    if (this.remoteDone || this.destroyed) return;
    if (!this.push(data)) this.session.readerFull(this.id);
  }

  /** remoteFinished is the peer's FIN. */
  remoteFinished(): void {
    if (this.remoteDone) return;
    this.push(null);
    this.settle('remote');
  }

  /** reset aborts the stream with RST_STREAM (CANCEL). */
  reset(): void {
    this.session.write(encodeRstStream(this.id, RstStatus.cancel));
    this.destroy();
    this.session.forget(this.id);
  }

  override _read(): void {
    this.session.readerReady(this.id);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    let ok = true;
    for (let off = 0; off < chunk.length; off += MAX_DATA_FRAME_BYTES) {
      const piece = chunk.subarray(off, off + MAX_DATA_FRAME_BYTES);
      ok = this.session.write(encodeData(this.id, piece, false));
    }
    if (ok) cb();
    else void this.session.whenDrained().then(() => cb());
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.session.write(encodeData(this.id, Buffer.alloc(0), true));
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.session.forget(this.id);
    cb(err);
  }

  private settle(side: 'local' | 'remote'): void {
    if (side === 'local') this.localDone = true;
    else this.remoteDone = true;
    if (this.localDone && this.remoteDone) this.session.forget(this.id);
  }
}

/**
 * gRPC length-prefixed messages (PROTOCOL-HTTP2.md "Length-Prefixed-Message": 1 byte compressed
 * flag, 4 bytes big-endian length, the message) for the lean client calls (h2-call.ts). Pure:
 * no sockets. The reader takes DATA chunks as they arrive, whatever their split, and checks the
 * size limit from the 5-byte prefix, before the message's bytes are buffered. Framing the
 * request is the server side's frameMessage (fast-unary-frame.ts): one prefix format, one place.
 */
import { PREFIX_BYTES } from './fast-unary-frame.js';

/** MAX_UNARY_MESSAGES bounds what a reader keeps: a unary answer is exactly one message; a
 *  second one is already a protocol error, more are not buffered. */
const MAX_UNARY_MESSAGES = 2;

/**
 * MessageReader reassembles messages from DATA chunks. push returns an error text when the
 * stream must be abandoned (a message over the limit, or compressed although this client never
 * offers an encoding). With deliver, each message goes to it as it completes (a server stream:
 * any number of messages); without, they are kept in messages (a unary answer).
 */
export class MessageReader {
  readonly messages: Buffer[] = [];
  private readonly prefix = Buffer.alloc(PREFIX_BYTES);
  private prefixHave = 0;
  private body: Buffer | undefined;
  private bodyHave = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly deliver?: (message: Buffer) => void,
  ) {}

  /** partial is true when a message was begun but not finished (a truncated answer). */
  get partial(): boolean {
    return this.prefixHave > 0 || this.body !== undefined;
  }

  push(chunk: Buffer): string | undefined {
    let at = 0;
    while (at < chunk.length) {
      if (this.body === undefined) {
        // Fast path: a whole message in the rest of this chunk, no copy.
        if (this.prefixHave === 0 && chunk.length - at >= PREFIX_BYTES) {
          const err = this.check(chunk[at]!, chunk.readUInt32BE(at + 1));
          if (err) return err;
          const len = chunk.readUInt32BE(at + 1);
          if (chunk.length - at - PREFIX_BYTES >= len) {
            this.add(chunk.subarray(at + PREFIX_BYTES, at + PREFIX_BYTES + len));
            at += PREFIX_BYTES + len;
            continue;
          }
        }
        const n = Math.min(PREFIX_BYTES - this.prefixHave, chunk.length - at);
        chunk.copy(this.prefix, this.prefixHave, at, at + n);
        this.prefixHave += n;
        at += n;
        if (this.prefixHave < PREFIX_BYTES) return undefined;
        const err = this.check(this.prefix[0]!, this.prefix.readUInt32BE(1));
        if (err) return err;
        this.body = Buffer.allocUnsafe(this.prefix.readUInt32BE(1));
        this.prefixHave = 0;
        this.bodyHave = 0;
        if (this.body.length === 0) {
          this.add(this.body);
          this.body = undefined;
          continue;
        }
      }
      const n = Math.min(this.body.length - this.bodyHave, chunk.length - at);
      chunk.copy(this.body, this.bodyHave, at, at + n);
      this.bodyHave += n;
      at += n;
      if (this.bodyHave === this.body.length) {
        this.add(this.body);
        this.body = undefined;
      }
    }
    return undefined;
  }

  private check(flag: number, len: number): string | undefined {
    if (flag !== 0) return 'Received a compressed message, but no encoding was offered';
    if (len > this.maxBytes) {
      return `Received message larger than max (${len} vs. ${this.maxBytes})`;
    }
    if (this.deliver === undefined && this.messages.length >= MAX_UNARY_MESSAGES) {
      return 'Too many response messages';
    }
    return undefined;
  }

  private add(message: Buffer): void {
    if (this.deliver !== undefined) this.deliver(message);
    else this.messages.push(message);
  }
}

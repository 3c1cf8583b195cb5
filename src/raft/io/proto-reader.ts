/**
 * ProtoReader walks protobuf bytes with numbers read as JavaScript numbers (the Raft messages'
 * uint64 fields are indexes, terms and ids, always safe integers), for the hand-written decoders
 * on the hot path (replicate-codec.ts). A value beyond 2^53 or a truncated field throws, as the
 * generated decoders do; the caller (gRPC's deserializer) then fails the frame.
 */
const TWO_32 = 2 ** 32;

export class ProtoReader {
  private pos: number;

  constructor(
    private readonly buf: Buffer,
    start = 0,
    private readonly end = buf.length,
  ) {
    this.pos = start;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  /** varint reads an unsigned varint that must be a safe integer. */
  varint(): number {
    let v = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.byte();
      v += (b & 127) * scale;
      if (b < 128) return v;
      scale *= 128;
    }
    throw new Error('protobuf: varint beyond 2^53');
  }

  /** int32 reads an int32 field (a negative one is a 10-byte varint: its low 32 bits count). */
  int32(): number {
    let lo = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      if (scale < TWO_32) lo += (b & 127) * scale;
      if (b < 128) return lo % TWO_32 | 0;
      scale *= 128;
    }
    throw new Error('protobuf: varint too long');
  }

  /** sub returns a reader over the next length-delimited field and skips it here. */
  sub(): ProtoReader {
    const [from, to] = this.span();
    return new ProtoReader(this.buf, from, to);
  }

  /** bytesView is the next length-delimited field as a view into the frame. */
  bytesView(): Buffer {
    const [from, to] = this.span();
    return this.buf.subarray(from, to);
  }

  /** bytesCopy is the next length-delimited field copied out (the frame is not retained),
   *  straight from the frame: no view of it is made first (a follower copies every entry). */
  bytesCopy(): Buffer {
    const [from, to] = this.span();
    const out = Buffer.allocUnsafe(to - from);
    this.buf.copy(out, 0, from, to);
    return out;
  }

  /** skip passes over a field of an unknown number (the tag is read already). */
  skip(tag: number): void {
    const wire = tag % 8;
    if (wire === 0) this.int32();
    else if (wire === 1) this.advance(8);
    else if (wire === 2) this.span();
    else if (wire === 5) this.advance(4);
    else throw new Error(`protobuf: wire type ${wire} not supported`);
  }

  private span(): [number, number] {
    const n = this.varint();
    const from = this.pos;
    this.advance(n);
    return [from, from + n];
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) throw new Error('protobuf: field runs past the end');
    this.pos += n;
  }

  private byte(): number {
    if (this.pos >= this.end) throw new Error('protobuf: varint runs past the end');
    return this.buf[this.pos++]!;
  }
}

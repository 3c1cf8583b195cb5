/**
 * A bounded protobuf wire reader for the Kubernetes body decoder. It splits one message into its
 * fields and never looks at what they mean: the decoder (decode.ts) does that from the schema
 * table. Every length is checked against the bytes that remain, so a truncated or hostile body
 * fails with a clear message instead of reading past its end.
 */
import { badRequest } from '../errors.js';

/** WireType is the low three bits of a protobuf tag (groups, 3 and 4, are not supported). */
export type WireType = 0 | 1 | 2 | 5;

/** WireField is one occurrence of a field: a varint, or the raw bytes of the other types. */
export type WireField =
  | { readonly wireType: 0; readonly varint: bigint }
  | { readonly wireType: 1 | 2 | 5; readonly bytes: Uint8Array };

/** Field numbers are at most 2^29 - 1 in protobuf. */
const FIELD_NUMBER_MAX = 0x1fffffff;
/** A varint is at most ten bytes (64 bits, seven per byte). */
const VARINT_BYTES_MAX = 10;

/** WireReader walks one buffer; `at` names the message for error messages. */
export class WireReader {
  private offset = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly at: string,
  ) {}

  get done(): boolean {
    return this.offset >= this.bytes.length;
  }

  /** varint reads one base-128 varint as an unsigned 64-bit bigint. */
  varint(): bigint {
    let result = 0n;
    for (let i = 0; i < VARINT_BYTES_MAX; i++) {
      const byte = this.bytes[this.offset++];
      if (byte === undefined) throw this.fail('unexpected EOF');
      result |= BigInt(byte & 0x7f) << BigInt(7 * i);
      if (byte < 0x80) {
        if (i === VARINT_BYTES_MAX - 1 && byte > 1) throw this.fail('integer overflow');
        return result;
      }
    }
    throw this.fail('integer overflow');
  }

  /** take returns the next n bytes (a view, not a copy). */
  take(n: number): Uint8Array {
    if (n > this.bytes.length - this.offset) throw this.fail('unexpected EOF');
    const out = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  /** field reads one tag and its value. */
  field(): { number: number; field: WireField } {
    const tag = this.varint();
    const number = Number(tag >> 3n);
    const wireType = Number(tag & 7n);
    if (number < 1 || number > FIELD_NUMBER_MAX) throw this.fail(`illegal tag ${number}`);
    switch (wireType) {
      case 0:
        return { number, field: { wireType, varint: this.varint() } };
      case 1:
        return { number, field: { wireType, bytes: this.take(8) } };
      case 2: {
        const length = this.varint();
        if (length > BigInt(this.bytes.length - this.offset)) throw this.fail('unexpected EOF');
        return { number, field: { wireType, bytes: this.take(Number(length)) } };
      }
      case 5:
        return { number, field: { wireType, bytes: this.take(4) } };
      default:
        throw this.fail(`illegal wireType ${wireType} for field ${number}`);
    }
  }

  fail(what: string): Error {
    return badRequest(`protobuf body: ${what} in ${this.at}`);
  }
}

/**
 * readFields splits a message into its fields by number, in wire order. Repeated occurrences are
 * all kept: the decoder decides (last wins for scalars, concatenation merges messages).
 */
export function readFields(bytes: Uint8Array, at: string): Map<number, WireField[]> {
  const reader = new WireReader(bytes, at);
  const fields = new Map<number, WireField[]>();
  while (!reader.done) {
    const { number, field } = reader.field();
    const list = fields.get(number);
    if (list) list.push(field);
    else fields.set(number, [field]);
  }
  return fields;
}

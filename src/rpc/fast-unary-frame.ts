/**
 * The pure byte-level pieces of gRPC over HTTP/2 that the fast unary path needs
 * (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md): the 5-byte message prefix,
 * the grpc-timeout header, and percent-encoding of grpc-message. No I/O here.
 */
import { status } from '@grpc/grpc-js';

/** A status the fast path answers with when a request cannot reach its handler. */
export interface FrameError {
  code: status;
  details: string;
}

/** PREFIX_BYTES is the length prefix of every gRPC message: 1 flag byte + 4 length bytes. */
export const PREFIX_BYTES = 5;

/**
 * parseUnaryBody reads the one message of a unary request body. Answers as grpc-js does where
 * grpc-js answers (no message or a second one → UNIMPLEMENTED, too large → RESOURCE_EXHAUSTED);
 * a torn prefix, a truncated message or a compressed flag under identity encoding is a protocol
 * error → INTERNAL (grpc-js silently drops the torn tail and reads flag 1 as uncompressed).
 */
export function parseUnaryBody(body: Buffer, maxBytes: number, path: string): Buffer | FrameError {
  if (body.length === 0) {
    return unimplemented(`Received no request message for server streaming method ${path}`);
  }
  if (body.length < PREFIX_BYTES) return internal('Malformed message frame: torn length prefix');
  const declared = body.readUInt32BE(1);
  if (maxBytes !== -1 && declared > maxBytes) return tooLarge(declared, maxBytes);
  if (body[0] !== 0) return internal('Compressed message with grpc-encoding identity');
  const end = PREFIX_BYTES + declared;
  if (body.length < end) return internal('Malformed message frame: truncated message');
  if (body.length > end) return secondMessage(path);
  return body.subarray(PREFIX_BYTES, end);
}

/** declaredTooLarge checks a message prefix as soon as its 5 bytes arrived, so a request that
 *  announces more than maxBytes is refused before it is buffered (grpc-js's decoder does too). */
export function declaredTooLarge(prefix: Buffer, maxBytes: number): FrameError | undefined {
  const declared = prefix.readUInt32BE(1);
  return maxBytes !== -1 && declared > maxBytes ? tooLarge(declared, maxBytes) : undefined;
}

/** frameMessage prefixes one serialized message for the wire (flag 0: never compressed). */
export function frameMessage(message: Buffer): Buffer {
  const out = Buffer.allocUnsafe(PREFIX_BYTES + message.length);
  writePrefix(out, message.length);
  message.copy(out, PREFIX_BYTES);
  return out;
}

/** writePrefix writes the 5-byte prefix of a length-byte message at the start of out (flag 0:
 *  never compressed), for a message written behind it or sent after it. */
export function writePrefix(out: Buffer, length: number): void {
  out[0] = 0;
  out.writeUInt32BE(length, 1);
}

const TIMEOUT = /(\d{1,8})\s*([HMSmun])/;
const UNIT_MS: Record<string, number> = {
  H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 1e-3, n: 1e-6,
};

/** parseTimeoutMs reads a grpc-timeout header value into whole milliseconds, as grpc-js does,
 *  or undefined when it is not one. */
export function parseTimeoutMs(value: string): number | undefined {
  const m = TIMEOUT.exec(value);
  if (m === null) return undefined;
  return (Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? 0)) | 0;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** encodeGrpcMessage percent-encodes a status message for the grpc-message trailer. encodeURI is
 *  what grpc-js sends (a superset of the spec's encoding, so every decoder reads it); a lone
 *  surrogate, which encodeURI refuses, becomes U+FFFD first. */
export function encodeGrpcMessage(details: string): string {
  try {
    return encodeURI(details);
  } catch {
    return encodeURI(details.replace(LONE_SURROGATE, '\uFFFD'));
  }
}

/** secondMessage is grpc-js's answer to a unary request that carries more than one message. */
export function secondMessage(path: string): FrameError {
  return unimplemented(`Received a second request message for server streaming method ${path}`);
}

function unimplemented(details: string): FrameError {
  return { code: status.UNIMPLEMENTED, details };
}

function internal(details: string): FrameError {
  return { code: status.INTERNAL, details };
}

function tooLarge(declared: number, maxBytes: number): FrameError {
  return {
    code: status.RESOURCE_EXHAUSTED,
    details: `Received message larger than max (${declared} vs ${maxBytes})`,
  };
}

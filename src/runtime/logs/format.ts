/**
 * The CRI container log format's vocabulary, shared by the runtime's writer and the kubelet's
 * reader: "<RFC3339Nano> <stream> <tag> <text>\n", one file per container instance. Kept in one
 * place so both sides agree on the stream names, the P/F tags and the default line limit.
 */
import { assert } from '../../base/assert.js';

/** The two container output streams a CRI log line names (cri-api's LogStreamType). */
export type LogStream = 'stdout' | 'stderr';

/** LOG_STREAMS lists the streams in the order the writer's pipe() takes them. */
export const LOG_STREAMS: readonly LogStream[] = ['stdout', 'stderr'];

/**
 * The first tag of a line (cri-api's LogTag): P = a piece of a longer line (split at the line
 * limit, or the stream ended without a newline), F = the piece that completes a line.
 */
export type LogTag = 'P' | 'F';

/**
 * DEFAULT_MAX_LINE_BYTES is containerd's default max_container_log_line_size (16 KiB): text
 * longer than this is split into P pieces so a reader never needs an unbounded line buffer.
 */
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024;

/** isLogStream narrows a string to a LogStream (decoding untrusted file content). */
export function isLogStream(s: string): s is LogStream {
  return s === 'stdout' || s === 'stderr';
}

/**
 * formatCriTimestamp renders wall time as RFC 3339 in UTC with exactly nine fraction digits
 * (what CRI-O/conmon write; fixed width keeps lines sortable as text). wallMs may carry a
 * sub-millisecond fraction; it is kept to the microsecond, as a double holds no more.
 */
export function formatCriTimestamp(wallMs: number): string {
  assert(Number.isFinite(wallMs) && wallMs >= 0, `bad wall time ${wallMs}`);
  const wholeMs = Math.floor(wallMs);
  const micros = Math.min(999, Math.round((wallMs - wholeMs) * 1000));
  const iso = new Date(wholeMs).toISOString(); // 2026-01-02T03:04:05.678Z
  const ms = iso.slice(20, 23);
  return `${iso.slice(0, 19)}.${ms}${String(micros).padStart(3, '0')}000Z`;
}

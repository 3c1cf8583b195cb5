/**
 * The reading half of the CRI log codec, pure: CRI log bytes → entries. Lenient where the
 * kubelet is (any number of fraction digits, "Z" or a numeric offset, extra ":"-separated tags)
 * and explicit about damage: a line that does not parse is reported, not thrown, and a last
 * line without its newline (the writer is mid-append, or died) is handed back as the remainder
 * instead of being misread.
 */
import { isLogStream, type LogStream } from './format.js';

/** One decoded log line. */
export interface CriLogEntry {
  /** The timestamp as written in the file (kept verbatim: its zone and digits matter). */
  timestamp: string;
  /** Nanoseconds since the Unix epoch, for comparisons (sinceTime). */
  wallNs: bigint;
  stream: LogStream;
  /** True for a P line: content continues in the next line of the same stream. */
  partial: boolean;
  /** The text, without the line's own newline. */
  content: Buffer;
}

/** A line that is not in the CRI format, with the kubelet's reason text. */
export interface CriLogDefect {
  error: string;
  line: Buffer;
}

// 2016-10-06T00:17:09.669794202Z or 2016-10-06T00:17:09+02:00 (fraction optional, any length).
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** parseCriTimestamp returns nanoseconds since the epoch, or undefined when malformed. */
export function parseCriTimestamp(text: string): bigint | undefined {
  const m = TIMESTAMP.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac = '', zone = 'Z'] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (!Number.isFinite(ms)) return undefined;
  let offsetMin = 0;
  if (zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    offsetMin = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  }
  const nanos = BigInt(frac.padEnd(9, '0'));
  return (BigInt(ms) - BigInt(offsetMin) * 60_000n) * 1_000_000n + nanos;
}

/**
 * fixedCriTimestamp rewrites a parsed timestamp with exactly nine fraction digits in its own
 * zone (the kubelet's RFC3339NanoFixed), so `timestamps=true` output has one width.
 */
export function fixedCriTimestamp(text: string): string {
  const m = TIMESTAMP.exec(text);
  if (!m) return text;
  const frac = (m[7] ?? '').padEnd(9, '0');
  const zone = m[8] ?? 'Z';
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${frac}${zone}`;
}

/** parseCriLine decodes one line (its trailing newline optional) or says why it cannot. */
export function parseCriLine(line: Buffer): CriLogEntry | CriLogDefect {
  const body = line.length > 0 && line[line.length - 1] === 0x0a ? line.subarray(0, -1) : line;
  const sp1 = body.indexOf(0x20);
  if (sp1 < 0) return { error: 'timestamp is not found', line };
  const timestamp = body.toString('latin1', 0, sp1);
  const wallNs = parseCriTimestamp(timestamp);
  if (wallNs === undefined) {
    return { error: `unexpected timestamp format "RFC3339Nano": ${timestamp}`, line };
  }
  const sp2 = body.indexOf(0x20, sp1 + 1);
  if (sp2 < 0) return { error: 'stream type is not found', line };
  const stream = body.toString('latin1', sp1 + 1, sp2);
  if (!isLogStream(stream)) return { error: `unexpected stream type "${stream}"`, line };
  const sp3 = body.indexOf(0x20, sp2 + 1);
  if (sp3 < 0) return { error: 'log tag is not found', line };
  const tags = body.toString('latin1', sp2 + 1, sp3).split(':');
  return { timestamp, wallNs, stream, partial: tags[0] === 'P', content: body.subarray(sp3 + 1) };
}

/** isCriLogDefect tells a defect from an entry. */
export function isCriLogDefect(x: CriLogEntry | CriLogDefect): x is CriLogDefect {
  return 'error' in x;
}

/** The result of decoding a buffer: entries, defects, and the bytes of an unfinished line. */
export interface DecodedCriLog {
  entries: CriLogEntry[];
  defects: CriLogDefect[];
  /** Bytes after the last newline: a torn or still-being-written line. */
  remainder: Buffer;
}

/** decodeCriLog decodes every complete line of buf; the torn tail is returned, not parsed. */
export function decodeCriLog(buf: Buffer): DecodedCriLog {
  const entries: CriLogEntry[] = [];
  const defects: CriLogDefect[] = [];
  let start = 0;
  for (;;) {
    const nl = buf.indexOf(0x0a, start);
    if (nl < 0) break;
    const parsed = parseCriLine(buf.subarray(start, nl + 1));
    if (isCriLogDefect(parsed)) defects.push(parsed);
    else entries.push(parsed);
    start = nl + 1;
  }
  return { entries, defects, remainder: buf.subarray(start) };
}

/**
 * joinCriLines reassembles logical lines per stream (P pieces + their F), the text a container
 * actually wrote; a trailing run of P pieces with no F is returned unterminated.
 */
export function joinCriLines(entries: readonly CriLogEntry[]): Record<LogStream, Buffer> {
  const parts: Record<LogStream, Buffer[]> = { stdout: [], stderr: [] };
  for (const e of entries) {
    parts[e.stream].push(e.content);
    if (!e.partial) parts[e.stream].push(Buffer.from('\n'));
  }
  return { stdout: Buffer.concat(parts.stdout), stderr: Buffer.concat(parts.stderr) };
}

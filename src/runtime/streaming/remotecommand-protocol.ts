/**
 * The remotecommand protocol (exec/attach), pure: protocol names and versions for both
 * transports, the WebSocket channel framing (binary and base64), the v5 CLOSE signal, resize
 * messages, and the final status each version writes on the error channel.
 * Facts: reference/kubectl-wire.md §8.3–8.4.
 */
import type { TerminalSize } from './types.js';

/** Channel numbers of the WebSocket channel protocols (SPDY uses one stream per channel). */
export const Channel = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4 } as const;
/** The v5 CLOSE signal's channel byte: [255, channel] half-closes channel (stdin). */
export const CLOSE_CHANNEL = 255;

/** WsProtocol is one WebSocket subprotocol we speak, with its semantics. */
export interface WsProtocol {
  name: string;
  /** base64 text messages (ASCII channel digit + base64) instead of binary. */
  base64: boolean;
  /** 4 = JSON Status on the error channel (v4+); below, plain text on failure only. */
  version: 1 | 4 | 5;
}

/** WS_PROTOCOLS in our preference order (the client's order decides, wsHandshake). */
export const WS_PROTOCOLS: readonly WsProtocol[] = [
  { name: 'v5.channel.k8s.io', base64: false, version: 5 },
  { name: 'v4.channel.k8s.io', base64: false, version: 4 },
  { name: 'v4.base64.channel.k8s.io', base64: true, version: 4 },
  { name: 'channel.k8s.io', base64: false, version: 1 },
  { name: 'base64.channel.k8s.io', base64: true, version: 1 },
];

/** wsProtocol is the named protocol; no subprotocol at all means binary channel.k8s.io. */
export function wsProtocol(name: string | undefined): WsProtocol {
  const p = WS_PROTOCOLS.find((x) => x.name === name) ?? WS_PROTOCOLS[3];
  if (!p) throw new Error('unreachable: WS_PROTOCOLS is not empty');
  return p;
}

/** SPDY_PROTOCOLS are X-Stream-Protocol-Version values we accept for remotecommand. */
export const SPDY_PROTOCOLS = [
  'v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io',
] as const;

/** spdyVersion is the numeric version of a SPDY remotecommand protocol name. */
export function spdyVersion(name: string): 1 | 2 | 3 | 4 {
  const m = /^v(\d)\./.exec(name);
  const v = m ? Number(m[1]) : 1;
  return (v >= 4 ? 4 : v) as 1 | 2 | 3 | 4;
}

/** ChannelMessage is one decoded client message: data for a channel, or a v5 close signal. */
export type ChannelMessage =
  | { kind: 'data'; channel: number; data: Buffer }
  | { kind: 'close'; channel: number };

/** decodeChannelMessage decodes one client WebSocket message; undefined = empty, ignore. */
export function decodeChannelMessage(p: WsProtocol, data: Buffer): ChannelMessage | undefined {
  if (data.length === 0) return undefined;
  if (p.base64) {
    const channel = (data[0] ?? 0) - 0x30;
    return { kind: 'data', channel, data: Buffer.from(data.toString('latin1', 1), 'base64') };
  }
  const channel = data[0] ?? 0;
  if (channel === CLOSE_CHANNEL && p.version >= 5) {
    return { kind: 'close', channel: data[1] ?? Channel.stdin };
  }
  return { kind: 'data', channel, data: data.subarray(1) };
}

/** encodeChannelMessage frames data for a channel; the boolean says binary or text message. */
export function encodeChannelMessage(
  p: WsProtocol, channel: number, data: Buffer,
): [Buffer, boolean] {
  if (p.base64) return [Buffer.from(String(channel) + data.toString('base64'), 'latin1'), false];
  return [Buffer.concat([Buffer.from([channel]), data]), true];
}

/**
 * ResizeDecoder extracts terminal sizes from a byte stream of concatenated JSON objects
 * ({"Width":W,"Height":H}, optionally newline-separated). The buffer is bounded: a client that
 * never closes an object loses its partial data instead of growing memory.
 */
export class ResizeDecoder {
  private text = '';

  constructor(private readonly maxBufferedChars = 4096) {}

  /** push returns every size the bytes complete; malformed objects are skipped. */
  push(chunk: Buffer): TerminalSize[] {
    this.text += chunk.toString('utf8');
    const sizes: TerminalSize[] = [];
    for (;;) {
      const start = this.text.indexOf('{');
      if (start < 0) {
        this.text = '';
        break;
      }
      const end = this.text.indexOf('}', start);
      if (end < 0) {
        this.text = this.text.slice(start);
        break;
      }
      const size = parseSize(this.text.slice(start, end + 1));
      if (size) sizes.push(size);
      this.text = this.text.slice(end + 1);
    }
    if (this.text.length > this.maxBufferedChars) this.text = '';
    return sizes;
  }
}

function parseSize(json: string): TerminalSize | undefined {
  try {
    const v = JSON.parse(json) as { Width?: unknown; Height?: unknown };
    const width = Number(v.Width);
    const height = Number(v.Height);
    const valid = (n: number): boolean => Number.isInteger(n) && n >= 0;
    if (!valid(width) || !valid(height)) return undefined;
    return { width, height };
  } catch {
    return undefined;
  }
}

/** SessionOutcome is how an exec or attach ended. */
export type SessionOutcome =
  | { kind: 'exit'; exitCode: number }
  | { kind: 'error'; message: string };

/**
 * statusMessage is what the error channel carries at the end, or undefined for nothing:
 * v4+ always a JSON metav1.Status (NonZeroExitCode with an ExitCode cause, which kubectl turns
 * into its own exit code); v1–v3 plain text, on failure only.
 */
export function statusMessage(version: number, outcome: SessionOutcome): string | undefined {
  const failure = outcomeFailure(outcome);
  if (version < 4) return failure?.message;
  if (!failure) return JSON.stringify({ metadata: {}, status: 'Success' });
  return JSON.stringify({ metadata: {}, status: 'Failure', ...failure });
}

interface Failure {
  message: string;
  reason: string;
  details: unknown;
}

function outcomeFailure(o: SessionOutcome): Failure | undefined {
  if (o.kind === 'exit' && o.exitCode === 0) return undefined;
  if (o.kind === 'exit') {
    return {
      message: `command terminated with non-zero exit code: exit status ${o.exitCode}`,
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: String(o.exitCode) }] },
    };
  }
  const causes = [{ message: o.message }];
  return { message: o.message, reason: 'InternalError', details: { causes } };
}

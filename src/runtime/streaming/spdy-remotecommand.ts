/**
 * exec/attach over SPDY/3.1: the client opens one stream per channel, named by its `streamtype`
 * header (error, stdin, stdout, stderr, resize). The session starts once every stream the
 * request implies exists, and ends with the status on the error stream and every stream FINed.
 */
import type { Clock } from '../../base/clock.js';
import { ResizeDecoder, statusMessage } from './remotecommand-protocol.js';
import { endOutputs, runSession, type RemoteCommand } from './session.js';
import { SizeQueue } from './size-queue.js';
import { firstHeader } from './spdy-headers.js';
import type { SpdySession, SpdyStream } from './spdy-session.js';
import type { StreamingRuntime, StreamIo } from './types.js';

/** How long the client has to open its streams (upstream's stream creation timeout). */
export const STREAM_CREATION_TIMEOUT_MS = 30_000;

/** expectedStreams are the stream types a request implies for protocol version. */
export function expectedStreams(cmd: RemoteCommand, version: number): string[] {
  const types = ['error'];
  if (cmd.stdin) types.push('stdin');
  if (cmd.stdout) types.push('stdout');
  if (cmd.stderr && !cmd.tty) types.push('stderr');
  if (cmd.tty && version >= 3) types.push('resize');
  return types;
}

/**
 * collectStreams resolves with the streams by type once all expected ones arrived, or with
 * undefined when the session closes or the timeout passes first.
 */
export function collectStreams(
  session: SpdySession,
  onStream: (handler: (s: SpdyStream) => void) => void,
  expected: string[],
  clock: Clock,
): Promise<Map<string, SpdyStream> | undefined> {
  return new Promise((resolve) => {
    const got = new Map<string, SpdyStream>();
    const timer = clock.setTimeout(() => resolve(undefined), STREAM_CREATION_TIMEOUT_MS);
    session.on('close', () => {
      timer.cancel();
      resolve(undefined);
    });
    onStream((s) => {
      const type = firstHeader(s.headers, 'streamtype') ?? '';
      if (!expected.includes(type) || got.has(type)) {
        s.reset();
        return;
      }
      got.set(type, s);
      if (got.size === expected.length) {
        timer.cancel();
        resolve(got);
      }
    });
  });
}

/** serveSpdyRemoteCommand runs one session; resolves when it is over. */
export async function serveSpdyRemoteCommand(
  session: SpdySession,
  streams: Map<string, SpdyStream>,
  version: number,
  cmd: RemoteCommand,
  runtime: StreamingRuntime,
): Promise<void> {
  const aborter = new AbortController();
  const resize = streams.get('resize');
  const resizes = resize ? new SizeQueue() : undefined;
  if (resize && resizes) {
    const decoder = new ResizeDecoder();
    resize.on('data', (chunk: Buffer) => decoder.push(chunk).forEach((s) => resizes.push(s)));
  }
  const stdin = streams.get('stdin');
  const stdout = streams.get('stdout');
  const stderr = streams.get('stderr');
  const io: StreamIo = {
    tty: cmd.tty,
    ...(stdin ? { stdin } : {}),
    ...(stdout ? { stdout } : {}),
    ...(stderr ? { stderr } : {}),
    ...(resizes ? { resizes } : {}),
  };
  session.on('close', () => {
    aborter.abort();
    resizes?.end();
  });
  await runSession(runtime, cmd, {
    io,
    signal: aborter.signal,
    finish: async (outcome) => {
      resizes?.end();
      await endOutputs([stdout, stderr]);
      const error = streams.get('error');
      const text = statusMessage(version, outcome);
      if (error && text !== undefined) error.write(text);
      await endOutputs([error, stdin, resize]);
      session.close();
    },
  });
}

/**
 * One exec or attach session, transport-neutral: run it on the runtime, then let the transport
 * flush stdout/stderr and write the final status. Both the WebSocket and the SPDY transports
 * build a SessionStreams and call runSession.
 */
import { finished } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import type { SessionOutcome } from './remotecommand-protocol.js';
import type { StreamingRuntime, StreamIo } from './types.js';

/** RemoteCommand is what a token stands for: the CRI request of an exec or an attach. */
export interface RemoteCommand {
  kind: 'exec' | 'attach';
  containerId: string;
  /** exec only. */
  cmd: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** SessionStreams is what a transport hands runSession. */
export interface SessionStreams {
  io: StreamIo;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  /** Writes the outcome on the error channel and closes the transport. */
  finish(outcome: SessionOutcome): Promise<void>;
}

/** runSession runs cmd (or attaches) and always finishes the transport. */
export async function runSession(
  runtime: StreamingRuntime, cmd: RemoteCommand, s: SessionStreams,
): Promise<void> {
  let outcome: SessionOutcome;
  try {
    if (cmd.kind === 'exec') {
      const exitCode = await runtime.exec(cmd.containerId, cmd.cmd, s.io, s.signal);
      outcome = { kind: 'exit', exitCode };
    } else {
      await runtime.attach(cmd.containerId, s.io, s.signal);
      outcome = { kind: 'exit', exitCode: 0 };
    }
  } catch (err) {
    outcome = { kind: 'error', message: err instanceof Error ? err.message : String(err) };
  }
  await s.finish(outcome);
}

/**
 * endOutputs ends stdout/stderr and waits until their buffered bytes reached the transport, so
 * the status written next cannot overtake output. A destroyed stream counts as finished.
 */
export async function endOutputs(outputs: (Writable | undefined)[]): Promise<void> {
  await Promise.all(outputs.map(async (w) => {
    if (!w || w.destroyed) return;
    if (!w.writableEnded) w.end();
    await finished(w, { readable: false }).catch(() => undefined);
  }));
}

/**
 * exec/attach over a WebSocket channel protocol (v5/v4/v1, binary or base64): client messages
 * become stdin bytes, the v5 CLOSE of stdin, and resizes; stdout/stderr become channel messages;
 * the status goes on the error channel and the connection closes with 1000.
 */
import { PassThrough, Writable } from 'node:stream';
import {
  Channel, decodeChannelMessage, encodeChannelMessage, ResizeDecoder, statusMessage,
  type WsProtocol,
} from './remotecommand-protocol.js';
import { endOutputs, runSession, type RemoteCommand } from './session.js';
import { SizeQueue } from './size-queue.js';
import type { StreamingRuntime, StreamIo } from './types.js';
import type { WsConnection } from './ws-connection.js';
import { WsClose } from './ws-frame.js';

/** serveWsRemoteCommand runs one session on an open connection; resolves when it is over. */
export async function serveWsRemoteCommand(
  conn: WsConnection,
  protocol: WsProtocol,
  cmd: RemoteCommand,
  runtime: StreamingRuntime,
): Promise<void> {
  const aborter = new AbortController();
  const stdin = cmd.stdin ? new PassThrough() : undefined;
  const resizes = cmd.tty ? new SizeQueue() : undefined;
  const decoder = new ResizeDecoder();
  const output = (channel: number): Writable => new Writable({
    write(chunk: Buffer, _enc, cb) {
      const [frame, binary] = encodeChannelMessage(protocol, channel, chunk);
      if (conn.send(frame, binary)) cb();
      else void conn.whenDrained().then(() => cb());
    },
  });
  const io: StreamIo = {
    tty: cmd.tty,
    ...(stdin ? { stdin } : {}),
    ...(cmd.stdout ? { stdout: output(Channel.stdout) } : {}),
    ...(cmd.stderr && !cmd.tty ? { stderr: output(Channel.stderr) } : {}),
    ...(resizes ? { resizes } : {}),
  };
  conn.on('message', (m) => {
    const msg = decodeChannelMessage(protocol, m.data);
    if (!msg) return;
    if (msg.kind === 'close') {
      if (msg.channel === Channel.stdin) stdin?.end();
    } else if (msg.channel === Channel.stdin && stdin && !stdin.writableEnded) {
      if (!stdin.write(msg.data)) {
        conn.pause();
        stdin.once('drain', () => conn.resume());
      }
    } else if (msg.channel === Channel.resize && resizes) {
      for (const size of decoder.push(msg.data)) resizes.push(size);
    }
  });
  conn.on('close', () => {
    aborter.abort();
    stdin?.end();
    resizes?.end();
  });
  await runSession(runtime, cmd, {
    io,
    signal: aborter.signal,
    finish: async (outcome) => {
      resizes?.end();
      await endOutputs([io.stdout, io.stderr]);
      const text = statusMessage(protocol.version, outcome);
      if (text !== undefined) {
        const [frame, binary] = encodeChannelMessage(protocol, Channel.error, Buffer.from(text));
        conn.send(frame, binary);
      }
      conn.close(WsClose.normal);
    },
  });
}

/**
 * Attach and port-forward for the streaming server. Attach follows the container's CRI log (what
 * conmon writes) from the moment of attaching and replays new output on the session's streams
 * until the container exits; stdin is not forwarded, because conmon's attach socket is a
 * SOCK_SEQPACKET unix socket that Node cannot open. Port-forward connects from the host to
 * podIP:port, which the host reaches directly over the node bridge.
 */
import { open } from 'node:fs/promises';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import * as cri from '../../kubelet/cri/types.js';
import { decodeCriLog } from '../logs/decode.js';
import type { StreamIo } from '../streaming/types.js';
import { getContainer, observeContainer } from './containers.js';
import type { RuncContext } from './context.js';
import { getSandbox } from './sandboxes.js';

/** How often attach looks for new log output. */
const ATTACH_POLL_MS = 100;

/** The most log bytes attach reads per poll. */
const ATTACH_READ_BYTES = 256 * 1024;

/** attach streams the container's new output until it exits or the session is aborted. */
export async function attach(ctx: RuncContext, id: string, io: StreamIo, signal: AbortSignal):
  Promise<void> {
  const record = getContainer(ctx, id);
  io.stdin?.resume(); // drained: see the file comment
  const file = await open(record.logPath, 'r').catch(() => undefined);
  if (!file) throw cri.criPrecondition(`container ${record.id} has no log to attach to`);
  try {
    let offset = (await file.stat()).size;
    let pending = Buffer.alloc(0);
    for (;;) {
      const exited = (await observeContainer(ctx, record)).state ===
        cri.ContainerState.CONTAINER_EXITED;
      for (;;) {
        const buf = Buffer.alloc(ATTACH_READ_BYTES);
        const { bytesRead } = await file.read(buf, 0, buf.length, offset);
        if (bytesRead === 0) break;
        offset += bytesRead;
        const decoded = decodeCriLog(Buffer.concat([pending, buf.subarray(0, bytesRead)]));
        pending = Buffer.from(decoded.remainder);
        for (const entry of decoded.entries) {
          const out = entry.stream === 'stderr' && !io.tty ? io.stderr : io.stdout;
          out?.write(entry.partial ? entry.content : Buffer.concat([entry.content,
            Buffer.from('\n')]));
        }
      }
      if (exited || signal.aborted) return;
      await new Promise<void>((resolve) => ctx.clock.setTimeout(resolve, ATTACH_POLL_MS));
    }
  } finally {
    await file.close();
  }
}

/** portForward pipes stream to podIP:port; resolves when both directions have closed. */
export function portForward(ctx: RuncContext, sandboxId: string, port: number, stream: Duplex):
  Promise<void> {
  const sandbox = getSandbox(ctx, sandboxId);
  if (sandbox.state !== 'ready') {
    return Promise.reject(cri.criPrecondition(`sandbox ${sandbox.id} is not ready`));
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    return Promise.reject(cri.criInvalid(`invalid port ${port}`));
  }
  return new Promise((resolve, reject) => {
    const socket = connect({ host: sandbox.podIp, port });
    let settled = false;
    const done = (err?: Error): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (err) reject(err);
      else resolve();
    };
    socket.once('connect', () => {
      stream.pipe(socket);
      socket.pipe(stream);
    });
    socket.once('error', (err) => {
      stream.destroy(err);
      done(err);
    });
    socket.once('close', () => done());
    stream.once('error', () => done());
    stream.once('close', () => done());
  });
}

/**
 * The process runtime's half of CRI streaming (kubectl exec, attach, port-forward): plain Node
 * streams in, processes and sockets out. exec is a new child in the container's env and working
 * directory (a pty through `script` when tty is asked; no resize, see exec.ts); attach joins the
 * main process's output and, when the container has stdin: true, its stdin pipe; port-forward
 * connects to the pod's loopback address, where the pod's apps listen.
 */
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { criPrecondition } from '../../kubelet/cri/errors.js';
import type { StreamingRuntime, StreamIo } from '../streaming/types.js';
import { runExec } from './exec.js';
import type { ProcessRuntime } from './runtime.js';

/** ProcessStreaming implements StreamingRuntime over a ProcessRuntime. */
export class ProcessStreaming implements StreamingRuntime {
  constructor(private readonly runtime: ProcessRuntime) {}

  /** exec runs cmd beside the container's main process and resolves with its exit code. */
  async exec(
    containerId: string, cmd: string[], io: StreamIo, signal: AbortSignal,
  ): Promise<number> {
    const { record } = this.runtime.runningContainer(containerId);
    const child = this.runtime.startTrackedExec(record, cmd, io.tty);
    const stdout = io.stdout;
    const stderr = io.tty ? undefined : io.stderr;
    return runExec(child, { stdin: io.stdin, stdout, stderr, tty: io.tty }, signal);
  }

  /**
   * attach streams the main process's output until it exits or the session ends; the client's
   * stdin goes to the container's stdin when it has one. With stdin_once the container's stdin
   * closes when this client's does (as runc's attach does).
   */
  async attach(containerId: string, io: StreamIo, signal: AbortSignal): Promise<void> {
    const { record, proc } = this.runtime.runningContainer(containerId);
    if (proc === undefined) throw criPrecondition(`container "${containerId}" is not running`);
    if (io.stdin !== undefined && proc.stdin === undefined) {
      throw criPrecondition(`container "${containerId}" has no stdin: it was not created with ` +
        'stdin: true (or the runtime restarted since it started)');
    }
    const detach = proc.attachOutput({ stdout: io.stdout, stderr: io.tty ? io.stdout : io.stderr });
    const containerStdin = proc.stdin;
    if (io.stdin !== undefined && containerStdin !== undefined) {
      io.stdin.pipe(containerStdin, { end: record.stdinOnce });
    }
    try {
      await Promise.race([
        proc.exited,
        new Promise<void>((resolve) => {
          if (signal.aborted) resolve();
          signal.addEventListener('abort', () => resolve(), { once: true });
        }),
      ]);
    } finally {
      detach();
      if (io.stdin !== undefined && containerStdin !== undefined) io.stdin.unpipe(containerStdin);
    }
  }

  /** portForward connects stream to the pod's IP:port; resolves when both sides closed. */
  async portForward(podSandboxId: string, port: number, stream: Duplex): Promise<void> {
    const ip = this.runtime.sandboxIp(podSandboxId);
    const socket = connect({ host: ip, port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', (err) => reject(new Error(
        `failed to connect to localhost:${port} inside namespace of pod sandbox ` +
        `"${podSandboxId}" (${ip}): ${err.message}`,
      )));
    });
    stream.pipe(socket);
    socket.pipe(stream);
    await new Promise<void>((resolve) => {
      let open = 2;
      const done = (): void => { open -= 1; if (open === 0) resolve(); };
      socket.once('close', done);
      stream.once('close', () => { socket.end(); done(); });
      socket.once('error', () => socket.destroy());
      stream.once('error', () => socket.destroy());
    });
  }
}

/**
 * The seam between the CRI streaming server and the runtimes behind it. The server speaks the
 * wire protocols (WebSocket channel.k8s.io, SPDY/3.1 remotecommand and portforward) and hands a
 * runtime plain Node streams, so the process and runc runtimes never see a frame.
 */
import type { Duplex, Readable, Writable } from 'node:stream';

/** TerminalSize is one resize event from the client's terminal, in character cells. */
export interface TerminalSize {
  width: number;
  height: number;
}

/**
 * StreamIo is what one exec or attach session gives the runtime. Each stream is present only
 * when the client asked for it, because an absent stream must not be waited on or written to.
 */
export interface StreamIo {
  /** Present when requested; 'end' = the client closed stdin. */
  stdin?: Readable;
  stdout?: Writable;
  /** Absent with tty (a terminal merges stderr into stdout). */
  stderr?: Writable;
  tty: boolean;
  /** Terminal resizes, tty only; ends when the session ends. */
  resizes?: AsyncIterable<TerminalSize>;
}

/**
 * StreamingRuntime is the part of a container runtime the streaming server needs: run a
 * command, attach to the main process, and open a TCP connection inside a pod's network.
 */
export interface StreamingRuntime {
  /** Runs cmd in the container; resolves with its exit code. */
  exec(containerId: string, cmd: string[], io: StreamIo, signal: AbortSignal): Promise<number>;
  /** Attaches to the container's main process (stdin if the container has stdin: true). */
  attach(containerId: string, io: StreamIo, signal: AbortSignal): Promise<void>;
  /** Connects stream to port inside the pod's network; resolves when both sides closed. */
  portForward(podSandboxId: string, port: number, stream: Duplex): Promise<void>;
}

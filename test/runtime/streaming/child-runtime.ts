/**
 * A StreamingRuntime for tests whose "containers" are the host: exec runs the command as a real
 * child process, attach runs `sh -c 'echo attached; cat'`, port-forward dials 127.0.0.1:port.
 * Real processes and sockets, so the streaming path is exercised for real; it records the
 * resizes it saw and the exec calls it got.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import type {
  StreamingRuntime,
  StreamIo,
  TerminalSize,
} from '../../../src/runtime/streaming/types.js';

export interface ChildRuntime extends StreamingRuntime {
  execs: { containerId: string; cmd: string[] }[];
  resizes: TerminalSize[];
}

function run(cmd: string[], io: StreamIo, signal: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    const [file = 'false', ...args] = cmd;
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    child.on('error', reject);
    const kill = (): void => {
      child.kill('SIGKILL');
    };
    signal.addEventListener('abort', kill);
    if (io.stdin) io.stdin.pipe(child.stdin);
    else child.stdin.end();
    child.stdin.on('error', () => undefined);
    if (io.stdout) child.stdout.pipe(io.stdout, { end: false });
    else child.stdout.resume();
    const errOut = io.stderr ?? (io.tty ? io.stdout : undefined);
    if (errOut) child.stderr.pipe(errOut, { end: false });
    else child.stderr.resume();
    child.on('close', (code, sig) => {
      signal.removeEventListener('abort', kill);
      io.stdin?.unpipe(child.stdin);
      resolve(code ?? 128 + (sig === 'SIGKILL' ? 9 : 15));
    });
  });
}

/** childRuntime returns a fresh runtime double. */
export function childRuntime(): ChildRuntime {
  const rt: ChildRuntime = {
    execs: [],
    resizes: [],
    async exec(containerId, cmd, io, signal) {
      rt.execs.push({ containerId, cmd });
      if (io.resizes) void (async () => {
        for await (const s of io.resizes ?? []) rt.resizes.push(s);
      })();
      return run(cmd, io, signal);
    },
    async attach(_containerId, io, signal) {
      await run(['sh', '-c', 'echo attached; cat'], io, signal);
    },
    portForward(_sandbox, port, stream: Duplex) {
      return new Promise((resolve, reject) => {
        const sock = connect({ host: '127.0.0.1', port });
        sock.on('error', (err) => {
          stream.unpipe(sock);
          reject(err);
        });
        sock.on('connect', () => {
          stream.pipe(sock);
          sock.pipe(stream);
        });
        sock.on('close', () => resolve());
      });
    },
  };
  return rt;
}

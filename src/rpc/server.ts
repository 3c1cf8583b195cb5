/**
 * Binding and shutting down a grpc-js server as promises, with k8ts defaults.
 */
import { Server, type ServerCredentials } from '@grpc/grpc-js';
import { serverOptions, type Transport } from './defaults.js';
import { installFastUnary } from './fast-unary.js';

/** newServer creates a server with the shared defaults for its transport. Its unary and
 *  server-streaming calls are served by the lean node:http2 path of fast-unary.ts (grpc-js's
 *  per-call JS is a third of a store leader's serving CPU); client-streaming and bidi calls
 *  stay grpc-js's. */
export function newServer(t: Transport = 'network'): Server {
  const options = serverOptions({}, t);
  const server = new Server(options);
  installFastUnary(server, options);
  return server;
}

/** bind listens on address ("host:port", port 0 = ephemeral) and resolves with the bound port. */
export function bind(server: Server, address: string, creds: ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, creds, (err, port) => (err ? reject(err) : resolve(port)));
  });
}

/** shutdown stops accepting calls and lets running ones finish, up to graceMs, then cuts them. */
export function shutdown(server: Server, graceMs: number, setTimer: (fn: () => void, ms: number) => { cancel(): void }): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimer(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      timer.cancel();
      resolve();
    });
  });
}

/**
 * A Buffer-in, Buffer-out server-streaming service for the fast stream path's tests, served by
 * a newServer() (fast path) or a plain grpc-js Server (the reference): Feed answers by its
 * request — "three" (three messages, trailing metadata), "fail-mid" (a message, then a
 * Kubernetes Status error), "fail-first" (an error before any message), "empty" (OK, no
 * message), "many:<n>" (n 16 KiB messages written as fast as write() allows, for back-pressure),
 * "sizes" (messages on both sides of the size at which the fast path stops copying a message
 * into a framed buffer and writes prefix and message as two chunks, one of them sent twice as
 * a watch event's shared bytes are).
 */
import {
  Metadata, Server, ServerCredentials, status, type ServerWritableStream, type ServiceDefinition,
} from '@grpc/grpc-js';
import { StatusError } from '../../src/api/errors.js';
import { toStatusServiceError } from '../../src/rpc/kube-status.js';
import { bind, newServer } from '../../src/rpc/server.js';

const ident = (b: Buffer): Buffer => b;

/** FEED is the service definition: one server-streaming method. */
export const FEED: ServiceDefinition = {
  Feed: {
    path: '/test.Feed/Feed', requestStream: false, responseStream: true,
    requestSerialize: ident, requestDeserialize: ident,
    responseSerialize: ident, responseDeserialize: ident,
  },
};

/** FeedLog is what a server's handler saw: writes refused, drains, cancellations. */
export interface FeedLog {
  refused: number;
  drains: number;
  cancelled: number;
  written: number;
}

/** Feed is one bound server and what its handler saw. */
export interface Feed {
  server: Server;
  port: number;
  log: FeedLog;
}

/** startFeed binds a fast (newServer) or plain grpc-js server on 127.0.0.1. */
export async function startFeed(fast: boolean): Promise<Feed> {
  const server = fast ? newServer() : new Server();
  const log: FeedLog = { refused: 0, drains: 0, cancelled: 0, written: 0 };
  server.addService(FEED, { Feed: (call: ServerWritableStream<Buffer, Buffer>) => {
    call.on('cancelled', () => log.cancelled++);
    feed(call, log);
  } });
  const port = await bind(server, '127.0.0.1:0', ServerCredentials.createInsecure());
  return { server, port, log };
}

function feed(call: ServerWritableStream<Buffer, Buffer>, log: FeedLog): void {
  const req = call.request.toString();
  if (req === 'three') {
    for (const m of ['a', 'bb', 'ccc']) call.write(Buffer.from(m));
    const t = new Metadata();
    t.set('x-count', '3');
    t.set('x-raw-bin', Buffer.from([1, 2, 3]));
    call.end(t);
  } else if (req === 'fail-mid') {
    call.write(Buffer.from('first'));
    const expired = new StatusError(410, 'Expired', 'too old: 100% 日本');
    call.emit('error', toStatusServiceError(expired));
  } else if (req === 'fail-first') {
    call.emit('error', { code: status.NOT_FOUND, details: 'no such feed' });
  } else if (req === 'empty') {
    call.end();
  } else if (req.startsWith('many:')) {
    many(call, Number(req.slice(5)), log);
  } else if (req === 'sizes') {
    const shared = Buffer.alloc(5000, 's');
    for (const n of [1023, 1024, 0, 70_000, 3]) call.write(Buffer.alloc(n, n % 251));
    call.write(shared);
    call.write(shared);
    call.end();
  }
}

function many(call: ServerWritableStream<Buffer, Buffer>, n: number, log: FeedLog): void {
  const pump = (): void => {
    while (log.written < n && !call.cancelled) {
      const m = Buffer.alloc(16 * 1024, log.written % 251);
      m.writeUInt32BE(log.written++);
      if (!call.write(m)) {
        log.refused++;
        call.once('drain', () => {
          log.drains++;
          pump();
        });
        return;
      }
    }
    if (!call.cancelled) call.end();
  };
  pump();
}

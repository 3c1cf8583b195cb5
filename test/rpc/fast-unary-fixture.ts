/**
 * A tiny Buffer-in, Buffer-out gRPC service for the fast unary path's tests: one unary method
 * whose behaviour each test supplies, and one server-streaming method (Repeat).
 */
import {
  ChannelCredentials, Metadata, Server, ServerCredentials, makeGenericClientConstructor,
  type Client, type ServerUnaryCall, type ServerWritableStream, type ServiceDefinition,
  type ServiceError, type sendUnaryData,
} from '@grpc/grpc-js';
import { channelOptions, serverOptions } from '../../src/rpc/defaults.js';
import { installFastUnary } from '../../src/rpc/fast-unary.js';
import { bind, newServer } from '../../src/rpc/server.js';

const ident = (b: Buffer): Buffer => b;
const method = (path: string, responseStream: boolean) => ({
  path, requestStream: false, responseStream,
  requestSerialize: ident, requestDeserialize: ident,
  responseSerialize: ident, responseDeserialize: ident,
});

/** ECHO is the service: Echo (unary) and Repeat (server streaming). */
export const ECHO: ServiceDefinition = {
  Echo: method('/test.Echo/Echo', false),
  Repeat: method('/test.Echo/Repeat', true),
};

/** UnaryImpl is what a test does with one Echo call. */
export type UnaryImpl = (call: ServerUnaryCall<Buffer, Buffer>, cb: sendUnaryData<Buffer>) => void;

/** Fixture is a bound server, a client, and a way to call Echo as a promise. */
export interface Fixture {
  server: Server;
  client: Client;
  port: number;
  echo(body: Buffer, o?: { md?: Metadata; deadlineMs?: number }): Promise<EchoResult>;
  close(): void;
}

/** EchoResult is the response or the error, with the response headers the client saw. */
export interface EchoResult {
  res?: Buffer;
  err?: ServiceError;
  headers?: Metadata;
  trailers?: Metadata;
}

/** startEcho binds a newServer (or, with limits, a Server with those message limits) on
 *  127.0.0.1 serving impl, and connects a client to it. */
export async function startEcho(
  impl: UnaryImpl,
  o: { limits?: number; creds?: ServerCredentials; clientCreds?: ChannelCredentials } = {},
): Promise<Fixture> {
  let server: Server;
  if (o.limits === undefined) server = newServer();
  else {
    const options = serverOptions({
      'grpc.max_receive_message_length': o.limits,
      'grpc.max_send_message_length': o.limits,
    });
    server = new Server(options);
    installFastUnary(server, options);
  }
  server.addService(ECHO, {
    Echo: impl,
    Repeat: (call: ServerWritableStream<Buffer, Buffer>) => {
      call.write(call.request);
      call.write(call.request);
      call.end();
    },
  });
  const port = await bind(server, '127.0.0.1:0', o.creds ?? ServerCredentials.createInsecure());
  const Ctor = makeGenericClientConstructor(ECHO, 'Echo');
  const client = new Ctor(
    `${o.clientCreds ? 'localhost' : '127.0.0.1'}:${port}`,
    o.clientCreds ?? ChannelCredentials.createInsecure(),
    channelOptions({ 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 }),
  );
  return {
    server, client, port,
    echo: (body, eo = {}) => echo(client, body, eo.md, eo.deadlineMs ?? 5_000),
    close: () => {
      client.close();
      server.forceShutdown();
    },
  };
}

type EchoFn = (
  b: Buffer, md: Metadata, opts: { deadline: Date },
  cb: (e: ServiceError | null, r?: Buffer) => void,
) => { on(ev: string, fn: (x: unknown) => void): void };

function echo(client: Client, body: Buffer, md = new Metadata(), deadlineMs: number) {
  return new Promise<EchoResult>((resolve) => {
    const out: EchoResult = {};
    const fn = (client as unknown as { Echo: EchoFn }).Echo.bind(client);
    const call = fn(body, md, { deadline: new Date(Date.now() + deadlineMs) }, (err, res) => {
      if (err) out.err = err;
      else out.res = res;
    });
    call.on('metadata', (m) => (out.headers = m as Metadata));
    call.on('status', (s) => {
      out.trailers = (s as { metadata: Metadata }).metadata;
      setImmediate(() => resolve(out));
    });
  });
}

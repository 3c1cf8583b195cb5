/**
 * Watch flow control, against a scripted registry (the real one's cache pauses well before
 * these bounds, so only a script can push past them): a registry that honours onEvent's false
 * is paused and resumed without losing an event; one that ignores it gets the watch ended with
 * a 500 once maxPendingEvents messages wait, and its watch stopped. A client cancelling stops
 * the registry watch too.
 */
import assert from 'node:assert/strict';
import { status, type ClientReadableStream, type Server, type ServiceError } from '@grpc/grpc-js';
import type { KubeObject } from '../../../src/api/meta.js';
import { systemClock } from '../../../src/base/clock.js';
import { addApiService } from '../../../src/apiserver/grpc/api-service.js';
import type { ApiRegistry } from '../../../src/apiserver/registry/types.js';
import type { StorageWatchEvent } from '../../../src/apiserver/storage/types.js';
import { mapServiceError } from '../../../src/client/wire.js';
import { ApiServiceClient, type WatchResponse } from '../../../src/gen/k8ts/api/v1/api.js';
import { channelCredentials, serverCredentials } from '../../../src/rpc/credentials.js';
import { channelOptions } from '../../../src/rpc/defaults.js';
import { bind, newServer } from '../../../src/rpc/server.js';
import { serverStream } from '../../../src/rpc/server-stream.js';

const EVENTS = 2_000;
const PAD = 'x'.repeat(16 * 1024);

/** Script is a registry whose watch emits EVENTS padded objects as fast as it is let. */
interface Script {
  registry: ApiRegistry;
  stopped: boolean;
  emitted: number;
  paused: number;
}

function script(honourPause: boolean): Script {
  const none = undefined as unknown as ApiRegistry;
  const s: Script = { registry: none, stopped: false, emitted: 0, paused: 0 };
  const unused = (): never => assert.fail('not used by these tests');
  s.registry = {
    get: unused, list: unused, create: unused, update: unused,
    patch: unused, delete: unused, bind: unused,
    watch: (_ctx, _r, _ns, _opts, onEvent) => {
      const emit = (): void => {
        while (!s.stopped && s.emitted < EVENTS) {
          const metadata = { name: `o${s.emitted}`, resourceVersion: String(s.emitted + 1) };
          const object: KubeObject = { metadata, pad: PAD };
          const e: StorageWatchEvent = { type: 'ADDED', object };
          s.emitted++;
          const more = (onEvent as (e: StorageWatchEvent) => unknown)(e);
          if (more === false && honourPause) {
            s.paused++;
            return;
          }
        }
      };
      setImmediate(emit);
      return {
        stop: () => void (s.stopped = true),
        ...(honourPause ? { resume: () => setImmediate(emit) } : {}),
      };
    },
  };
  return s;
}

describe('component API watch flow control (scripted registry)', function () {
  this.timeout(20_000);
  let server: Server | undefined;
  let raw: ApiServiceClient | undefined;

  async function start(s: Script): Promise<ApiServiceClient> {
    server = newServer();
    const opts = { insecure: true, clock: systemClock, log: () => {}, maxPendingEvents: 64 };
    addApiService(server, s.registry, opts);
    const port = await bind(server, '127.0.0.1:0', serverCredentials(undefined));
    const creds = channelCredentials(undefined);
    raw = new ApiServiceClient(`127.0.0.1:${port}`, creds, channelOptions());
    return raw;
  }
  afterEach(() => {
    raw?.close();
    server?.forceShutdown();
  });

  function open(c: ApiServiceClient): ClientReadableStream<WatchResponse> {
    const req = {
      group: '', version: 'v1', resource: 'configmaps', namespace: '',
      labelSelector: '', fieldSelector: '',
      resourceVersion: '', allowWatchBookmarks: false, timeoutSeconds: 0, omitManagedFields: false,
    };
    return serverStream(c, c.watch, req);
  }

  /** drain reads the stream to its end after a pause; returns names and the final error. */
  async function drain(
    stream: ClientReadableStream<WatchResponse>,
    pauseMs: number,
    limit: number,
  ): Promise<{ names: string[]; error: ServiceError | undefined }> {
    let early: ServiceError | undefined;
    stream.on('error', (e: ServiceError) => (early = e)); // may end the stream before iteration
    stream.pause();
    await new Promise((r) => setTimeout(r, pauseMs));
    const names: string[] = [];
    let error: ServiceError | undefined;
    try {
      for await (const msg of stream as AsyncIterable<WatchResponse>) {
        for (const e of msg.events) {
          names.push(JSON.parse(Buffer.from(e.objectJson).toString()).metadata.name);
        }
        if (names.length >= limit) break;
      }
    } catch (err) {
      error = err as ServiceError;
    }
    return { names, error: error ?? early };
  }

  it('a registry that honours pause delivers every event in order to a slow reader', async () => {
    const s = script(true);
    const stream = open(await start(s));
    const { names, error } = await drain(stream, 500, EVENTS);
    stream.cancel();
    assert.equal(error, undefined);
    assert.equal(names.length, EVENTS);
    assert.ok(names.every((n, i) => n === `o${i}`));
    assert.ok(s.paused > 0, 'the registry was asked to pause');
  });

  it('a registry ignoring pause: a 500 at the bound ends the watch and stops it', async () => {
    const s = script(false);
    const stream = open(await start(s));
    const { names, error } = await drain(stream, 500, EVENTS);
    assert.ok(s.stopped, 'registry watch stopped');
    assert.ok(s.emitted < EVENTS, `stopped early (${s.emitted} emitted)`);
    assert.ok(names.length < s.emitted + 1);
    assert.equal(error?.code, status.INTERNAL);
    const mapped = mapServiceError(error as ServiceError);
    assert.equal((mapped as { code?: number }).code, 500);
    assert.match(mapped.message, /fell more than 64 events behind/);
  });

  it('a client that cancels stops the registry watch', async () => {
    const s = script(true);
    const stream = open(await start(s));
    const { names } = await drain(stream, 100, 10);
    stream.cancel();
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(names.length >= 10);
    assert.ok(s.stopped);
  });
});

/**
 * FastUnaryCall.headerValue / metadataValue read a text metadata value straight from the request
 * headers; they must give what call.metadata.get(key)[0] gives (grpc-js's Metadata built from the
 * same headers, transport headers removed) for every kind of key.
 */
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { Metadata } from '@grpc/grpc-js';
import { FastUnaryCall, metadataValue } from '../../src/rpc/fast-unary-call.js';

const HEADERS: IncomingHttpHeaders = {
  ':method': 'POST', ':path': '/etcdserverpb.KV/Put', ':authority': '127.0.0.1:2379',
  'content-type': 'application/grpc', te: 'trailers', 'grpc-timeout': '4999m',
  'grpc-accept-encoding': 'identity,deflate,gzip', 'user-agent': 'grpc-node-js/1.14.7',
  hasleader: 'true', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  'x-twice': 'a, b', 'x-raw-bin': Buffer.from([1, 2, 3]).toString('base64'),
};

const KEYS = [
  'hasleader', 'traceparent', 'tracestate', 'x-twice', 'x-raw-bin', 'te', 'content-type',
  'grpc-timeout', 'user-agent', ':path', 'missing',
];

function call(): FastUnaryCall<undefined> {
  const stream = undefined as unknown as ServerHttp2Stream;
  return new FastUnaryCall(stream, HEADERS, '/p', undefined, Infinity, () => undefined);
}

describe('rpc/fast-unary-call: metadata values from the request headers', () => {
  it('headerValue gives what metadata.get(key)[0] gives, before and after metadata is built', () => {
    const want = (key: string): string | undefined => {
      const v = call().metadata.get(key)[0];
      return v === undefined ? undefined : String(v);
    };
    const fresh = call();
    for (const key of KEYS) assert.equal(fresh.headerValue(key), want(key), key);
    const built = call();
    void built.metadata;
    for (const key of KEYS) assert.equal(built.headerValue(key), want(key), key);
  });

  it('metadataValue reads a grpc-js call through its Metadata', () => {
    const md = new Metadata();
    md.set('hasleader', 'true');
    assert.equal(metadataValue({ metadata: md }, 'hasleader'), 'true');
    assert.equal(metadataValue({ metadata: md }, 'traceparent'), undefined);
    assert.equal(metadataValue(call(), 'hasleader'), 'true');
  });
});

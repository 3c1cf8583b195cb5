/**
 * Watch messages laid out from shared per-event parts must be byte for byte what the generated
 * encoder writes, whatever the events (empty fields, long JSON whose length takes 3 varint
 * bytes, one event or many, the same event in several messages), and watchers of one cached
 * object share one WatchEvent only when the delivery is the same.
 */
import assert from 'node:assert/strict';
import { WatchResponse, type WatchEvent } from '../../../src/gen/k8ts/api/v1/api.js';
import { watchEvent, watchResponseBytes } from '../../../src/apiserver/grpc/watch-encode.js';
import { Prng } from '../../../src/base/prng.js';

function json(prng: Prng): Buffer {
  const sizes = [0, 1, 127, 128, 300, 16_383, 16_384, 200_000];
  const n = sizes[Math.floor(prng.float() * sizes.length)] ?? 0;
  return Buffer.alloc(n, String.fromCharCode(97 + Math.floor(prng.float() * 26)));
}

describe('apiserver grpc: watch messages from shared event parts', () => {
  it('are the generated encoder\'s bytes for random batches', () => {
    const prng = new Prng(7);
    const pool: WatchEvent[] = [];
    for (let i = 0; i < 40; i++) {
      const types = ['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', ''];
      const type = types[Math.floor(prng.float() * types.length)] ?? '';
      const trace = prng.float() < 0.5 ? '' : `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`;
      pool.push(watchEvent(type, json(prng), trace));
    }
    for (let round = 0; round < 300; round++) {
      const n = Math.floor(prng.float() * 6);
      const events = Array.from({ length: n }, () => pool[Math.floor(prng.float() * pool.length)]!);
      const m: WatchResponse = { events };
      assert.ok(watchResponseBytes(m).equals(Buffer.from(WatchResponse.encode(m).finish())),
        `round ${round}`);
      assert.deepEqual(WatchResponse.decode(watchResponseBytes(m)), m);
    }
  });

  it('share one event between watchers of the same delivery only', () => {
    const body = Buffer.from('{"metadata":{"name":"p"}}');
    const a = watchEvent('MODIFIED', body, 't');
    assert.equal(watchEvent('MODIFIED', body, 't'), a);
    assert.notEqual(watchEvent('DELETED', body, 't'), a);
    assert.notEqual(watchEvent('MODIFIED', body, 'other'), a);
    assert.notEqual(watchEvent('MODIFIED', Buffer.from(body), 't'), a);
    assert.deepEqual(watchEvent('DELETED', body, 't'), { type: 'DELETED', objectJson: body, traceparent: 't' });
  });
});

/**
 * BindBatcher's group commit with a fake sender: a lone bind goes alone at once, binds made
 * while calls are out leave together, each bind gets its own result, a whole failed call fails
 * its binds, UNIMPLEMENTED falls back to single binds, and a bind whose deadline passed while it
 * waited is not sent.
 */
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { conflict, StatusError } from '../../src/api/errors.js';
import { BIND_BATCH_LIMITS, BindBatcher, type BindSender } from '../../src/client/bind-batcher.js';
import type { BindBatchResponse, BindRequest } from '../../src/gen/k8ts/api/v1/api.js';
import { RpcError } from '../../src/rpc/errors.js';
import { statusJson } from '../../src/rpc/kube-status.js';

const PODS = { group: '', resource: 'pods' };

/** FakeSender records calls; each call waits until release() answers it. */
class FakeSender implements BindSender {
  calls: { kind: 'one' | 'batch'; pods: string[]; release: (err?: Error) => void }[] = [];
  refuse = new Set<string>();
  unimplemented = false;

  one(b: BindRequest): Promise<void> {
    return new Promise((resolve, reject) => {
      this.calls.push({ kind: 'one', pods: [b.pod], release: (err) => {
        if (err) reject(err);
        else if (this.refuse.has(b.pod)) reject(conflict(PODS, b.pod, 'refused'));
        else resolve();
      } });
    });
  }

  batch(binds: BindRequest[]): Promise<BindBatchResponse> {
    if (this.unimplemented) {
      return Promise.reject(new RpcError(status.UNIMPLEMENTED, 'unknown method BindBatch'));
    }
    return new Promise((resolve, reject) => {
      this.calls.push({ kind: 'batch', pods: binds.map((b) => b.pod), release: (err) => {
        if (err) return reject(err);
        resolve({ results: binds.map((b) => ({
          statusJson: this.refuse.has(b.pod) ?
            statusJson(conflict(PODS, b.pod, 'refused').status) : Buffer.alloc(0),
        })) });
      } });
    });
  }

  /** releaseAll answers every call out now (not those it causes). */
  releaseAll(err?: Error): void {
    const out = this.calls.splice(0);
    for (const c of out) c.release(err);
  }
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));
const bindReq = (pod: string): BindRequest => ({ namespace: 'ns', pod, nodeName: 'n1' });

describe('BindBatcher', () => {
  it('sends a lone bind at once, alone; binds made meanwhile leave together', async () => {
    const s = new FakeSender();
    const b = new BindBatcher(s, () => 0, 1000);
    const done = ['a', 'b', 'c', 'd', 'e'].map((p) => b.bind(bindReq(p)));
    assert.deepEqual(s.calls.map((c) => [c.kind, c.pods]),
      [['one', ['a']], ['one', ['b']]], 'up to maxInFlight calls go out at once');
    s.releaseAll();
    await flush();
    assert.deepEqual(s.calls.map((c) => [c.kind, c.pods]), [['batch', ['c', 'd', 'e']]]);
    s.releaseAll();
    await Promise.all(done);
    assert.ok(b.idle);
  });

  it('gives each bind its own result; a failed call fails only its binds', async () => {
    const s = new FakeSender();
    s.refuse.add('d');
    const b = new BindBatcher(s, () => 0, 1000);
    const done = ['a', 'b', 'c', 'd', 'e'].map((p) => b.bind(bindReq(p)).then(() => 'ok',
      (e: unknown) => (e instanceof StatusError ? e.reason : (e as RpcError).message)));
    s.releaseAll(new RpcError(status.UNAVAILABLE, 'gone'));
    await flush();
    s.releaseAll();
    assert.deepEqual(await Promise.all(done), ['gone', 'gone', 'ok', 'Conflict', 'ok']);
  });

  it('never puts more than maxBinds binds in one call', async () => {
    const s = new FakeSender();
    const b = new BindBatcher(s, () => 0, 1000);
    const n = 2 + BIND_BATCH_LIMITS.maxBinds + 5;
    const done = Array.from({ length: n }, (_, i) => b.bind(bindReq(`p${i}`)));
    s.releaseAll();
    await flush();
    assert.deepEqual(s.calls.map((c) => c.pods.length), [BIND_BATCH_LIMITS.maxBinds, 5]);
    s.releaseAll();
    await Promise.all(done);
  });

  it('falls back to single binds when the server has no BindBatch', async () => {
    const s = new FakeSender();
    s.unimplemented = true;
    const b = new BindBatcher(s, () => 0, 1000);
    const done = ['a', 'b', 'c', 'd'].map((p) => b.bind(bindReq(p)));
    s.releaseAll();
    await flush();
    assert.deepEqual(s.calls.map((c) => [c.kind, c.pods]), [['one', ['c']], ['one', ['d']]]);
    s.releaseAll();
    await Promise.all(done);
  });

  it('does not send a bind whose deadline passed while it waited', async () => {
    const s = new FakeSender();
    let now = 0;
    const b = new BindBatcher(s, () => now, 100);
    const first = [b.bind(bindReq('a')), b.bind(bindReq('b'))];
    const late = b.bind(bindReq('c'));
    now = 150;
    s.releaseAll();
    await Promise.all(first);
    const err = await late.then(() => undefined, (e: unknown) => e as RpcError);
    assert.equal(err?.code, status.DEADLINE_EXCEEDED);
    assert.equal(s.calls.length, 0);
  });

  it('with a timer, binds waiting lingerMs leave while fewer than maxOut calls are out', () => {
    const s = new FakeSender();
    const timers: { fn: () => void; ms: number }[] = [];
    const fire = (): void => {
      const t = timers.shift();
      assert.equal(t?.ms, BIND_BATCH_LIMITS.lingerMs);
      t?.fn();
    };
    const b = new BindBatcher(s, () => 0, 1000, (fn, ms) => {
      timers.push({ fn, ms });
      return { cancel: () => undefined };
    });
    const max = BIND_BATCH_LIMITS.maxOut;
    const binds = ['a', 'b', 'c', 'd'].map((p) => b.bind(bindReq(p)));
    assert.deepEqual(s.calls.map((c) => c.pods), [['a'], ['b']]);
    assert.equal(timers.length, 1, 'one linger timer for the waiting binds');
    fire();
    assert.deepEqual(s.calls.map((c) => c.pods), [['a'], ['b'], ['c', 'd']]);
    assert.equal(timers.length, 0, 'nothing waits: no timer');
    for (let i = 3; i < max; i++) {
      binds.push(b.bind(bindReq(`p${i}`)), b.bind(bindReq(`q${i}`)));
      fire();
    }
    assert.equal(s.calls.length, max);
    binds.push(b.bind(bindReq('late')));
    assert.equal(timers.length, 0, 'at maxOut calls a bind waits for one to come back');
    assert.equal(s.calls.length, max);
    s.releaseAll();
    return flush().then(() => {
      assert.deepEqual(s.calls.map((c) => c.pods), [['late']], 'a call back sends it at once');
      s.releaseAll();
      return Promise.all(binds);
    });
  });
});

/**
 * The client's pure parts: range arithmetic, error mapping by etcd text, the retry
 * classification that decides what may be retried, backoff bounds, metadata, the txn builder.
 */
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { Prng } from '../../../src/base/prng.js';
import { etcdErrors } from '../../../src/store/errors.js';
import { rangeEndFor } from '../../../src/store/client/bytes.js';
import { metadataFor } from '../../../src/store/client/call.js';
import {
  attemptOutcome,
  backoffMs,
  CompactedError,
  compare,
  DEFAULT_BACKOFF,
  EtcdClientError,
  fromStatus,
  NotSentError,
  op,
  prefixEnd,
  TxnBuilder,
} from '../../../src/store/client/index.js';

const hex = (b: Buffer) => b.toString('hex');

describe('store client: prefix → range_end', () => {
  it('increments the last byte', () => {
    assert.equal(prefixEnd('/registry/pods/').toString(), '/registry/pods0');
    assert.equal(hex(prefixEnd(Buffer.from([0x61, 0x00]))), '6101');
  });

  it('carries past trailing 0xff bytes by dropping them', () => {
    assert.equal(hex(prefixEnd(Buffer.from([0x61, 0xff]))), '62');
    assert.equal(hex(prefixEnd(Buffer.from([0x01, 0xfe, 0xff, 0xff]))), '01ff');
  });

  it('an all-0xff or empty prefix runs to the end ("\\x00")', () => {
    assert.equal(hex(prefixEnd(Buffer.from([0xff, 0xff]))), '00');
    assert.equal(hex(prefixEnd(Buffer.alloc(0))), '00');
  });

  it('does not modify its input', () => {
    const p = Buffer.from('ab');
    prefixEnd(p);
    assert.equal(p.toString(), 'ab');
  });

  it('range options: prefix, fromKey, rangeEnd, single key; two at once is a bug', () => {
    assert.equal(rangeEndFor('a', {}).length, 0);
    assert.equal(hex(rangeEndFor('a', { fromKey: true })), '00');
    assert.equal(rangeEndFor('a', { rangeEnd: 'c' }).toString(), 'c');
    assert.equal(rangeEndFor('a', { prefix: true }).toString(), 'b');
    assert.throws(() => rangeEndFor('a', { prefix: true, rangeEnd: 'c' }), TypeError);
  });
});

describe('store client: errors by etcd text', () => {
  it('maps every catalog text to its kind', () => {
    for (const [kind, make] of Object.entries(etcdErrors)) {
      const e = make();
      const mapped = fromStatus(e.code, e.message);
      assert.equal(mapped.kind, kind, e.message);
      assert.equal(mapped.code, e.code);
      assert.equal(mapped.message, e.message);
    }
  });

  it('compacted is a CompactedError (the API server answers 410 Gone)', () => {
    const e = etcdErrors.compacted();
    assert.ok(fromStatus(e.code, e.message) instanceof CompactedError);
  });

  it('statuses without an etcd text map by code', () => {
    assert.equal(fromStatus(status.UNAVAILABLE, 'Connection dropped').kind, 'unavailable');
    assert.equal(fromStatus(status.DEADLINE_EXCEEDED, 'Deadline exceeded').kind, 'deadline');
    assert.equal(fromStatus(status.CANCELLED, 'Call cancelled').kind, 'unavailable', 'a member reset the call');
    assert.equal(fromStatus(status.PERMISSION_DENIED, 'nope').kind, 'other');
  });
});

describe('store client: what may be retried', () => {
  const outcome = (code: status, text: string) => attemptOutcome(fromStatus(code, text));
  const catalog = (k: keyof typeof etcdErrors) => attemptOutcome(fromStatus(etcdErrors[k]().code, etcdErrors[k]().message));

  it('not applied: never connected, or refused before proposing', () => {
    assert.equal(attemptOutcome(new NotSentError('127.0.0.1:1', 'connection failed')), 'notApplied');
    assert.equal(outcome(status.UNAVAILABLE, 'No connection established. Last error: ECONNREFUSED'), 'notApplied');
    assert.equal(catalog('noLeader'), 'notApplied');
    assert.equal(catalog('tooManyRequests'), 'notApplied');
    assert.equal(catalog('notCapable'), 'notApplied');
    assert.equal(outcome(status.UNKNOWN, 'raft proposal dropped'), 'notApplied');
  });

  it('maybe applied: the request may be in the log (writes become OutcomeUnknownError)', () => {
    for (const k of ['leaderChanged', 'timeout', 'timeoutDueToLeaderFail', 'timeoutDueToConnectionLost', 'stopped'] as const) {
      assert.equal(catalog(k), 'maybeApplied', k);
    }
    assert.equal(outcome(status.UNAVAILABLE, 'Connection dropped'), 'maybeApplied');
    assert.equal(outcome(status.DEADLINE_EXCEEDED, 'Deadline exceeded'), 'maybeApplied');
    assert.equal(outcome(status.RESOURCE_EXHAUSTED, 'Bandwidth exhausted or memory limit exceeded'), 'maybeApplied');
    assert.equal(outcome(status.CANCELLED, 'Call cancelled'), 'maybeApplied', 'a server shutting down resets streams');
  });

  it('final: answers about the request itself', () => {
    for (const k of ['compacted', 'futureRevision', 'emptyKey', 'tooManyOps', 'duplicateKey', 'requestTooLarge', 'leaseNotFound', 'noSpace'] as const) {
      assert.equal(catalog(k), 'final', k);
    }
    assert.equal(outcome(status.RESOURCE_EXHAUSTED, 'grpc: received message larger than max (3145738 vs. 2097152)'), 'final');
  });
});

describe('store client: backoff', () => {
  it('stays within [ceiling/2, ceiling], doubling up to maxMs', () => {
    const rng = new Prng(7);
    for (let retry = 0; retry < 40; retry++) {
      const ceiling = Math.min(DEFAULT_BACKOFF.maxMs, DEFAULT_BACKOFF.baseMs * 2 ** retry);
      for (let i = 0; i < 50; i++) {
        const ms = backoffMs(retry, DEFAULT_BACKOFF, () => rng.float());
        assert.ok(ms >= ceiling / 2 - 0.5 && ms <= ceiling + 0.5, `retry ${retry}: ${ms} outside [${ceiling / 2}, ${ceiling}]`);
      }
    }
  });

  it('is jittered', () => {
    const rng = new Prng(1);
    const draws = new Set(Array.from({ length: 20 }, () => backoffMs(3, DEFAULT_BACKOFF, () => rng.float())));
    assert.ok(draws.size > 5);
  });
});

describe('store client: metadata and txn builder', () => {
  it('hasleader and traceparent metadata', () => {
    const md = metadataFor({ requireLeader: true, traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    assert.deepEqual(md.get('hasleader'), ['true']);
    assert.equal(md.get('traceparent').length, 1);
    assert.deepEqual(metadataFor({ requireLeader: false }).get('hasleader'), []);
    assert.throws(() => metadataFor({ requireLeader: false, traceparent: 'not-a-traceparent' }));
  });

  it('the builder is not a thenable and takes each part once', async () => {
    const sent: unknown[] = [];
    const b = new TxnBuilder(async (req, readOnly) => {
      sent.push([req, readOnly]);
      return { header: { clusterId: 0n, memberId: 0n, revision: 1, raftTerm: 0 }, revision: 1, succeeded: true, responses: [] };
    });
    assert.equal((b as unknown as { then?: unknown }).then, undefined);
    b.if(compare.modRevision('k', '=', 0)).success(op.put('k', 'v')).failure(op.get('k'));
    assert.throws(() => b.success(op.get('k')), TypeError);
    await b.commit();
    assert.equal((sent[0] as [unknown, boolean])[1], false, 'a txn with a put is not read-only');
  });

  it('a txn of reads only (nested too) is read-only', () => {
    assert.equal(op.txn([], [op.get('a')], [op.txn([], [op.get('b')])]).readOnly, true);
    assert.equal(op.txn([], [op.get('a')], [op.txn([], [op.delete('b')])]).readOnly, false);
  });

  it('EtcdClientError keeps kind, code and cause', () => {
    const cause = new Error('x');
    const e = new EtcdClientError('noLeader', status.UNAVAILABLE, 'etcdserver: no leader', { cause });
    assert.equal(e.cause, cause);
    assert.ok(e instanceof Error);
  });
});

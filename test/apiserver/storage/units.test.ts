/**
 * The storage layer's pure parts, without a store: the event ring and per-watcher views, continue
 * tokens, the codec, the compactor's round arithmetic and the error mapping.
 */
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import type { KubeObject } from '../../../src/api/meta.js';
import { nextRound } from '../../../src/apiserver/storage/compactor.js';
import {
  decodeObject,
  encodeObject,
  keyInfo,
  resourcePrefixOf,
  typeOfPrefix,
} from '../../../src/apiserver/storage/codec.js';
import { decodeContinue, encodeContinue } from '../../../src/apiserver/storage/continue-token.js';
import { EventRing, viewFor, type CacheEvent } from '../../../src/apiserver/storage/event-ring.js';
import { toStatusError } from '../../../src/apiserver/storage/storage-errors.js';
import {
  CompactedError,
  EtcdClientError,
  OutcomeUnknownError,
  type TxnResult,
} from '../../../src/store/client/index.js';

const obj = (name: string, app: string, rv: number): KubeObject => ({
  metadata: { name, labels: { app }, resourceVersion: String(rv) },
});
type EvType = CacheEvent['type'];
const ev = (type: EvType, rev: number, cur: KubeObject, prev?: KubeObject): CacheEvent => ({
  type,
  key: `/registry/pods/ns/${cur.metadata.name ?? ''}`,
  object: cur,
  prevObject: prev,
  revision: rev,
});

describe('storage units', () => {
  describe('EventRing', () => {
    it('replays the events after N while it holds all of them', () => {
      const r = new EventRing(3, 10);
      for (const rev of [11, 12, 13]) r.push(ev('ADDED', rev, obj(`o${rev}`, 'a', rev)));
      assert.deepEqual((r.since(10) as CacheEvent[]).map((e) => e.revision), [11, 12, 13]);
      assert.deepEqual((r.since(11) as CacheEvent[]).map((e) => e.revision), [12, 13]);
      assert.deepEqual(r.since(13), []);
      r.push(ev('ADDED', 14, obj('o14', 'a', 14)));
      assert.equal(r.startRevision, 11, 'dropping 11 means resuming needs ≥ 11');
      assert.equal(r.since(10), 'expired');
      assert.deepEqual((r.since(11) as CacheEvent[]).map((e) => e.revision), [12, 13, 14]);
    });

    it('a revision whose events are partly dropped cannot be resumed before', () => {
      const r = new EventRing(2, 0);
      r.push(ev('ADDED', 5, obj('a', 'x', 5)));
      r.push(ev('ADDED', 5, obj('b', 'x', 5)));
      r.push(ev('ADDED', 6, obj('c', 'x', 6)));
      assert.equal(r.since(4), 'expired');
      assert.deepEqual((r.since(5) as CacheEvent[]).map((e) => e.revision), [6]);
    });

    it('sized by time: grows while the oldest event is younger than keepMs, up to the ' +
      'maximum; halves when its newest quarter is older', () => {
      const r = new EventRing({ minEvents: 4, maxEvents: 16, keepMs: 1_000 }, 0);
      // A burst: 20 events within 100 ms. The ring doubles 4 -> 8 -> 16, then evicts.
      for (let rev = 1; rev <= 20; rev++) {
        r.push(ev('ADDED', rev, obj(`o${rev}`, 'a', rev)), rev * 5);
      }
      assert.equal(r.capacity, 16);
      assert.equal(r.startRevision, 4, 'only what exceeds the maximum is dropped');
      assert.equal((r.since(4) as CacheEvent[]).length, 16);
      // Quiet for 2 s: the next event finds the newest quarter stale and the ring halves.
      r.push(ev('ADDED', 21, obj('o21', 'a', 21)), 3_000);
      assert.equal(r.capacity, 8);
      assert.equal(r.startRevision, 13);
      assert.equal(r.since(12), 'expired');
      assert.deepEqual((r.since(13) as CacheEvent[]).map((e) => e.revision),
        [14, 15, 16, 17, 18, 19, 20, 21]);
      assert.deepEqual((r.since(19) as CacheEvent[]).map((e) => e.revision), [20, 21]);
    });

    it('refuses events out of order (a programmer error)', () => {
      const r = new EventRing(2, 10);
      assert.throws(() => r.push(ev('ADDED', 10, obj('a', 'x', 10))), /out of order/);
    });
  });

  describe('viewFor (cacher convertToWatchEvent)', () => {
    const web = (o: KubeObject) => o.metadata.labels?.app === 'web';
    it('filters by prefix', () => {
      assert.equal(viewFor(ev('ADDED', 2, obj('a', 'web', 2)), '/registry/pods/other/'), undefined);
      const added = ev('ADDED', 2, obj('a', 'web', 2));
      assert.equal(viewFor(added, '/registry/pods/ns/')?.type, 'ADDED');
    });
    it('starts matching → ADDED, keeps matching → MODIFIED, never → nothing', () => {
      const change = (from: string, to: string) =>
        viewFor(ev('MODIFIED', 3, obj('a', to, 3), obj('a', from, 2)), '/', web)?.type;
      assert.equal(change('db', 'web'), 'ADDED');
      assert.equal(change('web', 'web'), 'MODIFIED');
      assert.equal(change('db', 'db'), undefined);
    });
    it('stops matching → DELETED with the last matching state at the event revision', () => {
      const v = viewFor(ev('MODIFIED', 3, obj('a', 'db', 3), obj('a', 'web', 2)), '/', web);
      assert.equal(v?.type, 'DELETED');
      assert.equal(v?.object.metadata.labels?.app, 'web');
      assert.equal(v?.object.metadata.resourceVersion, '3');
      const d = viewFor(ev('DELETED', 4, obj('a', 'web', 4), obj('a', 'web', 3)), '/', web);
      assert.equal(d?.type, 'DELETED');
      assert.equal(d?.object.metadata.resourceVersion, '4');
    });
  });

  describe('continue tokens', () => {
    it('round-trip in upstream\'s format and refuse tampering', () => {
      const t = encodeContinue('/registry/pods/ns/b\x00', '/registry/pods/', 42);
      assert.deepEqual(JSON.parse(Buffer.from(t, 'base64url').toString()), {
        v: 'meta.k8s.io/v1',
        rv: 42,
        start: 'ns/b\x00',
      });
      const point = { key: '/registry/pods/ns/b\x00', revision: 42 };
      assert.deepEqual(decodeContinue(t, '/registry/pods/'), point);
      const forge = (body: object) => Buffer.from(JSON.stringify(body)).toString('base64url');
      const bad = [
        'not base64 json',
        forge({ v: 'other', rv: 1, start: 'a' }),
        forge({ v: 'meta.k8s.io/v1', rv: 0, start: 'a' }),
        forge({ v: 'meta.k8s.io/v1', rv: 1, start: '' }),
        forge({ v: 'meta.k8s.io/v1', rv: 1, start: '../secrets/x' }),
        forge({ v: 'meta.k8s.io/v1', rv: 1, start: '/etc' }),
      ];
      for (const b of bad) {
        assert.throws(() => decodeContinue(b, '/registry/pods/'), /invalid continue token/);
      }
      const latest = forge({ v: 'meta.k8s.io/v1', rv: -1, start: 'a' });
      assert.equal(decodeContinue(latest, '/p/').revision, -1);
    });
  });

  describe('codec', () => {
    it('stores without resourceVersion and reads it back from the revision', () => {
      const bytes = encodeObject({ kind: 'Pod', metadata: { name: 'a', resourceVersion: '9' } });
      assert.equal(bytes.toString(), '{"kind":"Pod","metadata":{"name":"a"}}');
      const back = { kind: 'Pod', metadata: { name: 'a', resourceVersion: '12' } };
      assert.deepEqual(decodeObject(bytes, 12), back);
    });
    it('reads resources and names from keys', () => {
      const gr = { group: 'apps', resource: 'deployments' };
      assert.deepEqual(keyInfo('/registry/deployments/ns/web'), { gr, name: 'web' });
      assert.equal(resourcePrefixOf('/registry/pods/default/'), '/registry/pods/');
      assert.deepEqual(typeOfPrefix('/registry/jobs/'), { kind: 'Job', apiVersion: 'batch/v1' });
    });
  });

  describe('compactor rounds (compact.go)', () => {
    const txn = (succeeded: boolean, revision: number, version = 0): TxnResult => ({
      header: { clusterId: 0n, memberId: 0n, revision, raftTerm: 1 },
      revision,
      succeeded,
      responses: succeeded ? [] : [{
        type: 'get',
        header: { clusterId: 0n, memberId: 0n, revision, raftTerm: 1 },
        revision,
        more: false,
        count: 1,
        kvs: [{
          key: Buffer.from('compact_rev_key'),
          value: Buffer.from('1'),
          createRevision: 1,
          modRevision: 1,
          version,
          lease: 0n,
        }],
      }],
    });
    it('the first won round only records; the next compacts to that record', () => {
      const r1 = nextRound({ time: 0, revision: 0 }, txn(true, 100));
      assert.deepEqual(r1, { state: { time: 1, revision: 100 } });
      const r2 = nextRound(r1.state, txn(true, 250));
      assert.deepEqual(r2, { state: { time: 2, revision: 250 }, compactTo: 100 });
    });
    it('a lost round adopts the key\'s version and compacts nothing', () => {
      const lost = nextRound({ time: 0, revision: 0 }, txn(false, 300, 5));
      assert.deepEqual(lost, { state: { time: 5, revision: 300 } });
    });
  });

  describe('store errors as Statuses', () => {
    it('unavailable is 503, timeouts and unknown outcomes 500, compaction 410', () => {
      const e = (kind: ConstructorParameters<typeof EtcdClientError>[0], msg: string) =>
        new EtcdClientError(kind, status.UNAVAILABLE, msg);
      assert.equal(toStatusError(e('noLeader', 'etcdserver: no leader')).code, 503);
      assert.equal(toStatusError(e('unavailable', 'connection refused')).code, 503);
      const t = toStatusError(e('timeout', 'etcdserver: request timed out'));
      const want = [500, 'InternalError', 'etcdserver: request timed out'];
      assert.deepEqual([t.code, t.reason, t.message], want);
      const u = toStatusError(new OutcomeUnknownError('Put /registry/pods/a: deadline'));
      assert.equal(u.code, 500);
      assert.match(u.message, /may or may not have been applied/);
      assert.equal(toStatusError(new CompactedError('compacted', 5)).code, 410);
      assert.equal(toStatusError(e('futureRevision', 'x')).code, 504);
    });
  });
});

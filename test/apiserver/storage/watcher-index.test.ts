import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/meta.js';
import type { CacheWatcher } from '../../../src/apiserver/storage/cache-watcher.js';
import type { CacheEvent } from '../../../src/apiserver/storage/event-ring.js';
import type { WatchTrigger } from '../../../src/apiserver/storage/types.js';
import { WatcherIndex } from '../../../src/apiserver/storage/watcher-index.js';

/** The watch cache's watcher index (pure): which watchers an event is offered to. */
describe('watch cache: watchers indexed by their selector\'s exact field (triggers)', () => {
  const pod = (name: string, node?: string): KubeObject =>
    ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, ...(node !== undefined ? { spec: { nodeName: node } } : {}) }) as KubeObject;
  const fieldsOf = (o: KubeObject): Record<string, string> =>
    ({ 'metadata.name': o.metadata.name ?? '', 'spec.nodeName': (o as { spec?: { nodeName?: string } }).spec?.nodeName ?? '' });
  const trigger = (field: string, value: string): WatchTrigger => ({ field, value, fieldsOf });
  const w = (name: string) => ({ name }) as unknown as CacheWatcher;
  const names = (ws: CacheWatcher[]) => ws.map((x) => (x as unknown as { name: string }).name).sort();
  const ev = (object: KubeObject, prevObject?: KubeObject): CacheEvent =>
    ({ type: prevObject ? 'MODIFIED' : 'ADDED', key: `/registry/pods/default/${object.metadata.name ?? ''}`, object, prevObject, revision: 2 });

  it('offers an event to untriggered watchers and to those demanding the old or new value only', () => {
    const idx = new WatcherIndex();
    idx.add(w('all'));
    idx.add(w('n1'), trigger('spec.nodeName', 'n1'));
    idx.add(w('n2'), trigger('spec.nodeName', 'n2'));
    idx.add(w('pending'), trigger('spec.nodeName', ''));
    idx.add(w('byname'), trigger('metadata.name', 'a'));
    assert.deepEqual(names(idx.forEvent(ev(pod('a')))), ['all', 'byname', 'pending']);
    // A bind moves the pod from "pending" (leaves its view) to n1 (enters it).
    assert.deepEqual(names(idx.forEvent(ev(pod('b', 'n1'), pod('b')))), ['all', 'n1', 'pending']);
    assert.deepEqual(names(idx.forEvent(ev(pod('c', 'n2'), pod('c', 'n2')))), ['all', 'n2']);
    assert.equal(idx.size, 5);
  });

  it('forgets watchers on delete, emptying their buckets', () => {
    const idx = new WatcherIndex();
    const a = w('n1-a');
    const b = w('n1-b');
    idx.add(a, trigger('spec.nodeName', 'n1'));
    idx.add(b, trigger('spec.nodeName', 'n1'));
    idx.delete(a);
    assert.deepEqual(names(idx.forEvent(ev(pod('x', 'n1')))), ['n1-b']);
    idx.delete(b);
    assert.deepEqual(idx.forEvent(ev(pod('x', 'n1'))), []);
    assert.equal(idx.size, 0);
    assert.deepEqual(idx.all(), []);
  });
});

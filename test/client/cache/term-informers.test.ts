/**
 * TermInformers: a term's handlers come and go with the term while the shared informer and its
 * cache stay; the next term is replayed the cache (as adds) without a second list.
 */
import assert from 'node:assert/strict';
import { SharedInformerFactory } from '../../../src/client/cache/factory.js';
import { TermInformers } from '../../../src/client/cache/term-informers.js';
import { SimClock } from '../../../src/sim/clock.js';
import { cm, page, ScriptedApi } from './fake-api.js';

const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps' };

async function turn(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

describe('TermInformers', () => {
  it('removes a term\'s handlers at its end; the next term gets the cache replayed, no relist', async () => {
    const s = new ScriptedApi();
    s.lists.push([page('10', [cm('a', '5')])]);
    s.watches.push({ events: [], end: 'open' });
    const shared = new SharedInformerFactory(s.api, { clock: new SimClock() });
    const term1 = new TermInformers(shared);
    const seen1: string[] = [];
    term1.informerFor(CONFIGMAPS).addHandlers({ add: (o) => seen1.push(o.metadata.name ?? '') });
    term1.start();
    await term1.waitForSync();
    assert.deepEqual(seen1, ['a']);
    term1.stop();
    const term2 = new TermInformers(shared);
    const seen2: string[] = [];
    const inf = term2.informerFor(CONFIGMAPS);
    inf.addHandlers({ add: (o) => seen2.push(o.metadata.name ?? '') });
    assert.deepEqual(seen2, ['a'], 'the cache is replayed to the new term');
    assert.equal(s.listCalls.length, 1, 'one list for both terms');
    assert.ok(inf.hasSynced());
    term2.stop();
    term2.informerFor(CONFIGMAPS).addHandlers({ add: () => assert.fail('a stopped term registers nothing') });
    await turn();
    assert.deepEqual(seen1, ['a'], 'term 1 saw nothing after its end');
    shared.stop();
  });
});

/**
 * WriteLanes: Lease writes pass while every workload seat is taken; workload writes wait in
 * order for a seat, and past the queue they are refused with 429 (nothing run).
 */
import assert from 'node:assert/strict';
import { StatusError } from '../../../src/api/errors.js';
import { findResource, type ResourceInfo } from '../../../src/api/resources.js';
import { WriteLanes } from '../../../src/apiserver/grpc/write-lanes.js';

const PODS = findResource('', 'v1', 'pods') as ResourceInfo;
const LEASES = findResource('coordination.k8s.io', 'v1', 'leases') as ResourceInfo;

function gate(): { p: Promise<void>; open(): void } {
  let open = (): void => {};
  const p = new Promise<void>((r) => (open = r));
  return { p, open };
}

describe('component API write lanes', () => {
  it('a Lease write runs at once while all workload seats are busy; waiters run in order', async () => {
    const lanes = new WriteLanes(2, 10);
    const g = gate();
    const order: string[] = [];
    const busy = [1, 2].map((i) => lanes.run(PODS, async () => { await g.p; order.push(`busy${i}`); }));
    const queued = [3, 4].map((i) => lanes.run(PODS, async () => { order.push(`queued${i}`); }));
    await lanes.run(LEASES, async () => { order.push('lease'); });
    assert.deepEqual(order, ['lease']);
    g.open();
    await Promise.all([...busy, ...queued]);
    assert.deepEqual(order, ['lease', 'busy1', 'busy2', 'queued3', 'queued4']);
  });

  it('past the queue a workload write is 429 TooManyRequests and does not run', async () => {
    const lanes = new WriteLanes(1, 1);
    const g = gate();
    const first = lanes.run(PODS, () => g.p);
    const second = lanes.run(PODS, async () => {});
    let ran = false;
    await assert.rejects(lanes.run(PODS, async () => { ran = true; }), (err: unknown) =>
      err instanceof StatusError && err.status.code === 429 && err.status.reason === 'TooManyRequests');
    assert.equal(ran, false);
    g.open();
    await Promise.all([first, second]);
  });
});

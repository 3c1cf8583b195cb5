import assert from 'node:assert/strict';
import { ENTRY_POINTS, type Component } from '../../src/cluster/build/entry-points.js';
import { bundleLaunch, componentNodeArgs, TSX_LAUNCH } from '../../src/cluster/build/launch.js';

/** What node arguments each component starts with (both launches). */
describe('launch: node arguments per component', () => {
  const all = Object.keys(ENTRY_POINTS) as Component[];
  const budget = (c: Component): string | undefined =>
    componentNodeArgs(c).find((a) => a.startsWith('--interrupt-budget='));

  it('gives every component --single-threaded-gc', () => {
    for (const c of all) assert.ok(componentNodeArgs(c).includes('--single-threaded-gc'), c);
  });

  it('optimizes late in the node agents only, not in the store, API servers or controllers', () => {
    for (const c of ['kubelet', 'runtime', 'proxy'] as const) {
      assert.equal(budget(c), '--interrupt-budget=1081344', c);
    }
    for (const c of ['store', 'apiserver', 'scheduler', 'controller-manager', 'hollow'] as const) {
      assert.equal(budget(c), undefined, c);
    }
  });

  it('puts the same arguments before the entry in both launches', () => {
    for (const c of all) {
      const tsx = TSX_LAUNCH.nodeArgs(c);
      const bundled = bundleLaunch('/b').nodeArgs(c);
      assert.deepEqual(tsx.slice(0, componentNodeArgs(c).length), [...componentNodeArgs(c)], c);
      assert.deepEqual(bundled.slice(0, -1), [...componentNodeArgs(c)], c);
    }
  });
});

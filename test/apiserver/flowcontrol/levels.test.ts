/**
 * Classification into priority levels and flows, and the split of seats between levels.
 */
import assert from 'node:assert/strict';
import { findResource, type ResourceInfo } from '../../../src/api/resources.js';
import { classify, LEVELS, nominalSeats } from '../../../src/apiserver/flowcontrol/levels.js';

const res = (group: string, version: string, resource: string): ResourceInfo =>
  findResource(group, version, resource) ?? assert.fail(`no ${resource}`);
const PODS = res('', 'v1', 'pods');
const NODES = res('', 'v1', 'nodes');
const LEASES = res('coordination.k8s.io', 'v1', 'leases');
const DEPLOYMENTS = res('apps', 'v1', 'deployments');

const user = (name: string, ...groups: string[]): { name: string; groups: string[] } =>
  ({ name, groups: [...groups, 'system:authenticated'] });

describe('flow control: classification', () => {
  it('puts each caller where upstream\'s suggested FlowSchemas put it', () => {
    const node = user('system:node:w1', 'system:nodes');
    const cases: [ReturnType<typeof user>, ResourceInfo, string][] = [
      [user('kubernetes-admin', 'system:masters'), DEPLOYMENTS, 'exempt'],
      [node, LEASES, 'exempt'],
      [user('system:kube-scheduler'), LEASES, 'exempt'],
      [node, NODES, 'node-high'],
      [node, PODS, 'system'],
      [user('system:kube-scheduler'), PODS, 'workload-high'],
      [user('system:kube-controller-manager'), PODS, 'workload-high'],
      [user('system:serviceaccount:ci:bot', 'system:serviceaccounts'), PODS, 'workload-low'],
      [user('alice'), DEPLOYMENTS, 'global-default'],
    ];
    for (const [u, r, level] of cases) {
      assert.deepEqual(classify({ user: u, resource: r }), { level, flow: u.name },
        `${u.name} writing ${r.resource}`);
    }
  });

  it('gives every queuing level at least one seat and shares the total by weight', () => {
    for (const total of [1, 7, 32, 200]) {
      const seats = nominalSeats(total);
      assert.deepEqual([...seats.keys()], LEVELS.filter((l) => l.shares > 0).map((l) => l.name));
      for (const n of seats.values()) assert.ok(n >= 1);
      const sum = [...seats.values()].reduce((a, b) => a + b, 0);
      assert.ok(sum >= total && sum <= total + seats.size, `${total}: ${sum}`);
    }
    assert.equal(nominalSeats(230).get('workload-low'), 100);
  });
});

/**
 * The ServiceAccount controller: planServiceAccounts (pure), and the controller against a real
 * in-process API server — every namespace gets "default", a deleted one comes back.
 */
import assert from 'node:assert/strict';
import type { Namespace } from '../../../src/api/core/v1/cluster-kinds.js';
import type { ServiceAccount } from '../../../src/api/core/v1/service-account.js';
import { NAMESPACES, SERVICE_ACCOUNTS } from '../../../src/controllers/base/resources.js';
import { serviceAccountController } from '../../../src/controllers/serviceaccount/controller.js';
import { planServiceAccounts } from '../../../src/controllers/serviceaccount/plan.js';
import {
  gone,
  startControllerHarness,
  until,
  type ControllerHarness,
} from '../../support/controllers.js';


function ns(name: string, o: { terminating?: boolean } = {}): Namespace {
  return {
    apiVersion: 'v1', kind: 'Namespace',
    metadata: { name, ...(o.terminating ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    status: { phase: o.terminating ? 'Terminating' : 'Active' },
  };
}

function sa(namespace: string, name: string): ServiceAccount {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { namespace, name } };
}

describe('serviceaccount plan (pure)', () => {
  it('an active namespace without "default" gets it', () => {
    assert.deepEqual(planServiceAccounts(ns('a'), [sa('a', 'builder')]), [
      { type: 'create', serviceAccount: sa('a', 'default') }]);
  });

  it('nothing when it exists, the namespace terminates, or it is gone', () => {
    assert.deepEqual(planServiceAccounts(ns('a'), [sa('a', 'default')]), []);
    assert.deepEqual(planServiceAccounts(ns('a', { terminating: true }), []), []);
    const markedOnly = ns('a');
    markedOnly.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    assert.deepEqual(planServiceAccounts(markedOnly, []), []);
    assert.deepEqual(planServiceAccounts(undefined, []), []);
  });
});

describe('serviceaccount controller (real API server)', function () {
  this.timeout(30_000);
  let h: ControllerHarness;

  before(async function () {
    this.timeout(60_000);
    h = await startControllerHarness([serviceAccountController]);
  });
  after(async () => {
    await h?.stop();
  });

  const defaultSa = (namespace: string): Promise<ServiceAccount> =>
    h.api.get<ServiceAccount>(SERVICE_ACCOUNTS, namespace, 'default');
  const exists = async (namespace: string): Promise<boolean> =>
    !(await gone(() => defaultSa(namespace)));

  it('the bootstrap namespaces and a new namespace get "default"', async () => {
    for (const n of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      await until(() => exists(n), `default service account in ${n}`);
    }
    await h.api.create(NAMESPACES, undefined, ns('team-a'));
    await until(() => exists('team-a'), 'default service account in team-a');
  });

  it('a deleted "default" is created again', async () => {
    await until(() => exists('team-a'), 'default service account in team-a');
    const before = await defaultSa('team-a');
    await h.api.delete(SERVICE_ACCOUNTS, 'team-a', 'default');
    await until(async () => {
      try {
        return (await defaultSa('team-a')).metadata.uid !== before.metadata.uid;
      } catch {
        return false;
      }
    }, 're-created default service account');
  });
});

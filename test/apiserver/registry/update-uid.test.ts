/**
 * A uid in an update's body is a precondition, as in kube-apiserver: an update written for an
 * object that has since been deleted and recreated under the same name is 409 Conflict with
 * upstream's message, and the new object is left untouched. (The kubelet's status manager relies
 * on it: a status meant for a force-deleted pod must never land on its successor.)
 */
import assert from 'node:assert/strict';
import type { ConfigMap } from '../../../src/api/core/v1/config.js';
import { useApiCluster } from '../../support/apiserver.js';
import { rejection } from '../../support/status.js';

const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps' };

describe('update with metadata.uid', function () {
  this.timeout(30_000);
  const fx = useApiCluster();

  it('refuses an update for an older incarnation of the object with 409 and writes nothing', async () => {
    const cm = (name: string, v: string): ConfigMap => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { v } });
    const old = await fx.api.create<ConfigMap>(CONFIGMAPS, 'default', cm('same-name', 'old'));
    await fx.api.delete(CONFIGMAPS, 'default', 'same-name');
    const fresh = await fx.api.create<ConfigMap>(CONFIGMAPS, 'default', cm('same-name', 'new'));
    const stale = { ...old, metadata: { ...old.metadata, resourceVersion: undefined }, data: { v: 'stale' } };
    const err = await rejection(fx.api.update(CONFIGMAPS, 'default', stale));
    assert.equal(err.code, 409);
    assert.match(err.message, new RegExp(`Precondition failed: UID in precondition: ${old.metadata.uid ?? ''}, UID in object meta: ${fresh.metadata.uid ?? ''}`));
    assert.equal((await fx.api.get<ConfigMap>(CONFIGMAPS, 'default', 'same-name')).data?.v, 'new');
    const right = { ...fresh, metadata: { ...fresh.metadata, resourceVersion: undefined }, data: { v: 'newer' } };
    assert.equal((await fx.api.update<ConfigMap>(CONFIGMAPS, 'default', right)).data?.v, 'newer');
  });
});

/**
 * The manager of a write that names no fieldManager: upstream's prefixFromUserAgent of the
 * request's User-Agent, for creates and updates alike, never 'unknown' and never the manager of
 * whoever wrote the object last.
 */
import assert from 'node:assert/strict';
import type { KubeObject, ManagedFieldsEntry } from '../../../src/api/meta.js';
import { findResource, type ResourceInfo } from '../../../src/api/resources.js';
import { Allocator, parseCidr } from '../../../src/apiserver/registry/allocator.js';
import { managerOfUserAgent } from '../../../src/apiserver/registry/manager-name.js';
import { Registry } from '../../../src/apiserver/registry/registry.js';
import { ServiceAddresses } from '../../../src/apiserver/registry/services.js';
import type { RequestContext } from '../../../src/apiserver/registry/types.js';
import { MemoryStorage } from '../../../src/sim/control-plane/memory-storage.js';

/** The header as node hands it over: each byte of the UTF-8 text one latin1 character. */
function wire(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

describe('managerOfUserAgent (upstream prefixFromUserAgent)', () => {
  it('takes the part before the first slash', () => {
    assert.equal(managerOfUserAgent('foo/1.0'), 'foo');
    assert.equal(managerOfUserAgent('kubelet/v1.32.0+k8ts (linux/amd64) k8ts'), 'kubelet');
    assert.equal(managerOfUserAgent('kubectl/v1.32.2 (linux/amd64) kubernetes/67a30c0'), 'kubectl');
    assert.equal(managerOfUserAgent('Go-http-client/1.1'), 'Go-http-client');
    assert.equal(managerOfUserAgent('no slash at all'), 'no slash at all');
    assert.equal(managerOfUserAgent('/leading'), '');
  });

  it('is empty without a user agent, as upstream (no made-up name)', () => {
    assert.equal(managerOfUserAgent(undefined), '');
    assert.equal(managerOfUserAgent(''), '');
  });

  it('drops unprintable characters and keeps printable non-ASCII ones', () => {
    assert.equal(managerOfUserAgent('fo\u0001o\u007f\t/1'), 'foo');
    assert.equal(managerOfUserAgent(wire('café-büro/2')), 'café-büro');
    // An invalid UTF-8 byte reads as U+FFFD, which Go's unicode.IsPrint keeps.
    assert.equal(managerOfUserAgent('a\u00ffb/1'), 'a\ufffdb');
    // U+00A0 (no-break space) is not printable to Go; the ASCII space is.
    assert.equal(managerOfUserAgent(wire('a\u00a0b c/1')), 'ab c');
  });

  it('answers upstream\'s TestManagerOrUserAgent cases', () => {
    const browser = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) ' +
      'Chrome/72.0.3626.121 Safari/537.36';
    assert.equal(managerOfUserAgent(browser), 'Mozilla');
    assert.equal(managerOfUserAgent(`${'f'.repeat(129)}/Something`), 'f'.repeat(128));
    // 4-byte characters: 32 fit in 128 bytes.
    assert.equal(managerOfUserAgent(wire('\u{1f354}'.repeat(60))), '\u{1f354}'.repeat(32));
  });

  it('stops at 128 bytes without splitting a character', () => {
    assert.equal(managerOfUserAgent('a'.repeat(200)), 'a'.repeat(128));
    assert.equal(managerOfUserAgent(`${'a'.repeat(128)}/v1`), 'a'.repeat(128));
    // 'é' is 2 bytes: 64 fit; with one ASCII byte first, 63 do (the 64th would make 129).
    assert.equal(managerOfUserAgent(wire('é'.repeat(70))), 'é'.repeat(64));
    assert.equal(managerOfUserAgent(wire(`x${'é'.repeat(70)}`)), `x${'é'.repeat(63)}`);
  });
});

const PODS = resource('pods');
const NAMESPACES = resource('namespaces');

function resource(name: string): ResourceInfo {
  const r = findResource('', 'v1', name);
  assert.ok(r);
  return r;
}

function as(userAgent?: string): RequestContext {
  return { user: { name: 'test', groups: ['system:masters'] }, ...(userAgent !== undefined ? { userAgent } : {}) };
}

function managers(mf: ManagedFieldsEntry[] | undefined): string[] {
  return (mf ?? []).map((e) => `${e.manager}:${e.operation}:${e.subresource ?? ''}`).sort();
}

describe('registry: a write without fieldManager is recorded under its user agent', () => {
  async function registry(): Promise<Registry> {
    const storage = new MemoryStorage();
    let uid = 0;
    const r = new Registry({
      storage, wallMs: () => Date.parse('2026-01-01T00:00:00Z'), newUid: () => `uid-${++uid}`,
      random: () => 0.5, services: new ServiceAddresses(new Allocator(storage, parseCidr('127.96.0.0/16'))),
    });
    await r.create(as(), NAMESPACES, undefined,
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns' } } as KubeObject, {});
    return r;
  }
  const pod = (): KubeObject => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
  } as KubeObject);

  it('create, update and status update each name their own writer', async () => {
    const reg = await registry();
    const created = (await reg.create(as('kube-controller-manager/v1.32.0+k8ts (linux/amd64) k8ts'),
      PODS, 'ns', pod(), {})).object;
    assert.deepEqual(managers(created.metadata.managedFields), ['kube-controller-manager:Update:']);

    const labelled = structuredClone(created);
    labelled.metadata.labels = { a: 'b' };
    const updated = (await reg.update(as('foo/1.0'), PODS, 'ns', 'p', labelled, {})).object;
    assert.deepEqual(managers(updated.metadata.managedFields),
      ['foo:Update:', 'kube-controller-manager:Update:']);
    const foo = updated.metadata.managedFields?.find((e) => e.manager === 'foo');
    assert.deepEqual(foo?.fieldsV1, { 'f:metadata': { 'f:labels': { '.': {}, 'f:a': {} } } });

    // Before: the kubelet's status write was filed under the last entry's manager.
    const status = { ...updated, status: { phase: 'Running' } } as KubeObject;
    const out = (await reg.update(as('kubelet/v1.32.0+k8ts (linux/amd64) k8ts'), PODS, 'ns', 'p',
      status, { subresource: 'status' })).object;
    assert.deepEqual(managers(out.metadata.managedFields),
      ['foo:Update:', 'kube-controller-manager:Update:', 'kubelet:Update:status']);

    // An explicit fieldManager still wins over the user agent.
    const named = structuredClone(out);
    named.metadata.labels = { a: 'b', e: 'f' };
    const edited = (await reg.update(as('kubectl/v1.32.2'), PODS, 'ns', 'p', named,
      { fieldManager: 'kubectl-edit' })).object;
    assert.deepEqual(managers(edited.metadata.managedFields),
      ['foo:Update:', 'kube-controller-manager:Update:', 'kubectl-edit:Update:', 'kubelet:Update:status']);
  });

  it('a request without a user agent is recorded under the empty manager, as upstream', async () => {
    const reg = await registry();
    const created = (await reg.create(as(), PODS, 'ns', pod(), {})).object;
    // manager is omitempty upstream: the empty manager's entry carries no manager key.
    const mf = created.metadata.managedFields ?? [];
    assert.equal(mf.length, 1);
    assert.equal('manager' in mf[0]!, false);
    assert.equal(mf[0]!.operation, 'Update');
  });
});

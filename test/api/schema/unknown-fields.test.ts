/**
 * unknownFields reports every field the kind's schema does not have, with kube-apiserver's path
 * notation (dots for fields, [i] for list items), in the body's order, and nothing for a body
 * whose fields are all known.
 */
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/meta.js';
import { unknownFields } from '../../../src/api/schema/unknown-fields.js';

function pod(extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'p', labels: { a: 'b' } },
    spec: { containers: [{ name: 'c', image: 'busybox', ports: [{ containerPort: 80 }] }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
    ...extra,
  } as KubeObject;
}

describe('api schema: unknown fields', () => {
  it('finds none in a pod whose fields are all known', () => {
    assert.deepEqual(unknownFields(pod()), []);
  });

  it('names each unknown field by its path, at any depth, in order', () => {
    const p = pod({ extraTop: 1 });
    (p.metadata as Record<string, unknown>).bogus = true;
    const spec = p.spec as { containers: Record<string, unknown>[]; replica?: number };
    spec.replica = 3;
    spec.containers.push({ name: 'd', image: 'x', imagee: 'typo', ports: [{ containerPort: 1, hostPortt: 2 }] });
    (p.status as { conditions: Record<string, unknown>[] }).conditions[0]!.why = 'x';
    assert.deepEqual(unknownFields(p), [
      'metadata.bogus',
      'spec.containers[1].imagee',
      'spec.containers[1].ports[0].hostPortt',
      'spec.replica',
      'status.conditions[0].why',
      'extraTop',
    ]);
  });

  it('does not check kinds it has no schema for', () => {
    assert.deepEqual(unknownFields({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: {},
      anything: 1 } as KubeObject), []);
  });
});

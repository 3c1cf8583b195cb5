/**
 * InterPodAffinity: required affinity (pods must share a domain; the first of a self-affine
 * group may start one), required anti-affinity, placed pods' anti-affinity against the new pod,
 * namespaces, the skip when nobody has terms, and preferred-term scoring from both sides.
 */
import assert from 'node:assert/strict';
import type { Affinity, Pod, PodAffinityTerm } from '../../../../src/api/core/v1/pod-types.js';
import { Code } from '../../../../src/scheduler/framework/status.js';
import {
  interPodAffinityPlugin,
} from '../../../../src/scheduler/plugins/inter-pod-affinity/inter-pod-affinity.js';
import { node, pod, reasonsByNode, runFilter, runScore, snapshotOf } from '../../fixtures.js';

const AFFINITY = "node(s) didn't match pod affinity rules";
const ANTI = "node(s) didn't match pod anti-affinity rules";
const EXISTING = "node(s) didn't satisfy existing pods anti-affinity rules";

function term(app: string, topologyKey = 'zone', extra: Partial<PodAffinityTerm> = {}):
  PodAffinityTerm {
  return { labelSelector: { matchLabels: { app } }, topologyKey, ...extra };
}

function withAffinity(name: string, affinity: Affinity, o: { labels?: Record<string, string>;
  nodeName?: string } = {}): Pod {
  return pod(name, { ...o, spec: { affinity } });
}

describe('scheduler plugin InterPodAffinity', () => {
  const nodes = [
    node('a', { labels: { zone: 'z1' } }),
    node('b', { labels: { zone: 'z1' } }),
    node('c', { labels: { zone: 'z2' } }),
    node('nozone'),
  ];
  const placed = [
    pod('web-1', { nodeName: 'a', labels: { app: 'web' } }),
    pod('db-1', { nodeName: 'c', labels: { app: 'db' } }),
  ];
  const filter = (p: Pod, extra: Pod[] = []): Record<string, string> =>
    reasonsByNode(runFilter(interPodAffinityPlugin(), snapshotOf(nodes, [...placed, ...extra]), p));

  it('skips pods without terms while no placed pod has any', () => {
    assert.equal(runFilter(interPodAffinityPlugin(), snapshotOf(nodes, placed), pod('p')), 'skip');
    assert.equal(runScore(interPodAffinityPlugin(), snapshotOf(nodes, placed), pod('p')), 'skip');
  });

  it('required affinity: only domains holding a matching pod; nodes without the key never', () => {
    const p = withAffinity('p', { podAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [term('db')] } });
    assert.deepEqual(filter(p), { a: AFFINITY, b: AFFINITY, c: '', nozone: AFFINITY });
    const got = runFilter(interPodAffinityPlugin(), snapshotOf(nodes, placed), p);
    assert.ok(got !== 'skip' && got.get('a')?.code === Code.UnschedulableAndUnresolvable);
  });

  it('required affinity to its own kind: the first pod may go anywhere with the key', () => {
    const p = withAffinity('p', { podAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [term('cache')] } },
      { labels: { app: 'cache' } });
    assert.deepEqual(filter(p), { a: '', b: '', c: '', nozone: AFFINITY });
    const other = withAffinity('q', { podAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [term('cache')] } });
    assert.deepEqual(filter(other), { a: AFFINITY, b: AFFINITY, c: AFFINITY, nozone: AFFINITY });
  });

  it('required anti-affinity: not in a domain holding a matching pod', () => {
    const p = withAffinity('p', { podAntiAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [term('web', 'kubernetes.io/hostname')] } });
    assert.deepEqual(filter(p), { a: ANTI, b: '', c: '', nozone: '' });
  });

  it('placed pods\' required anti-affinity keeps matching pods out of their domain', () => {
    const loner = withAffinity('loner', { podAntiAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [term('web')] } }, { nodeName: 'c' });
    assert.deepEqual(filter(pod('p', { labels: { app: 'web' } }), [loner]),
      { a: '', b: '', c: EXISTING, nozone: '' });
    assert.deepEqual(filter(pod('p', { labels: { app: 'api' } }), [loner]), { skip: 'skip' },
      'no placed term matches the pod: nothing to check');
  });

  it('terms see the pod\'s namespace unless namespaces or namespaceSelector {} widen it', () => {
    const required = (t: PodAffinityTerm): Pod => withAffinity('p', { podAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [t] } });
    const extra = [pod('db-x', { nodeName: 'a', labels: { app: 'other' }, ns: 'x' })];
    const sel = term('other');
    assert.equal(filter(required(sel), extra).a, AFFINITY, 'default: own namespace only');
    assert.equal(filter(required({ ...sel, namespaces: ['x'] }), extra).a, '');
    assert.equal(filter(required({ ...sel, namespaceSelector: {} }), extra).a, '');
  });

  it('scores preferred affinity up and preferred anti-affinity down, by domain', () => {
    const snap = snapshotOf(nodes, placed);
    const near = withAffinity('p', { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution:
      [{ weight: 50, podAffinityTerm: term('db') }] } });
    assert.deepEqual(runScore(interPodAffinityPlugin(), snap, near),
      { a: 0, b: 0, c: 100, nozone: 0 });
    const far = withAffinity('p', { podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution:
        [{ weight: 50, podAffinityTerm: term('web') }] } });
    assert.deepEqual(runScore(interPodAffinityPlugin(), snap, far),
      { a: 0, b: 0, c: 100, nozone: 100 });
  });

  it('scores by placed pods\' terms about the new pod (their required affinity counts 1)', () => {
    const fan = withAffinity('fan', { podAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [term('star')] } }, { nodeName: 'c' });
    const snap = snapshotOf(nodes, [...placed, fan]);
    const star = pod('p', { labels: { app: 'star' } });
    assert.deepEqual(runScore(interPodAffinityPlugin(), snap, star),
      { a: 0, b: 0, c: 100, nozone: 0 });
  });
});

/**
 * NodeAffinity: nodeSelector AND required terms (terms ORed, expressions ANDed; every operator;
 * matchFields on metadata.name) filter; preferred terms' weights score.
 */
import assert from 'node:assert/strict';
import type { NodeSelectorTerm, PodSpec } from '../../../../src/api/core/v1/pod-types.js';
import {
  nodeAffinityPlugin,
} from '../../../../src/scheduler/plugins/node-affinity/node-affinity.js';
import { node, pod, reasonsByNode, runFilter, runScore, snapshotOf } from '../../fixtures.js';

const MISMATCH = "node(s) didn't match Pod's node affinity/selector";

describe('scheduler plugin NodeAffinity', () => {
  const snap = snapshotOf([
    node('a', { labels: { zone: 'z1', disk: 'ssd', cores: '8' } }),
    node('b', { labels: { zone: 'z2', cores: '2' } }),
    node('c', { labels: { zone: 'z3', disk: 'hdd', cores: 'many' } }),
  ]);
  const fits = (spec: Partial<PodSpec>): string[] => {
    const got = reasonsByNode(runFilter(nodeAffinityPlugin(), snap, pod('p', { spec })));
    for (const r of Object.values(got)) assert.ok(r === '' || r === MISMATCH, r);
    return Object.keys(got).filter((k) => got[k] === '');
  };
  const required = (...terms: NodeSelectorTerm[]): Partial<PodSpec> => ({
    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution:
      { nodeSelectorTerms: terms } } },
  });

  it('skips pods with neither nodeSelector nor required affinity', () => {
    assert.equal(runFilter(nodeAffinityPlugin(), snap, pod('p')), 'skip');
  });

  it('filters by spec.nodeSelector', () => {
    assert.deepEqual(fits({ nodeSelector: { disk: 'ssd' } }), ['a']);
  });

  it('supports every matchExpressions operator', () => {
    const one = (operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt',
      key: string, values?: string[]): string[] =>
      fits(required({ matchExpressions: [{ key, operator, ...(values ? { values } : {}) }] }));
    assert.deepEqual(one('In', 'zone', ['z1', 'z3']), ['a', 'c']);
    assert.deepEqual(one('NotIn', 'disk', ['ssd']), ['b', 'c'], 'NotIn matches a missing label');
    assert.deepEqual(one('Exists', 'disk'), ['a', 'c']);
    assert.deepEqual(one('DoesNotExist', 'disk'), ['b']);
    assert.deepEqual(one('Gt', 'cores', ['4']), ['a'], 'a non-integer label never matches Gt');
    assert.deepEqual(one('Lt', 'cores', ['4']), ['b']);
  });

  it('ORs terms, ANDs a term\'s requirements, and matches fields on metadata.name', () => {
    assert.deepEqual(fits(required(
      { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] },
        { key: 'disk', operator: 'In', values: ['hdd'] }] },
      { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['b'] }] },
    )), ['b']);
    assert.deepEqual(fits(required({})), [], 'an empty term matches nothing');
  });

  it('ANDs nodeSelector with required affinity', () => {
    const spec = { ...required({ matchExpressions: [{ key: 'disk', operator: 'Exists' }] }),
      nodeSelector: { zone: 'z3' } };
    assert.deepEqual(fits(spec), ['c']);
  });

  it('scores preferred terms by their weights, normalized to 100', () => {
    const spec: Partial<PodSpec> = { affinity: { nodeAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 10, preference: { matchExpressions: [{ key: 'disk', operator: 'Exists' }] } },
        { weight: 30, preference: { matchExpressions: [{ key: 'zone', operator: 'In',
          values: ['z3'] }] } },
      ] } } };
    assert.deepEqual(runScore(nodeAffinityPlugin(), snap, pod('p', { spec })),
      { a: 25, b: 0, c: 100 });
    assert.equal(runScore(nodeAffinityPlugin(), snap, pod('p')), 'skip');
  });
});

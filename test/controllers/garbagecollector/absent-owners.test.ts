/**
 * AbsentOwners: owners proved gone, remembered by coordinates and uid, bounded (LRU).
 */
import assert from 'node:assert/strict';
import { AbsentOwners } from '../../../src/controllers/garbagecollector/absent-owners.js';
import type { Coordinates } from '../../../src/controllers/garbagecollector/refs.js';
import { res } from './fixtures.js';

function at(ns: string, name: string): Coordinates {
  return { resource: res('replicasets'), namespace: ns, name };
}

describe('garbage collector absent owners', () => {
  it('remembers a uid at its coordinates only', () => {
    const a = new AbsentOwners();
    a.add(at('b', 'rs'), 'uid-1');
    assert.equal(a.has(at('b', 'rs'), 'uid-1'), true);
    assert.equal(a.has(at('a', 'rs'), 'uid-1'), false, 'absent in b says nothing about a');
    assert.equal(a.has(at('b', 'rs'), 'uid-2'), false, 'another uid at the same name');
  });

  it('forgets the least recently used entry beyond its bound', () => {
    const a = new AbsentOwners(2);
    a.add(at('d', 'x'), '1');
    a.add(at('d', 'y'), '2');
    assert.equal(a.has(at('d', 'x'), '1'), true); // x is now the most recently used
    a.add(at('d', 'z'), '3');
    assert.equal(a.size(), 2);
    assert.equal(a.has(at('d', 'y'), '2'), false);
    assert.equal(a.has(at('d', 'x'), '1'), true);
    assert.equal(a.has(at('d', 'z'), '3'), true);
  });
});

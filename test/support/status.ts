/**
 * rejection: the one assertion every API test needs — the call fails, with a Kubernetes Status
 * (a StatusError, from the registry directly or rebuilt by a client from the wire).
 */
import assert from 'node:assert/strict';
import { StatusError } from '../../src/api/errors.js';

/** rejection asserts that p rejects with a StatusError and returns it. */
export async function rejection(p: Promise<unknown>): Promise<StatusError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof StatusError, `expected a StatusError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the call to fail');
}

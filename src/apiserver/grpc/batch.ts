/**
 * The shape every batch call of the component API shares (BindBatch, CreateBatch): several
 * writes in one call, to save the HTTP/2 stream each would open — headers, frames, trailers and
 * the promise chain around them cost a busy caller and its API server more CPU than a small
 * write itself. Nothing else is shared: each write takes the path its single call takes (its own
 * checks, flow-control seat and store transaction), all of them at once, and each gets its own
 * result, so one refused write fails alone.
 */
import { badRequest, isStatusError } from '../../api/errors.js';
import { assert } from '../../base/assert.js';
import { statusJson, statusOfError } from '../../rpc/kube-status.js';
import { describe } from './call.js';

/** MAX_WRITES_PER_BATCH bounds one batch call's writes (the clients send at most 128). */
export const MAX_WRITES_PER_BATCH = 256;

/** Outcome of one write of a batch: its value, or the Status it failed with (as JSON). */
export type Outcome<R> = { ok: true; value: R } | { ok: false; statusJson: Buffer };

/**
 * eachAlone runs one(item) for every item, at most parallelMax at once, and answers one outcome
 * per item, in order. Errors that are not a StatusError are bugs or store trouble: logged, and
 * answered as a 500 Status, as the single call's would be. More than MAX_WRITES_PER_BATCH items
 * is 400.
 */
export async function eachAlone<Q, R>(
  method: string,
  items: readonly Q[],
  one: (q: Q) => Promise<R>,
  log: (line: string) => void,
  parallelMax = MAX_WRITES_PER_BATCH,
): Promise<Outcome<R>[]> {
  if (items.length > MAX_WRITES_PER_BATCH) {
    throw badRequest(`${method}: ${items.length} writes; at most ${MAX_WRITES_PER_BATCH}`);
  }
  assert(parallelMax >= 1, 'eachAlone: parallelMax must be ≥ 1');
  const out: Outcome<R>[] = new Array<Outcome<R>>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) {
      try {
        out[i] = { ok: true, value: await one(items[i]!) };
      } catch (err) {
        if (!isStatusError(err)) log(`api ${method}: ${describe(err)}`);
        out[i] = { ok: false, statusJson: statusJson(statusOfError(err)) };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallelMax, items.length) }, worker));
  return out;
}

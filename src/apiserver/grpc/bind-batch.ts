/**
 * BindBatch: several pods/binding writes in one component API call (the shape of every batch
 * call: batch.ts). A scheduler binding hundreds of pods a second otherwise opens one HTTP/2
 * stream per bind. Each bind is checked (bindTarget), admitted (its own flow-control seat) and
 * stored (its own transaction) exactly as a Bind call's is, and gets its own result.
 */
import type { BindBatchRequest, BindBatchResponse, BindRequest } from '../../gen/k8ts/api/v1/api.js';
import { eachAlone } from './batch.js';
import { bindTarget } from './requests.js';

/** A successful bind's result: no Status. */
const OK = Buffer.alloc(0);

/** bindBatch runs every bind of q through bindOne (the same path a Bind call takes). */
export async function bindBatch(
  q: BindBatchRequest,
  bindOne: (b: BindRequest) => Promise<void>,
  log: (line: string) => void,
): Promise<BindBatchResponse> {
  const outcomes = await eachAlone('BindBatch', q.binds, (b) => bindOne(bindTarget(b)), log);
  return { results: outcomes.map((o) => ({ statusJson: o.ok ? OK : o.statusJson })) };
}

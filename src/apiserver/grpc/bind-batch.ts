/**
 * BindBatch: several pods/binding writes in one component API call. A scheduler binding hundreds
 * of pods a second otherwise opens one HTTP/2 stream per bind, and the stream (headers, frames,
 * trailers, the promise chain around them) cost the scheduler and its API server more CPU than
 * the bind itself. Nothing else is shared: each bind is checked (bindTarget), admitted (its own
 * flow-control seat) and stored (its own transaction) exactly as a Bind call's is, all of them at
 * once, and each gets its own result — a refused bind fails alone.
 */
import { badRequest, isStatusError } from '../../api/errors.js';
import type {
  BindBatchRequest, BindBatchResponse, BindRequest, BindResult,
} from '../../gen/k8ts/api/v1/api.js';
import { statusJson, statusOfError } from '../../rpc/kube-status.js';
import { describe } from './call.js';
import { bindTarget } from './requests.js';

/** MAX_BINDS_PER_BATCH bounds one call's binds (the scheduler sends at most 128). */
export const MAX_BINDS_PER_BATCH = 256;

/** A successful bind's result: no Status. */
const OK = Buffer.alloc(0);

/**
 * bindBatch runs every bind of q through bindOne (the same path a Bind call takes) concurrently
 * and answers one result per bind, in order. Errors that are not a StatusError are bugs or store
 * trouble: logged, and answered as a 500 Status, as a Bind call's would be.
 */
export async function bindBatch(
  q: BindBatchRequest,
  bindOne: (b: BindRequest) => Promise<void>,
  log: (line: string) => void,
): Promise<BindBatchResponse> {
  if (q.binds.length > MAX_BINDS_PER_BATCH) {
    throw badRequest(`BindBatch: ${q.binds.length} binds; at most ${MAX_BINDS_PER_BATCH}`);
  }
  const results = await Promise.all(q.binds.map(async (b): Promise<BindResult> => {
    try {
      await bindOne(bindTarget(b));
      return { statusJson: OK };
    } catch (err) {
      if (!isStatusError(err)) log(`api BindBatch: ${describe(err)}`);
      return { statusJson: statusJson(statusOfError(err)) };
    }
  }));
  return { results };
}

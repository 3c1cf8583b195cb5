/**
 * BindBatch and CreateBatch: several pods/binding writes, or creates, in one component API call
 * (the shape of every batch call: batch.ts). A scheduler binding hundreds of pods a second, or
 * an event sink with a queue of Events, otherwise opens one HTTP/2 stream per write. Each write
 * is checked, admitted (its own flow-control seat) and stored (its own transaction) exactly as
 * its single call's is, and gets its own result.
 */
import type {
  BindBatchRequest, BindBatchResponse, BindRequest, CreateBatchRequest, CreateBatchResponse,
  CreateRequest,
} from '../../gen/k8ts/api/v1/api.js';
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

/**
 * createBatch runs every create of q through createOne (the same path a Create call takes) and
 * answers each one's stored object or Status. A create's warnings are not answered: the batch
 * is for writers that ignore them (an event sink).
 */
export async function createBatch(
  q: CreateBatchRequest,
  createOne: (c: CreateRequest) => Promise<Buffer>,
  log: (line: string) => void,
): Promise<CreateBatchResponse> {
  const outcomes = await eachAlone('CreateBatch', q.creates, createOne, log);
  return {
    results: outcomes.map((o) => o.ok ? { objectJson: o.value, statusJson: OK }
      : { objectJson: OK, statusJson: o.statusJson }),
  };
}

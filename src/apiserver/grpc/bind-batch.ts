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
 * CREATE_BATCH_PARALLEL: a CreateBatch's creates in flight at once. Each create takes its own
 * flow-control seat, in its caller's flow — the same flow as that caller's urgent writes (a
 * kubelet's pod statuses, the scheduler's binds), which wait behind it first in, first out. All
 * of a 100-Event batch at once held every seat of the level and queued a burst's status writes
 * behind Events; a one-at-a-time sink (upstream's) holds one. A few keep the batch's store
 * round trips overlapped without crowding out the writes it describes.
 */
export const CREATE_BATCH_PARALLEL = 4;

/**
 * createBatch runs every create of q through createOne (the same path a Create call takes),
 * CREATE_BATCH_PARALLEL at once, and answers each one's stored object or Status. A create's
 * warnings are not answered: the batch is for writers that ignore them (an event sink).
 */
export async function createBatch(
  q: CreateBatchRequest,
  createOne: (c: CreateRequest) => Promise<Buffer>,
  log: (line: string) => void,
): Promise<CreateBatchResponse> {
  const outcomes = await eachAlone('CreateBatch', q.creates, createOne, log,
    CREATE_BATCH_PARALLEL);
  return {
    results: outcomes.map((o) => o.ok ? { objectJson: o.value, statusJson: OK }
      : { objectJson: OK, statusJson: o.statusJson }),
  };
}

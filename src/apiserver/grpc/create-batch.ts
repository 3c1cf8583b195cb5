/**
 * CreateBatch: several creates in one component API call (the shape of every batch call:
 * batch.ts), for an event sink with a queue of Events, which otherwise opens one HTTP/2 stream
 * per Event. Each create is checked, admitted (its own flow-control seat) and stored (its own
 * transaction) exactly as a Create call's is, and gets its own result.
 */
import type { CreateBatchRequest, CreateBatchResponse, CreateRequest } from '../../gen/k8ts/api/v1/api.js';
import { eachAlone } from './batch.js';

/** The empty half of a result: no object for a failed create, no Status for a stored one. */
const NONE = Buffer.alloc(0);

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
    results: outcomes.map((o) => o.ok ? { objectJson: o.value, statusJson: NONE }
      : { objectJson: NONE, statusJson: o.statusJson }),
  };
}

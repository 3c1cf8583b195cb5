/**
 * The receiving side of InstallSnapshot: reassembles chunks in order, bounded in total size, and
 * steps the MsgSnap only once the last chunk arrived intact. A torn or oversized transfer is
 * refused with a status and nothing reaches the node; the leader retries after reportSnapshot.
 */
import { status, type handleClientStreamingCall } from '@grpc/grpc-js';
import type {
  InstallSnapshotRequest,
  InstallSnapshotResponse,
} from '../../gen/k8ts/raft/v1/transport.js';
import { MessageType as T, type Message } from '../core/types.js';

type Handler = handleClientStreamingCall<InstallSnapshotRequest, InstallSnapshotResponse>;

/** snapshotHandler builds the InstallSnapshot handler for one member. */
export function snapshotHandler(clusterId: number, maxBytes: number, accept: (m: Message) => void): Handler {
  return (call, callback) => {
    let header: Message | undefined;
    const chunks: Buffer[] = [];
    let received = 0;
    let done = false;
    const fail = (code: status, details: string): void => {
      if (done) return;
      done = true;
      chunks.length = 0;
      callback({ code, details });
    };
    call.on('data', (req: InstallSnapshotRequest) => {
      if (done) return;
      if (req.clusterId !== clusterId) {
        return fail(status.FAILED_PRECONDITION, `cluster id mismatch: ${req.clusterId} != ${clusterId}`);
      }
      if (!header) {
        const m = req.message;
        if (!m || m.type !== T.MESSAGE_TYPE_SNAP || !m.snapshot) {
          return fail(status.INVALID_ARGUMENT, 'first chunk must carry a MsgSnap');
        }
        header = m;
      }
      if (req.offset !== received) {
        return fail(status.INVALID_ARGUMENT, `chunk at offset ${req.offset}, expected ${received}`);
      }
      received += req.chunk.length;
      if (received > maxBytes) {
        return fail(status.RESOURCE_EXHAUSTED, `snapshot larger than ${maxBytes} bytes`);
      }
      chunks.push(req.chunk);
      if (!req.last) return;
      done = true;
      const data = Buffer.concat(chunks, received);
      accept({ ...header, snapshot: { ...header.snapshot!, data } });
      callback(null, { receivedBytes: received });
    });
    call.on('end', () => fail(status.INVALID_ARGUMENT, 'stream ended before the last chunk'));
    call.on('error', () => {
      done = true;
    });
  };
}

/**
 * The etcd KV service of one member. Reads are linearizable unless the client asked for
 * serializable (then they are served from local state at once); writes go through the Raft log
 * from any member (followers forward proposals to the leader) and answer with what their apply
 * produced. Every request is validated before it is proposed, so a bad one costs no log entry.
 */
import type {
  CompactionRequest,
  CompactionResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  KVServer,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  TxnRequest,
  TxnResponse,
} from '../../gen/etcdserverpb/rpc.js';
import { validateRequest } from '../apply/validate.js';
import { traceOf, type StoreCore } from './store-core.js';
import { serve, stampsOf } from './unary.js';

export function kvService(core: StoreCore): KVServer {
  return {
    range: serve<RangeRequest, RangeResponse>(async (req, call) => {
      core.requireLeader(call);
      validateRequest({ $case: 'range', value: req });
      if (!req.serializable) await core.barrier();
      const res = core.state.range(req);
      res.header = core.header(Number(res.header?.revision ?? 0n));
      return res;
    }),
    put: serve<PutRequest, PutResponse>(async (req, call) => {
      core.requireLeader(call);
      validateRequest({ $case: 'put', value: req });
      return core.writePut<PutResponse>(req, traceOf(call), stampsOf(call));
    }),
    deleteRange: serve<DeleteRangeRequest, DeleteRangeResponse>(async (req, call) => {
      core.requireLeader(call);
      validateRequest({ $case: 'deleteRange', value: req });
      return core.write<DeleteRangeResponse>({ $case: 'deleteRange', value: req }, traceOf(call));
    }),
    txn: serve<TxnRequest, TxnResponse>(async (req, call) => {
      core.requireLeader(call);
      validateRequest({ $case: 'txn', value: req });
      return core.write<TxnResponse>({ $case: 'txn', value: req }, traceOf(call));
    }),
    compact: serve<CompactionRequest, CompactionResponse>(async (req, call) => {
      core.requireLeader(call);
      return core.write<CompactionResponse>({ $case: 'compaction', value: req }, traceOf(call));
    }),
  };
}

/** ioPutProposal serves a Put the I/O thread already decoded, validated and encoded as the
 *  StoreRequest to propose (io-thread-worker.ts): what kvService's put does after its decode,
 *  so the main thread spends no time on the request's protobuf. The leader check stays here:
 *  only this thread knows the leader. */
export function ioPutProposal(core: StoreCore) {
  return serve<Uint8Array, PutResponse>((data, call) => {
    core.requireLeader(call);
    return core.writeEncoded<PutResponse>(data, true, stampsOf(call));
  });
}

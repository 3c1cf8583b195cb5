/**
 * The etcd KV service of one member. Reads are linearizable unless the client asked for
 * serializable (then they are served from local state at once); writes go through the Raft log
 * from any member (followers forward proposals to the leader) and answer with what their apply
 * produced. Every request is validated before it is proposed, so a bad one costs no log entry.
 */
import {
  KVService,
  type CompactionRequest,
  type CompactionResponse,
  type DeleteRangeRequest,
  type DeleteRangeResponse,
  type KVServer,
  type PutRequest,
  type PutResponse,
  type RangeRequest,
  type RangeResponse,
  type TxnRequest,
  type TxnResponse,
} from '../../gen/etcdserverpb/rpc.js';
import { validateRequest } from '../apply/validate.js';
import { decodePutRequest, encodePutResponse } from './put-wire.js';
import { traceOf, type StoreCore } from './store-core.js';
import { serve, stampsOf } from './unary.js';

/** KV_SERVICE is etcd's KV service definition with the Put's request and answer coded by hand
 *  (put-wire.ts: the same bytes and objects, fewer allocations on a leader's hottest path). */
export const KV_SERVICE: typeof KVService = {
  ...KVService,
  put: { ...KVService.put, requestDeserialize: decodePutRequest, responseSerialize: encodePutResponse },
};

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
    // Not async (serve catches what it throws): a Put's handler returns writePut's promise
    // itself instead of an async function's promise resolved with it (two promises and a
    // thenable job fewer on a leader's hottest path).
    put: serve<PutRequest, PutResponse>((req, call) => {
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

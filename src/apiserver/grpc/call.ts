/**
 * One component API call's edges: who calls (mTLS certificate or the insecure admin), its trace
 * context (the `traceparent` metadata, stored with writes and delivered to watchers), and the
 * adapter from an async handler to grpc-js's unary callback that turns every failure into the
 * Kubernetes Status trailer.
 */
import type { Metadata, sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { isStatusError, unauthorized } from '../../api/errors.js';
import { toStatusServiceError } from '../../rpc/kube-status.js';
import type { RequestContext } from '../registry/types.js';
import { callerOf, type AuthSource } from './authenticate.js';

/** W3C trace context: version-traceid-parentid-flags; anything else is ignored, as the spec
 *  says. */
const TRACEPARENT = /^[\da-f]{2}-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/;

/** CallEdges is what every handler needs besides the registry. */
export interface CallEdges {
  insecure: boolean;
  log: (line: string) => void;
}

/** contextOf authenticates the call; undefined means 401. */
export function contextOf(
  call: AuthSource & { metadata: Metadata },
  edges: CallEdges,
): RequestContext | undefined {
  const user = callerOf(call, edges.insecure);
  if (!user) return undefined;
  const tp = call.metadata.get('traceparent')[0];
  const traceparent = typeof tp === 'string' && TRACEPARENT.test(tp) ? tp : undefined;
  return { user, ...(traceparent ? { traceparent } : {}) };
}

/** unaryHandler adapts handle to grpc-js: authenticate, run, answer or fail with a Status. */
export function unaryHandler<Req, Res>(
  edges: CallEdges,
  method: string,
  handle: (request: Req, ctx: RequestContext) => Promise<Res>,
): (call: ServerUnaryCall<Req, Res>, cb: sendUnaryData<Res>) => void {
  return (call, cb) => {
    const fail = (err: unknown): void => {
      if (!isStatusError(err)) edges.log(`api ${method}: ${describe(err)}`);
      cb(toStatusServiceError(err));
    };
    const ctx = contextOf(call, edges);
    if (!ctx) return fail(unauthorized());
    let p: Promise<Res>;
    try {
      p = handle(call.request, ctx);
    } catch (err) {
      return fail(err);
    }
    p.then((res) => cb(null, res), fail);
  };
}

/** describe renders an unexpected error for the log (stack included: it is a bug to find). */
export function describe(err: unknown): string {
  return err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
}

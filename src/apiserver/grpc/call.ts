/**
 * One component API call's edges: who calls (mTLS certificate or the insecure admin), its trace
 * context (the `traceparent` metadata, stored with writes and delivered to watchers), its user
 * agent (the manager of its writes that name none), the leader's fence a write carries
 * (`k8ts-fence` metadata, src/client/fence.ts), and the adapter from an async handler to
 * grpc-js's unary callback that turns every failure into the Kubernetes Status trailer.
 */
import type { Metadata, sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { badRequest, isStatusError, unauthorized } from '../../api/errors.js';
import { FENCE_METADATA, parseFence } from '../../client/fence.js';
import type { Clock } from '../../base/clock.js';
import { systemWallMs } from '../../base/wall-clock.js';
import type { LeaderFence } from '../../client/types.js';
import { toStatusServiceError } from '../../rpc/kube-status.js';
import { metadataValue } from '../../rpc/fast-unary-call.js';
import type { CallerEdge } from '../flowcontrol/flow-control.js';
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
  // Read from the request headers on the fast path: call.metadata builds a Metadata from every
  // header on each call (~80 us per burst pod over 3 API servers in apiserver-pod-micro).
  const tp = metadataValue(call, 'traceparent');
  const traceparent = typeof tp === 'string' && TRACEPARENT.test(tp) ? tp : undefined;
  // The client's user agent names the manager of its writes that name none (manager-name.ts).
  const ua = metadataValue(call, 'user-agent');
  return {
    user,
    ...(traceparent ? { traceparent } : {}),
    ...(typeof ua === 'string' ? { userAgent: ua } : {}),
  };
}

/**
 * fenceOf reads the leader's fence a write carries (FENCE_METADATA), undefined without one;
 * malformed or repeated metadata is 400 BadRequest, never silently an unfenced write.
 */
export function fenceOf(md: Metadata): LeaderFence | undefined {
  const values = md.get(FENCE_METADATA);
  if (values.length === 0) return undefined;
  const raw = values[0];
  const fence = values.length === 1 && typeof raw === 'string' ? parseFence(raw) : undefined;
  if (!fence || !Number.isSafeInteger(Number(fence.revision))) {
    const shown = values.map((v) => JSON.stringify(String(v))).join(', ');
    throw badRequest(
      `malformed ${FENCE_METADATA} metadata ${shown}: want one "<namespace>/<name>=<revision>"`,
    );
  }
  return fence;
}

/** UnaryEdges: CallEdges and the clock callers' deadlines are converted to. */
export interface UnaryEdges extends CallEdges {
  clock: Clock;
}

/**
 * callerEdge: the call's deadline (grpc-timeout, a wall-clock instant) on the clock's timeline,
 * and whether the caller has gone — what flow control needs to drop work nobody waits for.
 */
export function callerEdge(
  call: { getDeadline(): Date | number; cancelled: boolean },
  clock: Clock,
): CallerEdge {
  const d = call.getDeadline();
  const wallMs = d instanceof Date ? d.getTime() : d;
  const edge: CallerEdge = { cancelled: () => call.cancelled };
  if (Number.isFinite(wallMs)) edge.deadlineMs = clock.nowMs() + (wallMs - systemWallMs());
  return edge;
}

/**
 * unaryHandler adapts handle to grpc-js: authenticate, read the fence, run, answer or fail with
 * a Status.
 */
export function unaryHandler<Req, Res>(
  edges: UnaryEdges,
  method: string,
  handle: (request: Req, ctx: RequestContext, caller: CallerEdge) => Promise<Res>,
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
      // Most writes carry no fence: only then is the Metadata built, to read every value.
      const fence = metadataValue(call, FENCE_METADATA) === undefined ? undefined : fenceOf(call.metadata);
      p = handle(call.request, fence ? { ...ctx, fence } : ctx, callerEdge(call, edges.clock));
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

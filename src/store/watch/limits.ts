/**
 * The watch hub's bounds and timings in one place. etcd bounds a slow watcher by a 128-response
 * channel and moves it to its victims when the channel is full; k8ts bounds the bytes a stream
 * may have queued instead, because one response can hold 1 event or 1000 revisions.
 */

/** WatchLimits bounds everything the hub holds for its clients. */
export interface WatchLimits {
  /** Streams (gRPC Watch calls) served at once; more are refused with RESOURCE_EXHAUSTED. */
  maxStreams: number;
  /** Watchers one stream may hold; a create beyond it is answered created + canceled. */
  maxWatchersPerStream: number;
  /** Bytes of responses a stream may have queued and not yet handed to gRPC. A live revision
   *  that does not fit makes its watcher unsynced (etcd's victim); it catches up from history
   *  once the stream drained below half of this. One response is always allowed into an empty
   *  queue, so a revision larger than this still gets through. */
  maxPendingBytesPerStream: number;
  /** Events asked from StoreView.historyFrom per catch-up step of one watcher. */
  maxEventsPerBatch: number;
  /** Revisions in one catch-up response (etcd's watchBatchMaxRevs). */
  maxRevisionsPerResponse: number;
  /** Soft size of one catch-up response: a revision never splits, so one may exceed it. The
   *  hub caps it at maxPendingBytesPerStream. */
  maxResponseBytes: number;
  /** A response of a watcher that asked for `fragment` is split when it reaches this size
   *  (etcd: max-request-bytes 1.5 MiB + 512 KiB gRPC overhead). */
  fragmentBytes: number;
  /** Unsynced watchers one runPending() call advances (etcd's maxWatchersPerSync). */
  maxWatchersPerRun: number;
}

/** DEFAULT_WATCH_LIMITS are sized for a kube-apiserver (about one watch per resource type per
 *  API server) with room for etcdctl and controllers watching directly. */
export const DEFAULT_WATCH_LIMITS: WatchLimits = {
  maxStreams: 10_000,
  maxWatchersPerStream: 10_000,
  maxPendingBytesPerStream: 8 * 1024 * 1024,
  maxEventsPerBatch: 2_000,
  maxRevisionsPerResponse: 1_000,
  maxResponseBytes: 1024 * 1024,
  fragmentBytes: 1.5 * 1024 * 1024 + 512 * 1024,
  maxWatchersPerRun: 512,
};

/** DEFAULT_PROGRESS_INTERVAL_MS is etcd 3.4's --experimental-watch-progress-notify-interval
 *  default (10 minutes). kube-apiserver's watch cache wants bookmarks far more often, so the
 *  store member passes a few seconds. */
export const DEFAULT_PROGRESS_INTERVAL_MS = 10 * 60 * 1000;

/** MIN_PROGRESS_INTERVAL_MS is etcd's floor for the interval (minWatchProgressInterval). */
export const MIN_PROGRESS_INTERVAL_MS = 100;

/** validateLimits throws when a limit cannot work (a programmer error in the configuration). */
export function validateLimits(l: WatchLimits): void {
  for (const [name, v] of Object.entries(l)) {
    if (!Number.isInteger(v) || v < 1) {
      throw new RangeError(`watch limit ${name} must be a positive integer, got ${v}`);
    }
  }
}

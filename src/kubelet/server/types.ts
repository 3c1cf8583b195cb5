/**
 * The kubelet server's collaborators, as interfaces: the log reader (owner "logs",
 * src/kubelet/logs/), the resolver from names to runtime ids (the pod workers know them), and
 * the pods this kubelet runs. The server itself only speaks HTTP, so each of these can be
 * swapped for a double in tests.
 */
import type { Writable } from 'node:stream';

/**
 * LogRequest is one GET /containerLogs call, parsed and validated by the server (upstream's
 * PodLogOptions). Optional fields are absent when the query did not carry them.
 */
export interface LogRequest {
  namespace: string;
  pod: string;
  container: string;
  /** Keep streaming new lines until the container stops or the client goes away. */
  follow: boolean;
  /** The previous (terminated) instance of the container instead of the current one. */
  previous: boolean;
  /** Prefix each line with its RFC3339Nano timestamp (as written in the CRI log). */
  timestamps: boolean;
  /** Only the last N lines (N ≥ 0). */
  tailLines?: number;
  /** Only lines written at or after this wall-clock time (sinceSeconds or sinceTime, resolved). */
  sinceWallMs?: number;
  /** Stop after this many bytes of output (> 0). */
  limitBytes?: number;
}

/**
 * LogError is a failure the client caused or must see (unknown container, no previous
 * instance): the server answers it with httpCode and message instead of a 500.
 */
export class LogError extends Error {
  override name = 'LogError';
  constructor(
    readonly httpCode: 400 | 404,
    message: string,
  ) {
    super(message);
  }
}

/**
 * LogSource reads a container's CRI log and writes the decoded payload bytes (what
 * `kubectl logs` prints) to out. It resolves when done: at the end of the log, or with follow
 * when the container has stopped and the log is drained, or when signal aborts (client gone).
 * It rejects with LogError for the client's mistakes. It must honour out's backpressure
 * (write() returning false → wait for 'drain') so a slow client bounds the memory used.
 */
export interface LogSource {
  streamLogs(req: LogRequest, out: Writable, signal: AbortSignal): Promise<void>;
}

/** ContainerRef is what the runtime knows a container (and its pod's sandbox) by. */
export interface ContainerRef {
  containerId: string;
  podSandboxId: string;
}

/**
 * ContainerResolver maps API names to runtime ids; container absent = the pod's sandbox only
 * (port-forward). undefined = no such pod or container on this node (a 404). It may answer
 * later (the kubelet's runtime index reads the runtime first when its snapshot is stale).
 */
export type ContainerResolver = (
  namespace: string,
  pod: string,
  container?: string,
) => ContainerRef | undefined | Promise<ContainerRef | undefined>;

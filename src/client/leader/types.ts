/**
 * Leader election on a coordination.k8s.io/v1 Lease (client-go's tools/leaderelection), tuned to
 * hand over within 1 s of the leader's process dying, and fenced: the leader's writes carry a
 * LeaderFence the API server checks in the same store transaction, so a deposed leader that has
 * not noticed yet can change nothing.
 */
import type { ComponentApi } from '../component-api.js';
import type { LeaderFence } from '../types.js';

/** LeaderElectionConfig: the lock, who we are, and the timing (all on the injected clock). */
export interface LeaderElectionConfig {
  /** The Lease, e.g. kube-system/kube-controller-manager. */
  namespace: string;
  name: string;
  /** This candidate, e.g. "m2_3f1c..." (host + random, as Kubernetes). */
  identity: string;
  /** How long a lease stays valid without renewal (spec.leaseDurationSeconds, may be < 1 s;
   *  stored rounded up to whole seconds). */
  leaseDurationMs: number;
  /** A leader that cannot renew within this long steps down (< leaseDurationMs). */
  renewDeadlineMs: number;
  /** How often candidates try to acquire and the leader renews. */
  retryPeriodMs: number;
  /** Release the lease on stop() so the next leader need not wait for expiry (default true). */
  releaseOnCancel?: boolean;
}

/** LeadingContext is given to the leader's work. */
export interface LeadingContext {
  /** The API with every write fenced by this term's fence. */
  api: ComponentApi;
  fence: LeaderFence;
  /** Aborted when leadership is lost or stop() is called: stop all work. */
  signal: AbortSignal;
}

/** LeaderCallbacks: what to run while leading. */
export interface LeaderCallbacks {
  onStartedLeading(ctx: LeadingContext): void | Promise<void>;
  onStoppedLeading?(): void;
  /** Every observed change of holder (including ourselves). */
  onNewLeader?(identity: string): void;
}

/**
 * Status is what a plugin says about a pod (and, for Filter, one node): the scheduler framework's
 * result codes, each with a documented retry meaning, so the queue knows what to do with a pod
 * that did not get a node. Success is `null` everywhere on the hot path: a Filter that passes
 * allocates nothing, which matters when one pod is checked against hundreds of nodes.
 */
import { assert } from '../../base/assert.js';

/** Code is a Status's kind; the numbers are upstream's, for logs that compare. */
export enum Code {
  /** Success: the plugin ran and the pod may go ahead (usually written as `null`). */
  Success = 0,
  /**
   * Error: an internal failure, not a verdict about the pod. The pod is retried after its
   * backoff whatever the cluster does (backoffQ), and the condition reason is SchedulerError.
   */
  Error = 1,
  /**
   * Unschedulable: the pod does not fit this node now, but could once the cluster changes
   * (pods deleted, node resized). The pod waits in the unschedulable pods until an event that
   * the rejecting plugin registered for arrives (or the 5-minute flush).
   */
  Unschedulable = 2,
  /**
   * UnschedulableAndUnresolvable: the node can never take the pod as it stands (labels,
   * taints), and removing pods from the node would not help (preemption would skip it).
   * Queued like Unschedulable: an event about the node itself can still resolve it.
   */
  UnschedulableAndUnresolvable = 3,
  /**
   * Skip: returned by PreFilter or PreScore only — the plugin has nothing to check for this
   * pod, so its Filter or Score is not run at all in this cycle.
   */
  Skip = 5,
}

/** Status is a non-success result: its code, the reasons shown to users, the plugin's name. */
export class Status {
  constructor(
    readonly code: Code,
    readonly reasons: readonly string[],
    readonly plugin: string,
  ) {
    assert(code !== Code.Success, 'Status: success is written as null');
  }

  /** isRejection: the pod does not fit (as opposed to Error or Skip). */
  isRejection(): boolean {
    return this.code === Code.Unschedulable || this.code === Code.UnschedulableAndUnresolvable;
  }

  /** message joins the reasons as upstream's Status.Message() does. */
  message(): string {
    return this.reasons.join(', ');
  }
}

/** MaybeStatus is a plugin's result: null for success. */
export type MaybeStatus = Status | null;

/** unschedulable makes a Code.Unschedulable status. */
export function unschedulable(plugin: string, ...reasons: string[]): Status {
  return new Status(Code.Unschedulable, reasons, plugin);
}

/** unresolvable makes a Code.UnschedulableAndUnresolvable status. */
export function unresolvable(plugin: string, ...reasons: string[]): Status {
  return new Status(Code.UnschedulableAndUnresolvable, reasons, plugin);
}

/** skip makes a Code.Skip status (PreFilter/PreScore only). */
export function skip(plugin: string): Status {
  return new Status(Code.Skip, [], plugin);
}

/** errorStatus makes a Code.Error status. */
export function errorStatus(plugin: string, message: string): Status {
  return new Status(Code.Error, [message], plugin);
}

/**
 * How controllers plug into the controller manager (kube-controller-manager's descriptors): each
 * controller is a descriptor {name, start}; start wires informers whose handlers only enqueue
 * keys, and runs workers until the context's signal aborts (leadership lost or shutdown).
 *
 * Each controller lives in src/controllers/<name>/: plan.ts (pure: observed objects in, the list
 * of API actions out — what the tests compare), controller.ts (the shell: informers → workqueue →
 * sync(key) → plan → execute), and nothing else needs to know its insides.
 */
import type { Clock } from '../base/clock.js';
import type { InformerFactory } from '../client/cache/types.js';
import type { ComponentApi } from '../client/component-api.js';
import type { EventRecorder } from '../client/events/types.js';

/** ControllerContext is everything a controller may use; nothing else reaches the outside. */
export interface ControllerContext {
  /** The API; while leading, every write is fenced (src/client/leader). */
  api: ComponentApi;
  /** Shared informers of this controller manager (one watch per resource per process). */
  informers: InformerFactory;
  clock: Clock;
  /** Wall time (ms since the epoch) for timestamps written into objects. */
  wallMs: () => number;
  /** Events from this controller; source.component is the controller's name. */
  events: (component: string) => EventRecorder;
  log: (line: string) => void;
  /** Aborted when the controller must stop (leadership lost, process shutting down). */
  signal: AbortSignal;
}

/** ControllerDescriptor registers one controller (--controllers names, as upstream). */
export interface ControllerDescriptor {
  /** Upstream's name: "replicaset", "deployment", "nodelifecycle", "endpoint",
   *  "endpointslice", "namespace", "garbagecollector", "daemonset", "job", "serviceaccount". */
  name: string;
  /** start wires informers, then runs workers until ctx.signal aborts; resolves when stopped. */
  start(ctx: ControllerContext): Promise<void>;
}

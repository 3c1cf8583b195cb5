/**
 * Event recording (client-go's tools/record): what a controller or the scheduler did, written as
 * core/v1 Events about the object so `kubectl describe` shows them. Recording never blocks or
 * throws into the caller: events are best effort, bounded and aggregated (a repeat of the same
 * reason and message on the same object bumps count and lastTimestamp instead of a new Event).
 */
import type { KubeObject } from '../../api/meta.js';

/** EventType is core/v1 Event.type. */
export type EventType = 'Normal' | 'Warning';

/** EventRecorder records events from one component ("deployment-controller",
 *  "default-scheduler"...), which becomes Event.source.component and reportingController. */
export interface EventRecorder {
  event(regarding: KubeObject, type: EventType, reason: string, message: string): void;
  /**
   * yieldTo: while busy() says the component has work pods wait on (a counter read, called
   * every few tens of ms while Events are queued), its process's queued Events are held — for
   * at most a bounded time (recorder.ts, EVENT_LIMITS.holdMaxMs). Returns the unregister
   * function. Optional: recorders that write nothing (tests) need not hold anything.
   */
  yieldTo?(busy: () => boolean): () => void;
}

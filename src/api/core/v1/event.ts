/**
 * core/v1 Event: something that happened to an object. Events must sit in their object's
 * namespace (or "default" for cluster-scoped objects) so `kubectl describe` finds them by field
 * selector; no status, no generation.
 */
import type { FieldError } from '../../errors.js';
import type { KubeObject } from '../../meta.js';
import { invalid } from '../../validation/field.js';
import { defineStrategy, str } from '../../validation/kind-strategy.js';
import type { ObjectReference } from './common-types.js';

export interface EventSource {
  component?: string;
  host?: string;
}

/** Event is a core/v1 event: something that happened to an object. */
export interface Event extends KubeObject {
  involvedObject: ObjectReference;
  reason?: string;
  message?: string;
  source?: EventSource;
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  count?: number;
  type?: 'Normal' | 'Warning' | string;
  eventTime?: string | null;
  series?: { count?: number; lastObservedTime?: string };
  action?: string;
  related?: ObjectReference;
  reportingComponent?: string;
  reportingInstance?: string;
}

function validateEvent(ev: Event): FieldError[] {
  const ns = ev.metadata.namespace ?? '';
  const involved = ev.involvedObject?.namespace ?? '';
  const matches = involved === '' ? ns === '' || ns === 'default' : ns === involved;
  return matches ? [] : [invalid('involvedObject.namespace', involved,
    'does not match event.namespace')];
}

/** eventStrategy is core/v1 Event's KindStrategy. */
export const eventStrategy = defineStrategy<Event>({
  group: '',
  version: 'v1',
  kind: 'Event',
  defaults: (ev) => {
    ev.involvedObject ??= {};
    // Upstream's v1 events always print both, even when empty.
    ev.reportingComponent ??= '';
    ev.reportingInstance ??= '';
  },
  validate: validateEvent,
  fieldLabels: (ev) => ({
    'involvedObject.kind': str(ev.involvedObject?.kind),
    'involvedObject.namespace': str(ev.involvedObject?.namespace),
    'involvedObject.name': str(ev.involvedObject?.name),
    'involvedObject.uid': str(ev.involvedObject?.uid),
    'involvedObject.apiVersion': str(ev.involvedObject?.apiVersion),
    'involvedObject.resourceVersion': str(ev.involvedObject?.resourceVersion),
    'involvedObject.fieldPath': str(ev.involvedObject?.fieldPath),
    reason: str(ev.reason),
    reportingComponent: str(ev.reportingComponent),
    source: str(ev.source?.component),
    type: str(ev.type),
  }),
});

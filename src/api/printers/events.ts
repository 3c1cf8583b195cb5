/**
 * The core/v1 Event table: LAST SEEN TYPE REASON OBJECT MESSAGE, and wide SUBOBJECT SOURCE
 * FIRST SEEN COUNT NAME. Events written by the newer events API carry eventTime and series
 * instead of first/lastTimestamp and count; the cells fall back to those so both kinds print.
 */
import type { KubeObject } from '../meta.js';
import { DESCRIPTIONS } from './descriptions.js';
import { timestampSince } from './human-duration.js';
import { column, optInt, rec, str } from './cells.js';
import type { Printer } from './types.js';

/** eventPrinter renders core/v1 Events. */
export const eventPrinter: Printer = {
  columns: [
    column('Last Seen', 'string', DESCRIPTIONS.eventLastTimestamp),
    column('Type', 'string', DESCRIPTIONS.eventType),
    column('Reason', 'string', DESCRIPTIONS.eventReason),
    column('Object', 'string', DESCRIPTIONS.eventInvolvedObject),
    column('Subobject', 'string', DESCRIPTIONS.eventFieldPath, { priority: 1 }),
    column('Source', 'string', DESCRIPTIONS.eventSource, { priority: 1 }),
    column('Message', 'string', DESCRIPTIONS.eventMessage),
    column('First Seen', 'string', DESCRIPTIONS.eventFirstTimestamp, { priority: 1 }),
    column('Count', 'string', DESCRIPTIONS.eventCount, { priority: 1 }),
    column('Name', 'string', DESCRIPTIONS.name, { priority: 1, format: 'name' }),
  ],
  cells(ev: KubeObject, nowMs: number) {
    const involved = rec(ev.involvedObject);
    const kind = str(involved.kind).toLowerCase();
    const target = str(involved.name) === '' ? kind : `${kind}/${str(involved.name)}`;
    const seen = seenCells(ev, nowMs);
    return [seen.last, str(ev.type), str(ev.reason), target, str(involved.fieldPath),
      eventSource(ev), str(ev.message).trim(), seen.first, seen.count, str(ev.metadata?.name)];
  },
};

function seenCells(ev: KubeObject, nowMs: number): { first: string; last: string; count: number } {
  const first = str(ev.firstTimestamp) !== ''
    ? timestampSince(ev.firstTimestamp, nowMs)
    : timestampSince(ev.eventTime, nowMs);
  let last = str(ev.lastTimestamp) !== '' ? timestampSince(ev.lastTimestamp, nowMs) : first;
  let count = optInt(ev.count) ?? 0;
  if (ev.series !== undefined && ev.series !== null) {
    const series = rec(ev.series);
    last = timestampSince(series.lastObservedTime, nowMs);
    count = optInt(series.count) ?? 0;
  } else if (count === 0) {
    // Singleton events of the newer API have no count.
    count = 1;
  }
  return { first, last, count };
}

/** eventSource: "component, host", falling back to reportingController/reportingInstance. */
function eventSource(ev: KubeObject): string {
  const source = rec(ev.source);
  const component = str(source.component) || str(ev.reportingController);
  const host = str(source.host) || str(ev.reportingInstance);
  return host === '' ? component : `${component}, ${host}`;
}

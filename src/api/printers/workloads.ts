/**
 * Workload tables: Deployments, ReplicaSets, DaemonSets and Jobs. Counts come from status as the
 * controllers last wrote it; the wide columns show the pod template's containers and images and
 * the selector, which is what users check when pods do not match their workload.
 */
import type { KubeObject } from '../meta.js';
import { formatLabelSelector, fromLabelSelector } from '../selectors/labels.js';
import { DESCRIPTIONS } from './descriptions.js';
import { humanDuration, parseTimestamp } from './human-duration.js';
import {
  AGE_COLUMN, age, arr, column, CONTAINERS_DESCRIPTION, containerCells, formatLabels,
  IMAGES_DESCRIPTION, int, NAME_COLUMN, nameOf, optInt, rec, spec, status, str,
  templateContainers,
} from './cells.js';
import type { Printer, TableColumnDefinition } from './types.js';

function wideColumns(selectorDescription: string): TableColumnDefinition[] {
  return [
    column('Containers', 'string', CONTAINERS_DESCRIPTION, { priority: 1 }),
    column('Images', 'string', IMAGES_DESCRIPTION, { priority: 1 }),
    column('Selector', 'string', selectorDescription, { priority: 1 }),
  ];
}

/** wideCells: containers, images and the selector (metav1.FormatLabelSelector form). */
function wideCells(o: KubeObject): string[] {
  return [...containerCells(templateContainers(o)), formatLabelSelector(spec(o).selector)];
}

/** replicas reads spec.replicas, which the API defaults to 1 when a manifest leaves it out. */
function replicas(o: KubeObject): number {
  return optInt(spec(o).replicas) ?? 1;
}

/** deploymentPrinter renders Deployments: READY is "ready/desired". */
export const deploymentPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Ready', 'string', 'Number of the pod with ready state'),
    column('Up-to-date', 'string', DESCRIPTIONS.deploymentUpdated),
    column('Available', 'string', DESCRIPTIONS.deploymentAvailable),
    AGE_COLUMN,
    ...wideColumns(DESCRIPTIONS.deploymentSelector),
  ],
  cells(d: KubeObject, nowMs: number) {
    const st = status(d);
    return [nameOf(d), `${int(st.readyReplicas)}/${replicas(d)}`, int(st.updatedReplicas),
      int(st.availableReplicas), age(d, nowMs), ...containerCells(templateContainers(d)),
      deploymentSelector(d)];
  },
};

/** Deployments print their selector bare ("" when empty) and "<invalid>" when it is broken. */
function deploymentSelector(d: KubeObject): string {
  try {
    return fromLabelSelector(spec(d).selector).toString();
  } catch {
    return '<invalid>';
  }
}

/** replicaSetPrinter renders ReplicaSets: DESIRED CURRENT READY as integers. */
export const replicaSetPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Desired', 'integer', DESCRIPTIONS.rsReplicas),
    column('Current', 'integer', DESCRIPTIONS.rsStatusReplicas),
    column('Ready', 'integer', DESCRIPTIONS.rsReady),
    AGE_COLUMN,
    ...wideColumns(DESCRIPTIONS.rsSelector),
  ],
  cells(rs: KubeObject, nowMs: number) {
    const st = status(rs);
    return [nameOf(rs), replicas(rs), int(st.replicas), int(st.readyReplicas), age(rs, nowMs),
      ...wideCells(rs)];
  },
};

/** daemonSetPrinter renders DaemonSets; NODE SELECTOR is the template's nodeSelector. */
export const daemonSetPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Desired', 'integer', DESCRIPTIONS.dsDesired),
    column('Current', 'integer', DESCRIPTIONS.dsCurrent),
    column('Ready', 'integer', DESCRIPTIONS.dsReady),
    column('Up-to-date', 'integer', DESCRIPTIONS.dsUpdated),
    column('Available', 'integer', DESCRIPTIONS.dsAvailable),
    column('Node Selector', 'string', DESCRIPTIONS.nodeSelector),
    AGE_COLUMN,
    ...wideColumns(DESCRIPTIONS.dsSelector),
  ],
  cells(ds: KubeObject, nowMs: number) {
    const st = status(ds);
    const nodeSelector = rec(rec(spec(ds).template).spec).nodeSelector;
    return [nameOf(ds), int(st.desiredNumberScheduled), int(st.currentNumberScheduled),
      int(st.numberReady), int(st.updatedNumberScheduled), int(st.numberAvailable),
      formatLabels(nodeSelector), age(ds, nowMs), ...wideCells(ds)];
  },
};

/** jobPrinter renders Jobs: STATUS, COMPLETIONS ("1/3", "0/1 of 2") and DURATION. */
export const jobPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Status', 'string', 'Status of the job.'),
    column('Completions', 'string', DESCRIPTIONS.jobSucceeded),
    column('Duration', 'string', 'Time required to complete the job.'),
    AGE_COLUMN,
    ...wideColumns(DESCRIPTIONS.jobSelector),
  ],
  cells(job: KubeObject, nowMs: number) {
    return [nameOf(job), jobStatus(job), completions(job), jobDuration(job, nowMs), age(job, nowMs),
      ...wideCells(job)];
  },
};

function completions(job: KubeObject): string {
  const succeeded = int(status(job).succeeded);
  const wanted = optInt(spec(job).completions);
  if (wanted !== undefined) return `${succeeded}/${wanted}`;
  const parallelism = optInt(spec(job).parallelism) ?? 0;
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

/** jobDuration: start to completion, or start to now while running; "" before it starts. */
function jobDuration(job: KubeObject, nowMs: number): string {
  const startMs = parseTimestamp(status(job).startTime);
  if (startMs === undefined) return '';
  const endMs = parseTimestamp(status(job).completionTime) ?? nowMs;
  return humanDuration(endMs - startMs);
}

/** JOB_STATES: the first condition that holds names the state (deletion ranks third). */
const JOB_STATES: readonly (readonly [string, string])[] = [
  ['Complete', 'Complete'],
  ['Failed', 'Failed'],
  ['', 'Terminating'],
  ['Suspended', 'Suspended'],
  ['FailureTarget', 'FailureTarget'],
  ['SuccessCriteriaMet', 'SuccessCriteriaMet'],
];

/** jobStatus is the STATUS cell: Complete, Failed, Terminating, Suspended, ... else Running. */
export function jobStatus(job: KubeObject): string {
  const conditions = arr(status(job).conditions).map(rec);
  const holds = (type: string): boolean => {
    const c = conditions.find((x) => str(x.type) === type);
    return c !== undefined && str(c.status) === 'True';
  };
  for (const [type, state] of JOB_STATES) {
    const deleting = job.metadata?.deletionTimestamp !== undefined &&
      job.metadata.deletionTimestamp !== null;
    if (type === '' ? deleting : holds(type)) return state;
  }
  return 'Running';
}

/**
 * The pod's status as the kubelet reports it — upstream's generateAPIPodStatus, pure: from the
 * pod, what the runtime reports, the worker's waiting reasons and the probe results, build
 * phase, conditions, container statuses, IPs and startTime. Condition transition times and
 * startTime carry over from the previous status when nothing changed, so an unchanged pod
 * yields an identical status (statusChanged() then says "nothing to write").
 */
import type {
  Container,
  ContainerStatus,
  Pod,
  PodPhase,
  PodStatus,
} from '../../api/core/v1/pod-types.js';
import type { Condition } from '../../api/core/v1/common-types.js';
import { secondsText } from './seconds-text.js';
import { instancesOf, latestSandbox, podIpsOf, type ObservedPod } from '../pod/observed.js';
import { sameStatus } from '../status-manager/merge.js';
import { buildContainerStatus } from './container-status.js';
import { podPhase } from './phase.js';

/** ProbeView is what the probers know about a container id: ready and started. */
export interface ProbeView {
  ready: Readonly<Record<string, boolean>>;
  started: Readonly<Record<string, boolean>>;
}

/** PodStatusInput is everything a status depends on. */
export interface PodStatusInput {
  pod: Pod;
  observed: ObservedPod;
  nowMs: number;
  waiting: Readonly<Record<string, { reason: string; message: string }>>;
  probes: ProbeView;
  nodeIp: string;
  runtimeName: string;
  /** The worker stopped the pod for good: no container will run again. */
  terminal: boolean;
  /** Conditions others wrote (the API's pod.status), read for spec.readinessGates. */
  apiConditions?: readonly Condition[];
  /** The kubelet failed the pod itself (DeadlineExceeded): phase Failed with this reason. */
  failure?: { reason: string; message: string };
}

/** startedResult: a container without a startup probe is started as soon as it runs. */
function startedOf(c: Container, id: string | undefined, probes: ProbeView): boolean {
  if (c.startupProbe === undefined) return true;
  return id !== undefined && probes.started[id] === true;
}

/** readyOf: no readiness probe means ready once started; otherwise the probe decides. */
function readyOf(c: Container, id: string | undefined, probes: ProbeView): boolean {
  if (!startedOf(c, id, probes)) return false;
  if (c.readinessProbe === undefined) return true;
  return id !== undefined && probes.ready[id] === true;
}

/** statusesFor renders one list (init or regular) of container statuses. */
function statusesFor(
  input: PodStatusInput,
  containers: readonly Container[],
  defaultWaitingReason: (c: Container) => string,
): ContainerStatus[] {
  return containers.map((c) => {
    const instances = instancesOf(input.observed, c.name);
    const id = instances[0]?.id;
    return buildContainerStatus({
      spec: c,
      instances,
      ...(input.waiting[c.name] !== undefined ? { waiting: input.waiting[c.name] } : {}),
      defaultWaitingReason: defaultWaitingReason(c),
      ready: readyOf(c, id, input.probes),
      started: startedOf(c, id, input.probes),
      runtimeName: input.runtimeName,
    });
  });
}

/** initComplete: every init container succeeded (sidecars: running and started). */
function initComplete(inits: readonly Container[], statuses: readonly ContainerStatus[]) {
  return inits.every((c, i) => {
    const s = statuses[i];
    if (c.restartPolicy === 'Always') return s?.started === true;
    return s?.state?.terminated?.exitCode === 0;
  });
}

/** generatePodStatus builds the whole status; see the file comment. */
export function generatePodStatus(input: PodStatusInput): PodStatus {
  const spec = input.pod.spec ?? { containers: [] };
  const inits = spec.initContainers ?? [];
  // An init container that completed is ready (upstream's prober manager says so); a sidecar's
  // readiness is its probe's, like any running container.
  const initStatuses = statusesFor(input, inits, () => 'PodInitializing').map((s, i) =>
    inits[i]?.restartPolicy === 'Always' ? s
      : { ...s, ready: s.state?.terminated?.exitCode === 0 });
  const initialized = initComplete(inits, initStatuses);
  const statuses = statusesFor(input, spec.containers, () =>
    initialized ? 'ContainerCreating' : 'PodInitializing');
  const previous = input.pod.status ?? {};
  const prevPhase = previous.phase;
  const phase: PodPhase = prevPhase === 'Succeeded' || prevPhase === 'Failed'
    ? prevPhase
    : input.failure !== undefined
    ? 'Failed'
    : podPhase({
      restartPolicy: spec.restartPolicy ?? 'Always',
      initContainers: inits,
      initStatuses,
      statuses,
      terminal: input.terminal,
    });
  const ips = podIpsOf(spec.hostNetwork === true, input.observed, input.nodeIp);
  const status: PodStatus = {
    phase,
    conditions: conditionsFor(input, { phase, initialized, statuses, inits, initStatuses }),
    hostIP: input.nodeIp,
    hostIPs: [{ ip: input.nodeIp }],
    ...(ips[0] !== undefined ? { podIP: ips[0], podIPs: ips.map((ip) => ({ ip })) } : {}),
    startTime: previous.startTime ?? secondsText(input.nowMs),
    ...(inits.length > 0 ? { initContainerStatuses: initStatuses } : {}),
    containerStatuses: statuses,
  };
  if (previous.qosClass !== undefined) status.qosClass = previous.qosClass;
  if (input.failure !== undefined) {
    status.reason = input.failure.reason;
    status.message = input.failure.message;
  }
  if (ips.length === 0 && previous.podIP !== undefined && input.terminal) {
    status.podIP = previous.podIP;
    status.podIPs = previous.podIPs ?? [{ ip: previous.podIP }];
  }
  return status;
}

/** What the conditions are computed from. */
interface ConditionFacts {
  phase: PodPhase;
  initialized: boolean;
  statuses: readonly ContainerStatus[];
  inits: readonly Container[];
  initStatuses: readonly ContainerStatus[];
}

/** conditionsFor builds PodReadyToStartContainers, Initialized, Ready, ContainersReady and
 *  PodScheduled, carrying lastTransitionTime over when a condition's status did not change. */
function conditionsFor(input: PodStatusInput, f: ConditionFacts): Condition[] {
  const done = f.phase === 'Succeeded' || f.phase === 'Failed';
  const sandbox = latestSandbox(input.observed);
  const sandboxReady = sandbox?.ready === true && !done;
  const unready = f.statuses.filter((s) => !s.ready).map((s) => s.name);
  const incomplete = f.inits
    .filter((c, i) => f.initStatuses[i]?.state?.terminated?.exitCode !== 0 &&
      !(c.restartPolicy === 'Always' && f.initStatuses[i]?.started === true))
    .map((c) => c.name);
  const completed = f.phase === 'Succeeded' ? { reason: 'PodCompleted' } : undefined;
  const notReady = { status: 'False' as const, reason: 'ContainersNotReady' };
  const containersReady: Omit<Condition, 'type'> = unready.length === 0 && !done
    ? { status: 'True' }
    : completed !== undefined
    ? { status: 'False', ...completed }
    : { ...notReady, message: `containers with unready status: [${unready.join(' ')}]` };
  const wanted: Condition[] = [
    { type: 'PodReadyToStartContainers', status: sandboxReady ? 'True' : 'False' },
    {
      type: 'Initialized',
      ...(f.initialized || done && incomplete.length === 0
        ? { status: 'True' as const, ...(completed ?? {}) }
        : {
          status: 'False' as const,
          reason: 'ContainersNotInitialized',
          message: `containers with incomplete status: [${incomplete.join(' ')}]`,
        }),
    },
    { type: 'Ready', ...readyWithGates(input, containersReady) },
    { type: 'ContainersReady', ...containersReady },
    { type: 'PodScheduled', status: 'True' },
  ];
  return wanted.map((c) => withTransitionTime(c, input));
}

/**
 * readyWithGates: Ready also needs every spec.readinessGates condition True (conditions that
 * controllers outside the kubelet set), with upstream's messages when one is not.
 */
function readyWithGates(input: PodStatusInput, containersReady: Omit<Condition, 'type'>) {
  if (containersReady.status !== 'True') return containersReady;
  const unmet: string[] = [];
  for (const gate of input.pod.spec?.readinessGates ?? []) {
    const c = input.apiConditions?.find((x) => x.type === gate.conditionType);
    if (c === undefined) {
      unmet.push(`corresponding condition of pod readiness gate "${gate.conditionType}" ` +
        'does not exist.');
    } else if (c.status !== 'True') {
      unmet.push(`the status of pod readiness gate "${gate.conditionType}" is not "True", ` +
        `but ${c.status}`);
    }
  }
  if (unmet.length === 0) return containersReady;
  return { status: 'False' as const, reason: 'ReadinessGatesNotReady', message: unmet.join(', ') };
}

/** withTransitionTime keeps the previous lastTransitionTime when the status is unchanged. */
function withTransitionTime(c: Condition, input: PodStatusInput): Condition {
  const prev = input.pod.status?.conditions?.find((p) => p.type === c.type);
  const keep = prev !== undefined && prev.status === c.status;
  return {
    ...c,
    lastProbeTime: null,
    lastTransitionTime: keep ? (prev.lastTransitionTime ?? null) : secondsText(input.nowMs),
  };
}

/** statusChanged compares two statuses by content (the order of keys does not matter). */
export function statusChanged(a: PodStatus | undefined, b: PodStatus): boolean {
  return a === undefined || !sameStatus(a, b);
}

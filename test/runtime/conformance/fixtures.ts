/**
 * Fixtures of the CRI conformance suite: sandbox and container configs shaped as the k8ts kubelet
 * sends them, a tracker that removes everything a test created (even when it fails), and the
 * small polls and readers the assertions need. Only the CriRuntime interface is used, so every
 * runtime is exercised exactly as the kubelet would exercise it through its socket.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ContainerState,
  CriError,
  isCriNotFound,
  NamespaceMode,
  type ContainerConfig,
  type ContainerStatus,
  type CriRuntime,
  type KeyValue,
  type LinuxContainerConfig,
  type Mount,
  type PodSandboxConfig,
} from '../../../src/kubelet/cri/types.js';
import { eventually as poll } from '../../support/poll.js';

/** What a runtime's start() hands the suite. */
export interface ConformanceEnv {
  /** The runtime, reached through the gRPC client (connectCri) as the kubelet reaches it. */
  cri: CriRuntime;
  /** A busybox-like image present in the runtime (sh, sleep, echo, cat, env, pwd). */
  image: string;
  /** Stops the runtime and removes what start() created. */
  cleanup(): Promise<void>;
  /** The runtime gives each pod its own namespaces, image rootfs and cgroups (runc,
   *  containerd); the isolation tests (hostname, DNS, mounts, pod network, limits) run only
   *  then. The process runtime runs host processes and leaves this unset. */
  isolated?: boolean;
}

/** The cgroup parent every conformance sandbox lives under (cgroupfs layout), so a runtime's
 *  test cleanup can remove the whole subtree in every hierarchy. */
export const CONFORMANCE_CGROUP_ROOT = 'k8ts-cri-conformance';

/** The DNS server given to pods: inside 100.64.0.0/10 and never contacted by the suite. */
export const CONFORMANCE_DNS_SERVER = '100.64.0.10';

/** Bound on every poll in the suite: a runtime that needs longer is broken, not slow. */
export const POLL_DEADLINE_MS = 20_000;

/** eventually retries fn until it stops throwing; after deadlineMs its last error stands. */
export function eventually<T>(fn: () => Promise<T>, deadlineMs = POLL_DEADLINE_MS): Promise<T> {
  return poll(fn, deadlineMs);
}

/** criRejection asserts p fails with a CriError and returns it (its code is the gRPC status). */
export async function criRejection(p: Promise<unknown>): Promise<CriError> {
  const err = await p.then(
    () => assert.fail('expected the CRI call to fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof CriError, `expected a CriError, got ${String(err)}`);
  return err;
}

/** A sandbox the suite made: its id, the config it was made with and its log directory. */
export interface SandboxFixture {
  id: string;
  config: PodSandboxConfig;
  logDirectory: string;
}

/** What a test varies in a container; the rest is the kubelet's usual shape. */
export interface ContainerSpec {
  command: string[];
  args?: string[];
  envs?: KeyValue[];
  labels?: Record<string, string>;
  workingDir?: string;
  /** The restart count the kubelet puts in metadata.attempt and the log name (default 0). */
  attempt?: number;
  mounts?: Mount[];
  linux?: LinuxContainerConfig;
}

/** An EXITED, RUNNING or CREATED container the suite made. */
export interface ContainerFixture {
  id: string;
  name: string;
  /** Absolute path of its log file (sandbox log_directory + log_path). */
  logFile: string;
}

let serial = 0;

/** Every pod uid this test process makes starts with this (its pid makes it unique on the
 *  host), so cleanups touch only their own pods' leftovers. */
export function conformancePodPrefix(): string {
  return `conformance-${process.pid}-`;
}

/**
 * Tracker creates sandboxes and containers for one test and removes all of them in
 * removeAll(), which the suite calls in afterEach whether the test passed or not.
 */
export class Tracker {
  private readonly sandboxes: SandboxFixture[] = [];

  constructor(
    private readonly cri: () => CriRuntime,
    private readonly image: () => string,
  ) {}

  /** runSandbox runs a pod sandbox named name with labels; the log dir is a fresh temp dir. */
  async runSandbox(name: string, labels: Record<string, string> = {}): Promise<SandboxFixture> {
    serial += 1;
    const uid = `${conformancePodPrefix()}${serial}`;
    const logDirectory = await mkdtemp(join(tmpdir(), `k8ts-cri-logs-${name}-`));
    const config = sandboxConfig(name, uid, logDirectory, labels);
    const fixture: SandboxFixture = { id: '', config, logDirectory };
    this.sandboxes.push(fixture);
    fixture.id = (await this.cri().runPodSandbox({ config, runtimeHandler: '' })).podSandboxId;
    assert.ok(fixture.id, 'RunPodSandbox returned an empty id');
    return fixture;
  }

  /** createContainer creates (does not start) a container, its log dir made as the kubelet
   *  makes it (<log_directory>/<name>/). */
  async createContainer(
    sb: SandboxFixture,
    name: string,
    spec: ContainerSpec,
  ): Promise<ContainerFixture> {
    await mkdir(join(sb.logDirectory, name), { recursive: true });
    const config = containerConfig(name, this.image(), spec);
    const res = await this.cri().createContainer({
      podSandboxId: sb.id,
      config,
      sandboxConfig: sb.config,
    });
    assert.ok(res.containerId, 'CreateContainer returned an empty id');
    return { id: res.containerId, name, logFile: join(sb.logDirectory, config.logPath) };
  }

  /** startContainer creates and starts a container. */
  async startContainer(
    sb: SandboxFixture,
    name: string,
    spec: ContainerSpec,
  ): Promise<ContainerFixture> {
    const c = await this.createContainer(sb, name, spec);
    await this.cri().startContainer({ containerId: c.id });
    return c;
  }

  /** removeAll stops and removes every sandbox (and so its containers) and its log dir. */
  async removeAll(): Promise<void> {
    const errors: unknown[] = [];
    for (const sb of this.sandboxes.splice(0)) {
      try {
        if (sb.id !== '') {
          // A test may have removed it already: stop of an unknown sandbox may be NOT_FOUND.
          await this.cri().stopPodSandbox({ podSandboxId: sb.id }).catch((err: unknown) => {
            if (!isCriNotFound(err)) throw err;
          });
          await this.cri().removePodSandbox({ podSandboxId: sb.id });
        }
      } catch (err) {
        errors.push(err);
      }
      await rm(sb.logDirectory, { recursive: true, force: true });
    }
    if (errors.length > 0) throw errors[0];
  }
}

/** sandboxConfig is a pod sandbox config as the kubelet sends it for a plain pod. */
export function sandboxConfig(
  name: string,
  uid: string,
  logDirectory: string,
  labels: Record<string, string>,
): PodSandboxConfig {
  return {
    metadata: { name, uid, namespace: 'conformance', attempt: 0 },
    hostname: name,
    logDirectory,
    dnsConfig: { servers: [CONFORMANCE_DNS_SERVER], searches: ['svc.cluster.local'], options: [] },
    portMappings: [],
    labels: { 'io.kubernetes.pod.name': name, 'io.kubernetes.pod.uid': uid, ...labels },
    annotations: { 'k8ts.io/conformance': 'true' },
    linux: {
      cgroupParent: `/${CONFORMANCE_CGROUP_ROOT}/pod${uid}`,
      securityContext: {
        namespaceOptions: {
          network: NamespaceMode.POD,
          pid: NamespaceMode.CONTAINER,
          ipc: NamespaceMode.POD,
          targetId: '',
        },
        readonlyRootfs: false,
        supplementalGroups: [],
        privileged: false,
      },
      sysctls: {},
    },
  };
}

/** containerConfig is a container config as the kubelet sends it (log_path
 *  <name>/<attempt>.log). */
export function containerConfig(name: string, image: string, spec: ContainerSpec): ContainerConfig {
  return {
    metadata: { name, attempt: spec.attempt ?? 0 },
    image: { image, annotations: {}, userSpecifiedImage: image, runtimeHandler: '', imageRef: '' },
    command: spec.command,
    args: spec.args ?? [],
    workingDir: spec.workingDir ?? '',
    envs: spec.envs ?? [],
    mounts: spec.mounts ?? [],
    devices: [],
    labels: { 'io.kubernetes.container.name': name, ...(spec.labels ?? {}) },
    annotations: {},
    logPath: join(name, `${spec.attempt ?? 0}.log`),
    stdin: false,
    stdinOnce: false,
    tty: false,
    linux: spec.linux,
  };
}

/** statusOf reads one container's status (asserting the runtime returned one). */
export async function statusOf(cri: CriRuntime, id: string): Promise<ContainerStatus> {
  const st = (await cri.containerStatus({ containerId: id, verbose: false })).status;
  assert.ok(st, `ContainerStatus(${id}) returned no status`);
  return st;
}

/** waitForState polls until the container is in state, and returns that status. */
export function waitForState(
  cri: CriRuntime,
  id: string,
  state: ContainerState,
): Promise<ContainerStatus> {
  return eventually(async () => {
    const st = await statusOf(cri, id);
    assert.equal(ContainerState[st.state], ContainerState[state], `container ${id} state`);
    return st;
  });
}

/** One parsed line of a CRI log file. */
export interface CriLogLine {
  time: string;
  stream: string;
  tag: string;
  text: string;
}

const CRI_LOG_LINE = /^(\S+) (stdout|stderr) ([FP]) (.*)$/;

/** readCriLog parses a log file in the CRI format, failing on any line that is not in it. */
export async function readCriLog(path: string): Promise<CriLogLine[]> {
  const text = await readFile(path, 'utf8');
  const lines = text.split('\n');
  assert.equal(lines.pop(), '', `${path} must end with a newline`);
  return lines.map((line) => {
    const m = CRI_LOG_LINE.exec(line);
    assert.ok(m, `not a CRI log line: ${JSON.stringify(line)}`);
    return { time: m[1] ?? '', stream: m[2] ?? '', tag: m[3] ?? '', text: m[4] ?? '' };
  });
}

/** stdoutOf is the full stdout text of a log (F lines joined by newlines, P pieces joined). */
export function streamText(lines: readonly CriLogLine[], stream: 'stdout' | 'stderr'): string {
  return lines
    .filter((l) => l.stream === stream)
    .map((l) => (l.tag === 'F' ? `${l.text}\n` : l.text))
    .join('');
}

/** A shell loop that ignores SIGTERM, so only the SIGKILL after the stop timeout ends it. It
 *  prints READY once the trap is set: a stop before that would race the shell (waitForReady). */
export const IGNORE_TERM = ["trap '' TERM; echo READY; while :; do sleep 1; done"];

/** A shell loop that exits 0 on SIGTERM, so a stop ends it before any SIGKILL; prints READY
 *  once the trap is set. */
export const EXIT_ON_TERM = ["trap 'exit 0' TERM; echo READY; while :; do sleep 0.1; done"];

/** waitForReady polls the container's log until it printed READY (its signal trap is set). */
export async function waitForReady(c: ContainerFixture): Promise<void> {
  await eventually(async () => {
    assert.match(streamText(await readCriLog(c.logFile), 'stdout'), /^READY$/m);
  });
}

/** A long-running container that does nothing. */
export const SLEEP_FOREVER = ['while :; do sleep 1; done'];

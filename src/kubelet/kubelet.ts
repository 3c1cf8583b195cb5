/**
 * The kubelet: node registration, Lease and node status (node/), pod sources (the API watch of
 * the pods bound here, static pods from the manifest directory; sources/), the dispatcher with
 * one pod worker per pod (dispatcher/, pod/) woken by the node's runtime relist (pleg/), the
 * status manager (status-manager/), env and
 * volumes through prepare() — composed under one root XState actor (kubelet-machine.ts).
 *
 * Static pods run from the first moment, with or without an API server (a master's kubelet
 * starts its own API server that way); everything that needs the API retries until it answers.
 * Stopping the kubelet stops its workers but leaves containers running, as upstream's does: a
 * kubelet started again finds them through the runtime.
 */
import { createActor, fromCallback, fromPromise, type Actor } from 'xstate';
import type { Pod } from '../api/core/v1/pod-types.js';
import { isStatusError } from '../api/errors.js';
import type { Clock } from '../base/clock.js';
import { UnavailableRpcError } from '../rpc/errors.js';
import { SharedInformerFactory } from '../client/cache/factory.js';
import type { ReflectorBackoff } from '../client/cache/reflector.js';
import type { Informer, InformerFactory } from '../client/cache/types.js';
import type { ComponentApi } from '../client/component-api.js';
import type { EventRecorderFactory } from '../client/events/recorder.js';
import { StartingWork } from '../client/events/starting.js';
import type { EventRecorder } from '../client/events/types.js';
import type { KubeletConfig } from './config.js';
import { admitPod } from './dispatcher/admission.js';
import { Dispatcher, type WorkerHandle } from './dispatcher/dispatcher.js';
import type { CriRuntime } from './cri/types.js';
import { kubeletMachine } from './kubelet-machine.js';
import { readHostFacts } from './node/host-facts.js';
import { NodeAgent } from './node/node-agent.js';
import { allocatableOf, nodeLabels, type HostFacts } from './node/node-object.js';
import { runtimeFactsOf } from './node/runtime-facts.js';
import { ObjectCache } from './objects.js';
import type { PodWorkerDeps } from './pod/types.js';
import { makePrepare, podLogsRoot } from './prepare.js';
import { PODS } from './resources.js';
import { housekeep } from './housekeeping.js';
import { removePodLogs } from './logs/cleanup.js';
import { ContainerLogRotator } from './logs/rotator.js';
import type { RotationPolicy } from './logs/rotation-plan.js';
import { KubeletLogSource } from './logs/source.js';
import { RuntimeIndex } from './runtime-index.js';
import { KubeletServer, type TlsPem } from './server/kubelet-server.js';
import { readManifestDir } from './sources/manifest-dir.js';
import { MirrorPods } from './sources/mirror-pods.js';
import { Relister } from './pleg/relister.js';
import { ImageChecks } from './pod/image-checks.js';
import { PodManager, type PodChange } from './sources/pod-manager.js';
import { StatusManager } from './status-manager/status-manager.js';
import { VolumeManager } from './volumes/volume-manager.js';

/** PodTrace stamps one step of a pod's start (the burst timeline, src/base/timeline.ts). */
export type PodTrace = (pod: Pod, stage: string) => void;

/** StartWorker starts one pod worker (default: the XState pod actor, pod-workers.ts). */
export type StartWorker = (pod: Pod, deps: PodWorkerDeps, runtimeName: string) => WorkerHandle;

/** KubeletOptions: config, the two connections (API, CRI), time, and the worker factory. */
export interface KubeletOptions {
  cfg: KubeletConfig;
  api: ComponentApi;
  cri: CriRuntime;
  clock: Clock;
  wallMs(): number;
  log(line: string): void;
  startWorker: StartWorker;
  host?: HostFacts;
  events?: EventRecorderFactory;
  /** Reflector backoff for the kubelet's informers (tests shorten it). */
  informerBackoff?: ReflectorBackoff;
  /** tmpfs for memory emptyDirs (default: when running as root). */
  useTmpfs?: boolean;
  /**
   * Informers shared by many kubelets of one process (hollow nodes, src/kubelet/hollow/): the
   * factory for ConfigMaps, Secrets and Services, and a view of the pods bound to this node
   * (one watch for all nodes instead of one each). Their owner starts and stops them; the
   * kubelet only reads. Default: its own factory and a spec.nodeName=<node> pod watch.
   */
  shared?: { informers: InformerFactory; pods: Informer<Pod> };
  /** Serve the kubelet API (logs, exec, attach, port-forward) on cfg.address:port (0: any
   *  free port); absent = no server. Without tls: plain HTTP (tests only). */
  server?: { port: number; tls?: TlsPem };
  /** Container log rotation policy; false = off (default: the logs module's default). */
  logRotation?: RotationPolicy | false;
  /** List the runtime node-wide this often and wake only the workers whose pods changed
   *  (pleg/relister.ts) instead of each running pod polling; absent = the workers poll. */
  relistMs?: number;
  /** Stamps the steps of each pod's start (a diagnostic, src/base/timeline.ts); absent = off. */
  trace?: PodTrace;
}

/** REGISTER_BACKOFF: registration retries (upstream: 100 ms doubling to 7 s). While no API
 *  server answers at all (UnavailableRpcError: none reachable, as while `k8ts up` starts them) a
 *  retry loads no server, so it waits at most unreachableMaxMs: the node registers within about
 *  a second of the first API server instead of up to 7 s later. */
const REGISTER_BACKOFF = { initialMs: 100, maxMs: 7_000, unreachableMaxMs: 1_000 };

/** Kubelet is one node's agent; start() it, stop() it. */
export class Kubelet {
  readonly podManager = new PodManager();
  readonly dispatcher: Dispatcher;
  readonly statusManager: StatusManager;
  readonly volumes: VolumeManager;
  readonly nodeAgent: NodeAgent;
  readonly mirrorPods: MirrorPods;
  /** The informer factory this kubelet owns (undefined when o.shared gives them). */
  private readonly ownInformers: SharedInformerFactory | undefined;
  private readonly pods: Informer<Pod>;
  private readonly objects: ObjectCache;
  private readonly host: HostFacts;
  private readonly recorder: EventRecorder | undefined;
  private readonly actor: Actor<typeof kubeletMachine>;
  private readonly runtimeIndex: RuntimeIndex;
  private readonly relister: Relister | undefined;
  private server: KubeletServer | undefined;
  private rotator: ContainerLogRotator | undefined;
  private runtimeName = 'cri';
  private refreshing = false;
  private housekeepingRound: Promise<void> | undefined;
  /** The workers' prepare(): volumes, env, DNS (also used to refresh volumes). */
  private prepare: (pod: Pod) => Promise<unknown> = async () => undefined;
  /** The kubelet server's port once listening (0 before, or without a server). */
  serverPort = 0;
  /** Pods with a worker that have not reported a phase past Pending. While one is starting,
   *  or a status write is pending, this node's Events wait (EventRecorder.yieldTo). */
  private readonly starting: StartingWork;

  constructor(private readonly o: KubeletOptions) {
    const { cfg, api, clock, log } = o;
    this.host = o.host ?? readHostFacts(cfg.nodeName);
    this.recorder = o.events?.('kubelet');
    this.starting = new StartingWork(clock);
    this.recorder?.yieldTo?.(() => this.starting.busy() || this.statusManager.pending > 0);
    let factory: InformerFactory;
    if (o.shared !== undefined) {
      this.ownInformers = undefined;
      factory = o.shared.informers;
      this.pods = o.shared.pods;
    } else {
      // Nothing in a kubelet reads managedFields (its only pod write is to the status
      // subresource, which keeps the stored metadata): its caches neither receive nor keep them.
      const own = new SharedInformerFactory(api, { clock, log, dropManagedFields: true,
        ...(o.informerBackoff !== undefined ? { backoff: o.informerBackoff } : {}) });
      this.ownInformers = own;
      factory = own;
      this.pods = own.informerFor<Pod>(PODS, { fieldSelector: `spec.nodeName=${cfg.nodeName}` });
    }
    this.objects = new ObjectCache(factory, clock);
    this.volumes = new VolumeManager({ rootDir: cfg.rootDir, log,
      useTmpfs: o.useTmpfs ?? process.getuid?.() === 0 });
    this.statusManager = new StatusManager({ api, clock, log,
      cached: (ns, name) => this.pods.lister.get(ns, name),
      ...(o.trace !== undefined ? { trace: o.trace } : {}) });
    this.nodeAgent = new NodeAgent({ api, cfg, host: this.host, clock, wallMs: o.wallMs, log,
      runtimeFacts: async () => {
        const [v, s] = await Promise.all([o.cri.version({ version: '' }),
          o.cri.status({ verbose: false })]);
        return runtimeFactsOf(v, s);
      } });
    this.mirrorPods = new MirrorPods({ api, nodeName: cfg.nodeName, log,
      nodeUid: () => this.nodeAgent.uid,
      statics: () => this.podManager.statics(),
      mirrors: () => this.podManager.mirrorPods(),
      created: (s) => this.statusManager.kick(s.metadata.uid ?? '') });
    this.runtimeIndex = new RuntimeIndex(o.cri, clock, log);
    this.relister = o.relistMs === undefined ? undefined : new Relister({ cri: o.cri, clock,
      periodMs: o.relistMs, log, workers: () => this.dispatcher.workerUids(),
      wake: (uid) => this.dispatcher.wake(uid) });
    this.dispatcher = this.newDispatcher();
    this.actor = createActor(this.machine());
  }

  private newDispatcher(): Dispatcher {
    const { cfg, api, log } = this.o;
    const allocatable = allocatableOf(cfg.capacity, cfg.reserved);
    const labels = nodeLabels(cfg, this.host);
    const prepare = makePrepare({ cfg, objects: this.objects, volumes: this.volumes, allocatable,
      podIPs: (pod) => {
        const own = podIPsOf(pod.status);
        return own.length > 0 ? own
          : podIPsOf(this.statusManager.statusOf(pod.metadata.uid ?? ''));
      },
      warn: (pod, reason, message) => this.recorder?.event(pod, 'Warning', reason, message) });
    this.prepare = (pod) => prepare(this.withStatus(pod));
    const deps: PodWorkerDeps = {
      cri: this.o.cri, clock: this.o.clock, wallMs: this.o.wallMs,
      images: new ImageChecks(this.o.cri, () => this.o.clock.nowMs()),
      node: { name: cfg.nodeName, ip: cfg.address }, prepare,
      reportStatus: (pod, status) => {
        this.o.trace?.(pod, `reported:${status.phase ?? ''}`);
        if (status.phase !== 'Pending') this.starting.end(pod.metadata.uid ?? '');
        this.statusManager.reportStatus(pod, status);
        this.runtimeIndex.markStale();
      },
      log,
      ...(this.o.trace !== undefined ? { trace: this.o.trace } : {}),
      ...(this.recorder !== undefined ? { events: this.recorder } : {}),
      ...(this.relister !== undefined ? { relist: this.relister } : {}),
    };
    return new Dispatcher({
      startWorker: (pod) => {
        this.o.trace?.(pod, 'worker');
        this.starting.begin(pod.metadata.uid ?? '');
        return this.o.startWorker(pod, deps, this.runtimeName);
      },
      admit: (pod, admitted) => admitPod(pod, { name: cfg.nodeName, labels, allocatable },
        admitted),
      reportStatus: (pod, status) => {
        this.statusManager.reportStatus(pod, status);
        this.recorder?.event(pod, 'Warning', status.reason ?? 'Rejected', status.message ?? '');
      },
      deletePod: async (pod) => {
        try {
          await api.delete(PODS, pod.metadata.namespace, pod.metadata.name ?? '',
            { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid ?? '' } });
        } catch (e) {
          if (!isStatusError(e) || (e.code !== 404 && e.code !== 409)) throw e;
        }
      },
      released: async (pod) => {
        const m = pod.metadata;
        this.starting.end(m.uid ?? '');
        this.statusManager.forget(m.uid ?? '');
        this.relister?.forget(m.uid ?? '');
        await this.volumes.tearDown(m.uid ?? '');
        await removePodLogs(podLogsRoot(cfg), m.namespace ?? 'default', m.name ?? '',
          m.uid ?? '');
      },
      log,
    });
  }

  /** start runs the kubelet; it registers, heartbeats and runs pods until stop(). */
  start(): void {
    this.actor.start();
  }

  /** stop ends the kubelet (containers keep running); resolves once everything has stopped. */
  async stop(): Promise<void> {
    const done = new Promise<void>((resolve) => {
      const sub = this.actor.subscribe((s) => {
        if (s.status !== 'done') return;
        sub.unsubscribe();
        resolve();
      });
      if (this.actor.getSnapshot().status === 'done') resolve();
    });
    this.actor.send({ type: 'STOP' });
    await done;
  }

  /** registered: the Node exists (its uid is known). */
  get registered(): boolean {
    return this.nodeAgent.uid !== '';
  }

  private apply(changes: PodChange[]): void {
    for (const c of changes) this.dispatcher.apply(c);
  }

  private scanManifests(): void {
    const dir = this.o.cfg.manifestDir;
    if (dir === undefined) return;
    const pods = readManifestDir(dir, this.o.cfg.nodeName, this.o.log);
    const changes = this.podManager.setStaticPods(pods);
    this.apply(changes);
    if (changes.length > 0) void this.mirrorPods.sync();
  }

  private async startup(): Promise<void> {
    const { log, cfg } = this.o;
    try {
      const v = await this.o.cri.version({ version: '' });
      this.runtimeName = v.runtimeName;
      log(`kubelet ${cfg.nodeName}: runtime ${v.runtimeName} ${v.runtimeVersion}`);
    } catch (e) {
      log(`kubelet ${cfg.nodeName}: runtime not answering yet: ${String(e)}`);
    }
    this.statusManager.start();
    this.relister?.start();
    this.pods.addHandlers({
      add: (p) => this.onApiPod(p),
      update: (_, p) => this.onApiPod(p),
      delete: (p) => {
        this.apply(this.podManager.deleteApiPod(p));
        void this.mirrorPods.sync();
      },
    });
    this.ownInformers?.start();
    this.scanManifests();
    await this.startServer();
    if (this.o.logRotation !== false) {
      this.rotator = new ContainerLogRotator({ cri: this.o.cri, clock: this.o.clock,
        wallMs: this.o.wallMs, log,
        ...(this.o.logRotation !== undefined ? { policy: this.o.logRotation } : {}) });
      this.rotator.start();
    }
  }

  /** startServer starts the kubelet server and the runtime index it resolves names with. */
  private async startServer(): Promise<void> {
    const s = this.o.server;
    if (s === undefined) return;
    this.runtimeIndex.start();
    const logs = new KubeletLogSource({ getPod: (ns, name) => this.podWithStatus(ns, name),
      cri: this.o.cri, clock: this.o.clock, podLogsRoot: podLogsRoot(this.o.cfg),
      log: this.o.log });
    const server = new KubeletServer({ host: this.o.cfg.address, port: s.port,
      ...(s.tls !== undefined ? { tls: s.tls } : {}), cri: this.o.cri,
      resolve: (ns, pod, c) => this.runtimeIndex.resolve(ns, pod, c), logs,
      pods: () => this.podManager.all().map((p) => this.withStatus(p)),
      wallMs: this.o.wallMs, log: this.o.log });
    this.serverPort = await server.start();
    this.server = server;
    // Port 0 asked for any free port: the Node must advertise the one bound (registration
    // runs after startup, so it sees this).
    if (this.o.cfg.kubeletPort === 0) this.o.cfg.kubeletPort = this.serverPort;
    this.o.log(`kubelet ${this.o.cfg.nodeName}: serving on ${this.o.cfg.address}:` +
      `${this.serverPort}`);
  }

  /**
   * refreshVolumes rewrites the projected files (configMap, secret, downwardAPI, projected) of
   * every running pod from the cached objects; the atomic writer skips unchanged ones. One
   * round at a time; a failure is logged and the next round tries again.
   */
  private async refreshVolumes(): Promise<void> {
    if (this.refreshing) return;
    this.refreshing = true;
    try {
      for (const pod of this.dispatcher.activePods()) {
        if (!(pod.spec?.volumes ?? []).some((v) => v.configMap ?? v.secret ?? v.downwardAPI ??
          v.projected)) continue;
        await this.prepare(pod).catch((e: unknown) =>
          this.o.log(`volumes of ${pod.metadata.namespace}/${pod.metadata.name}: ${String(e)}`));
      }
    } finally {
      this.refreshing = false;
    }
  }

  /** housekeeping removes what vanished pods left (one round at a time). */
  private async housekeeping(): Promise<void> {
    if (this.housekeepingRound !== undefined) return;
    this.housekeepingRound = housekeep({
      cri: this.o.cri, volumes: this.volumes, podLogsRoot: podLogsRoot(this.o.cfg),
      synced: () => this.pods.hasSynced(),
      liveUids: () => new Set([...this.podManager.all().map((p) => p.metadata.uid ?? ''),
        ...this.dispatcher.workerUids()]),
      log: this.o.log,
    }).catch((e: unknown) => this.o.log(`housekeeping: ${String(e)}`))
      .finally(() => { this.housekeepingRound = undefined; });
    await this.housekeepingRound;
  }

  /** podWithStatus: a pod this kubelet runs, with the status it last reported. */
  podWithStatus(namespace: string, name: string): Pod | undefined {
    const pod = this.podManager.all().find((p) => p.metadata.namespace === namespace &&
      p.metadata.name === name);
    return pod === undefined ? undefined : this.withStatus(pod);
  }

  private withStatus(pod: Pod): Pod {
    const status = this.statusManager.statusOf(pod.metadata.uid ?? '');
    return status === undefined ? pod : { ...pod, status };
  }

  private onApiPod(p: Pod): void {
    this.o.trace?.(p, 'seen');
    this.apply(this.podManager.setApiPod(p));
    if (p.metadata.annotations?.['kubernetes.io/config.mirror'] !== undefined) {
      void this.mirrorPods.sync();
    }
  }

  private async shutdown(): Promise<void> {
    await this.server?.close();
    await this.rotator?.stop();
    this.runtimeIndex.stop();
    this.relister?.stop();
    await this.housekeepingRound;
    this.statusManager.stop();
    await this.dispatcher.stop();
    await this.ownInformers?.stopAndWait();
    this.o.log(`kubelet ${this.o.cfg.nodeName}: stopped (containers left running)`);
  }

  private machine() {
    const { clock, cfg, log } = this.o;
    return kubeletMachine.provide({
      actors: {
        startup: fromPromise(() => this.startup()),
        shutdown: fromPromise(() => this.shutdown()),
        sources: fromCallback(() => {
          const t = clock.setInterval(() => this.scanManifests(), cfg.fileCheckFrequencyMs);
          const v = clock.setInterval(() => void this.refreshVolumes(), cfg.volumeRefreshMs);
          const h = clock.setInterval(() => void this.housekeeping(), cfg.housekeepingIntervalMs);
          return () => {
            t.cancel();
            v.cancel();
            h.cancel();
          };
        }),
        registration: fromCallback(({ sendBack }) => registerLoop(this.nodeAgent, clock, log,
          () => sendBack({ type: 'REGISTERED' }))),
        heartbeat: fromCallback(() => heartbeat(this, clock, cfg, log)),
      },
    });
  }
}

/** podIPsOf: a status's pod IPs (podIPs, else podIP). */
function podIPsOf(s: Pod['status']): string[] {
  const ips = (s?.podIPs ?? []).map((p) => p.ip);
  return ips.length > 0 || s?.podIP === undefined || s.podIP === '' ? ips : [s.podIP];
}

/** registerLoop registers the node, retrying with a doubling delay; returns a canceller. */
function registerLoop(agent: NodeAgent, clock: Clock, log: (l: string) => void,
  done: () => void): () => void {
  let stopped = false;
  let delayMs = REGISTER_BACKOFF.initialMs;
  let timer: { cancel(): void } | undefined;
  const attempt = (): void => {
    agent.register().then(() => {
      if (!stopped) done();
    }, (e: unknown) => {
      if (stopped) return;
      const waitMs = e instanceof UnavailableRpcError
        ? Math.min(delayMs, REGISTER_BACKOFF.unreachableMaxMs) : delayMs;
      log(`node registration failed (retry in ${waitMs} ms): ${String(e)}`);
      timer = clock.setTimeout(attempt, waitMs);
      delayMs = Math.min(REGISTER_BACKOFF.maxMs, delayMs * 2);
    });
  };
  attempt();
  return () => {
    stopped = true;
    timer?.cancel();
  };
}

/** heartbeat runs the Lease, node status and mirror pod timers; returns a canceller. Each
 *  timer skips a tick while its previous write is still in flight. */
function heartbeat(k: Kubelet, clock: Clock, cfg: KubeletConfig,
  log: (l: string) => void): () => void {
  const every = (periodMs: number, what: string, f: () => Promise<unknown>) => {
    let busy = false;
    const tick = (): void => {
      if (busy) return;
      busy = true;
      f().catch((e: unknown) => log(`${what} failed: ${String(e)}`))
        .finally(() => { busy = false; });
    };
    tick();
    return clock.setInterval(tick, periodMs);
  };
  const timers = [
    every(cfg.leaseRenewIntervalMs, 'lease renewal', () => k.nodeAgent.renewLease()),
    every(cfg.nodeStatusUpdateFrequencyMs, 'node status', () => k.nodeAgent.postStatus()),
    every(cfg.nodeStatusUpdateFrequencyMs, 'mirror pods', () => k.mirrorPods.sync()),
  ];
  return () => timers.forEach((t) => t.cancel());
}

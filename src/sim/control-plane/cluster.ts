/**
 * SimControlPlane: a whole control plane in one process on one simulated clock — the REAL
 * registry over MemoryStorage (bootstrapped as an API server does), N controller managers and
 * N schedulers each campaigning for their Lease, and hollow nodes — with every source of time
 * and randomness derived from one seed. The driver steps the clock one event at a time and,
 * after each, lets all promise work settle (every pending microtask and setImmediate turn), so
 * the same seed always produces the same history, commit for commit.
 */
import { assert } from '../../base/assert.js';
import { Prng } from '../../base/prng.js';
import { bootstrapCluster } from '../../apiserver/bootstrap.js';
import { Allocator, parseCidr } from '../../apiserver/registry/allocator.js';
import { Registry } from '../../apiserver/registry/registry.js';
import { ServiceAddresses } from '../../apiserver/registry/services.js';
import type { ApiRegistry } from '../../apiserver/registry/types.js';
import type { ControllerDescriptor } from '../../controllers/types.js';
import { SimClock } from '../clock.js';
import { Audit } from './audit.js';
import { ElectedProcess, type ElectedKind, type ElectedTiming } from './elected.js';
import type { RealTimeGuard } from './guard.js';
import { HollowNode, type HollowNodeOptions } from './hollow-node.js';
import { SimLink, type LinkStats } from './link.js';
import { MemoryStorage } from './memory-storage.js';
import { RegistryApi } from './registry-api.js';
import { SafetyChecker } from './safety.js';

/** EPOCH_MS: wall time at virtual time 0 (any fixed instant: wall time must replay too). */
export const EPOCH_MS = Date.UTC(2025, 0, 1);

/** STEPS_MAX bounds one drive: more events than this in one call means a runaway loop. */
const STEPS_MAX = 5_000_000;
/** TURNS_MAX bounds the event-loop turns one drain may take (a component spinning on
 *  setImmediate forever would otherwise hang the simulation). */
const TURNS_MAX = 100_000;

/** ClusterOptions: the shape of the simulated cluster. */
export interface ClusterOptions {
  seed: number;
  timing: ElectedTiming;
  controllers: () => readonly ControllerDescriptor[];
  node: Omit<HollowNodeOptions, 'name' | 'index'>;
  /** Request latency of every link is uniform in [0, latencyMsMax]. */
  latencyMsMax: number;
  /** Components' requests fail with this probability (SimLink); the scenario's never do. */
  failRate: number;
  /** Changes the store keeps for watches that resume (small: informers hit 410 and relist). */
  historyMax: number;
  /** The checker's stale window (see safety.ts). */
  staleWindowMs: number;
  /** Self-test: strip fences before the registry (the checker must catch it). */
  stripFences?: boolean;
  guard: RealTimeGuard;
  log: (line: string) => void;
}

/** SimControlPlane is the running cluster. */
export class SimControlPlane {
  readonly clock = new SimClock();
  readonly prng: Prng;
  readonly storage: MemoryStorage;
  readonly audit: Audit;
  readonly safety: SafetyChecker;
  readonly registry: ApiRegistry;
  readonly processes: ElectedProcess[] = [];
  readonly nodes = new Map<string, HollowNode>();
  readonly linkStats: LinkStats = { lostRequests: 0, lostAnswers: 0 };
  private nextProcess = 1;
  private nodeIndex = new Map<string, number>();

  constructor(readonly o: ClusterOptions) {
    this.prng = new Prng(o.seed);
    this.storage = new MemoryStorage({ historyMax: o.historyMax });
    this.audit = new Audit({ stripFences: o.stripFences ?? false });
    this.safety = new SafetyChecker(this.audit, () => this.clock.nowMs(), o.staleWindowMs);
    this.storage.observe((rev, writes) => this.safety.onCommit(rev, writes));
    const ids = this.prng.fork();
    const names = this.prng.fork();
    const registry = new Registry({
      storage: this.storage,
      wallMs: () => this.wallMs(),
      newUid: () => uid(ids),
      random: () => names.float(),
      services: new ServiceAddresses(new Allocator(this.storage, parseCidr('10.96.0.0/16'))),
    });
    this.registry = this.audit.wrap(registry);
  }

  /** wallMs: wall time, derived from virtual time (timestamps in objects replay too). */
  wallMs(): number {
    return EPOCH_MS + this.clock.nowMs();
  }

  /** bootstrap creates what an API server creates at start (namespaces, the kubernetes
   *  Service). */
  async bootstrap(): Promise<void> {
    await this.settle(bootstrapCluster(this.registry, { host: '192.168.100.1', port: 6443 }));
  }

  /** link: a new process's connection as user (groups as the API server would derive);
   *  reliable links never fail requests (the scenario's own). */
  link(user: string, groups: string[], reliable = false): SimLink {
    const api = new RegistryApi(this.registry, { name: user, groups });
    return new SimLink(api, this.clock, this.prng.fork(), {
      latencyMsMax: this.o.latencyMsMax,
      failRate: reliable ? 0 : this.o.failRate,
      stats: this.linkStats,
    });
  }

  /** startProcess starts a new controller manager or scheduler process. */
  startProcess(kind: ElectedKind): ElectedProcess {
    const user = kind === 'scheduler' ? 'system:kube-scheduler' : 'system:kube-controller-manager';
    const identity = `${kind === 'scheduler' ? 'sched' : 'kcm'}-${this.nextProcess++}`;
    const p = new ElectedProcess(kind, identity, {
      link: this.link(user, ['system:authenticated']),
      clock: this.clock,
      wallMs: () => this.wallMs(),
      prng: this.prng.fork(),
      log: (line) => this.o.log(`${identity}: ${line}`),
      timing: this.o.timing,
      controllers: this.o.controllers,
    });
    this.processes.push(p);
    p.start();
    return p;
  }

  /** startNode starts (or restarts) the hollow kubelet of node name. */
  startNode(name: string): HollowNode {
    assert(this.nodes.get(name) === undefined, `node ${name} is running`);
    const index = this.nodeIndex.get(name) ?? this.nodeIndex.size;
    this.nodeIndex.set(name, index);
    const node = new HollowNode({ ...this.o.node, name, index }, {
      link: this.link(`system:node:${name}`, ['system:nodes', 'system:authenticated']),
      clock: this.clock,
      wallMs: () => this.wallMs(),
      prng: this.prng.fork(),
      log: (line) => this.o.log(line),
    });
    this.nodes.set(name, node);
    node.start();
    return node;
  }

  /** killNode: the kubelet of name dies. */
  killNode(name: string): void {
    const node = this.nodes.get(name);
    assert(node !== undefined, `node ${name} is not running`);
    node.kill();
    this.nodes.delete(name);
  }

  /** knownNodes: every node ever started, live or not. */
  knownNodes(): string[] {
    return [...this.nodeIndex.keys()];
  }

  /** leaders: the live processes of kind that believe they lead. */
  leaders(kind: ElectedKind): ElectedProcess[] {
    return this.processes.filter((p) => p.kind === kind && p.isLeader());
  }

  /** runFor drives the clock for durationMs of virtual time, settling after every event;
   *  it stops early (and returns false) once a safety invariant is broken. */
  async runFor(durationMs: number): Promise<boolean> {
    const endMs = this.clock.nowMs() + durationMs;
    for (let steps = 0; ; steps++) {
      assert(steps < STEPS_MAX, `more than ${STEPS_MAX} events in one drive`);
      if (this.safety.violations.length > 0) return false;
      const next = this.clock.nextAtMs();
      if (next === undefined || next > endMs) break;
      this.clock.step();
      await this.drain();
    }
    this.clock.advanceTo(endMs);
    return true;
  }

  /** settle runs the clock until p settles (setup steps that need the API). */
  async settle<T>(p: Promise<T>): Promise<T> {
    let done = false;
    const out = p.finally(() => (done = true));
    await this.drain();
    for (let steps = 0; !done; steps++) {
      assert(steps < STEPS_MAX, 'settle: the promise never settled');
      assert(this.clock.step(), 'settle: nothing left to run and the promise is pending');
      await this.drain();
    }
    return out;
  }

  /** drain lets every microtask and pending setImmediate turn run. */
  private async drain(): Promise<void> {
    for (let turns = 0; ; turns++) {
      assert(turns < TURNS_MAX, `more than ${TURNS_MAX} event-loop turns at one instant`);
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.o.guard.immediates === 0) return;
    }
  }
}

/** uid: an RFC 4122-shaped version-4 id from the seeded generator. */
function uid(prng: Prng): string {
  const hex = (n: number): string => {
    let s = '';
    for (let i = 0; i < n; i++) s += prng.int(16).toString(16);
    return s;
  };
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${(8 + prng.int(4)).toString(16)}${hex(3)}-${hex(12)}`;
}

/**
 * runSeed: one seeded run of the control-plane simulation (the VOPR shape). A safety phase of
 * workload ops and faults, with every commit checked as it lands; then the faults are healed
 * and a liveness phase must see the cluster converge. Real time and randomness are guarded off
 * for the whole run, so a seed replays exactly; the result carries a digest of the commit
 * history so a test can prove it.
 */
import { allControllers } from '../../controllers/all.js';
import { endpointSliceController } from '../../controllers/endpointslice/controller.js';
import { garbageCollectorController } from '../../controllers/garbagecollector/controller.js';
import { replicaSetController } from '../../controllers/replicaset/controller.js';
import type { ControllerDescriptor } from '../../controllers/types.js';
import { DEFAULT_LEADER_TIMING } from '../../client/leader/elector.js';
import { Prng } from '../../base/prng.js';
import { SimControlPlane } from './cluster.js';
import { unconverged } from './convergence.js';
import { RealTimeGuard } from './guard.js';
import type { LinkStats } from './link.js';
import { Scenario, type ScenarioOptions } from './scenario.js';
import type { SafetyStats, Violation } from './safety.js';

/** CpSimOptions: one run's knobs (defaults in DEFAULT_CP_OPTIONS). */
export interface CpSimOptions {
  controllerManagers: number;
  schedulers: number;
  /** Node count is drawn from this range. */
  nodes: [number, number];
  podsPerNode: number;
  /** Virtual ms of workload ops and faults. */
  safetyMs: number;
  /** Virtual ms the healed cluster gets to converge. */
  livenessMs: number;
  faults: ScenarioOptions['faults'];
  /** Self-test: strip every fence before the registry (the fencing invariant must fire). */
  stripFences: boolean;
  /** Keep the last this many log lines (printed for a failed seed). */
  logLines: number;
  /** Also hand every log line to this as it happens (a verbose replay). */
  echo?: (line: string) => void;
  /** The controller manager's controllers (default simControllers(); self-tests swap in a
   *  broken set). */
  controllers?: ControllerDescriptor[];
}

export const DEFAULT_CP_OPTIONS: CpSimOptions = {
  controllerManagers: 3,
  schedulers: 3,
  nodes: [3, 5],
  podsPerNode: 8,
  safetyMs: 30_000,
  livenessMs: 90_000,
  faults: 'all',
  stripFences: false,
  logLines: 400,
};

/** NODE_GRACE_MS: the node lifecycle controller's grace period in the simulation (short, so a
 *  killed node is noticed within the safety phase). */
const NODE_GRACE_MS = 4_000;
/** CHECK_EVERY_MS: how often the liveness phase looks for convergence. */
const CHECK_EVERY_MS = 1_000;

/** CpSeedResult: what one seed did and whether it held. */
export interface CpSeedResult {
  seed: number;
  ok: boolean;
  violations: Violation[];
  /** Real time or randomness used by the code under simulation. */
  leaks: string[];
  /** Unmet convergence conditions at the end of the liveness phase (empty: converged). */
  unconverged: string[];
  /** Virtual ms from heal to convergence (undefined: never). */
  convergedAfterMs: number | undefined;
  commits: number;
  /** What the history exercised: fenced writes landed and refused, deletions, binds. */
  stats: SafetyStats & LinkStats & { fenceRefusals: number };
  virtualMs: number;
  ops: Record<string, number>;
  /** FNV-1a over every commit's revision, keys and values: equal digests, equal histories. */
  digest: string;
  controllers: string[];
  log: string[];
}

/** simControllers: allControllers plus landed controllers it does not list yet (deduplicated
 *  by name), so the simulation runs everything that exists. */
export function simControllers(): ControllerDescriptor[] {
  const all = allControllers({ nodeMonitorGracePeriodMs: NODE_GRACE_MS });
  const landed = [replicaSetController, garbageCollectorController, endpointSliceController];
  for (const d of landed) if (!all.some((x) => x.name === d.name)) all.push(d);
  return all;
}

/** runSeed runs one seed to its end; it never throws for a failed invariant (see ok). */
export async function runSeed(seed: number, opts: Partial<CpSimOptions> = {}):
  Promise<CpSeedResult> {
  const o = { ...DEFAULT_CP_OPTIONS, ...opts };
  const guard = new RealTimeGuard();
  const log: string[] = [];
  let cp: SimControlPlane | undefined;
  const write = (line: string): void => {
    const stamped = `${String(cp?.clock.nowMs() ?? 0).padStart(7)} ${line}`;
    o.echo?.(stamped);
    log.push(stamped);
    if (log.length > o.logLines) log.shift();
  };
  const controllers = o.controllers ?? simControllers();
  guard.install();
  try {
    cp = new SimControlPlane({
      seed, timing: DEFAULT_LEADER_TIMING, controllers: () => controllers,
      node: { allocatable: { cpu: '4', memory: '8Gi', pods: String(o.podsPerNode) },
        leaseRenewMs: 1_000, statusEveryMs: 10_000, startDelayMs: [50, 1_500] },
      latencyMsMax: 3, staleWindowMs: 30_000, stripFences: o.stripFences, guard, log: write,
      ...seededEdges(seed),
    });
    return await drive(cp, seed, o, guard, controllers, log);
  } finally {
    guard.uninstall();
  }
}

async function drive(cp: SimControlPlane, seed: number, o: CpSimOptions, guard: RealTimeGuard,
  controllers: ControllerDescriptor[], log: string[]): Promise<CpSeedResult> {
  const digest = new Fnv();
  let commits = 0;
  cp.storage.observe((rev, writes) => {
    commits++;
    digest.add(String(rev));
    for (const w of writes) digest.add(w.key).add(w.value?.toString('utf8') ?? '-');
  });
  await cp.bootstrap();
  const nodeCount = cp.prng.range(...o.nodes);
  for (let i = 1; i <= nodeCount; i++) cp.startNode(`node-${i}`);
  for (let i = 0; i < o.controllerManagers; i++) cp.startProcess('controller-manager');
  for (let i = 0; i < o.schedulers; i++) cp.startProcess('scheduler');
  const names = new Set(controllers.map((d) => d.name));
  const admin = cp.link('sim:admin', ['system:masters', 'system:authenticated'], true);
  const scenario = new Scenario(cp, admin, cp.prng.fork(), {
    opGapMs: [200, 2_000], tolerationSeconds: 2, podsPerNode: o.podsPerNode,
    deployments: names.has('deployment'), faults: o.faults, workloadsMax: 5,
  });
  scenario.start();
  await cp.runFor(o.safetyMs);
  scenario.stop();
  scenario.heal();
  const healedMs = cp.clock.nowMs();
  let problems: string[] = ['not checked yet'];
  let convergedAfterMs: number | undefined;
  while (cp.clock.nowMs() - healedMs < o.livenessMs && cp.safety.violations.length === 0) {
    await cp.runFor(CHECK_EVERY_MS);
    const liveNodes = new Set(cp.nodes.keys());
    problems = await cp.settle(unconverged({ storage: cp.storage, liveNodes, controllers: names }));
    if (problems.length === 0) {
      convergedAfterMs = cp.clock.nowMs() - healedMs;
      break;
    }
  }
  const violations = [...cp.safety.violations];
  return {
    seed,
    ok: violations.length === 0 && guard.leaks.length === 0 && problems.length === 0,
    violations, leaks: [...guard.leaks], unconverged: problems, convergedAfterMs,
    commits,
    stats: { ...cp.safety.stats, ...cp.linkStats, fenceRefusals: cp.audit.fenceRefusals },
    virtualMs: cp.clock.nowMs(), ops: Object.fromEntries(scenario.counts),
    digest: digest.hex(), controllers: [...names], log,
  };
}

/** seededEdges draws the seed's request failure rate and store history length (from a PRNG of
 *  their own, so the cluster's stream is not shifted by them). */
function seededEdges(seed: number): { failRate: number; historyMax: number } {
  const prng = new Prng(seed ^ 0x5eed);
  return { failRate: prng.pick([0, 0.005, 0.02]), historyMax: prng.pick([500, 5_000, 100_000]) };
}

/** Fnv is 32-bit FNV-1a, enough to tell two histories apart. */
class Fnv {
  private h = 0x811c9dc5;

  add(s: string): this {
    for (let i = 0; i < s.length; i++) {
      this.h ^= s.charCodeAt(i);
      this.h = Math.imul(this.h, 0x01000193) >>> 0;
    }
    return this;
  }

  hex(): string {
    return this.h.toString(16).padStart(8, '0');
  }
}

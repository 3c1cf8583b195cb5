/**
 * ElectedProcess: one simulated controller-manager or scheduler process, as
 * src/cluster/elected-main.ts runs it for real: a LeaderElector on its kube-system Lease whose
 * every term gets a fresh informer factory and event recorder over the term's fenced API, and
 * runs the component's work (runControllers with the controller descriptors, or runScheduler)
 * until the term ends. The only differences from the real process are the edges: the API is a
 * SimLink to the in-process registry, and time and randomness are the simulation's.
 */
import type { Clock } from '../../base/clock.js';
import { Prng } from '../../base/prng.js';
import { SharedInformerFactory } from '../../client/cache/factory.js';
import { eventRecorderFactory } from '../../client/events/recorder.js';
import { LeaderElector } from '../../client/leader/elector.js';
import type { LeadingContext } from '../../client/leader/types.js';
import { runControllers } from '../../controllers/manager.js';
import type { ControllerDescriptor } from '../../controllers/types.js';
import { runScheduler } from '../../scheduler/scheduler.js';
import type { SimLink } from './link.js';

/** ElectedKind: which component the process is. */
export type ElectedKind = 'controller-manager' | 'scheduler';

/** LEASE_NAMES: the kube-system Lease each component leads by (as upstream). */
export const LEASE_NAMES: Record<ElectedKind, string> = {
  'controller-manager': 'kube-controller-manager',
  scheduler: 'kube-scheduler',
};

/** ElectedTiming: the leader election timing (DEFAULT_LEADER_TIMING in production). */
export interface ElectedTiming {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

/** ElectedDeps: the process's edges. */
export interface ElectedDeps {
  link: SimLink;
  clock: Clock;
  wallMs: () => number;
  prng: Prng;
  log: (line: string) => void;
  timing: ElectedTiming;
  /** The controller manager's controllers (ignored for the scheduler). */
  controllers: () => readonly ControllerDescriptor[];
}

/** ElectedProcess is one process; start() campaigns until kill(). */
export class ElectedProcess {
  private readonly elector: LeaderElector;
  private readonly stop = new AbortController();
  private terms = 0;

  constructor(
    readonly kind: ElectedKind,
    readonly identity: string,
    private readonly d: ElectedDeps,
  ) {
    this.elector = new LeaderElector(
      {
        namespace: 'kube-system',
        name: LEASE_NAMES[kind],
        identity,
        ...d.timing,
        releaseOnCancel: false,
      },
      {
        onStartedLeading: (lead) => this.lead(lead),
        onNewLeader: (who) => d.log(`${identity}: leader is ${who}`),
      },
      { api: d.link, clock: d.clock, wallMs: d.wallMs, log: d.log },
    );
  }

  /** isLeader: the elector believes it leads (a deposed leader may still believe so). */
  isLeader(): boolean {
    return this.d.link.alive && this.elector.isLeader();
  }

  /** alive: not killed. */
  get alive(): boolean {
    return this.d.link.alive;
  }

  /** termsLed: how many terms this process has led. */
  get termsLed(): number {
    return this.terms;
  }

  start(): void {
    void this.elector.run(this.stop.signal);
  }

  /** kill: the process dies without releasing its lease (the successor waits for expiry). */
  kill(): void {
    this.d.link.kill();
    this.stop.abort();
  }

  /** breakWatches ends the process's watches (its API server restarted). */
  breakWatches(): void {
    this.d.link.breakWatches();
  }

  /** slow: the process's requests take extraMs longer for forMs (a pause). */
  slow(extraMs: number, forMs: number): void {
    this.d.link.slow(extraMs, forMs);
  }

  private async lead(lead: LeadingContext): Promise<void> {
    this.terms++;
    const { clock, wallMs, log } = this.d;
    const seed = this.d.prng.nextU32();
    const informers = new SharedInformerFactory(lead.api, { clock, seed, log });
    // Event names' sub-ms part from the term's seed: no extra draw from the shared prng.
    const names = new Prng(seed ^ 0x5eed);
    const events = eventRecorderFactory(lead.api, { clock, wallMs, host: this.identity, log,
      random: () => names.float() });
    try {
      if (this.kind === 'scheduler') {
        await runScheduler({
          api: lead.api, informers, clock, wallMs, log, signal: lead.signal,
          events: events('default-scheduler'), seed: this.d.prng.nextU32(),
        });
      } else {
        await runControllers({
          api: lead.api, informers, events, clock, wallMs, log, signal: lead.signal,
          controllers: this.d.controllers(),
        });
      }
    } finally {
      informers.stop();
      void events.stop();
    }
  }
}

/**
 * The process shell shared by a master's controller manager and scheduler: read the effective
 * cluster config, connect to the component gRPC API (this master's API server first, the others
 * for failover) as the component's own certificate identity, and campaign for the component's
 * Lease in kube-system. While leading, run the component's work on the fenced API; when the term
 * ends (lost lease, fenced write refused), stop the work and campaign again. SIGTERM releases the
 * lease so a standby takes over at once.
 *
 * Caches and events outlive terms: the informers are the process's (started before the first
 * campaign, over the unfenced API — reads need no fence), so a standby is warm when it takes over
 * and a re-elected process lists nothing again; each term only registers and later removes its
 * handlers (TermInformers). Events are not fenced either: an event says what a component did,
 * and that stays true after it is deposed.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { systemClock } from '../base/clock.js';
import { systemWallMs } from '../base/wall-clock.js';
import { ApiClient } from '../client/api-client.js';
import { componentUserAgent } from '../client/user-agent.js';
import { versionInfo } from '../apiserver/discovery/version.js';
import { SharedInformerFactory } from '../client/cache/factory.js';
import { TermInformers } from '../client/cache/term-informers.js';
import type { InformerFactory } from '../client/cache/types.js';
import type { ControllerContext } from '../controllers/types.js';
import { eventRecorderFactory } from '../client/events/recorder.js';
import { LeaderElector } from '../client/leader/elector.js';
import { componentTls } from './api-access.js';
import { loadClusterConfig, statePaths, type ClusterConfig, type MemberSpec } from './config.js';
import { mainLog, recordOwnPid } from './process-main.js';

/** TermContext: what a component's work gets for one term of leadership — a controller's
 *  context (fenced API, this term's view of the informers, events, time, the term's signal)
 *  plus the cluster config and which master this is. */
export interface TermContext extends ControllerContext {
  cfg: ClusterConfig;
  member: MemberSpec;
}

/** ElectedComponent describes one elected component's process. */
export interface ElectedComponent {
  /** Log prefix and usage name, e.g. "controller-manager". */
  name: string;
  /** Lease in kube-system and certificate name, e.g. "kube-controller-manager". */
  identity: string;
  /** warm requests, at process start, the informers the work will use (a warm standby). */
  warm(informers: InformerFactory): void;
  /** lead runs the work until ctx.signal aborts. */
  lead(ctx: TermContext): Promise<void>;
}

const log = mainLog;

/** electedMain is the whole process: call it from the component's main file. */
export function electedMain(c: ElectedComponent): void {
  recordOwnPid();
  run(c).catch((err: unknown) => {
    log(`fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  });
}

async function run(c: ElectedComponent): Promise<void> {
  const options = { config: { type: 'string' }, member: { type: 'string' } } as const;
  const { values } = parseArgs({ options });
  if (!values.config || !values.member) {
    throw new Error(`usage: ${c.name} --config <file> --member <name>`);
  }
  const cfg = loadClusterConfig(values.config, { force: true });
  const member = cfg.members.find((m) => m.name === values.member);
  if (member?.grpc === undefined) {
    throw new Error(`${values.config}: member ${values.member} has no grpc address`);
  }
  const others = cfg.members.filter((m) => m !== member && m.grpc !== undefined)
    .map((m) => m.grpc ?? '');
  const api = new ApiClient({
    endpoints: [member.grpc, ...others],
    tls: componentTls(statePaths(cfg.name, cfg.dataDir), c.identity),
    seed: process.pid,
    userAgent: componentUserAgent(c.identity, versionInfo()),
  });
  const identity = `${member.name}_${randomBytes(4).toString('hex')}`;
  const stop = new AbortController();
  // Informers drop managedFields, as kube-scheduler's and kube-controller-manager's do.
  const shared = new SharedInformerFactory(api,
    { clock: systemClock, log, dropManagedFields: true });
  c.warm(shared);
  shared.start();
  const events = eventRecorderFactory(api,
    { clock: systemClock, wallMs: systemWallMs, host: hostname(), log });
  const elector = new LeaderElector(
    {
      namespace: 'kube-system',
      name: c.identity,
      identity,
      leaseDurationMs: cfg.controlPlane.leaseDurationMs,
      renewDeadlineMs: cfg.controlPlane.renewDeadlineMs,
      retryPeriodMs: cfg.controlPlane.retryPeriodMs,
      releaseOnCancel: true,
    },
    {
      onStartedLeading: async (lead) => {
        log(`${c.name}: leading as ${identity} (fence revision ${lead.fence.revision})`);
        const informers = new TermInformers(shared);
        try {
          await c.lead({
            cfg, member, api: lead.api, informers, events, log, signal: lead.signal,
            clock: systemClock, wallMs: systemWallMs,
          });
        } finally {
          informers.stop();
        }
      },
      onStoppedLeading: () => log(`${c.name}: stopped leading`),
      onNewLeader: (who) => log(`${c.name}: leader is ${who}`),
    },
    { api, clock: systemClock, wallMs: systemWallMs, log },
  );
  const endpoints = [member.grpc, ...others].join(',');
  log(`${c.name} ${identity} of cluster ${cfg.name}: pid ${process.pid}, API ${endpoints}`);
  const shutdown = (signal: string): void => {
    if (stop.signal.aborted) return;
    log(`${signal}: stopping`);
    stop.abort();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  await elector.run(stop.signal);
  await events.stop();
  shared.stop();
  api.close();
  process.exit(0);
}

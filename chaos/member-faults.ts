/**
 * member-faults: a bounded chaos run against a running k8ts group. Each round applies one fault
 * drawn from a seeded PRNG — SIGKILL the leader, SIGKILL a follower, or SIGSTOP the leader for
 * twice the election timeout (a deposed leader that wakes up) — while writers propose unique
 * payloads through random members. Killed members are restarted at the end of their round.
 *
 * Then it checks what a user relies on:
 * - every member converges to the same applied index and state digest;
 * - no acknowledged write is lost: the number of entries the group applied during the run lies
 *   between the writes acknowledged and the writes acknowledged plus those whose outcome was
 *   unknown (a write refused with "not leader" or "no leader" was never appended).
 *
 *   npm run chaos -- [--name default] [--rounds 10] [--seed S] [--writers 4]
 */
import { performance } from 'node:perf_hooks';
import { status } from '@grpc/grpc-js';
import { Prng } from '../src/base/prng.js';
import { systemClock } from '../src/base/clock.js';
import type { MemberSpec } from '../src/cluster/config.js';
import { MemberClients } from '../src/cluster/member-client.js';
import type { Supervisor } from '../src/cluster/supervisor.js';
import { RpcError } from '../src/rpc/errors.js';
import { unary } from '../src/rpc/unary.js';

export interface ChaosOptions {
  rounds: number;
  seed: number;
  writers: number;
  log(line: string): void;
}

export interface ChaosReport {
  acked: number;
  refused: number;
  unknown: number;
  appliedDuringRun: number;
  problems: string[];
}

type Fault = 'kill-leader' | 'kill-follower' | 'pause-leader';
const FAULTS: readonly Fault[] = ['kill-leader', 'kill-follower', 'pause-leader'];

export async function runMemberFaults(sup: Supervisor, opts: ChaosOptions): Promise<ChaosReport> {
  const prng = new Prng(opts.seed);
  const clients = new MemberClients(sup.cfg);
  const t = sup.cfg.timing;
  const electionMs = t.tickMs * t.electionTicks;
  const report: ChaosReport = { acked: 0, refused: 0, unknown: 0, appliedDuringRun: 0, problems: [] };
  try {
    const before = await converged(clients, 30_000);
    if (!before) throw new Error('the group is not healthy before the run (members disagree or are down)');
    let stop = false;
    const writers = Array.from({ length: opts.writers }, (_, w) => writer(clients, prng.fork(), `${opts.seed}/${w}`, report, () => stop));
    for (let round = 1; round <= opts.rounds; round++) {
      const fault = prng.pick(FAULTS);
      const rows = await sup.rows();
      const leader = rows.find((r) => r.status?.role === 'leader');
      const followers = rows.filter((r) => r.status && r.status.role !== 'leader');
      const victim = fault === 'kill-follower' ? (followers.length ? prng.pick(followers) : undefined) : leader;
      if (!victim) {
        opts.log(`round ${round}: no ${fault === 'kill-follower' ? 'follower' : 'leader'} to hit; waiting`);
        await sleep(electionMs * 2);
        continue;
      }
      const t0 = performance.now();
      if (fault === 'pause-leader') {
        process.kill(victim.pid!, 'SIGSTOP');
        await sleep(electionMs * 2);
        process.kill(victim.pid!, 'SIGCONT');
      } else {
        sup.kill(victim.spec.name);
        await sleep(electionMs * 2);
        await sup.restart(victim.spec.name);
      }
      opts.log(`round ${round}: ${fault} ${victim.spec.name} (term ${victim.status!.term}); back after ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      await sleep(prng.range(100, 500));
    }
    stop = true;
    await Promise.all(writers);
    const after = await converged(clients, 30_000);
    if (!after) {
      report.problems.push('members did not converge to one applied index and digest within 30 s');
      return report;
    }
    report.appliedDuringRun = digestCount(after.digest) - digestCount(before.digest);
    if (report.appliedDuringRun < report.acked) {
      report.problems.push(`lost acknowledged writes: ${report.acked} acknowledged but only ${report.appliedDuringRun} applied`);
    }
    if (report.appliedDuringRun > report.acked + report.unknown) {
      report.problems.push(`phantom writes: ${report.appliedDuringRun} applied but only ${report.acked} acknowledged + ${report.unknown} unknown were sent`);
    }
    return report;
  } finally {
    clients.close();
  }
}

/** writer proposes unique payloads, one attempt each, through random members, classifying each. */
async function writer(clients: MemberClients, prng: Prng, id: string, report: ChaosReport, stop: () => boolean): Promise<void> {
  const members = clients.cfg.members;
  for (let i = 0; !stop(); i++) {
    const m: MemberSpec = prng.pick(members);
    const c = clients.client(m.address);
    try {
      await unary(c, c.propose, { data: Buffer.from(`chaos/${id}/${i}`) }, 2_000);
      report.acked++;
    } catch (err) {
      if (definitelyNotAppended(err)) report.refused++;
      else report.unknown++;
      await sleep(20);
    }
  }
}

/** A member said no before appending: not leader (forwarding off / no leader known), an election
 *  in progress, or a transfer. A dropped connection or a deadline leaves the outcome unknown. */
function definitelyNotAppended(err: unknown): boolean {
  if (!(err instanceof RpcError)) return false;
  if (err.code === status.FAILED_PRECONDITION) return true;
  return err.code === status.UNAVAILABLE && /^(no leader|leadership transfer)/.test(err.message);
}

interface Converged {
  applied: number;
  digest: string;
}

/** converged waits until every member answers with the same applied index and digest. */
async function converged(clients: MemberClients, timeoutMs: number): Promise<Converged | undefined> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    const all = await clients.statuses(1_000);
    const first = all[0];
    if (first && all.every((s) => s && s.applied === first.applied && s.stateDigest === first.stateDigest && s.leader !== 0)) {
      return { applied: first.applied, digest: first.stateDigest };
    }
    await sleep(100);
  }
  return undefined;
}

/** digestCount reads the applied-payload count from a state digest ("<count>/<sha prefix>"). */
function digestCount(digest: string): number {
  return Number(digest.split('/')[0]);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => systemClock.setTimeout(r, ms));
}

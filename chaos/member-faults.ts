/**
 * member-faults: a bounded chaos run against a running k8ts group. Each round applies one fault
 * drawn from a seeded PRNG — SIGKILL the leader, SIGKILL a follower, or SIGSTOP the leader for
 * twice the election timeout (a deposed leader that wakes up) — while writers put unique keys
 * through random members' etcd API. Killed members are restarted at the end of their round.
 *
 * Then it checks what a user relies on:
 * - every member converges to the same applied index and state (store revision and HashKV);
 * - no acknowledged write is lost: every acknowledged key is there (a linearizable read), and the
 *   revisions the store gained during the run lie between the puts acknowledged and the puts
 *   acknowledged plus those whose outcome was unknown (a put refused with "no leader" was never
 *   appended) — each put makes exactly one revision.
 *
 *   npm run chaos -- [--name default] [--rounds 10] [--seed S] [--writers 4]
 */
import { performance } from 'node:perf_hooks';
import { status, type ChannelCredentials } from '@grpc/grpc-js';
import { Prng } from '../src/base/prng.js';
import { systemClock } from '../src/base/clock.js';
import type { MemberSpec } from '../src/cluster/config.js';
import { clientCredentials, MemberClients } from '../src/cluster/member-client.js';
import type { Supervisor } from '../src/cluster/supervisor.js';
import { KVClient, RangeRequest } from '../src/gen/etcdserverpb/rpc.js';
import { channelOptions } from '../src/rpc/defaults.js';
import { prefixEnd } from '../src/store/client/bytes.js';
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
  /** The first failed write's error, to tell a fault's effect from a broken writer. */
  firstError?: string;
}

type Fault = 'kill-leader' | 'kill-follower' | 'pause-leader';
const FAULTS: readonly Fault[] = ['kill-leader', 'kill-follower', 'pause-leader'];

export async function runMemberFaults(sup: Supervisor, opts: ChaosOptions): Promise<ChaosReport> {
  const prng = new Prng(opts.seed);
  const clients = new MemberClients(sup.cfg);
  const kv = new KvClients(sup.cfg.members, clientCredentials(sup.cfg));
  const t = sup.cfg.timing;
  const electionMs = t.tickMs * t.electionTicks;
  const report: ChaosReport = { acked: 0, refused: 0, unknown: 0, appliedDuringRun: 0, problems: [] };
  try {
    const before = await converged(clients, 30_000);
    if (!before) throw new Error('the group is not healthy before the run (members disagree or are down)');
    let stop = false;
    const prefix = `/chaos/${opts.seed}/${Math.floor(performance.now())}/`;
    const acked: string[] = [];
    const writers = Array.from({ length: opts.writers }, (_, w) =>
      writer(kv, prng.fork(), `${prefix}${w}/`, report, acked, () => stop));
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
    const missing = await missingKeys(kv, prefix, acked);
    if (missing.length > 0) report.problems.push(`lost acknowledged writes: ${missing.length} acknowledged keys are missing, e.g. ${missing.slice(0, 3).join(', ')}`);
    if (report.appliedDuringRun < report.acked) {
      report.problems.push(`lost acknowledged writes: ${report.acked} acknowledged but only ${report.appliedDuringRun} applied`);
    }
    if (report.appliedDuringRun > report.acked + report.unknown) {
      report.problems.push(`phantom writes: ${report.appliedDuringRun} applied but only ${report.acked} acknowledged + ${report.unknown} unknown were sent`);
    }
    return report;
  } finally {
    clients.close();
    kv.close();
  }
}

/** writer puts unique keys, one attempt each, through random members, classifying each. */
async function writer(kv: KvClients, prng: Prng, prefix: string, report: ChaosReport, acked: string[], stop: () => boolean): Promise<void> {
  for (let i = 0; !stop(); i++) {
    const key = `${prefix}${i}`;
    const c = kv.at(prng.pick(kv.members));
    try {
      await unary(c, c.put, { key: Buffer.from(key), value: Buffer.from(`v${i}`), lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false }, 2_000);
      report.acked++;
      acked.push(key);
    } catch (err) {
      if (definitelyNotAppended(err)) report.refused++;
      else report.unknown++;
      if (report.firstError === undefined) report.firstError = String(err);
      await sleep(20);
    }
  }
}

/** A member said no before proposing: "no leader" (etcd's text), a request it refused as
 *  invalid or too many. A dropped connection, a deadline, "leader changed" or "request timed
 *  out" leave the outcome unknown. */
function definitelyNotAppended(err: unknown): boolean {
  if (!(err instanceof RpcError)) return false;
  if (err.code === status.INVALID_ARGUMENT || err.code === status.RESOURCE_EXHAUSTED) return true;
  return err.code === status.UNAVAILABLE && err.message === 'etcdserver: no leader';
}

/** missingKeys reads the run's keys back (linearizable, through any member that answers). */
async function missingKeys(kv: KvClients, prefix: string, acked: readonly string[]): Promise<string[]> {
  const end = prefixEnd(prefix);
  for (const m of kv.members) {
    const c = kv.at(m);
    try {
      const res = await unary(c, c.range, { ...RangeRequest.fromPartial({}), key: Buffer.from(prefix), rangeEnd: end, keysOnly: true }, 10_000);
      const have = new Set(res.kvs.map((k) => k.key.toString()));
      return acked.filter((k) => !have.has(k));
    } catch {
      continue;
    }
  }
  return [...acked];
}

/** KvClients are etcd KV clients to each member's etcd API (its client port, else its peer port). */
class KvClients {
  private readonly clients = new Map<string, KVClient>();
  constructor(
    readonly members: readonly MemberSpec[],
    private readonly creds: ChannelCredentials,
  ) {}

  at(m: MemberSpec): KVClient {
    const address = m.client ?? m.address;
    let c = this.clients.get(address);
    if (c === undefined) {
      c = new KVClient(address, this.creds, channelOptions());
      this.clients.set(address, c);
    }
    return c;
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
  }
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

/** digestCount reads the store revision from a state digest ("<revision>/<HashKV>"). */
function digestCount(digest: string): number {
  return Number(digest.split('/')[0]);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => systemClock.setTimeout(r, ms));
}

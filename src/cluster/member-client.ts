/**
 * Talking to the members of a cluster from outside (CLI, supervisor, tests): status of each
 * member, and proposals that find the leader by following "not leader" hints and retrying while
 * an election runs.
 */
import { ChannelCredentials } from '@grpc/grpc-js';
import { join } from 'node:path';
import type { Clock } from '../base/clock.js';
import { RaftMemberServiceClient, type MemberStatus, type ProposeResponse } from '../gen/k8ts/raft/v1/member.js';
import { channelCredentials } from '../rpc/credentials.js';
import { channelOptions } from '../rpc/defaults.js';
import { NotLeaderRpcError, RpcError, UnavailableRpcError } from '../rpc/errors.js';
import { unary } from '../rpc/unary.js';
import type { ClusterConfig, MemberSpec } from './config.js';

/** clientCredentials: with TLS, the CLI's identity is <tlsDir>/client.crt signed by the CA. */
export function clientCredentials(cfg: ClusterConfig): ChannelCredentials {
  if (cfg.tlsDir === undefined) return channelCredentials(undefined);
  const d = cfg.tlsDir;
  return channelCredentials({ caFile: join(d, 'ca.crt'), certFile: join(d, 'client.crt'), keyFile: join(d, 'client.key') });
}

/** MemberClients holds one client per member; close() when done. */
export class MemberClients {
  private readonly clients = new Map<string, RaftMemberServiceClient>();
  private readonly creds: ChannelCredentials;

  constructor(readonly cfg: ClusterConfig) {
    this.creds = clientCredentials(cfg);
  }

  client(address: string): RaftMemberServiceClient {
    let c = this.clients.get(address);
    if (!c) this.clients.set(address, (c = new RaftMemberServiceClient(address, this.creds, channelOptions())));
    return c;
  }

  /** status asks one member; undefined when it does not answer within timeoutMs. */
  async status(m: MemberSpec, timeoutMs = 1_000): Promise<MemberStatus | undefined> {
    const c = this.client(m.address);
    try {
      return (await unary(c, c.status, {}, timeoutMs)).status;
    } catch {
      return undefined;
    }
  }

  async statuses(timeoutMs = 1_000): Promise<(MemberStatus | undefined)[]> {
    return Promise.all(this.cfg.members.map((m) => this.status(m, timeoutMs)));
  }

  /** propose sends data to `first` (or the first member), following leader hints and retrying
   *  through elections until timeoutMs. Resolves with the commit point and who answered. */
  async propose(data: Buffer, clock: Clock, timeoutMs: number, first?: MemberSpec): Promise<{ res: ProposeResponse; via: MemberSpec }> {
    const deadlineMs = clock.nowMs() + timeoutMs;
    let target = first ?? this.cfg.members[0]!;
    let attempt = 0;
    for (;;) {
      const leftMs = deadlineMs - clock.nowMs();
      if (leftMs <= 0) throw new RpcError(4, `proposal not committed within ${timeoutMs} ms`);
      const c = this.client(target.address);
      try {
        return { res: await unary(c, c.propose, { data }, Math.min(leftMs, 5_000)), via: target };
      } catch (err) {
        if (!(err instanceof RpcError)) throw err;
        const hinted = err instanceof NotLeaderRpcError ? this.cfg.members.find((m) => m.id === err.leaderId) : undefined;
        if (hinted) target = hinted;
        else if (err instanceof NotLeaderRpcError || err instanceof UnavailableRpcError) {
          target = this.cfg.members[++attempt % this.cfg.members.length]!;
        } else throw err;
        await sleep(clock, Math.min(50 * attempt, 250));
      }
    }
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}

export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}

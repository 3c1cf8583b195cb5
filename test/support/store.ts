/**
 * In-process k8ts store clusters for tests: n StoreMembers on 127.0.0.1 ephemeral ports (a peer
 * port and an etcd client port each) over durable storage in a temp dir, so a member can be
 * stopped and started again on the same data (a crash and restart as etcd clients see it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../src/base/clock.js';
import { StoreMember, type StoreMemberOptions } from '../../src/store/server/store-member.js';
import { waitFor } from './cluster.js';
import { freePorts } from './ports.js';

export interface StoreCluster {
  members: (StoreMember | undefined)[];
  /** etcd client endpoints (host:port), one per member, fixed across restarts. */
  endpoints: string[];
  /** leader returns the index of the member that leads (waits for one). */
  leader(): Promise<number>;
  kill(i: number): Promise<void>;
  restart(i: number): Promise<void>;
  /** join starts a new member that a MemberAdd (with this id and peer address) let in; it
   *  learns everything from the leader. Returns its index. */
  join(id: number, peer: string, client: string): Promise<number>;
  stop(): Promise<void>;
}

export interface StoreClusterOptions {
  timing?: StoreMemberOptions['timing'];
  quotaBytes?: number;
  progressNotifyMs?: number;
  snapshotEveryEntries?: number;
  keepEntriesAfterSnapshot?: number;
}

/** startStoreCluster starts n members and resolves once they agree on a leader. */
export async function startStoreCluster(n: number, o: StoreClusterOptions = {}): Promise<StoreCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-store-'));
  const ports = await freePorts(2 * n);
  const specs: { id: number; address: string; client: string; join: boolean }[] = Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    address: `127.0.0.1:${ports[2 * i]}`,
    client: `127.0.0.1:${ports[2 * i + 1]}`,
    join: false,
  }));
  const incarnations = specs.map(() => 0);
  const make = (i: number): StoreMember => {
    const s = specs[i]!;
    return new StoreMember({
      id: s.id,
      name: `m${s.id}`,
      clusterId: 7,
      listen: s.address,
      clientListen: s.client,
      members: specs.filter((x) => !x.join || x === s).map(({ id, address }) => ({ id, address })),
      join: s.join,
      dataDir: join(dir, `m${s.id}`),
      timing: o.timing ?? { tickMs: 10, electionTicks: 20, heartbeatTicks: 2 },
      forwarding: true,
      tls: undefined,
      clock: systemClock,
      incarnation: ++incarnations[i]!,
      defer: (fn) => setImmediate(fn),
      log: () => {},
      quotaBytes: o.quotaBytes,
      progressNotifyMs: o.progressNotifyMs,
      snapshotEveryEntries: o.snapshotEveryEntries,
      keepEntriesAfterSnapshot: o.keepEntriesAfterSnapshot,
    });
  };
  const members: (StoreMember | undefined)[] = specs.map((_, i) => make(i));
  await Promise.all(members.map((m) => m!.start()));
  const cluster: StoreCluster = {
    members,
    endpoints: specs.map((s) => s.client),
    leader: () =>
      waitFor('a store leader', () => {
        const i = members.findIndex((m) => m !== undefined && m.member.node.status().role === 'leader');
        return i >= 0 ? i : undefined;
      }),
    kill: async (i) => {
      const m = members[i];
      members[i] = undefined;
      await m?.stop();
    },
    restart: async (i) => {
      if (members[i] !== undefined) return;
      const m = make(i);
      members[i] = m;
      await m.start();
    },
    join: async (id, peer, client) => {
      specs.push({ id, address: peer, client, join: true });
      incarnations.push(0);
      const i = specs.length - 1;
      const m = make(i);
      members.push(m);
      cluster.endpoints.push(client);
      await m.start();
      return i;
    },
    stop: async () => {
      await Promise.all(members.map((m) => m?.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await cluster.leader();
  return cluster;
}

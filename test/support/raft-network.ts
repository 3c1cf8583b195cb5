/**
 * An in-process network of RawNodes over MemoryStorage for core tests (etcd-io/raft's raft_test.go
 * style): messages queue until deliver(), and links can be cut or members isolated.
 */
import { Prng } from '../../src/base/prng.js';
import { MemoryStorage } from '../../src/raft/core/memory-storage.js';
import { RawNode } from '../../src/raft/core/raw-node.js';
import { bootstrapEntries, bootstrapHardState } from '../../src/raft/core/bootstrap.js';
import { ConfChange } from '../../src/gen/k8ts/raft/v1/raft.js';
import { EntryType, type Entry, type Message, type RaftConfig } from '../../src/raft/core/types.js';

export interface TestMember {
  id: number;
  raw: RawNode;
  storage: MemoryStorage;
  applied: Entry[];
  /** ReadIndex answers this member received, in order. */
  reads: { index: number; ctx: string }[];
}

export function testConfig(id: number, over: Partial<RaftConfig> = {}): RaftConfig {
  return {
    id,
    electionTicks: 10,
    heartbeatTicks: 1,
    preVote: true,
    checkQuorum: true,
    maxInflightMsgs: 16,
    maxSizePerMsgBytes: 64 * 1024,
    maxUncommittedBytes: 1 << 20,
    disableProposalForwarding: false,
    prng: new Prng(id * 7919),
    applied: 0,
    ...over,
  };
}

export class TestNetwork {
  readonly members = new Map<number, TestMember>();
  queue: Message[] = [];
  /** drop, when set, discards every message it returns true for (scripted message loss). */
  drop: ((m: Message) => boolean) | undefined;
  private readonly cut = new Set<string>();
  private readonly down = new Set<number>();

  constructor(ids: number[], over: Partial<RaftConfig> = {}) {
    for (const id of ids) {
      const storage = new MemoryStorage();
      // Bootstrap as the driver does: membership as committed conf-change entries.
      storage.save({ entries: bootstrapEntries(ids), hardState: bootstrapHardState(ids), sync: true });
      this.add(id, storage, over);
    }
  }

  add(id: number, storage: MemoryStorage, over: Partial<RaftConfig> = {}): TestMember {
    const m: TestMember = { id, raw: new RawNode(testConfig(id, over), storage), storage, applied: [], reads: [] };
    this.members.set(id, m);
    this.process(m);
    return m;
  }

  get(id: number): TestMember {
    const m = this.members.get(id);
    if (!m) throw new Error(`no member ${id}`);
    return m;
  }

  /** process performs every Ready of a member, like the driver: persist, send, apply, advance. */
  process(m: TestMember): void {
    while (m.raw.hasReady()) {
      const rd = m.raw.ready();
      m.storage.save({ hardState: rd.hardState, entries: rd.entries, snapshot: rd.snapshot, sync: rd.mustSync });
      for (const msg of rd.messages) this.queue.push(msg);
      for (const rs of rd.readStates) m.reads.push({ index: rs.index, ctx: rs.context.toString() });
      for (const e of rd.committedEntries) {
        if (e.type === EntryType.ENTRY_TYPE_CONF_CHANGE) m.raw.applyConfChange(ConfChange.decode(e.data));
        m.applied.push(e);
      }
      m.raw.advance(rd);
    }
  }

  processAll(): void {
    for (const m of this.members.values()) this.process(m);
  }

  /** deliver sends queued messages (and their consequences) until the network is quiet. */
  deliver(maxRounds = 1000): void {
    this.processAll();
    for (let round = 0; round < maxRounds && this.queue.length > 0; round++) {
      const batch = this.queue;
      this.queue = [];
      for (const msg of batch) {
        if (this.dropped(msg)) continue;
        const to = this.members.get(msg.to);
        if (!to) continue;
        to.raw.step(msg);
        this.process(to);
      }
    }
  }

  isolate(id: number): void {
    this.down.add(id);
  }

  cutLink(a: number, b: number): void {
    this.cut.add(`${a}-${b}`);
    this.cut.add(`${b}-${a}`);
  }

  heal(): void {
    this.cut.clear();
    this.down.clear();
  }

  tick(id: number, n = 1): void {
    const m = this.get(id);
    for (let i = 0; i < n; i++) m.raw.tick();
    this.process(m);
  }

  /** elect makes id the leader by campaigning and delivering. */
  elect(id: number): void {
    this.get(id).raw.campaign();
    this.deliver();
  }

  /** tickUntilLeader ticks every reachable member one tick at a time, delivering after each
   *  round, until one of them leads (elections as they happen in production, no shortcuts). */
  tickUntilLeader(maxRounds = 500): number {
    for (let i = 0; i < maxRounds; i++) {
      const l = this.leader();
      if (l !== 0) return l;
      for (const m of this.members.values()) if (!this.down.has(m.id)) this.tick(m.id);
      this.deliver();
    }
    throw new Error('no leader elected');
  }

  /** expireLeases lets an election timeout pass on every member without firing its election, so a
   *  campaign is answered by voters that no longer hear a leader (CheckQuorum's lease). */
  expireLeases(): void {
    for (const m of this.members.values()) m.raw.raft.electionElapsed = m.raw.raft.cfg.electionTicks;
  }

  propose(id: number, text: string): void {
    const r = this.get(id).raw.propose(Buffer.from(text));
    if (r) throw new Error(`proposal rejected: ${r.reason}`);
    this.process(this.get(id));
  }

  leader(): number {
    for (const m of this.members.values()) if (m.raw.status().role === 'leader' && !this.down.has(m.id)) return m.id;
    return 0;
  }

  private dropped(msg: Message): boolean {
    if (this.drop?.(msg)) return true;
    return this.down.has(msg.from) || this.down.has(msg.to) || this.cut.has(`${msg.from}-${msg.to}`);
  }
}

/** payloads lists the normal entries a member applied, as text. */
export function payloads(m: TestMember): string[] {
  return m.applied.filter((e) => e.type === EntryType.ENTRY_TYPE_NORMAL && e.data.length > 0).map((e) => e.data.toString());
}

/**
 * A tiny scenario language for golden-file tests of the Raft core, in the spirit of etcd-io/raft's
 * testdata/*.txt: each command drives RawNodes over MemoryStorage directly (no clock, no driver, no
 * randomness but each member's seeded Prng), and echoes what happened in a fixed format. A scenario
 * file holds each command followed by `----` and its expected output, so a change in behaviour is a
 * readable diff; UPDATE_GOLDEN=1 rewrites the files.
 *
 * Commands (ids are member ids, N a count):
 *   add-nodes N [prevote=true] [checkquorum=true] [max-msg-bytes=B] [max-inflight=K]
 *   campaign ID | propose ID TEXT | transfer-leader FROM TO | read-index ID CTX
 *   tick ID [N] | tick-election ID | tick-heartbeat ID
 *   tick-all N            N rounds of: every running member ticks, then deliver until quiet;
 *                         echoes only role changes (time passing for the whole cluster)
 *   deliver [ID...]       deliver queued messages (to these members only), until quiet
 *   deliver-one           deliver the oldest queued message, nothing else
 *   drop [ID...]          drop queued messages (to these members only)
 *   partition A B / C D   | isolate ID | heal
 *   crash ID | restart ID (a crash keeps storage: MemoryStorage has nothing unsynced)
 *   set-log ID term=T commit=C T1 T2 ...   rewrite ID's storage: bootstrap + entries of terms Ti
 *   compact ID INDEX      snapshot the applied state at INDEX and drop the log up to it
 *   status [ID...] | log ID | applied ID | queue
 */
import { bootstrapEntries } from '../raft/core/bootstrap.js';
import { assert } from '../base/assert.js';
import { Prng } from '../base/prng.js';
import { ConfChange as ConfChangeCodec } from '../gen/k8ts/raft/v1/raft.js';
import { MemoryStorage } from '../raft/core/memory-storage.js';
import { RawNode } from '../raft/core/raw-node.js';
import {
  ConfChangeType,
  EntryType,
  type Entry,
  type Message,
  type RaftConfig,
} from '../raft/core/types.js';
import { describeMessage } from './cluster.js';

interface ScriptMember {
  id: number;
  raw: RawNode | undefined;
  storage: MemoryStorage;
  applied: Entry[];
  reads: string[];
}

/** Bound on delivery rounds of one `deliver`: a scenario that never goes quiet is a bug. */
const DELIVER_ROUNDS_MAX = 10_000;

export class ScriptRunner {
  private readonly members = new Map<number, ScriptMember>();
  private queue: Message[] = [];
  private readonly blocked = new Set<string>();
  private config: Partial<RaftConfig> = {};

  /** run executes one command line and returns its output lines (never empty). */
  run(line: string): string[] {
    const [cmd, ...args] = line.trim().split(/\s+/);
    const out: string[] = [];
    switch (cmd) {
      case 'add-nodes': this.addNodes(args, out); break;
      case 'campaign': this.withMember(args[0], (m) => m.raw!.campaign(), out); break;
      case 'propose': this.propose(args, out); break;
      case 'transfer-leader':
        this.withMember(args[0], (m) => m.raw!.transferLeader(num(args[1])), out);
        break;
      case 'read-index': this.readIndex(args, out); break;
      case 'tick': this.ticks(args[0], () => (args[1] ? num(args[1]) : 1), out); break;
      case 'tick-election': this.ticks(args[0], electionTicks, out); break;
      case 'tick-heartbeat': this.ticks(args[0], (m) => m.raw!.raft.cfg.heartbeatTicks, out); break;
      case 'tick-all': this.tickAll(num(args[0]), out); break;
      case 'deliver': this.deliver(args.map(num), out); break;
      case 'deliver-one': this.deliverOne(out); break;
      case 'drop': this.drop(args.map(num), out); break;
      case 'partition': this.partition(args, out); break;
      case 'isolate': this.isolate(num(args[0]), out); break;
      case 'heal': this.blocked.clear(); out.push('ok'); break;
      case 'crash': this.crash(num(args[0]), out); break;
      case 'restart': this.restart(num(args[0]), out); break;
      case 'set-log': this.setLog(args, out); break;
      case 'compact': this.compact(args, out); break;
      case 'status': this.status(args.map(num), out); break;
      case 'log': this.log(num(args[0]), out); break;
      case 'applied': this.appliedOf(num(args[0]), out); break;
      case 'queue': for (const m of this.queue) out.push(describeMessage(m)); break;
      default: throw new Error(`unknown command: ${line}`);
    }
    if (out.length === 0) out.push('ok');
    return out;
  }

  private addNodes(args: string[], out: string[]): void {
    const n = num(args[0]);
    const opts = keyValues(args.slice(1));
    this.config = {
      preVote: opts.get('prevote') !== 'false',
      checkQuorum: opts.get('checkquorum') !== 'false',
      maxSizePerMsgBytes: opts.has('max-msg-bytes') ? num(opts.get('max-msg-bytes')) : 64 * 1024,
      maxInflightMsgs: opts.has('max-inflight') ? num(opts.get('max-inflight')) : 16,
    };
    const ids = Array.from({ length: n }, (_, i) => i + 1);
    for (const id of ids) {
      const storage = new MemoryStorage();
      const hardState = { term: 1, vote: 0, commit: n };
      storage.save({ entries: bootstrapEntries(ids), hardState, sync: true });
      const m: ScriptMember = { id, raw: undefined, storage, applied: [], reads: [] };
      this.members.set(id, m);
      this.boot(m);
    }
    this.status([], out);
  }

  /** boot starts a member from its storage as the driver does after a restart: the state machine
   *  restarts from the snapshot and re-applies the committed log, conf changes included (the
   *  membership of a member without a snapshot lives only in its log). */
  private boot(m: ScriptMember): void {
    const applied = m.storage.firstIndex() - 1;
    m.applied = m.applied.filter((e) => e.index <= applied);
    m.raw = new RawNode(
      {
        id: m.id,
        electionTicks: 10,
        heartbeatTicks: 1,
        preVote: true,
        checkQuorum: true,
        maxInflightMsgs: 16,
        maxSizePerMsgBytes: 64 * 1024,
        maxUncommittedBytes: 1 << 20,
        disableProposalForwarding: false,
        prng: new Prng(m.id * 7919),
        applied,
        ...this.config,
      },
      m.storage,
    );
    this.process(m, []);
  }

  /** process performs a member's Readys as the driver does: persist, send, apply, advance. */
  private process(m: ScriptMember, out: string[]): void {
    const raw = m.raw;
    if (raw === undefined) return;
    for (let i = 0; i < 1000 && raw.hasReady(); i++) {
      const rd = raw.ready();
      const { hardState, entries, snapshot } = rd;
      m.storage.save({ hardState, entries, snapshot, sync: rd.mustSync });
      for (const msg of rd.messages) {
        this.queue.push(msg);
        out.push(`  send ${describeMessage(msg)}`);
      }
      if (rd.snapshot?.metadata) {
        m.applied = m.applied.filter((e) => e.index <= rd.snapshot!.metadata!.index);
        out.push(`  m${m.id} installed snapshot ${rd.snapshot.metadata.index}/t${rd.snapshot.metadata.term}`);
      }
      for (const rs of rd.readStates) {
        m.reads.push(`${rs.context.toString()}@${rs.index}`);
        out.push(`  m${m.id} read ${rs.context.toString()} at index ${rs.index}`);
      }
      for (const e of rd.committedEntries) {
        if (e.type === EntryType.ENTRY_TYPE_CONF_CHANGE) raw.applyConfChange(ConfChangeCodec.decode(e.data));
        m.applied.push(e);
      }
      if (rd.committedEntries.length > 0) {
        out.push(`  m${m.id} apply ${rd.committedEntries.map(describeEntry).join(' ')}`);
      }
      raw.advance(rd);
    }
    assert(!raw.hasReady(), `member ${m.id} never ran out of Readys`);
  }

  /** ticks ticks one member n(m) times, then performs its Readys. */
  private ticks(idText: string | undefined, n: (m: ScriptMember) => number, out: string[]): void {
    this.withMember(idText, (m) => times(n(m), () => m.raw!.tick()), out);
  }

  private withMember(idText: string | undefined, fn: (m: ScriptMember) => void, out: string[]): void {
    const m = this.member(num(idText));
    if (m.raw === undefined) {
      out.push(`m${m.id} is down`);
      return;
    }
    fn(m);
    this.process(m, out);
  }

  private propose(args: string[], out: string[]): void {
    const m = this.member(num(args[0]));
    assert(m.raw !== undefined, `m${m.id} is down`);
    const rejection = m.raw.propose(Buffer.from(args.slice(1).join(' ')));
    if (rejection) out.push(`rejected: ${rejection.reason}`);
    this.process(m, out);
  }

  private readIndex(args: string[], out: string[]): void {
    const m = this.member(num(args[0]));
    assert(m.raw !== undefined, `m${m.id} is down`);
    const rejection = m.raw.readIndex(Buffer.from(args[1] ?? 'r'));
    if (rejection) out.push(`rejected: ${rejection.reason}`);
    this.process(m, out);
  }

  private tickAll(rounds: number, out: string[]): void {
    const roleOf = (m: ScriptMember): string => (m.raw ? `${m.raw.raft.role} t${m.raw.raft.term}` : 'down');
    for (let round = 1; round <= rounds; round++) {
      const before = new Map([...this.members.values()].map((m) => [m.id, roleOf(m)]));
      const sink: string[] = [];
      for (const m of this.members.values()) {
        if (m.raw === undefined) continue;
        m.raw.tick();
        this.process(m, sink);
      }
      this.deliver([], sink);
      for (const m of this.members.values()) {
        const now = roleOf(m);
        if (now !== before.get(m.id)) out.push(`round ${round}: m${m.id} ${before.get(m.id)} -> ${now}`);
      }
    }
  }

  private deliver(only: number[], out: string[]): void {
    for (let round = 0; round < DELIVER_ROUNDS_MAX; round++) {
      const batch = this.queue.filter((m) => only.length === 0 || only.includes(m.to));
      if (batch.length === 0) return;
      this.queue = this.queue.filter((m) => !batch.includes(m));
      for (const msg of batch) this.deliverMessage(msg, out, false);
    }
    throw new Error('deliver: messages kept flowing');
  }

  private deliverOne(out: string[]): void {
    const msg = this.queue.shift();
    if (msg === undefined) out.push('queue empty');
    else this.deliverMessage(msg, out, true);
  }

  private deliverMessage(msg: Message, out: string[], echoSends: boolean): void {
    const to = this.members.get(msg.to);
    if (this.blocked.has(`${msg.from}>${msg.to}`) || to?.raw === undefined) {
      out.push(`${describeMessage(msg)} (dropped)`);
      return;
    }
    out.push(describeMessage(msg));
    to.raw.step(msg);
    const sends: string[] = [];
    this.process(to, sends);
    for (const line of sends) if (echoSends || !line.startsWith('  send')) out.push(line);
  }

  private drop(only: number[], out: string[]): void {
    const dropped = this.queue.filter((m) => only.length === 0 || only.includes(m.to));
    this.queue = this.queue.filter((m) => !dropped.includes(m));
    for (const m of dropped) out.push(`dropped ${describeMessage(m)}`);
  }

  private partition(args: string[], out: string[]): void {
    const groups: number[][] = [[]];
    for (const a of args) {
      if (a === '/') groups.push([]);
      else groups[groups.length - 1]!.push(num(a));
    }
    for (const g of groups) for (const h of groups) {
      if (g === h) continue;
      for (const x of g) for (const y of h) this.blocked.add(`${x}>${y}`);
    }
    out.push(`partition ${groups.map((g) => g.join(' ')).join(' / ')}`);
  }

  private isolate(id: number, out: string[]): void {
    for (const other of this.members.keys()) {
      if (other === id) continue;
      this.blocked.add(`${id}>${other}`);
      this.blocked.add(`${other}>${id}`);
    }
    out.push(`isolated ${id}`);
  }

  private crash(id: number, out: string[]): void {
    const m = this.member(id);
    m.raw = undefined;
    this.queue = this.queue.filter((msg) => msg.to !== id);
    out.push(`crashed ${id}`);
  }

  private restart(id: number, out: string[]): void {
    const m = this.member(id);
    assert(m.raw === undefined, `m${id} is running`);
    this.boot(m);
    this.status([id], out);
  }

  /** setLog replaces a member's disk with a bootstrapped log followed by entries of the given
   *  terms (payload "t<term>i<index>"), then restarts it: Figure 7's logs, built directly. */
  private setLog(args: string[], out: string[]): void {
    const id = num(args[0]);
    const kv = keyValues(args.slice(1).filter((a) => a.includes('=')));
    const terms = args.slice(1).filter((a) => !a.includes('=')).map(num);
    const ids = [...this.members.keys()];
    const boot = bootstrapEntries(ids);
    const entries = [...boot];
    for (const t of terms) {
      const index = entries.length + 1;
      const data = Buffer.from(`t${t}i${index}`);
      entries.push({ index, term: t, type: EntryType.ENTRY_TYPE_NORMAL, data });
    }
    const storage = new MemoryStorage();
    const term = kv.has('term') ? num(kv.get('term')) : Math.max(1, ...terms);
    const commit = kv.has('commit') ? num(kv.get('commit')) : boot.length;
    storage.save({ entries, hardState: { term, vote: 0, commit }, sync: true });
    const m = this.member(id);
    m.storage = storage;
    m.applied = [];
    m.raw = undefined;
    this.boot(m);
    this.status([id], out);
  }

  private compact(args: string[], out: string[]): void {
    const m = this.member(num(args[0]));
    const index = num(args[1]);
    const raw = m.raw;
    assert(raw !== undefined, `m${m.id} is down`);
    const data = Buffer.from(JSON.stringify(m.applied.filter((e) => e.index <= index).map(describeEntry)));
    m.storage.createSnapshot(index, raw.raft.confState(), data);
    m.storage.compact(index);
    out.push(`m${m.id} snapshot at ${index}; first index ${m.storage.firstIndex()}`);
  }

  private status(ids: number[], out: string[]): void {
    const list = ids.length > 0 ? ids : [...this.members.keys()];
    for (const id of list) {
      const m = this.member(id);
      if (m.raw === undefined) {
        out.push(`${id}: down`);
        continue;
      }
      const s = m.raw.status();
      out.push(
        `${id}: ${s.role} term=${s.term} vote=${s.vote} lead=${s.leader} commit=${s.commit} ` +
          `last=${s.lastIndex} applied=${m.raw.raft.log.applied} voters=${s.confState.voters.join(',')}`,
      );
    }
  }

  private log(id: number, out: string[]): void {
    const m = this.member(id);
    const raw = m.raw;
    if (raw === undefined) {
      out.push(`${id}: down`);
      return;
    }
    const log = raw.raft.log;
    const first = log.firstIndex();
    if (first > 1) out.push(`snapshot ${first - 1}/t${log.term(first - 1)}`);
    const ents = log.lastIndex() >= first ? log.slice(first, log.lastIndex() + 1, Infinity) : [];
    out.push(ents.map(describeEntry).join(' ') || 'empty');
  }

  private appliedOf(id: number, out: string[]): void {
    const m = this.member(id);
    const normal = m.applied.filter((e) => e.type === EntryType.ENTRY_TYPE_NORMAL && e.data.length > 0);
    out.push(normal.map((e) => `${e.index}:${e.data.toString()}`).join(' ') || 'none');
  }

  private member(id: number): ScriptMember {
    const m = this.members.get(id);
    if (m === undefined) throw new Error(`no member ${id}`);
    return m;
  }
}

/** describeEntry is index/term and what the entry holds: payload, conf change, or empty. */
export function describeEntry(e: Entry): string {
  if (e.type === EntryType.ENTRY_TYPE_CONF_CHANGE) {
    const cc = ConfChangeCodec.decode(e.data);
    const kind = ConfChangeType[cc.type].replace('CONF_CHANGE_TYPE_', '').toLowerCase();
    return `${e.index}/t${e.term}:${kind}(${cc.nodeId})`;
  }
  return `${e.index}/t${e.term}:${e.data.length > 0 ? e.data.toString() : '-'}`;
}

function electionTicks(m: ScriptMember): number {
  // Enough ticks for the randomized timeout ([election, 2*election)) to fire.
  return m.raw!.raft.randomizedElectionTimeout;
}

function times(n: number, fn: () => void): void {
  assert(n >= 0 && n <= 100_000, `bad repeat count ${n}`);
  for (let i = 0; i < n; i++) fn();
}

function num(s: string | undefined): number {
  const n = Number(s);
  if (s === undefined || !Number.isInteger(n)) throw new Error(`expected an integer, got ${s}`);
  return n;
}

function keyValues(args: readonly string[]): Map<string, string> {
  const kv = new Map<string, string>();
  for (const a of args) {
    const [k, v] = a.split('=');
    if (k === undefined || v === undefined) throw new Error(`expected key=value, got ${a}`);
    kv.set(k, v);
  }
  return kv;
}

/** ScenarioBlock is one command of a scenario file with the comments before it and its output. */
export interface ScenarioBlock {
  comments: string[];
  command: string;
  expected: string[];
}

/** parseScenario reads `# comments`, a command line, `----`, then output up to a blank line. */
export function parseScenario(text: string): ScenarioBlock[] {
  const lines = text.split('\n');
  const blocks: ScenarioBlock[] = [];
  let comments: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      comments.push(line);
      continue;
    }
    const block: ScenarioBlock = { comments, command: line, expected: [] };
    comments = [];
    if (lines[i + 1] === '----') {
      i += 2;
      for (; i < lines.length && lines[i] !== ''; i++) block.expected.push(lines[i]!);
    }
    blocks.push(block);
  }
  return blocks;
}

/** runScenario runs every block and returns the file text with the actual outputs. */
export function runScenario(text: string): { actual: string; blocks: ScenarioBlock[] } {
  const blocks = parseScenario(text);
  const runner = new ScriptRunner();
  const parts: string[] = [];
  for (const b of blocks) {
    const got = runner.run(b.command);
    parts.push([...b.comments, b.command, '----', ...got].join('\n'));
  }
  return { actual: parts.join('\n\n') + '\n', blocks };
}

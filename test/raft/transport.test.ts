/**
 * The gRPC transport: batching on the Replicate stream, votes over Deliver, chunked snapshots,
 * cluster-id checks, unreachable reports, and members replicating through it.
 */
import assert from 'node:assert/strict';
import { ChannelCredentials, ServerCredentials, type Server } from '@grpc/grpc-js';
import { systemClock } from '../../src/base/clock.js';
import { Prng } from '../../src/base/prng.js';
import { RaftMemberServiceClient } from '../../src/gen/k8ts/raft/v1/member.js';
import { RaftTransportServiceService, type RaftTransportServiceServer, type ReplicateRequest } from '../../src/gen/k8ts/raft/v1/transport.js';
import { MessageType as T, message, type Message } from '../../src/raft/core/types.js';
import {
  DEFAULT_TRANSPORT_LIMITS,
  RaftTransport,
  backoffMs,
  snapshotChunks,
  type TransportLimits,
} from '../../src/raft/io/transport.js';
import type { Member } from '../../src/raft/member.js';
import { channelOptions } from '../../src/rpc/defaults.js';
import { NotLeaderRpcError } from '../../src/rpc/errors.js';
import { bind, newServer } from '../../src/rpc/server.js';
import { unary } from '../../src/rpc/unary.js';
import { leaderOf, startInProcess, waitFor } from '../support/cluster.js';
import { freePorts } from '../support/ports.js';

interface Endpoint {
  transport: RaftTransport;
  server: Server;
  received: Message[];
  frames: number;
  hellos: number;
  delivers: number;
  unreachable: number[];
  snapshots: { id: number; ok: boolean }[];
  address: string;
}

async function endpoint(id: number, clusterId: number, limits: Partial<TransportLimits> = {}, listen = '127.0.0.1:0'): Promise<Endpoint> {
  const e = { received: [] as Message[], frames: 0, hellos: 0, delivers: 0, unreachable: [] as number[], snapshots: [] as { id: number; ok: boolean }[] } as Endpoint;
  e.transport = new RaftTransport({
    selfId: id,
    clusterId,
    clock: systemClock,
    prng: new Prng(id),
    credentials: ChannelCredentials.createInsecure(),
    receive: (m) => e.received.push(m),
    reportUnreachable: (peer) => e.unreachable.push(peer),
    reportSnapshot: (peer, ok) => e.snapshots.push({ id: peer, ok }),
    limits,
  });
  const svc = e.transport.service();
  e.server = newServer();
  const counting: RaftTransportServiceServer = {
    replicate: (call, cb) => {
      // Count frames that carry messages; an empty one is the link's hello.
      call.on('data', (req: ReplicateRequest) => {
        if ((req.batch?.messages.length ?? 0) > 0) e.frames++;
        else e.hellos++;
      });
      svc.replicate(call, cb);
    },
    deliver: (call, cb) => {
      e.delivers++;
      svc.deliver(call, cb);
    },
    installSnapshot: svc.installSnapshot,
  };
  e.server.addService(RaftTransportServiceService, counting);
  const port = await bind(e.server, listen, ServerCredentials.createInsecure());
  e.address = `127.0.0.1:${port}`;
  return e;
}

function close(...es: Endpoint[]): void {
  for (const e of es) {
    e.transport.close();
    e.server.forceShutdown();
  }
}

const app = (from: number, to: number, index: number): Message => message({ type: T.MESSAGE_TYPE_APP, from, to, term: 1, index });

describe('raft transport (gRPC)', function () {
  this.timeout(20_000);

  it('carries one Ready worth of messages to a peer as one Replicate frame', async () => {
    const [a, b] = [await endpoint(1, 9), await endpoint(2, 9)];
    try {
      a.transport.setPeer(2, b.address);
      a.transport.send([app(1, 2, 1), app(1, 2, 2), app(1, 2, 3)]);
      await waitFor('3 messages', () => b.received.length === 3);
      assert.equal(b.frames, 1);
      assert.deepEqual(b.received.map((m) => m.index), [1, 2, 3]);
      a.transport.send([app(1, 2, 4)]);
      await waitFor('4th message', () => b.received.length === 4);
      assert.equal(b.frames, 2, 'the stream is reused: one frame per send');
      assert.equal(b.hellos, 1, 'a new stream announces itself once with an empty frame');
    } finally {
      close(a, b);
    }
  });

  it('reconnects to a restarted peer as soon as it says hello, not after the backoff', async () => {
    const slow = { backoffMsMin: 30_000, backoffMsMax: 30_000 };
    const a = await endpoint(1, 9, slow);
    let b = await endpoint(2, 9, slow);
    const bAddress = b.address;
    try {
      a.transport.setPeer(2, bAddress);
      a.transport.send([app(1, 2, 1)]);
      await waitFor('first message', () => b.received.length === 1);
      close(b); // b goes down: a's link enters a 30 s reconnect backoff
      await waitFor('a notices', () => a.unreachable.includes(2));
      b = await endpoint(2, 9, slow, bAddress);
      b.transport.setPeer(1, a.address); // b's link to a opens and says hello
      await waitFor('hello reached a', () => a.hellos >= 1);
      a.transport.send([app(1, 2, 2)]);
      await waitFor('message after restart', () => b.received.some((m) => m.index === 2));
    } finally {
      close(a, b);
    }
  });

  it('sends votes as unary Deliver calls, not on the stream', async () => {
    const [a, b] = [await endpoint(1, 9), await endpoint(2, 9)];
    try {
      a.transport.setPeer(2, b.address);
      a.transport.send([message({ type: T.MESSAGE_TYPE_PRE_VOTE, from: 1, to: 2, term: 3 }), message({ type: T.MESSAGE_TYPE_VOTE, from: 1, to: 2, term: 3 })]);
      await waitFor('2 votes', () => b.received.length === 2);
      assert.equal(b.delivers, 2);
      assert.equal(b.frames, 0);
    } finally {
      close(a, b);
    }
  });

  it('refuses frames of another cluster and reports the peer unreachable', async () => {
    const [a, b] = [await endpoint(1, 9), await endpoint(2, 10)];
    try {
      a.transport.setPeer(2, b.address);
      a.transport.send([app(1, 2, 1)]);
      a.transport.send([message({ type: T.MESSAGE_TYPE_VOTE, from: 1, to: 2, term: 3 })]);
      await waitFor('unreachable reports', () => a.unreachable.length >= 2);
      assert.equal(b.received.length, 0);
    } finally {
      close(a, b);
    }
  });

  it('reports an unreachable peer and bounds its queue', async () => {
    const [port] = await freePorts(1);
    const a = await endpoint(1, 9, { maxQueuedFrames: 4 });
    try {
      a.transport.setPeer(2, `127.0.0.1:${port}`);
      // grpc-js buffers up to its stream's high-water mark (16 frames) before write() says stop;
      // beyond that and our 4 queued frames, everything is dropped and reported.
      for (let i = 1; i <= 100; i++) a.transport.send([app(1, 2, i)]);
      assert.ok(a.unreachable.length >= 100 - 4 - 17, `frames beyond the bound are dropped and reported (${a.unreachable.length})`);
      const before = a.unreachable.length;
      await waitFor('stream failure report', () => a.unreachable.length > before);
    } finally {
      close(a);
    }
  });

  it('streams a snapshot in chunks and delivers one MsgSnap with the data intact', async () => {
    const [a, b] = [await endpoint(1, 9, { snapshotChunkBytes: 64 * 1024 }), await endpoint(2, 9)];
    try {
      a.transport.setPeer(2, b.address);
      const data = Buffer.alloc(3 * 1024 * 1024 + 123);
      for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
      const snap = { data, metadata: { index: 50, term: 4, confState: { voters: [1, 2, 3], learners: [] } } };
      a.transport.send([message({ type: T.MESSAGE_TYPE_SNAP, from: 1, to: 2, term: 4, snapshot: snap })]);
      await waitFor('snapshot outcome', () => a.snapshots.length === 1);
      assert.deepEqual(a.snapshots, [{ id: 2, ok: true }]);
      assert.equal(b.received.length, 1);
      const got = b.received[0]!;
      assert.equal(got.type, T.MESSAGE_TYPE_SNAP);
      assert.equal(got.snapshot!.metadata!.index, 50);
      assert.ok(got.snapshot!.data.equals(data));
    } finally {
      close(a, b);
    }
  });

  it('refuses a snapshot above the size bound and reports failure', async () => {
    const [a, b] = [await endpoint(1, 9, { snapshotChunkBytes: 1024 }), await endpoint(2, 9, { maxSnapshotBytes: 4096 })];
    try {
      a.transport.setPeer(2, b.address);
      const snap = { data: Buffer.alloc(10_000), metadata: { index: 5, term: 1, confState: { voters: [1, 2], learners: [] } } };
      a.transport.send([message({ type: T.MESSAGE_TYPE_SNAP, from: 1, to: 2, term: 1, snapshot: snap })]);
      await waitFor('snapshot outcome', () => a.snapshots.length === 1);
      assert.deepEqual(a.snapshots, [{ id: 2, ok: false }]);
      assert.equal(b.received.length, 0);
    } finally {
      close(a, b);
    }
  });

  it('splits snapshots into ordered chunks; the first carries the message without data', () => {
    const snap = { data: Buffer.alloc(2500, 1), metadata: { index: 9, term: 2, confState: { voters: [1], learners: [] } } };
    const chunks = snapshotChunks(message({ type: T.MESSAGE_TYPE_SNAP, from: 1, to: 2, snapshot: snap }), 5, 1000);
    assert.deepEqual(chunks.map((c) => [c.offset, c.chunk.length, c.last, c.message !== undefined]), [
      [0, 1000, false, true],
      [1000, 1000, false, false],
      [2000, 500, true, false],
    ]);
    assert.equal(chunks[0]!.message!.snapshot!.data.length, 0);
    const empty = snapshotChunks(message({ type: T.MESSAGE_TYPE_SNAP, snapshot: { ...snap, data: Buffer.alloc(0) } }), 5, 1000);
    assert.equal(empty.length, 1);
    assert.equal(empty[0]!.last, true);
  });

  it('backs off exponentially with jitter, capped', () => {
    const prng = new Prng(1);
    const l = DEFAULT_TRANSPORT_LIMITS;
    for (let attempt = 0; attempt < 30; attempt++) {
      const base = Math.min(l.backoffMsMax, l.backoffMsMin * 2 ** attempt);
      const d = backoffMs(attempt, l, prng);
      assert.ok(d >= base * 0.5 - 1 && d <= base * 1.5 + 1, `attempt ${attempt}: ${d}`);
    }
  });
});

describe('members over the gRPC transport (in process)', function () {
  this.timeout(20_000);
  let ms: Member[] = [];
  afterEach(async () => {
    await Promise.all(ms.map((m) => m.stop()));
    ms = [];
  });

  it('elect a leader and commit proposals from every member', async () => {
    ms = await startInProcess(3);
    const leader = await waitFor('a leader', () => leaderOf(ms));
    await waitFor('followers know the leader', () => ms.every((m) => m.node.status().leader === leader.node.id));
    const results = await Promise.all(ms.map((m, i) => m.node.propose(Buffer.from(`p${i}`)).finally(() => m.kick())));
    ms.forEach((m) => m.kick());
    assert.equal(results.length, 3);
    const commit = leader.node.status().commit;
    await waitFor('all applied', () => ms.every((m) => m.node.appliedIndex() === commit));
    assert.equal(new Set(ms.map((m) => m.stateMachine.summary())).size, 1);
  });

  it('answer FAILED_PRECONDITION "not leader; leader=<id> <address>" when forwarding is off', async () => {
    ms = await startInProcess(3, { forwarding: false });
    const leader = await waitFor('a leader', () => leaderOf(ms));
    await waitFor('followers know the leader', () => ms.every((m) => m.node.status().leader === leader.node.id));
    const follower = ms.find((m) => m !== leader)!;
    assert.equal(await follower.start(), Number(follower.address.split(':')[1]), 'start() is idempotent');
    const client = new RaftMemberServiceClient(follower.address, ChannelCredentials.createInsecure(), channelOptions());
    try {
      await assert.rejects(unary(client, client.propose, { data: Buffer.from('x') }, 2_000), (err: unknown) => {
        assert.ok(err instanceof NotLeaderRpcError, String(err));
        assert.equal(err.leaderId, leader.node.id);
        assert.equal(err.leaderAddress, leader.address);
        return true;
      });
    } finally {
      client.close();
    }
  });
});

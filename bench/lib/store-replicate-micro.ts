/**
 * store-replicate-micro: the CPU a member spends receiving Raft Replicate frames, per frame,
 * measured in a process that does nothing else (CPU time, so it survives a loaded machine).
 * A child process serves RaftTransport's service; this process streams frames to it over the
 * transport's own client codec, each one append with `entries` entries of `bytes` bytes (what a
 * follower gets per Ready at 16 in flight: 16 entries of ~300 B).
 *
 *   node --import tsx bench/lib/store-replicate-micro.ts [frames=20000] [entries=16] [bytes=300]
 */
import { fork } from 'node:child_process';
import { credentials, Metadata } from '@grpc/grpc-js';
import { Prng } from '../../src/base/prng.js';
import { systemClock } from '../../src/base/clock.js';
import { MessageType as T, type Message } from '../../src/raft/core/types.js';
import {
  replicateTransportService, ReplicateTransportClient,
} from '../../src/raft/io/replicate-codec.js';
import { RaftTransport } from '../../src/raft/io/transport.js';
import { serverCredentials } from '../../src/rpc/credentials.js';
import { bind, newServer } from '../../src/rpc/server.js';

const ADDRESS = '127.0.32.9:0';
const PACE_US = Number(process.env.REPLICATE_MICRO_PACE_US ?? 0);

async function child(frames: number): Promise<void> {
  let got = 0;
  let cpu0 = process.cpuUsage();
  const warm = Math.min(1000, frames >> 2);
  const t = new RaftTransport({
    selfId: 2, clusterId: 7, clock: systemClock, prng: new Prng(1),
    credentials: credentials.createInsecure(),
    receive: () => {
      got++;
      if (got === warm) cpu0 = process.cpuUsage();
      if (got === frames) {
        const u = process.cpuUsage(cpu0);
        process.send!({ usPerFrame: (u.user + u.system) / (frames - warm) });
      }
    },
    reportUnreachable: () => undefined, reportSnapshot: () => undefined,
  });
  const server = newServer();
  server.addService(replicateTransportService, t.service());
  const port = await bind(server, ADDRESS, serverCredentials(undefined));
  process.send!({ port });
  process.on('disconnect', () => process.exit(0));
}

function frame(entries: number, bytes: number, index: number): Message {
  const data = Buffer.alloc(bytes, 7);
  return {
    type: T.MESSAGE_TYPE_APP, to: 2, from: 1, term: 2, logTerm: 2, index, commit: index,
    entries: Array.from({ length: entries }, (_, i) => ({
      term: 2, index: index + i + 1, type: 0, data,
    })),
    snapshot: undefined, reject: false, rejectHint: 0, context: Buffer.alloc(0),
  };
}

async function parent(frames: number, entries: number, bytes: number): Promise<void> {
  const prof = process.env.REPLICATE_MICRO_PROF;
  const execArgv = ['--import', 'tsx', ...(prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : [])];
  const c = fork(import.meta.filename, ['--child', String(frames)], { execArgv });
  const port = await new Promise<number>((r) => {
    c.once('message', (m: { port: number }) => r(m.port));
  });
  const done = new Promise<number>((r) => c.on('message', (m: { usPerFrame?: number }) => {
    if (m.usPerFrame !== undefined) r(m.usPerFrame);
  }));
  const client = new ReplicateTransportClient(`127.0.32.9:${port}`, credentials.createInsecure());
  const stream = client.replicate(new Metadata(), () => undefined);
  stream.on('error', () => undefined);
  for (let i = 0; i < frames; i++) {
    const messages = [frame(entries, bytes, i * entries)];
    const ok = stream.write({ batch: { from: 1, clusterId: 7, messages } });
    if (!ok) await new Promise((r) => stream.once('drain', r));
    // Paced (PACE_US > 0): one frame per read at the receiver, as in a member under load.
    if (PACE_US > 0) await new Promise((r) => setTimeout(r, PACE_US / 1000));
  }
  const us = await done;
  console.log(`receive: ${us.toFixed(1)} µs CPU per frame (${entries} entries of ${bytes} B)`);
  stream.cancel();
  client.close();
  c.disconnect();
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') await child(Number(argv[1]));
else await parent(Number(argv[0] ?? 20000), Number(argv[1] ?? 16), Number(argv[2] ?? 300));

/**
 * store-wal-micro: what one synced WAL append costs in wall time, with the WAL's zero padding
 * (WalOptions.padBytes, the default) and without it (padBytes 0: every write grows the file).
 * Two WALs in one directory tree take turns batch by batch, so a disk that slows down or speeds
 * up (other processes' I/O) hits both alike. Each batch is what a member persists per Ready at
 * 16 in flight: 16 entries of `bytes` bytes and the hard state, one write, one fdatasync.
 *
 *   node --import tsx bench/lib/store-wal-micro.ts [batches=1500] [bytes=300] [dir=os.tmpdir()]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeFileSystem } from '../../src/raft/io/fs.js';
import { Wal, defaultWalOptions, type WalRecord } from '../../src/raft/io/wal.js';

interface Side {
  name: string;
  wal: Wal;
  dir: string;
  latUs: number[];
  next: number;
}

function open(root: string, name: string, padBytes: number): Side {
  const dir = mkdtempSync(join(root, `wal-micro-${padBytes}-`));
  const { wal } = Wal.open(nodeFileSystem, dir, { padBytes });
  return { name, wal, dir, latUs: [], next: 1 };
}

function batch(s: Side, data: Buffer): WalRecord[] {
  const out: WalRecord[] = [];
  for (let i = 0; i < 16; i++) out.push({ kind: 'entry', entry: { term: 1, index: s.next++, type: 0, data } });
  out.push({ kind: 'hard-state', hardState: { term: 1, vote: 1, commit: s.next - 17 } });
  return out;
}

function report(s: Side): string {
  const n = s.latUs.length;
  const mean = s.latUs.reduce((a, b) => a + b, 0) / n;
  const sorted = [...s.latUs].sort((a, b) => a - b);
  const q = (x: number): string => sorted[Math.min(n - 1, Math.floor(n * x))]!.toFixed(0);
  return `${s.name.padEnd(22)} p10 ${q(0.1)}  p50 ${q(0.5)}  p90 ${q(0.9)}  p99 ${q(0.99)}  mean ${mean.toFixed(0)} µs`;
}

const [batches, bytes, root] = [
  Number(process.argv[2] ?? 1500), Number(process.argv[3] ?? 300), process.argv[4] ?? tmpdir(),
];
const sides = [
  open(root, 'grow (padBytes 0)', 0),
  open(root, `padded (${defaultWalOptions.padBytes / 1024} KiB)`, defaultWalOptions.padBytes),
];
const data = Buffer.alloc(bytes, 7);
try {
  for (let i = 0; i < batches; i++) {
    for (const s of i % 2 === 0 ? sides : [...sides].reverse()) {
      const records = batch(s, data);
      const t0 = process.hrtime.bigint();
      s.wal.append(records, true);
      s.latUs.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
  }
  console.log(`WAL append + fdatasync, 16 entries of ${bytes} B per batch, ${batches} batches each:`);
  for (const s of sides) console.log(report(s));
} finally {
  for (const s of sides) {
    s.wal.close();
    rmSync(s.dir, { recursive: true, force: true });
  }
}

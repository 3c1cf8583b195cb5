/**
 * Spare log inodes on a real directory, both ends: the kubelet's removal of a deleted pod's logs
 * (cleanup.ts) empties its directories and live log files into the pool, and the runtime's next
 * pod (LogSpares, CriLogWriter) is made from them — the same inodes, no earlier bytes, the same
 * paths. What may not be reused is not: a file being read, a rotated file, a spare that got
 * bytes or entries after it was put, an existing log; a full pool removes as before.
 */
import assert from 'node:assert/strict';
import {
  appendFile, link, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { SparePool, removePodLogs } from '../../../src/kubelet/logs/cleanup.js';
import { LogCursor } from '../../../src/kubelet/logs/cursor.js';
import { podLogDirectory } from '../../../src/kubelet/logs/paths.js';
import { decodeCriLog } from '../../../src/runtime/logs/decode.js';
import { LogSpares, SPARE_DIR_NAME, spareDirOf } from '../../../src/runtime/logs/spares.js';
import { CriLogWriter } from '../../../src/runtime/logs/writer.js';

const T0 = Date.UTC(2026, 10, 24, 21, 0, 0);

describe('spare log inodes (kubelet puts, runtime takes)', () => {
  let root: string;
  let spares: LogSpares;
  let nowMs: number;
  let ticking: boolean;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'k8ts-logspares-'));
    nowMs = 0;
    // Time moves on between calls (each may list the pool again) unless a test stops it.
    spares = new LogSpares(() => (ticking ? (nowMs += 1000) : nowMs), 1000, 0);
    ticking = true;
  });
  afterEach(async () => {
    spares.close();
    await rm(root, { recursive: true, force: true });
  });

  /** runPod makes a pod's logs as the runtime does and writes lines; returns the log path. */
  async function runPod(name: string, uid: string, lines: string[]): Promise<string> {
    const podDir = podLogDirectory(root, 'ns', name, uid);
    await spares.makePodDir(podDir);
    const logPath = join(podDir, 'c', '0.log');
    const w = await CriLogWriter.open({ logPath, wallMs: () => T0, spares });
    for (const l of lines) await w.write('stdout', Buffer.from(`${l}\n`));
    await w.close();
    return logPath;
  }

  async function contents(logPath: string): Promise<string[]> {
    return decodeCriLog(await readFile(logPath)).entries.map((e) => e.content.toString());
  }

  async function pool(): Promise<string[]> {
    return (await readdir(spareDirOf(root))).sort();
  }

  it('makes the next pod\'s logs from the deleted pod\'s inodes, without its bytes', async () => {
    const oldPath = await runPod('a', 'u1', ['secret of a', 'more of a']);
    const oldIno = (await stat(oldPath)).ino;
    await removePodLogs(root, 'ns', 'a', 'u1');
    assert.deepEqual(await readdir(root), [SPARE_DIR_NAME]);
    assert.deepEqual(await pool(), ['d.u1.1', 'd.u1.2', 'f.u1.0']);
    assert.equal((await stat(join(spareDirOf(root), 'f.u1.0'))).size, 0);

    const newPath = await runPod('b', 'u2', ['b only']);
    assert.deepEqual(await contents(newPath), ['b only']);
    assert.equal((await stat(newPath)).ino, oldIno);
    assert.deepEqual(spares.counts, { dirsTaken: 2, filesTaken: 1, discarded: 0 });
    assert.deepEqual(await pool(), []);
    assert.deepEqual((await readdir(root)).sort(), [SPARE_DIR_NAME, 'ns_b_u2']);
  });

  it('removes what it must not reuse: rotated files and files being read', async () => {
    const logPath = await runPod('a', 'u1', ['x']);
    await writeFile(`${logPath}.20261124-210000.gz`, 'old');
    await writeFile(join(root, 'ns_a_u1', 'c', '1.log'), 'attempt 1');
    // Opened under another spelling of the same path (relative): still seen as read.
    const reader = await LogCursor.open(relative(process.cwd(), logPath));
    try {
      await removePodLogs(root, 'ns', 'a', 'u1');
    } finally {
      await reader.close();
    }
    // 0.log was being read: removed; 1.log recycled; the .gz removed.
    assert.deepEqual(await pool(), ['d.u1.1', 'd.u1.2', 'f.u1.0']);
    assert.equal((await stat(join(spareDirOf(root), 'f.u1.0'))).size, 0);
  });

  it('discards a spare file that got bytes, or has a second name, after it was put', async () => {
    await runPod('a', 'u1', ['a']);
    await removePodLogs(root, 'ns', 'a', 'u1');
    await appendFile(join(spareDirOf(root), 'f.u1.0'), 'late write of a\n');
    const path = await runPod('b', 'u2', ['b']);
    assert.deepEqual(await contents(path), ['b']);
    assert.equal(spares.counts.discarded, 1);

    await removePodLogs(root, 'ns', 'b', 'u2');
    const f = (await pool()).find((n) => n.startsWith('f.')) ?? '';
    await link(join(spareDirOf(root), f), join(root, 'other-name'));
    const path2 = await runPod('c', 'u3', ['c']);
    assert.deepEqual(await contents(path2), ['c']);
    assert.notEqual((await stat(path2)).ino, (await stat(join(root, 'other-name'))).ino);
    assert.equal(spares.counts.discarded, 2);
  });

  it('discards a spare directory that got entries after it was put', async () => {
    await runPod('a', 'u1', ['a']);
    await removePodLogs(root, 'ns', 'a', 'u1');
    for (const d of (await pool()).filter((n) => n.startsWith('d.'))) {
      await writeFile(join(spareDirOf(root), d, 'stray'), 'of a');
    }
    await runPod('b', 'u2', ['b']);
    assert.deepEqual(await readdir(join(root, 'ns_b_u2')), ['c']);
    assert.deepEqual(await readdir(join(root, 'ns_b_u2', 'c')), ['0.log']);
    assert.equal(spares.counts.discarded, 2);
  });

  it('never replaces an existing log or directory', async () => {
    await runPod('a', 'u1', ['a']);
    await removePodLogs(root, 'ns', 'a', 'u1');
    const podDir = podLogDirectory(root, 'ns', 'b', 'u2');
    await mkdir(join(podDir, 'c'), { recursive: true });
    await writeFile(join(podDir, 'c', '0.log'), 'kept\n');
    await spares.makePodDir(podDir);
    assert.equal(await spares.placeFile(join(podDir, 'c', '0.log')), false);
    assert.equal(await readFile(join(podDir, 'c', '0.log'), 'utf8'), 'kept\n');
    // The spares were given back: the next pod still gets them.
    await runPod('c', 'u3', ['c']);
    assert.deepEqual(spares.counts, { dirsTaken: 2, filesTaken: 1, discarded: 0 });
  });

  it('lists an empty pool again only after the rescan interval', async () => {
    ticking = false;
    await runPod('a', 'u1', ['a']); // lists the (missing) pool at 0
    await removePodLogs(root, 'ns', 'a', 'u1');
    nowMs = 999;
    await runPod('b', 'u2', ['b']);
    assert.equal(spares.counts.dirsTaken, 0);
    nowMs = 1000;
    await runPod('c', 'u3', ['c']);
    assert.equal(spares.counts.dirsTaken, 2);
  });

  it('pods made at once while the pool is listed all wait for the listing', async () => {
    await runPod('a', 'u1', ['a']);
    await runPod('b', 'u2', ['b']);
    await removePodLogs(root, 'ns', 'a', 'u1');
    await removePodLogs(root, 'ns', 'b', 'u2');
    nowMs += 1000; // one listing is due, and no second one while it runs
    ticking = false;
    await Promise.all([runPod('c', 'u3', ['c']), runPod('d', 'u4', ['d'])]);
    assert.deepEqual(spares.counts, { dirsTaken: 4, filesTaken: 2, discarded: 0 });
  });

  it('makes spares itself, off the hot path, for a node\'s first pods', async () => {
    spares = new LogSpares(() => (nowMs += 1000), 1000, 2, 20);
    // The node's first pod (a static one): the root is learnt, then the pool topped up.
    await spares.makePodDir(podLogDirectory(root, 'ns', 'static', 'u0'));
    await spares.settled();
    const made = await pool();
    assert.equal(made.filter((n) => n.startsWith('d.rt-')).length, 4);
    assert.equal(made.filter((n) => n.startsWith('f.rt-')).length, 2);
    const path = await runPod('a', 'u1', ['a']);
    assert.deepEqual(await contents(path), ['a']);
    assert.deepEqual(spares.counts, { dirsTaken: 2, filesTaken: 1, discarded: 0 });
    // Once takes stop, the pool is made full again.
    await new Promise((r) => setTimeout(r, 50));
    await spares.settled();
    assert.equal((await pool()).length, 6);
  });

  it('removes instead of pooling once the pool is full', async () => {
    const full = new SparePool(root, 3, () => 0);
    await runPod('a', 'u1', ['a']);
    await runPod('b', 'u2', ['b']);
    await full.recycle(podLogDirectory(root, 'ns', 'a', 'u1'), 'u1');
    await full.recycle(podLogDirectory(root, 'ns', 'b', 'u2'), 'u2');
    assert.deepEqual(await pool(), ['d.u1.1', 'd.u1.2', 'f.u1.0']);
    assert.deepEqual(await readdir(root), [SPARE_DIR_NAME]);
    await full.recycle(podLogDirectory(root, 'ns', 'gone', 'u9'), 'u9');
  });
});

/**
 * The process runtime's FIFO pool (src/runtime/process/fifo-pool.ts): take() puts fresh FIFOs at
 * the paths asked for, and the pool then makes batches in the background until its target is
 * ready (so a node's burst of starts does not wait for mkfifo), and no further; a closed pool
 * makes none.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FIFO_BATCH_SIZE, FIFO_READY_TARGET, FifoPool,
} from '../../../src/runtime/process/fifo-pool.js';

describe('process runtime: FIFO pool', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'k8ts-fifo-pool-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('hands out FIFOs and tops itself up to its target in the background', async () => {
    const poolDir = join(dir, 'pool');
    const pool = new FifoPool(poolDir);
    const paths = [join(dir, 'a.stdout'), join(dir, 'a.stderr')];
    await pool.take(paths);
    for (const p of paths) assert.ok(statSync(p).isFIFO());
    const deadline = Date.now() + 10_000;
    while (readdirSync(poolDir).length < FIFO_READY_TARGET && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 100)); // a batch beyond the target would land now
    const ready = readdirSync(poolDir).length;
    assert.ok(ready >= FIFO_READY_TARGET, `only ${ready} ready`);
    assert.ok(ready < FIFO_READY_TARGET + FIFO_BATCH_SIZE, `${ready} ready: past the target`);
    await pool.close();
  });

  it('makes nothing more once closed', async () => {
    const poolDir = join(dir, 'pool');
    const pool = new FifoPool(poolDir);
    await pool.take([join(dir, 'b.stdout')]);
    await pool.close();
    const after = readdirSync(poolDir).length;
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(readdirSync(poolDir).length, after);
  });
});

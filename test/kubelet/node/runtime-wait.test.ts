/**
 * The starting kubelet's wait for its runtime's CRI socket: it returns as soon as a server
 * listens there (also one that starts listening during the wait), and gives up after its bound.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../../src/base/clock.js';
import { waitUntil } from '../../../src/base/wait-until.js';
import { socketAccepts, waitForRuntimeSocket } from '../../../src/kubelet/node/runtime-wait.js';

describe('kubelet runtime wait', () => {
  let dir: string;
  let server: Server | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'k8ts-runtime-wait-'));
  });
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const listen = (path: string) => new Promise<void>((resolve) => {
    server = createServer((s) => s.destroy());
    server.listen(path, resolve);
  });

  it('says whether a unix socket accepts connections (path or unix:<path>)', async () => {
    const path = join(dir, 'cri.sock');
    assert.equal(await socketAccepts(path), false);
    await listen(path);
    assert.equal(await socketAccepts(path), true);
    assert.equal(await socketAccepts(`unix:${path}`), true);
  });

  it('returns once the runtime starts listening during the wait', async () => {
    const path = join(dir, 'cri.sock');
    setTimeout(() => void listen(path), 60);
    const t0 = performance.now();
    assert.equal(await waitForRuntimeSocket(path, { clock: systemClock, maxMs: 5_000,
      pollMs: 10 }), true);
    assert.ok(performance.now() - t0 < 2_000);
  });

  it('gives up after maxMs', async () => {
    let calls = 0;
    const ok = await waitUntil(async () => {
      calls++;
      return false;
    }, { clock: systemClock, maxMs: 50, pollMs: 10 });
    assert.equal(ok, false);
    assert.ok(calls >= 2 && calls <= 10, `calls ${calls}`);
  });
});

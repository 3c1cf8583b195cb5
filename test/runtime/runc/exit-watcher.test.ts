/**
 * ExitWatcher: conmon's exit files as events — an exit written before the wait began is seen at
 * once, one written later wakes the waiter, a half-written file does not, and a cancelled wait
 * is never called; "no event" vouches for a container only within one healthy watch. No root
 * needed.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitWatcher } from '../../../src/runtime/runc/exit-watcher.js';
import { eventually } from '../../support/poll.js';

/** fired resolves with true when the wait fires, or with false after boundMs. */
function fired(watcher: ExitWatcher, id: string, boundMs = 5_000): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), boundMs);
    watcher.onExit(id, () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

describe('runc runtime: exit watcher', () => {
  let dir: string;
  let watcher: ExitWatcher;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'k8ts-exits-'));
    watcher = new ExitWatcher(dir);
    watcher.start();
  });
  afterEach(async () => {
    watcher.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('fires at once for an exit already written', async () => {
    await writeFile(join(dir, 'c1'), '0');
    assert.equal(await fired(watcher, 'c1'), true);
  });

  it('fires when conmon writes the code later, not for an empty file', async () => {
    const waiting = fired(watcher, 'c2');
    await writeFile(join(dir, 'c2'), '');
    assert.equal(await watcher.hasExited('c2'), false);
    await writeFile(join(dir, 'c2'), '137');
    assert.equal(await waiting, true);
  });

  it('never calls a cancelled wait', async () => {
    let called = false;
    const cancel = watcher.onExit('c3', () => (called = true));
    cancel();
    await writeFile(join(dir, 'c3'), '1');
    assert.equal(await fired(watcher, 'c3'), true, 'a later waiter still fires');
    assert.equal(called, false);
  });

  it('says an exit may have happened after an event named it or a new watch', async () => {
    const epoch = watcher.epoch();
    assert.equal(watcher.mayHaveExited('c4', epoch), false);
    await writeFile(join(dir, 'c4'), '0');
    await eventually(async () => assert.equal(watcher.mayHaveExited('c4', epoch), true), 5_000);
    assert.equal(watcher.mayHaveExited('c5', epoch), false, 'no event named c5');
    watcher.forget('c4');
    assert.equal(watcher.mayHaveExited('c4', epoch), false);
    watcher.close();
    assert.equal(watcher.mayHaveExited('c5', epoch), true, 'not watching: no evidence');
    watcher.start();
    assert.equal(watcher.mayHaveExited('c5', epoch), true, 'events between watches are lost');
    assert.equal(watcher.mayHaveExited('c5', watcher.epoch()), false);
  });
});

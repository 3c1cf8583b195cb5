/**
 * The process runtime's records: one journal of appended lines that a new store replays (the
 * last line per record wins, a tombstone deletes, a torn last line is skipped), that the
 * per-record files of an older runtime are folded into, and that is rewritten when it grows.
 */
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync }
  from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  COMPACT_MIN_BYTES, JOURNAL_NAME, StateStore, type SandboxRecord,
} from '../../../src/runtime/process/state-store.js';

function sandbox(id: string, ip = '127.9.9.1'): SandboxRecord {
  return { id, metadata: { name: id, uid: `u-${id}`, namespace: 'd', attempt: 0 }, hostname: id,
    logDirectory: '', ip, ready: true, createdAtMs: 1, labels: {}, annotations: {},
    runtimeHandler: '', ports: [] };
}

describe('process runtime state store (journal)', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'k8ts-state-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('replays saves and deletes in call order; the newest record wins', async () => {
    const a = new StateStore(dir);
    await Promise.all([a.saveSandbox(sandbox('s1')), a.saveSandbox(sandbox('s2')),
      a.saveSandbox({ ...sandbox('s1'), ready: false }), a.deleteSandbox('s2')]);
    await a.close();
    const b = new StateStore(dir);
    assert.deepEqual(b.loadSandboxes(), [{ ...sandbox('s1'), ready: false }]);
    assert.deepEqual(b.loadContainers(), []);
    await b.saveSandbox(sandbox('s3'));
    await b.close();
    assert.deepEqual(new StateStore(dir).loadSandboxes().map((s) => s.id), ['s1', 's3']);
  });

  it('skips a torn last line (a crash in the middle of an append)', async () => {
    const a = new StateStore(dir);
    await a.saveSandbox(sandbox('s1'));
    await a.close();
    appendFileSync(join(dir, JOURNAL_NAME), '{"k":"s","id":"s2","r":{"id":"s2","meta');
    assert.deepEqual(new StateStore(dir).loadSandboxes().map((s) => s.id), ['s1']);
  });

  it("folds an older runtime's per-record files into the journal", async () => {
    mkdirSync(join(dir, 'sandboxes'));
    writeFileSync(join(dir, 'sandboxes', 'old.json'), JSON.stringify(sandbox('old')));
    const a = new StateStore(dir);
    assert.deepEqual(a.loadSandboxes().map((s) => s.id), ['old']);
    await a.saveSandbox(sandbox('new'));
    await a.close();
    assert.equal(existsSync(join(dir, 'sandboxes')), false);
    assert.deepEqual(new StateStore(dir).loadSandboxes().map((s) => s.id).sort(), ['new', 'old']);
  });

  it('stays bounded: rewritten once it outgrows what is live', async () => {
    const a = new StateStore(dir);
    const big = 'x'.repeat(4096);
    for (let i = 0; i < (2 * COMPACT_MIN_BYTES) / 4096; i++) {
      await a.saveSandbox({ ...sandbox('s1'), hostname: `${big}${i}` });
    }
    await a.close();
    assert.ok(statSync(join(dir, JOURNAL_NAME)).size <= COMPACT_MIN_BYTES + 8192);
    const [s1] = new StateStore(dir).loadSandboxes();
    assert.equal(s1?.hostname, `${big}${(2 * COMPACT_MIN_BYTES) / 4096 - 1}`);
  });
});

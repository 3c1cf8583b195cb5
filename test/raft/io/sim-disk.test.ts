import assert from 'node:assert/strict';
import { Prng } from '../../../src/base/prng.js';
import { SimCrashError, SimDisk } from '../../../src/sim/disk.js';

function disk(seed = 1): SimDisk {
  const d = new SimDisk(new Prng(seed));
  d.mkdirp('/d');
  return d;
}

describe('SimDisk', () => {
  it('keeps synced bytes and drops unsynced ones on crash', () => {
    const d = disk();
    const fh = d.open('/d/f', { create: true, truncate: false });
    d.syncDir('/d');
    d.append(fh, Buffer.from('hello'));
    d.fdatasync(fh);
    d.append(fh, Buffer.from(' world'));
    assert.equal(d.readFile('/d/f').toString(), 'hello world');
    d.crash();
    assert.equal(d.readFile('/d/f').toString(), 'hello');
    assert.throws(() => d.append(fh, Buffer.from('x')), /EBADF/);
  });

  it('loses a created name unless the directory was synced', () => {
    const d = disk();
    const a = d.open('/d/a', { create: true, truncate: false });
    d.append(a, Buffer.from('a'));
    d.fdatasync(a);
    d.crash();
    assert.equal(d.exists('/d/a'), false, 'fdatasync alone does not make the name durable');
    const b = d.open('/d/b', { create: true, truncate: false });
    d.syncDir('/d');
    d.append(b, Buffer.from('b'));
    d.fdatasync(b);
    d.crash();
    assert.equal(d.readFile('/d/b').toString(), 'b');
  });

  it('reverts an unsynced rename and unlink, keeps synced ones', () => {
    const d = disk();
    for (const n of ['x', 'y']) {
      const fh = d.open(`/d/${n}`, { create: true, truncate: false });
      d.append(fh, Buffer.from(n));
      d.fdatasync(fh);
      d.close(fh);
    }
    d.syncDir('/d');
    d.rename('/d/x', '/d/z');
    d.unlink('/d/y');
    assert.deepEqual(d.readdir('/d'), ['z']);
    d.crash();
    assert.deepEqual(d.readdir('/d'), ['x', 'y']);
    d.rename('/d/x', '/d/z');
    d.syncDir('/d');
    d.crash();
    assert.deepEqual(d.readdir('/d'), ['y', 'z']);
    assert.equal(d.readFile('/d/z').toString(), 'x');
  });

  it('keeps a prefix of unsynced writes with torn writes, same for the same seed', () => {
    const run = (seed: number): string => {
      const d = disk(seed);
      const fh = d.open('/d/f', { create: true, truncate: false });
      d.syncDir('/d');
      d.append(fh, Buffer.from('base|'));
      d.fdatasync(fh);
      d.append(fh, Buffer.from('0123456789'));
      d.append(fh, Buffer.from('abcdefghij'));
      d.crash({ tornWrites: true });
      return d.readFile('/d/f').toString();
    };
    const seen = new Set<string>();
    for (let seed = 1; seed <= 60; seed++) {
      const got = run(seed);
      assert.equal(got, run(seed), 'deterministic per seed');
      assert.ok('base|0123456789abcdefghij'.startsWith(got) && got.startsWith('base|'), got);
      seen.add(got);
    }
    assert.ok(seen.size > 5, `torn lengths vary (${seen.size})`);
  });

  it('reverts an unsynced truncate', () => {
    const d = disk();
    const fh = d.open('/d/f', { create: true, truncate: false });
    d.syncDir('/d');
    d.append(fh, Buffer.from('abcdef'));
    d.fdatasync(fh);
    d.truncate(fh, 2);
    assert.equal(d.readFile('/d/f').toString(), 'ab');
    d.crash();
    assert.equal(d.readFile('/d/f').toString(), 'abcdef');
  });

  it('flips exactly one bit with corrupt()', () => {
    const d = disk();
    const fh = d.open('/d/f', { create: true, truncate: false });
    d.append(fh, Buffer.from([0, 0, 0]));
    d.corrupt('/d/f', 1, 3);
    assert.deepEqual([...d.readFile('/d/f')], [0, 8, 0]);
  });

  it('crashes at an armed operation and charges virtual sync latency', () => {
    const d = new SimDisk(new Prng(7), { syncLatencyMsMin: 5, syncLatencyMsMax: 5 });
    d.mkdirp('/d');
    const fh = d.open('/d/f', { create: true, truncate: false });
    d.syncDir('/d');
    assert.equal(d.lastOpCostMs(), 5);
    d.armCrash(2, { tornWrites: false });
    d.append(fh, Buffer.from('a'));
    assert.throws(() => d.fdatasync(fh), SimCrashError);
    assert.equal(d.readFile('/d/f').toString(), 'a', 'the crashing sync completed first');
    assert.ok(Math.abs(d.elapsedMs() - 10) < 0.01, `elapsed ${d.elapsedMs()}`);
    assert.equal(d.stats().crashes, 1);
  });
});

/**
 * Removing a stopped container's runc state without runc (src/runtime/runc/runc-state.ts): only
 * when state.json's init process is gone, only cgroup directories under /sys/fs/cgroup, and a
 * missing state counts as removed. Root only (it makes a real cgroup directory).
 */
import assert from 'node:assert/strict';
import { access, mkdir, mkdtemp, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeStoppedState } from '../../../src/runtime/runc/runc-state.js';
import { startTicksOf } from '../../../src/runtime/runc/signal.js';

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

describe('runc runtime: removing a stopped container\'s runc state', () => {
  let root = '';
  const cgroup = `/sys/fs/cgroup/pids/k8ts-runc-state-test-${process.pid}`;
  before(function () {
    if (process.getuid?.() !== 0) this.skip();
  });
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'k8ts-runc-state-'));
    await mkdir(cgroup, { recursive: true });
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
    await rmdir(cgroup).catch(() => undefined);
  });

  /** writeState writes <root>/<id>/state.json naming pid/start and the cgroup paths. */
  async function writeState(id: string, pid: number, start: string, paths: string[]):
    Promise<void> {
    await mkdir(join(root, id));
    await writeFile(join(root, id, 'state.json'), JSON.stringify({
      id, init_process_pid: pid, init_process_start: Number(start),
      cgroup_paths: Object.fromEntries(paths.map((p, i) => [`c${i}`, p])),
    }));
  }

  it('leaves a container whose init process lives to runc', async () => {
    await writeState('live', process.pid, (await startTicksOf(process.pid)) as string, [cgroup]);
    assert.equal(await removeStoppedState(root, 'live'), false);
    assert.ok(await exists(cgroup));
    assert.ok(await exists(join(root, 'live', 'state.json')));
  });

  it('removes the cgroups and state of one whose init process is gone', async () => {
    // Our own pid with another start time: a later process that got the dead init's pid.
    const start = `${Number(await startTicksOf(process.pid)) + 1}`;
    await writeState('dead', process.pid, start, [cgroup, `${cgroup}-gone`]);
    assert.equal(await removeStoppedState(root, 'dead'), true);
    assert.equal(await exists(cgroup), false);
    assert.equal(await exists(join(root, 'dead')), false);
    assert.equal(await removeStoppedState(root, 'dead'), true, 'nothing left is done');
  });

  it('never removes a directory outside /sys/fs/cgroup', async () => {
    const outside = join(root, 'not-a-cgroup');
    await mkdir(outside);
    await writeState('odd', process.pid, '1', [outside]);
    assert.equal(await removeStoppedState(root, 'odd'), false);
    assert.ok(await exists(outside));
  });
});

/**
 * The node's log layout and its cleanup on a real directory: a pod's directory name round-trips,
 * a removed instance takes its rotated files with it but not its siblings, a deleted pod's
 * directory goes, and the orphan sweep removes only directories of pods no longer known.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  removeContainerLogFiles,
  removeOrphanedPodLogs,
  removePodLogs,
} from '../../../src/kubelet/logs/cleanup.js';
import {
  containerLogPath,
  parseAttempt,
  parsePodLogDirName,
  podLogDirectory,
} from '../../../src/kubelet/logs/paths.js';

describe('pod log layout and cleanup', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'k8ts-logclean-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function touch(...parts: string[]): Promise<void> {
    const path = join(root, ...parts);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, 'x');
  }

  it('names pod directories and container logs as upstream does', () => {
    assert.equal(podLogDirectory('/var/log/pods', 'kube-system', 'etcd-m1', 'u-1'),
      '/var/log/pods/kube-system_etcd-m1_u-1');
    assert.equal(containerLogPath('etcd', 3), 'etcd/3.log');
    assert.deepEqual(parsePodLogDirName('kube-system_etcd-m1_u-1'),
      { namespace: 'kube-system', pod: 'etcd-m1', uid: 'u-1' });
    assert.equal(parsePodLogDirName('no-underscores'), undefined);
    assert.equal(parsePodLogDirName('a_b_'), undefined);
    assert.equal(parseAttempt('12.log'), 12);
    assert.equal(parseAttempt('12.log.20261123-180000'), undefined);
  });

  it('removes one instance\'s log with its rotated files only', async () => {
    await touch('ns_p_u', 'c', '0.log');
    await touch('ns_p_u', 'c', '0.log.20261123-180000.gz');
    await touch('ns_p_u', 'c', '1.log');
    await removeContainerLogFiles(join(root, 'ns_p_u', 'c', '0.log'));
    assert.deepEqual(await readdir(join(root, 'ns_p_u', 'c')), ['1.log']);
    await removeContainerLogFiles(join(root, 'gone', 'c', '0.log'));
  });

  it('removes a deleted pod\'s directory and sweeps orphans', async () => {
    await touch('ns_a_u1', 'c', '0.log');
    await touch('ns_b_u2', 'c', '0.log');
    await touch('ns_c_u3', 'c', '0.log');
    await touch('not-a-pod-dir', 'keep');
    await removePodLogs(root, 'ns', 'a', 'u1');
    assert.deepEqual(await removeOrphanedPodLogs(root, new Set(['u2'])), ['ns_c_u3']);
    // The deleted pod's directories went into the hidden spare pool (runtime/logs/spares.ts).
    assert.deepEqual((await readdir(root)).filter((n) => !n.startsWith('.')).sort(),
      ['not-a-pod-dir', 'ns_b_u2']);
    assert.deepEqual(await removeOrphanedPodLogs(join(root, 'missing'), new Set()), []);
  });
});

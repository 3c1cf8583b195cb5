/**
 * The Deployment and ReplicaSet controllers together against the real in-process API server
 * with fake kubelets, driven by the REAL kubectl: a Deployment of 10 becomes a ReplicaSet and
 * 10 ready pods; `kubectl set image` rolls out (rollout status exits 0); history lists the
 * revisions; undo brings revision 1's template back as revision 3; restart, pause/resume and
 * the Recreate strategy.
 */
import assert from 'node:assert/strict';
import type { Deployment, ReplicaSet } from '../../../src/api/apps/v1/workloads.js';
import { isPodActive, isPodReady } from '../../../src/controllers/base/pods.js';
import { DEPLOYMENTS, REPLICASETS } from '../../../src/controllers/base/resources.js';
import { deploymentController } from '../../../src/controllers/deployment/controller.js';
import { replicaSetController } from '../../../src/controllers/replicaset/controller.js';
import {
  eventually,
  listPods,
  startControllerHarness,
  type ControllerHarness,
} from '../../support/controllers.js';

const NS = 'deploy-test';
const REVISION = 'deployment.kubernetes.io/revision';

function deployment(name: string, replicas: number, strategy: 'RollingUpdate' | 'Recreate'):
  Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      strategy: { type: strategy },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] },
      },
    },
  };
}

describe('Deployment controller with kubectl (real API server, fake kubelets)', function () {
  this.timeout(90_000);
  let h: ControllerHarness;

  before(async function () {
    this.timeout(60_000);
    h = await startControllerHarness([deploymentController, replicaSetController],
      { namespaces: [NS], kubelets: ['node-1', 'node-2', 'node-3'] });
  });
  after(async () => {
    await h?.stop();
  });

  async function kubectl(...args: string[]): Promise<string> {
    const r = await h.cluster.kubectl(['-n', NS, ...args], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  }

  async function replicaSetsOf(name: string): Promise<ReplicaSet[]> {
    const list = await h.api.list<ReplicaSet>(REPLICASETS, NS, { labelSelector: `app=${name}` });
    return list.items;
  }

  /** complete: the rollout is done as kubectl rollout status sees it, and pods agree. */
  async function waitComplete(name: string, replicas: number): Promise<Deployment> {
    return eventually(async () => {
      const d = await h.api.get<Deployment>(DEPLOYMENTS, NS, name);
      const s = d.status ?? {};
      assert.equal(s.observedGeneration, d.metadata.generation);
      assert.deepEqual([s.replicas, s.updatedReplicas, s.readyReplicas, s.availableReplicas],
        [replicas, replicas, replicas, replicas]);
      const pods = (await listPods(h.api, NS, `app=${name}`)).filter(isPodActive);
      assert.equal(pods.length, replicas);
      assert.ok(pods.every(isPodReady));
      return d;
    }, 60_000);
  }

  function imageOf(rs: ReplicaSet | Deployment): string | undefined {
    return rs.spec?.template?.spec?.containers[0]?.image;
  }

  it('a Deployment of 10 makes one ReplicaSet and 10 ready pods', async () => {
    await h.api.create(DEPLOYMENTS, NS, deployment('web', 10, 'RollingUpdate'));
    const d = await waitComplete('web', 10);
    const [rs, ...more] = await replicaSetsOf('web');
    assert.ok(rs);
    assert.deepEqual(more, []);
    const hash = rs.metadata.labels?.['pod-template-hash'] ?? '';
    assert.match(hash, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
    assert.equal(rs.metadata.name, `web-${hash}`);
    assert.equal(rs.spec?.selector?.matchLabels?.['pod-template-hash'], hash);
    assert.equal(rs.metadata.annotations?.[REVISION], '1');
    assert.equal(d.metadata.annotations?.[REVISION], '1');
    const conds = Object.fromEntries((d.status?.conditions ?? []).map((c) => [c.type, c.reason]));
    assert.deepEqual(conds, { Available: 'MinimumReplicasAvailable',
      Progressing: 'NewReplicaSetAvailable' });
    assert.ok(h.events.some((e) => e.reason === 'ScalingReplicaSet'
      && e.message === `Scaled up replica set web-${hash} from 0 to 10`));
  });

  it('kubectl set image rolls out; rollout status exits 0; history lists 2 revisions', async () => {
    await kubectl('set', 'image', 'deployment/web', 'c=nginx:1.26');
    const out = await kubectl('rollout', 'status', 'deployment/web', '--timeout=60s');
    assert.match(out, /deployment "web" successfully rolled out/);
    await waitComplete('web', 10);
    const rss = await replicaSetsOf('web');
    assert.equal(rss.length, 2);
    const byImage = Object.fromEntries(rss.map((rs) => [imageOf(rs), rs]));
    assert.equal(byImage['nginx:1.26']?.spec?.replicas, 10);
    assert.equal(byImage['nginx:1.25']?.spec?.replicas, 0);
    assert.equal(byImage['nginx:1.26']?.metadata.annotations?.[REVISION], '2');
    const history = await kubectl('rollout', 'history', 'deployment/web');
    assert.match(history, /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);
  });

  it('kubectl rollout undo returns to revision 1\'s template as revision 3', async () => {
    await kubectl('rollout', 'undo', 'deployment/web');
    await kubectl('rollout', 'status', 'deployment/web', '--timeout=60s');
    const d = await waitComplete('web', 10);
    assert.equal(imageOf(d), 'nginx:1.25');
    const rss = await replicaSetsOf('web');
    assert.equal(rss.length, 2, 'the old ReplicaSet is reused, not a new one made');
    const back = rss.find((rs) => imageOf(rs) === 'nginx:1.25');
    assert.equal(back?.metadata.annotations?.[REVISION], '3');
    assert.equal(back?.metadata.annotations?.['deployment.kubernetes.io/revision-history'], '1');
    assert.equal(back?.spec?.replicas, 10);
    await eventually(async () => {
      const cur = await h.api.get<Deployment>(DEPLOYMENTS, NS, 'web');
      assert.equal(cur.metadata.annotations?.[REVISION], '3');
    });
    const history = await kubectl('rollout', 'history', 'deployment/web');
    assert.match(history, /\n2\s+<none>\n3\s+<none>/);
  });

  it('kubectl rollout restart makes a new ReplicaSet with the restartedAt annotation', async () => {
    await kubectl('rollout', 'restart', 'deployment/web');
    await kubectl('rollout', 'status', 'deployment/web', '--timeout=60s');
    const d = await waitComplete('web', 10);
    const annotations = d.spec?.template?.metadata?.annotations ?? {};
    const restartedAt = annotations['kubectl.kubernetes.io/restartedAt'];
    assert.ok(restartedAt);
    const rss = await replicaSetsOf('web');
    assert.equal(rss.length, 3);
    const current = rss.find((rs) => rs.spec?.replicas === 10);
    assert.equal(current?.metadata.annotations?.[REVISION], '4');
  });

  it('pause holds a template change back; resume rolls it out', async () => {
    await kubectl('rollout', 'pause', 'deployment/web');
    await kubectl('set', 'image', 'deployment/web', 'c=nginx:1.27');
    const paused = await eventually(async () => {
      const d = await h.api.get<Deployment>(DEPLOYMENTS, NS, 'web');
      assert.equal(d.status?.observedGeneration, d.metadata.generation);
      const progressing = d.status?.conditions?.find((c) => c.type === 'Progressing');
      assert.equal(progressing?.reason, 'DeploymentPaused');
      assert.equal(progressing?.status, 'Unknown');
      return d;
    });
    assert.equal(imageOf(paused), 'nginx:1.27');
    assert.ok(!(await replicaSetsOf('web')).some((rs) => imageOf(rs) === 'nginx:1.27'),
      'no rollout while paused');
    await kubectl('rollout', 'resume', 'deployment/web');
    await kubectl('rollout', 'status', 'deployment/web', '--timeout=60s');
    await waitComplete('web', 10);
    const current = (await replicaSetsOf('web')).find((rs) => rs.spec?.replicas === 10);
    assert.equal(imageOf(current ?? {} as ReplicaSet), 'nginx:1.27');
  });

  it('kubectl 1.27 undoes to a chosen revision; 1.33 reads history and status', async () => {
    const r = await h.cluster.kubectl(['-n', NS, 'rollout', 'undo', 'deployment/web',
      '--to-revision=2'], { version: '1.27', timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    const status = await h.cluster.kubectl(['-n', NS, 'rollout', 'status', 'deployment/web',
      '--timeout=60s'], { version: '1.33', timeoutMs: 60_000 });
    assert.equal(status.code, 0, status.stderr);
    const d = await waitComplete('web', 10);
    assert.equal(imageOf(d), 'nginx:1.26', 'revision 2 had nginx:1.26');
    const history = await h.cluster.kubectl(['-n', NS, 'rollout', 'history', 'deployment/web',
      '--revision=6'], { version: '1.33' });
    assert.equal(history.code, 0, history.stderr);
    assert.match(history.stdout, /nginx:1\.26/);
  });

  it('kubectl describe shows the ReplicaSets, conditions and scaling events', async () => {
    await h.flushEvents();
    const out = await kubectl('describe', 'deployment', 'web');
    assert.match(out, /Replicas:\s+10 desired \| 10 updated \| 10 total \| 10 available/);
    assert.match(out, /Available\s+True\s+MinimumReplicasAvailable/);
    assert.match(out, /Progressing\s+True\s+NewReplicaSetAvailable/);
    assert.match(out, /NewReplicaSet:\s+web-[a-z0-9]+ \(10\/10 replicas created\)/);
    assert.match(out,
      /ScalingReplicaSet\s+.*deployment-controller\s+Scaled (up|down) replica set web-/);
  });

  it('Recreate scales the old ReplicaSet to zero before the new one starts', async () => {
    await h.api.create(DEPLOYMENTS, NS, deployment('batch', 3, 'Recreate'));
    await waitComplete('batch', 3);
    await kubectl('set', 'image', 'deployment/batch', 'c=nginx:1.26');
    await kubectl('rollout', 'status', 'deployment/batch', '--timeout=60s');
    await waitComplete('batch', 3);
    const scaling = h.events.filter((e) => e.name === 'batch' && e.reason === 'ScalingReplicaSet')
      .map((e) => e.message.replace(/batch-[a-z0-9]+/, 'RS'));
    assert.deepEqual(scaling, ['Scaled up replica set RS from 0 to 3',
      'Scaled down replica set RS from 3 to 0', 'Scaled up replica set RS from 0 to 3']);
  });
});

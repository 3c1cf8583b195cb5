/**
 * The real kubectl against k8ts API servers on a 3-member k8ts store: every verb a user of the
 * seed articles types, checked by what kubectl prints. kubectl 1.32 is the main build; 1.27
 * (oldest, v2beta1 discovery) and 1.33 (newest) run the core of it too.
 */
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startApiCluster, type ApiCluster, type KubectlResult } from '../support/apiserver.js';

const DEPLOY = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: { app: web }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: nginx
          image: nginx:1.25
          ports: [{ containerPort: 80 }]
---
apiVersion: v1
kind: Service
metadata: { name: web }
spec:
  selector: { app: web }
  ports: [{ port: 80, targetPort: 80 }]
`;

const POD = `apiVersion: v1
kind: Pod
metadata: { name: busy, labels: { run: busy } }
spec:
  containers: [{ name: main, image: busybox, command: [sleep, "3600"] }]
`;

function ok(r: KubectlResult): string {
  assert.equal(r.code, 0, `kubectl failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

describe('e2e: the real kubectl against k8ts', function () {
  this.timeout(120_000);
  let c: ApiCluster;
  let files: { deploy: string; pod: string };

  before(async () => {
    c = await startApiCluster({ servers: 2 });
    files = { deploy: join(c.dir, 'web.yaml'), pod: join(c.dir, 'pod.yaml') };
    writeFileSync(files.deploy, DEPLOY);
    writeFileSync(files.pod, POD);
  });
  after(async () => c?.stop());

  it('version and api-resources (discovery)', async () => {
    const v = JSON.parse(ok(await c.kubectl(['version', '-o', 'json']))) as { serverVersion: { minor: string } };
    assert.equal(v.serverVersion.minor, '32');
    const res = ok(await c.kubectl(['api-resources']));
    assert.match(res, /^pods\s+po\s+v1\s+true\s+Pod$/m);
    assert.match(res, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    assert.match(res, /^namespaces\s+ns\s+v1\s+false\s+Namespace$/m);
  });

  it('lists the bootstrap namespaces and the kubernetes service', async () => {
    const ns = ok(await c.kubectl(['get', 'ns']));
    for (const n of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) assert.match(ns, new RegExp(`^${n}\\s+Active\\s+\\d+s$`, 'm'));
    assert.match(ok(await c.kubectl(['get', 'svc'])), /^kubernetes\s+ClusterIP\s+127\.96\.0\.1\s+<none>\s+443\/TCP\s+\d+s$/m);
  });

  it('create -f, get with Table columns, -o wide, -o yaml, -l, -A', async () => {
    assert.match(ok(await c.kubectl(['create', '-f', files.pod])), /^pod\/busy created$/m);
    const get = ok(await c.kubectl(['get', 'pods']));
    assert.match(get, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/m);
    assert.match(get, /^busy\s+0\/1\s+Pending\s+0\s+\d+s$/m);
    assert.match(ok(await c.kubectl(['get', 'pods', '-o', 'wide'])), /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/m);
    const yaml = ok(await c.kubectl(['get', 'pod', 'busy', '-o', 'yaml']));
    assert.match(yaml, /restartPolicy: Always/);
    assert.match(yaml, /imagePullPolicy: Always/);
    assert.match(yaml, /uid: [0-9a-f-]{36}/);
    assert.match(ok(await c.kubectl(['get', 'pods', '-l', 'run=busy', '-o', 'name'])), /^pod\/busy$/m);
    assert.equal(ok(await c.kubectl(['get', 'pods', '-l', 'run=nobody', '-o', 'name'])), '');
    assert.match(ok(await c.kubectl(['get', 'pods', '-A'])), /^default\s+busy\s+0\/1\s+Pending/m);
    const again = await c.kubectl(['create', '-f', files.pod]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /Error from server \(AlreadyExists\): error when creating ".*pod\.yaml": pods "busy" already exists/);
  });

  it('apply twice: created, then unchanged; a change is configured', async () => {
    const first = ok(await c.kubectl(['apply', '-f', files.deploy]));
    assert.match(first, /^deployment\.apps\/web created$/m);
    assert.match(first, /^service\/web created$/m);
    const second = ok(await c.kubectl(['apply', '-f', files.deploy]));
    assert.match(second, /^deployment\.apps\/web unchanged$/m);
    assert.match(second, /^service\/web unchanged$/m);
    writeFileSync(files.deploy, DEPLOY.replace('nginx:1.25', 'nginx:1.26'));
    assert.match(ok(await c.kubectl(['apply', '-f', files.deploy])), /^deployment\.apps\/web configured$/m);
    const image = ok(await c.kubectl(['get', 'deploy', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']));
    assert.equal(image, 'nginx:1.26');
    assert.match(ok(await c.kubectl(['get', 'deploy', 'web', '-o', 'jsonpath={.metadata.generation}'])), /^2$/);
  });

  it('apply --server-side creates and updates with managed fields', async () => {
    const file = join(c.dir, 'ssa.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ssa }\ndata: { a: "1" }\n');
    assert.match(ok(await c.kubectl(['apply', '--server-side', '-f', file])), /^configmap\/ssa serverside-applied$/m);
    writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ssa }\ndata: { a: "2", b: "3" }\n');
    assert.match(ok(await c.kubectl(['apply', '--server-side', '-f', file])), /^configmap\/ssa serverside-applied$/m);
    const out = JSON.parse(ok(await c.kubectl(['get', 'cm', 'ssa', '-o', 'json', '--show-managed-fields']))) as { data: Record<string, string>; metadata: { managedFields: { manager: string; operation: string }[] } };
    assert.deepEqual(out.data, { a: '2', b: '3' });
    assert.ok(out.metadata.managedFields.some((m) => m.manager === 'kubectl' && m.operation === 'Apply'));
  });

  it('label, annotate, scale, get all, describe', async () => {
    assert.match(ok(await c.kubectl(['label', 'pod', 'busy', 'env=prod'])), /^pod\/busy labeled$/m);
    assert.match(ok(await c.kubectl(['get', 'pods', '-l', 'env=prod', '-o', 'name'])), /pod\/busy/);
    assert.match(ok(await c.kubectl(['annotate', 'pod', 'busy', 'note=hi'])), /^pod\/busy annotated$/m);
    assert.match(ok(await c.kubectl(['scale', 'deployment', 'web', '--replicas=3'])), /^deployment\.apps\/web scaled$/m);
    assert.equal(ok(await c.kubectl(['get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas}'])), '3');
    const all = ok(await c.kubectl(['get', 'all']));
    assert.match(all, /^pod\/busy\s/m);
    assert.match(all, /^service\/web\s+ClusterIP\s+127\.96\./m);
    assert.match(all, /^deployment\.apps\/web\s+0\/3\s+0\s+0\s/m);
    const uid = ok(await c.kubectl(['get', 'pod', 'busy', '-o', 'jsonpath={.metadata.uid}']));
    const event = join(c.dir, 'event.yaml');
    writeFileSync(event, `apiVersion: v1
kind: Event
metadata: { name: busy.1 }
involvedObject: { kind: Pod, name: busy, namespace: default, uid: ${uid}, apiVersion: v1 }
reason: Tested
message: written by the e2e test
type: Normal
source: { component: e2e }
firstTimestamp: "2026-01-01T00:00:00Z"
lastTimestamp: "2026-01-01T00:00:00Z"
count: 1
`);
    ok(await c.kubectl(['create', '-f', event]));
    assert.match(ok(await c.kubectl(['get', 'events'])), /Normal\s+Tested\s+pod\/busy\s+written by the e2e test/);
    const describe = ok(await c.kubectl(['describe', 'pod', 'busy']));
    assert.match(describe, /Normal\s+Tested\s+.*e2e\s+written by the e2e test/);
    assert.match(describe, /^Name:\s+busy$/m);
    assert.match(describe, /^Labels:\s+env=prod$/m);
  });

  it('edit changes the object through the editor (strategic merge patch)', async () => {
    const editor = join(c.dir, 'editor.sh');
    writeFileSync(editor, '#!/bin/sh\nsed -i "s/replicas: 3/replicas: 4/" "$1"\n', { mode: 0o755 });
    const r = await c.kubectl(['edit', 'deployment', 'web'], { env: { KUBE_EDITOR: editor } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^deployment\.apps\/web edited$/m);
    assert.equal(ok(await c.kubectl(['get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas}'])), '4');
  });

  it('create namespace (protobuf body from kubectl 1.32) and configmap', async () => {
    assert.match(ok(await c.kubectl(['create', 'namespace', 'demo'])), /^namespace\/demo created$/m);
    assert.match(ok(await c.kubectl(['create', 'configmap', 'cfg', '--from-literal=k=v', '-n', 'demo'])), /^configmap\/cfg created$/m);
    assert.equal(ok(await c.kubectl(['get', 'cm', 'cfg', '-n', 'demo', '-o', 'jsonpath={.data.k}'])), 'v');
  });

  it('get -w streams changes made through the other API server', async () => {
    const watching = c.kubectl(['get', 'pods', '-w', '--request-timeout=4s'], { timeoutMs: 20_000 });
    await new Promise((r) => setTimeout(r, 1500));
    ok(await c.kubectl(['label', 'pod', 'busy', 'watched=yes'], { server: 1 }));
    const out = await watching;
    assert.match(out.stdout, /^busy\s+0\/1\s+Pending/m);
    assert.ok(out.stdout.trim().split('\n').length >= 3, out.stdout);
  });

  it('delete --wait removes the object; a second delete is NotFound', async () => {
    assert.match(ok(await c.kubectl(['delete', 'pod', 'busy'])), /^pod "busy" deleted$/m);
    const again = await c.kubectl(['delete', 'pod', 'busy']);
    assert.match(again.stderr, /Error from server \(NotFound\): pods "busy" not found/);
    ok(await c.kubectl(['delete', 'svc', 'web', '--wait=false']));
  });

  it('older (1.27) and newer (1.33) kubectl builds work too', async () => {
    for (const version of ['1.27', '1.33']) {
      const get = ok(await c.kubectl(['get', 'deploy'], { version }));
      assert.match(get, /^web\s+0\/4\s+0\s+0\s+\d+s$/m, version);
      assert.match(ok(await c.kubectl(['create', 'cm', `v${version.replace('.', '')}`, '--from-literal=a=b'], { version })), /created/);
    }
  });

  it('killing one API server leaves the other serving', async () => {
    await c.stopServer(0);
    assert.match(ok(await c.kubectl(['get', 'deploy', 'web'], { server: 1 })), /^web\s/m);
  });
});

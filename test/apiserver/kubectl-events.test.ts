/**
 * The real kubectl on Events, which API servers serve uncached (kube-apiserver's default watch
 * cache size 0 for events): lists read the store, and a watch is a store watch of its own, so an
 * Event written through one API server reaches a watch on another without either caching it.
 */
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startApiCluster, type ApiCluster, type KubectlResult } from '../support/apiserver.js';

function ok(r: KubectlResult): string {
  assert.equal(r.code, 0, `kubectl failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

const podYaml = (name: string): string => `apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  containers: [{ name: main, image: busybox, command: [sleep, "3600"] }]
`;

const eventYaml = (name: string, pod: string, uid: string, reason: string): string =>
  `apiVersion: v1
kind: Event
metadata: { name: ${name} }
involvedObject: { kind: Pod, name: ${pod}, namespace: default, uid: ${uid}, apiVersion: v1 }
reason: ${reason}
message: about ${pod}
type: Normal
source: { component: e2e }
firstTimestamp: "2026-01-01T00:00:00Z"
lastTimestamp: "2026-01-01T00:00:00Z"
count: 1
`;

describe('kubectl on uncached Events (get, get -w, describe, field selectors)', function () {
  this.timeout(120_000);
  let c: ApiCluster;
  const uids = new Map<string, string>();

  /** create writes a manifest through API server `server` with kubectl create -f. */
  const create = async (file: string, text: string, server = 0): Promise<void> => {
    const path = join(c.dir, file);
    writeFileSync(path, text);
    ok(await c.kubectl(['create', '-f', path], { server }));
  };

  before(async () => {
    c = await startApiCluster({ servers: 2 });
    for (const pod of ['one', 'two']) {
      await create(`${pod}.yaml`, podYaml(pod));
      uids.set(pod, ok(await c.kubectl(['get', 'pod', pod, '-o', 'jsonpath={.metadata.uid}'])));
    }
    await create('e1.yaml', eventYaml('one.1', 'one', uids.get('one') ?? '', 'First'));
    await create('e2.yaml', eventYaml('two.1', 'two', uids.get('two') ?? '', 'Other'), 1);
  });
  after(async () => c?.stop());

  it('get events lists both API servers\' Events from the store', async () => {
    for (const server of [0, 1]) {
      const out = ok(await c.kubectl(['get', 'events'], { server }));
      assert.match(out, /Normal\s+First\s+pod\/one\s+about one/);
      assert.match(out, /Normal\s+Other\s+pod\/two\s+about two/);
    }
  });

  it('describe pod shows only its own Events (involvedObject field selector)', async () => {
    const out = ok(await c.kubectl(['describe', 'pod', 'one']));
    assert.match(out, /Normal\s+First\s+.*e2e\s+about one/);
    assert.doesNotMatch(out, /about two/);
    const sel = ok(await c.kubectl(['get', 'events', '--field-selector',
      'involvedObject.name=two', '-o', 'name']));
    assert.equal(sel.trim(), 'event/two.1');
  });

  it('get events -w on one API server sees an Event written through the other', async () => {
    const watching = c.kubectl(['get', 'events', '-w', '--request-timeout=5s'], {
      server: 0, timeoutMs: 30_000,
    });
    await new Promise((r) => setTimeout(r, 2_000));
    await create('e3.yaml', eventYaml('one.2', 'one', uids.get('one') ?? '', 'Later'), 1);
    const out = (await watching).stdout;
    assert.match(out, /Normal\s+First\s+pod\/one\s+about one/, 'the current Events first');
    assert.match(out, /Normal\s+Later\s+pod\/one\s+about one/, 'then the new one, live');
  });

  it('get events -w --field-selector follows one object\'s Events only', async () => {
    const watching = c.kubectl(['get', 'events', '-w', '--request-timeout=5s',
      '--field-selector', 'involvedObject.name=two', '-o', 'name'], { timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 2_000));
    await create('e4.yaml', eventYaml('one.3', 'one', uids.get('one') ?? '', 'Again'), 1);
    await create('e5.yaml', eventYaml('two.2', 'two', uids.get('two') ?? '', 'Again'), 1);
    const names = (await watching).stdout.trim().split('\n');
    assert.deepEqual(names, ['event/two.1', 'event/two.2']);
  });
});

/**
 * The component API starts its calls, and each write of a batch call, through its TurnSlicer:
 * with a clock on which every window's budget is spent at once, a BindBatch's binds and a burst
 * of Create calls start one per check phase, in arrival order, and every one is still answered.
 * The registry is a stub that records when each write started (no store needed).
 */
import assert from 'node:assert/strict';
import { Metadata, type ServerUnaryCall } from '@grpc/grpc-js';
import type { KubeObject } from '../../../src/api/meta.js';
import type { Clock } from '../../../src/base/clock.js';
import { systemClock } from '../../../src/base/clock.js';
import { apiService } from '../../../src/apiserver/grpc/api-service.js';
import type { ApiRegistry } from '../../../src/apiserver/registry/types.js';

/** A clock 10 ms later at every reading, wall and CPU: no window ever has budget after its
 *  first call. */
function hasty(): { clock: Clock; cpuMs: () => number } {
  let t = 0;
  return { clock: { ...systemClock, nowMs: () => (t += 10) }, cpuMs: () => (t += 10) };
}

/** stubRegistry records the order writes start in and the check phase each started in. */
function stubRegistry(started: string[], phaseOf: () => number, phases: number[]): ApiRegistry {
  const note = (what: string): void => {
    started.push(what);
    phases.push(phaseOf());
  };
  const unused = (): never => assert.fail('not used by this test');
  return {
    get: unused, list: unused, watch: unused, update: unused, patch: unused, delete: unused,
    create: (_ctx, _r, ns, body) => {
      note(`create ${ns ?? ''}/${body.metadata?.name ?? ''}`);
      return Promise.resolve({ object: body, created: true, warnings: [] });
    },
    bind: (_ctx, ns, pod) => {
      note(`bind ${ns}/${pod}`);
      return Promise.resolve();
    },
  };
}

/** call: what a unary handler reads of a grpc-js call. */
function call<Req>(request: Req): ServerUnaryCall<Req, unknown> {
  return { request, metadata: new Metadata(), cancelled: false,
    getDeadline: () => Infinity } as unknown as ServerUnaryCall<Req, unknown>;
}

function answered<Res>(run: (cb: (err: unknown, res?: Res) => void) => void): Promise<Res> {
  return new Promise((resolve, reject) => run((err, res) => (err ? reject(err) : resolve(res!))));
}

describe('component API calls start in slices (TurnSlicer)', () => {
  let phase = 0;
  let ticking: NodeJS.Immediate | undefined;
  /** Counts check phases: an immediate that re-arms itself once per turn. */
  const tick = (): void => {
    phase++;
    ticking = setImmediate(tick);
  };
  beforeEach(() => {
    phase = 0;
    ticking = setImmediate(tick);
  });
  afterEach(() => clearImmediate(ticking));

  it("a BindBatch's binds start one per window, in order, and each is answered", async () => {
    const started: string[] = [];
    const phases: number[] = [];
    const svc = apiService(stubRegistry(started, () => phase, phases),
      { insecure: true, ...hasty(), log: () => {} });
    const binds = ['a', 'b', 'c', 'd'].map((pod) => ({ namespace: 'ns', pod, nodeName: 'w1' }));
    const res = await answered<{ results: { statusJson: Buffer }[] }>((cb) =>
      svc.bindBatch(call({ binds }), cb as never));
    assert.deepEqual(started, ['bind ns/a', 'bind ns/b', 'bind ns/c', 'bind ns/d']);
    assert.equal(res.results.length, 4);
    assert.ok(res.results.every((r) => r.statusJson.length === 0), 'every bind succeeded');
    assert.equal(new Set(phases).size, 4, `one bind per check phase: ${phases.join(',')}`);
  });

  it('a burst of Create calls starts one per window, in arrival order', async () => {
    const started: string[] = [];
    const phases: number[] = [];
    const svc = apiService(stubRegistry(started, () => phase, phases),
      { insecure: true, ...hasty(), log: () => {} });
    const pod = (name: string): KubeObject =>
      ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns' } }) as KubeObject;
    const names = ['p0', 'p1', 'p2'];
    await Promise.all(names.map((name) => answered((cb) => svc.create(call({
      group: '', version: 'v1', resource: 'pods', namespace: 'ns', subresource: '',
      objectJson: Buffer.from(JSON.stringify(pod(name))) }) as never, cb as never))));
    assert.deepEqual(started, names.map((n) => `create ns/${n}`));
    assert.equal(new Set(phases).size, 3, `one create per check phase: ${phases.join(',')}`);
  });
});

import { strict as assert } from 'node:assert';
import { created, updated } from './helpers.js';

const TEMPLATE = {
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'web', image: 'nginx:1.25', ports: [{ containerPort: 80 }] }] },
};

function deployment(spec: object = {}): object {
  return { metadata: { name: 'web' }, spec: { selector: { matchLabels: { app: 'web' } }, template: TEMPLATE, ...spec } };
}

describe('Deployment', () => {
  it('defaults replicas, strategy 25%/25%, history, deadline and the template', () => {
    const { obj, errs } = created('apps', 'Deployment', deployment());
    assert.deepEqual(errs, []);
    const spec = obj.spec as Record<string, unknown>;
    assert.equal(spec.replicas, 1);
    assert.deepEqual(spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
    assert.equal(spec.revisionHistoryLimit, 10);
    assert.equal(spec.progressDeadlineSeconds, 600);
    const tpl = spec.template as { metadata: Record<string, unknown>; spec: { restartPolicy: string; containers: { ports: object[] }[] } };
    assert.equal(tpl.spec.restartPolicy, 'Always');
    assert.deepEqual(tpl.spec.containers[0]?.ports, [{ containerPort: 80, protocol: 'TCP' }]);
    // Templates get no admission defaults: those belong to the pods stamped from them.
    assert.equal((tpl.spec as Record<string, unknown>).serviceAccountName, undefined);
    assert.deepEqual(obj.status, {});
  });

  const table: [string, object, string[]][] = [
    ['selector does not match', deployment({ selector: { matchLabels: { app: 'other' } } }), [
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
    ]],
    ['no selector', { metadata: { name: 'web' }, spec: { template: TEMPLATE } }, ['spec.selector: Required value']],
    ['empty selector', deployment({ selector: {} }), ['spec.selector: Invalid value: {}: empty selector is invalid for deployment']],
    ['negative replicas', deployment({ replicas: -1 }), ['spec.replicas: Invalid value: -1: must be greater than or equal to 0']],
    ['template restartPolicy', deployment({ template: { ...TEMPLATE, spec: { ...TEMPLATE.spec, restartPolicy: 'Never' } } }), [
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    ]],
    ['surge and unavailable both 0', deployment({ strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } }), [
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0',
    ]],
    ['bad percent', deployment({ strategy: { rollingUpdate: { maxSurge: '150%' } } }), [
      'spec.strategy.rollingUpdate.maxSurge: Invalid value: "150%": must not be greater than 100%',
    ]],
    ['Recreate with rollingUpdate', deployment({ strategy: { type: 'Recreate', rollingUpdate: { maxSurge: 1 } } }), [
      "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'",
    ]],
  ];
  for (const [name, manifest, want] of table) {
    it(name, () => assert.deepEqual(created('apps', 'Deployment', manifest).errs, want));
  }

  it('matchExpressions select too', () => {
    const sel = { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'api'] }] };
    assert.deepEqual(created('apps', 'Deployment', deployment({ selector: sel })).errs, []);
  });

  it('the selector is immutable; scaling is not', () => {
    const stored = created('apps', 'Deployment', deployment()).obj;
    const scaled = structuredClone(stored);
    (scaled.spec as { replicas: number }).replicas = 5;
    assert.deepEqual(updated('apps', 'Deployment', scaled, stored), []);
    const moved = structuredClone(stored);
    (moved.spec as { selector: object }).selector = { matchLabels: { app: 'web', tier: 'x' } };
    (moved.spec as { template: { metadata: { labels: object } } }).template.metadata.labels = { app: 'web', tier: 'x' };
    assert.deepEqual(updated('apps', 'Deployment', moved, stored), [
      'spec.selector: Invalid value: {"matchLabels":{"app":"web","tier":"x"}}: field is immutable',
    ]);
  });
});

describe('ReplicaSet and DaemonSet', () => {
  it('ReplicaSet defaults replicas 1 and checks the selector like a Deployment', () => {
    const { obj, errs } = created('apps', 'ReplicaSet', deployment());
    assert.deepEqual(errs, []);
    assert.equal((obj.spec as { replicas: number }).replicas, 1);
    assert.deepEqual(created('apps', 'ReplicaSet', deployment({ selector: {} })).errs, [
      'spec.selector: Invalid value: {}: empty selector is invalid for deployment',
    ]);
  });

  it('DaemonSet defaults RollingUpdate maxUnavailable 1, maxSurge 0, history 10', () => {
    const { obj, errs } = created('apps', 'DaemonSet', { metadata: { name: 'agent' }, spec: { selector: { matchLabels: { app: 'web' } }, template: TEMPLATE } });
    assert.deepEqual(errs, []);
    const spec = obj.spec as Record<string, unknown>;
    assert.deepEqual(spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
    assert.equal(spec.revisionHistoryLimit, 10);
  });
});

describe('Job', () => {
  const job = (spec: object = {}) => ({ metadata: { name: 'pi' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl:5' }] } }, ...spec } });

  it('defaults completions, parallelism, backoffLimit, completionMode, suspend; generates its selector', () => {
    const { obj, errs } = created('batch', 'Job', job());
    assert.deepEqual(errs, []);
    const spec = obj.spec as Record<string, unknown>;
    assert.equal(spec.completions, 1);
    assert.equal(spec.parallelism, 1);
    assert.equal(spec.backoffLimit, 6);
    assert.equal(spec.completionMode, 'NonIndexed');
    assert.equal(spec.suspend, false);
    assert.deepEqual(spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': 'uid-1' } });
    const labels = (spec.template as { metadata: { labels: Record<string, string> } }).metadata.labels;
    assert.equal(labels['batch.kubernetes.io/job-name'], 'pi');
    assert.equal(labels['controller-uid'], 'uid-1');
  });

  it('the template must restart Never or OnFailure', () => {
    const bad = job({ template: { spec: { restartPolicy: 'Always', containers: [{ name: 'pi', image: 'perl:5' }] } } });
    assert.deepEqual(created('batch', 'Job', bad).errs, [
      'spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"',
    ]);
  });

  it('the template is immutable once created', () => {
    const stored = created('batch', 'Job', job()).obj;
    const next = structuredClone(stored);
    (next.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0]!.image = 'perl:6';
    const errs = updated('batch', 'Job', next, stored);
    assert.equal(errs.length, 1);
    assert.match(errs[0] ?? '', /^spec\.template: Invalid value: .*: field is immutable$/);
  });
});

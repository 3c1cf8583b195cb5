/**
 * Bad input over the REST face: every malformed or refused request answers a Kubernetes Status
 * with the right code and reason and a message a person understands — and stores nothing.
 */
import { strict as assert } from 'node:assert';
import { startApiCluster, type ApiCluster } from '../../support/apiserver.js';

interface Answer {
  code: number;
  body: Record<string, unknown>;
  warning: string | null;
}

describe('REST: bad input answers a Status and stores nothing', function () {
  this.timeout(60_000);
  let c: ApiCluster;
  const call = async (method: string, path: string, body?: string | Buffer, type = 'application/json'): Promise<Answer> => {
    const res = await fetch(`${c.urls[0] ?? ''}${path}`, {
      method,
      headers: { 'Content-Type': type },
      ...(body !== undefined ? { body } : {}),
    });
    const text = await res.text();
    return { code: res.status, body: JSON.parse(text) as Record<string, unknown>, warning: res.headers.get('warning') };
  };
  const cms = async (): Promise<string[]> => {
    const l = await call('GET', '/api/v1/namespaces/default/configmaps');
    return (l.body.items as { metadata: { name: string } }[]).map((i) => i.metadata.name);
  };

  before(async () => {
    c = await startApiCluster();
  });
  after(async () => c?.stop());

  it('malformed JSON is 400 BadRequest', async () => {
    const a = await call('POST', '/api/v1/namespaces/default/configmaps', '{"metadata": {"name": "x"');
    assert.equal(a.code, 400);
    assert.equal(a.body.reason, 'BadRequest');
    assert.match(String(a.body.message), /not valid JSON/);
  });

  it('unknown fields: Strict refuses with their paths, Warn stores and warns', async () => {
    const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'typo' }, dta: { a: 'b' } });
    const strict = await call('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Strict', body);
    assert.equal(strict.code, 400);
    assert.equal(strict.body.message, 'strict decoding error: unknown field "dta"');
    assert.ok(!(await cms()).includes('typo'));
    const warn = await call('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Warn', body);
    assert.equal(warn.code, 201);
    assert.match(warn.warning ?? '', /unknown field \\"dta\\"/);
  });

  it('a malformed server-side apply body (YAML) is 400 naming line and column', async () => {
    const a = await call('PATCH', '/api/v1/namespaces/default/configmaps/yaml?fieldManager=t', 'metadata:\n  name: yaml\n data: [', 'application/apply-patch+yaml');
    assert.equal(a.code, 400);
    assert.match(String(a.body.message), /not valid YAML \(line \d+, column \d+\)/);
    assert.ok(!(await cms()).includes('yaml'));
  });

  it('wrong apiVersion or kind is 400', async () => {
    const a = await call('POST', '/api/v1/namespaces/default/configmaps', JSON.stringify({ apiVersion: 'apps/v1', kind: 'ConfigMap', metadata: { name: 'w' } }));
    assert.equal(a.code, 400);
    assert.equal(a.body.message, 'the API version in the data (apps/v1) does not match the expected API version (v1)');
    const k = await call('POST', '/api/v1/namespaces/default/configmaps', JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'w' } }));
    assert.equal(k.code, 400);
  });

  it('a name that is too long or not a DNS name is 422 Invalid with a cause', async () => {
    const a = await call('POST', '/api/v1/namespaces/default/configmaps', JSON.stringify({ metadata: { name: 'x'.repeat(300) } }));
    assert.equal(a.code, 422);
    assert.equal(a.body.reason, 'Invalid');
    assert.match(String(a.body.message), /^ConfigMap "x+" is invalid: metadata\.name: Invalid value: .*must be no more than 253 characters/);
    const details = a.body.details as { causes: { field: string }[] };
    assert.equal(details.causes[0]?.field, 'metadata.name');
    assert.ok(!(await cms()).some((n) => n.startsWith('xxx')));
  });

  it('a body over 3 MiB is 413', async () => {
    const big = JSON.stringify({ metadata: { name: 'big' }, data: { a: 'x'.repeat(3 * 1024 * 1024 + 10) } });
    const a = await call('POST', '/api/v1/namespaces/default/configmaps', big);
    assert.equal(a.code, 413);
    assert.equal(a.body.reason, 'RequestEntityTooLarge');
  });

  it('a stale resourceVersion is 409 Conflict; the object is unchanged', async () => {
    const created = await call('POST', '/api/v1/namespaces/default/configmaps', JSON.stringify({ metadata: { name: 'occ' }, data: { v: '1' } }));
    assert.equal(created.code, 201);
    const rv = (created.body.metadata as { resourceVersion: string }).resourceVersion;
    const upd = await call('PUT', '/api/v1/namespaces/default/configmaps/occ', JSON.stringify({ metadata: { name: 'occ', resourceVersion: rv }, data: { v: '2' } }));
    assert.equal(upd.code, 200);
    const stale = await call('PUT', '/api/v1/namespaces/default/configmaps/occ', JSON.stringify({ metadata: { name: 'occ', resourceVersion: rv }, data: { v: '3' } }));
    assert.equal(stale.code, 409);
    assert.equal(stale.body.reason, 'Conflict');
    assert.match(String(stale.body.message), /^Operation cannot be fulfilled on configmaps "occ": the object has been modified/);
    const now = await call('GET', '/api/v1/namespaces/default/configmaps/occ');
    assert.deepEqual(now.body.data, { v: '2' });
  });

  it('patches that do not apply are refused; unknown patch types are 415', async () => {
    const bad = await call('PATCH', '/api/v1/namespaces/default/configmaps/occ', '[{"op":"test","path":"/data/v","value":"nope"}]', 'application/json-patch+json');
    assert.ok(bad.code >= 400 && bad.code < 500, String(bad.code));
    assert.equal(bad.body.kind, 'Status');
    const notArray = await call('PATCH', '/api/v1/namespaces/default/configmaps/occ', '{"op":"add"}', 'application/json-patch+json');
    assert.equal(notArray.code, 400);
    const t = await call('PATCH', '/api/v1/namespaces/default/configmaps/occ', '{}', 'application/x-weird');
    assert.equal(t.code, 415);
    const now = await call('GET', '/api/v1/namespaces/default/configmaps/occ');
    assert.deepEqual(now.body.data, { v: '2' });
  });

  it('unknown resources and namespaces are 404; creating in a missing namespace is 404', async () => {
    assert.equal((await call('GET', '/api/v1/namespaces/default/widgets')).code, 404);
    const a = await call('POST', '/api/v1/namespaces/nope/configmaps', JSON.stringify({ metadata: { name: 'n' } }));
    assert.equal(a.code, 404);
    assert.equal(a.body.message, 'namespaces "nope" not found');
  });

  it('selectors that do not parse, and unsupported field labels, are 400', async () => {
    assert.equal((await call('GET', '/api/v1/namespaces/default/pods?labelSelector=a%20in%20(')).code, 400);
    const f = await call('GET', '/api/v1/namespaces/default/pods?fieldSelector=spec.foo%3Dx');
    assert.equal(f.code, 400);
    assert.match(String(f.body.message), /field label not supported: spec\.foo/);
  });
});

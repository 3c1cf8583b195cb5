/**
 * decodeKubeProtobuf on hand-laid bodies: the envelope, Go's JSON shapes (omitempty, pointers,
 * fields without omitempty, inlined structs), the special apimachinery types, and the limits
 * (bad magic, truncation, lengths past the end, unknown kinds, integers JavaScript cannot hold).
 */
import { strict as assert } from 'node:assert';
import { StatusError } from '../../../src/api/errors.js';
import {
  MAX_DEPTH,
  decodeKubeProtobuf,
  decodeMessage,
  kindMessage,
} from '../../../src/api/protobuf/decode.js';
import { SPECIAL_MESSAGES } from '../../../src/api/protobuf/special.js';
import { KUBE_MESSAGES } from '../../../src/gen/k8s/schema.js';

// --- a minimal protobuf writer for the bodies below ---------------------------------------

function varintBytes(value: bigint): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(64, value);
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

/** num writes a varint field (negative values as 64-bit two's complement, as Go does). */
function num(field: number, value: number | bigint): Buffer {
  return Buffer.from([...varintBytes(BigInt(field * 8)), ...varintBytes(BigInt(value))]);
}

/** len writes a length-delimited field from its parts. */
function len(field: number, ...parts: (Buffer | string)[]): Buffer {
  const body = Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
  return Buffer.concat([
    Buffer.from(varintBytes(BigInt(field * 8 + 2))),
    Buffer.from(varintBytes(BigInt(body.length))),
    body,
  ]);
}

/** envelope wraps an encoded object as kubectl does: magic, then runtime.Unknown. */
function envelope(apiVersion: string, kind: string, raw: Buffer): Buffer {
  const magic = Buffer.from('k8s\0', 'latin1');
  const unknown = Buffer.concat([len(1, len(1, apiVersion), len(2, kind)), len(2, raw)]);
  return Buffer.concat([magic, unknown, len(3), len(4)]);
}

function badRequest(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof StatusError, String(err));
    assert.equal(err.code, 400);
    assert.equal(err.reason, 'BadRequest');
    assert.match(err.message, message);
    return true;
  });
}

/** The verified bytes of `kubectl create namespace demo` (kubectl-wire.md §1.1). */
const CREATE_NAMESPACE_DEMO =
  '6b387300' +
  '0a0f0a0276311209' + Buffer.from('Namespace').toString('hex') +
  '121c0a140a04' + Buffer.from('demo').toString('hex') + '12001a0022002a003200380042001200' +
  '1a020a00' +
  '1a002200';

describe('decodeKubeProtobuf', () => {
  it('decodes the verified `create namespace demo` body as kube-apiserver would serve it', () => {
    // Empty strings and sub-messages on the wire are Go zero values: omitempty drops them, but a
    // struct is always written, so spec and status stay as {} and the zero creationTimestamp is
    // null, the same JSON `kubectl create namespace demo --dry-run=client -o json` prints.
    const obj = decodeKubeProtobuf(Buffer.from(CREATE_NAMESPACE_DEMO, 'hex'));
    assert.deepEqual(obj, {
      kind: 'Namespace',
      apiVersion: 'v1',
      metadata: { name: 'demo', creationTimestamp: null },
      spec: {},
      status: {},
    });
    assert.deepEqual(Object.keys(obj), ['kind', 'apiVersion', 'metadata', 'spec', 'status']);
  });

  it('rejects a body without the magic, as upstream words it', () => {
    badRequest(
      () => decodeKubeProtobuf(Buffer.from('{"kind":"Namespace"}')),
      /^provided data does not appear to be a protobuf message, expected prefix \[107 56 115 0\]$/,
    );
    badRequest(() => decodeKubeProtobuf(Buffer.from('k8s')), /expected prefix/);
  });

  it('rejects every truncation of a real body', () => {
    const full = Buffer.from(CREATE_NAMESPACE_DEMO, 'hex');
    for (let cut = 5; cut < full.length; cut++) {
      const body = full.subarray(0, cut);
      let decoded: unknown;
      try {
        decoded = decodeKubeProtobuf(body);
      } catch (err) {
        assert.ok(err instanceof StatusError && err.code === 400, `cut ${cut}: ${String(err)}`);
        continue;
      }
      // Cutting exactly between two envelope fields leaves a shorter but valid message.
      assert.ok(decoded, `cut ${cut}`);
    }
    badRequest(() => decodeKubeProtobuf(full.subarray(0, 20)), /unexpected EOF/);
  });

  it('rejects a length that runs past the end of the body', () => {
    const body = Buffer.concat([Buffer.from('k8s\0', 'latin1'), Buffer.from([0x12, 0xff, 0x7f])]);
    badRequest(() => decodeKubeProtobuf(body), /unexpected EOF in runtime.Unknown/);
    const huge = Buffer.concat([
      Buffer.from('k8s\0', 'latin1'),
      Buffer.from([0x12, ...varintBytes(2n ** 60n)]),
    ]);
    badRequest(() => decodeKubeProtobuf(huge), /unexpected EOF/);
  });

  it('rejects an overlong varint and group wire types', () => {
    const overflow = Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x08, ...Array(10).fill(0xff), 0x01]);
    badRequest(() => decodeKubeProtobuf(overflow), /integer overflow/);
    const group = Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x0b]);
    badRequest(() => decodeKubeProtobuf(group), /illegal wireType 3/);
  });

  it('names unknown kinds and versions like upstream', () => {
    badRequest(
      () => decodeKubeProtobuf(envelope('v1', 'Foo', len(1))),
      /^no kind "Foo" is registered for version "v1"$/,
    );
    badRequest(
      () => decodeKubeProtobuf(envelope('apps/v2', 'Deployment', len(1))),
      /^no kind "Deployment" is registered for version "apps\/v2"$/,
    );
    badRequest(() => decodeKubeProtobuf(envelope('v1', '', len(1))), /Kind' is missing/);
    // A message that is not a kind (PodSpec) is not decodable on its own.
    badRequest(() => decodeKubeProtobuf(envelope('v1', 'PodSpec', len(1))), /no kind "PodSpec"/);
  });

  it('refuses embedded encodings it cannot read', () => {
    const magic = Buffer.from('k8s\0', 'latin1');
    const typeMeta = len(1, len(1, 'v1'), len(2, 'Namespace'));
    const gzip = Buffer.concat([magic, typeMeta, len(2), len(3, 'gzip')]);
    badRequest(() => decodeKubeProtobuf(gzip), /contentEncoding "gzip"/);
    const json = Buffer.concat([magic, typeMeta, len(2), len(4, 'application/json')]);
    badRequest(() => decodeKubeProtobuf(json), /contentType "application\/json"/);
  });

  it('keeps a pointer that is set to zero and leaves out one that is absent', () => {
    const meta = len(1, len(1, 'web'));
    const withZero = decodeKubeProtobuf(envelope('apps/v1', 'Deployment', Buffer.concat([
      meta, len(2, num(1, 0), num(5, 0)),
    ])));
    const spec = withZero['spec'] as Record<string, unknown>;
    assert.equal(spec['replicas'], 0, 'replicas is *int32: present means set');
    assert.ok(!('minReadySeconds' in spec), 'minReadySeconds is int32,omitempty');
    const absent = decodeKubeProtobuf(envelope('apps/v1', 'Deployment', meta));
    assert.deepEqual(absent['spec'], {
      template: { metadata: { creationTimestamp: null }, spec: { containers: null } },
      strategy: {},
    });
  });

  it('writes fields without omitempty even when zero, and inlines embedded structs', () => {
    const volume = len(1, len(1, ''), len(2, len(19, len(1, len(1, 'cm')), num(3, 0o644))));
    const container = Buffer.concat([len(1, ''), len(6, num(3, 0))]);
    const podSpec = Buffer.concat([volume, len(2, container)]);
    const pod = decodeKubeProtobuf(envelope('v1', 'Pod', Buffer.concat([len(1), len(2, podSpec)])));
    assert.deepEqual(pod['spec'], {
      volumes: [{ name: '', configMap: { name: 'cm', defaultMode: 0o644 } }],
      containers: [{ name: '', ports: [{ containerPort: 0 }], resources: {} }],
    });
  });

  it('decodes Time, MicroTime, Quantity, IntOrString, bytes maps and sorted map keys', () => {
    const meta = Buffer.concat([
      len(1, 'c'),
      len(9, num(1, 1_700_000_000), num(2, 999)),
      len(11, len(1, 'z'), len(2, '1')),
      len(11, len(1, 'a'), len(2, '2')),
    ]);
    const secret = decodeKubeProtobuf(envelope('v1', 'Secret', Buffer.concat([
      len(1, meta), len(2, len(1, 'k'), len(2, Buffer.from([0, 255]))), len(3, 'Opaque'),
    ])));
    assert.deepEqual(secret['metadata'], {
      name: 'c',
      creationTimestamp: null,
      deletionTimestamp: '2023-11-14T22:13:20Z',
      labels: { a: '2', z: '1' },
    });
    assert.deepEqual(Object.keys(secret['metadata'] as object).slice(-1), ['labels']);
    assert.deepEqual(Object.keys((secret['metadata'] as { labels: object }).labels), ['a', 'z']);
    assert.deepEqual(secret['data'], { k: 'AP8=' });
    assert.equal(secret['type'], 'Opaque');

    const micro = SPECIAL_MESSAGES['k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime']!;
    assert.equal(micro(Buffer.concat([num(1, 0), num(2, 123_456_789)]), 'x'),
      '1970-01-01T00:00:00.123456Z');
    assert.equal(micro(undefined, 'x'), null);

    const limits = len(1, len(1, 'cpu'), len(2, len(1, '500m')));
    const port = Buffer.concat([len(1, 'http'), num(3, 80), len(4, num(1, 1), len(3, 'web'))]);
    const container = Buffer.concat([len(1, 'c'), len(8, limits), len(6, num(3, 8080))]);
    const spec = Buffer.concat([len(2, container)]);
    const pod = decodeKubeProtobuf(envelope('v1', 'Pod', Buffer.concat([len(1), len(2, spec)])));
    const c = (pod['spec'] as { containers: Record<string, unknown>[] }).containers[0]!;
    assert.deepEqual(c['resources'], { limits: { cpu: '500m' } });
    const svc = decodeKubeProtobuf(envelope('v1', 'Service', Buffer.concat([
      len(1), len(2, len(1, port)),
    ])));
    assert.deepEqual(svc['spec'], { ports: [{ name: 'http', port: 80, targetPort: 'web' }] });
  });

  it('skips unknown fields, merges repeated messages and reads packed numbers', () => {
    const meta = Buffer.concat([len(1, len(1, 'a')), len(1, len(3, 'ns')), num(999, 7)]);
    const cm = decodeKubeProtobuf(envelope('v1', 'ConfigMap', meta));
    assert.deepEqual(cm['metadata'], { name: 'a', namespace: 'ns', creationTimestamp: null });
    // PodSecurityContext.supplementalGroups is repeated int64: proto2 writers send one field
    // per item, proto3 writers pack them; both read the same.
    const packed = Buffer.from([...varintBytes(1n), ...varintBytes(300n)]);
    const groups = Buffer.concat([num(4, 5), len(4, packed)]);
    const spec = len(2, len(14, groups));
    const pod = decodeKubeProtobuf(envelope('v1', 'Pod', Buffer.concat([len(1), spec])));
    assert.deepEqual(pod['spec'], {
      containers: null,
      securityContext: { supplementalGroups: [5, 1, 300] },
    });
  });

  it('refuses 64-bit integers a JavaScript number cannot hold', () => {
    const meta = len(1, len(1, 'a'), num(7, 2n ** 60n));
    badRequest(() => decodeKubeProtobuf(envelope('v1', 'ConfigMap', meta)), /too large at/);
    const negative = len(1, len(1, 'a'), num(10, -5));
    const cm = decodeKubeProtobuf(envelope('v1', 'ConfigMap', negative));
    assert.equal((cm['metadata'] as Record<string, unknown>)['deletionGracePeriodSeconds'], -5);
  });

  it('stops at the nesting limit', () => {
    const type = 'k8s.io.api.core.v1.Namespace';
    assert.doesNotThrow(() => decodeMessage(Buffer.alloc(0), type, 'x', MAX_DEPTH - 1));
    badRequest(() => decodeMessage(Buffer.alloc(0), type, 'x', MAX_DEPTH + 1), /nesting deeper/);
  });
});

describe('the generated Kubernetes schema', () => {
  it('resolves every message reference to a message or a special type', () => {
    for (const [name, fields] of Object.entries(KUBE_MESSAGES)) {
      for (const field of Object.values(fields)) {
        if (field.type !== 'message') continue;
        const ref = field.ref ?? '';
        assert.ok(ref in KUBE_MESSAGES || ref in SPECIAL_MESSAGES, `${name}.${field.json}: ${ref}`);
      }
    }
  });

  it('has a message with metadata for every decodable kind', () => {
    const kinds: [string, string][] = [
      ['v1', 'Namespace'], ['v1', 'Pod'], ['v1', 'Event'], ['v1', 'Binding'],
      ['apps/v1', 'Deployment'], ['batch/v1', 'Job'], ['coordination.k8s.io/v1', 'Lease'],
      ['discovery.k8s.io/v1', 'EndpointSlice'], ['autoscaling/v1', 'Scale'],
      ['policy/v1', 'Eviction'], ['authorization.k8s.io/v1', 'SelfSubjectAccessReview'],
      ['authentication.k8s.io/v1', 'TokenRequest'],
    ];
    for (const [apiVersion, kind] of kinds) {
      const message = kindMessage(apiVersion, kind);
      assert.ok(message, `${apiVersion} ${kind}`);
      assert.equal(KUBE_MESSAGES[message]?.[1]?.json, 'metadata', message);
    }
  });
});

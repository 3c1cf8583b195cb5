/**
 * Status ↔ gRPC mapping (src/rpc/kube-status.ts): the code table, and the trailer round trip
 * that lets a client rebuild the server's exact StatusError.
 */
import assert from 'node:assert/strict';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import {
  alreadyExists,
  conflict,
  gone,
  invalid,
  notFound,
  StatusError,
  unauthorized,
  unavailable,
} from '../../../src/api/errors.js';
import {
  grpcCodeOfStatus,
  STATUS_TRAILER,
  statusErrorFromServiceError,
  toStatusServiceError,
} from '../../../src/rpc/kube-status.js';

const PODS = { group: '', resource: 'pods' };
const REQUIRED = { type: 'FieldValueRequired', field: 'spec' } as const;

function asServiceError(o: { code: number; details?: string; metadata?: Metadata }): ServiceError {
  return Object.assign(new Error(o.details ?? ''), {
    code: o.code,
    details: o.details ?? '',
    metadata: o.metadata ?? new Metadata(),
  });
}

describe('Kubernetes Status over gRPC', () => {
  it('maps Status codes to gRPC codes, splitting 409 by reason', () => {
    const cases: [StatusError, status][] = [
      [notFound(PODS, 'a'), status.NOT_FOUND],
      [alreadyExists(PODS, 'a'), status.ALREADY_EXISTS],
      [conflict(PODS, 'a', 'stale'), status.ABORTED],
      [invalid('Pod', '', 'a', [REQUIRED]), status.INVALID_ARGUMENT],
      [gone(), status.OUT_OF_RANGE],
      [unauthorized(), status.UNAUTHENTICATED],
      [new StatusError(403, 'Forbidden', 'no'), status.PERMISSION_DENIED],
      [unavailable('no leader'), status.UNAVAILABLE],
      [new StatusError(504, 'Timeout', 'slow'), status.DEADLINE_EXCEEDED],
      [new StatusError(418, 'BadRequest', 'teapot'), status.INTERNAL],
    ];
    for (const [err, code] of cases) assert.equal(grpcCodeOfStatus(err.status), code, err.message);
  });

  it('round-trips the whole Status through the trailer', () => {
    const bad = { type: 'FieldValueInvalid', field: 'spec.x', badValue: -1, detail: 'no' } as const;
    const err = invalid('Pod', '', 'web', [bad]);
    const back = statusErrorFromServiceError(asServiceError(toStatusServiceError(err)));
    assert.ok(back instanceof StatusError);
    assert.deepEqual(back.status, err.status);
    assert.equal(back.message, err.message);
  });

  it('unknown errors become a 500 Status; no or bad trailer means transport', () => {
    const internal = toStatusServiceError(new Error('boom'));
    assert.equal(internal.code, status.INTERNAL);
    assert.equal(statusErrorFromServiceError(asServiceError(internal))?.code, 500);
    const bare = asServiceError({ code: status.UNAVAILABLE });
    assert.equal(statusErrorFromServiceError(bare), undefined);
    const md = new Metadata();
    md.set(STATUS_TRAILER, Buffer.from('{not json'));
    const garbled = asServiceError({ code: status.INTERNAL, metadata: md });
    assert.equal(statusErrorFromServiceError(garbled), undefined);
  });
});

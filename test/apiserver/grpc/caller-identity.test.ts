/**
 * callerOf over real mTLS: the certificate's CN is the user, and a connection's certificate is
 * read once — later calls on the same connection reuse the identity instead of asking grpc-js
 * for the parsed certificate again (which it builds anew on every call).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Server, makeGenericClientConstructor, type ServerUnaryCall, type sendUnaryData,
} from '@grpc/grpc-js';
import { callerOf } from '../../../src/apiserver/grpc/authenticate.js';
import type { UserInfo } from '../../../src/apiserver/registry/types.js';
import { channelCredentials, serverCredentials } from '../../../src/rpc/credentials.js';
import { bind } from '../../../src/rpc/server.js';
import { makePki } from '../../support/pki.js';

const bytes = {
  path: '/test.Identity/Who',
  requestStream: false,
  responseStream: false,
  requestSerialize: (b: Buffer) => b,
  requestDeserialize: (b: Buffer) => b,
  responseSerialize: (b: Buffer) => b,
  responseDeserialize: (b: Buffer) => b,
};

describe('component API caller identity (mTLS)', function () {
  this.timeout(20_000);

  it('CN is the user; the certificate is read once per connection', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8ts-identity-'));
    const server = new Server();
    const seen: (UserInfo | undefined)[] = [];
    let certificateReads = 0;
    try {
      makePki(dir, ['server']);
      const pem = (n: string) => ({
        caFile: join(dir, 'ca.crt'),
        certFile: join(dir, `${n}.crt`),
        keyFile: join(dir, `${n}.key`),
      });
      server.addService({ Who: bytes }, {
        Who: (call: ServerUnaryCall<Buffer, Buffer>, cb: sendUnaryData<Buffer>) => {
          const read = call.getAuthContext.bind(call);
          call.getAuthContext = () => {
            certificateReads++;
            return read();
          };
          seen.push(callerOf(call, false));
          cb(null, Buffer.alloc(0));
        },
      });
      const port = await bind(server, '127.0.0.1:0', serverCredentials(pem('server')));
      const Client = makeGenericClientConstructor({ Who: bytes }, 'Identity');
      const client = new Client(`127.0.0.1:${port}`, channelCredentials(pem('client')));
      const who = (): Promise<void> => new Promise((resolve, reject) => {
        client.makeUnaryRequest(bytes.path, bytes.requestSerialize, bytes.responseDeserialize,
          Buffer.alloc(0), (err) => (err ? reject(err) : resolve()));
      });
      for (let i = 0; i < 3; i++) await who();
      client.close();
      const user = { name: 'client', groups: ['system:authenticated'] };
      assert.deepEqual(seen, [user, user, user]);
      assert.equal(certificateReads, 1);
    } finally {
      server.forceShutdown();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

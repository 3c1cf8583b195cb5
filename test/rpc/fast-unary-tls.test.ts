/**
 * The fast unary path over mutual TLS (the client certificate reaches the handler, and the API
 * server's callerOf reads it), and server shutdown with fast-served calls in flight.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { callerOf } from '../../src/apiserver/grpc/authenticate.js';
import { channelCredentials, serverCredentials } from '../../src/rpc/credentials.js';
import { fastUnaryServed } from '../../src/rpc/fast-unary.js';
import { makePki } from '../support/pki.js';
import { startEcho, type Fixture } from './fast-unary-fixture.js';

describe('rpc/fast-unary: TLS and shutdown', () => {
  let dir = '';
  let f: Fixture | undefined;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'k8ts-fast-unary-'));
    makePki(dir, ['server']);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => {
    f?.close();
    f = undefined;
  });

  it('gives the handler the verified client certificate', async () => {
    const files = (n: string) => ({
      caFile: join(dir, 'ca.crt'), certFile: join(dir, `${n}.crt`), keyFile: join(dir, `${n}.key`),
    });
    f = await startEcho(
      (call, cb) => {
        const cn = call.getAuthContext().sslPeerCertificate?.subject.CN ?? '-';
        const user = callerOf(call, false)?.name ?? '-';
        cb(null, Buffer.from(`${cn} ${user}`));
      },
      {
        creds: serverCredentials(files('server')),
        clientCreds: channelCredentials(files('client')),
      },
    );
    const r = await f.echo(Buffer.from('x'));
    assert.equal(r.res?.toString(), 'client client');
    assert.equal(fastUnaryServed(f.server), 1);
  });

  it('tryShutdown waits for a running call; forceShutdown cuts one', async () => {
    const answers: (() => void)[] = [];
    f = await startEcho((call, cb) => answers.push(() => cb(null, call.request)));
    const first = f.echo(Buffer.from('a'));
    while (answers.length < 1) await new Promise((r) => setTimeout(r, 5));
    let shutDown = false;
    f.server.tryShutdown(() => (shutDown = true));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(shutDown, false, 'a call is still running');
    answers[0]?.();
    assert.equal((await first).res?.toString(), 'a');
    while (!shutDown) await new Promise((r) => setTimeout(r, 5));

    const g = await startEcho((call, cb) => answers.push(() => cb(null, call.request)));
    const hung = g.echo(Buffer.from('b'));
    while (answers.length < 2) await new Promise((r) => setTimeout(r, 5));
    g.server.forceShutdown();
    const r = await hung;
    assert.ok(r.err && [status.UNAVAILABLE, status.CANCELLED, status.INTERNAL].includes(r.err.code),
      `cut with ${r.err?.code}`);
    answers[1]?.(); // a late answer on a cut stream: no write, no crash
    g.close();
  });
});

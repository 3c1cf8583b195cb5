/**
 * Mutual TLS: members with certificates from the cluster CA elect and replicate; a client or a
 * peer without a certificate signed by that CA is refused.
 */
import assert from 'node:assert/strict';
import { ChannelCredentials } from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock } from '../../src/base/clock.js';
import { Prng } from '../../src/base/prng.js';
import { RaftMemberServiceClient } from '../../src/gen/k8ts/raft/v1/member.js';
import { MessageType as T, message, type Message } from '../../src/raft/core/types.js';
import { RaftTransport } from '../../src/raft/io/transport.js';
import type { Member } from '../../src/raft/member.js';
import { channelCredentials, type TlsFiles } from '../../src/rpc/credentials.js';
import { channelOptions } from '../../src/rpc/defaults.js';
import { UnavailableRpcError } from '../../src/rpc/errors.js';
import { unary } from '../../src/rpc/unary.js';
import { leaderOf, startInProcess, tempHome, waitFor } from '../support/cluster.js';
import { makePki } from '../support/pki.js';

describe('mutual TLS between members and clients', function () {
  this.timeout(30_000);
  const home = tempHome('k8ts-pki-');
  const dir = home.dir;
  const files = (name: string, ca = 'ca'): TlsFiles => ({ caFile: join(dir, `${ca}.crt`), certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) });
  let ms: Member[] = [];

  before(() => makePki(dir, ['m1', 'm2', 'm3']));
  after(async () => {
    await Promise.all(ms.map((m) => m.stop()));
    home.remove();
  });

  it('members with CA-signed certificates elect a leader and commit', async () => {
    ms = await startInProcess(3, { tls: (name) => files(name) });
    const leader = await waitFor('a leader', () => leaderOf(ms));
    const p = leader.node.propose(Buffer.from('over mTLS'));
    leader.kick();
    const c = await p;
    await waitFor('replicated', () => ms.every((m) => m.node.appliedIndex() >= c.index));
  });

  it('serves a client with a CA-signed certificate', async () => {
    const client = new RaftMemberServiceClient(ms[0]!.address, channelCredentials(files('client')), channelOptions());
    try {
      const res = await unary(client, client.status, {}, 3_000);
      assert.equal(res.status?.id, 1);
    } finally {
      client.close();
    }
  });

  for (const [what, creds] of [
    ['a certificate from another CA', (): ChannelCredentials => channelCredentials(files('rogue'))],
    ['no client certificate', (): ChannelCredentials => ChannelCredentials.createSsl(readFileSync(join(dir, 'ca.crt')))],
    ['plaintext', (): ChannelCredentials => ChannelCredentials.createInsecure()],
  ] as const) {
    it(`refuses a client with ${what}`, async () => {
      const client = new RaftMemberServiceClient(ms[0]!.address, creds(), channelOptions());
      try {
        await assert.rejects(unary(client, client.status, {}, 3_000), (err: unknown) => err instanceof UnavailableRpcError || String(err).includes('DEADLINE'));
      } finally {
        client.close();
      }
    });
  }

  it('refuses a peer whose certificate is not from the cluster CA', async () => {
    const unreachable: number[] = [];
    const received: Message[] = [];
    const rogue = new RaftTransport({
      selfId: 9,
      clusterId: 7,
      clock: systemClock,
      prng: new Prng(9),
      credentials: channelCredentials(files('rogue', 'ca')),
      receive: (m) => received.push(m),
      reportUnreachable: (id) => unreachable.push(id),
      reportSnapshot: () => {},
    });
    try {
      rogue.setPeer(1, ms[0]!.address);
      const term = ms[0]!.node.status().term + 5;
      rogue.send([message({ type: T.MESSAGE_TYPE_VOTE, from: 9, to: 1, term }), message({ type: T.MESSAGE_TYPE_HEARTBEAT, from: 9, to: 1, term })]);
      await waitFor('both refused', () => unreachable.length >= 2);
      assert.ok(ms[0]!.node.status().term < term, 'the rogue frames never reached the member');
    } finally {
      rogue.close();
    }
  });
});

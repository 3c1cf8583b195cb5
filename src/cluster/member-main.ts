/**
 * Process entry of one store member (a Raft member running the MVCC store and etcd's API):
 *   node --import tsx src/cluster/member-main.ts --config <file> --member <name>
 * The supervisor starts it detached with stdout/stderr in <state>/logs/<member>.log. SIGTERM or
 * SIGINT stop it cleanly; an uncaught error (a failed assertion) crashes it, and restarting it
 * on the same data dir recovers from its WAL.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { systemClock } from '../base/clock.js';
import { StoreMember } from '../store/server/store-member.js';
import { clusterId, loadClusterConfig, statePaths } from './config.js';
import { mainLog, runMain } from './process-main.js';

const log = mainLog;

/** nextIncarnation counts runs of this member on its data dir (proposal envelopes and PRNG
 *  seeds must differ between runs). */
function nextIncarnation(dataDir: string): number {
  const file = join(dataDir, 'incarnation');
  let n: number;
  try {
    n = Number(readFileSync(file, 'utf8').trim()) || 0;
  } catch {
    n = 0;
  }
  writeFileSync(file, `${n + 1}\n`);
  return n + 1;
}

runMain('store', async () => {
  const { values } = parseArgs({ options: { config: { type: 'string' }, member: { type: 'string' } } });
  if (!values.config || !values.member) throw new Error('usage: member-main.ts --config <file> --member <name>');
  // Even counts were refused (or forced) by `k8ts up`; a member just runs what it is given.
  const cfg = loadClusterConfig(values.config, { force: true });
  const spec = cfg.members.find((m) => m.name === values.member);
  if (!spec) throw new Error(`${values.config}: no member named ${values.member}`);
  const dataDir = join(statePaths(cfg.name, cfg.dataDir).data, spec.name);
  mkdirSync(dataDir, { recursive: true });
  const incarnation = nextIncarnation(dataDir);
  const tls = cfg.tlsDir === undefined ? undefined : {
    caFile: join(cfg.tlsDir, 'ca.crt'),
    certFile: join(cfg.tlsDir, `${spec.name}.crt`),
    keyFile: join(cfg.tlsDir, `${spec.name}.key`),
  };
  log(`member ${spec.name} (id ${spec.id}) of cluster ${cfg.name}: pid ${process.pid}, incarnation ${incarnation}, data ${dataDir}`);
  const store = new StoreMember({
    id: spec.id,
    name: spec.name,
    clusterId: clusterId(cfg.name),
    listen: spec.address,
    members: cfg.members,
    clientListen: spec.client,
    quotaBytes: cfg.store.quotaBytes,
    snapshotEveryEntries: cfg.store.snapshotCount,
    dataDir,
    timing: cfg.timing,
    forwarding: cfg.forwarding,
    tls,
    clock: systemClock,
    incarnation,
    defer: (fn) => setImmediate(fn),
    log,
  });
  const { peerPort } = await store.start();
  const member = store.member;
  log(`listening on ${spec.address.replace(/:\d+$/, `:${peerPort}`)} (peers), ${store.clientAddress()} (etcd clients)${tls ? ' (mTLS)' : ' (insecure)'}`);
  return async () => {
    // One line with the signal's name and the state reached: the restart test reads it back.
    log(`SIGTERM or SIGINT: stopping (applied ${member.node.appliedIndex()}, state ${member.stateMachine.summary()})`);
    await store.stop();
  };
});

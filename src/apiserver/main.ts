/**
 * Process entry of one master's API server:
 *   node --import tsx src/apiserver/main.ts --config <state>/cluster.yaml --member <name>
 * It serves HTTPS on the member's `api` address with the cluster PKI (serving certificate, client
 * certificates checked against the cluster CA, static tokens) and talks to the store through the
 * etcd v3 API of every member. SIGTERM/SIGINT stop it; the supervisor restarts it on request.
 * --etcd-servers host:port,... (kube-apiserver's flag) replaces the store endpoints of the config:
 * the API benchmark runs these same API servers over real etcd to isolate the store's share.
 * --watch-cache-sizes (default events#0: Events uncached) and --event-ttl (default 1h) are
 * kube-apiserver's flags of the same names (storage-flags.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { systemClock } from '../base/clock.js';
import { systemWallMs } from '../base/wall-clock.js';
import { apiServerFiles } from '../cluster/api-access.js';
import { loadClusterConfig, statePaths } from '../cluster/config.js';
import { mainLog, runMain } from '../cluster/process-main.js';
import { parseTokenFile } from './auth/authenticate.js';
import { ApiServer } from './server.js';
import { parseDurationSeconds } from './storage-flags.js';

const log = mainLog;

runMain('apiserver', async () => {
  const { values } = parseArgs({
    options: {
      config: { type: 'string' },
      member: { type: 'string' },
      'etcd-servers': { type: 'string' },
      'watch-cache-sizes': { type: 'string' },
      'event-ttl': { type: 'string' },
    },
  });
  if (!values.config || !values.member) throw new Error('usage: apiserver/main.ts --config <file> --member <name>');
  const cfg = loadClusterConfig(values.config, { force: true });
  const spec = cfg.members.find((m) => m.name === values.member);
  if (!spec?.api) throw new Error(`${values.config}: member ${values.member} has no api address`);
  const files = apiServerFiles(statePaths(cfg.name, cfg.dataDir), spec.name);
  const tokens = existsSync(files.tokenFile) ? parseTokenFile(readFileSync(files.tokenFile, 'utf8'), files.tokenFile) : [];
  const storeTls = cfg.tlsDir === undefined ? undefined : {
    caFile: `${cfg.tlsDir}/ca.crt`,
    certFile: `${cfg.tlsDir}/client.crt`,
    keyFile: `${cfg.tlsDir}/client.key`,
  };
  const endpoints = values['etcd-servers']?.split(',').filter(Boolean)
    ?? cfg.members.map((m) => m.client ?? m.address);
  const server = new ApiServer({
    etcd: { endpoints, ...(storeTls ? { tls: storeTls } : {}) },
    listen: spec.api,
    ...(spec.grpc ? { grpcListen: spec.grpc } : {}),
    tls: files.serving,
    ...(existsSync(files.kubeletClient.keyFile) ? { kubeletClientTls: {
      key: readFileSync(files.kubeletClient.keyFile),
      cert: readFileSync(files.kubeletClient.certFile),
      ca: readFileSync(files.kubeletClient.caFile),
    } } : {}),
    tokens,
    serviceCidr: cfg.serviceCidr,
    ...(values['watch-cache-sizes'] !== undefined
      ? { watchCacheSizes: values['watch-cache-sizes'] } : {}),
    ...(values['event-ttl'] !== undefined
      ? { eventTtlSeconds: parseDurationSeconds('--event-ttl', values['event-ttl']) } : {}),
    clock: systemClock,
    wallMs: systemWallMs,
    seed: (process.pid * 2654435761) >>> 0,
    log,
  });
  const { port, grpcPort } = await server.start();
  log(`apiserver ${spec.name} of cluster ${cfg.name}: pid ${process.pid}, https://${spec.api.replace(/:\d+$/, `:${port}`)}, store ${endpoints.join(',')}${grpcPort ? `, component gRPC :${grpcPort}` : ''}`);
  return () => server.stop();
});

/**
 * The whole streaming path in one process for tests: a real API server (test/support), a Node
 * object whose kubeletEndpoint points at a KubeletServer started here, a CRI double whose
 * Exec/Attach/PortForward come from a real StreamingServer over a child-process runtime, and a
 * LogSource double. kubectl (real) talks to the API server; everything behind it is ours.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { systemClock } from '../../../src/base/clock.js';
import { systemWallMs } from '../../../src/base/wall-clock.js';
import { KubeletServer } from '../../../src/kubelet/server/kubelet-server.js';
import {
  LogError, type ContainerResolver, type LogRequest, type LogSource,
} from '../../../src/kubelet/server/types.js';
import type { CriRuntime } from '../../../src/kubelet/cri/types.js';
import { StreamingServer } from '../../../src/runtime/streaming/server.js';
import { KUBECTL_DIR, startApiCluster, type ApiCluster } from '../../support/apiserver.js';
import { childRuntime, type ChildRuntime } from '../../runtime/streaming/child-runtime.js';

export interface StreamingHarness {
  api: ApiCluster;
  kubelet: KubeletServer;
  kubeletPort: number;
  streaming: StreamingServer;
  runtime: ChildRuntime;
  logRequests: LogRequest[];
  /** REST call against the API server (JSON body), returning status and text. */
  rest(method: string, path: string, body?: unknown): Promise<{ code: number; text: string }>;
  /** GET of one object as JSON. */
  getJson(path: string): Promise<Record<string, unknown>>;
  /** Starts a long-running kubectl (port-forward); the caller kills it. */
  spawnKubectl(args: string[], env?: Record<string, string>): ChildProcess;
  stop(): Promise<void>;
}

/** LOG_LINES is what the LogSource double serves for any known container. */
export const LOG_LINES = ['first line', 'second line', 'third line'];

function logSource(requests: LogRequest[]): LogSource {
  return {
    async streamLogs(req, out, signal) {
      requests.push(req);
      if (req.container !== 'main') {
        throw new LogError(404, `container "${req.container}" in pod "${req.pod}" not found`);
      }
      const lines = req.tailLines !== undefined ? LOG_LINES.slice(-req.tailLines) : LOG_LINES;
      for (const line of lines) out.write(`${line}\n`);
      if (!req.follow) return;
      // follow: more lines arrive later, then the container "exits".
      for (let i = 1; i <= 3 && !signal.aborted; i++) {
        await new Promise((r) => setTimeout(r, 50));
        out.write(`followed ${i}\n`);
      }
    },
  };
}

/** A runtime to use instead of the child-process double: its CRI face and id resolver. */
export interface HarnessBackend {
  cri: Pick<CriRuntime, 'exec' | 'attach' | 'portForward'>;
  resolve: ContainerResolver;
}

/** startStreamingHarness starts everything and registers node "n1" and pods busy (one container
 *  "main"), two (containers a, b) on n1, and pending (unscheduled). backend replaces the
 *  child-process runtime behind the kubelet (e.g. the real process runtime over its socket). */
export async function startStreamingHarness(backend?: HarnessBackend): Promise<StreamingHarness> {
  const api = await startApiCluster();
  const runtime = childRuntime();
  const streaming = new StreamingServer({ host: '127.0.0.1', runtime, clock: systemClock });
  await streaming.start();
  const logRequests: LogRequest[] = [];
  const kubelet = new KubeletServer({
    host: '127.0.0.1',
    port: 0,
    cri: backend?.cri ?? {
      exec: async (r) => streaming.getExec(r),
      attach: async (r) => streaming.getAttach(r),
      portForward: async (r) => streaming.getPortForward(r),
    },
    resolve: backend?.resolve ?? ((ns, pod, container) => (pod === 'ghost' ? undefined : {
      containerId: `${ns}/${pod}/${container ?? ''}`, podSandboxId: `${ns}/${pod}`,
    })),
    logs: logSource(logRequests),
    pods: () => [],
    wallMs: systemWallMs,
  });
  const kubeletPort = await kubelet.start();
  const rest = async (
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ code: number; text: string }> => {
    const res = await fetch(api.urls[0] + path, {
      method,
      ...(body !== undefined ? {
        body: JSON.stringify(body),
        headers: { 'Content-Type': 'application/json' },
      } : {}),
    });
    return { code: res.status, text: await res.text() };
  };
  const h: StreamingHarness = {
    api, kubelet, kubeletPort, streaming, runtime, logRequests, rest,
    getJson: async (path) => JSON.parse((await rest('GET', path)).text) as Record<string, unknown>,
    spawnKubectl: (args, env = {}) => spawn(join(KUBECTL_DIR, 'kubectl.1.32'), [
      '--kubeconfig', join(api.dir, 'kubeconfig-0'),
      '--cache-dir', join(api.dir, 'cache-1.32'),
      ...args,
    ], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: api.dir, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
    stop: async () => {
      await kubelet.close();
      await streaming.close();
      await api.stop();
    },
  };
  await registerObjects(h);
  return h;
}

async function ok(p: Promise<{ code: number; text: string }>): Promise<void> {
  const r = await p;
  if (r.code >= 300) throw new Error(`setup call failed: ${r.code} ${r.text}`);
}

/** registerObjects creates node n1 (kubelet at the harness's port) and the test pods. */
async function registerObjects(h: StreamingHarness): Promise<void> {
  await ok(h.rest(
    'POST',
    '/api/v1/nodes',
    { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } },
  ));
  const node = await h.getJson('/api/v1/nodes/n1');
  await ok(h.rest('PUT', '/api/v1/nodes/n1/status', {
    ...node,
    status: {
      addresses: [
        { type: 'InternalIP', address: '127.0.0.1' },
        { type: 'Hostname', address: 'n1' },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: h.kubeletPort } },
    },
  }));
  const pods: [string, string[], string | undefined][] = [
    ['busy', ['main'], 'n1'], ['two', ['a', 'b'], 'n1'], ['pending', ['main'], undefined],
  ];
  for (const [name, containers, nodeName] of pods) {
    await ok(h.rest('POST', '/api/v1/namespaces/default/pods', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name },
      spec: {
        ...(nodeName ? { nodeName } : {}),
        containers: containers.map((c) => ({ name: c, image: 'busybox' })),
      },
    }));
    if (!nodeName) continue;
    const pod = await h.getJson(`/api/v1/namespaces/default/pods/${name}`);
    await ok(h.rest('PUT', `/api/v1/namespaces/default/pods/${name}/status`, {
      ...pod, status: { phase: 'Running', podIP: '127.0.0.1', hostIP: '127.0.0.1' },
    }));
  }
}

/** forwardedPort waits for kubectl port-forward's "Forwarding from 127.0.0.1:N" line. */
export function forwardedPort(kubectl: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    kubectl.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    kubectl.stderr?.on('data', (c: Buffer) => (err += c.toString()));
    kubectl.on('exit', (code) => reject(new Error(`kubectl port-forward exited ${code}: ${err}`)));
  });
}

/** download reads everything a local port sends until the connection closes. */
export function download(port: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const sock = connect({ host: '127.0.0.1', port });
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('end', () => resolve(Buffer.concat(chunks)));
    sock.on('error', reject);
  });
}

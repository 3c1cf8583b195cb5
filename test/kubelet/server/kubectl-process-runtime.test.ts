/**
 * kubectl through the API server and the kubelet server to the REAL process runtime, reached
 * over its CRI socket (gRPC) as the kubelet reaches it: exec (both transports), piped stdin, exit
 * codes and port-forward into the pod's own loopback address.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { containerConfig, runPod, start, TestRuntime } from '../../runtime/process/fixtures.js';
import {
  download, forwardedPort, startStreamingHarness, type StreamingHarness,
} from './streaming-harness.js';

describe('kubectl streaming into the process runtime (CRI over its socket)', function () {
  this.timeout(60_000);
  let rt: TestRuntime;
  let h: StreamingHarness;
  let podIp: string;

  before(async () => {
    rt = await TestRuntime.create('127.78.1.0/24');
    const cri = await rt.serve();
    const pod = await runPod(rt);
    podIp = pod.ip;
    const containerId = await start(rt, pod, containerConfig('main', ['sleep', '3600']));
    h = await startStreamingHarness({
      cri,
      resolve: (_ns, name, container) =>
        name === 'busy' && (container === undefined || container === 'main')
          ? { containerId, podSandboxId: pod.id }
          : undefined,
    });
  });
  after(async () => {
    await h?.stop();
    await rt?.cleanup();
  });

  for (const [transport, env] of [
    ['WebSocket v5', {}], ['SPDY', { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' }],
  ] as const) {
    it(`exec over ${transport}: output, exit code and piped stdin`, async () => {
      const r = await h.api.kubectl(
        ['exec', 'busy', '--', 'sh', '-c', 'echo in the pod; exit 4'],
        { env },
      );
      assert.equal(r.stdout, 'in the pod\n', r.stderr);
      assert.equal(r.code, 4);
      const cat = await h.api.kubectl(
        ['exec', '-i', 'busy', '--', 'cat'],
        { env, stdin: 'through\n' },
      );
      assert.equal(cat.code, 0, cat.stderr);
      assert.equal(cat.stdout, 'through\n');
    });
  }

  it('port-forward reaches a server on the pod\'s address (both transports)', async () => {
    const payload = Buffer.alloc(2 * 1024 * 1024, 0x5a);
    const server: Server = createServer((sock) => sock.end(payload));
    await new Promise<void>((resolve) => server.listen(0, podIp, () => resolve()));
    const port = (server.address() as AddressInfo).port;
    try {
      const envs: Record<string, string>[] = [{}, { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' }];
      for (const env of envs) {
        const kubectl = h.spawnKubectl(['port-forward', 'pod/busy', `:${port}`], env);
        try {
          const local = await forwardedPort(kubectl);
          const got = await download(local);
          assert.equal(createHash('sha256').update(got).digest('hex'),
            createHash('sha256').update(payload).digest('hex'));
        } finally {
          kubectl.kill('SIGKILL');
        }
      }
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

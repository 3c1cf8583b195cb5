/**
 * The real kubectl through the whole streaming path: API server → kubelet server → CRI
 * streaming server → child processes. exec over WebSocket v5 and SPDY (stdout, stderr, piped
 * stdin, exit codes), port-forward over WebSocket-tunnelled SPDY and SPDY (2 MiB), logs and
 * logs -f, and the Status errors of the API server's streaming subresources.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type AddressInfo, type Server } from 'node:net';
import {
  download, forwardedPort, LOG_LINES, startStreamingHarness, type StreamingHarness,
} from './streaming-harness.js';

const SPDY_EXEC = { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' };
const SPDY_PORT_FORWARD = { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' };

describe('kubectl streaming end to end (exec, port-forward, logs)', function () {
  this.timeout(60_000);
  let h: StreamingHarness;

  before(async () => {
    h = await startStreamingHarness();
  });
  after(async () => {
    await h?.stop();
  });

  for (const [transport, env] of [['WebSocket v5', {}], ['SPDY', SPDY_EXEC]] as const) {
    describe(`exec over ${transport}`, () => {
      it('prints the command output and exits 0', async () => {
        const r = await h.api.kubectl(['exec', 'busy', '--', 'echo', 'hello', 'world'], { env });
        assert.equal(r.stdout, 'hello world\n', r.stderr);
        assert.equal(r.code, 0);
        assert.deepEqual(
          h.runtime.execs.at(-1),
          { containerId: 'default/busy/main', cmd: ['echo', 'hello', 'world'] },
        );
      });

      it('separates stderr and exits with the command\'s exit code', async () => {
        const r = await h.api.kubectl(
          ['exec', 'busy', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3'],
          { env },
        );
        assert.equal(r.code, 3, r.stderr);
        assert.equal(r.stdout, 'out\n');
        assert.match(r.stderr, /^err$/m);
        assert.match(r.stderr, /command terminated with exit code 3/);
      });

      it('feeds piped stdin and closes it at EOF (exec -i cat)', async () => {
        const input = 'piped line 1\npiped line 2\n';
        const r = await h.api.kubectl(['exec', '-i', 'busy', '--', 'cat'], { env, stdin: input });
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, input);
      });

      it('carries 1 MiB of stdin through and back', async () => {
        const input = 'x'.repeat(1024 * 1024 - 1) + '\n';
        const r = await h.api.kubectl(
          ['exec', '-i', 'busy', '--', 'wc', '-c'],
          { env, stdin: input },
        );
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), String(1024 * 1024));
      });
    });
  }

  it('every kubectl from 1.27 (SPDY only) to 1.33 (WebSocket v5) runs exec -i', async () => {
    for (const version of ['1.27', '1.28', '1.29', '1.30', '1.31', '1.33']) {
      const r = await h.api.kubectl(['exec', '-i', 'busy', '--', 'sh', '-c', 'cat; exit 5'], {
        version, stdin: `from ${version}\n`,
      });
      assert.equal(r.stdout, `from ${version}\n`, `${version}: ${r.stderr}`);
      assert.equal(r.code, 5, version);
    }
  });

  it('attach relays the main process output (SPDY and WebSocket)', async () => {
    for (const env of [{}, SPDY_EXEC]) {
      const r = await h.api.kubectl(['attach', '-i', 'busy'], { env, stdin: 'to attach\n' });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'attached\nto attach\n');
    }
  });

  it('an unknown container on the kubelet is refused and kubectl says why', async () => {
    const r = await h.api.kubectl(['exec', 'busy', '-c', 'nope', '--', 'true']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /container nope is not valid for pod busy/);
  });

  describe('port-forward', () => {
    let server: Server;
    let port: number;
    const payload = Buffer.alloc(2 * 1024 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7919) & 0xff;
    const digest = createHash('sha256').update(payload).digest('hex');

    before(async () => {
      server = createServer((sock) => sock.end(payload));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
      port = (server.address() as AddressInfo).port;
    });
    after(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    const transports = [['WebSocket-tunnelled SPDY', {}], ['SPDY', SPDY_PORT_FORWARD]] as const;
    for (const [transport, env] of transports) {
      it(`transfers 2 MiB over ${transport}, twice on one forward`, async () => {
        const kubectl = h.spawnKubectl(['port-forward', 'pod/busy', `:${port}`], env);
        try {
          const local = await forwardedPort(kubectl);
          for (let i = 0; i < 2; i++) {
            const got = await download(local);
            assert.equal(got.length, payload.length);
            assert.equal(createHash('sha256').update(got).digest('hex'), digest);
          }
        } finally {
          kubectl.kill('SIGKILL');
        }
      });
    }
  });

  it('port-forward to a closed port: kubectl prints the error stream\'s message', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const kubectl = h.spawnKubectl(['port-forward', 'pod/busy', `:${closed}`]);
    let stderr = '';
    kubectl.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    try {
      const local = await forwardedPort(kubectl);
      assert.equal((await download(local)).length, 0);
      const deadline = Date.now() + 10_000;
      while (!/error forwarding port/.test(stderr) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.match(
        stderr,
        new RegExp(`error forwarding port ${closed} to pod default/busy: .*ECONNREFUSED`),
      );
    } finally {
      kubectl.kill('SIGKILL');
    }
  });

  describe('logs', () => {
    it('prints the log, with tailLines passed to the kubelet', async () => {
      const r = await h.api.kubectl(['logs', 'busy', '--tail=2', '--timestamps']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, LOG_LINES.slice(-2).map((l) => `${l}\n`).join(''));
      const req = h.logRequests.at(-1);
      assert.equal(req?.tailLines, 2);
      assert.equal(req?.timestamps, true);
      assert.equal(req?.follow, false);
    });

    it('follows (-f) until the kubelet ends the stream', async () => {
      const r = await h.api.kubectl(['logs', '-f', 'busy']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(
        r.stdout,
        [...LOG_LINES, 'followed 1', 'followed 2', 'followed 3'].map((l) => `${l}\n`).join(''),
      );
      assert.equal(h.logRequests.at(-1)?.follow, true);
    });

    it('a container the LogSource does not know is a NotFound from the server', async () => {
      const r = await h.api.kubectl(['logs', 'two', '-c', 'b']);
      assert.notEqual(r.code, 0);
      assert.match(
        r.stderr,
        /Error from server \(NotFound\): container "b" in pod "two" not found/,
      );
    });
  });

  describe('API server Status errors', () => {
    it('a multi-container pod without a container name: 400 listing them', async () => {
      const r = await h.rest('GET', '/api/v1/namespaces/default/pods/two/log');
      assert.equal(r.code, 400);
      assert.match(
        r.text,
        /a container name must be specified for pod two, choose one of: \[a b\]/,
      );
    });

    it('exec without an upgrade is 400 Upgrade request required', async () => {
      const r = await h.rest(
        'POST',
        '/api/v1/namespaces/default/pods/busy/exec?command=true&stdout=true',
      );
      assert.equal(r.code, 400);
      assert.match(r.text, /Upgrade request required/);
    });

    it('exec into an unscheduled pod is 400 does not have a host assigned', async () => {
      const r = await h.api.kubectl(['exec', 'pending', '--', 'true']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /pod pending does not have a host assigned/);
    });

    it('an unreachable kubelet is a 503 naming the node', async () => {
      await h.rest(
        'POST',
        '/api/v1/nodes',
        { apiVersion: 'v1', kind: 'Node', metadata: { name: 'gone' } },
      );
      const node = await h.getJson('/api/v1/nodes/gone');
      await h.rest('PUT', '/api/v1/nodes/gone/status', {
        ...node, status: {
          addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
          daemonEndpoints: { kubeletEndpoint: { Port: 1 } },
        },
      });
      await h.rest('POST', '/api/v1/namespaces/default/pods', {
        apiVersion: 'v1', kind: 'Pod', metadata: { name: 'orphan' },
        spec: { nodeName: 'gone', containers: [{ name: 'main', image: 'busybox' }] },
      });
      const r = await h.rest('GET', '/api/v1/namespaces/default/pods/orphan/log');
      assert.equal(r.code, 503);
      assert.match(
        r.text,
        /error trying to reach the kubelet of node \\"gone\\" at 127\.0\.0\.1:1/,
      );
    });
  });
});

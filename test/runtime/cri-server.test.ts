/**
 * serveCri + connectCri: a CriRuntime served on a unix socket and called through the client
 * behaves as the in-process object does — responses (with 64-bit nanosecond timestamps) arrive
 * intact, CriErrors keep their code, other failures are UNKNOWN with their message.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import {
  callDeadlineMs,
  connectCri,
  CRI_PULL_DEADLINE_MS,
  type CriClient,
} from '../../src/kubelet/cri/client.js';
import {
  CRI_IMAGE_METHODS,
  CRI_RUNTIME_METHODS,
  ContainerState,
  CriError,
  criNotFound,
  type CriRuntime,
} from '../../src/kubelet/cri/types.js';
import { serveCri, type CriServerHandle } from '../../src/runtime/cri-server.js';

const NS_2026 = 1_795_000_000_123_456_789n; // beyond 2^53: must survive the wire exactly

/** A runtime whose every method fails, except those a test overrides: the server under test is
 *  the subject here, not a runtime (runtimes run the conformance suite). */
function stubRuntime(over: Partial<CriRuntime>): CriRuntime {
  const rt: Record<string, unknown> = {};
  for (const m of [...CRI_RUNTIME_METHODS, ...CRI_IMAGE_METHODS]) {
    rt[m] = () => Promise.reject(new CriError(status.UNIMPLEMENTED, `${m} not in this stub`));
  }
  return Object.assign(rt, over) as unknown as CriRuntime;
}

async function rejectionCode(p: Promise<unknown>): Promise<CriError> {
  const err = await p.then(
    () => assert.fail('expected the call to fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof CriError, `expected a CriError, got ${String(err)}`);
  return err;
}

describe('CRI server and client over a unix socket', () => {
  let dir: string;
  let server: CriServerHandle | undefined;
  let client: CriClient | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'k8ts-cri-'));
  });
  afterEach(async () => {
    client?.close();
    await server?.close();
    client = server = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  async function start(rt: CriRuntime): Promise<CriClient> {
    const sock = join(dir, 'run', 'cri.sock');
    server = await serveCri(rt, sock);
    client = connectCri(sock, { deadlineMs: 5_000 });
    return client;
  }

  it('round-trips requests and responses, int64 nanoseconds exactly', async () => {
    const cri = await start(stubRuntime({
      async version(req) {
        const v = { runtimeName: 'stub', runtimeVersion: '1', runtimeApiVersion: 'v1' };
        return { version: req.version, ...v };
      },
      async containerStatus(req) {
        return {
          status: {
            id: req.containerId, state: ContainerState.CONTAINER_EXITED, createdAt: NS_2026,
            startedAt: NS_2026 + 1n, finishedAt: NS_2026 + 2n, exitCode: 3, imageRef: 'sha256:x',
            reason: 'Error', message: '', labels: { a: 'b' }, annotations: {}, mounts: [],
            logPath: '/l', imageId: '',
          },
          info: {},
        };
      },
    }));
    assert.deepEqual(await cri.version({ version: 'v1' }), {
      version: 'v1', runtimeName: 'stub', runtimeVersion: '1', runtimeApiVersion: 'v1',
    });
    const st = (await cri.containerStatus({ containerId: 'c1', verbose: false })).status;
    assert.equal(st?.finishedAt, NS_2026 + 2n);
    assert.equal(st?.state, ContainerState.CONTAINER_EXITED);
    assert.equal(st?.exitCode, 3);
    assert.deepEqual(st?.labels, { a: 'b' });
  });

  it('keeps a CriError code and message; other errors are UNKNOWN with their message', async () => {
    const cri = await start(stubRuntime({
      podSandboxStatus: (req) => Promise.reject(criNotFound('sandbox', req.podSandboxId)),
      listPodSandbox: () => Promise.reject(new Error('disk on fire')),
      listImages: () => {
        throw new TypeError('thrown synchronously');
      },
    }));
    const nf = await rejectionCode(cri.podSandboxStatus({ podSandboxId: 'nope', verbose: false }));
    assert.equal(nf.code, status.NOT_FOUND);
    assert.match(nf.message, /"nope": not found/);
    const unk = await rejectionCode(cri.listPodSandbox({}));
    assert.deepEqual([unk.code, unk.message], [status.UNKNOWN, 'disk on fire']);
    const sync = await rejectionCode(cri.listImages({}));
    assert.deepEqual([sync.code, sync.message], [status.UNKNOWN, 'thrown synchronously']);
  });

  it('removes its socket on close; calls then fail with UNAVAILABLE', async () => {
    const sock = join(dir, 'run', 'cri.sock');
    const s = await serveCri(stubRuntime({}), sock);
    assert.ok((await stat(sock)).isSocket());
    await s.close();
    await assert.rejects(stat(sock), { code: 'ENOENT' });
    client = connectCri(sock, { deadlineMs: 2_000 });
    const err = await rejectionCode(client.version({ version: 'v1' }));
    assert.equal(err.code, status.UNAVAILABLE);
  });

  it('replaces a stale socket file left by a crashed server', async () => {
    const sock = join(dir, 'cri.sock');
    const first = await serveCri(stubRuntime({}), sock);
    // Simulate the crash: the socket file stays while a new server starts on the same path.
    const second = await serveCri(stubRuntime({
      version: async () => ({
        version: '0.1.0', runtimeName: 'second', runtimeVersion: '', runtimeApiVersion: 'v1',
      }),
    }), sock);
    server = second;
    client = connectCri(sock, { deadlineMs: 5_000 });
    assert.equal((await client.version({ version: 'v1' })).runtimeName, 'second');
    await first.close().catch(() => undefined);
  });

  it('gives StopContainer and ExecSync their timeout on top of the deadline, pulls more', () => {
    assert.equal(callDeadlineMs('stopContainer', { containerId: 'c', timeout: 30n }, 5_000),
      35_000);
    assert.equal(callDeadlineMs('execSync', { containerId: 'c', cmd: [], timeout: 0n }, 5_000),
      5_000);
    assert.equal(callDeadlineMs('pullImage', {}, 5_000), CRI_PULL_DEADLINE_MS);
    assert.equal(callDeadlineMs('version', { version: 'v1' }, 5_000), 5_000);
  });
});

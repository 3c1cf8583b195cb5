/**
 * The runc runtime doing what the conformance suite cannot check everywhere: pods on their own
 * addresses serving the same port, reachable from the host over the node bridge; cgroup memory
 * limits enforced (OOMKilled); the nginx image's welcome page; exec with and without a terminal
 * and port-forward through the streaming seam; resource updates; recovery after a restart.
 * Root only; skipped otherwise.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import * as cri from '../../../src/kubelet/cri/types.js';
import type { StreamIo } from '../../../src/runtime/streaming/types.js';
import { BUSYBOX, isRoot, NGINX, type RuncTestEnv, startRuncTestEnv } from './harness.js';
import { eventually as poll } from '../../support/poll.js';

const run = promisify(execFile);

/** This file's pod range and bridge; no other test uses them. */
const POD_CIDR = '100.64.233.0/24';
const BRIDGE = 'k8ts-runc-pods';

/** Bound on every poll here. */
const DEADLINE_MS = 20_000;

/** eventually retries fn until it stops throwing, for at most DEADLINE_MS. */
function eventually<T>(fn: () => Promise<T>): Promise<T> {
  return poll(fn, DEADLINE_MS);
}

let serial = 0;

/** Pod is a running sandbox and its one container. */
interface Pod {
  sandboxId: string;
  containerId: string;
  ip: string;
  logDir: string;
}

/** runPod runs a one-container pod and waits until the container is RUNNING. */
/** PodOptions vary a test pod: container resources, a terminal, pod sysctls. */
interface PodOptions {
  resources?: Partial<cri.LinuxContainerResources>;
  tty?: boolean;
  sysctls?: Record<string, string>;
}

async function runPod(env: RuncTestEnv, image: string, command: string[],
  o: PodOptions = {}): Promise<Pod> {
  serial += 1;
  const name = `pod${serial}`;
  const logDir = join(env.dir, 'logs', name);
  await mkdir(join(logDir, 'c'), { recursive: true });
  const config = cri.PodSandboxConfig.fromPartial({
    metadata: { name, uid: `uid-${name}`, namespace: 'default' }, hostname: name,
    logDirectory: logDir, dnsConfig: { servers: ['100.64.0.10'], searches: ['default.svc'] },
    linux: { sysctls: o.sysctls ?? {} },
  });
  const { podSandboxId } = await env.cri.runPodSandbox({ config, runtimeHandler: '' });
  const { containerId } = await env.cri.createContainer({
    podSandboxId, sandboxConfig: config,
    config: cri.ContainerConfig.fromPartial({
      metadata: { name: 'c' }, image: { image }, command, logPath: 'c/0.log', tty: o.tty,
      linux: { resources: o.resources ?? {} },
    }),
  });
  await env.cri.startContainer({ containerId });
  const status = await env.cri.podSandboxStatus({ podSandboxId, verbose: false });
  return { sandboxId: podSandboxId, containerId, ip: status.status?.network?.ip ?? '', logDir };
}

/** removePod stops and removes a pod. */
async function removePod(env: RuncTestEnv, pod: Pod): Promise<void> {
  await env.cri.stopPodSandbox({ podSandboxId: pod.sandboxId });
  await env.cri.removePodSandbox({ podSandboxId: pod.sandboxId });
}

/** curl fetches a URL from the host (short timeouts: pods are on a local bridge). */
async function curl(url: string): Promise<string> {
  const { stdout } = await run('curl', ['-sS', '--max-time', '2', url]);
  return stdout;
}

/** status reads a container's status. */
async function status(env: RuncTestEnv, id: string): Promise<cri.ContainerStatus> {
  const res = await env.cri.containerStatus({ containerId: id, verbose: false });
  assert.ok(res.status);
  return res.status;
}

/** HTTPD serves `text` on port 80 with busybox httpd. */
const httpd = (text: string): string[] => ['sh', '-c',
  `mkdir -p /www && echo ${text} > /www/index.html && exec httpd -f -p 80 -h /www`];

if (!isRoot) {
  describe('runc runtime pods', () => {
    it('needs root (netns, overlayfs, runc, bridges)', function () {
      this.skip();
    });
  });
} else {
  describe('runc runtime pods', function () {
    this.timeout(60_000);
    let env: RuncTestEnv;
    const pods: Pod[] = [];
    const track = (pod: Pod): Pod => {
      pods.push(pod);
      return pod;
    };

    before(async function () {
      this.timeout(180_000);
      env = await startRuncTestEnv(POD_CIDR, BRIDGE, [BUSYBOX, NGINX]);
    });
    afterEach(async () => {
      for (const pod of pods.splice(0)) await removePod(env, pod);
    });
    after(async function () {
      this.timeout(60_000);
      await env?.cleanup();
    });

    it('runs two pods both serving port 80, each reachable by its pod IP from the host',
      async () => {
        const a = track(await runPod(env, BUSYBOX, httpd('pod-a')));
        const b = track(await runPod(env, BUSYBOX, httpd('pod-b')));
        assert.match(a.ip, /^100\.64\.233\.\d+$/);
        assert.notEqual(a.ip, b.ip);
        assert.equal((await eventually(() => curl(`http://${a.ip}/`))).trim(), 'pod-a');
        assert.equal((await eventually(() => curl(`http://${b.ip}/`))).trim(), 'pod-b');
      });

    it('gives the pod the DNS config, hostname, its own address and its sysctls', async () => {
      const pod = track(await runPod(env, BUSYBOX, ['sh', '-c', 'sleep 1000'],
        { sysctls: { 'net.ipv4.ip_unprivileged_port_start': '79' } }));
      const res = await env.cri.execSync({ containerId: pod.containerId, timeout: 10n,
        cmd: ['sh', '-c', 'cat /etc/resolv.conf; hostname; ip -4 -o addr show eth0; ' +
          'cat /proc/sys/net/ipv4/ip_unprivileged_port_start'] });
      const out = res.stdout.toString();
      assert.match(out, /\n79\n$/);
      assert.match(out, /nameserver 100\.64\.0\.10/);
      assert.match(out, /search default\.svc/);
      assert.match(out, new RegExp(`inet ${pod.ip.replace(/\./g, '\\.')}/24`));
      assert.match(out, /\npod\d+\n/);
    });

    it('enforces the memory limit: a process allocating past it is OOMKilled (137)', async () => {
      const pod = track(await runPod(env, BUSYBOX, ['sh', '-c', 'exec tail /dev/zero'],
        { resources: { memoryLimitInBytes: BigInt(32 * 1024 * 1024) } }));
      const exited = await eventually(async () => {
        const s = await status(env, pod.containerId);
        assert.equal(s.state, cri.ContainerState.CONTAINER_EXITED);
        return s;
      });
      assert.equal(exited.exitCode, 137);
      assert.equal(exited.reason, 'OOMKilled');
    });

    it('serves the nginx welcome page on podIP:80', async () => {
      const pod = track(await runPod(env, NGINX, []));
      assert.match(await eventually(() => curl(`http://${pod.ip}/`)), /Welcome to nginx!/);
    });

    it('execs with and without a terminal and port-forwards through the streaming seam',
      async () => {
        const pod = track(await runPod(env, BUSYBOX, httpd('forwarded')));
        const streaming = env.handle.runtime.streamingRuntime;
        const plain = await collectExec(streaming.exec.bind(streaming), pod.containerId,
          ['sh', '-c', 'echo out; echo err >&2; exit 4'], false);
        assert.deepEqual(plain, { code: 4, stdout: 'out\n', stderr: 'err\n' });
        const tty = await collectExec(streaming.exec.bind(streaming), pod.containerId,
          ['sh', '-c', '[ -t 0 ] && echo is-a-tty; exit 5'], true);
        assert.equal(tty.code, 5);
        assert.match(tty.stdout, /is-a-tty/);
        await eventually(() => curl(`http://${pod.ip}/`));
        const body = await forwardGet(streaming.portForward.bind(streaming), pod.sandboxId);
        assert.match(body, /forwarded/);
        const { url } = await env.cri.exec({ containerId: pod.containerId, cmd: ['sh'],
          tty: true, stdin: true, stdout: true, stderr: false });
        assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/exec\//);
      });

    it('runs a tty container on a terminal and logs its output', async () => {
      const pod = track(await runPod(env, BUSYBOX,
        ['sh', '-c', '[ -t 1 ] && echo on-a-tty; sleep 1000'], { tty: true }));
      await eventually(async () => {
        assert.match(await readFile(join(pod.logDir, 'c/0.log'), 'utf8'), /stdout [FP] on-a-tty/);
      });
    });

    it('reopens the log after rotation and streams new output to an attached client',
      async () => {
        const pod = track(await runPod(env, BUSYBOX,
          ['sh', '-c', 'i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.1; done']));
        const log = join(pod.logDir, 'c/0.log');
        await eventually(async () => assert.match(await readFile(log, 'utf8'), /tick 2/));
        await rename(log, `${log}.1`);
        await env.cri.reopenContainerLog({ containerId: pod.containerId });
        await eventually(async () => assert.match(await readFile(log, 'utf8'), /stdout F tick/));
        const out = new PassThrough();
        const seen: Buffer[] = [];
        out.on('data', (c: Buffer) => seen.push(c));
        const abort = new AbortController();
        const attached = env.handle.runtime.streamingRuntime.attach(pod.containerId,
          { stdout: out, stderr: new PassThrough(), tty: false }, abort.signal);
        await eventually(async () => assert.match(Buffer.concat(seen).toString(),
          /^tick \d+\ntick \d+\n/));
        abort.abort();
        await attached;
      });

    it('refuses to pull images it cannot build locally (no registry)', async () => {
      const err = await env.cri.pullImage({ image: { image: 'quay.io/nobody/app:1',
        annotations: {}, userSpecifiedImage: '', runtimeHandler: '', imageRef: '' } })
        .then(() => undefined, (e: unknown) => e);
      assert.ok(cri.isCriNotFound(err), String(err));
      assert.match(String(err), /no registry/);
    });

    it('updates a running container\'s memory limit in its cgroup', async () => {
      const pod = track(await runPod(env, BUSYBOX, ['sh', '-c', 'sleep 1000'],
        { resources: { memoryLimitInBytes: BigInt(64 * 1024 * 1024) } }));
      await env.cri.updateContainerResources({ containerId: pod.containerId, annotations: {},
        linux: cri.LinuxContainerResources.fromPartial({
          memoryLimitInBytes: BigInt(96 * 1024 * 1024) }) });
      const cgroup = (await status(env, pod.containerId)).resources?.linux;
      assert.equal(cgroup?.memoryLimitInBytes, BigInt(96 * 1024 * 1024));
      const limit = await env.cri.execSync({ containerId: pod.containerId, timeout: 10n,
        cmd: ['cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes'] });
      assert.equal(limit.stdout.toString().trim(), String(96 * 1024 * 1024));
    });

    it('finds its pods again after a restart and keeps serving them', async () => {
      const pod = track(await runPod(env, BUSYBOX, httpd('survivor')));
      await eventually(() => curl(`http://${pod.ip}/`));
      await env.restart();
      assert.equal((await status(env, pod.containerId)).state,
        cri.ContainerState.CONTAINER_RUNNING);
      const sandboxes = await env.cri.listPodSandbox({});
      assert.ok(sandboxes.items.some((s) => s.id === pod.sandboxId));
      assert.equal((await curl(`http://${pod.ip}/`)).trim(), 'survivor');
      await env.cri.stopContainer({ containerId: pod.containerId, timeout: 1n });
      assert.equal((await status(env, pod.containerId)).state,
        cri.ContainerState.CONTAINER_EXITED);
    });

    it('reports an exit from conmon\'s file, and a conmon gone without one by a recheck',
      async () => {
        const short = track(await runPod(env, BUSYBOX, ['sh', '-c', 'sleep 1; exit 3']));
        const exited = await eventually(async () => {
          const st = await status(env, short.containerId);
          assert.equal(st.state, cri.ContainerState.CONTAINER_EXITED);
          return st;
        });
        assert.equal(exited.exitCode, 3);
        const pod = track(await runPod(env, BUSYBOX, ['sleep', '3600']));
        assert.equal((await status(env, pod.containerId)).state,
          cri.ContainerState.CONTAINER_RUNNING);
        const conmonPid = Number(await readFile(
          join(env.stateDir, 'containers', pod.containerId, 'conmon.pid'), 'utf8'));
        process.kill(conmonPid, 'SIGKILL'); // no exit file will come: only a recheck can tell
        const lost = await eventually(async () => {
          const st = await status(env, pod.containerId);
          assert.equal(st.state, cri.ContainerState.CONTAINER_EXITED);
          return st;
        });
        assert.match(lost.message, /conmon is gone/);
      });

    it('garbage-collects at start what a crash left without records', async () => {
      const pod = await runPod(env, BUSYBOX, ['sh', '-c', 'sleep 1000']);
      const stateDir = env.stateDir;
      await env.handle.close();
      // A crash between making things and recording them: the records are gone.
      await rm(join(stateDir, 'sandboxes', pod.sandboxId, 'sandbox.json'));
      await rm(join(stateDir, 'containers', pod.containerId, 'container.json'));
      await env.restart();
      const report = env.handle.recovery;
      assert.deepEqual(report.removedContainers, [pod.containerId]);
      assert.deepEqual(report.removedSandboxDirs, [pod.sandboxId]);
      const veths = await run('ip', ['-o', 'link', 'show', 'master', env.bridge]);
      assert.ok(!veths.stdout.includes(`k8v${pod.sandboxId.slice(0, 12)}`), 'veth removed');
      assert.deepEqual(report.releasedAddresses, [pod.ip]);
      const mounts = await readFile('/proc/self/mountinfo', 'utf8');
      assert.ok(!mounts.includes(stateDir), 'no mount under the state dir remains');
      const { stdout } = await run('runc', [`--root=${join(stateDir, 'runc')}`, 'list', '-q']);
      assert.equal(stdout.trim(), '');
      await assert.rejects(env.cri.containerStatus({ containerId: pod.containerId,
        verbose: false }), (err: unknown) => cri.isCriNotFound(err));
    });
  });
}

type ExecFn = (id: string, cmd: string[], io: StreamIo, signal: AbortSignal) => Promise<number>;

/** collectExec runs an exec session with in-memory streams and returns its output. */
async function collectExec(exec: ExecFn, id: string, cmd: string[], tty: boolean):
  Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  stdout.on('data', (c: Buffer) => chunks.stdout.push(c));
  stderr.on('data', (c: Buffer) => chunks.stderr.push(c));
  const stdin = new PassThrough();
  stdin.end();
  const code = await exec(id, cmd, { stdin, stdout, stderr: tty ? undefined : stderr, tty },
    new AbortController().signal);
  return { code, stdout: Buffer.concat(chunks.stdout).toString(),
    stderr: Buffer.concat(chunks.stderr).toString() };
}

type ForwardFn = (sandboxId: string, port: number, stream: import('node:stream').Duplex) =>
  Promise<void>;

/** forwardGet sends an HTTP/1.0 GET through a port-forward stream and returns the reply. */
async function forwardGet(forward: ForwardFn, sandboxId: string): Promise<string> {
  const { Duplex } = await import('node:stream');
  const received: Buffer[] = [];
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      received.push(chunk);
      cb();
    },
    final(cb) {
      cb();
    },
  });
  stream.push(Buffer.from('GET / HTTP/1.0\r\nHost: pod\r\n\r\n'));
  await forward(sandboxId, 80, stream);
  return Buffer.concat(received).toString();
}

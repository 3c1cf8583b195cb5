/**
 * The process runtime's own behaviour beyond the shared CRI suite: pods on their own loopback
 * addresses sharing a port number, port clashes and missing binaries as clear start errors,
 * the image catalogue's refusals, and mounts reached through the scratch root.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { get } from 'node:http';
import { fileURLToPath } from 'node:url';
import { CriError, NamespaceMode } from '../../../src/kubelet/cri/types.js';
import {
  containerConfig, create, eventually, imageSpec as image, logText, runPod, sandboxConfig, start,
  status,
  TestRuntime, waitExited, waitLog,
} from './fixtures.js';


function httpGet(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    get({ host, port, path: '/' }, (res) => { res.resume(); resolve(res.statusCode ?? 0); })
      .on('error', reject);
  });
}

async function listen(host: string, port: number): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

describe('process runtime', function () {
  this.timeout(30_000);
  let rt: TestRuntime;
  const servers: Server[] = [];

  beforeEach(async () => {
    rt = await TestRuntime.create('127.78.1.0/24');
    await rt.serve();
  });
  afterEach(async () => {
    for (const s of servers.splice(0)) s.close();
    await rt.cleanup();
  });

  it('gives each pod its own loopback address, so two pods serve the same port', async () => {
    const a = await runPod(rt, [18081]);
    const b = await runPod(rt, [18081]);
    assert.notEqual(a.ip, b.ip);
    assert.match(a.ip, /^127\.78\.1\.\d+$/);
    const www = join(rt.dir, 'www');
    await mkdir(www, { recursive: true });
    for (const pod of [a, b]) {
      const httpd = ['httpd', '-f', '-p', `${pod.ip}:18081`, '-h', www];
      await start(rt, pod, containerConfig('web', httpd));
    }
    for (const pod of [a, b]) {
      assert.equal(await eventually(() => httpGet(pod.ip, 18081)), 404);
    }
  });

  it('fails StartContainer when a declared port is taken on the pod IP: StartError', async () => {
    const pod = await runPod(rt, [18082]);
    servers.push(await listen(pod.ip, 18082));
    const httpd = ['httpd', '-f', '-p', `${pod.ip}:18082`];
    const id = await create(rt, pod, containerConfig('web', httpd));
    const err = await rt.cri.startContainer({ containerId: id })
      .then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof CriError);
    assert.ok(err.message.includes(`port 18082 on ${pod.ip} is already in use`), err.message);
    const st = await status(rt, id);
    assert.equal(st.state, 2);
    assert.equal(st.exitCode, 128);
    assert.equal(st.reason, 'StartError');
    assert.match(st.message, /already in use/);
  });

  it('explains an early exit from a bind failure in the container status message', async () => {
    const pod = await runPod(rt); // no declared ports: only the output can tell
    servers.push(await listen(pod.ip, 18083));
    const httpd = ['httpd', '-f', '-p', `${pod.ip}:18083`];
    const id = await start(rt, pod, containerConfig('web', httpd));
    const st = await waitExited(rt, id);
    assert.notEqual(st.exitCode, 0);
    assert.equal(st.reason, 'Error');
    assert.match(st.message, new RegExp(`on ${pod.ip.replaceAll('.', '\\.')} is already in use`));
  });

  it('reports a missing binary as StartError, exit code 128, with the exec error', async () => {
    const pod = await runPod(rt);
    const id = await create(rt, pod, containerConfig('bad', ['no-such-binary-k8ts']));
    await assert.rejects(rt.cri.startContainer({ containerId: id }),
      /exec: "no-such-binary-k8ts": executable file not found in \$PATH/);
    const st = await status(rt, id);
    assert.deepEqual([st.state, st.exitCode, st.reason], [2, 128, 'StartError']);
    await assert.rejects(rt.cri.startContainer({ containerId: id }), /not created/);
  });

  it('refuses nginx naming the runc runtime; runs unknown images only with a command', async () => {
    await assert.rejects(rt.cri.pullImage({ image: image('nginx:1.25') }),
      /ports below 1024 need root.*runc/);
    const nginx = await rt.cri.imageStatus({ image: image('nginx:1.25'), verbose: false });
    assert.equal(nginx.image, undefined);
    const ref = (await rt.cri.pullImage({ image: image('example.org/myapp:1') })).imageRef;
    assert.match(ref, /^sha256:[0-9a-f]{64}$/);
    const pod = await runPod(rt);
    const noCommand = containerConfig('app', [], { image: image('example.org/myapp:1') });
    await assert.rejects(create(rt, pod, noCommand),
      /not in the process runtime's image catalogue.*needs a command/);
    const withCommand =
      containerConfig('app', ['/bin/echo', 'ran'], { image: image('example.org/myapp:1') });
    const id = await start(rt, pod, withCommand);
    assert.equal((await waitExited(rt, id)).exitCode, 0);
    assert.equal(await logText(join(pod.config.logDirectory, 'app/0.log')), 'ran');
  });

  it('runs busybox with its default Cmd sh, and host/<path> images as that binary', async () => {
    const pod = await runPod(rt);
    const bb = await start(rt, pod, containerConfig('bb', []));
    assert.equal((await waitExited(rt, bb)).exitCode, 0, 'sh on an empty stdin exits 0');
    // args replace the image's Cmd and busybox has no Entrypoint: "-c" is the program (Docker too).
    const argsOnly = await create(rt, pod, containerConfig('args', [], { args: ['-c', 'true'] }));
    await assert.rejects(rt.cri.startContainer({ containerId: argsOnly }), /exec: "-c"/);
    await rt.cri.pullImage({ image: image('host/bin/echo') });
    const host = await start(rt, pod, containerConfig('host', [], {
      image: image('host/bin/echo'), args: ['from', 'host'],
    }));
    assert.equal((await waitExited(rt, host)).exitCode, 0);
    assert.equal(await logText(join(pod.config.logDirectory, 'host/0.log')), 'from host');
  });

  it('reaches mounts through the scratch root (K8TS_ROOT, the default working dir)', async () => {
    const pod = await runPod(rt);
    const vol = join(rt.dir, 'vol');
    await mkdir(vol, { recursive: true });
    await writeFile(join(vol, 'key'), 'value');
    const mounts = [{
      containerPath: '/etc/k8ts-test', hostPath: vol, readonly: true, selinuxRelabel: false,
      propagation: 0, recursiveReadOnly: false,
    }];
    const id = await start(rt, pod, containerConfig('m', ['sh', '-c'], {
      args: [
        'cat etc/k8ts-test/key; echo; cat "$K8TS_ROOT/etc/k8ts-test/key"; echo; echo "$HOSTNAME"',
      ],
      mounts,
    }));
    assert.equal((await waitExited(rt, id)).exitCode, 0);
    const log = await waitLog(join(pod.config.logDirectory, 'm/0.log'), pod.config.hostname);
    assert.equal(log, `value\nvalue\n${pod.config.hostname}`);
    assert.equal((await status(rt, id)).mounts[0]?.hostPath, vol);
  });

  it('gives a hostNetwork pod no address of its own (the kubelet uses the node IP)', async () => {
    const config = sandboxConfig(rt.logDir);
    config.linux = { cgroupParent: '', sysctls: {}, securityContext: {
      namespaceOptions: { network: NamespaceMode.NODE, pid: 0, ipc: 0, targetId: '' },
      readonlyRootfs: false, supplementalGroups: [], privileged: false,
    } };
    const { podSandboxId } = await rt.cri.runPodSandbox({ config, runtimeHandler: '' });
    const st = await rt.cri.podSandboxStatus({ podSandboxId, verbose: false });
    assert.equal(st.status?.network?.ip, '');
    const next = await runPod(rt);
    assert.equal(next.ip, '127.78.1.1', 'the hostNetwork pod took no address');
  });

  it('releases a pod address on RemovePodSandbox and keeps it while the pod exists', async () => {
    const a = await runPod(rt);
    await rt.cri.stopPodSandbox({ podSandboxId: a.id });
    const b = await runPod(rt);
    assert.notEqual(a.ip, b.ip, 'a stopped pod keeps its address');
    await rt.cri.removePodSandbox({ podSandboxId: a.id });
    const { items } = await rt.cri.listPodSandbox({});
    assert.deepEqual(items.map((s) => s.id), [b.id]);
  });
});

describe('process runtime without root', function () {
  this.timeout(60_000);
  it('runs containers as the unprivileged user and refuses ports below 1024', async function () {
    if (process.getuid?.() !== 0) this.skip(); // needs root to switch to nobody
    const dir = await mkdtemp(join(tmpdir(), 'k8ts-process-nobody-'));
    try {
      await chmod(dir, 0o777);
      const script = fileURLToPath(new URL('./as-nobody.ts', import.meta.url));
      const res = spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, '--import', 'tsx',
        script, dir], { encoding: 'utf8', cwd: process.cwd(), env: { ...process.env, HOME: dir } });
      assert.equal(res.status, 0, res.stderr);
      const last = res.stdout.trim().split('\n').pop() ?? '{}';
      const out = JSON.parse(last) as Record<string, unknown>;
      assert.equal(out.exitCode, 0);
      assert.match(String(out.log), /stdout F 65534\n$/);
      assert.match(String(out.lowPort), /port 80 is below 1024: binding it needs root/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

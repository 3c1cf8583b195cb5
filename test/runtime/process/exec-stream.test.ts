/**
 * Exec, attach, port-forward and stop of the process runtime: ExecSync with the container's env
 * and working directory, streaming exec with and without a terminal, attach to a container's
 * stdin and stdout, port-forward to the pod's address, and the stop escalation to SIGKILL that
 * also takes the processes the container started.
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { ProcessStreaming } from '../../../src/runtime/process/streaming.js';
import {
  containerConfig, eventually, runPod, start, status, TestRuntime, waitLog,
} from './fixtures.js';

function collect(stream: PassThrough): () => string {
  let text = '';
  stream.on('data', (c: Buffer) => { text += c.toString(); });
  return () => text;
}

/** socketPair gives two connected TCP sockets on 127.0.0.1 (a real Duplex for port-forward). */
async function socketPair(): Promise<[Socket, Socket]> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const accepted = new Promise<Socket>((r) => server.once('connection', r));
  const client = connect(port, '127.0.0.1');
  const other = await accepted;
  server.close();
  return [client, other];
}

describe('process runtime: exec, attach, port-forward, stop', function () {
  this.timeout(30_000);
  let rt: TestRuntime;
  let streaming: ProcessStreaming;
  beforeEach(async () => {
    rt = await TestRuntime.create('127.78.3.0/24');
    await rt.serve();
    streaming = new ProcessStreaming(rt.handle.runtime);
  });
  afterEach(() => rt.cleanup());

  const sleeper = (over = {}) =>
    containerConfig('main', ['sh', '-c', 'echo ready; exec sleep 1000'], {
      envs: [{ key: 'GREETING', value: 'hi' }], workingDir: '/tmp', ...over,
    });

  it('ExecSync runs in the container env and working dir; a timeout fails it', async () => {
    const pod = await runPod(rt);
    const id = await start(rt, pod, sleeper());
    const script = 'echo $GREETING $(pwd); echo e >&2; exit 4';
    const res = await rt.cri.execSync({ containerId: id, cmd: ['sh', '-c', script], timeout: 5n });
    assert.deepEqual(
      [res.stdout.toString(), res.stderr.toString(), res.exitCode], ['hi /tmp\n', 'e\n', 4]);
    const sleep = rt.cri.execSync({ containerId: id, cmd: ['sleep', '30'], timeout: 1n });
    await assert.rejects(sleep, /deadline exceeded/);
    const missing = rt.cri.execSync({ containerId: id, cmd: ['no-such-k8ts-cmd'], timeout: 1n });
    await assert.rejects(missing, /executable file not found/);
  });

  it('streams an exec with stdin, and with a terminal through script', async () => {
    const pod = await runPod(rt);
    const id = await start(rt, pod, sleeper());
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const out = collect(stdout);
    const done = streaming.exec(id, ['sh', '-c', 'cat; exit 7'],
      { stdin, stdout, stderr, tty: false }, new AbortController().signal);
    stdin.end('piped\n');
    assert.equal(await done, 7);
    assert.equal(out(), 'piped\n');

    const ttyOut = new PassThrough();
    const ttyText = collect(ttyOut);
    const code = await streaming.exec(id, ['sh', '-c', 'tty; test -t 1'],
      { stdout: ttyOut, tty: true }, new AbortController().signal);
    assert.equal(code, 0, 'stdout is a terminal');
    assert.match(ttyText(), /\/dev\/pts\/\d+/);
  });

  it('cancelling a streaming exec kills it', async () => {
    const pod = await runPod(rt);
    const id = await start(rt, pod, sleeper());
    const abort = new AbortController();
    const io = { stdout: new PassThrough(), tty: false };
    const done = streaming.exec(id, ['sleep', '1000'], io, abort.signal);
    abort.abort();
    assert.equal(await done, 137);
  });

  it('attaches to a container with stdin: input reaches it, its output comes back', async () => {
    const pod = await runPod(rt);
    const config = containerConfig('cat', ['cat'], { stdin: true, stdinOnce: true });
    const id = await start(rt, pod, config);
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const out = collect(stdout);
    const attached = streaming.attach(id, { stdin, stdout, stderr: new PassThrough(), tty: false },
      new AbortController().signal);
    stdin.write('hello attach\n');
    await eventually(async () => assert.equal(out(), 'hello attach\n'));
    stdin.end(); // stdin_once: the container's stdin closes, cat exits
    await attached;
    await eventually(async () => assert.equal((await status(rt, id)).state, 2));
    await waitLog(join(pod.config.logDirectory, 'cat/0.log'), 'hello attach');
  });

  it('forwards a connection to a port on the pod address', async () => {
    const pod = await runPod(rt, [18090]);
    const www = join(rt.dir, 'www');
    await mkdir(www, { recursive: true });
    const httpd = ['httpd', '-f', '-p', `${pod.ip}:18090`, '-h', www];
    await start(rt, pod, containerConfig('web', httpd));
    const [client, server] = await socketPair();
    await eventually(async () => {
      const probe = connect(18090, pod.ip);
      await new Promise<void>((resolve, reject) => {
        probe.once('connect', resolve);
        probe.once('error', reject);
      });
      probe.destroy();
    });
    const forwarded = streaming.portForward(pod.id, 18090, server);
    let reply = '';
    client.on('data', (c: Buffer) => { reply += c.toString(); });
    client.write('GET /missing HTTP/1.0\r\n\r\n');
    await eventually(async () => assert.match(reply, /^HTTP\/1\.[01] 404/));
    client.destroy();
    await forwarded;
    const [, unused] = await socketPair();
    await assert.rejects(streaming.portForward(pod.id, 18091, unused), /failed to connect/);
  });

  it('stop SIGKILLs after the grace a container ignoring SIGTERM, and its children', async () => {
    const pod = await runPod(rt);
    const script = "trap '' TERM; sleep 1000 & echo ready; while :; do sleep 1; done";
    const id = await start(rt, pod, containerConfig('stubborn', ['sh', '-c', script]));
    await waitLog(join(pod.config.logDirectory, 'stubborn/0.log'), 'ready');
    const verbose = await rt.cri.containerStatus({ containerId: id, verbose: true });
    const pid = (JSON.parse(verbose.info.info ?? '{}') as { pid: number }).pid;
    await rt.cri.stopContainer({ containerId: id, timeout: 1n });
    const st = await status(rt, id);
    assert.deepEqual([st.state, st.exitCode, st.reason], [2, 137, 'Error']);
    // Killed members are gone once reaped (the leader by the runtime, the rest by init).
    await eventually(async () => assert.throws(() => process.kill(-pid, 0), /ESRCH/, 'group left'));
  });

  it('answers Exec, Attach and PortForward with single-use streaming server URLs', async () => {
    const pod = await runPod(rt);
    const id = await start(rt, pod, sleeper());
    const base = rt.handle.streamingUrl;
    assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);
    const streams = { tty: false, stdin: false, stdout: true, stderr: true };
    const exec = await rt.cri.exec({ containerId: id, cmd: ['sh'], ...streams });
    const attach = await rt.cri.attach({ containerId: id, ...streams });
    const pf = await rt.cri.portForward({ podSandboxId: pod.id, port: [8080] });
    assert.ok(exec.url.startsWith(`${base}/exec/`), exec.url);
    assert.ok(attach.url.startsWith(`${base}/attach/`), attach.url);
    assert.ok(pf.url.startsWith(`${base}/portforward/`), pf.url);
    const plain = await fetch(exec.url);
    assert.equal(plain.status, 400, 'the URL is served (it wants a protocol upgrade)');
    const unknown = rt.cri.exec({ containerId: 'nope', cmd: ['sh'], ...streams });
    await assert.rejects(unknown, /not found/);
  });
});

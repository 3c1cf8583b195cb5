/**
 * The CRI streaming server on its own, driven by a WebSocket client of ours over the protocols
 * kubectl does not exercise (v4, base64, tty with resizes, pings), plus its URL rules:
 * single-use tokens, refusals, and request validation. kubectl itself drives it end to end in
 * test/kubelet/server/kubectl-streaming.test.ts.
 */
import assert from 'node:assert/strict';
import { systemClock } from '../../../src/base/clock.js';
import { CriError } from '../../../src/kubelet/cri/errors.js';
import { StreamingServer } from '../../../src/runtime/streaming/server.js';
import { encodeWsFrame, WsOpcode } from '../../../src/runtime/streaming/ws-frame.js';
import { childRuntime, type ChildRuntime } from './child-runtime.js';
import { wsConnect } from './ws-client.js';

const exec = (cmd: string[], o: { stdin?: boolean; tty?: boolean } = {}) => ({
  containerId: 'c1',
  cmd,
  stdin: o.stdin ?? false,
  stdout: true,
  stderr: !o.tty,
  tty: o.tty ?? false,
});

describe('StreamingServer', function () {
  this.timeout(20_000);
  let server: StreamingServer;
  let runtime: ChildRuntime;

  beforeEach(async () => {
    runtime = childRuntime();
    server = new StreamingServer({ host: '127.0.0.1', runtime, clock: systemClock });
    await server.start();
  });
  afterEach(async () => {
    await server.close();
  });

  it('v4.channel.k8s.io: output on 1 and 2, a JSON Status on 3, then close 1000', async () => {
    const { url } = server.getExec(exec(['sh', '-c', 'echo out; echo err >&2; exit 2']));
    const ws = await wsConnect(url, ['v4.channel.k8s.io']);
    assert.equal(ws.protocol, 'v4.channel.k8s.io');
    const frames = await ws.frames();
    const data = frames.filter((f) => f.opcode === WsOpcode.binary);
    const byChannel = (ch: number): string =>
      data.filter((f) => f.payload[0] === ch).map((f) => f.payload.subarray(1).toString()).join('');
    assert.equal(byChannel(1), 'out\n');
    assert.equal(byChannel(2), 'err\n');
    type Status = { reason: string; details: { causes: { message: string }[] } };
    const status = JSON.parse(byChannel(3)) as Status;
    assert.equal(status.reason, 'NonZeroExitCode');
    assert.equal(status.details.causes[0]?.message, '2');
    const close = frames.find((f) => f.opcode === WsOpcode.close);
    assert.equal(close?.payload.readUInt16BE(0), 1000);
  });

  it('base64.channel.k8s.io: text messages, channel digit; no status on success', async () => {
    const { url } = server.getExec(exec(['echo', 'hi']));
    const ws = await wsConnect(url, ['base64.channel.k8s.io']);
    const texts = (await ws.frames())
      .filter((f) => f.opcode === WsOpcode.text)
      .map((f) => f.payload.toString());
    assert.deepEqual(texts, ['1' + Buffer.from('hi\n').toString('base64')]);
  });

  it('v5 tty: resizes reach the runtime, stdin flows, [255,0] closes it, pings', async () => {
    const { url } = server.getExec(exec(
      ['sh', '-c', 'read x; echo got $x; cat'],
      { stdin: true, tty: true },
    ));
    const ws = await wsConnect(url, ['v5.channel.k8s.io']);
    ws.send(
      WsOpcode.binary,
      Buffer.concat([Buffer.from([4]), Buffer.from('{"Width":100,"Height":30}\n')]),
    );
    ws.send(WsOpcode.ping, Buffer.from('are you there'));
    assert.equal((await ws.next(WsOpcode.pong)).payload.toString(), 'are you there');
    ws.send(WsOpcode.binary, Buffer.concat([Buffer.from([0]), Buffer.from('hello\n')]));
    ws.send(WsOpcode.binary, Buffer.from([255, 0]));
    const frames = await ws.frames();
    const out = frames.filter((f) => f.opcode === WsOpcode.binary && f.payload[0] === 1)
      .map((f) => f.payload.subarray(1).toString()).join('');
    assert.equal(out, 'got hello\n');
    assert.ok(!frames.some((f) => f.payload[0] === 2), 'no stderr channel with a tty');
    assert.deepEqual(runtime.resizes, [{ width: 100, height: 30 }]);
  });

  it('a fragmented stdin message is reassembled', async () => {
    const { url } = server.getExec(exec(['cat'], { stdin: true }));
    const ws = await wsConnect(url, ['v5.channel.k8s.io']);
    const socketWrite = (b: Buffer): boolean => ws.socket.write(b);
    const mask = Buffer.from([1, 2, 3, 4]);
    socketWrite(encodeWsFrame(WsOpcode.binary, Buffer.from([0, 0x61]), { fin: false, mask }));
    socketWrite(encodeWsFrame(WsOpcode.ping, Buffer.alloc(0), { mask }));
    socketWrite(encodeWsFrame(WsOpcode.continuation, Buffer.from('bc'), { mask }));
    ws.send(WsOpcode.binary, Buffer.from([255, 0]));
    const out = (await ws.frames())
      .filter((f) => f.opcode === WsOpcode.binary && f.payload[0] === 1)
      .map((f) => f.payload.subarray(1).toString()).join('');
    assert.equal(out, 'abc');
  });

  it('a URL works once; unknown tokens and plain requests are refused', async () => {
    const { url } = server.getExec(exec(['true']));
    await (await wsConnect(url, ['v5.channel.k8s.io'])).frames();
    await assert.rejects(wsConnect(url, ['v5.channel.k8s.io']), /HTTP 404/);
    await assert.rejects(
      wsConnect(url.replace(/[^/]+$/, 'nope'), ['v5.channel.k8s.io']),
      /HTTP 404/,
    );
    const plain = await fetch(server.getExec(exec(['true'])).url);
    assert.equal(plain.status, 400);
    assert.match(await plain.text(), /Upgrade request required/);
  });

  it('an exec URL is not a port-forward URL, and unsupported subprotocols are a 400', async () => {
    const { url } = server.getExec(exec(['true']));
    await assert.rejects(wsConnect(url.replace('/exec/', '/portforward/'), []), /HTTP 404/);
    await assert.rejects(wsConnect(server.getExec(exec(['true'])).url, ['mqtt']), /HTTP 400/);
  });

  it('validates requests as upstream does (INVALID_ARGUMENT)', () => {
    const invalid = (fn: () => unknown, re: RegExp): void =>
      assert.throws(fn, (e: unknown) => e instanceof CriError && re.test(e.message));
    invalid(() => server.getExec({ ...exec(['true']), tty: true, stderr: true }), /tty and stderr/);
    invalid(
      () => server.getExec({ ...exec(['true']), stdout: false, stderr: false }),
      /one of stdin/,
    );
    invalid(() => server.getExec(exec([])), /cmd/);
    invalid(() => server.getPortForward({ podSandboxId: '', port: [] }), /pod_sandbox_id/);
  });
});

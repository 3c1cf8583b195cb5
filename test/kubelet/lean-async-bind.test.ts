/**
 * The lean AsyncResource.bind keeps what callers of bind rely on — fn runs in the resource's
 * async context, with thisArg or else the caller's `this`, arguments and result passed through —
 * and a real HTTP/2 request still works through it. Run in a child process: the install is
 * process-wide and must not leak into the other tests.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MODULE = fileURLToPath(new URL('../../src/kubelet/lean-async-bind.ts', import.meta.url));

const SCRIPT = `
import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { createServer, connect } from 'node:http2';
import { installLeanAsyncBind } from ${JSON.stringify(MODULE)};
const out = { first: installLeanAsyncBind(), second: installLeanAsyncBind() };
const als = new AsyncLocalStorage();
const resource = als.run('made', () => new AsyncResource('test'));
const f = als.run('called', () => resource.bind(function (a, b) { return [als.getStore(), this, a + b]; }));
out.scope = als.run('called', () => f.call('caller', 1, 2));
const g = resource.bind(function () { return this; }, 'given');
out.given = g.call('caller');
try { resource.bind(42); out.threw = false; } catch (e) { out.threw = e instanceof TypeError; }
const server = createServer((req, res) => res.end('ok'));
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const session = connect('http://127.0.0.1:' + server.address().port);
out.body = await new Promise((res, rej) => {
  const req = session.request({ ':path': '/' });
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (d) => { body += d; });
  req.on('end', () => res(body));
  req.on('error', rej);
});
session.close();
server.close();
process.stdout.write(JSON.stringify(out));
`;

describe('lean AsyncResource.bind', () => {
  it('runs fn in the resource\'s scope with Node\'s this; http2 requests work', async () => {
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT],
        { timeout: 30_000 }, (err, out, errText) => {
          if (err) reject(new Error(`${err.message}\n${errText}`));
          else resolve(out);
        });
    });
    const out = JSON.parse(stdout) as Record<string, unknown>;
    assert.deepEqual(out, {
      first: true, second: false,
      scope: ['made', 'caller', 3],
      given: 'given',
      threw: true,
      body: 'ok',
    });
  });
});

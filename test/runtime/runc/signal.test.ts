/**
 * The runtime's own kill(2) of a container's init process (src/runtime/runc/signal.ts): signal
 * names as runc spells them, and the start-time check that keeps a reused pid from being hit.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { identify, signalNumber, signalProcess } from '../../../src/runtime/runc/signal.js';

describe('runc runtime: signalling a container process', () => {
  it('maps runc signal spellings to numbers, and leaves unknown ones to runc', () => {
    assert.equal(signalNumber('TERM'), 15);
    assert.equal(signalNumber('SIGKILL'), 9);
    assert.equal(signalNumber('10'), 10);
    assert.equal(signalNumber('RTMIN+3'), undefined);
  });

  it('signals the identified process, never another one holding its pid', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    const exited = once(child, 'exit');
    try {
      const who = await identify(child.pid as number);
      assert.ok(who, 'a live process has a start time');
      const impostor = { pid: who.pid, startTicks: `${who.startTicks}1` };
      assert.equal(await signalProcess(impostor, 'TERM'), true, 'gone as far as we know');
      assert.equal(child.exitCode, null);
      assert.equal(child.signalCode, null, 'a process that only shares the pid is not signalled');
      assert.equal(await signalProcess(who, 'RTMIN+3'), false, 'runc sends what Node cannot');
      assert.equal(await signalProcess(undefined, 'TERM'), false, 'no identity: runc sends it');
      assert.equal(await signalProcess(who, 'TERM'), true);
      const [, signal] = await exited;
      assert.equal(signal, 'SIGTERM');
      assert.equal(await identify(who.pid), undefined);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

/**
 * A restarted process runtime finds its pods: containers still running are adopted (same pid,
 * output keeps reaching the log, stop still works), one that ended while no runtime ran is
 * EXITED with exit code 255 and reason Unknown, and pod addresses stay taken.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  containerConfig, eventually, logText, runPod, start, status, TestRuntime, waitLog,
} from './fixtures.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** pidOf reads the main process's pid from the verbose status info. */
async function pidOf(rt: TestRuntime, id: string): Promise<number> {
  const res = await rt.cri.containerStatus({ containerId: id, verbose: true });
  return (JSON.parse(res.info.info ?? '{}') as { pid?: number }).pid ?? 0;
}

describe('process runtime: restart recovery', function () {
  this.timeout(30_000);
  let rt: TestRuntime;
  beforeEach(async () => {
    rt = await TestRuntime.create('127.78.2.0/24');
    await rt.serve();
  });
  afterEach(() => rt.cleanup());

  it('adopts running containers: same pid, the log keeps growing, stop still works', async () => {
    const pod = await runPod(rt);
    const ticker = 'i=0; while :; do echo tick $i; i=$((i+1)); sleep 0.05; done';
    const id = await start(rt, pod, containerConfig('t', ['sh', '-c', ticker]));
    const log = join(pod.config.logDirectory, 't/0.log');
    await waitLog(log, 'tick 2');
    const before = await status(rt, id);
    const pid = await pidOf(rt, id);
    assert.ok(pid > 0 && alive(pid));

    await rt.serve(); // the old runtime lets go; a new one opens the same state
    const after = await status(rt, id);
    assert.equal(after.state, 1, 'still RUNNING after the restart');
    assert.equal(after.startedAt, before.startedAt);
    const linesAtRestart = (await logText(log)).split('\n').length;
    await eventually(async () => {
      const lines = (await logText(log)).split('\n').length;
      assert.ok(lines > linesAtRestart + 3, 'log stopped growing');
    });
    const again = await runPod(rt);
    assert.notEqual(again.ip, pod.ip, 'the adopted pod keeps its address');

    await rt.cri.stopContainer({ containerId: id, timeout: 5n });
    const stopped = await status(rt, id);
    assert.equal(stopped.state, 2);
    assert.equal(alive(pid), false, 'the adopted process group is gone after stop');
  });

  it('reports a container that ended while no runtime ran: exit 255, reason Unknown', async () => {
    const pod = await runPod(rt);
    const config = containerConfig('s', ['sh', '-c', 'read line; exit 3'], { stdin: true });
    const id = await start(rt, pod, config);
    const pid = await pidOf(rt, id);
    await rt.handle.close(); // the container's stdin closes with the runtime: it exits by itself
    await eventually(async () => assert.equal(alive(pid), false));
    await rt.serve();
    const st = await eventually(async () => {
      const s = await status(rt, id);
      assert.equal(s.state, 2);
      return s;
    });
    assert.equal(st.exitCode, 255);
    assert.equal(st.reason, 'Unknown');
    assert.match(st.message, /exit code is unknown/);
  });
});

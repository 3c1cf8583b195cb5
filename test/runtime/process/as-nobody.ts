/**
 * Child script of the "without root" test: runs the process runtime as the unprivileged user it
 * was started as and prints what happened as one JSON line. Not a test file itself.
 *   node --import tsx test/runtime/process/as-nobody.ts <stateDir>
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock } from '../../../src/base/clock.js';
import { ContainerState, type ContainerStatus } from '../../../src/kubelet/cri/types.js';
import { ProcessRuntime } from '../../../src/runtime/process/runtime.js';
import { containerConfig, sandboxConfig } from './fixtures.js';

/** exited polls (bounded) until the container exited; undefined if it never did. */
async function exited(rt: ProcessRuntime, id: string): Promise<ContainerStatus | undefined> {
  for (let i = 0; i < 200; i++) {
    const st = (await rt.containerStatus({ containerId: id, verbose: false })).status;
    if (st?.state === ContainerState.CONTAINER_EXITED) return st;
    await new Promise((r) => setTimeout(r, 50));
  }
  return undefined;
}

async function main(dir: string): Promise<void> {
  const rt = await ProcessRuntime.open({
    stateDir: join(dir, 'state'), podCidr: '127.78.5.0/24', clock: systemClock,
  });
  const out: Record<string, unknown> = {};
  try {
    const plain = sandboxConfig(join(dir, 'logs'));
    const a = await rt.runPodSandbox({ config: plain, runtimeHandler: '' });
    const c = await rt.createContainer({
      podSandboxId: a.podSandboxId, config: containerConfig('who', ['sh', '-c', 'id -u']),
    });
    await rt.startContainer({ containerId: c.containerId });
    const st = await exited(rt, c.containerId);
    out.exitCode = st?.exitCode;
    out.log = readFileSync(join(plain.logDirectory, 'who/0.log'), 'utf8');
    const low = sandboxConfig(join(dir, 'logs'), [80]);
    const b = await rt.runPodSandbox({ config: low, runtimeHandler: '' });
    const web = await rt.createContainer({
      podSandboxId: b.podSandboxId, config: containerConfig('web', ['httpd', '-f', '-p', '80']),
    });
    out.lowPort = await rt.startContainer({ containerId: web.containerId })
      .then(() => 'started', (err: Error) => err.message);
  } finally {
    for (const s of (await rt.listPodSandbox({})).items) {
      await rt.removePodSandbox({ podSandboxId: s.id });
    }
    await rt.close();
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

await main(process.argv[2] ?? '/nonexistent');

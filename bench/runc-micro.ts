/**
 * runc-micro: the CPU the runc runtime's pod startup costs, per pod and per phase, without a
 * cluster. Runs as root: `node --import tsx bench/runc-micro.ts [--pods 30] [--concurrency 8]
 * [--rounds 1] [--relists 0] [--profile FILE]`; --relists N times N kubelet relists
 * (ListContainers + ListPodSandbox) while the round's pods run; --profile writes a V8 CPU profile of the last round's startup
 * phases (the runtime's own JavaScript, warm) to FILE.
 *
 * The process moves itself into a cpuacct cgroup of its own first, so everything it starts stays
 * accounted there: the Perl tool helper, every ip/unshare/mount/runc it forks, and the conmon
 * daemons (which setsid away from their parent, so no rusage of ours ever sees them); runc moves
 * only the containers' own processes into /k8ts. Per phase it reports the cgroup's CPU and this
 * Node process's own share, per pod; "tools" is the difference: what the host tools cost.
 * Phases follow the CRI calls a kubelet makes: RunPodSandbox (network + pod files),
 * CreateContainer (rootfs + spec), StartContainer (conmon + runc), then teardown.
 * The file only uses startRuncTestEnv and the CRI client, so it runs unchanged on an older
 * commit (A/B in the same sitting: copy it into that worktree's bench/).
 */
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as cri from '../src/kubelet/cri/types.js';
import { hostTools } from '../src/runtime/runc/spawner.js';
import { BUSYBOX, startRuncTestEnv, type RuncTestEnv } from '../test/runtime/runc/harness.js';

const CGROUP = `/sys/fs/cgroup/cpuacct/k8ts-runc-micro-${process.pid}`;

/** cgroupCpuMs is the bench cgroup's CPU so far, in ms. */
async function cgroupCpuMs(): Promise<number> {
  return Number(await readFile(join(CGROUP, 'cpuacct.usage'), 'utf8')) / 1e6;
}

/** selfCpuMs is this Node process's own CPU so far, in ms. */
function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** inBatches runs fn over items with at most `width` calls in flight. */
async function inBatches<T>(items: T[], width: number, fn: (item: T) => Promise<void>):
  Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

/** Pod is one bench pod's sandbox config and, once made, its ids. */
interface Pod {
  config: cri.PodSandboxConfig;
  sandboxId: string;
  containerId: string;
}

/** phase runs fn for every pod and prints CPU per pod: all, Node, tools; and wall time. */
async function phase(name: string, pods: Pod[], width: number, fn: (pod: Pod) => Promise<void>):
  Promise<{ all: number; node: number }> {
  const [all0, node0, t0] = [await cgroupCpuMs(), selfCpuMs(), performance.now()];
  await inBatches(pods, width, fn);
  const [all1, node1, t1] = [await cgroupCpuMs(), selfCpuMs(), performance.now()];
  const all = (all1 - all0) / pods.length;
  const node = (node1 - node0) / pods.length;
  console.log(`${name.padEnd(16)} CPU per pod ${all.toFixed(1)} ms (node ${node.toFixed(1)}, ` +
    `tools ${(all - node).toFixed(1)}); wall ${(t1 - t0).toFixed(0)} ms for ${pods.length}`);
  return { all, node };
}

/** relist times `times` relists as a kubelet makes them, one after another. */
async function relist(env: RuncTestEnv, times: number, pods: number): Promise<void> {
  const [all0, node0] = [await cgroupCpuMs(), selfCpuMs()];
  for (let i = 0; i < times; i++) {
    await Promise.all([env.cri.listContainers({}), env.cri.listPodSandbox({})]);
  }
  const [all1, node1] = [await cgroupCpuMs(), selfCpuMs()];
  console.log(`relist of ${pods} pods CPU ${((all1 - all0) / times).toFixed(2)} ms (node ${
    ((node1 - node0) / times).toFixed(2)}) per relist, ${times} relists`);
}

/** round starts and removes `count` pods, phase by phase; with a profiler session, the
 *  startup phases are profiled into profilePath. */
async function round(env: RuncTestEnv, count: number, width: number, tag: string,
  relists: number, profiler?: { session: Session; path: string }): Promise<number> {
  const pods: Pod[] = Array.from({ length: count }, (_, i) => ({
    config: cri.PodSandboxConfig.fromPartial({
      metadata: { name: `${tag}-${i}`, uid: `uid-${tag}-${i}`, namespace: 'bench' },
      hostname: `${tag}-${i}`, logDirectory: join(env.dir, 'logs', `${tag}-${i}`),
    }),
    sandboxId: '', containerId: '',
  }));
  for (const p of pods) await mkdir(p.config.logDirectory, { recursive: true });
  await profiler?.session.post('Profiler.start');
  const net = await phase('RunPodSandbox', pods, width, async (p) => {
    p.sandboxId = (await env.cri.runPodSandbox({ config: p.config, runtimeHandler: '' }))
      .podSandboxId;
  });
  const create = await phase('CreateContainer', pods, width, async (p) => {
    p.containerId = (await env.cri.createContainer({
      podSandboxId: p.sandboxId, sandboxConfig: p.config,
      config: cri.ContainerConfig.fromPartial({
        metadata: { name: 'c' }, image: { image: BUSYBOX }, command: ['sleep', '3600'],
        logPath: 'c.log',
      }),
    })).containerId;
  });
  const start = await phase('StartContainer', pods, width, async (p) => {
    await env.cri.startContainer({ containerId: p.containerId });
  });
  if (profiler) {
    const { profile } = await profiler.session.post('Profiler.stop');
    await writeFile(profiler.path, JSON.stringify(profile));
  }
  const total = net.all + create.all + start.all;
  console.log(`startup total    CPU per pod ${total.toFixed(1)} ms (node ${
    (net.node + create.node + start.node).toFixed(1)})`);
  if (relists > 0) await relist(env, relists, count);
  await phase('teardown', pods, width, async (p) => {
    await env.cri.stopPodSandbox({ podSandboxId: p.sandboxId });
    await env.cri.removePodSandbox({ podSandboxId: p.sandboxId });
  });
  return total;
}

/** removeCgroup removes the bench cgroup once its last process (the tool helper) is gone. */
async function removeCgroup(): Promise<void> {
  for (let i = 0; i < 50; i++) {
    if ((await readFile(join(CGROUP, 'cgroup.procs'), 'utf8')).trim() === '') break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await rmdir(CGROUP).catch((err: Error) => console.log(`cannot remove ${CGROUP}: ${err.message}`));
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: {
    pods: { type: 'string', default: '30' }, concurrency: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '1' }, profile: { type: 'string' },
    relists: { type: 'string', default: '0' },
  } });
  const [count, width, rounds] = [values.pods, values.concurrency, values.rounds].map(Number) as
    [number, number, number];
  if (process.getuid?.() !== 0) throw new Error('runc-micro needs root');
  await mkdir(CGROUP, { recursive: true });
  await writeFile(join(CGROUP, 'cgroup.procs'), `${process.pid}\n`);
  const env = await startRuncTestEnv('100.64.231.0/24', 'k8ts-runc-mic', [BUSYBOX]);
  try {
    const totals: number[] = [];
    let session: Session | undefined;
    if (values.profile) {
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
    }
    for (let r = 0; r < rounds; r++) {
      const last = r === rounds - 1 && session && values.profile;
      totals.push(await round(env, count, width, `r${r}`, Number(values.relists),
        last ? { session: session as Session, path: values.profile as string } : undefined));
    }
    session?.disconnect();
    console.log(`rounds' startup CPU per pod: ${totals.map((t) => t.toFixed(1)).join(', ')} ms`);
  } finally {
    await env.cleanup();
    await writeFile('/sys/fs/cgroup/cpuacct/cgroup.procs', `${process.pid}\n`);
    hostTools.close(); // the tool helper is the last process in the cgroup
    await removeCgroup();
  }
}

await main();

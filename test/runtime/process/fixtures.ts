/**
 * Helpers of the process runtime's own tests: a runtime served on a temp socket (restartable on
 * the same state directory), kubelet-shaped configs, polls with a deadline, and cleanup that
 * removes every sandbox (so every process) and the temp directory even when a test fails.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../../src/base/clock.js';
import { connectCri, type CriClient } from '../../../src/kubelet/cri/client.js';
import type * as cri from '../../../src/kubelet/cri/types.js';
import {
  startProcessRuntime, type ProcessRuntimeHandle,
} from '../../../src/runtime/process/server.js';
import { eventually as poll } from '../../support/poll.js';

/** A served runtime plus its client. */
export interface Served {
  handle: ProcessRuntimeHandle;
  cri: CriClient;
}

/** TestRuntime owns one temp dir; serve() (re)starts a runtime on it. */
export class TestRuntime {
  private served: Served | undefined;
  private constructor(readonly dir: string, readonly podCidr: string) {}

  static async create(podCidr: string): Promise<TestRuntime> {
    return new TestRuntime(await mkdtemp(join(tmpdir(), 'k8ts-process-rt-')), podCidr);
  }

  get logDir(): string {
    return join(this.dir, 'logs');
  }

  /** serve starts a runtime on the state dir (closing the previous one without stopping pods). */
  async serve(): Promise<CriClient> {
    await this.closeServed();
    const socketPath = join(this.dir, 'cri.sock');
    const handle = await startProcessRuntime({
      stateDir: join(this.dir, 'state'), podCidr: this.podCidr, socketPath, clock: systemClock,
      spawnerDelayMs: 0,
    });
    this.served = { handle, cri: connectCri(socketPath) };
    return this.served.cri;
  }

  get cri(): CriClient {
    assert.ok(this.served, 'runtime not served');
    return this.served.cri;
  }

  get handle(): ProcessRuntimeHandle {
    assert.ok(this.served, 'runtime not served');
    return this.served.handle;
  }

  /** cleanup removes every sandbox (killing its processes), closes, deletes the temp dir. */
  async cleanup(): Promise<void> {
    if (this.served !== undefined) {
      const { items } = await this.cri.listPodSandbox({});
      for (const sb of items) await this.cri.removePodSandbox({ podSandboxId: sb.id });
    }
    await this.closeServed();
    await rm(this.dir, { recursive: true, force: true });
  }

  private async closeServed(): Promise<void> {
    const s = this.served;
    this.served = undefined;
    s?.cri.close();
    await s?.handle.close();
  }
}

let serial = 0;

/** sandboxConfig is a kubelet-shaped sandbox config with optional container ports. */
export function sandboxConfig(logDir: string, ports: number[] = []): cri.PodSandboxConfig {
  serial += 1;
  const name = `p${serial}`;
  return {
    metadata: { name, uid: `uid-${process.pid}-${serial}`, namespace: 'test', attempt: 0 },
    hostname: name, logDirectory: join(logDir, name),
    portMappings: ports.map((p) => ({ protocol: 0, containerPort: p, hostPort: 0, hostIp: '' })),
    labels: {}, annotations: {},
  };
}

/** imageSpec is a CRI ImageSpec naming ref. */
export function imageSpec(ref: string): cri.ImageSpec {
  return { image: ref, annotations: {}, userSpecifiedImage: '', runtimeHandler: '', imageRef: '' };
}

/** containerConfig is a kubelet-shaped container config. */
export function containerConfig(
  name: string, command: string[], over: Partial<cri.ContainerConfig> = {},
): cri.ContainerConfig {
  return {
    metadata: { name, attempt: 0 },
    image: imageSpec('busybox'),
    command, args: [], workingDir: '', envs: [], mounts: [], devices: [], labels: {},
    annotations: {}, logPath: `${name}/0.log`, stdin: false, stdinOnce: false, tty: false,
    ...over,
  };
}

/** runPod runs a sandbox and returns its id, config and IP. */
export async function runPod(
  rt: TestRuntime, ports: number[] = [],
): Promise<{ id: string; config: cri.PodSandboxConfig; ip: string }> {
  const config = sandboxConfig(rt.logDir, ports);
  const { podSandboxId } = await rt.cri.runPodSandbox({ config, runtimeHandler: '' });
  const st = await rt.cri.podSandboxStatus({ podSandboxId, verbose: false });
  return { id: podSandboxId, config, ip: st.status?.network?.ip ?? '' };
}

/** create creates a container in a pod; start also starts it. */
export async function create(
  rt: TestRuntime, pod: { id: string; config: cri.PodSandboxConfig }, config: cri.ContainerConfig,
): Promise<string> {
  const req = { podSandboxId: pod.id, config, sandboxConfig: pod.config };
  const res = await rt.cri.createContainer(req);
  return res.containerId;
}

export async function start(
  rt: TestRuntime, pod: { id: string; config: cri.PodSandboxConfig }, config: cri.ContainerConfig,
): Promise<string> {
  const id = await create(rt, pod, config);
  await rt.cri.startContainer({ containerId: id });
  return id;
}

/** eventually retries fn until it stops throwing or deadlineMs passed. */
export function eventually<T>(fn: () => Promise<T>, deadlineMs = 15_000): Promise<T> {
  return poll(fn, deadlineMs);
}

/** status reads a container's status. */
export async function status(rt: TestRuntime, id: string): Promise<cri.ContainerStatus> {
  const st = (await rt.cri.containerStatus({ containerId: id, verbose: false })).status;
  assert.ok(st);
  return st;
}

/** waitExited polls until the container exited and returns its status. */
export function waitExited(rt: TestRuntime, id: string): Promise<cri.ContainerStatus> {
  return eventually(async () => {
    const st = await status(rt, id);
    assert.equal(st.state, 2, `container ${id} not exited yet`);
    return st;
  });
}

/** logText returns the text of a CRI log file's lines (stream prefix dropped). */
export async function logText(path: string): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const lines = text.split('\n').filter((l) => l !== '');
  return lines.map((l) => l.split(' ').slice(3).join(' ')).join('\n');
}

/** waitLog waits until the log holds `needle`. */
export function waitLog(path: string, needle: string): Promise<string> {
  return eventually(async () => {
    const text = await logText(path);
    assert.ok(text.includes(needle), `log ${path} lacks ${needle}: ${text}`);
    return text;
  });
}

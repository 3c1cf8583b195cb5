/**
 * Helpers for tests that run members: ephemeral-port configs on 127.0.0.1, temp K8TS_HOME,
 * in-process members, and polling.
 */
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../src/base/clock.js';
import type { TlsFiles } from '../../src/rpc/credentials.js';
import { Member } from '../../src/raft/member.js';
import { freePorts } from './ports.js';

/** tempHome makes a K8TS_HOME-style temp dir; the returned function removes it. */
export function tempHome(prefix = 'k8ts-test-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** writeConfig writes a cluster config with n members on 127.0.0.1 ephemeral ports (a peer
 *  port and an etcd client port each). */
export async function writeConfig(dir: string, name: string, n: number, extra = ''): Promise<string> {
  const ports = await freePorts(2 * n);
  const members = Array.from({ length: n }, (_, i) =>
    `  - { id: ${i + 1}, name: m${i + 1}, address: 127.0.0.1:${ports[2 * i]}, client: 127.0.0.1:${ports[2 * i + 1]} }`);
  const text = [`name: ${name}`, 'members:', ...members, 'timing: { tickMs: 10, electionTicks: 20, heartbeatTicks: 2 }', extra, ''].join('\n');
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, text);
  return path;
}

export interface InProcessOptions {
  /** Members 1..n start as the group; the ids listed here start as joiners (no bootstrap). */
  joiners?: number[];
  forwarding?: boolean;
  tls?: (name: string) => TlsFiles;
  clusterId?: number;
}

/** startInProcess runs n members in this process on MemoryStorage (fast transport tests). */
export async function startInProcess(n: number, o: InProcessOptions = {}): Promise<Member[]> {
  const ports = await freePorts(n);
  const members = ports.map((p, i) => ({ id: i + 1, address: `127.0.0.1:${p}` }));
  const ms = members.map(
    (m) =>
      new Member({
        id: m.id,
        name: `m${m.id}`,
        clusterId: o.clusterId ?? 7,
        listen: m.address,
        // Joiners are not in the initial group, which learns their address from the log; a
        // joiner knows everyone (as a config listing the whole cluster would tell it).
        members: o.joiners?.includes(m.id) ? members : members.filter((x) => !o.joiners?.includes(x.id)),
        dataDir: undefined,
        timing: { tickMs: 10, electionTicks: 20, heartbeatTicks: 2 },
        join: o.joiners?.includes(m.id) === true,
        forwarding: o.forwarding ?? true,
        tls: o.tls?.(`m${m.id}`),
        clock: systemClock,
        incarnation: 1,
        defer: (fn) => setImmediate(fn),
        log: () => {},
      }),
  );
  await Promise.all(ms.map((m) => m.start()));
  return ms;
}

/** waitFor polls cond every 20 ms until it returns a value other than undefined/false. */
export async function waitFor<T>(what: string, cond: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const start = performance.now();
  for (;;) {
    const v = await cond();
    if (v !== undefined && v !== false) return v;
    if (performance.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** leaderOf returns the member that is leader, if exactly one claims it. */
export function leaderOf(ms: readonly Member[]): Member | undefined {
  const leaders = ms.filter((m) => m.state() === 'running' && m.node.status().role === 'leader');
  return leaders.length === 1 ? leaders[0] : undefined;
}

/** K8tsResult is one run of the k8ts CLI. */
export interface K8tsResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * runK8ts runs the `k8ts` CLI as a user would, with everything under `home`: K8TS_HOME is
 * home/k8ts, HOME is home (the user kubeconfig ~/.kube/config lands there), no KUBECONFIG.
 */
export function runK8ts(home: string, ...args: string[]): Promise<K8tsResult> {
  return new Promise((resolve) => {
    const env = { ...process.env, K8TS_HOME: join(home, 'k8ts'), HOME: home, KUBECONFIG: '' };
    const child = spawn(process.execPath, ['bin/k8ts.js', ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** untilValue polls probe (a throw counts as "not yet") until it returns a value, or fails
 *  naming what it waited for after timeoutMs. */
export async function untilValue<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** httpGet fetches url's body as text (plain HTTP, 5 s timeout): pods seen from the host. */
export function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

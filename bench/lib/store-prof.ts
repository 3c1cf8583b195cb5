/**
 * Where a k8ts member spends its CPU: a summary of a V8 .cpuprofile (written by a member started
 * with `--cpu-prof`, see `npm run bench -- store --cpu-prof <dir>`), as self time per function and
 * per area (grpc-js, protobuf, raft, store, node internals, GC).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Areas, first match wins; a frame's url (file) decides. */
const AREAS: [string, (url: string, fn: string) => boolean][] = [
  ['idle', (_u, f) => f === '(idle)'],
  ['gc', (_u, f) => f === '(garbage collector)'],
  ['program (native, unattributed)', (_u, f) => f === '(program)'],
  ['grpc-js', (u) => u.includes('/@grpc/')],
  ['protobuf (bufbuild wire)', (u) => u.includes('/@bufbuild/')],
  ['generated codecs (src/gen)', (u) => u.includes('/src/gen/')],
  ['raft (src/raft)', (u) => u.includes('/src/raft/')],
  ['store (src/store)', (u) => u.includes('/src/store/')],
  ['rpc (src/rpc)', (u) => u.includes('/src/rpc/')],
  ['other k8ts', (u) => u.includes('/src/')],
  ['tsx/esbuild', (u) => u.includes('/tsx/') || u.includes('/esbuild')],
  ['node internals', (u) => u.startsWith('node:') || u === ''],
];

function areaOf(url: string, fn: string): string {
  for (const [name, test] of AREAS) if (test(url, fn)) return name;
  return 'other';
}

/** summarizeProfile returns the top self-time functions and the per-area split of one profile. */
export function summarizeProfile(file: string, top = 15): string {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  const byFn = new Map<string, number>();
  const byArea = new Map<string, number>();
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const area = areaOf(url, functionName);
    byArea.set(area, (byArea.get(area) ?? 0) + us);
    if (area === 'idle') continue;
    busyUs += us;
    const where = url ? `${url.replace(/^.*\/(node_modules|src)\//, '$1/')}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'} ${where}`.trim();
    byFn.set(key, (byFn.get(key) ?? 0) + us);
  }
  const pct = (us: number): string => `${((100 * us) / Math.max(1, busyUs)).toFixed(1).padStart(5)} %`;
  const lines = [`${file}: ${(busyUs / 1e6).toFixed(2)} s busy of ${((p.endTime - p.startTime) / 1e6).toFixed(1)} s profiled`];
  lines.push('  by area (share of busy time):');
  for (const [area, us] of [...byArea].filter(([a]) => a !== 'idle').sort((a, b) => b[1] - a[1])) lines.push(`    ${pct(us)}  ${area}`);
  lines.push(`  top ${top} functions by self time:`);
  for (const [fn, us] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`    ${pct(us)}  ${fn}`);
  return lines.join('\n');
}

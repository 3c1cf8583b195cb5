/**
 * statusTable renders `k8ts status`: one row per member, `down` for a member that does not answer.
 * CLIENT is where etcd clients connect; STATE is the store's revision and HashKV, equal on
 * members that applied the same log; API is the master's API server and whether /readyz answers;
 * CONTROLLERS and SCHEDULER say whether that master's controller manager and scheduler lead,
 * stand by, or are down.
 */
import type { MemberRow, NodeRow } from '../cluster/supervisor.js';

const HEADER = ['MEMBER', 'ID', 'PEER', 'CLIENT', 'ROLE', 'TERM', 'LEADER', 'COMMIT', 'APPLIED', 'STATE', 'API', 'CONTROLLERS', 'SCHEDULER'];

export function statusTable(rows: readonly MemberRow[]): string {
  const nameOf = new Map(rows.map((r) => [r.spec.id, r.spec.name]));
  const cells = rows.map(({ spec, status: s, api, elected }) => {
    const client = spec.client ?? spec.address;
    const apiCell = spec.api === undefined ? '-' : `${spec.api} ${api ?? 'down'}`;
    const tail = [apiCell, elected['controller-manager'] ?? '-', elected.scheduler ?? '-'];
    if (!s) return [spec.name, String(spec.id), spec.address, client, 'down', '-', '-', '-', '-', '-', ...tail];
    const leader = s.leader === 0 ? '-' : (nameOf.get(s.leader) ?? String(s.leader));
    return [spec.name, String(spec.id), spec.address, client, s.role, String(s.term), leader, String(s.commit), String(s.applied), s.stateDigest, ...tail];
  });
  return align([HEADER, ...cells]);
}

const NODE_HEADER = ['NODE', 'ROLE', 'ADDRESS', 'RUNTIME', 'POD-CIDR', 'KUBELET', 'RUNTIME-PID', 'PROXY', 'STATUS', 'PODS', 'VERSION'];

/**
 * nodesTable renders the nodes part of `k8ts status`: each node's processes (pid or down) and
 * what the API says of it — STATUS is the Ready condition as kubectl prints it (Ready, NotReady,
 * Unknown; "-" when the node never registered), PODS the pods bound to it.
 */
export function nodesTable(rows: readonly NodeRow[]): string {
  const cells = rows.map((r) => [
    r.spec.name, r.spec.role, `${r.spec.address}:${r.spec.kubeletPort}`, r.spec.runtime, r.spec.podCidr,
    r.kubeletPid === undefined ? 'down' : `pid ${r.kubeletPid}`,
    r.runtimePid === undefined ? 'down' : `pid ${r.runtimePid}`,
    r.proxyPid === 'none' ? '-' : r.proxyPid === undefined ? 'down' : `pid ${r.proxyPid}`,
    readyCell(r.ready), r.pods === undefined ? '-' : String(r.pods), r.kubeletVersion ?? '-',
  ]);
  return align([NODE_HEADER, ...cells]);
}

function readyCell(status: string | undefined): string {
  if (status === undefined) return '-';
  return status === 'True' ? 'Ready' : status === 'False' ? 'NotReady' : 'Unknown';
}

function align(all: string[][]): string {
  const widths = all[0]!.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  return all.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

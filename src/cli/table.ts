/**
 * statusTable renders `k8ts status`: one row per member, `down` for a member that does not answer.
 */
import type { MemberRow } from '../cluster/supervisor.js';

const HEADER = ['MEMBER', 'ID', 'ADDRESS', 'ROLE', 'TERM', 'LEADER', 'COMMIT', 'APPLIED', 'DIGEST'];

export function statusTable(rows: readonly MemberRow[]): string {
  const nameOf = new Map(rows.map((r) => [r.spec.id, r.spec.name]));
  const cells = rows.map(({ spec, status: s }) => {
    if (!s) return [spec.name, String(spec.id), spec.address, 'down', '-', '-', '-', '-', '-'];
    const leader = s.leader === 0 ? '-' : (nameOf.get(s.leader) ?? String(s.leader));
    return [spec.name, String(spec.id), spec.address, s.role, String(s.term), leader, String(s.commit), String(s.applied), s.stateDigest];
  });
  const all = [HEADER, ...cells];
  const widths = HEADER.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  return all.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

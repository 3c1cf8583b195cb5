/**
 * runtimeFactsOf: the CRI Version and Status answers reduced to what node status needs, with
 * upstream's NotReady messages ("container runtime network not ready: NetworkReady=false
 * reason:... message:..."). Pure.
 */
import type { StatusResponse, VersionResponse } from '../../gen/cri/runtime/v1/api.js';
import type { RuntimeFacts } from './node-object.js';

/** runtimeFactsOf combines the two answers. */
export function runtimeFactsOf(v: VersionResponse, s: StatusResponse): RuntimeFacts {
  const conditions = s.status?.conditions ?? [];
  const problems: string[] = [];
  for (const [type, what] of [['RuntimeReady', 'container runtime not ready'],
    ['NetworkReady', 'container runtime network not ready']] as const) {
    const c = conditions.find((x) => x.type === type);
    if (c === undefined) problems.push(`${what}: ${type} is missing`);
    else if (!c.status) {
      problems.push(`${what}: ${type}=false reason:${c.reason} message:${c.message}`);
    }
  }
  return { name: v.runtimeName, version: v.runtimeVersion, ready: problems.length === 0,
    message: problems.join(', ') };
}

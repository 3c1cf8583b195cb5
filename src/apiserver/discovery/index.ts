/**
 * Discovery documents for /api, /apis, /apis/<g>, /api/v1 and /apis/<g>/<v>, each rendered from
 * the resource table with the Content-Type the client's Accept header asked for (§2). Pure: the
 * HTTP layer writes `body` with `contentType` verbatim.
 */
import { aggregatedList } from './aggregated.js';
import { apiGroup, apiGroupList, apiResourceList, apiVersions } from './legacy.js';
import { CONTENT_TYPES, discoveryVariant } from './negotiate.js';

export { CONTENT_TYPES, discoveryVariant, type DiscoveryVariant } from './negotiate.js';
export { aggregatedList } from './aggregated.js';
export { apiGroup, apiGroupList, apiResourceList, apiVersions } from './legacy.js';

/** Rendered is a document and the exact Content-Type to send it with. */
export interface Rendered {
  contentType: string;
  body: unknown;
}

/** discoveryCore answers GET /api; serverAddress ("host:port") fills the legacy CIDR list. */
export function discoveryCore(accept: string | undefined, serverAddress: string): Rendered {
  const v = discoveryVariant(accept);
  if (v === 'legacy') {
    return { contentType: CONTENT_TYPES.legacy, body: apiVersions(serverAddress) };
  }
  return { contentType: CONTENT_TYPES[v], body: aggregatedList(v, true) };
}

/** discoveryGroups answers GET /apis. */
export function discoveryGroups(accept: string | undefined): Rendered {
  const v = discoveryVariant(accept);
  if (v === 'legacy') return { contentType: CONTENT_TYPES.legacy, body: apiGroupList() };
  return { contentType: CONTENT_TYPES[v], body: aggregatedList(v, false) };
}

/** discoveryGroup answers GET /apis/<group>; undefined (404) for groups not served. */
export function discoveryGroup(group: string): Rendered | undefined {
  const g = apiGroup(group);
  return g && { contentType: CONTENT_TYPES.legacy, body: g };
}

/** discoveryResources answers GET /api/v1 (group "") and /apis/<g>/<v>; undefined when unknown. */
export function discoveryResources(group: string, version: string): Rendered | undefined {
  const list = apiResourceList(group, version);
  return list && { contentType: CONTENT_TYPES.legacy, body: list };
}

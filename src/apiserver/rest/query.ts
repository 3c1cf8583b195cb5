/**
 * Query parameters as kube-apiserver reads them: booleans as Go's strconv.ParseBool, integers
 * with a 400 when malformed, and the selector/resourceVersion parameters lists and watches share.
 */
import { badRequest } from '../../api/errors.js';

/** isTrue reads boolean query parameters as Go's strconv.ParseBool does. */
export function isTrue(v: string | null): boolean {
  return v === 'true' || v === '1' || v === 'True' || v === 'TRUE' || v === 't' || v === 'T';
}

/** intParam reads an optional integer query parameter (400 when malformed). */
export function intParam(url: URL, name: string): number | undefined {
  const v = url.searchParams.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw badRequest(`invalid value for ${name}: ${JSON.stringify(v)}: must be an integer`);
  return Number(v);
}

/** stringParams picks the named parameters that are present and non-empty. */
export function stringParams<K extends string>(url: URL, names: readonly K[]): { [P in K]?: string } {
  const out: { [P in K]?: string } = {};
  for (const n of names) {
    const v = url.searchParams.get(n);
    if (v !== null && v !== '') out[n] = v;
  }
  return out;
}

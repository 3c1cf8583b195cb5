/**
 * The manager a write names in managedFields when its request names none: kube-apiserver's
 * prefixFromUserAgent (endpoints/handlers/create.go, managerOrUserAgent), the User-Agent up to
 * its first '/', without unprintable characters, at most 128 bytes (FieldManagerMaxLength). So
 * "kubelet/v1.32.0+k8ts (linux/amd64) k8ts" is "kubelet". A request without a User-Agent gets
 * the empty manager, as upstream: not a made-up name, and not whoever wrote the object last.
 */

/** FIELD_MANAGER_MAX_BYTES is upstream's validation.FieldManagerMaxLength. */
export const FIELD_MANAGER_MAX_BYTES = 128;

/** Printable ASCII, the common case, taken as it is (one byte per character). */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
/** Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/**
 * managerOfUserAgent is upstream's prefixFromUserAgent. userAgent is the header as node's HTTP
 * stacks hand it over (each byte one latin1 character); a non-ASCII prefix is read back as
 * UTF-8 first, since Go ranges over the header's bytes as UTF-8 (an invalid byte is U+FFFD,
 * which is printable).
 */
export function managerOfUserAgent(userAgent: string | undefined): string {
  if (userAgent === undefined) return '';
  const slash = userAgent.indexOf('/');
  const prefix = slash < 0 ? userAgent : userAgent.slice(0, slash);
  if (prefix.length <= FIELD_MANAGER_MAX_BYTES && PRINTABLE_ASCII.test(prefix)) return prefix;
  let out = '';
  let bytes = 0;
  for (const ch of Buffer.from(prefix, 'latin1').toString('utf8')) {
    if (!PRINTABLE.test(ch)) continue;
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > FIELD_MANAGER_MAX_BYTES) break;
    out += ch;
    bytes += n;
  }
  return out;
}

/**
 * A pod's DNS configuration (upstream's dns.Configurer.GetPodDNS), always handed to the runtime:
 * the host's resolv.conf names a server outside this machine, which pods must never use.
 * ClusterFirst (and ClusterFirstWithHostNet) → the cluster DNS servers and the search path
 * <ns>.svc.<domain> svc.<domain> <domain>, ndots:5; ClusterFirst with hostNetwork falls back to
 * Default; Default → the cluster DNS servers without the cluster search path (k8ts never hands
 * pods the host's resolver); None → only the pod's dnsConfig. The pod's dnsConfig is then
 * merged in (servers and searches appended, options by name). Pure.
 */
import type { Pod } from '../../api/core/v1/pod-types.js';
import type { PreparedDnsConfig } from '../pod/types.js';

/** MAX_SEARCHES and MAX_SERVERS: upstream's limits (validation also enforces them). */
const MAX_SEARCHES = 32;
const MAX_SERVERS = 3;

/** podDnsConfig computes the CRI DNSConfig of pod. */
export function podDnsConfig(pod: Pod, clusterDns: readonly string[],
  clusterDomain: string): PreparedDnsConfig {
  const spec = pod.spec;
  const ns = pod.metadata.namespace ?? 'default';
  let policy = spec?.dnsPolicy ?? 'ClusterFirst';
  if (policy === 'ClusterFirst' && spec?.hostNetwork === true) policy = 'Default';
  let servers: string[] = [];
  let searches: string[] = [];
  const options = new Map<string, string | undefined>();
  if (policy === 'ClusterFirst' || policy === 'ClusterFirstWithHostNet') {
    servers = [...clusterDns];
    searches = [`${ns}.svc.${clusterDomain}`, `svc.${clusterDomain}`, clusterDomain];
    options.set('ndots', '5');
  } else if (policy === 'Default') {
    servers = [...clusterDns];
  }
  const extra = spec?.dnsConfig;
  for (const s of extra?.nameservers ?? []) if (!servers.includes(s)) servers.push(s);
  for (const s of extra?.searches ?? []) if (!searches.includes(s)) searches.push(s);
  for (const o of extra?.options ?? []) options.set(o.name, o.value);
  return {
    servers: servers.slice(0, MAX_SERVERS),
    searches: searches.slice(0, MAX_SEARCHES),
    options: [...options].map(([k, v]) => (v === undefined ? k : `${k}:${v}`)),
  };
}

/** podHostname: spec.hostname, else the pod's name cut to a DNS label (63 characters). */
export function podHostname(pod: Pod): string {
  const h = pod.spec?.hostname ?? pod.metadata.name ?? '';
  return h.slice(0, 63).replace(/[-.]+$/, '');
}

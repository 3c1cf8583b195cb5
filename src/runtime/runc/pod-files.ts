/**
 * The three files every container of a pod shares: /etc/hosts, /etc/hostname and
 * /etc/resolv.conf. Pure text builders; the sandbox shell writes them under the pod's state
 * directory and the spec bind-mounts them read-only. A kubelet-managed /etc/hosts passed as a
 * CRI mount replaces ours (the spec lets later mounts win by path).
 */

/** DnsConfigView mirrors CRI DNSConfig. */
export interface DnsConfigView {
  servers: string[];
  searches: string[];
  options: string[];
}

/** hostsFile names localhost and the pod itself, as containerd's default hosts file does. */
export function hostsFile(hostname: string, podIp: string): string {
  return [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
    `${podIp}\t${hostname}`,
    '',
  ].join('\n');
}

/** hostnameFile is the hostname and a newline. */
export function hostnameFile(hostname: string): string {
  return `${hostname}\n`;
}

/**
 * resolvConfFile renders the CRI DNS config. Without servers the pod gets no nameserver line at
 * all: the host's resolv.conf names an outside server, which pods must never be pointed at.
 */
export function resolvConfFile(dns: DnsConfigView): string {
  const lines: string[] = [];
  if (dns.searches.length > 0) lines.push(`search ${dns.searches.join(' ')}`);
  for (const server of dns.servers) lines.push(`nameserver ${server}`);
  if (dns.options.length > 0) lines.push(`options ${dns.options.join(' ')}`);
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** podHostname is the CRI hostname, or the sandbox name when empty, cut to 63 bytes (UTS). */
export function podHostname(hostname: string, sandboxName: string): string {
  return (hostname || sandboxName).slice(0, 63);
}

/**
 * isLoopbackIp: an IPv4 address in 127.0.0.0/8. k8ts binds and targets only loopback (and
 * addresses inside namespaces it creates), so configs and the proxy check addresses with this.
 */
export function isLoopbackIp(ip: string): boolean {
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  return m !== null && m.slice(1).every((o) => Number(o) <= 255);
}

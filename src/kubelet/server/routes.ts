/**
 * The kubelet server's paths, pure: a method and URL become what to do. Paths are upstream's
 * (/containerLogs/{ns}/{pod}/{container}, /exec|/attach/{ns}/{pod}[/{uid}]/{container},
 * /portForward/{ns}/{pod}[/{uid}]), so the API server builds the URLs kube-apiserver would.
 */
export type KubeletRoute =
  | { kind: 'healthz' }
  | { kind: 'pods' }
  | { kind: 'logs'; namespace: string; pod: string; container: string }
  | { kind: 'exec' | 'attach'; namespace: string; pod: string; container: string }
  | { kind: 'portForward'; namespace: string; pod: string }
  | { kind: 'not-found' }
  | { kind: 'method-not-allowed' };

/** kubeletRoute parses one request line. */
export function kubeletRoute(method: string, pathname: string): KubeletRoute {
  let parts: string[];
  try {
    parts = pathname.split('/').filter((p) => p !== '').map(decodeURIComponent);
  } catch {
    return { kind: 'not-found' };
  }
  const [head, ns = '', pod = '', ...rest] = parts;
  const reading = method === 'GET' || method === 'HEAD';
  const streaming = method === 'GET' || method === 'POST';
  if (head === 'healthz' && parts.length === 1) return reading ? { kind: 'healthz' } : notAllowed();
  if (head === 'pods' && parts.length === 1) return reading ? { kind: 'pods' } : notAllowed();
  if (head === 'containerLogs' && rest.length === 1 && ns && pod) {
    return reading ? { kind: 'logs', namespace: ns, pod, container: rest[0] ?? '' } : notAllowed();
  }
  const containerPath = rest.length === 1 || rest.length === 2;
  if ((head === 'exec' || head === 'attach') && containerPath && ns && pod) {
    const container = rest[rest.length - 1] ?? '';
    return streaming ? { kind: head, namespace: ns, pod, container } : notAllowed();
  }
  if (head === 'portForward' && rest.length <= 1 && ns && pod) {
    return streaming ? { kind: 'portForward', namespace: ns, pod } : notAllowed();
  }
  return { kind: 'not-found' };
}

function notAllowed(): KubeletRoute {
  return { kind: 'method-not-allowed' };
}

/**
 * The paths anyone may read without credentials: kube-apiserver's default RBAC binds the
 * ClusterRole system:public-info-viewer (GET /healthz, /livez, /readyz, /version, /version/) to
 * system:authenticated and system:unauthenticated, so load balancers, `curl -k .../readyz` and
 * the kubelet's HTTPS readiness probe of a kubeadm API server pod get an answer without a
 * client certificate. Only the exact paths: a single check (/readyz/etcd) needs credentials,
 * as upstream's nonResourceURLs match whole paths.
 */

const PUBLIC_INFO_PATHS = new Set(['/healthz', '/livez', '/readyz', '/version', '/version/']);

/** isPublicInfo: may an anonymous caller make this request? Pure. */
export function isPublicInfo(method: string, pathname: string): boolean {
  return (method === 'GET' || method === 'HEAD') && PUBLIC_INFO_PATHS.has(pathname);
}

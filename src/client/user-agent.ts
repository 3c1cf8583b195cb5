/**
 * The User-Agent a k8ts component's API client sends, shaped as client-go's
 * DefaultKubernetesUserAgent ("kubelet/v1.32.0 (linux/amd64) kubernetes/<commit>"). The API
 * server names the manager of a write without a fieldManager after the part before the first
 * '/' (apiserver/registry/manager-name.ts), so the kubelet's status writes show as "kubelet" in
 * managedFields, the scheduler's as "kube-scheduler", exactly as on a kubeadm cluster.
 */

/** The parts of the /version document (apiserver/discovery/version.ts) a user agent shows. */
export interface UserAgentVersion {
  gitVersion: string;
  platform: string;
}

/** componentUserAgent is `<component>/<gitVersion> (<platform>) k8ts`. */
export function componentUserAgent(component: string, v: UserAgentVersion): string {
  return `${component}/${v.gitVersion} (${v.platform}) k8ts`;
}

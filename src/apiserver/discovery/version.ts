/**
 * The /version document. kubectl prints gitVersion, and the gcloud kubectl dispatcher on this
 * machine picks its kubectl.1.XX build from `minor` alone (verified: a gitVersion suffix does not
 * disturb it; minor "32" runs kubectl 1.32, "27" runs 1.27). k8ts serves the API of
 * Kubernetes 1.32, so minor is "32"; the "+k8ts" build-metadata suffix says what answers without
 * changing how semver compares the version (k3s does the same).
 */

/** VersionInfo is the /version body (k8s.io/apimachinery version.Info). */
export interface VersionInfo {
  major: string;
  minor: string;
  gitVersion: string;
  gitCommit: string;
  gitTreeState: string;
  buildDate: string;
  goVersion: string;
  compiler: string;
  platform: string;
}

/** KUBERNETES_MINOR is the Kubernetes minor version whose API k8ts serves. */
export const KUBERNETES_MINOR = 32;

const ARCH: Readonly<Record<string, string>> = { x64: 'amd64', arm64: 'arm64', ia32: '386' };

/**
 * versionInfo renders /version; `overrides` lets the server report its real build commit and
 * date when it knows them.
 */
export function versionInfo(overrides: Partial<VersionInfo> = {}): VersionInfo {
  return {
    major: '1',
    minor: String(KUBERNETES_MINOR),
    gitVersion: `v1.${KUBERNETES_MINOR}.0+k8ts`,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '1970-01-01T00:00:00Z',
    // Not Go: the runtime that serves the API, so bug reports name it.
    goVersion: `node${process.versions.node}`,
    compiler: 'tsx',
    platform: `${process.platform}/${ARCH[process.arch] ?? process.arch}`,
    ...overrides,
  };
}

/**
 * The subset of the OCI runtime spec (config.json, spec 1.0.2) the runc runtime writes. Typed
 * here so the generator is checked field by field instead of emitting free-form JSON.
 */

/** OciMount is one entry of spec.mounts. */
export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options?: string[];
}

/** OciUser is spec.process.user: numeric ids only (names are resolved before). */
export interface OciUser {
  uid: number;
  gid: number;
  additionalGids?: number[];
}

/** OciCapabilities holds the five capability sets; k8ts sets all of them alike, as Docker. */
export interface OciCapabilities {
  bounding: string[];
  effective: string[];
  permitted: string[];
  inheritable: string[];
  ambient: string[];
}

/** OciProcess is spec.process (also the body of `runc exec --process`). */
export interface OciProcess {
  terminal: boolean;
  user: OciUser;
  args: string[];
  env: string[];
  cwd: string;
  capabilities: OciCapabilities;
  noNewPrivileges: boolean;
  oomScoreAdj?: number;
  consoleSize?: { height: number; width: number };
}

/** OciResources is spec.linux.resources: what `runc update` also accepts (as JSON). */
export interface OciResources {
  memory?: { limit?: number; swap?: number };
  cpu?: { shares?: number; quota?: number; period?: number; cpus?: string; mems?: string };
  pids?: { limit: number };
  devices?: { allow: boolean; access?: string; type?: string; major?: number; minor?: number }[];
}

/** OciNamespace is one entry of spec.linux.namespaces; path joins an existing one. */
export interface OciNamespace {
  type: 'pid' | 'network' | 'ipc' | 'uts' | 'mount' | 'cgroup' | 'user';
  path?: string;
}

/** OciSpec is the whole config.json. */
export interface OciSpec {
  ociVersion: string;
  process: OciProcess;
  root: { path: string; readonly: boolean };
  hostname: string;
  mounts: OciMount[];
  linux: {
    namespaces: OciNamespace[];
    cgroupsPath: string;
    resources: OciResources;
    maskedPaths: string[];
    readonlyPaths: string[];
    sysctl?: Record<string, string>;
  };
  annotations?: Record<string, string>;
}

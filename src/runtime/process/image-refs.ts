/**
 * Image references and the process runtime's catalogue of what an image name means on this host.
 * The process runtime has no image filesystems (a root filesystem needs chroot, which needs
 * root), so an "image" here only names an entrypoint: a host binary plus default args and env.
 * Pure: the host paths it needs (where busybox lives, the applet directory) are passed in.
 */
import type { ImageProcessConfig } from './argv.js';
import { DEFAULT_PATH } from './argv.js';

/**
 * normalizeImageRef spells a reference as the kubelet and containerd do: "busybox" →
 * "docker.io/library/busybox:latest"; "host/usr/bin/env" keeps its own spelling (the tag, if any,
 * is dropped: a host binary has one version). A digest reference keeps its digest.
 */
export function normalizeImageRef(ref: string): string {
  const trimmed = ref.trim();
  if (isHostRef(trimmed)) return `host${hostPathOf(trimmed)}`;
  const slash = trimmed.indexOf('/');
  const first = slash < 0 ? '' : trimmed.slice(0, slash);
  const hasDomain = first.includes('.') || first.includes(':') || first === 'localhost';
  let name = hasDomain ? trimmed : `docker.io/${trimmed}`;
  if (!hasDomain && slash < 0) name = `docker.io/library/${trimmed}`;
  if (name.includes('@')) return name;
  const lastPart = name.slice(name.lastIndexOf('/') + 1);
  return lastPart.includes(':') ? name : `${name}:latest`;
}

/** isHostRef tells whether ref names a host binary: host/<abs path>, also as docker.io/host/... */
export function isHostRef(ref: string): boolean {
  return ref.startsWith('host/') || ref.startsWith('docker.io/host/');
}

/** hostPathOf returns the absolute host path a host/ reference names, without any tag. */
export function hostPathOf(ref: string): string {
  const rest = ref.startsWith('docker.io/') ? ref.slice('docker.io/host'.length) : ref.slice(4);
  const path = `/${rest.replace(/^\/+/, '')}`;
  const lastSlash = path.lastIndexOf('/');
  const colon = path.indexOf(':', lastSlash);
  return colon < 0 ? path : path.slice(0, colon);
}

/** repoOf strips the tag or digest ("docker.io/library/busybox:1.36" → ".../busybox"). */
export function repoOf(normalized: string): string {
  const at = normalized.indexOf('@');
  if (at >= 0) return normalized.slice(0, at);
  const lastSlash = normalized.lastIndexOf('/');
  const colon = normalized.indexOf(':', lastSlash);
  return colon < 0 ? normalized : normalized.slice(0, colon);
}

/** HostTools are the host paths the catalogue entries point at. */
export interface HostTools {
  /** The host's busybox binary, undefined when it is not installed. */
  busyboxPath: string | undefined;
  /** A directory of busybox applet links (sh, httpd, sleep, ...) that busybox images put first
   *  on PATH, so `sh` in a busybox container is busybox's sh, as in the real image. */
  appletDir: string;
}

/** CatalogueEntry is what an image name resolves to. */
export type CatalogueEntry =
  | { kind: 'supported'; config: ImageProcessConfig; binaryPath: string }
  | { kind: 'unsupported'; message: string };

const BUSYBOX_REPOS = new Set(['docker.io/library/busybox']);
const PAUSE_REPOS = new Set(['registry.k8s.io/pause', 'k8s.gcr.io/pause', 'docker.io/k8ts/pause']);
const NGINX_REPOS = new Set(['docker.io/library/nginx']);

/**
 * lookupImage resolves a normalized reference, or returns undefined for an image this runtime
 * does not know. nginx is known but refused with a message that names the runc runtime: its
 * server listens on port 80, and binding a port below 1024 needs root.
 */
export function lookupImage(normalized: string, tools: HostTools): CatalogueEntry | undefined {
  if (normalized.startsWith('host/')) {
    const path = normalized.slice(4);
    return {
      kind: 'supported', binaryPath: path,
      config: { entrypoint: [path], cmd: [], env: [`PATH=${DEFAULT_PATH}`], workingDir: '' },
    };
  }
  const repo = repoOf(normalized);
  if (NGINX_REPOS.has(repo)) {
    return {
      kind: 'unsupported',
      message: `image "${normalized}" is not supported by the process runtime: nginx listens on ` +
        'port 80, and ports below 1024 need root; run this pod on a node with the runc runtime',
    };
  }
  if (!BUSYBOX_REPOS.has(repo) && !PAUSE_REPOS.has(repo)) return undefined;
  if (tools.busyboxPath === undefined) {
    return {
      kind: 'unsupported',
      message: `image "${normalized}" needs the host's busybox, which is not installed ` +
        '(Debian package busybox)',
    };
  }
  const env = [`PATH=${tools.appletDir}:${DEFAULT_PATH}`];
  const config: ImageProcessConfig = PAUSE_REPOS.has(repo)
    ? { entrypoint: [tools.busyboxPath, 'sleep', 'infinity'], cmd: [], env, workingDir: '' }
    : { entrypoint: [], cmd: ['sh'], env, workingDir: '' };
  return { kind: 'supported', config, binaryPath: tools.busyboxPath };
}

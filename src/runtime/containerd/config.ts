/**
 * Pure renderers of everything a k8ts-managed containerd reads: the file layout under the node's
 * state directory, containerd's config.toml (the verified recipe of container-runtimes.md §2.1)
 * and the CNI conflist of the node's pod network. No I/O here, so every setting is unit-tested.
 *
 * Why each non-default setting is there:
 *  - root, state, sockets, runc root and netns mounts all live under the state dir, so two nodes
 *    on one host never share state and stop() can clean everything up (pitfall P5);
 *  - restrict_oom_score_adj: root here lacks CAP_SYS_RESOURCE, so the sandbox's -998 fails (P1);
 *  - SystemdCgroup = false: no systemd on this host, cgroupfs only;
 *  - cni bin_dir /usr/lib/cni: Debian's path; without it NetworkReady stays false (P6);
 *  - the streaming server on 127.0.0.1 with an ephemeral port: loopback only (network rule).
 */
import { join } from 'node:path';
import { assert } from '../../base/assert.js';

/** Where one containerd instance keeps its files, all under one state directory. */
export interface ContainerdPaths {
  dir: string;
  configFile: string;
  logFile: string;
  pidFile: string;
  root: string;
  state: string;
  socket: string;
  ttrpcSocket: string;
  debugSocket: string;
  opt: string;
  runcRoot: string;
  cniConfDir: string;
  cniIpamDir: string;
  certsDir: string;
}

/** Unix socket paths must fit sun_path (108 bytes with the NUL); keep a margin. */
export const MAX_SOCKET_PATH_BYTES = 100;

/** containerdPaths lays out one instance under dir (absolute). */
export function containerdPaths(dir: string): ContainerdPaths {
  assert(dir.startsWith('/'), `containerd state dir must be absolute, got ${dir}`);
  const p: ContainerdPaths = {
    dir,
    configFile: join(dir, 'config.toml'),
    logFile: join(dir, 'containerd.log'),
    pidFile: join(dir, 'containerd.pid'),
    root: join(dir, 'root'),
    state: join(dir, 'state'),
    socket: join(dir, 'containerd.sock'),
    ttrpcSocket: join(dir, 'containerd.sock.ttrpc'),
    debugSocket: join(dir, 'debug.sock'),
    opt: join(dir, 'opt'),
    runcRoot: join(dir, 'runc'),
    cniConfDir: join(dir, 'cni', 'net.d'),
    cniIpamDir: join(dir, 'cni', 'ipam'),
    certsDir: join(dir, 'certs.d'),
  };
  const longest = Buffer.byteLength(p.ttrpcSocket);
  assert(longest <= MAX_SOCKET_PATH_BYTES, `containerd state dir too long for sockets: ${dir}`);
  return p;
}

/** What config.toml needs besides the paths. */
export interface ContainerdConfigInput {
  paths: ContainerdPaths;
  /** The pause image reference, imported locally before any sandbox runs. */
  sandboxImage: string;
  cniBinDir: string;
  runcBinary: string;
  /** containerd's log level (info keeps the log small; debug explains failures). */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

/** Plugins this host cannot use or k8ts does not want (no aufs/btrfs/zfs, no tracing). */
const DISABLED_PLUGINS = [
  'io.containerd.snapshotter.v1.aufs',
  'io.containerd.snapshotter.v1.btrfs',
  'io.containerd.snapshotter.v1.zfs',
  'io.containerd.snapshotter.v1.devmapper',
  'io.containerd.tracing.processor.v1.otlp',
  'io.containerd.internal.v1.tracing',
];

/** tomlString quotes s as a TOML basic string (JSON's escapes are valid TOML escapes). */
export function tomlString(s: string): string {
  return JSON.stringify(s);
}

/** renderContainerdConfig is config.toml (version 2) for one instance. */
export function renderContainerdConfig(c: ContainerdConfigInput): string {
  const q = tomlString;
  const p = c.paths;
  const cri = '[plugins."io.containerd.grpc.v1.cri"';
  return [
    '# Written by k8ts (src/runtime/containerd/config.ts); rewritten on every start.',
    'version = 2',
    `root = ${q(p.root)}`,
    `state = ${q(p.state)}`,
    `disabled_plugins = [${DISABLED_PLUGINS.map(q).join(', ')}]`,
    '[grpc]',
    `  address = ${q(p.socket)}`,
    '[ttrpc]',
    `  address = ${q(p.ttrpcSocket)}`,
    '[debug]',
    `  address = ${q(p.debugSocket)}`,
    `  level = ${q(c.logLevel ?? 'info')}`,
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = ${q(p.opt)}`,
    `${cri}]`,
    `  sandbox_image = ${q(c.sandboxImage)}`,
    '  enable_selinux = false',
    '  netns_mounts_under_state_dir = true',
    '  disable_apparmor = true',
    '  restrict_oom_score_adj = true',
    '  max_container_log_line_size = 16384',
    '  stream_server_address = "127.0.0.1"',
    '  stream_server_port = "0"',
    `  ${cri}.containerd]`,
    '    snapshotter = "overlayfs"',
    '    default_runtime_name = "runc"',
    `    ${cri}.containerd.runtimes.runc]`,
    '      runtime_type = "io.containerd.runc.v2"',
    `      ${cri}.containerd.runtimes.runc.options]`,
    `        BinaryName = ${q(c.runcBinary)}`,
    `        Root = ${q(p.runcRoot)}`,
    '        SystemdCgroup = false',
    `  ${cri}.cni]`,
    `    bin_dir = ${q(c.cniBinDir)}`,
    `    conf_dir = ${q(p.cniConfDir)}`,
    '    max_conf_num = 1',
    `  ${cri}.registry]`,
    `    config_path = ${q(p.certsDir)}`,
    '',
  ].join('\n');
}

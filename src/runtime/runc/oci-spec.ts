/**
 * OCI runtime spec generation, pure: CRI container config + image config + pod facts → the
 * config.json runc runs. It follows containerd's CRI defaults rather than `runc spec`'s (P10):
 * writable root, Docker's default capabilities, no rlimits (P2: raising RLIMIT_NOFILE needs
 * CAP_SYS_RESOURCE, which root lacks here) and never a negative oom_score_adj (P1).
 */
import type { OciMount, OciProcess, OciResources, OciSpec, OciUser } from './oci-types.js';

/** The capabilities Docker and containerd give a non-privileged container. */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/** PATH a container gets when neither the image nor the pod sets one (Docker's default). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Paths hidden from non-privileged containers (kernel interfaces that leak host state). */
const MASKED_PATHS = [
  '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats',
  '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi',
  '/sys/firmware', '/sys/devices/virtual/powercap',
];

/** Paths made read-only for non-privileged containers. */
const READONLY_PATHS = [
  '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger',
];

/** ImageConfigView is the part of an OCI image config a container inherits. */
export interface ImageConfigView {
  entrypoint: string[];
  cmd: string[];
  env: string[];
  workingDir: string;
}

/** BindMountView is one CRI Mount, already validated (absolute paths). */
export interface BindMountView {
  containerPath: string;
  hostPath: string;
  readonly: boolean;
  /** 'private' (default), 'rslave' or 'rshared', from CRI MountPropagation. */
  propagation: 'private' | 'rslave' | 'rshared';
}

/** ResourcesView mirrors CRI LinuxContainerResources; 0 means "not set", as on the wire. */
export interface ResourcesView {
  cpuPeriod: number;
  cpuQuota: number;
  cpuShares: number;
  memoryLimitBytes: number;
  oomScoreAdj: number;
  cpusetCpus: string;
  cpusetMems: string;
}

/** ContainerSpecInput is everything the generator needs, resolved by the shell beforehand. */
export interface ContainerSpecInput {
  command: string[];
  args: string[];
  envs: { key: string; value: string }[];
  workingDir: string;
  tty: boolean;
  image: ImageConfigView;
  user: OciUser;
  hostname: string;
  netnsPath: string;
  cgroupsPath: string;
  /** The pod's /etc/hosts, /etc/hostname, /etc/resolv.conf on the host. */
  podFiles: { hosts: string; hostname: string; resolvConf: string };
  mounts: BindMountView[];
  resources: ResourcesView;
  privileged: boolean;
  addCapabilities: string[];
  dropCapabilities: string[];
  readonlyRootfs: boolean;
  /** The runtime's own oom_score_adj: the floor, since lowering needs CAP_SYS_RESOURCE. */
  minOomScoreAdj: number;
  /** Whether memory.memsw exists (swap accounting); then swap is capped at the limit. */
  swapAccounting: boolean;
  annotations: Record<string, string>;
  /** The pod's sysctls; runc sets them inside the container's (and so the pod's) namespaces. */
  sysctls: Record<string, string>;
}

/** processArgs merges CRI command/args with the image's Entrypoint/Cmd as Docker does. */
export function processArgs(command: string[], args: string[], image: ImageConfigView): string[] {
  let cmd = command;
  let rest = args;
  if (cmd.length === 0) {
    if (rest.length === 0) rest = image.cmd;
    cmd = image.entrypoint;
  }
  const all = [...cmd, ...rest];
  if (all.length === 0) throw new Error('no command specified');
  return all;
}

/** mergeEnv overlays CRI envs on the image's Env (CRI wins per key) and ensures PATH. */
export function mergeEnv(imageEnv: string[], envs: { key: string; value: string }[]): string[] {
  const merged = new Map<string, string>();
  for (const entry of imageEnv) {
    const eq = entry.indexOf('=');
    merged.set(eq < 0 ? entry : entry.slice(0, eq), eq < 0 ? '' : entry.slice(eq + 1));
  }
  for (const { key, value } of envs) merged.set(key, value);
  if (!merged.has('PATH')) merged.set('PATH', DEFAULT_PATH);
  return [...merged].map(([k, v]) => `${k}=${v}`);
}

/** capabilitySet applies CRI add/drop to the default set ("ALL" supported, names with CAP_). */
export function capabilitySet(privileged: boolean, add: string[], drop: string[]): string[] {
  const norm = (c: string): string => (c.toUpperCase().startsWith('CAP_') ? c : `CAP_${c}`)
    .toUpperCase();
  if (privileged || add.some((c) => c.toUpperCase() === 'ALL')) return allCapabilities();
  if (drop.some((c) => c.toUpperCase() === 'ALL')) return add.map(norm);
  const dropped = new Set(drop.map(norm));
  const caps = new Set(DEFAULT_CAPABILITIES.filter((c) => !dropped.has(c)));
  for (const c of add) caps.add(norm(c));
  return [...caps];
}

/** allCapabilities lists the capabilities of a privileged container (those root has here). */
function allCapabilities(): string[] {
  return [...DEFAULT_CAPABILITIES, 'CAP_DAC_READ_SEARCH', 'CAP_LINUX_IMMUTABLE',
    'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE',
    'CAP_SYS_RAWIO', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT',
    'CAP_SYS_NICE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_LEASE', 'CAP_AUDIT_CONTROL',
    'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND',
    'CAP_AUDIT_READ'];
}

/** ociResources maps CRI resources to spec.linux.resources (cgroup v1 semantics). */
export function ociResources(r: ResourcesView, swapAccounting: boolean): OciResources {
  const out: OciResources = { devices: [{ allow: false, access: 'rwm' }] };
  if (r.memoryLimitBytes > 0) {
    out.memory = { limit: r.memoryLimitBytes };
    // Equal swap and memory limits: the container cannot escape its limit by swapping.
    if (swapAccounting) out.memory.swap = r.memoryLimitBytes;
  }
  const cpu: NonNullable<OciResources['cpu']> = {};
  if (r.cpuShares > 0) cpu.shares = r.cpuShares;
  if (r.cpuQuota > 0) cpu.quota = r.cpuQuota;
  if (r.cpuPeriod > 0) cpu.period = r.cpuPeriod;
  if (r.cpusetCpus !== '') cpu.cpus = r.cpusetCpus;
  if (r.cpusetMems !== '') cpu.mems = r.cpusetMems;
  if (Object.keys(cpu).length > 0) out.cpu = cpu;
  return out;
}

/** defaultMounts are the kernel filesystems every container gets (containerd's defaults). */
export function defaultMounts(): OciMount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs',
      options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm',
      options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue',
      options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs',
      options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup',
      options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
  ];
}

/** bindMount renders one CRI mount; a CRI mount over a default one replaces it. */
export function bindMount(m: BindMountView): OciMount {
  return {
    destination: m.containerPath,
    type: 'bind',
    source: m.hostPath,
    options: ['rbind', m.propagation, m.readonly ? 'ro' : 'rw'],
  };
}

/** containerMounts: defaults, then the pod files, then CRI mounts (later ones win by path). */
export function containerMounts(input: ContainerSpecInput): OciMount[] {
  const pod: BindMountView[] = [
    { containerPath: '/etc/hosts', hostPath: input.podFiles.hosts },
    { containerPath: '/etc/hostname', hostPath: input.podFiles.hostname },
    { containerPath: '/etc/resolv.conf', hostPath: input.podFiles.resolvConf },
  ].map((m) => ({ ...m, readonly: true, propagation: 'private' as const }));
  const byPath = new Map<string, OciMount>();
  for (const m of defaultMounts()) byPath.set(m.destination, m);
  for (const m of [...pod, ...input.mounts]) byPath.set(m.containerPath, bindMount(m));
  return [...byPath.values()];
}

/** containerProcess builds spec.process. */
export function containerProcess(input: ContainerSpecInput): OciProcess {
  const caps = capabilitySet(input.privileged, input.addCapabilities, input.dropCapabilities);
  const env = mergeEnv(input.image.env, input.envs);
  if (input.tty && !env.some((e) => e.startsWith('TERM='))) env.push('TERM=xterm');
  const process: OciProcess = {
    terminal: input.tty,
    user: input.user,
    args: processArgs(input.command, input.args, input.image),
    env,
    cwd: input.workingDir || input.image.workingDir || '/',
    capabilities: {
      bounding: caps, effective: caps, permitted: caps, inheritable: [], ambient: [],
    },
    noNewPrivileges: false,
  };
  const oom = Math.max(input.resources.oomScoreAdj, input.minOomScoreAdj);
  if (oom !== 0) process.oomScoreAdj = oom;
  return process;
}

/** containerSpec generates the whole config.json for one container. */
export function containerSpec(input: ContainerSpecInput): OciSpec {
  return {
    ociVersion: '1.0.2-dev',
    process: containerProcess(input),
    root: { path: 'rootfs', readonly: input.readonlyRootfs },
    hostname: input.hostname,
    mounts: containerMounts(input),
    linux: {
      namespaces: [
        { type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' },
        { type: 'network', path: input.netnsPath },
      ],
      cgroupsPath: input.cgroupsPath,
      resources: ociResources(input.resources, input.swapAccounting),
      maskedPaths: input.privileged ? [] : MASKED_PATHS,
      readonlyPaths: input.privileged ? [] : READONLY_PATHS,
      ...(Object.keys(input.sysctls).length > 0 ? { sysctl: input.sysctls } : {}),
    },
    annotations: input.annotations,
  };
}

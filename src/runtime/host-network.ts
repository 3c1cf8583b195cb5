/**
 * The host side of a k8ts node's pod network, shared by the runc and containerd runtimes: the
 * node's bridge holding the gateway address of the node's pod range, and a host blackhole route
 * for all of 100.64.0.0/10, so pod traffic to ranges that are not connected here dies on the host
 * instead of following the default route out of eth0 (the network rule). k8ts never turns on
 * net.ipv4.ip_forward and adds no NAT rule; a runtime whose plugins might touch ip_forward
 * (containerd's CNI) reads it before start and restores it on stop.
 */
import { access, readFile, writeFile } from 'node:fs/promises';
import { K8TS_POD_SUPERNET } from './cidr.js';
import { type CommandResult, run, runCommand } from './command.js';

/** Linux interface names are at most 15 bytes (IFNAMSIZ - 1). */
export const MAX_IFNAME_BYTES = 15;

/** Every k8ts node bridge is named k8ts-..., so a runtime recognises other k8ts nodes' bridges. */
export const K8TS_BRIDGE_PREFIX = 'k8ts-';

/** Bound on one `ip` command: they take milliseconds, so this only catches a hung tool. */
const IP_TIMEOUT_MS = 120_000;

const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';

/** ipCommand runs `ip args...` and reports its exit code (failures are values). */
function ipCommand(args: string[]): Promise<CommandResult> {
  return runCommand(['ip', ...args], { timeoutMs: IP_TIMEOUT_MS });
}

/** ip runs `ip args...` and throws the tool's stderr unless it exits 0. */
function ip(args: string[]): Promise<string> {
  return run(['ip', ...args], { timeoutMs: IP_TIMEOUT_MS });
}

/** linkNames picks the interface names out of `ip -o link show` output ("3: name@peer: ..."). */
export function linkNames(ipLinkOutput: string): string[] {
  return ipLinkOutput
    .split('\n')
    .map((line) => /^\d+:\s+([^:@\s]+)/.exec(line)?.[1])
    .filter((n): n is string => n !== undefined);
}

/** linkExists tells whether an interface of that name exists in the host namespace, from its
 *  /sys/class/net entry: no process (the runc runtime's Status asks at every node status). */
export async function linkExists(name: string): Promise<boolean> {
  if (name === '' || name.includes('/') || name === '.' || name === '..') return false;
  return access(`/sys/class/net/${name}`).then(() => true, () => false);
}

/** linkIndex is the interface's index in the host namespace (from sysfs, no process); it
 *  throws when there is no such interface. */
export async function linkIndex(name: string): Promise<number> {
  if (!(await linkExists(name))) throw new Error(`no interface ${name}`);
  return Number((await readFile(`/sys/class/net/${name}/ifindex`, 'utf8')).trim());
}

/**
 * ensureBridge creates the bridge if absent, gives it gateway/prefixLength and brings it up.
 * Idempotent (`ip addr replace`), so a restarted runtime reuses the bridge its running pods are
 * plugged into; a bridge another runtime created concurrently is fine too.
 */
export async function ensureBridge(
  bridge: string,
  gateway: string,
  prefixLength: number,
): Promise<void> {
  if (Buffer.byteLength(bridge) > MAX_IFNAME_BYTES) {
    throw new Error(`bridge name ${bridge} is over ${MAX_IFNAME_BYTES} bytes`);
  }
  if (!(await linkExists(bridge))) {
    const made = await ipCommand(['link', 'add', 'name', bridge, 'type', 'bridge']);
    if (made.code !== 0 && !(await linkExists(bridge))) {
      throw new Error(`cannot create bridge ${bridge}: ${made.stderr.trim()}`);
    }
  }
  await ip(['addr', 'replace', `${gateway}/${prefixLength}`, 'dev', bridge]);
  await ip(['link', 'set', 'dev', bridge, 'up']);
}

/** deleteBridge removes the bridge (absent is fine); its connected route goes with it. It
 *  throws only when the bridge is still there after a failed delete. */
export async function deleteBridge(bridge: string): Promise<void> {
  const deleted = await ipCommand(['link', 'del', 'dev', bridge]);
  if (deleted.code !== 0 && (await linkExists(bridge))) {
    throw new Error(`cannot delete bridge ${bridge}: ${deleted.stderr.trim()}`);
  }
}

/** k8tsBridges lists the host's bridges named k8ts-*, i.e. nodes of any k8ts on this host. */
export async function k8tsBridges(): Promise<string[]> {
  const out = await ip(['-o', 'link', 'show', 'type', 'bridge']);
  return linkNames(out).filter((n) => n.startsWith(K8TS_BRIDGE_PREFIX));
}

/**
 * ensureBlackhole adds `blackhole 100.64.0.0/10` to the main table unless it is there; true
 * when this call added it (so the caller may remove it once no k8ts node is left). Another
 * route for exactly that prefix makes the add fail with "File exists", which counts as present.
 */
export async function ensureBlackhole(): Promise<boolean> {
  const shown = await ip(['route', 'show', 'type', 'blackhole', 'exact', K8TS_POD_SUPERNET]);
  if (shown.trim() !== '') return false;
  const added = await ipCommand(['route', 'add', 'blackhole', K8TS_POD_SUPERNET]);
  if (added.code !== 0 && !/File exists/.test(added.stderr)) {
    throw new Error(`cannot add blackhole route ${K8TS_POD_SUPERNET}: ${added.stderr.trim()}`);
  }
  return added.code === 0;
}

/** removeBlackhole deletes the blackhole route (absent is fine). */
export async function removeBlackhole(): Promise<void> {
  await ipCommand(['route', 'del', 'blackhole', K8TS_POD_SUPERNET]);
}

/** readIpForward is net.ipv4.ip_forward ("0" or "1"). */
export async function readIpForward(): Promise<string> {
  return (await readFile(IP_FORWARD, 'utf8')).trim();
}

/** restoreIpForward puts back the value read before start, when something changed it. */
export async function restoreIpForward(before: string): Promise<boolean> {
  if ((await readIpForward()) === before) return false;
  await writeFile(IP_FORWARD, `${before}\n`);
  return true;
}

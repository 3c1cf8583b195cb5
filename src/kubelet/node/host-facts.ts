/**
 * readHostFacts: what this machine says about itself, for nodeInfo and the os/arch labels. Every
 * file is optional (containers and VMs lack some); a missing id is derived from the machine id
 * and node name, so nodeInfo is always filled and stable across restarts of one boot.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { arch, platform, release } from 'node:os';
import type { HostFacts } from './node-object.js';

/** ARCHES maps Node's process.arch to Kubernetes' GOARCH names. */
const ARCHES: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386',
  ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

function readTrimmed(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

/** osImageOf: PRETTY_NAME from os-release text ("Debian GNU/Linux 12 (bookworm)"). */
export function osImageOf(osRelease: string): string {
  const m = /^PRETTY_NAME=(.*)$/m.exec(osRelease);
  return (m?.[1] ?? '').replace(/^"|"$/g, '');
}

/** readHostFacts reads /etc/os-release, machine-id, boot_id and the DMI product uuid. */
export function readHostFacts(nodeName: string): HostFacts {
  const machineID = readTrimmed('/etc/machine-id') ||
    createHash('sha256').update(`k8ts:${nodeName}`).digest('hex').slice(0, 32);
  const derived = (what: string): string =>
    createHash('sha256').update(`${machineID}:${nodeName}:${what}`).digest('hex');
  const uuid = (h: string): string =>
    `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
  return {
    osImage: osImageOf(readTrimmed('/etc/os-release')) || 'Linux',
    kernelVersion: release(),
    architecture: ARCHES[arch()] ?? arch(),
    operatingSystem: platform(),
    machineID,
    bootID: readTrimmed('/proc/sys/kernel/random/boot_id') || uuid(derived('boot')),
    // Several nodes share this machine: the uuid is per node, as distinct VMs' would be.
    systemUUID: uuid(derived('system')),
  };
}

/**
 * Service admission: a new Service gets its cluster IP (unless headless or ExternalName) and, for
 * NodePort and LoadBalancer types, a node port per port — claimed in the store through the
 * Allocator so API servers on different masters never hand out the same address. A failed
 * create releases what it claimed; a deleted Service frees its addresses.
 */
import { invalid } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import type { ResourceInfo } from '../../api/resources.js';
import { AllocationError, type Allocator } from './allocator.js';

interface ServicePort {
  port?: number;
  nodePort?: number;
}
interface ServiceSpec {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  ports?: ServicePort[];
}

const isService = (r: ResourceInfo): boolean => r.group === '' && r.resource === 'services';

/** ServiceAddresses allocates and frees Service addresses around registry writes. */
export class ServiceAddresses {
  constructor(private readonly alloc: Allocator) {}

  /** allocate fills spec.clusterIP(s) and nodePorts in place; returns an undo for a failed write. */
  async allocate(r: ResourceInfo, obj: KubeObject): Promise<() => Promise<void>> {
    if (!isService(r)) return async () => {};
    const spec = (obj.spec ?? {}) as ServiceSpec;
    obj.spec = spec;
    const owner = `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
    const undo: (() => Promise<void>)[] = [];
    const rollback = async (): Promise<void> => {
      for (const u of undo.reverse()) await u();
    };
    try {
      if (spec.type !== 'ExternalName' && spec.clusterIP !== 'None') {
        const want = spec.clusterIP || spec.clusterIPs?.[0] || undefined;
        // default/kubernetes always has the range's first address (claimed at server start).
        const ip = owner === 'default/kubernetes' && (want === undefined || want === this.alloc.firstIp())
          ? this.alloc.firstIp()
          : await this.alloc.allocateIp(owner, want);
        if (ip !== this.alloc.firstIp()) undo.push(() => this.alloc.releaseIp(ip));
        spec.clusterIP = ip;
        spec.clusterIPs = [ip];
      } else if (spec.clusterIP === 'None') {
        spec.clusterIPs = ['None'];
      }
      if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') {
        for (const [i, p] of (spec.ports ?? []).entries()) {
          const port = await this.alloc.allocateNodePort(`${owner}:${i}`, p.nodePort || undefined);
          undo.push(() => this.alloc.releaseNodePort(port));
          p.nodePort = port;
        }
      }
    } catch (err) {
      await rollback();
      if (err instanceof AllocationError) {
        const port = err.what === 'nodePort';
        throw invalid('Service', '', obj.metadata.name ?? '', [{
          type: 'FieldValueInvalid',
          field: port ? 'spec.ports[0].nodePort' : 'spec.clusterIPs',
          badValue: port ? spec.ports?.[0]?.nodePort ?? 0 : spec.clusterIPs ?? [spec.clusterIP ?? ''],
          detail: err.message,
        }]);
      }
      throw err;
    }
    return rollback;
  }

  /** release frees a deleted Service's addresses. */
  async release(r: ResourceInfo, obj: KubeObject): Promise<void> {
    if (!isService(r)) return;
    const spec = (obj.spec ?? {}) as ServiceSpec;
    const ip = spec.clusterIP;
    if (ip && ip !== 'None' && ip !== this.alloc.firstIp()) await this.alloc.releaseIp(ip);
    for (const p of spec.ports ?? []) if (p.nodePort) await this.alloc.releaseNodePort(p.nodePort);
  }
}

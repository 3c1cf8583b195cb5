/**
 * core/v1 Namespace and Node, the two cluster-scoped kinds. A namespace starts Active with the
 * "kubernetes" finalizer (the namespace controller removes it after emptying the namespace); a
 * node is created by its kubelet with its status, which is why Node keeps status on create.
 */
import type { FieldError } from '../../errors.js';
import type { KubeObject } from '../../meta.js';
import { child, duplicate, index, invalid, invalidEach, notSupported, required } from '../../validation/field.js';
import { defineStrategy, str } from '../../validation/kind-strategy.js';
import { isQualifiedName, nameIsDnsLabel } from '../../validation/names.js';
import type { Condition, ResourceList } from './common-types.js';
import type { TaintEffect } from './pod-types.js';

export interface Namespace extends KubeObject {
  spec?: { finalizers?: string[] };
  status?: { phase?: 'Active' | 'Terminating'; conditions?: Condition[] };
}

/** FINALIZER_KUBERNETES is the namespace finalizer the namespace controller owns. */
export const FINALIZER_KUBERNETES = 'kubernetes';

function validateNamespace(ns: Namespace): FieldError[] {
  const errs: FieldError[] = [];
  (ns.spec?.finalizers ?? []).forEach((f) => {
    const msgs = isQualifiedName(f);
    errs.push(...invalidEach('spec.finalizers', f, msgs));
    if (msgs.length === 0 && !f.includes('/') && f !== FINALIZER_KUBERNETES) {
      errs.push(invalid('spec.finalizers', f,
        'name is neither a standard finalizer name nor is it fully qualified'));
    }
  });
  return errs;
}

/** namespaceStrategy is core/v1 Namespace's KindStrategy (status, no generation). */
export const namespaceStrategy = defineStrategy<Namespace>({
  group: '',
  version: 'v1',
  kind: 'Namespace',
  nameFn: nameIsDnsLabel,
  hasStatus: true,
  defaults: (ns) => {
    ns.status ??= {};
    ns.status.phase ??= 'Active';
  },
  prepareForCreate: (ns) => {
    const finalizers = ns.spec?.finalizers ?? [];
    ns.spec = { ...ns.spec, finalizers: finalizers.includes(
      FINALIZER_KUBERNETES) ? finalizers : [...finalizers, FINALIZER_KUBERNETES] };
    ns.status = { phase: 'Active' };
  },
  // Only the namespace controller (through /finalize) changes spec.finalizers, as upstream.
  prepareForUpdate: (ns, old) => {
    ns.spec = { ...ns.spec, finalizers: [...(old.spec?.finalizers ?? [])] };
  },
  validate: validateNamespace,
  fieldLabels: (ns) => ({ 'status.phase': str(ns.status?.phase) }),
});

export interface Taint {
  key: string;
  value?: string;
  effect: TaintEffect;
  timeAdded?: string | null;
}

export interface NodeAddress {
  type: 'Hostname' | 'InternalIP' | 'ExternalIP' | 'InternalDNS' | 'ExternalDNS';
  address: string;
}

export interface NodeSystemInfo {
  machineID?: string;
  systemUUID?: string;
  bootID?: string;
  kernelVersion?: string;
  osImage?: string;
  containerRuntimeVersion?: string;
  kubeletVersion?: string;
  kubeProxyVersion?: string;
  operatingSystem?: string;
  architecture?: string;
}

export interface NodeSpec {
  podCIDR?: string;
  podCIDRs?: string[];
  providerID?: string;
  unschedulable?: boolean;
  taints?: Taint[];
}

export interface NodeStatus {
  capacity?: ResourceList;
  allocatable?: ResourceList;
  phase?: string;
  conditions?: Condition[];
  addresses?: NodeAddress[];
  daemonEndpoints?: { kubeletEndpoint?: { Port: number } };
  nodeInfo?: NodeSystemInfo;
  images?: { names?: string[]; sizeBytes?: number }[];
}

/** Node is a machine (here: a worker or master process) that runs pods. */
export interface Node extends KubeObject {
  spec?: NodeSpec;
  status?: NodeStatus;
}

const TAINT_EFFECTS: readonly string[] = ['NoExecute', 'NoSchedule', 'PreferNoSchedule'];

function validateNode(node: Node): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  (node.spec?.taints ?? []).forEach((t, i) => {
    const p = index('spec.taints', i);
    errs.push(...invalidEach(child(p, 'key'), t.key, isQualifiedName(t.key ?? '')));
    if (!t.effect) errs.push(required(child(p, 'effect')));
    else if (!TAINT_EFFECTS.includes(t.effect)) errs.push(notSupported(child(p, 'effect'), t.effect,
      TAINT_EFFECTS));
    const id = `${t.key}:${t.effect}`;
    if (seen.has(id)) errs.push(duplicate(p, t));
    seen.add(id);
  });
  return errs;
}

/** nodeStrategy is core/v1 Node's KindStrategy (status kept on create, no generation). */
export const nodeStrategy = defineStrategy<Node>({
  group: '',
  version: 'v1',
  kind: 'Node',
  hasStatus: true,
  defaults: (node) => {
    node.spec ??= {};
    // Allocatable defaults to capacity (SetDefaults_NodeStatus).
    if (node.status?.capacity && !node.status.allocatable) node.status.allocatable = { ...node.status.capacity };
  },
  validate: validateNode,
  fieldLabels: (node) => ({ 'spec.unschedulable': String(node.spec?.unschedulable === true) }),
});

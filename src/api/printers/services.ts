/**
 * The Service table: NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE, and wide SELECTOR.
 * EXTERNAL-IP depends on the type: externalIPs for ClusterIP/NodePort, the load balancer's
 * ingress for LoadBalancer, the DNS name for ExternalName. kube-apiserver renders Tables in wide
 * mode (one response serves `get` and `get -o wide`), so load balancer names are not clipped.
 */
import type { KubeObject } from '../meta.js';
import { compareStrings } from '../selectors/requirement.js';
import { DESCRIPTIONS } from './descriptions.js';
import {
  AGE_COLUMN, age, arr, column, formatLabels, int, NAME_COLUMN, nameOf, rec, spec, status, str,
} from './cells.js';
import type { Printer } from './types.js';

const LOAD_BALANCER_WIDTH = 16;

const COLUMNS = [
  NAME_COLUMN,
  column('Type', 'string', DESCRIPTIONS.serviceType),
  column('Cluster-IP', 'string', DESCRIPTIONS.clusterIP),
  column('External-IP', 'string', DESCRIPTIONS.externalIPs),
  column('Port(s)', 'string', DESCRIPTIONS.servicePorts),
  AGE_COLUMN,
  column('Selector', 'string', DESCRIPTIONS.serviceSelector, { priority: 1 }),
];

/** servicePrinter renders Services. */
export const servicePrinter: Printer = {
  columns: COLUMNS,
  cells(svc: KubeObject, nowMs: number) {
    const sp = spec(svc);
    const clusterIPs = arr(sp.clusterIPs).map(str);
    return [
      nameOf(svc),
      str(sp.type),
      clusterIPs[0] ?? '<none>',
      externalIP(svc, true),
      portsString(sp.ports) || '<none>',
      age(svc, nowMs),
      formatLabels(sp.selector),
    ];
  },
};

/** externalIP renders the EXTERNAL-IP cell; `wide` disables clipping of load balancer names. */
export function externalIP(svc: KubeObject, wide: boolean): string {
  const sp = spec(svc);
  const externalIPs = arr(sp.externalIPs).map(str);
  switch (str(sp.type)) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerIngress(svc, wide);
      if (externalIPs.length > 0) return [...(lb ? lb.split(',') : []), ...externalIPs].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return str(sp.externalName);
    default:
      return '<unknown>';
  }
}

function loadBalancerIngress(svc: KubeObject, wide: boolean): string {
  const names = new Set<string>();
  for (const ing of arr(rec(status(svc).loadBalancer).ingress).map(rec)) {
    const v = str(ing.ip) || str(ing.hostname);
    if (v !== '') names.add(v);
  }
  const joined = [...names].sort(compareStrings).join(',');
  return !wide && joined.length > LOAD_BALANCER_WIDTH
    ? `${joined.slice(0, LOAD_BALANCER_WIDTH - 3)}...`
    : joined;
}

/** portsString: "80/TCP,443:30443/TCP" (node port shown when allocated). */
export function portsString(ports: unknown): string {
  return arr(ports).map(rec).map((p) => {
    const nodePort = int(p.nodePort);
    const proto = str(p.protocol);
    return nodePort > 0 ? `${int(p.port)}:${nodePort}/${proto}` : `${int(p.port)}/${proto}`;
  }).join(',');
}

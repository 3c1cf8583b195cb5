/**
 * The service environment variables Kubernetes injects into every container (the docker-links
 * convention): for each Service with a cluster IP, <NAME>_SERVICE_HOST and <NAME>_SERVICE_PORT
 * (+ _PORT_<PORTNAME> per named port) and <NAME>_PORT, <NAME>_PORT_<port>_<PROTO>[_PROTO|_PORT|
 * _ADDR]. Which Services: the `kubernetes` Service of the default namespace always, and those of
 * the pod's own namespace when enableServiceLinks (default true). Pure (memoized per Service).
 */
import type { Service } from '../../api/core/v1/service.js';

/** Var is one environment variable. */
export interface Var {
  name: string;
  value: string;
}

/** MASTER_SERVICE: the API server's Service, whose variables every pod gets. */
const MASTER_SERVICE = { namespace: 'default', name: 'kubernetes' };

/** hasClusterIp: headless and ExternalName services give no variables. */
function hasClusterIp(s: Service): boolean {
  const ip = s.spec?.clusterIP ?? '';
  return ip !== '' && ip !== 'None';
}

/**
 * servicesForPod picks the Services whose variables a pod in podNamespace gets: its own
 * namespace's (when links are enabled) and the master service; a pod-namespace Service of the
 * same name wins over the master's. Sorted by name so the variables come out in a stable order.
 */
export function servicesForPod(
  all: readonly Service[],
  podNamespace: string,
  enableServiceLinks: boolean,
): Service[] {
  const byName = new Map<string, Service>();
  for (const s of all) {
    if (!hasClusterIp(s)) continue;
    const ns = s.metadata.namespace ?? '';
    const name = s.metadata.name ?? '';
    const isMaster = ns === MASTER_SERVICE.namespace && name === MASTER_SERVICE.name;
    if (ns === podNamespace && (enableServiceLinks || isMaster)) byName.set(name, s);
    else if (isMaster && !byName.has(name)) byName.set(name, s);
  }
  return [...byName.values()].sort((a, b) =>
    (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
}

/** envName: a service or port name as a variable prefix ("my-svc" → "MY_SVC"). */
export function envName(name: string): string {
  return name.toUpperCase().replace(/-/g, '_');
}

/** serviceVars: the variables of one Service (which must have a cluster IP). */
export function serviceVars(s: Service): Var[] {
  const prefix = envName(s.metadata.name ?? '');
  const ip = s.spec?.clusterIP ?? '';
  const ports = s.spec?.ports ?? [];
  const vars: Var[] = [{ name: `${prefix}_SERVICE_HOST`, value: ip }];
  const first = ports[0];
  if (first === undefined) return vars;
  vars.push({ name: `${prefix}_SERVICE_PORT`, value: String(first.port) });
  for (const p of ports) {
    if (p.name) vars.push({ name: `${prefix}_SERVICE_PORT_${envName(p.name)}`, value:
      String(p.port) });
  }
  const url = (port: number, proto: string) => `${proto.toLowerCase()}://${ip}:${port}`;
  vars.push({ name: `${prefix}_PORT`, value: url(first.port, first.protocol ?? 'TCP') });
  for (const p of ports) {
    const proto = p.protocol ?? 'TCP';
    const base = `${prefix}_PORT_${p.port}_${proto.toUpperCase()}`;
    vars.push(
      { name: base, value: url(p.port, proto) },
      { name: `${base}_PROTO`, value: proto.toLowerCase() },
      { name: `${base}_PORT`, value: String(p.port) },
      { name: `${base}_ADDR`, value: ip },
    );
  }
  return vars;
}

/** Each Service's variables, computed once per Service object: the informer replaces an
 *  object on every change and never mutates one, so the object is the key (every container of
 *  every pod, prepared twice per start, named the same few Services' variables anew). */
const varsOf = new WeakMap<Service, readonly Var[]>();

/** serviceEnv: every service variable a pod gets, in a stable order. The Var objects are
 *  shared between calls: read them, do not change them. */
export function serviceEnv(
  all: readonly Service[],
  podNamespace: string,
  enableServiceLinks: boolean,
): Var[] {
  return servicesForPod(all, podNamespace, enableServiceLinks).flatMap((s) => {
    let vars = varsOf.get(s);
    if (vars === undefined) {
      vars = serviceVars(s);
      varsOf.set(s, vars);
    }
    return vars;
  });
}

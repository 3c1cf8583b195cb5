/**
 * The static patch schema: for each served kind, which lists merge and by which key, which are
 * sets of primitives, which structs honour `$retainKeys`, and which values server-side apply
 * treats as one atomic value. kube-apiserver reads the same facts from Go struct tags
 * (`patchStrategy`, `patchMergeKey` for strategic merge patch; `+listType`, `+listMapKey`,
 * `+structType`, `+mapType` for server-side apply, via OpenAPI). k8ts has no Go types, so the
 * facts live here, written down once per path (kubectl-wire.md §7, k8s.io/api v1.34 tags).
 *
 * Anything not in the table is the default: a JSON object merges key by key, a list is atomic
 * (replaced wholesale by both patch and apply). Endpoints `subsets` and every EndpointSlice list
 * are atomic upstream too, so they need no entry.
 */
import type { JsonValue } from '../meta.js';

/** KindKey names a kind independent of version: patch rules are the same for every version. */
export interface KindKey {
  group: string;
  kind: string;
}

/** FieldMeta says how one field is patched and applied. */
export interface FieldMeta {
  /** 'map': a list of objects merged by `key`; 'set': a list of primitives merged as a set. */
  readonly list?: 'map' | 'set';
  /** The strategic merge key (`patchMergeKey`). */
  readonly key?: string;
  /** Server-side apply's list-map keys when they differ from [key] (ports add protocol). */
  readonly ssaKeys?: readonly string[];
  /** Values apply assumes for absent key fields (OpenAPI defaults: protocol TCP). */
  readonly keyDefaults?: Readonly<Record<string, JsonValue>>;
  /** Apply treats this merged list as atomic (Job conditions are `+listType=atomic`). */
  readonly ssaAtomicList?: boolean;
  /** The struct (or each list item) is `retainKeys`: `$retainKeys` may prune siblings. */
  readonly retainKeys?: boolean;
  /** Apply treats this object as one value (`+structType=atomic`, `+mapType=atomic`). */
  readonly atomic?: boolean;
  /**
   * Go always serialises this field (a non-pointer struct, or a list without omitempty), so an
   * update never "adds" it and managedFields never list it as a member (`.`).
   */
  readonly alwaysPresent?: boolean;
  /** The fields of this struct, or of each item when this is a list of objects. */
  readonly fields?: StructMeta;
}

/** StructMeta maps a struct's JSON field names to their metadata. */
export type StructMeta = Readonly<Record<string, FieldMeta>>;

const byName = (fields?: StructMeta): FieldMeta => ({ list: 'map', key: 'name', fields });
const byType: FieldMeta = { list: 'map', key: 'type' };
const byIp: FieldMeta = { list: 'map', key: 'ip' };
const TCP = { protocol: 'TCP' } as const;

/** ObjectMeta: owner references merge by uid, finalizers are a set. */
export const OBJECT_META: StructMeta = {
  ownerReferences: { list: 'map', key: 'uid' },
  finalizers: { list: 'set' },
};

const CONTAINER: StructMeta = {
  ports: {
    list: 'map',
    key: 'containerPort',
    ssaKeys: ['containerPort', 'protocol'],
    keyDefaults: TCP,
  },
  env: byName(),
  volumeMounts: { list: 'map', key: 'mountPath' },
  volumeDevices: { list: 'map', key: 'devicePath' },
};

/** PodSpec (core/v1): containers, volumes and friends merge by their keys. */
export const POD_SPEC: StructMeta = {
  containers: { ...byName(CONTAINER), alwaysPresent: true },
  initContainers: byName(CONTAINER),
  ephemeralContainers: byName(CONTAINER),
  volumes: { ...byName(), retainKeys: true },
  imagePullSecrets: byName(),
  hostAliases: byIp,
  topologySpreadConstraints: {
    list: 'map',
    key: 'topologyKey',
    ssaKeys: ['topologyKey', 'whenUnsatisfiable'],
  },
  schedulingGates: byName(),
  resourceClaims: { ...byName(), retainKeys: true },
  nodeSelector: { atomic: true },
};

const POD_STATUS: StructMeta = { conditions: byType, podIPs: byIp, hostIPs: byIp };

const metadata: FieldMeta = { alwaysPresent: true, fields: OBJECT_META };
const statusWith = (fields: StructMeta): FieldMeta => ({ alwaysPresent: true, fields });
const CONDITIONS_STATUS = statusWith({ conditions: byType });

/** PodTemplateSpec as it sits in every workload's spec.template. */
export const POD_TEMPLATE: FieldMeta = {
  alwaysPresent: true,
  fields: { metadata, spec: { alwaysPresent: true, fields: POD_SPEC } },
};

const selector: FieldMeta = { atomic: true };

function top(spec?: StructMeta, status?: FieldMeta): StructMeta {
  return {
    metadata,
    ...(spec ? { spec: { alwaysPresent: true, fields: spec } } : {}),
    ...(status ? { status } : {}),
  };
}

const TABLE: Readonly<Record<string, StructMeta>> = {
  '/Pod': top(POD_SPEC, statusWith(POD_STATUS)),
  '/PodTemplate': { metadata, template: POD_TEMPLATE },
  '/Service': top(
    {
      ports: { list: 'map', key: 'port', ssaKeys: ['port', 'protocol'], keyDefaults: TCP },
      selector: { atomic: true },
    },
    CONDITIONS_STATUS,
  ),
  '/Node': top(
    { podCIDRs: { list: 'set' } },
    statusWith({ conditions: byType, addresses: byType }),
  ),
  '/Namespace': top({}, CONDITIONS_STATUS),
  '/ServiceAccount': { metadata, secrets: byName() },
  'apps/Deployment': top(
    {
      selector,
      template: POD_TEMPLATE,
      strategy: { alwaysPresent: true, retainKeys: true },
    },
    CONDITIONS_STATUS,
  ),
  'apps/ReplicaSet': top({ selector, template: POD_TEMPLATE }, CONDITIONS_STATUS),
  'apps/DaemonSet': top(
    { selector, template: POD_TEMPLATE, updateStrategy: { alwaysPresent: true } },
    CONDITIONS_STATUS,
  ),
  'batch/Job': top(
    { selector, template: POD_TEMPLATE },
    statusWith({ conditions: { ...byType, ssaAtomicList: true } }),
  ),
};

/** Kinds with no entry (ConfigMap, Secret, Event, Endpoints, EndpointSlice, Lease...). */
const METADATA_ONLY: StructMeta = { metadata };

/** schemaFor returns the patch schema of a kind; unknown kinds get ObjectMeta's rules only. */
export function schemaFor(kind: KindKey): StructMeta {
  return TABLE[`${kind.group}/${kind.kind}`] ?? METADATA_ONLY;
}

/** DEFAULT_RULES: an unknown field's meta, one shared object (frozen: metas are never changed)
 *  rather than a new one per field looked up, which compare and collect did for every field
 *  the schema does not name (labels, most of an Event, a ConfigMap's data). */
const DEFAULT_RULES: FieldMeta = Object.freeze({});

/** fieldMeta looks one field up in a struct's schema; unknown fields have default rules. */
export function fieldMeta(struct: StructMeta | undefined, name: string): FieldMeta {
  return (struct && Object.hasOwn(struct, name) ? struct[name] : undefined) ?? DEFAULT_RULES;
}

/** ssaKeysOf gives the fields that identify an item of a list-map under server-side apply. */
export function ssaKeysOf(meta: FieldMeta): readonly string[] {
  return meta.ssaKeys ?? (meta.key ? [meta.key] : []);
}

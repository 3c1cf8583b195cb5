/**
 * Table answers for human `kubectl get`: the printer of the resource renders rows, and
 * `includeObject` (None | Metadata, the default | Object, sent by --sort-by) says what each row
 * carries besides its cells.
 */
import { badRequest } from '../../api/errors.js';
import type { KubeObject, ListMeta } from '../../api/meta.js';
import { printerFor, toTable } from '../../api/printers/index.js';
import type { ResourceCall } from './call.js';

type IncludeObject = 'None' | 'Metadata' | 'Object';

function includeObject(url: URL): IncludeObject {
  const v = url.searchParams.get('includeObject') ?? 'Metadata';
  if (v !== 'None' && v !== 'Metadata' && v !== 'Object') {
    throw badRequest(`includeObject: Unsupported value: "${v}": supported values: "Metadata", "None", "Object"`);
  }
  return v;
}

/** tableOf renders objects of the call's resource as a meta.k8s.io/v1 Table. */
export function tableOf(c: ResourceCall, objects: KubeObject[], listMeta: ListMeta): unknown {
  const r = c.route.resource;
  return toTable(printerFor(r.group, r.resource), objects, c.deps.wallMs(), includeObject(c.url), listMeta);
}

/** tableMode answers whether a watch of this call streams Table rows, and how. */
export function tableRenderer(c: ResourceCall): (obj: KubeObject, first: boolean) => unknown {
  const r = c.route.resource;
  const printer = printerFor(r.group, r.resource);
  const include = includeObject(c.url);
  return (obj, first) => {
    const t = toTable(printer, [obj], c.deps.wallMs(), include, {}) as { columnDefinitions?: unknown };
    // kube-apiserver sends column definitions with the first watch event only.
    if (!first) t.columnDefinitions = [];
    return t;
  };
}

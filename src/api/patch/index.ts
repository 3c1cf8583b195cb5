/**
 * The patch engines kube-apiserver offers on PATCH, one per content type: JSON patch
 * (`application/json-patch+json`), JSON merge patch (`application/merge-patch+json`) and
 * strategic merge patch (`application/strategic-merge-patch+json`). All are pure and never
 * mutate their inputs; failures are StatusErrors worded as upstream words them.
 */
export { applyJsonPatch, decodeJsonPatch, escapePointerToken, parsePointer } from './json-patch.js';
export type { JsonPatchOperation } from './json-patch.js';
export { applyMergePatch, mergePatch } from './merge-patch.js';
export { strategicMergePatch } from './strategic-merge.js';
export { fieldMeta, schemaFor, ssaKeysOf } from './patch-meta.js';
export type { FieldMeta, KindKey, StructMeta } from './patch-meta.js';

/**
 * Request bodies: read with a hard size limit (3 MiB, kube-apiserver's), then decoded by
 * Content-Type — JSON, YAML (server-side apply bodies), or Kubernetes protobuf (kubectl 1.32+
 * typed clients). Anything malformed is a 400 Status that says what and where; nothing is
 * stored from a body that did not decode.
 */
import type { IncomingMessage } from 'node:http';
import { badRequest, tooLarge, unsupportedMediaType } from '../../api/errors.js';
import { isJsonObject, type KubeObject } from '../../api/meta.js';
import { decodeKubeProtobuf } from '../../api/protobuf/decode.js';
import { parseJson, parseYaml } from '../../api/text-codec.js';
import { mediaType } from './negotiate.js';

/** MAX_BODY_BYTES is kube-apiserver's request body limit (3 MiB). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

/** readBody collects the body, refusing (413) as soon as it passes the limit. */
export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/** decodeObject decodes a create/update body into an object. */
export function decodeObject(body: Buffer, contentType: string | undefined): KubeObject {
  const type = mediaType(contentType);
  let value: unknown;
  if (type === 'application/vnd.kubernetes.protobuf') return decodeKubeProtobuf(body);
  if (type === 'application/json' || type === '') value = parseJson(body.toString('utf8'));
  else if (type === 'application/yaml') value = parseYaml(body.toString('utf8'));
  else throw unsupportedMediaType('application/json, application/yaml, application/vnd.kubernetes.protobuf');
  if (!isJsonObject(value)) throw badRequest('the request body must be a JSON object');
  const obj = value as unknown as KubeObject;
  if (obj.metadata !== undefined && !isJsonObject(obj.metadata)) {
    throw badRequest('metadata: the request body\'s metadata must be an object');
  }
  obj.metadata ??= {};
  return obj;
}

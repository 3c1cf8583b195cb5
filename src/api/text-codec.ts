/**
 * JSON and YAML text to values, with 400 Status errors a person can act on (position, line and
 * column). Used for request bodies, patches and server-side apply configurations alike.
 */
import { parseDocument } from 'yaml';
import { badRequest } from './errors.js';

/** parseJson parses JSON with a message that names the position, as a person needs it. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badRequest(`the request body is not valid JSON: ${(err as Error).message}`);
  }
}

/** parseYaml parses one YAML document; errors name line and column. */
export function parseYaml(text: string): unknown {
  const doc = parseDocument(text, { uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0];
    const where = pos ? ` (line ${pos.line}, column ${pos.col})` : '';
    throw badRequest(`the request body is not valid YAML${where}: ${first.message.split('\n')[0] ?? ''}`);
  }
  return doc.toJS();
}

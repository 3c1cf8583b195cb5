/**
 * ConfigReader walks a parsed YAML document and turns every problem into a ConfigError that names
 * the file, line and column, so a user fixes a cluster config without guessing.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';

/** ConfigError: a cluster config that cannot be used; the message starts with file:line:col. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type Fields = Map<string, YamlNode | null>;

export class ConfigReader {
  readonly root: YamlNode | null;
  private readonly lines = new LineCounter();

  constructor(
    readonly source: string,
    text: string,
  ) {
    const doc = parseDocument(text, { lineCounter: this.lines, uniqueKeys: true });
    const err = doc.errors[0];
    if (err) {
      const pos = err.linePos?.[0];
      const where = pos ? `${source}:${pos.line}:${pos.col}` : source;
      throw new ConfigError(`${where}: invalid YAML: ${err.message.split('\n')[0]}`);
    }
    this.root = (doc.contents as YamlNode | null) ?? null;
  }

  where(node: YamlNode | null | undefined): string {
    const offset = node?.range?.[0];
    if (offset === undefined) return `${this.source}:1:1`;
    const { line, col } = this.lines.linePos(offset);
    return `${this.source}:${line}:${col}`;
  }

  fail(node: YamlNode | null | undefined, message: string): never {
    throw new ConfigError(`${this.where(node)}: ${message}`);
  }

  /** map reads a mapping, refusing keys outside `allowed` (a typo must not be silently ignored). */
  map(node: YamlNode | null | undefined, path: string, allowed: readonly string[]): Fields {
    if (!isMap(node)) this.fail(node, `${path} must be a mapping`);
    const out: Fields = new Map();
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      if (!allowed.includes(key)) {
        this.fail(pair.key as YamlNode, `unknown key ${path === '' ? '' : `${path}.`}${key} (allowed: ${allowed.join(', ')})`);
      }
      out.set(key, (pair.value as YamlNode | null) ?? null);
    }
    return out;
  }

  seq(node: YamlNode | null | undefined, path: string): YamlNode[] {
    if (!isSeq(node)) this.fail(node, `${path} must be a list`);
    return node.items as YamlNode[];
  }

  str(node: YamlNode | null | undefined, path: string): string {
    if (!isScalar(node) || typeof node.value !== 'string' || node.value === '') {
      this.fail(node, `${path} must be a non-empty string`);
    }
    return node.value;
  }

  int(node: YamlNode | null | undefined, path: string, min: number, max: number): number {
    const v = isScalar(node) ? node.value : undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.fail(node, `${path} must be an integer in [${min}, ${max}]`);
    }
    return v;
  }

  bool(node: YamlNode | null | undefined, path: string): boolean {
    const v = isScalar(node) ? node.value : undefined;
    if (typeof v !== 'boolean') this.fail(node, `${path} must be true or false`);
    return v;
  }

  /** required returns the field or fails pointing at the mapping that lacks it. */
  required(fields: Fields, key: string, parent: YamlNode | null | undefined, path: string): YamlNode | null {
    if (!fields.has(key)) this.fail(parent, `${path === '' ? '' : `${path}: `}missing required key ${key}`);
    return fields.get(key) ?? null;
  }
}

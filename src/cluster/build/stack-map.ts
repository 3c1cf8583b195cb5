/**
 * mapStack rewrites a stack trace's bundle positions
 * (file:///…/k8ts-bundles/<hash>/chunk-X.mjs:L:C) to the TypeScript sources they were built
 * from, reading the bundle's source maps only when a trace is printed. Components run without
 * --enable-source-maps: with it, node parses every loaded file's map at startup (whole-up CPU
 * ~25% higher, A/B) to name .ts lines in traces a healthy cluster never prints. A fatal error's
 * trace (process-main.ts) goes through here instead, so it still names the .ts file and line.
 * Frames of other files, and of bundles without a map, are left as they are.
 */
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A frame position in a bundled file: the URL or path, then line and column (1-based). */
const FRAME = /((?:file:\/\/)?\/[^\s():]*\.mjs):(\d+):(\d+)/g;

/** MAX_MAPPED_FILES: a bound on the maps one trace reads (a trace has a few dozen frames). */
const MAX_MAPPED_FILES = 32;

/** mapStack maps every bundled frame of a stack trace it can; the rest stays as it is. */
export function mapStack(stack: string): string {
  const maps = new Map<string, SourceMap | undefined>();
  return stack.replace(FRAME, (whole, file: string, line: string, column: string) => {
    const path = file.startsWith('file://') ? fileURLToPath(file) : file;
    if (!maps.has(path) && maps.size < MAX_MAPPED_FILES) maps.set(path, loadMap(path));
    const map = maps.get(path);
    const e = map?.findEntry(Number(line) - 1, Number(column) - 1);
    if (e === undefined || !('originalSource' in e)) return whole;
    const source = resolve(dirname(path), e.originalSource);
    return `${source}:${e.originalLine + 1}:${e.originalColumn + 1}`;
  });
}

/** loadMap reads <file>.map (esbuild's linked maps sit next to their file); undefined if none. */
function loadMap(path: string): SourceMap | undefined {
  try {
    const payload = JSON.parse(readFileSync(`${path}.map`, 'utf8')) as
      ConstructorParameters<typeof SourceMap>[0];
    return new SourceMap(payload);
  } catch {
    return undefined;
  }
}

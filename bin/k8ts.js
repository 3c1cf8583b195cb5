#!/usr/bin/env node
// The `k8ts` command. It runs the CLI from the bundle the last `k8ts up` built when that bundle
// is still the build of these sources (src/cluster/build/cli-entry.ts: ~0.1 s to load), else from
// source: it registers tsx (the CLI is TypeScript) and runs src/cli/main.ts.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { URL, fileURLToPath } from 'node:url';

const cache = new URL('../node_modules/.cache/k8ts-bundles/', import.meta.url);
let main;
try {
  const hash = readFileSync(new URL('latest', cache), 'utf8').trim();
  const entry = await import(new URL(`${hash}/src/cluster/build/cli-entry.mjs`, cache).href);
  const here = resolve(fileURLToPath(new URL('..', import.meta.url)));
  // Built from another checkout sharing this node_modules (or too old to say): run from source.
  main = typeof entry.BUILT_FROM === 'string' && resolve(entry.BUILT_FROM) === here
    ? await entry.freshCli(hash) : undefined;
} catch {
  main = undefined; // No bundle yet, or it was pruned: run from source.
}
if (main === undefined) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ cliMain: main } = await import('../src/cli/main.ts'));
}
await main();

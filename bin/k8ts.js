#!/usr/bin/env node
// The `k8ts` command. It runs the CLI from the bundle the last `k8ts up` built when that bundle
// is still the build of these sources (src/cluster/build/cli-entry.ts: ~0.1 s to load), else from
// source: it registers tsx (the CLI is TypeScript) and runs src/cli/main.ts.
import { readFileSync } from 'node:fs';
import { URL } from 'node:url';

const cache = new URL('../node_modules/.cache/k8ts-bundles/', import.meta.url);
let main;
try {
  const hash = readFileSync(new URL('latest', cache), 'utf8').trim();
  const { freshCli } = await import(new URL(`${hash}/src/cluster/build/cli-entry.mjs`, cache).href);
  main = await freshCli(hash);
} catch {
  main = undefined; // No bundle yet, or it was pruned: run from source.
}
if (main === undefined) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ cliMain: main } = await import('../src/cli/main.ts'));
}
await main();

/**
 * The CLI's entry in the bundle. bin/k8ts.js imports it from the bundle the last `k8ts up` used
 * and asks freshCli whether that bundle is still the build of the sources in the checkout: if so
 * the CLI runs from the bundle (~0.1 s of CPU to load instead of ~1 s through tsx); if a source
 * changed since, it answers undefined and bin/k8ts.js runs the CLI from source through tsx (whose
 * `up` then builds the bundle of the new sources).
 */
import { cliMain } from '../../cli/main.js';
import { bundleSalt, installedEsbuildVersion } from './bundle.js';
import { REPO_ROOT } from './entry-points.js';
import { sourceHash } from './source-hash.js';

/** BUILT_FROM: the checkout this bundle was built from. bin/k8ts.js runs a bundle only from its
 *  own checkout: two checkouts can share one node_modules, and so one bundle cache, through a
 *  symlink, and the other's CLI would run the other's sources. */
export const BUILT_FROM: string = REPO_ROOT;

/** freshCli: the CLI's main when the sources still hash to `hash` (the bundle's own) and
 *  K8TS_NO_BUNDLE is unset; undefined otherwise. */
export function freshCli(
  hash: string, env: NodeJS.ProcessEnv = process.env,
): (() => Promise<void>) | undefined {
  if (env.K8TS_NO_BUNDLE !== undefined) return undefined;
  const current = sourceHash(REPO_ROOT, bundleSalt(installedEsbuildVersion()));
  return current === hash ? cliMain : undefined;
}

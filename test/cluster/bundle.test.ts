/**
 * The component bundle (src/cluster/build): the cache is keyed by the sources, so an unchanged
 * tree reuses its bundle and any edit rebuilds (checked on a small fake tree with a fake bundler);
 * a failed build falls back to tsx with a log line; bundled modules keep their own location
 * (checked on the real bundle: the kubelet entry is not mistaken for src/kubelet/main.ts).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as Esbuild from 'esbuild';
import { systemClock } from '../../src/base/clock.js';
import {
  bundleSalt, CLI_ENTRY, installedEsbuildVersion, loadEsbuild, withLocation,
} from '../../src/cluster/build/bundle.js';
import { freshCli } from '../../src/cluster/build/cli-entry.js';
import { ensureBundle, KEPT_BUNDLES, prepareLaunch } from '../../src/cluster/build/bundle-cache.js';
import { ENTRY_POINTS, REPO_ROOT } from '../../src/cluster/build/entry-points.js';
import { bundledPath, TSX_LAUNCH } from '../../src/cluster/build/launch.js';
import { forgetSourceHashes, sourceHash } from '../../src/cluster/build/source-hash.js';
import { tempHome } from '../support/cluster.js';

/** fakeEsbuild writes one file per entry point and counts its builds. */
function fakeEsbuild(): { load: () => Promise<typeof Esbuild>; builds: () => number } {
  let builds = 0;
  const build = (o: { outdir?: string; entryPoints?: unknown }): Promise<{ errors: [] }> => {
    builds++;
    for (const e of o.entryPoints as string[]) {
      const out = join(o.outdir ?? '', bundledPath(e));
      mkdirSync(join(out, '..'), { recursive: true });
      writeFileSync(out, `// built ${builds}\n`);
    }
    assert.ok((o.entryPoints as string[]).includes(CLI_ENTRY), 'the CLI is bundled too');
    return Promise.resolve({ errors: [] });
  };
  const esbuild = { version: 'fake', build } as unknown as typeof Esbuild;
  return { load: () => Promise.resolve(esbuild), builds: () => builds };
}

describe('component bundle cache', function () {
  const home = tempHome('k8ts-bundle-');
  after(() => home.remove());

  const fakeRepo = (): string => {
    const repo = join(home.dir, `repo-${readdirSync(home.dir).length}`);
    mkdirSync(join(repo, 'src', 'a'), { recursive: true });
    writeFileSync(join(repo, 'src', 'a', 'x.ts'), 'export const x = 1;\n');
    writeFileSync(join(repo, 'package-lock.json'), '{}\n');
    return repo;
  };

  it('reuses the bundle of an unchanged tree and rebuilds after an edit', async () => {
    const repo = fakeRepo();
    const fake = fakeEsbuild();
    const lines: string[] = [];
    const o = { repoRoot: repo, clock: systemClock, cacheDir: join(repo, 'cache'),
      esbuild: fake.load, esbuildVersion: 'fake', log: (l: string) => lines.push(l) };
    const first = await ensureBundle(o);
    assert.equal(fake.builds(), 1);
    assert.ok(existsSync(join(first, bundledPath(ENTRY_POINTS.kubelet))));
    assert.equal(await ensureBundle(o), first, 'unchanged tree: same bundle');
    assert.equal(fake.builds(), 1, 'unchanged tree: not rebuilt');
    writeFileSync(join(repo, 'src', 'a', 'x.ts'), 'export const x = 2;\n');
    forgetSourceHashes();
    const second = await ensureBundle(o);
    assert.notEqual(second, first, 'an edited source gets another bundle');
    assert.equal(fake.builds(), 2);
    writeFileSync(join(repo, 'package-lock.json'), '{"changed":true}\n');
    forgetSourceHashes();
    assert.notEqual(await ensureBundle(o), second, 'a changed lockfile gets another bundle');
    assert.equal(fake.builds(), 3);
    assert.equal(lines.filter((l) => l.startsWith('bundled the components')).length, 3);
  });

  it('keeps only the most recently used bundles', async () => {
    const repo = fakeRepo();
    const fake = fakeEsbuild();
    const cacheDir = join(repo, 'cache');
    const o = { repoRoot: repo, clock: systemClock, cacheDir, esbuild: fake.load,
      esbuildVersion: 'fake' };
    for (let i = 0; i < KEPT_BUNDLES + 3; i++) {
      writeFileSync(join(repo, 'src', 'a', 'x.ts'), `export const x = ${i};\n`);
      forgetSourceHashes();
      await ensureBundle(o);
    }
    const bundles = readdirSync(cacheDir).filter((f) => /^[0-9a-f]{24}$/.test(f));
    assert.equal(bundles.length, KEPT_BUNDLES);
  });

  it('falls back to tsx, saying why, when the build fails (or K8TS_NO_BUNDLE is set)', async () => {
    const lines: string[] = [];
    const failing = (): Promise<typeof Esbuild> => Promise.reject(new Error('no esbuild here'));
    const launch = await prepareLaunch({ repoRoot: fakeRepo(), clock: systemClock, esbuild: failing,
      esbuildVersion: 'fake', cacheDir: join(home.dir, 'c'), env: {}, log: (l) => lines.push(l) });
    assert.equal(launch, TSX_LAUNCH);
    assert.match(lines.join('\n'), /could not bundle the components \(no esbuild here\); .*tsx/);
    const linkAt = join(home.dir, 'state-bundle');
    const repo = fakeRepo();
    const linked = await prepareLaunch({ repoRoot: repo, clock: systemClock, env: {}, linkAt,
      esbuild: fakeEsbuild().load, esbuildVersion: 'fake', cacheDir: join(repo, 'cache') });
    assert.equal(linked.nodeArgs('store').at(-1), join(linkAt, bundledPath(ENTRY_POINTS.store)),
      'launches name the cluster\'s link, so manifests stay the same across builds');
    assert.match(realpathSync(linkAt), /cache\/[0-9a-f]{24}$/);
    const off = await prepareLaunch({ repoRoot: REPO_ROOT, clock: systemClock,
      env: { K8TS_NO_BUNDLE: '1' } });
    assert.equal(off, TSX_LAUNCH);
  });

  it('bundled modules keep their own location', () => {
    const text = 'a(import.meta.url); b(__dirname); c(obj.__dirname); d(import.meta.dirname);';
    assert.equal(withLocation(text, '/r/m.js'),
      'a("file:///r/m.js"); b("/r"); c(obj.__dirname); d("/r");');
    assert.equal(withLocation(text, '/r/src/m.ts'),
      'a("file:///r/src/m.ts"); b(__dirname); c(obj.__dirname); d("/r/src");', 'TypeScript is ESM');
  });

  it('the bundled CLI runs only while the sources still hash to its bundle', async () => {
    const hash = sourceHash(REPO_ROOT, bundleSalt((await loadEsbuild()).version));
    assert.equal(installedEsbuildVersion(), (await loadEsbuild()).version);
    assert.equal(typeof freshCli(hash, {}), 'function');
    assert.equal(freshCli('0'.repeat(24), {}), undefined, 'stale: bin/k8ts.js runs the sources');
    assert.equal(freshCli(hash, { K8TS_NO_BUNDLE: '1' }), undefined);
  });

  it('the real bundle runs each entry as itself (not kubelet/main)', async function () {
    this.timeout(180_000);
    const launch = await prepareLaunch({ repoRoot: REPO_ROOT, clock: systemClock, env: {} });
    assert.notEqual(launch, TSX_LAUNCH, 'the repo bundles');
    const args = launch.nodeArgs('kubelet');
    assert.match(args.at(-1) ?? '', /k8ts-bundles\/[0-9a-f]{24}\/src\/cluster\/kubelet-main\.mjs$/);
    const r = spawnSync(process.execPath, args,
      { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 1);
    assert.match(r.stdout, /usage: kubelet-main --config <file> --node <name>/);
    assert.match(r.stdout, /src\/cluster\/kubelet-main\.ts:\d+/,
      'stack traces name the TypeScript source');
  });
});

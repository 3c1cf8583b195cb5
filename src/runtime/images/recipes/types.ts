/**
 * The contract between the image builder and a recipe: which references a recipe provides,
 * which host tools it needs (so a missing one fails before any work with the package to
 * install), and how it turns the host into an ImageSpec.
 */
import type { HostTool } from '../host-tools.js';
import type { ImageSpec } from '../layout.js';

/** What build() may use: resolved tool paths and directories it may write to. */
export interface RecipeContext {
  /** command name → absolute path, for every tool the recipe declared. */
  tools: ReadonlyMap<string, string>;
  /** A private scratch directory, removed by the builder afterwards. */
  scratchDir: string;
  /** A directory shared by builds for downloads worth keeping (e.g. .deb files). */
  downloadsDir: string;
}

/** ImageRecipe builds one image (under one or more references) from the host. */
export interface ImageRecipe {
  /** A short name, also the archive file's name in the build cache. */
  name: string;
  /** Normalised references this recipe provides. */
  refs: readonly string[];
  /** Bumped whenever the recipe's output changes, so cached archives are rebuilt. */
  revision: number;
  /** Host commands build() runs or reads. */
  tools: readonly HostTool[];
  /** build lays out the rootfs and process defaults. */
  build(ctx: RecipeContext): Promise<ImageSpec>;
}

/** The tool every recipe here starts from: Debian's static busybox. */
export const BUSYBOX_TOOL: HostTool = { command: 'busybox', aptPackage: 'busybox-static' };

/** The PATH images declare (upstream's default). */
export const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The built-in recipes and the lookup from a reference to the recipe that provides it.
 */
import { normalizeImageRef } from '../reference.js';
import { busyboxRecipe } from './busybox.js';
import { nginxRecipe } from './nginx.js';
import { pauseRecipe } from './pause.js';
import type { ImageRecipe } from './types.js';

/** Every image k8ts can build locally, the sandbox image first. */
export const BUILTIN_RECIPES: readonly ImageRecipe[] = [pauseRecipe, busyboxRecipe, nginxRecipe];

/** The sandbox (pause) image reference, for runtimes' sandbox_image setting. */
export const PAUSE_IMAGE_REF = pauseRecipe.refs[0] ?? '';

/** findRecipe returns the recipe providing ref (any spelling: "nginx" works), or null. */
export function findRecipe(ref: string): ImageRecipe | null {
  const full = normalizeImageRef(ref);
  return BUILTIN_RECIPES.find((r) => r.refs.includes(full)) ?? null;
}

/** builtinImageRefs lists every reference the recipes provide. */
export function builtinImageRefs(): string[] {
  return BUILTIN_RECIPES.flatMap((r) => [...r.refs]);
}

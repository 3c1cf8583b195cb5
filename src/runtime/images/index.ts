/**
 * The public face of local images: build (recipes → OCI layout archives), store (import,
 * unpack, look up, remove) and reference normalisation. Runtimes import from here.
 */
export {
  buildImage,
  pullImage,
  ensureBuiltinImages,
  defaultImageCacheDir,
  imageStoreFor,
  NoRecipeError,
  type BuiltImage,
  type BuiltinOutcome,
} from './build.js';
export { ImageStore, type StoredImage, type ImageRootfs } from './store.js';
export { normalizeImageRef, parseImageRef, ImageRefError, type ImageRef } from './reference.js';
export { PAUSE_IMAGE_REF, builtinImageRefs, findRecipe } from './recipes/index.js';
export { MissingHostToolError } from './host-tools.js';
export { PackageDownloadError } from './recipes/debian-packages.js';
export type { ImageConfig, ImageRuntimeConfig } from './oci.js';
export { imageUser, type ImageUser } from './image-user.js';

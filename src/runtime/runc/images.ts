/**
 * PullImage for the runc runtime: nothing leaves the machine. An image already in the local
 * store is returned as is; a builtin reference (busybox, nginx, pause) is built locally by the
 * images helper's recipes; anything else fails with a clear NotFound-style error.
 */
import { status } from '@grpc/grpc-js';
import * as cri from '../../kubelet/cri/types.js';
import type { RuncContext } from './context.js';

/** pullImage makes ref present and returns its image id (CRI image_ref). */
export async function pullImage(ctx: RuncContext, ref: string): Promise<string> {
  if (ref === '') throw cri.criInvalid('image reference must not be empty');
  const present = await ctx.images.resolve(ref);
  if (present) return present.id;
  let built;
  try {
    built = await ctx.images.buildBuiltin(ref);
  } catch (err) {
    throw new cri.CriError(status.UNKNOWN, `failed to build image "${ref}" locally: ${
      (err as Error).message}`);
  }
  if (!built) {
    throw new cri.CriError(status.NOT_FOUND, `failed to pull image "${ref}": k8ts pulls from no ` +
      'registry; only the builtin images (busybox, nginx, pause) can be built locally, or ' +
      'import the image into the node\'s image store');
  }
  return built.id;
}

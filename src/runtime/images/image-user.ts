/**
 * The image user as CRI's Image message reports it (uid or username), derived from the config's
 * User field the way containerd does: "33" and "33:33" are uid 33, "www-data" and
 * "www-data:www-data" are a username, "" is neither. The kubelet checks runAsNonRoot with it.
 */
import type { ImageConfig } from './oci.js';

/** The user an image runs as by default. */
export interface ImageUser {
  uid?: number;
  username?: string;
}

/** imageUser reads the default user of an image config. */
export function imageUser(config: ImageConfig): ImageUser {
  const user = (config.config?.User ?? '').split(':')[0] ?? '';
  if (user === '') return {};
  if (/^[0-9]+$/.test(user)) return { uid: Number(user) };
  return { username: user };
}

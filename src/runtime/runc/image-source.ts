/**
 * What the runc runtime needs from the local image store: resolve a reference to unpacked layer
 * directories plus the image config, list, remove, and build a builtin image on "pull". Kept as
 * a narrow interface so the runtime does not depend on the store's internals (and tests of the
 * runtime's pure parts need no store); src/runtime/runc/store-image-source.ts adapts the store.
 */

/** RuncImageConfig is the part of the OCI image config a container inherits. */
export interface RuncImageConfig {
  entrypoint: string[];
  cmd: string[];
  env: string[];
  workingDir: string;
  /** "", "uid", "uid:gid", "name" or "name:group", resolved against the rootfs. */
  user: string;
  /** e.g. "SIGQUIT" (nginx); "" means SIGTERM. */
  stopSignal: string;
}

/** RuncImage is one image present on the node. */
export interface RuncImage {
  /** "sha256:<hex of the config digest>", as containerd reports image ids. */
  id: string;
  repoTags: string[];
  repoDigests: string[];
  sizeBytes: number;
  config: RuncImageConfig;
  /** Unpacked layer directories, topmost first (overlay's lowerdir order). */
  lowerDirs: string[];
}

/** RuncImageSource is the image store as the runtime sees it. */
export interface RuncImageSource {
  /** The image a reference (tag, digest or id) names, or undefined when absent. */
  resolve(ref: string): Promise<RuncImage | undefined>;
  /** Every image present. */
  list(): Promise<RuncImage[]>;
  /** Removes the image a reference names; absent is fine. */
  remove(ref: string): Promise<void>;
  /** Builds a builtin image (busybox, nginx, pause) locally; undefined for any other ref. */
  buildBuiltin(ref: string): Promise<RuncImage | undefined>;
  /** The directory images are stored in (ImageFsInfo). */
  readonly rootDir: string;
}

/**
 * docker.io/library/busybox:1.36 and :latest — the host's static busybox with its applets, `sh`
 * as the default command, as the upstream image.
 */
import { BUSYBOX_TOOL, DEFAULT_PATH_ENV, type ImageRecipe } from './types.js';
import { busyboxRootfs } from './busybox-base.js';

/** The busybox recipe. */
export const busyboxRecipe: ImageRecipe = {
  name: 'busybox',
  refs: ['docker.io/library/busybox:1.36', 'docker.io/library/busybox:latest'],
  revision: 2,
  tools: [BUSYBOX_TOOL],
  async build(ctx) {
    const fs = await busyboxRootfs(ctx.tools.get(BUSYBOX_TOOL.command) ?? BUSYBOX_TOOL.command);
    return {
      refs: [...this.refs],
      config: { Env: [DEFAULT_PATH_ENV], Cmd: ['sh'] },
      layers: [fs.entries()],
      createdBy: 'k8ts recipe busybox: host busybox-static + applet symlinks',
    };
  },
};

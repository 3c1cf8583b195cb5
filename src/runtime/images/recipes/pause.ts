/**
 * registry.k8s.io/pause:3.9 — the sandbox image. Upstream's is a tiny C program that sleeps
 * until SIGTERM/SIGINT; ours is the same behaviour in busybox sh, portable to any host with
 * busybox-static (no compiler): `sleep & wait` keeps PID 1 interruptible, the trap exits 0.
 */
import { BUSYBOX_TOOL, DEFAULT_PATH_ENV, type ImageRecipe } from './types.js';
import { busyboxRootfs } from './busybox-base.js';

/** The script run as /pause. */
export const PAUSE_SCRIPT = [
  '#!/bin/sh',
  '# k8ts pause: hold the pod namespaces until told to stop.',
  'trap "exit 0" TERM INT',
  'while :; do sleep 3600 & wait; done',
  '',
].join('\n');

/** The pause recipe; runs as 65535:65535 like upstream's image. */
export const pauseRecipe: ImageRecipe = {
  name: 'pause',
  refs: ['registry.k8s.io/pause:3.9'],
  revision: 2,
  tools: [BUSYBOX_TOOL],
  async build(ctx) {
    const fs = await busyboxRootfs(ctx.tools.get(BUSYBOX_TOOL.command) ?? BUSYBOX_TOOL.command);
    fs.file('pause', PAUSE_SCRIPT, { mode: 0o755 });
    return {
      refs: [...this.refs],
      config: { Env: [DEFAULT_PATH_ENV], Entrypoint: ['/pause'], User: '65535:65535' },
      layers: [fs.entries()],
      createdBy: 'k8ts recipe pause: busybox sh trap loop',
    };
  },
};

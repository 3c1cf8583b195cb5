/**
 * docker.io/library/nginx:1.25 and :latest — Debian's nginx binary (`apt-get download` +
 * `dpkg -x`, never installed on the host) with the shared libraries `ldd` names, on the busybox
 * base, configured like upstream's image: port 80, the "Welcome to nginx!" page, logs to
 * stdout/stderr, StopSignal SIGQUIT (graceful shutdown). The nginx version is Debian's, shown
 * in NGINX_VERSION; the tag is what pods ask for.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runTool } from '../host-tools.js';
import { busyboxRootfs } from './busybox-base.js';
import { downloadDebs, extractDebs } from './debian-packages.js';
import { NGINX_CONF, NGINX_DEFAULT_SERVER, NSSWITCH_CONF } from './nginx-files.js';
import { BUSYBOX_TOOL, DEFAULT_PATH_ENV, type ImageRecipe } from './types.js';

const TOOLS = [
  BUSYBOX_TOOL,
  { command: 'apt-get', aptPackage: 'apt' },
  { command: 'dpkg', aptPackage: 'dpkg' },
  { command: 'ldd', aptPackage: 'libc-bin' },
] as const;

/** /bin/bash: busybox has no bash applet, so bash runs its ash (close enough interactively). */
export const BASH_SHIM = '#!/bin/sh\nexec /bin/sh "$@"\n';

/** parseLdd returns the absolute paths of the libraries (and loader) in `ldd` output. */
export function parseLdd(output: string): string[] {
  const libs: string[] = [];
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('linux-vdso')) continue;
    if (line.includes('=> not found'))
      throw new Error(`nginx needs a library the host lacks: ${line}`);
    const m = /=>\s+(\/\S+)/.exec(line) ?? /^(\/\S+)/.exec(line);
    if (m?.[1] !== undefined) libs.push(m[1]);
  }
  return libs;
}

/** The nginx recipe. */
export const nginxRecipe: ImageRecipe = {
  name: 'nginx',
  refs: ['docker.io/library/nginx:1.25', 'docker.io/library/nginx:latest'],
  revision: 3,
  tools: TOOLS,
  async build(ctx) {
    const tool = (c: string) => ctx.tools.get(c) ?? c;
    const debsDir = join(ctx.downloadsDir, 'debian');
    const debs = await downloadDebs(tool('apt-get'), debsDir, ['nginx', 'nginx-common']);
    const root = join(ctx.scratchDir, 'debs');
    await extractDebs(tool('dpkg'), debs, root);
    const nginxBin = join(root, 'usr/sbin/nginx');
    const libs = parseLdd(await runTool(tool('ldd'), [nginxBin], { timeoutMs: 30_000 }));
    const fs = await busyboxRootfs(tool(BUSYBOX_TOOL.command));
    fs.file('usr/sbin/nginx', await readFile(nginxBin), { mode: 0o755 });
    for (const lib of libs) fs.file(lib, await readFile(lib), { mode: 0o755 });
    fs.file('etc/nginx/mime.types', await readFile(join(root, 'etc/nginx/mime.types')));
    fs.file('etc/nginx/nginx.conf', NGINX_CONF);
    fs.file('etc/nginx/conf.d/default.conf', NGINX_DEFAULT_SERVER);
    fs.file('etc/nsswitch.conf', NSSWITCH_CONF);
    const page = await readFile(join(root, 'usr/share/nginx/html/index.html'));
    fs.file('usr/share/nginx/html/index.html', page);
    fs.symlink('var/log/nginx/access.log', '/dev/stdout');
    fs.symlink('var/log/nginx/error.log', '/dev/stderr');
    for (const d of ['var/lib/nginx', 'var/cache/nginx', 'run', 'var/www']) fs.dir(d);
    // Upstream's image is Debian-based and has bash; tutorials `kubectl exec -it … -- bash`.
    fs.file('bin/bash', BASH_SHIM, { mode: 0o755 });
    const version = debs.find((d) => d.pkg === 'nginx')?.version ?? 'unknown';
    return {
      refs: [...this.refs],
      config: {
        Env: [DEFAULT_PATH_ENV, `NGINX_VERSION=${version}`],
        Cmd: ['nginx', '-g', 'daemon off;'],
        ExposedPorts: { '80/tcp': {} },
        StopSignal: 'SIGQUIT',
      },
      layers: [fs.entries()],
      createdBy: `k8ts recipe nginx: Debian nginx ${version} + ldd libraries + busybox`,
    };
  },
};

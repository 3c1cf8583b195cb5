/**
 * RootfsBuilder collects the members of one image layer in memory (pure: no file system), the way
 * a Containerfile's COPY/RUN would lay them out. Recipes add files, directories and symlinks by
 * image path; parents are created on demand with mode 0755, owners are root unless said
 * otherwise, and entries() hands the set to the tar writer.
 */
import { assert } from '../../base/assert.js';
import { normalizeTarPath, type TarEntry } from './tar-entry.js';

/** Options for one member. */
export interface MemberOptions {
  mode?: number;
  uid?: number;
  gid?: number;
}

/** RootfsBuilder accumulates layer members keyed by path; a later add replaces an earlier one. */
export class RootfsBuilder {
  private readonly members = new Map<string, TarEntry>();

  /** dir adds a directory (and its parents). */
  dir(path: string, opts: MemberOptions = {}): this {
    const p = this.place(path);
    this.members.set(p, { type: 'dir', path: p, ...owner(opts, 0o755) });
    return this;
  }

  /** file adds a regular file with the given content. */
  file(path: string, data: Uint8Array | string, opts: MemberOptions = {}): this {
    const p = this.place(path);
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    this.members.set(p, { type: 'file', path: p, data: bytes, ...owner(opts, 0o644) });
    return this;
  }

  /** symlink adds a symbolic link at path pointing at target (kept verbatim). */
  symlink(path: string, target: string): this {
    const p = this.place(path);
    this.members.set(p, { type: 'symlink', path: p, target, ...owner({}, 0o777) });
    return this;
  }

  /** has says whether a member exists at path (to avoid clobbering, e.g. applets vs files). */
  has(path: string): boolean {
    return this.members.has(normalizeTarPath(path));
  }

  /** entries returns every member (unordered; the tar writer sorts). */
  entries(): TarEntry[] {
    return [...this.members.values()];
  }

  /** place normalises path and makes sure each parent is a directory. */
  private place(path: string): string {
    const p = normalizeTarPath(path);
    assert(p !== '', `rootfs: ${JSON.stringify(path)} names the root`);
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      const existing = this.members.get(parent);
      if (existing === undefined) {
        this.members.set(parent, { type: 'dir', path: parent, ...owner({}, 0o755) });
      } else {
        assert(existing.type === 'dir', `rootfs: parent ${parent} of ${p} is a ${existing.type}`);
      }
    }
    return p;
  }
}

function owner(
  opts: MemberOptions,
  defaultMode: number,
): { mode: number; uid: number; gid: number } {
  return { mode: opts.mode ?? defaultMode, uid: opts.uid ?? 0, gid: opts.gid ?? 0 };
}

/** A minimal /etc/passwd for images: root, the usual daemons, www-data and nobody. */
export const ETC_PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  'daemon:x:1:1:daemon:/usr/sbin:/bin/false',
  'bin:x:2:2:bin:/bin:/bin/false',
  'sys:x:3:3:sys:/dev:/bin/false',
  'www-data:x:33:33:www-data:/var/www:/bin/false',
  'nobody:x:65534:65534:nobody:/nonexistent:/bin/false',
  '',
].join('\n');

/** The matching /etc/group. */
export const ETC_GROUP = [
  'root:x:0:',
  'daemon:x:1:',
  'bin:x:2:',
  'sys:x:3:',
  'tty:x:5:',
  'www-data:x:33:',
  'nogroup:x:65534:',
  '',
].join('\n');

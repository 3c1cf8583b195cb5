/**
 * The process runtime's image store: which images the node "has". Pulling an image fetches
 * nothing; it records that the node may run it, resolved through the catalogue in
 * image-refs.ts (busybox, pause, host/<abs path>). An image outside the catalogue can still be
 * pulled, as a placeholder that names no entrypoint: a container of it runs only when it sets
 * `command` (the rule "otherwise `command` is required"), and CreateContainer says so
 * when it does not. Images the process runtime cannot run at all (nginx: port 80 needs root)
 * fail PullImage with a message naming the runc runtime, and ImageStatus reports them absent.
 */
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CriCode, CriError, criInvalid } from '../../kubelet/cri/errors.js';
import type { ImageProcessConfig } from './argv.js';
import { lookupImage, normalizeImageRef, type HostTools } from './image-refs.js';
import { loadJson, writeJsonAtomic } from './state-store.js';

/** StoredImage is one image the node has. */
export interface StoredImage {
  /** "sha256:<hex>": a hash of the reference and what it resolves to. */
  id: string;
  /** Normalized reference ("docker.io/library/busybox:1.36", "host/usr/bin/env"). */
  ref: string;
  /** What runs by default; undefined for a placeholder (command required). */
  config: ImageProcessConfig | undefined;
  sizeBytes: number;
}

const BUSYBOX_CANDIDATES = ['/usr/bin/busybox', '/bin/busybox', '/usr/local/bin/busybox'];

/** ProcessImageStore — see the file comment. */
export class ProcessImageStore {
  private readonly images = new Map<string, StoredImage>();
  private readonly file: string;
  private readonly tools: HostTools;
  /** The applet links being made (or made), shared by every pull and start that needs them. */
  private applets: Promise<void> | undefined;

  constructor(stateDir: string) {
    this.file = join(stateDir, 'images.json');
    this.tools = {
      busyboxPath: BUSYBOX_CANDIDATES.find((p) => existsSync(p)),
      appletDir: join(stateDir, 'busybox-bin'),
    };
    for (const image of loadJson<StoredImage[]>(this.file) ?? []) this.images.set(image.ref, image);
  }

  /** list returns every image, or the one a reference or id names. */
  list(refOrId?: string): StoredImage[] {
    if (refOrId === undefined || refOrId === '') return [...this.images.values()];
    const found = this.find(refOrId);
    return found ? [found] : [];
  }

  /** find resolves a reference or an image id to a stored image. */
  find(refOrId: string): StoredImage | undefined {
    if (refOrId.startsWith('sha256:')) {
      return [...this.images.values()].find((i) => i.id === refOrId);
    }
    return this.images.get(normalizeImageRef(refOrId));
  }

  /** pull makes the image present and returns it; a clear INVALID_ARGUMENT when it cannot run. */
  async pull(ref: string): Promise<StoredImage> {
    if (ref.trim() === '') throw criInvalid('image reference is empty');
    const normalized = normalizeImageRef(ref);
    const entry = lookupImage(normalized, this.tools);
    if (entry?.kind === 'unsupported') {
      throw criInvalid(`failed to pull image "${ref}": ${entry.message}`);
    }
    let image: StoredImage;
    if (entry === undefined) {
      const id = imageId(normalized, undefined);
      image = { id, ref: normalized, config: undefined, sizeBytes: 0 };
    } else {
      if (!isExecutableFile(entry.binaryPath)) {
        throw new CriError(
          CriCode.NOT_FOUND,
          `failed to pull image "${ref}": ${entry.binaryPath} is not an executable file ` +
            'on this host',
        );
      }
      if (entry.binaryPath === this.tools.busyboxPath) await this.ensureApplets(entry.binaryPath);
      image = {
        id: imageId(normalized, entry.config), ref: normalized, config: entry.config,
        sizeBytes: statSync(entry.binaryPath).size,
      };
    }
    // A repeated pull of what the node has (every pod's start in a burst that began before
    // the first pull finished) writes nothing.
    if (this.images.get(normalized)?.id === image.id) return image;
    this.images.set(normalized, image);
    this.persist();
    return image;
  }

  /** remove forgets the image; a missing one is not an error (CRI's RemoveImage is idempotent). */
  remove(refOrId: string): void {
    const found = this.find(refOrId);
    if (found === undefined) return;
    this.images.delete(found.ref);
    this.persist();
  }

  /** resolve gives what a container of this image runs, for images that were never pulled too:
   *  the catalogue needs no download, so a kubelet that skipped the pull still gets busybox. */
  async resolve(ref: string): Promise<StoredImage | undefined> {
    const stored = this.find(ref);
    if (stored !== undefined) return stored;
    const normalized = normalizeImageRef(ref);
    const entry = lookupImage(normalized, this.tools);
    if (entry?.kind !== 'supported') return undefined;
    if (entry.binaryPath === this.tools.busyboxPath) await this.ensureApplets(entry.binaryPath);
    const id = imageId(normalized, entry.config);
    return { id, ref: normalized, config: entry.config, sizeBytes: 0 };
  }

  /** The directory image records live in (ImageFsInfo reports its filesystem). */
  get stateFile(): string {
    return this.file;
  }

  private persist(): void {
    writeJsonAtomic(this.file, [...this.images.values()]);
  }

  /** ensureApplets links every busybox applet into the applet directory, once, off the event
   *  loop: ~400 links and a fork cost 10-200 ms (a busy disk), which would stall every call
   *  of the node's first burst; concurrent pulls share the one run. */
  private ensureApplets(busybox: string): Promise<void> {
    this.applets ??= linkApplets(busybox, this.tools.appletDir).catch((err: unknown) => {
      this.applets = undefined; // the next pull tries again
      throw err;
    });
    return this.applets;
  }
}

/** linkApplets links each applet busybox lists to busybox in dir; "sh" last, as the mark that
 *  the set is complete. */
async function linkApplets(busybox: string, dir: string): Promise<void> {
  if (existsSync(join(dir, 'sh'))) return;
  await mkdir(dir, { recursive: true });
  const { stdout } = await execFileAsync(busybox, ['--list'], { encoding: 'utf8' });
  const have = new Set(await readdir(dir));
  const applets = stdout.split('\n').filter((a) => /^[\w.[-]+$/.test(a) && !have.has(a));
  const link = (a: string): Promise<void> => symlink(busybox, join(dir, a));
  await Promise.all(applets.filter((a) => a !== 'sh').map(link));
  if (applets.includes('sh')) await link('sh');
}

const execFileAsync = promisify(execFile);

/** imageId derives a stable id from what the image means, as a digest would. */
function imageId(ref: string, config: ImageProcessConfig | undefined): string {
  const hash = createHash('sha256').update(JSON.stringify({ ref, config: config ?? null }));
  return `sha256:${hash.digest('hex')}`;
}

/** isExecutableFile tells whether path is a regular file with an execute bit. */
export function isExecutableFile(path: string): boolean {
  try {
    const st = statSync(path);
    return st.isFile() && (st.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

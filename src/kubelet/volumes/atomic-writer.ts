/**
 * The atomic writer (upstream's pkg/volume/util AtomicWriter) for configMap, secret, downwardAPI
 * and projected volumes: a container reading the volume sees either the old set of files or the
 * new one, never a mix. The payload goes into a fresh hidden directory "..<stamp>", a symlink
 * "..data" is swapped to it with one rename, and each visible top-level entry is a symlink
 * "<name> -> ..data/<name>". Nothing is written when the payload is what is already there.
 */
import {
  chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync,
  readlinkSync, renameSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { checkPath, type FileEntry } from './payload.js';

const DATA = '..data';
const DATA_TMP = '..data_tmp';

/** writeAtomic makes dir show exactly payload; returns whether anything changed. */
export function writeAtomic(dir: string, payload: readonly FileEntry[]): boolean {
  for (const f of payload) checkPath(f.path);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const dataLink = join(dir, DATA);
  const oldTarget = existsSync(dataLink) ? readlinkSync(dataLink) : undefined;
  if (oldTarget !== undefined && sameContent(join(dir, oldTarget), payload)) {
    ensureVisibleLinks(dir, payload);
    return false;
  }
  const tsDir = mkdtempSync(join(dir, '..k8ts_'));
  chmodSync(tsDir, 0o755);
  for (const f of payload) {
    const file = join(tsDir, f.path);
    mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
    writeFileSync(file, f.data);
    chmodSync(file, f.mode & 0o7777);
  }
  const tmpLink = join(dir, DATA_TMP);
  rmSync(tmpLink, { force: true });
  symlinkSync(basename(tsDir), tmpLink);
  renameSync(tmpLink, dataLink);
  ensureVisibleLinks(dir, payload);
  if (oldTarget !== undefined && oldTarget !== basename(tsDir)) {
    rmSync(join(dir, oldTarget), { recursive: true, force: true });
  }
  return true;
}

/** sameContent: the directory holds exactly the payload's files, bytes and modes. */
function sameContent(tsDir: string, payload: readonly FileEntry[]): boolean {
  try {
    const want = new Set(payload.map((f) => f.path));
    if (listFiles(tsDir, '').some((p) => !want.has(p))) return false;
    return payload.every((f) => {
      const file = join(tsDir, f.path);
      const st = statSync(file);
      return (st.mode & 0o7777) === (f.mode & 0o7777) && readFileSync(file).equals(f.data);
    });
  } catch {
    return false;
  }
}

function listFiles(root: string, rel: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
    const p = rel === '' ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) out.push(...listFiles(root, p));
    else out.push(p);
  }
  return out;
}

/** ensureVisibleLinks: one "<top> -> ..data/<top>" symlink per top-level entry, no others. */
function ensureVisibleLinks(dir: string, payload: readonly FileEntry[]): void {
  const tops = new Set(payload.map((f) => f.path.split('/')[0] ?? ''));
  for (const top of tops) {
    const link = join(dir, top);
    const target = `${DATA}/${top}`;
    let ok = false;
    try {
      ok = lstatSync(link).isSymbolicLink() && readlinkSync(link) === target;
      if (!ok) rmSync(link, { recursive: true, force: true });
    } catch {
      // Missing: created below.
    }
    if (!ok) symlinkSync(target, link);
  }
  for (const name of readdirSync(dir)) {
    if (name.startsWith('..') || tops.has(name)) continue;
    const p = join(dir, name);
    if (lstatSync(p).isSymbolicLink()) unlinkSync(p);
  }
}

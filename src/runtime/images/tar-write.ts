/**
 * A deterministic tar writer (POSIX ustar headers, pax extended headers for long names), pure:
 * entries in, bytes out. Determinism matters because a layer's digest is its identity — the same
 * rootfs must give the same diff_id on every build, so members are sorted by name, owners and
 * mtime are fixed by the caller, and nothing of the host (user names, atime) leaks in.
 */
import { assert } from '../../base/assert.js';
import { compareTarPaths, type TarEntry } from './tar-entry.js';

/** The tar block size: every header and every data section is padded to it. */
export const TAR_BLOCK_BYTES = 512;

/** 2024-01-01T00:00:00Z: the fixed mtime of every member we write (as `tar --mtime`). */
export const FIXED_MTIME_SEC = 1_704_067_200;

/** The largest member size an 11-digit octal size field holds (8 GiB - 1). */
const MAX_USTAR_SIZE = 0o77777777777;

/** Options of writeTar. */
export interface TarWriteOptions {
  /** mtime of every member, seconds since the epoch. Default FIXED_MTIME_SEC. */
  mtimeSec?: number;
  /** Sort members by path (default true). Layout archives keep the caller's order when false. */
  sort?: boolean;
}

const TYPEFLAG: Record<TarEntry['type'], string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  char: '3',
  block: '4',
  dir: '5',
  fifo: '6',
};

/** writeTar serialises entries into one tar archive (with the two zero end blocks). */
export function writeTar(entries: readonly TarEntry[], opts: TarWriteOptions = {}): Buffer {
  const mtimeSec = opts.mtimeSec ?? FIXED_MTIME_SEC;
  const ordered = opts.sort === false ? [...entries] : sortEntries(entries);
  const chunks: Buffer[] = [];
  const seen = new Set<string>();
  for (const e of ordered) {
    assert(e.path !== '' && !seen.has(e.path), `tar: empty or duplicate member ${e.path}`);
    seen.add(e.path);
    chunks.push(...memberChunks(e, mtimeSec));
  }
  chunks.push(Buffer.alloc(2 * TAR_BLOCK_BYTES));
  return Buffer.concat(chunks);
}

/** sortEntries orders members by path so the archive bytes do not depend on insertion order. */
export function sortEntries(entries: readonly TarEntry[]): TarEntry[] {
  return [...entries].sort((a, b) => compareTarPaths(a.path, b.path));
}

function memberChunks(e: TarEntry, mtimeSec: number): Buffer[] {
  const name = e.type === 'dir' ? `${e.path}/` : e.path;
  const link = e.type === 'symlink' || e.type === 'hardlink' ? e.target : '';
  const data =
    e.type === 'file' ? Buffer.from(e.data.buffer, e.data.byteOffset, e.data.length) : null;
  const size = data?.length ?? 0;
  assert(size <= MAX_USTAR_SIZE, `tar: member ${e.path} is too large (${size} bytes)`);
  const pax: Array<[string, string]> = [];
  const split = splitUstarName(name);
  if (split === null) pax.push(['path', name]);
  if (!fitsField(link, 100)) pax.push(['linkpath', link]);
  const out: Buffer[] = [];
  if (pax.length > 0) out.push(...paxChunks(name, pax, mtimeSec));
  const header = buildHeader({
    name: split?.name ?? truncateUtf8(name, 100),
    prefix: split?.prefix ?? '',
    mode: e.mode,
    uid: e.uid,
    gid: e.gid,
    size,
    mtimeSec,
    typeflag: TYPEFLAG[e.type],
    linkname: fitsField(link, 100) ? link : truncateUtf8(link, 100),
    devMajor: 'devMajor' in e ? e.devMajor : 0,
    devMinor: 'devMinor' in e ? e.devMinor : 0,
  });
  out.push(header);
  if (data !== null && size > 0) out.push(data, padding(size));
  return out;
}

/** A pax 'x' member carrying records ("<len> key=value\n") for the member that follows. */
function paxChunks(name: string, records: Array<[string, string]>, mtimeSec: number): Buffer[] {
  const body = Buffer.concat(records.map(([k, v]) => paxRecord(k, v)));
  const base = name.replace(/\/$/, '').split('/').pop() ?? 'member';
  const header = buildHeader({
    name: truncateUtf8(`PaxHeaders/${base}`, 100),
    prefix: '',
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: body.length,
    mtimeSec,
    typeflag: 'x',
    linkname: '',
    devMajor: 0,
    devMinor: 0,
  });
  return [header, body, padding(body.length)];
}

/** paxRecord encodes one record; its decimal length prefix counts itself. */
export function paxRecord(key: string, value: string): Buffer {
  const rest = ` ${key}=${value}\n`;
  const restBytes = Buffer.byteLength(rest, 'utf8');
  let len = restBytes + 1;
  while (String(len).length + restBytes !== len) len = String(len).length + restBytes;
  return Buffer.from(`${len}${rest}`, 'utf8');
}

interface HeaderFields {
  name: string;
  prefix: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtimeSec: number;
  typeflag: string;
  linkname: string;
  devMajor: number;
  devMinor: number;
}

/** buildHeader lays out one 512-byte ustar header and fills in its checksum. */
function buildHeader(f: HeaderFields): Buffer {
  const h = Buffer.alloc(TAR_BLOCK_BYTES);
  h.write(f.name, 0, 100, 'utf8');
  writeOctal(h, 100, 8, f.mode & 0o7777);
  writeOctal(h, 108, 8, f.uid);
  writeOctal(h, 116, 8, f.gid);
  writeOctal(h, 124, 12, f.size);
  writeOctal(h, 136, 12, f.mtimeSec);
  h.fill(0x20, 148, 156);
  h.write(f.typeflag, 156, 1, 'latin1');
  h.write(f.linkname, 157, 100, 'utf8');
  h.write('ustar\u000000', 257, 8, 'latin1');
  writeOctal(h, 329, 8, f.devMajor);
  writeOctal(h, 337, 8, f.devMinor);
  h.write(f.prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'latin1');
  return h;
}

/** writeOctal writes value as zero-padded octal digits followed by a NUL, filling width bytes. */
function writeOctal(h: Buffer, offset: number, width: number, value: number): void {
  const digits = value.toString(8).padStart(width - 1, '0');
  assert(digits.length === width - 1 && value >= 0, `tar: ${value} does not fit ${width} bytes`);
  h.write(`${digits}\u0000`, offset, width, 'latin1');
}

/**
 * splitUstarName fits name into ustar's name (100) + prefix (155) fields, split at a slash, or
 * returns null when only a pax record can carry it (too long or not ASCII).
 */
function splitUstarName(name: string): { name: string; prefix: string } | null {
  if (!/^[\x20-\x7e]*$/.test(name)) return null;
  if (name.length <= 100) return { name, prefix: '' };
  for (let i = name.indexOf('/'); i !== -1; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (prefix.length <= 155 && rest.length <= 100 && rest.length > 0)
      return { name: rest, prefix };
  }
  return null;
}

function fitsField(s: string, width: number): boolean {
  return /^[\x20-\x7e]*$/.test(s) && s.length <= width;
}

/** truncateUtf8 cuts s to at most maxBytes bytes (the pax record carries the full value). */
function truncateUtf8(s: string, maxBytes: number): string {
  const b = Buffer.from(s, 'utf8');
  return b.length <= maxBytes ? s : b.subarray(0, maxBytes).toString('latin1');
}

/** padding returns the zero bytes that round size up to a whole block. */
function padding(size: number): Buffer {
  const rem = size % TAR_BLOCK_BYTES;
  return Buffer.alloc(rem === 0 ? 0 : TAR_BLOCK_BYTES - rem);
}

/**
 * A tar reader, pure: bytes in, members out. It accepts what image tools write — ustar, pax
 * extended headers (path, linkpath, size, uid, gid), GNU long names ('L'/'K') and base-256
 * numbers — so layouts and layers from skopeo, buildah, docker or GNU tar import as well as ours.
 * Malformed input is an Error with the offset (bad input, never an assertion).
 */
import { TAR_BLOCK_BYTES } from './tar-write.js';
import { normalizeTarPath, type TarEntry } from './tar-entry.js';

/** A bound on members per archive, so a hostile archive cannot exhaust memory with headers. */
export const MAX_TAR_MEMBERS = 1_000_000;

interface Overrides {
  path?: string;
  linkpath?: string;
  size?: number;
  uid?: number;
  gid?: number;
}

/** readTar parses a whole archive. Members whose path normalises to "" (the root) are skipped. */
export function readTar(buf: Uint8Array): TarEntry[] {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  const out: TarEntry[] = [];
  let pending: Overrides = {};
  let off = 0;
  while (off + TAR_BLOCK_BYTES <= b.length) {
    const h = b.subarray(off, off + TAR_BLOCK_BYTES);
    if (h.every((x) => x === 0)) break;
    verifyChecksum(h, off);
    const type = String.fromCharCode(h[156] ?? 0);
    const size = pending.size ?? readNumber(h, 124, 12, off);
    const dataStart = off + TAR_BLOCK_BYTES;
    const dataEnd = dataStart + size;
    if (dataEnd > b.length) throw new Error(`tar: member at offset ${off} is truncated`);
    const data = b.subarray(dataStart, dataEnd);
    off = dataStart + Math.ceil(size / TAR_BLOCK_BYTES) * TAR_BLOCK_BYTES;
    if (type === 'x') pending = { ...pending, ...parsePax(data, dataStart) };
    else if (type === 'L') pending.path = cString(data);
    else if (type === 'K') pending.linkpath = cString(data);
    else if (type !== 'g') {
      const e = toEntry(h, type, data, pending, dataStart - TAR_BLOCK_BYTES);
      pending = {};
      if (e !== null) out.push(e);
      if (out.length > MAX_TAR_MEMBERS)
        throw new Error(`tar: more than ${MAX_TAR_MEMBERS} members`);
    }
  }
  return out;
}

function toEntry(
  h: Buffer,
  type: string,
  data: Buffer,
  o: Overrides,
  off: number,
): TarEntry | null {
  const prefix = cString(h.subarray(345, 500));
  const name = cString(h.subarray(0, 100));
  const ustar = h.subarray(257, 262).toString('latin1') === 'ustar';
  const rawPath = o.path ?? (ustar && prefix !== '' ? `${prefix}/${name}` : name);
  const path = normalizeTarPath(rawPath);
  if (path === '') return null;
  const base = {
    path,
    mode: readNumber(h, 100, 8, off) & 0o7777,
    uid: o.uid ?? readNumber(h, 108, 8, off),
    gid: o.gid ?? readNumber(h, 116, 8, off),
  };
  const linkRaw = o.linkpath ?? cString(h.subarray(157, 257));
  switch (type) {
    case '0':
    case '\0':
    case '7':
      if (rawPath.endsWith('/')) return { ...base, type: 'dir' };
      return { ...base, type: 'file', data };
    case '1':
      return { ...base, type: 'hardlink', target: normalizeTarPath(linkRaw) };
    case '2':
      return { ...base, type: 'symlink', target: linkRaw };
    case '3':
    case '4':
    case '6': {
      const kind = type === '3' ? 'char' : type === '4' ? 'block' : 'fifo';
      const devMajor = readNumber(h, 329, 8, off);
      return { ...base, type: kind, devMajor, devMinor: readNumber(h, 337, 8, off) };
    }
    case '5':
      return { ...base, type: 'dir' };
    default:
      throw new Error(`tar: unsupported member type ${JSON.stringify(type)} at offset ${off}`);
  }
}

/** parsePax reads "<len> key=value\n" records; only the keys we honour are kept. */
function parsePax(data: Buffer, off: number): Overrides {
  const o: Overrides = {};
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    const len = sp === -1 ? NaN : Number(data.subarray(i, sp).toString('latin1'));
    if (!Number.isInteger(len) || len <= 0 || i + len > data.length) {
      throw new Error(`tar: malformed pax record at offset ${off + i}`);
    }
    const rec = data.subarray(sp + 1, i + len - 1).toString('utf8');
    const eq = rec.indexOf('=');
    const key = rec.slice(0, eq);
    const value = rec.slice(eq + 1);
    if (key === 'path') o.path = value;
    else if (key === 'linkpath') o.linkpath = value;
    else if (key === 'size') o.size = Number(value);
    else if (key === 'uid') o.uid = Number(value);
    else if (key === 'gid') o.gid = Number(value);
    i += len;
  }
  return o;
}

/** readNumber decodes an octal field, or GNU base-256 when the first byte's high bit is set. */
function readNumber(h: Buffer, offset: number, width: number, at: number): number {
  const first = h[offset] ?? 0;
  if ((first & 0x80) !== 0) {
    let v = first & 0x7f;
    for (let i = 1; i < width; i++) v = v * 256 + (h[offset + i] ?? 0);
    return v;
  }
  const s = h
    .subarray(offset, offset + width)
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new Error(`tar: bad numeric field at offset ${at + offset}`);
  return parseInt(s, 8);
}

function verifyChecksum(h: Buffer, off: number): void {
  const want = readNumber(h, 148, 8, off);
  let sum = 0;
  for (let i = 0; i < TAR_BLOCK_BYTES; i++) sum += i >= 148 && i < 156 ? 0x20 : (h[i] ?? 0);
  if (sum !== want) throw new Error(`tar: header checksum mismatch at offset ${off}`);
}

function cString(b: Buffer): string {
  const nul = b.indexOf(0);
  return b.subarray(0, nul === -1 ? b.length : nul).toString('utf8');
}

/**
 * hostPath volumes: the node's own path, checked (and for the *OrCreate types created) as the
 * volume's type says, with upstream's messages. An unset type checks nothing.
 */
import { closeSync, mkdirSync, openSync, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { VolumeSetupError } from './payload.js';

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

const CHECKS: Record<string, [(s: Stats) => boolean, string]> = {
  Directory: [(s) => s.isDirectory(), 'a directory'],
  DirectoryOrCreate: [(s) => s.isDirectory(), 'a directory'],
  File: [(s) => s.isFile(), 'a file'],
  FileOrCreate: [(s) => s.isFile(), 'a file'],
  Socket: [(s) => s.isSocket(), 'a socket file'],
  CharDevice: [(s) => s.isCharacterDevice(), 'a character device'],
  BlockDevice: [(s) => s.isBlockDevice(), 'a block device'],
};

/** setUpHostPath checks or creates path per type; throws VolumeSetupError. */
export function setUpHostPath(path: string, type: string | undefined): void {
  if (!path.startsWith('/')) throw new VolumeSetupError(`hostPath ${path} must be absolute`);
  const t = type ?? '';
  if (t === '') return;
  const check = CHECKS[t];
  if (check === undefined) throw new VolumeSetupError(`hostPath type ${t} is not supported`);
  let st = statOrUndefined(path);
  if (st === undefined && t === 'DirectoryOrCreate') {
    mkdirSync(path, { recursive: true, mode: 0o755 });
    st = statOrUndefined(path);
  } else if (st === undefined && t === 'FileOrCreate') {
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    closeSync(openSync(path, 'a', 0o644));
    st = statOrUndefined(path);
  }
  if (st === undefined) {
    throw new VolumeSetupError(`hostPath type check failed: ${path} does not exist`);
  }
  if (!check[0](st)) {
    throw new VolumeSetupError(`hostPath type check failed: ${path} is not ${check[1]}`);
  }
}

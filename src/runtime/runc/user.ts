/**
 * Resolving who a container runs as: the image's User ("", "uid", "uid:gid", "name",
 * "name:group") or the CRI security context's run_as_user/run_as_username/run_as_group, looked
 * up in the container's own /etc/passwd and /etc/group as Docker does (names mean nothing on the
 * host). The parsing is pure; readUserFiles reads the two files from the mounted rootfs.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OciUser } from './oci-types.js';

/** UserRequest is what the CRI config asks for; undefined fields fall back to the image. */
export interface UserRequest {
  imageUser: string;
  runAsUser?: number;
  runAsUsername?: string;
  runAsGroup?: number;
  supplementalGroups: number[];
}

/** UserFiles are the container's /etc/passwd and /etc/group texts ("" when missing). */
export interface UserFiles {
  passwd: string;
  group: string;
}

/** resolveUser computes the numeric user, throwing a clear error for an unknown name. */
export function resolveUser(req: UserRequest, files: UserFiles): OciUser {
  const passwd = parseColonFile(files.passwd);
  const groups = parseColonFile(files.group);
  let spec = req.imageUser;
  if (req.runAsUsername) spec = req.runAsUsername;
  if (req.runAsUser !== undefined) spec = String(req.runAsUser);
  const [userPart = '', groupPart] = spec.split(':');
  let uid = 0;
  let gid = 0;
  if (userPart !== '') {
    if (/^\d+$/.test(userPart)) {
      uid = Number(userPart);
      const entry = passwd.find((f) => f[2] === userPart);
      gid = entry ? Number(entry[3]) : 0;
    } else {
      const entry = passwd.find((f) => f[0] === userPart);
      if (!entry) {
        throw new Error(`unable to find user ${userPart}: no matching entries in passwd file`);
      }
      uid = Number(entry[2]);
      gid = Number(entry[3]);
    }
  }
  if (groupPart !== undefined && groupPart !== '') gid = resolveGroup(groupPart, groups);
  if (req.runAsGroup !== undefined) gid = req.runAsGroup;
  const additionalGids = [...new Set([gid, ...req.supplementalGroups, ...memberOf(spec, uid,
    passwd, groups)])];
  return { uid, gid, additionalGids };
}

/** resolveGroup maps a group name or number to a gid. */
function resolveGroup(group: string, groups: string[][]): number {
  if (/^\d+$/.test(group)) return Number(group);
  const entry = groups.find((f) => f[0] === group);
  if (!entry) throw new Error(`unable to find group ${group}: no matching entries in group file`);
  return Number(entry[2]);
}

/** memberOf lists the gids of groups naming the user as a member (/etc/group 4th field). */
function memberOf(spec: string, uid: number, passwd: string[][], groups: string[][]): number[] {
  const name = passwd.find((f) => f[2] === String(uid))?.[0] ?? spec.split(':')[0];
  if (!name) return [];
  return groups
    .filter((f) => (f[3] ?? '').split(',').includes(name))
    .map((f) => Number(f[2]));
}

/** parseColonFile splits passwd/group style text into fields, skipping comments and blanks. */
export function parseColonFile(text: string): string[][] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => line.split(':'));
}

/** readUserFiles reads /etc/passwd and /etc/group of a mounted rootfs (missing → ""). */
export async function readUserFiles(rootfs: string): Promise<UserFiles> {
  const read = async (p: string): Promise<string> => {
    try {
      return await readFile(join(rootfs, p), 'utf8');
    } catch {
      return '';
    }
  };
  return { passwd: await read('etc/passwd'), group: await read('etc/group') };
}

/**
 * Where container logs live on a node, upstream's layout so tools that know Kubernetes nodes
 * (log shippers, people) find them: <root>/<namespace>_<pod>_<uid>/<container>/<attempt>.log,
 * root being /var/log/pods on a real node and <stateDir>/pods-logs here. The pod directory is
 * the CRI log_directory of the sandbox; "<container>/<attempt>.log" is the container's CRI
 * log_path, relative to it. One file per attempt keeps the previous instance's log readable
 * (kubectl logs --previous) after a restart.
 */
import { join } from 'node:path';

/** podLogDirectory is a pod's CRI log_directory (absolute, as CRI requires). */
export function podLogDirectory(root: string, namespace: string, pod: string, uid: string): string {
  return join(root, `${namespace}_${pod}_${uid}`);
}

/** containerLogPath is a container instance's CRI log_path, relative to the pod's directory. */
export function containerLogPath(container: string, attempt: number): string {
  return join(container, `${attempt}.log`);
}

/** The identity encoded in a pod log directory's name. */
export interface PodLogDirName {
  namespace: string;
  pod: string;
  uid: string;
}

/**
 * parsePodLogDirName reads "<ns>_<pod>_<uid>" back; undefined for other names. Namespace and
 * pod names cannot contain "_" (DNS names), so the first two underscores are the separators.
 */
export function parsePodLogDirName(name: string): PodLogDirName | undefined {
  const first = name.indexOf('_');
  const second = name.indexOf('_', first + 1);
  if (first <= 0 || second <= first + 1 || second === name.length - 1) return undefined;
  return { namespace: name.slice(0, first), pod: name.slice(first + 1, second),
    uid: name.slice(second + 1) };
}

/** parseAttempt reads the attempt from "<n>.log"; undefined for any other file name. */
export function parseAttempt(fileName: string): number | undefined {
  const m = /^(\d+)\.log$/.exec(fileName);
  return m ? Number(m[1]) : undefined;
}

/**
 * makePki generates a throwaway CA and certificates with the openssl CLI, for mTLS tests. Every
 * certificate is valid for 127.0.0.1 and for both server and client use (a member is both).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

function openssl(dir: string, args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
}

const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** makeCa writes <prefix>ca.crt/.key in dir. */
export function makeCa(dir: string, prefix = ''): void {
  openssl(dir, ['req', '-x509', ...KEY, '-keyout', `${prefix}ca.key`, '-out', `${prefix}ca.crt`, '-days', '1', '-subj', `/CN=k8ts-test-${prefix}ca`]);
}

/** makeCert writes <name>.crt/.key in dir, signed by <caPrefix>ca. */
export function makeCert(dir: string, name: string, caPrefix = ''): void {
  writeFileSync(join(dir, `${name}.ext`), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  openssl(dir, ['req', ...KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${caPrefix}ca.crt`, '-CAkey', `${caPrefix}ca.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', '-extfile', `${name}.ext`]);
}

/** makePki: ca, the given members, client, and a rogue identity signed by another CA. */
export function makePki(dir: string, members: string[]): void {
  makeCa(dir);
  for (const n of [...members, 'client']) makeCert(dir, n);
  makeCa(dir, 'rogue-');
  makeCert(dir, 'rogue', 'rogue-');
}

/**
 * makePki generates a throwaway CA and certificates for mTLS tests with k8ts's own certificate
 * builder (src/cluster/pki), so tests need no openssl binary. Every certificate is valid for
 * 127.0.0.1 and localhost and for both server and client use (a member is both).
 */
import {
  X509Certificate, createPrivateKey, generateKeyPairSync, randomBytes, type KeyObject,
} from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createCertificate, issuerOf, pemEncode, selfIssuer, type CertificateTemplate,
} from '../../src/cluster/pki/certificate.js';

const DAY_MS = 24 * 3600 * 1000;

function template(commonName: string, publicKey: KeyObject, isCa: boolean): CertificateTemplate {
  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 0) & 0x7f) || 1;
  const nowMs = Math.floor(Date.now() / 1000) * 1000;
  return {
    serial, subject: { commonName }, notBeforeMs: nowMs - 3600_000, notAfterMs: nowMs + DAY_MS,
    publicKeySpki: publicKey.export({ type: 'spki', format: 'der' }), isCa,
    extKeyUsages: isCa ? [] : ['serverAuth', 'clientAuth'],
    dnsNames: isCa ? [] : ['localhost'], ipAddresses: isCa ? [] : ['127.0.0.1'],
  };
}

function write(dir: string, base: string, der: Buffer, key: KeyObject): void {
  const keyPem = key.export({ type: 'sec1', format: 'pem' });
  writeFileSync(join(dir, `${base}.key`), keyPem, { mode: 0o600 });
  writeFileSync(join(dir, `${base}.crt`), pemEncode('CERTIFICATE', der));
}

/** makeCa writes <prefix>ca.crt/.key in dir. */
export function makeCa(dir: string, prefix = ''): void {
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const t = template(`k8ts-test-${prefix}ca`, key.publicKey, true);
  write(dir, `${prefix}ca`, createCertificate(t, selfIssuer(t), key.privateKey), key.privateKey);
}

/** makeCert writes <name>.crt/.key in dir, signed by <caPrefix>ca. */
export function makeCert(dir: string, name: string, caPrefix = ''): void {
  const ca = new X509Certificate(readFileSync(join(dir, `${caPrefix}ca.crt`)));
  const caKey = createPrivateKey(readFileSync(join(dir, `${caPrefix}ca.key`)));
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const t = template(name, key.publicKey, false);
  write(dir, name, createCertificate(t, issuerOf(ca.raw), caKey), key.privateKey);
}

/** makePki: ca, the given members, client, and a rogue identity signed by another CA. */
export function makePki(dir: string, members: string[]): void {
  makeCa(dir);
  for (const n of [...members, 'client']) makeCert(dir, n);
  makeCa(dir, 'rogue-');
  makeCert(dir, 'rogue', 'rogue-');
}

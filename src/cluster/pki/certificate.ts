/**
 * X.509 v3 certificates (RFC 5280) built with node:crypto and the DER encoder, so `k8ts up`
 * needs no openssl binary. Keys are ECDSA P-256 and signatures ecdsa-with-SHA256, the pair every
 * consumer accepts: Go's crypto/x509 (kubectl, etcd), BoringSSL (grpc-js) and OpenSSL (node:tls).
 *
 * The TBSCertificate encoding is pure (a template and the issuer's identity in, bytes out);
 * only signCertificate touches a private key. Randomness (serials) and time arrive in the
 * template, from the caller's edge.
 */
import { createHash, sign, type KeyObject } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { assert } from '../../base/assert.js';
import {
  Tag, bitString, boolean, children, explicit, implicitPrimitive, namedBits, octetString,
  oid, readElement, sequence, setOf, smallInteger, time, unsignedInteger, utf8String,
  type DerElement,
} from './der.js';

/** DistinguishedName is the part of an X.509 name Kubernetes reads: CN = user, O = groups. */
export interface DistinguishedName {
  commonName: string;
  organizations?: readonly string[];
}

/** ExtKeyUsage: what a leaf may do in TLS; Go checks it on both ends of a connection. */
export type ExtKeyUsage = 'serverAuth' | 'clientAuth';

/** CertificateTemplate is everything a certificate states about its subject. */
export interface CertificateTemplate {
  /** Positive serial, at most 20 bytes (RFC 5280 §4.1.2.2); random so reissues never collide. */
  serial: Buffer;
  subject: DistinguishedName;
  notBeforeMs: number;
  notAfterMs: number;
  /** SubjectPublicKeyInfo DER, as KeyObject.export({ type: 'spki', format: 'der' }) gives it. */
  publicKeySpki: Buffer;
  isCa: boolean;
  extKeyUsages: readonly ExtKeyUsage[];
  dnsNames: readonly string[];
  ipAddresses: readonly string[];
}

/** IssuerIdentity is what a child certificate copies from its issuer: the issuer's subject
 *  exactly as encoded (Go matches issuer to parent by raw bytes) and its key identifier. */
export interface IssuerIdentity {
  subjectDer: Buffer;
  keyId: Buffer | undefined;
}

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

/** KeyUsage bit numbers (RFC 5280 §4.2.1.3). */
const KU = { digitalSignature: 0, keyCertSign: 5, cRLSign: 6 } as const;

/** encodeName encodes a Name: O values first, then CN (Go's pkix order), one attribute per RDN
 *  so every O value reaches Kubernetes' user.Groups. */
export function encodeName(dn: DistinguishedName): Buffer {
  const rdn = (type: string, value: string): Buffer =>
    setOf(sequence(oid(type), utf8String(value)));
  const orgs = (dn.organizations ?? []).map((o) => rdn(OID.organization, o));
  return sequence(...orgs, rdn(OID.commonName, dn.commonName));
}

/** keyIdOf is RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits of an SPKI. */
export function keyIdOf(spki: Buffer): Buffer {
  const [, key] = children(readElement(spki).element);
  assert(key !== undefined && key.tag === Tag.BIT_STRING, 'certificate: SPKI without a key');
  return createHash('sha1').update(key.content.subarray(1)).digest();
}

/** selfIssuer is the identity of a self-signed certificate: its own subject and key id. */
export function selfIssuer(t: CertificateTemplate): IssuerIdentity {
  return { subjectDer: encodeName(t.subject), keyId: keyIdOf(t.publicKeySpki) };
}

/** encodeTbsCertificate encodes the signed part of a certificate (RFC 5280 §4.1). */
export function encodeTbsCertificate(t: CertificateTemplate, issuer: IssuerIdentity): Buffer {
  assert(t.serial.length > 0 && t.serial.length <= 20 && ((t.serial[0] ?? 0) & 0x80) === 0,
    'certificate: serial must be positive and at most 20 bytes');
  assert(t.serial.some((b) => b !== 0), 'certificate: serial must not be zero');
  assert(t.notBeforeMs < t.notAfterMs, 'certificate: notBefore must precede notAfter');
  assert(t.subject.commonName !== '', 'certificate: empty common name');
  return sequence(
    explicit(0, smallInteger(2)), // v3: extensions follow
    unsignedInteger(t.serial),
    signatureAlgorithm(),
    issuer.subjectDer,
    sequence(time(t.notBeforeMs), time(t.notAfterMs)),
    encodeName(t.subject),
    t.publicKeySpki,
    explicit(3, sequence(...extensions(t, issuer))),
  );
}

function signatureAlgorithm(): Buffer {
  // RFC 5758 §3.2: ecdsa-with-SHA256 has no parameters (not even NULL).
  return sequence(oid(OID.ecdsaWithSha256));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return sequence(oid(id), ...(critical ? [boolean(true)] : []), octetString(value));
}

function extensions(t: CertificateTemplate, issuer: IssuerIdentity): Buffer[] {
  const out: Buffer[] = [];
  // cA defaults to FALSE, and DER omits defaults: a leaf's value is an empty SEQUENCE.
  out.push(extension(OID.basicConstraints, true, t.isCa ? sequence(boolean(true)) : sequence()));
  const usage = t.isCa ? [KU.digitalSignature, KU.keyCertSign, KU.cRLSign] : [KU.digitalSignature];
  out.push(extension(OID.keyUsage, true, namedBits(usage)));
  if (t.extKeyUsages.length > 0) {
    const ekus = t.extKeyUsages.map((u) => oid(OID[u]));
    out.push(extension(OID.extKeyUsage, false, sequence(...ekus)));
  }
  const names = [
    ...t.dnsNames.map((d) => implicitPrimitive(2, dnsNameBytes(d))),
    ...t.ipAddresses.map((ip) => implicitPrimitive(7, ipAddressBytes(ip))),
  ];
  // Go refuses an empty subjectAltName extension: leave it out instead.
  if (names.length > 0) out.push(extension(OID.subjectAltName, false, sequence(...names)));
  out.push(extension(OID.subjectKeyIdentifier, false, octetString(keyIdOf(t.publicKeySpki))));
  if (issuer.keyId !== undefined) {
    out.push(extension(OID.authorityKeyIdentifier, false,
      sequence(implicitPrimitive(0, issuer.keyId))));
  }
  return out;
}

/** signCertificate signs a TBSCertificate with the issuer's P-256 key and assembles the
 *  certificate. dsaEncoding 'der' gives the ECDSA-Sig-Value SEQUENCE X.509 carries. */
export function signCertificate(tbs: Buffer, issuerKey: KeyObject): Buffer {
  assert(issuerKey.type === 'private' && issuerKey.asymmetricKeyType === 'ec',
    'certificate: the issuer key must be an EC private key');
  const signature = sign('sha256', tbs, { key: issuerKey, dsaEncoding: 'der' });
  return sequence(tbs, signatureAlgorithm(), bitString(signature));
}

/** createCertificate encodes and signs in one step. */
export function createCertificate(
  t: CertificateTemplate, issuer: IssuerIdentity, issuerKey: KeyObject,
): Buffer {
  return signCertificate(encodeTbsCertificate(t, issuer), issuerKey);
}

/** issuerOf reads the identity a child needs from an existing certificate's DER: its raw
 *  subject and its subjectKeyIdentifier, if it has one (a CA made elsewhere may not). */
export function issuerOf(certDer: Buffer): IssuerIdentity {
  const tbs = tbsFields(certDer);
  // TBSCertificate: [0] version, serial, signature, issuer, validity, subject, spki, ...
  const offset = tbs[0]?.tag === 0xa0 ? 1 : 0;
  const subject = tbs[offset + 4];
  assert(subject !== undefined && subject.tag === Tag.SEQUENCE, 'certificate: no subject');
  return { subjectDer: Buffer.from(subject.raw), keyId: subjectKeyId(tbs) };
}

/** subjectOf returns a certificate's raw subject (to compare with an expected Name). */
export function subjectOf(certDer: Buffer): Buffer {
  return issuerOf(certDer).subjectDer;
}

function tbsFields(certDer: Buffer): DerElement[] {
  const [tbs] = children(readElement(certDer).element);
  assert(tbs !== undefined && tbs.tag === Tag.SEQUENCE, 'certificate: no TBSCertificate');
  return children(tbs);
}

function subjectKeyId(tbs: DerElement[]): Buffer | undefined {
  const exts = tbs.find((e) => e.tag === 0xa3);
  if (exts === undefined) return undefined;
  const [list] = children(exts);
  for (const ext of list === undefined ? [] : children(list)) {
    const parts = children(ext);
    const id = parts[0];
    const value = parts[parts.length - 1];
    if (id === undefined || value === undefined) continue;
    if (!id.content.equals(oid(OID.subjectKeyIdentifier).subarray(2))) continue;
    return Buffer.from(readElement(value.content).element.content);
  }
  return undefined;
}

/** dnsNameBytes is the dNSName GeneralName form: an IA5String (ASCII) under IMPLICIT [2]. */
function dnsNameBytes(name: string): Buffer {
  assert(/^[A-Za-z0-9*.-]+$/.test(name) && name.length <= 253, `certificate: bad DNS name ${name}`);
  return Buffer.from(name, 'ascii');
}

/** ipAddressBytes is the iPAddress GeneralName form: 4 bytes for IPv4, 16 for IPv6. */
export function ipAddressBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  assert(isIPv6(ip) && !ip.includes('%'), `certificate: not an IP address: ${ip}`);
  let text = ip;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1] !== undefined) {
    const b = v4[1].split('.').map(Number);
    const hex = (hi: number, lo: number): string => ((hi << 8) | lo).toString(16);
    const tail = `${hex(b[0] ?? 0, b[1] ?? 0)}:${hex(b[2] ?? 0, b[3] ?? 0)}`;
    text = text.slice(0, -v4[1].length) + tail;
  }
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? 0 : 8 - left.length - right.length;
  const groups = [...left, ...Array<string>(zeros).fill('0'), ...right];
  assert(groups.length === 8, `certificate: bad IPv6 address ${ip}`);
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), 2 * i));
  return out;
}

/** pemEncode wraps DER in PEM armour: base64 in 64-column lines (RFC 7468). */
export function pemEncode(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** pemDecode returns the DER of the first PEM block with the given label. */
export function pemDecode(label: string, text: string): Buffer {
  const re = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+)-----END ${label}-----`);
  const m = re.exec(text);
  if (m?.[1] === undefined) throw new Error(`no PEM block "${label}" found`);
  return Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
}
